// SPDX-License-Identifier: MIT
/*
 * lib/map on radix trees written byte by byte here (kho-abi.md §3), not
 * by the reference implementation: the per-order cursors hand out runs
 * in address order and join runs across words and leaves; the walker
 * reports loops, wide keys and bad pointers and goes on around them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/abi.h"
#include "kho/map.h"
#include "kho/source.h"
#include "suite.h"

#define PAGE 4096u
#define MEM (2u << 20)          /* the image: tree pages from 1 MiB up */
#define ROOT 0x100000u

static uint8_t mem[MEM];
static uint64_t next_page;
static struct kho_geometry geo;
static char path[64];

static void put(uint64_t phys, uint64_t v)
{
	memcpy(mem + phys, &v, 8);      /* little-endian host, as the tests' images */
}

static uint64_t get(uint64_t phys)
{
	uint64_t v;

	memcpy(&v, mem + phys, 8);
	return v;
}

/* The first child of @node. */
static uint64_t child(uint64_t node)
{
	for (unsigned i = 0; i < PAGE / 8; i++)
		if (get(node + 8 * i))
			return get(node + 8 * i);
	ck_abort_msg("node 0x%llx has no child", (unsigned long long)node);
	return 0;
}

static void tree_reset(void)
{
	memset(mem, 0, sizeof(mem));
	kho_geometry_init(&geo, PAGE, false);
	next_page = ROOT + PAGE;
}

/* The leaf page for @key, nodes allocated on the way down. */
static uint64_t leaf_of(uint64_t key)
{
	uint64_t node = ROOT;

	for (unsigned level = geo.depth - 1; level >= 1; level--) {
		uint64_t i = (key >> kho_level_shift(&geo, level)) &
			     ((1ull << geo.table_log2) - 1);

		if (!get(node + 8 * i)) {
			ck_assert_uint_lt(next_page, MEM);
			put(node + 8 * i, next_page);
			next_page += PAGE;
		}
		node = get(node + 8 * i);
	}
	return node;
}

static void set_key(uint64_t phys, unsigned order)
{
	uint64_t key = kho_key_encode(&geo, phys, order);
	uint64_t bit = key & ((1ull << geo.bitmap_log2) - 1);

	mem[leaf_of(key) + bit / 8] |= 1u << (bit % 8);
}

static struct kho_source *open_image(void)
{
	struct kho_source_opts o = { .format = KHO_FORMAT_RAW, .page_size = PAGE };
	struct kho_source *src = NULL;
	struct kho_error err = { 0 };
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/check_map-%d.raw", (int)getpid());
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(mem, 1, sizeof(mem), f), sizeof(mem));
	fclose(f);
	ck_assert_int_eq(kho_source_open(path, &o, &src, &err), KHO_OK);
	return src;
}

static void close_image(struct kho_source *src)
{
	kho_source_close(src);
	unlink(path);
}

struct collect {
	struct kho_run r[64];
	size_t n;
};

static void on_run(void *ctx, uint64_t phys, unsigned order, uint64_t count)
{
	struct collect *c = ctx;

	ck_assert_uint_lt(c->n, 64);
	c->r[c->n++] = (struct kho_run){ phys, count, order };
}


static void expect_run(const struct kho_run *r, uint64_t phys, unsigned order, uint64_t count)
{
	ck_assert_uint_eq(r->phys, phys);
	ck_assert_uint_eq(r->order, order);
	ck_assert_uint_eq(r->count, count);
}

/* Opens the two-pass map; the caller closes @m and @src. */
static void open_map(struct kho_source **src, struct kho_radix_map *m,
		     struct kho_anomalies *f)
{
	struct kho_error err = { 0 };
	struct kho_map_visitor v = { 0 };
	static struct kho_map_stats stats;   /* the walk needs somewhere to count */

	*src = open_image();
	memset(f, 0, sizeof(*f));
	memset(m, 0, sizeof(*m));
	ck_assert_int_eq(kho_radix_open(*src, &geo, ROOT, f, &v, &stats, m, &err), KHO_OK);
}

START_TEST(cursor_joins_words_and_leaves)
{
	struct kho_source *src;
	struct kho_radix_map m;
	struct kho_anomalies f;
	struct kho_radix_cursor c;
	struct kho_run r;

	tree_reset();
	for (uint64_t pfn = 10; pfn < 21; pfn++)
		set_key(pfn * PAGE, 0);
	set_key(63 * PAGE, 0);               /* last bit of word 0 ... */
	set_key(64 * PAGE, 0);               /* ... first of word 1: one run */
	set_key(32767ull * PAGE, 0);         /* last bit of a leaf ... */
	set_key(32768ull * PAGE, 0);         /* ... first of the next leaf */
	set_key(0x800000, 3);                /* another order: another cursor */
	open_map(&src, &m, &f);
	ck_assert_uint_eq(m.nleaves, 3);
	kho_radix_cursor_init(&c, &m, 0, NULL);
	ck_assert(kho_radix_cursor_next(&c, &r));
	expect_run(&r, 10 * PAGE, 0, 11);
	ck_assert(kho_radix_cursor_next(&c, &r));
	expect_run(&r, 63 * PAGE, 0, 2);
	ck_assert(kho_radix_cursor_next(&c, &r));
	expect_run(&r, 32767ull * PAGE, 0, 2);
	ck_assert(!kho_radix_cursor_next(&c, &r));
	kho_radix_cursor_init(&c, &m, 3, NULL);
	ck_assert(kho_radix_cursor_next(&c, &r));
	expect_run(&r, 0x800000, 3, 1);
	ck_assert(!kho_radix_cursor_next(&c, &r));
	ck_assert_uint_eq(f.n, 0);
	kho_radix_close(&m);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

/*
 * Leaves whose every key is set are taken a leaf at a time: a run goes on
 * into the next leaf only as far as that leaf's own bits go, and never
 * across a leaf that does not follow on (a run too long would be memory
 * taken as preserved that is not).
 */
START_TEST(cursor_steps_over_full_leaves)
{
	static const struct kho_run want[] = {
		{ 0, 32768 + 100, 0 },                  /* full leaf 0, 100 of leaf 1 */
		{ 65536ull * PAGE, 32768, 0 },          /* full leaf 2, leaf 3 starts clear */
		{ 98309ull * PAGE, 1, 0 },
		{ 131072ull * PAGE, 32768 + 3, 0 },     /* full leaf 4, 3 of leaf 5 */
	};
	struct kho_source *src;
	struct kho_radix_map m;
	struct kho_anomalies f;
	struct kho_radix_cursor c;
	struct kho_run r[8];
	size_t n = 0, k;

	tree_reset();
	for (uint64_t pfn = 0; pfn < 32768 + 100; pfn++)
		set_key(pfn * PAGE, 0);
	for (uint64_t pfn = 65536; pfn < 98304; pfn++)
		set_key(pfn * PAGE, 0);
	set_key(98309ull * PAGE, 0);
	for (uint64_t pfn = 131072; pfn < 163840 + 3; pfn++)
		set_key(pfn * PAGE, 0);
	open_map(&src, &m, &f);
	ck_assert_uint_eq(m.nleaves, 6);
	kho_radix_cursor_init(&c, &m, 0, NULL);
	while (n < 8 && kho_radix_cursor_next(&c, &r[n]))
		n++;
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		expect_run(&r[i], want[i].phys, 0, want[i].count);
	/* the batch reader agrees */
	kho_radix_cursor_init(&c, &m, 0, NULL);
	for (n = 0; (k = kho_radix_cursor_fill(&c, r + n, 8 - n)); n += k)
		;
	ck_assert_uint_eq(n, 4);
	for (size_t i = 0; i < n; i++)
		expect_run(&r[i], want[i].phys, 0, want[i].count);
	ck_assert_uint_eq(f.n, 0);
	kho_radix_close(&m);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

START_TEST(cursor_fill_in_batches)
{
	struct kho_source *src;
	struct kho_radix_map m;
	struct kho_anomalies f;
	struct kho_radix_cursor c;
	struct kho_map_stats stats = { 0 };
	struct kho_run r[4];
	uint64_t seen = 0, last = 0;
	size_t n;

	tree_reset();
	for (uint64_t pfn = 0; pfn < 300; pfn += 3)     /* 100 isolated keys */
		set_key(pfn * PAGE, 0);
	open_map(&src, &m, &f);
	kho_radix_cursor_init(&c, &m, 0, &stats);
	while ((n = kho_radix_cursor_fill(&c, r, 4))) {
		ck_assert_uint_le(n, 4);
		for (size_t i = 0; i < n; i++) {
			ck_assert_uint_eq(r[i].count, 1);
			ck_assert(!seen || r[i].phys == last + 3 * PAGE);
			last = r[i].phys;
			seen++;
		}
	}
	ck_assert_uint_eq(seen, 100);
	ck_assert_uint_eq(stats.keys, 100);
	ck_assert_uint_eq(stats.orders[0], 100);
	kho_radix_close(&m);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

/* One run per order in key order (higher orders first), as the kernel walks. */
START_TEST(walk_in_key_order)
{
	struct kho_source *src;
	struct kho_anomalies f;
	struct kho_error err = { 0 };
	struct collect col = { .n = 0 };
	struct kho_map_visitor v = { .run = on_run, .ctx = &col };
	struct kho_map_stats stats = { 0 };

	tree_reset();
	set_key(0x200000, 9);
	set_key(0x1000, 0);
	set_key(0x2000, 0);
	set_key(0x10000, 2);
	src = open_image();
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(kho_radix_walk(src, &geo, ROOT, &f, &v, &stats, &err), KHO_OK);
	ck_assert_uint_eq(col.n, 3);
	expect_run(&col.r[0], 0x200000, 9, 1);
	expect_run(&col.r[1], 0x10000, 2, 1);
	expect_run(&col.r[2], 0x1000, 0, 2);
	ck_assert_uint_eq(stats.keys, 4);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_int_eq(kho_radix_lookup(src, &geo, ROOT, kho_key_encode(&geo, 0x2000, 0)), 1);
	ck_assert_int_eq(kho_radix_lookup(src, &geo, ROOT, kho_key_encode(&geo, 0x3000, 0)), 0);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

/* A table entry pointing back at the root: one radix-loop, keys kept. */
START_TEST(walk_loop_reported_once)
{
	struct kho_source *src;
	struct kho_anomalies f;
	struct kho_error err = { 0 };
	struct collect col = { .n = 0 };
	struct kho_map_visitor v = { .run = on_run, .ctx = &col };
	struct kho_map_stats stats = { 0 };
	uint64_t level4;

	tree_reset();
	set_key(0x5000, 0);
	level4 = child(ROOT);
	put(level4 + 8 * 7, ROOT);          /* an empty entry of level 4 -> the root */
	src = open_image();
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(kho_radix_walk(src, &geo, ROOT, &f, &v, &stats, &err), KHO_OK);
	ck_assert_uint_eq(kho_anomalies_of(&f, KHO_AN_MAP_PAGE_REVISITED), 1);
	ck_assert_uint_eq(col.n, 1);
	expect_run(&col.r[0], 0x5000, 0, 1);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

/* Root index 4 on 4 KiB pages would set key bit 53: radix-key-width. */
START_TEST(walk_wide_key_reported)
{
	struct kho_source *src;
	struct kho_anomalies f;
	struct kho_error err = { 0 };
	struct collect col = { .n = 0 };
	struct kho_map_visitor v = { .run = on_run, .ctx = &col };
	struct kho_map_stats stats = { 0 };

	tree_reset();
	set_key(0x5000, 0);
	put(ROOT + 8 * 4, next_page);       /* a zero page, at an illegal index */
	src = open_image();
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(kho_radix_walk(src, &geo, ROOT, &f, &v, &stats, &err), KHO_OK);
	ck_assert_uint_eq(kho_anomalies_of(&f, KHO_AN_MAP_ENTRY_WIDE), 1);
	ck_assert_uint_eq(col.n, 1);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

/* Misaligned, bit-63 and out-of-memory entries: radix-pointer each, not followed. */
START_TEST(walk_bad_pointers_reported)
{
	struct kho_source *src;
	struct kho_anomalies f;
	struct kho_error err = { 0 };
	struct collect col = { .n = 0 };
	struct kho_map_visitor v = { .run = on_run, .ctx = &col };
	struct kho_map_stats stats = { 0 };
	uint64_t level1;

	tree_reset();
	set_key(0x5000, 0);
	level1 = ROOT;
	for (unsigned l = geo.depth - 1; l >= 2; l--)
		level1 = child(level1);
	put(level1 + 8 * 100, child(level1) + 8);
	put(level1 + 8 * 200, child(level1) | 1ull << 63);
	put(level1 + 8 * 511, 1ull << 40);
	src = open_image();
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(kho_radix_walk(src, &geo, ROOT, &f, &v, &stats, &err), KHO_OK);
	/* the entry at 511 points past the image's memory, or at a page
	 * not in it: which one is the image's business */
	ck_assert_uint_eq(kho_anomalies_of(&f, KHO_AN_MAP_ENTRY_MISALIGNED), 1);
	ck_assert_uint_eq(kho_anomalies_of(&f, KHO_AN_MAP_ENTRY_BIT63), 1);
	ck_assert_uint_eq(kho_anomalies_of(&f, KHO_AN_MAP_ENTRY_ABSENT) +
			  kho_anomalies_of(&f, KHO_AN_MAP_PAGE_EXCLUDED), 1);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_uint_eq(col.n, 1);
	kho_anomalies_free(&f);
	close_image(src);
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("radix");

	tcase_add_test(tc, cursor_joins_words_and_leaves);
	tcase_add_test(tc, cursor_steps_over_full_leaves);
	tcase_add_test(tc, cursor_fill_in_batches);
	tcase_add_test(tc, walk_in_key_order);
	tcase_add_test(tc, walk_loop_reported_once);
	tcase_add_test(tc, walk_wide_key_reported);
	tcase_add_test(tc, walk_bad_pointers_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(map_suite());
}
