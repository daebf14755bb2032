// SPDX-License-Identifier: MIT
/*
 * Discovery without symbols: every page-aligned page that starts with the
 * FDT magic, claims at most one page and has a root compatible starting
 * "kho-v". Pages are visited only where the source may hold data.
 */
#include "kho/handover.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"
#include "prop.h"

static void consider(const uint8_t *p, uint64_t phys, uint64_t page, bool be,
		     struct kho_candidate **v, size_t *n, size_t *cap, bool *oom)
{
	const char *compat;
	int len;

	if (fdt_magic(p) != FDT_MAGIC || fdt_totalsize(p) > page ||
	    fdt_totalsize(p) < sizeof(struct fdt_header) || fdt_check_header(p))
		return;
	compat = fdt_getprop(p, 0, "compatible", &len);
	if (!compat || len < 6 || strncmp(compat, "kho-v", 5))
		return;
	if (!ARRAY_RESERVE(*v, *cap, *n)) {
		*oom = true;
		return;
	}
	(*v)[*n].phys = phys;
	(*v)[*n].size = fdt_totalsize(p);
	snprintf((*v)[*n].compatible, sizeof((*v)[*n].compatible), "%.*s",
		 (int)strnlen(compat, (size_t)len), compat);
	if (!prop_get_u64(p, 0, KHO_PROP_MEMORY_MAP, be, &(*v)[*n].map_phys, NULL))
		(*v)[*n].map_phys = 0;
	++*n;
}

KHO_EXPORT enum kho_status kho_scan(struct kho_source *src, struct kho_candidate **out,
				    size_t *n, void (*progress)(void *, uint64_t, uint64_t),
				    void *ctx, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src), phys = 0, next, run;
	size_t nr, cap = 0, visited = 0;
	const struct kho_mem_range *r = kho_source_map_ranges(src, &nr);
	uint64_t end = nr ? r[nr - 1].start + r[nr - 1].size : 0;
	_cleanup_free_ uint8_t *buf = malloc(page);
	bool oom = false;

	*out = NULL;
	*n = 0;
	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	while (kho_source_next_data(src, phys, &next, &run)) {
		uint64_t at = align_down(next, page), stop = next + run;

		if (stop < next)
			stop = UINT64_MAX;
		uint64_t window = at;

		for (; at < stop; at += page) {
			/* Drop what was looked at, 64 MiB at a time. */
			if (at - window >= (64u << 20)) {
				kho_source_release(src, window, at - window);
				window = at;
			}
			const uint8_t *p = kho_source_map(src, at, page);

			/* A page is read whole only if it starts with the magic. */
			if (!p) {
				struct kho_error e2;

				if (kho_source_read(src, at, buf, 4, &e2) == KHO_OK &&
				    fdt_magic(buf) == FDT_MAGIC &&
				    kho_source_read(src, at, buf, page, &e2) == KHO_OK)
					p = buf;
			}
			if (p)
				consider(p, at, page, kho_source_big_endian(src), out, n,
					 &cap, &oom);
			if (progress && !(++visited & 0xffff))
				progress(ctx, at, end);
			if (at + page < at)
				goto done;
		}
		kho_source_release(src, window, at - window);
		phys = at;
	}
done:
	if (oom)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return KHO_OK;
}
