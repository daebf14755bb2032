// SPDX-License-Identifier: MIT
/*
 * The error model (include/kho/error.h): only a call that fails writes
 * @err; one that succeeds leaves it as it was, even when it walked past
 * failures of its own (a malformed compatible that became a finding, a
 * read a walker stepped over). A caller that goes on after a failure
 * keeps the first one.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/internal.h"
#include "kho/ref.h"
#include "suite.h"

static const struct kho_error first = { KHO_ERR_CORRUPT, "the first failure" };

static void assert_untouched(const struct kho_error *err)
{
	ck_assert_int_eq(err->status, first.status);
	ck_assert_str_eq(err->msg, first.msg);
}

/* Inspects the raw image of @spec with @err holding the first failure. */
static void inspect_spec(const char *spec, const char *want_check)
{
	char path[] = "/tmp/kho-check-error-XXXXXX";
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	struct kho_source *src;
	struct kho_inspection in;
	bool seen = !want_check;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_msg(kho_spec_run_buffer("t.spec", spec, strlen(spec), &res, &err) == KHO_OK,
		      "%s", err.msg);
	ck_assert_int_eq(kho_ref_write(res.ref, KHO_IMAGE_RAW, path, NULL, &err), KHO_OK);
	ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), KHO_OK);

	err = first;
	ck_assert_int_eq(kho_inspect(src, kho_ref_fdt_phys(res.ref), NULL, &in, &err), KHO_OK);
	assert_untouched(&err);
	for (size_t i = 0; i < in.findings.n; i++)
		seen |= want_check && !strcmp(in.findings.v[i].check->name, want_check);
	ck_assert_msg(seen, "no %s finding", want_check);

	kho_inspection_free(&in);
	kho_source_close(src);
	kho_ref_free(res.ref);
	unlink(path);
}

START_TEST(a_malformed_compatible_is_a_finding_not_an_error)
{
	/* kho_compat_parse fails inside kho_handover_load; that load succeeds */
	inspect_spec("abi kho-v3\nram 0 64M\nscratch 0x1000000 4M\nfolio 0x400000 0\n"
		     "defect fdt-compatible\n", "fdt-compatible");
}
END_TEST

START_TEST(clean_inspections_leave_err_alone)
{
	inspect_spec("abi kho-v3\nram 0 64M\nscratch 0x1000000 4M\nfolio 0x400000 0\n"
		     "blob kho_test fdt kho-test-v1\nreserve-mem r 0xc00000 0x4000\n"
		     "vmalloc-blob vm 4\n", NULL);
	inspect_spec("abi kho-v1\nv1-bitmap page\nram 0 64M\nscratch 0x1000000 4M\n"
		     "folio 0x400000 0\nfolios 0x800000 1 8\n", NULL);
	inspect_spec("abi kho-v1\nv1-bitmap 512\nram 0 64M\nscratch 0x1000000 4M\n"
		     "folio 0x400000 0\ndefect v1-bitmap\n", "v1-bitmap");
}
END_TEST

START_TEST(a_failure_says_its_own_reason)
{
	struct kho_compat c;
	struct kho_error err = first;

	/* success: untouched */
	ck_assert_int_eq(kho_compat_parse("kho-v3", 7, &c, &err), KHO_OK);
	assert_untouched(&err);
	/* failure: its own status and message, with context in front */
	ck_assert_int_eq(kho_compat_parse("kho-v9", 7, &c, &err), KHO_ERR_NOTIMPL);
	ck_assert_int_eq(kho_error_prepend(&err, "FDT"), KHO_ERR_NOTIMPL);
	ck_assert_msg(!strncmp(err.msg, "FDT: unsupported KHO ABI", 24), "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_malformed_compatible_is_a_finding_not_an_error);
	tcase_add_test(tc, clean_inspections_leave_err_alone);
	tcase_add_test(tc, a_failure_says_its_own_reason);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
