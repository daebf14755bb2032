// SPDX-License-Identifier: MIT
/*
 * blob-fdt: a sub-blob that is an FDT (kho-v1 sub-nodes always; later
 * ones when the blob starts with the FDT magic) must pass libfdt's full
 * structural check and fit in its blob-size.
 */
#include "kho/verify.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"
#include "checks.h"


/* Judged from what kho_subtree_decode() read: nothing is read twice. */
void check_blobs(const struct kho_inspection *in, struct kho_findings *f)
{
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		uint32_t total = t->fdt_total;

		if (t->unreadable)
			kho_report(f, "blob-unreadable", t->phys,
				   "sub-node %s: the blob at 0x%llx is %s: its contents were not "
				   "checked", t->name, (unsigned long long)t->phys,
				   t->state == KHO_MEM_ABSENT ? "not memory the dump describes" :
				   "not (wholly) in the dump");
		if (t->kind != KHO_BLOB_FDT && t->kind != KHO_BLOB_MEMBLOCK)
			continue;
		if (in->ho.abi && in->ho.abi->has_blob_size && t->usable && total > t->size)
			kho_report(f, "blob-fdt", t->phys,
				   "sub-node %s: FDT totalsize %u is larger than blob-size %llu",
				   t->name, total, (unsigned long long)t->size);
		else if (total < sizeof(struct fdt_header) || total > KHO_FDT_BLOB_MAX)
			kho_report(f, "blob-fdt", t->phys, "sub-node %s: FDT totalsize %u is "
				   "implausible", t->name, total);
		else if (t->fdt_check)
			kho_report(f, "blob-fdt", t->phys, "sub-node %s: FDT blob: %s", t->name,
				   fdt_strerror(t->fdt_check));
	}
}

#define HEX(x) ((unsigned long long)(x))

static void need_preserved(struct cover *c, uint64_t a, uint64_t len,
			   const struct kho_subtree *t, const char *what,
			   struct kho_findings *f)
{
	uint64_t p = cover_first_gap(c, a, a + len);

	if (p != a + len)
		report_gap(c->in, f, p, "sub-node %s: %s 0x%llx+0x%llx is not preserved from 0x%llx",
			   t->name, what, HEX(a), HEX(len), HEX(p));
}

static void check_kexec(const struct kho_inspection *in, const struct kho_subtree *t,
			struct kho_findings *f)
{
	if (in->ho.abi->has_blob_size && t->usable && t->size != 73)
		kho_report(f, "blob-kexec-metadata", t->phys,
			   "blob-size %llu is not 73", HEX(t->size));
	if (t->u.kexec.version != 1)
		kho_report(f, "blob-kexec-metadata", t->phys, "version %u is not 1",
			   t->u.kexec.version);
	if (strnlen(t->u.kexec.release, 65) == 65)
		kho_report(f, "blob-kexec-metadata", t->phys,
			   "previous_release is not NUL-terminated");
}

/* Follow a kho_vmalloc chain: every chunk page and run preserved, runs
 * adding up to total_pages (kho_restore_vmalloc, 6.17). */
static void check_vmalloc(struct kho_source *src, const struct kho_inspection *in,
			  const struct kho_subtree *t, struct cover *c, struct kho_findings *f)
{
	uint64_t page = in->geo.page_size, per_chunk = page / 8 - 1, pages = 0, run;
	uint64_t chunk = t->u.vmalloc.first, holder = t->phys;
	unsigned order = t->u.vmalloc.order;
	uint8_t *buf = malloc(page);
	bool be = kho_source_big_endian(src);
	struct kho_error e;
	size_t hops = 0;
	bool complete = true;   /* the whole chain was read */

	if (!buf) {
		f->oom = true;
		return;
	}
	while (chunk) {
		/* A chain longer than the dump has pages must loop. */
		if (++hops > (1u << 20) || chunk == t->phys) {
			kho_report(f, "blob-vmalloc", holder, "sub-node %s: the chunk chain loops",
				   t->name);
			complete = false;
			break;
		}
		if (!is_aligned(chunk, page) || chunk >> 63 ||
		    kho_source_state(src, chunk, &run) == KHO_MEM_ABSENT) {
			kho_report(f, "blob-vmalloc", holder, "sub-node %s: chunk pointer 0x%llx "
				   "is not a page of memory", t->name, HEX(chunk));
			complete = false;
			break;
		}
		/* Memory, but not in the dump: the rest of the chain is unknown. */
		if (kho_source_read(src, chunk, buf, page, &e)) {
			kho_report(f, "blob-unreadable", chunk, "sub-node %s: vmalloc chunk 0x%llx "
				   "is not in the dump: the rest of the chain was not checked",
				   t->name, HEX(chunk));
			need_preserved(c, chunk, page, t, "vmalloc chunk", f);
			complete = false;
			break;
		}
		need_preserved(c, chunk, page, t, "vmalloc chunk", f);
		for (uint64_t i = 0; i < per_chunk; i++) {
			uint64_t p = load_u64(buf + 8 + i * 8, be);

			if (!p)
				break;
			if (!is_aligned(p, page << order) || p >> 63) {
				kho_report(f, "blob-vmalloc", chunk + 8 + i * 8, "sub-node %s: run "
					   "0x%llx is not aligned to order %u", t->name, HEX(p), order);
				continue;
			}
			need_preserved(c, p, page << order, t, "vmalloc run", f);
			pages += (uint64_t)1 << order;
		}
		holder = chunk;
		chunk = load_u64(buf, be);
		if (chunk == holder) {
			kho_report(f, "blob-vmalloc", holder, "sub-node %s: a chunk points at "
				   "itself", t->name);
			complete = false;
			break;
		}
	}
	/* A chain cut short by a finding above cannot be counted. */
	if (complete && pages != t->u.vmalloc.total_pages)
		kho_report(f, "blob-vmalloc", t->phys, "sub-node %s: the runs hold %llu pages, "
			   "total_pages says %u", t->name, HEX(pages), t->u.vmalloc.total_pages);
	free(buf);
}

void check_blob_contents(struct kho_source *src, const struct kho_inspection *in,
			 struct cover *c, struct kho_findings *f)
{

	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];

		switch (t->kind) {
		case KHO_BLOB_KEXEC_METADATA:
			check_kexec(in, t, f);
			break;
		case KHO_BLOB_MEMBLOCK:
			for (size_t r = 0; r < t->u.memblock.n; r++) {
				char what[64];

				snprintf(what, sizeof(what), "reserve-mem region %s",
					 t->u.memblock.r[r].name);
				need_preserved(c, t->u.memblock.r[r].start,
					       t->u.memblock.r[r].size, t, what, f);
			}
			if (t->u.memblock.unread)
				kho_report_sev(f, "blob-not-preserved", KHO_SEV_INCOMPLETE, t->phys,
					       "sub-node %s: %zu reserve-mem regions without a "
					       "readable start and size were not checked", t->name,
					       t->u.memblock.unread);
			break;
		case KHO_BLOB_VMALLOC:
			check_vmalloc(src, in, t, c, f);
			break;
		default:
			break;
		}
	}
}
