/* SPDX-License-Identifier: MIT */
/*
 * The KHO ABI as data: radix-tree geometry per page size and the key
 * encoding. Pure functions, no I/O, any thread; the reader and the
 * reference writer share every line of it. struct kho_geometry is a value
 * that kho_geometry_init() fills; its fields are facts of the kernel's
 * ABI and change only with the library's SONAME.
 */
#ifndef KHO_ABI_H
#define KHO_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Geometry of the 7.1+ radix tree for one page size.
 *
 * A key is (1 << (order0_bit - order)) | (phys >> (page_shift + order)).
 * A table node is one page of u64 (2^table_log2 entries); a leaf is one
 * page of bits (2^bitmap_log2 bits). Level 0 is the leaf level; the root
 * is level depth - 1.
 */
struct kho_geometry {
	unsigned page_shift;
	uint64_t page_size;
	unsigned order0_bit;   /* bit position of the order bit for order 0 */
	unsigned table_log2;   /* log2(entries per table node) */
	unsigned bitmap_log2;  /* log2(bits per leaf) */
	unsigned key_width;    /* widest legal key, in bits */
	unsigned depth;        /* levels including the leaf level */
	bool broken_depth;     /* the 16 KiB depth-4 tree of 7.1-rc (see abi doc) */
};

/*
 * kho_geometry_init - geometry for @page_size (4096, 16384 or 65536).
 * @broken_depth selects the pre-fix depth computation that forgot the
 * order bit (only differs on 16 KiB pages, where it gives depth 4).
 * returns: KHO_OK, or KHO_ERR_INVALID for an unsupported page size.
 */
enum kho_status kho_geometry_init(struct kho_geometry *geo, uint64_t page_size,
				  bool broken_depth);

/* kho_max_order - the largest order a key can encode (order0_bit). */
static inline unsigned kho_max_order(const struct kho_geometry *geo)
{
	return geo->order0_bit;
}

/*
 * kho_key_encode - key of (@phys, @order). @phys must be aligned to
 * page_size << order and @order <= kho_max_order().
 * returns: the key (never 0).
 */
uint64_t kho_key_encode(const struct kho_geometry *geo, uint64_t phys,
			unsigned order);

/*
 * kho_key_decode - split @key into *@phys and *@order.
 * returns: true, or false for a key that no (phys, order) encodes (0, or
 * wider than key_width).
 */
bool kho_key_decode(const struct kho_geometry *geo, uint64_t key,
		    uint64_t *phys, unsigned *order);

/* kho_level_shift - lowest key bit indexed at @level (0 at the leaf). */
static inline unsigned kho_level_shift(const struct kho_geometry *geo,
				       unsigned level)
{
	return level ? (level - 1) * geo->table_log2 + geo->bitmap_log2 : 0;
}

/*
 * kho_key_index - index of @key at @level: a bit number in a leaf at
 * level 0, an entry number in a table node above.
 */
uint64_t kho_key_index(const struct kho_geometry *geo, uint64_t key,
		       unsigned level);

/*
 * kho_root_entries_legal - how many root indices keep the key within
 * key_width (4 on 4 KiB pages, 2 on 16 KiB, 16 on 64 KiB). Entries at
 * higher indices can only come from corruption or a producer bug.
 */
uint64_t kho_root_entries_legal(const struct kho_geometry *geo);

/* kho_order_bytes - size of a block of @order pages. */
static inline uint64_t kho_order_bytes(const struct kho_geometry *geo,
				       unsigned order)
{
	return geo->page_size << order;
}

#ifdef __cplusplus
}
#endif
#endif
