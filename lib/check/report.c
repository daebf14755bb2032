// SPDX-License-Identifier: MIT
/*
 * kho_report: the verdict of kho-inspect verify --ranges behind a handle
 * (include/kho/report.h): the discovery session kho-inspect runs
 * (kho/session.h), with the runs kept.
 */
#include "kho/report.h"

#include <stdlib.h>
#include <string.h>

#include "kho/session.h"
#include "../util/util.h"

struct kho_report {
	struct kho_session s;
	/* each handover's keys, one per block: [start, end) into runs */
	size_t **first;
};

static const struct kho_findings *findings_of(const struct kho_report *r, size_t h)
{
	return h == SIZE_MAX ? &r->s.top : &r->s.hs[h].in.findings;
}

/* Where each key's run is: first[h][k] is the run of key k's successor. */
static bool index_keys(struct kho_report *r, size_t h)
{
	const struct kho_inspection *in = &r->s.hs[h].in;
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
	struct kho_scratch_area *arrays = calloc(narrays ? narrays : 1, sizeof(*arrays));
	struct kho_report *r = calloc(1, sizeof(*r));
	struct kho_session_opts so = { .src = src, .have_fdt = have_fdt, .fdt = fdt,
				       .narrays = narrays, .keep_runs = true };
	enum kho_status st;

	*out = NULL;
	if (!r || !arrays) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < narrays; i++)
		arrays[i] = (struct kho_scratch_area){ scratch_arrays[2 * i],
						       scratch_arrays[2 * i + 1] };
	so.arrays = arrays;
	if ((st = kho_session_open(&so, &r->s, err)))
		goto fail;
	r->first = calloc(r->s.nh ? r->s.nh : 1, sizeof(*r->first));
	if (!r->first) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < r->s.nh; i++)
		if (!index_keys(r, i)) {
			st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
			goto fail;
		}
	free(arrays);
	*out = r;
	return KHO_OK;
fail:
	free(arrays);
	kho_report_free(r);
	return st;
}

KHO_EXPORT void kho_report_free(struct kho_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->first && i < r->s.nh; i++)
		free(r->first[i]);
	free(r->first);
	kho_session_close(&r->s);
	free(r);
}

KHO_EXPORT size_t kho_report_handovers(const struct kho_report *r)
{
	return r->s.nh;
}

KHO_EXPORT uint64_t kho_report_fdt(const struct kho_report *r, size_t h)
{
	return h < r->s.nh ? r->s.hs[h].in.ho.fdt_phys : 0;
}

KHO_EXPORT const char *kho_report_compatible(const struct kho_report *r, size_t h)
{
	return h < r->s.nh ? r->s.hs[h].in.ho.compatible : "";
}

KHO_EXPORT uint64_t kho_report_keys(const struct kho_report *r, size_t h)
{
	return h < r->s.nh ? r->s.hs[h].in.stats.keys : 0;
}

KHO_EXPORT size_t kho_report_ranges(const struct kho_report *r, size_t h)
{
	return h < r->s.nh ? r->first[h][r->s.hs[h].in.nruns] : 0;
}

KHO_EXPORT void kho_report_range(const struct kho_report *r, size_t h, size_t i,
				 uint64_t *phys, unsigned *order, uint64_t *size)
{
	const struct kho_inspection *in;
	size_t lo = 0, hi;

	*phys = *size = 0;
	*order = 0;
	if (h >= r->s.nh || i >= kho_report_ranges(r, h))
		return;
	in = &r->s.hs[h].in;
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
	return h == SIZE_MAX || h < r->s.nh ? findings_of(r, h)->n : 0;
}

KHO_EXPORT void kho_report_finding(const struct kho_report *r, size_t h, size_t i,
				   const char **check, const char **severity, uint64_t *phys,
				   const char **message)
{
	const struct kho_finding *x;

	*check = *severity = *message = "";
	*phys = 0;
	if ((h != SIZE_MAX && h >= r->s.nh) || i >= findings_of(r, h)->n)
		return;
	x = &findings_of(r, h)->v[i];
	*check = x->check->name;
	*severity = kho_severity_str(x->severity);
	*phys = x->phys;
	*message = x->message;
}

KHO_EXPORT void kho_report_summary(const struct kho_report *r, size_t counts[4])
{
	kho_session_summary(&r->s, counts);
}

KHO_EXPORT bool kho_report_partial(const struct kho_report *r)
{
	return kho_session_partial(&r->s);
}
