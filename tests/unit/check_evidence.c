// SPDX-License-Identifier: MIT
/*
 * Decisions the reader takes from evidence in the data, where one wrong
 * guess would silently drop keys (issue 11, items 3 and 7): the kho-v1
 * bitmap size, per element, and the broken 16 KiB depth. Each image is
 * built by the reference from a spec, optionally corrupted in memory
 * (poke), written as an ELF vmcore and read back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/depth.h"
#include "kho/map.h"
#include "kho/ref.h"
#include "ref/ref_internal.h"
#include "util/util.h"
#include "suite.h"

static char dir[64];

struct image {
	struct kho_source *src;
	struct kho_geometry geo;
	uint64_t map, fdt;
};

typedef void (*poke_fn)(struct kho_ref *ref);

static uint64_t peek(struct kho_ref *ref, uint64_t phys)
{
	uint8_t raw[8];

	mem_read(&ref->mem, phys, raw, 8);
	return load_u64(raw, false);
}

static void poke(struct kho_ref *ref, uint64_t phys, uint64_t v)
{
	uint8_t raw[8];

	store_u64(raw, v, false);
	ck_assert_int_eq(mem_write(&ref->mem, phys, raw, 8, NULL), KHO_OK);
}

static struct image open_image(const char *text, poke_fn fn)
{
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	struct image im;
	char path[128];

	snprintf(path, sizeof(path), "%s/m.elf", dir);
	ck_assert_msg(kho_spec_run_buffer("t.spec", text, strlen(text), &res, &err) == KHO_OK,
		      "%s", err.msg);
	if (fn)
		fn(res.ref);
	ck_assert_msg(kho_ref_write(res.ref, KHO_IMAGE_ELF, path, NULL, &err) == KHO_OK, "%s",
		      err.msg);
	im.map = res.ref->map_phys;
	im.fdt = kho_ref_fdt_phys(res.ref);
	kho_ref_free(res.ref);
	ck_assert_msg(kho_source_open(path, NULL, &im.src, &err) == KHO_OK, "%s", err.msg);
	ck_assert_int_eq(kho_geometry_init(&im.geo, kho_source_page_size(im.src), false), KHO_OK);
	return im;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_evidence.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- the broken 16 KiB depth ---- */

#define K16 "abi kho-v3\npage-size 16K\n"
#define K16_MACHINE "ram 0 128M\nscratch 0x1000000 8M\nalloc 0x6000000 16M\n"
#define K16_KEYS "folio 0x400000 7\npages 0x200 300\nfolios 0x2004000 0 8 0x8000\n" \
		 "blob kho_test fdt kho-test-v1\n"

static bool broken(const char *text, poke_fn fn)
{
	struct image im = open_image(text, fn);
	bool b = radix_depth_is_broken(im.src, &im.geo, im.map, im.fdt);

	kho_source_close(im.src);
	return b;
}

/* Root entries 2 and 4 pointed at pages of the real tree. */
static void redirect_root_at_tree(struct kho_ref *ref)
{
	poke(ref, ref->map_phys + 2 * 8, peek(ref, ref->map_phys));
	poke(ref, ref->map_phys + 4 * 8, peek(ref, ref->map_phys + 8));
}

/* Root entry 1024 pointed at the first leaf's parent (a level-1 node). */
static void redirect_root_at_level1(struct kho_ref *ref)
{
	uint64_t entry, leaf;

	ck_assert(radix_first_leaf(ref, &entry, &leaf));
	poke(ref, ref->map_phys + 1024 * 8, align_down(entry, ref->geo.page_size));
}

START_TEST(depth_correct_trees_are_not_broken)
{
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS, NULL));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS "defect radix-key-width\n", NULL));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS "defect radix-pointer\n", NULL));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS "defect radix-loop\n", NULL));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS "defect fdt-not-preserved\n", NULL));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS, redirect_root_at_tree));
	ck_assert(!broken(K16 K16_MACHINE K16_KEYS, redirect_root_at_level1));
	/* other page sizes never have it */
	ck_assert(!broken("abi kho-v3\nram 0 64M\nscratch 0x1000000 4M\nfolio 0x400000 9\n", NULL));
}
END_TEST

START_TEST(depth_broken_trees_are_seen)
{
	ck_assert(broken(K16 "defect radix-depth\n" K16_MACHINE K16_KEYS, NULL));
	ck_assert(broken(K16 "defect radix-depth\n" K16_MACHINE K16_KEYS
			 "defect radix-pointer\n", NULL));
	ck_assert(broken(K16 "defect radix-depth\n" K16_MACHINE K16_KEYS
			 "defect radix-loop\n", NULL));
	/* only order-0 keys: the FDT key is the evidence */
	ck_assert(broken(K16 "defect radix-depth\n" K16_MACHINE
			 "folio 0x2004000 0\nfolio 0x200c000 0\n", NULL));
}
END_TEST

/* ---- kho-v1 bitmap size ---- */

#define V1(size) "abi kho-v1\nv1-bitmap " size "\nram 0 64M\nscratch 0x1000000 4M\n" \
		 "alloc 0x3000000 16M\n"
#define V1_KEYS "folio 0x400000 9\npages 0x800 300\nfolios 0xa00000 0 64 0x2000\n"

struct v1_result {
	uint64_t bytes, keys;
	size_t v1_bitmap, other;
	char first[224];
};

static struct v1_result walk_v1(const char *text, poke_fn fn)
{
	struct image im = open_image(text, fn);
	struct v1_result r = { 0 };
	struct kho_anomalies a = { 0 };
	struct kho_map_stats stats;
	struct kho_error err;

	ck_assert_int_eq(kho_v1_walk(im.src, &im.geo, im.map, &a, NULL, &stats, &r.bytes,
				     &err), KHO_OK);
	r.keys = stats.keys;
	for (size_t i = 0; i < a.n; i++) {
		if (a.v[i].kind >= KHO_AN_V1_BITMAP_POINTER &&
		    a.v[i].kind <= KHO_AN_V1_BITMAP_SHARED) {
			if (!r.v1_bitmap++)
				snprintf(r.first, sizeof(r.first), "%s", a.v[i].detail);
		} else {
			r.other++;
		}
	}
	kho_anomalies_free(&a);
	kho_source_close(im.src);
	return r;
}

/* The n-th element (0-based) of the first chunk. */
static uint64_t first_chunk_elm(struct kho_ref *ref, unsigned n)
{
	return ref->map_phys + V1_CHUNK_HDR_SIZE + n * V1_ELM_SIZE;
}

static void shift_first_bitmap(struct kho_ref *ref)
{
	uint64_t e = first_chunk_elm(ref, 0);

	poke(ref, e + 8, peek(ref, e + 8) + 512);
}

static void misalign_first_phys_start(struct kho_ref *ref)
{
	uint64_t e = first_chunk_elm(ref, 0);

	poke(ref, e, peek(ref, e) + ref->geo.page_size);
}

START_TEST(v1_clean_maps_read_their_size)
{
	struct v1_result page = walk_v1(V1("page") V1_KEYS, NULL);
	/* two 512-byte bitmaps in one slab page, the first page-aligned: a
	 * page bitmap there would cover the second, so both are 512 bytes */
	struct v1_result small = walk_v1(V1("512") "folio 0x400000 0\nfolio 0x800000 9\n", NULL);

	ck_assert_uint_eq(page.bytes, 4096);
	ck_assert_uint_eq(page.v1_bitmap + page.other, 0);
	ck_assert_uint_eq(small.bytes, 512);
	ck_assert_uint_eq(small.v1_bitmap + small.other, 0);
	ck_assert_uint_eq(small.keys, 2);
}
END_TEST

START_TEST(v1_one_odd_element_does_not_switch_the_map)
{
	struct v1_result clean = walk_v1(V1("page") V1_KEYS, NULL);
	struct v1_result r = walk_v1(V1("page") V1_KEYS, shift_first_bitmap);

	ck_assert_uint_eq(r.bytes, 4096);
	ck_assert_uint_eq(r.v1_bitmap, 1);
	ck_assert_msg(strstr(r.first, "can only be 512 bytes"), "%s", r.first);
	/* only the shifted element's keys are missing */
	ck_assert_uint_lt(r.keys, clean.keys);
	ck_assert_uint_gt(r.keys, 0);
	r = walk_v1(V1("page") V1_KEYS, misalign_first_phys_start);
	ck_assert_uint_eq(r.v1_bitmap, 1);
	ck_assert_msg(strstr(r.first, "phys_start"), "%s", r.first);
}
END_TEST

START_TEST(v1_undecidable_size_is_a_finding)
{
	/* two page bitmaps, one moved by 512 bytes: one element each way */
	struct v1_result clean = walk_v1(V1("page") "folio 0x400000 0\nfolio 0x800000 9\n", NULL);
	struct v1_result r = walk_v1(V1("page") "folio 0x400000 0\nfolio 0x800000 9\n",
				     shift_first_bitmap);

	ck_assert_uint_eq(clean.keys, 2);
	ck_assert_uint_eq(r.v1_bitmap, 1);
	ck_assert_msg(strstr(r.first, "does not show"), "%s", r.first);
	/* the element that fits both sizes was read as a page: its key is there */
	ck_assert_uint_ge(r.keys, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, depth_correct_trees_are_not_broken);
	tcase_add_test(tc, depth_broken_trees_are_seen);
	tcase_add_test(tc, v1_clean_maps_read_their_size);
	tcase_add_test(tc, v1_one_odd_element_does_not_switch_the_map);
	tcase_add_test(tc, v1_undecidable_size_is_a_finding);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
