// SPDX-License-Identifier: MIT
/*
 * The kho-v1 memory map (6.16 - 7.0). While running, the kernel tracks
 * preserved blocks per order in bitmaps, each covering a fixed window of
 * that order's blocks (512-byte bitmaps in 6.16/early 6.17, one page from
 * 6.18); bitmaps are allocated on first use and kept when they empty.
 * Finalize serializes them into a linked list of chunk pages: a new chunk
 * for every order (ascending) and whenever a chunk is full
 * (kho_mem_serialize, 6.16).
 */
#include "ref_internal.h"

#include "../util/util.h"

uint64_t v1_bits_per_bitmap(const struct kho_ref *ref)
{
	return ref->cfg.v1_small_bitmaps ? V1_SMALL_BITMAP_BYTES * 8 :
					   ref->geo.page_size * 8;
}

uint64_t v1_chunk_capacity(const struct kho_ref *ref)
{
	return (ref->geo.page_size - V1_CHUNK_HDR_SIZE) / V1_ELM_SIZE;
}

static struct v1_order *find_order(struct kho_ref *ref, unsigned order,
				   bool create, struct kho_error *err)
{
	size_t i = PARTITION_POINT(ref->nv1, k, ref->v1[k].order < order);

	if (i < ref->nv1 && ref->v1[i].order == order)
		return &ref->v1[i];
	if (!create)
		return NULL;
	if (!ARRAY_RESERVE(ref->v1, ref->v1_cap, ref->nv1)) {
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		return NULL;
	}
	memmove(&ref->v1[i + 1], &ref->v1[i], (ref->nv1 - i) * sizeof(*ref->v1));
	ref->v1[i] = (struct v1_order){ .order = order };
	ref->nv1++;
	return &ref->v1[i];
}

/* A zeroed bitmap: a page, or a 512-byte object carved from a slab page. */
static enum kho_status alloc_bitmap(struct kho_ref *ref, uint64_t *phys,
				    struct kho_error *err)
{
	enum kho_status st;
	unsigned per_page = (unsigned)(ref->geo.page_size / V1_SMALL_BITMAP_BYTES);

	if (!ref->cfg.v1_small_bitmaps)
		return mem_alloc(&ref->mem, 0, phys, err);
	if (!ref->v1_slab_phys || ref->v1_slab_used == per_page) {
		if ((st = mem_alloc(&ref->mem, 0, &ref->v1_slab_phys, err)))
			return st;
		ref->v1_slab_used = 0;
	}
	*phys = ref->v1_slab_phys + ref->v1_slab_used++ * V1_SMALL_BITMAP_BYTES;
	return KHO_OK;
}

static struct v1_bitmap *find_bitmap(struct kho_ref *ref, struct v1_order *o,
				     uint64_t index, bool create,
				     struct kho_error *err)
{
	size_t lo = PARTITION_POINT(o->n, i, o->v[i].index < index);
	uint64_t phys;

	if (lo < o->n && o->v[lo].index == index)
		return &o->v[lo];
	if (!create)
		return NULL;
	if (!ARRAY_RESERVE(o->v, o->cap, o->n)) {
		kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (alloc_bitmap(ref, &phys, err))
		return NULL;
	memmove(&o->v[lo + 1], &o->v[lo], (o->n - lo) * sizeof(*o->v));
	o->v[lo] = (struct v1_bitmap){ .index = index, .phys = phys };
	o->n++;
	return &o->v[lo];
}

/* The u64 of a Linux bitmap holding bit @bit: bit i is bit i % 64 of word i / 64. */
static uint64_t word_at(const struct v1_bitmap *b, uint64_t bit)
{
	return b->phys + bit / 64 * 8;
}

enum kho_status v1_update(struct kho_ref *ref, uint64_t pfn, unsigned order,
			  bool set, struct kho_error *err)
{
	uint64_t bits = v1_bits_per_bitmap(ref), high = pfn >> order, w, m;
	struct v1_order *o = find_order(ref, order, set, err);
	struct v1_bitmap *b = o ? find_bitmap(ref, o, high / bits, set, err) : NULL;

	if (!b)   /* absent (nothing to clear), or out of memory */
		return set ? (err ? err->status : KHO_ERR_NOMEM) : KHO_OK;
	w = mem_get_u64(&ref->mem, word_at(b, high % bits));
	m = 1ull << (high % bits % 64);
	return mem_put_u64(&ref->mem, word_at(b, high % bits), set ? w | m : w & ~m, err);
}

bool v1_test(struct kho_ref *ref, uint64_t pfn, unsigned order)
{
	uint64_t bits = v1_bits_per_bitmap(ref), high = pfn >> order;
	struct v1_order *o = find_order(ref, order, false, NULL);
	struct v1_bitmap *b = o ? find_bitmap(ref, o, high / bits, false, NULL) : NULL;

	return b && (mem_get_u64(&ref->mem, word_at(b, high % bits)) >> (high % bits % 64)) & 1;
}

static enum kho_status new_chunk(struct kho_ref *ref, uint64_t *chunk,
				 unsigned order, struct kho_error *err)
{
	uint64_t prev = *chunk, phys;
	uint8_t hdr[V1_CHUNK_HDR_SIZE] = { 0 };
	enum kho_status st;

	store_u32(hdr + 8, order, false);
	if ((st = mem_alloc(&ref->mem, 0, &phys, err)) ||
	    (st = mem_write(&ref->mem, phys, hdr, sizeof(hdr), err)))
		return st;
	if (!prev)
		ref->map_phys = phys;
	else if ((st = mem_put_u64(&ref->mem, prev, phys, err)))
		return st;
	*chunk = phys;
	return KHO_OK;
}

enum kho_status v1_serialize(struct kho_ref *ref, struct kho_error *err)
{
	uint64_t chunk = 0, cap = v1_chunk_capacity(ref), bits = v1_bits_per_bitmap(ref);
	uint32_t used = 0;
	enum kho_status st;

	if (ref->cfg.v1_unfinalized)
		return KHO_OK;
	for (size_t i = 0; i < ref->nv1; i++) {
		const struct v1_order *o = &ref->v1[i];

		for (size_t k = 0; k < o->n; k++) {
			uint64_t elm;

			if (!k || used == cap) {
				if ((st = new_chunk(ref, &chunk, o->order, err)))
					return st;
				used = 0;
			}
			elm = chunk + V1_CHUNK_HDR_SIZE + used * V1_ELM_SIZE;
			if ((st = mem_put_u64(&ref->mem, elm, (o->v[k].index * bits) <<
							  (o->order + ref->geo.page_shift), err)) ||
			    (st = mem_put_u64(&ref->mem, elm + 8, o->v[k].phys, err)) ||
			    (st = mem_put_u32(&ref->mem, chunk + 12, ++used, err)))
				return st;
		}
	}
	return KHO_OK;
}

/* Walk the serialized chunk list the way the 6.16 kernel restores it. */
void v1_walk(struct kho_ref *ref, const struct ref_walk *w)
{
	uint64_t bits = v1_bits_per_bitmap(ref), bytes = bits / 8;
	uint64_t chunk = ref->map_phys, cap = v1_chunk_capacity(ref);

	/* Bounded: a corrupted list cannot hold more chunks than stored pages. */
	for (size_t guard = 0; chunk && guard <= ref->mem.npages; guard++) {
		unsigned order = mem_get_u32(&ref->mem, chunk + 8);
		uint32_t n = mem_get_u32(&ref->mem, chunk + 12);

		if (w->node)
			w->node(w->ctx, chunk, -1, n == 0);
		for (uint32_t i = 0; i < n && i < cap; i++) {
			uint64_t elm = chunk + V1_CHUNK_HDR_SIZE + i * V1_ELM_SIZE;
			uint64_t start = mem_get_u64(&ref->mem, elm);
			uint64_t bitmap = mem_get_u64(&ref->mem, elm + 8);
			bool empty = true;

			for (uint64_t wd = 0; wd < bytes / 8; wd++) {
				uint64_t word = mem_get_u64(&ref->mem, bitmap + wd * 8);

				if (word)
					empty = false;
				while (word && w->key) {
					unsigned b = (unsigned)__builtin_ctzll(word);

					word &= word - 1;
					w->key(w->ctx, start + ((wd * 64 + b)
						<< (order + ref->geo.page_shift)), order);
				}
			}
			if (w->node)
				w->node(w->ctx, bitmap, 0, empty);
		}
		chunk = mem_get_u64(&ref->mem, chunk);   /* next */
	}
}
