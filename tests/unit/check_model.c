// SPDX-License-Identifier: MIT
/*
 * The model API (kho/model.h): discovery as kho-inspect runs it behind an
 * opaque handle; versioned options; the walk, the lookup and the
 * accessors a debugger's plugin reads.
 */
#include <check.h>
#include <stddef.h>
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
	"scratch 0x1000000 2M\n"
	"alloc 0x1800000 4M\n"
	"outputs raw\n"
	"folio 0x400000 4\n"
	"pages 0x800 100\n"
	"luo v5 1\n"
	"luo-session s\n"
	"luo-memfd s 1 0x4000\n"
	"luo-folio s 1 0 1\n";

static char path[64];

/* The spec's raw image (no page size recorded: it is detected). */
static void setup(void)
{
	spec_raw_image("check_model", spec, path, sizeof(path));
}

static void teardown(void)
{
	unlink(path);
}

struct count {
	uint64_t keys, bytes, prev;
	bool ordered;
	int stop_after;
};

static int count_key(void *ctx, uint64_t phys, uint64_t size, unsigned order)
{
	struct count *c = ctx;

	ck_assert_uint_eq(size, (uint64_t)4096 << order);
	c->keys++;
	c->bytes += size;
	if (c->stop_after && c->keys == (uint64_t)c->stop_after)
		return 7;
	(void)phys;
	return 0;
}

START_TEST(test_walk_and_lookup)
{
	struct kho_error err;
	struct kho_model *m = kho_model_open(path, NULL, &err);
	struct count c = { 0 };
	uint64_t start = 1;
	unsigned order = 99;

	ck_assert_msg(m, "%s", err.msg);
	ck_assert_str_eq(kho_model_page_size_from(m), "detected");
	ck_assert_uint_eq(kho_model_candidates(m), 1);
	ck_assert_uint_eq(kho_model_candidate_flags(m, 0) & KHO_CANDIDATE_CHOSEN,
			  KHO_CANDIDATE_CHOSEN);
	ck_assert_uint_eq(kho_model_candidate_flags(m, 0) & KHO_CANDIDATE_STALE, 0);
	ck_assert_str_eq(kho_model_candidate_compatible(m, 0), "kho-v4");
	ck_assert_uint_eq(kho_model_handovers(m), 1);
	ck_assert_uint_eq(kho_model_handover_candidate(m, 0), 0);
	ck_assert_uint_eq(kho_model_handover_fdt(m, 0), kho_model_candidate_phys(m, 0));
	ck_assert_str_eq(kho_model_handover_found_by(m, 0), "scan");
	ck_assert_uint_eq(kho_model_handover_page_size(m, 0), 4096);
	ck_assert_int_eq(kho_model_foreach_run(m, count_key, &c), 0);
	ck_assert_uint_eq(c.keys, kho_model_handover_keys(m, 0));
	ck_assert_uint_gt(c.keys, 2);
	/* a callback stops the walk, and its value comes back */
	c = (struct count){ .stop_after = 2 };
	ck_assert_int_eq(kho_model_foreach_run(m, count_key, &c), 7);
	ck_assert_uint_eq(c.keys, 2);
	/* the folio of order 4 at 0x400000, from any of its pages */
	ck_assert_int_eq(kho_model_lookup(m, 0x400000 + 0x5123, &start, &order), 1);
	ck_assert_uint_eq(start, 0x400000);
	ck_assert_uint_eq(order, 4);
	ck_assert_int_eq(kho_model_lookup(m, 0x1f00000, NULL, NULL), 0);
	ck_assert_int_eq(kho_model_handover_lookup(m, 1, 0x400000, NULL, NULL), -KHO_ERR_INVALID);
	ck_assert_uint_gt(kho_model_tree_pages(m, 0), 0);
	/* one order at a time (whatis): only the folio's own order holds it */
	ck_assert(kho_model_handover_walked(m, 0));
	ck_assert(!kho_model_handover_walked(m, 1));
	ck_assert_uint_ge(kho_model_handover_max_order(m, 0), 18);  /* 1 GiB blocks */
	ck_assert_uint_le(kho_model_handover_max_order(m, 0), 63 - 12);
	for (unsigned o = 0; o <= kho_model_handover_max_order(m, 0); o++)
		ck_assert_int_eq(kho_model_handover_key(m, 0, 0x400000 + 0x5123, o), o == 4);
	ck_assert_int_eq(kho_model_handover_key(m, 0, 0x400000,
						kho_model_handover_max_order(m, 0) + 1),
			 -KHO_ERR_INVALID);
	ck_assert_int_eq(kho_model_handover_key(m, 1, 0x400000, 4), -KHO_ERR_INVALID);
	kho_model_close(m);
}
END_TEST

START_TEST(test_luo_and_blobs)
{
	struct kho_error err;
	struct kho_model *m = kho_model_open(path, NULL, &err);
	const char *name, *compat;
	uint64_t phys, size, token;
	size_t nfiles, n;
	bool luo = false;

	ck_assert_msg(m, "%s", err.msg);
	n = kho_model_blobs(m, 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert(kho_model_blob(m, 0, i, &name, &phys, &size));
		luo |= !strcmp(name, "LUO");
	}
	ck_assert(luo);
	ck_assert(!kho_model_blob(m, 0, n, &name, &phys, &size));
	ck_assert_str_eq(kho_model_luo_format(m, 0), "luo-v5");
	ck_assert_uint_eq(kho_model_luo_sessions(m, 0), 1);
	ck_assert(kho_model_luo_session(m, 0, 0, &name, &phys, &nfiles));
	ck_assert_str_eq(name, "s");
	ck_assert_uint_eq(nfiles, 1);
	ck_assert(kho_model_luo_file(m, 0, 0, 0, &compat, &token, NULL, NULL));
	ck_assert_uint_eq(token, 1);
	ck_assert(!strncmp(compat, "memfd", 5));
	ck_assert(!kho_model_luo_file(m, 0, 0, 1, &compat, &token, NULL, NULL));
	ck_assert(!kho_model_luo_session(m, 0, 1, &name, NULL, NULL));
	/* past the end: zeros and empty strings, never a crash */
	ck_assert_str_eq(kho_model_candidate_compatible(m, 5), "");
	ck_assert_str_eq(kho_model_handover_compatible(m, 5), "");
	ck_assert_ptr_null(kho_model_luo_format(m, 5));
	ck_assert_uint_eq(kho_model_findings(m, 5), 0);
	kho_model_close(m);
}
END_TEST

/* An older caller's struct (shorter) reads as zeros past its end; a newer
 * caller's is refused only when it sets what this library does not know. */
START_TEST(test_opts_versioned)
{
	struct big {
		struct kho_model_opts o;
		uint64_t newer;
	} b;
	struct kho_error err;
	struct kho_model *m;

	memset(&b, 0, sizeof(b));
	b.o.size = offsetof(struct kho_model_opts, flags);
	b.o.flags = KHO_MODEL_FDT;    /* past the older caller's size: not read */
	b.o.fdt = 0x1000;
	m = kho_model_open(path, &b.o, &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_str_eq(kho_model_handover_found_by(m, 0), "scan");
	kho_model_close(m);

	memset(&b, 0, sizeof(b));
	b.o.size = sizeof(b);
	m = kho_model_open(path, &b.o, &err);
	ck_assert_msg(m, "%s", err.msg);
	kho_model_close(m);

	b.newer = 1;
	ck_assert_ptr_null(kho_model_open(path, &b.o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer than this libkho"));

	b.o.size = 1;
	ck_assert_ptr_null(kho_model_open(path, &b.o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
}
END_TEST

/* How many findings of @check handover 0 has, and the severity of the last. */
static size_t findings_of(const struct kho_model *m, const char *check, const char **sev)
{
	size_t n = 0;

	for (size_t i = 0; i < kho_model_findings(m, 0); i++) {
		const char *c, *s;

		ck_assert(kho_model_finding(m, 0, i, &c, &s, NULL, NULL));
		if (!strcmp(c, check)) {
			n++;
			*sev = s;
		}
	}
	return n;
}

/* -W/-E/-Wno- and --max-order, added at the end of the options: an older
 * caller's struct that ends before them is read without them. */
START_TEST(test_opts_severity)
{
	struct kho_model_severity up = { "scratch-unknown", KHO_SEV_ERROR };
	struct kho_model_severity off = { "scratch-unknown", KHO_SEV_OFF };
	struct kho_model_severity bad = { "scratch-unknwon", KHO_SEV_ERROR };
	struct kho_model_opts o = { .size = sizeof(o), .severities = &up, .nseverities = 1 };
	struct kho_error err;
	struct kho_model *m = kho_model_open(path, NULL, &err);
	const char *sev = NULL, *dflt = NULL;
	size_t counts[4];

	ck_assert_msg(m, "%s", err.msg);
	ck_assert_uint_eq(findings_of(m, "scratch-unknown", &dflt), 1);
	ck_assert_str_ne(dflt, "error");
	ck_assert_uint_eq(findings_of(m, "range-order", &sev), 0);
	kho_model_close(m);

	m = kho_model_open(path, &o, &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_uint_eq(findings_of(m, "scratch-unknown", &sev), 1);
	ck_assert_str_eq(sev, "error");
	kho_model_summary(m, counts);
	ck_assert_uint_eq(counts[KHO_SEV_ERROR], 1);
	kho_model_close(m);

	/* the older caller's size: the pointer past it is not read */
	o.size = offsetof(struct kho_model_opts, severities);
	m = kho_model_open(path, &o, &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_uint_eq(findings_of(m, "scratch-unknown", &sev), 1);
	ck_assert_str_eq(sev, dflt);
	kho_model_close(m);

	/* the later of two words on one check wins, as on the command line */
	struct kho_model_severity both[] = { up, off };

	o = (struct kho_model_opts){ .size = sizeof(o), .severities = both, .nseverities = 2,
				     .flags = KHO_MODEL_MAX_ORDER, .max_order = 2 };
	m = kho_model_open(path, &o, &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_uint_eq(findings_of(m, "scratch-unknown", &sev), 0);
	ck_assert_uint_gt(findings_of(m, "range-order", &sev), 0);    /* the order-4 folio */
	kho_model_close(m);

	o = (struct kho_model_opts){ .size = sizeof(o), .severities = &bad, .nseverities = 1 };
	ck_assert_ptr_null(kho_model_open(path, &o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "no check \"scratch-unknwon\""));
	o = (struct kho_model_opts){ .size = sizeof(o), .flags = 1u << 31 };
	ck_assert_ptr_null(kho_model_open(path, &o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "newer than this libkho"));
}
END_TEST

/* What a debugger read through the kernel's symbols: the handover there,
 * found by "symbols", and its tree root cross-checked. */
START_TEST(test_opts_kernel)
{
	struct kho_model_opts o = { .size = sizeof(o), .flags = KHO_MODEL_KERNEL };
	struct kho_error err;
	struct kho_model *m = kho_model_open(path, NULL, &err), *k;
	const char *sev;

	ck_assert_msg(m, "%s", err.msg);
	ck_assert_ptr_null(kho_model_open(path, &o, &err));     /* names no handover */
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
	o.kernel_fdt = kho_model_handover_fdt(m, 0);
	o.flags |= KHO_MODEL_OUT_TREE;
	o.kernel_out_tree = kho_model_handover_map(m, 0);
	k = kho_model_open(path, &o, &err);
	ck_assert_msg(k, "%s", err.msg);
	ck_assert_str_eq(kho_model_handover_found_by(k, 0), "symbols");
	ck_assert_uint_eq(kho_model_handover_keys(k, 0), kho_model_handover_keys(m, 0));
	ck_assert_uint_eq(kho_model_findings(k, SIZE_MAX), kho_model_findings(m, SIZE_MAX));
	kho_model_close(k);
	/* a root that is not the FDT's: the cross-check says so */
	o.kernel_out_tree += 0x1000;
	k = kho_model_open(path, &o, &err);
	ck_assert_msg(k, "%s", err.msg);
	ck_assert_uint_eq(findings_of(k, "fdt-memory-map", &sev), 1);
	kho_model_close(k);
	kho_model_close(m);
}
END_TEST

/* --fdt as the tool takes it: the handover named, and a page that holds
 * no FDT refused as the tool refuses it. */
START_TEST(test_named_fdt)
{
	struct kho_model_opts o = { .size = sizeof(o), .flags = KHO_MODEL_FDT };
	struct kho_error err;
	struct kho_model *m = kho_model_open(path, NULL, &err);
	struct kho_model *n;

	ck_assert_msg(m, "%s", err.msg);
	o.fdt = kho_model_handover_fdt(m, 0);
	n = kho_model_open(path, &o, &err);
	ck_assert_msg(n, "%s", err.msg);
	ck_assert_str_eq(kho_model_handover_found_by(n, 0), "--fdt");
	ck_assert_uint_eq(kho_model_handover_keys(n, 0), kho_model_handover_keys(m, 0));
	kho_model_close(n);
	kho_model_close(m);
	o.fdt = 0x2000;
	ck_assert_ptr_null(kho_model_open(path, &o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "no FDT there"));
}
END_TEST

START_TEST(test_no_handover)
{
	char empty[] = "/tmp/check_model_empty.XXXXXX";
	struct kho_model_opts o = { .size = sizeof(o), .page_size = 4096 };
	struct kho_error err;
	int fd = mkstemp(empty);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	ck_assert_ptr_null(kho_model_open(empty, &o, &err));
	ck_assert_int_eq(err.status, KHO_ERR_NODATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "no KHO FDT found"));
	ck_assert_ptr_null(kho_model_open(NULL, &o, &err));
	ck_assert_ptr_null(kho_model_open_source(NULL, &o, &err));
	unlink(empty);
	kho_model_close(NULL);
}
END_TEST

/* An open source: the same model, its page size as the source says. */
START_TEST(test_open_source)
{
	struct kho_source_opts so = { .page_size = 4096 };
	struct kho_source *src;
	struct kho_error err;
	struct kho_model *m, *f;
	struct kho_report *r;
	size_t mc[4], rc[4];

	ck_assert_msg(kho_source_open(path, &so, &src, &err) == KHO_OK, "%s", err.msg);
	m = kho_model_open_source(src, NULL, &err);
	ck_assert_msg(m, "%s", err.msg);
	ck_assert_ptr_eq(kho_model_source(m), src);
	ck_assert_ptr_null(kho_model_page_size_from(m));
	f = kho_model_open(path, NULL, &err);
	ck_assert_msg(f, "%s", err.msg);
	ck_assert_uint_eq(kho_model_handover_keys(m, 0), kho_model_handover_keys(f, 0));
	/* the report runs the same session: the same verdict */
	ck_assert_int_eq(kho_report_run(src, false, 0, NULL, 0, &r, &err), KHO_OK);
	kho_model_summary(m, mc);
	kho_report_summary(r, rc);
	ck_assert_mem_eq(mc, rc, sizeof(mc));
	ck_assert_int_eq(kho_model_partial(m), kho_report_partial(r));
	ck_assert_uint_eq(kho_report_keys(r, 0), kho_model_handover_keys(m, 0));
	kho_report_free(r);
	kho_model_close(f);
	kho_model_close(m);
	kho_source_close(src);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_walk_and_lookup);
	tcase_add_test(tc, test_luo_and_blobs);
	tcase_add_test(tc, test_opts_versioned);
	tcase_add_test(tc, test_opts_severity);
	tcase_add_test(tc, test_opts_kernel);
	tcase_add_test(tc, test_named_fdt);
	tcase_add_test(tc, test_no_handover);
	tcase_add_test(tc, test_open_source);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
