/* SPDX-License-Identifier: MIT */
/*
 * libkho inside: findings lists and the checks they are reported under.
 * Not installed; the tools and tests of this tree use it, programs
 * outside use kho/check.h and kho/report.h.
 *
 * A check is named in code by its id, so a name that is not a check
 * cannot compile: the table (lib/check/table.c) has one row per id, in
 * this order.
 */
#ifndef KHO_FINDINGS_H
#define KHO_FINDINGS_H

#include <stdint.h>

#include "kho/anomaly.h"
#include "kho/check.h"
#include "kho/model.h"

#ifdef __cplusplus
extern "C" {
#endif

enum kho_check_id {
	KHO_CHECK_FDT_HEADER,
	KHO_CHECK_FDT_COMPATIBLE,
	KHO_CHECK_FDT_MEMORY_MAP,
	KHO_CHECK_FDT_SUBNODE,
	KHO_CHECK_FDT_NOT_PRESERVED,
	KHO_CHECK_BLOB_NOT_PRESERVED,
	KHO_CHECK_BLOB_FDT,
	KHO_CHECK_BLOB_KEXEC_METADATA,
	KHO_CHECK_BLOB_VMALLOC,
	KHO_CHECK_BLOB_UNREADABLE,
	KHO_CHECK_RADIX_POINTER,
	KHO_CHECK_RADIX_LOOP,
	KHO_CHECK_RADIX_KEY_WIDTH,
	KHO_CHECK_RADIX_DEPTH,
	KHO_CHECK_RADIX_EMPTY,
	KHO_CHECK_RADIX_NODE_SCRATCH,
	KHO_CHECK_RADIX_NODE_PRESERVED,
	KHO_CHECK_RANGE_ORDER,
	KHO_CHECK_RANGE_OVERLAP,
	KHO_CHECK_RANGE_SCRATCH,
	KHO_CHECK_RANGE_NOT_RAM,
	KHO_CHECK_RANGE_NOT_DUMPED,
	KHO_CHECK_RADIX_UNREADABLE,
	KHO_CHECK_SCRATCH_LAYOUT,
	KHO_CHECK_V1_CHUNK,
	KHO_CHECK_V1_BITMAP,
	KHO_CHECK_HANDOVER_AMBIGUOUS,
	KHO_CHECK_DUMP_TRUNCATED,
	KHO_CHECK_SCRATCH_UNKNOWN,
	KHO_CHECK_LUO_FORMAT,
	KHO_CHECK_LUO_BLOCK,
	KHO_CHECK_LUO_SESSION,
	KHO_CHECK_LUO_FILE,
	KHO_CHECK_LUO_MEMFD,
	KHO_CHECK_LUO_NOT_PRESERVED,
	KHO_CHECK_HANDOVER_CONSUMED,
	KHO_CHECK_LUO_PENDING,
	KHO_CHECK_BLOB_KEY_START,
	KHO_CHECK_BLOB_KHO_TEST,
	KHO_CHECK_COUNT
};

/*
 * The passes that raise findings, in the order they run: the session's
 * discovery (lib/check/session.c), then kho_inspect()'s table of passes
 * (verify.c). A check's row names the passes that may raise it, and a
 * finding raised from any other is a bug of ours (asserted).
 */
enum kho_pass {
	KHO_PASS_SESSION = 1 << 0,   /* the dump, the candidates, the kernel's own trees */
	KHO_PASS_MODEL = 1 << 1,     /* what building the model recorded (anomalies) */
	KHO_PASS_LAYOUT = 1 << 2,    /* the scratch areas */
	KHO_PASS_BLOBS = 1 << 3,     /* each sub-blob by itself */
	KHO_PASS_COVER = 1 << 4,     /* what must be preserved, asked before the merge */
	KHO_PASS_RUNS = 1 << 5,      /* each run, and all runs merged in address order */
	KHO_PASS_ANSWER = 1 << 6,    /* the coverage asked, answered from the merge */
};

/* A check: its name, severity, passes and words live together, in one row. */
struct kho_check_info {
	const char *name;             /* "range-overlap" */
	enum kho_severity severity;   /* default */
	unsigned passes;              /* enum kho_pass: where it may be raised */
	const char *summary;          /* one line: what it means */
	/* --explain, as rustc --explain: why the next kernel cares, and how
	 * to look into a finding (the man pages' CHECKS section too) */
	const char *why, *how;
};

/* kho_checks - the table, indexed by enum kho_check_id and terminated by a
 * row whose name is NULL. */
const struct kho_check_info *kho_checks(void);
/* kho_check_find - the row named @name, or NULL. */
const struct kho_check_info *kho_check_find(const char *name);
/* kho_check_index - the id of row @c. */
static inline enum kho_check_id kho_check_index(const struct kho_check_info *c)
{
	return (enum kho_check_id)(c - kho_checks());
}

/* One fact about an image. */
struct kho_finding {
	const struct kho_check_info *check;
	enum kho_severity severity;   /* after -W/-E overrides */
	uint64_t phys;                /* the smallest place it is about */
	char message[224];
};

/*
 * A list of findings with per-check severity overrides and a cap per
 * check and severity: past the cap findings are counted, not stored, so
 * a corrupt image cannot make the list grow without bound. Counting per
 * severity keeps an error that comes after a thousand warnings of the
 * same check an error.
 */
#define KHO_SEV_COUNT 4               /* note, incomplete, warning, error */
struct kho_findings {
	struct kho_finding *v;
	size_t n, cap;
	size_t limit;                 /* stored findings per check and severity (0: 1000) */
	/* per check id and severity: [id * KHO_SEV_COUNT + severity] */
	size_t stored[KHO_CHECK_COUNT * KHO_SEV_COUNT], dropped[KHO_CHECK_COUNT * KHO_SEV_COUNT];
	enum kho_severity severity[KHO_CHECK_COUNT];  /* -W/-E override, or -2 */
	size_t unknown;               /* reports under an id past the table (as errors) */
	bool oom;
	unsigned pass;                /* the pass raising findings now (0: any) */
};

/* kho_findings_init - an empty list with the default severities and cap.
 * kho_findings_free() releases it and may be called on an initialized
 * list in any state. One list is one thread's. */
void kho_findings_init(struct kho_findings *f);
void kho_findings_free(struct kho_findings *f);
/* The severities -W, -Wno- and -E ask for, @n in order; an unknown check is ignored. */
void kho_findings_set_severities(struct kho_findings *f, const struct kho_model_severity *v,
				 size_t n);
/* kho_flag - a finding of @check at @phys, at the check's severity. */
void kho_flag(struct kho_findings *f, enum kho_check_id check, uint64_t phys,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, with an explicit severity instead of the check's default. */
void kho_flag_sev(struct kho_findings *f, enum kho_check_id check,
		  enum kho_severity sev, uint64_t phys, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/*
 * kho_findings_add_anomalies - what a walker or decoder recorded in @a, as
 * findings in @f, in the order it was seen (lib/check/anomalies.c says
 * under which check); @a is emptied.
 */
void kho_findings_add_anomalies(struct kho_findings *f, struct kho_anomalies *a);
/* Findings at each severity, dropped ones included. */
void kho_findings_count(const struct kho_findings *f, size_t counts[4]);
/* Findings of @check at any severity, dropped ones included. */
size_t kho_findings_of(const struct kho_findings *f, enum kho_check_id check);
/* Findings of @check at @sev that were counted but not stored. */
size_t kho_findings_dropped(const struct kho_findings *f, enum kho_check_id check,
			    enum kho_severity sev);

/*
 * The verdict's exit status (lib/check/verdict.c says which findings mean
 * "structure unread"). kho_check_means_unread - whether @check says part
 * of the handover's structure (tree pages, blob pages) could not be read.
 * kho_findings_unread - such findings in @f at any severity but off.
 * kho_verdict_status - 1 when a finding is at or above @fail_on (or, with
 * @strict, incomplete), else 3 when @unread, else 0.
 */
bool kho_check_means_unread(enum kho_check_id check);
size_t kho_findings_unread(const struct kho_findings *f);
int kho_verdict_status(const size_t counts[4], size_t unread, enum kho_severity fail_on,
		       bool strict);

#ifdef __cplusplus
}
#endif
#endif
