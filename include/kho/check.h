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

/* kho_checks - the table, terminated by a row whose name is NULL. */
const struct kho_check_info *kho_checks(void);

/* kho_check_find - the row named @name, or NULL. */
const struct kho_check_info *kho_check_find(const char *name);

/* kho_severity_str - "error", "warning", "note", "incomplete" or "off". */
const char *kho_severity_str(enum kho_severity sev);

#ifdef __cplusplus
}
#endif
#endif
