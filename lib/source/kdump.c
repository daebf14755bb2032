// SPDX-License-Identifier: MIT
/*
 * Compressed kdump files (and whatever else libkdumpfile 0.5.1 opens),
 * read by machine physical address. Known 0.5.1 defects shape this file:
 * the OS type is set before opening, the page size only after and only
 * when missing (setting it first crashes on partly covered pages), and
 * reads are page-granular.
 */
#include "source_internal.h"

#include <libkdumpfile/kdumpfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../util/util.h"

static bool block_size_plausible(uint32_t b)
{
	return b >= 4096 && b <= 65536 && !(b & (b - 1));
}

bool kdump_header_big_endian(const uint8_t bs[4])
{
	return !block_size_plausible(load_u32(bs, false)) &&
	       block_size_plausible(load_u32(bs, true));
}

static kdump_ctx_t *ctx_of(struct kho_source *src);
static uint64_t cut_pfn_of(const struct kho_source *src);

static enum kho_status kdump_source_read(struct kho_source *src, uint64_t phys,
					 void *buf, size_t len, struct kho_error *err)
{
	kdump_ctx_t *ctx = ctx_of(src);
	uint8_t *dst = buf;
	enum kho_status st = KHO_OK;

	while (len) {
		size_t n = len;
		kdump_status ks;
		uint64_t skip;

		if (phys / src->page_size >= cut_pfn_of(src)) {
			/* Past the cut: the data is gone (pages whose bit says
			 * they are dumped included). */
			if (!st)
				st = kho_error_set(err, KHO_ERR_NODATA, "0x%llx: not in the dump "
						   "(the file is cut short)",
						   (unsigned long long)phys);
			memset(dst, 0, len);
			break;
		}
		ks = kdump_read(ctx, KDUMP_MACHPHYSADDR, phys, dst, &n);

		if (ks == KDUMP_OK && n == len)
			break;
		if (ks != KDUMP_OK && ks != KDUMP_ERR_NODATA)
			return kho_error_set(err, ks == KDUMP_ERR_SYSTEM ? KHO_ERR_SYSTEM :
					     KHO_ERR_CORRUPT, "%s: 0x%llx: %s", src->path,
					     (unsigned long long)(phys + n), kdump_get_err(ctx));
		/* Missing data: zeros up to the next page, and say why. */
		dst += n;
		phys += n;
		len -= n;
		skip = MIN((uint64_t)len, src->page_size - (phys & (src->page_size - 1)));
		/* The same words as every other source: what the bitmaps say. */
		if (!st)
			st = kho_error_set(err, KHO_ERR_NODATA, "0x%llx: %s",
					   (unsigned long long)phys,
					   kho_source_state(src, phys, NULL) == KHO_MEM_ABSENT ?
					   "not memory the dump describes" : "not in the dump");
		memset(dst, 0, skip);
		dst += skip;
		phys += skip;
		len -= skip;
	}
	return st;
}

struct kdump_priv {
	kdump_ctx_t *ctx;
	kdump_bmp_t *pagemap;   /* pages the file holds, when it says */
	uint8_t *ram_bits;      /* pages that are memory: makedumpfile's first bitmap */
	uint64_t ram_nbits;
	uint64_t bmp_page;      /* the page size those bitmaps count in */
	uint64_t cut_pfn;       /* pages from here on lost to truncation (UINT64_MAX: none) */
};

/* Bit @pfn of the in-memory bitmap @bits, and how many pages share it. */
static bool bits_test(const uint8_t *bits, uint64_t nbits, uint64_t pfn, uint64_t *pages)
{
	bool set = pfn < nbits && (bits[pfn / 8] >> (pfn % 8) & 1);
	uint64_t i = pfn + 1;

	if (pfn >= nbits) {
		*pages = UINT64_MAX - pfn;
		return false;
	}
	while (i < nbits) {
		if (!(i % 8) && i + 8 <= nbits && bits[i / 8] == (set ? 0xff : 0)) {
			i += 8;         /* a whole byte alike */
			continue;
		}
		if ((bits[i / 8] >> (i % 8) & 1) != set)
			break;
		i++;
	}
	*pages = i < nbits || set ? i - pfn : UINT64_MAX - pfn;
	return set;
}

/* Bit @pfn of @bmp, and how many pages from it share its value. */
static bool bmp_test(kdump_bmp_t *bmp, uint64_t pfn, uint64_t *pages)
{
	kdump_addr_t idx = pfn;

	if (kdump_bmp_find_set(bmp, &idx) != KDUMP_OK) {
		*pages = UINT64_MAX - pfn;          /* clear to the end */
		return false;
	}
	if (idx != pfn) {
		*pages = idx - pfn;
		return false;
	}
	if (kdump_bmp_find_clear(bmp, &idx) != KDUMP_OK)
		*pages = UINT64_MAX - pfn;
	else
		*pages = idx - pfn;
	return true;
}

/*
 * Memory the header's max_pfn covers is not all in the file: holes (not
 * memory: QEMU clears the PCI hole in both bitmaps) and pages makedumpfile
 * excluded (-d N) are answered from the bitmaps, as ELF and raw sources
 * answer from their segments.
 */
static enum kho_mem_state kdump_state(const struct kho_source *src, uint64_t phys,
				      uint64_t *run)
{
	const struct kdump_priv *p = src->priv;
	uint64_t page = p->bmp_page, pfn = phys / page, into = phys % page;
	uint64_t pages = UINT64_MAX - pfn, n;   /* no bitmap: to the end */
	enum kho_mem_state st = KHO_MEM_PRESENT;
	bool dumped = true;

	/* Memory at all (makedumpfile's first bitmap)? Then in the file
	 * (the second), and before the cut of a truncated file? */
	if (p->ram_bits && !bits_test(p->ram_bits, p->ram_nbits, pfn, &pages)) {
		st = KHO_MEM_ABSENT;
	} else {
		if (p->pagemap) {
			dumped = bmp_test(p->pagemap, pfn, &n);
			pages = MIN(pages, n);
		}
		if (!dumped || pfn >= p->cut_pfn)
			st = KHO_MEM_EXCLUDED;
		else if (p->cut_pfn != UINT64_MAX)
			pages = MIN(pages, p->cut_pfn - pfn);
	}
	*run = pages > (UINT64_MAX - into) / page ? UINT64_MAX : pages * page - into;
	return st;
}

static kdump_ctx_t *ctx_of(struct kho_source *src)
{
	return ((struct kdump_priv *)src->priv)->ctx;
}

static uint64_t cut_pfn_of(const struct kho_source *src)
{
	return ((const struct kdump_priv *)src->priv)->cut_pfn;
}

static void kdump_source_close(struct kho_source *src)
{
	struct kdump_priv *p = src->priv;

	if (!p)
		return;
	if (p->pagemap)
		kdump_bmp_decref(p->pagemap);
	free(p->ram_bits);
	kdump_free(p->ctx);
	free(p);
}

/* Skip what the file does not hold, by its page bitmap. */
static bool kdump_next_data(struct kho_source *src, uint64_t phys, uint64_t *next,
			    uint64_t *run)
{
	struct kdump_priv *p = src->priv;
	kdump_addr_t first = phys / p->bmp_page, end;

	if (!p->pagemap) {
		*next = phys;
		*run = src->npieces ? src->pieces[0].phys + src->pieces[0].size - phys : 0;
		return *run > 0 && phys < src->pieces[0].phys + src->pieces[0].size;
	}
	if (kdump_bmp_find_set(p->pagemap, &first) != KDUMP_OK)
		return false;
	end = first;
	if (kdump_bmp_find_clear(p->pagemap, &end) != KDUMP_OK)
		end = first + 1;
	*next = MAX(phys, (uint64_t)first * p->bmp_page);
	*run = (uint64_t)end * p->bmp_page - *next;
	return true;
}

/*
 * libkdumpfile 0.5.1 crashes in kdump_free() after it failed to open a
 * bad diskdump header, so such headers never reach it: the fields it
 * sizes the file by (struct disk_dump_header, makedumpfile) must be sane
 * and the file long enough for the header, sub-header and bitmaps.
 */
static enum kho_status check_diskdump_header(struct kho_source *src,
					     struct kho_error *err)
{
	uint8_t h[464];
	uint32_t version, block, sub, bitmaps;
	bool be;

	if (pread(src->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: kdump header is truncated", src->path);
	if (memcmp(h, "KDUMP   ", 8) && memcmp(h, "DISKDUMP", 8))
		return KHO_OK;      /* another format: libkdumpfile decides */
	be = kdump_header_big_endian(h + 428);
	version = load_u32(h + 8, be);
	block = load_u32(h + 428, be);
	sub = load_u32(h + 432, be);
	bitmaps = load_u32(h + 436, be);
	if (!version || version > 64 || block < 4096 || block > 65536 ||
	    (block & (block - 1)) || sub > 1024 || !bitmaps ||
	    (uint64_t)block * (1 + (uint64_t)sub + bitmaps) > (uint64_t)src->file_size)
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: kdump header is corrupt or the file is truncated "
				     "(version %u, block size %u, %u bitmap blocks, %lld bytes)",
				     src->path, version, block, bitmaps,
				     (long long)src->file_size);
	return KHO_OK;
}

static const struct source_ops kdump_ops = {
	.read = kdump_source_read,
	.close = kdump_source_close,
	.next_data = kdump_next_data,
	.state = kdump_state,
};

#define PAGE_DESC_SIZE 24   /* makedumpfile's page_desc: u64 offset, u32 size, flags, u64 */

/* The pfn of the @rank-th set bit of @bmp (ranks from 0), or UINT64_MAX. */
static uint64_t pfn_of_rank(kdump_bmp_t *bmp, uint64_t rank)
{
	kdump_addr_t at = 0, end;

	while (kdump_bmp_find_set(bmp, &at) == KDUMP_OK) {
		end = at;
		if (kdump_bmp_find_clear(bmp, &end) != KDUMP_OK)
			return rank <= UINT64_MAX - at ? at + rank : UINT64_MAX;
		if (rank < end - at)
			return at + rank;
		rank -= end - at;
		at = end;
	}
	return UINT64_MAX;
}

/* How many bits of @bmp are set. */
static uint64_t popcount_bmp(kdump_bmp_t *bmp)
{
	kdump_addr_t at = 0, end;
	uint64_t n = 0;

	while (kdump_bmp_find_set(bmp, &at) == KDUMP_OK) {
		end = at;
		if (kdump_bmp_find_clear(bmp, &end) != KDUMP_OK)
			break;
		n += end - at;
		at = end;
	}
	return n;
}

/*
 * A compressed kdump cut short (disk full during capture): page data is
 * written in pfn order after the descriptors, one descriptor per dumped
 * page. The first descriptor that is missing, or whose data is, marks
 * the cut; every dumped page from its pfn on is lost (zero pages share
 * one copy near the start, so they do not mark it). The last descriptor
 * answers for a whole file in one read.
 */
static void find_cut(struct kho_source *src, struct kdump_priv *p)
{
	uint8_t h[464], d[PAGE_DESC_SIZE];
	uint64_t file = (uint64_t)src->file_size, descs, n, lost = UINT64_MAX, need;
	uint32_t block, sub, bitmaps;
	bool be;

	p->cut_pfn = UINT64_MAX;
	if (!p->pagemap || pread(src->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h, "KDUMP   ", 8))
		return;
	be = kdump_header_big_endian(h + 428);
	block = load_u32(h + 428, be);
	sub = load_u32(h + 432, be);
	bitmaps = load_u32(h + 436, be);
	descs = (uint64_t)block * (1 + (uint64_t)sub + bitmaps);
	n = popcount_bmp(p->pagemap);
	if (!n)
		return;
	need = descs + n * PAGE_DESC_SIZE;
	if (need <= file && pread(src->fd, d, sizeof(d), (off_t)(need - PAGE_DESC_SIZE)) ==
				    (ssize_t)sizeof(d) &&
	    load_u64(d, be) + load_u32(d + 8, be) <= file && load_u64(d, be) >= need)
		return;   /* the last page's data is there: whole */
	/* Walk the descriptors for the first one that is cut. */
	for (uint64_t i = 0; i < n && lost == UINT64_MAX; i++) {
		uint64_t at = descs + i * PAGE_DESC_SIZE, off, len;

		if (at + PAGE_DESC_SIZE > file ||
		    pread(src->fd, d, sizeof(d), (off_t)at) != (ssize_t)sizeof(d)) {
			lost = i;
			break;
		}
		off = load_u64(d, be);
		len = load_u32(d + 8, be);
		if (off + len < off || off + len > file)
			lost = i;
		else
			need = MAX(need, off + len);
	}
	if (lost == UINT64_MAX)
		return;
	p->cut_pfn = pfn_of_rank(p->pagemap, lost);
	src->needed_size = MAX(need, file + 1);
	src->cut_phys = p->cut_pfn > UINT64_MAX / p->bmp_page ? UINT64_MAX :
			p->cut_pfn * p->bmp_page;
}

/*
 * makedumpfile's first bitmap (pages that are memory), read from the file:
 * the first half of the bitmap blocks after the header and sub-header.
 * (libkdumpfile 0.5.1 has it as memory.pagemap, but building that
 * attribute loses 24 KiB that kdump_free() never releases.)
 */
static void read_ram_bitmap(struct kho_source *src, struct kdump_priv *p)
{
	uint8_t h[464];
	uint64_t off, len;
	uint32_t block, sub, bitmaps;
	bool be;

	if (pread(src->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    (memcmp(h, "KDUMP   ", 8) && memcmp(h, "DISKDUMP", 8)))
		return;
	be = kdump_header_big_endian(h + 428);
	block = load_u32(h + 428, be);
	sub = load_u32(h + 432, be);
	bitmaps = load_u32(h + 436, be);
	off = (uint64_t)block * (1 + (uint64_t)sub);
	len = (uint64_t)block * bitmaps / 2;   /* checked against the file at open */
	/* 256 MiB of bits cover 8 TiB of 4 KiB pages; beyond, the file bitmap
	 * alone answers (holes then read as not dumped, never as present). */
	if (!len || len > (256u << 20) || !(p->ram_bits = malloc(len)))
		return;
	if (pread(src->fd, p->ram_bits, len, (off_t)off) != (ssize_t)len) {
		free(p->ram_bits);
		p->ram_bits = NULL;
		return;
	}
	p->ram_nbits = len * 8;
}

/* A bitmap attribute of @ctx, referenced, or NULL. */
static kdump_bmp_t *bitmap_attr(kdump_ctx_t *ctx, const char *name)
{
	kdump_attr_t attr = { .type = KDUMP_BITMAP };   /* the type asked for */

	if (kdump_get_typed_attr(ctx, name, &attr) != KDUMP_OK || attr.type != KDUMP_BITMAP)
		return NULL;
	kdump_bmp_incref(attr.val.bitmap);
	return attr.val.bitmap;
}

enum kho_status source_open_kdump(struct kho_source *src, const struct kho_source_opts *o,
				  struct kho_error *err)
{
	kdump_ctx_t *ctx = kdump_new();
	kdump_num_t num;
	const char *str;
	char *raw = NULL;
	struct segment all;
	kdump_status ks;
	char head[12];

	/* makedumpfile -F (and QEMU's kdump formats) is read without
	 * libkdumpfile: see diskdump.c. */
	if (pread(src->fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	    !memcmp(head, "makedumpfile", sizeof(head))) {
		if (ctx)
			kdump_free(ctx);
		return source_open_flat(src, o, err);
	}
	src->ops = &kdump_ops;
	src->kind = KHO_KIND_KDUMP;
	src->format = "kdump";
	enum kho_status st;

	if (!ctx)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if ((st = check_diskdump_header(src, err))) {
		kdump_free(ctx);
		return st;
	}
	kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux");
	/* A file cut inside its page data must not kill us with SIGBUS
	 * through libkdumpfile's mmap cache: read(2) says short instead. */
	kdump_set_number_attr(ctx, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER);
	ks = kdump_open_fd(ctx, src->fd);
	if (ks != KDUMP_OK) {
		/* Not freed: 0.5.1 may crash freeing a context whose open failed. */
		return kho_error_set(err, ks == KDUMP_ERR_NOTIMPL ? KHO_ERR_NOTIMPL :
				     KHO_ERR_CORRUPT, "%s: %s", src->path, kdump_get_err(ctx));
	}
	src->priv = calloc(1, sizeof(struct kdump_priv));
	if (!src->priv) {
		kdump_free(ctx);
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	((struct kdump_priv *)src->priv)->ctx = ctx;
	if (kdump_get_number_attr(ctx, KDUMP_ATTR_PAGE_SIZE, &num) != KDUMP_OK) {
		num = o->page_size ? o->page_size : 4096;
		kdump_set_number_attr(ctx, KDUMP_ATTR_PAGE_SIZE, num);
	}
	src->page_size = num;
	if (kdump_get_number_attr(ctx, KDUMP_ATTR_BYTE_ORDER, &num) == KDUMP_OK)
		src->big_endian = num == KDUMP_BIG_ENDIAN;
	if (kdump_get_string_attr(ctx, KDUMP_ATTR_ARCH_NAME, &str) == KDUMP_OK && str)
		snprintf(src->arch, sizeof(src->arch), "%s", str);
	if (kdump_vmcoreinfo_raw(ctx, &raw) == KDUMP_OK && raw) {
		st = source_set_vmcoreinfo(src, raw, strlen(raw), err);

		free(raw);
		if (st)
			return st;
	}
	((struct kdump_priv *)src->priv)->pagemap = bitmap_attr(ctx, KDUMP_ATTR_FILE_PAGEMAP);
	read_ram_bitmap(src, src->priv);
	((struct kdump_priv *)src->priv)->bmp_page = src->page_size;
	find_cut(src, src->priv);
	/* The map is what max_pfn covers; exclusions show when read. */
	if (kdump_get_number_attr(ctx, "max_pfn", &num) != KDUMP_OK || !num)
		num = UINT64_MAX / src->page_size;
	all = (struct segment){ 0, num * src->page_size, num * src->page_size, 0 };
	if ((st = source_set_segments(src, &all, 1, err)))
		return st;
	/* makedumpfile's compressed kdump: scanned through our own reader */
	if (pread(src->fd, head, 8, 0) == 8 && !memcmp(head, "KDUMP   ", 8))
		source_open_scan_view(src, o);
	return KHO_OK;
}
