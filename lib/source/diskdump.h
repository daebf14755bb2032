/* SPDX-License-Identifier: MIT */
/*
 * The diskdump reader's state (diskdump.c), shared with its batch reader
 * for scans (diskdump_scan.c).
 */
#ifndef KHO_SOURCE_DISKDUMP_H
#define KHO_SOURCE_DISKDUMP_H

#include "source_internal.h"

#include "../util/util.h"

#define CACHE_PAGES 32
#define RANK_BITS   512                     /* pfns per rank entry */
#define SCAN_THREADS 2

/* A read-ahead window over the regular file: descriptors and page data of
 * neighbouring pfns are neighbours in the file, so one read serves many.
 * Its buffer is page-aligned (see window.c). */
struct window {
	uint64_t off, len;
	uint8_t *buf;
};

struct desc {
	uint64_t offset;
	uint32_t size, flags;
};

struct dd_priv {
	struct flat_index ix;
	bool be;
	uint32_t page;                  /* block size: the kdump's page size */
	uint64_t max_mapnr;
	uint8_t *mem, *dumped;          /* the two bitmaps, max_mapnr bits */
	uint64_t *rank;                 /* dumped pages before each RANK_BITS block */
	uint64_t desc_off;              /* file offset of the first descriptor */
	uint64_t cut_pfn;               /* lowest dumped pfn whose data is missing */
	struct {                        /* the last data decompressed: QEMU and
					 * makedumpfile share one for zero pages */
		struct desc d;
		bool valid;
		uint8_t *data;
	} last;
	struct {
		uint64_t pfn;           /* UINT64_MAX: empty */
		uint8_t *data;
	} cache[CACHE_PAGES];
	uint64_t needed;                /* file size a cut file's tables need */
	struct dd_thread {              /* what each thread of a scan batch uses */
		struct window wdesc, wdata;
		uint8_t *page;
	} th[SCAN_THREADS];             /* [0]'s windows also the page reader's; [1]
					 * only when the caller asked for threads */
};

/* The buffers of scan thread @i, allocated on first use.
 * returns: false when out of memory. */
bool dd_thread_buffers(struct dd_priv *p, unsigned i);

static inline bool bit(const uint8_t *bmp, uint64_t pfn)
{
	return bmp[pfn / 8] >> (pfn % 8) & 1;
}

/* Index of @pfn's descriptor: the dumped pages before it. */
static inline uint64_t desc_index(const struct dd_priv *p, uint64_t pfn)
{
	uint64_t n = p->rank[pfn / RANK_BITS];

	for (uint64_t i = pfn / RANK_BITS * RANK_BITS; i + 64 <= pfn; i += 64)
		n += (uint64_t)__builtin_popcountll(load_u64(p->dumped + i / 8, false));
	for (uint64_t i = pfn & ~63ull; i < pfn; i++)
		n += bit(p->dumped, i);
	return n;
}

/*
 * @len (<= WINDOW) bytes at @off of the regular file, through @w; bytes no record holds are zeros. The pointer lasts until the
 * next call on @w. returns: NULL on an I/O error (in @err).
 */
const uint8_t *dd_window_at(struct kho_source *src, struct window *w, uint64_t off,
			    size_t len, struct kho_error *err);

/*
 * The descriptor of dumped page @pfn, number @idx (@idx dumped pages before
 * it), read through @w. returns: KHO_OK; KHO_ERR_NODATA (the file does not
 * hold it or its data); KHO_ERR_CORRUPT (data of more than two pages);
 * KHO_ERR_SYSTEM.
 */
enum kho_status dd_desc(struct kho_source *src, struct window *w, uint64_t pfn, uint64_t idx,
			struct desc *d, struct kho_error *err);

/* The batch reader of kho_scan (diskdump_scan.c; source_heads() in heads.h). */
enum kho_status dd_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			 uint8_t *out, uint8_t *state, struct kho_error *err);

/* Decompress (or copy) @len bytes of @in into the page at @out. */
bool dd_unpack(const struct dd_priv *p, uint32_t flags, const uint8_t *in, size_t len,
	       uint8_t *out);

#endif
