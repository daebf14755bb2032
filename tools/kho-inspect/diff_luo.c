// SPDX-License-Identifier: MIT
/*
 * diff: the LUO state of two dumps (what the outgoing kernel handed over
 * against what the incoming one found): sessions and files present in
 * one only, and files whose handler, size or folio count changed. Files
 * are matched by session name and token, as user space retrieves them;
 * FLBs by name, with their data handle and file count.
 */
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "print.h"

struct item {
	const struct kho_luo_session *s;
	const struct kho_luo_file *f;   /* NULL: the session itself */
};

static int cmp(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int c = strcmp(a->s->name, b->s->name);

	if (c)
		return c;
	if (!a->f || !b->f)
		return !!a->f - !!b->f;
	return (a->f->token > b->f->token) - (a->f->token < b->f->token);
}

/* Sessions and files of @l, sorted. returns: NULL when out of memory. */
static struct item *items(const struct kho_luo *l, size_t *n)
{
	size_t k = l->nsessions;
	struct item *v;

	for (size_t i = 0; i < l->nsessions; i++)
		k += l->session[i].nfiles;
	if (!(v = malloc((k ? k : 1) * sizeof(*v))))
		return NULL;
	*n = 0;
	for (size_t i = 0; i < l->nsessions; i++) {
		v[(*n)++] = (struct item){ &l->session[i], NULL };
		for (size_t j = 0; j < l->session[i].nfiles; j++)
			v[(*n)++] = (struct item){ &l->session[i], &l->session[i].file[j] };
	}
	qsort(v, *n, sizeof(*v), cmp);
	return v;
}

/* A session or file in one dump only: @side "a" or "b". */
static void only(const char *side, const struct item *it)
{
	pr_obj_open(NULL);
	pr_str("only_in", NULL, side);
	pr_text("%c", !strcmp(side, "a") ? '-' : '+');
	pr_str("session", "session \"%s\"", it->s->name);
	if (it->f) {
		pr_hex("token", " file 0x%llx", it->f->token);
		pr_str("compatible", " (%s)", it->f->compatible);
	}
	pr_text("\n");
	pr_obj_close();
}

static bool changed(const struct kho_luo_file *a, const struct kho_luo_file *b)
{
	if (strcmp(a->compatible, b->compatible) || !a->memfd != !b->memfd)
		return true;
	return a->memfd && (a->memfd->size != b->memfd->size ||
			    a->memfd->nr_folios != b->memfd->nr_folios ||
			    a->memfd->seals != b->memfd->seals);
}

static const struct kho_luo_flb *find_flb(const struct kho_luo *l, const char *name)
{
	for (size_t i = 0; i < l->nflbs; i++)
		if (!strcmp(l->flb[i].name, name))
			return &l->flb[i];
	return NULL;
}

/*
 * FLBs by name: one in one dump only, or with another data handle or file
 * count (what the successor's FLB retrieve callback is handed). Each
 * side's order is kept; few FLBs exist (at most 63 a page). returns: how
 * many differ; *@header set once the "@@ LUO @@" line is out.
 */
static size_t diff_flbs(const struct kho_luo *a, const struct kho_luo *b, bool *header)
{
	size_t diffs = 0;

	for (int side = 0; side < 2; side++) {
		const struct kho_luo *x = side ? b : a, *y = side ? a : b;

		for (size_t i = 0; i < x->nflbs; i++) {
			const struct kho_luo_flb *f = &x->flb[i], *g = find_flb(y, f->name);
			bool differs = g && (f->data != g->data || f->count != g->count);

			if ((g && (side || !differs)))
				continue;
			if (!*header)
				pr_text("@@ LUO @@\n");
			*header = true;
			diffs++;
			pr_obj_open(NULL);
			if (!g) {
				pr_str("only_in", NULL, side ? "b" : "a");
				pr_str("flb", side ? "+flb \"%s\"\n" : "-flb \"%s\"\n", f->name);
			} else {
				pr_str("changed", NULL, "flb");
				pr_str("flb", "-flb \"%s\"", f->name);
				pr_hex("data_a", " data 0x%llx", f->data);
				pr_u64("count_a", f->count == 1 ? ", %llu file" : ", %llu files",
				       f->count);
				pr_text_escaped("\n+flb \"%s\"", g->name);
				pr_hex("data_b", " data 0x%llx", g->data);
				pr_u64("count_b", g->count == 1 ? ", %llu file\n" : ", %llu files\n",
				       g->count);
			}
			pr_obj_close();
		}
	}
	return diffs;
}

size_t diff_luo(const struct kho_luo *a, const struct kho_luo *b, bool *oom)
{
	size_t na, nb, i = 0, j = 0, diffs = 0;
	struct item *va = items(a, &na), *vb = items(b, &nb);

	if (!va || !vb) {
		*oom = true;
		free(va);
		free(vb);
		return 0;
	}
	pr_arr_open("luo");
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : cmp(&va[i], &vb[j]);

		if (!diffs && (c || (va[i].f && changed(va[i].f, vb[j].f))))
			pr_text("@@ LUO @@\n");
		if (c < 0) {
			only("a", &va[i++]);
			diffs++;
		} else if (c > 0) {
			only("b", &vb[j++]);
			diffs++;
		} else {
			if (va[i].f && changed(va[i].f, vb[j].f)) {
				const struct kho_luo_memfd *ma = va[i].f->memfd, *mb = vb[j].f->memfd;

				/* text: the file as A has it, then as B has it */
				pr_obj_open(NULL);
				pr_str("changed", NULL, "file");
				pr_str("session", "-session \"%s\"", va[i].s->name);
				pr_hex("token", " file 0x%llx", va[i].f->token);
				pr_str("compatible_a", " (%s)", va[i].f->compatible);
				if (ma && mb) {
					pr_hex("size_a", ", size 0x%llx", ma->size);
					pr_u64("nr_folios_a", ", %llu folios", ma->nr_folios);
				}
				pr_text_escaped("\n+session \"%s\"", vb[j].s->name);
				pr_text(" file 0x%llx", (unsigned long long)vb[j].f->token);
				pr_str("compatible_b", " (%s)", vb[j].f->compatible);
				if (ma && mb) {
					pr_hex("size_b", ", size 0x%llx", mb->size);
					pr_u64("nr_folios_b", ", %llu folios", mb->nr_folios);
				}
				pr_text("\n");
				pr_obj_close();
				diffs++;
			}
			i++;
			j++;
		}
	}
	{
		bool header = diffs > 0;

		diffs += diff_flbs(a, b, &header);
	}
	pr_arr_close();
	free(va);
	free(vb);
	return diffs;
}
