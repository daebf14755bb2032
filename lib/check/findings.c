// SPDX-License-Identifier: MIT
/* Findings: facts about an image, with severities a user may change. */
#include "kho/findings.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "checks.h"

#define DEFAULT_LIMIT 1000
/* No -W/-E given: the check's (or the report's) own severity applies. */
#define SEV_DEFAULT ((enum kho_severity)-2)

void kho_findings_init(struct kho_findings *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < KHO_CHECK_COUNT; i++)
		f->severity[i] = SEV_DEFAULT;
}

void kho_findings_free(struct kho_findings *f)
{
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void kho_findings_set_severities(struct kho_findings *f, const struct kho_model_severity *v,
				 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct kho_check_info *c = kho_check_find(v[i].check);

		if (c)
			f->severity[kho_check_index(c)] = v[i].severity;
	}
}

/* The severity a finding of check index @i gets: the user's word wins. */
static int effective(const struct kho_findings *f, size_t i, int sev)
{
	if (f->severity[i] != SEV_DEFAULT)
		return f->severity[i];
	return sev < 0 ? (int)kho_checks()[i].severity : sev;
}

static size_t limit_of(const struct kho_findings *f)
{
	return f->limit ? f->limit : DEFAULT_LIMIT;
}

static void vreport(struct kho_findings *f, enum kho_check_id check, int sev, uint64_t phys,
		    const char *fmt, va_list ap)
{
	size_t i = (size_t)check, slot;
	struct kho_finding *out;

	if (i >= KHO_CHECK_COUNT) {
		/* An id past the table is a bug of ours, and a finding must
		 * never vanish: count it as an error. */
		f->unknown++;
		return;
	}
	/* the check table says where each check is raised: keep it true */
	assert(!f->pass || (kho_checks()[i].passes & f->pass));
	sev = effective(f, i, sev);
	if (sev == KHO_SEV_OFF)
		return;
	slot = i * KHO_SEV_COUNT + (size_t)sev;
	if (f->stored[slot] >= limit_of(f)) {
		f->dropped[slot]++;
		return;
	}
	if (!ARRAY_RESERVE(f->v, f->cap, f->n)) {
		f->oom = true;
		f->dropped[slot]++;
		return;
	}
	out = &f->v[f->n++];
	out->check = &kho_checks()[i];
	out->severity = (enum kho_severity)sev;
	out->phys = phys;
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	f->stored[slot]++;
}

void kho_flag(struct kho_findings *f, enum kho_check_id check, uint64_t phys,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(f, check, -1, phys, fmt, ap);
	va_end(ap);
}

void kho_flag_sev(struct kho_findings *f, enum kho_check_id check,
		  enum kho_severity sev, uint64_t phys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(f, check, (int)sev, phys, fmt, ap);
	va_end(ap);
}

void kho_findings_count(const struct kho_findings *f, size_t counts[4])
{
	memset(counts, 0, 4 * sizeof(*counts));
	for (size_t i = 0; i < f->n; i++)
		counts[f->v[i].severity]++;
	for (size_t i = 0; i < ARRAY_SIZE(f->dropped); i++)
		counts[i % KHO_SEV_COUNT] += f->dropped[i];
	counts[KHO_SEV_ERROR] += f->unknown;
}

size_t kho_findings_of(const struct kho_findings *f, enum kho_check_id check)
{
	size_t i = (size_t)check, sum = 0;

	if (i >= KHO_CHECK_COUNT)
		return 0;
	for (size_t s = 0; s < KHO_SEV_COUNT; s++)
		sum += f->stored[i * KHO_SEV_COUNT + s] + f->dropped[i * KHO_SEV_COUNT + s];
	return sum;
}

size_t kho_findings_dropped(const struct kho_findings *f, enum kho_check_id check,
			    enum kho_severity sev)
{
	size_t i = (size_t)check;

	if (sev < 0 || sev >= KHO_SEV_COUNT || i >= KHO_CHECK_COUNT)
		return 0;
	return f->dropped[i * KHO_SEV_COUNT + (size_t)sev];
}

bool check_capped(const struct kho_findings *f, enum kho_check_id check, int sev)
{
	size_t i = (size_t)check;

	if (i >= KHO_CHECK_COUNT)
		return false;
	sev = effective(f, i, sev);
	return sev != KHO_SEV_OFF &&
	       f->stored[i * KHO_SEV_COUNT + (size_t)sev] >= limit_of(f);
}

void check_drop(struct kho_findings *f, enum kho_check_id check, int sev, uint64_t n)
{
	size_t i = (size_t)check;

	if (i >= KHO_CHECK_COUNT)
		return;
	sev = effective(f, i, sev);
	if (sev != KHO_SEV_OFF)
		f->dropped[i * KHO_SEV_COUNT + (size_t)sev] += n;
}
