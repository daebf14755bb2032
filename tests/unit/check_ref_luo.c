// SPDX-License-Identifier: MIT
/*
 * The LUO state kho-mkimage writes, read back from its simulated memory
 * the way docs/luo.md describes it (never through the generator's model):
 * the luo-v5 chains and luo-v1 arrays hold the spec's sessions and files
 * in order, every memfd record, folio record and folio is where its
 * pointers say, preserved as docs/luo.md requires, and holds the pattern
 * the extracted memfd files repeat. Spec errors name their line.
 */
#include <check.h>
#include <dirent.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kho/ref.h"
#include "suite.h"
#include "ref/ref_internal.h"
#include "util/util.h"

static struct kho_ref *run(const char *text)
{
	struct kho_spec_result res;
	struct kho_error err = { 0 };

	ck_assert_msg(kho_spec_run_buffer("t.spec", text, strlen(text), &res, &err) == KHO_OK,
		      "%s", err.msg);
	return res.ref;
}

static uint64_t u64(struct kho_ref *ref, uint64_t phys)
{
	uint8_t raw[8];

	mem_read(&ref->mem, phys, raw, 8);
	return load_u64(raw, false);
}

static bool key_at(struct kho_ref *ref, uint64_t phys, unsigned order)
{
	return radix_test(ref, kho_key_encode(&ref->geo, phys, order));
}

/* A machine of @page-byte pages with @nsessions sessions, @nfiles memfds
 * in the first (each one order-0 folio at index token % 4), and a memfd
 * with folios of orders 0, 2 and 4 in the second. */
static char *v5_spec(uint64_t page, size_t nsessions, size_t nfiles)
{
	size_t cap = 64 * 1024 + (nsessions + 2 * nfiles) * 48, n = 0;
	char *t = malloc(cap);

	n += (size_t)snprintf(t + n, cap - n,
			      "abi kho-v4\npage-size %llu\nram 0 1G\nalloc 0x20000000 256M\n"
			      "luo v5 7\n", (unsigned long long)page);
	for (size_t i = 0; i < nsessions; i++)
		n += (size_t)snprintf(t + n, cap - n, "luo-session s%zu\n", i);
	for (size_t k = 1; k <= nfiles; k++)
		n += (size_t)snprintf(t + n, cap - n, "luo-memfd s0 %zu %llu 0 12\n"
				      "luo-folio s0 %zu %zu 0\n", k,
				      (unsigned long long)(4 * page), k, k % 4);
	snprintf(t + n, cap - n, "luo-memfd s1 0x100 %llu 0x10 1\nluo-folio s1 0x100 0 4\n"
		 "luo-folio s1 0x100 16 2\nluo-folio s1 0x100 20 0\nluo-file s1 0x101 iommufd-v1\n"
		 "luo-flb iommu-v1 3\n", (unsigned long long)(64 * page));
	return t;
}

/* The entries of a v5 chain, in order; every block preserved, counts in range. */
static size_t read_chain(struct kho_ref *ref, uint64_t head, size_t entry, uint64_t *out,
			 size_t max, size_t *nblocks)
{
	uint64_t cap = (ref->geo.page_size - 16) / entry;
	size_t n = 0;

	for (*nblocks = 0; head; head = u64(ref, head), ++*nblocks) {
		uint64_t count = u64(ref, head + 8);

		ck_assert(key_at(ref, head, 0));
		ck_assert_uint_ge(count, 1);
		ck_assert_uint_le(count, cap);
		for (uint64_t i = 0; i < count && n < max; i++)
			out[n++] = head + 16 + i * entry;
	}
	return n;
}

/* A memfd record of @size bytes: its folio records, folios and contents. */
static void check_memfd(struct kho_ref *ref, uint64_t rec, bool v2, const char *session,
			uint64_t token, size_t want_folios)
{
	uint64_t p = ref->geo.page_size, off = v2 ? 24 : 16;
	uint64_t nr = u64(ref, rec + off), first = u64(ref, rec + off + 8);
	uint8_t *page = malloc(p), *want = malloc(p);

	ck_assert(key_at(ref, rec, 0));
	ck_assert_uint_eq(nr, want_folios);
	ck_assert(key_at(ref, first, 0));              /* the vmalloc chunk */
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t run = u64(ref, first + 8 + (i / (p / 16)) * 8);
		uint64_t pf = u64(ref, run + (i % (p / 16)) * 16);
		uint64_t index = u64(ref, run + (i % (p / 16)) * 16 + 8);
		uint64_t phys = (pf & ((1ull << 52) - 1)) * p;
		unsigned order = 0;

		ck_assert_uint_eq(pf >> 52, 3);            /* DIRTY | UPTODATE */
		while (!key_at(ref, phys, order) && order < 11)
			order++;
		ck_assert_uint_lt(order, 11);              /* one key starts at the folio */
		ck_assert_uint_eq(index % (1u << order), 0);
		for (uint64_t k = 0; k < (1u << order); k++) {
			mem_read(&ref->mem, phys + k * p, page, p);
			luo_page_pattern(session, token, index + k, want, p);
			ck_assert(!memcmp(page, want, p));
			ck_assert_uint_ne(page[0], 0);
		}
	}
	free(page);
	free(want);
}

/* luo-v5 on every page size: chains over several blocks, in spec order. */
START_TEST(v5_chains_hold_the_spec_in_order)
{
	static const uint64_t pages[] = { 4096, 16384, 65536 };
	uint64_t p = pages[_i], scap = (p - 16) / 80, fcap = (p - 16) / 64;
	size_t ns = (size_t)scap + 9, nf = _i == 2 ? 20 : (size_t)fcap + 7, n, nb, nfb;
	char *text = v5_spec(p, ns, nf);
	struct kho_ref *ref = run(text);
	/* [0] is kho_init's kexec-metadata (7.2+) */
	const struct ref_blob *b = &ref->blobs[1];
	uint64_t *sess = calloc(ns + 1, 8), *files = calloc(nf + 1, 8), flb;
	char name[80];

	ck_assert_str_eq(b->name, "LUO");
	ck_assert_uint_eq(b->size, 32);
	ck_assert(key_at(ref, b->phys, 0));
	mem_read(&ref->mem, b->phys, name, 8);
	ck_assert(!memcmp(name, "luo-v5\0\0", 8));
	ck_assert_uint_eq(u64(ref, b->phys + 8), 7);
	n = read_chain(ref, u64(ref, b->phys + 16), 80, sess, ns + 1, &nb);
	ck_assert_uint_eq(n, ns);
	ck_assert_uint_eq(nb, 2);
	for (size_t i = 0; i < ns; i++) {
		snprintf(name, sizeof(name), "s%zu", i);
		ck_assert_str_eq((char *)mem_page(&ref->mem, sess[i], false, NULL) +
				 (sess[i] & (p - 1)), name);
	}
	n = read_chain(ref, u64(ref, sess[0] + 64), 64, files, nf + 1, &nfb);
	ck_assert_uint_eq(n, nf);
	ck_assert_uint_eq(u64(ref, sess[0] + 72), nf);
	ck_assert_uint_eq(nfb, (nf + fcap - 1) / fcap);
	for (size_t k = 0; k < nf; k++) {
		uint8_t rec[48];

		ck_assert_uint_eq(u64(ref, files[k] + 56), k + 1);
		mem_read(&ref->mem, files[k], name, 48);
		ck_assert_str_eq(name, "memfd-v2");
		mem_read(&ref->mem, u64(ref, files[k] + 48), rec, 48);
		ck_assert_uint_eq(load_u64(rec + 8, false), 4 * p);
		ck_assert_uint_eq(load_u32(rec + 16, false), 12);
		ck_assert_uint_eq(load_u32(rec + 20, false), 0);
		check_memfd(ref, u64(ref, files[k] + 48), true, "s0", k + 1, 1);
	}
	n = read_chain(ref, u64(ref, sess[1] + 64), 64, files, nf + 1, &nfb);
	ck_assert_uint_eq(n, 2);
	check_memfd(ref, u64(ref, files[0] + 48), true, "s1", 0x100, 3);
	mem_read(&ref->mem, files[1], name, 48);
	ck_assert_str_eq(name, "iommufd-v1");
	ck_assert(key_at(ref, u64(ref, files[1] + 48), 0));
	ck_assert_uint_eq(u64(ref, sess[2] + 64), 0);    /* files == 0 with count == 0 */
	ck_assert_uint_eq(u64(ref, sess[2] + 72), 0);
	flb = u64(ref, b->phys + 24);
	ck_assert(key_at(ref, flb, 0));
	ck_assert_uint_eq(u64(ref, flb), 1);
	ck_assert_uint_eq(u64(ref, flb + 8), 1);
	ck_assert_uint_eq(u64(ref, flb + 16 + 56), 3);
	free(sess);
	free(files);
	free(text);
	kho_ref_free(ref);
}
END_TEST

static const char v1_text[] =
	"abi kho-v3\nram 0 128M\nalloc 0x4000000 32M\nluo v1 3\nluo-session vm-1\n"
	"luo-session vm-2\nluo-memfd vm-1 0x64 0x5800 0x1000\nluo-folio vm-1 0x64 0 2\n"
	"luo-folio vm-1 0x64 4 0\nluo-file vm-1 0x65 iommufd-v1\nluo-flb iommu-v1 2\n";

static uint64_t fdt_u64(const void *fdt, int node, const char *name)
{
	int len;
	const void *v = fdt_getprop(fdt, node, name, &len);

	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(len, 8);
	return load_u64(v, false);
}

/* luo-v1: a sound one-page FDT naming a 16-page array and 2-page file arrays. */
START_TEST(v1_fdt_and_arrays)
{
	struct kho_ref *ref = run(v1_text);
	const struct ref_blob *b = &ref->blobs[0];
	uint8_t *fdt = malloc(4096);
	uint64_t arr, fa;
	int node;

	ck_assert_uint_eq(b->size, 4096);
	mem_read(&ref->mem, b->phys, fdt, 4096);
	ck_assert_int_eq(fdt_check_full(fdt, 4096), 0);
	ck_assert_str_eq(fdt_getprop(fdt, 0, "compatible", NULL), "luo-v1");
	ck_assert_uint_eq(fdt_u64(fdt, 0, "liveupdate-number"), 3);
	node = fdt_subnode_offset(fdt, 0, "luo-session");
	ck_assert_str_eq(fdt_getprop(fdt, node, "compatible", NULL), "luo-session-v1");
	arr = fdt_u64(fdt, node, "luo-session-header");
	ck_assert(key_at(ref, arr, 4));
	ck_assert_uint_eq(u64(ref, arr), 2);
	ck_assert_str_eq((char *)mem_page(&ref->mem, arr, false, NULL) + 8 + 80, "vm-2");
	ck_assert_uint_eq(u64(ref, arr + 8 + 80 + 64), 0);
	fa = u64(ref, arr + 8 + 64);
	ck_assert(key_at(ref, fa, 1));
	ck_assert_uint_eq(u64(ref, arr + 8 + 72), 2);
	ck_assert_uint_eq(u64(ref, fa + 56), 0x64);
	ck_assert_uint_eq(u64(ref, u64(ref, fa + 48)), 0x1000);        /* pos */
	ck_assert_uint_eq(u64(ref, u64(ref, fa + 48) + 8), 0x5800);    /* size */
	check_memfd(ref, u64(ref, fa + 48), false, "vm-1", 0x64, 2);
	node = fdt_subnode_offset(fdt, 0, "luo-flb");
	ck_assert(key_at(ref, fdt_u64(fdt, node, "luo-flb-header"), 0));
	free(fdt);
	kho_ref_free(ref);
}
END_TEST

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* NAME.luo: size bytes, folio pages at index * P, zeros elsewhere; the
 * session name escaped; written again over an earlier tree. */
START_TEST(memfd_files_hold_the_folios)
{
	char dir[] = "/tmp/kho-unit-luo-XXXXXX", path[256], cmd[300];
	const char *text = "abi kho-v3\nram 0 64M\nluo v1\nluo-session .a/b%\n"
			   "luo-memfd .a/b% 0xAB 0x3800\nluo-folio .a/b% 0xAB 2 1\n";
	struct kho_ref *ref = run(text);
	struct kho_error err = { 0 };
	uint8_t want[4096];
	size_t len;
	char *data;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.luo", dir);
	for (int round = 0; round < 2; round++)
		ck_assert_msg(kho_ref_write(ref, KHO_IMAGE_LUO, path, NULL, &err) == KHO_OK,
			      "%s", err.msg);
	snprintf(path, sizeof(path), "%s/t.luo/%%2Ea%%2Fb%%25/0xab.memfd", dir);
	data = slurp(path, &len);
	ck_assert_uint_eq(len, 0x3800);
	for (size_t i = 0; i < 0x2000; i++)
		ck_assert_uint_eq((uint8_t)data[i], 0);
	luo_page_pattern(".a/b%", 0xab, 2, want, 4096);
	ck_assert(!memcmp(data + 0x2000, want, 4096));
	luo_page_pattern(".a/b%", 0xab, 3, want, 4096);
	ck_assert(!memcmp(data + 0x3000, want, 0x800));   /* cut at size */
	free(data);
	/* nothing else in the directory: no temporary left */
	snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s)\" = t.luo", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	kho_ref_free(ref);
}
END_TEST

START_TEST(spec_errors_name_the_line)
{
	static const char *const bad[][2] = {
		{ "abi kho-v2\nram 0 64M\nluo v1\n", "t.spec:3: luo v1 needs abi kho-v3" },
		{ "abi kho-v3\nram 0 64M\nluo v5\n", "t.spec:3: luo v5 needs abi kho-v4" },
		{ "ram 0 64M\nluo v2\n", "t.spec:2: luo \"v2\"" },
		{ "ram 0 64M\nluo v1\nluo v1\n", "t.spec:3: luo is given twice" },
		{ "ram 0 64M\nluo-session a\n", "t.spec:2: luo-session before luo" },
		{ "ram 0 64M\nluo v1\nluo-memfd a 1 4K\n", "t.spec:3: unknown session \"a\"" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-session a\n", "t.spec:4: session \"a\" exists" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 4K\nluo-file a 1 x-v1\n",
		  "t.spec:5: session \"a\" has a file with token 0x1" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 64K\nluo-folio a 1 2 2\n",
		  "t.spec:5: folio index 2 is not a multiple of 2^2" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 64K\nluo-folio a 1 0 11\n",
		  "t.spec:5: folio order 11 is above 10" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 8K\nluo-folio a 1 2 0\n",
		  "t.spec:5: folio pages 2+1 lie beyond" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 64K\nluo-folio a 1 0 2\n"
		  "luo-folio a 1 2 1\n", "t.spec:6: folio at index 2 overlaps the one at 0" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-memfd a 1 4K 0 4\n",
		  "t.spec:4: memfd-v1 (luo v1) has no seals" },
		{ "abi kho-v4\nram 0 64M\nluo v5\nluo-session a\nluo-memfd a 1 4K 0 0x40\n",
		  "t.spec:5: seals 0x40" },
		{ "ram 0 64M\nluo v1\nluo-session a\nluo-file a 1 memfd-v1\n",
		  "t.spec:4: handler memfd-v1" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kho_spec_result res;
		struct kho_error err = { 0 };

		ck_assert_int_eq(kho_spec_run_buffer("t.spec", bad[i][0], strlen(bad[i][0]), &res,
						     &err), KHO_ERR_INVALID);
		ck_assert_msg(strstr(err.msg, bad[i][1]), "%zu: got \"%s\", want \"%s\"", i,
			      err.msg, bad[i][1]);
	}
}
END_TEST

/* The same spec, byte for byte the same memory. */
START_TEST(deterministic)
{
	char *text = v5_spec(16384, 3, 5);
	struct kho_ref *a = run(text), *b = run(text);
	size_t na, nb;
	uint64_t *pa = mem_sorted_pfns(&a->mem, &na, NULL), *pb = mem_sorted_pfns(&b->mem, &nb, NULL);

	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(pa[i], pb[i]);
		ck_assert(!memcmp(mem_page(&a->mem, pa[i] << 14, false, NULL),
				  mem_page(&b->mem, pb[i] << 14, false, NULL), 16384));
	}
	free(pa);
	free(pb);
	free(text);
	kho_ref_free(a);
	kho_ref_free(b);
}
END_TEST

/*
 * luo_flb_setup_outgoing() (7.2/7.3) allocates the FLB area at boot, so
 * flbs_pa is never 0 even with no FLB: one preserved page, pgcnt 1,
 * count 0.
 */
START_TEST(v5_flb_area_without_flbs)
{
	struct kho_ref *ref = run("abi kho-v4\nram 0 1G\nalloc 0x20000000 256M\nluo v5\n"
				  "luo-session s\n");
	uint64_t flbs = u64(ref, ref->blobs[ref->luo->blob].phys + 24);

	ck_assert_uint_ne(flbs, 0);
	ck_assert(key_at(ref, flbs, 0));
	ck_assert_uint_eq(u64(ref, flbs), 1);
	ck_assert_uint_eq(u64(ref, flbs + 8), 0);
	kho_ref_free(ref);
}
END_TEST

static void count_key(void *ctx, uint64_t phys, unsigned order)
{
	(void)phys;
	(void)order;
	++*(size_t *)ctx;
}

/*
 * An FLB's data is what its preserve op returned: the kernel's liveupdate
 * test FLBs return 0xfeedf00dcafebee0 + i, no address. luo-flb NAME COUNT
 * DATA writes it as given and allocates no record for it.
 */
START_TEST(v5_flb_data_as_given)
{
	const char *base = "abi kho-v4\nram 0 1G\nalloc 0x20000000 256M\nluo v5 1\n";
	char text[256];
	struct kho_ref *ref, *rec;
	struct kho_error err = { 0 };
	size_t keys = 0, keys_rec = 0;
	uint64_t flbs;

	snprintf(text, sizeof(text), "%sluo-flb test-flb-v0 3 0xfeedf00dcafebee0\n", base);
	ref = run(text);
	flbs = u64(ref, ref->blobs[ref->luo->blob].phys + 24);
	ck_assert_uint_eq(u64(ref, flbs + 8), 1);
	ck_assert_uint_eq(u64(ref, flbs + 16 + 48), 0xfeedf00dcafebee0ULL);
	ck_assert_uint_eq(u64(ref, flbs + 16 + 56), 3);
	snprintf(text, sizeof(text), "%sluo-flb test-flb-v0 3\n", base);
	rec = run(text);
	flbs = u64(rec, rec->blobs[rec->luo->blob].phys + 24);
	ck_assert(key_at(rec, u64(rec, flbs + 16 + 48), 0));
	ck_assert_int_eq(kho_ref_walk(ref, count_key, &keys, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_walk(rec, count_key, &keys_rec, &err), KHO_OK);
	ck_assert_uint_eq(keys + 1, keys_rec);
	kho_ref_free(rec);
	kho_ref_free(ref);
}
END_TEST

/*
 * kho_add_subtree() adds each sub-node with fdt_add_subnode(), which puts
 * it before the existing children: the KHO FDT lists them newest first.
 */
START_TEST(subnodes_newest_first)
{
	struct kho_ref *ref = run("abi kho-v3\nram 0 1G\nalloc 0x20000000 256M\n"
				  "blob first raw 4096\nblob second raw 4096\n"
				  "blob third fdt kho-test-v1\n");
	uint8_t *fdt = mem_page(&ref->mem, ref->fdt_phys, false, NULL);
	const char *want[] = { "third", "second", "first" };
	size_t n = 0;
	int off;

	ck_assert_ptr_nonnull(fdt);
	ck_assert_int_eq(fdt_check_header(fdt), 0);
	fdt_for_each_subnode(off, fdt, 0) {
		ck_assert_uint_lt(n, 3);
		ck_assert_str_eq(fdt_get_name(fdt, off, NULL), want[n++]);
	}
	ck_assert_uint_eq(n, 3);
	kho_ref_free(ref);
}
END_TEST

/*
 * kho_init() of 7.2+ makes kexec-metadata right after the FDT page, first
 * of all sub-nodes (so last in the FDT): by default release 7.3.0, count
 * 1; a kexec-metadata line sets its bytes, not a second sub-node.
 */
START_TEST(v4_kexec_metadata_at_boot)
{
	static const char *const texts[] = {
		"abi kho-v4\nram 0 1G\nalloc 0x20000000 256M\nblob a raw 4096\n",
		"abi kho-v4\nram 0 1G\nalloc 0x20000000 256M\nblob a raw 4096\n"
		"kexec-metadata 7.2.13 5\n",
	};
	struct kho_ref *ref = run(texts[_i]);
	uint8_t *fdt = mem_page(&ref->mem, ref->fdt_phys, false, NULL), meta[73];
	int last = -1, off;

	fdt_for_each_subnode(off, fdt, 0)
		last = off;
	ck_assert_int_ge(last, 0);
	ck_assert_str_eq(fdt_get_name(fdt, last, NULL), "kexec-metadata");
	ck_assert_str_eq(ref->blobs[0].name, "kexec-metadata");
	ck_assert_uint_eq(ref->nblobs, 2);
	/* allocated after the FDT page, top-down: below it */
	ck_assert_uint_lt(ref->blobs[0].phys, ref->fdt_phys);
	ck_assert(key_at(ref, ref->blobs[0].phys, 0));
	mem_read(&ref->mem, ref->blobs[0].phys, meta, sizeof(meta));
	ck_assert_uint_eq(load_u32(meta, false), 1);
	ck_assert_str_eq((char *)meta + 4, _i ? "7.2.13" : "7.3.0");
	ck_assert_uint_eq(load_u32(meta + 69, false), _i ? 5 : 1);
	kho_ref_free(ref);
	kho_ref_free(run("abi kho-v4\nram 0 1G\nkexec-metadata none\nblob a raw 1\n"));
}
END_TEST

/*
 * kho_preserve_vmalloc() allocates a chunk as soon as the last one fills:
 * runs that fill their chunks exactly end the chain with an empty,
 * preserved chunk. 4 KiB: 511 entries a chunk.
 */
START_TEST(vmalloc_full_chunk_ends_with_an_empty_one)
{
	static const unsigned runs[] = { 510, 511, 1022 };
	char text[160];
	struct kho_ref *ref;
	uint64_t chunk = 0, n = 0, entries = 0;

	snprintf(text, sizeof(text), "abi kho-v4\nram 0 64M\nalloc 0x2000000 16M\n"
		 "vmalloc-blob v %u\n", runs[_i]);
	ref = run(text);
	for (size_t i = 0; i < ref->nblobs; i++)
		if (!strcmp(ref->blobs[i].name, "v"))
			chunk = u64(ref, ref->blobs[i].phys);
	for (; chunk; chunk = u64(ref, chunk), n++) {
		ck_assert(key_at(ref, chunk, 0));
		for (uint64_t k = 0; k < 511 && u64(ref, chunk + 8 + 8 * k); k++)
			entries++;
	}
	ck_assert_uint_eq(entries, runs[_i]);
	ck_assert_uint_eq(n, runs[_i] / 511 + 1);
	kho_ref_free(ref);
}
END_TEST

/* __kho_preserve_pages_order (7.1+): never a block across a NUMA node. */
START_TEST(pages_split_at_numa_nodes)
{
	struct kho_ref *ref = run("abi kho-v4\nram 0 64M\nnuma-node 0 0x3500000\n"
				  "numa-node 0x3500000 0xb00000\npages 0x3400 0x200\n"
				  "pages 0x2000 0x200\n");

	ck_assert(!key_at(ref, 0x3400000, 9));
	ck_assert(key_at(ref, 0x3400000, 8));
	ck_assert(key_at(ref, 0x3500000, 8));
	ck_assert(key_at(ref, 0x2000000, 9));   /* inside node 0: whole */
	kho_ref_free(ref);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ref_luo");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, v5_chains_hold_the_spec_in_order, 0, 3);
	tcase_add_test(tc, v1_fdt_and_arrays);
	tcase_add_test(tc, memfd_files_hold_the_folios);
	tcase_add_test(tc, spec_errors_name_the_line);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, v5_flb_area_without_flbs);
	tcase_add_test(tc, v5_flb_data_as_given);
	tcase_add_test(tc, subnodes_newest_first);
	tcase_add_loop_test(tc, v4_kexec_metadata_at_boot, 0, 2);
	tcase_add_loop_test(tc, vmalloc_full_chunk_ends_with_an_empty_one, 0, 3);
	tcase_add_test(tc, pages_split_at_numa_nodes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
