// SPDX-License-Identifier: MIT
#include "streams.h"

#include <stdlib.h>

#include "../util/util.h"

ssize_t streams_of_runs(const struct kho_inspection *in, struct stream **out)
{
	struct stream *v = NULL, *s = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < in->nruns; i++) {
		const struct kho_run *r = &in->runs[i], *p = i ? &in->runs[i - 1] : NULL;

		if (!p || p->order != r->order || p->phys >= r->phys) {
			if (!(s = ARRAY_ADD(v, cap, n))) {
				free(v);
				return -1;
			}
			s->v = in->runs;
			s->next = i;
		}
		s->end = i + 1;
	}
	*out = v;
	return (ssize_t)n;
}

ssize_t streams_of_radix(const struct kho_radix_map *m, struct kho_map_stats *stats,
			 struct stream **out)
{
	struct stream *v = calloc(m->geo->key_width, sizeof(*v));

	if (!v)
		return -1;
	for (unsigned o = 0; o < m->geo->key_width; o++)
		kho_radix_cursor_init(&v[o].c, m, o, stats);
	*out = v;
	return m->geo->key_width;
}
