// SPDX-License-Identifier: MIT
/*
 * blob-fdt: a sub-blob that is an FDT (kho-v1 sub-nodes always; later
 * ones when the blob starts with the FDT magic) must pass libfdt's full
 * structural check and fit in its blob-size.
 */
#include "kho/verify.h"

#include <libfdt.h>
#include <stdlib.h>

#include "../util/util.h"

#define BLOB_FDT_MAX (1u << 20)   /* larger FDT blobs are not read */

KHO_EXPORT void kho_check_blobs(struct kho_source *src, const struct kho_inspection *in,
				struct kho_findings *f)
{
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		struct fdt_header h;
		struct kho_error e;
		uint32_t total;
		uint8_t *buf;
		int rc;

		if (!t->phys || kho_source_read(src, t->phys, &h, sizeof(h), &e) ||
		    fdt_magic(&h) != FDT_MAGIC)
			continue;
		total = fdt_totalsize(&h);
		if (in->ho.abi && in->ho.abi->has_blob_size && t->usable && total > t->size) {
			kho_report(f, "blob-fdt", t->phys,
				   "sub-node %s: FDT totalsize %u is larger than blob-size %llu",
				   t->name, total, (unsigned long long)t->size);
			continue;
		}
		if (total < sizeof(h) || total > BLOB_FDT_MAX) {
			kho_report(f, "blob-fdt", t->phys, "sub-node %s: FDT totalsize %u is "
				   "implausible", t->name, total);
			continue;
		}
		buf = malloc(total);
		if (!buf) {
			f->oom = true;
			return;
		}
		if (kho_source_read(src, t->phys, buf, total, &e) == KHO_OK &&
		    (rc = fdt_check_full(buf, total)))
			kho_report(f, "blob-fdt", t->phys, "sub-node %s: FDT blob: %s", t->name,
				   fdt_strerror(rc));
		free(buf);
	}
}
