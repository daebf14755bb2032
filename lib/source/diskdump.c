// SPDX-License-Identifier: MIT
/*
 * A compressed kdump (makedumpfile's diskdump layout), regular or read
 * through the record index of a flattened file (flat.c) without
 * reassembling it: the one kdump reader.
 *
 * Why a reader of our own and not libkdumpfile (0.5.1): it reads only
 * through a file descriptor of the regular file, with no hook for a
 * custom read, so a flattened file needed this reader anyway; its reads
 * are page-granular (a partly covered page reads as zeros, with success);
 * it crashes freeing a context whose open failed; and a scan through its
 * per-page cache is about 13 times slower than through windows. Two
 * readers of one file also parsed its header four times. The layout is small and stable (makedumpfile's
 * diskdump_mod.h): a header block, a sub-header, two bitmaps (memory;
 * dumped), then one 24-byte descriptor per dumped page, in pfn order,
 * naming where its (possibly compressed) bytes are. Reading it ourselves
 * also lets a cut stream be inspected as far as it goes: a page whose
 * descriptor or data no record holds is "not in the dump".
 *
 * Page state comes from the bitmaps: clear in the first bitmap is not
 * memory, clear in the second is not in the dump (excluded by -d N, or a
 * hole QEMU cleared). Only the 64-bit header layout is read (KHO exists
 * on 64-bit machines only).
 */
#include "diskdump.h"
#include "heads.h"

#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "../util/util.h"

bool kdump_header_big_endian(const uint8_t bs[4])
{
	return !page_size_valid(load_u32(bs, false)) && page_size_valid(load_u32(bs, true));
}

/* Bit @pfn of @bmp, and in *@pages how many from it share its value. */
static bool bit_run(const struct dd_priv *p, const uint8_t *bmp, uint64_t pfn,
		    uint64_t *pages)
{
	bool v = bit(bmp, pfn);
	uint64_t i = pfn + 1;

	while (i < p->max_mapnr && i % 64)
		if (bit(bmp, i) != v)
			goto done;
		else
			i++;
	while (i + 64 <= p->max_mapnr) {
		uint64_t w = load_u64(bmp + i / 8, false);   /* bit i is bit 0 */

		if (w != (v ? UINT64_MAX : 0)) {
			i += (uint64_t)__builtin_ctzll(v ? ~w : w);
			goto done;
		}
		i += 64;
	}
	while (i < p->max_mapnr && bit(bmp, i) == v)
		i++;
done:
	*pages = i - pfn;
	return v;
}

const uint8_t *dd_window_at(struct kho_source *src, struct window *w, uint64_t off,
			    size_t len, struct kho_error *err)
{
	struct dd_priv *p = src->priv;
	uint64_t missing;

	if (off >= w->off && off - w->off + len <= w->len)
		return w->buf + (off - w->off);
	w->len = 0;
	if (flat_index_read(src, &p->ix, off, w->buf, WINDOW, 0, &missing, err))
		return NULL;
	w->off = off;
	w->len = MIN(WINDOW, UINT64_MAX - off);   /* what flat_index_read filled */
	if (len > w->len) {
		kho_error_set(err, KHO_ERR_CORRUPT, "%s: offset 0x%llx wraps around",
			      src->path, (unsigned long long)off);
		return NULL;
	}
	return w->buf;
}

/* Descriptor @raw (at file offset @at) into @d; whether the file holds it
 * and its data. */
static bool desc_parse(const struct dd_priv *p, uint64_t at, const uint8_t *raw,
		       struct desc *d)
{
	d->offset = load_u64(raw, p->be);
	d->size = load_u32(raw + 8, p->be);
	d->flags = load_u32(raw + 12, p->be);
	return flat_index_gap(&p->ix, at) >= at + DESC_SIZE && d->size &&
	       d->offset + d->size > d->offset &&
	       flat_index_gap(&p->ix, d->offset) >= d->offset + d->size;
}

enum kho_status dd_desc(struct kho_source *src, struct window *w, uint64_t pfn, uint64_t idx,
			struct desc *d, struct kho_error *err)
{
	const struct dd_priv *p = src->priv;
	uint64_t at = p->desc_off + idx * DESC_SIZE;
	const uint8_t *raw = dd_window_at(src, w, at, DESC_SIZE, err);

	if (!raw)
		return err->status;
	if (!desc_parse(p, at, raw, d))
		return kho_error_set(err, KHO_ERR_NODATA, "0x%llx: not in the dump",
				     (unsigned long long)(pfn * p->page));
	if (d->size > 2 * p->page)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: 0x%llx: page descriptor "
				     "size %u is more than twice the page size", src->path,
				     (unsigned long long)(pfn * p->page), d->size);
	return KHO_OK;
}

/* Descriptor number @idx into @d, read without a window: a state query
 * changes nothing. Whether the file holds it and its data. */
static bool desc_held(const struct kho_source *src, uint64_t idx, struct desc *d)
{
	const struct dd_priv *p = src->priv;
	uint64_t at = p->desc_off + idx * DESC_SIZE, missing;
	uint8_t raw[DESC_SIZE];
	struct kho_error e;

	return !flat_index_read(src, &p->ix, at, raw, DESC_SIZE, 0, &missing, &e) &&
	       desc_parse(p, at, raw, d);
}

/* What @pfn is: memory? dumped, with its data in the file (asked of its
 * descriptor past a cut)? */
static enum kho_mem_state page_state(const struct kho_source *src, uint64_t pfn)
{
	const struct dd_priv *p = src->priv;
	struct desc d;

	if (pfn >= p->max_mapnr || !bit(p->mem, pfn))
		return KHO_MEM_ABSENT;
	if (!bit(p->dumped, pfn) ||
	    (pfn >= p->cut_pfn && !desc_held(src, desc_index(p, pfn), &d)))
		return KHO_MEM_EXCLUDED;
	return KHO_MEM_PRESENT;
}

static enum kho_mem_state dd_state(const struct kho_source *src, uint64_t phys,
				   uint64_t *run)
{
	const struct dd_priv *p = src->priv;
	uint64_t pfn = phys / p->page, into = phys % p->page, pages, ram;
	enum kho_mem_state st;

	/* the bitmaps end there: not left to the piece table's bound alone */
	*run = UINT64_MAX;
	if (pfn >= p->max_mapnr)
		return KHO_MEM_ABSENT;
	if (pfn >= p->cut_pfn && bit(p->dumped, pfn) && bit(p->mem, pfn)) {
		/* past the cut, page by page */
		*run = p->page - into;
		return page_state(src, pfn);
	}
	if (!bit_run(p, p->mem, pfn, &ram)) {
		st = KHO_MEM_ABSENT;
		pages = ram;
	} else {
		st = bit_run(p, p->dumped, pfn, &pages) ? KHO_MEM_PRESENT : KHO_MEM_EXCLUDED;
		pages = MIN(pages, ram);
	}
	if (st == KHO_MEM_PRESENT && pfn + pages > p->cut_pfn)
		pages = p->cut_pfn - pfn;
	*run = pages > (UINT64_MAX - into) / p->page ? UINT64_MAX : pages * p->page - into;
	return st;
}

static bool dd_next_data(struct kho_source *src, uint64_t phys, uint64_t *next,
			 uint64_t *run)
{
	const struct dd_priv *p = src->priv;
	uint64_t pfn = phys / p->page, pages;

	while (pfn < p->max_mapnr) {
		if (bit_run(p, p->dumped, pfn, &pages)) {
			*next = MAX(phys, pfn * p->page);
			*run = (pfn + pages) * p->page - *next;
			return true;
		}
		pfn += pages;
	}
	return false;
}

bool dd_unpack(const struct dd_priv *p, uint32_t flags, const uint8_t *in, size_t len,
		   uint8_t *out)
{
	size_t want = p->page;

	switch (flags & (PAGE_ZLIB | PAGE_LZO | PAGE_SNAPPY | PAGE_ZSTD)) {
	case 0:
		if (len != want)
			return false;
		memcpy(out, in, len);
		return true;
	case PAGE_ZLIB: {
		uLongf n = want;

		return uncompress(out, &n, in, len) == Z_OK && n == want;
	}
	case PAGE_LZO: {
		lzo_uint n = want;

		return lzo1x_decompress_safe(in, len, out, &n, NULL) == LZO_E_OK && n == want;
	}
	case PAGE_SNAPPY: {
		size_t n = 0;

		if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK ||
		    n != want)
			return false;
		return snappy_uncompress((const char *)in, len, (char *)out, &n) == SNAPPY_OK &&
		       n == want;
	}
	case PAGE_ZSTD: {
		size_t n = ZSTD_decompress(out, want, in, len);

		return !ZSTD_isError(n) && n == want;
	}
	default:
		return false;
	}
}

/* The first @n bytes of dumped page @pfn; false: take the whole page. */
static bool get_head(struct kho_source *src, uint64_t pfn, uint8_t *out, size_t n)
{
	struct dd_priv *p = src->priv;
	struct kho_error e;
	struct desc d;
	const uint8_t *z;

	if (n > HEADS_MAX_BYTES || p->cache[pfn % CACHE_PAGES].pfn == pfn ||
	    dd_desc(src, &p->th[0].wdesc, pfn, desc_index(p, pfn), &d, &e) ||
	    (p->last.valid && p->last.d.offset == d.offset && p->last.d.size == d.size))
		return false;
	z = dd_window_at(src, &p->th[0].wdata, d.offset, d.size, &e);
	return z && page_head(d.flags, z, d.size, p->page, out, n);
}

/*
 * The bytes of dumped page @pfn, decompressed, from the cache.
 * returns: KHO_OK; KHO_ERR_NODATA (its descriptor or data is not in the
 * file); KHO_ERR_CORRUPT (a descriptor or data that does not decompress
 * to a page); KHO_ERR_SYSTEM.
 */
static enum kho_status get_page(struct kho_source *src, uint64_t pfn, const uint8_t **out,
				struct kho_error *err)
{
	struct dd_priv *p = src->priv;
	unsigned slot = (unsigned)(pfn % CACHE_PAGES);
	enum kho_status st;
	struct desc d;

	if (p->cache[slot].pfn == pfn) {
		*out = p->cache[slot].data;
		return KHO_OK;
	}
	if ((st = dd_desc(src, &p->th[0].wdesc, pfn, desc_index(p, pfn), &d, err)))
		return st;
	if (!p->last.valid || p->last.d.offset != d.offset || p->last.d.size != d.size ||
	    p->last.d.flags != d.flags) {
		const uint8_t *z = dd_window_at(src, &p->th[0].wdata, d.offset, d.size, err);

		if (!z)
			return err->status;
		p->last.valid = false;
		if (!dd_unpack(p, d.flags, z, d.size, p->last.data))
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: 0x%llx: page data (%u "
					     "bytes, flags 0x%x) does not decompress to a page",
					     src->path, (unsigned long long)(pfn * p->page),
					     d.size, d.flags);
		p->last = (typeof(p->last)){ d, true, p->last.data };
	}
	/* the slot is written only now: until then it still holds its page */
	memcpy(p->cache[slot].data, p->last.data, p->page);
	p->cache[slot].pfn = pfn;
	*out = p->cache[slot].data;
	return KHO_OK;
}

static enum kho_status dd_read(struct kho_source *src, uint64_t phys, void *buf,
			       size_t len, struct kho_error *err)
{
	struct dd_priv *p = src->priv;
	uint8_t *dst = buf;
	enum kho_status st = KHO_OK;

	while (len) {
		uint64_t pfn = phys / p->page, into = phys % p->page;
		size_t n = (size_t)MIN((uint64_t)len, p->page - into);
		enum kho_mem_state ms = page_state(src, pfn);
		/* the first bytes alone, decoded no further, when that can be done */
		bool head = ms == KHO_MEM_PRESENT && !into && get_head(src, pfn, dst, n);
		const uint8_t *page = NULL;
		struct kho_error e2;
		enum kho_status ps = KHO_OK;

		if (ms == KHO_MEM_PRESENT && !head)
			ps = get_page(src, pfn, &page, &e2);
		if (ps && ps != KHO_ERR_NODATA) {
			*err = e2;
			return ps;
		}
		if (page) {
			memcpy(dst, page + into, n);
		} else if (!head) {
			memset(dst, 0, n);
			/* the words every other source uses */
			if (!st)
				st = kho_error_set(err, KHO_ERR_NODATA, "0x%llx: %s",
						   (unsigned long long)phys,
						   ms == KHO_MEM_ABSENT ?
						   "not memory the dump describes" :
						   pfn >= p->cut_pfn ?
						   "not in the dump (the file is cut short)" :
						   "not in the dump");
		}
		dst += n;
		phys += n;
		len -= n;
	}
	return st;
}

static void dd_close(struct kho_source *src)
{
	struct dd_priv *p = src->priv;

	free(p->ix.v);
	free(p->mem);
	free(p->dumped);
	free(p->rank);
	free(p->last.data);     /* and the cache's pages */
	for (unsigned i = 0; i < SCAN_THREADS; i++) {
		free(p->th[i].wdesc.buf);
		free(p->th[i].wdata.buf);
		free(p->th[i].page);
	}
	free(p);
}

static const struct source_ops dd_ops = {
	.read = dd_read,
	.close = dd_close,
	.next_data = dd_next_data,
	.state = dd_state,
	.heads = dd_heads,
};

/*
 * Whether the header block as read (@missing as flat_index_read() said) is
 * a kdump's, and whole. A flattened file may hold an ELF instead, or end
 * early; a regular file too short is truncated before it is anything else.
 */
static enum kho_status check_header(const struct kho_source *src, const uint8_t *h,
				    uint64_t missing, bool flat, struct kho_error *err)
{
	bool kdump = !memcmp(h, "KDUMP   ", 8) || !memcmp(h, "DISKDUMP", 8);

	if (flat && !memcmp(h, "\177ELF", 4))
		return kho_error_set(err, KHO_ERR_NOTIMPL, "%s: a flattened ELF (makedumpfile "
				     "-F -E); reassemble it first: makedumpfile -R OUT < %s",
				     src->path, src->path);
	if (!kdump && missing >= (flat ? 8 : UINT64_MAX))
		return kho_error_set(err, KHO_ERR_NOTIMPL, flat ?
				     "%s: a flattened file that holds neither a kdump nor an ELF" :
				     "%s: not a kdump file (no KDUMP signature)", src->path);
	if (missing != UINT64_MAX)
		return kho_error_set(err, KHO_ERR_CORRUPT, flat ?
				     "%s: the flattened file ends before its kdump header is whole" :
				     "%s: kdump header is truncated", src->path);
	return KHO_OK;
}

static enum kho_status read_headers(struct kho_source *src, struct dd_priv *p, bool flat,
				    uint32_t *bitmap_blocks, struct kho_error *err)
{
	uint8_t h[DH_SIZE], sh[SH_SIZE];
	uint64_t missing;
	uint32_t version, sub;
	enum kho_status st;
	bool bad;

	/* the one read of the header, checked before anything is sized by it:
	 * the fields that lay out the file must be sane and a regular file long
	 * enough for the header, sub-header and bitmaps */
	if ((st = flat_index_read(src, &p->ix, 0, h, sizeof(h), 0, &missing, err)) ||
	    (st = check_header(src, h, missing, flat, err)))
		return st;
	p->be = kdump_header_big_endian(h + DH_BLOCK_SIZE);
	version = load_u32(h + DH_VERSION, p->be);
	p->page = load_u32(h + DH_BLOCK_SIZE, p->be);
	sub = load_u32(h + DH_SUB_HDR_SIZE, p->be);
	*bitmap_blocks = load_u32(h + DH_BITMAP_BLOCKS, p->be);
	p->max_mapnr = load_u32(h + DH_MAX_MAPNR, p->be);
	bad = !version || version > 64 || !page_size_valid(p->page) || sub > 1024 ||
	      !*bitmap_blocks;
	if (!flat && (bad || (uint64_t)p->page * (1 + (uint64_t)sub + *bitmap_blocks) >
		      (uint64_t)src->file_size))
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: kdump header is corrupt or the file is truncated "
				     "(version %u, block size %u, %u bitmap blocks, %lld bytes)",
				     src->path, version, p->page, *bitmap_blocks,
				     (long long)src->file_size);
	if (bad || !sub || *bitmap_blocks % 2)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: kdump header is corrupt "
				     "(version %u, block size %u, sub-header %u blocks, %u "
				     "bitmap blocks)", src->path, version, p->page, sub,
				     *bitmap_blocks);
	if ((st = flat_index_read(src, &p->ix, p->page, sh, sizeof(sh), 0, &missing, err)))
		return st;
	if (missing < p->page + (version >= 6 ? SH_SIZE : SH_VMCOREINFO + 16))
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: the flattened file ends before "
				     "its kdump sub-header is whole", src->path);
	if (version >= 2 && load_u32(sh + SH_SPLIT, p->be))
		return kho_error_set(err, KHO_ERR_NOTIMPL, "%s: one file of a split kdump "
				     "set; reassemble it first (makedumpfile -R, then "
				     "--reassemble)", src->path);
	if (version >= 6)
		p->max_mapnr = load_u64(sh + SH_MAX_MAPNR_64, p->be);
	p->desc_off = (uint64_t)p->page * (1 + sub + (uint64_t)*bitmap_blocks);
	snprintf(src->arch, sizeof(src->arch), "%.*s", (int)sizeof(src->arch) - 1,
		 (const char *)h + DH_MACHINE);
	if (version >= 3) {
		uint64_t off = load_u64(sh + SH_VMCOREINFO, p->be);
		uint64_t size = load_u64(sh + SH_VMCOREINFO + 8, p->be);
		_cleanup_free_ char *text = NULL;

		if (!off || !size)
			return KHO_OK;
		if (size > (1 << 20))
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: VMCOREINFO of %llu "
					     "bytes", src->path, (unsigned long long)size);
		if (!(text = malloc(size)))
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		st = flat_index_read(src, &p->ix, off, text, size, 0, &missing, err);
		if (!st)
			st = source_set_vmcoreinfo(src, text, (size_t)size, err);
	}
	return st;
}

/*
 * Both bitmaps, bounded by the file: a whole flattened file holds them,
 * so they are never larger than it (or 32 MiB, for a file cut short).
 * Bytes of a bitmap the stream lost read as "memory, not dumped".
 */
static enum kho_status read_bitmaps(struct kho_source *src, struct dd_priv *p,
				    uint32_t bitmap_blocks, struct kho_error *err)
{
	uint64_t len = (uint64_t)bitmap_blocks / 2 * p->page, missing, total = 0;
	uint64_t at = p->desc_off - (uint64_t)bitmap_blocks * p->page, end;
	enum kho_status st;

	if (len > MAX((uint64_t)src->file_size, 32ull << 20) || p->max_mapnr > len * 8 ||
	    !p->max_mapnr)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: kdump bitmaps of %llu bytes "
				     "for %llu pages in a %lld-byte file", src->path,
				     (unsigned long long)len, (unsigned long long)p->max_mapnr,
				     (long long)src->file_size);
	/* 64 zero bytes past the end: whole words are loaded up to a rank block */
	p->mem = calloc(1, len + 64);
	p->dumped = calloc(1, len + 64);
	p->rank = calloc(p->max_mapnr / RANK_BITS + 1, sizeof(*p->rank));
	if (!p->mem || !p->dumped || !p->rank)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if ((st = flat_index_read(src, &p->ix, at, p->mem, len, 0xff, &missing, err)) ||
	    (st = flat_index_read(src, &p->ix, at + len, p->dumped, len, 0, &missing, err)))
		return st;
	/* Descriptors count dumped pages from pfn 0: past a lost byte of the
	 * second bitmap none can be found, so none is dumped from there. */
	if (missing != UINT64_MAX) {
		end = missing - (at + len);
		memset(p->dumped + end, 0, len - end);
		p->cut_pfn = end * 8;
	}
	if (p->max_mapnr % 8) {     /* no bits past max_mapnr */
		p->mem[p->max_mapnr / 8] &= (uint8_t)((1u << (p->max_mapnr % 8)) - 1);
		p->dumped[p->max_mapnr / 8] &= (uint8_t)((1u << (p->max_mapnr % 8)) - 1);
	}
	memset(p->mem + (p->max_mapnr + 7) / 8, 0, len - (p->max_mapnr + 7) / 8);
	memset(p->dumped + (p->max_mapnr + 7) / 8, 0, len - (p->max_mapnr + 7) / 8);
	/* up to the entry of max_mapnr itself: desc_index(max_mapnr) is the
	 * count of dumped pages, also when max_mapnr is a multiple of RANK_BITS */
	for (uint64_t b = 0; b <= p->max_mapnr / RANK_BITS; b++) {
		p->rank[b] = total;
		for (unsigned w = 0; w < RANK_BITS / 64 && b * RANK_BITS < p->max_mapnr; w++)
			total += (uint64_t)__builtin_popcountll(
				load_u64(p->dumped + b * (RANK_BITS / 8) + w * 8, false));
	}
	return KHO_OK;
}

/* Whether the last dumped page's descriptor and data are in the file: a
 * dump written in pfn order and cut short loses that one first. */
static bool last_page_held(struct kho_source *src, uint64_t ndumped)
{
	const struct dd_priv *p = src->priv;
	struct desc d;

	return !ndumped || (desc_held(src, ndumped - 1, &d) &&
			    d.offset >= p->desc_off + (ndumped - 1) * DESC_SIZE);
}

/*
 * Where a cut stream lost page data: the lowest dumped pfn whose
 * descriptor or bytes no record holds. Only a stream without its end
 * marker, a descriptor table with a gap, or a last page whose data is
 * not there is searched: a whole file costs two reads here.
 */
static enum kho_status find_cut(struct kho_source *src, struct kho_error *err)
{
	enum { CHUNK = 4096 };
	struct dd_priv *p = src->priv;
	uint64_t ndumped = desc_index(p, p->max_mapnr), k = 0, pfn = 0, pages, missing = 0;
	_cleanup_free_ uint8_t *buf = NULL;
	enum kho_status st;

	if (p->ix.complete && flat_index_gap(&p->ix, p->desc_off) >=
	    p->desc_off + ndumped * DESC_SIZE && last_page_held(src, ndumped))
		return KHO_OK;
	p->needed = p->desc_off + ndumped * DESC_SIZE;
	if (!(buf = malloc(CHUNK * DESC_SIZE)))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	while (pfn < MIN(p->max_mapnr, p->cut_pfn)) {
		if (!bit_run(p, p->dumped, pfn, &pages)) {
			pfn += pages;
			continue;
		}
		for (uint64_t end = pfn + pages; pfn < end; pfn++, k++) {
			struct desc d;

			if (k % CHUNK == 0 &&
			    (st = flat_index_read(src, &p->ix, p->desc_off + k * DESC_SIZE, buf,
						  CHUNK * DESC_SIZE, 0, &missing, err)))
				return st;
			if (!desc_parse(p, p->desc_off + k * DESC_SIZE, buf + (k % CHUNK) * DESC_SIZE,
					&d)) {
				p->cut_pfn = pfn;
				return KHO_OK;
			}
			p->needed = MAX(p->needed, d.offset + d.size);
		}
	}
	return KHO_OK;
}

/* A regular kdump file: the index is the file itself, whole. */
static enum kho_status identity_index(struct kho_source *src, struct flat_index *ix,
				      struct kho_error *err)
{
	uint64_t size = (uint64_t)src->file_size;

	if (!(ix->v = calloc(1, sizeof(*ix->v))))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	ix->v[0] = (struct flat_piece){ .off = 0, .size = size, .pos = 0, .held_to = size };
	ix->n = 1;
	ix->complete = true;
	return KHO_OK;
}

static enum kho_status open_dd(struct kho_source *src, bool flat, struct kho_error *err)
{
	struct dd_priv *p = calloc(1, sizeof(*p));
	uint32_t bitmap_blocks;
	struct segment all;
	enum kho_status st;

	if (!p)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	src->ops = &dd_ops;     /* dd_close() needs @p */
	src->priv = p;
	src->kind = KHO_KIND_KDUMP;
	src->format = flat ? "kdump-flat" : "kdump";
	p->cut_pfn = UINT64_MAX;
	if (lzo_init() != LZO_E_OK)
		return kho_error_set(err, KHO_ERR_SYSTEM, "lzo_init failed");
	if ((st = flat ? flat_index_build(src, &p->ix, err) : identity_index(src, &p->ix, err)) ||
	    (st = read_headers(src, p, flat, &bitmap_blocks, err)) ||
	    (st = read_bitmaps(src, p, bitmap_blocks, err)))
		return st;
	/* the last page decompressed, then the cache's, in one block; the
	 * second thread's buffers come when a scan first asks for it */
	if (!(p->last.data = malloc((CACHE_PAGES + 1) * (size_t)p->page)) ||
	    !dd_thread_buffers(p, 0))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	for (unsigned i = 0; i < CACHE_PAGES; i++)
		p->cache[i] = (typeof(p->cache[i])){ UINT64_MAX, p->last.data + (i + 1) * p->page };
	if ((st = find_cut(src, err)))
		return st;
	src->page_size = p->page;
	src->big_endian = p->be;
	if (!p->ix.complete) {
		src->needed_size = p->ix.needed;
		if (p->cut_pfn < p->max_mapnr)
			src->cut_phys = p->cut_pfn * p->page;
	} else if (p->cut_pfn < p->max_mapnr && p->needed) {
		/* a regular file cut in its page data */
		src->needed_size = MAX(p->needed, (uint64_t)src->file_size + 1);
		src->cut_phys = p->cut_pfn * p->page;
	}
	if (p->max_mapnr > UINT64_MAX / p->page)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: max_mapnr %llu is too large",
				     src->path, (unsigned long long)p->max_mapnr);
	all = (struct segment){ 0, p->max_mapnr * p->page, p->max_mapnr * p->page, 0 };
	return source_set_segments(src, &all, 1, err);
}

enum kho_status source_open_flat(struct kho_source *src, const struct kho_source_opts *o,
				 struct kho_error *err)
{
	return open_dd(src, true, err);
}

enum kho_status source_open_diskdump(struct kho_source *src, const struct kho_source_opts *o,
				     struct kho_error *err)
{
	return open_dd(src, false, err);
}
