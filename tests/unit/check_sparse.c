// SPDX-License-Identifier: MIT
/*
 * kho-qemu-check's hole punching (tools/kho-qemu-check/sparse.c): the
 * dump reads byte for byte as before, only zero 4 KiB blocks lose their
 * disk, and a partial tail block is kept as it is.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/kho-qemu-check/sparse.h"

#define BLOCK 4096
#define BLOCKS 600              /* more than one 1 MiB chunk */

START_TEST(punch_keeps_every_byte)
{
	char path[] = "/tmp/check_sparse.XXXXXX";
	size_t len = (size_t)BLOCKS * BLOCK + 100;    /* and a partial tail */
	unsigned char *want = calloc(1, len), *got = malloc(len);
	struct stat before, after;
	FILE *f;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert(want && got);
	/* data in blocks 0, 7, 255..256 (across the chunk edge), the last
	 * whole block's final byte, and the tail; zeros elsewhere */
	want[0] = 1;
	memset(want + 7 * BLOCK + 100, 0xab, 10);
	memset(want + 255 * BLOCK + BLOCK - 1, 0xcd, 2);
	want[(size_t)BLOCKS * BLOCK - 1] = 0xef;
	ck_assert_int_eq(write(fd, want, len), (ssize_t)len);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(fstat(fd, &before), 0);
	close(fd);

	ck_assert_int_eq(sparse_punch_zeros(path), 0);
	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert_uint_eq((uint64_t)after.st_size, len);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(got, 1, len, f), len);
	fclose(f);
	ck_assert_mem_eq(got, want, len);
	/* where the file system can punch holes, the zero blocks are gone
	 * (at most 5 blocks of data and the tail's stay allocated) */
	if (after.st_blocks < before.st_blocks)
		ck_assert_int_le(after.st_blocks * 512, 8 * BLOCK);
	unlink(path);
	free(want);
	free(got);
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	ck_assert_int_eq(sparse_punch_zeros("/nonexistent/dump.elf"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sparse");
	TCase *tc = tcase_create("punch");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, punch_keeps_every_byte);
	tcase_add_test(tc, missing_file_is_an_error);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
