// SPDX-License-Identifier: MIT
/*
 * The LUO reader and checks on LUO state built by hand, byte by byte from
 * docs/luo.md, into the memory of a reference image (not by the
 * generator's LUO code, so that each side checks the other): a luo-v5
 * root, a session block chain, a file chain, a memfd-v2 record with a
 * folio array behind a kho_vmalloc, folios of orders 2 and 0, another
 * handler's file and an FLB page; then one damage at a time, each named
 * by the check and address docs/luo.md gives.
 */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/internal.h"
#include "kho/ref.h"
#include "ref/ref_internal.h"
#include "util/util.h"
#include "suite.h"

static char dir[64];

#define SESSIONS 0x2000000ull     /* session block */
#define FILES    0x2001000ull     /* file block of session "vm-1" */
#define MEMFD    0x2002000ull     /* memfd-v2 record */
#define CHUNK    0x2003000ull     /* the folio array's vmalloc chunk */
#define ARRAY    0x2004000ull     /* its one run: the folio records */
#define FLB      0x2005000ull
#define OTHER    0x2006000ull     /* a second memfd record (empty) */
#define FOLIO0   0x2010000ull     /* order 2: file pages 0-3 */
#define FOLIO1   0x2020000ull     /* order 0: file page 4 */

static const char spec[] =
	"abi kho-v4\n"
	"ram 0 64M\n"
	"scratch 0x100000 1M\n"
	"alloc 0x3000000 16M\n"
	"folio 0x2000000 0\nfolio 0x2001000 0\nfolio 0x2002000 0\nfolio 0x2003000 0\n"
	"folio 0x2004000 0\nfolio 0x2005000 0\nfolio 0x2006000 0\n"
	"folio 0x2010000 2\nfolio 0x2020000 0\n";
/* blob-size of the LUO sub-node: struct luo_ser's 32 unless a test says */
static unsigned luo_blob_size = 32;

typedef void (*damage_fn)(struct kho_ref *ref);

static void put(struct kho_ref *ref, uint64_t phys, const void *p, size_t n)
{
	ck_assert_int_eq(mem_write(&ref->mem, phys, p, n, NULL), KHO_OK);
}

static void put64(struct kho_ref *ref, uint64_t phys, uint64_t v)
{
	uint8_t b[8];

	store_u64(b, v, false);
	put(ref, phys, b, 8);
}

static void put_str(struct kho_ref *ref, uint64_t phys, const char *s, size_t field)
{
	uint8_t b[64] = { 0 };

	memcpy(b, s, strlen(s));
	put(ref, phys, b, field);
}

static uint64_t luo_blob(const struct kho_ref *ref)
{
	for (size_t i = 0; i < ref->nblobs; i++)
		if (!strcmp(ref->blobs[i].name, "LUO"))
			return ref->blobs[i].phys;
	ck_abort_msg("no LUO blob");
	return 0;
}

/* The state docs/luo.md describes, written field by field. */
static void plant(struct kho_ref *ref)
{
	uint64_t root = luo_blob(ref);
	uint8_t b[16] = { 0 };

	put_str(ref, root, "luo-v5", 8);
	put64(ref, root + 8, 3);                    /* liveupdate_num */
	put64(ref, root + 16, SESSIONS);
	put64(ref, root + 24, FLB);
	put64(ref, SESSIONS, 0);                    /* next */
	put64(ref, SESSIONS + 8, 2);                /* count */
	put_str(ref, SESSIONS + 16, "vm-1", 64);
	put64(ref, SESSIONS + 16 + 64, FILES);
	put64(ref, SESSIONS + 16 + 72, 2);
	put_str(ref, SESSIONS + 96, "empty", 64);  /* no files */
	put64(ref, FILES, 0);
	put64(ref, FILES + 8, 2);
	put_str(ref, FILES + 16, "memfd-v2", 48);
	put64(ref, FILES + 16 + 48, MEMFD);
	put64(ref, FILES + 16 + 56, 0x64);
	put_str(ref, FILES + 80, "memfd-v2", 48);
	put64(ref, FILES + 80 + 48, OTHER);
	put64(ref, FILES + 80 + 56, 0x65);
	put64(ref, MEMFD, 0x100);                   /* pos */
	put64(ref, MEMFD + 8, 0x5000);              /* size: pages 0-4 */
	b[0] = 0x0c;                                /* seals: GROW | WRITE */
	put(ref, MEMFD + 16, b, 8);                 /* seals, flags 0 */
	put64(ref, MEMFD + 24, 2);                  /* nr_folios */
	put64(ref, MEMFD + 32, CHUNK);              /* kho_vmalloc.first */
	b[0] = 1, b[4] = 1;                         /* total_pages 1, flags ALLOC, order 0 */
	put(ref, MEMFD + 40, b, 8);
	put64(ref, CHUNK, 0);
	put64(ref, CHUNK + 8, ARRAY);
	put64(ref, CHUNK + 16, 0);
	put64(ref, ARRAY, FOLIO0 / 4096 | 3ull << 52);
	put64(ref, ARRAY + 8, 0);
	put64(ref, ARRAY + 16, FOLIO1 / 4096 | 1ull << 52);
	put64(ref, ARRAY + 24, 4);
	for (int i = 0; i < 5; i++) {               /* the file's bytes */
		uint8_t page[4096];

		memset(page, 'a' + i, sizeof(page));
		put(ref, i < 4 ? FOLIO0 + i * 4096ull : FOLIO1, page, sizeof(page));
	}
	put64(ref, FLB, 1);
	put64(ref, FLB + 8, 1);
	put_str(ref, FLB + 16, "iommu-v1", 48);
	put64(ref, FLB + 16 + 48, 0x77);
	put64(ref, FLB + 16 + 56, 1);
}

struct image {
	struct kho_source *src;
	struct kho_inspection in;
	uint64_t root;
};

static struct image inspect(damage_fn damage, const char *extra)
{
	char text[2048], path[128];
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	struct kho_verify_opts o = { 0 };
	struct kho_scratch_area sc = { 0x100000, 1 << 20 };
	struct image im = { 0 };
	uint64_t fdt;

	/* a test that writes its own kexec-metadata opts out of kho_init's */
	int machine_len = (int)(strstr(spec, "folio") - spec);

	snprintf(text, sizeof(text), "%.*s%s%sblob LUO raw %u 0\n%s", machine_len, spec,
		 extra && strstr(extra, "kexec-metadata") ? "kexec-metadata none\n" : "",
		 spec + machine_len, luo_blob_size, extra ? extra : "");
	snprintf(path, sizeof(path), "%s/m.elf", dir);
	ck_assert_msg(kho_spec_run_buffer("t.spec", text, strlen(text), &res, &err) == KHO_OK,
		      "%s", err.msg);
	plant(res.ref);
	if (damage)
		damage(res.ref);
	im.root = luo_blob(res.ref);
	ck_assert_msg(kho_ref_write(res.ref, KHO_IMAGE_ELF, path, NULL, &err) == KHO_OK, "%s",
		      err.msg);
	fdt = kho_ref_fdt_phys(res.ref);
	kho_ref_free(res.ref);
	ck_assert_msg(kho_source_open(path, NULL, &im.src, &err) == KHO_OK, "%s", err.msg);
	o.scratch = &sc;
	o.nscratch = 1;
	ck_assert_msg(kho_inspect(im.src, fdt, &o, &im.in, &err) == KHO_OK, "%s", err.msg);
	return im;
}

static void done(struct image *im)
{
	kho_inspection_free(&im->in);
	kho_source_close(im->src);
}

/* The findings of checks starting "luo-" or "blob-", as "check@0xphys" lines. */
static void luo_findings(const struct image *im, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < im->in.findings.n; i++) {
		const struct kho_finding *x = &im->in.findings.v[i];

		if (strncmp(x->check->name, "luo-", 4) && strncmp(x->check->name, "blob-", 5))
			continue;
		if (n + 64 > len)
			break;
		n += (size_t)snprintf(out + n, len - n, "%s%s@0x%llx", n ? " " : "",
				      x->check->name, (unsigned long long)x->phys);
	}
}

static void expect(damage_fn damage, const char *extra, const char *want)
{
	struct image im = inspect(damage, extra);
	char got[1024];

	luo_findings(&im, got, sizeof(got));
	ck_assert_msg(!strcmp(got, want), "got \"%s\", want \"%s\"", got, want);
	done(&im);
}

START_TEST(a_clean_v5_state_reads_back)
{
	struct image im = inspect(NULL, NULL);
	const struct kho_luo *l = &im.in.luo;
	const struct kho_luo_memfd *m;
	char got[1024];

	luo_findings(&im, got, sizeof(got));
	ck_assert_msg(!*got, "findings on the clean state: %s", got);
	ck_assert_int_eq(l->format, KHO_LUO_V5);
	ck_assert_uint_eq(l->phys, im.root);
	ck_assert_uint_eq(l->liveupdate_num, 3);
	ck_assert_uint_eq(l->nsessions, 2);
	ck_assert_str_eq(l->session[0].name, "vm-1");
	ck_assert_str_eq(l->session[1].name, "empty");
	ck_assert_uint_eq(l->session[1].nfiles, 0);
	ck_assert_uint_eq(l->session[0].nfiles, 2);
	ck_assert_str_eq(l->session[0].file[0].compatible, "memfd-v2");
	ck_assert_uint_eq(l->session[0].file[0].token, 0x64);
	ck_assert_str_eq(l->session[0].file[1].compatible, "memfd-v2");
	ck_assert_ptr_nonnull(l->session[0].file[1].memfd);
	ck_assert_uint_eq(l->session[0].file[1].memfd->nfolios, 0);
	m = l->session[0].file[0].memfd;
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->version, 2);
	ck_assert_uint_eq(m->size, 0x5000);
	ck_assert_uint_eq(m->pos, 0x100);
	ck_assert_uint_eq(m->seals, 0xc);
	ck_assert_uint_eq(m->nfolios, 2);
	ck_assert(m->complete);
	ck_assert_uint_eq(m->folios[0].pfn, FOLIO0 / 4096);
	ck_assert_int_eq(m->folios[0].order, 2);
	ck_assert_int_eq(m->folios[1].order, 0);
	ck_assert_uint_eq(m->folios[1].index, 4);
	ck_assert_uint_eq(l->nflbs, 1);
	ck_assert_str_eq(l->flb[0].name, "iommu-v1");
	ck_assert_uint_eq(l->flb[0].count, 1);
	done(&im);
}
END_TEST

static void wrong_compatible(struct kho_ref *r) { put_str(r, luo_blob(r), "luo-v9", 8); }
static void garbage(struct kho_ref *r) { put_str(r, luo_blob(r), "ZZZZZZZ", 8); }
static void count0(struct kho_ref *r) { put64(r, FILES + 8, 0); }
static void capacity(struct kho_ref *r) { put64(r, SESSIONS + 8, 52); }
static void cycle(struct kho_ref *r) { put64(r, FILES, FILES); }
static void misaligned(struct kho_ref *r) { put64(r, SESSIONS, FILES + 8); }
static void empty_name(struct kho_ref *r) { put_str(r, SESSIONS + 96, "", 64); }
static void duplicate(struct kho_ref *r) { put_str(r, SESSIONS + 96, "vm-1", 64); }
static void session_count(struct kho_ref *r) { put64(r, SESSIONS + 16 + 72, 3); }
static void unterminated(struct kho_ref *r)
{
	put(r, FILES + 80, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 48);
}
static void data0(struct kho_ref *r) { put64(r, FILES + 80 + 48, 0); }
/* 7.2/7.3 have only memfd-v2: another handler fails the whole session */
static void vfio(struct kho_ref *r) { put_str(r, FILES + 80, "vfio-pci-v1", 48); }
static void memfd_v1(struct kho_ref *r) { put_str(r, FILES + 80, "memfd-v1", 48); }
static void composite(struct kho_ref *r) { put_str(r, FILES + 80, "memfd-v2;vmalloc-v1", 48); }
static void seals(struct kho_ref *r) { put64(r, MEMFD + 16, 0x40); }
static void nr_folios(struct kho_ref *r) { put64(r, MEMFD + 24, 257); }
static void outside(struct kho_ref *r) { put64(r, ARRAY + 16, 0x8000000 / 4096); }
static void beyond(struct kho_ref *r) { put64(r, ARRAY + 24, 5); }
static void overlap(struct kho_ref *r) { put64(r, ARRAY + 24, 3); }
/* nr_folios 4: records 2 and 3 are zeros, pfn 0 (and index 0, where folio
 * 0 is): memfd_luo_retrieve_folios() (7.2.13, 7.3-rc7) skips them */
static void zero_records(struct kho_ref *r) { put64(r, MEMFD + 24, 4); }

START_TEST(each_damage_is_named_where_docs_say)
{
	char want[256];

	{
		struct image im = inspect(wrong_compatible, NULL);
		char got[1024];

		luo_findings(&im, got, sizeof(got));
		snprintf(want, sizeof(want), "luo-format@0x%llx", (unsigned long long)im.root);
		ck_assert_str_eq(got, want);
		ck_assert_int_eq(im.in.luo.format, KHO_LUO_NONE);
		done(&im);
	}
	expect(count0, NULL, "luo-block@0x2001000");
	expect(capacity, NULL, "luo-block@0x2000000");
	expect(cycle, NULL, "luo-block@0x2001000");
	expect(misaligned, NULL, "luo-block@0x2000000");
	expect(empty_name, NULL, "luo-session@0x2000060");
	expect(duplicate, NULL, "luo-session@0x2000060");
	expect(session_count, NULL, "luo-session@0x2000010");
	expect(unterminated, NULL, "luo-file@0x2001050");
	expect(data0, NULL, "luo-file@0x2001050");
	expect(vfio, NULL, "luo-file@0x2001050");
	expect(memfd_v1, NULL, "luo-file@0x2001050");
	expect(composite, NULL, "luo-file@0x2001050");
	expect(seals, NULL, "luo-memfd@0x2002000");
	expect(nr_folios, NULL, "luo-memfd@0x2002000");
	expect(outside, NULL, "luo-memfd@0x2004010");
	expect(beyond, NULL, "luo-memfd@0x2004010");
	expect(overlap, NULL, "luo-memfd@0x2004010");
	expect(zero_records, NULL, "");
	/* unpreserved: a block, the record, a folio, the chunk, the FLB page */
	expect(NULL, "unpreserve 0x2001000 0\n", "luo-not-preserved@0x2001000");
	expect(NULL, "unpreserve 0x2002000 0\n", "luo-not-preserved@0x2002000");
	expect(NULL, "unpreserve 0x2010000 2\n", "luo-not-preserved@0x2010000");
	expect(NULL, "unpreserve 0x2003000 0\n", "luo-not-preserved@0x2003000");
	expect(NULL, "unpreserve 0x2005000 0\n", "luo-not-preserved@0x2005000");
	/* a folio inside a larger key, not the start of its own: covered, so
	 * blob-key-start, not luo-not-preserved */
	expect(NULL, "unpreserve 0x2020000 0\nfolio 0x2000000 9\n",
	       "blob-key-start@0x2020000");
}
END_TEST

/*
 * luo-v1 (7.1): the blob is an FDT naming a 16-page session array and an
 * FLB page; each session's files are a 2-page array; memfd-v1 records
 * have no seals or flags. Built with libfdt into the LUO blob's page.
 */
#define V1_SESSIONS 0x2040000ull   /* order 4 */
#define V1_FILES    0x2060000ull   /* order 1 */

static const char spec_v1[] =
	"abi kho-v3\n"
	"ram 0 64M\n"
	"scratch 0x100000 1M\n"
	"alloc 0x3000000 16M\n"
	"folio 0x2002000 0\nfolio 0x2003000 0\nfolio 0x2004000 0\nfolio 0x2005000 0\n"
	"folio 0x2010000 2\nfolio 0x2040000 4\nfolio 0x2060000 1\n"
	"blob LUO raw 4096 0\n";

static void plant_v1(struct kho_ref *ref)
{
	uint64_t root = luo_blob(ref);
	uint8_t fdt[4096], b[16] = { 0 };
	uint64_t v;

	ck_assert_int_eq(fdt_create(fdt, sizeof(fdt)), 0);
	ck_assert_int_eq(fdt_finish_reservemap(fdt), 0);
	ck_assert_int_eq(fdt_begin_node(fdt, ""), 0);
	ck_assert_int_eq(fdt_property_string(fdt, "compatible", "luo-v1"), 0);
	v = 5;
	ck_assert_int_eq(fdt_property(fdt, "liveupdate-number", &v, 8), 0);
	ck_assert_int_eq(fdt_begin_node(fdt, "luo-session"), 0);
	ck_assert_int_eq(fdt_property_string(fdt, "compatible", "luo-session-v1"), 0);
	v = V1_SESSIONS;
	ck_assert_int_eq(fdt_property(fdt, "luo-session-header", &v, 8), 0);
	ck_assert_int_eq(fdt_end_node(fdt), 0);
	ck_assert_int_eq(fdt_begin_node(fdt, "luo-flb"), 0);
	ck_assert_int_eq(fdt_property_string(fdt, "compatible", "luo-flb-v1"), 0);
	v = FLB;
	ck_assert_int_eq(fdt_property(fdt, "luo-flb-header", &v, 8), 0);
	ck_assert_int_eq(fdt_end_node(fdt), 0);
	ck_assert_int_eq(fdt_end_node(fdt), 0);
	ck_assert_int_eq(fdt_finish(fdt), 0);
	put(ref, root, fdt, fdt_totalsize(fdt));
	put64(ref, V1_SESSIONS, 1);
	put_str(ref, V1_SESSIONS + 8, "db", 64);
	put64(ref, V1_SESSIONS + 8 + 64, V1_FILES);
	put64(ref, V1_SESSIONS + 8 + 72, 1);
	put_str(ref, V1_FILES, "memfd-v1", 48);
	put64(ref, V1_FILES + 48, MEMFD);
	put64(ref, V1_FILES + 56, 9);
	put64(ref, MEMFD, 0);
	put64(ref, MEMFD + 8, 0x1000);             /* one page */
	put64(ref, MEMFD + 16, 1);                 /* nr_folios */
	put64(ref, MEMFD + 24, CHUNK);
	b[0] = 1, b[4] = 1;
	put(ref, MEMFD + 32, b, 8);
}

START_TEST(a_clean_v1_state_reads_back)
{
	char text[2048], path[128], got[1024];
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	struct kho_verify_opts o = { 0 };
	struct kho_scratch_area sc = { 0x100000, 1 << 20 };
	struct image im = { 0 };
	const struct kho_luo *l;

	/* the v5 pages planted (chunk, array, folios, FLB), then v1 over the root */
	snprintf(text, sizeof(text), "%s", spec_v1);
	snprintf(path, sizeof(path), "%s/v1.elf", dir);
	ck_assert_msg(kho_spec_run_buffer("v1.spec", text, strlen(text), &res, &err) == KHO_OK,
		      "%s", err.msg);
	plant(res.ref);
	plant_v1(res.ref);
	ck_assert_int_eq(kho_ref_write(res.ref, KHO_IMAGE_ELF, path, NULL, &err), KHO_OK);
	im.root = kho_ref_fdt_phys(res.ref);
	kho_ref_free(res.ref);
	ck_assert_int_eq(kho_source_open(path, NULL, &im.src, &err), KHO_OK);
	o.scratch = &sc;
	o.nscratch = 1;
	ck_assert_int_eq(kho_inspect(im.src, im.root, &o, &im.in, &err), KHO_OK);
	luo_findings(&im, got, sizeof(got));
	ck_assert_msg(!*got, "findings on the clean v1 state: %s", got);
	l = &im.in.luo;
	ck_assert_int_eq(l->format, KHO_LUO_V1);
	ck_assert_uint_eq(l->liveupdate_num, 5);
	ck_assert_uint_eq(l->nsessions, 1);
	ck_assert_str_eq(l->session[0].name, "db");
	ck_assert_uint_eq(l->session[0].nfiles, 1);
	ck_assert_uint_eq(l->session[0].file[0].token, 9);
	ck_assert_ptr_nonnull(l->session[0].file[0].memfd);
	ck_assert_uint_eq(l->session[0].file[0].memfd->version, 1);
	ck_assert_uint_eq(l->session[0].file[0].memfd->nfolios, 1);
	ck_assert_int_eq(l->session[0].file[0].memfd->folios[0].order, 2);
	ck_assert_uint_eq(l->nflbs, 1);
	done(&im);
}
END_TEST

/* A LUO blob that is neither format: luo-format, nothing decoded. */
START_TEST(a_blob_of_no_luo_format_is_an_error)
{
	struct image im = inspect(garbage, NULL);
	char got[1024], want[64];

	luo_findings(&im, got, sizeof(got));
	snprintf(want, sizeof(want), "luo-format@0x%llx", (unsigned long long)im.root);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(im.in.luo.format, KHO_LUO_NONE);
	ck_assert_uint_eq(im.in.luo.nsessions, 0);
	done(&im);
}
END_TEST

/* luo_core.c (7.2.13, 7.3-rc7) refuses a LUO blob smaller than struct
 * luo_ser and reads a larger one: 64 bytes decode as 32 do. */
START_TEST(a_v5_root_larger_than_32_bytes_is_read)
{
	struct image im;
	char got[1024];

	luo_blob_size = 64;
	im = inspect(NULL, NULL);
	luo_findings(&im, got, sizeof(got));
	ck_assert_msg(!strcmp(got, ""), "got \"%s\"", got);
	ck_assert_int_eq(im.in.luo.format, KHO_LUO_V5);
	ck_assert_uint_eq(im.in.luo.nsessions, 2);
	done(&im);
	luo_blob_size = 16;
	im = inspect(NULL, NULL);
	luo_findings(&im, got, sizeof(got));
	ck_assert_msg(strstr(got, "luo-format@"), "got \"%s\"", got);
	ck_assert_int_eq(im.in.luo.format, KHO_LUO_NONE);
	done(&im);
	luo_blob_size = 32;
}
END_TEST

/* kexec-metadata as 7.3 reads it: blob-size >= 4, version 1, then >= 73. */
static uint64_t blob_named(struct kho_ref *r, const char *name)
{
	for (size_t i = 0; i < r->nblobs; i++)
		if (!strcmp(r->blobs[i].name, name))
			return r->blobs[i].phys;
	ck_abort_msg("no blob %s", name);
	return 0;
}

static void kexec_version1(struct kho_ref *r)
{
	uint8_t v[4] = { 1, 0, 0, 0 };

	put(r, blob_named(r, "kexec-metadata"), v, 4);
}

static void kexec_findings(const char *extra, damage_fn damage, const char *want_msg)
{
	struct image im = inspect(damage, extra);
	size_t n = 0;

	for (size_t i = 0; i < im.in.findings.n; i++)
		if (!strcmp(im.in.findings.v[i].check->name, "blob-kexec-metadata")) {
			n++;
			ck_assert_msg(want_msg && strstr(im.in.findings.v[i].message, want_msg),
				      "%s: %s", extra, im.in.findings.v[i].message);
		}
	ck_assert_uint_eq(n, want_msg ? 1 : 0);
	done(&im);
}

START_TEST(kexec_metadata_sizes_as_73_reads_them)
{
	kexec_findings("blob kexec-metadata raw 3 1\n", NULL, "cannot hold the version");
	kexec_findings("blob kexec-metadata raw 40 0\n", kexec_version1,
		       "less than the 73 bytes");
	kexec_findings("blob kexec-metadata raw 40 0\n", NULL, "version 0 is not 1");
	/* larger than 73 with a terminated release: as 7.3 accepts it */
	kexec_findings("blob kexec-metadata raw 100 0\n", kexec_version1, NULL);
}
END_TEST

START_TEST(memfd_paths_escape_what_a_file_name_cannot_hold)
{
	char p[256];

	kho_luo_memfd_path(p, sizeof(p), "vm-1", 0x64);
	ck_assert_str_eq(p, "luo/vm-1/0x64.memfd");
	kho_luo_memfd_path(p, sizeof(p), "../a b/.c", 0);
	ck_assert_str_eq(p, "luo/%2E.%2Fa%20b%2F.c/0x0.memfd");
}
END_TEST

/* kho-abi.md §6a: `u64 pfn:52, flags:12`, DIRTY and UPTODATE the flags'
 * bits 0 and 1; bitfields start at the least significant bit on
 * little-endian and at the most significant on big-endian. The record is
 * written as each CPU would store it and read back through the dump's
 * byte order. */
START_TEST(memfd_folio_bitfield_in_both_byte_orders)
{
	const uint64_t pfn = 0x123456789ull, flags = 3;   /* DIRTY | UPTODATE */
	uint8_t rec[8];
	uint64_t got_pfn;
	uint16_t got_flags;

	store_u64(rec, pfn | flags << 52, false);
	kho_luo_folio_word(load_u64(rec, false), false, &got_pfn, &got_flags);
	ck_assert_uint_eq(got_pfn, pfn);
	ck_assert_uint_eq(got_flags, flags);
	/* a big-endian CPU: the pfn in the high 52 bits, the first bytes */
	store_u64(rec, pfn << 12 | flags, true);
	ck_assert_uint_eq(rec[0], (uint8_t)(pfn >> 44));
	kho_luo_folio_word(load_u64(rec, true), true, &got_pfn, &got_flags);
	ck_assert_uint_eq(got_pfn, pfn);
	ck_assert_uint_eq(got_flags, flags);
	/* the widest pfn, no flags */
	kho_luo_folio_word(~0ull << 12, true, &got_pfn, &got_flags);
	ck_assert_uint_eq(got_pfn, (1ull << 52) - 1);
	ck_assert_uint_eq(got_flags, 0);
}
END_TEST

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_luo.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

int main(void)
{
	Suite *s = suite_create("luo");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_clean_v5_state_reads_back);
	tcase_add_test(tc, each_damage_is_named_where_docs_say);
	tcase_add_test(tc, a_clean_v1_state_reads_back);
	tcase_add_test(tc, a_blob_of_no_luo_format_is_an_error);
	tcase_add_test(tc, a_v5_root_larger_than_32_bytes_is_read);
	tcase_add_test(tc, kexec_metadata_sizes_as_73_reads_them);
	tcase_add_test(tc, memfd_paths_escape_what_a_file_name_cannot_hold);
	tcase_add_test(tc, memfd_folio_bitfield_in_both_byte_orders);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
