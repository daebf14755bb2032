// SPDX-License-Identifier: MIT
/*
 * extract -o DIR: fdt.dtb, one NAME.bin per sub-blob, scratch.bin (the
 * scratch areas as struct kho_scratch[]), ranges.json and each LUO memfd
 * (extract_luo.c). Each file is
 * written to a temporary name and renamed when complete.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"

#define BLOB_MAX (64u << 20)

int write_out_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096], tmp[4200];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "kho-inspect: %s: %s\n", path, strerror(errno));
		return 2;
	}
	if ((len && fwrite(buf, 1, len, f) != len) | fclose(f) || chmod(tmp, 0644) ||
	    rename(tmp, path)) {
		fprintf(stderr, "kho-inspect: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return 2;
	}
	printf("%s\n", path);
	return 0;
}

/* -o DIR: made if missing (its parent must exist). returns: 0 or 2. */
/* -o DIR and its missing parents, as mkdir -p; a clear error otherwise. */
int make_out_dir(const char *dir)
{
	char p[4096];
	struct stat sb;

	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p)) {
		fprintf(stderr, "kho-inspect: %.200s...: path too long\n", dir);
		return 2;
	}
	for (char *c = strchr(p + 1, '/'); c; c = strchr(c + 1, '/')) {
		*c = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			fprintf(stderr, "kho-inspect: %s: cannot create %s: %s\n", dir, p,
				strerror(errno));
			return 2;
		}
		*c = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "kho-inspect: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "kho-inspect: %s: not a directory\n", dir);
		return 2;
	}
	return 0;
}

/*
 * A sub-node name as a file name ending in @ext: [A-Za-z0-9._,+-] as they
 * are, any other byte _xNN (as fdt writes such a name in DTS, where \xNN
 * cannot be), a leading '.' too.
 */
void out_file_name(const char *name, const char *ext, char *out, size_t len)
{
	size_t i = 0;

	for (size_t k = 0; name[k] && i + strlen(ext) + 5 < len; k++) {
		unsigned char c = (unsigned char)name[k];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '_' || (strchr("._,+-", c) && (k || c != '.')))
			out[i++] = (char)c;
		else
			i += (size_t)snprintf(out + i, len - i, "_x%02x", c);
	}
	snprintf(out + i, len - i, "%s", ext);
}

int cmd_extract(const struct options *o, struct kho_source *src, const struct kho_inspection *in)
{
	struct kho_error err;
	json_t *ranges;
	char *text;
	int rc;

	if ((rc = make_out_dir(o->outdir)))
		return rc;
	rc = write_out_file(o->outdir, "fdt.dtb", in->ho.fdt,
			in->ho.fdt_size && in->ho.fdt_size <= kho_source_page_size(src) ?
			in->ho.fdt_size : kho_source_page_size(src));
	for (size_t i = 0; !rc && i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];
		char name[80];
		uint8_t *buf;

		if (!t->phys || !t->size || t->size > BLOB_MAX)
			continue;
		/* a consumed handover's other blobs were freed by the successor */
		if (in->consumed && !kho_subtree_kept_when_consumed(t))
			continue;
		buf = malloc(t->size);
		if (!buf)
			return 2;
		out_file_name(t->name, ".bin", name, sizeof(name));
		if (kho_source_read(src, t->phys, buf, t->size, &err))
			fprintf(stderr, "kho-inspect: %s: sub-node %s: %s (written with zeros)\n",
				o->dump, t->name, err.msg);
		rc = write_out_file(o->outdir, name, buf, t->size);
		free(buf);
	}
	if (!rc) {
		uint8_t *buf = calloc(in->ho.nscratch ? in->ho.nscratch : 1, 16);

		for (size_t i = 0; buf && i < in->ho.nscratch; i++) {
			memcpy(buf + i * 16, &in->ho.scratch[i].phys, 8);
			memcpy(buf + i * 16 + 8, &in->ho.scratch[i].size, 8);
		}
		rc = buf ? write_out_file(o->outdir, "scratch.bin", buf, in->ho.nscratch * 16) : 2;
		free(buf);
	}
	if (rc)
		return rc;
	ranges = json_array();
	for (size_t i = 0; i < in->nruns; i++) {
		uint64_t size = kho_order_bytes(&in->geo, in->runs[i].order);

		for (uint64_t k = 0; k < in->runs[i].count; k++) {
			char p[24], s[24];

			snprintf(p, sizeof(p), "0x%llx", (unsigned long long)(in->runs[i].phys + k * size));
			snprintf(s, sizeof(s), "0x%llx", (unsigned long long)size);
			json_array_append_new(ranges, json_pack("{s:s, s:i, s:s}", "phys", p,
								"order", (int)in->runs[i].order,
								"size", s));
		}
	}
	text = json_dumps(ranges, JSON_INDENT(2));
	json_decref(ranges);
	rc = text ? write_out_file(o->outdir, "ranges.json", text, strlen(text)) : 2;
	free(text);
	return rc ? rc : extract_luo(o, src, in);
}
