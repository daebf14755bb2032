// SPDX-License-Identifier: MIT
/*
 * What owns memory, as far as the handover says: the FDT page, tree pages
 * (by level), sub-blobs, reserve-mem regions, vmalloc chunks and runs, LUO
 * blocks, records and folios, scratch areas. Built once per handover and
 * asked per address or range by whatis, ranges and the findings.
 *
 * Owners may nest (a folio inside a reserve-mem region, anything inside a
 * scratch area), so a query walks a max-end segment tree over the owners
 * sorted by start: each owner found costs O(log n), and a range inside a
 * huge region does not scan everything before it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/util/util.h"
#include "owners.h"

static void add(struct owners *o, const char *kind, uint64_t phys, uint64_t size,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add(struct owners *o, const char *kind, uint64_t phys, uint64_t size,
		const char *fmt, ...)
{
	struct owner *w;
	va_list ap;

	if (!size || o->oom)
		return;
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 64;
		struct owner *v = realloc(o->v, cap * sizeof(*v));

		if (!v) {
			o->oom = true;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	w = &o->v[o->n++];
	w->phys = phys;
	w->size = phys + size < phys ? UINT64_MAX - phys : size;
	w->kind = kind;
	w->file_index = UINT64_MAX;
	va_start(ap, fmt);
	vsnprintf(w->what, sizeof(w->what), fmt, ap);
	va_end(ap);
}

struct vm_ctx {
	struct owners *o;
	const char *name;
	uint64_t run_bytes;
};

static bool vm_chunk(void *ctx, uint64_t chunk)
{
	struct vm_ctx *c = ctx;

	add(c->o, "vmalloc", chunk, c->o->page, "chunk of %s", c->name);
	return true;
}

static void vm_run(void *ctx, uint64_t slot, uint64_t run)
{
	struct vm_ctx *c = ctx;

	(void)slot;
	add(c->o, "vmalloc", run, c->run_bytes, "run of %s", c->name);
}

static void vmalloc_chain(struct kho_source *src, const struct kho_inspection *in,
			  struct owners *o, const struct kho_subtree *t,
			  const struct kho_vmalloc_desc *vm)
{
	struct vm_ctx c = { o, t->name, 0 };
	struct kho_vmalloc_visitor v = { &c, vm_chunk, vm_run, NULL };   /* blob-vmalloc: problems */
	bool oom = false;

	if (!vm->first || in->geo.page_shift + vm->order >= 64)
		return;
	c.run_bytes = o->page << vm->order;
	kho_vmalloc_walk(src, t->phys, vm->first, vm->order, &v, &oom);
	o->oom |= oom;
}

static void subtrees(struct kho_source *src, const struct kho_inspection *in,
		     struct owners *o)
{
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];

		if (t->phys)
			add(o, "sub-blob", t->phys, t->size ? t->size : 1, "%s", t->name);
		for (size_t r = 0; t->kind == KHO_BLOB_MEMBLOCK && r < t->u.memblock.n; r++)
			add(o, "reserve-mem", t->u.memblock.r[r].start, t->u.memblock.r[r].size,
			    "%s", t->u.memblock.r[r].name);
		if (t->kind == KHO_BLOB_VMALLOC)
			vmalloc_chain(src, in, o, t, &t->u.vmalloc);
		if (t->kind != KHO_BLOB_KHO_TEST)
			continue;
		if (t->u.kho_test.info_len == 16)
			vmalloc_chain(src, in, o, t, &t->u.kho_test.info);
		for (size_t f = 0; f < t->u.kho_test.nfolios; f++)
			if (t->u.kho_test.folios[f].order + in->geo.page_shift < 64)
				add(o, "kho_test", t->u.kho_test.folios[f].phys,
				    o->page << t->u.kho_test.folios[f].order, "folio %zu of %s", f,
				    t->name);
	}
}

static void luo(const struct kho_luo *l, struct owners *o)
{
	for (size_t i = 0; i < l->nextents; i++)
		add(o, "LUO", l->extent[i].phys, l->extent[i].size, "%s", l->extent[i].what);
	for (size_t i = 0; i < l->nsessions; i++)
		for (size_t j = 0; j < l->session[i].nfiles; j++) {
			const struct kho_luo_file *f = &l->session[i].file[j];

			for (size_t k = 0; f->memfd && k < f->memfd->nfolios; k++) {
				const struct kho_luo_folio *fo = &f->memfd->folios[k];
				unsigned order = fo->order > 0 ? (unsigned)fo->order : 0;

				if (order + o->page_shift >= 64)
					continue;
				add(o, "LUO folio", fo->pfn * o->page, o->page << order,
				    "folio %zu of memfd 0x%llx (session \"%s\")", k,
				    HEX(f->token), l->session[i].name);
				if (!o->oom)
					o->v[o->n - 1].file_index = fo->index;
			}
		}
}

static int by_start(const void *a, const void *b)
{
	const struct owner *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;   /* outer first */
}

static uint64_t end_of(const struct owner *w)
{
	return w->phys + w->size;   /* add() keeps this from wrapping */
}

void owners_build(struct kho_source *src, const struct kho_inspection *in, struct owners *o)
{
	uint64_t page = in->geo.page_size;

	memset(o, 0, sizeof(*o));
	o->page = page;
	o->page_shift = in->geo.page_shift;
	if (!in->ho.fdt_phys_unknown)
		add(o, "FDT page", in->ho.fdt_phys & ~(page - 1), page, "%s", "");
	for (size_t i = 0; i < in->npages; i++)
		add(o, "tree page", in->pages[i].phys, in->pages[i].bytes,
		    in->pages[i].level < 0 ? "kho-v1 chunk" : in->pages[i].level ?
		    "level-%d node" : "leaf", in->pages[i].level);
	subtrees(src, in, o);
	luo(&in->luo, o);
	for (size_t i = 0; i < in->ho.nscratch; i++)
		add(o, "scratch", in->ho.scratch[i].phys, in->ho.scratch[i].size, "area %zu", i);
	qsort(o->v, o->n, sizeof(*o->v), by_start);
	for (o->leaves = 1; o->leaves < o->n; o->leaves *= 2)
		;
	o->maxend = calloc(2 * o->leaves, sizeof(*o->maxend));
	if (!o->maxend) {
		o->oom = true;
		return;
	}
	for (size_t i = 0; i < o->n; i++)
		o->maxend[o->leaves + i] = end_of(&o->v[i]);
	for (size_t i = o->leaves - 1; i > 0; i--)
		o->maxend[i] = o->maxend[2 * i] > o->maxend[2 * i + 1] ? o->maxend[2 * i] :
			       o->maxend[2 * i + 1];
}

/* The last owner before index @hi whose end is above @a: SIZE_MAX if none. */
static size_t last_ending_above(const struct owners *o, size_t hi, uint64_t a)
{
	size_t node;

	if (!hi)
		return SIZE_MAX;
	node = o->leaves + hi - 1;
	/* Up until this node, or the left sibling of a right child on the
	 * way, qualifies; then down its rightmost qualifying path. */
	while (o->maxend[node] <= a) {
		while (node > 1 && (!(node & 1) || o->maxend[node - 1] <= a))
			node /= 2;
		if (node <= 1)
			return SIZE_MAX;
		node--;
	}
	while (node < o->leaves)
		node = o->maxend[2 * node + 1] > a ? 2 * node + 1 : 2 * node;
	return node - o->leaves;
}

size_t owners_each(const struct owners *o, uint64_t a, uint64_t len, size_t max,
		   void (*fn)(void *ctx, const struct owner *w), void *ctx)
{
	uint64_t end = a + len < a ? UINT64_MAX : a + len;
	size_t lo, hi, found = 0, i, *hits, cap = 16;

	if (!o->maxend || !len)
		return 0;
	lo = PARTITION_POINT(o->n, m, o->v[m].phys < end);   /* owners starting before @end */

	hits = malloc(cap * sizeof(*hits));
	for (hi = lo; hits && found < max && (i = last_ending_above(o, hi, a)) != SIZE_MAX;
	     hi = i) {
		if (found == cap) {
			size_t *more = realloc(hits, 2 * cap * sizeof(*hits));

			if (!more)
				break;
			hits = more;
			cap *= 2;
		}
		hits[found++] = i;
	}
	if (!hits)
		return 0;
	/* in address order, outer owners first */
	for (size_t k = found; k-- > 0;)
		fn(ctx, &o->v[hits[k]]);
	free(hits);
	return found;
}

struct label {
	char *out;
	size_t len, used, seen;
};

/* The first three owners into the label; a fourth only says there are more. */
static void one(void *ctx, const struct owner *w)
{
	struct label *l = ctx;
	/* "LUO folio" + "folio 3 of ..." reads as "LUO folio 3 of ..." */
	bool folio = w->file_index != UINT64_MAX;

	if (l->seen++ == 3) {
		if (l->used < l->len)
			snprintf(l->out + l->used, l->len - l->used, "; ...");
		return;
	}
	if (l->used < l->len)
		l->used += (size_t)snprintf(l->out + l->used, l->len - l->used, "%s%s%s%s",
					    l->used ? "; " : "", folio ? "LUO" : w->kind,
					    *w->what ? " " : "", w->what);
	if (w->file_index != UINT64_MAX && l->used < l->len)
		l->used += (size_t)snprintf(l->out + l->used, l->len - l->used,
					    ", file page 0x%llx", HEX(w->file_index));
}

const char *owners_label(const struct owners *o, uint64_t a, uint64_t len, char *out,
			 size_t outlen)
{
	struct label l = { out, outlen, 0, 0 };

	out[0] = '\0';
	return owners_each(o, a, len, 4, one, &l) ? out : NULL;
}

void owners_free(struct owners *o)
{
	free(o->v);
	free(o->maxend);
	memset(o, 0, sizeof(*o));
}
