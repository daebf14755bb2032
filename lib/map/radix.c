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
#include "words.h"

struct walk {
	struct kho_source *src;
	const struct kho_geometry *geo;
	struct kho_anomalies *a;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	struct kho_radix_map *m;
	struct visited seen;
	uint8_t *bufs[KHO_MAX_LEVELS];   /* one page per level, reused */
	/* The leaf pages of the last batch read [batch_phys, batch_end), in
	 * a buffer reused for the next, and the pages of a batch that did not
	 * read [bad_phys, bad_end): those are read one at a time, as alone. */
	uint8_t *batch;
	uint64_t batch_phys, batch_end, bad_phys, bad_end;
	enum kho_status st;
	struct kho_error *err;
};

static void nomem(struct walk *w)
{
	w->st = kho_error_set(w->err, KHO_ERR_NOMEM, "out of memory");
}

/* Whether every bit of @leaf is set: then it need not be read again. */
static bool leaf_full(const uint8_t *leaf, uint64_t bytes)
{
	uint64_t all = ~(uint64_t)0;

	for (uint64_t i = 0; i < bytes && all == ~(uint64_t)0; i += 64)
		for (unsigned j = 0; j < 64; j += 8)
			all &= load_u64(leaf + i + j, false);
	return all == ~(uint64_t)0;
}

/* Keep where a leaf with keys is, for the decoding pass; report an empty one. */
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
	if (!prefix && !w->geo->broken_depth && (load_u64(leaf, w->m->big_endian) & 1)) {
		/* Only a leaf under root index 0 can hold key 0 (the broken
		 * depth's decoding gives it a meaning). */
		w->stats->set_bits_per_level0++;
		kho_anomaly(w->a, KHO_AN_MAP_KEY0_NO_ORDER, 0, "key 0 has no order bit");
	}
	if (!ARRAY_RESERVE(m->leaves, m->cap, m->nleaves))
		return nomem(w);
	if (leaf_full(leaf, bytes))
		phys |= KHO_RADIX_LEAF_FULL;
	m->leaves[m->nleaves++] = (struct kho_radix_leaf){ prefix, phys };
}

static const uint8_t *read_page(struct walk *w, uint64_t phys, unsigned level)
{
	struct kho_error e;

	if (!level && phys >= w->batch_phys && phys < w->batch_end)
		return w->batch + (phys - w->batch_phys);
	if (kho_source_read(w->src, phys, w->bufs[level], w->geo->page_size, &e))
		return NULL;
	return w->bufs[level];
}

static void walk_node(struct walk *w, uint64_t phys, unsigned level, uint64_t prefix);

/* A leaf batch holds at most this many bytes (a 64 KiB-page table node
 * points at 8192 leaves: 512 MiB): few reads, into a buffer small enough
 * to stay in the cache (dense30 verify: about 105 ms of CPU at 16-64 KiB,
 * 150-175 ms at 256 KiB-2 MiB, the read's copy the difference), and
 * larger than the source's read cache's span, which would copy it twice. */
#define LEAF_BATCH (64u << 10)

/* Whether follow() would walk @child, entry @i of a level-@level node, as
 * far as the entry itself tells (its page's state is asked once a batch). */
static bool batchable(struct walk *w, unsigned level, uint64_t i, uint64_t child)
{
	const struct kho_geometry *geo = w->geo;

	if (level == geo->depth - 1 && i >= kho_root_entries_legal(geo))
		return false;
	if (child >> 63 || !is_aligned(child, geo->page_size))
		return false;
	return !visited_has(&w->seen, child);
}

/*
 * Before entry @i of the level-1 node @page is followed: read the leaf it
 * points at together with those of the next entries that are its
 * neighbours in memory (up or down: the kernel's allocator hands out
 * pages top-down), in one read into the reused batch buffer: a 2^27-key
 * tree's 4096 leaves took 4096 reads one at a time. Only pages follow()
 * would walk are taken, so a batch holds nothing the page-by-page walk
 * would not have read; a batch that does not read leaves its pages to
 * their own reads, which say what is wrong.
 */
static void read_leaves(struct walk *w, const uint8_t *page, uint64_t i, uint64_t child)
{
	uint64_t ps = w->geo->page_size, entries = (uint64_t)1 << w->geo->table_log2;
	uint64_t run, k = 1, max = MAX(LEAF_BATCH / ps, 1), lo, step = ps;
	struct kho_error e;

	if ((child >= w->batch_phys && child < w->batch_end) ||
	    (child >= w->bad_phys && child < w->bad_end) ||
	    i + 1 >= entries || !batchable(w, 1, i, child))
		return;
	if (load_u64(page + (i + 1) * 8, w->m->big_endian) == child - ps)
		step = -ps;      /* descending: wraps below 0 are caught by lo */
	while (k < max && i + k < entries &&
	       load_u64(page + (i + k) * 8, w->m->big_endian) == child + k * step &&
	       batchable(w, 1, i + k, child + k * step))
		k++;
	lo = step == ps ? child : child - (k - 1) * ps;
	if (k == 1 || lo > child ||
	    kho_source_state(w->src, lo, &run) != KHO_MEM_PRESENT || run < k * ps)
		return;          /* alone, or not all present: page by page */
	if (!w->batch && !(w->batch = malloc(max * ps)))
		return nomem(w);
	w->batch_phys = w->batch_end = 0;
	if (kho_source_read(w->src, lo, w->batch, k * ps, &e)) {
		w->bad_phys = lo;
		w->bad_end = lo + k * ps;
		return;
	}
	w->batch_phys = lo;
	w->batch_end = lo + k * ps;
}

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
		uint64_t child = load_u64(page + i * 8, w->m->big_endian);

		if (!child)
			continue;
		children++;
		if (level == 1)
			read_leaves(w, page, i, child);
		if (w->st)
			break;
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
			  .err = err };
	uint64_t run;

	memset(stats, 0, sizeof(*stats));
	*m = (struct kho_radix_map){ .geo = geo, .src = src,
				     .big_endian = kho_source_big_endian(src) };
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
	free(w.batch);
	visited_free(&w.seen);
	if (!w.st && !radix_readers_init(m))
		nomem(&w);
	if (w.st)
		kho_radix_close(m);
	return w.st;
}

void kho_radix_close(struct kho_radix_map *m)
{
	radix_readers_free(m);
	free(m->leaves);
	memset(m, 0, sizeof(*m));
}

/* The kernel's lookup, checked: is @key set? Bounded by the depth, a page
 * read at a time into one buffer. A pointer that leads nowhere the dump
 * holds means "cannot tell". */
int kho_radix_lookup(struct kho_source *src, const struct kho_geometry *geo,
		     uint64_t root, uint64_t key)
{
	uint64_t node = root, run;
	_cleanup_free_ uint8_t *buf = malloc(geo->page_size);
	bool be = kho_source_big_endian(src);
	struct kho_error e;

	if (!buf)
		return -1;
	for (unsigned level = geo->depth - 1;; level--) {
		uint64_t idx = kho_key_index(geo, key, level);

		if (!node)
			return 0;   /* an empty entry: the key is not there */
		if (!is_aligned(node, geo->page_size) || node >> 63 ||
		    kho_source_state(src, node, &run) != KHO_MEM_PRESENT ||
		    kho_source_read(src, node, buf, geo->page_size, &e))
			return -1;
		if (level == 0)
			return (int)((load_u64(buf + (idx / 64) * 8, be) >> (idx % 64)) & 1);
		node = load_u64(buf + idx * 8, be);
	}
}
