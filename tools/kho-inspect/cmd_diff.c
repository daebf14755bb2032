// SPDX-License-Identifier: MIT
/*
 * diff A B: memory preserved in A and not in B, and the reverse, as
 * merged byte ranges. For instance the outgoing map of kernel N against
 * the incoming map kernel N+1 sees: anything only in A was lost on the
 * way. Exit 1 when they differ.
 */
#include <stdlib.h>

#include "inspect.h"
#include "print.h"

/* Print [start, end) of @a not covered by @b. returns: bytes printed. */
static uint64_t minus(const struct kho_span *a, size_t na, const struct kho_span *b,
		      size_t nb, const char *label, const char *text)
{
	uint64_t total = 0;
	size_t j = 0;

	pr_arr_open(label);
	for (size_t i = 0; i < na; i++) {
		uint64_t pos = a[i].start;

		while (j < nb && b[j].end <= pos)
			j++;
		for (size_t k = j; pos < a[i].end; k++) {
			uint64_t stop = k < nb ? b[k].start : a[i].end;

			if (stop > a[i].end)
				stop = a[i].end;
			if (stop > pos) {
				pr_obj_open(NULL);
				pr_text("%s ", text);
				pr_hex("phys", "0x%llx", pos);
				pr_hex("size", " +0x%llx\n", stop - pos);
				pr_obj_close();
				total += stop - pos;
			}
			if (k >= nb)
				break;
			if (b[k].end > pos)
				pos = b[k].end;
		}
	}
	pr_arr_close();
	return total;
}

int cmd_diff(const struct options *o, const struct kho_inspection *a,
	     const struct kho_inspection *b)
{
	size_t na = a->nspans, nb = b->nspans;
	const struct kho_span *sa = a->spans, *sb = b->spans;
	uint64_t only_a, only_b;
	int rc;

	pr_init(o->json, o->pretty, stdout);
	pr_obj_open("tool");
	pr_str("name", NULL, "kho-inspect");
	pr_str("version", NULL, KHO_VERSION_STRING);
	pr_obj_close();
	pr_arr_open("sources");
	pr_obj_open(NULL);
	pr_str("path", "A: %s", o->dump);
	pr_hex("fdt", ", KHO FDT at 0x%llx", a->ho.fdt_phys);
	pr_u64("keys", ", %llu keys\n", a->stats.keys);
	pr_obj_close();
	pr_obj_open(NULL);
	pr_str("path", "B: %s", o->dump_b);
	pr_hex("fdt", ", KHO FDT at 0x%llx", b->ho.fdt_phys);
	pr_u64("keys", ", %llu keys\n", b->stats.keys);
	pr_obj_close();
	pr_arr_close();
	only_a = minus(sa, na, sb, nb, "only_in_a", "only in A:");
	only_b = minus(sb, nb, sa, na, "only_in_b", "only in B:");
	pr_obj_open("summary");
	pr_hex("only_in_a", "only in A: 0x%llx bytes", only_a);
	pr_hex("only_in_b", ", only in B: 0x%llx bytes", only_b);
	pr_bool("same", ", same: %s\n", !only_a && !only_b);
	pr_obj_close();
	rc = pr_finish() ? 2 : only_a || only_b ? 1 : 0;
	return rc;
}
