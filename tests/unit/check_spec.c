// SPDX-License-Identifier: MIT
/* The spec language: directives, numbers, and errors that name FILE:LINE. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kho/number.h"
#include "kho/ref.h"
#include "suite.h"
#include "ref/ref_internal.h"

static enum kho_status run(const char *text, struct kho_spec_result *res,
			   struct kho_error *err)
{
	return kho_spec_run_buffer("t.spec", text, strlen(text), res, err);
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct kho_spec_result res;
	struct kho_error err = { 0 };

	ck_assert_int_ne(run(text, &res, &err), KHO_OK);
	ck_assert_msg(strncmp(err.msg, where, strlen(where)) == 0,
		      "\"%s\" does not start with \"%s\"", err.msg, where);
	ck_assert_msg(strstr(err.msg, what), "\"%s\" lacks \"%s\"", err.msg, what);
}

START_TEST(a_minimal_spec_builds)
{
	struct kho_spec_result res;
	struct kho_error err;

	ck_assert_int_eq(run("ram 0 16M\n", &res, &err), KHO_OK);
	ck_assert_uint_eq(kho_ref_geometry(res.ref)->page_size, 4096);
	ck_assert_str_eq(res.ref->compatible, "kho-v3");
	ck_assert_uint_ne(res.outputs & (1u << KHO_IMAGE_ELF), 0);
	ck_assert_uint_eq(res.outputs & (1u << KHO_IMAGE_KDUMP), 0);
	kho_ref_free(res.ref);
}
END_TEST

START_TEST(machine_directives)
{
	struct kho_spec_result res;
	struct kho_error err;
	const char *spec =
		"# comment line\n"
		"abi kho-v4   # trailing comment\n"
		"compatible kho-v4;radix-v1;vmalloc-v1\n"
		"page-size 64K\n"
		"ram 0x0 1G\n"
		"scratch 0x1000000 0x1000000\n"
		"raw-base 0x10000\n"
		"outputs raw qemu kdump-lzo\n"
		"folios 0x2000000 1 10 0x40000\n";

	ck_assert_int_eq(run(spec, &res, &err), KHO_OK);
	ck_assert_uint_eq(res.ref->geo.page_size, 65536);
	ck_assert_int_eq(res.ref->cfg.arch, KHO_ARCH_AARCH64);
	ck_assert_str_eq(res.ref->compatible, "kho-v4;radix-v1;vmalloc-v1");
	ck_assert_uint_eq(res.raw_base, 0x10000);
	ck_assert_uint_eq(res.outputs, (1u << KHO_IMAGE_RAW) | (1u << KHO_IMAGE_QEMU) |
			  (1u << KHO_IMAGE_KDUMP_LZO) | (1u << KHO_IMAGE_DTB) |
			  (1u << KHO_IMAGE_EXPECT));
	ck_assert(ref_is_preserved(res.ref, 0x2000000 + 9 * 0x40000, 0x20000));
	ck_assert(!ref_is_preserved(res.ref, 0x2000000 + 0x20000, 0x20000));
	kho_ref_free(res.ref);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
	expect_error("ram 0 16M\nfrobnicate 1\n", "t.spec:2:", "unknown directive \"frobnicate\"");
	expect_error("\n\nram 0 16Q\n", "t.spec:3:", "not a number");
	expect_error("ram 0 16M\nabi kho-v2\n", "t.spec:2:", "must come before");
	expect_error("abi kho-v7\n", "t.spec:1:", "unknown abi");
	expect_error("page-size 8K\n", "t.spec:1:", "not 4K, 16K or 64K");
	expect_error("arch x86_64\npage-size 16K\nram 0 1G\n", "t.spec:3:", "4K pages only");
	expect_error("ram 0 16M\nfolio 0x1000 1\n", "t.spec:2:", "not aligned");
	expect_error("ram 0 16M\nfolio 0x1000\n", "t.spec:2:", "usage: folio PHYS ORDER");
	expect_error("ram 0 16M\ndefect no-such-check\n", "t.spec:2:", "no defect named");
	expect_error("ram 0 16M\ndefect v1-chunk\n", "t.spec:2:", "does not apply to kho-v3");
	expect_error("ram 0 16M\ndefect radix-loop spiral\n", "t.spec:2:", "unknown variant");
	expect_error("abi kho-v1\nram 0 16M\nblob x raw 10\n", "t.spec:3:", "FDT blobs only");
	expect_error("ram 0 16M\nblob a raw 10\nblob a raw 10\n", "t.spec:3:", "exists already");
	expect_error("ram 0 18446744073709551615T\n", "t.spec:1:", "too large");
	expect_error("ram 0 16M\nfolios 0xfffffffffffff000 0 3\n", "t.spec:2:", "past the end");
	expect_error("ram 0 16M\nvmalloc-blob v 3 1\n", "t.spec:2:", "not whole order-1 runs");
	/* no kernel writes a bare kho_vmalloc sub-node: the old name says so */
	expect_error("ram 0 16M\nvmalloc v 3\n", "t.spec:2:", "no released kernel writes");
	/* found by fuzz_spec: a zero stride divided by zero */
	expect_error("#\nram 0 0 0x4000 00\n", "t.spec:2:", "overlap");
	expect_error("ram 0 4K 3 0\n", "t.spec:1:", "overlap");
	expect_error("folio 0 0\n", "t.spec:1:", "no ram");
	expect_error("", "t.spec:", "no ram");
	/* A failure late in finalize names the file too. */
	expect_error("ram 0 16M\ndefect range-scratch\n", "t.spec:", "no scratch area");
}
END_TEST

/* One number reader for both tools and the spec language (issue 16). */
START_TEST(numbers_read_as_people_write_them)
{
	static const struct { const char *s; bool ok; uint64_t v; } t[] = {
		{ "4096", true, 4096 }, { "0x1000", true, 4096 }, { "0X1f", true, 31 },
		{ "16K", true, 16384 }, { "16k", true, 16384 }, { "64KiB", true, 65536 },
		{ "64kib", true, 65536 }, { "64KB", true, 65536 }, { "1G", true, 1ull << 30 },
		{ "0x4M", true, 4ull << 20 }, { "2T", true, 2ull << 40 }, { "1P", true, 1ull << 50 },
		{ "010", true, 10 }, { "0", true, 0 }, { "18446744073709551615", true, UINT64_MAX },
		{ "18446744073709551616", false, 0 }, { "16384P", false, 0 }, { "", false, 0 },
		{ "-1", false, 0 }, { "+1", false, 0 }, { " 1", false, 0 }, { "1 ", false, 0 },
		{ "0x", false, 0 }, { "4KX", false, 0 }, { "4Ki", false, 0 }, { "4KiBB", false, 0 },
		{ "4B", false, 0 }, { "1.5K", false, 0 }, { "0x1g0", false, 0 }, { "k", false, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		bool ok = kho_parse_number(t[i].s, &v);

		ck_assert_msg(ok == t[i].ok, "\"%s\": %s", t[i].s, ok ? "accepted" : "refused");
		ck_assert_msg(ok ? v == t[i].v : v == 12345, "\"%s\" read as %llu", t[i].s,
			      (unsigned long long)v);
	}
}
END_TEST

START_TEST(hostile_text_is_refused_cleanly)
{
	struct kho_spec_result res;
	struct kho_error err;
	char *big = malloc(5000);

	memset(big, 'a', 4999);
	big[4999] = '\0';
	ck_assert_int_eq(run(big, &res, &err), KHO_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err.msg, "line longer"));
	ck_assert_int_eq(kho_spec_run_buffer("t.spec", "ram 0 1M\0x", 10, &res, &err),
			 KHO_ERR_INVALID);
	ck_assert_int_eq(run("ram 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", &res, &err),
			 KHO_ERR_INVALID);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_minimal_spec_builds);
	tcase_add_test(tc, machine_directives);
	tcase_add_test(tc, errors_name_file_and_line);
	tcase_add_test(tc, hostile_text_is_refused_cleanly);
	tcase_add_test(tc, numbers_read_as_people_write_them);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
