// SPDX-License-Identifier: MIT
/*
 * Where a candidate stands in a kexec chain: the kexec-metadata blob
 * (7.1+) a kernel writes into its own handover counts the kexecs before
 * it, so the handover a kernel received counts one less than the one it
 * makes. A kernel makes its own handover in kho_init (an fs_initcall),
 * after memblock_free_all has freed the pages of the one it received:
 * once both are in a dump, the older one is consumed.
 */
#include "kho/handover.h"

#include <libfdt.h>
#include <stdlib.h>

#include "../util/util.h"

#define KEXEC_METADATA_SIZE 73

bool kho_candidate_kexec_count(struct kho_source *src, const struct kho_candidate *c,
			       uint32_t *count)
{
	bool be = kho_source_big_endian(src), ok = false;
	uint8_t meta[KEXEC_METADATA_SIZE];
	struct kho_error err;
	const void *prop;
	_cleanup_free_ void *fdt = NULL;
	int node, len;

	if (!c->size || c->size > kho_source_page_size(src) || !(fdt = malloc(c->size)))
		return false;
	if (!kho_source_read(src, c->phys, fdt, c->size, &err) && !fdt_check_header(fdt) &&
	    fdt_totalsize(fdt) <= c->size &&
	    (node = fdt_subnode_offset(fdt, 0, "kexec-metadata")) >= 0 &&
	    (prop = fdt_getprop(fdt, node, "preserved-data", &len)) && len == 8 &&
	    !kho_source_read(src, load_u64(prop, be), meta, sizeof(meta), &err) &&
	    load_u32(meta, be) == 1) {
		*count = load_u32(meta + 69, be);
		ok = true;
	}
	return ok;
}
