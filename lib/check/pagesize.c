// SPDX-License-Identifier: MIT
/*
 * A dump that does not say its page size (a raw image, an ELF without
 * VMCOREINFO): read as 4 KiB, a 16 KiB handover gives dozens of bogus
 * errors, a silent wrong verdict. So each KHO page size is tried on the
 * handovers a scan finds, and kept when one of them reads without a
 * structural finding: FDT, memory map, tree pointers, key width, depth,
 * the FDT page's own key. A handover is built for one page size; read
 * with another, its pointers stop being aligned, its root entries go
 * past the key width and its FDT page is not a key.
 */
#include "kho/verify.h"

#include <stdlib.h>

#include "../util/util.h"

static const enum kho_check_id structural[] = {
	KHO_CHECK_FDT_HEADER, KHO_CHECK_FDT_MEMORY_MAP, KHO_CHECK_FDT_NOT_PRESERVED,
	KHO_CHECK_RADIX_POINTER, KHO_CHECK_RADIX_LOOP, KHO_CHECK_RADIX_KEY_WIDTH,
	KHO_CHECK_RADIX_DEPTH, KHO_CHECK_V1_CHUNK, KHO_CHECK_V1_BITMAP,
};

static bool consistent(const struct kho_inspection *in)
{
	if (!in->ho.fdt_ok || !in->ho.map_ok || !in->walked)
		return false;
	/* errors only: what the dump lacks (incomplete) says nothing of the
	 * page size */
	for (size_t i = 0; i < in->findings.n; i++)
		for (size_t k = 0; k < sizeof(structural) / sizeof(*structural); k++)
			if (in->findings.v[i].severity == KHO_SEV_ERROR &&
			    kho_check_index(in->findings.v[i].check) == structural[k])
				return false;
	return true;
}

/* Whether a handover of @src (the one at @fdt, or one a scan finds)
 * reads consistently with @src's page size. */
static enum kho_status fits(struct kho_source *src, uint64_t fdt, bool *yes,
			    struct kho_error *err)
{
	struct kho_candidate *c = NULL;
	size_t n = 0;
	enum kho_status st;

	*yes = false;
	if (fdt) {
		struct kho_inspection in;

		if (kho_inspect(src, fdt, NULL, &in, err) == KHO_OK)
			*yes = consistent(&in);
		kho_inspection_free(&in);
		return KHO_OK;
	}
	if ((st = kho_scan(src, &c, &n, NULL, NULL, err)))
		return st;
	for (size_t i = 0; i < n && i < 16 && !*yes; i++) {
		struct kho_inspection in;

		if (kho_inspect(src, c[i].phys, NULL, &in, err) == KHO_OK)
			*yes = consistent(&in);
		kho_inspection_free(&in);
	}
	free(c);
	return KHO_OK;
}

enum kho_status kho_detect_page_size(const char *path,
				     const struct kho_source_opts *o, uint64_t fdt,
				     uint64_t *sizes, size_t *n,
				     struct kho_error *err)
{
	static const uint64_t tried[] = { 4096, 16384, 65536 };
	struct kho_source_opts mine = o ? *o : (struct kho_source_opts){ 0 };

	*n = 0;
	for (size_t i = 0; i < sizeof(tried) / sizeof(*tried); i++) {
		struct kho_source *src;
		enum kho_status st;
		bool yes;

		mine.page_size = tried[i];
		if ((st = kho_source_open(path, &mine, &src, err)))
			return st;
		st = fits(src, fdt, &yes, err);
		kho_source_close(src);
		if (st)
			return st;
		if (yes)
			sizes[(*n)++] = tried[i];
	}
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_source_detect_page_size(const char *path,
						       const struct kho_source_opts *o,
						       uint64_t fdt, uint64_t *page_size,
						       struct kho_error *err)
{
	uint64_t sizes[3];
	size_t n;
	enum kho_status st = kho_detect_page_size(path, o, fdt, sizes, &n, err);

	*page_size = 0;
	if (st)
		return st;
	if (n > 1)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the dump does not record its page "
				     "size, and its handover reads consistently with %llu and "
				     "%llu bytes: give the page size", path,
				     (unsigned long long)sizes[0], (unsigned long long)sizes[1]);
	*page_size = n ? sizes[0] : 0;
	return KHO_OK;
}
