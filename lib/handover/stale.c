// SPDX-License-Identifier: MIT
/*
 * Stale candidates after 7.3's extended scratch. Early in boot a 7.3+
 * kernel marks every coarse block (1 GiB) that holds no memory its
 * incoming handover preserves and no page of that handover's tree as
 * scratch, and allocates from it before anything else is reserved. A
 * stale KHO FDT (an earlier kernel's of the chain) in such a block may
 * have been overwritten, so what it says is not evidence of anything; one
 * in a block the incoming handover preserves memory in was left alone
 * until the kernel freed what was not preserved.
 *
 * The incoming tree is walked once; its corruption is the incoming
 * handover's inspection to report, so here it only makes the answer
 * "cannot tell" for blocks the unread part could reach.
 */
#include "stale.h"

#include <stdlib.h>
#include <string.h>

#include "kho/map.h"
#include "../util/util.h"

#define BLOCK_SHIFT 30

/* The distinct blocks of the stale candidates, sorted, and what the walk
 * found in each. */
struct blocks {
	uint64_t *v;       /* block numbers */
	uint8_t *held;     /* preserved memory or a tree page in it */
	size_t n;
	unsigned page_shift;
	bool unknown;      /* part of the tree could not be read */
};

/* Mark every block of @b that [@lo, @hi] (inclusive, bytes) touches. */
static void mark(struct blocks *b, uint64_t lo, uint64_t hi)
{
	uint64_t first = lo >> BLOCK_SHIFT, last = hi >> BLOCK_SHIFT;
	size_t l = PARTITION_POINT(b->n, m, b->v[m] < first);

	for (; l < b->n && b->v[l] <= last; l++)
		b->held[l] = 1;
}

static void on_run(void *ctx, uint64_t phys, unsigned order, uint64_t count)
{
	struct blocks *b = ctx;
	unsigned shift = b->page_shift + order;
	/* Keys are bounded by the key width, so this does not wrap for any
	 * key the walk hands over; clamp anyway. */
	uint64_t bytes = shift < 64 && count <= (UINT64_MAX >> shift) ? count << shift : 0;
	uint64_t hi = bytes && phys + bytes - 1 >= phys ? phys + bytes - 1 : UINT64_MAX;

	mark(b, phys, hi);
}

static void on_node(void *ctx, uint64_t phys, int level, uint64_t bytes)
{
	mark(ctx, phys, phys + (bytes ? bytes - 1 : 0));
}

static void on_unknown(void *ctx, uint64_t lo, uint64_t hi)
{
	((struct blocks *)ctx)->unknown = true;
}

static bool is_stale(const struct kho_candidate *c, const struct kho_select_opts *o)
{
	return c->phys != o->chosen && c->phys != o->incoming_fdt;
}

/* The geometry of the incoming handover's tree, from its candidate. */
static bool incoming_geometry(struct kho_source *src, const struct kho_candidate *c, size_t n,
			      const struct kho_select_opts *o, struct kho_geometry *geo)
{
	struct kho_compat compat;
	struct kho_error err;

	for (size_t i = 0; i < n; i++)
		if (c[i].phys == o->incoming_fdt)
			return *c[i].compatible &&
			       !kho_compat_parse(c[i].compatible, strlen(c[i].compatible) + 1,
						 &compat, &err) &&
			       compat.abi->map_format == KHO_MAP_RADIX &&
			       !kho_geometry_init(geo, kho_source_page_size(src), false);
	return false;
}

enum kho_status kho_label_stale(struct kho_source *src, struct kho_candidate *c, size_t n,
				const struct kho_select_opts *o, struct kho_error *err)
{
	_cleanup_free_ uint64_t *numbers = calloc(n ? n : 1, sizeof(*numbers));
	_cleanup_free_ uint8_t *held = calloc(n ? n : 1, 1);
	struct blocks b = { .v = numbers, .held = held };
	struct kho_map_visitor v = { .run = on_run, .node = on_node, .unknown = on_unknown,
				     .ctx = &b };
	struct kho_anomalies scrap = { 0 };
	struct kho_map_stats stats;
	struct kho_geometry geo;
	enum kho_status st;
	size_t m = 0;

	if (!o->incoming_fdt || !o->incoming_tree || !incoming_geometry(src, c, n, o, &geo))
		return KHO_OK;
	if (!numbers || !held)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (is_stale(&c[i], o))
			b.v[m++] = c[i].phys >> BLOCK_SHIFT;
	qsort(b.v, m, sizeof(*b.v), u64_cmp);
	for (size_t i = 0; i < m; i++)
		if (!b.n || b.v[b.n - 1] != b.v[i])
			b.v[b.n++] = b.v[i];
	b.page_shift = geo.page_shift;
	st = b.n ? kho_radix_walk(src, &geo, o->incoming_tree, &scrap, &v, &stats, err) : KHO_OK;
	/* Any structural error leaves part of the tree unread. */
	b.unknown |= scrap.n > 0 || scrap.oom;
	kho_anomalies_free(&scrap);
	for (size_t i = 0; !st && !b.unknown && i < n; i++) {
		uint64_t key = c[i].phys >> BLOCK_SHIFT;
		uint64_t *at = is_stale(&c[i], o) ? bsearch(&key, b.v, b.n, sizeof(*b.v),
							    u64_cmp) : NULL;

		c[i].possibly_overwritten = at && !b.held[at - b.v];
	}
	return st;
}
