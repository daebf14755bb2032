// SPDX-License-Identifier: MIT
/*
 * Every check has a defect, and every defect makes its check appear in
 * the expectations; the clean machines it is injected into expect none.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/findings.h"
#include "kho/ref.h"
#include "suite.h"
#include "ref/ref_internal.h"

static const char radix_base[] =
	"abi kho-v3\nram 0 256M\nscratch 0x1000000 0x1000000\nalloc 0x8000000 0x4000000\n"
	"folio 0x4000000 9\npages 0x4400 300\nluo v1\nluo-session a\nluo-memfd a 1 0x4000\n"
	"luo-folio a 1 0 1\nblob kho_test fdt kho-test-v1\nkexec-metadata 7.0.0 1\nvmalloc-blob vm 20\n";
/* 7.2+: luo-v5 chains, one spanning two blocks (63 files a 4 KiB block). */
static const char luo5_base[] =
	"abi kho-v4\nram 0 256M\nscratch 0x1000000 0x1000000\nalloc 0x8000000 0x4000000\n"
	"folio 0x4000000 9\nluo v5 2\nluo-session a\nluo-session b\n"
	"luo-memfd a 1 0x10000 0 5\nluo-folio a 1 0 2\nluo-folio a 1 8 0\n"
	"luo-memfd a 2 0x1000\nluo-flb iommu-v1 1\n";
static const char v1_base[] =
	"abi kho-v1\nv1-bitmap page\nram 0 256M\nscratch 0x1000000 0x1000000\n"
	"alloc 0x8000000 0x4000000\nfolio 0x4000000 9\npages 0x4400 300\n"
	"blob kho_test fdt kho-test-v1\n";
static const char k16_base[] =
	"page-size 16K\nram 0 256M\nscratch 0x2000000 0x2000000\nfolio 0x4000000 3\n";

static json_t *expectations(const char *base, const char *extra)
{
	char text[2048];
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *doc;

	/* radix-depth must precede the operations; others may go anywhere. */
	if (extra && strstr(extra, "radix-depth"))
		snprintf(text, sizeof(text), "page-size 16K\n%s\n%s", extra,
			 k16_base + strlen("page-size 16K\n"));
	else
		snprintf(text, sizeof(text), "%s%s\n", base, extra ? extra : "");
	ck_assert_msg(kho_spec_run_buffer("t.spec", text, strlen(text), &res, &err) == KHO_OK,
		      "%s", err.msg);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(ref_write_expect(res.ref, f, NULL, &err), KHO_OK);
	fclose(f);
	doc = json_loadb(buf, len, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	free(buf);
	kho_ref_free(res.ref);
	return doc;
}

static json_t *findings(json_t *doc)
{
	return json_object_get(json_array_get(json_object_get(doc, "handovers"), 0), "findings");
}

/* Findings of @check in the first handover and at the top level. */
static size_t count(json_t *doc, const char *check)
{
	json_t *lists[] = { findings(doc), json_object_get(doc, "findings") }, *it;
	size_t i, n = 0;

	for (size_t l = 0; l < 2; l++)
		json_array_foreach(lists[l], i, it)
			n += !strcmp(json_string_value(json_object_get(it, "check")), check);
	return n;
}

START_TEST(clean_bases_expect_nothing)
{
	const char *bases[] = { radix_base, v1_base, k16_base, luo5_base };

	for (size_t i = 0; i < 4; i++) {
		json_t *doc = expectations(bases[i], NULL);

		ck_assert_msg(json_array_size(findings(doc)) == 0, "base %zu: %s", i,
			      json_dumps(findings(doc), 0));
		ck_assert_int_gt(json_array_size(json_object_get(
			json_array_get(json_object_get(doc, "handovers"), 0), "ranges")), 1);
		json_decref(doc);
	}
}
END_TEST

START_TEST(every_check_has_a_defect_that_fires_it)
{
	const char *const *names = kho_ref_defect_names();
	size_t ndefects = 0;

	for (const struct kho_check_info *c = kho_checks(); c->name; c++) {
		/* luo-pending is a luo-v5 state (7.2+) */
		const char *base = !strncmp(c->name, "v1-", 3) ? v1_base :
				   !strcmp(c->name, "luo-pending") ? luo5_base : radix_base;
		char line[128];
		json_t *doc;
		bool listed = false;

		for (const char *const *n = names; *n; n++)
			listed |= !strcmp(*n, c->name);
		ck_assert_msg(listed, "no defect for %s", c->name);
		snprintf(line, sizeof(line), "defect %s", c->name);
		doc = expectations(base, line);
		ck_assert_msg(count(doc, c->name) >= 1, "defect %s: %s", c->name,
			      json_dumps(findings(doc), 0));
		json_decref(doc);
		ndefects++;
	}
	ck_assert_uint_eq(ndefects, kho_check_count());
}
END_TEST

START_TEST(structural_defects_fire_exactly_once)
{
	/* One corruption, one finding: nothing else in the image changes. */
	static const char *const one[] = {
		"fdt-header", "fdt-compatible", "fdt-memory-map", "fdt-subnode",
		"fdt-not-preserved", "blob-fdt", "radix-pointer", "radix-loop",
		"radix-key-width", "radix-empty", "radix-node-scratch",
		"radix-node-preserved", "range-overlap", "range-scratch",
		"range-not-ram", "range-not-dumped", "radix-unreadable", "scratch-layout",
		"radix-depth", "blob-kexec-metadata", "blob-vmalloc", "blob-key-start",
	};

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		char line[128];
		json_t *doc;

		snprintf(line, sizeof(line), "defect %s", one[i]);
		doc = expectations(radix_base, line);
		ck_assert_msg(json_array_size(findings(doc)) == 1, "defect %s: %s", one[i],
			      json_dumps(findings(doc), 0));
		json_decref(doc);
	}
}
END_TEST

START_TEST(variants)
{
	static const char *const lines[][2] = {
		{ "defect radix-pointer misaligned", "radix-pointer" },
		{ "defect radix-pointer bit63", "radix-pointer" },
		{ "defect radix-loop shared", "radix-loop" },
		{ "defect fdt-memory-map zero", "fdt-memory-map" },
		{ "defect fdt-memory-map misaligned", "fdt-memory-map" },
		{ "defect fdt-subnode zero LUO", "fdt-subnode" },
		{ "defect blob-fdt size", "blob-fdt" },
		{ "defect blob-not-preserved kexec-metadata", "blob-not-preserved" },
		{ "defect scratch-layout granule", "scratch-layout" },
		{ "defect scratch-layout misaligned", "scratch-layout" },
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		json_t *doc = expectations(radix_base, lines[i][0]);

		ck_assert_msg(count(doc, lines[i][1]) == 1, "%s: %s", lines[i][0],
			      json_dumps(findings(doc), 0));
		json_decref(doc);
	}
}
END_TEST

/* Every LUO variant: its check once, at the address docs/luo.md names, and
 * nothing else. */
START_TEST(luo_variants_fire_exactly_once)
{
	static const char *const lines[][3] = {
		{ "v1", "defect luo-format", "luo-format" },
		{ "v5", "defect luo-format", "luo-format" },
		{ "v5", "defect luo-format size", "luo-format" },
		{ "v5", "defect luo-block", "luo-block" },
		{ "v5", "defect luo-block capacity", "luo-block" },
		{ "v1", "defect luo-block capacity", "luo-block" },
		{ "v5", "defect luo-block cycle", "luo-block" },
		{ "v5", "defect luo-block misaligned", "luo-block" },
		{ "v1", "defect luo-session", "luo-session" },
		{ "v5", "defect luo-session unterminated", "luo-session" },
		{ "v1", "defect luo-session duplicate", "luo-session" },
		{ "v5", "defect luo-session duplicate", "luo-session" },
		{ "v1", "defect luo-session count", "luo-session" },
		{ "v5", "defect luo-session count", "luo-session" },
		{ "v1", "defect luo-file", "luo-file" },
		{ "v5", "defect luo-file data", "luo-file" },
		{ "v5", "defect luo-memfd seals", "luo-memfd" },
		{ "v5", "defect luo-memfd flags", "luo-memfd" },
		{ "v1", "defect luo-memfd nr-folios", "luo-memfd" },
		{ "v5", "defect luo-memfd nr-folios", "luo-memfd" },
		{ "v5", "defect luo-memfd outside", "luo-memfd" },
		{ "v1", "defect luo-memfd beyond", "luo-memfd" },
		{ "v5", "defect luo-memfd overlap", "luo-memfd" },
		{ "v1", "defect luo-not-preserved", "luo-not-preserved" },
		{ "v5", "defect luo-not-preserved block", "luo-not-preserved" },
		{ "v5", "defect luo-not-preserved record", "luo-not-preserved" },
		{ "v1", "defect luo-not-preserved folio", "luo-not-preserved" },
		{ "v5", "defect luo-not-preserved chunk", "luo-not-preserved" },
		{ "v1", "defect luo-not-preserved flb", "luo-not-preserved" },
		{ "v5", "defect luo-not-preserved flb", "luo-not-preserved" },
	};

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		json_t *doc = expectations(!strcmp(lines[i][0], "v1") ? radix_base : luo5_base,
					   lines[i][1]);

		/* Unpreserving the only key of its order may empty a leaf: a note. */
		ck_assert_msg(count(doc, lines[i][2]) == 1 &&
			      json_array_size(findings(doc)) == 1 + count(doc, "radix-empty"),
			      "%s %s: %s", lines[i][0], lines[i][1], json_dumps(findings(doc), 0));
		json_decref(doc);
	}
}
END_TEST

/* A spec without LUO state gets a minimal one; v5-only variants refuse v1. */
START_TEST(luo_defects_add_state_or_refuse)
{
	static const char bare[] = "abi kho-v4\nram 0 64M\nfolio 0x400000 0\n";
	static const char *const refused[] = {
		"defect luo-block count0", "defect luo-memfd seals", "defect luo-format size",
	};
	json_t *doc = expectations(bare, "defect luo-memfd overlap");
	json_t *luo = json_object_get(json_array_get(json_object_get(doc, "handovers"), 0), "luo");

	ck_assert_uint_eq(count(doc, "luo-memfd"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(luo, "format")), "luo-v5");
	json_decref(doc);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char text[1024];
		struct kho_spec_result res;
		struct kho_error err = { 0 };

		snprintf(text, sizeof(text), "%s%s\n", radix_base, refused[i]);
		ck_assert_int_eq(kho_spec_run_buffer("t.spec", text, strlen(text), &res, &err),
				 KHO_ERR_INVALID);
		ck_assert_msg(strstr(err.msg, "luo-v5 only"), "%s", err.msg);
	}
}
END_TEST

START_TEST(range_order_is_an_error_past_the_int_limit)
{
	/* 256 MiB of RAM: the 2 GiB block lands above it, also not RAM. */
	json_t *doc = expectations(radix_base, "defect range-order"), *f;
	size_t i, errors = 0;

	json_array_foreach(findings(doc), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "check")), "range-order"))
			errors += !strcmp(json_string_value(json_object_get(f, "severity")),
					  "error");
	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(count(doc, "range-not-ram"), 1);
	json_decref(doc);
}
END_TEST

/* 7.2.13 and 7.3-rc7 compute a block's size in u64: on kho-v4 the 2 GiB
 * block is only above the default --max-order, a warning. */
START_TEST(range_order_is_a_warning_on_kho_v4)
{
	json_t *doc = expectations(luo5_base, "defect range-order"), *f;
	size_t i, warnings = 0, n = 0;

	json_array_foreach(findings(doc), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "check")), "range-order")) {
			n++;
			warnings += !strcmp(json_string_value(json_object_get(f, "severity")),
					    "warning");
		}
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(warnings, 1);
	json_decref(doc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("defect");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, clean_bases_expect_nothing);
	tcase_add_test(tc, every_check_has_a_defect_that_fires_it);
	tcase_add_test(tc, structural_defects_fire_exactly_once);
	tcase_add_test(tc, variants);
	tcase_add_test(tc, luo_variants_fire_exactly_once);
	tcase_add_test(tc, luo_defects_add_state_or_refuse);
	tcase_add_test(tc, range_order_is_an_error_past_the_int_limit);
	tcase_add_test(tc, range_order_is_a_warning_on_kho_v4);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
