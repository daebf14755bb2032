// SPDX-License-Identifier: MIT
/*
 * The 7.1+ radix tree, written as the kernel writes it: table nodes are
 * allocated on demand on the way down and never freed; a leaf bit is set
 * or cleared; nothing else changes (kho_radix_add_page/del_page, 7.1).
 */
#include "ref_internal.h"

#include "../util/util.h"

enum kho_status radix_init(struct kho_ref *ref, struct kho_error *err)
{
	enum kho_status st;

	ref->leaf_page = NULL;
	if ((st = mem_alloc(&ref->mem, 0, &ref->map_phys, err)))
		return st;
	return mem_page(&ref->mem, ref->map_phys, true, err) ? KHO_OK : KHO_ERR_NOMEM;
}

static uint8_t *page_at(struct kho_ref *ref, uint64_t phys)
{
	return mem_page(&ref->mem, phys, false, NULL);
}

/*
 * The leaf page for @key, allocating missing nodes on the way when
 * @create; NULL when absent (or out of memory, with @err set).
 */
static uint8_t *leaf_for(struct kho_ref *ref, uint64_t key, bool create,
			 struct kho_error *err)
{
	const struct kho_geometry *geo = &ref->geo;
	uint64_t prefix = key >> geo->bitmap_log2;
	uint8_t *node;

	if (ref->leaf_page && ref->leaf_prefix == prefix)
		return ref->leaf_page;
	node = page_at(ref, ref->map_phys);
	for (unsigned level = geo->depth - 1; level >= 1 && node; level--) {
		uint8_t *slot = node + kho_key_index(geo, key, level) * 8;
		uint64_t child = load_u64(slot, false);

		if (!child) {
			if (!create)
				return NULL;
			if (mem_alloc(&ref->mem, 0, &child, err) ||
			    !mem_page(&ref->mem, child, true, err))
				return NULL;
			store_u64(slot, child, false);
		}
		node = page_at(ref, child);
	}
	if (node) {
		ref->leaf_prefix = prefix;
		ref->leaf_page = node;
	}
	return node;
}

enum kho_status radix_update(struct kho_ref *ref, uint64_t key, bool set,
			     struct kho_error *err)
{
	uint8_t *leaf = leaf_for(ref, key, set, err);
	uint64_t bit = kho_key_index(&ref->geo, key, 0);

	if (!leaf)
		return set ? (err ? err->status : KHO_ERR_NOMEM) : KHO_OK;
	/* A Linux bitmap: bit i is bit i % 64 of native word i / 64. */
	uint8_t *word = leaf + (bit / 64) * 8;
	uint64_t w = load_u64(word, false);

	w = set ? w | (1ull << (bit % 64)) : w & ~(1ull << (bit % 64));
	store_u64(word, w, false);
	return KHO_OK;
}

bool radix_test(struct kho_ref *ref, uint64_t key)
{
	uint8_t *leaf = leaf_for(ref, key, false, NULL);
	uint64_t bit = kho_key_index(&ref->geo, key, 0);

	return leaf && (load_u64(leaf + (bit / 64) * 8, false) >> (bit % 64)) & 1;
}

/* Kernel-style walk: entries in index order, one callback per set bit. */
static void walk_level(struct kho_ref *ref, uint64_t phys, unsigned level,
		       uint64_t prefix, const struct ref_walk *w)
{
	const struct kho_geometry *geo = &ref->geo;
	uint8_t *page = page_at(ref, phys);
	bool empty = true;

	if (level == 0) {
		for (uint64_t i = 0; page && i < ((uint64_t)1 << geo->bitmap_log2) / 64; i++) {
			uint64_t word = load_u64(page + i * 8, false);

			if (word)
				empty = false;
			while (word && w->key) {
				unsigned b = (unsigned)__builtin_ctzll(word);
				uint64_t phys_k;
				unsigned order;

				word &= word - 1;
				if (kho_key_decode(geo, prefix | (i * 64 + b), &phys_k, &order))
					w->key(w->ctx, phys_k, order);
			}
		}
		if (w->node)
			w->node(w->ctx, phys, 0, empty);
		return;
	}
	if (w->node) {
		for (uint64_t i = 0; page && i < ((uint64_t)1 << geo->table_log2); i++)
			if (load_u64(page + i * 8, false))
				empty = false;
		w->node(w->ctx, phys, (int)level, empty);
	}
	for (uint64_t i = 0; page && i < ((uint64_t)1 << geo->table_log2); i++) {
		uint64_t child = load_u64(page + i * 8, false);
		unsigned shift = kho_level_shift(geo, level);

		if (child)
			walk_level(ref, child, level - 1,
				   prefix | (shift < 64 ? i << shift : 0), w);
	}
}

void radix_walk(struct kho_ref *ref, const struct ref_walk *w)
{
	if (ref->map_phys)
		walk_level(ref, ref->map_phys, ref->geo.depth - 1, 0, w);
}

bool radix_first_leaf(struct kho_ref *ref, uint64_t *entry, uint64_t *leaf)
{
	uint64_t node = ref->map_phys;

	for (unsigned level = ref->geo.depth - 1; level >= 1; level--) {
		uint8_t *page = page_at(ref, node);
		uint64_t i, n = (uint64_t)1 << ref->geo.table_log2;

		for (i = 0; page && i < n && !load_u64(page + i * 8, false); i++)
			;
		if (!page || i == n)
			return false;
		*entry = node + i * 8;
		node = load_u64(page + i * 8, false);
	}
	*leaf = node;
	return true;
}

bool radix_leaf_of(struct kho_ref *ref, uint64_t key, uint64_t *leaf)
{
	uint64_t node = ref->map_phys;

	for (unsigned level = ref->geo.depth - 1; level >= 1 && node; level--) {
		uint8_t *page = page_at(ref, node);

		if (!page)
			return false;
		node = load_u64(page + kho_key_index(&ref->geo, key, level) * 8, false);
	}
	*leaf = node;
	return node != 0;
}
