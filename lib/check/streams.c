// SPDX-License-Identifier: MIT
#include "streams.h"

#include <stdlib.h>

#include "../util/util.h"

ssize_t streams_split(const struct kho_inspection *in, struct stream **out)
{
	struct stream *v = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < in->nruns; i++) {
		const struct kho_run *r = &in->runs[i], *p = i ? &in->runs[i - 1] : NULL;

		if (!p || p->order != r->order || p->phys >= r->phys) {
			if (!ARRAY_RESERVE(v, cap, n)) {
				free(v);
				return -1;
			}
			v[n++] = (struct stream){ i, i };
		}
		v[n - 1].end = i + 1;
	}
	*out = v;
	return (ssize_t)n;
}
