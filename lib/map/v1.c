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

#define HEX(x) ((unsigned long long)(x))
#define CHUNK_HDR 16
#define ELM 16
#define SMALL_BITMAP 512

struct v1 {
	struct kho_source *src;
	const struct kho_geometry *geo;
	struct kho_findings *f;
	const struct kho_map_visitor *v;
	struct kho_map_stats *stats;
	bool be;
	uint64_t run_phys, run_count;
	unsigned run_order;
};

/* A pointer the walk may follow: reported as @check at @where if not. */
static bool usable(struct v1 *w, const char *check, uint64_t where, uint64_t ptr,
		   uint64_t align, uint64_t len, const char *what)
{
	uint64_t run;

	if (!ptr || ptr >> 63 || !is_aligned(ptr, align)) {
		kho_report(w->f, check, where, "%s pointer 0x%llx is %s", what, HEX(ptr),
			   !ptr ? "0" : ptr >> 63 ? "not an address (bit 63)" : "misaligned");
		return false;
	}
	switch (kho_source_state(w->src, ptr, &run)) {
	case KHO_MEM_ABSENT:
		kho_report(w->f, check, where, "%s pointer 0x%llx is outside the dump's memory",
			   what, HEX(ptr));
		return false;
	case KHO_MEM_EXCLUDED:
		kho_report(w->f, "radix-unreadable", ptr, "%s at 0x%llx is not in the dump",
			   what, HEX(ptr));
		return false;
	case KHO_MEM_PRESENT:
		if (run < len) {
			kho_report(w->f, "radix-unreadable", ptr, "%s at 0x%llx is not all in the "
				   "dump", what, HEX(ptr));
			return false;
		}
		return true;
	}
	return false;
}

static void flush(struct v1 *w)
{
	if (!w->run_count)
		return;
	stats_add_run(w->stats, w->geo, w->run_order, w->run_count);
	if (w->v && w->v->run)
		w->v->run(w->v->ctx, w->run_phys, w->run_order, w->run_count);
	w->run_count = 0;
}

static void emit(struct v1 *w, uint64_t phys, unsigned order, uint64_t count)
{
	uint64_t size = kho_order_bytes(w->geo, order);

	if (w->run_count && order == w->run_order &&
	    phys == w->run_phys + w->run_count * size) {
		w->run_count += count;
		return;
	}
	flush(w);
	w->run_phys = phys;
	w->run_order = order;
	w->run_count = count;
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
				emit(w, start + (first << shift), order, ones);
		}
	}
	w->stats->set_bits_per_level0 += set;
}

/*
 * 512-byte or page bitmaps? Page bitmaps are page-aligned and each covers
 * PAGE_SIZE * 8 blocks, so its phys_start is a multiple of that many
 * blocks; any element breaking either rule means 512-byte bitmaps.
 */
static uint64_t bitmap_bytes(struct v1 *w, uint64_t first, struct visited *seen)
{
	uint64_t page = w->geo->page_size, cap = (page - CHUNK_HDR) / ELM, chunk = first;
	uint8_t *buf = malloc(page);
	bool small = false;
	struct kho_error e;

	for (size_t guard = 0; buf && chunk && !small && guard < (1u << 20); guard++) {
		uint32_t n, order;

		if (!is_aligned(chunk, page) || chunk >> 63 || visited_add(seen, chunk) != 1 ||
		    kho_source_read(w->src, chunk, buf, page, &e))
			break;
		order = load_u32(buf + 8, w->be);
		n = MIN(load_u32(buf + 12, w->be), (uint32_t)cap);
		for (uint32_t i = 0; i < n && order < 64; i++) {
			uint64_t start = load_u64(buf + CHUNK_HDR + i * ELM, w->be);
			uint64_t bitmap = load_u64(buf + CHUNK_HDR + i * ELM + 8, w->be);
			unsigned shift = order + w->geo->page_shift + w->geo->page_shift + 3;

			if (!bitmap)
				continue;
			if (!is_aligned(bitmap, page) ||
			    (shift < 64 && !is_aligned(start, (uint64_t)1 << shift)))
				small = true;
		}
		chunk = load_u64(buf, w->be);
	}
	free(buf);
	visited_free(seen);
	return small ? SMALL_BITMAP : page;
}

KHO_EXPORT enum kho_status kho_map_walk_v1(struct kho_source *src, const struct kho_geometry *geo,
					   uint64_t first, struct kho_findings *f,
					   const struct kho_map_visitor *v,
					   struct kho_map_stats *stats, uint64_t *bitmap_size,
					   struct kho_error *err)
{
	struct v1 w = { src, geo, f, v, stats, kho_source_big_endian(src), 0, 0, 0 };
	struct kho_error e;     /* reads it walks past must not reach @err */
	uint64_t page = geo->page_size, cap = (page - CHUNK_HDR) / ELM, chunk = first, prev = 0;
	struct visited seen = { 0 };
	uint8_t *buf = malloc(page), *bits = malloc(page);
	unsigned last_order = 0;
	uint64_t bytes;

	memset(stats, 0, sizeof(*stats));
	if (!buf || !bits) {
		free(buf);
		free(bits);
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	bytes = bitmap_bytes(&w, first, &seen);
	*bitmap_size = bytes;
	while (chunk) {
		uint32_t n, order;
		int added;

		if (!usable(&w, "v1-chunk", prev ? prev : chunk, chunk, page, page, "chunk"))
			break;
		added = visited_add(&seen, chunk);
		if (added < 0)
			break;
		if (!added) {
			kho_report(f, "v1-chunk", prev, "next 0x%llx points back at a chunk already "
				   "in the list", HEX(chunk));
			break;
		}
		if (kho_source_read(src, chunk, buf, page, &e))
			break;
		stats->nodes++;
		stats->per_level[1]++;
		if (v && v->node)
			v->node(v->ctx, chunk, -1, page);
		order = load_u32(buf + 8, w.be);
		n = load_u32(buf + 12, w.be);
		if (order > kho_max_order(geo) || order + geo->page_shift >= 64) {
			kho_report(f, "v1-chunk", chunk, "order %u is not an order", order);
			break;
		}
		if (stats->nodes > 1 && order < last_order)
			kho_report(f, "v1-chunk", chunk, "order %u after order %u: chunks are "
				   "not in ascending order", order, last_order);
		last_order = order;
		if (n > cap) {
			kho_report(f, "v1-chunk", chunk, "num_elms %u is above the capacity %llu",
				   n, HEX(cap));
			n = (uint32_t)cap;
		}
		for (uint32_t i = 0; i < n; i++) {
			uint64_t elm = chunk + CHUNK_HDR + (uint64_t)i * ELM;
			uint64_t start = load_u64(buf + CHUNK_HDR + i * ELM, w.be);
			uint64_t bitmap = load_u64(buf + CHUNK_HDR + i * ELM + 8, w.be);
			unsigned shift = order + geo->page_shift;
			uint64_t cover_log2 = (uint64_t)shift + (bytes == page ? geo->page_shift + 3 : 12);

			if (!usable(&w, "v1-bitmap", elm, bitmap, bytes == page ? page : 8, bytes,
				    "bitmap"))
				continue;
			if (cover_log2 < 64 && !is_aligned(start, (uint64_t)1 << cover_log2)) {
				kho_report(f, "v1-bitmap", elm, "phys_start 0x%llx is not aligned to "
					   "the 0x%llx bytes one bitmap covers", HEX(start),
					   HEX((uint64_t)1 << cover_log2));
				continue;
			}
			if (bytes == page && visited_add(&seen, bitmap) == 0) {
				kho_report(f, "v1-bitmap", elm, "bitmap 0x%llx is shared with another "
					   "element", HEX(bitmap));
				continue;
			}
			if (kho_source_read(src, bitmap, bits, bytes, &e))
				continue;
			stats->leaves++;
			stats->per_level[0]++;
			if (v && v->node)
				v->node(v->ctx, bitmap, 0, bytes);
			decode_bitmap(&w, bits, bytes, start, order);
		}
		prev = chunk;
		chunk = load_u64(buf, w.be);
	}
	flush(&w);
	free(buf);
	free(bits);
	visited_free(&seen);
	return KHO_OK;
}
