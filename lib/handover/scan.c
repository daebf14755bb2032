// SPDX-License-Identifier: MIT
/*
 * Discovery without symbols (kho_scan() in kho/handover.h says what it
 * finds). A damaged KHO FDT is a candidate too (contract.md, Revision 3):
 * the live handover may be exactly the one that is broken, and dropping it
 * would let a clean stale handover elsewhere give a clean verdict. The
 * evidence is the root node itself, found without trusting the header
 * (kho_fdt_probe_root()): a kernel writes "compatible" first in the root
 * (kho_init, 7.1+: fdt_begin_node("") then the compatible property), so the
 * words sit together. The kernel's own boot DTB and the FDT sub-blobs
 * (memblock-v1, reserve-mem-v1, kho-test-v1) have other root compatibles
 * and never match.
 */
#include "kho/handover.h"

#include <libfdt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../source/heads.h"
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

/* "kho-v" and more: a malformed version is fdt-compatible's to report. */
static bool kho_compatible(const char *s, size_t len)
{
	return len >= 6 && !strncmp(s, "kho-v", 5);
}

bool kho_fdt_probe_root(const void *fdt, uint64_t page, char *compat, size_t len)
{
	const uint8_t *p = fdt;

	if (page < sizeof(struct fdt_header) || fdt_magic(fdt) != FDT_MAGIC)
		return false;
	/* BEGIN_NODE, "" (one zero word), PROP, len, nameoff, value */
	for (uint64_t at = sizeof(struct fdt_header); at + 20 + 6 <= page; at += 4) {
		uint32_t n;

		if (load_u32(p + at, true) != FDT_BEGIN_NODE || load_u32(p + at + 4, true) ||
		    load_u32(p + at + 8, true) != FDT_PROP)
			continue;
		n = load_u32(p + at + 12, true);
		if (n > page - at - 20)
			n = (uint32_t)(page - at - 20);
		n = (uint32_t)strnlen((const char *)p + at + 20, n);
		if (!kho_compatible((const char *)p + at + 20, n))
			continue;
		snprintf(compat, len, "%.*s", (int)n, (const char *)p + at + 20);
		return true;
	}
	return false;
}

/* A healthy FDT whose root compatible is a KHO one. */
static bool healthy(const uint8_t *p, uint64_t page, const char **compat, int *len)
{
	if (fdt_totalsize(p) > page || fdt_totalsize(p) < sizeof(struct fdt_header) ||
	    fdt_check_header(p))
		return false;
	*compat = fdt_getprop(p, 0, "compatible", len);
	return *compat && *len > 0 && kho_compatible(*compat, strnlen(*compat, (size_t)*len));
}

/* Whether @p (a page at @phys) holds a KHO FDT, healthy or damaged; if so
 * fill @c (else only its phys, the rest blank). */
static bool recognise(const uint8_t *p, uint64_t phys, uint64_t page, bool be,
		      struct kho_candidate *c)
{
	const char *compat;
	int len;

	*c = (struct kho_candidate){ .phys = phys, .self_preserved = KHO_SELF_UNKNOWN };
	if (fdt_magic(p) != FDT_MAGIC)
		return false;
	if (healthy(p, page, &compat, &len)) {
		c->size = fdt_totalsize(p);
		snprintf(c->compatible, sizeof(c->compatible), "%.*s",
			 (int)strnlen(compat, (size_t)len), compat);
		if (!prop_get_u64(p, 0, KHO_PROP_MEMORY_MAP, be, &c->map_phys, NULL))
			c->map_phys = 0;
	} else if (kho_fdt_probe_root(p, page, c->compatible, sizeof(c->compatible))) {
		/* inspected, it fails fdt-header; its map is not read */
		c->damaged = true;
		c->size = (uint32_t)MIN((uint64_t)fdt_totalsize(p), page);
	} else {
		return false;
	}
	c->digest = digest(p, c->size);
	return true;
}

enum kho_status kho_candidate_at(struct kho_source *src, uint64_t phys,
				 struct kho_candidate *c, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src);
	_cleanup_free_ uint8_t *buf = malloc(page);
	enum kho_status st;

	*c = (struct kho_candidate){ .phys = phys, .self_preserved = KHO_SELF_UNKNOWN };
	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if ((st = kho_source_read(src, phys, buf, page, err)))
		return st;
	recognise(buf, phys, page, kho_source_big_endian(src), c);
	return KHO_OK;
}

/* One scan's state: where candidates go. */
struct scan {
	struct kho_source *src;
	uint64_t page;
	bool be, oom;
	uint8_t *buf;                   /* a page */
	/* per page size (kho_scan_sizes; the first is @page): the lists */
	const uint64_t *sizes;
	size_t nsizes;
	struct kho_candidate **out;
	size_t *n, cap[KHO_SCAN_SIZES];
	uint8_t *big;                   /* a page of the largest size */
};

/* A page at @phys that starts with the magic, its first s->page bytes at
 * @p: a candidate for each page size it is aligned to, read at that size. */
static void found(struct scan *s, const uint8_t *p, uint64_t phys)
{
	struct kho_candidate c;
	struct kho_error e2;

	for (size_t i = 0; i < s->nsizes; i++) {
		if (i && ((phys & (s->sizes[i] - 1)) ||
			  kho_source_read(s->src, phys, s->big, s->sizes[i], &e2)))
			continue;
		if (!recognise(i ? s->big : p, phys, s->sizes[i], s->be, &c))
			continue;
		if (ARRAY_RESERVE(s->out[i], s->cap[i], s->n[i]))
			s->out[i][s->n[i]++] = c;
		else
			s->oom = true;
	}
}

/* The page at @at through reads: only one that starts with the magic is
 * read whole. */
static void look_by_reading(struct scan *s, uint64_t at)
{
	struct kho_error e2;

	if (kho_source_read(s->src, at, s->buf, 4, &e2) == KHO_OK &&
	    fdt_magic(s->buf) == FDT_MAGIC &&
	    kho_source_read(s->src, at, s->buf, s->page, &e2) == KHO_OK)
		found(s, s->buf, at);
}

#define BATCH 16384     /* pages per source_heads() call */

/*
 * Up to BATCH pages from @at before @stop, their first bytes decoded in
 * one batch. returns: the pages looked at, or 0 when the source has no
 * batch reader (look page by page).
 */
static uint64_t look_batch(struct scan *s, uint64_t at, uint64_t stop, uint8_t *heads,
			   uint8_t *state)
{
	uint64_t span = stop - at, count = span / s->page + !!(span % s->page);
	struct kho_error e2;

	count = MIN(count, (uint64_t)BATCH);
	if (source_heads(s->src, at, (size_t)count, 4, heads, state, &e2))
		return 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t phys = at + i * s->page;

		if (state[i] == HEAD_ASK)
			look_by_reading(s, phys);
		else if (state[i] == HEAD_OK && fdt_magic(heads + 4 * i) == FDT_MAGIC &&
			 kho_source_read(s->src, phys, s->buf, s->page, &e2) == KHO_OK)
			found(s, s->buf, phys);
	}
	return count;
}

enum kho_status kho_scan(struct kho_source *src, struct kho_candidate **out,
			 size_t *n, void (*progress)(void *, uint64_t, uint64_t),
			 void *ctx, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src);

	return kho_scan_sizes(src, &page, 1, out, n, progress, ctx, err);
}

enum kho_status kho_scan_sizes(struct kho_source *src, const uint64_t *sizes, size_t nsizes,
			       struct kho_candidate **out, size_t *n,
			       void (*progress)(void *, uint64_t, uint64_t),
			       void *ctx, struct kho_error *err)
{
	uint64_t page = sizes[0], phys = 0, next, run, visited = 0;
	size_t nr;
	const struct kho_mem_range *r = kho_source_map_ranges(src, &nr);
	uint64_t end = nr ? r[nr - 1].start + r[nr - 1].size : 0;
	_cleanup_free_ uint8_t *buf = malloc(page);
	_cleanup_free_ uint8_t *big = malloc(sizes[nsizes - 1]);
	_cleanup_free_ uint8_t *heads = malloc(BATCH * 4 + BATCH);
	struct scan s = { .src = src, .page = page, .be = kho_source_big_endian(src),
			  .buf = buf, .sizes = sizes, .nsizes = nsizes, .out = out, .n = n,
			  .big = big };
	bool batches = true;

	for (size_t i = 0; i < nsizes; i++) {
		out[i] = NULL;
		n[i] = 0;
	}
	if (nsizes > KHO_SCAN_SIZES || page != kho_source_page_size(src))
		return kho_error_set(err, KHO_ERR_INVALID, "%s: scan page sizes do not start "
				     "with the dump's", kho_source_path(src));
	if (!buf || !big || !heads)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	while (kho_source_next_data(src, phys, &next, &run)) {
		uint64_t at = align_down(next, page), stop = next + run;

		if (stop < next)
			stop = UINT64_MAX;
		while (at < stop) {
			uint64_t done = batches ? look_batch(&s, at, stop, heads, heads + BATCH * 4) : 0;

			if (!done) {
				batches = false;
				look_by_reading(&s, at);
				done = 1;
			}
			if (progress && (visited + done) >> 16 != visited >> 16)
				progress(ctx, at, end);
			visited += done;
			if (at + done * page <= at)    /* the top of the address space */
				goto done;
			at += done * page;
		}
		phys = at;
	}
done:
	if (s.oom)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return KHO_OK;
}
