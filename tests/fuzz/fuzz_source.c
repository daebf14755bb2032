// SPDX-License-Identifier: MIT
/* Any file as a memory source (ELF, kdump, raw by content), with holes
 * punched where its last byte says: open it, read its map, walk its data
 * extents and read what they name. */
#include <stdint.h>

#include "fuzz_util.h"
#include "kho/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kho_source *src;
	struct kho_error err;
	const struct kho_mem_range *r;
	uint64_t next, run, phys = 0;
	uint8_t buf[256];
	size_t n;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (size)
		fuzz_punch(fd, size, data[size - 1]);
	if (!kho_source_open(path, NULL, &src, &err)) {
		r = kho_source_map_ranges(src, &n);
		for (size_t i = 0; i < n && i < 64; i++) {
			kho_source_read(src, r[i].start, buf, sizeof(buf), &err);
			kho_source_state(src, r[i].start + r[i].size / 2, &run);
		}
		for (int i = 0; i < 64 && kho_source_next_data(src, phys, &next, &run); i++) {
			kho_source_read(src, next, buf, sizeof(buf), &err);
			kho_source_map(src, next, 16);
			phys = next + (run > 4096 ? run : 4096);
			if (phys < next)
				break;
		}
		kho_source_vmcoreinfo(src, "PAGESIZE");
		kho_source_close(src);
	}
	close(fd);
	return 0;
}
