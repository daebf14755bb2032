// SPDX-License-Identifier: MIT
/*
 * The GDB remote serial protocol, as much as kho-qemu-check needs: packets
 * are "$DATA#CS" (CS the sum of DATA's bytes mod 256, two hex digits),
 * acknowledged by '+'. A stop reply ("S.." or "T..") comes when the guest
 * stops: after 0x03, a breakpoint, or a stop through QMP; one that nobody
 * waited for is skipped.
 */
#include "gdb.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qmp.h"

static int send_all(struct gdb *g, const char *data, size_t len, char *why, size_t whylen)
{
	while (len) {
		ssize_t n = write(g->fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(why, whylen, "gdbstub: %s", strerror(errno));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* More bytes into the buffer within @deadline. returns: 0, or -1 with @why. */
static int fill(struct gdb *g, double deadline, char *why, size_t whylen)
{
	struct pollfd p = { .fd = g->fd, .events = POLLIN };
	double left = deadline - qmp_now();
	int r = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
	ssize_t n;

	if (r < 0 && errno == EINTR)
		return 0;
	if (r <= 0) {
		snprintf(why, whylen, "gdbstub did not answer in time");
		return -1;
	}
	if (g->len == sizeof(g->buf))
		g->len = 0;     /* garbage: no packet is that long here */
	n = read(g->fd, g->buf + g->len, sizeof(g->buf) - g->len);
	if (n <= 0) {
		snprintf(why, whylen, "gdbstub connection closed (QEMU exited?)");
		return -1;
	}
	g->len += (size_t)n;
	return 0;
}

/*
 * The next packet's data into @out (NUL-terminated, cut to @outlen), acked.
 * Acks and noise before '$' are skipped. returns: 0, 1 nothing complete
 * before @deadline (only when @poll_only), or -1 with @why.
 */
static int read_packet(struct gdb *g, char *out, size_t outlen, double deadline, bool poll_only,
		       char *why, size_t whylen)
{
	for (;;) {
		char *start = memchr(g->buf, '$', g->len), *hash;

		if (!start)
			g->len = 0;
		else if ((hash = memchr(start, '#', g->len - (size_t)(start - g->buf))) &&
			 (size_t)(hash - g->buf) + 3 <= g->len) {
			size_t n = (size_t)(hash - start - 1), used = (size_t)(hash - g->buf) + 3;

			n = n < outlen ? n : outlen - 1;
			memcpy(out, start + 1, n);
			out[n] = '\0';
			memmove(g->buf, g->buf + used, g->len - used);
			g->len -= used;
			return send_all(g, "+", 1, why, whylen);
		}
		if (poll_only) {
			struct pollfd p = { .fd = g->fd, .events = POLLIN };

			if (poll(&p, 1, 0) <= 0)
				return 1;
		}
		if (fill(g, deadline, why, whylen))
			return -1;
	}
}

static bool is_stop_reply(const char *p)
{
	return p[0] == 'S' || p[0] == 'T';
}

/* Stop replies nobody waited for (a QMP stop while we let the guest run). */
static void drain(struct gdb *g)
{
	char pkt[256], why[64];

	while (!read_packet(g, pkt, sizeof(pkt), qmp_now(), true, why, sizeof(why)))
		;
}

static int send_packet(struct gdb *g, const char *data, char *why, size_t whylen)
{
	char pkt[512];
	unsigned sum = 0;

	for (const char *p = data; *p; p++)
		sum += (unsigned char)*p;
	snprintf(pkt, sizeof(pkt), "$%s#%02x", data, sum & 0xff);
	return send_all(g, pkt, strlen(pkt), why, whylen);
}

/* Send @cmd and read its answer, skipping stop replies. */
static int command(struct gdb *g, const char *cmd, char *reply, size_t len, double deadline,
		   char *why, size_t whylen)
{
	drain(g);
	if (send_packet(g, cmd, why, whylen))
		return -1;
	do {
		if (read_packet(g, reply, len, deadline, false, why, whylen))
			return -1;
	} while (is_stop_reply(reply));
	return 0;
}

int gdb_connect(struct gdb *g, const char *path, double deadline, char *why, size_t whylen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char reply[256];

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(why, whylen, "%.200s: socket path too long", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	g->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->fd < 0 || connect(g->fd, (struct sockaddr *)&a, sizeof(a))) {
		snprintf(why, whylen, "gdbstub %.200s: %s", path, strerror(errno));
		goto fail;
	}
	/* "?" asks why the guest stopped: it also proves the stub answers */
	if (send_packet(g, "?", why, whylen) ||
	    read_packet(g, reply, sizeof(reply), deadline, false, why, whylen))
		goto fail;
	if (is_stop_reply(reply))
		return 0;
	snprintf(why, whylen, "gdbstub answered \"?\" with \"%.100s\"", reply);
fail:
	gdb_close(g);
	return -1;
}

int gdb_interrupt(struct gdb *g, double deadline, char *why, size_t whylen)
{
	char reply[256];

	drain(g);
	if (send_all(g, "\x03", 1, why, whylen))
		return -1;
	do {
		if (read_packet(g, reply, sizeof(reply), deadline, false, why, whylen))
			return -1;
	} while (!is_stop_reply(reply));
	return 0;
}

int gdb_breakpoint(struct gdb *g, bool insert, uint64_t addr, unsigned kind, double deadline,
		   char *why, size_t whylen)
{
	char cmd[64], reply[256];

	snprintf(cmd, sizeof(cmd), "%c1,%llx,%u", insert ? 'Z' : 'z', (unsigned long long)addr,
		 kind);
	if (command(g, cmd, reply, sizeof(reply), deadline, why, whylen))
		return -1;
	if (strcmp(reply, "OK")) {
		snprintf(why, whylen, "gdbstub refused %s: \"%s\"", cmd,
			 reply[0] ? reply : "not supported");
		return -1;
	}
	return 0;
}

int gdb_continue(struct gdb *g, double deadline, char *why, size_t whylen)
{
	(void)deadline;
	drain(g);
	return send_packet(g, "c", why, whylen);
}

int gdb_wait_stop(struct gdb *g, double deadline, bool (*alive)(void *), void *ctx, char *why,
		  size_t whylen)
{
	char reply[256];

	for (;;) {
		int r = read_packet(g, reply, sizeof(reply), qmp_now() + 0.05, true, why, whylen);

		if (r < 0)
			return -1;
		if (!r && is_stop_reply(reply))
			return 0;
		if (!alive(ctx)) {
			snprintf(why, whylen, "QEMU exited before the breakpoint was hit");
			return -1;
		}
		if (qmp_now() > deadline) {
			snprintf(why, whylen, "the breakpoint was not hit in time");
			return -1;
		}
		if (r == 1)
			usleep(20000);
	}
}

void gdb_close(struct gdb *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}
