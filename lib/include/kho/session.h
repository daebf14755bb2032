/* SPDX-License-Identifier: MIT */
/*
 * The discovery session: one dump opened, its page size settled, the
 * KHO FDT candidates found (scanned, or named by the user or the kernel),
 * the library's choice among them (kho_select) and kho_inspect() of each
 * chosen one. kho-inspect, the report API (kho/report.h) and the model
 * API (kho/model.h) all run this one sequence, so they cannot disagree.
 */
#ifndef KHO_SESSION_H
#define KHO_SESSION_H

#include "kho/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kho_session_opts {
	/* The dump: opened from @path with @src_opts, or @src, already open
	 * and not closed; either is read at the page size its handover reads
	 * with when it records none. */
	const char *path;
	const struct kho_source_opts *src_opts;
	struct kho_source *src;
	/* What names the handover, if anything (else a scan finds them). */
	bool have_fdt;
	uint64_t fdt;                  /* --fdt (verify.fdt_file: --fdt-file) */
	const char *vmlinux, *dtb;     /* --vmlinux, --dtb */
	/* what a debugger read through the kernel's symbols, as --vmlinux
	 * would (kho_model_opts.kernel_*): found_by "symbols" */
	const struct kho_boot_info *kernel;
	bool have_boot_params;
	uint64_t boot_params;          /* --boot-params */
	bool all;                      /* inspect every candidate */
	bool scan_only;                /* candidates and choice, nothing inspected */
	/* Passed to kho_inspect() of each handover, with the scratch array
	 * the kernel names added and consumed set per candidate. */
	struct kho_verify_opts verify;
	/* Called now and then while a dump is scanned. */
	void (*progress)(void *ctx, uint64_t phys, uint64_t end);
	void *progress_ctx;
	unsigned threads;            /* a scan's threads (kho_source_set_threads) */
	/* out, on failure: usage, io, format, no-handover or unsupported-abi */
	const char **kind;
};

struct kho_session {
	const char *path;
	struct kho_source *src;
	bool own_src;
	struct kho_candidate *cands;
	size_t ncands;
	size_t *order;                 /* indices of the inspected candidates */
	struct kho_findings top;       /* findings about no one handover */
	struct kho_inspection *hs;     /* the inspected handovers */
	size_t nh;
	const char *found_by;          /* what chose them: "scan", "--fdt", ... */
	const char *page_size_from;    /* NULL: the dump or the options said it */
	struct kho_page_size_probe probe;   /* when the dump did not say it */
	bool have_scanned;             /* probe.cands are the scan's */
	struct kho_boot_info boot;     /* what --vmlinux, --dtb or --boot-params said */
};

/*
 * kho_session_open - discovery as kho-inspect runs it, into @s (closed
 * with kho_session_close() whatever this returns). The error messages are
 * kho-inspect's: they name the dump (or the other file at fault).
 * returns: KHO_OK; KHO_ERR_NODATA when no KHO FDT is found; KHO_ERR_INVALID
 * when the options do not fit the dump (--fdt at no FDT, a page size that
 * cannot be told); the errors of opening, scanning and inspecting.
 */
enum kho_status kho_session_open(const struct kho_session_opts *o, struct kho_session *s,
				 struct kho_error *err);
void kho_session_close(struct kho_session *s);

/* The kind of a failure with status @st (kho_session_opts.kind). */
const char *kho_session_error_kind(enum kho_status st, bool inspecting);

/*
 * kho-inspect's way into the public model (kho/model.h): a model of the
 * session @o runs, with every option of the tool, and the session behind
 * a model. returns: the model, or NULL with @err set.
 */
struct kho_model;
struct kho_model *kho_model_open_session(const struct kho_session_opts *o,
					 struct kho_error *err);
struct kho_session *kho_model_session(struct kho_model *m);

#ifdef __cplusplus
}
#endif
#endif
