// SPDX-License-Identifier: MIT
/*
 * Bounded windows over a raw image or an ELF core. A scan reads the first
 * bytes of every page: the file is read in order, WINDOW bytes at a time,
 * into one buffer the source keeps (two, on two threads). Other reads (tree pages, blobs) go
 * through a few 64 KiB windows: a tree's pages are neighbours in the file. A mapping of the whole file
 * would avoid the copy, but touching one byte per page of a mapping costs
 * a fault per page (4.5 times cat's time on a 1 GiB dump of a virtual
 * machine), and a file that shrinks under it kills the reader with SIGBUS.
 */
#include "source_internal.h"
#include "heads.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "../util/util.h"

/* One thread's share of a batch: pages [phys, phys + count * page). */
struct share {
	struct kho_source *src;
	uint8_t *window;        /* WINDOW bytes, page-aligned: this share's own */
	uint64_t phys;
	size_t count, n;
	uint8_t *out, *state;
	uint8_t *bytes;         /* NULL: note uniform pages at once; else each
				 * page's one byte (0: none), noted after the join */
	enum kho_status st;
	struct kho_error *err;
};

static void *read_share(void *arg)
{
	struct share *t = arg;
	const struct kho_source *src = t->src;
	uint64_t page = src->page_size;
	size_t i = 0;

	while (i < t->count) {
		uint64_t at = t->phys + i * page, k, len, off;
		ssize_t got;
		size_t next;
		const struct piece *p = source_find_piece(src, at, &next);

		if (at >= t->phys && (!p || p->state != KHO_MEM_PRESENT)) {
			t->state[i++] = HEAD_NONE;     /* its first bytes do not read */
			continue;
		}
		if (at < t->phys || p->phys + p->size - at < page) {
			t->state[i++] = HEAD_ASK;      /* across a piece's edge */
			continue;
		}
		/* pages of this piece from @at, as many as one window holds */
		k = MIN((uint64_t)(t->count - i), (p->phys + p->size - at) / page);
		k = MAX(MIN(k, WINDOW / page), 1);
		len = k * page;   /* whole pages: uniform_byte() looks at each */
		off = p->offset + (at - p->phys);
		got = pread(src->fd, t->window, (size_t)len, (off_t)off);
		if (got < 0) {
			/* an unreadable stretch (EIO, /proc/kcore's holes): the
			 * pages' own reads say which and why */
			for (uint64_t j = 0; j < k; j++)
				t->state[i++] = HEAD_ASK;
			continue;
		}
		/* short: the rest, or the file shrank (said as such) */
		if ((uint64_t)got < len &&
		    (t->st = source_pread(src, t->window + got, (size_t)(len - (uint64_t)got),
					  off + (uint64_t)got, t->err)))
			return NULL;
		for (uint64_t j = 0; j < k; j++, i++) {
			const uint8_t *pg = t->window + j * page;
			uint8_t b = uniform_byte(src, pg);

			if (t->bytes)
				t->bytes[i] = b;
			else if (b)
				uniform_add(t->src, at + j * page, b);
			memcpy(t->out + i * t->n, pg, t->n);
			t->state[i] = HEAD_OK;
		}
	}
	return NULL;
}

void source_halves(void *(*fn)(void *), void *first, void *second)
{
	pthread_t helper;
	bool started = !pthread_create(&helper, NULL, fn, second);

	fn(first);
	if (started)
		pthread_join(helper, NULL);
	else
		fn(second);
}

size_t source_split(const struct kho_source *src, size_t count)
{
	return src->threads > 1 && count >= 256 ? count / 2 : 0;
}

/*
 * With threads asked for (kho_source_set_threads), a batch is split in
 * halves and the second is read on a second thread into a window of its
 * own: the kernel's copy out of the page cache is most of a scan's time,
 * and two cores copy about twice as fast as one. Its uniform pages are
 * noted after the join, so that the runs stay in address order.
 */
static enum kho_status pieces_heads(struct kho_source *src, uint64_t phys, size_t count,
				    size_t n, uint8_t *out, uint8_t *state, struct kho_error *err)
{
	size_t half = source_split(src, count);
	struct kho_error err2 = { 0 };
	struct share t[2] = {
		{ src, src->window, phys, count, n, out, state, NULL, KHO_OK, err },
		{ src, src->window2, phys + half * src->page_size, count - half, n,
		  out + half * n, state + half, NULL, KHO_OK, &err2 },
	};

	/* page-aligned: the kernel's copy into a misaligned buffer ran at a
	 * third of the speed (570 against 185 us a MiB on an EPYC guest) */
	if (!src->window && !(src->window = t[0].window = aligned_alloc(4096, WINDOW)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (half) {
		if (!src->window2)
			src->window2 = t[1].window = aligned_alloc(4096, WINDOW);
		t[1].bytes = t[1].window ? malloc(t[1].count) : NULL;
	}
	if (!t[1].bytes) {
		read_share(&t[0]);
		return t[0].st;
	}
	t[0].count = half;
	source_halves(read_share, &t[0], &t[1]);
	for (size_t i = 0; i < t[1].count && !t[0].st && !t[1].st; i++)
		if (t[1].state[i] == HEAD_OK && t[1].bytes[i])
			uniform_add(src, t[1].phys + i * src->page_size, t[1].bytes[i]);
	free(t[1].bytes);
	if (!t[0].st && t[1].st)
		*err = err2;
	return t[0].st ? t[0].st : t[1].st;
}

const struct source_ops pieces_ops = { .heads = pieces_heads };

#define CACHE_SPAN  (64u << 10)

enum kho_status source_cached_pread(struct kho_source *src, void *buf, size_t len,
				    uint64_t off, struct kho_error *err)
{
	uint64_t base = off & ~(uint64_t)(CACHE_SPAN - 1);
	struct read_cache *c = &src->cache;
	unsigned k, old = 0;
	ssize_t got;

	if (len > CACHE_SPAN || off + len > base + CACHE_SPAN || off + len < off ||
	    (!c->buf && !(c->buf = aligned_alloc(4096, ARRAY_SIZE(c->slot) * CACHE_SPAN))))
		return source_pread(src, buf, len, off, err);
	for (k = 0; k < ARRAY_SIZE(c->slot); k++) {
		if (c->slot[k].len && c->slot[k].off == base)
			break;
		if (c->slot[k].used < c->slot[old].used)
			old = k;
	}
	if (k == ARRAY_SIZE(c->slot)) {
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
