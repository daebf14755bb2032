// SPDX-License-Identifier: MIT
/*
 * range-overlap, without expanding runs into keys or sorting them: a
 * k-way merge of streams by the start of their next block (ties: larger
 * blocks first). A stream hands out runs of one order in ascending
 * address order: from a radix cursor (decoded on demand, nothing stored)
 * or from a slice of the stored runs (kho-v1 chunks, the broken 16 KiB
 * depth, whose runs come in no useful order and are split into maximal
 * ascending slices of one order).
 * Every block that starts before the furthest end seen so far overlaps
 * something. While the smallest run is alone below the next run's start
 * and past the furthest end, its blocks are taken in bulk, so a dense
 * tree of 2^27 keys in a handful of runs costs a handful of steps.
 */
#include "checks.h"

#include <stdlib.h>
#include <sys/types.h>

#include "../util/util.h"

#define STREAM_BATCH 64

struct stream {
	const struct kho_run *run;     /* the current run */
	uint64_t start, size, left;    /* its next block, block size, blocks left */
	const struct kho_run *v;       /* runs v[next..end) still to come: a slice */
	size_t next, end;              /* of the stored runs, or of batch[] */
	struct kho_radix_cursor c;     /* which a cursor refills (c.m not NULL) */
	struct kho_run batch[STREAM_BATCH];
};

struct merge {
	const struct kho_geometry *geo;
	struct run_checks *rc;
	struct cover *cv;
	uint64_t max_end, max_start, max_size;   /* the block that ends furthest */
	unsigned max_ord;
};

/* Load the stream's next run; a batch a cursor refills is checked at
 * once. returns: false at its end. */
static inline bool pull(struct merge *m, struct stream *s)
{
	if (s->next == s->end) {
		if (!s->c.m)
			return false;
		s->v = s->batch;
		s->next = 0;
		s->end = kho_radix_cursor_fill(&s->c, s->batch, STREAM_BATCH);
		if (!s->end)
			return false;
		check_runs(m->rc, s->batch, s->end);
	}
	s->run = &s->v[s->next++];
	s->start = s->run->phys;
	s->size = kho_order_bytes(m->geo, s->run->order);
	s->left = s->run->count;
	return true;
}

/*
 * Take the next blocks of @c, the stream that comes first; every other
 * stream's next block starts at @limit or above. returns: whether @c has
 * more to give.
 */
static inline bool take(struct merge *m, struct stream *c, uint64_t limit)
{
	uint64_t n = 1, end;

	if (c->start < m->max_end) {
		kho_flag(m->rc->f, KHO_CHECK_RANGE_OVERLAP, c->start,
			 "0x%llx+0x%llx (order %u) overlaps 0x%llx+0x%llx (order %u)",
			 HEX(c->start), HEX(c->size), c->run->order, HEX(m->max_start),
			 HEX(m->max_size), m->max_ord);
	} else if (c->left > 1) {
		/* Blocks of this run that start before the next run's do not
		 * overlap anything: take them at once. */
		if (limit > c->start)
			n = MIN(c->left, (limit - c->start + c->size - 1) / c->size);
		n = MAX(n, (uint64_t)1);
	}
	end = c->start + n * c->size;
	if (end < c->start)     /* the top of the address space */
		end = UINT64_MAX;
	cover_add(m->cv, c->start, end);
	if (end > m->max_end) {
		m->max_end = end;
		m->max_start = end - c->size;
		m->max_size = c->size;
		m->max_ord = c->run->order;
	}
	c->left -= n;
	c->start = end;
	if (!c->left)
		return pull(m, c);
	return end != UINT64_MAX;
}

/* The streams in a binary heap, by the start of their next block, then
 * larger blocks first (radix streams, one per order, never tie on both). */
static inline bool before(const struct stream *a, const struct stream *b)
{
	return a->start < b->start || (a->start == b->start && a->size > b->size);
}

static void heap_down(struct stream **h, size_t n)
{
	size_t i = 0;
	struct stream *x = h[0];

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= n)
			break;
		m = l + 1 < n && before(h[l + 1], h[l]) ? l + 1 : l;
		if (!before(h[m], x))
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
}

static void heap_up(struct stream **h, size_t j)
{
	struct stream *x = h[j];

	while (j && before(x, h[(j - 1) / 2])) {
		h[j] = h[(j - 1) / 2];
		j = (j - 1) / 2;
	}
	h[j] = x;
}

/* The start of the block after the top's. */
static uint64_t second_start(struct stream *const *h, size_t n)
{
	if (n < 2)
		return UINT64_MAX;
	if (n == 2 || before(h[1], h[2]))
		return h[1]->start;
	return h[2]->start;
}

/* One stream per order of @map, counting runs into in->stats; without
 * @map, streams over in's stored runs. returns: their number, or -1. */
static ssize_t streams_of(struct kho_inspection *in, const struct kho_radix_map *map,
			  struct stream **out)
{
	struct stream *v = NULL, *s = NULL;
	size_t n = 0, cap = 0;

	if (map) {
		v = calloc(map->geo->key_width, sizeof(*v));
		for (unsigned o = 0; v && o < map->geo->key_width; o++)
			kho_radix_cursor_init(&v[o].c, map, o, &in->stats);
		*out = v;
		return v ? (ssize_t)map->geo->key_width : -1;
	}
	for (size_t i = 0; i < in->nruns; i++) {
		const struct kho_run *r = &in->runs[i], *p = i ? &in->runs[i - 1] : NULL;

		if (!p || p->order != r->order || p->phys >= r->phys) {
			if (!(s = ARRAY_ADD(v, cap, n))) {
				free(v);
				return -1;
			}
			s->v = in->runs;
			s->next = i;
		}
		s->end = i + 1;
	}
	*out = v;
	return (ssize_t)n;
}

void check_merge(struct kho_inspection *in, const struct kho_radix_map *map,
		 struct run_checks *rc, struct cover *cv)
{
	struct merge m = { .geo = &in->geo, .rc = rc, .cv = cv };
	struct stream *s = NULL;
	ssize_t ns = streams_of(in, map, &s);
	struct stream **h = ns < 0 ? NULL : malloc(((size_t)ns + 1) * sizeof(*h));
	size_t n = 0;

	if (!h) {
		rc->f->oom = true;
		free(s);
		return;
	}
	/* largest order first: the order the first batches are checked in */
	for (size_t i = (size_t)ns; i-- > 0;) {
		if (pull(&m, &s[i])) {
			h[n] = &s[i];
			heap_up(h, n++);
		}
	}
	/* Only the top's next block moves: the rest of the heap holds. */
	while (n) {
		if (!take(&m, h[0], second_start(h, n)))
			h[0] = h[--n];
		heap_down(h, n);
	}
	free(h);
	free(s);
	cover_close(cv);
}
