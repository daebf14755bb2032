// SPDX-License-Identifier: MIT
/*
 * The first bytes of many pages of a raw image or an ELF core, for a scan
 * that looks at every page: the file is read in order, WINDOW bytes at a
 * time, into one buffer the source keeps. A mapping of the whole file
 * would avoid the copy, but touching one byte per page of a mapping costs
 * a fault per page (4.5 times cat's time on a 1 GiB dump of a virtual
 * machine), and a file that shrinks under it kills the reader with SIGBUS.
 */
#include "source_internal.h"
#include "heads.h"

#include <stdlib.h>

#include "../util/util.h"

/* The piece holding @phys, or NULL. */
static const struct piece *piece_at(const struct kho_source *src, uint64_t phys)
{
	size_t lo = 0, hi = src->npieces;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (src->pieces[mid].phys + src->pieces[mid].size <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == src->npieces || src->pieces[lo].phys > phys)
		return NULL;
	return &src->pieces[lo];
}

enum kho_status pieces_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			     uint8_t *out, uint8_t *state, struct kho_error *err)
{
	uint64_t page = src->page_size;
	size_t i = 0;

	if (!src->window && !(src->window = malloc(WINDOW)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	while (i < count) {
		uint64_t at = phys + i * page, k, len;
		const struct piece *p = piece_at(src, at);
		enum kho_status st;

		if (at >= phys && (!p || p->state != KHO_MEM_PRESENT)) {
			state[i++] = HEAD_NONE;     /* its first bytes do not read */
			continue;
		}
		if (at < phys || p->phys + p->size - at < page) {
			state[i++] = HEAD_ASK;      /* across a piece's edge */
			continue;
		}
		/* pages of this piece from @at, as many as one window holds */
		k = MIN((uint64_t)(count - i), (p->phys + p->size - at) / page);
		k = MAX(MIN(k, WINDOW / page), 1);
		len = (k - 1) * page + n;
		if ((st = source_pread(src, src->window, (size_t)len,
				       p->offset + (at - p->phys), err)))
			return st;
		for (uint64_t j = 0; j < k; j++, i++) {
			memcpy(out + i * n, src->window + j * page, n);
			state[i] = HEAD_OK;
		}
	}
	return KHO_OK;
}
