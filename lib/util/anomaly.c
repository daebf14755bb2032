// SPDX-License-Identifier: MIT
/* Anomalies: the model's record of what was seen, before any verdict. */
#include "kho/anomaly.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void kho_anomaly(struct kho_anomalies *a, enum kho_anomaly_kind kind, uint64_t phys,
		 const char *fmt, ...)
{
	struct kho_anomaly *out;
	va_list ap;

	if ((size_t)kind >= KHO_AN_COUNT) {
		a->unknown++;     /* a bug of ours: never lose it */
		return;
	}
	if (a->kept[kind] >= KHO_ANOMALY_KEEP) {
		a->dropped[kind]++;
		return;
	}
	if (!ARRAY_RESERVE(a->v, a->cap, a->n)) {
		a->oom = true;
		a->dropped[kind]++;
		return;
	}
	out = &a->v[a->n++];
	out->kind = kind;
	out->phys = phys;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
	a->kept[kind]++;
}

size_t kho_anomalies_of(const struct kho_anomalies *a, enum kho_anomaly_kind kind)
{
	return (size_t)kind < KHO_AN_COUNT ? a->kept[kind] + a->dropped[kind] : 0;
}

void kho_anomalies_free(struct kho_anomalies *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}
