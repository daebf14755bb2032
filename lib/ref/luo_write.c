// SPDX-License-Identifier: MIT
/*
 * LUO at finalize, as the kernel serializes it at reboot (docs/luo.md
 * "Formats"): every piece is allocated the way kho_alloc_preserve does,
 * one folio (a page, but for 7.1's arrays) preserved as one key, from the
 * spec's allocation regions, in one fixed order (root, session array or FLB
 * page, FLB records, each file's record, folio array and folios, the
 * file arrays or chains, the session chain), then written.
 */
#include "ref_internal.h"

#include <libfdt.h>

#include "../util/util.h"

/* A session, file or FLB entry: { char name[@field], NUL-padded; u64 a, b; }. */
static enum kho_status put_entry(struct kho_ref *ref, uint64_t at, const char *name,
				 size_t field, uint64_t a, uint64_t b, struct kho_error *err)
{
	char buf[LUO_NAME_LEN] = { 0 };

	memcpy(buf, name, MIN(strlen(name), field));
	return mem_write(&ref->mem, at, buf, field, err) ?:
	       mem_put_u64(&ref->mem, at + field, a, err) ?:
	       mem_put_u64(&ref->mem, at + field + 8, b, err);
}

uint64_t luo_record_addr(const struct kho_ref *ref, const struct luo_file *f, size_t i)
{
	uint64_t per = ref->geo.page_size / LUO_FOLIO_RECORD;

	if (i / per >= f->nruns)
		return 0;
	return f->runs[i / per] + (i % per) * LUO_FOLIO_RECORD;
}

/* The folios, their records in a kho_vmalloc array, and the memfd record. */
static enum kho_status place_memfd(struct kho_ref *ref, const struct luo_session *s,
				   struct luo_file *f, struct kho_error *err)
{
	uint64_t p = ref->geo.page_size, pages;
	uint8_t rec[MEMFD_V2_SIZE] = { 0 }, desc[VMALLOC_DESC_SIZE] = { 0 };
	bool v2 = ref->luo->version == 5;
	enum kho_status st;

	if ((st = ref_alloc_preserved(ref, 0, &f->record, err)))
		return st;
	pages = (f->nfolios * LUO_FOLIO_RECORD + p - 1) / p;
	/* No folio, no array: the kho_vmalloc stays zero. */
	if (f->nfolios && (st = ref_vmalloc_build(ref, (uint32_t)pages, 0, desc, &f->runs,
						  &f->nruns, &f->chunks, &f->nchunks, err)))
		return st;
	for (size_t i = 0; i < f->nfolios; i++) {
		struct luo_folio *fo = &f->folios[i];
		uint64_t pfn_flags;

		/* kho_preserve_folio: one key of the folio's order */
		if ((st = ref_alloc_preserved(ref, fo->order, &fo->phys, err)))
			return st;
		for (uint64_t k = 0; k < ((uint64_t)1 << fo->order); k++) {
			uint8_t *page = mem_page(&ref->mem, fo->phys + k * p, true, err);

			if (!page)
				return KHO_ERR_NOMEM;
			luo_page_pattern(s->name, f->token, fo->index + k, page, p);
		}
		pfn_flags = (fo->phys >> ref->geo.page_shift) | LUO_FOLIO_DIRTY |
			    LUO_FOLIO_UPTODATE;
		if ((st = mem_put_u64(&ref->mem, luo_record_addr(ref, f, i), pfn_flags, err)) ||
		    (st = mem_put_u64(&ref->mem, luo_record_addr(ref, f, i) + 8, fo->index, err)))
			return st;
	}
	f->nr_folios = f->records = f->nfolios;
	store_u64(rec, f->pos, false);
	store_u64(rec + 8, f->size, false);
	if (v2) {
		store_u32(rec + 16, f->seals, false);
		store_u32(rec + 20, f->flags, false);
	}
	store_u64(rec + (v2 ? 24 : 16), f->nr_folios, false);
	memcpy(rec + (v2 ? 32 : 24), desc, sizeof(desc));
	return mem_write(&ref->mem, f->record, rec, luo_memfd_size(ref->luo), err);
}

/* Blocks for @n entries of @entry bytes: a v5 chain of pages, or one 7.1
 * array of the order of its kind (files or sessions). */
static enum kho_status alloc_blocks(struct kho_ref *ref, size_t n, size_t entry,
				    uint64_t **blocks, size_t *nblocks, struct kho_error *err)
{
	uint64_t cap = (ref->geo.page_size - LUO_BLOCK_HDR) / entry;
	size_t want = ref->luo->version == 1 ? (n ? 1 : 0) : (size_t)((n + cap - 1) / cap);
	unsigned order = ref->luo->version == 5 ? 0 : entry == LUO_FILE_ENTRY ?
			 LUO_V1_FILES_ORDER : LUO_V1_SESSIONS_ORDER;
	enum kho_status st;

	*nblocks = 0;
	if (!want)
		return KHO_OK;
	*blocks = calloc(want, sizeof(**blocks));
	if (!*blocks)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (; *nblocks < want; ++*nblocks)
		if ((st = ref_alloc_preserved(ref, order, &(*blocks)[*nblocks], err)))
			return st;
	return KHO_OK;
}

/* Where entry @i goes: v1 arrays have no header (files) or a u64 count
 * (sessions); v5 blocks hold (P - 16) / entry each. */
static uint64_t entry_addr(const struct kho_ref *ref, const uint64_t *blocks, size_t i,
			   size_t entry, bool v1_counted)
{
	uint64_t cap = (ref->geo.page_size - LUO_BLOCK_HDR) / entry;

	if (ref->luo->version == 1)
		return blocks[0] + (v1_counted ? 8 : 0) + i * entry;
	return blocks[i / cap] + LUO_BLOCK_HDR + (i % cap) * entry;
}

/* v5 block headers: next and count. */
static enum kho_status link_blocks(struct kho_ref *ref, const uint64_t *blocks, size_t nb,
				   size_t n, size_t entry, struct kho_error *err)
{
	uint64_t cap = (ref->geo.page_size - LUO_BLOCK_HDR) / entry;
	enum kho_status st;

	for (size_t b = 0; b < nb; b++)
		if ((st = mem_put_u64(&ref->mem, blocks[b], b + 1 < nb ? blocks[b + 1] : 0, err)) ||
		    (st = mem_put_u64(&ref->mem, blocks[b] + 8, MIN(cap, n - b * cap), err)))
			return st;
	return KHO_OK;
}

static enum kho_status write_files(struct kho_ref *ref, struct luo_session *s,
				   struct kho_error *err)
{
	enum kho_status st;

	s->count = s->nfiles;
	s->files_head = s->nblocks ? s->blocks[0] : 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		struct luo_file *f = &s->files[i];

		f->entry = entry_addr(ref, s->blocks, i, LUO_FILE_ENTRY, false);
		f->data = f->record;
		if ((st = put_entry(ref, f->entry, f->handler, LUO_COMPAT_LEN, f->data, f->token,
				    err)))
			return st;
	}
	return ref->luo->version == 5 ?
	       link_blocks(ref, s->blocks, s->nblocks, s->nfiles, LUO_FILE_ENTRY, err) : KHO_OK;
}

static enum kho_status write_sessions(struct kho_ref *ref, struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	enum kho_status st;

	for (size_t i = 0; i < l->ns; i++) {
		struct luo_session *s = &l->s[i];
		const uint64_t *at = l->version == 1 ? &l->sessions : l->blocks;

		s->entry = entry_addr(ref, at, i, LUO_SESSION_ENTRY, true);
		memcpy(s->written, s->name, sizeof(s->written));
		if ((st = write_files(ref, s, err)) ||
		    (st = put_entry(ref, s->entry, s->name, LUO_NAME_LEN, s->files_head, s->count,
				    err)))
			return st;
	}
	if (l->version == 1)
		return mem_put_u64(&ref->mem, l->sessions, l->ns, err);
	return link_blocks(ref, l->blocks, l->nblocks, l->ns, LUO_SESSION_ENTRY, err);
}

static enum kho_status write_flbs(struct kho_ref *ref, struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	enum kho_status st;

	if (!l->flb_page)
		return KHO_OK;
	if ((st = mem_put_u64(&ref->mem, l->flb_page, 1, err)) ||
	    (st = mem_put_u64(&ref->mem, l->flb_page + 8, l->nflbs, err)))
		return st;
	for (size_t i = 0; i < l->nflbs; i++) {
		uint64_t e = l->flb_page + LUO_BLOCK_HDR + i * LUO_FLB_ENTRY;

		if ((st = put_entry(ref, e, l->flbs[i].name, LUO_COMPAT_LEN, l->flbs[i].data,
				    l->flbs[i].count, err)))
			return st;
	}
	return KHO_OK;
}

enum kho_status luo_write_root(struct kho_ref *ref, const char *compat, struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	const struct ref_blob *b = &ref->blobs[l->blob];
	_cleanup_free_ uint8_t *buf = calloc(1, ref->geo.page_size);
	uint8_t ser[LUO_SER_SIZE] = { 0 };
	int rc;

	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (l->version == 5) {
		memcpy(ser, compat, MIN(strlen(compat), 8));
		store_u64(ser + 8, l->num, false);
		store_u64(ser + 16, l->nblocks && !l->pending ? l->blocks[0] : 0, false);
		store_u64(ser + 24, l->flb_page, false);
		return mem_write(&ref->mem, b->phys, ser, sizeof(ser), err);
	}
	rc = fdt_create(buf, (int)ref->geo.page_size) ?:
	     fdt_finish_reservemap(buf) ?:
	     fdt_begin_node(buf, "") ?:
	     fdt_property_string(buf, "compatible", compat) ?:
	     ref_prop_u64(buf, "liveupdate-number", l->num) ?:
	     fdt_begin_node(buf, "luo-session") ?:
	     fdt_property_string(buf, "compatible", "luo-session-v1") ?:
	     ref_prop_u64(buf, "luo-session-header", l->sessions) ?:
	     fdt_end_node(buf) ?:
	     fdt_begin_node(buf, "luo-flb") ?:
	     fdt_property_string(buf, "compatible", "luo-flb-v1") ?:
	     ref_prop_u64(buf, "luo-flb-header", l->flb_page) ?:
	     fdt_end_node(buf) ?:
	     fdt_end_node(buf) ?:
	     fdt_finish(buf);
	if (rc)
		return kho_error_set(err, KHO_ERR_INVALID, "LUO FDT: %s", fdt_strerror(rc));
	return mem_write(&ref->mem, b->phys, buf, ref->geo.page_size, err);
}

/* Everything allocated, in the fixed order the file comment gives. */
static enum kho_status allocate(struct kho_ref *ref, struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	struct ref_blob *b = &ref->blobs[l->blob];
	enum kho_status st;

	b->size = l->version == 1 ? ref->geo.page_size : LUO_SER_SIZE;
	b->order = 0;
	if ((st = ref_alloc_preserved(ref, b->order, &b->phys, err)))
		return st;
	/* 7.1 has its session array and FLB page from boot; 7.2+ its FLB
	 * area too: luo_flb_setup_outgoing() (7.2/7.3) allocates one page
	 * (pgcnt 1) at boot whether or not any FLB is ever registered, so
	 * flbs_pa is never 0. */
	if (l->version == 1 &&
	    (st = ref_alloc_preserved(ref, LUO_V1_SESSIONS_ORDER, &l->sessions, err)))
		return st;
	if ((st = ref_alloc_preserved(ref, 0, &l->flb_page, err)))
		return st;
	for (size_t i = 0; i < l->nflbs; i++)
		if (!l->flbs[i].data_set &&
		    (st = ref_alloc_preserved(ref, 0, &l->flbs[i].data, err)))
			return st;
	for (size_t i = 0; i < l->ns; i++) {
		for (size_t k = 0; k < l->s[i].nfiles; k++) {
			struct luo_file *f = &l->s[i].files[k];

			if ((st = f->memfd ? place_memfd(ref, &l->s[i], f, err) :
					     ref_alloc_preserved(ref, 0, &f->record, err)))
				return st;
		}
	}
	for (size_t i = 0; i < l->ns; i++)
		if ((st = alloc_blocks(ref, l->s[i].nfiles, LUO_FILE_ENTRY, &l->s[i].blocks,
				       &l->s[i].nblocks, err)))
			return st;
	return l->version == 5 ?
	       alloc_blocks(ref, l->ns, LUO_SESSION_ENTRY, &l->blocks, &l->nblocks, err) : KHO_OK;
}

enum kho_status luo_serialize(struct kho_ref *ref, struct kho_error *err)
{
	enum kho_status st;

	if (!ref->luo || ref->luo->serialized)
		return KHO_OK;
	ref->luo->serialized = true;
	if ((st = allocate(ref, err)) || (st = write_flbs(ref, err)) ||
	    (st = write_sessions(ref, err)) ||
	    (st = luo_write_root(ref, ref->luo->version == 1 ? "luo-v1" : "luo-v5", err)))
		return kho_error_prepend(err, "LUO");
	return KHO_OK;
}
