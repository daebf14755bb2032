/* SPDX-License-Identifier: MIT */
/*
 * The handover: a KHO FDT found in a dump, checked with libfdt, decoded
 * per ABI version (map pointer, sub-nodes and their blobs), with the
 * scratch areas a caller names.
 */
#ifndef KHO_HANDOVER_H
#define KHO_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/version.h"
#include "kho/anomaly.h"
#include "kho/error.h"
#include "kho/source.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kho_blob_kind {
	KHO_BLOB_UNKNOWN,         /* raw bytes nothing here decodes */
	KHO_BLOB_FDT,             /* an FDT (kho_test, LUO v1/v2, kho-v1 sub-nodes) */
	KHO_BLOB_KEXEC_METADATA,  /* { u32 version; char release[65]; u32 count; } */
	KHO_BLOB_MEMBLOCK,        /* FDT "memblock-v1" of "reserve-mem-v1" regions */
	KHO_BLOB_VMALLOC,         /* struct kho_vmalloc */
	KHO_BLOB_KHO_TEST,        /* FDT "kho-test-v1" of lib/test_kho.c (kho-abi.md §6) */
};

#define KHO_FDT_BLOB_MAX (1u << 20)   /* larger FDT blobs are not read */

/* struct kho_vmalloc (16 bytes): the first chunk page, the pages it
 * holds, flags (1 ALLOC, 2 HUGE_VMAP) and the order of its runs. */
struct kho_vmalloc_desc {
	uint64_t first;
	uint32_t total_pages;
	uint16_t flags, order;
};

/* kho_vmalloc_parse - the 16 bytes at @b, in the dump's byte order. */
void kho_vmalloc_parse(const void *b, bool big_endian, struct kho_vmalloc_desc *v);

struct kho_subtree {
	char name[64];
	uint64_t phys;         /* blob address (0 when missing or bad) */
	uint64_t size;         /* blob-size; without one (kho-v1, v2), what decoding
				  found: FDT totalsize, the struct's size, else the
				  rest of the page the blob starts in */
	bool usable;           /* phys and size are trustworthy */
	bool sized_by_decoder; /* size came from decoding, not blob-size */
	enum kho_mem_state state;  /* of the blob's first byte in the dump */
	bool unreadable;       /* decoding could not read what it needed */
	enum kho_blob_kind kind;  /* set by kho_subtree_decode() */
	char compatible[64];      /* FDT blobs: root compatible */
	uint32_t fdt_total;       /* FDT blobs: header totalsize */
	int fdt_check;            /* FDT blobs: fdt_check_full() result (0 when
				     sound, or when it could not be read) */
	union {
		struct { uint32_t version, count; char release[66]; } kexec;
		struct {
			/* Every reserve-mem-v1 region the blob holds (as many as
			 * its size allows); freed by kho_handover_free(). */
			size_t n;
			struct kho_memblock_region { char name[32]; uint64_t start, size; } *r;
			size_t unread;    /* regions without a readable start and size,
					     or not stored for want of memory */
		} memblock;
		struct kho_vmalloc_desc vmalloc;
		/* The test module's payload. Lengths are -1 when the property
		 * (or the data node) is missing; values are native-endian u32. */
		struct {
			int magic_len, nr_len, info_len, csum_len;
			bool data;            /* the /data node exists */
			uint32_t magic, nr_folios, csum;
			uint64_t info_phys;   /* where folios_info sits in the dump */
			struct kho_vmalloc_desc info;
			/* The first min(nr_folios, what total_pages holds) entries
			 * of the array, as far as its chain and the dump let them
			 * be read; freed by kho_subtree_free(). */
			size_t nfolios;
			struct kho_test_folio { uint64_t slot, phys; unsigned order; } *folios;
			bool unread;          /* entries that should be read were not */
		} kho_test;
	} u;
};

/*
 * kho_subtree_decode - recognise and decode the blob of @t (by its FDT
 * magic and compatible, its node name, or the shape of a kho_vmalloc).
 * When the ABI has no blob-size (@t->size is 0), the size is what the
 * decoded blob says it is, or the rest of the page it starts in, so that
 * coverage is checked on every ABI. Decoding only reads and records what
 * it could not read (t->unreadable, t->state); the blob checks judge
 * (lib/check/blobs.c).
 * A memblock blob's regions are allocated: kho_subtree_free() (called by
 * kho_handover_free() for each sub-node) releases them.
 */
void kho_subtree_decode(struct kho_source *src, struct kho_subtree *t);
/* Whether a successor keeps @t's blob reserved once it has consumed the
 * handover (7.2/7.3: kexec-metadata and memblock); the others are freed. */
bool kho_subtree_kept_when_consumed(const struct kho_subtree *t);
void kho_subtree_free(struct kho_subtree *t);

/* What stops (or mars) a walk of a struct kho_vmalloc's chunk chain. */
enum kho_vmalloc_problem {
	KHO_VM_LOOP,            /* the chain comes back, or is absurdly long */
	KHO_VM_BAD_CHUNK,       /* a chunk pointer that is not a page of memory */
	KHO_VM_UNREADABLE,      /* a chunk page that is not in the dump */
	KHO_VM_SELF,            /* a chunk whose next is itself */
	KHO_VM_BAD_RUN,         /* a run not aligned to its order (the walk goes on) */
};

struct kho_vmalloc_visitor {
	void *ctx;
	/* Optional: a chunk page (read, or the unreadable one: then after problem()).
	 * returns: false to stop the walk there (not a whole chain). */
	bool (*chunk)(void *ctx, uint64_t chunk);
	/* A run of 1 << order pages at @run, named by the entry at @slot. */
	void (*run)(void *ctx, uint64_t slot, uint64_t run);
	/* Optional: @at, the chunk or entry, holds the bad value @value. */
	void (*problem)(void *ctx, enum kho_vmalloc_problem what, uint64_t at,
			uint64_t value);
};

/*
 * kho_vmalloc_walk - follow the chunk chain of a struct kho_vmalloc whose
 * first chunk is @first and whose runs have order @order; @origin is
 * where the struct sits (a chunk pointing there is a loop). Each chunk
 * page is read once; a chain longer than 2^20 chunks is a loop.
 * returns: true when the whole chain was read (no stopping problem),
 * false also when out of memory (*@oom set).
 */
bool kho_vmalloc_walk(struct kho_source *src, uint64_t origin, uint64_t first,
		      unsigned order, const struct kho_vmalloc_visitor *v, bool *oom);

struct kho_scratch_area {
	uint64_t phys, size;
};

struct kho_handover {
	uint64_t fdt_phys;
	bool fdt_phys_unknown;       /* FDT from a file, address not given: fdt_phys is 0 */
	uint32_t fdt_size;           /* totalsize */
	uint8_t *fdt;                /* a copy of the FDT page */
	char compatible[128];
	struct kho_compat compat;
	const struct kho_abi_version *abi;  /* NULL when not decodable */
	bool fdt_ok;                 /* structure sound: sub-nodes were read */
	uint64_t map_phys;
	bool map_ok;                 /* the map may be walked */
	struct kho_subtree *subtrees;
	size_t nsubtrees;
	struct kho_scratch_area *scratch;
	size_t nscratch;
};

/*
 * kho_handover_load - read and check the KHO FDT at @fdt_phys of @src
 * (or, when @fdt_file is set, from that file: tree pages still come from
 * @src). Problems with the FDT are anomalies in @a; what cannot be decoded is
 * left out (fdt_ok/map_ok false). With a file, @fdt_phys may be
 * KHO_FDT_PHYS_UNKNOWN: then fdt_phys_unknown is set, and the checks of
 * the FDT's own page (fdt-not-preserved, radix-node-scratch) report that
 * they could not run.
 * returns: KHO_OK; KHO_ERR_NOTIMPL for a well-formed but unknown ABI
 * version (fail closed); KHO_ERR_NODATA when the FDT page is not in the
 * dump; KHO_ERR_INVALID for KHO_FDT_PHYS_UNKNOWN without a file;
 * KHO_ERR_NOMEM. Call kho_handover_free() in every case.
 */
#define KHO_FDT_PHYS_UNKNOWN UINT64_MAX
enum kho_status kho_handover_load(struct kho_source *src, uint64_t fdt_phys,
				  const char *fdt_file, struct kho_anomalies *a,
				  struct kho_handover *ho, struct kho_error *err);
/* kho_handover_free - release what kho_handover_load() allocated (the FDT
 * copy, sub-nodes, scratch areas); @ho may be partly loaded. */
void kho_handover_free(struct kho_handover *ho);

/*
 * kho_handover_add_scratch_array - read a struct kho_scratch[] of @bytes
 * at @phys from @src (16 bytes an entry: u64 addr, u64 size).
 */
enum kho_status kho_handover_add_scratch_array(struct kho_handover *ho,
					       struct kho_source *src, uint64_t phys,
					       uint64_t bytes, struct kho_error *err);
/* kho_handover_add_scratch - one scratch area [@phys, @phys + @size) to
 * check against (--scratch). returns: KHO_OK; KHO_ERR_NOMEM. */
enum kho_status kho_handover_add_scratch(struct kho_handover *ho, uint64_t phys,
					 uint64_t size, struct kho_error *err);

/* Where a kernel was told, or keeps, its handover. */
struct kho_boot_info {
	uint64_t fdt, fdt_size;
	uint64_t scratch, scratch_bytes;   /* struct kho_scratch[], 0 if unknown */
	uint64_t incoming_fdt;             /* --vmlinux: kho_in.fdt_phys */
	/* --vmlinux: kho_out.fdt was NULL (a successor before kho_init), so
	 * fdt is the incoming handover's */
	bool fdt_is_incoming;
	/* --vmlinux: the trees kho_out.radix_tree (7.2+) and
	 * kho_in.radix_tree (7.3+) hold, as physical addresses (0: a NULL
	 * root), each read on its own (out_known, in_known). trees_known:
	 * either was; trees_note says why one or both were not (no DWARF, a
	 * struct without radix_tree, a root the dump does not map). */
	bool trees_known, out_known, in_known;
	uint64_t out_tree, in_tree;
	char trees_note[KHO_ERROR_MSG_MAX];
};

/* x86: the SETUP_KEXEC_KHO setup_data node chained from boot_params at @boot_params. */
enum kho_status kho_find_boot_params(struct kho_source *src, uint64_t boot_params,
				     struct kho_boot_info *out, struct kho_error *err);
/* DT: /chosen linux,kho-fdt and linux,kho-scratch of the DTB file @path. */
enum kho_status kho_find_dtb(const char *path, struct kho_boot_info *out,
			     struct kho_error *err);
/*
 * The kernel's kho_out / kho_in / kho_scratch through @vmlinux's symbols,
 * and (7.3+) the roots of its trees where @vmlinux's DWARF places them.
 * returns: KHO_OK once kho_out.fdt is found; whatever else cannot be read
 * stays 0 (the trees: trees_known false, with trees_note).
 */
enum kho_status kho_find_vmlinux(struct kho_source *src, const char *vmlinux,
				 struct kho_boot_info *out, struct kho_error *err);

/* Whether a handover's FDT page is a key of its own map. */
enum kho_self {
	KHO_SELF_UNKNOWN = -1,   /* kho-v1 (FDT not preserved), or the map could not be read */
	KHO_SELF_NO = 0,
	KHO_SELF_YES = 1,
};

/* A KHO FDT candidate: found by scanning, or named by the user or the kernel. */
struct kho_candidate {
	uint64_t phys;
	uint32_t size;
	char compatible[128];
	uint64_t map_phys;       /* its preserved-memory-map, 0 if none */
	uint64_t digest;         /* of the FDT's bytes: copies of one FDT share it */
	bool damaged;            /* its header or structure fails (fdt-header) */
	enum kho_self self_preserved;  /* set by kho_select() */
	bool inspect;            /* kho_select(): to be inspected */
	/* kho_select(), 7.3+ with the incoming tree known: a stale candidate
	 * in a 1 GiB block that holds nothing the incoming handover preserves,
	 * which that kernel's extended scratch may have reused */
	bool possibly_overwritten;
	/* kho_select(): the incoming handover of a successor whose own
	 * handover is in the dump too (or --vmlinux says so): that kernel
	 * consumed it (freed its tree and most blobs) before it made its own,
	 * so only what it keeps is inspected (kho_verify_opts.consumed) */
	bool consumed;
	char why[256];           /* kho_select(): why it is, or is not */
};

/*
 * kho_candidate_kexec_count - the kexec_count in @c's kexec-metadata blob
 * (7.1+: the kernel that wrote @c had been kexec'd into that many times,
 * plus one). returns: true with *@count; false without a readable v1 blob.
 */
bool kho_candidate_kexec_count(struct kho_source *src, const struct kho_candidate *c,
			       uint32_t *count);

/*
 * kho_source_block_size - a kdump's block size when its VMCOREINFO
 * PAGESIZE differs and is the page size (QEMU writes arm64 guests' kdumps
 * in 64 KiB blocks whatever their pages). returns: the block size; 0.
 */
uint64_t kho_source_block_size(const struct kho_source *src);

/*
 * kho_source_cpu_virt_to_phys - translate a kernel virtual address through
 * the page tables of the first CPU the dump recorded (QEMU's x86_64 CPU
 * note: CR3, CR4.LA57), as the running kernel sees it (pgtable.c).
 * returns: true with *@phys; false when the dump has no such CPU state or
 * the address is not mapped.
 */
bool kho_source_cpu_virt_to_phys(struct kho_source *src, uint64_t vaddr, uint64_t *phys);

/*
 * kho_fdt_probe_root - whether the page @fdt (@page bytes, FDT magic
 * first) holds, at any 4-byte boundary, a root node whose first property
 * is a KHO compatible (it starts "kho-v"), the header's offsets not
 * trusted: the evidence that a damaged FDT is a KHO FDT (scan.c).
 * returns: true with the string in @compat (@len bytes); false.
 */
bool kho_fdt_probe_root(const void *fdt, uint64_t page, char *compat, size_t len);

/*
 * kho_scan - every page-aligned page of @src that starts with the FDT
 * magic and holds a KHO FDT: a healthy one (totalsize <= page size, root
 * compatible "kho-v...") or a damaged one (kho_fdt_probe_root(),
 * kho_candidate.damaged). Holes and memory not in the dump are skipped.
 * @progress, if set, is called now and then with the address reached.
 * returns: KHO_OK with *@out (caller frees) and *@n set.
 */
enum kho_status kho_scan(struct kho_source *src, struct kho_candidate **out, size_t *n,
			 void (*progress)(void *ctx, uint64_t phys, uint64_t end),
			 void *ctx, struct kho_error *err);

/*
 * kho_scan_sizes - kho_scan() for 1 to KHO_SCAN_SIZES page sizes in one
 * pass over the dump: @sizes ascending, each a multiple of the first,
 * which is @src's page size. out[i] and n[i] get what kho_scan() gives
 * with the dump opened at sizes[i] (a page aligned to a larger size is
 * read again at that size). The caller frees each list, also after an
 * error, as after kho_scan().
 */
#define KHO_SCAN_SIZES 3
enum kho_status kho_scan_sizes(struct kho_source *src, const uint64_t *sizes, size_t nsizes,
			       struct kho_candidate **out, size_t *n,
			       void (*progress)(void *ctx, uint64_t phys, uint64_t end),
			       void *ctx, struct kho_error *err);

/*
 * kho_source_try_page_size - read @src at @size (a KHO page size) from now
 * on: page-size detection tries each size on one open source. Only what
 * reads are made of depends on it (scan steps, tree geometry); a dump
 * whose format fixes its page size (kdump) is never asked to.
 */
void kho_source_try_page_size(struct kho_source *src, uint64_t size);

/*
 * kho_candidate_at - fill @c from the page at @phys as kho_scan() would
 * (compatible empty and map 0 when it holds no KHO FDT).
 * returns: KHO_OK, or KHO_ERR_NODATA when the page is not in the dump.
 */
enum kho_status kho_candidate_at(struct kho_source *src, uint64_t phys,
				 struct kho_candidate *c, struct kho_error *err);

/* What chose a handover, if anything did. */
struct kho_select_opts {
	const char *chosen_by;   /* "--fdt", "--vmlinux", ...; NULL: nothing chose */
	uint64_t chosen;         /* the FDT it named */
	bool all;                /* inspect every candidate */
	/*
	 * --vmlinux on 7.3+: the incoming handover's FDT and the tree kho_in
	 * holds (0: unknown or none). A stale candidate that kernel's extended
	 * scratch may have overwritten (stale.c says why) is labelled
	 * possibly_overwritten and not inspected, even with @all (only --fdt
	 * naming it inspects it).
	 */
	uint64_t incoming_fdt, incoming_tree;
};

/*
 * kho_select - the discovery policy: which of the @n candidates @c to
 * inspect, each with why (c[i].inspect, c[i].why, c[i].self_preserved).
 *
 * Several handovers in one dump are normal (the outgoing one, the
 * incoming one, stale ones of a kexec chain) and nothing in memory tells
 * the live one from a stale one: a stale handover preserves its own page
 * as well as the live one does, and the live one may be the broken one.
 * So a candidate is never out-voted. When something chose (@o->chosen_by)
 * only that one is inspected (with @o->all, every one but those labelled
 * possibly_overwritten); otherwise every candidate is, except exact
 * copies of another (same bytes: one is inspected), and when more than
 * one remains a handover-ambiguous anomaly naming them goes to @a.
 * A successor's incoming handover is no rival of its own: a candidate
 * whose kexec-metadata count is one below that of a candidate preserving
 * itself (or, with --vmlinux, kho_in.fdt_phys while kho_out.fdt is set)
 * is labelled consumed and inspected as such (kho_candidate.consumed).
 * @order receives the indices of the candidates to inspect, those that
 * preserve themselves first, then by address; *@norder their number.
 * returns: KHO_OK; KHO_ERR_NOMEM.
 */
enum kho_status kho_select(struct kho_source *src, struct kho_candidate *c, size_t n,
			   const struct kho_select_opts *o, struct kho_anomalies *a,
			   size_t *order, size_t *norder, struct kho_error *err);

#ifdef __cplusplus
}
#endif
#endif
