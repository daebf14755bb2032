// SPDX-License-Identifier: MIT
/*
 * The 7.1+ radix tree, read from a dump. The kernel's own walk
 * (kho_radix_walk_tree, 7.1) trusts every entry; this one checks each
 * before following it and reports what it would have done wrong.
 */
#include "kho/map.h"

#include <stdlib.h>

#include "../util/util.h"
#include "visited.h"

#define HEX(x) ((unsigned long long)(x))

struct walk {
	struct kho_source *src;
	const struct kho_geometry *geo;
	struct kho_anomalies *a;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	struct kho_radix_map *m;
	struct visited seen;
	uint8_t *bufs[KHO_MAX_LEVELS];   /* one page per level, reused */
	bool big_endian;
	enum kho_status st;
	struct kho_error *err;
};

static void nomem(struct walk *w)
{
	w->st = kho_error_set(w->err, KHO_ERR_NOMEM, "out of memory");
}

/* Keep a leaf with keys for the decoding pass; report an empty one. */
static void add_leaf(struct walk *w, const uint8_t *leaf, uint64_t prefix, uint64_t phys)
{
	uint64_t bytes = ((uint64_t)1 << w->geo->bitmap_log2) / 8, i = 0;
	struct kho_radix_map *m = w->m;

	while (i < bytes && !load_u64(leaf + i, false))
		i += 8;
	if (i == bytes) {
		w->stats->empty_nodes++;
		kho_anomaly(w->a, KHO_AN_MAP_LEAF_EMPTY, phys, "leaf is empty (keys unpreserved)");
		return;
	}
	if (!prefix && !w->geo->broken_depth && (load_u64(leaf, w->big_endian) & 1)) {
		/* Only a leaf under root index 0 can hold key 0 (the broken
		 * depth's decoding gives it a meaning). */
		w->stats->set_bits_per_level0++;
		kho_anomaly(w->a, KHO_AN_MAP_KEY0_NO_ORDER, 0, "key 0 has no order bit");
	}
	if (leaf == w->bufs[0]) {       /* read, not mapped: keep a copy */
		uint8_t *copy = malloc(bytes);

		if (!copy || !ARRAY_RESERVE(m->copies, m->copies_cap, m->ncopies)) {
			free(copy);
			return nomem(w);
		}
		leaf = m->copies[m->ncopies++] = memcpy(copy, leaf, bytes);
	}
	if (!ARRAY_RESERVE(m->leaves, m->cap, m->nleaves))
		return nomem(w);
	m->leaves[m->nleaves++] = (struct kho_radix_leaf){ prefix, leaf };
}

static const uint8_t *read_page(struct walk *w, uint64_t phys, unsigned level)
{
	const uint8_t *p = kho_source_map(w->src, phys, w->geo->page_size);
	struct kho_error e;

	if (p)
		return p;
	if (kho_source_read(w->src, phys, w->bufs[level], w->geo->page_size, &e))
		return NULL;
	return w->bufs[level];
}

static void walk_node(struct walk *w, uint64_t phys, unsigned level, uint64_t prefix);

/* The keys under the node at @level with @prefix cannot be known. */
static void unknown(struct walk *w, unsigned level, uint64_t prefix)
{
	unsigned shift = kho_level_shift(w->geo, level + 1);
	uint64_t span = shift < 64 ? ((uint64_t)1 << shift) - 1 : UINT64_MAX;

	if (w->v && w->v->unknown)
		w->v->unknown(w->v->ctx, prefix, prefix | span);
}

/* Check entry @i of the table node at @node_phys (level @level) and follow it. */
static void follow(struct walk *w, uint64_t node_phys, unsigned level, uint64_t i,
		   uint64_t child, uint64_t prefix)
{
	const struct kho_geometry *geo = w->geo;
	uint64_t entry = node_phys + i * 8, run;
	const char *what = level == 1 ? "leaf" : "node";
	unsigned shift = kho_level_shift(geo, level);
	int added;

	if (level == geo->depth - 1 && i >= kho_root_entries_legal(geo)) {
		kho_anomaly(w->a, KHO_AN_MAP_ENTRY_WIDE, entry,
			    "root entry %llu (-> 0x%llx) would set key bits above bit %u",
			    HEX(i), HEX(child), geo->key_width - 1);
		return;
	}
	if (child >> 63) {
		kho_anomaly(w->a, KHO_AN_MAP_ENTRY_BIT63, entry,
			    "level-%u entry %llu holds 0x%llx: bit 63 set", level, HEX(i),
			    HEX(child));
		return;
	}
	if (!is_aligned(child, geo->page_size)) {
		kho_anomaly(w->a, KHO_AN_MAP_ENTRY_MISALIGNED, entry,
			    "level-%u entry %llu holds 0x%llx: not page-aligned", level, HEX(i),
			    HEX(child));
		return;
	}
	switch (kho_source_state(w->src, child, &run)) {
	case KHO_MEM_ABSENT:
		kho_anomaly(w->a, KHO_AN_MAP_ENTRY_ABSENT, entry,
			    "level-%u entry %llu holds 0x%llx: outside the dump's memory", level,
			    HEX(i), HEX(child));
		return;
	case KHO_MEM_EXCLUDED:
		kho_anomaly(w->a, KHO_AN_MAP_PAGE_EXCLUDED, child,
			    "%s page (level-%u entry %llu at 0x%llx) is not in the dump; its "
			    "keys are unknown", what, level - 1, HEX(i), HEX(entry));
		unknown(w, level - 1, prefix | (shift < 64 ? i << shift : 0));
		return;
	case KHO_MEM_PRESENT:
		break;
	}
	added = visited_add(&w->seen, child);
	if (added < 0)
		return nomem(w);
	if (!added) {
		kho_anomaly(w->a, KHO_AN_MAP_PAGE_REVISITED, entry,
			    "level-%u entry %llu points at 0x%llx, a page already in the tree",
			    level, HEX(i), HEX(child));
		return;
	}
	walk_node(w, child, level - 1, prefix | (shift < 64 ? i << shift : 0));
}

static void walk_node(struct walk *w, uint64_t phys, unsigned level, uint64_t prefix)
{
	const struct kho_geometry *geo = w->geo;
	const uint8_t *page;
	uint64_t entries = (uint64_t)1 << geo->table_log2, children = 0;

	if (w->st)
		return;
	page = read_page(w, phys, level);
	if (!page) {
		kho_anomaly(w->a, KHO_AN_MAP_PAGE_UNREADABLE, phys,
			    "level-%u page cannot be read", level);
		unknown(w, level, prefix);
		return;
	}
	w->stats->per_level[level]++;
	if (w->v && w->v->node)
		w->v->node(w->v->ctx, phys, (int)level, geo->page_size);
	if (level == 0) {
		w->stats->leaves++;
		add_leaf(w, page, prefix, phys);
		return;
	}
	w->stats->nodes++;
	for (uint64_t i = 0; i < entries && !w->st; i++) {
		uint64_t child = load_u64(page + i * 8, w->big_endian);

		if (!child)
			continue;
		children++;
		/* Children use the buffers of lower levels: this page stays put. */
		follow(w, phys, level, i, child, prefix);
	}
	if (!children) {
		w->stats->empty_nodes++;
		kho_anomaly(w->a, KHO_AN_MAP_NODE_EMPTY, phys,
			    "level-%u node has no children", level);
	}
}

enum kho_status kho_radix_open(struct kho_source *src,
			       const struct kho_geometry *geo, uint64_t root,
			       struct kho_anomalies *a,
			       const struct kho_map_visitor *v,
			       struct kho_map_stats *stats,
			       struct kho_radix_map *m, struct kho_error *err)
{
	struct walk w = { .src = src, .geo = geo, .a = a, .v = v, .stats = stats, .m = m,
			  .err = err, .big_endian = kho_source_big_endian(src) };
	uint64_t run;

	memset(stats, 0, sizeof(*stats));
	memset(m, 0, sizeof(*m));
	m->geo = geo;
	m->big_endian = w.big_endian;
	if (geo->depth > KHO_MAX_LEVELS)
		return kho_error_set(err, KHO_ERR_INVALID, "depth %u", geo->depth);
	for (unsigned l = 0; l < geo->depth; l++)
		if (!(w.bufs[l] = malloc(geo->page_size)))
			nomem(&w);
	if (!w.st) {
		enum kho_mem_state state = kho_source_state(src, root, &run);

		if (state == KHO_MEM_ABSENT)
			kho_anomaly(a, KHO_AN_MAP_ROOT_ABSENT, root,
				    "the root 0x%llx is outside the "
				    "dump's memory", HEX(root));
		else if (state == KHO_MEM_EXCLUDED) {
			kho_anomaly(a, KHO_AN_MAP_PAGE_EXCLUDED, root,
				    "the root page is not in the dump");
			unknown(&w, geo->depth - 1, 0);
		}
		else if (visited_add(&w.seen, root) < 0)
			nomem(&w);
		else
			walk_node(&w, root, geo->depth - 1, 0);
	}
	for (unsigned l = 0; l < geo->depth; l++)
		free(w.bufs[l]);
	visited_free(&w.seen);
	if (w.st)
		kho_radix_close(m);
	return w.st;
}

void kho_radix_close(struct kho_radix_map *m)
{
	for (size_t i = 0; i < m->ncopies; i++)
		free(m->copies[i]);
	free(m->copies);
	free(m->leaves);
	memset(m, 0, sizeof(*m));
}

/* The kernel's lookup, checked: is @key set? Bounded by the depth. Pages
 * are mapped where the source can, read into one buffer where not. A
 * pointer that leads nowhere the dump holds means "cannot tell". */
int kho_radix_lookup(struct kho_source *src, const struct kho_geometry *geo,
		     uint64_t root, uint64_t key)
{
	uint64_t node = root, run;
	uint8_t *buf = NULL;
	bool be = kho_source_big_endian(src);
	struct kho_error e;
	int found = -1;

	for (unsigned level = geo->depth - 1;; level--) {
		uint64_t idx = kho_key_index(geo, key, level);
		const uint8_t *page;

		if (!node) {
			found = 0;   /* an empty entry: the key is not there */
			break;
		}
		if (!is_aligned(node, geo->page_size) || node >> 63 ||
		    kho_source_state(src, node, &run) != KHO_MEM_PRESENT)
			break;
		page = kho_source_map(src, node, geo->page_size);
		if (!page) {
			if (!buf && !(buf = malloc(geo->page_size)))
				break;
			if (kho_source_read(src, node, buf, geo->page_size, &e))
				break;
			page = buf;
		}
		if (level == 0) {
			found = (load_u64(page + (idx / 64) * 8, be) >> (idx % 64)) & 1;
			break;
		}
		node = load_u64(page + idx * 8, be);
	}
	free(buf);
	return found;
}

bool kho_radix_contains(struct kho_source *src, const struct kho_geometry *geo,
			uint64_t root, uint64_t key)
{
	return kho_radix_lookup(src, geo, root, key) == 1;
}
