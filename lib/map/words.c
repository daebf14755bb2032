// SPDX-License-Identifier: MIT
#include "words.h"

#include "../util/util.h"
#include "stats.h"

static uint64_t leaf_keys(const struct kho_radix_map *m)
{
	return (uint64_t)1 << m->geo->bitmap_log2;
}

size_t radix_leaf_at(const struct kho_radix_map *m, uint64_t key)
{
	size_t lo = 0, hi = m->nleaves;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->leaves[mid].prefix + leaf_keys(m) <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const uint8_t *radix_words(const struct kho_radix_map *m, size_t *leaf, uint64_t *key,
			   uint64_t end, size_t *nwords)
{
	uint64_t prefix;

	while (*leaf < m->nleaves && m->leaves[*leaf].prefix + leaf_keys(m) <= *key)
		(*leaf)++;
	if (*leaf >= m->nleaves || (prefix = m->leaves[*leaf].prefix) >= end)
		return NULL;
	*key = MAX(*key, prefix);
	*nwords = (MIN(prefix + leaf_keys(m), end) - *key) / 64;
	return m->leaves[*leaf].bits + (*key - prefix) / 8;
}

void radix_stats_add(struct kho_map_stats *s, const struct kho_geometry *geo,
		     unsigned order, uint64_t keys, uint64_t runs)
{
	if (!s || !runs)
		return;
	stats_add_run(s, geo, order, keys);
	s->runs += runs - 1;
	s->set_bits_per_level0 += keys;
}
