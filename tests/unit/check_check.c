// SPDX-License-Identifier: MIT
/*
 * lib/check on its own: the merge of per-order streams finds every
 * overlap at the first byte of the later block and hands the union to
 * the coverage questions; the two coverage rounds (collect where the
 * questions look, keep the union only there, answer) give the answers a
 * whole union would; the span search at its edges.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/checks.h"
#include "kho/abi.h"
#include "kho/verify.h"
#include "suite.h"

#define PAGE 4096u

static size_t count(const struct kho_findings *f, const char *check)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].check->name, check);
	return n;
}

static bool has(const struct kho_findings *f, const char *check, uint64_t phys)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].check->name, check) && f->v[i].phys == phys)
			return true;
	return false;
}

/* An inspection whose stored runs are @r[0..n), in tree order. */
static void inspection(struct kho_inspection *in, const struct kho_run *r, size_t n)
{
	memset(in, 0, sizeof(*in));
	kho_geometry_init(&in->geo, PAGE, false);
	kho_findings_init(&in->findings);
	in->runs = malloc((n ? n : 1) * sizeof(*r));
	ck_assert_ptr_nonnull(in->runs);
	memcpy(in->runs, r, n * sizeof(*r));
	in->nruns = in->runs_cap = n;
}

static void done(struct kho_inspection *in)
{
	free(in->runs);
	free(in->spans);
	kho_findings_free(&in->findings);
}

/* Merge the stored runs of @in; the union kept whole (keep_all). */
static void merge(struct kho_inspection *in, struct cover *c)
{
	struct run_checks rc = { .in = in, .f = &in->findings };

	check_merge(in, NULL, &rc, c);
}

START_TEST(merge_no_overlap_union_joined)
{
	/* Tree order: higher orders first, each ascending. */
	const struct kho_run r[] = {
		{ 0x200000, 1, 9 },          /* [2M, 4M) */
		{ 0x400000, 4, 0 },          /* touches it: one span [2M, 4M+16K) */
		{ 0x1000, 2, 0 },
	};
	struct kho_inspection in;
	struct cover c;

	inspection(&in, r, 3);
	cover_init(&c, &in, true);
	merge(&in, &c);
	ck_assert_uint_eq(in.findings.n, 0);
	ck_assert_uint_eq(in.nspans, 2);
	ck_assert_uint_eq(in.spans[0].start, 0x1000);
	ck_assert_uint_eq(in.spans[0].end, 0x3000);
	ck_assert_uint_eq(in.spans[1].start, 0x200000);
	ck_assert_uint_eq(in.spans[1].end, 0x404000);
	cover_free(&c);
	done(&in);
}
END_TEST

START_TEST(merge_overlap_at_later_block)
{
	const struct kho_run r[] = {
		{ 0x200000, 1, 9 },          /* [2M, 4M) */
		{ 0x10000, 1, 4 },           /* [64K, 128K) */
		{ 0x20000, 1, 1 },           /* [128K, 136K): touches, no overlap */
		{ 0x18000, 3, 0 },           /* inside the order-4 block: 3 overlaps */
		{ 0x3ff000, 2, 0 },          /* last page of the 2M block, then past it */
	};
	struct kho_inspection in;
	struct cover c;

	inspection(&in, r, 5);
	cover_init(&c, &in, true);
	merge(&in, &c);
	ck_assert_uint_eq(count(&in.findings, "range-overlap"), 4);
	ck_assert(has(&in.findings, "range-overlap", 0x18000));
	ck_assert(has(&in.findings, "range-overlap", 0x19000));
	ck_assert(has(&in.findings, "range-overlap", 0x1a000));
	ck_assert(has(&in.findings, "range-overlap", 0x3ff000));
	ck_assert(!has(&in.findings, "range-overlap", 0x20000));
	ck_assert(!has(&in.findings, "range-overlap", 0x400000));
	ck_assert_uint_eq(in.nspans, 2);
	ck_assert_uint_eq(in.spans[0].start, 0x10000);
	ck_assert_uint_eq(in.spans[0].end, 0x22000);
	ck_assert_uint_eq(in.spans[1].end, 0x401000);
	cover_free(&c);
	done(&in);
}
END_TEST

/* Same start, two sizes: the smaller one is the overlap, reported once. */
START_TEST(merge_same_start_larger_first)
{
	const struct kho_run r[] = {
		{ 0x40000, 1, 2 },
		{ 0x40000, 1, 0 },
	};
	struct kho_inspection in;
	struct cover c;

	inspection(&in, r, 2);
	cover_init(&c, &in, true);
	merge(&in, &c);
	ck_assert_uint_eq(count(&in.findings, "range-overlap"), 1);
	ck_assert(has(&in.findings, "range-overlap", 0x40000));
	cover_free(&c);
	done(&in);
}
END_TEST

/*
 * Needs: recorded before the merge, they say where the union is kept;
 * after seal and the merge, it answers as the whole union would.
 */
START_TEST(coverage_rounds_answer_like_whole_union)
{
	const struct kho_run r[] = {
		{ 0x100000, 16, 0 },         /* [1M, 1M+64K) */
		{ 0x200000, 1, 0 },
		{ 0x800000, 8, 0 },          /* never asked about: not kept */
	};
	const uint64_t q[][2] = {
		{ 0x100000, 0x110000 },      /* all covered */
		{ 0x10f000, 0x111000 },      /* gap at 0x110000 */
		{ 0x1ff000, 0x201000 },      /* gap at once */
		{ 0x200000, 0x201000 },
		{ 0x300000, 0x301000 },      /* nothing there */
	};
	struct kho_inspection in, whole;
	struct cover c, w;

	inspection(&in, r, 3);
	inspection(&whole, r, 3);
	cover_init(&c, &in, false);
	for (size_t i = 0; i < 5; i++)
		cover_need(&c, &(struct need){ .a = q[i][0], .b = q[i][1], .key = NEED_NO_KEY,
					       .check = KHO_CHECK_COUNT });
	cover_seal(&c);
	merge(&in, &c);
	cover_init(&w, &whole, true);
	merge(&whole, &w);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_uint_eq(cover_first_gap(&c, q[i][0], q[i][1]),
				  cover_first_gap(&w, q[i][0], q[i][1]));
		ck_assert_int_eq(cover_meets(&c, q[i][0], q[i][1]),
				 cover_meets(&w, q[i][0], q[i][1]));
	}
	ck_assert_uint_eq(cover_first_gap(&c, 0x100000, 0x110000), 0x110000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x10f000, 0x111000), 0x110000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x1ff000, 0x201000), 0x1ff000);
	ck_assert(!cover_meets(&c, 0x300000, 0x301000));
	for (size_t i = 0; i < in.nspans; i++)
		ck_assert_uint_lt(in.spans[i].start, 0x800000);
	ck_assert_uint_eq(whole.nspans, 3);
	cover_free(&c);
	cover_free(&w);
	done(&in);
	done(&whole);
}
END_TEST

/* The coverage checks run once: what they found without the map and what
 * their needs answer come out in the order they were recorded. */
START_TEST(needs_answered_in_recorded_order)
{
	const struct kho_run r[] = { { 0x200000, 1, 0 } };
	struct kho_inspection in;
	struct cover c;

	inspection(&in, r, 1);
	cover_init(&c, &in, false);
	kho_flag(&c.later, KHO_CHECK_RADIX_NODE_SCRATCH, 0x1000, "first");
	cover_need(&c, &(struct need){ .a = 0x1ff000, .b = 0x201000, .len = 0x2000,
				       .who = "x", .what = "blob", .index = -1,
				       .key = NEED_NO_KEY,
				       .check = KHO_CHECK_BLOB_NOT_PRESERVED });
	cover_need(&c, &(struct need){ .a = 0x200000, .b = 0x201000, .key = NEED_NO_KEY,
				       .check = KHO_CHECK_COUNT });
	kho_flag(&c.later, KHO_CHECK_RADIX_NODE_SCRATCH, 0x2000, "last");
	cover_seal(&c);
	merge(&in, &c);
	cover_answer(NULL, &c, &in.findings);
	ck_assert_uint_eq(in.findings.n, 3);
	ck_assert_str_eq(in.findings.v[0].message, "first");
	ck_assert_str_eq(in.findings.v[1].check->name, "blob-not-preserved");
	ck_assert_uint_eq(in.findings.v[1].phys, 0x1ff000);
	ck_assert_str_eq(in.findings.v[1].message,
			 "sub-node x: blob 0x1ff000+0x2000 is not preserved from 0x1ff000");
	ck_assert_str_eq(in.findings.v[2].message, "last");
	cover_free(&c);
	done(&in);
}
END_TEST

/*
 * Every anomaly kind has its row in lib/check/anomalies.c: a kind left
 * out would come out as fdt-header (check 0). Each is reported in the
 * order seen, with its detail as the message, and a kind past the enum
 * is never lost.
 */
START_TEST(anomalies_each_kind_a_check)
{
	struct kho_anomalies a = { 0 };
	struct kho_findings f;

	for (int k = 0; k < KHO_AN_COUNT; k++)
		kho_anomaly(&a, (enum kho_anomaly_kind)k, (uint64_t)k, "kind %d", k);
	kho_anomaly(&a, KHO_AN_COUNT, 0, "no such kind");
	kho_findings_init(&f);
	kho_findings_add_anomalies(&f, &a);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_uint_eq(f.n, KHO_AN_COUNT);
	for (size_t i = 0; i < f.n; i++) {
		char want[32];

		snprintf(want, sizeof(want), "kind %zu", i);
		ck_assert_str_eq(f.v[i].message, want);
		ck_assert_uint_eq(f.v[i].phys, i);
		ck_assert_int_eq(f.v[i].check == &kho_checks()[KHO_CHECK_FDT_HEADER],
				 i == KHO_AN_FDT_BAD_HEADER);
	}
	ck_assert_int_eq(f.v[KHO_AN_FDT_MAP_UNFINALIZED].severity, KHO_SEV_NOTE);
	ck_assert_int_eq(f.v[KHO_AN_MEMFD_FOLIOS_UNREAD].severity, KHO_SEV_INCOMPLETE);
	ck_assert_uint_eq(f.unknown, 1);
	kho_findings_free(&f);
}
END_TEST

/* Every check names where it is raised; an anomaly is raised by building
 * the model or by discovery, so its check must name one of those. */
START_TEST(checks_name_their_passes)
{
	const unsigned all = (KHO_PASS_ANSWER << 1) - 1;
	struct kho_anomalies a = { 0 };
	struct kho_findings f;

	for (const struct kho_check_info *c = kho_checks(); c->name; c++) {
		ck_assert_msg(c->passes && !(c->passes & ~all), "%s", c->name);
	}
	for (int k = 0; k < KHO_AN_COUNT; k++)
		kho_anomaly(&a, (enum kho_anomaly_kind)k, 0, "kind %d", k);
	kho_findings_init(&f);
	kho_findings_add_anomalies(&f, &a);
	for (size_t i = 0; i < f.n; i++)
		ck_assert_msg(f.v[i].check->passes & (KHO_PASS_MODEL | KHO_PASS_SESSION),
			      "%s", f.v[i].check->name);
	kho_findings_free(&f);
}
END_TEST

START_TEST(cover_first_gap_edges)
{
	struct kho_span u[] = { { 0x1000, 0x3000 }, { 0x3000, 0x5000 }, { 0x8000, 0x9000 } };
	struct kho_inspection in = { .spans = u, .nspans = 3 };
	struct cover c = { .in = &in };

	ck_assert_uint_eq(cover_first_gap(&c, 0x1000, 0x5000), 0x5000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x2000, 0x6000), 0x5000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x0, 0x2000), 0x0);
	ck_assert_uint_eq(cover_first_gap(&c, 0x8000, 0x9000), 0x9000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x8fff, 0xa000), 0x9000);
	ck_assert_uint_eq(cover_first_gap(&c, 0x4000, 0x4000), 0x4000);
	in.nspans = 0;
	ck_assert_uint_eq(cover_first_gap(&c, 0x1000, 0x2000), 0x1000);
}
END_TEST

/* A capped check keeps its first findings and counts the rest. */
START_TEST(findings_capped_and_counted)
{
	struct kho_findings f;
	size_t counts[4] = { 0 };

	kho_findings_init(&f);
	f.limit = 3;
	for (unsigned i = 0; i < 5; i++)
		if (!check_capped(&f, KHO_CHECK_RANGE_OVERLAP, -1))
			kho_flag(&f, KHO_CHECK_RANGE_OVERLAP, i * PAGE, "overlap %u", i);
		else
			check_drop(&f, KHO_CHECK_RANGE_OVERLAP, -1, 1);
	kho_flag(&f, KHO_CHECK_RADIX_EMPTY, 0, "empty");
	ck_assert_uint_eq(count(&f, "range-overlap"), 3);
	ck_assert_uint_eq(count(&f, "radix-empty"), 1);
	kho_findings_count(&f, counts);
	ck_assert_uint_eq(counts[KHO_SEV_ERROR], 5);
	ck_assert_uint_eq(counts[KHO_SEV_NOTE], 1);
	kho_findings_free(&f);
}
END_TEST

/* The cap is per severity: an error after a full cap of warnings of the
 * same check is stored, and dropped ones count at their own severity. */
START_TEST(findings_capped_per_severity)
{
	struct kho_findings f;
	size_t counts[4] = { 0 };

	kho_findings_init(&f);
	f.limit = 3;
	for (unsigned i = 0; i < 5; i++)
		if (!check_capped(&f, KHO_CHECK_RANGE_ORDER, -1))
			kho_flag(&f, KHO_CHECK_RANGE_ORDER, i * PAGE, "warning %u", i);
		else
			check_drop(&f, KHO_CHECK_RANGE_ORDER, -1, 1);
	ck_assert(!check_capped(&f, KHO_CHECK_RANGE_ORDER, KHO_SEV_ERROR));
	kho_flag_sev(&f, KHO_CHECK_RANGE_ORDER, KHO_SEV_ERROR, 0x80000000, "int overflow");
	ck_assert_uint_eq(count(&f, "range-order"), 4);
	kho_findings_count(&f, counts);
	ck_assert_uint_eq(counts[KHO_SEV_WARNING], 5);
	ck_assert_uint_eq(counts[KHO_SEV_ERROR], 1);
	ck_assert_uint_eq(kho_findings_dropped(&f, KHO_CHECK_RANGE_ORDER,
					       KHO_SEV_WARNING), 2);
	/* an id past the table is a bug: counted as an error, never lost */
	kho_flag(&f, KHO_CHECK_COUNT, 0, "?");
	kho_findings_count(&f, counts);
	ck_assert_uint_eq(counts[KHO_SEV_ERROR], 2);
	kho_findings_free(&f);
}
END_TEST

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *m = tcase_create("merge"), *c = tcase_create("coverage");

	tcase_add_test(m, merge_no_overlap_union_joined);
	tcase_add_test(c, findings_capped_per_severity);
	tcase_add_test(m, merge_overlap_at_later_block);
	tcase_add_test(m, merge_same_start_larger_first);
	tcase_add_test(c, coverage_rounds_answer_like_whole_union);
	tcase_add_test(c, needs_answered_in_recorded_order);
	tcase_add_test(c, anomalies_each_kind_a_check);
	tcase_add_test(c, checks_name_their_passes);
	tcase_add_test(c, cover_first_gap_edges);
	tcase_add_test(c, findings_capped_and_counted);
	suite_add_tcase(s, m);
	suite_add_tcase(s, c);
	return s;
}

int main(void)
{
	return run_suite(check_suite());
}
