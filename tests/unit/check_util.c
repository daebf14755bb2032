// SPDX-License-Identifier: MIT
/*
 * The portable helpers: sort_ctx (qsort with a context on every libc) is a
 * stable sort that agrees with qsort on random arrays of every small size
 * and on ties; typo_distance is the edit distance "did you mean" uses.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "util/typo.h"
#include "util/util.h"

struct item {
	unsigned key, seq;
};

static int by_key(const void *a, const void *b, void *ctx)
{
	const struct item *x = a, *y = b;

	(*(unsigned *)ctx)++;
	return (x->key > y->key) - (x->key < y->key);
}

static int by_key_seq(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

START_TEST(sort_ctx_is_a_stable_sort)
{
	srand(1);
	for (size_t n = 0; n < 300; n++) {
		struct item *v = malloc((n ? n : 1) * sizeof(*v)), *w = malloc((n ? n : 1) * sizeof(*w));
		unsigned calls = 0, range = n % 3 ? 8 : 1000;   /* many ties, or few */

		for (size_t i = 0; i < n; i++)
			v[i] = (struct item){ (unsigned)rand() % range, (unsigned)i };
		memcpy(w, v, n * sizeof(*v));
		ck_assert(sort_ctx(v, n, sizeof(*v), by_key, &calls));
		/* stable: equal keys keep their order, which (key, seq) spells */
		qsort(w, n, sizeof(*w), by_key_seq);
		ck_assert_mem_eq(v, w, n * sizeof(*v));
		ck_assert_uint_eq(calls > 0, n > 1);
		free(v);
		free(w);
	}
}
END_TEST

START_TEST(typo_distance_counts_edits)
{
	static const char *const words[] = { "verify", "summary", "ranges" };

	ck_assert_uint_eq(typo_distance("verfy", "verify"), 1);
	ck_assert_uint_eq(typo_distance("", "abc"), 3);
	ck_assert_uint_eq(typo_distance("ranges", "ranges"), 0);
	ck_assert_str_eq(typo_closest("sumary", words, 3, sizeof(*words), 2), "summary");
	ck_assert_ptr_null(typo_closest("xyzzy", words, 3, sizeof(*words), 2));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sort_ctx_is_a_stable_sort);
	tcase_add_test(tc, typo_distance_counts_edits);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
