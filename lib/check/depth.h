/* SPDX-License-Identifier: MIT */
/* When a 16 KiB radix tree was built with the pre-fix depth (depth.c). */
#ifndef KHO_CHECK_DEPTH_H
#define KHO_CHECK_DEPTH_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/abi.h"
#include "kho/source.h"

/*
 * radix_depth_is_broken - whether the tree rooted at @root carries the
 * signature of the 7.1-rc depth-4 tree on 16 KiB pages (@good is the
 * correct geometry; @fdt_phys the KHO FDT page when it must be an order-0
 * key, else 0). Only positive evidence counts: a depth-5 tree with an
 * ordinary defect is never taken for it.
 * returns: true only for 16 KiB trees that look built at depth 4.
 */
bool radix_depth_is_broken(struct kho_source *src, const struct kho_geometry *good,
			   uint64_t root, uint64_t fdt_phys);

#endif
