/* SPDX-License-Identifier: MIT */
/*
 * The leaves of kho_radix_open(), read again when decoded: a buffer per
 * slot (the leaves whose prefixes have the same highest bit: one order's,
 * or the few small keys below), reused, that holds a run of neighbouring
 * leaves read at once. Also as plain words, for a consumer that decodes
 * a whole order's keys itself (lib/check/windows.c) rather than through
 * a cursor, and counts them as the cursors would.
 */
#ifndef KHO_MAP_WORDS_H
#define KHO_MAP_WORDS_H

#include "kho/map.h"

#include "../util/util.h"

struct radix_slot {
	uint8_t *buf;             /* leaves [first, first + n) */
	size_t first, n, cap;     /* cap: how many fit */
	bool down;                /* held in descending memory order */
};

struct kho_radix_readers {
	struct radix_slot slot[65];   /* by fls64() of the leaf's prefix */
	uint8_t *full;            /* a leaf with every bit set */
	bool failed;
};

/*
 * radix_readers_init - a buffer for each slot of @m's leaves (@m->leaves
 * in key order, @m->src and @m->geo set). returns: false if out of
 * memory. Released by radix_readers_free() (kho_radix_close() calls it).
 */
bool radix_readers_init(struct kho_radix_map *m);
void radix_readers_free(struct kho_radix_map *m);

/* Read leaf @i (and its neighbours) into its slot's buffer. */
const uint8_t *radix_leaf_read(const struct kho_radix_map *m, size_t i);

/* Keys one leaf holds. */
static inline uint64_t leaf_keys(const struct kho_radix_map *m)
{
	return (uint64_t)1 << m->geo->bitmap_log2;
}

/* The bits of leaf @i, valid until another leaf of its slot is asked for. */
static inline const uint8_t *radix_leaf_bits(const struct kho_radix_map *m, size_t i)
{
	const struct radix_slot *s = &m->readers->slot[fls64(m->leaves[i].prefix)];
	size_t k = i - s->first;

	/* A batch holds no full leaf. */
	if (k < s->n)
		return s->buf + (s->down ? s->n - 1 - k : k) * m->geo->page_size;
	return radix_leaf_read(m, i);
}

/* Index of the first leaf of @m holding keys at or above @key. */
size_t radix_leaf_at(const struct kho_radix_map *m, uint64_t key);

/*
 * The words of keys [*@key, @end) that sit in one leaf, from leaf *@leaf
 * on (both moved forward; *@key to the leaf's first key if it starts
 * later). @key and @end are multiples of 64. returns: the bytes of the
 * first word, *@nwords > 0 of them in a row; NULL when no leaf holds any
 * key below @end.
 */
const uint8_t *radix_words(const struct kho_radix_map *m, size_t *leaf, uint64_t *key,
			   uint64_t end, size_t *nwords);

/* Add @keys keys of @order in @runs runs to @s, as the cursors count. */
void radix_stats_add(struct kho_map_stats *s, const struct kho_geometry *geo,
		     unsigned order, uint64_t keys, uint64_t runs);

#endif
