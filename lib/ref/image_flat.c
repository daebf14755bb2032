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
#include <unistd.h>

#include "../source/kdump_format.h"
#include "../util/util.h"

#define FLAT_RECORD 65536

/* Stream the regular file @in into @out, flattened. */
static enum kho_status flatten(int in, int out, struct kho_error *err)
{
	_cleanup_free_ uint8_t *buf = malloc(16 + FLAT_RECORD);
	uint8_t head[FLAT_HEADER_SIZE] = "makedumpfile";
	enum kho_status st;
	uint64_t off = 0, at = sizeof(head);

	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	store_u64(head + 16, 1, true);        /* type */
	store_u64(head + 24, 1, true);        /* version */
	if ((st = ref_pwrite_all(out, head, sizeof(head), 0, "flattened image", err)))
		return st;
	for (;;) {
		ssize_t n = pread(in, buf + 16, FLAT_RECORD, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kho_error_errno(err, "reading kdump image");
		if (n == 0)
			break;
		store_u64(buf, off, true);
		store_u64(buf + 8, (uint64_t)n, true);
		if ((st = ref_pwrite_all(out, buf, 16 + (size_t)n, at, "flattened image", err)))
			return st;
		off += (uint64_t)n;
		at += 16 + (uint64_t)n;
	}
	memset(buf, 0xff, 16);                /* the end: {-1, -1} */
	return ref_pwrite_all(out, buf, 16, at, "flattened image", err);
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
	if ((in = open(kdump, O_RDONLY | O_CLOEXEC)) < 0)
		st = kho_error_errno(err, "%s", kdump);
	else if ((out = mkstemp(tmp)) < 0)
		st = kho_error_errno(err, "%s", tmp);
	else
		st = ref_tmp_commit(out, tmp, path, flatten(in, out, err), err);
	if (in >= 0)
		close(in);
	unlink(kdump);
	return st;
}
