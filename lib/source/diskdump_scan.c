// SPDX-License-Identifier: MIT
/*
 * A kdump's pages in batches, for kho_scan: the first bytes of each,
 * decoded no further than needed (page_head.c), on two threads when the
 * caller asked for them (kho_source_opts.threads), else on its own.
 *
 * Page by page, every read pays for a descriptor lookup (a rank and up to
 * eight popcounts), a cache probe and a window check; here a batch finds
 * its first descriptor once and walks the table alongside the bitmap.
 * With threads the batch is split in halves, one thread each (a thread's
 * windows and page buffer are its own; the index and bitmaps are only
 * read). A library starts no thread its caller did not ask for: the
 * caller may be single-threaded by design (a signal handler, a seccomp
 * filter, a fork after the scan).
 */
#include "diskdump.h"
#include "heads.h"

struct part {
	struct kho_source *src;
	struct dd_thread *th;
	uint64_t pfn, count, stride;    /* pages pfn + i * stride, i < count */
	size_t n;
	uint8_t *out, *state;
};

static enum head_state one(struct part *t, uint64_t pfn, uint64_t idx, uint8_t *out)
{
	struct kho_source *src = t->src;
	const struct dd_priv *p = src->priv;
	const uint8_t *z;
	struct kho_error e;
	struct desc d;

	if (dd_desc(src, &t->th->wdesc, pfn, idx, &d, &e) ||
	    !(z = dd_window_at(src, &t->th->wdata, d.offset, d.size, &e)))
		return HEAD_ASK;
	if (page_head(d.flags, z, d.size, p->page, out, t->n))
		return HEAD_OK;
	if (!dd_unpack(p, d.flags, z, d.size, t->th->page))
		return HEAD_ASK;         /* the page reader says what is wrong */
	memcpy(out, t->th->page, t->n);
	return HEAD_OK;
}

static void *run(void *arg)
{
	struct part *t = arg;
	const struct dd_priv *p = t->src->priv;
	uint64_t idx = desc_index(p, MIN(t->pfn, p->max_mapnr));   /* of the pfn at hand */

	for (uint64_t i = 0; i < t->count; i++) {
		uint64_t pfn = t->pfn + i * t->stride;
		uint8_t *st = &t->state[i];

		if (pfn >= p->max_mapnr || !bit(p->mem, pfn) || !bit(p->dumped, pfn))
			*st = HEAD_NONE;
		else
			*st = pfn >= p->cut_pfn ? HEAD_ASK : one(t, pfn, idx, t->out + i * t->n);
		/* a page of the scan may span several kdump blocks */
		for (uint64_t k = 0; k < t->stride && pfn + k < p->max_mapnr; k++)
			idx += bit(p->dumped, pfn + k);
	}
	return NULL;
}

bool dd_thread_buffers(struct dd_priv *p, unsigned i)
{
	struct dd_thread *t = &p->th[i];

	if (t->page)
		return true;
	t->wdesc.buf = t->wdesc.buf ? t->wdesc.buf : aligned_alloc(4096, WINDOW);
	t->wdata.buf = t->wdata.buf ? t->wdata.buf : aligned_alloc(4096, WINDOW);
	if (t->wdesc.buf && t->wdata.buf)
		t->page = malloc(p->page);
	return t->page != NULL;
}

enum kho_status dd_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			 uint8_t *out, uint8_t *state, struct kho_error *err)
{
	struct dd_priv *p = src->priv;
	uint64_t pfn = phys / p->page, half = source_split(src, count);
	uint64_t stride = src->page_size / p->page;
	/* a second thread only when its buffers can be had */
	bool two = half && dd_thread_buffers(p, 1);
	struct part t[SCAN_THREADS] = {
		{ src, &p->th[0], pfn, two ? half : count, stride, n, out, state },
		{ src, &p->th[1], pfn + half * stride, count - half, stride, n, out + half * n,
		  state + half },
	};

	/* pages smaller than the kdump's blocks start inside them */
	if (src->page_size % p->page)
		return kho_error_set(err, KHO_ERR_NOTIMPL, "pages smaller than kdump blocks");
	if (two)
		source_halves(run, &t[0], &t[1]);
	else
		run(&t[0]);
	return KHO_OK;
}
