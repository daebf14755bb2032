// SPDX-License-Identifier: MIT
/* The needs the coverage checks recorded, answered after the merge (cover.h). */
#include <stdio.h>

#include "../util/util.h"
#include "checks.h"

/* Who needs it, in words: "sub-node NAME: vmalloc run", "LUO: ...". */
static void who_needs(const struct need *x, char *buf, size_t size)
{
	int n = x->who ? snprintf(buf, size, "sub-node %s: %s", x->who, x->what) :
			 snprintf(buf, size, "%s%s", x->pre ? x->pre : "", x->what);

	if (n < 0 || (size_t)n >= size)
		return;
	if (x->name)
		snprintf(buf + n, size - (size_t)n, " %s", x->name);
	else if (x->index >= 0)
		snprintf(buf + n, size - (size_t)n, " %lld", x->index);
}

/* Whether a key that would preserve the page at @phys lies in a part of
 * the map that could not be read: then "not preserved" cannot be told
 * from "preserved where we cannot see". */
static bool may_preserve(const struct kho_inspection *in, uint64_t phys)
{
	const struct kho_geometry *geo = &in->geo;

	if (!in->nunknown_keys || geo->broken_depth)
		return in->nunknown_keys != 0;
	/* Any order's key for the block holding @phys. */
	for (unsigned order = 0; order <= kho_max_order(geo); order++) {
		uint64_t key = kho_key_encode(geo, phys & ~(kho_order_bytes(geo, order) - 1),
					      order);

		for (size_t i = 0; i < in->nunknown_keys; i++)
			if (key >= in->unknown_keys[i].start && key <= in->unknown_keys[i].end)
				return true;
		if (order + geo->page_shift >= 63)
			break;
	}
	return false;
}

/* Asked only once the union is known and only of covered memory, so a
 * page is either not preserved or not restorable, never both. A key that
 * may sit in a part of the map that could not be read is not guessed at. */
static void key_start(struct kho_source *src, const struct kho_inspection *in,
		      uint64_t phys, int order, const char *who, struct kho_findings *f)
{
	int got = order < 0 ? key_order_at(src, in, phys) :
			      kho_inspection_key(src, in, phys, (unsigned)order);

	if ((order < 0 ? got != -1 : got != 0) || may_preserve(in, phys))
		return;
	if (order < 0)
		kho_flag(f, KHO_CHECK_BLOB_KEY_START, phys, "%s: no key starts at 0x%llx, "
			 "though a larger one covers it: kho_restore_folio() refuses it", who,
			 HEX(phys));
	else
		kho_flag(f, KHO_CHECK_BLOB_KEY_START, phys, "%s: no order-%d key starts at "
			 "0x%llx, though it is covered: kho_restore_pages() refuses a page no "
			 "key starts at, and after a smaller key restores only that key's pages",
			 who, order, HEX(phys));
}

static void answer(struct kho_source *src, struct cover *c, const struct need *x,
		   struct kho_findings *f)
{
	const struct kho_inspection *in = c->in;
	uint64_t p;
	char who[200];
	bool unknown;

	if (x->check == KHO_CHECK_RADIX_NODE_PRESERVED) {
		if (cover_meets(c, x->a, x->b))
			kho_flag(f, x->check, x->a, "level-%lld %s page is itself inside "
				 "preserved memory", x->index, x->what);
		return;
	}
	p = cover_first_gap(c, x->a, x->b);
	if (p != x->b && x->check == KHO_CHECK_FDT_NOT_PRESERVED) {
		if (may_preserve(in, x->a))
			kho_flag_sev(f, x->check, KHO_SEV_INCOMPLETE, x->a,
				     "the KHO FDT page is not a key of the part of its map that "
				     "could be read; its key may be in the part that could not");
		else
			kho_flag(f, x->check, x->a,
				 "the KHO FDT page is not an order-0 key of its own map");
		return;
	}
	if (p == x->b ? x->key == NEED_NO_KEY : x->check == KHO_CHECK_COUNT)
		return;
	who_needs(x, who, sizeof(who));
	if (p == x->b)
		return key_start(src, in, x->a, x->key, who, f);
	/* incomplete when the key that would preserve @p may be in a subtree
	 * that could not be read */
	unknown = may_preserve(in, p);
	kho_flag_sev(f, x->check, unknown ? KHO_SEV_INCOMPLETE : -1, p,
		     "%s 0x%llx+0x%llx is not preserved from 0x%llx%s", who, HEX(x->a),
		     HEX(x->len), HEX(p), unknown ? " as far as the map could be read" : "");
}

/* Findings [@from, @to) of the deferred list, as they were. */
static void give(const struct kho_findings *later, size_t from, size_t to,
		 struct kho_findings *f)
{
	unsigned pass = f->pass;

	f->pass = 0;   /* moved, not raised: their pass was checked then */
	for (size_t i = from; i < to; i++) {
		const struct kho_finding *x = &later->v[i];

		kho_flag_sev(f, kho_check_index(x->check), x->severity, x->phys, "%s",
			     x->message);
	}
	f->pass = pass;
}

void cover_answer(struct kho_source *src, struct cover *c, struct kho_findings *f)
{
	const struct kho_findings *later = &c->later;
	size_t done = 0;

	for (size_t i = 0; i < c->nneeds; i++) {
		give(later, done, c->needs[i].before, f);
		done = c->needs[i].before;
		answer(src, c, &c->needs[i], f);
	}
	give(later, done, later->n, f);
	/* the deferred list has no -W/-E of its own: a count moves as it is */
	for (size_t i = 0; i < ARRAY_SIZE(later->dropped); i++)
		if (later->dropped[i])
			check_drop(f, (enum kho_check_id)(i / KHO_SEV_COUNT), (int)(i % KHO_SEV_COUNT),
				   later->dropped[i]);
	f->unknown += later->unknown;
	f->oom |= later->oom;
}
