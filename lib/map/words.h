/* SPDX-License-Identifier: MIT */
/*
 * The kept leaves of kho_radix_open() as plain words, for a consumer
 * that decodes a whole order's keys itself (lib/check/windows.c) rather
 * than through a cursor, and counts them as the cursors would.
 */
#ifndef KHO_MAP_WORDS_H
#define KHO_MAP_WORDS_H

#include "kho/map.h"

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
