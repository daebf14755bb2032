// SPDX-License-Identifier: MIT
/*
 * page_head() against the codecs themselves: for pages of every kind
 * (zeros, random, text, an FDT, short repeats) compressed by zlib (every
 * level and strategy), lzo1x (fast and best), snappy and zstd, the first
 * bytes it returns are the first bytes the codec decompresses to. zlib
 * streams always answer; damaged zlib streams never disagree with zlib.
 */
#include <check.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "source/source_internal.h"
#include "suite.h"

#define MAXPAGE 65536

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

enum kind { ZEROS, RANDOM, TEXT, FDT, REPEAT, SPARSE, KINDS };

static void fill(uint8_t *p, size_t page, enum kind k)
{
	static const char *words[] = { "kexec ", "handover ", "preserve ", "folio ",
				       "radix ", "\n", "0x1000 ", "memfd " };
	size_t i = 0;

	memset(p, 0, page);
	switch (k) {
	case ZEROS:
		break;
	case RANDOM:
		for (; i < page; i++)
			p[i] = (uint8_t)next_rand();
		break;
	case TEXT:
		while (i < page) {
			const char *w = words[next_rand() % 8];

			for (; *w && i < page; w++)
				p[i++] = (uint8_t)*w;
		}
		break;
	case FDT: {
		static const uint8_t head[] = { 0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0x98, 0, 0, 0,
						0x38, 0, 0, 0, 0x80, 0, 0, 0, 0x28, 0, 0, 0, 0x11 };

		memcpy(p, head, sizeof(head));
		memcpy(p + 0x80, "compatible\0kho-v3\0preserved-memory-map", 38);
		break;
	}
	case REPEAT:
		for (; i < page; i++)
			p[i] = (uint8_t)("ab"[i % 2]);
		break;
	case SPARSE:
		for (int j = 0; j < 8; j++)
			p[next_rand() % page] = (uint8_t)next_rand();
		break;
	default:
		break;
	}
}

/* Compress @page bytes of @in as codec @c (variant @v). returns: length. */
static size_t squeeze(unsigned c, int v, const uint8_t *in, size_t page, uint8_t *out,
		      size_t cap)
{
	static uint8_t wrk[LZO1X_999_MEM_COMPRESS];

	switch (c) {
	case PAGE_ZLIB: {
		static const int strategy[] = { Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY,
						Z_RLE, Z_FIXED };
		z_stream z = { 0 };
		size_t n;

		ck_assert_int_eq(deflateInit2(&z, v / 5 * 3, Z_DEFLATED, 15, 8, strategy[v % 5]),
				 Z_OK);
		z.next_in = (Bytef *)(uintptr_t)in;
		z.avail_in = (uInt)page;
		z.next_out = out;
		z.avail_out = (uInt)cap;
		ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
		n = z.total_out;
		deflateEnd(&z);
		return n;
	}
	case PAGE_LZO: {
		lzo_uint n = cap;

		ck_assert_int_eq(v ? lzo1x_999_compress(in, page, out, &n, wrk) :
				 lzo1x_1_compress(in, page, out, &n, wrk), LZO_E_OK);
		return n;
	}
	case PAGE_SNAPPY: {
		size_t n = cap;

		ck_assert_int_eq(snappy_compress((const char *)in, page, (char *)out, &n),
				 SNAPPY_OK);
		return n;
	}
	case PAGE_ZSTD: {
		size_t n = ZSTD_compress(out, cap, in, page, v ? 19 : 1);

		ck_assert(!ZSTD_isError(n));
		return n;
	}
	default:
		memcpy(out, in, page);
		return page;
	}
}

START_TEST(heads_are_what_the_codecs_decode)
{
	static const unsigned codecs[] = { 0, PAGE_ZLIB, PAGE_LZO, PAGE_SNAPPY, PAGE_ZSTD };
	static const int variants[] = { 1, 20, 2, 1, 2 };
	static const size_t pages[] = { 4096, 16384, 65536 };
	static uint8_t page[MAXPAGE], z[2 * MAXPAGE];
	unsigned answered[5] = { 0 }, asked[5] = { 0 };

	ck_assert_int_eq(lzo_init(), LZO_E_OK);
	for (size_t ps = 0; ps < 3; ps++)
		for (int k = 0; k < KINDS; k++)
			for (int round = 0; round < 3; round++) {
				fill(page, pages[ps], (enum kind)k);
				for (size_t c = 0; c < 5; c++)
					for (int v = 0; v < variants[c]; v++) {
						size_t len = squeeze(codecs[c], v, page, pages[ps], z,
								     sizeof(z));

						for (size_t n = 1; n <= 16; n += 3) {
							uint8_t out[16];

							asked[c]++;
							if (!page_head(codecs[c], z, len,
								       (uint32_t)pages[ps], out, n))
								continue;
							answered[c]++;
							ck_assert_msg(!memcmp(out, page, n),
								      "codec 0x%x/%d, kind %d, page %zu, "
								      "n %zu", codecs[c], v, k, pages[ps],
								      n);
						}
					}
			}
	/* stored and zlib pages always answer; lzo and snappy whenever the
	 * page opens with a literal run, which random and FDT pages do */
	ck_assert_uint_eq(answered[0], asked[0]);
	ck_assert_uint_eq(answered[1], asked[1]);
	ck_assert_uint_ge(answered[2], asked[2] / 3);
	ck_assert_uint_ge(answered[3], asked[3] / 3);
}
END_TEST

/* Damaged zlib streams: wherever both answer, they say the same. */
START_TEST(damaged_zlib_never_disagrees)
{
	static uint8_t page[4096], z[8192];
	unsigned both = 0;

	for (int i = 0; i < 20000; i++) {
		size_t len;
		uint8_t ours[16], theirs[16];
		z_stream s = { 0 };
		int rc;

		fill(page, sizeof(page), (enum kind)(i % KINDS));
		len = squeeze(PAGE_ZLIB, i % 20, page, sizeof(page), z, sizeof(z));
		for (int k = 0; k < 1 + i % 4; k++)     /* the header is where it hurts */
			z[next_rand() % (len < 96 ? len : 96)] ^= (uint8_t)(1u << (next_rand() % 8));
		if (i % 7 == 0)
			len = next_rand() % len;
		if (!page_head(PAGE_ZLIB, z, len, sizeof(page), ours, 16))
			continue;
		ck_assert_int_eq(inflateInit(&s), Z_OK);
		s.next_in = z;
		s.avail_in = (uInt)len;
		s.next_out = theirs;
		s.avail_out = sizeof(theirs);
		rc = inflate(&s, Z_SYNC_FLUSH);
		inflateEnd(&s);
		if ((rc == Z_OK || rc == Z_STREAM_END) && !s.avail_out) {
			both++;
			ck_assert_msg(!memcmp(ours, theirs, 16), "damaged stream %d", i);
		}
	}
	ck_assert_uint_gt(both, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, heads_are_what_the_codecs_decode);
	tcase_add_test(tc, damaged_zlib_never_disagrees);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
