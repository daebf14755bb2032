// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sparse.h"

#define BLOCK 4096
#define CHUNK (1u << 20)

static bool zero_block(const unsigned char *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < BLOCK / sizeof(*w); i++)
		if (w[i])
			return false;
	return true;
}

/* punch [start, end), and stop trying once the file system says it cannot */
static void punch(int fd, off_t start, off_t end, bool *able)
{
	if (*able && end > start &&
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, start, end - start))
		*able = false;
}

int sparse_punch_zeros(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	unsigned char *buf;
	off_t pos = 0, run = -1;
	bool able = true;
	int err = 0;

	if (fd < 0)
		return -1;
	if (!(buf = aligned_alloc(BLOCK, CHUNK))) {
		close(fd);
		return -1;
	}
	while (able) {
		ssize_t n = pread(fd, buf, CHUNK, pos);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		if (n <= 0)
			break;
		/* whole blocks only: a partial tail block stays as it is */
		for (ssize_t off = 0; off + BLOCK <= n; off += BLOCK) {
			bool zero = zero_block(buf + off);

			if (zero && run < 0)
				run = pos + off;
			else if (!zero && run >= 0) {
				punch(fd, run, pos + off, &able);
				run = -1;
			}
		}
		if (n % BLOCK) {
			punch(fd, run, pos + (n - n % BLOCK), &able);
			run = -1;
		}
		pos += n;
	}
	if (run >= 0)
		punch(fd, run, pos, &able);
	free(buf);
	close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
