// SPDX-License-Identifier: MIT
/*
 * diff A B: the keys, (phys, order) pairs, preserved in A and not in B,
 * and the reverse; and where the two preserve the same memory as
 * different keys (one order-9 folio against 512 order-0 pages), which a
 * comparison of merged bytes would call equal. For instance the outgoing
 * map of kernel N against the incoming map kernel N+1 sees: anything only
 * in A was lost or reshaped on the way. Exit 1 when the keys differ.
 */
#include <stdlib.h>
#include <sys/types.h>

#include "../../lib/util/util.h"
#include "inspect.h"
#include "print.h"

/*
 * Keys of one block size as an interval of block indices: keys
 * [first, first + count) of size 2^shift. Indices cannot overflow where
 * byte addresses could (a key at the top of the address space).
 */
struct keys {
	unsigned shift;        /* order + PAGE_SHIFT: keys compare across page sizes */
	unsigned order;        /* as its own dump counts it */
	uint64_t first, count;
};

static int keys_cmp(const void *a, const void *b)
{
	const struct keys *x = a, *y = b;

	if (x->shift != y->shift)
		return x->shift < y->shift ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* The runs of @in as sorted, disjoint key intervals (a key listed twice,
 * as a kho-v1 map can, counts once). returns: how many, or -1 (OOM). */
static ssize_t key_set(const struct kho_inspection *in, struct keys **out)
{
	struct keys *k = malloc((in->nruns ? in->nruns : 1) * sizeof(*k));
	size_t n = 0, m = 0;

	if (!(*out = k))
		return -1;
	for (size_t i = 0; i < in->nruns; i++) {
		unsigned shift = in->runs[i].order + in->geo.page_shift;

		if (shift >= 64 || !in->runs[i].count)
			continue;
		k[n++] = (struct keys){ shift, in->runs[i].order, in->runs[i].phys >> shift,
					in->runs[i].count };
	}
	qsort(k, n, sizeof(*k), keys_cmp);
	for (size_t i = 0; i < n; i++) {
		struct keys *last = m ? &k[m - 1] : NULL;

		if (last && last->shift == k[i].shift && k[i].first <= last->first + last->count) {
			uint64_t end = k[i].first + k[i].count;

			if (end > last->first + last->count)
				last->count = end - last->first;
		} else {
			k[m++] = k[i];
		}
	}
	return (ssize_t)m;
}

struct piece_list {
	struct keys *v;
	size_t n, cap;
};

static bool push(struct piece_list *l, struct keys k)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct keys *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = k;
	return true;
}

/* The keys of @a (sorted, disjoint) that @b does not hold. returns: false on OOM. */
static bool key_minus(const struct keys *a, size_t na, const struct keys *b, size_t nb,
		      struct piece_list *out)
{
	size_t j = 0;

	for (size_t i = 0; i < na; i++) {
		uint64_t pos = a[i].first, end = a[i].first + a[i].count;

		while (j < nb && (b[j].shift < a[i].shift ||
				  (b[j].shift == a[i].shift && b[j].first + b[j].count <= pos)))
			j++;
		for (size_t k = j; pos < end; k++) {
			bool same = k < nb && b[k].shift == a[i].shift;
			uint64_t stop = same && b[k].first < end ? b[k].first : end;

			if (stop > pos && !push(out, (struct keys){ a[i].shift, a[i].order, pos,
								    stop - pos }))
				return false;
			if (!same || b[k].first >= end)
				break;
			if (b[k].first + b[k].count > pos)
				pos = b[k].first + b[k].count;
		}
	}
	return true;
}

/* First byte and one past the last of @k, saturated at the top of memory. */
static uint64_t key_start(const struct keys *k)
{
	return k->first << k->shift;
}

static uint64_t key_end(const struct keys *k)
{
	uint64_t last = ((k->first + k->count) << k->shift) - 1;

	return last == UINT64_MAX ? UINT64_MAX : last + 1;
}

static int piece_phys_cmp(const void *a, const void *b)
{
	const struct keys *x = a, *y = b;
	uint64_t sx = key_start(x), sy = key_start(y);

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->shift > y->shift ? -1 : x->shift < y->shift;
}

/* One key run, "-" or "+" first in text. */
static void print_key(char sign, const struct keys *k)
{
	pr_obj_open(NULL);
	pr_text("%c", sign);
	pr_hex("phys", "0x%llx", key_start(k));
	pr_u64("order", " order %llu", k->order);
	pr_u64("count", " x%llu", k->count);
	pr_hex("size", " (0x%llx bytes)\n", key_end(k) - key_start(k));
	pr_obj_close();
}

/*
 * The keys of one dump only: JSON as two lists; text as diff -u would,
 * "-" (A only) and "+" (B only) lines by address, so what replaced what
 * stands together.
 */
static void print_keys(struct piece_list *a, struct piece_list *b)
{
	size_t i = 0, k = 0;

	if (a->n > 1)          /* no list at all when nothing differs: v is NULL */
		qsort(a->v, a->n, sizeof(*a->v), piece_phys_cmp);
	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), piece_phys_cmp);
	if (pr_is_json()) {
		pr_arr_open("only_in_a");
		for (; i < a->n; i++)
			print_key('-', &a->v[i]);
		pr_arr_close();
		pr_arr_open("only_in_b");
		for (; k < b->n; k++)
			print_key('+', &b->v[k]);
		pr_arr_close();
		return;
	}
	if (a->n || b->n)
		pr_text("@@ keys @@\n");
	while (i < a->n || k < b->n)
		if (k == b->n || (i < a->n && key_start(&a->v[i]) <= key_start(&b->v[k])))
			print_key('-', &a->v[i++]);
		else
			print_key('+', &b->v[k++]);
}

static int span_cmp(const void *a, const void *b)
{
	const struct kho_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Memory of the keys in @l that the union @u of the other dump covers. */
static bool covered(const struct piece_list *l, const struct kho_span *u, size_t nu,
		    struct kho_span **out, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < l->n; i++) {
		uint64_t s = key_start(&l->v[i]), e = key_end(&l->v[i]);
		size_t lo = PARTITION_POINT(nu, j, u[j].end <= s);   /* first ending after s */

		for (size_t k = lo; k < nu && u[k].start < e; k++) {
			struct kho_span x = { u[k].start > s ? u[k].start : s,
					      u[k].end < e ? u[k].end : e };

			if (*n == *cap) {
				size_t c = *cap ? 2 * *cap : 64;
				struct kho_span *v = realloc(*out, c * sizeof(*v));

				if (!v)
					return false;
				*out = v;
				*cap = c;
			}
			(*out)[(*n)++] = x;
		}
	}
	return true;
}

/* Bytes of @a not covered by @b (both sorted, merged spans). */
static uint64_t bytes_minus(const struct kho_span *a, size_t na, const struct kho_span *b,
			    size_t nb)
{
	uint64_t total = 0;
	size_t j = 0;

	for (size_t i = 0; i < na; i++) {
		uint64_t pos = a[i].start;

		while (j < nb && b[j].end <= pos)
			j++;
		for (size_t k = j; pos < a[i].end; k++) {
			uint64_t stop = k < nb && b[k].start < a[i].end ? b[k].start : a[i].end;

			if (stop > pos)
				total += stop - pos;
			if (k >= nb || b[k].start >= a[i].end)
				break;
			if (b[k].end > pos)
				pos = b[k].end;
		}
	}
	return total;
}

/* The same memory, different keys: merged [start, end) ranges. */
static uint64_t print_granularity(struct kho_span *g, size_t n)
{
	uint64_t total = 0;
	size_t m = 0;

	if (n > 1)
		qsort(g, n, sizeof(*g), span_cmp);
	for (size_t i = 0; i < n; i++) {
		if (m && g[i].start <= g[m - 1].end) {
			if (g[i].end > g[m - 1].end)
				g[m - 1].end = g[i].end;
		} else {
			g[m++] = g[i];
		}
	}
	pr_arr_open("granularity");
	if (m)
		pr_text("@@ preserved in both, as different keys @@\n");
	for (size_t i = 0; i < m; i++) {
		pr_obj_open(NULL);
		pr_text(" ");
		pr_hex("phys", "0x%llx", g[i].start);
		pr_hex("size", " +0x%llx\n",
		       g[i].end - g[i].start);
		pr_obj_close();
		total += g[i].end - g[i].start;
	}
	pr_arr_close();
	return total;
}

static void print_side(const char *which, const char *path, const struct kho_inspection *in)
{
	pr_obj_open(NULL);
	pr_str("path", which, path);
	if (!in->ho.fdt_phys_unknown)
		pr_hex("fdt", ", KHO FDT at 0x%llx", in->ho.fdt_phys);
	pr_str("compatible", " (%s)", in->ho.compatible);
	pr_u64("keys", ", %llu keys\n", in->stats.keys);
	pr_obj_close();
}

int cmd_diff(const struct options *o, const struct kho_inspection *a,
	     const struct kho_inspection *b)
{
	struct piece_list only_a = { 0 }, only_b = { 0 };
	struct keys *ka = NULL, *kb = NULL;
	struct kho_span *g = NULL;
	size_t ng = 0, gcap = 0;
	uint64_t keys_a = 0, keys_b = 0, gran;
	size_t luo_diffs, fdt_diffs;
	bool oom = false;
	ssize_t na = key_set(a, &ka), nb = key_set(b, &kb);
	int rc = 2;

	if (na < 0 || nb < 0 || !key_minus(ka, (size_t)na, kb, (size_t)nb, &only_a) ||
	    !key_minus(kb, (size_t)nb, ka, (size_t)na, &only_b) ||
	    !covered(&only_a, b->spans, b->nspans, &g, &ng, &gcap) ||
	    !covered(&only_b, a->spans, a->nspans, &g, &ng, &gcap)) {
		fprintf(stderr, "kho-inspect: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < only_a.n; i++)
		keys_a += only_a.v[i].count;
	for (size_t i = 0; i < only_b.n; i++)
		keys_b += only_b.v[i].count;

	pr_init(o->json, o->pretty, stdout);
	pr_u64("schema", NULL, KHO_JSON_SCHEMA);
	pr_obj_open("tool");
	pr_str("name", NULL, "kho-inspect");
	pr_str("version", NULL, KHO_VERSION_STRING);
	pr_obj_close();
	pr_arr_open("sources");
	print_side("--- A: %s", o->dump, a);
	print_side("+++ B: %s", o->dump_b, b);
	pr_arr_close();
	fdt_diffs = diff_fdt(&a->ho, &b->ho);
	print_keys(&only_a, &only_b);
	gran = print_granularity(g, ng);
	luo_diffs = diff_luo(&a->luo, &b->luo, &oom);
	if (oom) {
		fprintf(stderr, "kho-inspect: out of memory\n");
		goto out;
	}
	pr_obj_open("summary");
	pr_u64("keys_only_in_a", "keys only in A: %llu", keys_a);
	pr_u64("keys_only_in_b", ", only in B: %llu", keys_b);
	/* Memory the other dump does not preserve at all. */
	pr_hex("only_in_a", "; bytes only in A: 0x%llx",
	       bytes_minus(a->spans, a->nspans, b->spans, b->nspans));
	pr_hex("only_in_b", ", only in B: 0x%llx", bytes_minus(b->spans, b->nspans, a->spans,
							      a->nspans));
	pr_hex("granularity", ", in both as different keys: 0x%llx", gran);
	pr_u64("fdt_differences", ", FDT differences: %llu", fdt_diffs);
	pr_u64("luo_differences", ", LUO differences: %llu", luo_diffs);
	pr_bool("same", ", same: %s\n", !keys_a && !keys_b && !luo_diffs && !fdt_diffs);
	pr_obj_close();
	rc = pr_finish() ? 2 : keys_a || keys_b || luo_diffs || fdt_diffs ? 1 : 0;
out:
	free(ka);
	free(kb);
	free(only_a.v);
	free(only_b.v);
	free(g);
	return rc;
}
