// SPDX-License-Identifier: MIT
/*
 * range-overlap, without expanding runs into keys or sorting them: a
 * k-way merge of the per-order streams (streams.h) by the start of their
 * next block (ties: larger blocks first).
 * Every block that starts before the furthest end seen so far overlaps
 * something. While the smallest run is alone below the next run's start
 * and past the furthest end, its blocks are taken in bulk, so a dense
 * tree of 2^27 keys in a handful of runs costs a handful of steps.
 * Each batch of runs a radix stream refills is checked (check_runs), and
 * the union of what is taken goes to the coverage questions (cover.h).
 */
#include "checks.h"

#include "../util/util.h"

/* Heap order: by start, then larger blocks first, as one 128-bit key. */
typedef unsigned __int128 u128;

struct head {
	u128 key;
	struct stream *s;
};

static inline u128 key_of(const struct stream *s)
{
	return (u128)s->start << 64 | (UINT64_MAX - s->size);
}

/*
 * The streams waiting, by key. A radix tree has at most one stream per
 * order: they sit in a ring kept sorted, where a stream that moves on
 * usually goes straight to the back (one compare). Stored runs can make
 * any number of streams: a binary heap then.
 */
#define RING 64

struct queue {
	struct head *h;
	size_t n, first;        /* ring: h[(first + i) % RING], i < n */
	bool ring;
};

static inline struct head *q_at(struct queue *q, size_t i)
{
	return &q->h[q->ring ? (q->first + i) & (RING - 1) : i];
}

static inline void heap_down(struct head *h, size_t n)
{
	size_t i = 0;
	struct head x = h[0];

	for (;;) {
		size_t l = 2 * i + 1, m;

		if (l >= n)
			break;
		m = l + 1 < n && h[l + 1].key < h[l].key ? l + 1 : l;
		if (x.key <= h[m].key)
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
}

static inline void heap_up(struct head *h, size_t j)
{
	struct head x = h[j];

	while (j && x.key < h[(j - 1) / 2].key) {
		h[j] = h[(j - 1) / 2];
		j = (j - 1) / 2;
	}
	h[j] = x;
}

/* Insert @x (ring: from the back). */
static inline void q_push(struct queue *q, struct head x)
{
	size_t i = q->n++;

	if (!q->ring) {
		q->h[i] = x;
		return heap_up(q->h, i);
	}
	for (; i && q_at(q, i - 1)->key > x.key; i--)
		*q_at(q, i) = *q_at(q, i - 1);
	*q_at(q, i) = x;
}

static inline void q_pop(struct queue *q)
{
	if (q->ring) {
		q->first = (q->first + 1) & (RING - 1);
		q->n--;
		return;
	}
	q->h[0] = q->h[--q->n];
	heap_down(q->h, q->n);
}

/* The top's key grew: put it back in place. */
static inline void q_moved(struct queue *q, u128 key)
{
	struct head x = { key, q_at(q, 0)->s };

	if (!q->ring) {
		q->h[0] = x;
		return heap_down(q->h, q->n);
	}
	q_pop(q);
	q_push(q, x);
}

/* The start of the block after the top's. */
static inline uint64_t q_second_start(struct queue *q)
{
	if (q->n < 2)
		return UINT64_MAX;
	if (q->ring || q->n == 2 || q->h[1].key < q->h[2].key)
		return (uint64_t)(q_at(q, 1)->key >> 64);
	return (uint64_t)(q->h[2].key >> 64);
}

/* The next run of @s; a refilled batch of runs is checked at once. */
static inline bool pull(struct stream *s, const struct kho_geometry *geo, struct run_checks *rc)
{
	bool refill = s->next == s->end;

	if (!stream_pull(s, geo))
		return false;
	if (refill && s->c.m)
		check_runs(rc, s->batch, s->end);
	return true;
}

void check_merge(struct kho_inspection *in, struct stream *s, size_t ns,
		 struct run_checks *rc, struct cover *cv, struct kho_findings *f)
{
	const struct kho_geometry *geo = &in->geo;
	struct queue q = { .ring = ns <= RING };
	uint64_t max_end = 0, max_start = 0, max_size = 0;
	unsigned max_ord = 0;

	q.h = malloc((q.ring ? RING : ns ? ns : 1) * sizeof(*q.h));
	if (!q.h) {
		f->oom = true;
		return;
	}
	for (size_t i = 0; i < ns; i++)
		if (pull(&s[i], geo, rc))
			q_push(&q, (struct head){ key_of(&s[i]), &s[i] });
	while (q.n) {
		struct stream *c = q_at(&q, 0)->s;
		uint64_t take = 1, end;

		if (c->start < max_end) {
			kho_report(f, "range-overlap", c->start,
				   "0x%llx+0x%llx (order %u) overlaps 0x%llx+0x%llx (order %u)",
				   (unsigned long long)c->start, (unsigned long long)c->size,
				   c->run->order, (unsigned long long)max_start,
				   (unsigned long long)max_size, max_ord);
		} else if (c->left > 1) {
			/* Blocks of this run that start before the next run's do not
			 * overlap anything: take them at once. */
			uint64_t limit = q_second_start(&q);

			if (limit > c->start)
				take = MIN(c->left, (limit - c->start + c->size - 1) / c->size);
			take = MAX(take, (uint64_t)1);
		}
		end = c->start + take * c->size;
		if (end < c->start)     /* the top of the address space */
			end = UINT64_MAX;
		cover_add(cv, c->start, end);
		if (end > max_end) {
			max_end = end;
			max_start = end - c->size;
			max_size = c->size;
			max_ord = c->run->order;
		}
		c->left -= take;
		c->start = end;
		if ((!c->left && !pull(c, geo, rc)) || (c->left && end == UINT64_MAX))
			q_pop(&q);
		else
			q_moved(&q, key_of(c));
	}
	cover_close(cv);
	free(q.h);
}
