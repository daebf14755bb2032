// SPDX-License-Identifier: MIT
/*
 * OUTDIR/NAME.luo/SESSION/TOKEN.memfd: what each preserved memfd holds
 * (docs/luo.md "Extracted memfds"), so that `kho-inspect extract` can be
 * compared with it byte for byte: `size` bytes, each folio's pages at
 * index * P, zeros (holes) elsewhere. The tree is built under a temporary
 * name and renamed into place only when complete, like every output.
 */
#include "ref_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"

/* Every byte outside [A-Za-z0-9._-], and a leading '.', as %XX. */
static void escape(const char *name, char *out, size_t len)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789._-";
	size_t o = 0;

	for (const unsigned char *c = (const unsigned char *)name; *c && o + 4 < len; c++) {
		if (strchr(ok, *c) && !(*c == '.' && c == (const unsigned char *)name))
			out[o++] = (char)*c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", *c);
	}
	out[o] = '\0';
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static enum kho_status write_memfd(struct kho_ref *ref, const char *path,
				   const struct luo_file *f, struct kho_error *err)
{
	uint64_t p = ref->geo.page_size;
	_cleanup_free_ uint8_t *page = malloc(p);
	enum kho_status st = KHO_OK;
	int fd;

	if (!page)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return kho_error_errno(err, "%s", path);
	if (ftruncate(fd, (off_t)f->size))
		st = kho_error_errno(err, "%s: sizing", path);
	for (size_t i = 0; !st && i < f->nfolios; i++) {
		const struct luo_folio *fo = &f->folios[i];

		for (uint64_t k = 0; !st && k < ((uint64_t)1 << fo->order); k++) {
			uint64_t off = (fo->index + k) * p;
			size_t n = (size_t)MIN(p, f->size > off ? f->size - off : 0);

			if (!n)
				break;
			mem_read(&ref->mem, fo->phys + k * p, page, n);
			if (pwrite(fd, page, n, (off_t)off) != (ssize_t)n)
				st = kho_error_errno(err, "%s: writing", path);
		}
	}
	if (close(fd) && !st)
		st = kho_error_errno(err, "%s: closing", path);
	return st;
}

static enum kho_status write_tree(struct kho_ref *ref, const char *dir, struct kho_error *err)
{
	const struct ref_luo *l = ref->luo;
	char name[LUO_NAME_LEN * 3 + 1], path[4400];
	enum kho_status st;

	for (size_t i = 0; i < l->ns; i++) {
		const struct luo_session *s = &l->s[i];
		bool made = false;

		escape(s->name, name, sizeof(name));
		for (size_t k = 0; k < s->nfiles; k++) {
			if (!s->files[k].memfd)
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
				return kho_error_set(err, KHO_ERR_INVALID, "%s: path too long", dir);
			if (!made && mkdir(path, 0755))
				return kho_error_errno(err, "%s", path);
			made = true;
			if (snprintf(path, sizeof(path), "%s/%s/0x%llx.memfd", dir, name,
				     (unsigned long long)s->files[k].token) >= (int)sizeof(path))
				return kho_error_set(err, KHO_ERR_INVALID, "%s: path too long", dir);
			if ((st = write_memfd(ref, path, &s->files[k], err)))
				return st;
		}
	}
	return KHO_OK;
}

enum kho_status luo_write_memfds(struct kho_ref *ref, const char *path,
				 struct kho_error *err)
{
	char tmp[4200];
	enum kho_status st;

	if (!ref->luo)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the image has no LUO state", path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp))
		return kho_error_set(err, KHO_ERR_INVALID, "%s: path too long", path);
	if (!mkdtemp(tmp))
		return kho_error_errno(err, "%s", tmp);
	st = write_tree(ref, tmp, err);
	if (!st && chmod(tmp, 0755))
		st = kho_error_errno(err, "%s", tmp);
	/* A tree from an earlier run is swapped out whole, then removed. */
	if (!st && rename(tmp, path)) {
		if ((errno != ENOTEMPTY && errno != EEXIST) ||
		    renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE))
			st = kho_error_errno(err, "%s: renaming", path);
	}
	nftw(tmp, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return st;
}
