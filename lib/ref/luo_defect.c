// SPDX-License-Identifier: MIT
/*
 * Defects for the luo-* checks. Each is the smallest corruption that
 * makes its check fire once, at the address docs/luo.md's table names,
 * and is chosen so that nothing else follows from it: a bad block is the
 * last of its chain, a bad next pointer is the last block's, a bad folio
 * record has nothing a later check would still look at. The model
 * (luo.h) is changed with the memory, so expect.json says what a reader
 * now finds. A spec without LUO state gets a minimal one at finalize
 * (one session, one memfd with one folio), as blob defects add blobs.
 */
#include "ref_internal.h"

#include <stdio.h>

#include "../util/util.h"

static bool is(const struct ref_defect *d, const char *v)
{
	return !strcmp(d->variant, v);
}

/* ---- targets: the same choice before and after serializing ---- */

/* Which folio record holds index 0 (nfolios: none). */
static size_t index0_record(const struct luo_file *f)
{
	size_t i = 0;

	while (i < f->nfolios && f->folios[i].index)
		i++;
	return i;
}

/* The first memfd with a folio (@index0: one at index 0, and room for
 * another record: folio records fill the array's pages). */
static struct luo_file *target_memfd(struct kho_ref *ref, bool index0)
{
	uint64_t per_page = ref->geo.page_size / LUO_FOLIO_RECORD;

	for (size_t i = 0; i < ref->luo->ns; i++)
		for (size_t k = 0; k < ref->luo->s[i].nfiles; k++) {
			struct luo_file *f = &ref->luo->s[i].files[k];

			if (f->memfd && f->nfolios && (!index0 || (index0_record(f) < f->nfolios &&
								   f->nfolios % per_page != 0)))
				return f;
		}
	return NULL;
}

static struct luo_session *target_session(struct kho_ref *ref, bool with_files)
{
	for (size_t i = 0; i < ref->luo->ns; i++)
		if (!!ref->luo->s[i].nfiles == with_files)
			return &ref->luo->s[i];
	return NULL;
}

/* ---- the minimal LUO state, added at finalize ---- */

static enum kho_status add_session(struct kho_ref *ref, const char *prefix,
				   struct kho_error *err)
{
	char name[32];

	for (unsigned i = 0;; i++) {
		snprintf(name, sizeof(name), i ? "%s-%u" : "%s", prefix, i);
		if (!luo_find_session(ref->luo, name))
			return kho_ref_luo_session(ref, name, err);
	}
}

/* A 4-page memfd with one order-0 folio at index 0. */
static enum kho_status add_memfd(struct kho_ref *ref, struct kho_error *err)
{
	struct luo_session *s;
	uint64_t token = 1;
	enum kho_status st;

	if (!ref->luo->ns && (st = add_session(ref, "defect", err)))
		return st;
	s = &ref->luo->s[0];
	for (size_t i = 0; i < s->nfiles; i++)
		token = MAX(token, s->files[i].token + 1);
	return kho_ref_luo_memfd(ref, s->name, token, 4 * ref->geo.page_size, 0, 0, err) ?:
	       kho_ref_luo_folio(ref, s->name, token, 0, 0, err);
}

static enum kho_status refuse(const struct kho_ref *ref, const struct ref_defect *d,
			      const char *why, struct kho_error *err)
{
	return kho_error_set(err, KHO_ERR_INVALID, "%s %s: %s", defect_name(d),
			     d->variant, why);
}

enum kho_status luo_defect_prepare(struct kho_ref *ref, struct ref_defect *d,
				   struct kho_error *err)
{
	const char *check = defect_name(d), *v = d->variant;
	bool v1;
	enum kho_status st;

	if (!ref->luo && (st = kho_ref_luo(ref, ref->abi->number == 3 ? 1 : 5, 1, err)))
		return st;
	v1 = ref->luo->version == 1;
	if (v1 && (!strcmp(v, "size") || !strcmp(v, "count0") || !strcmp(v, "cycle") ||
		   !strcmp(v, "misaligned") || !strcmp(v, "seals") || !strcmp(v, "flags")))
		return refuse(ref, d, "luo-v5 only (luo-v1 has no such field)", err);
	if (!strcmp(check, "luo-format"))
		return KHO_OK;
	if (!strcmp(check, "luo-session") && !strcmp(v, "duplicate"))
		while (ref->luo->ns < 2)
			if ((st = add_session(ref, "defect", err)))
				return st;
	if (!strcmp(check, "luo-session") && !strcmp(v, "count") && v1)
		return target_session(ref, false) ? KHO_OK : add_session(ref, "defect-empty", err);
	if (!target_memfd(ref, !strcmp(v, "nr-folios") || !strcmp(v, "overlap")))
		return add_memfd(ref, err);
	return KHO_OK;
}

/* ---- luo-format ---- */

/*
 * luo-pending: the state of a running 7.2/7.3 kernel before
 * liveupdate_reboot(): sessions, their blocks, records and folios are
 * preserved, but sessions_pa is still 0 and the FLB area's count 0.
 */
enum kho_status luo_pending_after(struct kho_ref *ref, struct ref_defect *d,
				  struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	enum kho_status st;

	if (l->version != 5)
		return kho_error_set(err, KHO_ERR_INVALID, "luo-pending: luo-v5 only (luo-v1 "
				     "kernels write their sessions as they are made)");
	l->pending = true;
	st = luo_write_root(ref, "luo-v5", err);
	if (!st && l->flb_page)
		st = mem_put_u64(&ref->mem, l->flb_page + 8, 0, err);
	return st ?: ref_record(ref, "luo-pending", ref->blobs[l->blob].phys, err,
				"LUO: no sessions serialized yet (sessions_pa 0)");
}

enum kho_status luo_format_after(struct kho_ref *ref, struct ref_defect *d,
				 struct kho_error *err)
{
	struct ref_blob *b = &ref->blobs[ref->luo->blob];
	enum kho_status st;

	ref->luo->undecodable = true;
	if (is(d, "size")) {
		b->size = 16;
		st = ref_build_fdt(ref, err);
	} else {
		st = luo_write_root(ref, "luo-v9", err);
	}
	return st ?: ref_record(ref, "luo-format", b->phys, err, "LUO blob: %s",
				is(d, "size") ? "blob-size 16 is not 32" :
				"compatible luo-v9 is not a known LUO format");
}

/* ---- luo-block ---- */

enum kho_status luo_block_after(struct kho_ref *ref, struct ref_defect *d,
				struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	struct luo_session *s = target_session(ref, true);
	uint64_t cap = (ref->geo.page_size - LUO_BLOCK_HDR) / LUO_SESSION_ENTRY, count, last;

	if (is(d, "capacity") && l->version == 1) {
		count = luo_session_capacity(ref) + 1;
		l->sessions_unread = true;
		for (size_t i = 0; i < l->ns; i++)
			l->s[i].unread = true;
		return mem_put_u64(&ref->mem, l->sessions, count, err) ?:
		       ref_record(ref, "luo-block", l->sessions, err,
				  "session array count %llu is above its capacity",
				  (unsigned long long)count);
	}
	/* The session chain's last block gets count 0 ("count0") or one more
	 * than a block holds ("capacity"): its sessions are not read. */
	if (is(d, "count0") || is(d, "capacity")) {
		last = l->blocks[l->nblocks - 1];
		count = is(d, "count0") ? 0 : cap + 1;
		for (size_t i = (l->nblocks - 1) * cap; i < l->ns; i++)
			l->s[i].unread = true;
		return mem_put_u64(&ref->mem, last + 8, count, err) ?:
		       ref_record(ref, "luo-block", last, err, "session block count %llu",
				  (unsigned long long)count);
	}
	/* cycle, misaligned: the last block of a file chain, whose entries
	 * were all read by then. */
	if (!s)
		return refuse(ref, d, "no session has files", err);
	last = s->blocks[s->nblocks - 1];
	if (is(d, "cycle"))
		return mem_put_u64(&ref->mem, last, s->blocks[0], err) ?:
		       ref_record(ref, "luo-block", last, err,
				  "file block next 0x%llx is the chain's first block",
				  (unsigned long long)s->blocks[0]);
	return mem_put_u64(&ref->mem, last, mem_get_u64(&ref->mem, last) + 8, err) ?:
	       ref_record(ref, "luo-block", last, err, "file block next 0x%llx is misaligned",
			  (unsigned long long)mem_get_u64(&ref->mem, last));
}

/* ---- luo-session, luo-file ---- */

/*
 * A session name or file handler field of @size bytes at @at: @str, then
 * NULs or, with @fill 'x', no NUL at all (unterminated). @model, what the
 * reader sees (@size + 1 bytes), gets the same bytes.
 */
static enum kho_status write_field(struct kho_ref *ref, uint64_t at, char *model, size_t size,
				   const char *str, char fill, struct kho_error *err)
{
	char buf[MAX(LUO_NAME_LEN, LUO_COMPAT_LEN)];

	memset(buf, fill, size);
	memcpy(buf, str, strlen(str));
	memcpy(model, buf, size);
	model[size] = '\0';
	return mem_write(&ref->mem, at, buf, size, err);
}

enum kho_status luo_session_after(struct kho_ref *ref, struct ref_defect *d,
				  struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	struct luo_session *s = &l->s[0];
	enum kho_status st;

	if (is(d, "duplicate")) {
		s = &l->s[1];
		st = write_field(ref, s->entry, s->written, LUO_NAME_LEN, l->s[0].name, 0, err);
	} else if (is(d, "unterminated")) {
		st = write_field(ref, s->entry, s->written, LUO_NAME_LEN, s->name, 'x', err);
	} else if (is(d, "count")) {
		s = target_session(ref, l->version == 5);
		s->count = l->version == 5 ? s->count + 1 : 1;
		st = mem_put_u64(&ref->mem, s->entry + 72, s->count, err);
	} else {
		st = write_field(ref, s->entry, s->written, LUO_NAME_LEN, "", 0, err);
	}
	return st ?: ref_record(ref, "luo-session", s->entry, err, "session entry: %s",
				d->variant);
}

enum kho_status luo_file_after(struct kho_ref *ref, struct ref_defect *d,
			       struct kho_error *err)
{
	struct luo_file *f = &target_session(ref, true)->files[0];
	enum kho_status st;

	if (is(d, "handler")) {
		/* The one handler 7.2/7.3 have renamed to one they lack: the
		 * reader lists the entry and no longer decodes a memfd there;
		 * the expectation comes from luo_check_handlers(). */
		if (ref->luo->version != 5)
			return kho_error_set(err, KHO_ERR_INVALID, "defect luo-file handler: "
					     "only luo-v5 has a handler set to miss");
		f->memfd = false;
		return write_field(ref, f->entry, f->handler, LUO_COMPAT_LEN, "vfio-pci-v1", 0,
				   err);
	}
	f->not_followed = true;
	if (is(d, "data")) {
		f->data = 0;
		st = mem_put_u64(&ref->mem, f->entry + 48, 0, err);
	} else {
		st = write_field(ref, f->entry, f->handler, LUO_COMPAT_LEN, f->handler, 'x', err);
	}
	return st ?: ref_record(ref, "luo-file", f->entry, err, "file entry: %s",
				d->variant);
}

/* ---- luo-memfd ---- */

/* Folio record @i is the finding: its folio is not checked. */
static enum kho_status bad_record(struct kho_ref *ref, struct luo_file *f, size_t i,
				  const char *why, struct kho_error *err)
{
	f->bad_records_lo = i;
	f->bad_records_hi = i + 1;
	return ref_record(ref, "luo-memfd", luo_record_addr(ref, f, i), err,
			  "folio record %zu: %s", i, why);
}

static enum kho_status set_nr_folios(struct kho_ref *ref, struct luo_file *f, uint64_t n,
				     struct kho_error *err)
{
	f->nr_folios = f->records = n;
	return mem_put_u64(&ref->mem, f->record + (ref->luo->version == 5 ? 24 : 16), n, err);
}

enum kho_status luo_memfd_after(struct kho_ref *ref, struct ref_defect *d,
				struct kho_error *err)
{
	const char *v = d->variant;
	bool index0 = !strcmp(v, "nr-folios") || !strcmp(v, "overlap");
	struct luo_file *f = target_memfd(ref, index0);
	uint64_t rec0 = luo_record_addr(ref, f, 0), n = f->nfolios;
	enum kho_status st;

	if (!strcmp(v, "seals") || !strcmp(v, "flags")) {
		bool seals = !strcmp(v, "seals");
		uint32_t *field = seals ? &f->seals : &f->flags;

		*field = seals ? *field | 0x40 : 1;
		return mem_put_u32(&ref->mem, f->record + (seals ? 16 : 20), *field, err) ?:
		       ref_record(ref, "luo-memfd", f->record, err, "%s 0x%x: unknown bits", v,
				  *field);
	}
	if (!strcmp(v, "nr-folios")) {
		/* One record more than the array's pages hold (a zero record
		 * inside them is no finding: its pfn 0 is skipped). No record is
		 * read then, so none is checked. */
		uint64_t fit = f->nruns * (ref->geo.page_size / LUO_FOLIO_RECORD);

		st = set_nr_folios(ref, f, fit + 1, err);
		f->records = 0;
		f->bad_records_lo = 0;
		f->bad_records_hi = f->nfolios;
		return st ?: ref_record(ref, "luo-memfd", f->record, err,
					"nr_folios %llu do not fit the folio array",
					(unsigned long long)(fit + 1));
	}
	if (!strcmp(v, "overlap")) {
		uint64_t from = luo_record_addr(ref, f, index0_record(f)), to;

		st = set_nr_folios(ref, f, n + 1, err);
		to = luo_record_addr(ref, f, n);
		return st ?: mem_put_u64(&ref->mem, to, mem_get_u64(&ref->mem, from), err) ?:
		       mem_put_u64(&ref->mem, to + 8, mem_get_u64(&ref->mem, from + 8), err) ?:
		       bad_record(ref, f, n, "a second record of index 0", err);
	}
	if (!strcmp(v, "outside")) {
		uint64_t pfn = (mem_ram_top(&ref->mem) >> ref->geo.page_shift) + 16;

		return mem_put_u64(&ref->mem, rec0, pfn | LUO_FOLIO_DIRTY | LUO_FOLIO_UPTODATE,
				   err) ?:
		       bad_record(ref, f, 0, "pfn beyond RAM", err);
	}
	/* beyond: the first page past the end of the file */
	return mem_put_u64(&ref->mem, rec0 + 8,
			   (f->size + ref->geo.page_size - 1) >> ref->geo.page_shift, err) ?:
	       bad_record(ref, f, 0, "index at or beyond size", err);
}

/* ---- luo-not-preserved: the oracle derives the finding ---- */

enum kho_status luo_not_preserved_before(struct kho_ref *ref, struct ref_defect *d,
					 struct kho_error *err)
{
	struct ref_luo *l = ref->luo;
	const char *v = d->variant;
	struct luo_file *f = target_memfd(ref, false);

	if (!strcmp(v, "block"))
		return l->version == 1 ?
		       kho_ref_unpreserve_folio(ref, l->sessions, LUO_V1_SESSIONS_ORDER, err) :
		       kho_ref_unpreserve_folio(ref, l->blocks[0], 0, err);
	if (!strcmp(v, "flb"))
		return kho_ref_unpreserve_folio(ref, l->flb_page, 0, err);
	if (!strcmp(v, "record"))
		return kho_ref_unpreserve_folio(ref, f->record, 0, err);
	if (!strcmp(v, "chunk"))
		return kho_ref_unpreserve_folio(ref, f->chunks[0], 0, err);
	return kho_ref_unpreserve_folio(ref, f->folios[0].phys, f->folios[0].order, err);
}
