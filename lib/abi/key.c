// SPDX-License-Identifier: MIT
/* Keys of the radix tree: (phys, order) <-> u64. */
#include "kho/abi.h"

#include "../util/util.h"

KHO_EXPORT uint64_t kho_key_encode(const struct kho_geometry *geo,
				   uint64_t phys, unsigned order)
{
	unsigned shift = geo->page_shift + order;

	/* At the largest order the whole address is shifted out. */
	return ((uint64_t)1 << (geo->order0_bit - order)) |
	       (shift < 64 ? phys >> shift : 0);
}

KHO_EXPORT bool kho_key_decode(const struct kho_geometry *geo, uint64_t key,
			       uint64_t *phys, unsigned *order)
{
	unsigned f = fls64(key);
	unsigned o;

	if (f == 0 || f > geo->key_width)
		return false;
	o = geo->key_width - f;
	*order = o;
	/* The order bit is shifted out of the top; shift counts stay < 64. */
	*phys = (key << (geo->page_shift + o - 1)) << 1;
	return true;
}

KHO_EXPORT uint64_t kho_key_index(const struct kho_geometry *geo, uint64_t key,
				  unsigned level)
{
	unsigned bits = level ? geo->table_log2 : geo->bitmap_log2;
	unsigned shift = kho_level_shift(geo, level);

	return shift >= 64 ? 0 : (key >> shift) & (((uint64_t)1 << bits) - 1);
}
