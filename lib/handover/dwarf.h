/* SPDX-License-Identifier: MIT */
/* Offsets inside the kernel's KHO globals that only the vmlinux's DWARF knows. */
#ifndef KHO_HANDOVER_DWARF_H
#define KHO_HANDOVER_DWARF_H

#include <libelf.h>
#include <stdbool.h>
#include <stdint.h>

#include "kho/error.h"

/* Where the radix trees' root pointers are, from the start of each
 * global: [0] kho_out, [1] kho_in. Each is found or not on its own. */
struct kho_tree_offsets {
	uint64_t root[2];          /* offsetof(struct kho_*, radix_tree.root) */
	bool known[2];
	struct kho_error why[2];   /* when not known: why not */
};

/*
 * vmlinux_tree_offsets - read, from the DWARF of the vmlinux @e, where
 * the kernel keeps its preserved-memory trees: struct kho_out member
 * radix_tree (7.2 and 7.3) and struct kho_in member radix_tree (7.3+, "kho:
 * store incoming radix tree in kho_in"), struct kho_radix_tree member root
 * (a pointer). Their place depends on the kernel's config (mutex size,
 * debugfs state), so nothing is assumed. Each struct is looked up on its
 * own: a 7.2 vmlinux gives kho_out's offset and says why not kho_in's.
 * returns: KHO_OK (see @o->known); KHO_ERR_NODATA when there is no DWARF,
 * KHO_ERR_CORRUPT when it does not read. The message says
 * which, to be shown as why the cross-check was skipped.
 */
enum kho_status vmlinux_tree_offsets(Elf *e, struct kho_tree_offsets *o, struct kho_error *err);

#endif
