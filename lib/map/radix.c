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
	struct kho_findings *f;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	struct visited seen;
	uint8_t *bufs[KHO_MAX_LEVELS];   /* one page per level, reused */
	bool big_endian;
	/* the run being built, flushed when the next key is not its successor */
	uint64_t run_key, run_count;
	enum kho_status st;
	struct kho_error *err;
};

static void emit_key(struct walk *w, uint64_t key, uint64_t count);

static void flush(struct walk *w)
{
	uint64_t phys;
	unsigned order;

	if (!w->run_count)
		return;
	kho_key_decode(w->geo, w->run_key, &phys, &order);
	w->stats->runs++;
	w->stats->keys += w->run_count;
	w->stats->orders[order] += w->run_count;
	w->stats->preserved_bytes += w->run_count * kho_order_bytes(w->geo, order);
	if (w->v && w->v->run)
		w->v->run(w->v->ctx, phys, order, w->run_count);
	w->run_count = 0;
}

/*
 * A tree built with the broken 16 KiB depth lost bit order0_bit of every
 * order-0 key. What it most likely meant: the key with that bit restored
 * when that is memory the dump describes and the key as read is not, or
 * when the key as read would be an implausibly large block (order >= 15).
 */
static uint64_t meant_key(struct walk *w, uint64_t key)
{
	uint64_t with = key | ((uint64_t)1 << w->geo->order0_bit), p1, p0, run;
	unsigned o1, o0;
	bool in1, in0;

	if (fls64(key) > w->geo->order0_bit || !kho_key_decode(w->geo, with, &p0, &o0))
		return key;
	if (!kho_key_decode(w->geo, key, &p1, &o1))
		return with;
	in1 = kho_source_state(w->src, p1, &run) != KHO_MEM_ABSENT;
	in0 = kho_source_state(w->src, p0, &run) != KHO_MEM_ABSENT;
	if (in0 != in1)
		return in0 ? with : key;
	return o1 >= 15 ? with : key;
}

/* Keys @key .. @key+@count-1 are set; split where the order changes. */
static void emit(struct walk *w, uint64_t key, uint64_t count)
{
	if (w->geo->broken_depth) {
		/* Reinterpret block by block, runs join again in emit_key(). */
		for (uint64_t i = 0; i < count; i++)
			emit_key(w, meant_key(w, key + i), 1);
		return;
	}
	emit_key(w, key, count);
}

static void emit_key(struct walk *w, uint64_t key, uint64_t count)
{
	while (count) {
		unsigned f = fls64(key);
		uint64_t same, n;

		if (f == 0 || f > w->geo->key_width) {
			/* Only a leaf under root index 0 can hold key 0. */
			kho_report(w->f, "radix-key-width", 0, "key 0 has no order bit");
			key++, count--;
			continue;
		}
		same = f == 64 ? UINT64_MAX - key + 1 : ((uint64_t)1 << f) - key;
		n = MIN(count, same);
		if (w->run_count && key == w->run_key + w->run_count &&
		    fls64(w->run_key) == f)
			w->run_count += n;
		else {
			flush(w);
			w->run_key = key;
			w->run_count = n;
		}
		key += n;
		count -= n;
	}
}

static void decode_leaf(struct walk *w, const uint8_t *leaf, uint64_t prefix,
			uint64_t phys)
{
	uint64_t words = ((uint64_t)1 << w->geo->bitmap_log2) / 64, set = 0;

	for (uint64_t i = 0; i < words; i++) {
		uint64_t word = load_u64(leaf + i * 8, w->big_endian);

		set += (uint64_t)__builtin_popcountll(word);
		while (word) {
			unsigned ones, b = take_bit_run(&word, &ones);

			emit(w, prefix | (i * 64 + b), ones);
		}
	}
	w->stats->set_bits_per_level0 += set;
	if (!set) {
		w->stats->empty_nodes++;
		kho_report(w->f, "radix-empty", phys, "leaf is empty (keys unpreserved)");
	}
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
		kho_report(w->f, "radix-key-width", entry,
			   "root entry %llu (-> 0x%llx) would set key bits above bit %u",
			   HEX(i), HEX(child), geo->key_width - 1);
		return;
	}
	if (child >> 63) {
		kho_report(w->f, "radix-pointer", entry,
			   "level-%u entry %llu holds 0x%llx: bit 63 set", level, HEX(i), HEX(child));
		return;
	}
	if (!is_aligned(child, geo->page_size)) {
		kho_report(w->f, "radix-pointer", entry,
			   "level-%u entry %llu holds 0x%llx: not page-aligned", level, HEX(i),
			   HEX(child));
		return;
	}
	switch (kho_source_state(w->src, child, &run)) {
	case KHO_MEM_ABSENT:
		kho_report(w->f, "radix-pointer", entry,
			   "level-%u entry %llu holds 0x%llx: outside the dump's memory", level,
			   HEX(i), HEX(child));
		return;
	case KHO_MEM_EXCLUDED:
		kho_report(w->f, "radix-unreadable", child,
			   "%s page (level-%u entry %llu at 0x%llx) is not in the dump; its "
			   "keys are unknown", what, level - 1, HEX(i), HEX(entry));
		return;
	case KHO_MEM_PRESENT:
		break;
	}
	added = visited_add(&w->seen, child);
	if (added < 0) {
		w->st = kho_error_set(w->err, KHO_ERR_NOMEM, "out of memory");
		return;
	}
	if (!added) {
		kho_report(w->f, "radix-loop", entry,
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
		kho_report(w->f, "radix-unreadable", phys, "level-%u page cannot be read", level);
		return;
	}
	w->stats->per_level[level]++;
	if (w->v && w->v->node)
		w->v->node(w->v->ctx, phys, (int)level, geo->page_size);
	if (level == 0) {
		w->stats->leaves++;
		decode_leaf(w, page, prefix, phys);
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
		kho_report(w->f, "radix-empty", phys, "level-%u node has no children", level);
	}
}

KHO_EXPORT enum kho_status kho_map_walk_radix(struct kho_source *src,
					      const struct kho_geometry *geo, uint64_t root,
					      struct kho_findings *f,
					      const struct kho_map_visitor *v,
					      struct kho_map_stats *stats, struct kho_error *err)
{
	struct walk w = { .src = src, .geo = geo, .f = f, .v = v, .stats = stats, .err = err,
			  .big_endian = kho_source_big_endian(src) };
	uint64_t run;

	memset(stats, 0, sizeof(*stats));
	if (geo->depth > KHO_MAX_LEVELS)
		return kho_error_set(err, KHO_ERR_INVALID, "depth %u", geo->depth);
	for (unsigned l = 0; l < geo->depth; l++)
		if (!(w.bufs[l] = malloc(geo->page_size)))
			w.st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (!w.st) {
		enum kho_mem_state state = kho_source_state(src, root, &run);

		if (state == KHO_MEM_ABSENT)
			kho_report(f, "radix-pointer", root, "the root 0x%llx is outside the "
				   "dump's memory", HEX(root));
		else if (state == KHO_MEM_EXCLUDED)
			kho_report(f, "radix-unreadable", root, "the root page is not in the dump");
		else if (visited_add(&w.seen, root) < 0)
			w.st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		else
			walk_node(&w, root, geo->depth - 1, 0);
		flush(&w);
	}
	for (unsigned l = 0; l < geo->depth; l++)
		free(w.bufs[l]);
	visited_free(&w.seen);
	return w.st;
}

/* The kernel's lookup, checked: is @key set? Bounded by the depth. */
KHO_EXPORT bool kho_map_radix_contains(struct kho_source *src, const struct kho_geometry *geo,
				       uint64_t root, uint64_t key)
{
	uint64_t node = root, run;
	uint8_t *buf = malloc(geo->page_size);
	bool found = false;
	struct kho_error e;

	if (!buf)
		return false;
	for (unsigned level = geo->depth - 1;; level--) {
		uint64_t idx = kho_key_index(geo, key, level), v;

		if (!node || !is_aligned(node, geo->page_size) || node >> 63 ||
		    kho_source_state(src, node, &run) != KHO_MEM_PRESENT ||
		    kho_source_read(src, node, buf, geo->page_size, &e))
			break;
		if (level == 0) {
			v = load_u64(buf + (idx / 64) * 8, kho_source_big_endian(src));
			found = (v >> (idx % 64)) & 1;
			break;
		}
		node = load_u64(buf + idx * 8, kho_source_big_endian(src));
	}
	free(buf);
	return found;
}
