// SPDX-License-Identifier: MIT
/*
 * Raw physical images (pmemsave, dd of /dev/mem, fixtures): byte N is
 * physical address base + N. A raw image says nothing about RAM, so all
 * of it counts as present memory; holes of a sparse file read as zeros
 * and are skipped by kho_source_next_data(). Bytes are read, never mapped.
 */
#include "source_internal.h"

enum kho_status source_open_raw(struct kho_source *src, const struct kho_source_opts *o,
				struct kho_error *err)
{
	struct segment seg = { o->raw_base, (uint64_t)src->file_size,
			       (uint64_t)src->file_size, 0 };

	src->ops = &pieces_ops;
	src->kind = KHO_KIND_RAW;
	src->format = "raw";
	if (src->file_size <= 0)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: empty raw image", src->path);
	if (o->raw_base + (uint64_t)src->file_size < o->raw_base)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "%s: raw base 0x%llx + file size wraps around",
				     src->path, (unsigned long long)o->raw_base);
	return source_set_segments(src, &seg, 1, err);
}
