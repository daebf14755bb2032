/* SPDX-License-Identifier: MIT */
/*
 * A stream hands out runs of one order in ascending address order, one
 * at a time: from a radix cursor (decoded on demand, nothing stored) or
 * from a slice of a stored run array (kho-v1 chunks, the broken 16 KiB
 * depth, whose runs come in no useful order and are split into maximal
 * ascending slices of one order). Merging a handful of streams gives
 * every run in address order without sorting a million of them.
 */
#ifndef KHO_CHECK_STREAMS_H
#define KHO_CHECK_STREAMS_H

#include <sys/types.h>

#include "kho/verify.h"

#define STREAM_BATCH 64

struct stream {
	const struct kho_run *run;     /* the current run */
	uint64_t start, size, left;    /* its next block, block size, blocks left */
	const struct kho_run *v;       /* runs v[next..end) still to come: a slice */
	size_t next, end;              /* of the stored runs, or of batch[] */
	struct kho_radix_cursor c;     /* which a cursor refills (c.m not NULL) */
	struct kho_run batch[STREAM_BATCH];
};

/* Load the stream's next run. returns: false at its end. */
static inline bool stream_pull(struct stream *s, const struct kho_geometry *geo)
{
	if (s->next == s->end) {
		if (!s->c.m)
			return false;
		s->v = s->batch;
		s->next = 0;
		s->end = kho_radix_cursor_fill(&s->c, s->batch, STREAM_BATCH);
		if (!s->end)
			return false;
	}
	s->run = &s->v[s->next++];
	s->start = s->run->phys;
	s->size = kho_order_bytes(geo, s->run->order);
	s->left = s->run->count;
	return true;
}

/* Streams over @in's stored runs. returns: their number, or -1 (no memory). */
ssize_t streams_of_runs(const struct kho_inspection *in, struct stream **out);

/* One stream per order of @m, counting runs into @stats. returns: as above. */
ssize_t streams_of_radix(const struct kho_radix_map *m, struct kho_map_stats *stats,
			 struct stream **out);

#endif
