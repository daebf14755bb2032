/* SPDX-License-Identifier: MIT */
/*
 * Walking a preserved-memory map into runs of keys. The walk is bounded
 * by construction: every table entry is checked before use, each page is
 * visited at most once, entries beyond the key width are reported and
 * not followed. Leaves are decoded a word at a time and consecutive keys
 * of one order are handed over as one run.
 */
#ifndef KHO_MAP_H
#define KHO_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/abi.h"
#include "kho/anomaly.h"
#include "kho/error.h"
#include "kho/source.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KHO_MAX_LEVELS 8

struct kho_map_stats {
	uint64_t keys;
	uint64_t runs;
	uint64_t nodes;                      /* table nodes, root included */
	uint64_t leaves;
	uint64_t empty_nodes;
	uint64_t per_level[KHO_MAX_LEVELS];  /* pages per level, 0 = leaves */
	uint64_t set_bits_per_level0;        /* fill: set bits in all leaves */
	uint64_t preserved_bytes;
	uint64_t orders[65];                 /* keys per order */
};

/* @count consecutive blocks of one order, in tree order. */
struct kho_run {
	uint64_t phys;
	uint64_t count;
	unsigned order;
};

struct kho_map_visitor {
	/* @count consecutive keys of one order, from @phys, in tree order */
	void (*run)(void *ctx, uint64_t phys, unsigned order, uint64_t count);
	/* a table node (level >= 1), leaf (level 0) or kho-v1 chunk (-1) that
	 * was read, and its size in bytes */
	void (*node)(void *ctx, uint64_t phys, int level, uint64_t bytes);
	void *ctx;
	/* optional: keys [@lo, @hi] are unknown (a subtree that could not be
	 * read); what they would preserve can be neither confirmed nor denied */
	void (*unknown)(void *ctx, uint64_t lo, uint64_t hi);
};

/*
 * kho_radix_walk - walk the radix tree rooted at @root with geometry
 * @geo. Corruption is recorded in @a; the walk goes on around it.
 * returns: KHO_OK, or KHO_ERR_NOMEM / KHO_ERR_SYSTEM.
 */
enum kho_status kho_radix_walk(struct kho_source *src, const struct kho_geometry *geo,
			       uint64_t root, struct kho_anomalies *a,
			       const struct kho_map_visitor *v, struct kho_map_stats *stats,
			       struct kho_error *err);

/*
 * kho_v1_walk - walk a kho-v1 chunk list from @first. *@bitmap_size is
 * set to the bitmap size the data shows (512 or the page size).
 */
enum kho_status kho_v1_walk(struct kho_source *src, const struct kho_geometry *geo,
			    uint64_t first, struct kho_anomalies *a,
			    const struct kho_map_visitor *v, struct kho_map_stats *stats,
			    uint64_t *bitmap_size, struct kho_error *err);

/*
 * The radix tree in two passes, so that checks can consume runs in
 * address order without storing them. kho_radix_open() walks the
 * table nodes (every check of kho_radix_walk() but the decoding; the
 * visitor's node callback is called, its run callback is not) and keeps
 * where each leaf with keys is, in key order: the decoding reads them
 * again, a run of neighbours at a time, into a buffer per order that is
 * reused, so memory does not grow with the tree. A leaf whose every key
 * is set is not read again (KHO_RADIX_LEAF_FULL).
 */
#define KHO_RADIX_LEAF_FULL 1     /* in kho_radix_leaf.phys: every bit set */

struct kho_radix_leaf {
	uint64_t prefix;          /* key of bit 0 */
	uint64_t phys;            /* the leaf page, | KHO_RADIX_LEAF_FULL */
};

struct kho_radix_readers;

struct kho_radix_map {
	const struct kho_geometry *geo;
	struct kho_source *src;
	bool big_endian;
	struct kho_radix_leaf *leaves;
	size_t nleaves, cap;
	struct kho_radix_readers *readers;   /* lib/map/words.h */
};

/*
 * kho_radix_open - the first pass: the table nodes of the tree at @root
 * walked and checked (anomalies in @a), where the leaves are kept in @m
 * (read again from @src, which must outlive @m). returns: KHO_OK;
 * KHO_ERR_NOMEM / KHO_ERR_SYSTEM. kho_radix_close() releases @m.
 */
enum kho_status kho_radix_open(struct kho_source *src, const struct kho_geometry *geo,
			       uint64_t root, struct kho_anomalies *a,
			       const struct kho_map_visitor *v, struct kho_map_stats *stats,
			       struct kho_radix_map *m, struct kho_error *err);
void kho_radix_close(struct kho_radix_map *m);
/* kho_radix_failed - whether a leaf could not be read again since open
 * (it then read as empty): what was decoded is not to be trusted. */
bool kho_radix_failed(const struct kho_radix_map *m);

/*
 * A cursor over the keys of one order: its runs in ascending address
 * order, decoded a word at a time when asked for. Runs that go on into
 * the next word or leaf are joined. Each run is added to @stats (if not
 * NULL) as it is returned.
 */
struct kho_radix_cursor {
	const struct kho_radix_map *m;
	struct kho_map_stats *stats;
	uint64_t lo, hi;          /* the order's keys: [lo, hi) */
	size_t leaf;              /* current leaf */
	uint64_t base;            /* key of bit 0 of the current word */
	uint64_t word;            /* its bits still to return */
	unsigned order;
};

/* kho_radix_cursor_init - a cursor over the order-@order keys of @m;
 * kho_radix_cursor_next() gives its next run, false at the end. */
void kho_radix_cursor_init(struct kho_radix_cursor *c, const struct kho_radix_map *m,
			   unsigned order, struct kho_map_stats *stats);
bool kho_radix_cursor_next(struct kho_radix_cursor *c, struct kho_run *r);
/* Up to @max runs at once. returns: how many (0 at the end). */
size_t kho_radix_cursor_fill(struct kho_radix_cursor *c, struct kho_run *r, size_t max);

/* Every run of @m in tree (key) order to @v, counted into @stats if not NULL. */
void kho_radix_runs(const struct kho_radix_map *m, struct kho_map_stats *stats,
		    const struct kho_map_visitor *v);

/*
 * kho_radix_lookup - whether @key is set in the tree at @root.
 * returns: 1 set, 0 not set, -1 cannot tell (a node on the way is not in
 * the dump, misaligned or out of memory).
 */
int kho_radix_lookup(struct kho_source *src, const struct kho_geometry *geo,
		     uint64_t root, uint64_t key);

#ifdef __cplusplus
}
#endif
#endif
