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
#include "owners.h"
#include "print.h"

#define HEX(x) ((unsigned long long)(x))

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

/* Every key whose block holds @a, one lookup per order. returns: how many. */
static size_t keys(struct kho_source *src, const struct kho_inspection *in, uint64_t a)
{
	size_t n = 0;

	const struct kho_geometry *g = &in->geo;

	for (unsigned order = 0; in->walked && order <= kho_max_order(g); order++) {
		uint64_t size = kho_order_bytes(g, order);
		int hit = kho_inspection_key(src, in, a, order);
		char o[48];

		snprintf(o, sizeof(o), hit < 0 ? "order %u: the map could not be read there" :
			 "order %u", order);
		if (hit) {
			owner(hit < 0 ? "unknown" : "preserved", a & ~(size - 1), size, " (%s)", o);
			n++;
		}
		if (order + g->page_shift >= 63)
			break;
	}
	return n;
}

struct at {
	uint64_t a, page;
	size_t n;   /* owners printed */
};

static void print_owner(void *ctx, const struct owner *w)
{
	const struct at *at = ctx;
	char what[160];

	if (w->file_index != UINT64_MAX)
		snprintf(what, sizeof(what), "%s, file page 0x%llx", w->what,
			 HEX(w->file_index + (at->a - w->phys) / at->page));
	else
		snprintf(what, sizeof(what), "%s", w->what);
	owner(w->kind, w->phys, w->size, " %s", what);
	((struct at *)ctx)->n++;
}

/* whether the scratch areas, which whatis would name as owners, are known */
static bool scratch_unknown(const struct kho_inspection *in)
{
	for (size_t i = 0; i < in->findings.n; i++)
		if (kho_check_index(in->findings.v[i].check) == KHO_CHECK_SCRATCH_UNKNOWN)
			return true;
	return false;
}

static void handover(struct kho_source *src, const struct kho_inspection *in, uint64_t a)
{
	struct at at = { a, in->geo.page_size, 0 };
	struct owners o;

	owners_build(src, in, &o);
	pr_obj_open(NULL);
	pr_hex("fdt", "KHO FDT 0x%llx:\n", in->ho.fdt_phys);
	pr_arr_open("owners");
	at.n = keys(src, in, a);
	owners_each(&o, a, 1, SIZE_MAX, print_owner, &at);
	if (!at.n)
		pr_text(scratch_unknown(in) ? "  nothing preserves or names it (scratch areas are "
			"unknown: --explain scratch-unknown)\n" : "  nothing preserves or names it\n");
	if (o.oom)
		pr_text("  (out of memory: some owners may be missing)\n");
	pr_arr_close();
	pr_obj_close();
	owners_free(&o);
}

void print_whatis(struct kho_source *src, const struct kho_session_handover *hs, size_t n,
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
