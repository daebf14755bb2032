// SPDX-License-Identifier: MIT
/*
 * The discovery policy (kho_select): no candidate is out-voted, copies
 * fold, what the user or kernel named wins, and ambiguity is reported.
 * Images come from the reference implementation, written raw.
 */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/handover.h"
#include "kho/ref.h"
#include "kho/verify.h"
#include "suite.h"
#include "spec_image.h"

static const char base[] =
	"abi kho-v3\n"
	"ram 0 32M\n"
	"scratch 0x1000000 2M\n"
	"alloc 0x1800000 4M\n";
static const char base_ops[] =
	"folio 0x400000 4\n"
	"pages 0x800 100\n";

struct scanned {
	char path[64];
	struct kho_source *src;
	struct kho_candidate *c;
	size_t n;
};

/* The raw image of @base, @ram, @base_ops and @extra, opened and scanned. */
static void scan_spec_ram(const char *ram, const char *extra, struct scanned *s)
{
	struct kho_error err;
	char text[1024];

	snprintf(text, sizeof(text), "%s%s%s%s", base, ram, base_ops, extra);
	spec_raw_image("check_handover", text, s->path, sizeof(s->path));
	ck_assert_msg(kho_source_open(s->path, NULL, &s->src, &err) == KHO_OK, "%s", err.msg);
	ck_assert_int_eq(kho_scan(s->src, &s->c, &s->n, NULL, NULL, &err), KHO_OK);
}

static void scan_spec(const char *extra, struct scanned *s)
{
	scan_spec_ram("", extra, s);
}

static void done(struct scanned *s)
{
	free(s->c);
	kho_source_close(s->src);
	unlink(s->path);
}

/* What selection saw is a model fact, before any verdict. */
static size_t ambiguous(const struct kho_anomalies *a)
{
	return kho_anomalies_of(a, KHO_AN_HANDOVER_AMBIGUOUS);
}

static void select_all(struct scanned *s, const struct kho_select_opts *o,
		       struct kho_anomalies *top, size_t *order, size_t *norder)
{
	struct kho_error err;

	memset(top, 0, sizeof(*top));
	ck_assert_int_eq(kho_select(s->src, s->c, s->n, o, top, order, norder, &err), KHO_OK);
}

START_TEST(one_handover_is_not_ambiguous)
{
	struct kho_select_opts o = { 0 };
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n;

	scan_spec("", &s);
	ck_assert_uint_eq(s.n, 1);
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(s.c[0].inspect);
	ck_assert_int_eq(s.c[0].self_preserved, KHO_SELF_YES);
	ck_assert_uint_eq(ambiguous(&top), 0);
	ck_assert_ptr_nonnull(strstr(s.c[0].why, "the only KHO FDT"));
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

/* Issue 11: the stale handover preserves itself, the real one does not;
 * the real one must be inspected too, and ambiguity said. */
START_TEST(a_stale_handover_does_not_out_vote_the_real_one)
{
	struct kho_select_opts o = { 0 };
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n, real = 0, stale = 0;

	scan_spec("defect fdt-not-preserved\ndefect handover-ambiguous\n", &s);
	ck_assert_uint_eq(s.n, 2);
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert(s.c[i].inspect);
		if (s.c[i].self_preserved == KHO_SELF_NO)
			real = i;
		else
			stale = i;
	}
	ck_assert_int_eq(s.c[stale].self_preserved, KHO_SELF_YES);
	ck_assert_int_eq(s.c[real].self_preserved, KHO_SELF_NO);
	ck_assert_uint_eq(order[0], stale);   /* self-preserving first */
	ck_assert_uint_eq(order[1], real);
	ck_assert_uint_eq(ambiguous(&top), 1);
	ck_assert_uint_eq(top.v[0].phys, s.c[stale].phys);
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

/* Issue 22: a successor's dump holds its own handover and the one it
 * received (kexec-metadata one kexec less, its page no key any more):
 * that one is consumed, inspected last and no rival. */
START_TEST(a_successors_incoming_handover_is_consumed)
{
	struct kho_select_opts o = { 0 };
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n;

	scan_spec("kexec-metadata 7.3.0 1\ndefect handover-consumed\n", &s);
	ck_assert_uint_eq(s.n, 2);
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(!s.c[order[0]].consumed && s.c[order[0]].self_preserved == KHO_SELF_YES);
	ck_assert(s.c[order[1]].consumed && s.c[order[1]].inspect);
	ck_assert_ptr_nonnull(strstr(s.c[order[1]].why, "kexec #1, then #2"));
	ck_assert_uint_eq(ambiguous(&top), 0);
	ck_assert_uint_eq(kho_anomalies_of(&top, KHO_AN_HANDOVER_CONSUMED), 1);
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

/* ... but one that still preserves its own page is live: never taken for
 * consumed (a stale handover of another chain may count one more). */
START_TEST(a_handover_preserving_itself_is_never_consumed)
{
	struct kho_select_opts o = { 0 };
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n;

	scan_spec("kexec-metadata 7.3.0 1\ndefect handover-consumed intact\n", &s);
	ck_assert_uint_eq(s.n, 2);
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert(!s.c[i].consumed && s.c[i].inspect);
		ck_assert_int_eq(s.c[i].self_preserved, KHO_SELF_YES);
	}
	ck_assert_uint_eq(ambiguous(&top), 1);
	ck_assert_uint_eq(kho_anomalies_of(&top, KHO_AN_HANDOVER_CONSUMED), 0);
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

/* Issue 22: a KHO FDT whose header or structure fails is a candidate,
 * inspected beside the intact stale copy made before the damage. */
START_TEST(a_damaged_fdt_is_a_candidate)
{
	static const char *const variants[] = { "end", "totalsize", "offsets", "version" };
	char extra[128];

	for (size_t v = 0; v < sizeof(variants) / sizeof(*variants); v++) {
		struct kho_select_opts o = { 0 };
		struct kho_anomalies top;
		struct scanned s;
		size_t order[4], n, damaged = 0;

		snprintf(extra, sizeof(extra), "defect handover-ambiguous\n"
			 "defect fdt-header %s\n", variants[v]);
		scan_spec(extra, &s);
		ck_assert_msg(s.n == 2, "%s: %zu candidates", variants[v], s.n);
		select_all(&s, &o, &top, order, &n);
		ck_assert_uint_eq(n, 2);
		for (size_t i = 0; i < 2; i++) {
			ck_assert(s.c[i].inspect);
			ck_assert_str_eq(s.c[i].compatible, "kho-v3");
			damaged += s.c[i].damaged;
		}
		/* "end" leaves the root readable: only the inspection fails */
		ck_assert_uint_eq(damaged, strcmp(variants[v], "end") ? 1 : 0);
		ck_assert_uint_eq(ambiguous(&top), 1);
		kho_anomalies_free(&top);
		done(&s);
	}
}
END_TEST

/* An FDT with another root compatible (a boot DTB, a sub-blob) is no
 * candidate, however broken its header. */
START_TEST(other_fdts_are_not_candidates)
{
	static const char *const compat[] = { "linux,dummy-virt", "kho-test-v1", "memblock-v1",
					      "kho-v4" };
	char buf[4096], got[32];

	for (size_t i = 0; i < sizeof(compat) / sizeof(*compat); i++) {
		ck_assert_int_eq(fdt_create_empty_tree(buf, sizeof(buf)), 0);
		ck_assert_int_eq(fdt_setprop_string(buf, 0, "compatible", compat[i]), 0);
		ck_assert_int_eq(fdt_pack(buf), 0);
		fdt_set_totalsize(buf, 3 * sizeof(buf));     /* a DTB larger than a page */
		ck_assert_int_eq(kho_fdt_probe_root(buf, sizeof(buf), got, sizeof(got)),
				 !strcmp(compat[i], "kho-v4"));
	}
	/* the magic alone is not enough */
	memset(buf, 0, sizeof(buf));
	fdt_set_magic(buf, FDT_MAGIC);
	ck_assert(!kho_fdt_probe_root(buf, sizeof(buf), got, sizeof(got)));
}
END_TEST

START_TEST(what_was_named_wins)
{
	struct kho_select_opts o = { .chosen_by = "--fdt" };
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n;

	scan_spec("defect handover-ambiguous\n", &s);
	ck_assert_uint_eq(s.n, 2);
	o.chosen = s.c[1].phys;
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(order[0], 1);
	ck_assert(!s.c[0].inspect);
	ck_assert_ptr_nonnull(strstr(s.c[0].why, "not inspected: --fdt named"));
	ck_assert_uint_eq(ambiguous(&top), 0);
	kho_anomalies_free(&top);

	/* --all with nothing named: both, and still ambiguous. */
	o = (struct kho_select_opts){ .all = true };
	select_all(&s, &o, &top, order, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ambiguous(&top), 1);
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

START_TEST(exact_copies_fold)
{
	struct kho_select_opts o = { 0 };
	struct kho_anomalies top;
	struct scanned s;
	struct kho_candidate c[3];
	size_t order[3], n;
	struct kho_error err;

	scan_spec("", &s);
	ck_assert_uint_eq(s.n, 1);
	/* The real FDT and two copies of it (as kexec segments hold): the
	 * copies are listed, not inspected, and nothing is ambiguous. */
	c[0] = c[1] = c[2] = s.c[0];
	c[0].phys = 0x100000;
	c[2].phys = 0x1f00000;
	memset(&top, 0, sizeof(top));
	ck_assert_int_eq(kho_select(s.src, c, 3, &o, &top, order, &n, &err), KHO_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(order[0], 1);   /* the copy that preserves itself */
	ck_assert(!c[0].inspect && c[1].inspect && !c[2].inspect);
	ck_assert_ptr_nonnull(strstr(c[0].why, "a copy of the FDT at"));
	ck_assert_uint_eq(ambiguous(&top), 0);
	kho_anomalies_free(&top);

	/* One byte different is not a copy. */
	c[2].digest ^= 1;
	memset(&top, 0, sizeof(top));
	ck_assert_int_eq(kho_select(s.src, c, 3, &o, &top, order, &n, &err), KHO_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(ambiguous(&top), 1);
	kho_anomalies_free(&top);
	done(&s);
}
END_TEST

/* A radix handover at @fdt naming the map at @map, as kho_inspect leaves it. */
static void tree_handover(struct kho_inspection *in, uint64_t fdt, uint64_t map)
{
	memset(in, 0, sizeof(*in));
	kho_findings_init(&in->findings);
	in->ho.fdt_phys = fdt;
	in->ho.map_phys = map;
	in->ho.fdt_ok = in->ho.map_ok = true;
	in->ho.abi = kho_abi_version_find(4);
}

/* The 7.3 cross-check: each named handover against the tree its holder keeps. */
START_TEST(kernel_trees_must_be_the_ones_named)
{
	struct kho_inspection hs[2], *out = &hs[0], *inc = &hs[1];
	struct kho_findings top;
	struct kho_boot_info bi = { .fdt = 0x10000, .incoming_fdt = 0x20000,
				    .trees_known = true, .out_known = true,
				    .in_known = true, .out_tree = 0x11000,
				    .in_tree = 0x21000 };

	ck_assert_ptr_nonnull(kho_abi_version_find(4));
	ck_assert_int_eq(kho_abi_version_find(4)->map_format, KHO_MAP_RADIX);
	kho_findings_init(&top);
	tree_handover(out, 0x10000, 0x11000);
	tree_handover(inc, 0x20000, 0x21000);
	kho_check_kernel_trees(&bi, hs, 2, &top);
	ck_assert_uint_eq(kho_findings_of(&out->findings, KHO_CHECK_FDT_MEMORY_MAP), 0);
	ck_assert_uint_eq(kho_findings_of(&inc->findings, KHO_CHECK_FDT_MEMORY_MAP), 0);
	/* kho_in's tree is not the incoming FDT's; kho_out holds none */
	bi.in_tree = 0x11000;
	bi.out_tree = 0;
	kho_check_kernel_trees(&bi, hs, 2, &top);
	ck_assert_uint_eq(kho_findings_of(&out->findings, KHO_CHECK_FDT_MEMORY_MAP), 1);
	ck_assert_uint_eq(kho_findings_of(&inc->findings, KHO_CHECK_FDT_MEMORY_MAP), 1);
	ck_assert_ptr_nonnull(strstr(inc->findings.v[0].message, "0x21000 is not the tree kho_in "
						       "holds (0x11000)"));
	ck_assert_uint_eq(kho_findings_of(&top, KHO_CHECK_FDT_MEMORY_MAP), 0);
	/* a tree in kho_in without an incoming FDT has no handover to blame */
	bi.incoming_fdt = 0;
	bi.out_tree = 0x11000;
	kho_check_kernel_trees(&bi, hs, 1, &top);
	ck_assert_uint_eq(kho_findings_of(&out->findings, KHO_CHECK_FDT_MEMORY_MAP), 1);
	ck_assert_uint_eq(kho_findings_of(&top, KHO_CHECK_FDT_MEMORY_MAP), 1);
	/* 7.2: kho_out's tree known, kho_in's not: only the outgoing one is
	 * checked, and kho_in's orphan tree says nothing */
	bi.in_known = false;
	bi.out_tree = 0x98000;
	bi.in_tree = 0x21000;
	kho_check_kernel_trees(&bi, hs, 1, &top);
	ck_assert_uint_eq(kho_findings_of(&out->findings, KHO_CHECK_FDT_MEMORY_MAP), 2);
	ck_assert_uint_eq(kho_findings_of(&top, KHO_CHECK_FDT_MEMORY_MAP), 1);
	/* unknown trees (no DWARF, before 7.2): nothing is checked */
	bi.trees_known = bi.out_known = false;
	bi.out_tree = 0x99000;
	kho_check_kernel_trees(&bi, hs, 2, &top);
	ck_assert_uint_eq(kho_findings_of(&out->findings, KHO_CHECK_FDT_MEMORY_MAP), 2);
	ck_assert_uint_eq(kho_findings_of(&top, KHO_CHECK_FDT_MEMORY_MAP), 1);
	kho_findings_free(&out->findings);
	kho_findings_free(&inc->findings);
	kho_findings_free(&top);
}
END_TEST

/*
 * 7.3's extended scratch: with the incoming handover known, a stale
 * candidate in a 1 GiB block holding none of its preserved memory is
 * possibly overwritten and not inspected, even with --all; a preserved
 * key in that block, or a tree that cannot be read, keeps it unlabelled.
 */
static void stale_labels(const char *ram, const char *extra, uint64_t tree, bool want_block1)
{
	struct kho_select_opts o = { .chosen_by = "--vmlinux", .all = true };
	struct kho_candidate *c;
	struct kho_anomalies top;
	struct scanned s;
	size_t order[4], n;

	scan_spec_ram(ram, extra, &s);
	ck_assert_uint_eq(s.n, 1);
	c = realloc(s.c, 3 * sizeof(*c));
	ck_assert_ptr_nonnull(c);
	s.c = c;
	c[1] = c[2] = c[0];
	c[1].phys = 0x1f00000;                 /* block 0: the handover's keys */
	c[2].phys = 0x40100000;                /* block 1 */
	s.n = 3;
	o.chosen = o.incoming_fdt = c[0].phys;
	o.incoming_tree = tree ? tree : c[0].map_phys;
	select_all(&s, &o, &top, order, &n);
	ck_assert(!c[0].possibly_overwritten && c[0].inspect);
	ck_assert(!c[1].possibly_overwritten && c[1].inspect);
	ck_assert_int_eq(c[2].possibly_overwritten, want_block1);
	ck_assert_int_eq(c[2].inspect, !want_block1);
	ck_assert_uint_eq(n, want_block1 ? 2 : 3);
	if (want_block1)
		ck_assert_ptr_nonnull(strstr(c[2].why, "possibly overwritten"));
	kho_anomalies_free(&top);
	done(&s);
}

START_TEST(stale_candidates_after_extended_scratch)
{
	const char *ram = "ram 0x40000000 4M\n";

	stale_labels(ram, "", 0, true);
	/* an order-0 key in block 1, and one of order 18 (the whole block) */
	stale_labels(ram, "folio 0x40200000 0\n", 0, false);
	stale_labels("ram 0x40000000 0x40000000\n", "folio 0x40000000 18\n", 0, false);
	/* the tree cannot be read: nothing is claimed */
	stale_labels(ram, "", 0x7fff000, false);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handover");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, one_handover_is_not_ambiguous);
	tcase_add_test(tc, a_stale_handover_does_not_out_vote_the_real_one);
	tcase_add_test(tc, a_successors_incoming_handover_is_consumed);
	tcase_add_test(tc, a_handover_preserving_itself_is_never_consumed);
	tcase_add_test(tc, a_damaged_fdt_is_a_candidate);
	tcase_add_test(tc, other_fdts_are_not_candidates);
	tcase_add_test(tc, what_was_named_wins);
	tcase_add_test(tc, exact_copies_fold);
	tcase_add_test(tc, kernel_trees_must_be_the_ones_named);
	tcase_add_test(tc, stale_candidates_after_extended_scratch);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
