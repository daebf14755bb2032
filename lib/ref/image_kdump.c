// SPDX-License-Identifier: MIT
/*
 * Compressed kdump images of 4 KiB-page specs are made by the real
 * makedumpfile from an ELF written without VMCOREINFO: with VMCOREINFO it
 * would walk page tables that generated memory does not have (see
 * docs/dump-formats.md). -d 0 keeps every page; -c is zlib, -l lzo.
 *
 * Without VMCOREINFO makedumpfile takes the host's 4 KiB pages, so the
 * kdump of a 16 or 64 KiB spec is written here, as makedumpfile writes
 * one on such a machine with -d 0: block size = page size; header
 * version 6; utsname and a sub-header whose note area holds a CORE
 * NT_PRSTATUS note and the ELF images' VMCOREINFO (PAGESIZE, OSRELEASE);
 * the memory bitmap has the RAM pages, the dumped bitmap those the spec
 * does not exclude; one 24-byte descriptor per dumped page; the data
 * starts with one compressed zero page that every zero page shares; a
 * page that does not shrink is stored as is (flags 0). The timestamp is
 * 0, so images stay reproducible.
 */
#include "ref_internal.h"

#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <zlib.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../source/kdump_format.h"
#include "../util/util.h"

extern char **environ;

static bool find_makedumpfile(char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/makedumpfile", d);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

struct kd_out {
	int fd;
	uint64_t off;            /* where the next page's data goes */
	uint8_t *zbuf, *wrk;
	size_t zcap;
	uint32_t flag;
	struct kho_error *err;
};

static enum kho_status kd_pwrite(struct kd_out *o, const void *buf, size_t len, uint64_t off)
{
	return ref_pwrite_all(o->fd, buf, len, off, "kdump image", o->err);
}

/* Compress @page and append it; its descriptor into @desc. */
static enum kho_status kd_page(struct kd_out *o, const uint8_t *page, size_t size,
			       uint8_t desc[DESC_SIZE])
{
	const uint8_t *data = o->zbuf;
	size_t len;
	uint32_t flags = o->flag;

	if (o->flag == PAGE_ZLIB) {
		uLongf n = o->zcap;

		if (compress2(o->zbuf, &n, page, size, Z_BEST_SPEED) != Z_OK)
			return kho_error_set(o->err, KHO_ERR_SYSTEM, "zlib compress2 failed");
		len = n;
	} else {
		lzo_uint n = o->zcap;

		if (lzo1x_1_compress(page, size, o->zbuf, &n, o->wrk) != LZO_E_OK)
			return kho_error_set(o->err, KHO_ERR_SYSTEM, "lzo1x_1_compress failed");
		len = n;
	}
	if (len >= size) {          /* as makedumpfile: kept as is */
		data = page;
		len = size;
		flags = 0;
	}
	memset(desc, 0, DESC_SIZE);
	store_u64(desc, o->off, false);
	store_u32(desc + 8, len, false);
	store_u32(desc + 12, flags, false);
	if (kd_pwrite(o, data, len, o->off))
		return o->err->status;
	o->off += len;
	return KHO_OK;
}

static enum kho_status write_big_page_kdump(struct kho_ref *ref, int fd, bool lzo,
					    struct kho_error *err)
{
	bool arm = ref->cfg.arch == KHO_ARCH_AARCH64;
	uint64_t page = ref->geo.page_size, top = mem_ram_top(&ref->mem), max_mapnr, ndumped = 0;
	uint64_t bitmap_len, bitmap_blocks, sub_blocks, desc_off, k = 0;
	size_t note_len, info_off, info_len;
	_cleanup_free_ uint8_t *hdr = NULL, *bmp = NULL, *desc = NULL, *zero = NULL;
	_cleanup_free_ uint8_t *zbuf = NULL, *wrk = NULL;
	uint8_t notes[2048], zdesc[DESC_SIZE];
	struct kd_out o = { .fd = fd, .flag = lzo ? PAGE_LZO : PAGE_ZLIB, .err = err };
	enum kho_status st;

	if (lzo && lzo_init() != LZO_E_OK)
		return kho_error_set(err, KHO_ERR_SYSTEM, "lzo_init failed");
	max_mapnr = (top + page - 1) / page;
	note_len = ref_vmcore_notes(ref, KHO_IMAGE_KDUMP, true, notes, sizeof(notes), &info_off,
				    &info_len);
	if (!note_len)
		return kho_error_set(err, KHO_ERR_SYSTEM, "building the kdump notes");
	sub_blocks = (SH_SIZE + note_len + page - 1) / page;
	bitmap_len = (max_mapnr + 8 * page - 1) / (8 * page) * page;
	bitmap_blocks = bitmap_len / page * 2;
	desc_off = page * (1 + sub_blocks + bitmap_blocks);

	hdr = calloc(1, page * (1 + sub_blocks));
	bmp = calloc(2, bitmap_len);
	zero = calloc(1, page);
	o.zcap = (size_t)MAX(compressBound(page), page + page / 16 + 64 + 3);
	zbuf = o.zbuf = malloc(o.zcap);
	wrk = o.wrk = lzo ? malloc(LZO1X_1_MEM_COMPRESS) : NULL;
	if (!hdr || !bmp || !zero || !zbuf || (lzo && !wrk))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");

	/* The bitmaps: RAM pages (merged at boot: each comes once); those not excluded. */
	for (size_t i = 0; i < ref->mem.ram.n; i++) {
		const struct kho_range *r = &ref->mem.ram.v[i];

		for (uint64_t pfn = r->start / page; pfn * page < range_end(r); pfn++) {
			bmp[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
			if (range_list_first_overlap(&ref->excluded, pfn * page, page) == UINT64_MAX) {
				bmp[bitmap_len + pfn / 8] |= (uint8_t)(1u << (pfn % 8));
				ndumped++;
			}
		}
	}

	memcpy(hdr, "KDUMP   ", 8);
	store_u32(hdr + DH_VERSION, 6, false);
	{
		static const char *uts[6] = { "Linux", "kho-mkimage", "7.1.0-kho-mkimage",
					      "#1", NULL, "(none)" };

		for (int f = 0; f < 6; f++)
			snprintf((char *)hdr + DH_UTSNAME + 65 * f, 65, "%s",
				 f == 4 ? (arm ? "aarch64" : "x86_64") : uts[f]);
	}
	store_u32(hdr + DH_STATUS, o.flag, false);
	store_u32(hdr + DH_BLOCK_SIZE, page, false);
	store_u32(hdr + DH_SUB_HDR_SIZE, sub_blocks, false);
	store_u32(hdr + DH_BITMAP_BLOCKS, bitmap_blocks, false);
	store_u32(hdr + DH_MAX_MAPNR, MIN(max_mapnr, UINT32_MAX), false);
	store_u32(hdr + DH_NR_CPUS, 1, false);
	{
		uint8_t *sh = hdr + page;
		uint64_t note_at = page + SH_SIZE;

		store_u64(sh + SH_VMCOREINFO, note_at + info_off, false);
		store_u64(sh + SH_VMCOREINFO + 8, info_len, false);
		store_u64(sh + SH_NOTE, note_at, false);
		store_u64(sh + SH_NOTE + 8, note_len, false);
		store_u64(sh + SH_MAX_MAPNR_64, max_mapnr, false);
		memcpy(sh + SH_SIZE, notes, note_len);
	}
	if ((st = kd_pwrite(&o, hdr, page * (1 + sub_blocks), 0)) ||
	    (st = kd_pwrite(&o, bmp, 2 * bitmap_len, page * (1 + sub_blocks))))
		return st;

	/* The data after every descriptor, the shared zero page first. */
	desc = malloc(ndumped ? ndumped * DESC_SIZE : 1);
	if (!desc)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	o.off = desc_off + ndumped * DESC_SIZE;
	if ((st = kd_page(&o, zero, page, zdesc)))
		return st;
	for (uint64_t pfn = 0; pfn < max_mapnr; pfn++) {
		const uint8_t *data;

		if (!(bmp[bitmap_len + pfn / 8] & (1u << (pfn % 8))))
			continue;
		data = mem_page(&ref->mem, pfn * page, false, NULL);
		if (!data || !memcmp(data, zero, page))
			memcpy(desc + k * DESC_SIZE, zdesc, DESC_SIZE);
		else if ((st = kd_page(&o, data, page, desc + k * DESC_SIZE)))
			return st;
		k++;
	}
	if ((st = kd_pwrite(&o, desc, ndumped * DESC_SIZE, desc_off)))
		return st;
	if (ftruncate(fd, (off_t)o.off))
		return kho_error_errno(err, "sizing kdump image");
	return KHO_OK;
}

enum kho_status ref_write_kdump(struct kho_ref *ref, const char *path, bool lzo,
				struct kho_error *err)
{
	char tool[4200], elf[4200], dump[4200];
	char *argv[] = { tool, lzo ? "-l" : "-c", "-d", "0", elf, dump, NULL };
	posix_spawn_file_actions_t fa;
	enum kho_status st;
	pid_t pid;
	int fd, status;

	if (ref->geo.page_size != 4096) {
		snprintf(dump, sizeof(dump), "%s.tmp-kdump-XXXXXX", path);
		fd = mkstemp(dump);
		if (fd < 0)
			return kho_error_errno(err, "%s", dump);
		return ref_tmp_commit(fd, dump, path, write_big_page_kdump(ref, fd, lzo, err),
				      err);
	}
	if (!find_makedumpfile(tool, sizeof(tool)))
		return kho_error_set(err, KHO_ERR_NOTIMPL,
				     "makedumpfile is not installed; no kdump image");
	snprintf(elf, sizeof(elf), "%s.tmp-elf-XXXXXX", path);
	fd = mkstemp(elf);
	if (fd < 0)
		return kho_error_errno(err, "%s", elf);
	st = ref_write_elf(ref, fd, KHO_IMAGE_ELF, false, err);
	close(fd);
	/* makedumpfile will not write over an existing file. */
	snprintf(dump, sizeof(dump), "%s.tmp-kdump-%d", path, (int)getpid());
	unlink(dump);
	if (!st) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, tool, &fa, NULL, argv, environ)) {
			st = kho_error_errno(err, "running makedumpfile");
		} else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
			   WEXITSTATUS(status)) {
			st = kho_error_set(err, KHO_ERR_SYSTEM,
					   "makedumpfile %s -d 0 failed on %s", argv[1], elf);
		} else if (chmod(dump, 0644) || rename(dump, path)) {
			st = kho_error_errno(err, "renaming to %s", path);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	unlink(elf);
	unlink(dump);
	return st;
}
