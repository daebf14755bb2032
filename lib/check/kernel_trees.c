// SPDX-License-Identifier: MIT
/*
 * The cross-check --vmlinux adds: a handover the running kernel names must
 * name the tree that kernel holds. The outgoing tree is kho_out.radix_tree
 * (7.2 and 7.3); since "kho: store incoming radix tree in kho_in" (7.3)
 * the tree deserialized from the incoming handover is kho_in.radix_tree;
 * a kernel whose incoming handover failed to parse keeps fdt_phys 0 and a
 * NULL root. A disagreement means the FDT in the dump is not what the
 * next (or this) kernel works from: an fdt-memory-map error.
 */
#include "kho/verify.h"

#include "../util/util.h"

/* @in against the tree that @holder (kho_out or kho_in) keeps at @tree. */
static void compare(struct kho_inspection *in, const char *holder, uint64_t tree)
{
	const struct kho_handover *ho = &in->ho;

	/* A map property that does not read is fdt-memory-map already;
	 * kho-v1 chunk lists are not what a 7.3 kernel holds. */
	if (ho->fdt_phys_unknown || !ho->fdt_ok || !ho->map_ok || !ho->abi ||
	    ho->abi->map_format != KHO_MAP_RADIX)
		return;
	if (!tree)
		kho_flag(&in->findings, KHO_CHECK_FDT_MEMORY_MAP, ho->fdt_phys,
			 "preserved-memory-map 0x%llx, but %s holds no tree (radix_tree.root "
			 "is NULL)", HEX(ho->map_phys), holder);
	else if (tree != ho->map_phys)
		kho_flag(&in->findings, KHO_CHECK_FDT_MEMORY_MAP, ho->fdt_phys,
			 "preserved-memory-map 0x%llx is not the tree %s holds (0x%llx)",
			 HEX(ho->map_phys), holder, HEX(tree));
}

void kho_check_kernel_trees(const struct kho_boot_info *bi, struct kho_inspection *hs,
			    size_t nh, struct kho_findings *top)
{
	if (!bi->trees_known)
		return;
	for (size_t i = 0; i < nh; i++) {
		/* before kho_init kho_out holds an empty tree and no FDT */
		if (bi->out_known && hs[i].ho.fdt_phys == bi->fdt && !bi->fdt_is_incoming)
			compare(&hs[i], "kho_out", bi->out_tree);
		if (bi->in_known && bi->incoming_fdt && hs[i].ho.fdt_phys == bi->incoming_fdt)
			compare(&hs[i], "kho_in", bi->in_tree);
	}
	if (bi->in_known && !bi->incoming_fdt && bi->in_tree)
		kho_flag(top, KHO_CHECK_FDT_MEMORY_MAP, bi->in_tree,
			 "kho_in holds the tree at 0x%llx "
			 "but no incoming handover (kho_in.fdt_phys is 0)", HEX(bi->in_tree));
}
