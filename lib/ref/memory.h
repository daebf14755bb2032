/* SPDX-License-Identifier: MIT */
/*
 * Simulated physical memory for the reference implementation: RAM ranges,
 * a sparse page store (only pages that were written exist; the rest read
 * as zeros) and a deterministic top-down page allocator.
 */
#ifndef KHO_REF_MEMORY_H
#define KHO_REF_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/error.h"

struct kho_range {
	uint64_t start;
	uint64_t size;
};

static inline uint64_t range_end(const struct kho_range *r)
{
	return r->start + r->size;
}

struct range_list {
	struct kho_range *v;
	size_t n, cap;
};

enum kho_status range_list_add(struct range_list *l, uint64_t start,
			       uint64_t size, struct kho_error *err);
void range_list_free(struct range_list *l);
/* Sort by start (then larger first) and, if @merge, join touching ranges. */
void range_list_normalize(struct range_list *l, bool merge);
/* First byte of [start, start+size) not covered by sorted merged @l, or
 * start+size when it is all covered. */
uint64_t range_list_first_uncovered(const struct range_list *l, uint64_t start,
				    uint64_t size);
/* First byte of [start, start+size) inside some range of @l (any order),
 * or UINT64_MAX. */
uint64_t range_list_first_overlap(const struct range_list *l, uint64_t start,
				  uint64_t size);

/* Asks the owner whether [phys, phys+size) is preserved: returns the start
 * of a preserved block that overlaps it, or UINT64_MAX (the allocator
 * jumps below that start). */
typedef uint64_t (*mem_busy_fn)(void *ctx, uint64_t phys, uint64_t size);

struct mem_slot {
	uint64_t pfn;
	uint8_t *page;              /* NULL: a free slot */
};

struct kho_mem {
	uint64_t page_size;
	unsigned page_shift;
	struct range_list ram;      /* sorted, merged */
	struct range_list avoid;    /* never allocated from (scratch areas) */
	struct range_list alloc;    /* regions to allocate from (default: RAM) */

	/* page store: open-addressed hash of pfn -> page buffer */
	struct mem_slot *slots;
	size_t nslots, npages;

	/* allocator: top-down cursor */
	uint64_t cursor;
	bool cursor_set;
	mem_busy_fn busy;
	void *busy_ctx;
};

void mem_init(struct kho_mem *m, uint64_t page_size);
void mem_free(struct kho_mem *m);

/* The page holding @phys, created (zeroed) if @create; NULL if absent. */
uint8_t *mem_page(struct kho_mem *m, uint64_t phys, bool create,
		  struct kho_error *err);
enum kho_status mem_write(struct kho_mem *m, uint64_t phys, const void *buf,
			  size_t len, struct kho_error *err);
void mem_read(struct kho_mem *m, uint64_t phys, void *buf, size_t len);
/* A little-endian u64 or u32 at @phys, as the structures a kernel writes hold them. */
uint64_t mem_get_u64(struct kho_mem *m, uint64_t phys);
enum kho_status mem_put_u64(struct kho_mem *m, uint64_t phys, uint64_t v,
			    struct kho_error *err);
uint32_t mem_get_u32(struct kho_mem *m, uint64_t phys);
enum kho_status mem_put_u32(struct kho_mem *m, uint64_t phys, uint32_t v,
			    struct kho_error *err);

/*
 * mem_alloc - a naturally aligned block of 2^order pages, taken top-down
 * from the allocation regions, never from an avoided range or one the
 * busy callback reports. The cursor only moves down, so no block is
 * handed out twice. Pages are not materialized: they read as zeros until
 * written (mem_page(..., true) or mem_write()).
 * returns: KHO_OK with *@phys set, or KHO_ERR_NOMEM.
 */
enum kho_status mem_alloc(struct kho_mem *m, unsigned order, uint64_t *phys,
			  struct kho_error *err);

/* Sorted pfns of every stored page (caller frees). */
uint64_t *mem_sorted_pfns(const struct kho_mem *m, size_t *n,
			  struct kho_error *err);

bool mem_is_ram(const struct kho_mem *m, uint64_t start, uint64_t size);
/* The end of the highest RAM range (once sorted: from boot on), 0 without RAM. */
uint64_t mem_ram_top(const struct kho_mem *m);

#endif
