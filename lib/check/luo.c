// SPDX-License-Identifier: MIT
/*
 * The LUO checks that need the map (docs/luo.md): every extent the LUO
 * state names is preserved (luo-not-preserved), and every memfd folio is
 * memory, inside its file, apart from the other folios, and the start of
 * a preserved key, whose order is the folio's: the next kernel restores
 * a folio from the key at its pfn, so a key that merely covers it will
 * not do.
 */
#include "kho/luo.h"

#include <stdlib.h>

#include "../util/util.h"
#include "checks.h"

void check_luo_cover(const struct kho_inspection *in, struct cover *c)
{
	uint64_t page = in->geo.page_size;
	const struct kho_subtree *root = NULL;

	for (size_t i = 0; i < in->ho.nsubtrees; i++)
		if (in->ho.subtrees[i].phys == in->luo.phys && !strcmp(in->ho.subtrees[i].name, "LUO"))
			root = &in->ho.subtrees[i];
	/* luo_core.c (7.2.13, 7.3-rc7) frees the root with kho_restore_free() */
	if (in->luo.format == KHO_LUO_V5 && root && root->usable)
		cover_need(c, &(struct need){ .a = root->phys, .b = root->phys + 1,
					      .what = "LUO root", .index = -1, .key = -1,
					      .check = KHO_CHECK_COUNT });
	for (size_t i = 0; i < in->luo.nextents; i++) {
		const struct kho_luo_extent *x = &in->luo.extent[i];
		uint64_t end = x->phys + x->size < x->phys ? UINT64_MAX : x->phys + x->size;

		cover_need(c, &(struct need){ .a = x->phys, .b = end, .len = x->size,
					      .pre = "LUO: ", .what = x->what, .index = -1,
					      .key = x->key == KHO_LUO_COVERED ? NEED_NO_KEY :
						     x->key == KHO_LUO_ANY_KEY ? -1 : x->key,
					      .check = KHO_CHECK_LUO_NOT_PRESERVED });
	}
	for (size_t i = 0; i < in->luo.nsessions; i++)
		for (size_t j = 0; j < in->luo.session[i].nfiles; j++) {
			const struct kho_luo_memfd *m = in->luo.session[i].file[j].memfd;

			for (size_t k = 0; m && k < m->nfolios; k++)
				if (m->folios[k].pfn && m->folios[k].pfn <= UINT64_MAX / page - 1)
					cover_need(c, &(struct need){
						.a = m->folios[k].pfn * page,
						.b = m->folios[k].pfn * page + page,
						.key = NEED_NO_KEY, .check = KHO_CHECK_COUNT });
		}
}

struct span {
	uint64_t lo, hi;        /* file pages [lo, hi) */
	size_t at;              /* the folio's place in the array */
};

static int by_lo(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo != y->lo ? (x->lo > y->lo) - (x->lo < y->lo) : (x->at > y->at) - (x->at < y->at);
}

/* Folios of one memfd whose file pages overlap: the later record is named
 * and marked in @bad. */
static void overlaps(const struct kho_luo_session *s, const struct kho_luo_file *fl,
		     struct span *v, size_t n, bool *bad, struct kho_findings *f)
{
	uint64_t end = 0;
	size_t holder = 0;

	qsort(v, n, sizeof(*v), by_lo);
	for (size_t i = 0; i < n; i++) {
		if (i && v[i].lo < end) {
			size_t later = MAX(v[i].at, holder), earlier = MIN(v[i].at, holder);

			if (!bad[later])
				kho_flag(f, KHO_CHECK_LUO_MEMFD, fl->memfd->folios[later].record,
					 "LUO memfd 0x%llx (session \"%s\"): folio %zu overlaps "
					 "folio %zu in the file", HEX(fl->token), s->name, later,
					 earlier);
			bad[later] = true;
		}
		if (v[i].hi > end) {
			end = v[i].hi;
			holder = v[i].at;
		}
	}
}

/*
 * A memfd's folios: their records first (memory, inside the file), then
 * their keys and orders, then overlaps in the file; a folio already found
 * wrong is not also reported as not preserved (docs/luo.md).
 */
static void check_memfd(struct kho_source *src, const struct kho_inspection *in,
			struct cover *c, const struct kho_luo_session *s,
			const struct kho_luo_file *fl, struct kho_findings *f)
{
	struct kho_luo_memfd *m = fl->memfd;
	uint64_t page = in->geo.page_size, pages = m->size / page + !!(m->size % page), run;
	_cleanup_free_ struct span *v = malloc((m->nfolios ? m->nfolios : 1) * sizeof(*v));
	_cleanup_free_ bool *bad = calloc(m->nfolios ? m->nfolios : 1, sizeof(*bad));
	_cleanup_free_ int *order = malloc((m->nfolios ? m->nfolios : 1) * sizeof(*order));
	size_t n = 0;

	if (!v || !bad || !order) {
		f->oom = true;
		return;
	}
	for (size_t i = 0; i < m->nfolios; i++) {
		struct kho_luo_folio *fo = &m->folios[i];

		/* memfd_luo_retrieve_folios() (7.2.13, 7.3-rc7) skips a record
		 * whose pfn is 0: no folio, nothing to check. It still counts
		 * in nr_folios, the length of the array. */
		if (!fo->pfn) {
			bad[i] = true;
			order[i] = -1;
			continue;
		}
		if (fo->flags & ~3u)
			kho_flag(f, KHO_CHECK_LUO_MEMFD, fo->record,
				 "LUO memfd 0x%llx (session \"%s\"): "
				 "folio %zu has unknown flag bits 0x%x", HEX(fl->token), s->name,
				 i, fo->flags & ~3u);
		if (fo->pfn > UINT64_MAX / page ||
		    kho_source_state(src, fo->pfn * page, &run) == KHO_MEM_ABSENT) {
			kho_flag(f, KHO_CHECK_LUO_MEMFD, fo->record,
				 "LUO memfd 0x%llx (session \"%s\"): "
				 "folio %zu at pfn 0x%llx is not memory", HEX(fl->token), s->name,
				 i, HEX(fo->pfn));
			bad[i] = true;
			continue;
		}
		if (fo->index >= pages) {
			kho_flag(f, KHO_CHECK_LUO_MEMFD, fo->record,
				 "LUO memfd 0x%llx (session \"%s\"): "
				 "folio %zu holds file page 0x%llx, beyond the size 0x%llx",
				 HEX(fl->token), s->name, i, HEX(fo->index), HEX(m->size));
			bad[i] = true;
			continue;
		}
		order[i] = key_order_at(src, in, fo->pfn * page);
		fo->order = MAX(order[i], -1);
		v[n++] = (struct span){ fo->index,
					fo->index + (order[i] >= 0 ? 1ull << order[i] : 1), i };
	}
	overlaps(s, fl, v, n, bad, f);
	for (size_t i = 0; i < m->nfolios; i++) {
		uint64_t phys = m->folios[i].pfn * page;

		if (bad[i] || order[i] >= 0)
			continue;
		/* covered: the union is kept here, where check_luo_cover() asked */
		if (order[i] == -1 && m->folios[i].pfn < UINT64_MAX / page &&
		    cover_first_gap(c, phys, phys + page) == phys + page)
			kho_flag(f, KHO_CHECK_BLOB_KEY_START, phys,
				 "LUO memfd 0x%llx (session \"%s\"): folio %zu at 0x%llx (file "
				 "page 0x%llx) is covered by a larger key but none starts there: "
				 "kho_restore_folio() refuses it", HEX(fl->token), s->name, i,
				 HEX(phys), HEX(m->folios[i].index));
		else if (order[i] == -1)
			kho_flag(f, KHO_CHECK_LUO_NOT_PRESERVED, phys,
				 "LUO memfd 0x%llx (session \"%s\"): "
				 "folio %zu at 0x%llx (file page 0x%llx) is not the start of a "
				 "preserved key", HEX(fl->token), s->name, i, HEX(phys),
				 HEX(m->folios[i].index));
		else
			kho_flag_sev(f, KHO_CHECK_LUO_NOT_PRESERVED, KHO_SEV_INCOMPLETE, phys,
				     "LUO memfd "
				     "0x%llx (session \"%s\"): folio %zu at 0x%llx: the map could "
				     "not be read far enough to find its key", HEX(fl->token),
				     s->name, i, HEX(phys));
	}
}

void check_luo_folios(struct kho_source *src, const struct kho_inspection *in,
		      struct cover *c, struct kho_findings *f)
{
	for (size_t i = 0; i < in->luo.nsessions; i++)
		for (size_t j = 0; j < in->luo.session[i].nfiles; j++)
			if (in->luo.session[i].file[j].memfd)
				check_memfd(src, in, c, &in->luo.session[i],
					    &in->luo.session[i].file[j], f);
}
