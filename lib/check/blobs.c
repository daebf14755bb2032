// SPDX-License-Identifier: MIT
/*
 * blob-fdt: a sub-blob that is an FDT (kho-v1 sub-nodes always; later
 * ones when the blob starts with the FDT magic) must pass libfdt's full
 * structural check and fit in its blob-size. blob-kho-test: the test
 * module's FDT as its successor reads it. What decoded blobs name must be
 * preserved, and what the successor restores must start a key.
 */
#include "kho/verify.h"

#include <libfdt.h>
#include <string.h>

#include "../util/util.h"
#include "checks.h"

#define KHO_TEST_MAGIC 0x4b484f21u   /* "KHO!" */

/*
 * What kho_test_restore() (lib/test_kho.c, 7.2.13 and 7.3-rc7) refuses
 * before it restores anything: the magic, then each property of /data at
 * its size. Then it reads nr_folios entries of the array without asking
 * total_pages: entries past the array's pages are whatever follows it.
 */
static void check_kho_test(const struct kho_inspection *in, const struct kho_subtree *t,
			   struct kho_findings *f)
{
	static const char *const names[] = { "nr_folios", "folios_info", "csum" };
	const int lens[] = { t->u.kho_test.nr_len, t->u.kho_test.info_len,
			     t->u.kho_test.csum_len };
	const int want[] = { 4, 16, 4 };
	uint64_t page = in->geo.page_size, need;
	bool ok = true;

	if (t->u.kho_test.magic_len != 4)
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->phys, "sub-node %s: kho_test: %s", t->name,
			 t->u.kho_test.magic_len < 0 ? "no magic property" :
			 "magic is not 4 bytes long");
	else if (t->u.kho_test.magic != KHO_TEST_MAGIC)
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->phys, "sub-node %s: kho_test: magic 0x%x "
			 "is not 0x%x", t->name, t->u.kho_test.magic, KHO_TEST_MAGIC);
	if (!t->u.kho_test.data) {
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->phys, "sub-node %s: kho_test: no /data "
			 "node", t->name);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (lens[i] != want[i]) {
			ok = false;
			if (lens[i] < 0)
				kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->phys, "sub-node %s: kho_test: "
					 "/data has no %s", t->name, names[i]);
			else
				kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->phys, "sub-node %s: kho_test: "
					 "/data %s is %d bytes, not %d", t->name, names[i], lens[i],
					 want[i]);
		}
	if (!ok)
		return;
	/* test_kho vmalloc's exactly the array of nr_folios u64 */
	need = ((uint64_t)t->u.kho_test.nr_folios * 8 + page - 1) / page;
	if (need > t->u.kho_test.info.total_pages)
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->u.kho_test.info_phys, "sub-node %s: "
			 "kho_test: nr_folios %u needs %llu pages of folios_info, which holds %u: "
			 "the successor reads entries past its array", t->name,
			 t->u.kho_test.nr_folios, HEX(need), t->u.kho_test.info.total_pages);
	else if (need < t->u.kho_test.info.total_pages)
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->u.kho_test.info_phys, "sub-node %s: "
			 "kho_test: folios_info holds %u pages, but nr_folios %u needs %llu",
			 t->name, t->u.kho_test.info.total_pages, t->u.kho_test.nr_folios,
			 HEX(need));
	if (t->u.kho_test.info.order > 20)
		kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->u.kho_test.info_phys, "sub-node %s: "
			 "kho_test: folios_info runs of order %u", t->name,
			 t->u.kho_test.info.order);
	for (size_t i = 0; i < t->u.kho_test.nfolios; i++)
		if (t->u.kho_test.folios[i].order > kho_max_order(&in->geo))
			kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, t->u.kho_test.folios[i].slot,
				 "sub-node %s: kho_test: folio %zu at 0x%llx has order %u",
				 t->name, i, HEX(t->u.kho_test.folios[i].phys),
				 t->u.kho_test.folios[i].order);
	if (t->u.kho_test.unread)
		kho_flag_sev(f, KHO_CHECK_BLOB_KHO_TEST, KHO_SEV_INCOMPLETE, t->u.kho_test.info_phys,
			     "sub-node %s: kho_test: only %zu of %u folio entries could be read "
			     "(the chain, the dump or memory ran short)", t->name,
			     t->u.kho_test.nfolios, t->u.kho_test.nr_folios);
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

/* Judged from what kho_subtree_decode() read: nothing is read twice. */
void check_blobs(const struct kho_inspection *in, struct kho_findings *f)
{
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		uint32_t total = t->fdt_total;

		if (t->unreadable)
			kho_flag(f, KHO_CHECK_BLOB_UNREADABLE, t->phys,
				 "sub-node %s: the blob at 0x%llx is %s: its contents were not "
				 "checked", t->name, HEX(t->phys),
				 t->state == KHO_MEM_ABSENT ? "not memory the dump describes" :
				 "not (wholly) in the dump");
		if (t->kind == KHO_BLOB_KHO_TEST)
			check_kho_test(in, t, f);
		if (t->kind != KHO_BLOB_FDT && t->kind != KHO_BLOB_MEMBLOCK &&
		    t->kind != KHO_BLOB_KHO_TEST)
			continue;
		if (in->ho.abi && in->ho.abi->has_blob_size && t->usable && total > t->size)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys,
				 "sub-node %s: FDT totalsize %u is larger than blob-size %llu",
				 t->name, total, HEX(t->size));
		else if (total < sizeof(struct fdt_header) || total > KHO_FDT_BLOB_MAX)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys, "sub-node %s: FDT totalsize %u is "
				 "implausible", t->name, total);
		else if (t->fdt_check)
			kho_flag(f, KHO_CHECK_BLOB_FDT, t->phys,
				 "sub-node %s: FDT blob: %s", t->name,
				 fdt_strerror(t->fdt_check));
	}
	/* A consumed handover: what the blobs its successor keeps say about
	 * themselves (kexec-metadata), without the map. */
	for (size_t i = 0; in->consumed && i < in->ho.nsubtrees; i++)
		if (in->ho.subtrees[i].kind == KHO_BLOB_KEXEC_METADATA)
			check_kexec(in, &in->ho.subtrees[i], f);
}

/* [@a, +@len) preserved; once it is, a key of order @key starting at @a
 * (NEED_NO_KEY: no key asked). */
static void need_preserved(struct cover *c, uint64_t a, uint64_t len, int key,
			   const struct kho_subtree *t, const char *what, const char *name,
			   long long index)
{
	cover_need(c, &(struct need){ .a = a, .b = a + len, .len = len, .who = t->name,
				      .what = what, .name = name, .index = index, .key = key,
				      .check = KHO_CHECK_BLOB_NOT_PRESERVED });
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

/* Follow a kho_vmalloc chain: every chunk page and run preserved, runs
 * adding up to total_pages (kho_restore_vmalloc, 6.17). */
struct vm_check {
	const struct kho_subtree *t;
	struct cover *c;
	struct kho_findings *f;
	uint64_t page, pages;
	unsigned order;
};

/* The folios test_kho restores with kho_restore_folio(): each a key of its
 * own order starting where its entry says. */
static void check_kho_test_folios(const struct kho_inspection *in,
				  const struct kho_subtree *t, struct cover *c,
				  struct kho_findings *f)
{
	for (size_t i = 0; i < t->u.kho_test.nfolios; i++) {
		const struct kho_test_folio *fo = &t->u.kho_test.folios[i];

		/* the module writes every entry it counts; a 0 is one it never
		 * wrote (nr_folios too large), and what follows is no better */
		if (!fo->phys && !fo->order) {
			kho_flag(f, KHO_CHECK_BLOB_KHO_TEST, fo->slot, "sub-node %s: "
				 "kho_test: folio entry %zu of %u is 0", t->name, i,
				 t->u.kho_test.nr_folios);
			break;
		}
		if (fo->order > kho_max_order(&in->geo))
			continue;   /* blob-kho-test said so */
		need_preserved(c, fo->phys, kho_order_bytes(&in->geo, fo->order), (int)fo->order,
			       t, "kho_test folio", NULL, (long long)i);
	}
}

static bool vm_chunk(void *ctx, uint64_t chunk)
{
	struct vm_check *v = ctx;

	need_preserved(v->c, chunk, v->page, 0, v->t, "vmalloc chunk", NULL, -1);
	return true;
}

static void vm_run(void *ctx, uint64_t slot, uint64_t run)
{
	struct vm_check *v = ctx;

	/* kho_restore_pages() of an aligned run of 1 << order pages wants
	 * exactly one key of that order */
	need_preserved(v->c, run, v->page << v->order, (int)v->order, v->t, "vmalloc run",
		       NULL, -1);
	v->pages += (uint64_t)1 << v->order;
}

static void vm_problem(void *ctx, enum kho_vmalloc_problem what, uint64_t at, uint64_t value)
{
	/* each message takes the sub-node's name, then as much of @value
	 * and the run order as it needs: printf ignores the rest */
	static const struct {
		enum kho_check_id check;
		const char *fmt;
	} says[] = {
		[KHO_VM_LOOP] = { KHO_CHECK_BLOB_VMALLOC, "sub-node %s: the chunk chain loops" },
		[KHO_VM_BAD_CHUNK] = { KHO_CHECK_BLOB_VMALLOC,
				       "sub-node %s: chunk pointer 0x%llx is not a page of memory" },
		[KHO_VM_UNREADABLE] = { KHO_CHECK_BLOB_UNREADABLE,
					"sub-node %s: vmalloc chunk 0x%llx is not in the dump: the "
					"rest of the chain was not checked" },
		[KHO_VM_SELF] = { KHO_CHECK_BLOB_VMALLOC, "sub-node %s: a chunk points at itself" },
		[KHO_VM_BAD_RUN] = { KHO_CHECK_BLOB_VMALLOC,
				     "sub-node %s: run 0x%llx is not aligned to order %u" },
	};
	struct vm_check *v = ctx;

	kho_flag(v->f, says[what].check, at, says[what].fmt, v->t->name, HEX(value), v->order);
}

/* The chain of @vm, a struct kho_vmalloc at @at (the blob, or inside it). */
static void check_vmalloc(struct kho_source *src, const struct kho_inspection *in,
			  const struct kho_subtree *t, const struct kho_vmalloc_desc *vm,
			  uint64_t at, struct cover *c, struct kho_findings *f)
{
	struct vm_check v = { t, c, f, in->geo.page_size, 0, vm->order };
	const struct kho_vmalloc_visitor vis = { &v, vm_chunk, vm_run, vm_problem };

	/* A chain cut short by a finding cannot be counted. */
	if (kho_vmalloc_walk(src, t->phys, vm->first, v.order, &vis, &f->oom) &&
	    v.pages != vm->total_pages)
		kho_flag(f, KHO_CHECK_BLOB_VMALLOC, at,
			 "sub-node %s: the runs hold %llu pages, "
			 "total_pages says %u", t->name, HEX(v.pages), vm->total_pages);
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
			for (size_t r = 0; r < t->u.memblock.n; r++)
				need_preserved(c, t->u.memblock.r[r].start,
					       t->u.memblock.r[r].size, NEED_NO_KEY, t,
					       "reserve-mem region", t->u.memblock.r[r].name, -1);
			if (t->u.memblock.unread)
				kho_flag_sev(f, KHO_CHECK_BLOB_NOT_PRESERVED, KHO_SEV_INCOMPLETE, t->phys,
					     "sub-node %s: %zu reserve-mem regions without a "
					     "readable start and size were not checked", t->name,
					     t->u.memblock.unread);
			break;
		case KHO_BLOB_VMALLOC:
			check_vmalloc(src, in, t, &t->u.vmalloc, t->phys, c, f);
			break;
		case KHO_BLOB_KHO_TEST:
			/* a kho_vmalloc inside the FDT: the same rules */
			if (t->u.kho_test.info_len == 16 && t->u.kho_test.info.first &&
			    t->u.kho_test.info.order <= 20)
				check_vmalloc(src, in, t, &t->u.kho_test.info,
					      t->u.kho_test.info_phys, c, f);
			check_kho_test_folios(in, t, c, f);
			break;
		default:
			break;
		}
	}
}
