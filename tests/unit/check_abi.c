// SPDX-License-Identifier: MIT
/* The ABI core: geometry, keys and versions against the facts of kho-abi.md. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kho/abi.h"
#include "kho/findings.h"
#include "suite.h"

static const uint64_t page_sizes[] = { 4096, 16384, 65536 };

START_TEST(geometry_matches_the_abi_table)
{
	/* page, entries, bits, order-0 bit, depth, legal root entries */
	static const struct { uint64_t page; unsigned table, bitmap, o0, depth; uint64_t roots; } t[] = {
		{ 4096, 9, 15, 52, 6, 4 },
		{ 16384, 11, 17, 50, 5, 2 },
		{ 65536, 13, 19, 48, 4, 16 },
	};
	struct kho_geometry g;

	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(kho_geometry_init(&g, t[i].page, false), KHO_OK);
		ck_assert_uint_eq(g.table_log2, t[i].table);
		ck_assert_uint_eq(g.bitmap_log2, t[i].bitmap);
		ck_assert_uint_eq(g.order0_bit, t[i].o0);
		ck_assert_uint_eq(g.key_width, t[i].o0 + 1);
		ck_assert_uint_eq(g.depth, t[i].depth);
		ck_assert_uint_eq(kho_root_entries_legal(&g), t[i].roots);
	}
	ck_assert_int_eq(kho_geometry_init(&g, 8192, false), KHO_ERR_INVALID);
	ck_assert_int_eq(kho_geometry_init(&g, 0, false), KHO_ERR_INVALID);
}
END_TEST

START_TEST(level_bit_ranges)
{
	/* kho-abi.md: 4K L1 23:15 ... L5 59:51; 16K L4 60:50; 64K L3 57:45 */
	struct kho_geometry g;

	kho_geometry_init(&g, 4096, false);
	ck_assert_uint_eq(kho_level_shift(&g, 0), 0);
	ck_assert_uint_eq(kho_level_shift(&g, 1), 15);
	ck_assert_uint_eq(kho_level_shift(&g, 2), 24);
	ck_assert_uint_eq(kho_level_shift(&g, 5), 51);
	kho_geometry_init(&g, 16384, false);
	ck_assert_uint_eq(kho_level_shift(&g, 4), 50);
	kho_geometry_init(&g, 65536, false);
	ck_assert_uint_eq(kho_level_shift(&g, 3), 45);
}
END_TEST

START_TEST(broken_16k_depth_loses_the_order0_bit)
{
	struct kho_geometry good, bad;
	uint64_t key;

	kho_geometry_init(&good, 16384, false);
	kho_geometry_init(&bad, 16384, true);
	ck_assert_uint_eq(bad.depth, 4);
	ck_assert_uint_eq(good.depth, 5);
	/* The root of the broken tree indexes bits 49:39: bit 50 is gone. */
	key = kho_key_encode(&bad, 0x4000, 0);
	ck_assert_uint_eq(key >> 50, 1);
	ck_assert_uint_eq(kho_key_index(&bad, key, 3), kho_key_index(&bad, key & ~(1ull << 50), 3));
	/* Other page sizes are unaffected. */
	for (size_t i = 0; i < 3; i += 2) {
		kho_geometry_init(&good, page_sizes[i], false);
		kho_geometry_init(&bad, page_sizes[i], true);
		ck_assert_uint_eq(good.depth, bad.depth);
	}
}
END_TEST

/* Rebuild a key from its per-level indices: they must cover it exactly. */
static uint64_t from_indices(const struct kho_geometry *g, uint64_t key)
{
	uint64_t k = 0;

	for (unsigned l = 0; l < g->depth; l++)
		k |= kho_key_index(g, key, l) << kho_level_shift(g, l);
	return k;
}

START_TEST(every_order_round_trips_at_edge_addresses)
{
	struct kho_geometry g;

	kho_geometry_init(&g, page_sizes[_i], false);
	for (unsigned order = 0; order <= kho_max_order(&g); order++) {
		unsigned shift = g.page_shift + order;
		uint64_t block_mask = shift >= 64 ? UINT64_MAX : (1ull << shift) - 1;
		uint64_t edges[] = { 0, block_mask + 1, ~block_mask,
				     0x123456789abcdef0ull & ~block_mask,
				     (1ull << 52) & ~block_mask };

		for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
			uint64_t phys = edges[e], key, back;
			unsigned o;

			if (shift >= 64 && phys)
				continue;
			key = kho_key_encode(&g, phys, order);
			ck_assert_uint_ne(key, 0);
			ck_assert_uint_eq(64 - __builtin_clzll(key), g.key_width - order);
			ck_assert(kho_key_decode(&g, key, &back, &o));
			ck_assert_uint_eq(o, order);
			ck_assert_uint_eq(back, phys);
			ck_assert_uint_eq(from_indices(&g, key), key);
			/* Only root indices below the legal count occur. */
			ck_assert_uint_lt(kho_key_index(&g, key, g.depth - 1),
					  kho_root_entries_legal(&g));
		}
	}
}
END_TEST

/*
 * Every bit still, but one assertion per leaf: in Check's fork mode each
 * ck_assert writes to a pipe, and 2^20 of them per page size took 38 s
 * on a busy machine. The first bit that disagrees is named.
 */
START_TEST(every_leaf_bit_decodes)
{
	struct kho_geometry g;

	kho_geometry_init(&g, page_sizes[_i], false);
	/* A leaf of order-0 keys and one of order-3 keys, every bit. */
	for (unsigned order = 0; order <= 3; order += 3) {
		uint64_t prefix = 1ull << (g.order0_bit - order), bad = 0, first = 0;

		for (uint64_t bit = 0; bit < (1ull << g.bitmap_log2); bit++) {
			uint64_t key = prefix | bit, phys = 0;
			unsigned o = 0;
			bool ok = kho_key_decode(&g, key, &phys, &o) && o == order &&
				  phys == bit << (g.page_shift + order) &&
				  kho_key_index(&g, key, 0) == bit &&
				  kho_key_encode(&g, phys, o) == key;

			if (!ok && !bad++)
				first = bit;
		}
		ck_assert_msg(!bad, "%u-byte pages, order %u: %llu of %llu leaf bits do not "
			      "round-trip, the first is bit %llu", (unsigned)g.page_size, order,
			      (unsigned long long)bad, 1ull << g.bitmap_log2,
			      (unsigned long long)first);
	}
}
END_TEST

START_TEST(impossible_keys_do_not_decode)
{
	struct kho_geometry g;
	uint64_t phys;
	unsigned o;

	kho_geometry_init(&g, 4096, false);
	ck_assert(!kho_key_decode(&g, 0, &phys, &o));
	ck_assert(!kho_key_decode(&g, 1ull << 53, &phys, &o));
	ck_assert(!kho_key_decode(&g, UINT64_MAX, &phys, &o));
	ck_assert(kho_key_decode(&g, 1, &phys, &o));    /* order 52 at 0 */
	ck_assert_uint_eq(o, 52);
	ck_assert_uint_eq(phys, 0);
}
END_TEST

static enum kho_status parse(const char *s, struct kho_compat *c)
{
	return kho_compat_parse(s, strlen(s) + 1, c, NULL);
}

START_TEST(compatible_strings)
{
	struct kho_compat c;
	struct kho_error err = { 0 };

	ck_assert_int_eq(parse("kho-v3", &c), KHO_OK);
	ck_assert_uint_eq(c.version, 3);
	ck_assert_ptr_nonnull(c.abi);
	ck_assert_str_eq(c.abi->blob_prop, "preserved-data");
	ck_assert(c.abi->has_blob_size);
	ck_assert_int_eq(parse("kho-v1", &c), KHO_OK);
	ck_assert_str_eq(c.abi->blob_prop, "fdt");
	ck_assert_int_eq(c.abi->map_format, KHO_MAP_V1_CHUNKS);
	ck_assert(!c.abi->fdt_preserved);

	ck_assert_int_eq(parse("kho-v4;radix-v1;vmalloc-v1", &c), KHO_OK);
	ck_assert_uint_eq(c.version, 4);
	ck_assert_uint_eq(c.ncomponents, 2);
	ck_assert_str_eq(c.components[0], "radix-v1");
	ck_assert_str_eq(c.components[1], "vmalloc-v1");

	/* A string list: only the first string counts. */
	ck_assert_int_eq(kho_compat_parse("kho-v2\0other", 13, &c, NULL), KHO_OK);
	ck_assert_uint_eq(c.version, 2);

	/* Well-formed but unknown: fail closed. */
	ck_assert_int_eq(kho_compat_parse("kho-v9", 7, &c, &err), KHO_ERR_NOTIMPL);
	ck_assert_ptr_nonnull(strstr(err.msg, "kho-v9"));
	ck_assert_int_eq(parse("kho-v10;x", &c), KHO_ERR_NOTIMPL);
	/* A component nobody knows changes the format: fail closed too. */
	ck_assert_int_eq(kho_compat_parse("kho-v4;radix-v9;vmalloc-v7", 27, &c, &err),
			 KHO_ERR_NOTIMPL);
	ck_assert_ptr_nonnull(strstr(err.msg, "radix-v9"));
	ck_assert_ptr_null(c.abi);
	ck_assert_int_eq(parse("kho-v4;radix-v1;vmalloc-v2", &c), KHO_ERR_NOTIMPL);
	ck_assert_int_eq(parse("kho-v4;frob-v1", &c), KHO_ERR_NOTIMPL);
	/* A radix component on a chunk-list root describes nothing there. */
	ck_assert_int_eq(parse("kho-v1;radix-v1", &c), KHO_ERR_NOTIMPL);
	ck_assert_int_eq(parse("kho-v3;vmalloc-v1", &c), KHO_OK);

	/* Malformed. */
	static const char *const bad[] = {
		"", "kho-v", "kho-vx", "kho-v3x", "kho-v03", "kho-v3;", "kho-v3;;a",
		"kho-v3;a b", "KHO-v3", "kho-v99999999999", "x-kho-v3",
		"kho-v3;aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"kho-v3;a;b;c;d;e;f;g;h;i", "kho-v4;radix-v1;",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse(bad[i], &c) == KHO_ERR_CORRUPT, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(kho_compat_parse("kho-v3", 6, &c, NULL), KHO_ERR_CORRUPT); /* no NUL */
	ck_assert_int_eq(kho_compat_parse(NULL, 0, &c, NULL), KHO_ERR_CORRUPT);
}
END_TEST

START_TEST(check_table_holds_the_contract)
{
	static const struct { const char *name; enum kho_severity sev; } want[] = {
		{ "fdt-header", KHO_SEV_ERROR }, { "fdt-compatible", KHO_SEV_ERROR },
		{ "fdt-memory-map", KHO_SEV_ERROR }, { "fdt-subnode", KHO_SEV_ERROR },
		{ "fdt-not-preserved", KHO_SEV_ERROR }, { "blob-not-preserved", KHO_SEV_ERROR },
		{ "blob-fdt", KHO_SEV_ERROR }, { "radix-pointer", KHO_SEV_ERROR },
		{ "blob-kexec-metadata", KHO_SEV_ERROR }, { "blob-vmalloc", KHO_SEV_ERROR },
		{ "radix-loop", KHO_SEV_ERROR }, { "radix-key-width", KHO_SEV_ERROR },
		{ "radix-depth", KHO_SEV_ERROR }, { "radix-empty", KHO_SEV_NOTE },
		{ "radix-node-scratch", KHO_SEV_ERROR }, { "radix-node-preserved", KHO_SEV_WARNING },
		{ "range-order", KHO_SEV_WARNING }, { "range-overlap", KHO_SEV_ERROR },
		{ "range-scratch", KHO_SEV_ERROR }, { "range-not-ram", KHO_SEV_WARNING },
		{ "range-not-dumped", KHO_SEV_INCOMPLETE }, { "radix-unreadable", KHO_SEV_INCOMPLETE },
		{ "scratch-layout", KHO_SEV_ERROR }, { "v1-chunk", KHO_SEV_ERROR },
		{ "v1-bitmap", KHO_SEV_ERROR }, { "scratch-unknown", KHO_SEV_INCOMPLETE },
		{ "blob-unreadable", KHO_SEV_INCOMPLETE }, { "handover-ambiguous", KHO_SEV_WARNING },
		{ "dump-truncated", KHO_SEV_INCOMPLETE }, { "luo-format", KHO_SEV_ERROR },
		{ "luo-block", KHO_SEV_ERROR }, { "luo-session", KHO_SEV_ERROR },
		{ "luo-file", KHO_SEV_ERROR }, { "luo-memfd", KHO_SEV_ERROR },
		{ "luo-not-preserved", KHO_SEV_ERROR }, { "handover-consumed", KHO_SEV_NOTE },
		{ "luo-pending", KHO_SEV_NOTE },
		{ "blob-key-start", KHO_SEV_ERROR }, { "blob-kho-test", KHO_SEV_ERROR },
	};
	size_t n = 0;

	for (const struct kho_check_info *c = kho_checks(); c->name; c++) {
		const char *why, *how;

		/* --explain has text for every check */
		ck_assert_msg(kho_check_explain(c->name, &why, &how) && *why && *how,
			      "%s has no explanation", c->name);
		n++;
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		const struct kho_check_info *c = kho_check_find(want[i].name);

		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(c->severity, want[i].sev);
	}
	ck_assert_ptr_null(kho_check_find("no-such-check"));
}
END_TEST

/* The public accessors read the same table, numbered by enum kho_check_id:
 * every id has its own row, and the numbers the API hands out round-trip. */
START_TEST(check_ids_and_accessors_agree)
{
	size_t i, n = kho_check_count();

	ck_assert_uint_eq(n, KHO_CHECK_COUNT);
	for (i = 0; i < n; i++) {
		size_t j = SIZE_MAX;

		ck_assert_ptr_nonnull(kho_check_name(i));
		ck_assert_str_eq(kho_check_name(i), kho_checks()[i].name);
		ck_assert(kho_check_lookup(kho_check_name(i), &j));
		ck_assert_uint_eq(j, i);      /* and so no two rows share a name */
		ck_assert_int_eq(kho_check_severity(i), kho_checks()[i].severity);
		ck_assert_str_eq(kho_check_summary(i), kho_checks()[i].summary);
	}
	ck_assert_str_eq(kho_check_name(KHO_CHECK_RANGE_OVERLAP), "range-overlap");
	ck_assert_str_eq(kho_check_name(KHO_CHECK_LUO_NOT_PRESERVED), "luo-not-preserved");
	ck_assert_ptr_null(kho_check_name(n));
	ck_assert_ptr_null(kho_check_summary(n));
	ck_assert_int_eq(kho_check_severity(n), KHO_SEV_OFF);
	{
		const char *why = NULL, *how = NULL;

		/* the text is the check's row */
		ck_assert(kho_check_explain("radix-loop", &why, &how));
		ck_assert_ptr_eq(why, kho_checks()[KHO_CHECK_RADIX_LOOP].why);
		ck_assert_ptr_eq(how, kho_checks()[KHO_CHECK_RADIX_LOOP].how);
		ck_assert(!kho_check_explain("no-such-check", &why, &how));
		ck_assert(!kho_check_explain(NULL, &why, &how));
	}
	i = 7;
	ck_assert(!kho_check_lookup("no-such-check", &i));
	ck_assert(!kho_check_lookup(NULL, &i));
	ck_assert_uint_eq(i, 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, geometry_matches_the_abi_table);
	tcase_add_test(tc, check_ids_and_accessors_agree);
	tcase_add_test(tc, level_bit_ranges);
	tcase_add_test(tc, broken_16k_depth_loses_the_order0_bit);
	tcase_add_loop_test(tc, every_order_round_trips_at_edge_addresses, 0, 3);
	tcase_add_loop_test(tc, every_leaf_bit_decodes, 0, 3);
	tcase_add_test(tc, impossible_keys_do_not_decode);
	tcase_add_test(tc, compatible_strings);
	tcase_add_test(tc, check_table_holds_the_contract);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
