// SPDX-License-Identifier: MIT
#include "memory.h"

#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

/* ---- range lists ---- */

enum kho_status range_list_add(struct range_list *l, uint64_t start,
			       uint64_t size, struct kho_error *err)
{
	if (!ARRAY_RESERVE(l->v, l->cap, l->n))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	l->v[l->n++] = (struct kho_range){ start, size };
	return KHO_OK;
}

void range_list_free(struct range_list *l)
{
	free(l->v);
	*l = (struct range_list){ 0 };
}

static int range_cmp(const void *a, const void *b)
{
	const struct kho_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

void range_list_normalize(struct range_list *l, bool merge)
{
	size_t out = 0;

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), range_cmp);
	if (!merge)
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (!l->v[i].size)
			continue;
		if (out && l->v[i].start <= range_end(&l->v[out - 1])) {
			uint64_t end = MAX(range_end(&l->v[out - 1]),
					   range_end(&l->v[i]));
			l->v[out - 1].size = end - l->v[out - 1].start;
		} else {
			l->v[out++] = l->v[i];
		}
	}
	l->n = out;
}

uint64_t range_list_first_uncovered(const struct range_list *l, uint64_t start,
				    uint64_t size)
{
	uint64_t pos = start, end = start + size;
	/* Skip, by binary search, the ranges that end at or before start. */
	size_t lo = PARTITION_POINT(l->n, i, range_end(&l->v[i]) <= start);

	for (size_t i = lo; i < l->n && pos < end; i++) {
		if (range_end(&l->v[i]) <= pos)
			continue;
		if (l->v[i].start > pos)
			return pos;
		pos = range_end(&l->v[i]);
	}
	return pos < end ? pos : end;
}

uint64_t range_list_first_overlap(const struct range_list *l, uint64_t start,
				  uint64_t size)
{
	uint64_t best = UINT64_MAX, end = start + size;

	for (size_t i = 0; i < l->n; i++) {
		const struct kho_range *r = &l->v[i];

		if (r->size && r->start < end && start < range_end(r))
			best = MIN(best, MAX(start, r->start));
	}
	return best;
}

/* ---- page store ---- */

void mem_init(struct kho_mem *m, uint64_t page_size)
{
	memset(m, 0, sizeof(*m));
	m->page_size = page_size;
	m->page_shift = (unsigned)__builtin_ctzll(page_size);
}

void mem_free(struct kho_mem *m)
{
	for (size_t i = 0; i < m->nslots; i++)
		free(m->slots[i].page);
	free(m->slots);
	range_list_free(&m->ram);
	range_list_free(&m->avoid);
	range_list_free(&m->alloc);
}

static size_t find_slot(const struct kho_mem *m, uint64_t pfn)
{
	size_t i = (size_t)(pfn * 0x9e3779b97f4a7c15ull >> 20) & (m->nslots - 1);

	while (m->slots[i].page && m->slots[i].pfn != pfn)
		i = (i + 1) & (m->nslots - 1);
	return i;
}

static enum kho_status grow(struct kho_mem *m, struct kho_error *err)
{
	size_t old_n = m->nslots, n = old_n ? old_n * 2 : 1024;
	struct mem_slot *old = m->slots;

	m->slots = calloc(n, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	m->nslots = n;
	for (size_t i = 0; i < old_n; i++)
		if (old[i].page)
			m->slots[find_slot(m, old[i].pfn)] = old[i];
	free(old);
	return KHO_OK;
}

uint8_t *mem_page(struct kho_mem *m, uint64_t phys, bool create,
		  struct kho_error *err)
{
	uint64_t pfn = phys >> m->page_shift;
	size_t s;

	if (m->nslots) {
		s = find_slot(m, pfn);
		if (m->slots[s].page)
			return m->slots[s].page;
	}
	if (!create)
		return NULL;
	if ((m->npages + 1) * 2 > m->nslots && grow(m, err))
		return NULL;
	s = find_slot(m, pfn);
	m->slots[s].page = calloc(1, m->page_size);
	if (!m->slots[s].page) {
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		return NULL;
	}
	m->slots[s].pfn = pfn;
	m->npages++;
	return m->slots[s].page;
}

enum kho_status mem_write(struct kho_mem *m, uint64_t phys, const void *buf,
			  size_t len, struct kho_error *err)
{
	const uint8_t *src = buf;

	while (len) {
		uint64_t off = phys & (m->page_size - 1);
		size_t n = (size_t)MIN((uint64_t)len, m->page_size - off);
		uint8_t *page = mem_page(m, phys, true, err);

		if (!page)
			return err ? err->status : KHO_ERR_NOMEM;
		memcpy(page + off, src, n);
		src += n;
		phys += n;
		len -= n;
	}
	return KHO_OK;
}

void mem_read(struct kho_mem *m, uint64_t phys, void *buf, size_t len)
{
	uint8_t *dst = buf;

	while (len) {
		uint64_t off = phys & (m->page_size - 1);
		size_t n = (size_t)MIN((uint64_t)len, m->page_size - off);
		uint8_t *page = mem_page(m, phys, false, NULL);

		if (page)
			memcpy(dst, page + off, n);
		else
			memset(dst, 0, n);
		dst += n;
		phys += n;
		len -= n;
	}
}

uint64_t mem_get_u64(struct kho_mem *m, uint64_t phys)
{
	uint8_t raw[8];

	mem_read(m, phys, raw, 8);
	return load_u64(raw, false);
}

enum kho_status mem_put_u64(struct kho_mem *m, uint64_t phys, uint64_t v,
			    struct kho_error *err)
{
	uint8_t raw[8];

	store_u64(raw, v, false);
	return mem_write(m, phys, raw, 8, err);
}

uint32_t mem_get_u32(struct kho_mem *m, uint64_t phys)
{
	uint8_t raw[4];

	mem_read(m, phys, raw, 4);
	return load_u32(raw, false);
}

enum kho_status mem_put_u32(struct kho_mem *m, uint64_t phys, uint32_t v,
			    struct kho_error *err)
{
	uint8_t raw[4];

	store_u32(raw, v, false);
	return mem_write(m, phys, raw, 4, err);
}

uint64_t *mem_sorted_pfns(const struct kho_mem *m, size_t *n,
			  struct kho_error *err)
{
	uint64_t *v = malloc((m->npages ? m->npages : 1) * sizeof(*v));
	size_t k = 0;

	if (!v) {
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < m->nslots; i++)
		if (m->slots[i].page)
			v[k++] = m->slots[i].pfn;
	qsort(v, k, sizeof(*v), u64_cmp);
	*n = k;
	return v;
}

bool mem_is_ram(const struct kho_mem *m, uint64_t start, uint64_t size)
{
	return range_list_first_uncovered(&m->ram, start, size) == start + size;
}

uint64_t mem_ram_top(const struct kho_mem *m)
{
	return m->ram.n ? range_end(&m->ram.v[m->ram.n - 1]) : 0;
}

/* ---- allocator ---- */

/*
 * A block ending at @addr is not all RAM: where a top-down search should
 * go next. If the highest RAM range below @addr ends under it, that end;
 * otherwise the block starts below that range, and so must the next one.
 */
static uint64_t ram_end_below(const struct kho_mem *m, uint64_t addr)
{
	uint64_t best = 0;
	/* after the last range starting below addr */
	size_t lo = PARTITION_POINT(m->ram.n, i, m->ram.v[i].start < addr);

	if (lo) {
		const struct kho_range *r = &m->ram.v[lo - 1];

		best = range_end(r) < addr ? range_end(r) : r->start;
	}
	return best;
}

enum kho_status mem_alloc(struct kho_mem *m, unsigned order, uint64_t *phys,
			  struct kho_error *err)
{
	uint64_t size = m->page_size << order, saved, total = 0;
	const struct range_list *regions = m->alloc.n ? &m->alloc : &m->ram;

	if (!m->cursor_set) {
		m->cursor = regions->n ? range_end(&regions->v[regions->n - 1]) : 0;
		m->cursor_set = true;
	}
	saved = m->cursor;
	/* Walk the regions from the top down; the cursor only moves down. */
	for (size_t i = regions->n; i-- > 0;) {
		const struct kho_range *r = &regions->v[i];
		uint64_t top = MIN(m->cursor, range_end(r));

		while (top >= r->start + size) {
			uint64_t cand = align_down(top - size, size), low = cand + size, hit;

			if (cand < r->start)
				break;
			/* Jump below the avoided range that starts lowest in it. */
			for (size_t k = 0; k < m->avoid.n; k++) {
				const struct kho_range *a = &m->avoid.v[k];

				if (a->size && a->start < cand + size && cand < range_end(a))
					low = MIN(low, a->start);
			}
			if (low < cand + size) {
				top = low;
				continue;
			}
			if (!mem_is_ram(m, cand, size)) {
				/* Jump to the end of the highest RAM below, not page by page. */
				top = ram_end_below(m, cand + size);
				continue;
			}
			hit = m->busy ? m->busy(m->busy_ctx, cand, size) : UINT64_MAX;
			if (hit != UINT64_MAX) {
				top = MIN(cand, align_down(hit, m->page_size));
				continue;
			}
			m->cursor = cand;
			*phys = cand;
			return KHO_OK;
		}
		m->cursor = MIN(m->cursor, r->start);
	}
	/* A failed large request must not use up room for small ones. */
	m->cursor = saved;
	for (size_t i = 0; i < regions->n; i++)
		total += regions->v[i].size;
	/* The machine is too small for the spec, not this line wrong. */
	return kho_error_set(err, KHO_ERR_NOMEM,
			     "the %s (0x%llx bytes) has no free order-%u block left for "
			     "the tree, FDTs, blobs and records the spec needs so far: "
			     "give %s more room", m->alloc.n ? "alloc region" : "RAM",
			     (unsigned long long)total, order, m->alloc.n ? "alloc" : "ram");
}
