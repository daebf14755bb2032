/* SPDX-License-Identifier: MIT */
#ifndef KHO_QEMU_CHECK_QMP_H
#define KHO_QEMU_CHECK_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct qmp {
	int fd;
	char buf[1 << 16];
	size_t len;
};

/* Connect to the QMP socket at @path (retrying until QEMU opens it, while
 * @alive(@ctx) says QEMU runs) and negotiate. @deadline: CLOCK_MONOTONIC seconds. returns: 0, or -1 with
 * @why. */
int qmp_connect(struct qmp *q, const char *path, double deadline, bool (*alive)(void *),
		void *ctx, char *why, size_t whylen);
/* Run @name with @args (borrowed, may be NULL). returns: the "return"
 * value (owned), or NULL with @why (an error answer, a timeout, EOF). */
json_t *qmp_command(struct qmp *q, const char *name, json_t *args, double deadline,
		    char *why, size_t whylen);
void qmp_close(struct qmp *q);
/* CLOCK_MONOTONIC in seconds: the clock of every deadline here. */
double qmp_now(void);

#endif
