// SPDX-License-Identifier: MIT
/*
 * kho_source_open_memory: a caller that already has the memory (drgn, a
 * hypervisor) verifies through callbacks and gets the verdict a dump file
 * gives; a read the callback refuses is a finding, never a crash or a
 * clean verdict.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/internal.h"
#include "kho/ref.h"
#include "suite.h"
#include "spec_image.h"

static const char spec[] =
	"abi kho-v4\n"
	"ram 0 32M\n"
	"ram 0x4000000 8M\n"
	"scratch 0x1000000 2M\n"
	"alloc 0x1800000 4M\n"
	"outputs raw\n"
	"folio 0x400000 4\n"
	"pages 0x800 100\n"
	"reserve-mem trace 0x4000000 0x100000\n"
	"luo v5 1\n"
	"luo-session s\n"
	"luo-memfd s 1 0x4000\n"
	"luo-folio s 1 0 1\n";

struct mem {
	uint8_t *bytes;
	size_t len;
	uint64_t refuse;     /* a page the callback will not read, or 0 */
	uint64_t exclude;    /* a page the state callback calls excluded, or 0 */
	unsigned reads;
	bool zero_run;       /* the state callback answers runs of 0 (a page each) */
	bool closed, read_excluded;
};

static int read_cb(void *ctx, uint64_t phys, void *buf, size_t len)
{
	struct mem *m = ctx;

	m->reads++;
	if (m->exclude && phys < m->exclude + 4096 && m->exclude < phys + len)
		m->read_excluded = true;
	if (phys + len > m->len || (m->refuse && phys < m->refuse + 4096 &&
				    m->refuse < phys + len))
		return -1;
	memcpy(buf, m->bytes + phys, len);
	return 0;
}

static void close_cb(void *ctx)
{
	((struct mem *)ctx)->closed = true;
}

/* Every byte present but the page at m->exclude. */
static enum kho_mem_state state_cb(void *ctx, uint64_t phys, uint64_t *run)
{
	const struct mem *m = ctx;

	enum kho_mem_state st = KHO_MEM_PRESENT;

	if (m->exclude && phys >= m->exclude && phys < m->exclude + 4096) {
		*run = m->exclude + 4096 - phys;
		st = KHO_MEM_EXCLUDED;
	} else {
		*run = m->exclude > phys ? m->exclude - phys : UINT64_MAX - phys;
	}
	if (m->zero_run)
		*run = 0;
	return st;
}

/* The spec's raw image, read into @m; its path in @path. */
static void image(struct mem *m, char *path, size_t plen)
{
	FILE *f;

	spec_raw_image("check_memsrc", spec, path, plen);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	m->len = (size_t)ftell(f);
	rewind(f);
	m->bytes = malloc(m->len);
	ck_assert_ptr_nonnull(m->bytes);
	ck_assert_uint_eq(fread(m->bytes, 1, m->len, f), m->len);
	fclose(f);
}

static struct kho_source *open_mem(struct mem *m)
{
	static const struct kho_mem_range ram[] = {
		{ 0, 32 << 20, KHO_MEM_PRESENT },
		{ 0x4000000, 8 << 20, KHO_MEM_PRESENT },
	};
	struct kho_memory_ops ops = { read_cb, close_cb, m->exclude ? state_cb : NULL };
	struct kho_memory_desc d = { ram, 2, 4096, false, "x86_64", "test memory" };
	struct kho_source *src;
	struct kho_error err;

	ck_assert_msg(kho_source_open_memory(&ops, m, &d, &src, &err) == KHO_OK, "%s", err.msg);
	return src;
}

/* Scan, then inspect the one handover. */
static void inspect(struct kho_source *src, struct kho_inspection *in)
{
	struct kho_verify_opts o = { .keep_runs = true };
	struct kho_candidate *c = NULL;
	struct kho_error err;
	size_t n = 0;

	ck_assert_int_eq(kho_scan(src, &c, &n, NULL, NULL, &err), KHO_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(kho_inspect(src, c[0].phys, &o, in, &err) == KHO_OK, "%s", err.msg);
	free(c);
}

static size_t of(const struct kho_findings *f, const char *check)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].check->name, check);
	return n;
}

/* The spec's image in @m, read once through the callbacks: the address of
 * one of its tree leaves, and in *@keys how many keys it has. Clean: no
 * page it needs is missing. */
static uint64_t clean_image(struct mem *m, char *path, size_t plen, uint64_t *keys)
{
	struct kho_inspection a;
	struct kho_source *mem;
	uint64_t leaf = 0;

	image(m, path, plen);
	mem = open_mem(m);
	inspect(mem, &a);
	for (size_t i = 0; i < a.npages; i++)
		if (a.pages[i].level == 0)
			leaf = a.pages[i].phys;
	ck_assert_uint_ne(leaf, 0);
	ck_assert_uint_eq(of(&a.findings, "radix-unreadable"), 0);
	ck_assert_uint_eq(of(&a.findings, "range-not-dumped"), 0);
	*keys = a.stats.keys;
	kho_inspection_free(&a);
	kho_source_close(mem);
	return leaf;
}

START_TEST(the_same_verdict_as_the_file)
{
	struct kho_inspection a, b;
	struct kho_source *file, *mem;
	struct kho_error err;
	struct mem m = { 0 };
	char path[64];

	image(&m, path, sizeof(path));
	ck_assert_int_eq(kho_source_open(path, NULL, &file, &err), KHO_OK);
	mem = open_mem(&m);
	ck_assert_str_eq(kho_source_kind_name(kho_source_kind(mem)), "memory");
	inspect(file, &a);
	inspect(mem, &b);
	ck_assert_uint_eq(a.ho.fdt_phys, b.ho.fdt_phys);
	ck_assert_uint_eq(a.stats.keys, b.stats.keys);
	ck_assert_uint_eq(a.stats.preserved_bytes, b.stats.preserved_bytes);
	ck_assert_uint_eq(a.nruns, b.nruns);
	ck_assert_mem_eq(a.runs, b.runs, a.nruns * sizeof(*a.runs));
	ck_assert_uint_eq(a.findings.n, b.findings.n);
	for (size_t i = 0; i < a.findings.n; i++) {
		ck_assert_str_eq(a.findings.v[i].check->name, b.findings.v[i].check->name);
		ck_assert_uint_eq(a.findings.v[i].phys, b.findings.v[i].phys);
	}
	ck_assert_uint_eq(b.luo.nsessions, 1);
	ck_assert_uint_gt(m.reads, 0);
	kho_inspection_free(&a);
	kho_inspection_free(&b);
	kho_source_close(file);
	kho_source_close(mem);
	ck_assert(m.closed);
	free(m.bytes);
	unlink(path);
}
END_TEST

/* A tree leaf the callback cannot read: an incomplete finding at it. */
START_TEST(a_refused_read_is_a_finding)
{
	struct kho_inspection b;
	struct kho_source *mem;
	struct mem m = { 0 };
	char path[64];
	uint64_t keys, leaf = clean_image(&m, path, sizeof(path), &keys);

	m.refuse = leaf;
	mem = open_mem(&m);
	inspect(mem, &b);
	ck_assert_uint_eq(of(&b.findings, "radix-unreadable"), 1);
	ck_assert_uint_lt(b.stats.keys, keys);   /* that leaf's keys are not claimed */
	kho_inspection_free(&b);
	kho_source_close(mem);
	free(m.bytes);
	unlink(path);
}
END_TEST

/* Pages the state callback calls excluded are never read, and what lies
 * there is incomplete, as in a filtered dump: a tree leaf (its subtree
 * unread) and a preserved folio (not dumped). */
START_TEST(excluded_pages_are_findings_not_reads)
{
	struct kho_inspection b, c;
	struct kho_source *mem;
	struct mem m = { 0 };
	char path[64];
	uint64_t keys, leaf = clean_image(&m, path, sizeof(path), &keys);

	/* the same with runs of 0: libkho takes each answer for one page */
	for (int zero = 0; zero < 2; zero++) {
		uint64_t run = 0;

		m.exclude = leaf;
		m.zero_run = zero;
		mem = open_mem(&m);
		inspect(mem, &b);
		ck_assert_uint_eq(kho_source_state(mem, leaf, &run), KHO_MEM_EXCLUDED);
		ck_assert_uint_eq(run, 4096);
		ck_assert_uint_eq(kho_source_state(mem, leaf + 4096, NULL), KHO_MEM_PRESENT);
		ck_assert_uint_eq(of(&b.findings, "radix-unreadable"), 1);
		ck_assert_uint_lt(b.stats.keys, keys);
		ck_assert(!m.read_excluded);
		kho_inspection_free(&b);
		kho_source_close(mem);
	}
	m.zero_run = false;

	m.exclude = 0x400000;                    /* the spec's order-4 folio */
	mem = open_mem(&m);
	inspect(mem, &c);
	ck_assert_uint_eq(of(&c.findings, "range-not-dumped"), 1);
	ck_assert_uint_eq(c.stats.keys, keys);
	ck_assert(!m.read_excluded);
	kho_inspection_free(&c);
	kho_source_close(mem);
	free(m.bytes);
	unlink(path);
}
END_TEST

/* The opaque report over the callbacks: its totals are the findings it
 * lists (none past the cap here), by severity, handovers and dump alike,
 * and a tree leaf the state callback excludes adds incomplete findings. */
START_TEST(the_report_totals_what_it_lists)
{
	struct kho_source *mem;
	struct mem m = { 0 };
	char path[64];
	size_t before[4], totals[4];
	uint64_t keys, leaf = clean_image(&m, path, sizeof(path), &keys);

	for (int pass = 0; pass < 2; pass++) {
		struct kho_report *r;
		struct kho_error err;
		size_t listed[4] = { 0 };

		m.exclude = pass ? leaf : 0;
		mem = open_mem(&m);
		ck_assert_msg(kho_report_run(mem, false, 0, NULL, 0, &r, &err) == KHO_OK, "%s",
			      err.msg);
		for (size_t h = 0; h <= kho_report_handovers(r); h++) {
			size_t hh = h < kho_report_handovers(r) ? h : SIZE_MAX;

			for (size_t i = 0; i < kho_report_findings(r, hh); i++) {
				const char *check, *sev, *msg;
				uint64_t phys;

				kho_report_finding(r, hh, i, &check, &sev, &phys, &msg);
				for (int k = 0; k < 4; k++)
					listed[k] += !strcmp(sev, kho_severity_str(k));
			}
		}
		kho_report_summary(r, totals);
		ck_assert_mem_eq(totals, listed, sizeof(totals));
		if (pass)   /* at least the leaf's radix-unreadable */
			ck_assert_uint_gt(totals[KHO_SEV_INCOMPLETE], before[KHO_SEV_INCOMPLETE]);
		memcpy(before, totals, sizeof(before));
		kho_report_free(r);
		kho_source_close(mem);
	}
	ck_assert(!m.read_excluded);
	free(m.bytes);
	unlink(path);
}
END_TEST

START_TEST(bad_descriptions_are_refused)
{
	static const struct kho_mem_range wraps[] = { { UINT64_MAX - 4095, 8192,
							KHO_MEM_PRESENT } };
	struct kho_memory_ops ops = { read_cb, NULL, NULL }, none = { NULL, NULL, NULL };
	struct kho_memory_desc d = { wraps, 1, 4096, false, NULL, NULL };
	struct kho_source *src;
	struct kho_error err;
	struct mem m = { 0 };

	ck_assert_int_eq(kho_source_open_memory(&ops, &m, &d, &src, &err), KHO_ERR_INVALID);
	ck_assert_int_eq(kho_source_open_memory(&none, &m, &d, &src, &err), KHO_ERR_INVALID);
	d.page_size = 8192 + 1;
	ck_assert_int_eq(kho_source_open_memory(&ops, &m, &d, &src, &err), KHO_ERR_INVALID);
	d.nranges = 0;
	ck_assert_int_eq(kho_source_open_memory(&ops, &m, &d, &src, &err), KHO_ERR_INVALID);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memsrc");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, the_same_verdict_as_the_file);
	tcase_add_test(tc, a_refused_read_is_a_finding);
	tcase_add_test(tc, excluded_pages_are_findings_not_reads);
	tcase_add_test(tc, the_report_totals_what_it_lists);
	tcase_add_test(tc, bad_descriptions_are_refused);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
