// SPDX-License-Identifier: MIT
/*
 * diff: the two KHO FDTs, as far as a kernel reads them: the compatible
 * and each sub-node (by name: its blob's address and size). Text is in
 * diff -u's manner ("-" A only, "+" B only); JSON lists each difference.
 */
#include <string.h>

#include "inspect.h"
#include "print.h"

static const struct kho_subtree *find(const struct kho_handover *ho, const char *name)
{
	for (size_t i = 0; i < ho->nsubtrees; i++)
		if (!strcmp(ho->subtrees[i].name, name))
			return &ho->subtrees[i];
	return NULL;
}

static void side(const char *key, char sign, const struct kho_subtree *t)
{
	pr_obj_open(key);
	pr_text("%csub-node    ", sign);
	pr_str("name", "%-16s", t->name);
	pr_hex("phys", " 0x%llx", t->phys);
	pr_hex("size", " +0x%llx\n", t->size);
	pr_obj_close();
}

/* Text: the hunk header before the first difference. */
static void hunk(size_t n)
{
	if (!n)
		pr_text("@@ KHO FDT @@\n");
}

/* One sub-node that differs: in A only, B only, or in both otherwise. */
static void subnode(const char *name, const struct kho_subtree *x, const struct kho_subtree *y)
{
	pr_obj_open(NULL);
	pr_str("name", NULL, name);
	if (x)
		side("a", '-', x);
	else
		pr_null("a");
	if (y)
		side("b", '+', y);
	else
		pr_null("b");
	pr_obj_close();
}

size_t diff_fdt(const struct kho_handover *a, const struct kho_handover *b)
{
	size_t n = 0;

	pr_obj_open("fdt");
	if (strcmp(a->compatible, b->compatible)) {
		hunk(n);
		pr_obj_open("compatible");
		pr_str("a", "-compatible  %s\n", a->compatible);
		pr_str("b", "+compatible  %s\n", b->compatible);
		pr_obj_close();
		n++;
	}
	pr_arr_open("subnodes");
	for (size_t i = 0; i < a->nsubtrees; i++) {
		const struct kho_subtree *x = &a->subtrees[i], *y = find(b, x->name);

		if (!y || y->phys != x->phys || y->size != x->size) {
			hunk(n);
			subnode(x->name, x, y);
			n++;
		}
	}
	for (size_t i = 0; i < b->nsubtrees; i++)
		if (!find(a, b->subtrees[i].name)) {
			hunk(n);
			subnode(b->subtrees[i].name, NULL, &b->subtrees[i]);
			n++;
		}
	pr_arr_close();
	pr_obj_close();
	return n;
}
