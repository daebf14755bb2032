// SPDX-License-Identifier: MIT
/*
 * Bounded windows over a raw image or an ELF core. A scan reads the first
 * bytes of every page: the file is read in order, WINDOW bytes at a time,
 * into one buffer the source keeps. Other reads (tree pages, blobs) go
 * through a few 64 KiB windows: a tree's pages are neighbours in the file. A mapping of the whole file
 * would avoid the copy, but touching one byte per page of a mapping costs
 * a fault per page (4.5 times cat's time on a 1 GiB dump of a virtual
 * machine), and a file that shrinks under it kills the reader with SIGBUS.
 */
#include "source_internal.h"
#include "heads.h"

#include <stdlib.h>
#include <unistd.h>

#include "../util/util.h"


enum kho_status pieces_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			     uint8_t *out, uint8_t *state, struct kho_error *err)
{
	uint64_t page = src->page_size;
	size_t i = 0;

	/* page-aligned: the kernel's copy into a misaligned buffer ran at a
	 * third of the speed (570 against 185 us a MiB on an EPYC guest) */
	if (!src->window && !(src->window = aligned_alloc(4096, WINDOW)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	while (i < count) {
		uint64_t at = phys + i * page, k, len, off;
		ssize_t got;
		size_t next;
		const struct piece *p = source_find_piece(src, at, &next);
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
		len = k * page;   /* whole pages: uniform_note() looks at each */
		off = p->offset + (at - p->phys);
		got = pread(src->fd, src->window, (size_t)len, (off_t)off);
		if (got < 0) {
			/* an unreadable stretch (EIO, /proc/kcore's holes): the
			 * pages' own reads say which and why */
			for (uint64_t j = 0; j < k; j++)
				state[i++] = HEAD_ASK;
			continue;
		}
		/* short: the rest, or the file shrank (said as such) */
		if ((uint64_t)got < len &&
		    (st = source_pread(src, src->window + got, (size_t)(len - (uint64_t)got),
				       off + (uint64_t)got, err)))
			return st;
		for (uint64_t j = 0; j < k; j++, i++) {
			uniform_note(src, at + j * page, src->window + j * page);
			memcpy(out + i * n, src->window + j * page, n);
			state[i] = HEAD_OK;
		}
	}
	return KHO_OK;
}

#define CACHE_SPAN  (64u << 10)
#define CACHE_SLOTS 8

struct read_cache {
	struct {
		uint64_t off, len;     /* file bytes held (len 0: empty) */
		uint64_t used;         /* last use: the oldest is replaced */
	} slot[CACHE_SLOTS];
	uint64_t clock;
	uint8_t *buf;              /* CACHE_SLOTS * CACHE_SPAN, page-aligned */
};

void source_cache_free(struct kho_source *src)
{
	if (src->cache)
		free(src->cache->buf);
	free(src->cache);
	src->cache = NULL;
}

enum kho_status source_cached_pread(struct kho_source *src, void *buf, size_t len,
				    uint64_t off, struct kho_error *err)
{
	uint64_t base = off & ~(uint64_t)(CACHE_SPAN - 1);
	struct read_cache *c = src->cache;
	unsigned k, old = 0;
	ssize_t got;

	if (len > CACHE_SPAN || off + len > base + CACHE_SPAN || off + len < off)
		return source_pread(src, buf, len, off, err);
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c || !(c->buf = aligned_alloc(4096, CACHE_SLOTS * CACHE_SPAN))) {
			free(c);
			return source_pread(src, buf, len, off, err);
		}
		src->cache = c;
	}
	for (k = 0; k < CACHE_SLOTS; k++) {
		if (c->slot[k].len && c->slot[k].off == base)
			break;
		if (c->slot[k].used < c->slot[old].used)
			old = k;
	}
	if (k == CACHE_SLOTS) {
		k = old;
		c->slot[k].len = 0;
		got = pread(src->fd, c->buf + (size_t)k * CACHE_SPAN, CACHE_SPAN, (off_t)base);
		if (got < 0)
			return source_pread(src, buf, len, off, err);   /* it says why */
		c->slot[k].off = base;
		c->slot[k].len = (uint64_t)got;
	}
	c->slot[k].used = ++c->clock;
	if (off + len > c->slot[k].off + c->slot[k].len)
		return source_pread(src, buf, len, off, err);   /* short: it says why */
	memcpy(buf, c->buf + (size_t)k * CACHE_SPAN + (off - base), len);
	return KHO_OK;
}
