// SPDX-License-Identifier: MIT
#include "words.h"

#include <stdlib.h>

#include "stats.h"

/* A slot reads at most this many bytes of leaves at once: few reads, and
 * a buffer that stays in the cache while it is decoded (as radix.c's). */
#define READ_BATCH (64u << 10)

bool radix_readers_init(struct kho_radix_map *m)
{
	uint64_t ps = m->geo->page_size;
	size_t count[65] = { 0 }, per = MAX(READ_BATCH / ps, 1);
	struct kho_radix_readers *rd = m->readers = calloc(1, sizeof(*rd));
	bool full = false;

	if (!rd)
		return false;
	for (size_t i = 0; i < m->nleaves; i++) {
		if (m->leaves[i].phys & KHO_RADIX_LEAF_FULL)
			full = true;
		else
			count[fls64(m->leaves[i].prefix)]++;
	}
	if (full) {
		if (!(rd->full = malloc(ps)))
			return false;
		memset(rd->full, 0xff, ps);
	}
	for (unsigned k = 0; k < 65; k++) {
		struct radix_slot *s = &rd->slot[k];

		s->cap = MIN(count[k], per);
		if (s->cap && !(s->buf = malloc(s->cap * ps)))
			return false;
	}
	return true;
}

void radix_readers_free(struct kho_radix_map *m)
{
	if (!m->readers)
		return;
	for (unsigned k = 0; k < 65; k++)
		free(m->readers->slot[k].buf);
	free(m->readers->full);
	free(m->readers);
	m->readers = NULL;
}

/*
 * Leaf @i and the next leaves that are its neighbours in memory, up or
 * down (the kernel's allocator hands out pages top-down), in one read.
 * Each was read by the walk: a read that fails now (the file changed)
 * makes the leaf read as empty and the map failed.
 */
const uint8_t *radix_leaf_read(const struct kho_radix_map *m, size_t i)
{
	struct kho_radix_readers *rd = m->readers;
	struct radix_slot *s = &rd->slot[fls64(m->leaves[i].prefix)];
	uint64_t ps = m->geo->page_size, phys = m->leaves[i].phys, step = ps, lo;
	struct kho_error e;
	size_t k = 1;

	if (phys & KHO_RADIX_LEAF_FULL)
		return rd->full;
	if (i + 1 < m->nleaves && m->leaves[i + 1].phys == phys - ps)
		step = -ps;
	while (k < s->cap && i + k < m->nleaves && m->leaves[i + k].phys == phys + k * step)
		k++;
	lo = step == ps ? phys : phys - (k - 1) * ps;
	s->n = 0;
	if (kho_source_read(m->src, lo, s->buf, k * ps, &e)) {
		rd->failed = true;
		return memset(s->buf, 0, ps);
	}
	s->first = i;
	s->n = k;
	s->down = step != ps;
	return s->buf + (s->down ? k - 1 : 0) * ps;
}

bool kho_radix_failed(const struct kho_radix_map *m)
{
	return m->readers && m->readers->failed;
}

size_t radix_leaf_at(const struct kho_radix_map *m, uint64_t key)
{
	return PARTITION_POINT(m->nleaves, i, m->leaves[i].prefix + leaf_keys(m) <= key);
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
	return radix_leaf_bits(m, *leaf) + (*key - prefix) / 8;
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
