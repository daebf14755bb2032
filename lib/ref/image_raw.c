// SPDX-License-Identifier: MIT
/*
 * Raw physical image: byte N is physical address base + N, up to the end
 * of the highest RAM range. Only pages that hold data are written, so
 * the file is sparse and unwritten memory reads as zeros.
 */
#include "ref_internal.h"

#include <unistd.h>

#include "../util/util.h"

enum kho_status ref_write_raw(struct kho_ref *ref, int fd, uint64_t base,
			      struct kho_error *err)
{
	uint64_t top = mem_ram_top(&ref->mem);
	size_t n;
	_cleanup_free_ uint64_t *pfns = mem_sorted_pfns(&ref->mem, &n, err);
	enum kho_status st;

	if (!pfns)
		return KHO_ERR_NOMEM;
	if (base >= top || !is_aligned(base, ref->geo.page_size))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "raw base 0x%llx is not page-aligned below the top of RAM",
				     (unsigned long long)base);
	if ((st = ref_write_pages(ref, fd, base, top - base, 0, pfns, n, "raw image", err)))
		return st;
	if (ftruncate(fd, (off_t)(top - base)))
		return kho_error_errno(err, "sizing raw image");
	return KHO_OK;
}
