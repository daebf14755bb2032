// SPDX-License-Identifier: MIT
/*
 * Sub-nodes of the KHO FDT and the blobs they point at. Each blob is
 * allocated and preserved by its owner, as subsystems do in the kernel.
 */
#include "ref_internal.h"

#include <libfdt.h>
#include <stdio.h>

#include "../util/util.h"

enum kho_status ref_new_blob(struct kho_ref *ref, const char *name,
			     enum blob_kind kind, struct ref_blob **out,
			     struct kho_error *err)
{
	enum kho_status st;

	if ((st = ref_boot(ref, err)))
		return st;
	if (ref->finalized)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "sub-node \"%s\" added after finalize", name);
	if (!name[0] || strlen(name) >= sizeof((*out)->name) || strpbrk(name, "/@ \t"))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "bad sub-node name \"%s\"", name);
	for (size_t i = 0; i < ref->nblobs; i++)
		if (!strcmp(ref->blobs[i].name, name))
			return kho_error_set(err, KHO_ERR_INVALID,
					     "sub-node \"%s\" exists already", name);
	if (ref->abi->map_format == KHO_MAP_V1_CHUNKS && kind != BLOB_FDT &&
	    kind != BLOB_MEMBLOCK && kind != BLOB_KHO_TEST)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "sub-node \"%s\": kho-v1 sub-nodes hold FDT blobs only",
				     name);
	if (!(*out = ARRAY_ADD(ref->blobs, ref->blob_cap, ref->nblobs)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	snprintf((*out)->name, sizeof((*out)->name), "%s", name);
	(*out)->kind = kind;
	return KHO_OK;
}

/* Allocate the blob's folio, preserve it and fill it. */
static enum kho_status place(struct kho_ref *ref, struct ref_blob *b,
			     const void *data, size_t len, struct kho_error *err)
{
	b->order = order_for_bytes(ref, b->size ? b->size : 1);
	return ref_alloc_preserved(ref, b->order, &b->phys, err) ?:
	       (len ? mem_write(&ref->mem, b->phys, data, len, err) : KHO_OK);
}

KHO_EXPORT enum kho_status kho_ref_add_blob_raw(struct kho_ref *ref,
						const char *name, uint64_t size,
						uint8_t fill,
						struct kho_error *err)
{
	struct ref_blob *b;
	enum kho_status st = ref_new_blob(ref, name, BLOB_RAW, &b, err);
	_cleanup_free_ uint8_t *data = NULL;

	if (st)
		return st;
	if (!size || size > ((uint64_t)1 << 30))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "raw blob size must be 1 byte to 1 GiB");
	b->size = size;
	if (fill) {
		data = malloc(size);
		if (!data)
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		memset(data, fill, size);
	}
	return place(ref, b, data, fill ? size : 0, err);
}

static enum kho_status fdt_blob(struct kho_ref *ref, struct ref_blob *b,
				struct kho_error *err)
{
	size_t cap = ref->geo.page_size;
	enum kho_status st;

	for (;;) {
		_cleanup_free_ void *buf = calloc(1, cap);

		if (!buf)
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		st = ref_blob_fdt(b->compatible, ref->regions,
				  b->kind == BLOB_MEMBLOCK ? ref->nregions : 0, buf, cap, err);
		if (st == KHO_ERR_INVALID && cap < (1u << 24)) {
			cap *= 2;
			continue;
		}
		if (st)
			return st;
		b->size = fdt_totalsize(buf);
		if (b->phys && b->size <= kho_order_bytes(&ref->geo, b->order))
			return mem_write(&ref->mem, b->phys, buf, b->size, err);
		if (b->phys)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "sub-node \"%s\" outgrew its pages", b->name);
		return place(ref, b, buf, b->size, err);
	}
}

KHO_EXPORT enum kho_status kho_ref_add_blob_fdt(struct kho_ref *ref,
						const char *name,
						const char *compatible,
						struct kho_error *err)
{
	struct ref_blob *b;
	enum kho_status st = ref_new_blob(ref, name, BLOB_FDT, &b, err);

	if (st)
		return st;
	snprintf(b->compatible, sizeof(b->compatible), "%s", compatible);
	return fdt_blob(ref, b, err);
}

/*
 * packed { u32 version; char previous_release[65]; u32 kexec_count; }.
 * kho_init() of 7.2 and 7.3 (kho_out_kexec_metadata) allocates and adds
 * kexec-metadata right after the FDT page, before any other subsystem
 * can: it is the first sub-node created, so the last one in the FDT.
 * Its bytes are the defaults (@boot_default) until the spec's
 * kexec-metadata line says what it holds.
 */
enum kho_status ref_kexec_metadata(struct kho_ref *ref, const char *release,
				   uint32_t kexec_count, bool boot_default, struct kho_error *err)
{
	uint8_t data[KEXEC_METADATA_SIZE] = { 0 };
	struct ref_blob *b;
	enum kho_status st;

	store_u32(data, 1, false);
	memcpy(data + 4, release, strlen(release));
	store_u32(data + 69, kexec_count, false);
	for (size_t i = 0; i < ref->nblobs; i++)
		if (ref->blobs[i].boot_default) {
			ref->blobs[i].boot_default = false;
			return mem_write(&ref->mem, ref->blobs[i].phys, data, sizeof(data), err);
		}
	if ((st = ref_new_blob(ref, "kexec-metadata", BLOB_KEXEC_METADATA, &b, err)))
		return st;
	b->size = sizeof(data);
	b->boot_default = boot_default;
	return place(ref, b, data, sizeof(data), err);
}

enum kho_status ref_skip_boot_kexec_metadata(struct kho_ref *ref, struct kho_error *err)
{
	if (!ref->abi->kexec_metadata_at_init)
		return kho_error_set(err, KHO_ERR_INVALID, "kexec-metadata none: only %s "
				     "kernels make kexec-metadata at boot", "kho-v4");
	if (ref->booted)
		return kho_error_set(err, KHO_ERR_INVALID, "kexec-metadata none must come "
				     "before the first operation (kho_init makes it)");
	ref->no_boot_kexec = true;
	return KHO_OK;
}

#define KHO_TEST_MAGIC 0x4b484f21u   /* "KHO!" */

/* The kho-test-v1 FDT: root compatible and magic, /data with nr_folios,
 * folios_info (the 16-byte kho_vmalloc) and csum, u32 in native order. */
static int kho_test_fdt(void *buf, size_t cap, uint32_t nr, const uint8_t *desc)
{
	uint8_t magic[4], n[4], csum[4] = { 0 };

	store_u32(magic, KHO_TEST_MAGIC, false);
	store_u32(n, nr, false);
	return fdt_create(buf, (int)cap) ?:
	       fdt_finish_reservemap(buf) ?:
	       fdt_begin_node(buf, "") ?:
	       fdt_property(buf, "compatible", "kho-test-v1", sizeof("kho-test-v1")) ?:
	       fdt_property(buf, "magic", magic, 4) ?:
	       fdt_begin_node(buf, "data") ?:
	       fdt_property(buf, "nr_folios", n, 4) ?:
	       fdt_property(buf, "folios_info", desc, VMALLOC_DESC_SIZE) ?:
	       fdt_property(buf, "csum", csum, 4) ?:
	       fdt_end_node(buf) ?:
	       fdt_end_node(buf) ?:
	       fdt_finish(buf);
}

/*
 * In the module's order (lib/test_kho.c, 7.2.13 and 7.3-rc7): the folios
 * are allocated first, then the FDT's folio of get_order(nr * 8 +
 * PAGE_SIZE), preserved; then the array is vmalloc'd and preserved, each
 * folio preserved as its entry is written; the FDT last, blob-size its
 * totalsize. The folios stay zero, whose checksum is 0 on every arch.
 */
KHO_EXPORT enum kho_status kho_ref_add_kho_test(struct kho_ref *ref, const char *name,
						uint32_t nr_folios, struct kho_error *err)
{
	uint64_t page = ref->geo.page_size, per_page = page / 8, *folio = NULL;
	_cleanup_free_ uint64_t *runs = NULL;
	_cleanup_free_ void *buf = NULL;
	uint8_t desc[VMALLOC_DESC_SIZE];
	enum kho_status st;
	struct ref_blob *b;
	size_t nruns;
	const void *v;

	if (!nr_folios || nr_folios > (1u << 16))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "kho_test %s: %u folios is not 1 to 65536", name, nr_folios);
	if ((st = ref_new_blob(ref, name, BLOB_KHO_TEST, &b, err)))
		return st;
	snprintf(b->compatible, sizeof(b->compatible), "kho-test-v1");
	if (!(folio = calloc(nr_folios, sizeof(*folio))))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < nr_folios && !st; i++)
		st = mem_alloc(&ref->mem, i % 4, &folio[i], err);
	b->order = order_for_bytes(ref, (uint64_t)nr_folios * 8 + page);
	st = st ?: ref_alloc_preserved(ref, b->order, &b->phys, err);
	st = st ?: ref_vmalloc_build(ref, (uint32_t)((nr_folios + per_page - 1) / per_page), 0,
				     desc, &runs, &nruns, NULL, NULL, err);
	for (uint32_t i = 0; i < nr_folios && !st; i++) {
		st = mem_put_u64(&ref->mem, runs[i / per_page] + i % per_page * 8,
				 folio[i] | (i % 4), err);
		st = st ?: kho_ref_preserve_folio(ref, folio[i], i % 4, err);
	}
	free(folio);
	if (st)
		return st;
	if (!(buf = calloc(1, kho_order_bytes(&ref->geo, b->order))))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (kho_test_fdt(buf, kho_order_bytes(&ref->geo, b->order), nr_folios, desc))
		return kho_error_set(err, KHO_ERR_INVALID, "kho_test %s: the FDT does not fit",
				     name);
	b->size = fdt_totalsize(buf);
	v = fdt_getprop(buf, fdt_path_offset(buf, "/data"), "folios_info", NULL);
	b->kt_info = b->phys + (uint64_t)((const uint8_t *)v - (const uint8_t *)buf);
	v = fdt_getprop(buf, fdt_path_offset(buf, "/data"), "nr_folios", NULL);
	b->kt_nr_folios = b->phys + (uint64_t)((const uint8_t *)v - (const uint8_t *)buf);
	v = fdt_getprop(buf, 0, "magic", NULL);
	b->kt_magic = b->phys + (uint64_t)((const uint8_t *)v - (const uint8_t *)buf);
	return mem_write(&ref->mem, b->phys, buf, b->size, err);
}

KHO_EXPORT enum kho_status kho_ref_add_kexec_metadata(struct kho_ref *ref,
						      const char *release,
						      uint32_t kexec_count,
						      struct kho_error *err)
{
	if (strlen(release) > 64)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "release \"%s\" is longer than 64 bytes", release);
	return ref_boot(ref, err) ?: ref_kexec_metadata(ref, release, kexec_count, false, err);
}

KHO_EXPORT enum kho_status kho_ref_add_reserve_mem(struct kho_ref *ref,
						   const char *name,
						   uint64_t start, uint64_t size,
						   struct kho_error *err)
{
	struct ref_blob *mb = NULL;
	struct ref_region *v;
	enum kho_status st;

	if (!name[0] || strlen(name) >= sizeof(v->name) || strpbrk(name, "/@ \t"))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "bad reserve-mem name \"%s\"", name);
	if (!size || !is_aligned(start | size, ref->geo.page_size))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "reserve-mem %s is empty or not page-aligned", name);
	for (size_t i = 0; i < ref->nblobs; i++)
		if (ref->blobs[i].kind == BLOB_MEMBLOCK)
			mb = &ref->blobs[i];
	if (!mb) {
		if ((st = ref_new_blob(ref, "memblock", BLOB_MEMBLOCK, &mb, err)))
			return st;
		snprintf(mb->compatible, sizeof(mb->compatible), "memblock-v1");
	}
	if (!(v = ARRAY_ADD(ref->regions, ref->region_cap, ref->nregions)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->start = start;
	v->size = size;
	/* reserve_mem preserves the region's pages in one run. */
	st = kho_ref_preserve_pages(ref, start >> ref->geo.page_shift,
				    size >> ref->geo.page_shift, err);
	return st ? st : fdt_blob(ref, mb, err);
}

/* Append @v to a growable list, when the caller asked for one. */
static enum kho_status list_add(uint64_t **list, size_t *n, size_t *cap, uint64_t v,
				struct kho_error *err)
{
	if (!list)
		return KHO_OK;
	if (!ARRAY_RESERVE(*list, *cap, *n))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	(*list)[(*n)++] = v;
	return KHO_OK;
}

/*
 * struct kho_vmalloc (16 bytes) names the first of a chain of chunk
 * pages; each chunk is { u64 next; u64 phys[]; } with the phys array
 * ending at the page end or a 0 entry. Every run of 1 << order pages
 * and every chunk page is preserved (kho_preserve_vmalloc, 6.17+).
 */
enum kho_status ref_vmalloc_build(struct kho_ref *ref, uint32_t total_pages,
				  unsigned order, uint8_t desc[VMALLOC_DESC_SIZE],
				  uint64_t **runs, size_t *nruns,
				  uint64_t **chunks, size_t *nchunks,
				  struct kho_error *err)
{
	uint64_t per_chunk = ref->geo.page_size / 8 - 1, chunk = 0, used = 0;
	size_t rcap = 0, ccap = 0;
	enum kho_status st;

	memset(desc, 0, VMALLOC_DESC_SIZE);
	if (runs)
		*runs = NULL, *nruns = 0;
	if (chunks)
		*chunks = NULL, *nchunks = 0;
	/* kho_preserve_vmalloc() (6.17+) allocates the next chunk as soon as
	 * one fills, so runs filling their chunks exactly end the chain with
	 * an empty chunk (a next of 0, a first entry of 0). */
	for (uint32_t run = 0; run <= total_pages >> order; run++) {
		bool last = run == total_pages >> order;
		uint64_t phys, next;

		if (chunk ? used == per_chunk : !last) {
			if ((st = ref_alloc_preserved(ref, 0, &next, err)) ||
			    (st = list_add(chunks, nchunks, &ccap, next, err)))
				return st;
			if (!chunk)
				store_u64(desc, next, false);
			else if ((st = mem_put_u64(&ref->mem, chunk, next, err)))
				return st;
			chunk = next;
			used = 0;
		}
		if (last)
			break;
		/* each run through kho_preserve_pages(), which may split it
		 * at a NUMA node boundary */
		if ((st = mem_alloc(&ref->mem, order, &phys, err)) ||
		    (st = kho_ref_preserve_pages(ref, phys >> ref->geo.page_shift,
						 (uint64_t)1 << order, err)) ||
		    (st = list_add(runs, nruns, &rcap, phys, err)))
			return st;
		if ((st = mem_put_u64(&ref->mem, chunk + 8 + used++ * 8, phys, err)))
			return st;
	}
	store_u32(desc + 8, total_pages, false);
	desc[12] = (uint8_t)(VMALLOC_FLAG_ALLOC | (order ? VMALLOC_FLAG_HUGE_VMAP : 0));
	desc[14] = (uint8_t)order;
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_add_vmalloc(struct kho_ref *ref,
					       const char *name,
					       uint32_t total_pages,
					       unsigned order,
					       struct kho_error *err)
{
	uint8_t desc[VMALLOC_DESC_SIZE];
	struct ref_blob *b;
	enum kho_status st;

	if (!total_pages || order > 16 || total_pages % (1u << order))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "vmalloc %s: %u pages are not whole order-%u runs",
				     name, total_pages, order);
	if ((st = ref_new_blob(ref, name, BLOB_VMALLOC, &b, err)))
		return st;
	b->size = VMALLOC_DESC_SIZE;
	if ((st = place(ref, b, NULL, 0, err)) ||
	    (st = ref_vmalloc_build(ref, total_pages, order, desc, NULL, NULL, NULL, NULL, err)))
		return st;
	return mem_write(&ref->mem, b->phys, desc, sizeof(desc), err);
}
