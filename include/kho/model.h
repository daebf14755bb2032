/* SPDX-License-Identifier: MIT */
/*
 * The model of a dump's handovers behind an opaque handle, for debuggers
 * (drgn, crash) and programs that need more than a verdict: discovery as
 * kho-inspect runs it, then the candidates and why each was or was not
 * chosen, each inspected handover's preserved keys (walked or looked up
 * by address), sub-blobs, LUO sessions and files, and tree pages.
 * Nothing here exposes a struct layout but the versioned options.
 * docs/api.md and libkho(3) describe it.
 */
#ifndef KHO_MODEL_H
#define KHO_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/check.h"
#include "kho/error.h"
#include "kho/source.h"

#ifdef __cplusplus
extern "C" {
#endif

struct kho_model;

/* kho_model_opts.flags */
#define KHO_MODEL_FDT          (1u << 0)  /* the KHO FDT is at .fdt (no scan) */
#define KHO_MODEL_BOOT_PARAMS  (1u << 1)  /* x86: .boot_params names it */
#define KHO_MODEL_ALL          (1u << 2)  /* inspect every candidate */
#define KHO_MODEL_MAX_ORDER    (1u << 3)  /* .max_order is set (after 0.4) */
#define KHO_MODEL_KERNEL       (1u << 4)  /* .kernel_*: the kernel's own word (after 0.4) */
#define KHO_MODEL_OUT_TREE     (1u << 5)  /* .kernel_out_tree is known */
#define KHO_MODEL_IN_TREE      (1u << 6)  /* .kernel_in_tree is known */

/* -W CHECK (KHO_SEV_WARNING), -E CHECK (KHO_SEV_ERROR), -Wno-CHECK
 * (KHO_SEV_OFF): check @check, by its name (kho_check_name()), is raised
 * at @severity instead of its default. */
struct kho_model_severity {
	const char *check;
	enum kho_severity severity;
};

/*
 * What kho-inspect's command line says, as a struct that may grow: .size
 * is sizeof(struct kho_model_opts) as the caller was built, so a newer
 * library reads an older caller's struct (the members it lacks are 0) and
 * refuses a newer caller's only when a member it does not know is set.
 * A NULL opts is all defaults: scan, 4/16/64 KiB page size detection.
 * A flag this library does not know is refused alike.
 */
struct kho_model_opts {
	size_t size;
	enum kho_format format;          /* kho_model_open(): -F */
	uint64_t raw_base;               /* --raw-base */
	uint64_t page_size;              /* --page-size; 0: the dump's, else detected */
	unsigned flags;                  /* KHO_MODEL_* */
	uint64_t fdt;                    /* --fdt, with KHO_MODEL_FDT */
	uint64_t boot_params;            /* --boot-params, with KHO_MODEL_BOOT_PARAMS */
	const char *fdt_file;            /* --fdt-file */
	const char *vmlinux;             /* --vmlinux */
	const char *dtb;                 /* --dtb */
	const uint64_t *scratch;         /* --scratch: @nscratch (address, size) pairs */
	size_t nscratch;
	const uint64_t *scratch_arrays;  /* --scratch-array: (address, bytes) pairs */
	size_t nscratch_arrays;
	/* Added after 0.4: -W/-E/-Wno-, in command-line order (a later one of the same
	 * check wins), and --max-order with KHO_MODEL_MAX_ORDER */
	const struct kho_model_severity *severities;
	size_t nseverities;
	unsigned max_order;
	/*
	 * Added after 0.4, with KHO_MODEL_KERNEL: what a debugger read through
	 * the dumped kernel's symbols, all physical addresses, used as
	 * --vmlinux uses what it reads (found_by "symbols"): kho_out.fdt (0
	 * when NULL: then the incoming handover is the one), kho_in.fdt_phys,
	 * the struct kho_scratch array and its bytes (kho_scratch_cnt * 16),
	 * and the roots of kho_out.radix_tree (7.2+, KHO_MODEL_OUT_TREE) and
	 * kho_in.radix_tree (7.3+, KHO_MODEL_IN_TREE), cross-checked against
	 * the handovers' FDTs.
	 */
	uint64_t kernel_fdt;
	uint64_t kernel_incoming_fdt;
	uint64_t kernel_scratch;
	uint64_t kernel_scratch_bytes;
	uint64_t kernel_out_tree;
	uint64_t kernel_in_tree;
};

/*
 * kho_model_open - open the dump at @path and run discovery on it as
 * kho-inspect does (open, page size, candidates, choice, inspection of
 * each chosen handover). returns: the model to close with
 * kho_model_close(), or NULL with @err set: KHO_ERR_NODATA when no KHO
 * FDT is found, KHO_ERR_INVALID for options that do not fit the dump,
 * the errors of opening and reading it. A broken handover is no error:
 * it is findings of the model.
 */
struct kho_model *kho_model_open(const char *path, const struct kho_model_opts *opts,
				 struct kho_error *err);
/* kho_model_open_source - the same on an open source (kho_source_open_memory()
 * for a live kernel). A source whose page size was assumed
 * (kho_source_page_size_assumed()) is read from then on at the size its
 * handover reads consistently with, as kho-inspect detects it; format,
 * raw_base and page_size of @opts are not used. @src must outlive the model. */
struct kho_model *kho_model_open_source(struct kho_source *src,
					const struct kho_model_opts *opts,
					struct kho_error *err);
void kho_model_close(struct kho_model *m);

/* The source read (the model's own with kho_model_open()). */
struct kho_source *kho_model_source(const struct kho_model *m);
/* Where the page size came from when the dump does not record it:
 * "detected" or "assumed"; NULL when the dump or the options said it. */
const char *kho_model_page_size_from(const struct kho_model *m);

/* ---- candidates: every KHO FDT found or named, and the choice ---- */

/* kho_model_candidate_flags() */
#define KHO_CANDIDATE_CHOSEN       (1u << 0)  /* inspected: a handover of the model */
#define KHO_CANDIDATE_STALE        (1u << 1)  /* not the live handover (a stale or old one) */
#define KHO_CANDIDATE_INCOMING     (1u << 2)  /* the handover the running kernel received */
#define KHO_CANDIDATE_CONSUMED     (1u << 3)  /* ... and consumed: its tree was freed */
#define KHO_CANDIDATE_OVERWRITTEN  (1u << 4)  /* stale, possibly overwritten (7.3+ scratch) */
#define KHO_CANDIDATE_DAMAGED      (1u << 5)  /* its FDT header or structure fails */
#define KHO_CANDIDATE_SELF_PRESERVED (1u << 6) /* its own page is a preserved key */

/* The FDT address of a candidate named by --fdt-file alone. */
#define KHO_MODEL_PHYS_UNKNOWN UINT64_MAX

size_t kho_model_candidates(const struct kho_model *m);
uint64_t kho_model_candidate_phys(const struct kho_model *m, size_t i);
uint64_t kho_model_candidate_size(const struct kho_model *m, size_t i);
/* "kho-v4", ...; "" when the page holds no KHO FDT */
const char *kho_model_candidate_compatible(const struct kho_model *m, size_t i);
unsigned kho_model_candidate_flags(const struct kho_model *m, size_t i);
/* Whether its own FDT page is preserved: 1, 0, or -1 not known. */
int kho_model_candidate_self_preserved(const struct kho_model *m, size_t i);
/* Why it was or was not chosen, as kho-inspect scan says it. */
const char *kho_model_candidate_why(const struct kho_model *m, size_t i);

/* ---- handovers: the inspected candidates, in kho-inspect's order ---- */

size_t kho_model_handovers(const struct kho_model *m);
/* Index of handover @h among the candidates. */
size_t kho_model_handover_candidate(const struct kho_model *m, size_t h);
uint64_t kho_model_handover_fdt(const struct kho_model *m, size_t h);
const char *kho_model_handover_compatible(const struct kho_model *m, size_t h);
/* "scan", "--fdt", "--vmlinux", ... */
const char *kho_model_handover_found_by(const struct kho_model *m, size_t h);
uint64_t kho_model_handover_map(const struct kho_model *m, size_t h);
uint64_t kho_model_handover_keys(const struct kho_model *m, size_t h);
uint64_t kho_model_handover_page_size(const struct kho_model *m, size_t h);
bool kho_model_handover_consumed(const struct kho_model *m, size_t h);

/*
 * A preserved key: the block [@phys, @phys + @size) of @order (pages of
 * 2^@order). returns: 0 to go on, anything else to stop the walk (then
 * returned by the walk).
 */
typedef int (*kho_model_key_fn)(void *ctx, uint64_t phys, uint64_t size, unsigned order);

/*
 * kho_model_foreach_run - @cb on each preserved key of the first handover
 * (the chosen one) in key order, as `kho-inspect --json ranges` lists
 * them. returns: 0, or @cb's value that stopped it.
 */
int kho_model_foreach_run(const struct kho_model *m, kho_model_key_fn cb, void *ctx);
int kho_model_handover_foreach_run(const struct kho_model *m, size_t h,
				   kho_model_key_fn cb, void *ctx);

/*
 * kho_model_lookup - whether the first handover preserves the page at
 * @phys: the key whose block holds it in *@start and *@order (either may
 * be NULL). returns: 1 preserved, 0 not, or a negative enum kho_status:
 * -KHO_ERR_NODATA when a tree page on the way is not in the dump (or the
 * map was not walked: consumed, no map), -KHO_ERR_INVALID for no handover.
 */
int kho_model_lookup(const struct kho_model *m, uint64_t phys, uint64_t *start,
		     unsigned *order);
int kho_model_handover_lookup(const struct kho_model *m, size_t h, uint64_t phys,
			      uint64_t *start, unsigned *order);

/*
 * Added after 0.4, for a debugger's "what is this address" (kho-inspect
 * whatis): a broken map can hold keys of several orders over one page,
 * and kho_model_lookup() names only the smallest.
 * kho_model_handover_walked - whether handover @h's map was walked, so
 * that lookups can answer (not when consumed, without a map, or of an ABI
 * libkho does not read).
 * kho_model_handover_max_order - the largest order a key of @h can have.
 * kho_model_handover_key - whether @h holds the key of @order whose block
 * (2^@order pages) contains @phys. returns: 1, 0, or a negative enum
 * kho_status as kho_model_lookup() gives it (-KHO_ERR_INVALID also for an
 * order past the largest).
 */
bool kho_model_handover_walked(const struct kho_model *m, size_t h);
unsigned kho_model_handover_max_order(const struct kho_model *m, size_t h);
int kho_model_handover_key(const struct kho_model *m, size_t h, uint64_t phys, unsigned order);

/* ---- what a handover holds ---- */

/* Its sub-blobs (FDT sub-nodes): name, address, size; false past the end.
 * Strings live as long as the model. */
size_t kho_model_blobs(const struct kho_model *m, size_t h);
bool kho_model_blob(const struct kho_model *m, size_t h, size_t i, const char **name,
		    uint64_t *phys, uint64_t *size);
/* An FDT blob's root compatible, else "". */
const char *kho_model_blob_compatible(const struct kho_model *m, size_t h, size_t i);

/* The pages of its memory map (tree nodes and leaves, kho-v1 chunks and
 * bitmaps): @level 0 leaf or bitmap, -1 a kho-v1 chunk. */
size_t kho_model_tree_pages(const struct kho_model *m, size_t h);
bool kho_model_tree_page(const struct kho_model *m, size_t h, size_t i, uint64_t *phys,
			 uint64_t *bytes, int *level);

/* LUO (7.1+): its format ("luo-v1", "luo-v5"; NULL without LUO), the
 * live update number, sessions and their files. */
const char *kho_model_luo_format(const struct kho_model *m, size_t h);
uint64_t kho_model_luo_liveupdate(const struct kho_model *m, size_t h);
size_t kho_model_luo_sessions(const struct kho_model *m, size_t h);
bool kho_model_luo_session(const struct kho_model *m, size_t h, size_t s, const char **name,
			   uint64_t *phys, size_t *nfiles);
bool kho_model_luo_file(const struct kho_model *m, size_t h, size_t s, size_t f,
			const char **compatible, uint64_t *token, uint64_t *data,
			uint64_t *phys);

/* Findings of handover @h, or with @h == SIZE_MAX those about the whole
 * dump (kho_report_finding() alike). */
size_t kho_model_findings(const struct kho_model *m, size_t h);
bool kho_model_finding(const struct kho_model *m, size_t h, size_t i, const char **check,
		       const char **severity, uint64_t *phys, const char **message);

/* The verdict's totals and whether it is partial, as kho_report_summary()
 * and kho_report_partial() give them (`kho-inspect verify`'s counts and
 * exit 3). */
void kho_model_summary(const struct kho_model *m, size_t counts[4]);
bool kho_model_partial(const struct kho_model *m);

#ifdef __cplusplus
}
#endif
#endif
