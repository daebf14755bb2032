// SPDX-License-Identifier: MIT
/*
 * A dump given as "-" (standard input) or a pipe: `ssh host cat
 * /var/crash/vmcore | kho-inspect verify -`, or makedumpfile -F streaming
 * its flattened form. The library reads a dump at random and may open it
 * more than once (page-size detection), so the stream is first copied to a
 * temporary file, removed at exit; messages name the stream as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"

static struct {
	char path[4096];
	char name[256];
} spools[2];

static void remove_spools(void)
{
	for (size_t i = 0; i < 2; i++)
		if (spools[i].path[0])
			unlink(spools[i].path);
}

/* Copy @in to @out whole. returns: 0, or -1 with errno set. */
static int copy_all(int in, int out)
{
	static char buf[1 << 20];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf)), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		while (w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
			w += k;
		}
	}
}

const char *spool_stream(const char *dump, size_t slot)
{
	const char *tmpdir = getenv("TMPDIR");
	struct stat sb;
	int in, out, rc;

	if (strcmp(dump, "-") && (stat(dump, &sb) || !(S_ISFIFO(sb.st_mode) ||
						      S_ISSOCK(sb.st_mode))))
		return dump;                 /* a file: read in place */
	if (slot >= 2)
		return NULL;
	snprintf(spools[slot].name, sizeof(spools[slot].name), "%s",
		 strcmp(dump, "-") ? dump : "(stdin)");
	if (!tmpdir || !*tmpdir)
		tmpdir = NULL;
	snprintf(spools[slot].path, sizeof(spools[slot].path), "%s/kho-inspect-stream-XXXXXX",
		 tmpdir ? tmpdir : "/tmp");
	if ((out = mkstemp(spools[slot].path)) < 0) {
		int e = errno;

		/* the directory is what the user can fix */
		spools[slot].path[0] = 0;
		inspect_fail_kind("io", "%s: a temporary copy of the stream in %s%s: %s",
				  spools[slot].name, tmpdir ? tmpdir : "/tmp",
				  tmpdir ? " (TMPDIR)" : "", strerror(e));
		return NULL;
	}
	atexit(remove_spools);
	in = strcmp(dump, "-") ? open(dump, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	rc = in < 0 ? -1 : copy_all(in, out);
	if (rc)
		inspect_fail_kind("io", "%s: %s", spools[slot].name, strerror(errno));
	if (in > STDIN_FILENO)
		close(in);
	if (close(out) && !rc) {
		rc = -1;
		inspect_fail_kind("io", "%s: %s", spools[slot].path, strerror(errno));
	}
	return rc ? NULL : spools[slot].path;
}

void spool_unname(char *msg, size_t len)
{
	for (size_t i = 0; i < 2; i++) {
		size_t plen = strlen(spools[i].path), nlen = strlen(spools[i].name);
		char *at;

		if (!plen)
			continue;
		while ((at = strstr(msg, spools[i].path))) {
			size_t tail = strlen(at + plen);

			if ((size_t)(at - msg) + nlen + tail >= len)
				break;
			memmove(at + nlen, at + plen, tail + 1);
			memcpy(at, spools[i].name, nlen);
		}
	}
}
