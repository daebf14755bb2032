/* SPDX-License-Identifier: MIT */
/*
 * Sources of physical memory: raw images, ELF cores (/proc/vmcore,
 * makedumpfile -E, /proc/kcore, QEMU dump-guest-memory) and compressed
 * kdump files (makedumpfile, flattened or not). One interface for all: what the
 * dump is, its page size and byte order, which physical ranges are RAM
 * and which of them the file holds, VMCOREINFO, and reads of physical
 * addresses that tell "read" from "not in the dump" from "not memory".
 */
#ifndef KHO_SOURCE_H
#define KHO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kho_format {
	KHO_FORMAT_AUTO,     /* by content, never by file name */
	KHO_FORMAT_RAW,
	KHO_FORMAT_ELF,
	KHO_FORMAT_KDUMP,    /* makedumpfile's kdump (diskdump), and makedumpfile -F */
};

enum kho_source_kind {
	KHO_KIND_RAW,
	KHO_KIND_VMCORE,     /* /proc/vmcore, makedumpfile -E */
	KHO_KIND_KCORE,      /* /proc/kcore */
	KHO_KIND_QEMU,       /* dump-guest-memory */
	KHO_KIND_KDUMP,      /* compressed kdump, flattened or not */
	KHO_KIND_MEMORY,     /* kho_source_open_memory(): the caller reads */
};

/* Zero-initialise it whole: fields are only ever appended, and 0 is each
 * one's default. */
struct kho_source_opts {
	enum kho_format format;
	uint64_t raw_base;   /* physical address of byte 0 of a raw image */
	uint64_t page_size;  /* 0: VMCOREINFO PAGESIZE or the format's, else 4096 */
};

/* What one physical address is, in this dump. */
enum kho_mem_state {
	KHO_MEM_PRESENT,     /* RAM, and the file holds its bytes */
	KHO_MEM_EXCLUDED,    /* RAM, but not in the dump (filtered, p_filesz < p_memsz) */
	KHO_MEM_ABSENT,      /* not memory the dump describes */
};

/* A physical range and what it is. */
struct kho_mem_range {
	uint64_t start;
	uint64_t size;
	enum kho_mem_state state;
};

struct kho_source;

/*
 * kho_source_open - open @path as a memory source.
 * returns: KHO_OK; KHO_ERR_SYSTEM (cannot open or read); KHO_ERR_CORRUPT
 * (truncated, headers that lie); KHO_ERR_NOTIMPL (a format not supported:
 * unknown, a flattened ELF or split kdump, more than 2^23 flattened
 * records); KHO_ERR_INVALID (bad options). The message names the file and
 * what is wrong.
 */
enum kho_status kho_source_open(const char *path, const struct kho_source_opts *opts,
				struct kho_source **out, struct kho_error *err);
/* kho_source_close - release @src (NULL is fine); everything read or mapped
 * from it becomes invalid. */
void kho_source_close(struct kho_source *src);

/* Physical memory the caller reads (kho_source_open_memory). */
struct kho_memory_ops {
	/* Read @len bytes at physical @phys into @buf; called only inside the
	 * present ranges, from the thread that called into libkho.
	 * returns: 0, or -1 when they cannot be read (a finding, not a crash). */
	int (*read)(void *ctx, uint64_t phys, void *buf, size_t len);
	/* optional: called once by kho_source_close() */
	void (*close)(void *ctx);
	/* optional: what the memory at @phys, inside a present range, really
	 * is (KHO_MEM_EXCLUDED: RAM the caller has no bytes of, such as a page
	 * a filtered dump left out or a live system cannot read), and in
	 * *@run how many bytes from @phys are the same (libkho clamps it to
	 * the range and takes 0 as the rest of the page). Excluded memory
	 * (and any answer but KHO_MEM_PRESENT) is never read: what lies there
	 * is reported as not dumped. NULL: every byte of a present range is
	 * there. Same threads as @read. */
	enum kho_mem_state (*state)(void *ctx, uint64_t phys, uint64_t *run);
};

struct kho_memory_desc {
	const struct kho_mem_range *ranges;   /* RAM: present (readable) or excluded */
	size_t nranges;
	uint64_t page_size;                   /* 0: 4096, reported as assumed */
	bool big_endian;
	const char *arch;                     /* "x86_64", "aarch64", ... or NULL */
	const char *name;                     /* what messages call it, or NULL */
};

/*
 * kho_source_open_memory - a memory source read through @ops, for a
 * program that already has the memory (drgn, a hypervisor, a live
 * system): every kho_* function that takes a source works on it. @d is
 * copied; @ctx is passed to the callbacks until kho_source_close().
 * returns: KHO_OK; KHO_ERR_INVALID (no read callback or ranges, a bad
 * page size, a range that wraps); KHO_ERR_NOMEM.
 */
enum kho_status kho_source_open_memory(const struct kho_memory_ops *ops, void *ctx,
				       const struct kho_memory_desc *d,
				       struct kho_source **out, struct kho_error *err);

/* What @src is (its kind and format names are static strings); the path
 * lives as long as @src. Accessors take no lock: one source, one thread. */
enum kho_source_kind kho_source_kind(const struct kho_source *src);
/* "raw", "vmcore", "kcore", "qemu", "kdump" */
const char *kho_source_kind_name(enum kho_source_kind kind);
/* "raw", "elf", "kdump", "kdump-flat" (makedumpfile -F, read directly) */
const char *kho_source_format_name(const struct kho_source *src);
const char *kho_source_path(const struct kho_source *src);

/*
 * kho_source_truncated - whether the file ends before the data its headers
 * describe (a dump cut short: disk full during kdump). The missing part
 * reads as not in the dump (KHO_MEM_EXCLUDED).
 * returns: true with *@size the file size the headers need and *@phys the
 * lowest physical address whose bytes were cut; false when whole.
 */
bool kho_source_truncated(const struct kho_source *src, uint64_t *size, uint64_t *phys);
/* The page size (VMCOREINFO, the format, an option, else 4096: assumed). */
uint64_t kho_source_page_size(const struct kho_source *src);
/* Whether nothing (option, VMCOREINFO, format) gave the page size: 4096 was assumed. */
bool kho_source_page_size_assumed(const struct kho_source *src);
/*
 * kho_source_detect_page_size - the page size of a dump that does not
 * record it (kho_source_page_size_assumed()), as kho-inspect finds it:
 * each KHO page size (4, 16, 64 KiB) is tried on the handover at @fdt (0:
 * those a scan finds) and kept when it reads without a structural finding.
 * @path and @o as kho_source_open() takes them (@o->page_size ignored).
 * returns: KHO_OK with *@page_size, 0 when no size reads a handover;
 * KHO_ERR_INVALID when more than one does (the caller must choose);
 * what kho_source_open() returns.
 */
enum kho_status kho_source_detect_page_size(const char *path, const struct kho_source_opts *o,
					    uint64_t fdt, uint64_t *page_size,
					    struct kho_error *err);
/* The dump's byte order (the FDT itself is always big-endian). */
bool kho_source_big_endian(const struct kho_source *src);
/* "x86_64", "aarch64", ... or "" when the dump does not say */
const char *kho_source_arch(const struct kho_source *src);

/*
 * kho_source_map_ranges - the physical memory map, sorted, disjoint:
 * PRESENT and EXCLUDED ranges; gaps between them are ABSENT. For kdump
 * the map is [0, max_pfn) and exclusions show up only when read.
 */
const struct kho_mem_range *kho_source_map_ranges(const struct kho_source *src,
						  size_t *n);

/* kho_source_state - what @phys is, and how many bytes from it share that. */
enum kho_mem_state kho_source_state(const struct kho_source *src, uint64_t phys,
				    uint64_t *run);

/*
 * kho_source_read - read @len bytes at physical @phys.
 * returns: KHO_OK; KHO_ERR_NODATA when part of the range is not in the
 * dump or not memory (the message says which, at which address; the
 * buffer holds zeros there); KHO_ERR_SYSTEM on I/O errors.
 */
enum kho_status kho_source_read(struct kho_source *src, uint64_t phys, void *buf,
				size_t len, struct kho_error *err);

/*
 * kho_source_set_threads - threads a scan of @src may use (0.4): 0 or 1,
 * none (the default: libkho starts no thread unasked); 2 or more, a scan
 * reads the pages of a raw image or an ELF core (/proc/kcore too), or
 * decodes those of a compressed kdump, on two. A setter, not a field of
 * kho_source_opts, so that programs built against an older header keep
 * passing the struct they know.
 */
void kho_source_set_threads(struct kho_source *src, unsigned threads);

/*
 * kho_source_map - zero-copy access: a pointer to @len bytes at @phys
 * when the backend maps its file, else NULL (use kho_source_read). Since
 * 0.4 no backend does (a file that shrinks under a mapping kills the
 * reader with SIGBUS): always NULL, kept for the ABI.
 */
const void *kho_source_map(struct kho_source *src, uint64_t phys, size_t len);

/*
 * kho_source_release - pages of [@phys, @phys+@len) obtained through
 * kho_source_map() will not be used again. Nothing is mapped since 0.4:
 * a no-op, kept for the ABI.
 */
void kho_source_release(struct kho_source *src, uint64_t phys, uint64_t len);

/*
 * kho_source_next_data - the lowest present address >= @phys that may
 * hold data, and in *@run how many bytes from there may (one extent):
 * holes of sparse files and absent or excluded memory are skipped.
 * returns: false when there is none.
 */
bool kho_source_next_data(struct kho_source *src, uint64_t phys, uint64_t *next,
			  uint64_t *run);

/*
 * kho_source_virt_to_phys - translate a kernel virtual address through
 * the dump's own segment table (ELF p_vaddr -> p_paddr).
 * returns: false when the dump has no mapping for it (raw, kdump).
 */
bool kho_source_virt_to_phys(const struct kho_source *src, uint64_t vaddr, uint64_t *phys);

/*
 * kho_source_status - the first I/O failure any read of @src met (a file
 * that shrank while open, a disk error), which a reader may have taken
 * for missing memory. returns: KHO_OK; KHO_ERR_SYSTEM with the message
 * (one line naming the file) in @err (may be NULL).
 */
enum kho_status kho_source_status(const struct kho_source *src, struct kho_error *err);

/* VMCOREINFO: the value of KEY ("PAGESIZE", "SYMBOL(swapper_pg_dir)"), or NULL. */
const char *kho_source_vmcoreinfo(const struct kho_source *src, const char *key);

#ifdef __cplusplus
}
#endif
#endif
