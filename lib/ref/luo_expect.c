// SPDX-License-Identifier: MIT
/*
 * What a verifier must say about the LUO state (docs/luo.md): the
 * luo-not-preserved findings, derived like the other coverage findings
 * from the snapshot of the preserved set, and handovers[].luo. Both come
 * from the model of what was written, as changed by the defects: an
 * undecodable root, a block that is not read, an entry whose pointer is
 * not followed, a folio record that is already a finding.
 */
#include "ref_internal.h"

#include <jansson.h>
#include <stdio.h>

#include "../util/util.h"
#include "kho/check.h"

struct cover {
	struct findings *f;
	const struct range_list *preserved;
	uint64_t *starts;            /* sorted key starts */
	size_t nstarts;
};

/* The LUO blob can be read: the FDT names it and the dump holds it. */
static bool luo_readable(struct kho_ref *ref)
{
	const struct ref_luo *l = ref->luo;
	const struct ref_blob *b;

	if (!l || !l->serialized || l->undecodable || ref->fdt_unusable)
		return false;
	b = &ref->blobs[l->blob];
	return !b->zero_pointer && !b->drop_size &&
	       range_list_first_overlap(&ref->excluded, b->phys, b->size) == UINT64_MAX;
}

/* @key: what the successor restores there (blob-key-start): -1 nothing
 * (coverage only), -2 a key of any order (kho_restore_folio), or the
 * exact order (kho_restore_pages); luo-v1 (7.1) is never judged so. */
static void need(struct cover *c, uint64_t a, uint64_t len, const char *what, int key)
{
	uint64_t p = range_list_first_uncovered(c->preserved, a, len);
	char msg[96];

	if (p == a + len) {
		if (key != -1 && c->f->ref->luo->version == 5 &&
		    !ref_key_starts(c->f->ref, a, key == -2 ? -1 : key))
			oracle_key_start(c->f, a, "restored, but no key starts there");
		return;
	}
	snprintf(msg, sizeof(msg), "%s at 0x%llx is not all preserved", what,
		 (unsigned long long)a);
	oracle_uncovered(c->f, "luo-not-preserved", p, msg);
}

/* kho_restore_folio finds a folio by the key that starts at it. */
static void need_folio(struct cover *c, uint64_t phys)
{
	uint64_t page = c->f->ref->geo.page_size;

	if (bsearch(&phys, c->starts, c->nstarts, sizeof(phys), u64_cmp))
		return;
	if (range_list_first_uncovered(c->preserved, phys, page) == phys + page)
		oracle_key_start(c->f, phys, "folio covered, but no key starts at it");
	else
		oracle_uncovered(c->f, "luo-not-preserved", phys,
				 "folio has no key starting at it");
}

static void cover_memfd(struct cover *c, const struct luo_file *f)
{
	uint64_t p = c->f->ref->geo.page_size;

	need(c, f->record, luo_memfd_size(c->f->ref->luo), "memfd record", -2);
	for (size_t i = 0; i < f->nchunks; i++)
		need(c, f->chunks[i], p, "folio array chunk", 0);
	for (size_t i = 0; i < f->nruns; i++)
		need(c, f->runs[i], p, "folio array page", 0);
	for (size_t i = 0; i < f->nfolios; i++)
		if (i < f->bad_records_lo || i >= f->bad_records_hi)
			need_folio(c, f->folios[i].phys);
}

static void cover_session(struct cover *c, const struct luo_session *s)
{
	uint64_t p = c->f->ref->geo.page_size;

	if (c->f->ref->luo->version == 1 && s->nblocks)
		need(c, s->blocks[0], LUO_FILE_ENTRY * s->nfiles, "file array", -1);
	for (size_t i = 0; c->f->ref->luo->version == 5 && i < s->nblocks; i++)
		need(c, s->blocks[i], p, "file block", -2);
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct luo_file *f = &s->files[i];

		if (f->not_followed)
			continue;
		if (f->memfd)
			cover_memfd(c, f);
		else
			need(c, f->data, 1, "handler record", -1);
	}
}

void luo_check_coverage(struct findings *f, const struct range_list *preserved)
{
	struct kho_ref *ref = f->ref;
	struct ref_luo *l = ref->luo;
	struct cover c = { f, preserved, NULL, 0 };
	uint64_t p = ref->geo.page_size;

	if (!luo_readable(ref))
		return;
	c.starts = malloc((ref->nkeys ? ref->nkeys : 1) * sizeof(*c.starts));
	if (!c.starts) {
		f->st = KHO_ERR_NOMEM;   /* an expectation dropped is a wrong clean */
		return;
	}
	for (size_t i = 0; i < ref->nkeys; i++)
		c.starts[c.nstarts++] = ref->keys[i].phys;
	qsort(c.starts, c.nstarts, sizeof(*c.starts), u64_cmp);
	/* A 7.1 session array whose count is a luo-block finding is not read. */
	if (l->version == 1 && !l->sessions_unread)
		need(&c, l->sessions, 8 + LUO_SESSION_ENTRY * l->ns, "session array", -1);
	for (size_t i = 0; l->version == 5 && i < l->nblocks; i++)
		need(&c, l->blocks[i], p, "session block", -2);
	if (l->flb_page)
		need(&c, l->flb_page, p, "FLB page", -1);
	/* luo_core.c frees the root with kho_restore_free() */
	if (l->version == 5 && range_list_first_uncovered(preserved, ref->blobs[l->blob].phys, 1) !=
	    ref->blobs[l->blob].phys && !ref_key_starts(ref, ref->blobs[l->blob].phys, -1))
		oracle_key_start(f, ref->blobs[l->blob].phys, "LUO root: no key starts there");
	for (size_t i = 0; i < l->ns; i++)
		if (!l->s[i].unread)
			cover_session(&c, &l->s[i]);
	free(c.starts);
}

/*
 * 7.2.13 and 7.3-rc7 register one file handler, memfd-v2; any other
 * string fails the session (-ENOENT). A handler a defect made
 * unterminated is that defect's finding alone. luo-v1 (7.1) is not
 * judged, as the reader does not (lib/luo/decode.c).
 */
void luo_check_handlers(struct findings *out)
{
	const struct ref_luo *l = out->ref->luo;

	if (!luo_readable(out->ref) || l->version != 5 || l->pending)
		return;
	for (size_t i = 0; i < l->ns; i++)
		for (size_t k = 0; !l->s[i].unread && k < l->s[i].nfiles; k++) {
			const struct luo_file *f = &l->s[i].files[k];

			if (strlen(f->handler) < LUO_COMPAT_LEN && strcmp(f->handler, "memfd-v2"))
				oracle_add(out, "luo-file", KHO_SEV_ERROR, f->entry,
					   "handler the successor lacks");
		}
}

/* ---- handovers[].luo ---- */

static json_t *file_json(const struct kho_ref *ref, const struct luo_file *f)
{
	json_t *o = json_pack("{s:s, s:o, s:o}", "compatible", f->handler, "token", jhex(f->token),
			      "data", jhex(f->data));

	if (f->memfd && !f->not_followed)
		json_object_set_new(o, "memfd", json_pack("{s:o, s:o, s:I, s:I, s:I}",
			"size", jhex(f->size), "pos", jhex(f->pos),
			"seals", (json_int_t)(ref->luo->version == 5 ? f->seals : 0),
			"nr_folios", (json_int_t)f->nr_folios,
			"folios", (json_int_t)f->records));
	return o;
}

json_t *luo_json(struct kho_ref *ref)
{
	const struct ref_luo *l = ref->luo;
	json_t *o, *sessions, *flbs;

	if (!luo_readable(ref))
		return NULL;
	sessions = json_array();
	flbs = json_array();
	for (size_t i = 0; i < l->ns && !l->pending; i++) {
		const struct luo_session *s = &l->s[i];
		json_t *files;

		if (s->unread)
			continue;
		files = json_array();
		for (size_t k = 0; k < s->nfiles; k++)
			json_array_append_new(files, file_json(ref, &s->files[k]));
		json_array_append_new(sessions, json_pack("{s:s, s:o}", "name", s->written,
							  "files", files));
	}
	for (size_t i = 0; i < l->nflbs && !l->pending; i++)
		json_array_append_new(flbs, json_pack("{s:s, s:o, s:I}", "name", l->flbs[i].name,
						      "data", jhex(l->flbs[i].data),
						      "count", (json_int_t)l->flbs[i].count));
	o = json_pack("{s:s, s:o, s:I}", "format", l->version == 1 ? "luo-v1" : "luo-v5",
		      "phys", jhex(ref->blobs[l->blob].phys), "liveupdate_num", (json_int_t)l->num);
	/* luo-v5 with sessions_pa 0: as kho-inspect says it */
	if (l->version == 5 && (l->pending || !l->ns))
		json_object_set_new(o, "pending", json_true());
	json_object_set_new(o, "sessions", sessions);
	json_object_set_new(o, "flbs", flbs);
	return o;
}
