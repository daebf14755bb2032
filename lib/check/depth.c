// SPDX-License-Identifier: MIT
/*
 * The 16 KiB depth bug (kho-abi.md section 3): until a fix on top of
 * 7.1-rc5 the kernel sized the tree for order0_bit bits instead of
 * key_width, so 16 KiB trees got 4 levels, not 5, and the order-0 bit of
 * every key fell into root index 0. The compatible string did not change:
 * a reader tells the two trees apart from the data.
 *
 * Comparing how many errors each depth produces takes a correct tree with
 * one ordinary defect low down (a bad level-1 pointer, a loop, a wide
 * root entry) for the broken one, and then lists garbage. Only the broken
 * tree's own signature counts here:
 *  - at depth 5 only root indices 0 and 1 are legal. At depth 4, the keys
 *    of order k (1 <= k <= 10) sit under root index 2^(11-k), for all
 *    memory below 2^53: the root has entries at indices >= 2, and every
 *    one of them is a power of two;
 *  - read at depth 4, the table pages hold together: every entry is a
 *    page-aligned pointer to memory in the dump and no page is reached
 *    twice (a root entry redirected at a page of the real tree is);
 *  - a leaf under such a root entry holds a key whose block (of the
 *    order that entry stands for) is memory the dump describes. An empty
 *    page hung there (a wide-key defect) is no evidence.
 * Anything else is read at depth 5 and its defects reported as they are.
 * Cost: the root page; only when it has entries at indices >= 2, the
 * table pages (one per 2048 leaves) and leaves up to the first key found.
 */
#include "depth.h"

#include <stdlib.h>

#include "../map/visited.h"
#include "../util/util.h"

#define BROKEN_DEPTH 4

struct probe {
	struct kho_source *src;
	struct kho_geometry geo;        /* the depth-4 reading */
	struct visited seen;
	uint8_t *bufs[BROKEN_DEPTH];    /* one page per level */
	bool big_endian;
	bool evidence;                  /* a key of a wide root entry names memory */
};

static const uint8_t *probe_page(struct probe *p, uint64_t phys, unsigned level)
{
	const uint8_t *page = kho_source_map(p->src, phys, p->geo.page_size);
	struct kho_error e;

	if (page)
		return page;
	if (!p->bufs[level] && !(p->bufs[level] = malloc(p->geo.page_size)))
		return NULL;
	if (kho_source_read(p->src, phys, p->bufs[level], p->geo.page_size, &e))
		return NULL;
	return p->bufs[level];
}

/* An entry the depth-4 reading can follow, reached for the first time. */
static bool sound(struct probe *p, uint64_t child)
{
	uint64_t run;

	return !(child >> 63) && is_aligned(child, p->geo.page_size) &&
	       kho_source_state(p->src, child, &run) == KHO_MEM_PRESENT &&
	       visited_add(&p->seen, child) == 1;
}

/* Whether a key of the leaf at @phys (bit 0 is key @prefix) is memory the
 * dump describes. */
static bool leaf_names_memory(struct probe *p, uint64_t phys, uint64_t prefix)
{
	const uint8_t *leaf = probe_page(p, phys, 0);

	for (uint64_t i = 0; leaf && i < p->geo.page_size / 8; i++) {
		uint64_t word = load_u64(leaf + i * 8, p->big_endian);

		while (word) {
			uint64_t key = prefix | (i * 64 + (unsigned)__builtin_ctzll(word));
			uint64_t addr, run;
			unsigned order;

			word &= word - 1;
			if (kho_key_decode(&p->geo, key, &addr, &order) &&
			    kho_source_state(p->src, addr, &run) != KHO_MEM_ABSENT)
				return true;
		}
	}
	return false;
}

/* The table node at @phys, @level of the depth-4 reading: whether it holds
 * together. @wide: under a root entry at index >= 2. */
static bool probe_node(struct probe *p, uint64_t phys, unsigned level, uint64_t prefix,
		       bool wide)
{
	const uint8_t *page = probe_page(p, phys, level);
	uint64_t entries = (uint64_t)1 << p->geo.table_log2;
	unsigned shift = kho_level_shift(&p->geo, level);

	if (!page)
		return false;
	for (uint64_t i = 0; i < entries; i++) {
		uint64_t child = load_u64(page + i * 8, p->big_endian);
		uint64_t below = prefix | (i << shift);
		bool w = wide || (level == BROKEN_DEPTH - 1 && i >= 2);

		if (!child)
			continue;
		if (!sound(p, child))
			return false;
		if (level > 1) {
			if (!probe_node(p, child, level - 1, below, w))
				return false;
		} else if (w && !p->evidence) {
			p->evidence = leaf_names_memory(p, child, below);
		}
	}
	return true;
}

/* The root page as depth 5 sees it: entries beyond index 1, each where a
 * depth-4 tree puts the keys of one order. */
static bool root_has_depth4_shape(struct probe *p, uint64_t root,
				  const struct kho_geometry *good)
{
	const uint8_t *page = probe_page(p, root, BROKEN_DEPTH - 1);
	uint64_t entries = (uint64_t)1 << good->table_log2, wide = 0;

	if (!page)
		return false;
	for (uint64_t i = kho_root_entries_legal(good); i < entries; i++) {
		if (!load_u64(page + i * 8, p->big_endian))
			continue;
		if (i & (i - 1))
			return false;
		wide++;
	}
	return wide > 0;
}

bool radix_depth_is_broken(struct kho_source *src, const struct kho_geometry *good,
			   uint64_t root)
{
	struct probe p = { .src = src, .big_endian = kho_source_big_endian(src) };
	uint64_t run;
	bool broken = false;

	if (good->page_size != 16384 || good->broken_depth ||
	    kho_geometry_init(&p.geo, good->page_size, true) || p.geo.depth != BROKEN_DEPTH ||
	    kho_source_state(src, root, &run) != KHO_MEM_PRESENT)
		return false;
	if (root_has_depth4_shape(&p, root, good) && visited_add(&p.seen, root) == 1)
		broken = probe_node(&p, root, BROKEN_DEPTH - 1, 0, false) && p.evidence;
	for (unsigned l = 0; l < BROKEN_DEPTH; l++)
		free(p.bufs[l]);
	visited_free(&p.seen);
	return broken;
}

bool check_broken_depth(struct kho_source *src, struct kho_inspection *in)
{
	if (!radix_depth_is_broken(src, &in->geo, in->ho.map_phys))
		return false;
	kho_geometry_init(&in->geo, in->geo.page_size, true);
	return true;
}
