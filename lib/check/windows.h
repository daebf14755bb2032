/* SPDX-License-Identifier: MIT */
/* range-overlap and the per-run checks proved for a clean radix tree
 * without merging its orders (windows.c). */
#ifndef KHO_CHECK_WINDOWS_H
#define KHO_CHECK_WINDOWS_H

#include "checks.h"

/*
 * check_windows - prove that check_merge() over the cursors of @m, with
 * @rc and @c, would report nothing, and do what it would do besides: add
 * every key to in->stats as the cursors count them and hand the union
 * to @c (closed). Reports nothing, ever.
 * returns: true if proved; false if the merge must run (then @c is as
 * cover_seal() left it and in->stats is untouched): something would be
 * reported, the union is wanted whole, or no memory.
 */
bool check_windows(struct kho_inspection *in, const struct kho_radix_map *m,
		   struct run_checks *rc, struct cover *c);

#endif
