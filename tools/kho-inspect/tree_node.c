// SPDX-License-Identifier: MIT
/*
 * tree --node ADDR DUMP: one page of the radix tree, entry by entry, for
 * the findings that name a node and an entry (radix-pointer, radix-loop,
 * radix-key-width). The walk records each page it read and its level,
 * not the path to it; the path (and so the keys the page covers) is found
 * again by following, from the root, only entries that point at pages
 * the walk read one level down: each page is entered at most once.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/util/util.h"
#include "inspect.h"
#include "print.h"

struct node_search {
	struct kho_source *src;
	const struct kho_inspection *in;
	uint64_t target;
	uint64_t *buf[KHO_MAX_LEVELS];   /* one page per level */
	const struct kho_tree_page **by_phys;   /* in->pages sorted by address */
	bool *seen;                      /* by index in by_phys */
	uint64_t prefix;                 /* keys of the target: prefix + index << shift */
};

static int by_phys(const void *a, const void *b)
{
	const struct kho_tree_page *x = *(const struct kho_tree_page *const *)a;
	const struct kho_tree_page *y = *(const struct kho_tree_page *const *)b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

/* The index in s->by_phys of the page at @phys with @level, or -1. */
static long tree_page(const struct node_search *s, uint64_t phys, int level)
{
	size_t lo = PARTITION_POINT(s->in->npages, i, s->by_phys[i]->phys < phys);

	for (; lo < s->in->npages && s->by_phys[lo]->phys == phys; lo++)
		if (s->by_phys[lo]->level == level)
			return (long)lo;
	return -1;
}

/* The last key below the subtree of a level-@level page starting at @first. */
static uint64_t last_key(const struct kho_geometry *g, unsigned level, uint64_t first)
{
	unsigned shift = kho_level_shift(g, level + 1);

	return shift >= 64 ? UINT64_MAX : first + ((uint64_t)1 << shift) - 1;
}

/* The tree page at @phys into @e, its words in the host's order (a tree
 * word is in the dump's byte order, as the walker reads it). */
static bool read_words(struct kho_source *src, uint64_t phys, uint64_t *e, uint64_t bytes)
{
	if (kho_source_read(src, phys, e, bytes, NULL))
		return false;
	for (uint64_t i = 0; i < bytes / 8; i++)
		e[i] = load_u64(&e[i], kho_source_big_endian(src));
	return true;
}

static bool find(struct node_search *s, uint64_t node, unsigned level, uint64_t prefix)
{
	const struct kho_geometry *g = &s->in->geo;
	uint64_t n = (uint64_t)1 << g->table_log2, *e = s->buf[level];

	if (node == s->target) {
		s->prefix = prefix;
		return true;
	}
	if (!level || !read_words(s->src, node, e, g->page_size))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		long k = e[i] ? tree_page(s, e[i], (int)level - 1) : -1;

		if (k < 0 || s->seen[k])
			continue;
		s->seen[k] = true;
		if (find(s, e[i], level - 1, prefix | i << kho_level_shift(g, level)))
			return true;
	}
	return false;
}

static void key_text(const struct kho_geometry *g, uint64_t key)
{
	uint64_t phys;
	unsigned order;

	pr_hex("key", " key 0x%llx", key);
	if (kho_key_decode(g, key, &phys, &order)) {
		pr_hex("phys", " = 0x%llx", phys);
		pr_u64("order", " order %llu", order);
	} else {
		pr_text(" (no block)");
	}
}

/*
 * An entry naming no page one level down: a page the walk read at this
 * level or above is a way back up (the walk entered it once, and the
 * radix-loop finding names it); anything else verify explains.
 */
static void loop_text(const struct node_search *s, uint64_t value, unsigned level)
{
	const struct kho_geometry *g = &s->in->geo;

	for (unsigned l = g->depth - 1; l >= level && l < g->depth; l--) {
		if (tree_page(s, value, (int)l) < 0)
			continue;
		pr_u64("loop_level", value == s->in->ho.map_phys ? ": the root (level %llu)" :
		       ": a level-%llu page", l);
		pr_text(", already in the tree: radix-loop");
		return;
	}
	pr_text(": not a page the walk read (verify says why)");
}

static void print_entries(const struct node_search *s, const uint64_t *e, unsigned level)
{
	const struct kho_geometry *g = &s->in->geo;
	uint64_t n = (uint64_t)1 << g->table_log2;

	pr_arr_open("entries");
	for (uint64_t i = 0; i < n; i++) {
		long k;

		if (!e[i])
			continue;
		k = tree_page(s, e[i], (int)level - 1);
		pr_obj_open(NULL);
		pr_u64("index", "entry %-6llu", i);
		pr_hex("value", " 0x%llx", e[i]);
		pr_bool("read", NULL, k >= 0);
		if (k >= 0)
			pr_u64("child_level", ": level-%llu page", (uint64_t)level - 1);
		else
			loop_text(s, e[i], level);
		pr_hex("first_key", ", keys from 0x%llx\n", s->prefix | i << kho_level_shift(g, level));
		pr_obj_close();
	}
	pr_arr_close();
}

static void print_bits(const struct node_search *s, const uint64_t *e)
{
	const struct kho_geometry *g = &s->in->geo;
	uint64_t words = (uint64_t)1 << (g->bitmap_log2 - 6);

	pr_arr_open("bits");
	for (uint64_t w = 0; w < words; w++) {
		for (uint64_t m = e[w]; m; m &= m - 1) {
			uint64_t bit = w * 64 + (uint64_t)__builtin_ctzll(m);

			pr_obj_open(NULL);
			pr_u64("bit", "bit %-8llu", bit);
			key_text(g, s->prefix | bit);
			pr_text("\n");
			pr_obj_close();
		}
	}
	pr_arr_close();
}

/* returns: true when @addr is in a page of @in's tree and was printed. */
bool print_tree_node(struct kho_source *src, const struct kho_inspection *in, uint64_t addr)
{
	const struct kho_geometry *g = &in->geo;
	struct node_search s = { .src = src, .in = in };
	unsigned root_level = g->depth - 1, level = 0;
	uint64_t *page;
	bool found = false;
	long k = -1;

	if (!in->ho.abi || in->ho.abi->map_format != KHO_MAP_RADIX || !in->walked)
		return false;
	s.target = addr & ~(g->page_size - 1);
	s.by_phys = malloc((in->npages ? in->npages : 1) * sizeof(*s.by_phys));
	s.seen = calloc(in->npages ? in->npages : 1, sizeof(*s.seen));
	if (!s.by_phys || !s.seen)
		goto out;
	for (size_t i = 0; i < in->npages; i++)
		s.by_phys[i] = &in->pages[i];
	qsort(s.by_phys, in->npages, sizeof(*s.by_phys), by_phys);
	for (int l = 0; l < (int)g->depth && k < 0; l++)
		if ((k = tree_page(&s, s.target, l)) >= 0)
			level = (unsigned)l;
	if (k < 0)
		goto out;
	for (unsigned l = 0; l <= root_level; l++)
		if (!(s.buf[l] = malloc(g->page_size)))
			goto out;
	if (!(found = find(&s, in->ho.map_phys, root_level, 0)))
		goto out;
	page = s.buf[0];
	if (!read_words(src, s.target, page, g->page_size)) {
		found = false;
		goto out;
	}
	pr_obj_open("node");
	pr_hex("phys", "node         0x%llx", s.target);
	pr_u64("level", ": level %llu", level);
	pr_u64("depth", " of a depth-%llu tree", g->depth);
	pr_text(level ? " (table node)" : " (leaf bitmap)");
	pr_hex("first_key", ", keys from 0x%llx", s.prefix);
	pr_hex("last_key", " to 0x%llx\n", last_key(g, level, s.prefix));
	if (level)
		print_entries(&s, page, level);
	else
		print_bits(&s, page);
	pr_obj_close();
out:
	for (unsigned l = 0; l <= root_level; l++)
		free(s.buf[l]);
	free(s.seen);
	free(s.by_phys);
	return found;
}
