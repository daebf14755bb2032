// SPDX-License-Identifier: MIT
/*
 * A QMP client just big enough for kho-qemu-check: connect to QEMU's
 * monitor socket, negotiate capabilities, run a command and wait for its
 * answer (events that arrive in between are skipped).
 */
#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

double qmp_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One line from QMP (a JSON object), within @deadline. */
static json_t *read_message(struct qmp *q, double deadline, char *why, size_t whylen)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);

		if (nl) {
			json_error_t e;
			json_t *m;

			*nl = '\0';
			m = json_loads(q->buf, 0, &e);
			q->len -= (size_t)(nl + 1 - q->buf);
			memmove(q->buf, nl + 1, q->len);
			if (m)
				return m;
			continue;
		}
		if (q->len == sizeof(q->buf)) {
			snprintf(why, whylen, "QMP message longer than %zu bytes", sizeof(q->buf));
			return NULL;
		}
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		double left = deadline - qmp_now();
		int r = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, whylen, "QMP did not answer in time");
			return NULL;
		}
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n <= 0) {
			snprintf(why, whylen, "QMP connection closed (QEMU exited?)");
			return NULL;
		}
		q->len += (size_t)n;
	}
}

int qmp_connect(struct qmp *q, const char *path, double deadline, bool (*alive)(void *),
		void *ctx, char *why, size_t whylen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	json_t *greeting, *ok;

	memset(q, 0, sizeof(*q));
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(why, whylen, "%.200s: socket path too long", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd < 0) {
			snprintf(why, whylen, "socket: %s", strerror(errno));
			return -1;
		}
		if (!connect(q->fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		close(q->fd);
		q->fd = -1;
		if (!alive(ctx)) {
			snprintf(why, whylen, "QEMU exited before its QMP socket opened (is the "
				 "command line right?)");
			return -1;
		}
		if (qmp_now() > deadline) {
			snprintf(why, whylen, "QEMU's QMP socket did not open in time");
			return -1;
		}
		usleep(20000);
	}
	if (!(greeting = read_message(q, deadline, why, whylen)))
		return -1;
	json_decref(greeting);
	ok = qmp_command(q, "qmp_capabilities", NULL, deadline, why, whylen);
	if (!ok)
		return -1;
	json_decref(ok);
	return 0;
}

json_t *qmp_command(struct qmp *q, const char *name, json_t *args, double deadline,
		    char *why, size_t whylen)
{
	json_t *cmd = json_pack("{s:s}", "execute", name);
	char *text;
	size_t len;

	if (args)
		json_object_set(cmd, "arguments", args);
	text = json_dumps(cmd, JSON_COMPACT);
	json_decref(cmd);
	if (!text) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	len = strlen(text);
	if (write(q->fd, text, len) != (ssize_t)len || write(q->fd, "\n", 1) != 1) {
		snprintf(why, whylen, "QMP %s: %s", name, strerror(errno));
		free(text);
		return NULL;
	}
	free(text);
	for (;;) {
		json_t *m = read_message(q, deadline, why, whylen), *r;

		if (!m)
			return NULL;
		if ((r = json_object_get(m, "return"))) {
			json_incref(r);
			json_decref(m);
			return r;
		}
		if ((r = json_object_get(m, "error"))) {
			snprintf(why, whylen, "QMP %s: %s", name,
				 json_string_value(json_object_get(r, "desc")) ?: "error");
			json_decref(m);
			return NULL;
		}
		json_decref(m);   /* an event */
	}
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}
