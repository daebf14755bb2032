// SPDX-License-Identifier: MIT
/*
 * The cursors of kho/map.h over the leaves kho_radix_open() found. Keys
 * of order o are exactly those whose highest set bit is key_width - 1 - o,
 * a contiguous range, so a cursor is a key range over the leaves (kept in
 * key order).
 */
#include "kho/map.h"

#include "../util/util.h"
#include "words.h"

/* The word of the current leaf at key c->base, limited to [lo, hi). */
static uint64_t load_word(const struct kho_radix_cursor *c)
{
	const struct kho_radix_leaf *l = &c->m->leaves[c->leaf];
	uint64_t w = load_u64(radix_leaf_bits(c->m, c->leaf) + (c->base - l->prefix) / 8,
			      c->m->big_endian);

	if (c->base < c->lo)
		w &= ~(uint64_t)0 << (c->lo - c->base);
	if (c->hi - c->base < 64)
		w &= ((uint64_t)1 << (c->hi - c->base)) - 1;
	return w;
}

/* Position on the first word of leaf @i at or above key @from. */
static bool enter(struct kho_radix_cursor *c, size_t i, uint64_t from)
{
	const struct kho_radix_map *m = c->m;

	c->word = 0;
	c->leaf = i;
	if (i >= m->nleaves || m->leaves[i].prefix >= c->hi)
		return false;
	c->base = MAX(from, m->leaves[i].prefix) & ~(uint64_t)63;
	c->word = load_word(c);
	return true;
}

/* Move to the next word (of this leaf, or the first of the next). */
static bool advance(struct kho_radix_cursor *c)
{
	const struct kho_radix_leaf *l;

	if (c->leaf >= c->m->nleaves)
		return false;
	l = &c->m->leaves[c->leaf];
	c->base += 64;
	if (c->base >= c->hi) {
		c->word = 0;
		c->leaf = c->m->nleaves;
		return false;
	}
	if (c->base - l->prefix >= leaf_keys(c->m))
		return enter(c, c->leaf + 1, c->base);
	c->word = load_word(c);
	return true;
}

void kho_radix_cursor_init(struct kho_radix_cursor *c,
			   const struct kho_radix_map *m, unsigned order,
			   struct kho_map_stats *stats)
{
	unsigned bit = m->geo->key_width - 1 - order;

	*c = (struct kho_radix_cursor){ .m = m, .stats = stats, .order = order,
					.lo = (uint64_t)1 << bit, .hi = (uint64_t)2 << bit };
	enter(c, radix_leaf_at(m, c->lo), c->lo);
}

/* Where the current leaf's plain words end: its end or hi (0: the
 * cursor is on no word of a leaf). */
static uint64_t plain_end(const struct kho_radix_cursor *c)
{
	uint64_t prefix;

	if (c->leaf >= c->m->nleaves)
		return 0;
	prefix = c->m->leaves[c->leaf].prefix;
	if (c->base < prefix || c->base - prefix >= leaf_keys(c->m))
		return 0;
	return MIN(prefix + leaf_keys(c->m), c->hi);
}

static inline bool next(struct kho_radix_cursor *c, struct kho_run *r)
{
	uint64_t start, end;
	unsigned b, len;
	const struct kho_geometry *geo = c->m->geo;

	while (!c->word)
		if (!advance(c))
			return false;
	b = (unsigned)__builtin_ctzll(c->word);
	if (!((c->word >> b) & 2)) {     /* a lone key: the sparse case */
		c->word &= c->word - 1;
		len = 1;
	} else {
		b = take_bit_run(&c->word, &len);
	}
	start = c->base + b;
	end = start + len;
	/* A run up to the word's top goes on if the next key's word starts
	 * with a set bit (the next leaf only if it follows on). */
	while (end == c->base + 64 && advance(c) && c->base == end && (c->word & 1)) {
		uint64_t stop = plain_end(c);

		if (c->word == ~(uint64_t)0 && stop > c->base + 64 &&
		    (c->m->leaves[c->leaf].phys & KHO_RADIX_LEAF_FULL)) {
			/* every word left of a full leaf is set: one step */
			end = stop;
			c->base = stop - 64;
			c->word = 0;
			continue;
		}
		take_bit_run(&c->word, &len);
		end += len;
	}
	r->order = c->order;
	r->count = end - start;
	/* The order bit is shifted out of the top; shift counts stay < 64. */
	r->phys = (start << (geo->page_shift + c->order - 1)) << 1;
	return true;
}

bool kho_radix_cursor_next(struct kho_radix_cursor *c, struct kho_run *r)
{
	bool got = next(c, r);

	radix_stats_add(c->stats, c->m->geo, c->order, got ? r->count : 0, got);
	return got;
}

size_t kho_radix_cursor_fill(struct kho_radix_cursor *c, struct kho_run *r,
			     size_t max)
{
	/* A copy the compiler can keep in registers: stores to @r cannot
	 * alias it. */
	struct kho_radix_cursor cc = *c;
	unsigned shift = c->m->geo->page_shift + c->order - 1;
	uint64_t keys = 0, stop = plain_end(&cc);
	const uint8_t *bits = stop ? radix_leaf_bits(cc.m, cc.leaf) : NULL;
	size_t n = 0;

	while (n < max) {
		uint64_t w = cc.word;

		/* The next word of the same leaf, below hi, needs no mask. */
		if (!w && cc.base + 128 <= stop) {
			cc.base += 64;
			cc.word = load_u64(bits + (cc.base - cc.m->leaves[cc.leaf].prefix) / 8,
					   cc.m->big_endian);
			continue;
		}
		/* Only lone keys in this word, none at its top (where a run
		 * could go on into the next word): the sparse case, a bit at
		 * a time. */
		if (w && !(w & (w >> 1)) && !(w >> 63)) {
			size_t first = n;

			do {
				uint64_t key = cc.base + (unsigned)__builtin_ctzll(w);

				r[n++] = (struct kho_run){ (key << shift) << 1, 1, cc.order };
				w &= w - 1;
			} while (w && n < max);
			cc.word = w;
			keys += n - first;
			continue;
		}
		if (!next(&cc, &r[n]))
			break;
		keys += r[n++].count;
		/* next() may have read other leaves of the slot: ask again. */
		if ((stop = plain_end(&cc)))
			bits = radix_leaf_bits(cc.m, cc.leaf);
	}
	*c = cc;
	radix_stats_add(c->stats, c->m->geo, c->order, keys, n);
	return n;
}
