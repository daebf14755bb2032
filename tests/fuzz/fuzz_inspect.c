// SPDX-License-Identifier: MIT
/*
 * Arbitrary physical memory as a raw image: discovery, the KHO FDT, the
 * radix and kho-v1 walkers, sub-blob decoders and every check. The last
 * byte picks the page size (4K, 16K, 64K) and the scratch layout.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "kho/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t pages[] = { 4096, 16384, 65536, 4096 };
	struct kho_source_opts o = { .format = KHO_FORMAT_RAW };
	struct kho_scratch_area scratch = { 0x1000, 0x3000 };
	struct kho_verify_opts vo = { .scratch = &scratch, .nscratch = 1 };
	struct kho_candidate *c = NULL;
	struct kho_source *src;
	struct kho_error err;
	struct kho_inspection in;
	size_t n = 0;
	char path[64];
	int fd;

	if (!size || size > (1u << 20))
		return 0;
	o.page_size = pages[data[size - 1] & 3];
	vo.nscratch = data[size - 1] >> 7;
	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0 || kho_source_open(path, &o, &src, &err)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	kho_scan(src, &c, &n, NULL, NULL, &err);
	/* The first candidate, or page 0 when the scan finds none. */
	kho_inspect(src, n ? c[0].phys : 0, &vo, &in, &err);
	kho_inspection_free(&in);
	free(c);
	kho_source_close(src);
	close(fd);
	return 0;
}
