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
 * tree's own signature counts here, either of:
 *  - root entries beyond index 1, legal at depth 5 only at 0 and 1, all
 *    at powers of two: at depth 4 the keys of order k (1 <= k <= 10) sit
 *    under root index 2^(11-k), for all memory below 2^53. And a leaf
 *    reached from one of them through sound table pages (read at depth
 *    4: page-aligned pointers to memory in the dump, no page reached
 *    twice, so a root entry redirected at a page of the real tree proves
 *    nothing) holds a key whose block, of the order that entry stands
 *    for, is memory the dump describes. An empty page hung there (a
 *    wide-key defect) is no evidence;
 *  - the FDT page, an order-0 key since 7.1, found by the depth-4 lookup
 *    and not by the depth-5 one (this covers trees whose keys are all of
 *    order 0 or >= 11, which leave no entry beyond root index 1).
 * Anything else is read at depth 5 and its defects reported as they are.
 * Cost: the root page and two lookups; only when the root has entries
 * beyond index 1, table pages and leaves up to the first key found.
 */
#include "depth.h"

#include <stdlib.h>

#include "kho/map.h"

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
	struct kho_error e;

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

/*
 * The table node at @phys, @level of the depth-4 reading, walked like the
 * real walk does: entries it cannot follow (bad pointer, page reached
 * before) are passed over and give no evidence, so that a redirected root
 * entry proves nothing and a broken tree with one defect is still seen.
 * @wide: under a root entry at index >= 2.
 */
static void probe_node(struct probe *p, uint64_t phys, unsigned level, uint64_t prefix,
		       bool wide)
{
	const uint8_t *page = probe_page(p, phys, level);
	uint64_t entries = (uint64_t)1 << p->geo.table_log2;
	unsigned shift = kho_level_shift(&p->geo, level);

	for (uint64_t i = 0; page && i < entries && !p->evidence; i++) {
		uint64_t child = load_u64(page + i * 8, p->big_endian);
		uint64_t below = prefix | (i << shift);
		bool w = wide || (level == BROKEN_DEPTH - 1 && i >= 2);

		if (!child || !sound(p, child))
			continue;
		if (level > 1)
			probe_node(p, child, level - 1, below, w);
		else if (w)
			p->evidence = leaf_names_memory(p, child, below);
	}
}

/*
 * The root page as depth 5 sees it: how many entries it has beyond index
 * 1, or -1 when one of them is where no depth-4 tree puts keys.
 */
static int root_depth4_entries(struct probe *p, uint64_t root, const struct kho_geometry *good)
{
	const uint8_t *page = probe_page(p, root, BROKEN_DEPTH - 1);
	uint64_t entries = (uint64_t)1 << good->table_log2;
	int wide = 0;

	if (!page)
		return -1;
	for (uint64_t i = kho_root_entries_legal(good); i < entries; i++) {
		if (!load_u64(page + i * 8, p->big_endian))
			continue;
		if (i & (i - 1))
			return -1;
		wide++;
	}
	return wide;
}

/* The second signature (above): the FDT page's order-0 key, found by the
 * depth-4 lookup and not by the depth-5 one. */
static bool fdt_key_at_depth4(struct probe *p, const struct kho_geometry *good, uint64_t root,
			      uint64_t fdt_phys)
{
	if (!fdt_phys || !is_aligned(fdt_phys, good->page_size))
		return false;
	return kho_radix_lookup(p->src, good, root, kho_key_encode(good, fdt_phys, 0)) != 1 &&
	       kho_radix_lookup(p->src, &p->geo, root, kho_key_encode(&p->geo, fdt_phys, 0)) == 1;
}

bool radix_depth_is_broken(struct kho_source *src, const struct kho_geometry *good,
			   uint64_t root, uint64_t fdt_phys)
{
	struct probe p = { .src = src, .big_endian = kho_source_big_endian(src) };
	uint64_t run;
	bool broken;
	int wide;

	if (good->page_size != 16384 || good->broken_depth ||
	    kho_geometry_init(&p.geo, good->page_size, true) || p.geo.depth != BROKEN_DEPTH ||
	    kho_source_state(src, root, &run) != KHO_MEM_PRESENT)
		return false;
	wide = root_depth4_entries(&p, root, good);
	broken = wide >= 0 && fdt_key_at_depth4(&p, good, root, fdt_phys);
	if (!broken && wide > 0 && visited_add(&p.seen, root) == 1) {
		probe_node(&p, root, BROKEN_DEPTH - 1, 0, false);
		broken = p.evidence;
	}
	for (unsigned l = 0; l < BROKEN_DEPTH; l++)
		free(p.bufs[l]);
	visited_free(&p.seen);
	return broken;
}
