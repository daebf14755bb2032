// SPDX-License-Identifier: MIT
/*
 * The LUO state a spec describes: sessions of files (memfds with their
 * folios, files of other handlers) and FLBs, in the order user space
 * created them. Nothing is allocated here: the kernel serializes LUO at
 * reboot, so the reference lays it out at finalize (luo_write.c). What
 * could never come out of a kernel is refused here, with the reason.
 */
#include "ref_internal.h"

#include <stdio.h>

#include "../util/util.h"

uint64_t luo_session_capacity(const struct kho_ref *ref)
{
	uint64_t p = ref->geo.page_size;

	/* 7.1: one u64 count before a 16-page array; 7.2+: any number of blocks */
	if (ref->luo->version == 1)
		return ((p << LUO_V1_SESSIONS_ORDER) - 8) / LUO_SESSION_ENTRY;
	return UINT64_MAX;
}

uint64_t luo_memfd_size(const struct ref_luo *l)
{
	return l->version == 1 ? MEMFD_V1_SIZE : MEMFD_V2_SIZE;
}

void luo_free(struct kho_ref *ref)
{
	struct ref_luo *l = ref->luo;

	if (!l)
		return;
	for (size_t i = 0; i < l->ns; i++) {
		for (size_t k = 0; k < l->s[i].nfiles; k++) {
			free(l->s[i].files[k].folios);
			free(l->s[i].files[k].chunks);
			free(l->s[i].files[k].runs);
		}
		free(l->s[i].files);
		free(l->s[i].blocks);
	}
	free(l->s);
	free(l->flbs);
	free(l->blocks);
	free(l);
	ref->luo = NULL;
}

struct luo_session *luo_find_session(struct ref_luo *l, const char *name)
{
	for (size_t i = 0; l && i < l->ns; i++)
		if (!strcmp(l->s[i].name, name))
			return &l->s[i];
	return NULL;
}

static struct luo_file *find_file(struct luo_session *s, uint64_t token)
{
	for (size_t i = 0; i < s->nfiles; i++)
		if (s->files[i].token == token)
			return &s->files[i];
	return NULL;
}

/* SplitMix64: a well-mixed word from any counter. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void luo_page_pattern(const char *session, uint64_t token, uint64_t page,
		      uint8_t *buf, uint64_t len)
{
	uint64_t seed = 0xcbf29ce484222325ull;   /* FNV-1a of the name */

	for (const char *c = session; *c; c++)
		seed = (seed ^ (uint8_t)*c) * 0x100000001b3ull;
	seed = mix(seed ^ mix(token) ^ mix(page + 1));
	for (uint64_t i = 0; i + 8 <= len; i += 8)
		store_u64(buf + i, mix(seed + i), false);
	/* Never all zeros: a page of zeros would read the same as no folio. */
	buf[0] |= 1;
}

static struct ref_luo *need_luo(struct kho_ref *ref, const char *what,
				struct kho_error *err)
{
	if (!ref->luo)
		kho_error_set(err, KHO_ERR_INVALID, "%s before luo v1|v5", what);
	else if (ref->luo->serialized)
		kho_error_set(err, KHO_ERR_INVALID, "%s after finalize", what);
	else
		return ref->luo;
	return NULL;
}

KHO_EXPORT bool kho_ref_has_luo(const struct kho_ref *ref)
{
	return ref->luo != NULL;
}

KHO_EXPORT enum kho_status kho_ref_luo(struct kho_ref *ref, unsigned version,
				       uint64_t num, struct kho_error *err)
{
	struct ref_blob *b;
	enum kho_status st;

	if (ref->luo)
		return kho_error_set(err, KHO_ERR_INVALID, "luo is given twice");
	if (version != 1 && version != 5)
		return kho_error_set(err, KHO_ERR_INVALID, "luo v%u: only v1 and v5 exist", version);
	/* luo-v1 is 7.1's, whose KHO is kho-v3; luo-v5 came with kho-v4 (7.2). */
	if (ref->abi->number != (version == 1 ? 3u : 4u))
		return kho_error_set(err, KHO_ERR_INVALID, "luo v%u needs abi kho-v%u, not %s",
				     version, version == 1 ? 3 : 4, ref->abi->compatible);
	if ((st = ref_new_blob(ref, "LUO", BLOB_LUO, &b, err)))
		return st;
	ref->luo = calloc(1, sizeof(*ref->luo));
	if (!ref->luo)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	ref->luo->version = version;
	ref->luo->num = num;
	ref->luo->blob = (size_t)(b - ref->blobs);
	return KHO_OK;
}

/* @what @s is printable ASCII, NUL-free, shorter than the field
 * (docs/luo.md "well-formed"); else an error saying so. */
static enum kho_status well_formed(const char *what, const char *s, size_t field,
				   struct kho_error *err)
{
	bool ok = s[0] && strlen(s) < field;

	for (const char *c = s; ok && *c; c++)
		ok = *c >= 0x20 && *c <= 0x7e;
	if (ok)
		return KHO_OK;
	return kho_error_set(err, KHO_ERR_INVALID, "%s \"%s\" is empty, not printable or "
			     "longer than %zu bytes", what, s, field - 1);
}

KHO_EXPORT enum kho_status kho_ref_luo_session(struct kho_ref *ref, const char *name,
					       struct kho_error *err)
{
	struct ref_luo *l = need_luo(ref, "luo-session", err);
	struct luo_session *s;

	if (!l || well_formed("session name", name, LUO_NAME_LEN, err))
		return KHO_ERR_INVALID;
	if (luo_find_session(l, name))
		return kho_error_set(err, KHO_ERR_INVALID, "session \"%s\" exists already", name);
	if (l->ns >= luo_session_capacity(ref))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "more than %llu sessions: the luo-v1 session array is full",
				     (unsigned long long)luo_session_capacity(ref));
	if (!(s = ARRAY_ADD(l->s, l->scap, l->ns)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	snprintf(s->name, sizeof(s->name), "%s", name);
	return KHO_OK;
}

static enum kho_status new_file(struct kho_ref *ref, const char *what, const char *session,
				uint64_t token, struct luo_file **out, struct kho_error *err)
{
	struct ref_luo *l = need_luo(ref, what, err);
	/* a 7.1 file array is 2 pages; 7.2+ chains as many blocks as it needs */
	uint64_t cap = (ref->geo.page_size << LUO_V1_FILES_ORDER) / LUO_FILE_ENTRY;
	struct luo_session *s;

	if (!l)
		return KHO_ERR_INVALID;
	if (!(s = luo_find_session(l, session)))
		return kho_error_set(err, KHO_ERR_INVALID, "unknown session \"%s\"", session);
	if (find_file(s, token))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "session \"%s\" has a file with token 0x%llx already",
				     session, (unsigned long long)token);
	if (l->version == 1 && s->nfiles >= cap)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "session \"%s\": more than %llu files (a luo-v1 file array is full)",
				     session, (unsigned long long)cap);
	if (!(*out = ARRAY_ADD(s->files, s->cap, s->nfiles)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	(*out)->token = token;
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_luo_memfd(struct kho_ref *ref, const char *session,
					     uint64_t token, uint64_t size, uint64_t pos,
					     uint32_t seals, struct kho_error *err)
{
	struct luo_file *f;
	enum kho_status st;

	if (size > ((uint64_t)1 << 40))
		return kho_error_set(err, KHO_ERR_INVALID, "memfd size 0x%llx is above 1 TiB",
				     (unsigned long long)size);
	if (seals & ~LUO_SEALS_KNOWN)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "seals 0x%x: only 0x3f are defined", seals);
	if (seals && ref->luo && ref->luo->version == 1)
		return kho_error_set(err, KHO_ERR_INVALID, "memfd-v1 (luo v1) has no seals");
	if ((st = new_file(ref, "luo-memfd", session, token, &f, err)))
		return st;
	f->memfd = true;
	snprintf(f->handler, sizeof(f->handler), "%s",
		 ref->luo->version == 1 ? "memfd-v1" : "memfd-v2");
	f->size = size;
	f->pos = pos;
	f->seals = seals;
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_luo_folio(struct kho_ref *ref, const char *session,
					     uint64_t token, uint64_t index, unsigned order,
					     struct kho_error *err)
{
	struct ref_luo *l = need_luo(ref, "luo-folio", err);
	uint64_t pages, span = (uint64_t)1 << MIN(order, 63u);
	struct luo_session *s;
	struct luo_file *f;

	if (!l)
		return KHO_ERR_INVALID;
	if (!(s = luo_find_session(l, session)))
		return kho_error_set(err, KHO_ERR_INVALID, "unknown session \"%s\"", session);
	if (!(f = find_file(s, token)) || !f->memfd)
		return kho_error_set(err, KHO_ERR_INVALID, "session \"%s\" has no memfd 0x%llx",
				     session, (unsigned long long)token);
	if (order > LUO_FOLIO_MAX_ORDER)
		return kho_error_set(err, KHO_ERR_INVALID, "folio order %u is above %u",
				     order, LUO_FOLIO_MAX_ORDER);
	/* The page cache holds a folio at an index aligned to its size. */
	if (index & (span - 1))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "folio index %llu is not a multiple of 2^%u",
				     (unsigned long long)index, order);
	pages = (f->size + ref->geo.page_size - 1) >> ref->geo.page_shift;
	if (index >= pages || span > pages - index)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "folio pages %llu+%llu lie beyond the memfd's %llu pages",
				     (unsigned long long)index, (unsigned long long)span,
				     (unsigned long long)pages);
	for (size_t i = 0; i < f->nfolios; i++) {
		const struct luo_folio *o = &f->folios[i];

		if (index < o->index + ((uint64_t)1 << o->order) && o->index < index + span)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "folio at index %llu overlaps the one at %llu",
					     (unsigned long long)index,
					     (unsigned long long)o->index);
	}
	if (l->folio_bytes + (span << ref->geo.page_shift) > LUO_FOLIO_MAX_BYTES)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "LUO folios above 256 MiB in all: each page is written");
	if (!ARRAY_RESERVE(f->folios, f->fcap, f->nfolios))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	l->folio_bytes += span << ref->geo.page_shift;
	f->folios[f->nfolios++] = (struct luo_folio){ .index = index, .order = order };
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_luo_file(struct kho_ref *ref, const char *session,
					    uint64_t token, const char *handler,
					    struct kho_error *err)
{
	struct luo_file *f;
	enum kho_status st;

	if (well_formed("handler", handler, LUO_COMPAT_LEN, err))
		return KHO_ERR_INVALID;
	if (!strncmp(handler, "memfd-", 6))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "handler %s: a memfd is luo-memfd, with its folios", handler);
	if ((st = new_file(ref, "luo-file", session, token, &f, err)))
		return st;
	snprintf(f->handler, sizeof(f->handler), "%s", handler);
	return KHO_OK;
}

static enum kho_status luo_flb(struct kho_ref *ref, const char *name, uint64_t count,
			       const uint64_t *data, struct kho_error *err)
{
	struct ref_luo *l = need_luo(ref, "luo-flb", err);
	uint64_t cap = (ref->geo.page_size - LUO_BLOCK_HDR) / LUO_FLB_ENTRY;
	struct luo_flb *f;

	if (!l || well_formed("FLB name", name, LUO_COMPAT_LEN, err))
		return KHO_ERR_INVALID;
	for (size_t i = 0; i < l->nflbs; i++)
		if (!strcmp(l->flbs[i].name, name))
			return kho_error_set(err, KHO_ERR_INVALID, "FLB %s exists already", name);
	if (l->nflbs >= cap)
		return kho_error_set(err, KHO_ERR_INVALID, "more than %llu FLBs: the FLB page is full",
				     (unsigned long long)cap);
	if (!(f = ARRAY_ADD(l->flbs, l->flbcap, l->nflbs)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->count = count;
	if (data) {
		f->data = *data;
		f->data_set = true;
	}
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_luo_flb(struct kho_ref *ref, const char *name,
					   uint64_t count, struct kho_error *err)
{
	return luo_flb(ref, name, count, NULL, err);
}

/* An FLB's data is whatever its preserve op returned (the kernel's own
 * liveupdate test FLBs return a constant, no address): written as given. */
KHO_EXPORT enum kho_status kho_ref_luo_flb_data(struct kho_ref *ref, const char *name,
						uint64_t count, uint64_t data,
						struct kho_error *err)
{
	return luo_flb(ref, name, count, &data, err);
}
