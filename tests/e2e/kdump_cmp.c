// SPDX-License-Identifier: MIT
/*
 * kdump_cmp KDUMP RAW BASE: libkdumpfile must read from the kdump file
 * (made by makedumpfile from a generated ELF) the same bytes as the raw
 * image holds, at every data page of the raw image and at a sample of its
 * holes (zeros). An independent check of the ELF writer through the real
 * makedumpfile and libkdumpfile.
 */
#include <fcntl.h>
#include <libkdumpfile/kdumpfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int compare_page(kdump_ctx_t *ctx, int raw, uint64_t base, off_t off,
			size_t page, unsigned char *a, unsigned char *b)
{
	size_t len = page;
	kdump_status st;

	if (pread(raw, a, page, off) != (ssize_t)page)
		memset(a, 0, page);
	st = kdump_read(ctx, KDUMP_MACHPHYSADDR, base + (uint64_t)off, b, &len);
	if (st != KDUMP_OK || len != page) {
		fprintf(stderr, "FAIL: page 0x%llx: %s\n",
			(unsigned long long)(base + (uint64_t)off), kdump_get_err(ctx));
		return 1;
	}
	if (memcmp(a, b, page)) {
		fprintf(stderr, "FAIL: page 0x%llx differs\n",
			(unsigned long long)(base + (uint64_t)off));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	kdump_ctx_t *ctx;
	kdump_num_t page;
	struct stat sb;
	unsigned char *a, *b;
	uint64_t base;
	off_t pos = 0, end;
	int kd, raw, failures = 0;
	size_t pages = 0, holes = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: kdump_cmp KDUMP RAW BASE\n");
		return 2;
	}
	base = strtoull(argv[3], NULL, 0);
	kd = open(argv[1], O_RDONLY);
	raw = open(argv[2], O_RDONLY);
	if (kd < 0 || raw < 0 || fstat(raw, &sb)) {
		perror("open");
		return 2;
	}
	ctx = kdump_new();
	kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux");
	if (kdump_open_fd(ctx, kd) != KDUMP_OK) {
		fprintf(stderr, "FAIL: %s: %s\n", argv[1], kdump_get_err(ctx));
		return 1;
	}
	if (kdump_get_number_attr(ctx, KDUMP_ATTR_PAGE_SIZE, &page) != KDUMP_OK) {
		fprintf(stderr, "FAIL: no page size: %s\n", kdump_get_err(ctx));
		return 1;
	}
	a = malloc(page);
	b = malloc(page);
	end = sb.st_size;
	while (pos < end) {
		off_t data = lseek(raw, pos, SEEK_DATA), hole;

		if (data < 0)
			break;
		hole = lseek(raw, data, SEEK_HOLE);
		/* the page just below each extent is a hole: it must read as 0 */
		if (data >= (off_t)page && data - (off_t)page >= pos) {
			failures += compare_page(ctx, raw, base, data - (off_t)page, page, a, b);
			holes++;
		}
		for (off_t p = data; p < hole; p += (off_t)page, pages++)
			failures += compare_page(ctx, raw, base, p, page, a, b);
		pos = hole;
	}
	printf("%s: %zu data pages and %zu hole pages read by libkdumpfile match %s\n",
	       failures ? "FAIL" : "ok", pages, holes, argv[2]);
	kdump_free(ctx);
	free(a);
	free(b);
	return failures ? 1 : 0;
}
