// SPDX-License-Identifier: MIT
/*
 * whatis ADDR DUMP: everything the handover says about one address, as
 * drgn's identify_address or crash's kmem ADDR do for the kernel's own
 * structures: whether the dump holds it, the keys that preserve it, and
 * what owns it (the FDT page, a tree page, a sub-blob, a reserve-mem
 * region, a LUO block, record or folio, a scratch area).
 * The dump, the handovers and their keys come through the public model
 * API (kho/model.h), as a debugger's plugin would read them; the owners
 * (owners.c) still through the inspection, which knows more of them
 * (reserve-mem, LUO records and folios, scratch) than the API says.
 */
#include <string.h>

#include "kho/model.h"
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

/* Every key whose block holds @a, one lookup per order: a broken map can
 * hold several. returns: how many. */
static size_t keys(const struct kho_model *m, size_t h, uint64_t a)
{
	uint64_t page = kho_model_handover_page_size(m, h);
	size_t n = 0;

	for (unsigned order = 0; kho_model_handover_walked(m, h) &&
	     order <= kho_model_handover_max_order(m, h); order++) {
		uint64_t size = page << order;
		int hit = kho_model_handover_key(m, h, a, order);
		char o[48];

		snprintf(o, sizeof(o), hit < 0 ? "order %u: the map could not be read there" :
			 "order %u", order);
		if (hit) {
			owner(hit < 0 ? "unknown" : "preserved", a & ~(size - 1), size, " (%s)", o);
			n++;
		}
	}
	return n;
}

struct at {
	uint64_t a, page;
	size_t n;   /* owners printed */
};

static void print_owner(void *ctx, const struct owner *w)
{
	struct at *at = ctx;
	char what[160];

	if (w->file_index != UINT64_MAX)
		snprintf(what, sizeof(what), "%s, file page 0x%llx", w->what,
			 HEX(w->file_index + (at->a - w->phys) / at->page));
	else
		snprintf(what, sizeof(what), "%s", w->what);
	owner(w->kind, w->phys, w->size, " %s", what);
	at->n++;
}

/* whether the scratch areas, which whatis would name as owners, are known */
static bool scratch_unknown(const struct kho_inspection *in)
{
	for (size_t i = 0; i < in->findings.n; i++)
		if (kho_check_index(in->findings.v[i].check) == KHO_CHECK_SCRATCH_UNKNOWN)
			return true;
	return false;
}

static void handover(struct kho_model *m, size_t h, uint64_t a)
{
	const struct kho_inspection *in = &kho_model_session(m)->hs[h];
	struct at at = { a, kho_model_handover_page_size(m, h), 0 };
	uint64_t fdt = kho_model_handover_fdt(m, h);
	struct owners o;

	owners_build(kho_model_source(m), in, &o);
	pr_obj_open(NULL);
	/* an FDT from --fdt-file alone has no address: 0 as it always printed */
	pr_hex("fdt", "KHO FDT 0x%llx:\n", fdt == KHO_MODEL_PHYS_UNKNOWN ? 0 : fdt);
	pr_arr_open("owners");
	at.n = keys(m, h, a);
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

void print_whatis(struct kho_model *m, uint64_t a)
{
	const struct kho_source *src = kho_model_source(m);
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
	for (size_t h = 0; h < kho_model_handovers(m); h++)
		handover(m, h, a);
	pr_arr_close();
}
