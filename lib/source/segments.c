// SPDX-License-Identifier: MIT
/* The physical map of a source as sorted, disjoint pieces. */
#include "source_internal.h"

#include <stdlib.h>

#include "../util/util.h"

/* By address; sort_ctx is stable, so of two at one address the earlier wins. */
static int piece_cmp(const void *a, const void *b, void *ctx)
{
	const struct piece *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

enum kho_status source_set_segments(struct kho_source *src, struct segment *segs,
				    size_t n, struct kho_error *err)
{
	_cleanup_free_ struct piece *cuts = calloc(2 * n + 1, sizeof(*cuts));
	size_t cap = 2 * n + 1, nc = 0, np = 0, npresent;
	struct piece *out = calloc(cap, sizeof(*out));
	uint64_t covered = 0;       /* where the excluded cuts so far end */

	if (!cuts || !out)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		uint64_t in_file = MIN(segs[i].filesz, segs[i].memsz);

		if (in_file)
			cuts[nc++] = (struct piece){ segs[i].phys, in_file, segs[i].offset,
						     KHO_MEM_PRESENT };
		if (segs[i].memsz > in_file)
			cuts[nc++] = (struct piece){ segs[i].phys + in_file,
						     segs[i].memsz - in_file, 0, KHO_MEM_EXCLUDED };
	}
	if (!sort_ctx(cuts, nc, sizeof(*cuts), piece_cmp, NULL))
		goto nomem;

	/* Present cuts first, by address, each clipped to what earlier ones left. */
	for (size_t i = 0; i < nc; i++) {
		uint64_t start = cuts[i].phys, end = start + cuts[i].size;

		if (cuts[i].state != KHO_MEM_PRESENT)
			continue;
		if (np && start < out[np - 1].phys + out[np - 1].size)
			start = out[np - 1].phys + out[np - 1].size;
		if (start < end)
			out[np++] = (struct piece){ start, end - start,
						    cuts[i].offset + (start - cuts[i].phys),
						    KHO_MEM_PRESENT };
	}
	npresent = np;
	/* Excluded cuts fill only the gaps present pieces leave, each from
	 * where the earlier ones end (by address, then order: the first wins). */
	for (size_t i = 0; i < nc; i++) {
		uint64_t pos, end;
		size_t k;

		if (cuts[i].state != KHO_MEM_EXCLUDED)
			continue;
		pos = MAX(cuts[i].phys, covered);
		end = cuts[i].phys + cuts[i].size;
		covered = MAX(covered, end);
		/* from the first present piece ending after @pos */
		k = PARTITION_POINT(npresent, j, out[j].phys + out[j].size <= pos);
		for (; pos < end; k++) {
			uint64_t stop = k < npresent ? MIN(end, out[k].phys) : end;

			if (stop > pos) {
				if (!ARRAY_RESERVE(out, cap, np))
					goto nomem;
				out[np++] = (struct piece){ pos, stop - pos, 0, KHO_MEM_EXCLUDED };
			}
			if (k >= npresent)
				break;
			pos = MAX(pos, out[k].phys + out[k].size);
		}
	}
	if (!sort_ctx(out, np, sizeof(*out), piece_cmp, NULL) ||
	    !(src->ranges = calloc(np ? np : 1, sizeof(*src->ranges))))
		goto nomem;
	for (size_t i = 0; i < np; i++)
		src->ranges[i] = (struct kho_mem_range){ out[i].phys, out[i].size, out[i].state };
	src->pieces = out;
	src->npieces = np;
	return KHO_OK;
nomem:
	free(out);
	return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
}
