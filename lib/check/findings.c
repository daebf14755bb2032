// SPDX-License-Identifier: MIT
/* Findings: facts about an image, with severities a user may change. */
#include "kho/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "checks.h"

#define DEFAULT_LIMIT 1000
/* No -W/-E given: the check's (or the report's) own severity applies. */
#define SEV_DEFAULT ((enum kho_severity)-2)

KHO_EXPORT size_t kho_check_count(void)
{
	size_t n = 0;

	for (const struct kho_check_info *c = kho_checks(); c->name; c++)
		n++;
	return n;
}

KHO_EXPORT size_t kho_check_index(const struct kho_check_info *c)
{
	return (size_t)(c - kho_checks());
}

KHO_EXPORT void kho_findings_init(struct kho_findings *f)
{
	size_t n = kho_check_count();

	memset(f, 0, sizeof(*f));
	f->stored = calloc(n * KHO_SEV_COUNT, sizeof(*f->stored));
	f->dropped = calloc(n * KHO_SEV_COUNT, sizeof(*f->dropped));
	f->severity = calloc(n, sizeof(*f->severity));
	if (!f->stored || !f->dropped || !f->severity) {
		f->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		f->severity[i] = SEV_DEFAULT;
}

KHO_EXPORT void kho_findings_free(struct kho_findings *f)
{
	free(f->v);
	free(f->stored);
	free(f->dropped);
	free(f->severity);
	memset(f, 0, sizeof(*f));
}

KHO_EXPORT bool kho_findings_set_severity(struct kho_findings *f, const char *check,
					  enum kho_severity sev)
{
	const struct kho_check_info *c = kho_check_find(check);

	if (!c || !f->severity)
		return false;
	f->severity[kho_check_index(c)] = sev;
	return true;
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

static void vreport(struct kho_findings *f, const char *check, int sev, uint64_t phys,
		    const char *fmt, va_list ap)
{
	const struct kho_check_info *c = kho_check_find(check);
	size_t i, slot;
	struct kho_finding *out;

	if (!c || !f->severity) {
		/* A check name that is not in the table is a bug of ours, and
		 * a finding must never vanish: count it as an error. */
		f->unknown++;
		return;
	}
	i = kho_check_index(c);
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
	out->check = c;
	out->severity = (enum kho_severity)sev;
	out->phys = phys;
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	f->stored[slot]++;
}

KHO_EXPORT void kho_report(struct kho_findings *f, const char *check, uint64_t phys,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(f, check, -1, phys, fmt, ap);
	va_end(ap);
}

KHO_EXPORT void kho_report_sev(struct kho_findings *f, const char *check,
			       enum kho_severity sev, uint64_t phys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(f, check, (int)sev, phys, fmt, ap);
	va_end(ap);
}

KHO_EXPORT void kho_findings_count(const struct kho_findings *f, size_t counts[4])
{
	size_t n = kho_check_count();

	memset(counts, 0, 4 * sizeof(*counts));
	for (size_t i = 0; i < f->n; i++)
		counts[f->v[i].severity]++;
	for (size_t i = 0; f->dropped && i < n * KHO_SEV_COUNT; i++)
		counts[i % KHO_SEV_COUNT] += f->dropped[i];
	counts[KHO_SEV_ERROR] += f->unknown;
}

KHO_EXPORT size_t kho_findings_of(const struct kho_findings *f, const char *check)
{
	const struct kho_check_info *c = kho_check_find(check);
	size_t i, sum = 0;

	if (!c || !f->stored)
		return 0;
	i = kho_check_index(c);
	for (size_t s = 0; s < KHO_SEV_COUNT; s++)
		sum += f->stored[i * KHO_SEV_COUNT + s] + f->dropped[i * KHO_SEV_COUNT + s];
	return sum;
}

KHO_EXPORT size_t kho_findings_dropped(const struct kho_findings *f, size_t i,
				       enum kho_severity sev)
{
	if (!f->dropped || sev < 0 || sev >= KHO_SEV_COUNT || i >= kho_check_count())
		return 0;
	return f->dropped[i * KHO_SEV_COUNT + (size_t)sev];
}

/*
 * Internal (lib/check/checks.h): loops over blocks stop at the cap of the
 * severity their findings get (@sev, or -1 for the check's own).
 */
bool check_capped(const struct kho_findings *f, const char *check, int sev)
{
	const struct kho_check_info *c = kho_check_find(check);
	size_t i;

	if (!c || !f->stored)
		return false;
	i = kho_check_index(c);
	sev = effective(f, i, sev);
	return sev != KHO_SEV_OFF &&
	       f->stored[i * KHO_SEV_COUNT + (size_t)sev] >= limit_of(f);
}

/* ... and count the blocks they did not look at as dropped findings. */
void check_drop(struct kho_findings *f, const char *check, int sev, uint64_t n)
{
	const struct kho_check_info *c = kho_check_find(check);
	size_t i;

	if (!c || !f->dropped)
		return;
	i = kho_check_index(c);
	sev = effective(f, i, sev);
	if (sev != KHO_SEV_OFF)
		f->dropped[i * KHO_SEV_COUNT + (size_t)sev] += n;
}
