// SPDX-License-Identifier: MIT
/*
 * What must be preserved and is not, and what must not be and is: the
 * FDT page and every sub-blob must lie in preserved memory; tree pages
 * and the FDT must lie outside scratch (the next kernel allocates there
 * before it has read them) and tree pages should not themselves be
 * preserved (they survive only because scratch holds early allocations).
 */
#include "kho/verify.h"

#include "checks.h"
#include "scratch.h"

void check_coverage(const struct kho_inspection *in, struct cover *c, struct kho_findings *f)
{
	uint64_t page = in->geo.page_size;

	if (in->ho.fdt_phys_unknown) {
		/* An FDT read from a file without --fdt: its page is nowhere known. */
		if (in->ho.abi && in->ho.abi->fdt_preserved)
			kho_flag_sev(f, KHO_CHECK_FDT_NOT_PRESERVED, KHO_SEV_INCOMPLETE, 0,
				     "the KHO FDT came from a file and its address is "
				     "unknown: whether its page is preserved was not checked "
				     "(give --fdt ADDR)");
		kho_flag_sev(f, KHO_CHECK_RADIX_NODE_SCRATCH, KHO_SEV_INCOMPLETE, 0,
			     "the KHO FDT came from a file and its address is unknown: "
			     "whether its page lies in a scratch area was not checked "
			     "(give --fdt ADDR)");
	} else if (in->ho.abi && in->ho.abi->fdt_preserved) {
		cover_need(c, &(struct need){ .a = in->ho.fdt_phys, .b = in->ho.fdt_phys + page,
					      .key = NEED_NO_KEY,
					      .check = KHO_CHECK_FDT_NOT_PRESERVED });
	}
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		uint64_t end = t->phys + t->size;

		if (t->usable && end >= t->phys)
			cover_need(c, &(struct need){ .a = t->phys, .b = end, .len = t->size,
						      .who = t->name, .what = "blob", .index = -1,
						      .key = NEED_NO_KEY,
						      .check = KHO_CHECK_BLOB_NOT_PRESERVED });
	}
	for (size_t i = 0; i < in->npages; i++) {
		const struct kho_tree_page *t = &in->pages[i];
		const char *what = t->level > 0 ? "node" : t->level < 0 ? "chunk" : "leaf";

		if (scratch_any_meets(&in->ho, t->phys, t->bytes))
			kho_flag(f, KHO_CHECK_RADIX_NODE_SCRATCH, t->phys,
				 "level-%d %s page lies in a scratch area: the next kernel may "
				 "overwrite it before reading it", t->level, what);
		cover_need(c, &(struct need){ .a = t->phys, .b = t->phys + t->bytes, .what = what,
					      .index = t->level, .key = NEED_NO_KEY,
					      .check = KHO_CHECK_RADIX_NODE_PRESERVED });
	}
	if (!in->ho.fdt_phys_unknown && scratch_any_meets(&in->ho, in->ho.fdt_phys, page))
		kho_flag(f, KHO_CHECK_RADIX_NODE_SCRATCH, in->ho.fdt_phys,
			 "the KHO FDT page lies in a scratch area");
}
