// SPDX-License-Identifier: MIT
/*
 * tree and tree --node on a kho-v1 handover (6.16 - 7.0), whose memory map
 * is not a radix tree but a linked list of chunk pages, each { u64 next;
 * u32 order; u32 num_elms; { u64 phys_start; u64 bitmap; }[] }. The walk
 * records the chunks in list order (level -1) and the bitmaps it read
 * (level 0); the chunk pages are read again here to show their fields.
 */
#include <stdlib.h>
#include <string.h>

#include "../../lib/util/util.h"
#include "inspect.h"
#include "print.h"

#define CHUNK_HDR 16
#define ELM 16

/* The position of the walked page at @phys with @level among the pages
 * of that level, or -1: chunks are numbered in list order. */
static long page_index(const struct kho_inspection *in, uint64_t phys, int level)
{
	long n = 0;

	for (size_t i = 0; i < in->npages; i++) {
		if (in->pages[i].level != level)
			continue;
		if (in->pages[i].phys == phys)
			return n;
		n++;
	}
	return -1;
}

static size_t count_level(const struct kho_inspection *in, int level)
{
	size_t n = 0;

	for (size_t i = 0; i < in->npages; i++)
		n += in->pages[i].level == level;
	return n;
}

struct chunk {
	uint64_t next;
	uint32_t order, n;
};

/* The chunk page at @phys read into @buf (a page) and its header decoded. */
static bool read_chunk(struct kho_source *src, const struct kho_inspection *in, uint64_t phys,
		       uint8_t *buf, struct chunk *c)
{
	bool be = kho_source_big_endian(src);
	uint64_t cap = (in->geo.page_size - CHUNK_HDR) / ELM;

	if (kho_source_read(src, phys, buf, in->geo.page_size, NULL))
		return false;
	c->next = load_u64(buf, be);
	c->order = load_u32(buf + 8, be);
	c->n = load_u32(buf + 12, be);
	if (c->n > cap)
		c->n = (uint32_t)cap;
	return true;
}

/* @next of chunk @cur: where the list goes, and a loop called one */
static void next_text(const struct kho_inspection *in, uint64_t next, long cur)
{
	long k = next ? page_index(in, next, -1) : -1;

	pr_hex("next", "0x%llx", next);
	if (!next)
		pr_text(" (the end)");
	else if (k >= 0)
		pr_u64("next_chunk", k <= cur ? " (chunk %llu, already in the list: v1-chunk)" :
		       " (chunk %llu)", (uint64_t)k);
	else
		pr_text(" (not read: verify says why)");
}

/* tree: the chunk list, one row per chunk the walk read. */
void print_tree_v1(struct kho_source *src, const struct kho_inspection *in, bool headings)
{
	size_t chunks = count_level(in, -1), bitmaps = count_level(in, 0);
	uint8_t *buf = malloc(in->geo.page_size);

	pr_obj_open("tree");
	pr_str("format", "map          %s", "kho-v1");
	pr_hex("phys", " chunk list from 0x%llx", in->ho.map_phys);
	pr_u64("bitmap_bytes", ", %llu-byte bitmaps\n", in->v1_bitmap_bytes);
	pr_u64("chunk_pages", "chunks       %llu", chunks);
	pr_text(" (0x%llx bytes)\n", HEX(chunks * in->geo.page_size));
	pr_u64("bitmaps", "bitmaps      %llu\n", bitmaps);
	pr_u64("bits_set", "bits set     %llu\n", in->stats.set_bits_per_level0);
	pr_arr_open("chunks");
	if (headings && chunks)
		pr_text("%-5s %-18s %-5s %-8s %s\n", "CHUNK", "PHYS", "ORDER", "ELEMENTS", "NEXT");
	for (size_t i = 0, k = 0; i < in->npages && buf; i++) {
		struct chunk c;

		if (in->pages[i].level != -1)
			continue;
		pr_obj_open(NULL);
		pr_u64("index", "%-5llu", k++);
		pr_hex("phys", " 0x%-16llx", in->pages[i].phys);
		if (read_chunk(src, in, in->pages[i].phys, buf, &c)) {
			pr_u64("order", " %-5llu", c.order);
			pr_u64("elements", " %-8llu ", c.n);
			next_text(in, c.next, (long)k - 1);
		}
		pr_text("\n");
		pr_obj_close();
	}
	pr_arr_close();
	pr_obj_close();
	free(buf);
}

/* --node on a chunk page: its header and elements. */
static void print_chunk(struct kho_source *src, const struct kho_inspection *in, uint64_t phys,
			long index, uint8_t *buf, uint8_t *bits)
{
	bool be = kho_source_big_endian(src);
	struct chunk c;

	if (!read_chunk(src, in, phys, buf, &c))
		return;
	pr_hex("phys", "chunk        0x%llx", phys);
	pr_str("kind", ": kho-v1 %s", "chunk");
	pr_u64("index", " %llu", (uint64_t)index);
	pr_u64("chunks", " of %llu in the list", count_level(in, -1));
	pr_u64("order", ", order %llu", c.order);
	pr_u64("nr_elements", c.n == 1 ? ", %llu element, next " : ", %llu elements, next ",
	       c.n);
	next_text(in, c.next, index);
	pr_text("\n");
	pr_arr_open("elements");
	for (uint32_t i = 0; i < c.n; i++) {
		uint64_t start = load_u64(buf + CHUNK_HDR + i * ELM, be);
		uint64_t bitmap = load_u64(buf + CHUNK_HDR + i * ELM + 8, be);
		bool read = bitmap && page_index(in, bitmap, 0) >= 0;

		pr_obj_open(NULL);
		pr_u64("index", "element %-4llu", i);
		pr_hex("phys_start", " phys_start 0x%llx", start);
		pr_hex("bitmap", " bitmap 0x%llx", bitmap);
		pr_bool("read", NULL, read);
		if (read && !kho_source_read(src, bitmap, bits, in->v1_bitmap_bytes, NULL)) {
			uint64_t set = 0;

			for (uint64_t w = 0; w < in->v1_bitmap_bytes / 8; w++)
				set += (uint64_t)__builtin_popcountll(load_u64(bits + w * 8, be));
			pr_u64("bits_set", set == 1 ? ": %llu bit set\n" : ": %llu bits set\n", set);
		} else {
			pr_text(read ? "\n" : ": not a bitmap the walk read (verify says why)\n");
		}
		pr_obj_close();
	}
	pr_arr_close();
}

/* --node on a bitmap: the element naming it, and its set bits as blocks. */
static bool print_bitmap(struct kho_source *src, const struct kho_inspection *in, uint64_t phys,
			 uint8_t *buf, uint8_t *bits)
{
	bool be = kho_source_big_endian(src);

	for (size_t i = 0; i < in->npages; i++) {
		struct chunk c;
		unsigned shift;

		if (in->pages[i].level != -1 || !read_chunk(src, in, in->pages[i].phys, buf, &c))
			continue;
		shift = c.order + in->geo.page_shift;
		for (uint32_t e = 0; e < c.n; e++) {
			uint64_t start = load_u64(buf + CHUNK_HDR + e * ELM, be);
			uint64_t bitmap = load_u64(buf + CHUNK_HDR + e * ELM + 8, be);
			uint64_t bytes = in->v1_bitmap_bytes;

			if (phys < bitmap || phys - bitmap >= bytes)
				continue;
			if (kho_source_read(src, bitmap, bits, bytes, NULL))
				return false;
			pr_hex("phys", "bitmap       0x%llx", bitmap);
			pr_str("kind", ": kho-v1 %s", "bitmap");
			pr_u64("bytes", " (%llu bytes)", bytes);
			pr_hex("chunk", " of chunk 0x%llx", in->pages[i].phys);
			pr_u64("element", " element %llu", e);
			pr_u64("order", ", order %llu", c.order);
			pr_hex("phys_start", ", phys_start 0x%llx\n", start);
			pr_arr_open("bits");
			for (uint64_t w = 0; w < bytes / 8; w++) {
				for (uint64_t m = load_u64(bits + w * 8, be); m; m &= m - 1) {
					uint64_t bit = w * 64 + (uint64_t)__builtin_ctzll(m);

					pr_obj_open(NULL);
					pr_u64("bit", "bit %-8llu", bit);
					if (shift < 64 && bit < UINT64_MAX >> shift)
						pr_hex("phys", " = 0x%llx", start + (bit << shift));
					pr_u64("order", " order %llu\n", c.order);
					pr_obj_close();
				}
			}
			pr_arr_close();
			return true;
		}
	}
	return false;
}

/* returns: true when @addr is in a chunk or bitmap the walk read, printed. */
bool print_tree_node_v1(struct kho_source *src, const struct kho_inspection *in, uint64_t addr)
{
	uint64_t page = addr & ~(in->geo.page_size - 1);
	uint8_t *buf = malloc(in->geo.page_size), *bits = malloc(in->geo.page_size);
	long k = page_index(in, page, -1);
	bool found = false;

	bool bitmap = false;

	for (size_t i = 0; i < in->npages && k < 0 && !bitmap; i++)
		bitmap = !in->pages[i].level && addr >= in->pages[i].phys &&
			 addr - in->pages[i].phys < in->pages[i].bytes;
	if (!buf || !bits || (k < 0 && !bitmap))
		goto out;
	pr_obj_open("node");
	if (k >= 0) {
		print_chunk(src, in, page, k, buf, bits);
		found = true;
	} else {
		found = print_bitmap(src, in, addr, buf, bits);
	}
	pr_obj_close();
out:
	free(buf);
	free(bits);
	return found;
}
