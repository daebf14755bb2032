// SPDX-License-Identifier: MIT
/*
 * blob-fdt: a sub-blob that is an FDT (kho-v1 sub-nodes always; later
 * ones when the blob starts with the FDT magic) must pass libfdt's full
 * structural check and fit in its blob-size.
 */
#include "kho/verify.h"

#include <libfdt.h>
#include <stdarg.h>
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
			kho_flag(f, KHO_CHECK_BLOB_UNREADABLE, t->phys,
				 "sub-node %s: the blob at 0x%llx is %s: its contents were not "
				 "checked", t->name, (unsigned long long)t->phys,
				 t->state == KHO_MEM_ABSENT ? "not memory the dump describes" :
				 "not (wholly) in the dump");
		if (t->kind != KHO_BLOB_FDT && t->kind != KHO_BLOB_MEMBLOCK)
			continue;
		if (in->ho.abi && in->ho.abi->has_blob_size && t->usable && total > t->size)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys,
				 "sub-node %s: FDT totalsize %u is larger than blob-size %llu",
				 t->name, total, (unsigned long long)t->size);
		else if (total < sizeof(struct fdt_header) || total > KHO_FDT_BLOB_MAX)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys, "sub-node %s: FDT totalsize %u is "
				 "implausible", t->name, total);
		else if (t->fdt_check)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys,
				 "sub-node %s: FDT blob: %s", t->name,
				 fdt_strerror(t->fdt_check));
	}
}

#define HEX(x) ((unsigned long long)(x))

static bool need_preserved(struct cover *c, uint64_t a, uint64_t len,
			   const struct kho_subtree *t, const char *what,
			   struct kho_findings *f)
{
	uint64_t p = cover_first_gap(c, a, a + len);

	if (p != a + len)
		report_gap(c->in, f, p, "sub-node %s: %s 0x%llx+0x%llx is not preserved from 0x%llx",
			   t->name, what, HEX(a), HEX(len), HEX(p));
	return p == a + len;
}

int key_order_at(struct kho_source *src, const struct kho_inspection *in, uint64_t phys)
{
	const struct kho_geometry *geo = &in->geo;
	bool unknown = false;

	for (unsigned o = 0; o <= kho_max_order(geo); o++) {
		int hit;

		if (phys & (kho_order_bytes(geo, o) - 1))
			break;
		if ((hit = kho_inspection_key(src, in, phys, o)) == 1)
			return (int)o;
		unknown |= hit < 0;
		if (o + geo->page_shift >= 63)
			break;
	}
	return unknown ? -2 : -1;
}

/* Asked only once the union is known and only of covered memory, so a
 * page is either not preserved or not restorable, never both. A key that
 * may sit in a part of the map that could not be read is not guessed at. */
void need_key_start(struct kho_source *src, const struct kho_inspection *in,
		    struct cover *c, uint64_t phys, int order, struct kho_findings *f,
		    const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	int got;

	if (c->collecting || !in->walked)
		return;
	got = order < 0 ? key_order_at(src, in, phys) : kho_inspection_key(src, in, phys,
									     (unsigned)order);
	if (order < 0 ? got != -1 : got != 0)
		return;
	if (kho_inspection_may_preserve(in, phys))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (order < 0)
		kho_flag(f, KHO_CHECK_BLOB_KEY_START, phys, "%s: no key starts at 0x%llx, "
			 "though a larger one covers it: kho_restore_folio() refuses it", msg,
			 HEX(phys));
	else
		kho_flag(f, KHO_CHECK_BLOB_KEY_START, phys, "%s: no order-%d key starts at "
			 "0x%llx, though it is covered: kho_restore_pages() refuses a page no "
			 "key starts at, and after a smaller key restores only that key's pages",
			 msg, order, HEX(phys));
}

/* As 7.3's readers take it: blob-size >= 4 for the version, version 1,
 * then blob-size >= 73 for the rest (a larger blob is fine). */
static void check_kexec(const struct kho_inspection *in, const struct kho_subtree *t,
			struct kho_findings *f)
{
	bool sized = in->ho.abi->has_blob_size && t->usable;

	if (sized && t->size < 4) {
		kho_flag(f, KHO_CHECK_BLOB_KEXEC_METADATA, t->phys,
			 "blob-size %llu cannot hold the version", HEX(t->size));
		return;
	}
	if (t->u.kexec.version != 1) {
		kho_flag(f, KHO_CHECK_BLOB_KEXEC_METADATA, t->phys, "version %u is not 1",
			 t->u.kexec.version);
		return;
	}
	if (sized && t->size < 73)
		kho_flag(f, KHO_CHECK_BLOB_KEXEC_METADATA, t->phys,
			 "blob-size %llu is less than the 73 bytes of version 1", HEX(t->size));
	else if (strnlen(t->u.kexec.release, 65) == 65)
		kho_flag(f, KHO_CHECK_BLOB_KEXEC_METADATA, t->phys,
			 "previous_release is not NUL-terminated");
}

/* Follow a kho_vmalloc chain: every chunk page and run preserved, runs
 * adding up to total_pages (kho_restore_vmalloc, 6.17). */
struct vm_check {
	struct kho_source *src;
	const struct kho_inspection *in;
	const struct kho_subtree *t;
	struct cover *c;
	struct kho_findings *f;
	uint64_t page, pages;
	unsigned order;
};

static bool vm_chunk(void *ctx, uint64_t chunk)
{
	struct vm_check *v = ctx;

	if (need_preserved(v->c, chunk, v->page, v->t, "vmalloc chunk", v->f))
		need_key_start(v->src, v->in, v->c, chunk, 0, v->f, "sub-node %s: vmalloc chunk",
			       v->t->name);
	return true;
}

static void vm_run(void *ctx, uint64_t slot, uint64_t run)
{
	struct vm_check *v = ctx;

	(void)slot;
	/* kho_restore_pages() of an aligned run of 1 << order pages wants
	 * exactly one key of that order */
	if (need_preserved(v->c, run, v->page << v->order, v->t, "vmalloc run", v->f))
		need_key_start(v->src, v->in, v->c, run, (int)v->order, v->f,
			       "sub-node %s: vmalloc run", v->t->name);
	v->pages += (uint64_t)1 << v->order;
}

static void vm_problem(void *ctx, enum kho_vmalloc_problem what, uint64_t at, uint64_t value)
{
	struct vm_check *v = ctx;
	const char *name = v->t->name;

	switch (what) {
	case KHO_VM_LOOP:
		kho_flag(v->f, KHO_CHECK_BLOB_VMALLOC, at,
			 "sub-node %s: the chunk chain loops", name);
		break;
	case KHO_VM_BAD_CHUNK:
		kho_flag(v->f, KHO_CHECK_BLOB_VMALLOC, at,
			 "sub-node %s: chunk pointer 0x%llx is not "
			 "a page of memory", name, HEX(value));
		break;
	case KHO_VM_UNREADABLE:
		kho_flag(v->f, KHO_CHECK_BLOB_UNREADABLE, at,
			 "sub-node %s: vmalloc chunk 0x%llx is "
			 "not in the dump: the rest of the chain was not checked", name,
			 HEX(value));
		break;
	case KHO_VM_SELF:
		kho_flag(v->f, KHO_CHECK_BLOB_VMALLOC, at,
			 "sub-node %s: a chunk points at itself", name);
		break;
	case KHO_VM_BAD_RUN:
		kho_flag(v->f, KHO_CHECK_BLOB_VMALLOC, at,
			 "sub-node %s: run 0x%llx is not aligned to "
			 "order %u", name, HEX(value), v->order);
		break;
	}
}

static void check_vmalloc(struct kho_source *src, const struct kho_inspection *in,
			  const struct kho_subtree *t, struct cover *c, struct kho_findings *f)
{
	struct vm_check v = { src, in, t, c, f, in->geo.page_size, 0, t->u.vmalloc.order };
	const struct kho_vmalloc_visitor vis = { &v, vm_chunk, vm_run, vm_problem };

	/* A chain cut short by a finding cannot be counted. */
	if (kho_vmalloc_walk(src, t->phys, t->u.vmalloc.first, v.order, &vis, &f->oom) &&
	    v.pages != t->u.vmalloc.total_pages)
		kho_flag(f, KHO_CHECK_BLOB_VMALLOC, t->phys,
			 "sub-node %s: the runs hold %llu pages, "
			 "total_pages says %u", t->name, HEX(v.pages), t->u.vmalloc.total_pages);
}

void check_kept_blobs(const struct kho_inspection *in, struct kho_findings *f)
{
	for (size_t i = 0; i < in->ho.nsubtrees; i++)
		if (in->ho.subtrees[i].kind == KHO_BLOB_KEXEC_METADATA)
			check_kexec(in, &in->ho.subtrees[i], f);
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
				kho_flag_sev(f, KHO_CHECK_BLOB_NOT_PRESERVED, KHO_SEV_INCOMPLETE, t->phys,
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
