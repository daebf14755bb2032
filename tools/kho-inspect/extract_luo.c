// SPDX-License-Identifier: MIT
/*
 * extract: each memfd of the LUO state rebuilt from its folios, as
 * DIR/luo/SESSION/TOKEN.memfd (docs/luo.md): `size` bytes, each folio's
 * pages at its index, zeros where no folio is. What a person recovering
 * data after a failed live update wants; a page the dump lacks is written
 * as zeros and said so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"

#define HEX(x) ((unsigned long long)(x))

/* mkdir -p of @path's directories (not its last component). */
static int make_dirs(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *c = strchr(p + 1, '/'); c; c = strchr(c + 1, '/')) {
		*c = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return 0;
}

static int write_memfd(const struct options *o, struct kho_source *src, uint64_t page,
		       const char *session, const struct kho_luo_file *fl)
{
	const struct kho_luo_memfd *m = fl->memfd;
	char rel[512], path[4096], tmp[4200];
	uint8_t *buf = malloc(page);
	size_t lost = 0;
	int fd = -1;

	kho_luo_memfd_path(rel, sizeof(rel), session, fl->token);
	snprintf(path, sizeof(path), "%s/%s", o->outdir, rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	if (!buf || make_dirs(path) || (fd = mkstemp(tmp)) < 0 || ftruncate(fd, (off_t)m->size))
		goto fail;
	for (size_t i = 0; i < m->nfolios; i++) {
		const struct kho_luo_folio *fo = &m->folios[i];
		uint64_t pages = fo->order >= 0 ? 1ull << fo->order : 1;
		struct kho_error err;

		for (uint64_t k = 0; k < pages; k++) {
			uint64_t at = (fo->index + k) * page;
			size_t n;

			if (fo->index + k < fo->index || at / page != fo->index + k || at >= m->size)
				break;
			n = (size_t)(m->size - at < page ? m->size - at : page);
			if (kho_source_read(src, (fo->pfn + k) * page, buf, n, &err)) {
				lost++;
				continue;
			}
			if (pwrite(fd, buf, n, (off_t)at) != (ssize_t)n)
				goto fail;
		}
	}
	if (fchmod(fd, 0644) || close(fd) || rename(tmp, path)) {
		fd = -1;
		goto fail;
	}
	if (lost)
		fprintf(stderr, "kho-inspect: %s: %s: %zu folio pages are not in the dump: "
			"written as zeros\n", o->dump, path, lost);
	printf("%s\n", path);
	free(buf);
	return 0;
fail:
	fprintf(stderr, "kho-inspect: %s: %s\n", path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(buf);
	return 2;
}

int extract_luo(const struct options *o, struct kho_source *src,
		const struct kho_inspection *in)
{
	for (size_t i = 0; i < in->luo.nsessions; i++)
		for (size_t j = 0; j < in->luo.session[i].nfiles; j++)
			if (in->luo.session[i].file[j].memfd &&
			    write_memfd(o, src, in->geo.page_size, in->luo.session[i].name,
					&in->luo.session[i].file[j]))
				return 2;
	return 0;
}
