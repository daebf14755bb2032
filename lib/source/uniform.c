// SPDX-License-Identifier: MIT
/*
 * Pages a scan found to hold one byte throughout, kept as runs so that a
 * later read of them is a memset, not a second read of the file. A map
 * of order-0 keys over contiguous memory (a guest's memory preserved
 * page by page) is leaves whose every bit is set: verify read those
 * pages twice, once to find the FDT and once to walk them, and the copy
 * out of the page cache was most of its time (dense30: 2.7 times one
 * read of the tree's pages).
 *
 * Only what the scan itself read whole is kept, from a dump file (not
 * /proc/kcore, whose pages change as they are read), and at most
 * UNIFORM_MAX runs, first come by address: past that, reads simply go to
 * the file. A page of one byte is compared whole: a dump of a kernel
 * that poisons free pages (0xaa) scans slower, as zeros would.
 */
#include "source_internal.h"

#include <string.h>

#include "../util/util.h"

#define UNIFORM_MAX (1u << 16)

struct uniform_run {
	uint64_t phys, end;   /* [phys, end) holds @byte throughout */
	uint8_t byte;
};

/*
 * Zero pages are not kept: they are most of a dump's free memory, rarely
 * read twice, and a scan would compare every byte of each (4 GiB of
 * zeros: 18% more time).
 */
uint8_t uniform_byte(const struct kho_source *src, const uint8_t *page)
{
	if (src->kind == KHO_KIND_KCORE || !page[0])
		return 0;
	/* the first word is one byte repeated, and every byte equals the one
	 * a word before it */
	for (unsigned i = 1; i < 8; i++)
		if (page[i] != page[0])
			return 0;
	return memcmp(page, page + 8, src->page_size - 8) ? 0 : page[0];
}

void uniform_add(struct kho_source *src, uint64_t phys, uint8_t byte)
{
	uint64_t len = src->page_size;
	struct uniform *u = &src->uniform;
	struct uniform_run *last = u->n ? &u->v[u->n - 1] : NULL;

	if (last && phys < last->end)
		return;         /* a second scan: the first one's runs stand */
	if (last && last->end == phys && last->byte == byte) {
		last->end += len;
		return;
	}
	if (u->n == UNIFORM_MAX || !ARRAY_RESERVE(u->v, u->cap, u->n))
		return;
	u->v[u->n++] = (struct uniform_run){ phys, phys + len, byte };
}

bool uniform_fill(const struct kho_source *src, uint64_t phys, void *buf, size_t len)
{
	const struct uniform *u = &src->uniform;
	size_t lo = PARTITION_POINT(u->n, i, u->v[i].end <= phys);   /* the first run past @phys */

	if (lo == u->n || u->v[lo].phys > phys || u->v[lo].end - phys < len)
		return false;
	memset(buf, u->v[lo].byte, len);
	return true;
}
