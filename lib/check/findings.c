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
	f->stored = calloc(n, sizeof(*f->stored));
	f->dropped = calloc(n, sizeof(*f->dropped));
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

static void vreport(struct kho_findings *f, const char *check, int sev, uint64_t phys,
		    const char *fmt, va_list ap)
{
	const struct kho_check_info *c = kho_check_find(check);
	size_t i;
	struct kho_finding *out;

	if (!c || !f->severity)
		return;
	i = kho_check_index(c);
	if (f->severity[i] != SEV_DEFAULT)   /* the user's word wins */
		sev = f->severity[i];
	else if (sev < 0)
		sev = c->severity;
	if (sev == KHO_SEV_OFF)
		return;
	if (f->stored[i] >= (f->limit ? f->limit : DEFAULT_LIMIT)) {
		f->dropped[i]++;
		return;
	}
	if (!ARRAY_RESERVE(f->v, f->cap, f->n)) {
		f->oom = true;
		f->dropped[i]++;
		return;
	}
	out = &f->v[f->n++];
	out->check = c;
	out->severity = (enum kho_severity)sev;
	out->phys = phys;
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	f->stored[i]++;
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
	for (size_t i = 0; f->dropped && i < n; i++) {
		enum kho_severity s = f->severity[i] == SEV_DEFAULT ? kho_checks()[i].severity :
				      f->severity[i];

		if (f->dropped[i] && s >= 0)
			counts[s] += f->dropped[i];
	}
}

/* Internal (lib/check/checks.h): loops over blocks stop at the cap. */
bool check_capped(const struct kho_findings *f, const char *check)
{
	const struct kho_check_info *c = kho_check_find(check);

	return c && f->stored &&
	       f->stored[kho_check_index(c)] >= (f->limit ? f->limit : DEFAULT_LIMIT);
}

/* ... and count the blocks they did not look at as dropped findings. */
void check_drop(struct kho_findings *f, const char *check, uint64_t n)
{
	const struct kho_check_info *c = kho_check_find(check);

	if (c && f->dropped)
		f->dropped[kho_check_index(c)] += n;
}
