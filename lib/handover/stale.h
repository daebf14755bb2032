/* SPDX-License-Identifier: MIT */
#ifndef KHO_HANDOVER_STALE_H
#define KHO_HANDOVER_STALE_H

#include "kho/handover.h"

/*
 * kho_label_stale - set possibly_overwritten on each of @c's candidates
 * that is neither @o->chosen nor @o->incoming_fdt and lies in a 1 GiB
 * block holding nothing the tree at @o->incoming_tree preserves (nor a
 * page of that tree). Nothing is labelled when the tree cannot be read
 * whole or the incoming handover has no radix tree.
 * returns: KHO_OK; KHO_ERR_NOMEM / KHO_ERR_SYSTEM from the walk.
 */
enum kho_status kho_label_stale(struct kho_source *src, struct kho_candidate *c, size_t n,
				const struct kho_select_opts *o, struct kho_error *err);

#endif
