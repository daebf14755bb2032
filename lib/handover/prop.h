/* SPDX-License-Identifier: MIT */
/* Reading the KHO FDT's u64 properties, stored in the dump's byte order. */
#ifndef KHO_HANDOVER_PROP_H
#define KHO_HANDOVER_PROP_H

#include <libfdt.h>
#include <stdbool.h>
#include <stdint.h>

#include "../util/util.h"

/* Property @name of @node as one u64. *@len (if @len) gets libfdt's
 * length or error. returns: false when missing or not 8 bytes long. */
static inline bool prop_get_u64(const void *fdt, int node, const char *name, bool big_endian,
			       uint64_t *v, int *len)
{
	int l;
	const void *p = fdt_getprop(fdt, node, name, &l);

	PUT_OPT(len, l);
	if (!p || l != 8)
		return false;
	*v = load_u64(p, big_endian);
	return true;
}

#endif
