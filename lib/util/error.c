// SPDX-License-Identifier: MIT
#include "kho/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

KHO_EXPORT enum kho_status kho_error_set(struct kho_error *err,
					 enum kho_status status,
					 const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

KHO_EXPORT enum kho_status kho_error_errno(struct kho_error *err,
					   const char *fmt, ...)
{
	enum kho_status status = errno == ENOMEM ? KHO_ERR_NOMEM : KHO_ERR_SYSTEM;
	const char *why = strerror(errno);
	va_list ap;
	int n;

	if (!err)
		return status;
	err->status = status;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", why);
	return status;
}

KHO_EXPORT enum kho_status kho_error_prepend(struct kho_error *err,
					     const char *fmt, ...)
{
	char prefix[KHO_ERROR_MSG_MAX];
	size_t plen, olen, room;
	va_list ap;

	if (!err)
		return KHO_ERR_INVALID;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* "prefix: old", cutting the old message's tail if it must. */
	plen = MIN(strlen(prefix), sizeof(err->msg) - 3);
	olen = strnlen(err->msg, sizeof(err->msg) - 1);
	room = sizeof(err->msg) - 1 - plen - 2;
	olen = MIN(olen, room);
	memmove(err->msg + plen + 2, err->msg, olen);
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, ": ", 2);
	err->msg[plen + 2 + olen] = '\0';
	return err->status;
}

KHO_EXPORT const char *kho_status_str(enum kho_status status)
{
	switch (status) {
	case KHO_OK:		return "ok";
	case KHO_ERR_NODATA:	return "no data";
	case KHO_ERR_CORRUPT:	return "corrupt";
	case KHO_ERR_INVALID:	return "invalid";
	case KHO_ERR_SYSTEM:	return "system error";
	case KHO_ERR_NOTIMPL:	return "not supported";
	case KHO_ERR_NOMEM:	return "out of memory";
	}
	return "unknown";
}
