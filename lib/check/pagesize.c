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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

static const enum kho_check_id structural[] = {
	KHO_CHECK_FDT_HEADER, KHO_CHECK_FDT_MEMORY_MAP, KHO_CHECK_FDT_NOT_PRESERVED,
	KHO_CHECK_RADIX_POINTER, KHO_CHECK_RADIX_LOOP, KHO_CHECK_RADIX_KEY_WIDTH,
	KHO_CHECK_RADIX_DEPTH, KHO_CHECK_V1_CHUNK, KHO_CHECK_V1_BITMAP,
};

/* How one page size reads a dump's best handover, for the user to choose. */
struct reading {
	int level;             /* 0 no FDT, 1 FDT unreadable, 2 tree unreadable, 3 read */
	size_t errors;         /* structural errors, at level 3 */
	const char *first;     /* the first one's check */
	bool root_outside;     /* the map's root is not memory of the dump */
};

/* The structural errors of @in into @r (errors only: what the dump lacks,
 * incomplete, says nothing of the page size). returns: whether none. */
static bool consistent(const struct kho_inspection *in, struct reading *r)
{
	r->level = !in->ho.fdt_ok ? 1 : !in->ho.map_ok || !in->walked ? 2 : 3;
	r->errors = 0;
	r->first = NULL;
	for (size_t i = 0; i < in->findings.n; i++)
		for (size_t k = 0; k < sizeof(structural) / sizeof(*structural); k++)
			if (in->findings.v[i].severity == KHO_SEV_ERROR &&
			    kho_check_index(in->findings.v[i].check) == structural[k]) {
				r->errors++;
				r->first = r->first ? r->first : in->findings.v[i].check->name;
				r->root_outside |= structural[k] == KHO_CHECK_RADIX_POINTER &&
						   in->findings.v[i].phys == in->ho.map_phys;
			}
	if (r->root_outside && r->level == 3)
		r->level = 2;          /* the tree itself was not there to read */
	return r->level == 3 && !r->errors;
}

static void describe(char *buf, size_t len, uint64_t page, const struct reading *r)
{
	size_t used = strlen(buf);

	if (used >= len)
		return;
	snprintf(buf + used, len - used, "%s%llu KiB: %s", used ? "; " : "",
		 (unsigned long long)page / 1024,
		 r->level == 0 ? "no KHO FDT" : r->level == 1 ? "FDT unreadable" :
		 r->level == 2 ? "FDT read, tree unreadable" : "");
	used = strlen(buf);
	if (r->level == 3 && used < len)
		snprintf(buf + used, len - used, "FDT and tree read, %zu structural error%s (%s)",
			 r->errors, r->errors == 1 ? "" : "s", r->first ? r->first : "none");
}

/* Whether a handover of @src (the one at @fdt, or one of the @n candidates
 * @c a scan found) reads consistently with @src's page size; @best is the
 * best reading: the furthest, then the one with fewest errors. */
static bool fits(struct kho_source *src, uint64_t fdt, const struct kho_candidate *c,
		 size_t n, struct reading *best, struct kho_error *err)
{
	bool yes = false;

	*best = (struct reading){ 0 };
	for (size_t i = 0; i < (fdt ? 1 : n) && i < 16 && !yes; i++) {
		struct kho_inspection in;
		struct reading r = { .level = 1 };

		if (kho_inspect(src, fdt ? fdt : c[i].phys, NULL, &in, err) == KHO_OK)
			yes = consistent(&in, &r);
		if (r.level > best->level || (r.level == best->level && r.errors < best->errors))
			*best = r;
		kho_inspection_free(&in);
	}
	return yes;
}

const uint64_t kho_page_sizes[KHO_SCAN_SIZES] = { 4096, 16384, 65536 };

enum kho_status kho_detect_page_size(struct kho_source *src, uint64_t raw_base, uint64_t fdt,
				     struct kho_page_size_probe *p, struct kho_error *err)
{
	uint64_t was = kho_source_page_size(src);
	enum kho_status st = KHO_OK;

	memset(p, 0, sizeof(*p));
	kho_source_try_page_size(src, kho_page_sizes[0]);
	if (!fdt)       /* the candidates at each page size, in one pass */
		st = kho_scan_sizes(src, kho_page_sizes, KHO_SCAN_SIZES, p->cands, p->ncands,
				    NULL, NULL, err);
	for (size_t i = 0; !st && i < KHO_SCAN_SIZES; i++) {
		struct reading r;

		kho_source_try_page_size(src, kho_page_sizes[i]);
		if (fits(src, fdt, p->cands[i], p->ncands[i], &r, err))
			p->sizes[p->n++] = kho_page_sizes[i];
		if (r.level) {
			p->finding++;
			p->found_by = kho_page_sizes[i];
		}
		describe(p->why, sizeof(p->why), kho_page_sizes[i], &r);
		p->root_outside |= r.root_outside;
	}
	kho_source_try_page_size(src, was);
	/* a raw image whose byte 0 is not physical 0: its FDT is found by
	 * content, but the root its physical pointer names is not in it */
	p->root_outside &= kho_source_kind(src) == KHO_KIND_RAW && !raw_base;
	return st;
}

KHO_EXPORT enum kho_status kho_source_detect_page_size(const char *path,
						       const struct kho_source_opts *o,
						       uint64_t fdt, uint64_t *page_size,
						       struct kho_error *err)
{
	struct kho_source_opts mine = o ? *o : (struct kho_source_opts){ 0 };
	struct kho_page_size_probe p;
	struct kho_source *src;
	enum kho_status st;

	*page_size = 0;
	mine.page_size = kho_page_sizes[0];
	if ((st = kho_source_open(path, &mine, &src, err)))
		return st;
	st = kho_detect_page_size(src, mine.raw_base, fdt, &p, err);
	kho_source_close(src);
	for (size_t i = 0; i < KHO_SCAN_SIZES; i++)
		free(p.cands[i]);
	if (st)
		return st;
	if (p.n > 1)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the dump does not record its page "
				     "size, and its handover reads consistently with %llu and "
				     "%llu bytes: give the page size", path,
				     (unsigned long long)p.sizes[0], (unsigned long long)p.sizes[1]);
	*page_size = p.n ? p.sizes[0] : 0;
	return KHO_OK;
}
