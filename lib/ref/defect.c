// SPDX-License-Identifier: MIT
/*
 * Defects injected on purpose, one for every check of the verifier. Each
 * is the smallest corruption that makes its check fire. Defects that are
 * operations (preserve something wrong) run before finalize, like any
 * operation; those that corrupt the serialized structures run after, and
 * record the finding the verifier must report. Range-level consequences
 * are not recorded here: expect.c derives them from the final state.
 */
#include "ref_internal.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/typo.h"
#include "../util/util.h"

typedef enum kho_status (*defect_fn)(struct kho_ref *ref, struct ref_defect *d,
				     struct kho_error *err);

enum defect_needs { NEEDS_ANY, NEEDS_RADIX, NEEDS_V1, NEEDS_V2, NEEDS_LUO };

struct defect_def {
	const char *check;
	enum defect_needs needs;
	defect_fn before;   /* an operation, before finalize */
	defect_fn after;    /* a corruption, after finalize */
	const char *variants; /* accepted first words, "" for none */
};

/* A blob by the name in word @name_arg, or the first one (@fdt_only: holding an FDT). */
static struct ref_blob *pick_blob(struct kho_ref *ref, const struct ref_defect *d,
				  int name_arg, bool fdt_only,
				  struct kho_error *err)
{
	const char *name = d->argc > name_arg ? d->argv[name_arg] : NULL;

	for (size_t i = 0; i < ref->nblobs; i++) {
		struct ref_blob *b = &ref->blobs[i];
		bool is_fdt = b->kind == BLOB_FDT || b->kind == BLOB_MEMBLOCK ||
			      b->kind == BLOB_KHO_TEST;

		if (name ? !strcmp(b->name, name) : (!fdt_only || is_fdt))
			return b;
	}
	kho_error_set(err, KHO_ERR_INVALID, "%s: no %ssub-node%s%s to corrupt",
		      d->def->check, fdt_only ? "FDT " : "",
		      name ? " named " : "", name ? name : "");
	return NULL;
}

static void orders_used(void *ctx, uint64_t phys, unsigned order)
{
	*(uint64_t *)ctx |= order < 64 ? 1ull << order : 0;
}

/*
 * Preserve a fresh block at the lowest order no key uses yet: its key
 * then sits alone in its leaf (the order bit differs from every other
 * key's), so the leaf can be emptied or dropped without touching others.
 */
static enum kho_status isolated_key(struct kho_ref *ref, struct ref_defect *d,
				    struct kho_error *err)
{
	uint64_t used = 0;
	struct ref_walk w = { .key = orders_used, .ctx = &used };
	unsigned o;

	radix_walk(ref, &w);
	for (o = 0; o < 12 && (used >> o) & 1; o++)
		;
	if (o == 12)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "%s: orders 0 to 11 are all in use", d->def->check);
	d->order = o;
	return ref_alloc_preserved(ref, o, &d->phys, err);
}

/* Clobber the FDT_END token that closes a blob's structure block. */
static enum kho_status clobber_fdt_end(struct kho_ref *ref, uint64_t fdt,
				       struct kho_error *err)
{
	uint8_t hdr[sizeof(struct fdt_header)];
	uint8_t bad[4] = { 0xde, 0xad, 0xbe, 0xef };

	mem_read(&ref->mem, fdt, hdr, sizeof(hdr));
	return mem_write(&ref->mem, fdt + fdt_off_dt_struct(hdr) +
				    fdt_size_dt_struct(hdr) - 4, bad, 4, err);
}

/* ---- FDT ---- */

/*
 * fdt-header: "end" clobbers the FDT_END token (the header reads, the
 * structure does not); "totalsize" claims two pages, "offsets" puts the
 * structure block past totalsize, "version" asks for a last compatible
 * version no libfdt knows: the header itself fails, and only the root node
 * says it is a KHO FDT (lib/handover/scan.c). After handover-ambiguous the
 * decoy stays an intact stale copy: a clean handover beside a broken one.
 */
static enum kho_status fdt_header_after(struct kho_ref *ref, struct ref_defect *d,
					struct kho_error *err)
{
	const char *v = d->variant;
	uint64_t at = ref->fdt_phys;
	uint8_t hdr[sizeof(struct fdt_header)];

	ref->fdt_unusable = true;
	ref->fdt_damaged_after_decoy = ref->decoy_written;
	if (!strcmp(v, "end"))
		return clobber_fdt_end(ref, at, err) ?:
		       ref_record(ref, "fdt-header", at, err,
				  "structure block does not end with FDT_END");
	mem_read(&ref->mem, at, hdr, sizeof(hdr));
	if (!strcmp(v, "totalsize"))
		store_u32(hdr + 4, (uint32_t)(2 * ref->geo.page_size), true);
	else if (!strcmp(v, "offsets"))
		store_u32(hdr + 8, fdt_totalsize(hdr) + 0x100, true);   /* off_dt_struct */
	else
		store_u32(hdr + 24, 0xff, true);                        /* last_comp_version */
	return mem_write(&ref->mem, at, hdr, sizeof(hdr), err) ?:
	       ref_record(ref, "fdt-header", at, err, "header: %s", v);
}

static enum kho_status fdt_compatible_after(struct kho_ref *ref,
					    struct ref_defect *d,
					    struct kho_error *err)
{
	snprintf(ref->compatible, sizeof(ref->compatible), "kho-vx");
	ref->fdt_unusable = true;
	return ref_build_fdt(ref, err) ?:
	       ref_record(ref, "fdt-compatible", ref->fdt_phys, err,
			  "root compatible \"kho-vx\" is malformed");
}

static enum kho_status fdt_memory_map_after(struct kho_ref *ref,
					    struct ref_defect *d,
					    struct kho_error *err)
{
	const char *v = d->variant;

	if (!strcmp(v, "zero") && ref->abi->zero_map_is_unfinalized)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "fdt-memory-map zero: kho-v1 reads 0 as not finalized (use v1-unfinalized)");
	if (!strcmp(v, "length")) {
		ref->map_prop_len = 4;
	} else {
		ref->map_prop_override = true;
		ref->map_prop_value = !strcmp(v, "zero") ? 0 : ref->map_phys + 0x10;
	}
	ref->map_unusable = true;
	return ref_build_fdt(ref, err) ?:
	       ref_record(ref, "fdt-memory-map", ref->fdt_phys, err,
			  "preserved-memory-map is bad (%s)", v);
}

static enum kho_status fdt_subnode_after(struct kho_ref *ref, struct ref_defect *d,
					 struct kho_error *err)
{
	const char *v = d->variant;
	struct ref_blob *b = pick_blob(ref, d, 1, false, err);

	if (!b)
		return KHO_ERR_INVALID;
	if (!strcmp(v, "no-size")) {
		if (!ref->abi->has_blob_size)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "fdt-subnode no-size: %s has no blob-size",
					     ref->abi->compatible);
		b->drop_size = true;
	} else {
		b->zero_pointer = true;
	}
	return ref_build_fdt(ref, err) ?:
	       ref_record(ref, "fdt-subnode", ref->fdt_phys, err,
			  "sub-node %s: %s", b->name,
			  b->drop_size ? "no blob-size" : "blob pointer is 0");
}

static enum kho_status fdt_not_preserved_before(struct kho_ref *ref,
						struct ref_defect *d,
						struct kho_error *err)
{
	return kho_ref_unpreserve_folio(ref, ref->fdt_phys, 0, err);
}

/* ---- blobs ---- */

static enum kho_status blob_not_preserved_before(struct kho_ref *ref,
						 struct ref_defect *d,
						 struct kho_error *err)
{
	struct ref_blob *b = pick_blob(ref, d, 0, false, err);

	return b ? kho_ref_unpreserve_folio(ref, b->phys, b->order, err) : KHO_ERR_INVALID;
}

static enum kho_status blob_fdt_after(struct kho_ref *ref, struct ref_defect *d,
				      struct kho_error *err)
{
	const char *v = d->variant;
	struct ref_blob *b = pick_blob(ref, d, 1, true, err);
	enum kho_status st;

	if (!b)
		return KHO_ERR_INVALID;
	if (!strcmp(v, "size")) {
		if (!ref->abi->has_blob_size)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "blob-fdt size: %s has no blob-size",
					     ref->abi->compatible);
		b->size -= 8;
		st = ref_build_fdt(ref, err);
	} else {
		st = clobber_fdt_end(ref, b->phys, err);
	}
	return st ?: ref_record(ref, "blob-fdt", b->phys, err,
				"sub-node %s: FDT blob %s", b->name,
				b->drop_size ? "" : !strcmp(v, "size") ?
				"larger than its blob-size" : "fails the structural check");
}

static struct ref_blob *blob_of_kind(struct kho_ref *ref, enum blob_kind kind,
				      const char *check, struct kho_error *err)
{
	for (size_t i = 0; i < ref->nblobs; i++)
		if (ref->blobs[i].kind == kind)
			return &ref->blobs[i];
	kho_error_set(err, KHO_ERR_INVALID, "%s: the image has no such sub-node", check);
	return NULL;
}

static enum kho_status blob_kexec_metadata_after(struct kho_ref *ref, struct ref_defect *d,
						 struct kho_error *err)
{
	struct ref_blob *b = blob_of_kind(ref, BLOB_KEXEC_METADATA, d->def->check, err);

	if (!b)
		return KHO_ERR_INVALID;
	return mem_put_u32(&ref->mem, b->phys, 2, err) ?:
	       ref_record(ref, "blob-kexec-metadata", b->phys, err, "version 2 is not 1");
}

/*
 * blob-vmalloc: total_pages one more than the runs hold, in a vmalloc-blob
 * sub-node (hand-made: no kernel writes one) or, "kho-test", in the
 * kho_test payload's folios_info, a chain a kernel does write (test_kho's
 * own size check, blob-kho-test, fires too).
 */
static enum kho_status blob_vmalloc_after(struct kho_ref *ref, struct ref_defect *d,
					  struct kho_error *err)
{
	bool kt = !strcmp(d->variant, "kho-test");
	struct ref_blob *b = blob_of_kind(ref, kt ? BLOB_KHO_TEST : BLOB_VMALLOC,
					  d->def->check, err);
	uint64_t desc;

	if (!b)
		return KHO_ERR_INVALID;
	desc = kt ? b->kt_info : b->phys;
	return mem_put_u32(&ref->mem, desc + 8, mem_get_u32(&ref->mem, desc + 8) + 1, err) ?:
	       ref_record(ref, "blob-vmalloc", desc, err,
			  "total_pages is one more than the runs hold") ?:
	       /* test_kho also wants exactly the pages nr_folios needs */
	       (kt ? ref_record(ref, "blob-kho-test", desc, err,
				"folios_info one page more than nr_folios needs") : KHO_OK);
}

/*
 * blob-kho-test magic: the root's magic one off ("KHO\"");
 * nr-folios: one entry more than the array's pages hold, which the
 * successor reads from past its array.
 */
static enum kho_status blob_kho_test_after(struct kho_ref *ref, struct ref_defect *d,
					   struct kho_error *err)
{
	struct ref_blob *b = blob_of_kind(ref, BLOB_KHO_TEST, d->def->check, err);
	enum kho_status st;

	if (!b)
		return KHO_ERR_INVALID;
	if (!strcmp(d->variant, "nr-folios")) {
		uint64_t per_page = ref->geo.page_size / 8;
		uint64_t chunk = mem_get_u64(&ref->mem, b->kt_info);
		uint32_t nr = mem_get_u32(&ref->mem, b->kt_nr_folios);
		uint32_t pages = mem_get_u32(&ref->mem, b->kt_info + 8);

		if ((st = mem_put_u32(&ref->mem, b->kt_nr_folios,
				      (uint32_t)(pages * per_page + 1), err)) ||
		    (st = ref_record(ref, "blob-kho-test", b->kt_info, err,
				     "nr_folios one more than folios_info holds")))
			return st;
		/* the entries up to the array's end are read, the first unwritten
		 * one is 0 (when the module's entries do not fill their pages) */
		if (nr % per_page && chunk)
			return ref_record(ref, "blob-kho-test",
					  mem_get_u64(&ref->mem, chunk + 8 + nr / per_page * 8) +
					  nr % per_page * 8, err, "an entry never written");
		return KHO_OK;
	}
	return mem_put_u32(&ref->mem, b->kt_magic, mem_get_u32(&ref->mem, b->kt_magic) + 1, err) ?:
	       ref_record(ref, "blob-kho-test", b->phys, err, "magic 0x4b484f22");
}

/*
 * blob-key-start kho-test-folio: a test folio's entry names the upper half
 * of its folio at one order less: covered by the folio's key, but no key
 * of that order starts there, so kho_restore_folio() refuses it (derived
 * by the oracle from the array, expect.c).
 */
static enum kho_status kho_test_folio_inside(struct kho_ref *ref, struct ref_defect *d,
					     struct kho_error *err)
{
	struct ref_blob *b = blob_of_kind(ref, BLOB_KHO_TEST, d->def->check, err);
	uint64_t page = ref->geo.page_size, chunk, run, e;

	if (!b)
		return KHO_ERR_INVALID;
	chunk = mem_get_u64(&ref->mem, b->kt_info);
	run = chunk ? mem_get_u64(&ref->mem, chunk + 8) : 0;
	for (uint64_t i = 0; run && i < page / 8; i++) {
		e = mem_get_u64(&ref->mem, run + i * 8);
		if (!e || !(e & (page - 1)))
			continue;
		return mem_put_u64(&ref->mem, run + i * 8,
				   (e & ~(page - 1)) + (page << ((e & (page - 1)) - 1)) +
				   (e & (page - 1)) - 1, err);
	}
	return kho_error_set(err, KHO_ERR_INVALID, "blob-key-start kho-test-folio: no test "
			     "folio above order 0 in the first page of %s's array", b->name);
}

/*
 * blob-key-start vmalloc: the chain's first run is pointed at pages inside
 * a larger preserved folio, one run past its start. Covered, so not
 * blob-not-preserved; no key of the run's order starts there, so
 * kho_restore_pages() refuses it. The old run stays preserved and unnamed.
 * The expectation comes from the oracle's walk of the chain (expect.c).
 */
static enum kho_status blob_key_start_after(struct kho_ref *ref, struct ref_defect *d,
					    struct kho_error *err)
{
	struct ref_blob *b;

	if (!strcmp(d->variant, "kho-test-folio"))
		return kho_test_folio_inside(ref, d, err);
	b = blob_of_kind(ref, BLOB_VMALLOC, d->def->check, err);
	uint64_t page = ref->geo.page_size, chunk, run;
	unsigned order;

	if (!b)
		return KHO_ERR_INVALID;
	order = mem_get_u32(&ref->mem, b->phys + 12) >> 16;   /* u16 flags, u16 order */
	chunk = mem_get_u64(&ref->mem, b->phys);
	if (!chunk || !mem_get_u64(&ref->mem, chunk + 8))
		return kho_error_set(err, KHO_ERR_INVALID, "blob-key-start: the vmalloc chain "
				     "of sub-node %s has no run", b->name);
	for (size_t i = 0; i < ref->nkeys; i++) {
		if (ref->keys[i].order <= order + 1)
			continue;
		run = ref->keys[i].phys + (page << order);
		return mem_put_u64(&ref->mem, chunk + 8, run, err);
	}
	return kho_error_set(err, KHO_ERR_INVALID, "blob-key-start: no key of an order above "
			     "%u holds a run: add a folio", order + 1);
}

/* ---- radix structure ---- */

/*
 * radix-pointer and radix-loop: the highest-index empty entry of the first
 * leaf's parent points where no walker may go: outside RAM, misaligned,
 * with bit 63 set; back at the root ("cycle") or at the first leaf a
 * second time ("shared").
 */
static enum kho_status radix_entry_after(struct kho_ref *ref, struct ref_defect *d,
					 struct kho_error *err)
{
	const char *v = d->variant;
	uint64_t first, leaf, parent, i, entry, bad;
	enum kho_status st;

	if (!radix_first_leaf(ref, &first, &leaf))
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the tree has no leaf",
				     d->def->check);
	parent = align_down(first, ref->geo.page_size);
	for (i = (uint64_t)1 << ref->geo.table_log2; i > 0; i--)
		if (!mem_get_u64(&ref->mem, parent + (i - 1) * 8))
			break;
	if (!i)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the leaf's parent is full",
				     d->def->check);
	entry = parent + (i - 1) * 8;
	if (!strcmp(v, "misaligned"))
		bad = leaf + 8;
	else if (!strcmp(v, "bit63"))
		bad = leaf | (1ull << 63);
	else if (!strcmp(v, "shared"))
		bad = leaf;
	else if (!strcmp(v, "cycle"))
		bad = ref->map_phys;
	else
		bad = mem_ram_top(&ref->mem) + 16 * ref->geo.page_size;
	if ((st = mem_put_u64(&ref->mem, entry, bad, err)))
		return st;
	if (!strcmp(d->def->check, "radix-loop"))
		return ref_record(ref, "radix-loop", entry, err,
				  "level-1 entry points at 0x%llx, reached before", HEX(bad));
	return ref_record(ref, "radix-pointer", entry, err, "level-1 entry holds 0x%llx (%s)",
			  HEX(bad), v);
}

static enum kho_status radix_key_width_after(struct kho_ref *ref,
					     struct ref_defect *d,
					     struct kho_error *err)
{
	uint64_t legal = kho_root_entries_legal(&ref->geo), page, entry;
	enum kho_status st;

	if (legal >= ((uint64_t)1 << ref->geo.table_log2))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "radix-key-width: every root index is legal in this geometry");
	if ((st = mem_alloc(&ref->mem, 0, &page, err)) ||
	    !mem_page(&ref->mem, page, true, err))
		return st ? st : KHO_ERR_NOMEM;
	entry = ref->map_phys + legal * 8;
	return mem_put_u64(&ref->mem, entry, page, err) ?:
	       ref_record(ref, "radix-key-width", entry, err,
			  "root entry %llu is beyond the %llu legal ones",
			  (unsigned long long)legal, (unsigned long long)legal);
}

static enum kho_status radix_empty_before(struct kho_ref *ref, struct ref_defect *d,
					  struct kho_error *err)
{
	return isolated_key(ref, d, err) ?: kho_ref_unpreserve_folio(ref, d->phys, d->order, err);
}

/*
 * The first leaf of the map: a radix leaf (a page), or the bitmap of the
 * first kho-v1 chunk's first element (512 bytes or a page). *@entry is
 * where its pointer is stored.
 */
static bool first_map_leaf(struct kho_ref *ref, uint64_t *entry, uint64_t *leaf,
			   uint64_t *bytes)
{
	if (ref->abi->map_format == KHO_MAP_RADIX) {
		*bytes = ref->geo.page_size;
		return radix_first_leaf(ref, entry, leaf);
	}
	if (!ref->map_phys || !mem_get_u32(&ref->mem, ref->map_phys + 12))   /* num_elms */
		return false;
	*entry = ref->map_phys + V1_CHUNK_HDR_SIZE + 8;
	*leaf = mem_get_u64(&ref->mem, *entry);
	*bytes = v1_bits_per_bitmap(ref) / 8;
	return true;
}

/* Copy the first leaf (kho-v1: bitmap) to @to and point its parent there. */
static enum kho_status move_first_leaf(struct kho_ref *ref, uint64_t to,
				       struct kho_error *err)
{
	uint64_t entry, leaf, bytes;
	uint8_t *dst;

	if (!first_map_leaf(ref, &entry, &leaf, &bytes))
		return kho_error_set(err, KHO_ERR_INVALID, "the map has no leaf");
	dst = mem_page(&ref->mem, to, true, err);
	if (!dst)
		return KHO_ERR_NOMEM;
	mem_read(&ref->mem, leaf, dst, bytes);
	/* A 512-byte kho-v1 bitmap leaves its slab page: clear the old copy, or
	 * a reader taking that page for one page-sized bitmap (nothing else in
	 * the data may tell it otherwise) would see its keys twice. */
	if (ref->abi->map_format != KHO_MAP_RADIX && bytes < ref->geo.page_size) {
		uint8_t zero[V1_SMALL_BITMAP_BYTES] = { 0 };
		enum kho_status st = mem_write(&ref->mem, leaf, zero, bytes, err);

		if (st)
			return st;
	}
	ref->leaf_page = NULL;
	for (size_t i = 0; i < ref->nnodes; i++)
		if (ref->nodes[i].phys == leaf) {
			ref->nodes[i].phys = to;   /* the snapshot's node moves with it */
			break;
		}
	return mem_put_u64(&ref->mem, entry, to, err);
}

static enum kho_status radix_node_scratch_after(struct kho_ref *ref,
						struct ref_defect *d,
						struct kho_error *err)
{
	for (size_t i = 0; i < ref->scratch.n; i++) {
		const struct kho_range *s = &ref->scratch.v[i];
		uint64_t p = align_down(range_end(s), ref->geo.page_size);

		while (p >= s->start + ref->geo.page_size && p > s->start) {
			p -= ref->geo.page_size;
			if (!mem_page(&ref->mem, p, false, NULL) &&
			    !ref_is_preserved(ref, p, ref->geo.page_size))
				return move_first_leaf(ref, p, err);
		}
	}
	return kho_error_set(err, KHO_ERR_INVALID,
			     "radix-node-scratch: no free page in a scratch area");
}

static enum kho_status radix_node_preserved_before(struct kho_ref *ref,
						   struct ref_defect *d,
						   struct kho_error *err)
{
	return ref_alloc_preserved(ref, 0, &d->phys, err);
}

static enum kho_status radix_node_preserved_after(struct kho_ref *ref,
						  struct ref_defect *d,
						  struct kho_error *err)
{
	return move_first_leaf(ref, d->phys, err);
}

static enum kho_status radix_unreadable_before(struct kho_ref *ref,
					       struct ref_defect *d,
					       struct kho_error *err)
{
	return strcmp(d->variant, "key") ? KHO_OK : isolated_key(ref, d, err);
}

/*
 * radix-unreadable: the leaf of the isolated key (one key alone in it), or
 * with "fdt" the leaf of the FDT page's key and its neighbours, blobs
 * among them, is not in the dump. What its keys preserve can be neither
 * confirmed nor denied: the coverage checks must say incomplete, not
 * error (expect.c asks lost_leaf).
 *
 * "root": the map's root page is not in the dump (a kdump filtered by a
 * makedumpfile that took it for free memory), so nothing of the map is
 * read: no key, no tree page; every coverage question is incomplete, and
 * the verdict is partial (exit 3, contract Revision 3).
 */
static enum kho_status radix_unreadable_after(struct kho_ref *ref,
					      struct ref_defect *d,
					      struct kho_error *err)
{
	unsigned b = ref->geo.bitmap_log2;
	uint64_t key, leaf;
	size_t k = 0;

	if (!strcmp(d->variant, "root")) {
		ref->nkeys = 0;
		ref->nnodes = 0;
		ref->lost_leaf = true;
		ref->lost_all = true;
		return range_list_add(&ref->excluded, ref->map_phys, ref->geo.page_size, err) ?:
		       ref_record(ref, "radix-unreadable", ref->map_phys, err,
				  "root page is not in the dump");
	}
	key = !strcmp(d->variant, "fdt") ? kho_key_encode(&ref->geo, ref->fdt_phys, 0) :
					   kho_key_encode(&ref->geo, d->phys, d->order);
	if (!radix_leaf_of(ref, key, &leaf))
		return kho_error_set(err, KHO_ERR_INVALID, "radix-unreadable: no leaf to lose");
	/* The verifier never sees this leaf, nor any key in it. */
	for (size_t i = 0; i < ref->nkeys; i++)
		if (kho_key_encode(&ref->geo, ref->keys[i].phys, ref->keys[i].order) >> b !=
		    key >> b)
			ref->keys[k++] = ref->keys[i];
	ref->nkeys = k;
	k = 0;
	for (size_t i = 0; i < ref->nnodes; i++)
		if (ref->nodes[i].phys != leaf)
			ref->nodes[k++] = ref->nodes[i];
	ref->nnodes = k;
	ref->lost_leaf = true;
	ref->lost_leaf_index = key >> b;
	return range_list_add(&ref->excluded, leaf, ref->geo.page_size, err) ?:
	       ref_record(ref, "radix-unreadable", leaf, err, "leaf page is not in the dump");
}

static enum kho_status radix_depth_before(struct kho_ref *ref, struct ref_defect *d,
					  struct kho_error *err)
{
	/* The geometry was chosen when the spec named this defect. */
	return ref_record(ref, "radix-depth", ref->map_phys, err,
			  "tree built with depth %u: order-0 keys lost their order bit",
			  ref->geo.depth);
}

/* ---- ranges (the findings follow from the state; expect.c derives them) ---- */

static enum kho_status range_order_before(struct kho_ref *ref, struct ref_defect *d,
					  struct kho_error *err)
{
	unsigned order = 31 - ref->geo.page_shift;
	uint64_t size = kho_order_bytes(&ref->geo, order), phys;
	char *end;

	/* At the address given, else from the allocator, else above RAM. */
	if (d->argc) {
		phys = strtoull(d->argv[0], &end, 0);
		if (*end || !is_aligned(phys, size))
			return kho_error_set(err, KHO_ERR_INVALID,
					     "range-order: \"%s\" is not a %llu MiB aligned address",
					     d->argv[0], (unsigned long long)(size >> 20));
	} else if (mem_alloc(&ref->mem, order, &phys, NULL)) {
		phys = (mem_ram_top(&ref->mem) + size - 1) & ~(size - 1);
	}
	return kho_ref_preserve_folio(ref, phys, order, err);
}

static enum kho_status range_overlap_before(struct kho_ref *ref, struct ref_defect *d,
					    struct kho_error *err)
{
	uint64_t phys;

	return ref_alloc_preserved(ref, 1, &phys, err) ?:
	       kho_ref_preserve_folio(ref, phys + ref->geo.page_size, 0, err);
}

static enum kho_status range_scratch_before(struct kho_ref *ref, struct ref_defect *d,
					    struct kho_error *err)
{
	for (size_t i = 0; i < ref->scratch.n; i++)
		if (ref->scratch.v[i].size &&
		    is_aligned(ref->scratch.v[i].start, ref->geo.page_size))
			return kho_ref_preserve_folio(ref, ref->scratch.v[i].start, 0, err);
	return kho_error_set(err, KHO_ERR_INVALID, "range-scratch: no scratch area");
}

static enum kho_status range_not_ram_before(struct kho_ref *ref, struct ref_defect *d,
					    struct kho_error *err)
{
	return kho_ref_preserve_folio(ref, mem_ram_top(&ref->mem), 0, err);
}

static enum kho_status range_not_dumped_before(struct kho_ref *ref,
					       struct ref_defect *d,
					       struct kho_error *err)
{
	return ref_alloc_preserved(ref, 0, &d->phys, err) ?:
	       range_list_add(&ref->excluded, d->phys, ref->geo.page_size, err);
}

/* ---- what the verifier cannot see ---- */

/*
 * blob-unreadable: a sub-blob's page (or, "chunk", the first chunk of a
 * vmalloc chain) is left out of the dump, as makedumpfile's filtering
 * might. The key covering it is then also not dumped (expect.c).
 */
static enum kho_status blob_unreadable_after(struct kho_ref *ref, struct ref_defect *d,
					     struct kho_error *err)
{
	const char *v = d->variant;
	struct ref_blob *b = pick_blob(ref, d, 1, false, err);
	uint64_t page = ref->geo.page_size, at;

	if (!b)
		return KHO_ERR_INVALID;
	if (!strcmp(v, "chunk") && b->kind != BLOB_VMALLOC)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "blob-unreadable chunk: sub-node %s is not a vmalloc chain",
				     b->name);
	at = !strcmp(v, "chunk") ? mem_get_u64(&ref->mem, b->phys) : b->phys;
	return range_list_add(&ref->excluded, align_down(at, page), page, err) ?:
	       ref_record(ref, "blob-unreadable", at, err, "sub-node %s: %s is not in the dump",
			  b->name, !strcmp(v, "chunk") ? "vmalloc chunk" : "blob");
}

/*
 * handover-ambiguous: a second KHO FDT that preserves its own page, as a
 * stale handover of an earlier kernel in the chain does: a copy of the
 * final FDT that differs in one header byte (boot_cpuid_phys), in a page
 * preserved like the real one. Only the user, symbols or boot parameters
 * can tell which is the handover.
 */
static enum kho_status handover_ambiguous_before(struct kho_ref *ref, struct ref_defect *d,
						 struct kho_error *err)
{
	return ref_alloc_preserved(ref, 0, &ref->decoy_fdt, err);
}

static enum kho_status handover_ambiguous_after(struct kho_ref *ref, struct ref_defect *d,
						struct kho_error *err)
{
	_cleanup_free_ uint8_t *copy = malloc(ref->geo.page_size);

	if (!copy)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	mem_read(&ref->mem, ref->fdt_phys, copy, ref->geo.page_size);
	store_u32(copy + 0x1c, 1, true);   /* fdt_header.boot_cpuid_phys */
	ref->decoy_written = !ref->fdt_unusable;
	return mem_write(&ref->mem, ref->decoy_fdt, copy, ref->geo.page_size, err);
}

/*
 * handover-consumed: the dump of a successor in user space. Its own KHO
 * FDT (this one's copy, whose kexec-metadata counts one kexec more, in a
 * page preserved like the real one) is the live handover; the real one is
 * the handover it received and consumed. 7.2/7.3 make theirs in kho_init,
 * after freeing the tree of the one they received, and do not preserve
 * the received FDT page again: its page is no key of the live map.
 *
 * Variant intact: the older FDT page stays a key of the map both share,
 * as a live handover beside a stale one of another kexec chain whose
 * count happens to be one more: nothing was consumed, both are rivals
 * (handover-ambiguous).
 */
static enum kho_status handover_consumed_before(struct kho_ref *ref, struct ref_defect *d,
						struct kho_error *err)
{
	enum kho_status st;

	/* fdt_node_check_compatible compares the whole string */
	if (strchr(ref->compatible, ';'))
		return kho_error_set(err, KHO_ERR_INVALID, "handover-consumed: no released "
				     "successor reads a composite compatible, so none consumes it");
	st = strcmp(d->variant, "intact") ? kho_ref_unpreserve_folio(ref, ref->fdt_phys, 0, err) :
					    KHO_OK;
	return st ?: ref_alloc_preserved(ref, 0, &ref->successor_fdt, err) ?:
	       ref_alloc_preserved(ref, 0, &ref->successor_meta, err);
}

static enum kho_status handover_consumed_after(struct kho_ref *ref, struct ref_defect *d,
					       struct kho_error *err)
{
	_cleanup_free_ uint8_t *copy = malloc(ref->geo.page_size);
	const struct ref_blob *meta = blob_of_kind(ref, BLOB_KEXEC_METADATA, d->def->check, NULL);
	uint8_t blob[KEXEC_METADATA_SIZE], raw[8];
	enum kho_status st;
	int node;

	if (!meta)
		return kho_error_set(err, KHO_ERR_INVALID, "handover-consumed: the handover "
				     "needs kexec-metadata (7.1+), which counts the kexecs");
	if (!copy)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	mem_read(&ref->mem, ref->fdt_phys, copy, ref->geo.page_size);
	mem_read(&ref->mem, meta->phys, blob, sizeof(blob));
	store_u32(blob + 69, load_u32(blob + 69, false) + 1, false);
	store_u64(raw, ref->successor_meta, false);
	node = fdt_subnode_offset(copy, 0, meta->name);
	if (node < 0 || fdt_setprop_inplace(copy, node, "preserved-data", raw, 8))
		return kho_error_set(err, KHO_ERR_INVALID, "handover-consumed: no preserved-data "
				     "in sub-node %s", meta->name);
	if ((st = mem_write(&ref->mem, ref->successor_fdt, copy, ref->geo.page_size, err)) ||
	    (st = mem_write(&ref->mem, ref->successor_meta, blob, sizeof(blob), err)))
		return st;
	if (!strcmp(d->variant, "intact")) {   /* expected as a decoy: two rivals */
		ref->decoy_fdt = ref->successor_fdt;
		ref->successor_fdt = 0;
	}
	return KHO_OK;
}

/*
 * dump-truncated: the ELF images end halfway through the last RAM range,
 * where a folio is preserved (its key is then not dumped). Raw images
 * cannot say they were cut: this defect is about ELF dumps.
 */
static enum kho_status dump_truncated_before(struct kho_ref *ref, struct ref_defect *d,
					     struct kho_error *err)
{
	const struct kho_range *last = &ref->mem.ram.v[ref->mem.ram.n - 1];
	uint64_t page = ref->geo.page_size, cut = last->start + last->size / 2;
	size_t npfns = 0;
	_cleanup_free_ uint64_t *pfns = mem_sorted_pfns(&ref->mem, &npfns, err);

	if (!pfns)
		return KHO_ERR_NOMEM;
	/* Above everything written so far and where metadata is allocated:
	 * the handover itself stays in the dump. */
	if (npfns)
		cut = MAX(cut, (pfns[npfns - 1] + 1) * page);
	for (size_t i = 0; i < ref->mem.alloc.n; i++)
		cut = MAX(cut, range_end(&ref->mem.alloc.v[i]));
	ref->cut_phys = align_down(cut + page - 1, page);
	if (ref->cut_phys < last->start || ref->cut_phys + page > range_end(last))
		return kho_error_set(err, KHO_ERR_INVALID, "dump-truncated: no RAM above the "
				     "KHO data to cut the dump in");
	return kho_ref_preserve_folio(ref, ref->cut_phys, 0, err);
}

/* scratch-unknown: the verifier is not told where kho_scratch[] is. */
static enum kho_status scratch_unknown_after(struct kho_ref *ref, struct ref_defect *d,
					     struct kho_error *err)
{
	ref->scratch_untold = true;
	ref->scratch.n = 0;   /* what the verifier will list: nothing */
	return KHO_OK;
}

/* ---- scratch ---- */

static enum kho_status scratch_layout_after(struct kho_ref *ref, struct ref_defect *d,
					    struct kho_error *err)
{
	const char *v = d->variant;
	uint64_t granule = ref->geo.page_size << kho_scratch_align_order(ref->geo.page_size);
	uint64_t base = ref->scratch.n ? ref->scratch.v[0].start : 0;
	uint64_t start = base, size = granule;

	if (!ref->scratch.n)
		return kho_error_set(err, KHO_ERR_INVALID, "scratch-layout: no scratch area");
	/* granule: page-aligned, off the PAGE_SIZE * MAX_ORDER_NR_PAGES grid (a
	 * warning); misaligned: not even page-aligned (an error) */
	if (!strcmp(v, "granule"))
		start = range_end(&ref->scratch.v[ref->scratch.n - 1]) + ref->geo.page_size,
		size = ref->geo.page_size;
	else if (!strcmp(v, "misaligned"))
		start = range_end(&ref->scratch.v[ref->scratch.n - 1]) + 0x100,
		size = ref->geo.page_size;
	/* Only the kho_scratch[] array changes: nothing was allocated here. */
	return range_list_add(&ref->scratch, start, size, err);
}

/* ---- kho-v1 ---- */

static uint64_t v1_last_chunk(struct kho_ref *ref)
{
	uint64_t c = ref->map_phys, last = 0;

	for (uint64_t n = 0; c && n <= ref->mem.npages; n++) {
		last = c;
		c = mem_get_u64(&ref->mem, c);
	}
	return last;
}

static enum kho_status v1_chunk_after(struct kho_ref *ref, struct ref_defect *d,
				      struct kho_error *err)
{
	uint64_t last = v1_last_chunk(ref);

	if (!last)
		return kho_error_set(err, KHO_ERR_INVALID, "v1-chunk: no chunk");
	return mem_put_u64(&ref->mem, last, ref->map_phys, err) ?:
	       ref_record(ref, "v1-chunk", last, err,
			  "next points back at chunk 0x%llx",
			  (unsigned long long)ref->map_phys);
}

static bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* Whether the keys of one bitmap, @order in [@start, @end), exist and
 * touch no sub-blob or reserve-mem region (so losing them costs nothing
 * else). */
static bool v1_keys_plain(struct kho_ref *ref, unsigned order, uint64_t start, uint64_t end)
{
	uint64_t size = kho_order_bytes(&ref->geo, order);
	bool any = false;

	for (size_t i = 0; i < ref->nkeys; i++) {
		const struct ref_key *k = &ref->keys[i];

		if (k->order != order || k->phys < start || k->phys >= end)
			continue;
		any = true;
		for (size_t b = 0; b < ref->nblobs; b++)
			if (overlaps(k->phys, size, ref->blobs[b].phys, MAX(ref->blobs[b].size, 1)))
				return false;
		for (size_t r = 0; r < ref->nregions; r++)
			if (overlaps(k->phys, size, ref->regions[r].start, ref->regions[r].size))
				return false;
	}
	return any;
}

/*
 * One bitmap pointer moved by the smallest amount its map's bitmap size
 * cannot explain: 512 bytes for page bitmaps (it then looks like a
 * 512-byte bitmap, which one element alone must not make the reader
 * believe of the whole map), 256 bytes for 512-byte ones. The element is
 * the last one whose keys cover no blob or region. The verifier reports
 * it and reads none of its keys: they leave the expectation, and the
 * bitmap leaves the tree's pages.
 */
static enum kho_status v1_bitmap_shifted(struct kho_ref *ref, struct kho_error *err)
{
	uint64_t chunk = ref->map_phys, elm = 0, start = 0, end = 0;
	uint64_t cover = v1_bits_per_bitmap(ref), shift = ref->cfg.v1_small_bitmaps ? 256 : 512;
	uint64_t bitmap;
	unsigned order = 0;
	size_t k = 0;

	for (size_t guard = 0; chunk && guard <= ref->mem.npages; guard++) {
		unsigned o = mem_get_u32(&ref->mem, chunk + 8);
		uint32_t n = mem_get_u32(&ref->mem, chunk + 12);

		for (uint32_t i = 0; i < n && i < v1_chunk_capacity(ref); i++) {
			uint64_t e = chunk + V1_CHUNK_HDR_SIZE + (uint64_t)i * V1_ELM_SIZE;
			uint64_t s = mem_get_u64(&ref->mem, e);

			if (v1_keys_plain(ref, o, s, s + (cover << (o + ref->geo.page_shift))))
				elm = e, start = s, order = o,
				end = s + (cover << (o + ref->geo.page_shift));
		}
		chunk = mem_get_u64(&ref->mem, chunk);
	}
	if (!elm)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "v1-bitmap shifted: no bitmap whose keys cover no blob");
	bitmap = mem_get_u64(&ref->mem, elm + 8);
	for (size_t i = 0; i < ref->nkeys; i++)
		if (ref->keys[i].order != order || ref->keys[i].phys < start ||
		    ref->keys[i].phys >= end)
			ref->keys[k++] = ref->keys[i];
	ref->nkeys = k;
	k = 0;
	for (size_t i = 0; i < ref->nnodes; i++)
		if (ref->nodes[i].level || ref->nodes[i].phys != bitmap)
			ref->nodes[k++] = ref->nodes[i];
	ref->nnodes = k;
	return mem_put_u64(&ref->mem, elm + 8, bitmap + shift, err) ?:
	       ref_record(ref, "v1-bitmap", elm, err, "bitmap pointer 0x%llx shifted by %llu bytes",
			  (unsigned long long)bitmap, (unsigned long long)shift);
}

/* v1-bitmap outside: a bitmap element outside memory: num_elms grows by
 * one, no key changes. */
static enum kho_status v1_bitmap_after(struct kho_ref *ref, struct ref_defect *d,
				       struct kho_error *err)
{
	uint64_t last = v1_last_chunk(ref), elm;
	uint32_t used;

	if (!last)
		return kho_error_set(err, KHO_ERR_INVALID, "v1-bitmap: no chunk");
	if (!strcmp(d->variant, "shifted"))
		return v1_bitmap_shifted(ref, err);
	used = mem_get_u32(&ref->mem, last + 12);   /* num_elms */
	if (used >= v1_chunk_capacity(ref))
		return kho_error_set(err, KHO_ERR_INVALID, "v1-bitmap: last chunk is full");
	elm = last + V1_CHUNK_HDR_SIZE + (uint64_t)used * V1_ELM_SIZE;
	return mem_put_u64(&ref->mem, elm, 0, err) ?:
	       mem_put_u64(&ref->mem, elm + 8, mem_ram_top(&ref->mem) + 16 * ref->geo.page_size,
			   err) ?:
	       mem_put_u32(&ref->mem, last + 12, used + 1, err) ?:
	       ref_record(ref, "v1-bitmap", elm, err,
			  "bitmap pointer is outside memory");
}

static const struct defect_def defects[] = {
	{ "fdt-header", NEEDS_ANY, NULL, fdt_header_after, "end totalsize offsets version" },
	{ "fdt-compatible", NEEDS_ANY, NULL, fdt_compatible_after, "" },
	{ "fdt-memory-map", NEEDS_ANY, NULL, fdt_memory_map_after, "length zero misaligned" },
	{ "fdt-subnode", NEEDS_ANY, NULL, fdt_subnode_after, "no-size zero" },
	{ "fdt-not-preserved", NEEDS_V2, fdt_not_preserved_before, NULL, "" },
	{ "blob-not-preserved", NEEDS_ANY, blob_not_preserved_before, NULL, NULL },
	{ "blob-fdt", NEEDS_ANY, NULL, blob_fdt_after, "corrupt size" },
	{ "blob-kexec-metadata", NEEDS_V2, NULL, blob_kexec_metadata_after, "" },
	{ "blob-vmalloc", NEEDS_V2, NULL, blob_vmalloc_after, "blob kho-test" },
	{ "blob-key-start", NEEDS_V2, NULL, blob_key_start_after, "vmalloc kho-test-folio" },
	{ "blob-kho-test", NEEDS_ANY, NULL, blob_kho_test_after, "magic nr-folios" },
	{ "blob-unreadable", NEEDS_ANY, NULL, blob_unreadable_after, "blob chunk" },
	{ "radix-pointer", NEEDS_RADIX, NULL, radix_entry_after, "outside misaligned bit63" },
	{ "radix-loop", NEEDS_RADIX, NULL, radix_entry_after, "cycle shared" },
	{ "radix-key-width", NEEDS_RADIX, NULL, radix_key_width_after, "" },
	{ "radix-depth", NEEDS_RADIX, radix_depth_before, NULL, "" },
	{ "radix-empty", NEEDS_RADIX, radix_empty_before, NULL, "" },
	{ "radix-node-scratch", NEEDS_ANY, NULL, radix_node_scratch_after, "" },
	{ "radix-node-preserved", NEEDS_ANY, radix_node_preserved_before,
	  radix_node_preserved_after, "" },
	{ "range-order", NEEDS_ANY, range_order_before, NULL, NULL },
	{ "range-overlap", NEEDS_ANY, range_overlap_before, NULL, "" },
	{ "range-scratch", NEEDS_ANY, range_scratch_before, NULL, "" },
	{ "range-not-ram", NEEDS_ANY, range_not_ram_before, NULL, "" },
	{ "range-not-dumped", NEEDS_ANY, range_not_dumped_before, NULL, "" },
	{ "radix-unreadable", NEEDS_RADIX, radix_unreadable_before, radix_unreadable_after,
	  "key fdt root" },
	{ "scratch-layout", NEEDS_ANY, NULL, scratch_layout_after, "overlap granule misaligned" },
	{ "v1-chunk", NEEDS_V1, NULL, v1_chunk_after, "" },
	{ "v1-bitmap", NEEDS_V1, NULL, v1_bitmap_after, "outside shifted" },
	{ "scratch-unknown", NEEDS_ANY, NULL, scratch_unknown_after, "" },
	{ "dump-truncated", NEEDS_ANY, dump_truncated_before, NULL, "" },
	{ "handover-consumed", NEEDS_V2, handover_consumed_before, handover_consumed_after,
	  "consumed intact" },
	{ "handover-ambiguous", NEEDS_ANY, handover_ambiguous_before, handover_ambiguous_after,
	  "" },
	{ "luo-format", NEEDS_LUO, NULL, luo_format_after, "compatible size" },
	{ "luo-pending", NEEDS_LUO, NULL, luo_pending_after, "" },
	{ "luo-block", NEEDS_LUO, NULL, luo_block_after, "count0 capacity cycle misaligned" },
	{ "luo-session", NEEDS_LUO, NULL, luo_session_after, "empty unterminated duplicate count" },
	{ "luo-file", NEEDS_LUO, NULL, luo_file_after, "unterminated data handler" },
	{ "luo-memfd", NEEDS_LUO, NULL, luo_memfd_after,
	  "seals flags nr-folios outside beyond overlap" },
	{ "luo-not-preserved", NEEDS_LUO, luo_not_preserved_before, NULL,
	  "block record folio chunk flb" },
};

const char *defect_name(const struct ref_defect *d)
{
	return d->def->check;
}

KHO_EXPORT const char *const *kho_ref_defect_names(void)
{
	static const char *names[ARRAY_SIZE(defects) + 1];

	for (size_t i = 0; i < ARRAY_SIZE(defects); i++)
		names[i] = defects[i].check;
	return names;
}

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

KHO_EXPORT enum kho_status kho_ref_inject(struct kho_ref *ref, const char *check,
					  int argc, char **argv,
					  struct kho_error *err)
{
	const struct defect_def *def = NULL;
	struct ref_defect *d;
	bool radix = ref->abi->map_format == KHO_MAP_RADIX;
	const char *v;

	for (size_t i = 0; i < ARRAY_SIZE(defects); i++)
		if (!strcmp(defects[i].check, check))
			def = &defects[i];
	if (!def) {
		const char *near = typo_closest(check, &defects[0].check, ARRAY_SIZE(defects),
						sizeof(defects[0]), 3);

		return kho_error_set(err, KHO_ERR_INVALID, "no defect named \"%.60s\"%s%s%s "
				     "(kho-mkimage --list-defects lists them)", check,
				     near ? "; did you mean " : "", near ? near : "",
				     near ? "?" : "");
	}
	if (ref->finalized)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "defect %s after finalize", check);
	if ((def->needs == NEEDS_RADIX && !radix) || (def->needs == NEEDS_V1 && radix) ||
	    (def->needs == NEEDS_V2 && ref->abi->number < 2) ||
	    (def->needs == NEEDS_LUO && ref->abi->number != 3 && ref->abi->number != 4))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "defect %s does not apply to %s", check,
				     ref->abi->compatible);
	if (argc > DEFECT_MAX_ARGS)
		return kho_error_set(err, KHO_ERR_INVALID, "defect %s: too many words", check);
	if (argc && def->variants && !word_in(argv[0], def->variants))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "defect %s: unknown variant \"%s\"%s%s%s", check, argv[0],
				     def->variants[0] ? " (known: " : "",
				     def->variants[0] ? def->variants : "", def->variants[0] ? ")" : "");
	if (!strcmp(check, "radix-depth")) {
		/* Only the geometry can carry this one, and only from boot. */
		if (ref->geo.page_size != 16384 || ref->booted)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "defect radix-depth needs 16K pages and must come before the first operation");
		kho_geometry_init(&ref->geo, ref->geo.page_size, true);
	}
	if (!(d = ARRAY_ADD(ref->defects, ref->defect_cap, ref->ndefects)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	d->def = def;
	d->argc = argc;
	for (int i = 0; i < argc; i++)
		snprintf(d->argv[i], sizeof(d->argv[i]), "%s", argv[i]);
	/* The default variant is the first, or what this ABI can show instead:
	 * kho-v1 has no blob-size, luo-v1 (kho-v3) no block count or seals. */
	v = argc ? argv[0] : def->variants ? def->variants : "";
	if (!argc && !strcmp(check, "fdt-subnode") && !ref->abi->has_blob_size)
		v = "zero";
	else if (!argc && ref->abi->number == 3 && !strcmp(check, "luo-block"))
		v = "capacity";
	else if (!argc && ref->abi->number == 3 && !strcmp(check, "luo-memfd"))
		v = "beyond";
	snprintf(d->variant, sizeof(d->variant), "%.*s", (int)strcspn(v, " "), v);
	return KHO_OK;
}

enum kho_status ref_defects_run(struct kho_ref *ref, enum defect_phase phase,
				struct kho_error *err)
{
	for (size_t i = 0; i < ref->ndefects; i++) {
		struct ref_defect *d = &ref->defects[i];
		/* a LUO defect first adds the LUO state it needs, before LUO serializes */
		defect_fn fn = phase == PHASE_BEFORE ? d->def->before : phase == PHASE_AFTER ?
			       d->def->after : d->def->needs == NEEDS_LUO ? luo_defect_prepare : NULL;
		enum kho_status st;

		/* Corruptions adjust the snapshot of the clean tree, so the first
		 * takes it; otherwise it is taken only when asked for (2^27 keys
		 * of a benchmark tree would take 2 GiB). */
		if (phase == PHASE_AFTER && fn && !ref->snapshot_taken && (st = ref_snapshot(ref, err)))
			return st;
		if (fn && (st = fn(ref, d, err)))
			return kho_error_prepend(err, "defect %s", d->def->check);
	}
	return KHO_OK;
}
