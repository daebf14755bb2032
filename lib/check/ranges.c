// SPDX-License-Identifier: MIT
/*
 * Checks of each preserved block against the machine: its order, the
 * scratch areas, the memory the dump describes and what the dump holds.
 * Findings are per block (capped per check); runs are cut by interval
 * arithmetic, never expanded block by block where nothing is wrong.
 */
#include "kho/verify.h"
#include "kho/version.h"

#include <string.h>

#include "../util/util.h"
#include "checks.h"
#include "scratch.h"

static void check_order(const struct kho_inspection *in, const struct kho_run *r,
			uint64_t size, unsigned max_order, struct kho_findings *f)
{
	/* the successor computes the block's bytes in int and overflows:
	 * only 7.1 (kho-v2, kho-v3); 7.2.13 and 7.3-rc7 use u64 */
	bool too_big = in->ho.abi && in->ho.abi->int_block_size &&
		       r->order + in->geo.page_shift >= 31;

	if (!too_big && r->order <= max_order)
		return;
	int sev = too_big ? KHO_SEV_ERROR : -1;

	for (uint64_t i = 0; i < r->count; i++) {
		if (check_capped(f, KHO_CHECK_RANGE_ORDER, sev))
			return check_drop(f, KHO_CHECK_RANGE_ORDER, sev, r->count - i);
		if (too_big)
			kho_flag_sev(f, KHO_CHECK_RANGE_ORDER, KHO_SEV_ERROR, r->phys + i * size,
				     "order %u: a 7.1 successor (%s) computes 1 << (order + "
				     "PAGE_SHIFT) = 2^%u in int; 7.2.13 and 7.3-rc7 (kho-v4) "
				     "compute it in u64", r->order, in->ho.abi->compatible,
				     r->order + in->geo.page_shift);
		else
			kho_flag(f, KHO_CHECK_RANGE_ORDER, r->phys + i * size,
				 "order %u is above --max-order %u", r->order, max_order);
	}
}

static void check_scratch(const struct kho_inspection *in, const struct kho_run *r,
			  uint64_t size, struct kho_findings *f)
{
	for (size_t s = 0; s < in->ho.nscratch; s++) {
		const struct kho_scratch_area *a = &in->ho.scratch[s];
		uint64_t lo, hi;

		/* Blocks [lo, hi) of @r meet the area. No end is computed, so a
		 * run or an area at the top of memory cannot wrap. */
		if (!a->size || scratch_last(a) < r->phys)
			continue;
		lo = a->phys > r->phys ? (a->phys - r->phys) / size : 0;
		hi = MIN(r->count, (scratch_last(a) - r->phys) / size + 1);
		for (uint64_t i = lo; i < hi; i++) {
			uint64_t start = r->phys + i * size;

			if (check_capped(f, KHO_CHECK_RANGE_SCRATCH, -1)) {
				check_drop(f, KHO_CHECK_RANGE_SCRATCH, -1, hi - i);
				break;
			}
			kho_flag(f, KHO_CHECK_RANGE_SCRATCH, MAX(start, a->phys),
				 "0x%llx+0x%llx (order %u) overlaps scratch area %zu "
				 "0x%llx+0x%llx", HEX(start), HEX(size), r->order, s,
				 HEX(a->phys), HEX(a->size));
		}
	}
}

/*
 * range-not-ram and range-not-dumped: walk the source's map across the
 * run; every block meeting an absent (or excluded) stretch is reported
 * once, at the first such byte it has. A run inside the last present
 * stretch seen costs no lookup.
 */
static void check_memory(struct run_checks *rc, const struct kho_run *r, uint64_t size)
{
	struct kho_findings *f = rc->f;
	uint64_t end = r->phys + r->count * size, pos = r->phys, run;
	uint64_t last_absent = UINT64_MAX, last_excluded = UINT64_MAX;

	if (end < r->phys)
		end = UINT64_MAX;
	if (pos >= rc->present_lo && end <= rc->present_hi)
		return;
	while (pos < end) {
		enum kho_mem_state st = kho_source_state(rc->src, pos, &run);
		uint64_t stop = run && pos + run > pos ? MIN(end, pos + run) : end;

		if (st == KHO_MEM_PRESENT && run && pos + run > pos) {
			rc->present_lo = pos;
			rc->present_hi = pos + run;
		}
		if (st != KHO_MEM_PRESENT) {
			bool absent = st == KHO_MEM_ABSENT;
			enum kho_check_id check = absent ? KHO_CHECK_RANGE_NOT_RAM :
						  KHO_CHECK_RANGE_NOT_DUMPED;
			uint64_t *last = absent ? &last_absent : &last_excluded;

			for (uint64_t i = (pos - r->phys) / size;
			     i < r->count && r->phys + i * size < stop; i++) {
				uint64_t start = r->phys + i * size, first = MAX(start, pos);

				if (*last == i)
					continue;
				if (check_capped(f, check, -1)) {
					/* blocks meeting [pos, stop) not yet reported */
					uint64_t d = stop - r->phys;

					d = d / size + (d % size != 0);
					check_drop(f, check, -1, MIN(r->count, d) - i);
					break;
				}
				*last = i;
				kho_flag(f, check, first, "0x%llx+0x%llx (order %u): 0x%llx is %s",
					 HEX(start), HEX(size), r->order, HEX(first),
					 absent ? "not memory the dump describes" :
					 "not in the dump");
			}
		}
		pos = stop;
	}
}

void run_checks_init(struct run_checks *rc, struct kho_source *src,
		     const struct kho_inspection *in, unsigned max_order,
		     struct kho_findings *f)
{
	unsigned fast = MIN(max_order, kho_max_order(&in->geo));

	/* orders a 7.1 successor overflows on are always reported */
	if (in->ho.abi && in->ho.abi->int_block_size)
		fast = MIN(fast, 30 - in->geo.page_shift);
	*rc = (struct run_checks){ .src = src, .in = in, .f = f, .scratch_lo = UINT64_MAX,
				   .max_order = fast, .max_order_user = max_order };
	for (size_t s = 0; s < in->ho.nscratch; s++) {
		const struct kho_scratch_area *a = &in->ho.scratch[s];

		if (!a->size)
			continue;
		rc->scratch_lo = MIN(rc->scratch_lo, a->phys);
		rc->scratch_hi = MAX(rc->scratch_hi, scratch_end(a));
	}
}

void check_run_slow(struct run_checks *rc, const struct kho_run *r)
{
	uint64_t size = kho_order_bytes(&rc->in->geo, r->order);

	check_order(rc->in, r, size, rc->max_order_user, rc->f);
	check_scratch(rc->in, r, size, rc->f);
	check_memory(rc, r, size);
}

void check_scratch_layout(const struct kho_inspection *in, const char *arch,
			  struct kho_findings *f)
{
	uint64_t page = in->geo.page_size;
	/* the granule 7.2.13 and 7.3-rc7 round scratch to: an area off it is
	 * a warning naming the rule and where its size came from */
	unsigned order = kho_scratch_align_order(page);
	uint64_t granule = page << order;
	bool known = !strcmp(arch, "x86_64") || !strcmp(arch, "aarch64");

	for (size_t i = 0; i < in->ho.nscratch; i++) {
		const struct kho_scratch_area *a = &in->ho.scratch[i];

		/* An empty area is legal: 7.3 gives the global one size 0 when
		 * all RAM is below 4 GiB. Nothing to align, nothing to meet. */
		if (!a->size)
			continue;
		if (!is_aligned(a->phys | a->size, page))
			kho_flag(f, KHO_CHECK_SCRATCH_LAYOUT, a->phys,
				 "scratch area %zu 0x%llx+0x%llx is not page-aligned", i,
				 HEX(a->phys), HEX(a->size));
		else if (order && !is_aligned(a->phys | a->size, granule))
			kho_flag_sev(f, KHO_CHECK_SCRATCH_LAYOUT, KHO_SEV_WARNING, a->phys,
				     "scratch area %zu 0x%llx+0x%llx is not aligned to %llu MiB, "
				     "PAGE_SIZE * MAX_ORDER_NR_PAGES %s%s%s", i, HEX(a->phys),
				     HEX(a->size), HEX(granule >> 20),
				     known ? "on " : "(the architecture is unknown: what ",
				     known ? arch : page == 4096 ? "4 KiB" :
				     page == 16384 ? "16 KiB" : "64 KiB", known ? "" : " pages imply)");
		if (scratch_wraps(a))
			kho_flag(f, KHO_CHECK_SCRATCH_LAYOUT, a->phys,
				 "scratch area %zu 0x%llx+0x%llx runs past the top of the "
				 "address space (checked up to it)", i, HEX(a->phys),
				 HEX(a->size));
		for (size_t k = 0; k < i; k++) {
			if (scratch_meets(a, in->ho.scratch[k].phys, in->ho.scratch[k].size)) {
				kho_flag(f, KHO_CHECK_SCRATCH_LAYOUT, a->phys,
					 "scratch area %zu overlaps area %zu", i, k);
				break;
			}
		}
	}
}
