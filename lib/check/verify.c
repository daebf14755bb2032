// SPDX-License-Identifier: MIT
/* kho_inspect: load, walk, check. The one place the stages meet. */
#include "kho/verify.h"

#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "checks.h"
#include "depth.h"
#include "windows.h"

static void on_run(void *ctx, uint64_t phys, unsigned order, uint64_t count)
{
	struct kho_inspection *in = ctx;
	/* zeroed: padding too, so two verdicts compare with memcmp */
	struct kho_run *r = ARRAY_ADD(in->runs, in->runs_cap, in->nruns);

	if (!r) {
		in->findings.oom = true;
		return;
	}
	r->phys = phys;
	r->count = count;
	r->order = order;
}

static void on_node(void *ctx, uint64_t phys, int level, uint64_t bytes)
{
	struct kho_inspection *in = ctx;

	if (!ARRAY_RESERVE(in->pages, in->pages_cap, in->npages)) {
		in->findings.oom = true;
		return;
	}
	in->pages[in->npages++] = (struct kho_tree_page){ phys, bytes, level };
}

static void on_unknown(void *ctx, uint64_t lo, uint64_t hi)
{
	struct kho_inspection *in = ctx;

	if (!ARRAY_RESERVE(in->unknown_keys, in->unknown_cap, in->nunknown_keys)) {
		in->findings.oom = true;
		return;
	}
	in->unknown_keys[in->nunknown_keys++] = (struct kho_span){ lo, hi };
}

int kho_inspection_key(struct kho_source *src, const struct kho_inspection *in,
		       uint64_t phys, unsigned order)
{
	const struct kho_geometry *geo = &in->geo;
	uint64_t size = kho_order_bytes(geo, order), at = phys & ~(size - 1);

	if (!in->walked)
		return -1;
	if (in->ho.abi->map_format == KHO_MAP_RADIX && !geo->broken_depth)
		return kho_radix_lookup(src, geo, in->ho.map_phys,
					kho_key_encode(geo, at, order));
	/* stored runs (kho-v1, the broken depth) */
	for (size_t i = 0; i < in->nruns; i++) {
		const struct kho_run *r = &in->runs[i];

		if (r->order == order && at >= r->phys && (at - r->phys) / size < r->count)
			return 1;
	}
	return 0;
}

static int meant_order(const void *a, const void *b, void *geo)
{
	const struct kho_run *x = a, *y = b;
	uint64_t kx = kho_key_encode(geo, x->phys, x->order);
	uint64_t ky = kho_key_encode(geo, y->phys, y->order);

	return kx < ky ? -1 : kx > ky;
}

/* What the passes share while one handover is inspected. */
struct pass_ctx {
	struct kho_source *src;
	const struct kho_verify_opts *o;
	struct kho_inspection *in;
	struct kho_error *err;
	uint64_t fdt_phys;
	bool radix;                  /* map is open (a cursor per subtree); else the
				      * runs are stored in in->runs */
	struct kho_radix_map map;
	struct cover cover;
};

static enum kho_status add_anomalies(struct pass_ctx *x, struct kho_anomalies *an,
				     enum kho_status st)
{
	kho_findings_add_anomalies(&x->in->findings, an);
	return st;
}

static enum kho_status load(struct pass_ctx *x)
{
	const struct kho_verify_opts *o = x->o;
	struct kho_anomalies an = { 0 };
	enum kho_status st;

	st = add_anomalies(x, &an, kho_handover_load(x->src, x->fdt_phys, o->fdt_file,
						      &an, &x->in->ho, x->err));
	for (size_t i = 0; !st && i < o->nscratch; i++)
		st = kho_handover_add_scratch(&x->in->ho, o->scratch[i].phys, o->scratch[i].size,
					      x->err);
	for (size_t i = 0; !st && i < o->nscratch_arrays; i++)
		st = kho_handover_add_scratch_array(&x->in->ho, x->src,
						    o->scratch_arrays[i].phys,
						    o->scratch_arrays[i].size, x->err);
	return st;
}

/* Without blob-size (kho-v1, v2) decoding says how large a blob is. A
 * consumed handover (7.2/7.3) keeps only some blobs: the FDT page,
 * kexec-metadata and memblock stay reserved; no LUO, no tree. */
static enum kho_status decode_blobs(struct pass_ctx *x)
{
	struct kho_handover *ho = &x->in->ho;
	struct kho_anomalies an = { 0 };

	x->in->consumed = x->o->consumed;
	for (size_t i = 0; i < ho->nsubtrees; i++)
		if (!x->in->consumed || kho_subtree_kept_when_consumed(&ho->subtrees[i]))
			kho_subtree_decode(x->src, &ho->subtrees[i]);
	for (size_t i = 0; !x->in->consumed && i < ho->nsubtrees; i++)
		if (!strcmp(ho->subtrees[i].name, "LUO"))
			return add_anomalies(x, &an, kho_luo_decode(x->src, &ho->subtrees[i], &an,
								    &x->in->luo, x->err));
	return KHO_OK;
}

static enum kho_status scratch_layout(struct pass_ctx *x)
{
	check_scratch_layout(x->in, kho_source_arch(x->src), &x->in->findings);
	return KHO_OK;
}

static enum kho_status blobs(struct pass_ctx *x)
{
	check_blobs(x->in, &x->in->findings);
	return KHO_OK;
}

/* The scratch checks cannot look without areas: never a silent pass. */
static enum kho_status scratch_known(struct pass_ctx *x)
{
	if (!x->in->ho.nscratch)
		kho_flag(&x->in->findings, KHO_CHECK_SCRATCH_UNKNOWN, x->in->ho.fdt_phys,
			 "no scratch areas are known: range-scratch and radix-node-scratch did "
			 "not run");
	return KHO_OK;
}

/* A tree built as before the 16 KiB depth fix: its order-0 keys lost
 * their order bit; ranges are what it most likely meant. It is read with
 * the depth-4 geometry it was built with. */
static enum kho_status walk_broken_depth(struct pass_ctx *x, const struct kho_map_visitor *v)
{
	struct kho_inspection *in = x->in;
	struct kho_anomalies an = { 0 };
	struct kho_geometry good = in->geo;
	enum kho_status st;

	kho_geometry_init(&in->geo, in->geo.page_size, true);
	kho_flag(&in->findings, KHO_CHECK_RADIX_DEPTH, in->ho.map_phys,
		 "the tree has depth %u, built as before the 16 KiB depth fix: its "
		 "order-0 keys lost their order bit; ranges are what it most likely "
		 "meant", in->geo.depth);
	st = add_anomalies(x, &an, kho_radix_walk(x->src, &in->geo, in->ho.map_phys, &an, v,
						  &in->stats, x->err));
	/* List them in the order a correct tree would. */
	if (!st && !sort_ctx(in->runs, in->nruns, sizeof(*in->runs), meant_order, &good))
		st = kho_error_set(x->err, KHO_ERR_NOMEM, "out of memory");
	return st;
}

/* The map, decoded as the merge asks: a radix tree stores no run unless
 * they are to be listed; kho-v1 and the broken depth store them all. */
static enum kho_status walk(struct pass_ctx *x)
{
	struct kho_inspection *in = x->in;
	struct kho_map_visitor v = { on_run, on_node, in, on_unknown };
	struct kho_anomalies an = { 0 };
	uint64_t fdt = in->ho.abi->fdt_preserved ? in->ho.fdt_phys : 0;
	enum kho_status st;

	if (in->ho.abi->map_format != KHO_MAP_RADIX)
		st = add_anomalies(x, &an, kho_v1_walk(x->src, &in->geo, in->ho.map_phys, &an,
						       &v, &in->stats, &in->v1_bitmap_bytes,
						       x->err));
	else if (radix_depth_is_broken(x->src, &in->geo, in->ho.map_phys, fdt))
		st = walk_broken_depth(x, &v);
	else if (!(st = add_anomalies(x, &an, kho_radix_open(x->src, &in->geo,
							     in->ho.map_phys, &an, &v,
							     &in->stats, &x->map, x->err)))) {
		x->radix = true;
		if (x->o->keep_runs)
			kho_radix_runs(&x->map, NULL, &v);
	}
	in->walked = !st;
	return st;
}

/* What must be preserved, and how, asked once: the merge keeps the union
 * where the needs look (cover.h). */
static enum kho_status cover(struct pass_ctx *x)
{
	struct cover *c = &x->cover;

	c->later.pass = KHO_PASS_COVER;
	check_coverage(x->in, c, &c->later);
	check_blob_contents(x->src, x->in, c, &c->later);
	check_luo_cover(x->in, c);
	cover_seal(c);
	return KHO_OK;
}

/* Each run, then the merge of all (range-overlap). A clean radix tree is
 * proved so without the merge (windows.h). */
static enum kho_status runs(struct pass_ctx *x)
{
	struct kho_inspection *in = x->in;
	struct run_checks rc;

	run_checks_init(&rc, x->src, in, x->o->has_max_order ? x->o->max_order :
			30 - in->geo.page_shift, &in->findings);
	for (size_t k = 0; !x->radix && k < in->nruns; k++)
		check_run_slow(&rc, &in->runs[k]);
	if (!x->radix || !check_windows(in, &x->map, &rc, &x->cover))
		check_merge(in, x->radix ? &x->map : NULL, &rc, &x->cover);
	return KHO_OK;
}

static enum kho_status answer(struct pass_ctx *x)
{
	cover_answer(x->src, &x->cover, &x->in->findings);
	check_luo_folios(x->src, x->in, &x->cover, &x->in->findings);
	return KHO_OK;
}

enum { LIVE = 1, CONSUMED = 2, FDT = 4, MAP = 8, WALKED = 16 };

/*
 * The pipeline, in order: a pass runs when the handover has what it
 * needs, and raises only the checks whose row (table.c) names its pass.
 */
static const struct pass {
	enum kho_pass pass;
	unsigned needs;
	enum kho_status (*run)(struct pass_ctx *x);
} passes[] = {
	{ KHO_PASS_MODEL, 0, load },                 /* the FDT, the scratch given */
	{ KHO_PASS_MODEL, FDT, decode_blobs },       /* sub-blobs, LUO state */
	{ KHO_PASS_LAYOUT, FDT | LIVE, scratch_layout },
	{ KHO_PASS_BLOBS, FDT, blobs },
	{ KHO_PASS_LAYOUT, MAP | LIVE, scratch_known },
	{ KHO_PASS_MODEL, MAP | LIVE, walk },
	{ KHO_PASS_COVER, WALKED, cover },
	{ KHO_PASS_RUNS, WALKED, runs },
	{ KHO_PASS_ANSWER, WALKED, answer },
};

static unsigned has(const struct pass_ctx *x)
{
	const struct kho_inspection *in = x->in;

	return (x->o->consumed ? CONSUMED : LIVE) | (in->ho.fdt_ok ? FDT : 0) |
	       (in->ho.fdt_ok && in->ho.map_ok ? MAP : 0) | (in->walked ? WALKED : 0);
}

enum kho_status kho_inspect(struct kho_source *src, uint64_t fdt_phys,
			    const struct kho_verify_opts *o,
			    struct kho_inspection *in, struct kho_error *err)
{
	static const struct kho_verify_opts none;
	struct pass_ctx x = { .src = src, .o = o ? o : &none, .in = in, .err = err,
			      .fdt_phys = fdt_phys };
	enum kho_status st = KHO_OK;

	memset(in, 0, sizeof(*in));
	kho_findings_init(&in->findings);
	kho_findings_set_severities(&in->findings, x.o->overrides, x.o->noverrides);
	if (kho_geometry_init(&in->geo, kho_source_page_size(src), false))
		return kho_error_set(err, KHO_ERR_NOTIMPL, "%s: page size %llu has no KHO "
				     "radix geometry", kho_source_path(src),
				     (unsigned long long)kho_source_page_size(src));
	cover_init(&x.cover, in, x.o->keep_spans);
	for (size_t i = 0; !st && i < ARRAY_SIZE(passes); i++) {
		if ((passes[i].needs & has(&x)) != passes[i].needs)
			continue;
		in->findings.pass = passes[i].pass;
		st = passes[i].run(&x);
	}
	/* what comes after (kho_check_kernel_trees) is the session's */
	in->findings.pass = KHO_PASS_SESSION;
	cover_free(&x.cover);
	if (x.radix) {
		if (!st && kho_radix_failed(&x.map))
			st = kho_error_set(err, KHO_ERR_SYSTEM, "the tree's leaves changed "
					   "while read");
		kho_radix_close(&x.map);
	}
	if (!st && in->findings.oom)
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return st;
}

void kho_inspection_free(struct kho_inspection *in)
{
	kho_handover_free(&in->ho);
	kho_findings_free(&in->findings);
	kho_luo_free(&in->luo);
	free(in->runs);
	free(in->pages);
	free(in->spans);
	free(in->unknown_keys);
	memset(in, 0, sizeof(*in));
}
