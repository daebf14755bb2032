/* SPDX-License-Identifier: MIT */
/* Counting runs into kho_map_stats: the one place both walkers do it. */
#ifndef KHO_MAP_STATS_H
#define KHO_MAP_STATS_H

#include "kho/map.h"

static inline void stats_add_run(struct kho_map_stats *s, const struct kho_geometry *geo,
				 unsigned order, uint64_t count)
{
	s->runs++;
	s->keys += count;
	s->orders[order] += count;
	s->preserved_bytes += count * kho_order_bytes(geo, order);
}

#endif
