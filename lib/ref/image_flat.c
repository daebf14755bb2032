// SPDX-License-Identifier: MIT
/*
 * NAME.flat: the kdump image as makedumpfile -F streams it (the flattened
 * format, what a kdump piped over ssh or QEMU's kdump-zlib before 8.2
 * look like): a 4096-byte header whose first 16 bytes are "makedumpfile"
 * padded with NULs, then big-endian int64 type 1 and version 1; records
 * of a big-endian {int64 offset; int64 size} and size bytes of the
 * regular file at offset; {-1, -1} at the end. The records are 64 KiB,
 * as makedumpfile's cache flushes are. The regular kdump is written
 * first (makedumpfile or our writer), then streamed; the result goes
 * through a temporary name like every image.
 */
#include "ref_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"

#define FLAT_HEADER 4096
#define FLAT_RECORD 65536

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static enum kho_status write_all(int fd, const void *buf, size_t len, struct kho_error *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kho_error_errno(err, "writing flattened image");
		p += n;
		len -= (size_t)n;
	}
	return KHO_OK;
}

/* Stream the regular file @in into @out, flattened. */
static enum kho_status flatten(int in, int out, struct kho_error *err)
{
	_cleanup_free_ uint8_t *buf = malloc(16 + FLAT_RECORD);
	uint8_t head[FLAT_HEADER] = "makedumpfile";
	enum kho_status st;
	uint64_t off = 0;

	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	put_be64(head + 16, 1);               /* type */
	put_be64(head + 24, 1);               /* version */
	if ((st = write_all(out, head, sizeof(head), err)))
		return st;
	for (;;) {
		ssize_t n = pread(in, buf + 16, FLAT_RECORD, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kho_error_errno(err, "reading kdump image");
		if (n == 0)
			break;
		put_be64(buf, off);
		put_be64(buf + 8, (uint64_t)n);
		if ((st = write_all(out, buf, 16 + (size_t)n, err)))
			return st;
		off += (uint64_t)n;
	}
	memset(buf, 0xff, 16);                /* the end: {-1, -1} */
	return write_all(out, buf, 16, err);
}

enum kho_status ref_write_flat(struct kho_ref *ref, const char *path, struct kho_error *err)
{
	char kdump[4200], tmp[4200];
	enum kho_status st;
	int in, out;

	if (snprintf(kdump, sizeof(kdump), "%s.tmp-regular-%d", path, (int)getpid()) >=
	    (int)sizeof(kdump) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return kho_error_set(err, KHO_ERR_INVALID, "path too long");
	if ((st = ref_write_kdump(ref, kdump, false, err)))
		return st;
	in = open(kdump, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		st = kho_error_errno(err, "%s", kdump);
		unlink(kdump);
		return st;
	}
	out = mkstemp(tmp);
	if (out < 0) {
		st = kho_error_errno(err, "%s", tmp);
	} else {
		st = ref_tmp_commit(out, tmp, path, flatten(in, out, err), err);
	}
	close(in);
	unlink(kdump);
	return st;
}
