// SPDX-License-Identifier: MIT
/*
 * Discovery without symbols: every page-aligned page that starts with the
 * FDT magic, claims at most one page and has a root compatible starting
 * "kho-v". Pages are visited only where the source may hold data.
 */
#include "kho/handover.h"

#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"
#include "prop.h"

/* FNV-1a over the FDT's bytes: exact copies of one FDT share it. */
static uint64_t digest(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Whether @p (a page at @phys) holds a KHO FDT; if so fill @c. */
static bool recognise(const uint8_t *p, uint64_t phys, uint64_t page, bool be,
		      struct kho_candidate *c)
{
	const char *compat;
	int len;

	if (fdt_magic(p) != FDT_MAGIC || fdt_totalsize(p) > page ||
	    fdt_totalsize(p) < sizeof(struct fdt_header) || fdt_check_header(p))
		return false;
	compat = fdt_getprop(p, 0, "compatible", &len);
	if (!compat || len < 6 || strncmp(compat, "kho-v", 5))
		return false;
	memset(c, 0, sizeof(*c));
	c->phys = phys;
	c->size = fdt_totalsize(p);
	snprintf(c->compatible, sizeof(c->compatible), "%.*s",
		 (int)strnlen(compat, (size_t)len), compat);
	if (!prop_get_u64(p, 0, KHO_PROP_MEMORY_MAP, be, &c->map_phys, NULL))
		c->map_phys = 0;
	c->digest = digest(p, c->size);
	c->self_preserved = KHO_SELF_UNKNOWN;
	return true;
}

static void consider(const uint8_t *p, uint64_t phys, uint64_t page, bool be,
		     struct kho_candidate **v, size_t *n, size_t *cap, bool *oom)
{
	struct kho_candidate c;

	if (!recognise(p, phys, page, be, &c))
		return;
	if (!ARRAY_RESERVE(*v, *cap, *n)) {
		*oom = true;
		return;
	}
	(*v)[(*n)++] = c;
}

KHO_EXPORT enum kho_status kho_candidate_at(struct kho_source *src, uint64_t phys,
					    struct kho_candidate *c, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src);
	_cleanup_free_ uint8_t *buf = malloc(page);
	enum kho_status st;

	memset(c, 0, sizeof(*c));
	c->phys = phys;
	c->self_preserved = KHO_SELF_UNKNOWN;
	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if ((st = kho_source_read(src, phys, buf, page, err)))
		return st;
	if (!recognise(buf, phys, page, kho_source_big_endian(src), c)) {
		memset(c, 0, sizeof(*c));
		c->phys = phys;
		c->self_preserved = KHO_SELF_UNKNOWN;
	}
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_scan(struct kho_source *whole, struct kho_candidate **out,
				    size_t *n, void (*progress)(void *, uint64_t, uint64_t),
				    void *ctx, struct kho_error *err)
{
	/* every page is looked at: through the fastest reader of the dump */
	struct kho_source *src = kho_source_scan_view(whole);
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
			/* libfdt wants its header 8-byte aligned; segment data in a
			 * dump file may start anywhere (makedumpfile -E, QEMU with a
			 * vmcoreinfo note): a page that may be an FDT is copied. */
			if (p && p != buf && ((uintptr_t)p & 7)) {
				static const uint8_t magic[4] = { 0xd0, 0x0d, 0xfe, 0xed };

				p = memcmp(p, magic, 4) ? NULL : memcpy(buf, p, page);
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
