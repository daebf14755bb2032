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
#include "kho/verify.h"

#include "streams.h"

#include <stdlib.h>

#include "../util/util.h"

struct cursor {
	uint64_t start, size, left;   /* next block, its size, blocks left in its run */
	unsigned order;
	struct stream s;              /* the runs after this one */
};

static void load(struct cursor *c, const struct kho_inspection *in)
{
	const struct kho_run *r = &in->runs[c->s.next++];

	c->start = r->phys;
	c->size = kho_order_bytes(&in->geo, r->order);
	c->left = r->count;
	c->order = r->order;
}

static bool before(const struct cursor *a, const struct cursor *b)
{
	return a->start != b->start ? a->start < b->start : a->size > b->size;
}

static void sift_down(struct cursor *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct cursor t;

		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i], h[i] = h[m], h[m] = t;
		i = m;
	}
}

/* The smaller of the heap top's two children: the next run in line. */
static const struct cursor *second(const struct cursor *h, size_t n)
{
	if (n < 2)
		return NULL;
	if (n == 2 || before(&h[1], &h[2]))
		return &h[1];
	return &h[2];
}

KHO_EXPORT void kho_check_overlap(struct kho_inspection *in, struct kho_findings *f)
{
	struct stream *streams = NULL;
	ssize_t ns = streams_split(in, &streams);

	in->nspans = 0;
	size_t n = 0;
	struct cursor *h = ns >= 0 ? malloc((ns ? (size_t)ns : 1) * sizeof(*h)) : NULL;
	uint64_t max_end = 0, max_start = 0, max_size = 0;
	unsigned max_order = 0;
	bool any = false;

	if (!h) {
		free(streams);
		f->oom = true;
		return;
	}
	for (ssize_t i = 0; i < ns; i++) {
		h[n] = (struct cursor){ .s = streams[i] };
		load(&h[n++], in);
	}
	free(streams);
	for (size_t i = n / 2; i-- > 0;)
		sift_down(h, n, i);
	while (n) {
		struct cursor *c = &h[0];
		const struct cursor *next = second(h, n);
		uint64_t take = 1, end;

		if (any && c->start < max_end) {
			kho_report(f, "range-overlap", c->start,
				   "0x%llx+0x%llx (order %u) overlaps 0x%llx+0x%llx (order %u)",
				   (unsigned long long)c->start, (unsigned long long)c->size,
				   c->order, (unsigned long long)max_start,
				   (unsigned long long)max_size, max_order);
		} else if (c->left > 1) {
			/* Blocks of this run that start before the next run's do not
			 * overlap anything: take them at once. */
			uint64_t limit = next ? next->start : UINT64_MAX;

			if (limit > c->start)
				take = MIN(c->left, (limit - c->start + c->size - 1) / c->size);
			take = MAX(take, (uint64_t)1);
		}
		end = c->start + take * c->size;
		if (end < c->start)     /* the top of the address space */
			end = UINT64_MAX;
		/* The union of everything, built on the way: one span per gap. */
		if (any && c->start <= max_end) {
			if (end > in->spans[in->nspans - 1].end)
				in->spans[in->nspans - 1].end = end;
		} else if (ARRAY_RESERVE(in->spans, in->spans_cap, in->nspans)) {
			in->spans[in->nspans++] = (struct kho_span){ c->start, end };
		} else {
			f->oom = true;
		}
		if (!any || end > max_end) {
			max_end = end;
			max_start = end - c->size;
			max_size = c->size;
			max_order = c->order;
		}
		any = true;
		c->left -= take;
		c->start = end;
		if (!c->left && c->s.next < c->s.end)
			load(c, in);           /* the stream's next run */
		else if (!c->left || end == UINT64_MAX)
			h[0] = h[--n];
		sift_down(h, n, 0);
	}
	free(h);
}
