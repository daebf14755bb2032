// SPDX-License-Identifier: MIT
/* The reference implementation: what it preserves is what its walk finds. */
#include <check.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/ref.h"
#include "kho/verify.h"
#include "suite.h"
#include "ref/ref_internal.h"
#include "util/util.h"

struct keyset {
	struct ref_key *v;
	size_t n, cap;
};

static void collect(void *ctx, uint64_t phys, unsigned order)
{
	struct keyset *s = ctx;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct ref_key){ phys, order };
}

static int key_cmp(const void *a, const void *b)
{
	const struct ref_key *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

/* A 64-bit xorshift: the same seed gives the same operations everywhere. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct kho_ref *machine(uint64_t page, unsigned abi, bool small, uint64_t ram)
{
	struct kho_ref_config cfg = { .page_size = page, .abi = abi,
				      .v1_small_bitmaps = small,
				      .arch = page == 4096 ? KHO_ARCH_X86_64 : KHO_ARCH_AARCH64 };
	struct kho_ref *ref;
	struct kho_error err;

	ck_assert_int_eq(kho_ref_new(&cfg, &ref, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_add_ram(ref, 0, ram, &err), KHO_OK);
	/* Metadata from the top eighth, so random keys below never meet it. */
	ck_assert_int_eq(kho_ref_add_alloc_region(ref, ram - ram / 8, ram / 8, &err), KHO_OK);
	return ref;
}

static bool has(const struct keyset *s, uint64_t phys, unsigned order)
{
	for (size_t k = 0; k < s->n; k++)
		if (s->v[k].phys == phys && s->v[k].order == order)
			return true;
	return false;
}

/*
 * libkho's reader on the image the reference writes: every key, once.
 * Radix runs come from the per-order cursors (kho_inspect keeps them).
 */
static void read_back(struct kho_ref *ref, uint64_t page, struct keyset *got)
{
	char path[] = "/tmp/kho-unit-ref-XXXXXX";
	struct kho_source_opts so = { .format = KHO_FORMAT_RAW, .page_size = page };
	struct kho_verify_opts vo = { .keep_runs = true };
	struct kho_write_opts wo = { 0 };
	struct kho_inspection in;
	struct kho_source *src;
	struct kho_error err;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(kho_ref_write(ref, KHO_IMAGE_RAW, path, &wo, &err), KHO_OK);
	ck_assert_int_eq(kho_source_open(path, &so, &src, &err), KHO_OK);
	ck_assert_int_eq(kho_inspect(src, kho_ref_fdt_phys(ref), &vo, &in, &err), KHO_OK);
	ck_assert(in.walked);
	for (size_t i = 0; i < in.nruns; i++)
		for (uint64_t k = 0; k < in.runs[i].count; k++)
			collect(got, in.runs[i].phys + k * (page << in.runs[i].order),
				in.runs[i].order);
	ck_assert_uint_eq(in.stats.keys, got->n);
	kho_inspection_free(&in);
	kho_source_close(src);
	unlink(path);
}

/*
 * Seeded random preserve/unpreserve of (phys, order) below 7/8 of RAM,
 * and a run of pages across a leaf boundary: the reference's walk and
 * libkho's reader must both return exactly the model set. Loop index: page size x
 * map format (radix, v1 page bitmaps, v1 512-byte bitmaps).
 */
START_TEST(walk_returns_exactly_what_was_preserved)
{
	static const uint64_t pages[] = { 4096, 16384, 65536 };
	uint64_t page = pages[_i % 3], ram = page << 20, seed = 0x5eed + (uint64_t)_i;
	unsigned abi = _i / 3 == 0 ? 3 : 1;
	bool small = _i / 3 == 2;
	struct kho_ref *ref = machine(page, abi, small, ram);
	struct keyset model = { 0 }, got = { 0 };
	struct kho_error err;
	size_t n = 0;

	model.v = calloc(4200, sizeof(*model.v));
	for (int op = 0; op < 4000; op++) {
		unsigned order = (unsigned)(rnd(&seed) % 12);
		uint64_t limit = (ram - ram / 8) / (page << order);
		uint64_t phys = (rnd(&seed) % limit) * (page << order);
		bool set = rnd(&seed) % 4 != 0;
		size_t k;

		for (k = 0; k < n && (model.v[k].phys != phys || model.v[k].order != order); k++)
			;
		if (set) {
			ck_assert_int_eq(kho_ref_preserve_folio(ref, phys, order, &err), KHO_OK);
			if (k == n)
				model.v[n++] = (struct ref_key){ phys, order };
		} else {
			ck_assert_int_eq(kho_ref_unpreserve_folio(ref, phys, order, &err), KHO_OK);
			if (k < n)
				model.v[k] = model.v[--n];
		}
	}
	/* Consecutive order-0 keys across words and the first leaf boundary. */
	model.n = n;
	for (uint64_t pfn = page * 8 - 70; pfn < page * 8 + 70; pfn++) {
		if (has(&model, pfn * page, 0))
			continue;
		ck_assert_int_eq(kho_ref_preserve_folio(ref, pfn * page, 0, &err), KHO_OK);
		model.v[n++] = (struct ref_key){ pfn * page, 0 };
		model.n = n;
	}
	ck_assert_int_eq(kho_ref_finalize(ref, &err), KHO_OK);
	if (abi >= 2)  /* the FDT page is a key of its own map */
		model.v[n++] = (struct ref_key){ kho_ref_fdt_phys(ref), 0 };
	ck_assert_int_eq(kho_ref_walk(ref, collect, &got, &err), KHO_OK);
	ck_assert_uint_eq(got.n, n);
	/* Radix keys come out ascending: higher orders first, then by address. */
	for (size_t i = 1; abi >= 2 && i < got.n; i++)
		ck_assert(got.v[i - 1].order > got.v[i].order ||
			  (got.v[i - 1].order == got.v[i].order &&
			   got.v[i - 1].phys < got.v[i].phys));
	qsort(model.v, n, sizeof(*model.v), key_cmp);
	qsort(got.v, got.n, sizeof(*got.v), key_cmp);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(got.v[i].phys, model.v[i].phys);
		ck_assert_uint_eq(got.v[i].order, model.v[i].order);
	}
	got.n = 0;
	read_back(ref, page, &got);
	ck_assert_uint_eq(got.n, n);
	qsort(got.v, got.n, sizeof(*got.v), key_cmp);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(got.v[i].phys, model.v[i].phys);
		ck_assert_uint_eq(got.v[i].order, model.v[i].order);
	}
	free(model.v);
	free(got.v);
	kho_ref_free(ref);
}
END_TEST

START_TEST(pages_split_like_kho_preserve_pages)
{
	struct kho_ref *ref = machine(4096, 3, false, 1ull << 30);
	struct keyset got = { 0 };
	struct kho_error err;
	/* pfn 3 + 29 pages: 3(0) 4(2) 8(3) 16(4), and [32, ...) is empty */
	static const struct ref_key want[] = {
		{ 16 << 12, 4 }, { 8 << 12, 3 }, { 4 << 12, 2 }, { 3 << 12, 0 },
	};

	ck_assert_int_eq(kho_ref_preserve_pages(ref, 3, 29, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_finalize(ref, &err), KHO_OK);
	kho_ref_walk(ref, collect, &got, &err);
	/* tree order: order 4, 3, 2, then order 0 (FDT page and pfn 3) */
	ck_assert_uint_eq(got.n, 5);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_eq(got.v[i].phys, want[i].phys);
		ck_assert_uint_eq(got.v[i].order, want[i].order);
	}
	ck_assert_uint_eq(got.v[3].phys, want[3].phys);
	ck_assert_uint_eq(got.v[4].phys, kho_ref_fdt_phys(ref));
	free(got.v);
	kho_ref_free(ref);
}
END_TEST

START_TEST(allocator_is_top_down_aligned_and_avoids_scratch)
{
	struct kho_ref_config cfg = { .page_size = 4096, .abi = 3 };
	struct kho_ref *ref;
	struct kho_error err;
	uint64_t a, b, c;

	ck_assert_int_eq(kho_ref_new(&cfg, &ref, &err), KHO_OK);
	kho_ref_add_ram(ref, 0, 64 << 20, &err);
	kho_ref_add_scratch(ref, 60 << 20, 4 << 20, &err);
	ck_assert_int_eq(ref_boot(ref, &err), KHO_OK);
	/* boot took the radix root and the FDT page just below scratch */
	ck_assert_uint_eq(ref->map_phys, (60 << 20) - 4096);
	ck_assert_uint_eq(ref->fdt_phys, (60 << 20) - 8192);
	ck_assert_int_eq(mem_alloc(&ref->mem, 0, &a, &err), KHO_OK);
	ck_assert_int_eq(mem_alloc(&ref->mem, 4, &b, &err), KHO_OK);
	ck_assert_int_eq(mem_alloc(&ref->mem, 0, &c, &err), KHO_OK);
	/* then the five pages of the FDT key's path (levels 4..1 and its leaf) */
	ck_assert_uint_eq(a, ref->fdt_phys - 6 * 4096);
	ck_assert_uint_eq(b % (16 * 4096), 0);
	ck_assert_uint_lt(b + 16 * 4096, a + 1);
	ck_assert_uint_eq(c, b - 4096);
	/* Preserved memory is never handed out. */
	ck_assert_int_eq(kho_ref_preserve_folio(ref, c - 4096, 0, &err), KHO_OK);
	ck_assert_int_eq(mem_alloc(&ref->mem, 0, &a, &err), KHO_OK);
	ck_assert_uint_eq(a, c - 8192);
	kho_ref_free(ref);
}
END_TEST

START_TEST(kho_fdt_is_sound_and_native_endian)
{
	struct kho_ref *ref = machine(4096, 3, false, 256 << 20);
	struct kho_error err;
	uint8_t fdt[4096];
	const uint8_t *p;
	int len, node;

	ck_assert_int_eq(kho_ref_add_blob_raw(ref, "LUO", 5000, 0xab, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_finalize(ref, &err), KHO_OK);
	mem_read(&ref->mem, ref->fdt_phys, fdt, sizeof(fdt));
	ck_assert_int_eq(fdt_check_full(fdt, sizeof(fdt)), 0);
	ck_assert_uint_le(fdt_totalsize(fdt), 4096);
	ck_assert_int_eq(fdt_node_check_compatible(fdt, 0, "kho-v3"), 0);
	p = fdt_getprop(fdt, 0, "preserved-memory-map", &len);
	ck_assert_int_eq(len, 8);
	/* raw little-endian bytes, not a big-endian cell pair */
	ck_assert_uint_eq(p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
			  (uint64_t)p[3] << 24, ref->map_phys);
	node = fdt_subnode_offset(fdt, 0, "LUO");
	ck_assert_int_ge(node, 0);
	p = fdt_getprop(fdt, node, "blob-size", &len);
	ck_assert_int_eq(len, 8);
	ck_assert_uint_eq(p[0] | p[1] << 8, 5000);
	ck_assert_ptr_nonnull(fdt_getprop(fdt, node, "preserved-data", &len));
	/* The blob is a preserved order-1 folio (5000 bytes > one page). */
	ck_assert(ref_is_preserved(ref, ref->blobs[0].phys, 8192));
	ck_assert_uint_eq(ref->blobs[0].order, 1);
	kho_ref_free(ref);
}
END_TEST

START_TEST(v1_chunks_split_by_order_and_capacity)
{
	struct kho_ref *ref = machine(4096, 1, false, 1ull << 34);
	struct kho_error err;
	uint64_t chunk, n = 0;
	uint8_t hdr[16];
	unsigned last_order = 0;

	/* 300 distinct page bitmaps of order 0: two chunks (255 + 45). */
	for (uint64_t i = 0; i < 300; i++)
		ck_assert_int_eq(kho_ref_preserve_folio(ref, i * 4096 * 32768, 0, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_preserve_folio(ref, 1 << 21, 9, &err), KHO_OK);
	ck_assert_int_eq(kho_ref_finalize(ref, &err), KHO_OK);
	for (chunk = ref->map_phys; chunk; chunk = load_u64(hdr, false), n++) {
		mem_read(&ref->mem, chunk, hdr, 16);
		ck_assert_uint_ge(load_u32(hdr + 8, false), last_order);
		last_order = load_u32(hdr + 8, false);
		ck_assert_uint_le(load_u32(hdr + 12, false), v1_chunk_capacity(ref));
		if (n == 0)
			ck_assert_uint_eq(load_u32(hdr + 12, false), 255);
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(last_order, 9);
	kho_ref_free(ref);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ref");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, walk_returns_exactly_what_was_preserved, 0, 9);
	tcase_add_test(tc, pages_split_like_kho_preserve_pages);
	tcase_add_test(tc, allocator_is_top_down_aligned_and_avoids_scratch);
	tcase_add_test(tc, kho_fdt_is_sound_and_native_endian);
	tcase_add_test(tc, v1_chunks_split_by_order_and_capacity);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
