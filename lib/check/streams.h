/* SPDX-License-Identifier: MIT */
/*
 * Runs come out of a walk in tree order: grouped by order, and ascending
 * by address within an order. Each maximal ascending slice of one order
 * is a stream; merging a handful of streams gives every run in address
 * order without sorting a million of them.
 */
#ifndef KHO_CHECK_STREAMS_H
#define KHO_CHECK_STREAMS_H

#include <sys/types.h>

#include "kho/verify.h"

struct stream {
	size_t next, end;     /* runs[next..end) still to come */
};

/* Split @in's runs into ascending same-order slices. returns: count, or -1. */
ssize_t streams_split(const struct kho_inspection *in, struct stream **out);

#endif
