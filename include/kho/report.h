/* SPDX-License-Identifier: MIT */
/*
 * A whole verdict behind an opaque handle, for bindings (Python, drgn)
 * and programs that want kho-inspect's answer without its structs: the
 * discovery policy, every chosen handover inspected, and accessors for
 * what the JSON document holds. Nothing here exposes a struct layout.
 */
#ifndef KHO_REPORT_H
#define KHO_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "kho/error.h"
#include "kho/source.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kho_report;

/*
 * kho_report_run - what `kho-inspect verify --ranges` finds in @src: scan
 * for KHO FDTs (or use the one at @fdt when @have_fdt), choose among them
 * as kho-inspect's discovery policy does, inspect each. @scratch_arrays is
 * @narrays pairs (address, bytes) of in-dump struct kho_scratch[]
 * (--scratch-array). @src must outlive the report.
 * returns: KHO_OK (*@out to free with kho_report_free()); KHO_ERR_NODATA
 * when no KHO FDT is found; KHO_ERR_SYSTEM, KHO_ERR_NOMEM or KHO_ERR_CORRUPT
 * when the dump cannot be read or scanned (a broken handover is never an
 * error: it is findings of the report).
 */
enum kho_status kho_report_run(struct kho_source *src, bool have_fdt, uint64_t fdt,
			       const uint64_t *scratch_arrays, size_t narrays,
			       struct kho_report **out, struct kho_error *err);
void kho_report_free(struct kho_report *r);

/* The inspected handovers, in kho-inspect's order. */
size_t kho_report_handovers(const struct kho_report *r);
uint64_t kho_report_fdt(const struct kho_report *r, size_t h);
const char *kho_report_compatible(const struct kho_report *r, size_t h);
uint64_t kho_report_keys(const struct kho_report *r, size_t h);

/* Handover @h's preserved blocks in tree order, one key at a time. */
size_t kho_report_ranges(const struct kho_report *r, size_t h);
void kho_report_range(const struct kho_report *r, size_t h, size_t i, uint64_t *phys,
		      unsigned *order, uint64_t *size);

/* Findings of handover @h, or with @h == SIZE_MAX those about the whole
 * dump. The strings live as long as the report. */
size_t kho_report_findings(const struct kho_report *r, size_t h);
void kho_report_finding(const struct kho_report *r, size_t h, size_t i, const char **check,
			const char **severity, uint64_t *phys, const char **message);

/* The verdict's totals, as `kho-inspect verify` counts them (with no
 * -W/-E): findings of every
 * handover and of the whole dump at each severity, @counts indexed by enum
 * kho_severity (KHO_SEV_NOTE .. KHO_SEV_ERROR), counting those past the
 * per-check cap that kho_report_finding() does not list. */
void kho_report_summary(const struct kho_report *r, size_t counts[4]);

/* kho_report_partial - whether part of a handover's structure (tree
 * pages, blob pages a check reads) could not be read, so the verdict
 * covers a part only: `kho-inspect verify` exits 3 then when no finding
 * is an error (1 with --strict). returns: true for a partial verdict. */
bool kho_report_partial(const struct kho_report *r);

#ifdef __cplusplus
}
#endif
#endif
