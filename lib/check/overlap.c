// SPDX-License-Identifier: MIT
/*
 * range-overlap, without expanding runs into keys or sorting them: a
 * k-way merge of the per-order streams (streams.h) by the start of their
 * next block (ties: larger blocks first).
 * Every block that starts before the furthest end seen so far overlaps
 * something. While the smallest run is alone below the next run's start
 * and past the furthest end, its blocks are taken in bulk, so a dense
 * tree of 2^27 keys in a handful of runs costs a handful of steps.
 */
#include "checks.h"

#include "../util/util.h"

struct merge {
	const struct kho_geometry *geo;
	struct run_checks *rc;
	struct cover *cv;
	struct kho_findings *f;
	uint64_t max_end, max_start, max_size;   /* the block that ends furthest */
	unsigned max_ord;
};

/* The next run of @s; a refilled batch of runs is checked at once. */
static inline bool pull(struct merge *m, struct stream *s)
{
	bool refill = s->next == s->end;

	if (!stream_pull(s, m->geo))
		return false;
	if (refill && s->c.m)
		check_runs(m->rc, s->batch, s->end);
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
		kho_flag(m->f, KHO_CHECK_RANGE_OVERLAP, c->start,
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

void check_merge(struct kho_inspection *in, struct stream *s, size_t ns,
		 struct run_checks *rc, struct cover *cv, struct kho_findings *f)
{
	struct merge m = { .geo = &in->geo, .rc = rc, .cv = cv, .f = f };
	struct stream **h = malloc((ns ? ns : 1) * sizeof(*h));
	size_t n = 0;

	if (!h) {
		f->oom = true;
		return;
	}
	/* largest order first: the order the first batches are checked in */
	for (size_t i = ns; i-- > 0;) {
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
	cover_close(cv);
}
