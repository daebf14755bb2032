// SPDX-License-Identifier: MIT
/*
 * A radix tree proved clean without the merge of overlap.c, one window
 * of the address space at a time. Radix blocks are aligned powers of
 * two: in a window of 2^W pages, W >= 6 + the largest order present, no
 * block crosses the window's edge, and a block of order <= 6 is a mask
 * inside one 64-bit word of the window's page bitmap. Setting every
 * block with a test before the set finds any overlap, whatever the
 * orders. A leaf word of order o is 64 blocks in address order, so the
 * bitmap is built a word at a time (spread 2^o-fold), not a key at a
 * time: the sparse tree's four interleaved orders need no merge.
 *
 * It only proves (windows.h). Whatever would give the merge or
 * check_runs() a finding (an overlap, an order above the limit, a block
 * in scratch or outside present memory, a block at the top of the
 * address space, keys of huge orders) makes it give up, and the caller
 * runs the exact merge from the start, so findings, their order and the
 * caps are the merge's own.
 */
#include "windows.h"

#include <stdlib.h>

#include "../map/words.h"
#include "../util/util.h"
#include "scratch.h"

#define WINDOW_MIN_LOG2 16      /* 256 MiB of 4 KiB pages, an 8 KiB bitmap */
#define MAX_ORDERS 64

struct order_pos {
	uint64_t lo, hi;        /* the order's keys [lo, hi) */
	uint64_t key;           /* the next key to read */
	size_t leaf;            /* where to look for it */
	uint64_t keys, runs;
	uint64_t carry;         /* a run ending a word goes on at this key */
};

struct win {
	const struct kho_radix_map *m;
	struct run_checks *rc;      /* its last present stretch is shared */
	struct cover *cv;
	unsigned log2, shift;   /* pages per window, page shift */
	uint64_t base;          /* the window's first page */
	uint64_t *bm;           /* its page bitmap */
	uint64_t *lines;        /* a bit per 8 words of bm that were written */
	size_t nlines;          /* words of lines */
	size_t want;            /* the first coverage question not yet done */
	unsigned max_order;     /* the largest order present */
	struct order_pos ord[MAX_ORDERS];
	uint64_t spread[6][256];   /* each bit of a byte 2^o times */
};

static void init_spread(struct win *w)
{
	for (unsigned o = 1; o < 6; o++) {
		unsigned wide = 1u << o;

		for (unsigned x = 0; x < 256; x++) {
			uint64_t e = 0;

			for (unsigned i = 0; i < 8 && (i + 1) * wide <= 64; i++)
				if (x >> i & 1)
					e |= (((uint64_t)1 << wide) - 1) << (i * wide);
			w->spread[o][x] = e;
		}
	}
}

/*
 * The bitmap a window is built in: @bm, and @lines, a bit per 8 words
 * (a cache line) that may have been written, so that finding and
 * clearing what was written costs what was written, not the window.
 */
struct bits {
	uint64_t *restrict bm, *restrict lines;
	const uint64_t (*spread)[256];
};

/* Mark the lines of words [@i, @i + @n) as written. */
static inline void mark(const struct bits *b, uint64_t i, uint64_t n)
{
	for (uint64_t l = i >> 3; l <= (i + n - 1) >> 3; l++)
		b->lines[l >> 6] |= (uint64_t)1 << (l & 63);
}

/* Set @mask in word @i. returns: false if a bit of it was set already. */
static inline bool put(const struct bits *b, uint64_t i, uint64_t mask)
{
	if (b->bm[i] & mask)
		return false;
	b->bm[i] |= mask;
	return true;
}

/* Bitmap word for @c, the 64 >> @o blocks of order @o (0 < o < 6) it covers. */
static inline __attribute__((always_inline)) uint64_t spread(const struct bits *b,
							       const unsigned o, uint64_t c)
{
	uint64_t e = 0;

	if (o >= 3)
		return b->spread[o][c];
	for (unsigned k = 0; k < 8u >> o; k++)   /* bytes of @c, each to 8 << o bits */
		e |= b->spread[o][c >> (8 * k) & 0xff] << ((8u << o) * k);
	return e;
}

/* Words [@i, @i + @n) all set. returns: false if a bit of them was set
 * already (only lines marked written can hold one). */
static bool put_full(const struct bits *b, uint64_t i, uint64_t n)
{
	uint64_t first = i >> 3, last = (i + n - 1) >> 3, any = 0;

	for (uint64_t j = first >> 6; j <= last >> 6; j++) {
		uint64_t lo = j == first >> 6 ? first & 63 : 0, hi = j == last >> 6 ? last & 63 : 63;
		uint64_t m = (~(uint64_t)0 << lo) & (~(uint64_t)0 >> (63 - hi));

		any |= b->lines[j] & m;
		b->lines[j] |= m;
	}
	for (uint64_t k = 0; any && k < n; k++)
		if (b->bm[i + k])
			return false;
	memset(&b->bm[i], 0xff, n * sizeof(*b->bm));
	return true;
}

/* The 64 blocks of order @o in @x, the first in bitmap word @i. */
static inline __attribute__((always_inline)) bool put_blocks(const struct bits *b,
							   const unsigned o, uint64_t i,
							   uint64_t x)
{
	if (o < 6) {
		const unsigned per = 64u >> o;   /* blocks per bitmap word */

		mark(b, i, (uint64_t)1 << o);
		if (o == 0)
			return put(b, i, x);
		for (unsigned j = 0; j < 1u << o; j++) {
			uint64_t c = x >> (j * per) & (((uint64_t)1 << per) - 1);

			if (c && !put(b, i + j, spread(b, o, c)))
				return false;
		}
		return true;
	}
	/* Larger blocks are whole words, 2^(o-6) of them. */
	for (; x; x &= x - 1)
		if (!put_full(b, i + ((uint64_t)__builtin_ctzll(x) << (o - 6)),
			      (uint64_t)1 << (o - 6)))
			return false;
	return true;
}

/* Order @o's keys in the window into the bitmap, counted as the cursors do. */
static inline __attribute__((always_inline)) bool fill(struct win *w, const unsigned o)
{
	struct order_pos *p = &w->ord[o];
	const struct bits b = { w->bm, w->lines, (const uint64_t (*)[256])w->spread };
	const bool big = w->m->big_endian;
	uint64_t first = p->lo + (w->base >> o), k = first;
	uint64_t end = k + ((uint64_t)1 << (w->log2 - o));
	uint64_t keys = 0, joins = 0, carry = p->carry;
	const uint8_t *bits;
	bool ok = true;
	size_t n;

	while (ok && k < end && (bits = radix_words(w->m, &p->leaf, &k, end, &n))) {
		if (w->m->leaves[p->leaf].phys & KHO_RADIX_LEAF_FULL) {
			/* Every key set: one run on from the last, if it ended here. */
			keys += 64 * n;
			joins += 64 * n - (k != carry);
			ok = put_full(&b, (k - first) << o >> 6, (uint64_t)n << o);
			k += 64 * n;
			carry = k;
			continue;
		}
		for (size_t i = 0; i < n; i++, k += 64) {
			uint64_t x = load_u64(bits + 8 * i, big), join;

			if (!x)
				continue;
			/* A run starts at every set bit whose key before is clear:
			 * runs are keys less the bits that join the one before. */
			keys += (uint64_t)__builtin_popcountll(x);
			join = x & (x << 1 | (k == carry));
			if (join)
				joins += (uint64_t)__builtin_popcountll(join);
			carry = x >> 63 ? k + 64 : UINT64_MAX;
			if (!put_blocks(&b, o, (k - first) << o >> 6, x)) {
				ok = false;
				break;
			}
		}
	}
	p->keys += keys;
	p->runs += keys - joins;
	p->carry = carry;
	p->key = end;
	return ok;
}

/* fill() with @o a constant for the orders that matter most. Built twice,
 * with and without the popcnt instruction (which the baseline x86-64
 * lacks): the CPU picks, through an ifunc, at load time. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("popcnt", "default")))
#endif
static bool fill_order(struct win *w, unsigned o)
{
	switch (o) {
	case 0: return fill(w, 0);
	case 1: return fill(w, 1);
	case 2: return fill(w, 2);
	case 3: return fill(w, 3);
	case 4: return fill(w, 4);
	case 5: return fill(w, 5);
	default: return fill(w, o);
	}
}

/* The first page, relative to the window, of the next set run at or
 * after @from and before @to, and where it ends (at most @to).
 * returns: false if none. */
static bool next_run(const struct win *w, uint64_t from, uint64_t to, uint64_t *s,
		     uint64_t *e)
{
	uint64_t i = from >> 6, x;

	if (from >= to)
		return false;
	x = w->bm[i] & (~(uint64_t)0 << (from & 63));
	while (!x) {
		if (++i << 6 >= to)
			return false;
		x = w->bm[i];
	}
	*s = i << 6 | (unsigned)__builtin_ctzll(x);
	if (*s >= to)
		return false;
	/* Clear bits at or above *s. */
	x = ~w->bm[i] & (~(uint64_t)0 << (*s & 63));
	while (!x && ++i << 6 < to)
		x = ~w->bm[i];
	*e = x ? MIN(to, i << 6 | (unsigned)__builtin_ctzll(x)) : to;
	return true;
}

/* Whether all of [@a, @e) is present in the dump, as check_memory() asks. */
static bool present(struct win *w, uint64_t a, uint64_t e)
{
	struct run_checks *rc = w->rc;
	uint64_t run;

	if (a >= rc->present_lo && e <= rc->present_hi)
		return true;
	while (a < e) {
		if (kho_source_state(rc->src, a, &run) != KHO_MEM_PRESENT)
			return false;
		if (!run || a + run <= a)   /* present up to the top */
			return true;
		rc->present_lo = a;
		rc->present_hi = a + run;
		a += run;
	}
	return true;
}

/* The first and last words of the bitmap written. returns: false if none. */
static bool written(const struct win *w, uint64_t *first, uint64_t *last)
{
	size_t lo = 0, hi = w->nlines;
	uint64_t i;

	while (lo < hi && !w->lines[lo])
		lo++;
	if (lo == hi)
		return false;
	while (!w->lines[hi - 1])
		hi--;
	for (i = (lo * 64 + (unsigned)__builtin_ctzll(w->lines[lo])) * 8; !w->bm[i]; i++)
		;
	*first = i;
	for (i = ((hi - 1) * 64 + 63 - (unsigned)__builtin_clzll(w->lines[hi - 1])) * 8 + 7;
	     !w->bm[i]; i--)
		;
	*last = i;
	return true;
}

/* Whether the window's blocks give check_run_slow() nothing to say: the
 * hull at once if it can, else run by run. */
static bool window_clean(struct win *w, uint64_t first, uint64_t last)
{
	uint64_t a = (w->base + first) << w->shift, e = (w->base + last + 1) << w->shift;
	uint64_t s, t, to = (uint64_t)1 << w->log2;

	if (present(w, a, e) && (e <= w->rc->scratch_lo || a >= w->rc->scratch_hi))
		return true;
	for (uint64_t from = first; next_run(w, from, to, &s, &t); from = t) {
		a = (w->base + s) << w->shift;
		e = (w->base + t) << w->shift;
		if (!present(w, a, e) || scratch_any_meets(&w->rc->in->ho, a, e - a))
			return false;
	}
	return true;
}

/* The union inside the coverage questions that meet the window, in
 * ascending order: cover_add() joins what the window's edge cut. */
static void window_cover(struct win *w)
{
	const struct cover *c = w->cv;
	uint64_t end = w->base + ((uint64_t)1 << w->log2), s, t;

	for (; w->want < c->nwant; w->want++) {
		uint64_t a = c->want[w->want].start, b = c->want[w->want].end;
		uint64_t pa = a >> w->shift, pb = ((b - 1) >> w->shift) + 1;

		if (pa >= end)
			return;
		if (pb <= w->base)
			continue;   /* in a stretch no window was needed for */
		pa = MAX(pa, w->base) - w->base;
		for (uint64_t from = pa; next_run(w, from, MIN(pb, end) - w->base, &s, &t); from = t)
			cover_add(w->cv, MAX(a, (w->base + s) << w->shift),
				  MIN(b, (w->base + t) << w->shift));
		if (pb > end)
			return;   /* it goes on in the next window */
	}
}

static void window_clear(struct win *w)
{
	for (size_t l = 0; l < w->nlines; l++) {
		for (uint64_t x = w->lines[l]; x; x &= x - 1)
			memset(&w->bm[(l * 64 + (unsigned)__builtin_ctzll(x)) * 8], 0,
			       8 * sizeof(*w->bm));
		w->lines[l] = 0;
	}
}

static bool window_done(struct win *w)
{
	uint64_t first, last, top = ((uint64_t)1 << (64 - w->shift)) - 1;

	if (!written(w, &first, &last))
		return true;
	first = first * 64 + (unsigned)__builtin_ctzll(w->bm[first]);
	last = last * 64 + 63 - (unsigned)__builtin_clzll(w->bm[last]);
	/* The merge cuts a block ending at 2^64 short by a byte. */
	if (w->base + last == top || !window_clean(w, first, last))
		return false;
	window_cover(w);
	window_clear(w);
	return true;
}

/* The first page of the window holding order @o's next key (UINT64_MAX: none). */
static uint64_t next_page(struct win *w, unsigned o)
{
	struct order_pos *p = &w->ord[o];
	uint64_t key = p->key;
	size_t n;

	if (!radix_words(w->m, &p->leaf, &key, p->hi, &n))
		return UINT64_MAX;
	return ((key - p->lo) << o) & ~(((uint64_t)1 << w->log2) - 1);
}

/*
 * The largest order present: that of the smallest key set. returns:
 * false if a key of an order above the limit is set (a finding), or a
 * key below every order's (the cursors never read it; the merge decides).
 */
static bool largest_order(struct win *w)
{
	const struct kho_geometry *geo = w->m->geo;
	uint64_t key = 0, limit = (uint64_t)1 << (geo->key_width - 1 - w->rc->max_order);
	size_t leaf = 0, n;
	const uint8_t *bits;

	while ((bits = radix_words(w->m, &leaf, &key, (uint64_t)1 << geo->key_width, &n))) {
		for (size_t i = 0; i < n; i++, key += 64) {
			uint64_t x = load_u64(bits + 8 * i, w->m->big_endian);

			if (!x)
				continue;
			key += (unsigned)__builtin_ctzll(x);
			if (key < limit)
				return false;
			w->max_order = geo->key_width - fls64(key);
			return true;
		}
	}
	w->max_order = 0;
	return true;
}

static bool windows(struct win *w)
{
	const struct kho_geometry *geo = w->m->geo;

	for (unsigned o = 0; o <= w->max_order; o++) {
		struct order_pos *p = &w->ord[o];

		p->lo = (uint64_t)1 << (geo->key_width - 1 - o);
		p->hi = p->lo << 1;
		p->key = p->lo;
		p->leaf = radix_leaf_at(w->m, p->lo);
		p->carry = UINT64_MAX;
	}
	for (;;) {
		uint64_t base = UINT64_MAX;

		for (unsigned o = 0; o <= w->max_order; o++)
			base = MIN(base, next_page(w, o));
		if (base == UINT64_MAX)
			return true;
		w->base = base;
		for (unsigned o = 0; o <= w->max_order; o++)
			if (!fill_order(w, o))
				return false;
		if (!window_done(w))
			return false;
	}
}

bool check_windows(struct kho_inspection *in, const struct kho_radix_map *m,
		   struct run_checks *rc, struct cover *c)
{
	struct win *w;
	bool ok = false;

	/* The whole union (ranges --merge, diff) is a span per gap: the merge's. */
	if (c->keep_all || rc->max_order >= MAX_ORDERS || !(w = calloc(1, sizeof(*w))))
		return false;
	*w = (struct win){ .m = m, .rc = rc, .cv = c, .shift = m->geo->page_shift };
	if (!largest_order(w))
		goto out;
	w->log2 = MAX(WINDOW_MIN_LOG2, w->max_order + 6);
	w->nlines = MAX(((size_t)1 << w->log2) >> 15, (size_t)1);
	w->bm = calloc((size_t)1 << (w->log2 - 6), sizeof(*w->bm));
	w->lines = calloc(w->nlines, sizeof(*w->lines));
	if (!w->bm || !w->lines)
		goto out;
	init_spread(w);
	ok = windows(w);
	if (ok) {
		cover_close(c);
		for (unsigned o = 0; o <= w->max_order; o++)
			radix_stats_add(&in->stats, m->geo, o, w->ord[o].keys, w->ord[o].runs);
	} else {
		cover_rewind(c);
	}
out:
	free(w->bm);
	free(w->lines);
	free(w);
	return ok;
}
