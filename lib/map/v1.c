// SPDX-License-Identifier: MIT
/*
 * The kho-v1 memory map (6.16 - 7.0): a linked list of chunk pages, each
 * { u64 next; u32 order; u32 num_elms; { u64 phys_start; u64 bitmap; }[] },
 * every bitmap bit b meaning phys_start + (b << (order + PAGE_SHIFT)) is
 * preserved (kho_mem_deserialize, 6.16). Bitmaps were 512 bytes until
 * early 6.17 and a page since, under the same compatible string; the data
 * tells them apart. Like the radix walker, every pointer is checked and
 * every page entered once.
 */
#include "kho/map.h"

#include <stdlib.h>

#include "../util/util.h"
#include "stats.h"
#include "visited.h"

#define CHUNK_HDR 16
#define ELM 16
#define SMALL_BITMAP 512
#define SMALL_BITMAP_LOG2 9

enum map_size { MAP_PAGE, MAP_SMALL, MAP_UNDECIDED };

struct v1 {
	struct kho_source *src;
	const struct kho_geometry *geo;
	struct kho_anomalies *a;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	bool be;
	struct run_builder run;
	/* the bitmap size: votes of the elements (count_votes) */
	uint64_t small_votes, both_votes;
	struct visited small_pages;
	enum map_size size;
	bool unreadable;          /* usable() said: memory, but not in the dump */
	bool oom;
};

/* Keys of @order for [@start, @start + @bytes * 8 blocks) are unknown. */
static void unknown_bitmap(struct v1 *w, unsigned order, uint64_t start, uint64_t bytes)
{
	uint64_t block = kho_order_bytes(w->geo, order), last = start;

	if (!w->v || !w->v->unknown || order > kho_max_order(w->geo))
		return;
	start &= ~(block - 1);
	/* the last block the bitmap covers, clamped at the top of memory */
	last = bytes * 8 - 1 > (UINT64_MAX - start) / block ? UINT64_MAX & ~(block - 1) :
	       start + (bytes * 8 - 1) * block;
	w->v->unknown(w->v->ctx, kho_key_encode(w->geo, start, order),
		      kho_key_encode(w->geo, last, order));
}

/* A pointer the walk may follow: recorded as @bad at @where if not. */
static bool usable(struct v1 *w, enum kho_anomaly_kind bad, uint64_t where, uint64_t ptr,
		   uint64_t align, uint64_t len, const char *what)
{
	uint64_t run;

	if (!ptr || ptr >> 63 || !is_aligned(ptr, align)) {
		kho_anomaly(w->a, bad, where, "%s pointer 0x%llx is %s", what, HEX(ptr),
			    !ptr ? "0" : ptr >> 63 ? "not an address (bit 63)" : "misaligned");
		return false;
	}
	switch (kho_source_state(w->src, ptr, &run)) {
	case KHO_MEM_ABSENT:
		kho_anomaly(w->a, bad, where, "%s pointer 0x%llx is outside the dump's memory",
			    what, HEX(ptr));
		return false;
	case KHO_MEM_EXCLUDED:
		kho_anomaly(w->a, KHO_AN_MAP_PAGE_EXCLUDED, ptr, "%s at 0x%llx is not in the dump",
			    what, HEX(ptr));
		w->unreadable = true;
		return false;
	case KHO_MEM_PRESENT:
		if (run < len) {
			kho_anomaly(w->a, KHO_AN_MAP_PAGE_EXCLUDED, ptr,
				    "%s at 0x%llx is not all in the "
				    "dump", what, HEX(ptr));
			w->unreadable = true;
			return false;
		}
		return true;
	}
	return false;
}

static void decode_bitmap(struct v1 *w, const uint8_t *bits, uint64_t bytes,
			  uint64_t start, unsigned order)
{
	unsigned shift = order + w->geo->page_shift;
	uint64_t set = 0;

	for (uint64_t i = 0; i < bytes / 8; i++) {
		uint64_t word = load_u64(bits + i * 8, w->be);

		set += (uint64_t)__builtin_popcountll(word);
		while (word) {
			unsigned ones, b = take_bit_run(&word, &ones);
			uint64_t first = i * 64 + b;

			if (shift < 64 && first < (UINT64_MAX >> shift))
				run_add(&w->run, start + (first << shift), order, ones);
		}
	}
	w->stats->set_bits_per_level0 += set;
}

/*
 * 512-byte or page bitmaps, decided per element. What an element's own
 * fields allow: a 512-byte bitmap is a kmalloc-512 object, naturally
 * aligned (kmalloc guarantees that for power-of-two sizes since 5.4),
 * covering 4096 blocks; a page bitmap is a page covering PAGE_SIZE * 8
 * blocks; phys_start is a multiple of what one bitmap covers. A page
 * bitmap fits both rules, so the map's size is what most elements show:
 * one element saying "512 bytes" in a map of pages is a corrupt element
 * (a shifted pointer), not a reason to read every bitmap short.
 */
enum { FITS_SMALL = 1, FITS_PAGE = 2, FITS_BOTH = 3 };

static bool aligned_log2(uint64_t x, unsigned log2)
{
	return log2 >= 64 ? !x : is_aligned(x, (uint64_t)1 << log2);
}

static unsigned element_fits(const struct v1 *w, unsigned order, uint64_t start,
			     uint64_t bitmap)
{
	unsigned shift = order + w->geo->page_shift, fits = 0;

	if (is_aligned(bitmap, SMALL_BITMAP) && aligned_log2(start, shift + SMALL_BITMAP_LOG2 + 3))
		fits |= FITS_SMALL;
	if (is_aligned(bitmap, w->geo->page_size) &&
	    aligned_log2(start, shift + w->geo->page_shift + 3))
		fits |= FITS_PAGE;
	return fits;
}

/*
 * The votes of every element reachable from @first: those that fit only
 * 512 bytes, and those that fit both. A page bitmap fills its page, so a
 * page-aligned bitmap whose page also holds a 512-byte-only one is a
 * 512-byte bitmap too (the first object of a slab page). Reads that fail
 * here are reported by the walk. returns: false when out of memory.
 */
static bool count_votes(struct v1 *w, uint64_t first)
{
	uint64_t page = w->geo->page_size, cap = (page - CHUNK_HDR) / ELM, chunk = first;
	struct visited chunks = { 0 }, both_pages = { 0 };
	_cleanup_free_ uint8_t *buf = malloc(page);
	bool ok = buf != NULL;
	struct kho_error e;

	for (size_t guard = 0; ok && chunk && guard < (1u << 20); guard++) {
		uint32_t n, order;
		int added = is_aligned(chunk, page) && !(chunk >> 63) ?
			    visited_add(&chunks, chunk) : 0;

		ok = added >= 0;
		if (added != 1 || kho_source_read(w->src, chunk, buf, page, &e))
			break;
		order = load_u32(buf + 8, w->be);
		n = MIN(load_u32(buf + 12, w->be), (uint32_t)cap);
		if (order > kho_max_order(w->geo) || order + w->geo->page_shift >= 64)
			break;
		for (uint32_t i = 0; ok && i < n; i++) {
			uint64_t start = load_u64(buf + CHUNK_HDR + i * ELM, w->be);
			uint64_t bitmap = load_u64(buf + CHUNK_HDR + i * ELM + 8, w->be);
			unsigned fits = element_fits(w, order, start, bitmap);

			if (!bitmap || bitmap >> 63)
				continue;
			if (fits == FITS_SMALL) {
				w->small_votes++;
				ok = visited_add(&w->small_pages, align_down(bitmap, page)) >= 0;
			} else if (fits == FITS_BOTH) {
				w->both_votes++;
				ok = visited_add(&both_pages, bitmap) >= 0;
			}
		}
		chunk = load_u64(buf, w->be);
	}
	for (size_t i = 0; ok && i < both_pages.cap; i++)
		if (both_pages.slots[i] && visited_has(&w->small_pages, both_pages.slots[i] - 1)) {
			w->small_votes++;
			w->both_votes--;
		}
	visited_free(&chunks);
	visited_free(&both_pages);
	return ok;
}

/*
 * How many bytes to read for the element at @elm, or 0 when it is not read
 * (reported here). Bad pointers (0, bit 63) are left to usable().
 */
static uint64_t element_bytes(struct v1 *w, uint64_t elm, unsigned order, uint64_t start,
			      uint64_t bitmap)
{
	uint64_t page = w->geo->page_size;
	unsigned fits = element_fits(w, order, start, bitmap);

	if (!bitmap || bitmap >> 63)
		return w->size == MAP_SMALL ? SMALL_BITMAP : page;
	if (!fits) {
		if (!is_aligned(bitmap, SMALL_BITMAP))
			kho_anomaly(w->a, KHO_AN_V1_BITMAP_MISALIGNED, elm,
				    "bitmap pointer 0x%llx is misaligned: "
				    "neither a 512-byte nor a page bitmap", HEX(bitmap));
		else
			kho_anomaly(w->a, KHO_AN_V1_BITMAP_START, elm,
				    "phys_start 0x%llx is not aligned to "
				    "the 0x%llx bytes one bitmap covers", HEX(start),
				    HEX(kho_order_bytes(w->geo, order) << (SMALL_BITMAP_LOG2 + 3)));
		return 0;
	}
	switch (w->size) {
	case MAP_SMALL:
		return SMALL_BITMAP;
	case MAP_PAGE:
		if (fits & FITS_PAGE)
			return page;
		kho_anomaly(w->a, KHO_AN_V1_BITMAP_NOT_PAGE, elm,
			    "bitmap 0x%llx (phys_start 0x%llx) can only be "
			    "512 bytes, but the map's bitmaps are pages (%llu elements fit a "
			    "page, %llu only 512 bytes): its keys are not read", HEX(bitmap),
			    HEX(start), HEX(w->both_votes), HEX(w->small_votes));
		return 0;
	case MAP_UNDECIDED:
		if (fits == FITS_SMALL || visited_has(&w->small_pages, bitmap))
			return SMALL_BITMAP;
		kho_anomaly(w->a, KHO_AN_V1_BITMAP_SIZE_UNKNOWN, elm,
			    "bitmap 0x%llx: the map does not show whether "
			    "its bitmaps are 512 bytes or pages (%llu elements each way); read "
			    "as a page so that no key is dropped", HEX(bitmap), HEX(w->both_votes));
		return page;
	}
	return 0;
}

/* One element: checked, and its bitmap decoded when it can be trusted. */
static void walk_element(struct v1 *w, struct visited *seen, uint8_t *bits, uint64_t elm,
			 unsigned order, uint64_t start, uint64_t bitmap)
{
	uint64_t bytes = element_bytes(w, elm, order, start, bitmap);
	struct kho_error e;
	int added;

	w->unreadable = false;
	if (!bytes || !usable(w, KHO_AN_V1_BITMAP_POINTER, elm, bitmap, bytes, bytes, "bitmap")) {
		if (w->unreadable)
			unknown_bitmap(w, order, start, bytes);
		return;
	}
	added = visited_add(seen, bitmap);
	if (added < 0) {
		w->oom = true;
		return;
	}
	if (!added) {
		kho_anomaly(w->a, KHO_AN_V1_BITMAP_SHARED, elm,
			    "bitmap 0x%llx is shared with another element",
			    HEX(bitmap));
		return;
	}
	if (kho_source_read(w->src, bitmap, bits, bytes, &e)) {
		kho_anomaly(w->a, KHO_AN_MAP_PAGE_UNREADABLE, bitmap,
			    "bitmap at 0x%llx (element at "
			    "0x%llx) cannot be read: %s", HEX(bitmap), HEX(elm), e.msg);
		unknown_bitmap(w, order, start, bytes);
		return;
	}
	w->stats->leaves++;
	w->stats->per_level[0]++;
	if (w->v && w->v->node)
		w->v->node(w->v->ctx, bitmap, 0, bytes);
	decode_bitmap(w, bits, bytes, start, order);
}

enum kho_status kho_v1_walk(struct kho_source *src, const struct kho_geometry *geo,
			    uint64_t first, struct kho_anomalies *a,
			    const struct kho_map_visitor *v,
			    struct kho_map_stats *stats, uint64_t *bitmap_size,
			    struct kho_error *err)
{
	struct v1 w = { .src = src, .geo = geo, .a = a, .v = v, .stats = stats,
			.be = kho_source_big_endian(src),
			.run = { .geo = geo, .v = v, .stats = stats } };
	uint64_t page = geo->page_size, cap = (page - CHUNK_HDR) / ELM, chunk = first, prev = 0;
	struct visited seen = { 0 };
	_cleanup_free_ uint8_t *buf = malloc(page);
	_cleanup_free_ uint8_t *bits = malloc(page);
	unsigned last_order = 0;
	struct kho_error e;

	memset(stats, 0, sizeof(*stats));
	if (!buf || !bits || !count_votes(&w, first))
		w.oom = true;
	w.size = !w.small_votes || w.small_votes < w.both_votes ? MAP_PAGE :
		 w.small_votes > w.both_votes ? MAP_SMALL : MAP_UNDECIDED;
	*bitmap_size = w.size == MAP_SMALL ? SMALL_BITMAP : page;
	while (chunk && !w.oom) {
		uint32_t n, order;
		int added;

		w.unreadable = false;
		if (!usable(&w, KHO_AN_V1_CHUNK_POINTER, prev ? prev : chunk, chunk, page, page, "chunk")) {
			if (w.unreadable && v && v->unknown)
				v->unknown(v->ctx, 0, UINT64_MAX);   /* the rest of the list */
			break;
		}
		added = visited_add(&seen, chunk);
		if (added < 0) {
			w.oom = true;
			break;
		}
		if (!added) {
			kho_anomaly(a, KHO_AN_V1_CHUNK_LOOP, prev,
				    "next 0x%llx points back at a chunk already "
				    "in the list", HEX(chunk));
			break;
		}
		if (kho_source_read(src, chunk, buf, page, &e)) {
			kho_anomaly(a, KHO_AN_MAP_PAGE_UNREADABLE, chunk,
				    "chunk at 0x%llx cannot be read, "
				    "the rest of the list is unknown: %s", HEX(chunk), e.msg);
			if (v && v->unknown)
				v->unknown(v->ctx, 0, UINT64_MAX);
			break;
		}
		stats->nodes++;
		stats->per_level[1]++;
		if (v && v->node)
			v->node(v->ctx, chunk, -1, page);
		order = load_u32(buf + 8, w.be);
		n = load_u32(buf + 12, w.be);
		if (order > kho_max_order(geo) || order + geo->page_shift >= 64) {
			kho_anomaly(a, KHO_AN_V1_CHUNK_ORDER, chunk,
				    "order %u is not an order", order);
			break;
		}
		if (stats->nodes > 1 && order < last_order)
			kho_anomaly(a, KHO_AN_V1_CHUNK_DESCENDING, chunk,
				    "order %u after order %u: chunks are "
				    "not in ascending order", order, last_order);
		last_order = order;
		if (n > cap) {
			kho_anomaly(a, KHO_AN_V1_CHUNK_OVERFULL, chunk,
				    "num_elms %u is above the capacity %llu",
				    n, HEX(cap));
			n = (uint32_t)cap;
		}
		for (uint32_t i = 0; i < n && !w.oom; i++)
			walk_element(&w, &seen, bits, chunk + CHUNK_HDR + (uint64_t)i * ELM, order,
				     load_u64(buf + CHUNK_HDR + i * ELM, w.be),
				     load_u64(buf + CHUNK_HDR + i * ELM + 8, w.be));
		prev = chunk;
		chunk = load_u64(buf, w.be);
	}
	run_flush(&w.run);
	visited_free(&seen);
	visited_free(&w.small_pages);
	return w.oom ? kho_error_set(err, KHO_ERR_NOMEM, "out of memory") : KHO_OK;
}
