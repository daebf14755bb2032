// SPDX-License-Identifier: MIT
/*
 * whatis ADDR DUMP: everything the handover says about one address, as
 * drgn's identify_address or crash's kmem ADDR do for the kernel's own
 * structures: whether the dump holds it, the keys that preserve it, and
 * what owns it (the FDT page, a tree page, a sub-blob, a reserve-mem
 * region, a LUO block, record or folio, a scratch area).
 */
#include <string.h>

#include "inspect.h"
#include "print.h"

#define HEX(x) ((unsigned long long)(x))

static bool inside(uint64_t a, uint64_t phys, uint64_t size)
{
	return a >= phys && a - phys < size;
}

static void owner(const char *kind, uint64_t phys, uint64_t size, const char *fmt,
		  const char *what)
{
	pr_obj_open(NULL);
	pr_str("kind", "  %-13s", kind);
	pr_hex("phys", " 0x%llx", phys);
	pr_hex("size", "+0x%llx", size);
	pr_str("what", fmt, what);
	pr_text("\n");
	pr_obj_close();
}

/* Every key whose block holds @a, one lookup per order. */
static void keys(struct kho_source *src, const struct kho_inspection *in, uint64_t a)
{
	const struct kho_geometry *g = &in->geo;

	for (unsigned order = 0; in->walked && order <= kho_max_order(g); order++) {
		uint64_t size = kho_order_bytes(g, order);
		int hit = kho_inspection_key(src, in, a, order);
		char o[48];

		snprintf(o, sizeof(o), hit < 0 ? "order %u: the map could not be read there" :
			 "order %u", order);
		if (hit)
			owner(hit < 0 ? "unknown" : "preserved", a & ~(size - 1), size, " (%s)", o);
		if (order + g->page_shift >= 63)
			break;
	}
}

static void luo(const struct kho_luo *l, uint64_t page, uint64_t a)
{
	char what[160];

	for (size_t i = 0; i < l->nextents; i++)
		if (inside(a, l->extent[i].phys, l->extent[i].size))
			owner("LUO", l->extent[i].phys, l->extent[i].size, " %s", l->extent[i].what);
	for (size_t i = 0; i < l->nsessions; i++)
		for (size_t j = 0; j < l->session[i].nfiles; j++) {
			const struct kho_luo_file *f = &l->session[i].file[j];

			for (size_t k = 0; f->memfd && k < f->memfd->nfolios; k++) {
				const struct kho_luo_folio *fo = &f->memfd->folios[k];
				uint64_t size = page << (fo->order > 0 ? fo->order : 0);

				if (!inside(a, fo->pfn * page, size))
					continue;
				snprintf(what, sizeof(what), "folio %zu of memfd 0x%llx (session "
					 "\"%s\"), file page 0x%llx", k, HEX(f->token),
					 l->session[i].name, HEX(fo->index + (a - fo->pfn * page) /
								 page));
				owner("LUO folio", fo->pfn * page, size, " %s", what);
			}
		}
}

static void handover(struct kho_source *src, const struct kho_inspection *in, uint64_t a)
{
	uint64_t page = in->geo.page_size;
	char what[96];

	pr_obj_open(NULL);
	pr_hex("fdt", "KHO FDT 0x%llx:\n", in->ho.fdt_phys);
	pr_arr_open("owners");
	keys(src, in, a);
	if (!in->ho.fdt_phys_unknown && inside(a, in->ho.fdt_phys & ~(page - 1), page))
		owner("FDT page", in->ho.fdt_phys & ~(page - 1), page, " %s", "the KHO FDT");
	for (size_t i = 0; i < in->npages; i++)
		if (inside(a, in->pages[i].phys, in->pages[i].bytes)) {
			snprintf(what, sizeof(what), in->pages[i].level < 0 ? "kho-v1 chunk" :
				 in->pages[i].level ? "level-%d node" : "leaf", in->pages[i].level);
			owner("tree page", in->pages[i].phys, in->pages[i].bytes, " %s", what);
		}
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		const struct kho_subtree *t = &in->ho.subtrees[i];

		if (t->phys && inside(a, t->phys, t->size ? t->size : 1))
			owner("sub-blob", t->phys, t->size, " %s", t->name);
		for (size_t r = 0; t->kind == KHO_BLOB_MEMBLOCK && r < t->u.memblock.n; r++)
			if (inside(a, t->u.memblock.r[r].start, t->u.memblock.r[r].size))
				owner("reserve-mem", t->u.memblock.r[r].start, t->u.memblock.r[r].size,
				      " %s", t->u.memblock.r[r].name);
	}
	luo(&in->luo, page, a);
	for (size_t i = 0; i < in->ho.nscratch; i++)
		if (inside(a, in->ho.scratch[i].phys, in->ho.scratch[i].size))
			owner("scratch", in->ho.scratch[i].phys, in->ho.scratch[i].size, " %s",
			      "a scratch area: the next kernel allocates here first");
	pr_arr_close();
	pr_obj_close();
}

void print_whatis(struct kho_source *src, const struct handover_result *hs, size_t n,
		  uint64_t a)
{
	static const char *const state[] = {
		[KHO_MEM_PRESENT] = "memory, in the dump",
		[KHO_MEM_EXCLUDED] = "memory, not in the dump",
		[KHO_MEM_ABSENT] = "not memory the dump describes",
	};
	uint64_t run;
	enum kho_mem_state st = kho_source_state(src, a, &run);

	pr_hex("address", "0x%llx: ", a);
	pr_str("state", NULL, st == KHO_MEM_PRESENT ? "present" :
	       st == KHO_MEM_EXCLUDED ? "excluded" : "absent");
	pr_text("%s\n", state[st]);
	pr_arr_open("handovers");
	for (size_t i = 0; i < n; i++)
		handover(src, &hs[i].in, a);
	pr_arr_close();
}
