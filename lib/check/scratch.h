/* SPDX-License-Identifier: MIT */
/*
 * Where a scratch area is. Every comparison with scratch areas goes
 * through here, so an area that runs past 2^64 (only corruption or a bad
 * --scratch gives one; scratch-layout reports it) is cut at the top of the
 * address space the same way everywhere, never wrapped round to low
 * memory or taken for empty. Ends are inclusive: no sum overflows.
 */
#ifndef KHO_CHECK_SCRATCH_H
#define KHO_CHECK_SCRATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/handover.h"

/* Whether @a (size > 0) runs past the top of the address space. */
static inline bool scratch_wraps(const struct kho_scratch_area *a)
{
	return a->size && a->size - 1 > UINT64_MAX - a->phys;
}

/* The last byte of @a (size > 0), at most UINT64_MAX. */
static inline uint64_t scratch_last(const struct kho_scratch_area *a)
{
	return scratch_wraps(a) ? UINT64_MAX : a->phys + (a->size - 1);
}

/* One past the last byte of @a, saturated: UINT64_MAX stands for 2^64. */
static inline uint64_t scratch_end(const struct kho_scratch_area *a)
{
	uint64_t last = scratch_last(a);

	return last == UINT64_MAX ? UINT64_MAX : last + 1;
}

/* Whether [@phys, @phys + @len) meets @a; the range, too, is cut at the top. */
static inline bool scratch_meets(const struct kho_scratch_area *a, uint64_t phys,
				 uint64_t len)
{
	uint64_t last;

	if (!a->size || !len)
		return false;
	last = len - 1 > UINT64_MAX - phys ? UINT64_MAX : phys + (len - 1);
	return a->phys <= last && phys <= scratch_last(a);
}

/* Whether [@phys, @phys + @len) meets any scratch area of @ho. */
static inline bool scratch_any_meets(const struct kho_handover *ho, uint64_t phys,
				     uint64_t len)
{
	for (size_t i = 0; i < ho->nscratch; i++)
		if (scratch_meets(&ho->scratch[i], phys, len))
			return true;
	return false;
}

#endif
