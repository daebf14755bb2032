// SPDX-License-Identifier: MIT
/*
 * kho_ref_write: every image goes to a temporary file in the target's
 * directory and is renamed over the target only when complete.
 */
#include "ref_internal.h"

#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"

static const char *const suffixes[KHO_IMAGE_NKINDS] = {
	[KHO_IMAGE_RAW] = ".raw",
	[KHO_IMAGE_ELF] = ".elf",
	[KHO_IMAGE_KCORE] = ".kcore",
	[KHO_IMAGE_QEMU] = ".qemu",
	[KHO_IMAGE_KDUMP] = ".kdump",
	[KHO_IMAGE_KDUMP_LZO] = ".lzo.kdump",
	[KHO_IMAGE_DTB] = ".dtb",
	[KHO_IMAGE_BOOT_DTB] = ".boot.dtb",
	[KHO_IMAGE_EXPECT] = ".expect.json",
	[KHO_IMAGE_LUO] = ".luo",
	[KHO_IMAGE_FLAT] = ".flat",
};

KHO_EXPORT const char *kho_image_suffix(enum kho_image_kind kind)
{
	return (unsigned)kind < KHO_IMAGE_NKINDS ? suffixes[kind] : "";
}

static enum kho_status write_dtb(struct kho_ref *ref, int fd, struct kho_error *err)
{
	_cleanup_free_ uint8_t *buf = malloc(ref->geo.page_size);
	size_t len;

	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	mem_read(&ref->mem, ref->fdt_phys, buf, ref->geo.page_size);
	/* The FDT as it is in memory, bounded by its page. */
	len = fdt_totalsize(buf) && fdt_totalsize(buf) <= ref->geo.page_size ?
	      fdt_totalsize(buf) : ref->fdt_size;
	return ref_pwrite_all(fd, buf, len, 0, "FDT", err);
}

static enum kho_status write_kind(struct kho_ref *ref, enum kho_image_kind kind,
				  int fd, const struct kho_write_opts *opts,
				  struct kho_error *err)
{
	enum kho_status st;
	FILE *f;

	switch (kind) {
	case KHO_IMAGE_RAW:
		return ref_write_raw(ref, fd, opts ? opts->raw_base : 0, err);
	case KHO_IMAGE_ELF:
	case KHO_IMAGE_KCORE:
	case KHO_IMAGE_QEMU:
		return ref_write_elf(ref, fd, kind, true, err);
	case KHO_IMAGE_DTB:
		return write_dtb(ref, fd, err);
	case KHO_IMAGE_BOOT_DTB:
		return ref_write_boot_dtb(ref, fd, err);
	case KHO_IMAGE_EXPECT:
		f = fdopen(dup(fd), "w");
		if (!f)
			return kho_error_errno(err, "fdopen");
		st = ref_write_expect(ref, f, opts, err);
		if (fclose(f) && !st)
			st = kho_error_errno(err, "writing expect.json");
		return st;
	default:
		return kho_error_set(err, KHO_ERR_INVALID, "unknown image kind %d", kind);
	}
}

enum kho_status ref_pwrite_all(int fd, const void *buf, size_t len, uint64_t off,
			       const char *what, struct kho_error *err)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kho_error_errno(err, "writing %s", what);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return KHO_OK;
}

enum kho_status ref_tmp_commit(int fd, const char *tmp, const char *path, enum kho_status st,
			       struct kho_error *err)
{
	if (!st && fchmod(fd, 0644))
		st = kho_error_errno(err, "chmod");
	if (close(fd) && !st)
		st = kho_error_errno(err, "closing");
	if (!st && rename(tmp, path))
		st = kho_error_errno(err, "renaming to %s", path);
	if (st)
		unlink(tmp);
	return st;
}

KHO_EXPORT enum kho_status kho_ref_write(struct kho_ref *ref,
					 enum kho_image_kind kind,
					 const char *path,
					 const struct kho_write_opts *opts,
					 struct kho_error *err)
{
	char tmp[4200];
	enum kho_status st;
	int fd;

	if (!ref->finalized)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: image not finalized", path);
	/* LUO's tree and the kdump images go through temporary names of their own */
	if (kind == KHO_IMAGE_LUO)
		st = luo_write_memfds(ref, path, err);
	else if (kind == KHO_IMAGE_KDUMP || kind == KHO_IMAGE_KDUMP_LZO)
		st = ref_write_kdump(ref, path, kind == KHO_IMAGE_KDUMP_LZO, err);
	else if (kind == KHO_IMAGE_FLAT)
		st = ref_write_flat(ref, path, err);
	else if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return kho_error_set(err, KHO_ERR_INVALID, "%s: path too long", path);
	else if ((fd = mkstemp(tmp)) < 0)
		return kho_error_errno(err, "%s", tmp);
	else
		st = ref_tmp_commit(fd, tmp, path, write_kind(ref, kind, fd, opts, err), err);
	return st ? kho_error_prepend(err, "%s", path) : KHO_OK;
}
