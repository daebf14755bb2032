/* SPDX-License-Identifier: MIT */
/* Offsets inside the kernel's KHO globals that only the vmlinux's DWARF knows. */
#ifndef KHO_HANDOVER_DWARF_H
#define KHO_HANDOVER_DWARF_H

#include <stdint.h>

#include "kho/error.h"

/* Where the radix trees' root pointers are, from the start of each global. */
struct kho_tree_offsets {
	uint64_t out_root;   /* offsetof(struct kho_out, radix_tree.root) */
	uint64_t in_root;    /* offsetof(struct kho_in, radix_tree.root) */
};

/*
 * vmlinux_tree_offsets - read, from the DWARF of the ELF file @path, where
 * 7.3+ keeps the preserved-memory trees ("kho: store incoming radix tree
 * in kho_in"): struct kho_out and struct kho_in member radix_tree, struct
 * kho_radix_tree member root (a pointer). Their place depends on the
 * kernel's config (mutex size, debugfs state), so nothing is assumed.
 * returns: KHO_OK; KHO_ERR_NODATA when there is no DWARF or the structs
 * have no radix_tree (a kernel before 7.3), KHO_ERR_CORRUPT when the DWARF
 * does not read or describes an impossible layout, KHO_ERR_SYSTEM. The
 * message says which, to be shown as why the cross-check was skipped.
 */
enum kho_status vmlinux_tree_offsets(const char *path, struct kho_tree_offsets *o,
				     struct kho_error *err);

#endif
