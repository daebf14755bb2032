// SPDX-License-Identifier: MIT
/*
 * kho_report: the verdict of kho-inspect verify --ranges behind a handle
 * (include/kho/report.h): a model (kho/model.h) of the discovery session
 * kho-inspect runs, with its keys indexed for kho_report_range().
 */
#include "kho/report.h"

#include <stdlib.h>

#include "kho/model.h"
#include "kho/session.h"
#include "../util/util.h"

struct kho_report {
	struct kho_model *m;
	const struct kho_session *s;   /* the model's */
	/* each handover's keys, one per block: [start, end) into runs */
	size_t **first;
};

KHO_EXPORT enum kho_status kho_report_run(struct kho_source *src, bool have_fdt, uint64_t fdt,
					  const uint64_t *scratch_arrays, size_t narrays,
					  struct kho_report **out, struct kho_error *err)
{
	struct kho_model_opts o = { .size = sizeof(o), .flags = have_fdt ? KHO_MODEL_FDT : 0,
				    .fdt = fdt, .scratch_arrays = scratch_arrays,
				    .nscratch_arrays = narrays };
	struct kho_report *r = calloc(1, sizeof(*r));
	struct kho_error mine, *e = err ? err : &mine;
	bool ok;

	*out = NULL;
	if (!r)
		return kho_error_set(e, KHO_ERR_NOMEM, "out of memory");
	if (!(r->m = kho_model_open_source(src, &o, e))) {
		free(r);
		return e->status;
	}
	r->s = kho_model_session(r->m);
	ok = (r->first = calloc(r->s->nh ? r->s->nh : 1, sizeof(*r->first))) != NULL;
	for (size_t h = 0; ok && h < r->s->nh; h++) {
		const struct kho_inspection *in = &r->s->hs[h];

		/* first[h][i]: the keys before run i, so [nruns] is them all */
		ok = (r->first[h] = calloc(in->nruns + 1, sizeof(**r->first))) != NULL;
		for (size_t i = 0; ok && i < in->nruns; i++)
			r->first[h][i + 1] = r->first[h][i] + (size_t)in->runs[i].count;
	}
	if (!ok) {
		kho_report_free(r);
		return kho_error_set(e, KHO_ERR_NOMEM, "out of memory");
	}
	*out = r;
	return KHO_OK;
}

KHO_EXPORT void kho_report_free(struct kho_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->first && i < r->s->nh; i++)
		free(r->first[i]);
	free(r->first);
	kho_model_close(r->m);
	free(r);
}

KHO_EXPORT size_t kho_report_handovers(const struct kho_report *r)
{
	return kho_model_handovers(r->m);
}

KHO_EXPORT uint64_t kho_report_fdt(const struct kho_report *r, size_t h)
{
	return kho_model_handover_fdt(r->m, h);
}

KHO_EXPORT const char *kho_report_compatible(const struct kho_report *r, size_t h)
{
	return kho_model_handover_compatible(r->m, h);
}

KHO_EXPORT uint64_t kho_report_keys(const struct kho_report *r, size_t h)
{
	return kho_model_handover_keys(r->m, h);
}

KHO_EXPORT size_t kho_report_ranges(const struct kho_report *r, size_t h)
{
	return h < r->s->nh ? r->first[h][r->s->hs[h].nruns] : 0;
}

KHO_EXPORT void kho_report_range(const struct kho_report *r, size_t h, size_t i,
				 uint64_t *phys, unsigned *order, uint64_t *size)
{
	const struct kho_inspection *in;
	size_t lo;

	*phys = *size = 0;
	*order = 0;
	if (i >= kho_report_ranges(r, h))
		return;
	in = &r->s->hs[h];
	/* the run holding key i: the last whose first key is <= i */
	lo = PARTITION_POINT(in->nruns, m, r->first[h][m] <= i) - 1;
	*order = in->runs[lo].order;
	*size = kho_order_bytes(&in->geo, *order);
	*phys = in->runs[lo].phys + (i - r->first[h][lo]) * *size;
}

KHO_EXPORT size_t kho_report_findings(const struct kho_report *r, size_t h)
{
	return kho_model_findings(r->m, h);
}

KHO_EXPORT void kho_report_finding(const struct kho_report *r, size_t h, size_t i,
				   const char **check, const char **severity, uint64_t *phys,
				   const char **message)
{
	*check = *severity = *message = "";
	*phys = 0;
	kho_model_finding(r->m, h, i, check, severity, phys, message);
}

KHO_EXPORT void kho_report_summary(const struct kho_report *r, size_t counts[4])
{
	kho_model_summary(r->m, counts);
}

KHO_EXPORT bool kho_report_partial(const struct kho_report *r)
{
	return kho_model_partial(r->m);
}
