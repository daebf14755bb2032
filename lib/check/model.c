// SPDX-License-Identifier: MIT
/*
 * kho_model (include/kho/model.h): the discovery session behind an opaque
 * handle, and accessors. This file and report.c are the only readers of
 * struct kho_inspection behind the public API, so a reshaping of it is
 * answered here.
 */
#include "kho/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/kho.h"
#include "kho/session.h"
#include "../util/util.h"

struct kho_model {
	struct kho_session s;
};

#define KNOWN_FLAGS (KHO_MODEL_FDT | KHO_MODEL_BOOT_PARAMS | KHO_MODEL_ALL | KHO_MODEL_MAX_ORDER | \
		     KHO_MODEL_KERNEL | KHO_MODEL_OUT_TREE | KHO_MODEL_IN_TREE)

/*
 * The caller's options as this library knows them: a shorter struct (an
 * older caller) is padded with zeros; a longer one (a newer caller) is
 * refused when a member this library does not know is set.
 */
static enum kho_status copy_opts(const struct kho_model_opts *in, struct kho_model_opts *out,
				 struct kho_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!in)
		return KHO_OK;
	if (in->size < sizeof(in->size))
		return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: size %zu is too small",
				     in->size);
	memcpy(out, in, MIN(in->size, sizeof(*out)));
	for (size_t i = sizeof(*out); i < in->size; i++)
		if (((const unsigned char *)in)[i])
			return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: member at offset "
					     "%zu is newer than this libkho (%s)", i, kho_version());
	if (out->flags & ~KNOWN_FLAGS)
		return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: flags 0x%x are newer "
				     "than this libkho (%s)", out->flags & ~KNOWN_FLAGS, kho_version());
	out->size = sizeof(*out);
	return KHO_OK;
}

static struct kho_scratch_area *pairs(const uint64_t *v, size_t n)
{
	struct kho_scratch_area *a = calloc(n ? n : 1, sizeof(*a));

	for (size_t i = 0; a && i < n; i++)
		a[i] = (struct kho_scratch_area){ v[2 * i], v[2 * i + 1] };
	return a;
}

/* The severities asked for, checked as kho-inspect checks -W and -E. */
static enum kho_status check_severities(const struct kho_model_opts *o, struct kho_error *err)
{
	for (size_t i = 0; i < o->nseverities; i++) {
		const struct kho_model_severity *v = &o->severities[i];
		size_t idx;

		if (!kho_check_lookup(v->check, &idx))
			return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: no check \"%s\"",
					     v->check ? v->check : "(null)");
		if (v->severity < KHO_SEV_OFF || v->severity > KHO_SEV_ERROR)
			return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: severity %d of "
					     "%s is not one", (int)v->severity, v->check);
	}
	return KHO_OK;
}

/* What the caller read through the kernel's symbols, as kho_find_vmlinux()
 * would have found it. */
static enum kho_status kernel(const struct kho_model_opts *o, struct kho_boot_info *b,
			      struct kho_error *err)
{
	if (!o->kernel_fdt && !o->kernel_incoming_fdt)
		return kho_error_set(err, KHO_ERR_INVALID, "kho_model_opts: the kernel's symbols "
				     "name no handover (kho_out.fdt NULL, kho_in.fdt_phys 0)");
	*b = (struct kho_boot_info){
		.fdt = o->kernel_fdt ? o->kernel_fdt : o->kernel_incoming_fdt,
		.fdt_is_incoming = !o->kernel_fdt,
		.incoming_fdt = o->kernel_incoming_fdt,
		.scratch = o->kernel_scratch, .scratch_bytes = o->kernel_scratch_bytes,
		.out_known = o->flags & KHO_MODEL_OUT_TREE,
		.in_known = o->flags & KHO_MODEL_IN_TREE,
		.out_tree = o->kernel_out_tree, .in_tree = o->kernel_in_tree,
	};
	b->trees_known = b->out_known || b->in_known;
	if (!b->out_known || !b->in_known)
		snprintf(b->trees_note, sizeof(b->trees_note), "%s not cross-checked: its root "
			 "was not given", !b->trees_known ? "kho_out and kho_in" :
			 b->out_known ? "kho_in" : "kho_out");
	return KHO_OK;
}

struct kho_model *kho_model_open_session(const struct kho_session_opts *so,
					 struct kho_error *err)
{
	struct kho_model *m = calloc(1, sizeof(*m));

	if (!m) {
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (kho_session_open(so, &m->s, err)) {
		kho_model_close(m);
		return NULL;
	}
	return m;
}

struct kho_session *kho_model_session(struct kho_model *m)
{
	return &m->s;
}

/* The session of @opts: what it reads of them is copied by the time it
 * is open, so the options built here live only as long as this call. */
static struct kho_model *open_model(const char *path, struct kho_source *src,
				    const struct kho_model_opts *opts, struct kho_error *err)
{
	struct kho_model_opts o;
	struct kho_source_opts src_opts;
	struct kho_boot_info kernel_info;
	struct kho_scratch_area *scratch, *arrays;
	struct kho_model *m = NULL;

	if (copy_opts(opts, &o, err) || check_severities(&o, err) ||
	    ((o.flags & KHO_MODEL_KERNEL) && kernel(&o, &kernel_info, err)))
		return NULL;
	src_opts = (struct kho_source_opts){ o.format, o.raw_base, o.page_size };
	scratch = pairs(o.scratch, o.nscratch);
	arrays = pairs(o.scratch_arrays, o.nscratch_arrays);
	if (!scratch || !arrays)
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	else
		m = kho_model_open_session(&(struct kho_session_opts){
			.path = path, .src = src, .src_opts = &src_opts,
			.have_fdt = o.flags & KHO_MODEL_FDT, .fdt = o.fdt,
			.have_boot_params = o.flags & KHO_MODEL_BOOT_PARAMS,
			.boot_params = o.boot_params,
			.all = o.flags & KHO_MODEL_ALL,
			.vmlinux = o.vmlinux, .dtb = o.dtb,
			.kernel = o.flags & KHO_MODEL_KERNEL ? &kernel_info : NULL,
			.verify = {
				.max_order = o.max_order,
				.has_max_order = o.flags & KHO_MODEL_MAX_ORDER,
				.overrides = o.severities, .noverrides = o.nseverities,
				.scratch = scratch, .nscratch = o.nscratch,
				.scratch_arrays = arrays, .nscratch_arrays = o.nscratch_arrays,
				.fdt_file = o.fdt_file,
				.keep_runs = true,
			},
		}, err);
	free(scratch);
	free(arrays);
	return m;
}

KHO_EXPORT struct kho_model *kho_model_open(const char *path, const struct kho_model_opts *opts,
					    struct kho_error *err)
{
	if (!path) {
		kho_error_set(err, KHO_ERR_INVALID, "kho_model_open: no path");
		return NULL;
	}
	return open_model(path, NULL, opts, err);
}

KHO_EXPORT struct kho_model *kho_model_open_source(struct kho_source *src,
						   const struct kho_model_opts *opts,
						   struct kho_error *err)
{
	if (!src) {
		kho_error_set(err, KHO_ERR_INVALID, "kho_model_open_source: no source");
		return NULL;
	}
	return open_model(NULL, src, opts, err);
}

KHO_EXPORT void kho_model_close(struct kho_model *m)
{
	if (!m)
		return;
	kho_session_close(&m->s);
	free(m);
}

KHO_EXPORT struct kho_source *kho_model_source(const struct kho_model *m)
{
	return m->s.src;
}

KHO_EXPORT const char *kho_model_page_size_from(const struct kho_model *m)
{
	return m->s.page_size_from;
}

/* ---- candidates ---- */

static const struct kho_candidate *cand(const struct kho_model *m, size_t i)
{
	static const struct kho_candidate none = { .self_preserved = KHO_SELF_UNKNOWN };

	return i < m->s.ncands ? &m->s.cands[i] : &none;
}

KHO_EXPORT size_t kho_model_candidates(const struct kho_model *m)
{
	return m->s.ncands;
}

KHO_EXPORT uint64_t kho_model_candidate_phys(const struct kho_model *m, size_t i)
{
	return cand(m, i)->phys;
}

KHO_EXPORT uint64_t kho_model_candidate_size(const struct kho_model *m, size_t i)
{
	return cand(m, i)->size;
}

KHO_EXPORT const char *kho_model_candidate_compatible(const struct kho_model *m, size_t i)
{
	return cand(m, i)->compatible;
}

KHO_EXPORT unsigned kho_model_candidate_flags(const struct kho_model *m, size_t i)
{
	const struct kho_candidate *c = cand(m, i);
	bool incoming = c->consumed || (i < m->s.ncands && m->s.boot.incoming_fdt &&
					c->phys == m->s.boot.incoming_fdt);
	unsigned f = 0;

	if (i >= m->s.ncands)
		return 0;
	if (c->inspect)
		f |= KHO_CANDIDATE_CHOSEN;
	/* kho_select() says "stale" in why; one not chosen is not live either */
	if ((!c->inspect && !incoming) || c->possibly_overwritten || strstr(c->why, "stale"))
		f |= KHO_CANDIDATE_STALE;
	if (incoming)
		f |= KHO_CANDIDATE_INCOMING;
	if (c->consumed)
		f |= KHO_CANDIDATE_CONSUMED;
	if (c->possibly_overwritten)
		f |= KHO_CANDIDATE_OVERWRITTEN;
	if (c->damaged)
		f |= KHO_CANDIDATE_DAMAGED;
	if (c->self_preserved == KHO_SELF_YES)
		f |= KHO_CANDIDATE_SELF_PRESERVED;
	return f;
}

KHO_EXPORT int kho_model_candidate_self_preserved(const struct kho_model *m, size_t i)
{
	enum kho_self s = cand(m, i)->self_preserved;

	return s == KHO_SELF_UNKNOWN ? -1 : s == KHO_SELF_YES;
}

KHO_EXPORT const char *kho_model_candidate_why(const struct kho_model *m, size_t i)
{
	return cand(m, i)->why;
}

/* ---- handovers ---- */

static const struct kho_inspection *insp(const struct kho_model *m, size_t h)
{
	return h < m->s.nh ? &m->s.hs[h] : NULL;
}

KHO_EXPORT size_t kho_model_handovers(const struct kho_model *m)
{
	return m->s.nh;
}

KHO_EXPORT size_t kho_model_handover_candidate(const struct kho_model *m, size_t h)
{
	return h < m->s.nh ? m->s.order[h] : SIZE_MAX;
}

KHO_EXPORT uint64_t kho_model_handover_fdt(const struct kho_model *m, size_t h)
{
	const struct kho_inspection *in = insp(m, h);

	return !in ? 0 : in->ho.fdt_phys_unknown ? KHO_MODEL_PHYS_UNKNOWN : in->ho.fdt_phys;
}

KHO_EXPORT const char *kho_model_handover_compatible(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->ho.compatible : "";
}

KHO_EXPORT const char *kho_model_handover_found_by(const struct kho_model *m, size_t h)
{
	return h < m->s.nh ? m->s.found_by : "";
}

KHO_EXPORT uint64_t kho_model_handover_map(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->ho.map_phys : 0;
}

KHO_EXPORT uint64_t kho_model_handover_keys(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->stats.keys : 0;
}

KHO_EXPORT uint64_t kho_model_handover_page_size(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->geo.page_size : 0;
}

KHO_EXPORT bool kho_model_handover_consumed(const struct kho_model *m, size_t h)
{
	return insp(m, h) && insp(m, h)->consumed;
}

KHO_EXPORT int kho_model_handover_foreach_run(const struct kho_model *m, size_t h,
					      kho_model_key_fn cb, void *ctx)
{
	const struct kho_inspection *in = insp(m, h);

	for (size_t i = 0; in && i < in->nruns; i++) {
		const struct kho_run *r = &in->runs[i];
		uint64_t size = kho_order_bytes(&in->geo, r->order);

		for (uint64_t k = 0; k < r->count; k++) {
			int rc = cb(ctx, r->phys + k * size, size, r->order);

			if (rc)
				return rc;
		}
	}
	return 0;
}

KHO_EXPORT int kho_model_foreach_run(const struct kho_model *m, kho_model_key_fn cb, void *ctx)
{
	return kho_model_handover_foreach_run(m, 0, cb, ctx);
}

KHO_EXPORT bool kho_model_handover_walked(const struct kho_model *m, size_t h)
{
	const struct kho_inspection *in = insp(m, h);

	return in && in->walked && in->ho.abi;
}

KHO_EXPORT unsigned kho_model_handover_max_order(const struct kho_model *m, size_t h)
{
	const struct kho_inspection *in = insp(m, h);

	/* a block must fit in 64 bits */
	return in ? MIN(kho_max_order(&in->geo), 63 - in->geo.page_shift) : 0;
}

KHO_EXPORT int kho_model_handover_key(const struct kho_model *m, size_t h, uint64_t phys,
				      unsigned order)
{
	const struct kho_inspection *in = insp(m, h);
	int rc;

	if (!in || order > kho_model_handover_max_order(m, h))
		return -KHO_ERR_INVALID;
	rc = kho_inspection_key(m->s.src, in, phys, order);
	return rc < 0 ? -KHO_ERR_NODATA : rc;
}

KHO_EXPORT int kho_model_handover_lookup(const struct kho_model *m, size_t h, uint64_t phys,
					 uint64_t *start, unsigned *order)
{
	bool unknown = false;

	if (!insp(m, h))
		return -KHO_ERR_INVALID;
	/* one key at most holds a page in a sound map: the smallest order first
	 * (each order -KHO_ERR_NODATA for a map that was not walked) */
	for (unsigned o = 0; o <= kho_model_handover_max_order(m, h); o++) {
		int rc = kho_model_handover_key(m, h, phys, o);

		if (rc < 0)
			unknown = true;
		if (rc != 1)
			continue;
		PUT_OPT(start, phys & ~((kho_model_handover_page_size(m, h) << o) - 1));
		PUT_OPT(order, o);
		return 1;
	}
	return unknown ? -KHO_ERR_NODATA : 0;
}

KHO_EXPORT int kho_model_lookup(const struct kho_model *m, uint64_t phys, uint64_t *start,
				unsigned *order)
{
	return kho_model_handover_lookup(m, 0, phys, start, order);
}

/* ---- blobs, tree pages, LUO, findings ---- */

KHO_EXPORT size_t kho_model_blobs(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->ho.nsubtrees : 0;
}

KHO_EXPORT bool kho_model_blob(const struct kho_model *m, size_t h, size_t i, const char **name,
			       uint64_t *phys, uint64_t *size)
{
	const struct kho_subtree *t;

	if (i >= kho_model_blobs(m, h))
		return false;
	t = &insp(m, h)->ho.subtrees[i];
	PUT_OPT(name, t->name);
	PUT_OPT(phys, t->phys);
	PUT_OPT(size, t->size);
	return true;
}

KHO_EXPORT const char *kho_model_blob_compatible(const struct kho_model *m, size_t h, size_t i)
{
	return i < kho_model_blobs(m, h) ? insp(m, h)->ho.subtrees[i].compatible : "";
}

KHO_EXPORT size_t kho_model_tree_pages(const struct kho_model *m, size_t h)
{
	return insp(m, h) ? insp(m, h)->npages : 0;
}

KHO_EXPORT bool kho_model_tree_page(const struct kho_model *m, size_t h, size_t i,
				    uint64_t *phys, uint64_t *bytes, int *level)
{
	const struct kho_tree_page *p;

	if (i >= kho_model_tree_pages(m, h))
		return false;
	p = &insp(m, h)->pages[i];
	PUT_OPT(phys, p->phys);
	PUT_OPT(bytes, p->bytes);
	PUT_OPT(level, p->level);
	return true;
}

static const struct kho_luo *luo(const struct kho_model *m, size_t h)
{
	const struct kho_inspection *in = insp(m, h);

	return in && in->luo.format != KHO_LUO_NONE ? &in->luo : NULL;
}

KHO_EXPORT const char *kho_model_luo_format(const struct kho_model *m, size_t h)
{
	return luo(m, h) ? kho_luo_format_name(luo(m, h)->format) : NULL;
}

KHO_EXPORT uint64_t kho_model_luo_liveupdate(const struct kho_model *m, size_t h)
{
	return luo(m, h) ? luo(m, h)->liveupdate_num : 0;
}

KHO_EXPORT size_t kho_model_luo_sessions(const struct kho_model *m, size_t h)
{
	return luo(m, h) ? luo(m, h)->nsessions : 0;
}

KHO_EXPORT bool kho_model_luo_session(const struct kho_model *m, size_t h, size_t s,
				      const char **name, uint64_t *phys, size_t *nfiles)
{
	const struct kho_luo_session *x;

	if (s >= kho_model_luo_sessions(m, h))
		return false;
	x = &luo(m, h)->session[s];
	PUT_OPT(name, x->name);
	PUT_OPT(phys, x->phys);
	PUT_OPT(nfiles, x->nfiles);
	return true;
}

KHO_EXPORT bool kho_model_luo_file(const struct kho_model *m, size_t h, size_t s, size_t f,
				   const char **compatible, uint64_t *token, uint64_t *data,
				   uint64_t *phys)
{
	const struct kho_luo_file *x;

	if (s >= kho_model_luo_sessions(m, h) || f >= luo(m, h)->session[s].nfiles)
		return false;
	x = &luo(m, h)->session[s].file[f];
	PUT_OPT(compatible, x->compatible);
	PUT_OPT(token, x->token);
	PUT_OPT(data, x->data);
	PUT_OPT(phys, x->phys);
	return true;
}

static const struct kho_findings *findings(const struct kho_model *m, size_t h)
{
	return h == SIZE_MAX ? &m->s.top : insp(m, h) ? &insp(m, h)->findings : NULL;
}

KHO_EXPORT size_t kho_model_findings(const struct kho_model *m, size_t h)
{
	return findings(m, h) ? findings(m, h)->n : 0;
}

KHO_EXPORT bool kho_model_finding(const struct kho_model *m, size_t h, size_t i,
				  const char **check, const char **severity, uint64_t *phys,
				  const char **message)
{
	const struct kho_finding *x;

	if (i >= kho_model_findings(m, h))
		return false;
	x = &findings(m, h)->v[i];
	PUT_OPT(check, x->check->name);
	PUT_OPT(severity, kho_severity_str(x->severity));
	PUT_OPT(phys, x->phys);
	PUT_OPT(message, x->message);
	return true;
}

KHO_EXPORT void kho_model_summary(const struct kho_model *m, size_t counts[4])
{
	size_t c[4];

	kho_findings_count(&m->s.top, counts);
	for (size_t h = 0; h < m->s.nh; h++) {
		kho_findings_count(&m->s.hs[h].findings, c);
		for (int k = 0; k < 4; k++)
			counts[k] += c[k];
	}
}

KHO_EXPORT bool kho_model_partial(const struct kho_model *m)
{
	size_t unread = kho_findings_unread(&m->s.top);

	for (size_t h = 0; h < m->s.nh; h++)
		unread += kho_findings_unread(&m->s.hs[h].findings);
	return unread > 0;
}
