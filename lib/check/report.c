// SPDX-License-Identifier: MIT
/*
 * kho_report: the verdict of kho-inspect verify --ranges behind a handle
 * (include/kho/report.h). The same library calls in the same order as the
 * tool: kho_scan(), kho_select(), kho_inspect() with the runs kept.
 */
#include "kho/report.h"

#include <stdlib.h>
#include <string.h>

#include "kho/verify.h"
#include "../util/util.h"

struct kho_report {
	struct kho_inspection *in;
	size_t n;
	struct kho_findings top;
	/* each handover's keys, one per block: [start, end) into runs */
	size_t **first;
};

static const struct kho_findings *findings_of(const struct kho_report *r, size_t h)
{
	return h == SIZE_MAX ? &r->top : &r->in[h].findings;
}

/* Where each key's run is: first[h][k] is the run of key k's successor. */
static bool index_keys(struct kho_report *r, size_t h)
{
	const struct kho_inspection *in = &r->in[h];
	size_t n = 0;

	for (size_t i = 0; i < in->nruns; i++)
		n += (size_t)in->runs[i].count;
	r->first[h] = calloc(in->nruns + 1, sizeof(**r->first));
	if (!r->first[h])
		return false;
	for (size_t i = 0, k = 0; i < in->nruns; i++) {
		r->first[h][i] = k;
		k += (size_t)in->runs[i].count;
	}
	r->first[h][in->nruns] = n;
	return true;
}

KHO_EXPORT enum kho_status kho_report_run(struct kho_source *src, bool have_fdt, uint64_t fdt,
					  const uint64_t *scratch_arrays, size_t narrays,
					  struct kho_report **out, struct kho_error *err)
{
	struct kho_select_opts so = { .chosen_by = have_fdt ? "--fdt" : NULL, .chosen = fdt };
	struct kho_scratch_area *arrays = calloc(narrays ? narrays : 1, sizeof(*arrays));
	struct kho_candidate *c = NULL;
	struct kho_report *r = calloc(1, sizeof(*r));
	struct kho_anomalies an = { 0 };
	size_t n = 0, *order = NULL;
	enum kho_status st;

	*out = NULL;
	if (!r || !arrays) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < narrays; i++)
		arrays[i] = (struct kho_scratch_area){ scratch_arrays[2 * i],
						       scratch_arrays[2 * i + 1] };
	kho_findings_init(&r->top);
	kho_check_dump(src, &r->top);
	if (have_fdt) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
			goto fail;
		}
		kho_candidate_at(src, fdt, c, err);
		n = 1;
	} else if ((st = kho_scan(src, &c, &n, NULL, NULL, err))) {
		goto fail;
	}
	if (!n) {
		st = kho_error_set(err, KHO_ERR_NODATA, "%s: no KHO FDT found",
				   kho_source_path(src));
		goto fail;
	}
	order = calloc(n, sizeof(*order));
	r->in = calloc(n, sizeof(*r->in));
	r->first = calloc(n, sizeof(*r->first));
	if (!order || !r->in || !r->first) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	st = kho_select(src, c, n, &so, &an, order, &r->n, err);
	kho_findings_add_anomalies(&r->top, &an);
	if (st)
		goto fail;
	for (size_t i = 0; i < r->n; i++) {
		struct kho_verify_opts vo = { .scratch_arrays = arrays, .nscratch_arrays = narrays,
					      .keep_runs = true, .consumed = c[order[i]].consumed };

		if ((st = kho_inspect(src, c[order[i]].phys, &vo, &r->in[i], err)))
			goto fail;
		if (!index_keys(r, i)) {
			st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	/* a backstop (kho_select() already fails on it): a finding about the
	 * whole dump that could not be kept must not leave a clean report */
	if (r->top.oom) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	free(c);
	free(order);
	free(arrays);
	*out = r;
	return KHO_OK;
fail:
	free(c);
	free(order);
	free(arrays);
	kho_report_free(r);
	return st;
}

KHO_EXPORT void kho_report_free(struct kho_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->in && i < r->n; i++) {
		kho_inspection_free(&r->in[i]);
		free(r->first ? r->first[i] : NULL);
	}
	free(r->in);
	free(r->first);
	kho_findings_free(&r->top);
	free(r);
}

KHO_EXPORT size_t kho_report_handovers(const struct kho_report *r)
{
	return r->n;
}

KHO_EXPORT uint64_t kho_report_fdt(const struct kho_report *r, size_t h)
{
	return h < r->n ? r->in[h].ho.fdt_phys : 0;
}

KHO_EXPORT const char *kho_report_compatible(const struct kho_report *r, size_t h)
{
	return h < r->n ? r->in[h].ho.compatible : "";
}

KHO_EXPORT uint64_t kho_report_keys(const struct kho_report *r, size_t h)
{
	return h < r->n ? r->in[h].stats.keys : 0;
}

KHO_EXPORT size_t kho_report_ranges(const struct kho_report *r, size_t h)
{
	return h < r->n ? r->first[h][r->in[h].nruns] : 0;
}

KHO_EXPORT void kho_report_range(const struct kho_report *r, size_t h, size_t i,
				 uint64_t *phys, unsigned *order, uint64_t *size)
{
	const struct kho_inspection *in;
	size_t lo = 0, hi;

	*phys = *size = 0;
	*order = 0;
	if (h >= r->n || i >= kho_report_ranges(r, h))
		return;
	in = &r->in[h];
	/* the run holding key i: the last whose first key is <= i */
	hi = in->nruns;
	while (hi - lo > 1) {
		size_t m = lo + (hi - lo) / 2;

		if (r->first[h][m] <= i)
			lo = m;
		else
			hi = m;
	}
	*order = in->runs[lo].order;
	*size = kho_order_bytes(&in->geo, *order);
	*phys = in->runs[lo].phys + (i - r->first[h][lo]) * *size;
}

KHO_EXPORT size_t kho_report_findings(const struct kho_report *r, size_t h)
{
	return h == SIZE_MAX || h < r->n ? findings_of(r, h)->n : 0;
}

KHO_EXPORT void kho_report_finding(const struct kho_report *r, size_t h, size_t i,
				   const char **check, const char **severity, uint64_t *phys,
				   const char **message)
{
	const struct kho_finding *x;

	*check = *severity = *message = "";
	*phys = 0;
	if ((h != SIZE_MAX && h >= r->n) || i >= findings_of(r, h)->n)
		return;
	x = &findings_of(r, h)->v[i];
	*check = x->check->name;
	*severity = kho_severity_str(x->severity);
	*phys = x->phys;
	*message = x->message;
}

KHO_EXPORT void kho_report_summary(const struct kho_report *r, size_t counts[4])
{
	size_t c[4];

	kho_findings_count(&r->top, counts);
	for (size_t h = 0; h < r->n; h++) {
		kho_findings_count(&r->in[h].findings, c);
		for (int k = 0; k < 4; k++)
			counts[k] += c[k];
	}
}

KHO_EXPORT bool kho_report_partial(const struct kho_report *r)
{
	size_t unread = kho_findings_unread(&r->top);

	for (size_t h = 0; h < r->n; h++)
		unread += kho_findings_unread(&r->in[h].findings);
	return unread > 0;
}
