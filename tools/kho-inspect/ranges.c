// SPDX-License-Identifier: MIT
/*
 * The ranges command: by address in text and in tree order in JSON unless
 * --sort says; --merge joins touching ranges into [START, END) spans (END
 * exclusive).
 */
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "owners.h"
#include "print.h"

static int run_cmp(const void *a, const void *b)
{
	const struct kho_run *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order;
}

/* SIZE and the owner column: what the handover says [@phys, @phys + @size)
 * is, when it knows. */
static void print_size_owner(const struct owners *ow, uint64_t phys, uint64_t size)
{
	char label[320];
	bool known = ow && owners_label(ow, phys, size, label, sizeof(label));

	pr_hex("size", known ? " 0x%-8llx" : " 0x%llx", size);
	if (known)
		pr_str("owner", " %s", label);
	pr_text("\n");
}

void print_ranges(const struct options *o, const struct kho_inspection *in,
		  const struct owners *ow)
{
	const struct kho_run *runs = in->runs;
	struct kho_run *sorted = NULL;

	bool by_phys = o->sort ? !strcmp(o->sort, "phys") : !pr_is_json();
	bool was = false;

	if (by_phys && !o->merge && in->nruns) {
		sorted = malloc((in->nruns ? in->nruns : 1) * sizeof(*sorted));
		if (sorted) {
			memcpy(sorted, in->runs, in->nruns * sizeof(*sorted));
			qsort(sorted, in->nruns, sizeof(*sorted), run_cmp);
			runs = sorted;
		}
	}
	pr_arr_open("ranges");
	/* --no-headings: the rows only, whatever else is muted around them */
	if (o->no_headings)
		was = pr_mute(false);
	if (o->merge) {
		/* [start, end) of touching or overlapping ranges joined: the
		 * spans the overlap check built */
		if (!o->no_headings)
			pr_text("%-18s %-18s %s\n", "START", "END", "SIZE OWNER");
		for (size_t i = 0; i < in->nspans; i++) {
			pr_obj_open(NULL);
			pr_hex("phys", "0x%-16llx", in->spans[i].start);
			pr_text(" 0x%-16llx", (unsigned long long)in->spans[i].end);
			print_size_owner(ow, in->spans[i].start,
					 in->spans[i].end - in->spans[i].start);
			pr_obj_close();
		}
	} else {
		if (!o->no_headings)
			pr_text("%-18s %-5s %-10s %s\n", "PHYS", "ORDER", "SIZE", "OWNER");
		for (size_t i = 0; i < in->nruns; i++) {
			uint64_t size = kho_order_bytes(&in->geo, runs[i].order);

			for (uint64_t k = 0; k < runs[i].count; k++) {
				pr_obj_open(NULL);
				pr_hex("phys", "0x%-16llx", runs[i].phys + k * size);
				pr_u64("order", " %-5llu", runs[i].order);
				print_size_owner(ow, runs[i].phys + k * size, size);
				pr_obj_close();
			}
		}
	}
	if (o->no_headings)
		pr_mute(was);
	pr_arr_close();
	free(sorted);
}
