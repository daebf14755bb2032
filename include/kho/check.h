/* SPDX-License-Identifier: MIT */
/*
 * The check table: every finding the verifier can report has a stable
 * name and a default severity (contract.md, section Checks). Findings are
 * facts about an image, never errors of the tool. Checks are numbered
 * 0 .. kho_check_count() - 1; the numbering may change between releases,
 * the names do not. Everything here is static data: any thread.
 */
#ifndef KHO_CHECK_H
#define KHO_CHECK_H

#include <stdbool.h>
#include <stddef.h>

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

/* kho_check_count - how many checks there are. */
size_t kho_check_count(void);

/* kho_check_lookup - the number of the check named @name in *@index.
 * returns: false (and *@index untouched) for a name not in the table. */
bool kho_check_lookup(const char *name, size_t *index);

/* For check @index (< kho_check_count()): its name ("range-overlap"), its
 * default severity, and one line on what it means. Out of range: NULL,
 * KHO_SEV_OFF, NULL. */
const char *kho_check_name(size_t index);
enum kho_severity kho_check_severity(size_t index);
const char *kho_check_summary(size_t index);

/*
 * kho_check_explain - for check @name, why the next kernel cares (*@why)
 * and how to look into a finding (*@how); static strings.
 * returns: false for a name not in the table.
 */
bool kho_check_explain(const char *name, const char **why, const char **how);

/*
 * kho_check_hint - where to look next for a finding of check @index at
 * @severity: the check's own hint (the *@how of kho_check_explain), except
 * for an INCOMPLETE finding of a check that otherwise finds faults, whose
 * hint says the dump lacks what the check reads. NULL out of range.
 */
const char *kho_check_hint(size_t index, enum kho_severity severity);

/* kho_severity_str - "error", "warning", "note", "incomplete" or "off". */
const char *kho_severity_str(enum kho_severity sev);

#ifdef __cplusplus
}
#endif
#endif
