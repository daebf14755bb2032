// SPDX-License-Identifier: MIT
/*
 * Scratch areas at the top of the address space: every comparison
 * (range-scratch, radix-node-scratch, the scratch-layout overlap, the
 * fast path's hull) goes through lib/check/scratch.h and cuts an area
 * that runs past 2^64 at the top, the same way everywhere.
 */
#include <check.h>
#include <string.h>

#include "kho/verify.h"
#include "suite.h"
#include "check/checks.h"
#include "check/scratch.h"

#define TOP 0xffffffffffe00000ull   /* 2 MiB below 2^64 */

START_TEST(helpers_cut_at_the_top)
{
	struct kho_scratch_area wrap = { TOP, 0x400000 };   /* would end at 2^64 + 2 MiB */
	struct kho_scratch_area last = { TOP, 0x200000 };   /* ends exactly at 2^64 */
	struct kho_scratch_area low = { 0x1000000, 0x400000 };
	struct kho_scratch_area empty = { 0x1000000, 0 };

	ck_assert(scratch_wraps(&wrap));
	ck_assert(!scratch_wraps(&last));
	ck_assert(!scratch_wraps(&empty));
	ck_assert_uint_eq(scratch_last(&wrap), UINT64_MAX);
	ck_assert_uint_eq(scratch_last(&last), UINT64_MAX);
	ck_assert_uint_eq(scratch_end(&wrap), UINT64_MAX);
	ck_assert_uint_eq(scratch_end(&low), 0x1400000);

	/* the top page is in both; low memory is not in the wrapping area */
	ck_assert(scratch_meets(&wrap, 0xfffffffffffff000ull, 0x1000));
	ck_assert(scratch_meets(&last, 0xfffffffffffff000ull, 0x1000));
	ck_assert(!scratch_meets(&wrap, 0, 0x1000));
	ck_assert(!scratch_meets(&wrap, 0x100000, 0x1000));
	/* a range that itself wraps is cut too */
	ck_assert(scratch_meets(&wrap, 0xfffffffffffff000ull, 0x10000));
	ck_assert(!scratch_meets(&low, 0xfffffffffffff000ull, 0x2000000));
	/* edges of an ordinary area; empty areas and ranges meet nothing */
	ck_assert(scratch_meets(&low, 0x13ff000, 0x1000));
	ck_assert(!scratch_meets(&low, 0x1400000, 0x1000));
	ck_assert(!scratch_meets(&low, 0xfff000, 0x1000));
	ck_assert(scratch_meets(&low, 0xfff000, 0x2000));
	ck_assert(!scratch_meets(&empty, 0x1000000, 0x1000));
	ck_assert(!scratch_meets(&low, 0x1000000, 0));
	ck_assert(scratch_meets(&wrap, last.phys, last.size));
	ck_assert(!scratch_meets(&wrap, low.phys, low.size));
	ck_assert(!scratch_meets(&low, empty.phys, empty.size));
}
END_TEST

static size_t count(const struct kho_findings *f, const char *check)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += !strcmp(f->v[i].check->name, check);
	return n;
}

/* An inspection with just what the scratch checks read. */
static void setup(struct kho_inspection *in, struct kho_scratch_area *areas, size_t n)
{
	memset(in, 0, sizeof(*in));
	ck_assert_int_eq(kho_geometry_init(&in->geo, 4096, false), KHO_OK);
	kho_findings_init(&in->findings);
	in->ho.scratch = areas;
	in->ho.nscratch = n;
}

START_TEST(layout_reports_the_wrap_and_the_overlap_across_it)
{
	struct kho_scratch_area areas[] = {
		{ TOP, 0x400000 },                       /* runs past 2^64 */
		{ 0xffffffffff000000ull, 0x1000000 },    /* meets it below the top */
		{ 0x1000000, 0x400000 },                 /* where the wrap would land: apart */
	};
	struct kho_inspection in;

	setup(&in, areas, 3);
	check_scratch_layout(&in, "x86_64", &in.findings);
	/* TOP is 2 MiB aligned, not 4 MiB: the granule warning comes first */
	ck_assert_uint_eq(count(&in.findings, "scratch-layout"), 3);
	ck_assert_int_eq(in.findings.v[0].severity, KHO_SEV_WARNING);
	ck_assert(strstr(in.findings.v[1].message, "top of the address space"));
	ck_assert(strstr(in.findings.v[2].message, "area 1 overlaps area 0"));
	kho_findings_free(&in.findings);
}
END_TEST

/* 7.3 leaves the global area empty below 4 GiB: no finding, wherever it
 * lies; an area off the PAGE_SIZE * MAX_ORDER_NR_PAGES grid is a warning
 * that says where its size came from; not page-aligned stays an error. */
START_TEST(layout_takes_empty_areas_and_warns_off_the_granule)
{
	struct kho_scratch_area areas[] = {
		{ 0x1000000, 0x400000 },                 /* 4 MiB on 4 MiB: clean */
		{ 0x1000000, 0 },                        /* empty, inside area 0 */
		{ 0x1234, 0 },                           /* empty, not even page-aligned */
		{ 0x2200000, 0x200000 },                 /* page-aligned, 2 MiB grid */
		{ 0x3000100, 0x1000 },                   /* not page-aligned */
	};
	const struct { const char *arch, *says; } as[] = {
		{ "x86_64", "not aligned to 4 MiB, PAGE_SIZE * MAX_ORDER_NR_PAGES on x86_64" },
		{ "", "(the architecture is unknown: what 4 KiB pages imply)" },
	};

	for (size_t k = 0; k < 2; k++) {
		struct kho_inspection in;

		setup(&in, areas, 5);
		check_scratch_layout(&in, as[k].arch, &in.findings);
		ck_assert_uint_eq(in.findings.n, 2);
		ck_assert_uint_eq(in.findings.v[0].phys, 0x2200000);
		ck_assert_int_eq(in.findings.v[0].severity, KHO_SEV_WARNING);
		ck_assert_msg(strstr(in.findings.v[0].message, as[k].says), "%s",
			      in.findings.v[0].message);
		ck_assert_uint_eq(in.findings.v[1].phys, 0x3000100);
		ck_assert_int_eq(in.findings.v[1].severity, KHO_SEV_ERROR);
		kho_findings_free(&in.findings);
	}
}
END_TEST

START_TEST(range_scratch_sees_a_block_under_a_wrapping_area)
{
	struct kho_scratch_area areas[] = { { TOP, 0x400000 } };
	struct kho_run top = { 0xfffffffffff00000ull, 1, 0 };
	struct kho_run low = { 0x100000, 4, 0 };      /* below where the wrap lands */
	struct kho_inspection in;
	struct run_checks rc;

	setup(&in, areas, 1);
	run_checks_init(&rc, NULL, &in, 18, &in.findings);
	ck_assert_uint_eq(rc.scratch_lo, TOP);
	ck_assert_uint_eq(rc.scratch_hi, UINT64_MAX);
	/* all of memory counts as present: check_memory reads no source */
	rc.present_lo = 0;
	rc.present_hi = UINT64_MAX;
	check_runs(&rc, &top, 1);
	check_runs(&rc, &low, 1);
	ck_assert_uint_eq(count(&in.findings, "range-scratch"), 1);
	ck_assert_uint_eq(in.findings.v[0].phys, 0xfffffffffff00000ull);
	kho_findings_free(&in.findings);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scratch");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, helpers_cut_at_the_top);
	tcase_add_test(tc, layout_reports_the_wrap_and_the_overlap_across_it);
	tcase_add_test(tc, layout_takes_empty_areas_and_warns_off_the_granule);
	tcase_add_test(tc, range_scratch_sees_a_block_under_a_wrapping_area);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
