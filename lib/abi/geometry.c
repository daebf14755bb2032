// SPDX-License-Identifier: MIT
/* Radix-tree geometry per page size (7.1+ kernels, kho-v2 and later). */
#include "kho/abi.h"

#include "../util/util.h"

KHO_EXPORT enum kho_status kho_geometry_init(struct kho_geometry *geo,
					     uint64_t page_size,
					     bool broken_depth)
{
	unsigned shift, bits_above_leaf;

	if (page_size != 4096 && page_size != 16384 && page_size != 65536)
		return kho_error_set(NULL, KHO_ERR_INVALID, "page size");
	shift = (unsigned)__builtin_ctzll(page_size);

	geo->page_shift = shift;
	geo->page_size = page_size;
	geo->order0_bit = 64 - shift;
	geo->table_log2 = shift - 3;
	geo->bitmap_log2 = shift + 3;
	geo->key_width = geo->order0_bit + 1;
	geo->broken_depth = broken_depth;
	/*
	 * Levels above the leaf cover what the leaf does not. The fixed
	 * kernel sizes them for key_width bits; the 7.1-rc kernel used
	 * order0_bit bits and so lost the order-0 bit on 16 KiB pages.
	 */
	bits_above_leaf = (broken_depth ? geo->order0_bit : geo->key_width) -
			  geo->bitmap_log2;
	geo->depth = (bits_above_leaf + geo->table_log2 - 1) / geo->table_log2 + 1;
	return KHO_OK;
}

KHO_EXPORT uint64_t kho_root_entries_legal(const struct kho_geometry *geo)
{
	unsigned shift = kho_level_shift(geo, geo->depth - 1);
	unsigned bits = geo->key_width > shift ? geo->key_width - shift : 0;

	if (bits > geo->table_log2)
		bits = geo->table_log2;
	return (uint64_t)1 << bits;
}
