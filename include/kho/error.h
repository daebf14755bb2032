/* SPDX-License-Identifier: MIT */
/*
 * Errors: the tool could not do its job (I/O, out of memory, bad usage, a
 * file it cannot parse). Facts about an image are findings, not errors.
 *
 * A struct kho_error carries a status and a message. Callers add context
 * in front of the message as the error travels up ("spec.spec:12: ..."),
 * the way libkdumpfile builds its error backtrace.
 *
 * Only a function that fails writes @err, and only with the failure it
 * returns. One that returns KHO_OK leaves @err exactly as it was, even
 * when it walked past failures on the way (a read that became a finding,
 * an optional value it could not read): those go to an error of its own.
 * So a caller that goes on after a failure keeps that first failure's
 * status and message until it looks at them.
 */
#ifndef KHO_ERROR_H
#define KHO_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kho_status {
	KHO_OK = 0,
	KHO_ERR_NODATA,   /* the data is not there (not in the dump, hole) */
	KHO_ERR_CORRUPT,  /* the input contradicts its own format */
	KHO_ERR_INVALID,  /* bad argument or bad usage */
	KHO_ERR_SYSTEM,   /* a system call failed; the message holds errno's text */
	KHO_ERR_NOTIMPL,  /* well-formed but not supported (unknown ABI version) */
	KHO_ERR_NOMEM,    /* out of memory */
};

#define KHO_ERROR_MSG_MAX 512

struct kho_error {
	enum kho_status status;
	char msg[KHO_ERROR_MSG_MAX];
};

/*
 * kho_error_set - record an error.
 * returns: @status, so that callers can write "return kho_error_set(...)".
 * @err may be NULL, in which case only the status is returned.
 */
enum kho_status kho_error_set(struct kho_error *err, enum kho_status status,
			      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * kho_error_errno - record KHO_ERR_SYSTEM with "what: strerror(errno)".
 * returns: KHO_ERR_SYSTEM (or KHO_ERR_NOMEM when errno is ENOMEM).
 */
enum kho_status kho_error_errno(struct kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * kho_error_prepend - put "context: " in front of the current message.
 * returns: the error's current status.
 */
enum kho_status kho_error_prepend(struct kho_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* kho_status_str - a short name for @status ("corrupt", "no data", ...). */
const char *kho_status_str(enum kho_status status);

#ifdef __cplusplus
}
#endif
#endif
