/* SPDX-License-Identifier: MIT */
/*
 * The check table: every finding the verifier can report has a stable
 * name and a default severity (contract.md, section Checks). Findings are
 * facts about an image, never errors of the tool.
 */
#ifndef KHO_CHECK_H
#define KHO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kho_severity {
	KHO_SEV_OFF = -1,
	KHO_SEV_NOTE = 0,
	KHO_SEV_INCOMPLETE,
	KHO_SEV_WARNING,
	KHO_SEV_ERROR,
};

struct kho_check_info {
	const char *name;             /* "range-overlap" */
	enum kho_severity severity;   /* default */
	const char *summary;          /* one line: what it means */
};

/*
 * kho_check_explain - for check @name, why the next kernel cares (*@why)
 * and how to look into a finding (*@how); static strings.
 * returns: false for a name not in the table.
 */
bool kho_check_explain(const char *name, const char **why, const char **how);

/* kho_checks - the table, terminated by a row whose name is NULL. */
const struct kho_check_info *kho_checks(void);

/* kho_check_find - the row named @name, or NULL. */
const struct kho_check_info *kho_check_find(const char *name);

/* kho_severity_str - "error", "warning", "note", "incomplete" or "off". */
const char *kho_severity_str(enum kho_severity sev);

/* kho_check_index - position of @c in kho_checks(). */
size_t kho_check_index(const struct kho_check_info *c);
/* kho_check_count - how many checks kho_checks() lists (static; any thread). */
size_t kho_check_count(void);

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
	/* per check index and severity: [index * KHO_SEV_COUNT + severity] */
	size_t *stored, *dropped;
	enum kho_severity *severity;  /* per check index: -W/-E override, or -2 */
	size_t unknown;               /* reports naming no check (counted as errors) */
	bool oom;
};

/* kho_findings_init - an empty list with the default severities and cap;
 * on out of memory f->oom is set and every later report is counted as an
 * error (never lost silently). kho_findings_free() releases it and may be
 * called on an initialized list in any state. One list is one thread's. */
void kho_findings_init(struct kho_findings *f);
void kho_findings_free(struct kho_findings *f);
/* -W NAME (warning), -Wno-NAME (off), -E NAME (error). returns: false for an unknown name. */
bool kho_findings_set_severity(struct kho_findings *f, const char *check,
			       enum kho_severity sev);
/* Report a finding of @check (a name from the table) at @phys. */
void kho_report(struct kho_findings *f, const char *check, uint64_t phys,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Same, with an explicit severity instead of the check's default. */
void kho_report_sev(struct kho_findings *f, const char *check,
		    enum kho_severity sev, uint64_t phys, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Findings at each severity, dropped ones included. */
void kho_findings_count(const struct kho_findings *f, size_t counts[4]);
/* Findings of @check (a name from the table) at any severity, dropped ones included. */
size_t kho_findings_of(const struct kho_findings *f, const char *check);
/* Findings of check index @i at @sev that were counted but not stored. */
size_t kho_findings_dropped(const struct kho_findings *f, size_t i, enum kho_severity sev);

#ifdef __cplusplus
}
#endif
#endif
