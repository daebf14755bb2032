// SPDX-License-Identifier: MIT
/*
 * Finalize: what the kernel has in memory at the moment of the dump.
 * kho-v1 serializes its chunk list into a fresh FDT (kho_finalize, 6.16);
 * 7.1+ kernels keep the tree and FDT live and only rewrite the FDT.
 */
#include "ref_internal.h"

#include "../util/util.h"

/* Room for the areas plus a few a defect may add. */
#define SCRATCH_SPARE 8

static enum kho_status write_scratch_array(struct kho_ref *ref,
					   struct kho_error *err)
{
	size_t n = ref->scratch.n;
	enum kho_status st;

	if (!n)
		return KHO_OK;
	if (!ref->scratch_array_phys) {
		unsigned order = order_for_bytes(ref, (n + SCRATCH_SPARE) *
						      KHO_SCRATCH_ENTRY_SIZE);

		if ((st = mem_alloc(&ref->mem, order, &ref->scratch_array_phys, err)))
			return st;
		ref->scratch_array_cap = kho_order_bytes(&ref->geo, order) /
					 KHO_SCRATCH_ENTRY_SIZE;
	}
	if (n > ref->scratch_array_cap)
		return kho_error_set(err, KHO_ERR_INVALID, "too many scratch areas");
	for (size_t i = 0; i < n; i++) {
		uint64_t at = ref->scratch_array_phys + i * KHO_SCRATCH_ENTRY_SIZE;

		if ((st = mem_put_u64(&ref->mem, at, ref->scratch.v[i].start, err)) ||
		    (st = mem_put_u64(&ref->mem, at + 8, ref->scratch.v[i].size, err)))
			return st;
	}
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_finalize(struct kho_ref *ref,
					    struct kho_error *err)
{
	enum kho_status st;

	if (ref->finalized)
		return kho_error_set(err, KHO_ERR_INVALID, "finalized twice");
	/* LUO serializes at reboot, before KHO's final FDT: the defects that
	 * unpreserve a LUO page need it laid out, and those that need LUO
	 * state add it first. */
	if ((st = ref_boot(ref, err)) || (st = ref_defects_run(ref, PHASE_PREPARE, err)) ||
	    (st = luo_serialize(ref, err)) || (st = ref_defects_run(ref, PHASE_BEFORE, err)))
		return st;
	if (ref->abi->map_format == KHO_MAP_V1_CHUNKS) {
		if ((st = v1_serialize(ref, err)) ||
		    (st = mem_alloc(&ref->mem, 0, &ref->fdt_phys, err)))
			return st;
	}
	if ((st = ref_build_fdt(ref, err)) || (st = write_scratch_array(ref, err)))
		return st;
	ref->finalized = true;
	ref->snapshot_taken = false;   /* one taken before now (a summary) is of another tree */
	if ((st = ref_defects_run(ref, PHASE_AFTER, err)) || (st = write_scratch_array(ref, err)))
		return st;
	return ref_write_boot_info(ref, err);
}

KHO_EXPORT enum kho_status kho_ref_walk(struct kho_ref *ref, kho_key_fn fn,
					void *ctx, struct kho_error *err)
{
	struct ref_walk w = { .key = fn, .ctx = ctx };

	if (!ref->booted)
		return KHO_OK;
	if (ref->abi->map_format == KHO_MAP_RADIX)
		radix_walk(ref, &w);
	else
		v1_walk(ref, &w);
	return KHO_OK;
}
