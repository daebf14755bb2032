// SPDX-License-Identifier: MIT
/*
 * The memblock blob decoder keeps every reserve-mem region, however
 * many, and counts the ones it cannot read instead of dropping them.
 * The blob is built here with libfdt's sequential writer and read back
 * from a raw image.
 */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kho/internal.h"
#include "suite.h"

#define BLOB_PHYS 0x1000

static void put_u64_le(void *fdt, const char *name, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	ck_assert_int_eq(fdt_property(fdt, name, b, 8), 0);
}

/* A memblock-v1 blob of @n regions; region @bad (if < n) has no size. */
static struct kho_source *image(unsigned n, unsigned bad, char *path)
{
	static uint8_t mem[0x10000];
	struct kho_source_opts o = { .format = KHO_FORMAT_RAW, .page_size = 4096 };
	struct kho_source *src;
	struct kho_error err;
	void *fdt = mem + BLOB_PHYS;
	FILE *f;
	int fd;

	memset(mem, 0, sizeof(mem));
	ck_assert_int_eq(fdt_create(fdt, sizeof(mem) - BLOB_PHYS), 0);
	ck_assert_int_eq(fdt_finish_reservemap(fdt), 0);
	ck_assert_int_eq(fdt_begin_node(fdt, ""), 0);
	ck_assert_int_eq(fdt_property_string(fdt, "compatible", "memblock-v1"), 0);
	for (unsigned i = 0; i < n; i++) {
		char name[16];

		snprintf(name, sizeof(name), "r%u", i);
		ck_assert_int_eq(fdt_begin_node(fdt, name), 0);
		ck_assert_int_eq(fdt_property_string(fdt, "compatible", "reserve-mem-v1"), 0);
		put_u64_le(fdt, "start", 0x100000 + i * 0x1000ull);
		if (i != bad)
			put_u64_le(fdt, "size", 0x1000);
		ck_assert_int_eq(fdt_end_node(fdt), 0);
	}
	ck_assert_int_eq(fdt_end_node(fdt), 0);
	ck_assert_int_eq(fdt_finish(fdt), 0);

	strcpy(path, "/tmp/kho-check-memblock-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_uint_eq(fwrite(mem, 1, sizeof(mem), f), sizeof(mem));
	fclose(f);
	ck_assert_int_eq(kho_source_open(path, &o, &src, &err), KHO_OK);
	return src;
}

static void decode(unsigned n, unsigned bad, size_t want_n, size_t want_unread)
{
	struct kho_subtree t = { .name = "memblock", .phys = BLOB_PHYS, .size = 0x1000,
				 .usable = true };
	char path[64];
	struct kho_source *src = image(n, bad, path);

	kho_subtree_decode(src, &t);
	ck_assert_int_eq(t.kind, KHO_BLOB_MEMBLOCK);
	ck_assert_uint_eq(t.u.memblock.n, want_n);
	ck_assert_uint_eq(t.u.memblock.unread, want_unread);
	if (want_n) {
		ck_assert_str_eq(t.u.memblock.r[want_n - 1].name, "r199");
		ck_assert_uint_eq(t.u.memblock.r[want_n - 1].start, 0x100000 + 199 * 0x1000ull);
	}
	kho_subtree_decode(src, &t);         /* again: starts afresh, no leak */
	ck_assert_uint_eq(t.u.memblock.n, want_n);
	kho_subtree_free(&t);
	ck_assert_int_eq(t.kind, KHO_BLOB_UNKNOWN);
	kho_source_close(src);
	unlink(path);
}

START_TEST(every_region_is_kept)
{
	decode(200, 200, 200, 0);           /* more than the 64 once kept */
}
END_TEST

START_TEST(a_region_without_size_is_counted_not_dropped)
{
	decode(200, 7, 199, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memblock");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, every_region_is_kept);
	tcase_add_test(tc, a_region_without_size_is_counted_not_dropped);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
