// SPDX-License-Identifier: MIT
/*
 * verify --expect FILE: the verdict against a golden expectation, as a
 * kernel test suite keeps them (lit/FileCheck style). FILE is a document
 * in the shape `--json verify --ranges` prints, such as kho-mkimage's
 * NAME.expect.json; only what it states is compared:
 *
 *   source.page_size; the number of handovers and, for each in order,
 *   fdt.phys and fdt.compatible, its ranges as (phys, order) pairs, and
 *   its findings; the top-level findings; the summary counts.
 *
 * An expected finding names at least its check; severity and phys are
 * compared when it gives them. Each expected finding takes the first
 * unclaimed finding that agrees with it; what is left on either side is a
 * difference. Exit 0 when nothing differs, 1 otherwise, 2 when FILE
 * cannot be read. The options in FILE's generator.args (what kho-mkimage
 * says the verifier must be told) were put before the command line's,
 * unless it gives one of them itself (main.c, with_expect_args).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "inspect.h"

#define SHOWN 20   /* differences printed per list, in text */

struct diffs {
	json_t *list;          /* [{"path", "expected", "found"}] */
	size_t n;
};

static void differ(struct diffs *d, const char *path, json_t *expected, json_t *found)
{
	d->n++;
	json_array_append_new(d->list, json_pack("{s:s, s:O?, s:O?}", "path", path,
						 "expected", expected, "found", found));
}

/* A scalar of @want at @key, if it states one, against @got's. */
static void scalar(struct diffs *d, const char *path, json_t *want, json_t *got,
		   const char *key)
{
	json_t *w = json_object_get(want, key), *g = json_object_get(got, key);
	char where[96];

	if (!w || json_equal(w, g))
		return;
	snprintf(where, sizeof(where), "%s%s%s", path, *path ? "." : "", key);
	differ(d, where, w, g);
}

static bool finding_matches(json_t *want, json_t *got)
{
	static const char *const keys[] = { "check", "severity", "phys" };

	for (size_t i = 0; i < 3; i++) {
		json_t *w = json_object_get(want, keys[i]);

		if (w && !json_equal(w, json_object_get(got, keys[i])))
			return false;
	}
	return true;
}

static bool range_matches(json_t *want, json_t *got)
{
	return json_equal(json_object_get(want, "phys"), json_object_get(got, "phys")) &&
	       json_equal(json_object_get(want, "order"), json_object_get(got, "order"));
}

/* Two lists as multisets under @same: what only one side has. */
static void lists(struct diffs *d, const char *path, json_t *want, json_t *got,
		  bool (*same)(json_t *, json_t *))
{
	size_t nw = json_array_size(want), ng = json_array_size(got);
	char *claimed = calloc(ng ? ng : 1, 1);
	size_t i, k;
	json_t *w;

	if (!want)
		goto out;
	if (!claimed) {
		differ(d, path, json_string("out of memory"), NULL);
		return;
	}
	json_array_foreach(want, i, w) {
		for (k = 0; k < ng; k++)
			if (!claimed[k] && same(w, json_array_get(got, k)))
				break;
		if (k < ng)
			claimed[k] = 1;
		else
			differ(d, path, w, NULL);
	}
	for (k = 0; k < ng; k++)
		if (!claimed[k])
			differ(d, path, NULL, json_array_get(got, k));
	(void)nw;
out:
	free(claimed);
}

static void handover(struct diffs *d, size_t idx, json_t *want, json_t *got)
{
	char path[64];

	snprintf(path, sizeof(path), "handovers[%zu].fdt", idx);
	scalar(d, path, json_object_get(want, "fdt"), json_object_get(got, "fdt"), "phys");
	scalar(d, path, json_object_get(want, "fdt"), json_object_get(got, "fdt"), "compatible");
	snprintf(path, sizeof(path), "handovers[%zu].ranges", idx);
	lists(d, path, json_object_get(want, "ranges"), json_object_get(got, "ranges"),
	      range_matches);
	snprintf(path, sizeof(path), "handovers[%zu].findings", idx);
	lists(d, path, json_object_get(want, "findings"), json_object_get(got, "findings"),
	      finding_matches);
}

/* Every difference between the expectation @want and the document @got. */
static void compare(struct diffs *d, json_t *want, json_t *got)
{
	json_t *wh = json_object_get(want, "handovers"), *gh = json_object_get(got, "handovers");
	json_t *ws = json_object_get(want, "summary"), *gs = json_object_get(got, "summary");
	static const char *const counts[] = { "error", "warning", "note", "incomplete",
					      "partial" };

	scalar(d, "source", json_object_get(want, "source"), json_object_get(got, "source"),
	       "page_size");
	if (wh && json_array_size(wh) != json_array_size(gh))
		differ(d, "handovers (how many)", json_integer((json_int_t)json_array_size(wh)),
		       json_integer((json_int_t)json_array_size(gh)));
	for (size_t i = 0; i < json_array_size(wh) && i < json_array_size(gh); i++)
		handover(d, i, json_array_get(wh, i), json_array_get(gh, i));
	lists(d, "findings", json_object_get(want, "findings"), json_object_get(got, "findings"),
	      finding_matches);
	for (size_t i = 0; ws && i < 5; i++)
		scalar(d, "summary", ws, gs, counts[i]);
}

/* One side of a difference, in a line: a finding, a range or a value. */
static void describe(FILE *out, json_t *v)
{
	json_t *check = json_object_get(v, "check"), *order = json_object_get(v, "order");

	if (check) {
		fprintf(out, "%s", json_string_value(check));
		if (json_object_get(v, "severity"))
			fprintf(out, " %s", json_string_value(json_object_get(v, "severity")));
		if (json_object_get(v, "phys"))
			fprintf(out, " at %s", json_string_value(json_object_get(v, "phys")));
		if (json_object_get(v, "message"))
			fprintf(out, ": %s", json_string_value(json_object_get(v, "message")));
	} else if (order) {
		fprintf(out, "%s order %lld", json_string_value(json_object_get(v, "phys")),
			(long long)json_integer_value(order));
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		fprintf(out, "%s", s ? s : "?");
		free(s);
	}
}

static void print_text(const char *file, json_t *want, const struct diffs *d)
{
	json_t *args = json_object_get(json_object_get(want, "generator"), "args");
	size_t i, shown = 0;
	json_t *x;

	if (json_array_size(args)) {
		printf("expect       %s: verified with its generator.args:", file);
		json_array_foreach(args, i, x)
			printf(" %s", json_string_value(x));
		printf("\n");
	}
	if (!d->n) {
		printf("expect       %s: the verdict matches\n", file);
		return;
	}
	printf("expect       %s: %zu difference%s (- expected, not found; + found, not "
	       "expected)\n", file, d->n, d->n == 1 ? "" : "s");
	json_array_foreach(d->list, i, x) {
		json_t *w = json_object_get(x, "expected"), *g = json_object_get(x, "found");
		const char *path = json_string_value(json_object_get(x, "path"));

		if (shown++ == 3 * SHOWN) {
			printf("... and %zu more: --json lists them all\n", d->n - 3 * SHOWN);
			break;
		}
		if (!json_is_null(w) && !json_is_null(g)) {
			printf("  %s: expected ", path);
			describe(stdout, w);
			printf(", found ");
			describe(stdout, g);
		} else {
			printf("%c %s: ", json_is_null(g) ? '-' : '+', path);
			describe(stdout, json_is_null(g) ? w : g);
		}
		printf("\n");
	}
}

int cmd_expect(const struct options *o, json_t *doc)
{
	struct diffs d = { .list = json_array() };
	json_error_t jerr;
	json_t *want = json_load_file(o->expect, 0, &jerr);
	int rc;

	if (!want) {
		json_decref(d.list);
		json_decref(doc);
		if (jerr.line < 1)   /* not opened: the text names the file and why */
			return inspect_fail_kind("io", "--expect: %s", jerr.text);
		return inspect_fail_kind("format", "%s: line %d: %s", o->expect, jerr.line,
					 jerr.text);
	}
	if (!json_is_object(want) || !d.list) {
		json_decref(want);
		json_decref(d.list);
		json_decref(doc);
		return inspect_fail_kind("format", "%s: not an expectation (a JSON object as "
					 "--json verify prints)", o->expect);
	}
	compare(&d, want, doc);
	rc = d.n ? 1 : 0;
	if (o->json) {
		json_object_set_new(doc, "expect", json_pack("{s:s, s:b, s:o}", "file", o->expect,
							     "match", !d.n, "differences", d.list));
		if (json_dumpf(doc, stdout, o->pretty ? JSON_INDENT(2) : JSON_COMPACT) ||
		    fputc('\n', stdout) == EOF)
			rc = 2;
	} else {
		print_text(o->expect, want, &d);
		json_decref(d.list);
	}
	json_decref(want);
	json_decref(doc);
	return fflush(stdout) ? 2 : rc;
}
