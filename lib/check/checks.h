/* SPDX-License-Identifier: MIT */
/* The check families of lib/check, run by kho_inspect() (verify.c). */
#ifndef KHO_CHECK_CHECKS_H
#define KHO_CHECK_CHECKS_H

#include "kho/verify.h"

#include "cover.h"

/*
 * range-order, range-scratch, range-not-ram, range-not-dumped, one run
 * at a time. Most runs are plain: a small order, clear of scratch, inside
 * the present stretch the last lookup found; they cost a few compares.
 */
struct run_checks {
	struct kho_source *src;
	const struct kho_inspection *in;
	unsigned max_order;          /* larger orders are reported (fast path) */
	unsigned max_order_user;     /* --max-order */
	uint64_t scratch_lo, scratch_hi;   /* hull of the scratch areas */
	uint64_t present_lo, present_hi;   /* the last present stretch */
	struct kho_findings *f;
};

void run_checks_init(struct run_checks *rc, struct kho_source *src,
		     const struct kho_inspection *in, unsigned max_order,
		     struct kho_findings *f);
void check_run_slow(struct run_checks *rc, const struct kho_run *r);

/* Runs @r[0..n) of one order, ascending (a batch from a radix cursor). */
static inline void check_runs(struct run_checks *rc, const struct kho_run *r, size_t n)
{
	uint64_t lo = r[0].phys, size = kho_order_bytes(&rc->in->geo, r[0].order);
	uint64_t hi = r[n - 1].phys + r[n - 1].count * size;

	if (r[0].order <= rc->max_order && hi > r[n - 1].phys && lo >= rc->present_lo &&
	    hi <= rc->present_hi && (hi <= rc->scratch_lo || lo >= rc->scratch_hi))
		return;
	for (size_t i = 0; i < n; i++)
		check_run_slow(rc, &r[i]);
}

/*
 * range-overlap: merges the runs into address order, from cursors over
 * each order of @map (their runs counted into in->stats, every batch
 * checked by check_runs()) or, @map NULL, from in->runs, whose runs the
 * caller checks. The union goes to @c.
 */
void check_merge(struct kho_inspection *in, const struct kho_radix_map *map,
		 struct run_checks *rc, struct cover *c);

void check_coverage(const struct kho_inspection *in, struct cover *c,
		    struct kho_findings *f);
/* @arch: kho_source_arch(), "" when the dump does not say. */
void check_scratch_layout(const struct kho_inspection *in, const char *arch,
			  struct kho_findings *f);
void check_blobs(const struct kho_inspection *in, struct kho_findings *f);
/* The order of the key that starts at @phys: -1 none, -2 cannot tell. */
int key_order_at(struct kho_source *src, const struct kho_inspection *in, uint64_t phys);
/* What decoded blobs name must be preserved (needs the walk). */
void check_blob_contents(struct kho_source *src, const struct kho_inspection *in,
			 struct cover *c, struct kho_findings *f);

/* luo-not-preserved for what the LUO state names (needs the walk). */
void check_luo_cover(const struct kho_inspection *in, struct cover *c);
/* Each memfd folio: its key, order, place in the file (after the walk). */
void check_luo_folios(struct kho_source *src, const struct kho_inspection *in,
		      struct cover *c, struct kho_findings *f);

/*
 * A check whose findings at @sev (-1: its own severity) are capped:
 * further blocks need not be looked at, ...
 */
bool check_capped(const struct kho_findings *f, enum kho_check_id check, int sev);
/* ... only counted, @n of them, as dropped at that severity. */
void check_drop(struct kho_findings *f, enum kho_check_id check, int sev, uint64_t n);

#endif
