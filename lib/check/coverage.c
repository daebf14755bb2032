// SPDX-License-Identifier: MIT
/*
 * What must be preserved and is not, and what must not be and is: the
 * FDT page and every sub-blob must lie in preserved memory; tree pages
 * and the FDT must lie outside scratch (the next kernel allocates there
 * before it has read them) and tree pages should not themselves be
 * preserved (they survive only because scratch holds early allocations).
 */
#include "kho/verify.h"

#include <stdlib.h>

#include "../util/util.h"

#define HEX(x) ((unsigned long long)(x))

#define span kho_span

/* Index of the first span ending after @a. */
static size_t first_after(const struct span *u, size_t n, uint64_t a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool overlaps(const struct span *u, size_t n, uint64_t a, uint64_t b)
{
	size_t i = first_after(u, n, a);

	return i < n && u[i].start < b;
}

KHO_EXPORT uint64_t kho_spans_first_uncovered(const struct kho_span *u, size_t n, uint64_t a,
					     uint64_t b)
{
	for (size_t i = first_after(u, n, a); i < n && a < b; i++) {
		if (u[i].start > a)
			return a;
		a = u[i].end;
	}
	return a < b ? a : b;
}

static bool in_scratch(const struct kho_inspection *in, uint64_t a, uint64_t len)
{
	for (size_t s = 0; s < in->ho.nscratch; s++) {
		const struct kho_scratch_area *x = &in->ho.scratch[s];

		if (x->size && x->phys < a + len && a < x->phys + x->size)
			return true;
	}
	return false;
}

KHO_EXPORT void kho_check_coverage(struct kho_source *src, const struct kho_inspection *in,
				   struct kho_findings *f)
{
	uint64_t page = in->geo.page_size, p;
	size_t n = in->nspans;
	const struct span *u = in->spans;

	(void)src;
	if (in->ho.abi && in->ho.abi->fdt_preserved &&
	    kho_spans_first_uncovered(u, n, in->ho.fdt_phys, in->ho.fdt_phys + page) !=
		    in->ho.fdt_phys + page)
		kho_report(f, "fdt-not-preserved", in->ho.fdt_phys,
			   "the KHO FDT page is not an order-0 key of its own map");
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		uint64_t end = t->phys + t->size;

		if (!t->usable || end < t->phys)
			continue;
		p = kho_spans_first_uncovered(u, n, t->phys, end);
		if (p != end)
			kho_report(f, "blob-not-preserved", p,
				   "sub-node %s: blob 0x%llx+0x%llx is not preserved from 0x%llx",
				   t->name, HEX(t->phys), HEX(t->size), HEX(p));
	}
	for (size_t i = 0; i < in->npages; i++) {
		const struct kho_tree_page *t = &in->pages[i];
		const char *what = t->level > 0 ? "node" : t->level < 0 ? "chunk" : "leaf";

		if (in_scratch(in, t->phys, t->bytes))
			kho_report(f, "radix-node-scratch", t->phys,
				   "level-%d %s page lies in a scratch area: the next kernel may "
				   "overwrite it before reading it", t->level, what);
		if (overlaps(u, n, t->phys, t->phys + t->bytes))
			kho_report(f, "radix-node-preserved", t->phys,
				   "level-%d %s page is itself inside preserved memory",
				   t->level, what);
	}
	if (in_scratch(in, in->ho.fdt_phys, page))
		kho_report(f, "radix-node-scratch", in->ho.fdt_phys,
			   "the KHO FDT page lies in a scratch area");
}
