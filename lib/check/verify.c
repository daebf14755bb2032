// SPDX-License-Identifier: MIT
/* kho_inspect: load, walk, check. The one place the stages meet. */
#include "kho/verify.h"

#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "checks.h"
#include "depth.h"
#include "windows.h"

static void on_run(void *ctx, uint64_t phys, unsigned order, uint64_t count)
{
	struct kho_inspection *in = ctx;

	if (!ARRAY_RESERVE(in->runs, in->runs_cap, in->nruns)) {
		in->findings.oom = true;
		return;
	}
	/* zeroed first: padding too, so two verdicts compare with memcmp */
	memset(&in->runs[in->nruns], 0, sizeof(*in->runs));
	in->runs[in->nruns].phys = phys;
	in->runs[in->nruns].count = count;
	in->runs[in->nruns++].order = order;
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

bool kho_inspection_may_preserve(const struct kho_inspection *in, uint64_t phys)
{
	const struct kho_geometry *geo = &in->geo;

	if (!in->nunknown_keys || geo->broken_depth)
		return in->nunknown_keys != 0;
	/* Any order's key for the block holding @phys. */
	for (unsigned order = 0; order <= kho_max_order(geo); order++) {
		uint64_t key = kho_key_encode(geo, phys & ~(kho_order_bytes(geo, order) - 1),
					      order);

		for (size_t i = 0; i < in->nunknown_keys; i++)
			if (key >= in->unknown_keys[i].start && key <= in->unknown_keys[i].end)
				return true;
		if (order + geo->page_shift >= 63)
			break;
	}
	return false;
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

static enum kho_status add_scratch(struct kho_source *src, const struct kho_verify_opts *o,
				   struct kho_inspection *in, struct kho_error *err)
{
	enum kho_status st;

	for (size_t i = 0; i < o->nscratch; i++)
		if ((st = kho_handover_add_scratch(&in->ho, o->scratch[i].phys,
						   o->scratch[i].size, err)))
			return st;
	for (size_t i = 0; i < o->nscratch_arrays; i++)
		if ((st = kho_handover_add_scratch_array(&in->ho, src, o->scratch_arrays[i].phys,
							 o->scratch_arrays[i].size, err)))
			return st;
	return KHO_OK;
}

/*
 * The checks that need the map: the coverage checks run once and leave
 * their needs (cover.h), then the merge checks every run and keeps the
 * union where the needs look, then they are answered. @stored: the streams are slices of
 * in->runs (checked here at once) rather than radix cursors (checked by
 * the merge, batch by batch). A radix tree @map that is clean is proved
 * so without the merge (windows.h).
 */
static void run_checks(struct kho_source *src, const struct kho_verify_opts *o,
		       unsigned max_order, struct kho_inspection *in, struct stream *s,
		       ssize_t ns, bool stored, const struct kho_radix_map *map)
{
	struct run_checks rc;
	struct cover c;

	if (ns < 0) {
		in->findings.oom = true;
		return;
	}
	cover_init(&c, in, o->keep_spans);
	check_coverage(in, &c, &c.later);
	check_blob_contents(src, in, &c, &c.later);
	check_luo_cover(in, &c);
	cover_seal(&c);
	run_checks_init(&rc, src, in, max_order, &in->findings);
	for (size_t k = 0; stored && k < in->nruns; k++)
		check_run_slow(&rc, &in->runs[k]);
	if (!map || !check_windows(in, map, &rc, &c))
		check_merge(in, s, (size_t)ns, &rc, &c, &in->findings);
	cover_answer(src, &c, &in->findings);
	check_luo_folios(src, in, &c, &in->findings);
	cover_free(&c);
}

static enum kho_status walk_and_check(struct kho_source *src,
				      const struct kho_verify_opts *o, unsigned max_order,
				      struct kho_inspection *in, struct kho_error *err)
{
	struct kho_map_visitor v = { on_run, on_node, in, on_unknown };
	struct kho_anomalies an = { 0 };
	struct stream *streams = NULL;
	struct kho_radix_map map;
	enum kho_status st;
	ssize_t ns;

	if (in->ho.abi->map_format == KHO_MAP_RADIX && check_broken_depth(src, in)) {
		struct kho_geometry good;

		kho_flag(&in->findings, KHO_CHECK_RADIX_DEPTH, in->ho.map_phys,
			 "the tree has depth %u, built as before the 16 KiB depth fix: its "
			 "order-0 keys lost their order bit; ranges are what it most likely "
			 "meant", in->geo.depth);
		st = kho_radix_walk(src, &in->geo, in->ho.map_phys, &an, &v, &in->stats, err);
		kho_findings_add_anomalies(&in->findings, &an);
		/* List them in the order a correct tree would. */
		kho_geometry_init(&good, in->geo.page_size, false);
		if (!st && !sort_ctx(in->runs, in->nruns, sizeof(*in->runs), meant_order, &good))
			st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	} else if (in->ho.abi->map_format == KHO_MAP_RADIX) {
		/* Decoded as the merge asks: no run is stored unless listed. */
		st = kho_radix_open(src, &in->geo, in->ho.map_phys, &an, &v, &in->stats,
				    &map, err);
		kho_findings_add_anomalies(&in->findings, &an);
		if (st)
			return st;
		if (o->keep_runs)
			kho_radix_runs(&map, NULL, &v);
		in->walked = true;
		ns = streams_of_radix(&map, &in->stats, &streams);
		run_checks(src, o, max_order, in, streams, ns, false, &map);
		free(streams);
		st = kho_radix_failed(&map) ? kho_error_set(err, KHO_ERR_SYSTEM, "the tree's "
							   "leaves changed while read") : KHO_OK;
		kho_radix_close(&map);
		return st;
	} else {
		st = kho_v1_walk(src, &in->geo, in->ho.map_phys, &an, &v, &in->stats,
				 &in->v1_bitmap_bytes, err);
		kho_findings_add_anomalies(&in->findings, &an);
	}
	if (st)
		return st;
	in->walked = true;
	ns = streams_of_runs(in, &streams);
	run_checks(src, o, max_order, in, streams, ns, true, NULL);
	free(streams);
	return KHO_OK;
}

/* What a successor keeps of the handover it consumed (7.2/7.3: the FDT
 * page, kexec-metadata and memblock stay reserved): those are decoded and
 * checked; no other blob, no LUO, no tree. */
static enum kho_status inspect_consumed(struct kho_source *src, struct kho_inspection *in)
{
	in->consumed = true;
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		struct kho_subtree *t = &in->ho.subtrees[i];

		if (kho_subtree_kept_when_consumed(t))
			kho_subtree_decode(src, t);
	}
	/* the scratch areas are the live handover's to check (the same list) */
	check_blobs(in, &in->findings);
	check_kept_blobs(in, &in->findings);
	return in->findings.oom ? KHO_ERR_NOMEM : KHO_OK;
}

enum kho_status kho_inspect(struct kho_source *src, uint64_t fdt_phys,
			    const struct kho_verify_opts *o,
			    struct kho_inspection *in, struct kho_error *err)
{
	static const struct kho_verify_opts none;
	struct kho_anomalies an = { 0 };
	enum kho_status st;
	unsigned max_order;

	if (!o)
		o = &none;
	memset(in, 0, sizeof(*in));
	kho_findings_init(&in->findings);
	if (in->findings.oom)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < o->noverrides; i++)
		kho_findings_set_severity(&in->findings, o->overrides[i].check,
					  o->overrides[i].severity);
	if (kho_geometry_init(&in->geo, kho_source_page_size(src), false))
		return kho_error_set(err, KHO_ERR_NOTIMPL, "%s: page size %llu has no KHO "
				     "radix geometry", kho_source_path(src),
				     (unsigned long long)kho_source_page_size(src));
	max_order = o->has_max_order ? o->max_order : 30 - in->geo.page_shift;
	st = kho_handover_load(src, fdt_phys, o->fdt_file, &an, &in->ho, err);
	kho_findings_add_anomalies(&in->findings, &an);
	if (st)
		return st;
	if ((st = add_scratch(src, o, in, err)))
		return st;
	if (!in->ho.fdt_ok)
		return KHO_OK;
	if (o->consumed)
		return inspect_consumed(src, in);
	/* Without blob-size (kho-v1, v2) decoding says how large a blob is. */
	for (size_t i = 0; i < in->ho.nsubtrees; i++)
		kho_subtree_decode(src, &in->ho.subtrees[i]);
	for (size_t i = 0; i < in->ho.nsubtrees; i++)
		if (!strcmp(in->ho.subtrees[i].name, "LUO")) {
			st = kho_luo_decode(src, &in->ho.subtrees[i], &an, &in->luo, err);
			kho_findings_add_anomalies(&in->findings, &an);
			if (st)
				return st;
			break;
		}
	check_scratch_layout(in, kho_source_arch(src), &in->findings);
	check_blobs(in, &in->findings);
	if (!in->ho.map_ok)
		return KHO_OK;
	/* The scratch checks cannot look without areas: never a silent pass. */
	if (!in->ho.nscratch)
		kho_flag(&in->findings, KHO_CHECK_SCRATCH_UNKNOWN, in->ho.fdt_phys,
			 "no scratch areas are known: range-scratch and radix-node-scratch did "
			 "not run");
	st = walk_and_check(src, o, max_order, in, err);
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
