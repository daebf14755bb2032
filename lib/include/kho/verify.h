/* SPDX-License-Identifier: MIT */
/*
 * Inspecting one handover end to end: load the KHO FDT, walk its map,
 * run every check. The result holds what the commands print.
 */
#ifndef KHO_VERIFY_H
#define KHO_VERIFY_H

#include "kho/findings.h"
#include "kho/handover.h"
#include "kho/luo.h"
#include "kho/map.h"
#include "kho/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A byte range [start, end). */
struct kho_span {
	uint64_t start, end;
};

struct kho_tree_page {
	uint64_t phys;
	uint64_t bytes;
	int level;             /* 0 = leaf or bitmap, -1 = kho-v1 chunk */
};

struct kho_verify_opts {
	unsigned max_order;                    /* range-order threshold, if has_max_order */
	bool has_max_order;                    /* else 1 GiB blocks (30 - PAGE_SHIFT) */
	const struct kho_model_severity *overrides;   /* -W, -E */
	size_t noverrides;
	const struct kho_scratch_area *scratch;   /* --scratch */
	size_t nscratch;
	const struct kho_scratch_area *scratch_arrays; /* --scratch-array ADDR,BYTES */
	size_t nscratch_arrays;
	const char *fdt_file;                  /* --fdt-file */
	bool keep_runs;                        /* fill runs (listing them) */
	bool keep_spans;                       /* fill spans with the whole union */
	/* A successor's incoming handover it consumed (kho_candidate.consumed):
	 * only what the successor keeps is checked: the FDT, kexec-metadata
	 * and memblock; the tree, LUO and the other blobs were freed. */
	bool consumed;
};

struct kho_inspection {
	struct kho_handover ho;
	struct kho_geometry geo;
	struct kho_findings findings;
	/* Every run in tree order: with opts.keep_runs (kho-v1 and the broken
	 * 16 KiB depth always). The checks do not need them stored. */
	struct kho_run *runs;
	size_t nruns, runs_cap;
	struct kho_tree_page *pages;
	size_t npages, pages_cap;
	struct kho_map_stats stats;
	uint64_t v1_bitmap_bytes;      /* kho-v1: 512 or the page size */
	/* Preserved memory, sorted and merged: all of it with opts.keep_spans,
	 * else only where the coverage checks looked. */
	struct kho_span *spans;
	size_t nspans, spans_cap;
	/* Key intervals [start, end] of subtrees that could not be read. */
	struct kho_span *unknown_keys;
	size_t nunknown_keys, unknown_cap;
	bool walked;
	bool consumed;                 /* inspected as consumed (opts.consumed) */
	struct kho_luo luo;            /* the LUO sub-node's state, when it has one */
};

/*
 * kho_inspect - everything about the handover whose FDT is at @fdt_phys.
 * returns: KHO_OK (findings in @out); KHO_ERR_NOTIMPL for an unknown ABI;
 * KHO_ERR_NODATA when the FDT is not in the dump; other errors.
 */
enum kho_status kho_inspect(struct kho_source *src, uint64_t fdt_phys,
			    const struct kho_verify_opts *o, struct kho_inspection *out,
			    struct kho_error *err);
/* kho_inspection_free - release what kho_inspect() filled, also after it
 * failed; @in is zeroed. */
void kho_inspection_free(struct kho_inspection *in);

/*
 * kho_check_kernel_trees - with what kho_find_vmlinux() read of a 7.3+
 * kernel (@bi->trees_known): the handover at kho_out.fdt must name the
 * tree kho_out holds, the one at kho_in.fdt_phys the tree kho_in holds.
 * Adds fdt-memory-map errors to those of the inspections @hs[0..@nh), and
 * to @top for a kho_in tree without an incoming FDT. Nothing when the
 * trees are not known.
 */
void kho_check_kernel_trees(const struct kho_boot_info *bi, struct kho_inspection *hs,
			    size_t nh, struct kho_findings *top);

/*
 * kho_inspection_key - whether the walked map of @in holds the key of
 * @order whose block contains @phys (a radix lookup, or the stored runs
 * of kho-v1 and the broken depth). returns: 1, 0, or -1 when it cannot
 * tell (a node on the way is not in the dump, or the map was not walked).
 */
int kho_inspection_key(struct kho_source *src, const struct kho_inspection *in,
		       uint64_t phys, unsigned order);

/* The KHO page sizes, ascending: 4, 16 and 64 KiB. */
extern const uint64_t kho_page_sizes[KHO_SCAN_SIZES];

/* What kho_detect_page_size() learnt of a dump. */
struct kho_page_size_probe {
	uint64_t sizes[KHO_SCAN_SIZES];   /* the sizes it reads consistently with */
	size_t n;
	size_t finding;                   /* how many sizes find a KHO FDT at all */
	uint64_t found_by;                /* the last of those */
	bool root_outside;                /* a tree's root outside a raw image */
	char why[320];                    /* how each size reads it, for the user */
	/* what the scan found at 4, 16 and 64 KiB (@fdt 0; the caller frees) */
	struct kho_candidate *cands[KHO_SCAN_SIZES];
	size_t ncands[KHO_SCAN_SIZES];
};

/*
 * kho_detect_page_size - for a dump that does not say its page size: the
 * KHO page sizes (4, 16, 64 KiB) with which a handover of @src (the one
 * at @fdt, or one of those a scan finds when @fdt is 0) reads without a
 * structural finding, into @p; its why says how each size reads ("4 KiB:
 * FDT and tree read, 3 structural errors (radix-pointer); 16 KiB: ...").
 * Each size is tried on @src itself, which is left at its own; the dump
 * is scanned once for all sizes, and what the scan found is kept in @p so
 * that it need not be scanned again. @raw_base: the one a raw image was
 * opened with (a tree root outside the image is then not a missing one).
 * returns: KHO_OK, or the error of scanning the dump.
 */
enum kho_status kho_detect_page_size(struct kho_source *src, uint64_t raw_base, uint64_t fdt,
				     struct kho_page_size_probe *p, struct kho_error *err);

/*
 * kho_check_dump - findings about the dump itself, not one handover
 * (dump-truncated), added to @top.
 */
void kho_check_dump(const struct kho_source *src, struct kho_findings *top);

#ifdef __cplusplus
}
#endif
#endif
