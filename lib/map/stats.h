/* SPDX-License-Identifier: MIT */
/* Building runs and counting them into kho_map_stats: the one place the
 * walkers that join keys themselves (v1.c, walk.c's broken depth) do it. */
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

/* The run being built, and where it goes when it is done. */
struct run_builder {
	const struct kho_geometry *geo;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	uint64_t phys, count;
	unsigned order;
};

static inline void run_flush(struct run_builder *b)
{
	if (!b->count)
		return;
	stats_add_run(b->stats, b->geo, b->order, b->count);
	if (b->v && b->v->run)
		b->v->run(b->v->ctx, b->phys, b->order, b->count);
	b->count = 0;
}

/* @count blocks of @order from @phys: they join the run if they follow on. */
static inline void run_add(struct run_builder *b, uint64_t phys, unsigned order, uint64_t count)
{
	if (b->count && order == b->order &&
	    phys == b->phys + b->count * kho_order_bytes(b->geo, order)) {
		b->count += count;
		return;
	}
	run_flush(b);
	b->phys = phys;
	b->order = order;
	b->count = count;
}

#endif
