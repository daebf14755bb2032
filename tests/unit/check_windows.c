// SPDX-License-Identifier: MIT
/*
 * lib/check/windows.c against the merge it stands in for. Radix leaves
 * are built here in memory, key by key, and written to the image where
 * the map reads them; each case runs both the exact
 * path (the per-order cursors through check_merge) and check_windows on
 * the same tree and coverage questions. The contract: check_windows
 * proves a tree exactly when the merge and the per-run checks find
 * nothing, and then leaves the same stats and the same union where the
 * questions look; otherwise it leaves nothing behind for the merge.
 * The hand-over cases: an overlap inside a window, blocks of order > 6
 * over several words, a run and a question across a window's edge,
 * scratch, memory the dump lacks, an order over the limit.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/checks.h"
#include "check/windows.h"
#include "kho/abi.h"
#include "kho/map.h"
#include "kho/source.h"
#include "kho/verify.h"
#include "map/words.h"
#include "suite.h"

#define PAGE 4096u
#define MEM ((uint64_t)64 << 30)     /* the raw image: 64 GiB, sparse */
#define MAX_LEAVES 256
#define WINDOW ((uint64_t)PAGE << 16)   /* windows.c's smallest window */
#define LEAF_PHYS ((uint64_t)48 << 30)  /* where the leaves are written */

static struct kho_geometry geo;
static uint8_t *leaf_bits[MAX_LEAVES];
static struct kho_radix_leaf leaves[MAX_LEAVES];
static struct kho_radix_map map;
static struct kho_source *src;
static char path[64];

static void open_src(void)
{
	struct kho_source_opts o = { .format = KHO_FORMAT_RAW, .page_size = PAGE };
	struct kho_error err = { 0 };

	ck_assert_int_eq(kho_source_open(path, &o, &src, &err), KHO_OK);
	map.src = src;
}

static void setup(void)
{
	FILE *f;

	kho_geometry_init(&geo, PAGE, false);
	map = (struct kho_radix_map){ .geo = &geo, .leaves = leaves };
	snprintf(path, sizeof(path), "/tmp/check_windows-%d.raw", (int)getpid());
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), (off_t)MEM), 0);
	fclose(f);
	open_src();
}

static void teardown(void)
{
	for (size_t i = 0; i < map.nleaves; i++)
		free(leaf_bits[i]);
	radix_readers_free(&map);
	kho_source_close(src);
	unlink(path);
}

/* The leaves as built so far into the image, and the map ready to read
 * them (the source opened again: it caches what it read). */
static void publish(void)
{
	FILE *f = fopen(path, "r+b");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < map.nleaves; i++) {
		leaves[i].phys = LEAF_PHYS + i * PAGE;
		ck_assert_int_eq(pwrite(fileno(f), leaf_bits[i], PAGE, (off_t)leaves[i].phys),
				 PAGE);
	}
	fclose(f);
	kho_source_close(src);
	open_src();
	radix_readers_free(&map);
	ck_assert(radix_readers_init(&map));
}

/* Set the key of the block of @order at @phys, its leaf made if new. */
static void set_key(uint64_t phys, unsigned order)
{
	uint64_t key = kho_key_encode(&geo, phys, order), span = 1ull << geo.bitmap_log2;
	uint64_t prefix = key & ~(span - 1), bit = key - prefix;
	size_t i = 0;

	while (i < map.nleaves && leaves[i].prefix < prefix)
		i++;
	if (i == map.nleaves || leaves[i].prefix != prefix) {
		ck_assert_uint_lt(map.nleaves, MAX_LEAVES);
		memmove(&leaves[i + 1], &leaves[i], (map.nleaves - i) * sizeof(*leaves));
		memmove(&leaf_bits[i + 1], &leaf_bits[i], (map.nleaves - i) * sizeof(*leaf_bits));
		leaf_bits[i] = calloc(1, PAGE);
		ck_assert_ptr_nonnull(leaf_bits[i]);
		leaves[i] = (struct kho_radix_leaf){ prefix, 0 };
		map.nleaves++;
	}
	leaf_bits[i][bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void set_run(uint64_t phys, unsigned order, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		set_key(phys + (i << (12 + order)), order);
}

struct side {
	struct kho_inspection in;
	struct cover c;
	bool proved;
};

/* One path over the tree, with coverage questions @q[0..nq) of [a, b). */
static void run(struct side *s, bool fast, const uint64_t (*q)[2], size_t nq,
		const struct kho_scratch_area *scratch, size_t nscratch, unsigned max_order)
{
	struct run_checks rc;

	memset(&s->in, 0, sizeof(s->in));
	s->in.geo = geo;
	s->in.ho.scratch = (struct kho_scratch_area *)scratch;
	s->in.ho.nscratch = nscratch;
	kho_findings_init(&s->in.findings);
	cover_init(&s->c, &s->in, false);
	for (size_t i = 0; i < nq; i++)   /* where the merge must keep the union */
		cover_need(&s->c, &(struct need){ .a = q[i][0], .b = q[i][1],
						  .len = q[i][1] - q[i][0], .index = -1,
						  .key = NEED_NO_KEY, .check = KHO_CHECK_COUNT });
	cover_seal(&s->c);
	run_checks_init(&rc, src, &s->in, max_order, &s->in.findings);
	s->proved = fast && check_windows(&s->in, &map, &rc, &s->c);
	if (s->proved)
		return;
	ck_assert_uint_eq(s->in.nspans, 0);     /* nothing left behind */
	ck_assert_uint_eq(s->in.stats.keys, 0);
	check_merge(&s->in, &map, &rc, &s->c);
}

static void side_free(struct side *s)
{
	cover_free(&s->c);
	free(s->in.spans);
	kho_findings_free(&s->in.findings);
}

/*
 * Both paths; returns whether the fast one proved the tree. It must have
 * exactly when the merge found nothing, and then agree on stats and union.
 */
static bool compare_q(const uint64_t (*q)[2], size_t nq, const struct kho_scratch_area *scr,
		      size_t nscr, unsigned max_order)
{
	struct side exact, fast;
	bool proved;

	publish();
	run(&exact, false, q, nq, scr, nscr, max_order);
	run(&fast, true, q, nq, scr, nscr, max_order);
	proved = fast.proved;
	ck_assert_int_eq(proved, exact.in.findings.n == 0);
	ck_assert_uint_eq(fast.in.findings.n, exact.in.findings.n);
	ck_assert_mem_eq(&fast.in.stats, &exact.in.stats, sizeof(exact.in.stats));
	ck_assert_uint_eq(fast.in.nspans, exact.in.nspans);
	for (size_t i = 0; i < exact.in.nspans; i++) {
		ck_assert_uint_eq(fast.in.spans[i].start, exact.in.spans[i].start);
		ck_assert_uint_eq(fast.in.spans[i].end, exact.in.spans[i].end);
	}
	side_free(&exact);
	side_free(&fast);
	return proved;
}

/* Questions over the whole image; small ones (merged when they touch),
 * some ending a page or two into the next window. */
static const uint64_t whole[][2] = { { 0, MEM } };
static const uint64_t small[][2] = {
	{ 0x3000, 0x5000 }, { 0x4800, 0x6000 }, { WINDOW - 0x800, WINDOW + 0x800 },
	{ 2 * WINDOW - 0x1800, 2 * WINDOW + 0x1800 }, { 3 * WINDOW + 0x3000, 3 * WINDOW + 0x3001 },
};

static bool compare(unsigned max_order)
{
	bool proved = compare_q(whole, 1, NULL, 0, max_order);

	ck_assert_int_eq(compare_q(small, 5, NULL, 0, max_order), proved);
	return proved;
}

START_TEST(clean_interleaved_orders_proved)
{
	for (uint64_t a = 0; a < 4 * WINDOW; a += 0x20000)
		set_key(a + ((a >> 17 & 3) << 14), (unsigned)(a >> 17 & 3));
	ck_assert(compare(18));
}
END_TEST

START_TEST(overlap_inside_window_handed_over)
{
	set_key(WINDOW + 0x8000, 3);        /* [+32K, +64K) */
	set_key(WINDOW + 0xa000, 0);        /* inside it */
	set_key(0x1000, 1);
	ck_assert(!compare(18));
}
END_TEST

START_TEST(overlap_by_larger_order_across_words)
{
	/* Order 8 covers four bitmap words; the order-0 key is in the third. */
	set_key(0x100000, 8);
	set_key(0x100000 + 130 * PAGE, 0);
	ck_assert(!compare(18));
}
END_TEST

START_TEST(large_orders_beside_small_proved)
{
	set_key(0x100000, 8);               /* [1M, 2M) */
	set_run(0x200000, 0, 70);           /* touching, across a word */
	set_key(0x400000, 10);
	set_key(0x3ff000, 0);               /* just below it */
	set_key(WINDOW * 3, 9);             /* order 9 with windows of 2^16 pages */
	ck_assert(compare(18));
}
END_TEST

START_TEST(runs_and_questions_across_window_edge)
{
	/* A run over the first window's edge (also a leaf's: 2^15 keys). */
	set_run(WINDOW - 8 * PAGE, 0, 16);
	set_run(2 * WINDOW - 0x10000, 2, 8);
	ck_assert(compare(18));
}
END_TEST

START_TEST(runs_joined_across_leaves_counted)
{
	/* Order-0 leaves hold 2^15 keys: a run over the edge is one run. */
	set_run(((uint64_t)1 << 27) - 3 * PAGE, 0, 6);
	set_run(((uint64_t)1 << 28), 0, 1);
	ck_assert(compare(18));
}
END_TEST

START_TEST(question_with_no_window_skipped)
{
	const uint64_t q[][2] = { { 0x1000, 0x2000 }, { 5 * WINDOW, 5 * WINDOW + 0x1000 },
				  { 9 * WINDOW + 0x800, 9 * WINDOW + 0x2800 } };

	set_key(9 * WINDOW, 0);
	set_key(9 * WINDOW + PAGE, 0);
	ck_assert(compare_q(q, 3, NULL, 0, 18));
}
END_TEST

START_TEST(scratch_met_handed_over)
{
	const struct kho_scratch_area s[] = { { 0x10000000, 0x1000000 } };

	set_key(0x10800000, 0);
	ck_assert(!compare_q(whole, 1, s, 1, 18));
}
END_TEST

START_TEST(scratch_hull_without_blocks_proved)
{
	/* The window's blocks sit between two areas: the hull meets, no block does. */
	const struct kho_scratch_area s[] = { { 0x1000000, 0x1000 }, { 0x3000000, 0x1000 } };

	set_key(0x100000, 0);
	set_key(0x2000000, 3);
	set_key(0x5000000, 0);
	ck_assert(compare_q(whole, 1, s, 2, 18));
}
END_TEST

START_TEST(block_outside_memory_handed_over)
{
	set_key(0x1000, 0);
	set_key(MEM + 0x10000, 0);
	ck_assert(!compare(18));
}
END_TEST

START_TEST(order_over_limit_handed_over)
{
	set_key(0x1000, 0);
	set_key(0x200000, 9);
	ck_assert(!compare(8));
	ck_assert(compare(9));
}
END_TEST

START_TEST(empty_tree_proved)
{
	ck_assert(compare(18));
}
END_TEST

/* Random trees, some with overlaps, all compared with the merge. */
START_TEST(random_trees_agree_with_merge)
{
	unsigned seed = 12;
	unsigned proved = 0, handed = 0;

	for (int round = 0; round < 60; round++) {
		uint64_t q[8][2];
		unsigned nkeys = 1 + rand_r(&seed) % 400;
		bool dense = rand_r(&seed) % 2;

		teardown();
		setup();
		for (unsigned i = 0; i < nkeys; i++) {
			unsigned order = rand_r(&seed) % (rand_r(&seed) % 4 ? 4 : 12);
			uint64_t span = dense ? 1 << 12 : 1 << 20;   /* blocks of order 0 */
			uint64_t page = (uint64_t)rand_r(&seed) % span;

			/* Sparse trees: mostly aligned so few blocks overlap. */
			page &= ~((1ull << (order + (dense ? 0 : 3))) - 1);
			set_key(page * PAGE * (dense ? 1 : 8), order);
		}
		for (int i = 0; i < 8; i++) {
			uint64_t a = (uint64_t)rand_r(&seed) * PAGE % (32ull << 30);

			q[i][0] = a + rand_r(&seed) % 3 * 0x800;
			q[i][1] = q[i][0] + 1 + (uint64_t)rand_r(&seed) % (1u << 28);
		}
		if (compare_q(q, 8, NULL, 0, 18))
			proved++;
		else
			handed++;
	}
	ck_assert_uint_gt(proved, 5);     /* both ways are exercised */
	ck_assert_uint_gt(handed, 5);
}
END_TEST

static Suite *windows_suite(void)
{
	Suite *s = suite_create("windows");
	TCase *p = tcase_create("proved"), *h = tcase_create("handed-over");

	tcase_add_checked_fixture(p, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_test(p, clean_interleaved_orders_proved);
	tcase_add_test(p, large_orders_beside_small_proved);
	tcase_add_test(p, runs_and_questions_across_window_edge);
	tcase_add_test(p, runs_joined_across_leaves_counted);
	tcase_add_test(p, question_with_no_window_skipped);
	tcase_add_test(p, scratch_hull_without_blocks_proved);
	tcase_add_test(p, empty_tree_proved);
	tcase_add_test(h, overlap_inside_window_handed_over);
	tcase_add_test(h, overlap_by_larger_order_across_words);
	tcase_add_test(h, scratch_met_handed_over);
	tcase_add_test(h, block_outside_memory_handed_over);
	tcase_add_test(h, order_over_limit_handed_over);
	tcase_add_test(h, random_trees_agree_with_merge);
	suite_add_tcase(s, p);
	suite_add_tcase(s, h);
	return s;
}

int main(void)
{
	return run_suite(windows_suite());
}
