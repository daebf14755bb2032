/* SPDX-License-Identifier: MIT */
/* Private state of a memory source; one backend file per format. */
#ifndef KHO_SOURCE_INTERNAL_H
#define KHO_SOURCE_INTERNAL_H

#include <sys/types.h>

#include "kho/source.h"
#include "kdump_format.h"

/* A disjoint piece of the physical map and where its bytes are in the file. */
struct piece {
	uint64_t phys, size;
	uint64_t offset;              /* file offset of phys (PRESENT only) */
	enum kho_mem_state state;
};

struct source_ops {
	/* Read a range; NULL means the piece table and the file answer. */
	enum kho_status (*read)(struct kho_source *src, uint64_t phys, void *buf,
				size_t len, struct kho_error *err);
	void (*close)(struct kho_source *src);
	/* Where data may be, when the backend knows better than the piece table. */
	bool (*next_data)(struct kho_source *src, uint64_t phys, uint64_t *next,
			  uint64_t *run);
	/* What present memory of the piece table really is, when the backend
	 * knows better (kdump bitmaps); *@run is clamped by the caller. It
	 * changes nothing: no cache, no window (kho_source_state is const). */
	enum kho_mem_state (*state)(const struct kho_source *src, uint64_t phys,
				    uint64_t *run);
	/* The first bytes of many pages at once (source_heads()). */
	enum kho_status (*heads)(struct kho_source *src, uint64_t phys, size_t count,
				 size_t n, uint8_t *out, uint8_t *state, struct kho_error *err);
};

struct kho_source {
	char *path;
	int fd;
	off_t file_size;
	enum kho_source_kind kind;
	const char *format;
	uint64_t page_size;
	bool page_size_assumed;       /* nothing said it: 4096 by default */
	uint64_t block_size;          /* a kdump's, when PAGESIZE overrode it; else 0 */
	bool big_endian;
	char arch[16];

	struct piece *pieces;         /* sorted by phys, disjoint */
	size_t npieces;
	struct kho_mem_range *ranges; /* the same, public shape */

	uint8_t *window;              /* WINDOW bytes for batch reads, or NULL */
	uint8_t *window2;             /* the same, for a second thread's share */
	struct read_cache {           /* small reads of the file (window.c) */
		struct {
			uint64_t off, len;    /* file bytes held (len 0: empty) */
			uint64_t used;        /* last use: the oldest is replaced */
		} slot[8];
		uint64_t clock;
		uint8_t *buf;         /* the slots' bytes, page-aligned, or NULL */
	} cache;
	struct uniform {              /* pages a scan found one byte throughout (uniform.c) */
		struct uniform_run *v;
		size_t n, cap;
	} uniform;
	unsigned threads;             /* threads a batch may use (opts): 1 = none */
	struct kho_error io_err;      /* the first I/O failure of a read (status
					 * KHO_OK: none), kho_source_status() */

	struct segment *vsegs;        /* ELF PT_LOADs by virtual address */
	size_t nvsegs;

	uint64_t needed_size;         /* file size the headers describe, if larger */
	uint64_t cut_phys;            /* lowest physical address cut off (UINT64_MAX: none) */

	char *vmcoreinfo;             /* lines, NUL-separated, or NULL */
	uint64_t cpu_cr3, cpu_cr4;    /* QEMU's note for the first x86_64 CPU */
	bool cpu_known;
	size_t vmcoreinfo_len;
	const struct source_ops *ops;
	void *priv;
};

/* A page size, or a kdump's block size: a power of two from 4 KiB to 64 KiB. */
static inline bool page_size_valid(uint64_t n)
{
	return n >= 4096 && n <= 65536 && !(n & (n - 1));
}

/* Bytes one bounded read brings in: the only buffer a scan of a file holds.
 * Half a MiB stays in a core's cache as the kernel copies into it: the
 * scan of a 1 GiB ELF ran at 0.96 times cat's time, 1.00 with 1 MiB. */
#define WINDOW (512u << 10)

/* The piece holding @phys (NULL if none); *@next gets the index of the
 * first piece that does not end at or before @phys (source.c). */
const struct piece *source_find_piece(const struct kho_source *src, uint64_t phys,
				      size_t *next);

/*
 * source_pread - @len bytes at file offset @off, all of them: a file that
 * ends before them shrank since it was opened (every backend sized its
 * tables by the file then). returns: KHO_OK; KHO_ERR_SYSTEM (an I/O
 * error, or the file shrank: one line naming the file).
 */
enum kho_status source_pread(const struct kho_source *src, void *buf, size_t len,
			     uint64_t off, struct kho_error *err);

/*
 * source_cached_pread - as source_pread, through a few small aligned
 * windows of the file that the source keeps (window.c): the pages of a
 * tree are neighbours in the file, so one read serves many of them.
 */
enum kho_status source_cached_pread(struct kho_source *src, void *buf, size_t len,
				    uint64_t off, struct kho_error *err);

/*
 * uniform_byte - the byte a page (src->page_size bytes at @page) holds
 * throughout, if it is one worth keeping; else 0 (uniform.c).
 * uniform_add - remember that the page at @phys holds @byte throughout;
 * pages are added in ascending order.
 * uniform_fill - @len bytes at @phys from what was noted: true when all
 * of them were (@buf filled), false when the file must be read.
 */
uint8_t uniform_byte(const struct kho_source *src, const uint8_t *page);
void uniform_add(struct kho_source *src, uint64_t phys, uint8_t byte);
bool uniform_fill(const struct kho_source *src, uint64_t phys, void *buf, size_t len);

/*
 * source_halves - @fn(@first) on this thread and @fn(@second) on a second
 * one, both done on return; when no thread can be started, @second runs
 * here after @first. The batch readers' two threads (window.c).
 */
void source_halves(void *(*fn)(void *), void *first, void *second);
/* Where a batch of @count pages is split for the second thread: the pages
 * the first reads, or 0 to read it whole (no threads asked, a small batch). */
size_t source_split(const struct kho_source *src, size_t count);

/* The ops of a file whose pieces say where its bytes are (raw, ELF): the
 * piece table reads, and a scan reads WINDOW bytes at a time, on two
 * threads when asked (window.c). */
extern const struct source_ops pieces_ops;

/*
 * page_head - the first @n bytes of a kdump page of @page bytes stored as
 * @flags says in @len bytes at @in, decoding no more than those where the
 * codec allows (page_head.c).
 * returns: false when it cannot tell: decode the whole page.
 */
bool page_head(uint32_t flags, const uint8_t *in, size_t len, uint32_t page, uint8_t *out,
	       size_t n);

/* Each backend's open (source.c's table); @src has path and fd set. A kdump
 * is a regular file or a makedumpfile flattened one (both diskdump.c). */
enum kho_status source_open_raw(struct kho_source *src, const struct kho_source_opts *o,
				struct kho_error *err);
enum kho_status source_open_elf(struct kho_source *src, const struct kho_source_opts *o,
				struct kho_error *err);
enum kho_status source_open_diskdump(struct kho_source *src, const struct kho_source_opts *o,
				     struct kho_error *err);
enum kho_status source_open_flat(struct kho_source *src, const struct kho_source_opts *o,
				 struct kho_error *err);

/*
 * The record index of a flattened file (flat.c): disjoint pieces of the
 * regular file it stands for, sorted by offset, each with the position of
 * its bytes in the flattened file.
 */
extern size_t flat_max_records;   /* 2^23: see flat.c */
struct flat_piece {
	uint64_t off, size, pos;
	uint64_t held_to;     /* end of the run of adjoining pieces it starts */
};
struct flat_index {
	struct flat_piece *v;  /* allocated: the owner frees it */
	size_t n;
	bool complete;        /* the end marker was found */
	uint64_t needed;      /* else: at least this flattened file size */
};
enum kho_status flat_index_build(const struct kho_source *src, struct flat_index *ix,
				 struct kho_error *err);
/* The lowest offset >= @off that no record holds. */
uint64_t flat_index_gap(const struct flat_index *ix, uint64_t off);
/*
 * Read @len bytes at @off of the regular file; bytes no record holds are
 * @fill, and *@missing is the first of them (UINT64_MAX: none).
 * returns: KHO_OK, or KHO_ERR_SYSTEM on I/O errors (a file that shrank
 * since it was indexed is one).
 */
enum kho_status flat_index_read(const struct kho_source *src, const struct flat_index *ix,
				uint64_t off, void *buf, size_t len, int fill,
				uint64_t *missing, struct kho_error *err);

/*
 * Build the disjoint piece table from possibly overlapping segments
 * (segment i: [phys, phys+memsz), the first filesz bytes at offset in
 * the file). Where segments overlap they are aliases: bytes the file
 * holds win over bytes it does not, and an earlier segment over a later.
 */
struct segment {
	uint64_t phys, memsz, filesz, offset;
};
enum kho_status source_set_segments(struct kho_source *src, struct segment *segs,
				    size_t n, struct kho_error *err);

enum kho_status source_set_vmcoreinfo(struct kho_source *src, const char *text,
				      size_t len, struct kho_error *err);
/* Parse the page size out of VMCOREINFO (0 when absent or bad). */
uint64_t source_vmcoreinfo_page_size(const struct kho_source *src);

/*
 * kdump_header_big_endian - the byte order of a kdump (diskdump) header,
 * from its block_size field (@bs, the 4 bytes at offset 428): a power of
 * two from 4 KiB to 64 KiB in one order only. Read the other way, each
 * of those is 2^8 or 2^20..2^22, so the two never meet (a test on "big"
 * alone took a big-endian 4 KiB or 64 KiB block for little-endian).
 * returns: true for big-endian; false for little-endian or neither.
 */
bool kdump_header_big_endian(const uint8_t bs[4]);

#endif
