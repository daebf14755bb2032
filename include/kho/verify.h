/* SPDX-License-Identifier: MIT */
/*
 * Inspecting one handover end to end: load the KHO FDT, walk its map,
 * run every check. The result holds what the commands print.
 */
#ifndef KHO_VERIFY_H
#define KHO_VERIFY_H

#include "kho/check.h"
#include "kho/handover.h"
#include "kho/map.h"

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

struct kho_severity_override {
	const char *check;
	enum kho_severity severity;
};

struct kho_verify_opts {
	unsigned max_order;                    /* 0: 1 GiB blocks (30 - PAGE_SHIFT) */
	const struct kho_severity_override *overrides;
	size_t noverrides;
	const struct kho_scratch_area *scratch;   /* --scratch */
	size_t nscratch;
	const struct kho_scratch_area *scratch_arrays; /* --scratch-array ADDR,BYTES */
	size_t nscratch_arrays;
	const char *fdt_file;                  /* --fdt-file */
};

struct kho_inspection {
	struct kho_handover ho;
	struct kho_geometry geo;
	struct kho_findings findings;
	struct kho_run *runs;
	size_t nruns, runs_cap;
	struct kho_tree_page *pages;
	size_t npages, pages_cap;
	struct kho_map_stats stats;
	uint64_t v1_bitmap_bytes;      /* kho-v1: 512 or the page size */
	struct kho_span *spans;        /* preserved memory, sorted and merged */
	size_t nspans, spans_cap;
	bool walked;
};

/*
 * kho_inspect - everything about the handover whose FDT is at @fdt_phys.
 * returns: KHO_OK (findings in @out); KHO_ERR_NOTIMPL for an unknown ABI;
 * KHO_ERR_NODATA when the FDT is not in the dump; other errors.
 */
enum kho_status kho_inspect(struct kho_source *src, uint64_t fdt_phys,
			    const struct kho_verify_opts *o, struct kho_inspection *out,
			    struct kho_error *err);
void kho_inspection_free(struct kho_inspection *in);



/* First byte of [@a, @b) outside the sorted spans @u, or @b. */
uint64_t kho_spans_first_uncovered(const struct kho_span *u, size_t n, uint64_t a, uint64_t b);

/* The individual check families (lib/check/), run by kho_inspect(). */
/* range-overlap; also fills in->spans, which the later checks use. */
void kho_check_overlap(struct kho_inspection *in, struct kho_findings *f);
void kho_check_ranges(struct kho_source *src, const struct kho_inspection *in,
		      unsigned max_order, struct kho_findings *f);
void kho_check_coverage(struct kho_source *src, const struct kho_inspection *in,
			struct kho_findings *f);
void kho_check_scratch_layout(const struct kho_inspection *in, struct kho_findings *f);
void kho_check_blobs(struct kho_source *src, const struct kho_inspection *in,
		     struct kho_findings *f);
/* What decoded blobs name must be preserved (needs the walk). */
void kho_check_blob_contents(struct kho_source *src, const struct kho_inspection *in,
			     struct kho_findings *f);

#ifdef __cplusplus
}
#endif
#endif
