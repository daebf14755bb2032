// SPDX-License-Identifier: MIT
/*
 * Memory sources: one generated machine written as raw, vmcore, kcore,
 * QEMU and kdump (zlib and lzo) must read back the same bytes at every
 * page, give the same "not in the dump" and "not memory" answers, and
 * hostile files must fail with a clear error.
 */
#include <check.h>
#include <fcntl.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "kho/ref.h"
#include "kho/source.h"
#include "source/heads.h"
#include "source/source_internal.h"    /* flat_max_records */
#include "suite.h"

static char dir[64];
static bool have_kdump;

static const char spec[] =
	"ram 0 32M\n"
	"ram 0x100000000 8M\n"
	"scratch 0x1000000 2M\n"
	"alloc 0x1800000 4M\n"
	"folio 0x400000 4\n"
	"pages 0x800 100\n"
	"blob opaque raw 0x2800 0x5a\n"
	"kexec-metadata 7.0.0 1\n"
	"defect range-not-dumped\n";   /* one page the ELF leaves out */

static const enum kho_image_kind kinds[] = {
	KHO_IMAGE_RAW, KHO_IMAGE_ELF, KHO_IMAGE_KCORE, KHO_IMAGE_QEMU,
	KHO_IMAGE_KDUMP, KHO_IMAGE_KDUMP_LZO,
};

static void path_of(char *buf, size_t len, const char *name, enum kho_image_kind k)
{
	snprintf(buf, len, "%s/%s%s", dir, name, kho_image_suffix(k));
}

static uint64_t excluded_page;

static void setup(void)
{
	struct kho_spec_result res;
	struct kho_error err;
	char path[256];

	snprintf(dir, sizeof(dir), "/tmp/check_source.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(kho_spec_run_buffer("src.spec", spec, strlen(spec), &res, &err), KHO_OK);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		enum kho_status st;

		path_of(path, sizeof(path), "m", kinds[i]);
		st = kho_ref_write(res.ref, kinds[i], path, NULL, &err);
		if (kinds[i] == KHO_IMAGE_KDUMP && st == KHO_OK)
			have_kdump = true;
		ck_assert_msg(st == KHO_OK || st == KHO_ERR_NOTIMPL, "%s", err.msg);
	}
	/* The page the defect left out of the dump: the lowest allocated one. */
	excluded_page = 0;
	kho_ref_free(res.ref);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct kho_source *open_kind(enum kho_image_kind k)
{
	struct kho_source *src;
	struct kho_error err;
	char path[256];

	path_of(path, sizeof(path), "m", k);
	ck_assert_msg(kho_source_open(path, NULL, &src, &err) == KHO_OK, "%s", err.msg);
	return src;
}

START_TEST(kinds_page_size_and_arch)
{
	static const struct { enum kho_image_kind k; enum kho_source_kind want; const char *fmt; } t[] = {
		{ KHO_IMAGE_RAW, KHO_KIND_RAW, "raw" },
		{ KHO_IMAGE_ELF, KHO_KIND_VMCORE, "elf" },
		{ KHO_IMAGE_KCORE, KHO_KIND_KCORE, "elf" },
		{ KHO_IMAGE_QEMU, KHO_KIND_QEMU, "elf" },
		{ KHO_IMAGE_KDUMP, KHO_KIND_KDUMP, "kdump" },
		{ KHO_IMAGE_KDUMP_LZO, KHO_KIND_KDUMP, "kdump" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct kho_source *src;

		if (t[i].want == KHO_KIND_KDUMP && !have_kdump)
			continue;
		src = open_kind(t[i].k);
		ck_assert_int_eq(kho_source_kind(src), t[i].want);
		ck_assert_str_eq(kho_source_format_name(src), t[i].fmt);
		ck_assert_uint_eq(kho_source_page_size(src), 4096);
		ck_assert(!kho_source_big_endian(src));
		/* makedumpfile without VMCOREINFO leaves the machine name empty */
		if (t[i].want != KHO_KIND_RAW && t[i].want != KHO_KIND_KDUMP)
			ck_assert_str_eq(kho_source_arch(src), "x86_64");
		if (t[i].fmt[0] == 'e') {
			ck_assert_str_eq(kho_source_vmcoreinfo(src, "PAGESIZE"), "4096");
			ck_assert_ptr_nonnull(kho_source_vmcoreinfo(src, "OSRELEASE"));
			ck_assert_ptr_null(kho_source_vmcoreinfo(src, "PAGESIZ"));
		}
		kho_source_close(src);
	}
}
END_TEST

/*
 * The batch reader of a scan (source_heads) answers as reads do: every
 * page it answers holds those first bytes, every page it finds no data
 * for reads as not in the dump. Batches of odd sizes cross holes and
 * both threads' halves. returns: the pages it left to the reader.
 */
static size_t same_heads(struct kho_source *src, uint64_t end)
{
	enum { N = 777 };
	static uint8_t heads[N * 4], state[N];
	size_t asked = 0;
	struct kho_error err;
	uint64_t page = kho_source_page_size(src);

	for (uint64_t phys = 0; phys < end; phys += N * page) {
		if (phys > (48 << 20) && phys < end - (16 << 20))   /* the hole */
			phys = (end - (16 << 20)) & ~(page - 1);
		ck_assert_int_eq(source_heads(src, phys, N, 4, heads, state, &err), KHO_OK);
		for (size_t i = 0; i < N; i++) {
			uint64_t at = phys + i * page;
			uint8_t want[4];
			enum kho_status st = kho_source_read(src, at, want, 4, &err);

			if (state[i] == HEAD_ASK) {
				asked++;
				continue;
			}
			if (state[i] == HEAD_NONE) {
				ck_assert_msg(st == KHO_ERR_NODATA, "0x%llx: no head but reads",
					      (unsigned long long)at);
				continue;
			}
			ck_assert_int_eq(state[i], HEAD_OK);
			ck_assert_msg(st == KHO_OK && !memcmp(want, heads + 4 * i, 4),
				      "0x%llx: the batch's head differs", (unsigned long long)at);
		}
	}
	return asked;
}

/* Every page of both RAM ranges reads the same from every format. */
START_TEST(every_format_reads_the_same_bytes)
{
	struct kho_source *srcs[8];
	char path16[256];
	size_t nsrc = 0, nopen;
	uint8_t want[4096], got[4096];
	struct kho_error err;
	size_t pages = 0, excluded = 0;

	for (size_t i = 0; i < 6; i++)
		if ((kinds[i] != KHO_IMAGE_KDUMP && kinds[i] != KHO_IMAGE_KDUMP_LZO) || have_kdump)
			srcs[nsrc++] = open_kind(kinds[i]);
	nopen = nsrc;
	for (uint64_t phys = 0; phys < 0x100800000ull; phys += 4096) {
		enum kho_status st0;

		if (phys == 32 << 20)
			phys = 0x100000000ull;
		st0 = kho_source_read(srcs[0], phys, want, sizeof(want), &err);
		ck_assert_int_eq(st0, KHO_OK);     /* raw holds everything */
		for (size_t s = 1; s < nsrc; s++) {
			enum kho_status st = kho_source_read(srcs[s], phys, got, sizeof(got), &err);

			if (st == KHO_ERR_NODATA) {
				/* only the page excluded on purpose, and only where the
				 * format can exclude */
				ck_assert_msg(strstr(err.msg, "not in the dump"), "%s", err.msg);
				if (!excluded_page)
					excluded_page = phys;
				ck_assert_uint_eq(phys, excluded_page);
				excluded++;
				continue;
			}
			ck_assert_msg(st == KHO_OK, "source %zu at 0x%llx: %s", s,
				      (unsigned long long)phys, err.msg);
			ck_assert_msg(!memcmp(want, got, sizeof(got)), "source %zu differs at 0x%llx",
				      s, (unsigned long long)phys);
			/* a page's first bytes alone, as kho_scan asks (the
			 * diskdump reader decodes no more than those) */
			memset(got, 0xa5, 16);
			ck_assert_int_eq(kho_source_read(srcs[s], phys, got, 4, &err), KHO_OK);
			ck_assert_msg(!memcmp(want, got, 4) && got[4] == 0xa5,
				      "source %zu: head of 0x%llx", s, (unsigned long long)phys);
		}
		pages++;
	}
	ck_assert_uint_eq(pages, (32 + 8) * 256);
	/* every batch reader answers as reads do, and leaves no page of
	 * these to the reader (none crosses a piece's edge) */
	for (size_t s = 0; s < nsrc; s++) {
		ck_assert_uint_eq(same_heads(srcs[s], 0x100800000ull), 0);
		/* ... and on two threads when asked: a batch in halves */
		kho_source_set_threads(srcs[s], 2);
		ck_assert_uint_eq(same_heads(srcs[s], 0x100800000ull), 0);
		kho_source_set_threads(srcs[s], 1);
	}
	if (have_kdump) {
		/* read with pages of several kdump blocks (--page-size 16K),
		 * and on two threads when asked */
		struct kho_source_opts o = { .page_size = 16384 };
		struct kho_source *big;

		path_of(path16, sizeof(path16), "m", KHO_IMAGE_KDUMP);
		ck_assert_int_eq(kho_source_open(path16, &o, &big, &err), KHO_OK);
		ck_assert_uint_eq(kho_source_page_size(big), 16384);
		ck_assert_uint_eq(same_heads(big, 0x100800000ull), 0);
		kho_source_close(big);
		o = (struct kho_source_opts){ 0 };
		ck_assert_int_eq(kho_source_open(path16, &o, &big, &err), KHO_OK);
		kho_source_set_threads(big, 2);
		ck_assert_uint_eq(same_heads(big, 0x100800000ull), 0);
		kho_source_close(big);
	}
	/* vmcore, kcore and qemu exclude it; kdump (from the ELF) too */
	ck_assert_uint_eq(excluded, nsrc - 1);
	for (size_t s = 0; s < nopen; s++)
		kho_source_close(srcs[s]);
}
END_TEST

START_TEST(states_and_maps)
{
	struct kho_source *elf = open_kind(KHO_IMAGE_ELF);
	const struct kho_mem_range *r;
	uint64_t run, page;
	uint8_t buf[8192];
	struct kho_error err;
	size_t n;

	r = kho_source_map_ranges(elf, &n);
	ck_assert_uint_eq(n, 4);                 /* low RAM cut around one page, high RAM */
	ck_assert_uint_eq(r[1].state, KHO_MEM_EXCLUDED);
	ck_assert_uint_eq(r[1].size, 4096);
	page = r[1].start;
	ck_assert_int_eq(kho_source_state(elf, page, &run), KHO_MEM_EXCLUDED);
	ck_assert_uint_eq(run, 4096);
	ck_assert_int_eq(kho_source_state(elf, 0, &run), KHO_MEM_PRESENT);
	ck_assert_uint_eq(run, page);
	ck_assert_int_eq(kho_source_state(elf, 64 << 20, &run), KHO_MEM_ABSENT);
	ck_assert_uint_eq(run, 0x100000000ull - (64 << 20));

	/* A read across RAM and a hole: bytes where there are, a reason for the rest. */
	ck_assert_int_eq(kho_source_read(elf, (32 << 20) - 4096, buf, 8192, &err), KHO_ERR_NODATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "not memory"));
	ck_assert_ptr_nonnull(strstr(err.msg, "0x2000000"));
	ck_assert_int_eq(kho_source_read(elf, UINT64_MAX - 10, buf, 100, &err), KHO_ERR_NODATA);

	/* nothing is mapped (a file that shrinks under a mapping is SIGBUS) */
	ck_assert_ptr_null(kho_source_map(elf, 0x1000, 4096));
	ck_assert_ptr_null(kho_source_map(elf, page, 4096));
	ck_assert_ptr_null(kho_source_map(elf, 64 << 20, 16));
	kho_source_close(elf);
}
END_TEST

START_TEST(holes_are_skipped)
{
	struct kho_source *srcs[2] = { open_kind(KHO_IMAGE_RAW), open_kind(KHO_IMAGE_ELF) };

	for (int s = 0; s < 2; s++) {
		uint64_t next, run, phys = 0, pages = 0;

		/* Walking data only visits a handful of pages of 40 MiB. */
		while (kho_source_next_data(srcs[s], phys, &next, &run)) {
			uint8_t buf[4096];
			struct kho_error err;

			ck_assert_uint_ge(next, phys);
			ck_assert_uint_gt(run, 0);
			next &= ~4095ull;
			kho_source_read(srcs[s], next, buf, sizeof(buf), &err);
			phys = next + 4096;
			pages++;
		}
		ck_assert_uint_gt(pages, 3);
		ck_assert_uint_lt(pages, 200);
		kho_source_close(srcs[s]);
	}
}
END_TEST

START_TEST(raw_base_and_forced_format)
{
	struct kho_source_opts o = { .format = KHO_FORMAT_RAW, .raw_base = 0x80000000,
				     .page_size = 16384 };
	struct kho_source *src, *raw = open_kind(KHO_IMAGE_RAW);
	struct kho_error err;
	char path[256];
	uint8_t a[64], b[64];

	path_of(path, sizeof(path), "m", KHO_IMAGE_RAW);
	ck_assert_int_eq(kho_source_open(path, &o, &src, &err), KHO_OK);
	ck_assert_uint_eq(kho_source_page_size(src), 16384);
	ck_assert_int_eq(kho_source_read(src, 0x80000000 + 0x400000, a, sizeof(a), &err), KHO_OK);
	ck_assert_int_eq(kho_source_read(raw, 0x400000, b, sizeof(b), &err), KHO_OK);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_int_eq(kho_source_read(src, 0x1000, a, sizeof(a), &err), KHO_ERR_NODATA);
	kho_source_close(src);
	kho_source_close(raw);
	/* forcing ELF on a raw file is a clear error */
	o.format = KHO_FORMAT_ELF;
	ck_assert_int_eq(kho_source_open(path, &o, &src, &err), KHO_ERR_CORRUPT);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
}
END_TEST

/* ---- hostile files ---- */

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void expect_open_error(const char *path, enum kho_status want, const char *what)
{
	struct kho_source *src = NULL;
	struct kho_error err = { 0 };

	ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), want);
	ck_assert_ptr_null(src);
	ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, what), "\"%s\" lacks \"%s\"",
		      err.msg, what);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

static uint8_t *slurp(enum kho_image_kind k, size_t max, size_t *len)
{
	char path[256];
	uint8_t *buf = malloc(max);
	int fd;

	path_of(path, sizeof(path), "m", k);
	fd = open(path, O_RDONLY);
	*len = (size_t)read(fd, buf, max);
	close(fd);
	return buf;
}

START_TEST(hostile_files)
{
	char path[256];
	size_t len;
	uint8_t *elf = slurp(KHO_IMAGE_ELF, 1 << 20, &len);
	uint64_t v;

	snprintf(path, sizeof(path), "%s/bad", dir);
	write_file(path, "", 0);
	expect_open_error(path, KHO_ERR_CORRUPT, "empty file");
	write_file(path, "hello world", 11);
	expect_open_error(path, KHO_ERR_NOTIMPL, "unknown format");
	write_file(path, "makedumpfile\0\0\0\0", 16);
	expect_open_error(path, KHO_ERR_CORRUPT, "flattened file ends in its header");
	write_file(path, "KDUMP   \0\0\0\0\0\0\0\0", 16);
	expect_open_error(path, KHO_ERR_CORRUPT, "truncated");
	if (have_kdump) {
		/* a real kdump header whose bitmaps are cut off */
		uint8_t *kd = slurp(KHO_IMAGE_KDUMP, 8192, &len);

		write_file(path, kd, 4096);
		expect_open_error(path, KHO_ERR_CORRUPT, "truncated");
		/* header fine, bitmaps there, pages gone: libkdumpfile's turn */
		free(kd);
	}
	expect_open_error(dir, KHO_ERR_INVALID, "directory");
	snprintf(path, sizeof(path), "%s/none", dir);
	expect_open_error(path, KHO_ERR_SYSTEM, "No such file");

	snprintf(path, sizeof(path), "%s/bad", dir);
	/* ELF magic only */
	write_file(path, elf, 16);
	expect_open_error(path, KHO_ERR_CORRUPT, "");
	/* headers intact, memory cut off (disk full during kdump): inspected
	 * as far as it goes, the rest not in the dump, and said so */
	write_file(path, elf, 64 * 1024);
	{
		struct kho_source *src;
		struct kho_error err;
		uint64_t size, phys, run;

		ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), KHO_OK);
		ck_assert(kho_source_truncated(src, &size, &phys));
		ck_assert_uint_gt(size, 64 * 1024);
		ck_assert_int_eq(kho_source_state(src, phys, &run), KHO_MEM_EXCLUDED);
		ck_assert_int_eq(kho_source_state(src, phys - 4096, &run), KHO_MEM_PRESENT);
		kho_source_close(src);
	}
	write_file(path, elf, len);
	/* an absurd program header count */
	write_file(path, elf, len);
	{
		uint8_t *copy = malloc(len);

		memcpy(copy, elf, len);
		copy[56] = 0xfe, copy[57] = 0xff;      /* e_phnum = 65534 */
		write_file(path, copy, len);
		expect_open_error(path, KHO_ERR_CORRUPT, "");
		memcpy(copy, elf, len);
		v = 0x7fffffffffffull;                 /* e_phoff far away */
		memcpy(copy + 32, &v, 8);
		write_file(path, copy, len);
		expect_open_error(path, KHO_ERR_CORRUPT, "");
		memcpy(copy, elf, len);
		copy[16] = 2;                          /* ET_EXEC */
		write_file(path, copy, len);
		expect_open_error(path, KHO_ERR_CORRUPT, "not a core dump");
		free(copy);
	}
	free(elf);
}
END_TEST

START_TEST(seventy_thousand_segments)
{
	static const char many[] =
		"ram 0 16M\nram 0x10000000 4K 70000 8K\nalloc 0x10000000 1M\n"
		"folio 0x400000 2\nblob b raw 0x100 0x33\n";
	struct kho_spec_result res;
	struct kho_source *src;
	struct kho_error err;
	char path[256];
	uint8_t buf[4096];
	size_t n;
	uint64_t fdt;

	ck_assert_int_eq(kho_spec_run_buffer("many.spec", many, strlen(many), &res, &err), KHO_OK);
	path_of(path, sizeof(path), "many", KHO_IMAGE_ELF);
	ck_assert_int_eq(kho_ref_write(res.ref, KHO_IMAGE_ELF, path, NULL, &err), KHO_OK);
	fdt = kho_ref_fdt_phys(res.ref);
	kho_ref_free(res.ref);
	ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), KHO_OK);
	kho_source_map_ranges(src, &n);
	ck_assert_uint_eq(n, 70001);
	ck_assert_uint_ge(fdt, 0x10000000);
	ck_assert_int_eq(kho_source_read(src, fdt, buf, sizeof(buf), &err), KHO_OK);
	ck_assert_uint_eq(buf[0], 0xd0);          /* FDT magic, big-endian */
	ck_assert_uint_eq(buf[1], 0x0d);
	/* the hole between two small ranges is not memory */
	ck_assert_int_eq(kho_source_state(src, 0x10000000 + 0x1000, NULL), KHO_MEM_ABSENT);
	kho_source_close(src);
}
END_TEST

/* ---- makedumpfile's flattened form, written here record by record ---- */

#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct flat_writer {
	uint8_t *buf;
	size_t len, cap;
};

static void flat_put(struct flat_writer *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		w->buf = realloc(w->buf, w->cap);
		ck_assert_ptr_nonnull(w->buf);
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void flat_be64(struct flat_writer *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	flat_put(w, b, 8);
}

static void flat_header(struct flat_writer *w)
{
	uint8_t h[4096] = "makedumpfile";

	w->len = 0;
	flat_put(w, h, sizeof(h));
	w->len = 16;
	flat_be64(w, 1);           /* type */
	flat_be64(w, 1);           /* version */
	w->len = 4096;
}

static void flat_record(struct flat_writer *w, uint64_t off, const void *data, uint64_t n)
{
	flat_be64(w, off);
	flat_be64(w, n);
	if (data)
		flat_put(w, data, n);
}

/*
 * The generator's zlib kdump as a flattened stream in a hostile order:
 * garbage over every chunk first, then the real chunks from the last to
 * the first, in sizes that straddle each other, so only "later records
 * win" gives the file back.
 */
static void flatten_shuffled(const uint8_t *kd, size_t len, struct flat_writer *w)
{
	uint8_t *junk = malloc(len);
	const size_t chunk = 5000;

	memset(junk, 0xa5, len);
	flat_header(w);
	for (size_t off = 0; off < len; off += 3 * chunk)
		flat_record(w, off, junk + off, MIN(3 * chunk, len - off));
	for (size_t end = len; end > 0;) {
		size_t n = MIN(chunk + end % 777, end);

		flat_record(w, end - n, kd + end - n, n);
		end -= n;
	}
	flat_record(w, UINT64_MAX, NULL, UINT64_MAX);   /* -1, -1: the end */
	free(junk);
}

/* Reads and states of @b match those of @a over their whole map. */
static void same_memory(struct kho_source *a, struct kho_source *b, uint64_t limit)
{
	uint8_t x[4096], y[4096];
	struct kho_error ea, eb;
	size_t present = 0;

	for (uint64_t phys = 0; phys < limit;) {
		uint64_t ra, rb;
		enum kho_mem_state sa = kho_source_state(a, phys, &ra);
		enum kho_mem_state sb = kho_source_state(b, phys, &rb);

		ck_assert_msg(sa == sb, "state at 0x%llx: %d vs %d", (unsigned long long)phys,
			      sa, sb);
		ck_assert_msg(ra == rb, "run at 0x%llx", (unsigned long long)phys);
		if (sa == KHO_MEM_PRESENT) {
			for (uint64_t p = phys; p < phys + ra && p < limit; p += 4096) {
				ck_assert_int_eq(kho_source_read(a, p, x, 4096, &ea), KHO_OK);
				/* the first bytes alone first (decoded no further,
				 * before the page is cached), then the page */
				ck_assert_int_eq(kho_source_read(b, p, y, 8, &eb), KHO_OK);
				ck_assert_msg(!memcmp(x, y, 8), "first bytes at 0x%llx",
					      (unsigned long long)p);
				ck_assert_msg(kho_source_read(b, p, y, 4096, &eb) == KHO_OK,
					      "0x%llx: %s", (unsigned long long)p, eb.msg);
				ck_assert_msg(!memcmp(x, y, 4096), "bytes at 0x%llx",
					      (unsigned long long)p);
				present++;
			}
		} else {
			ck_assert_int_eq(kho_source_read(b, phys, y, 16, &eb), KHO_ERR_NODATA);
			ck_assert_ptr_nonnull(strstr(eb.msg, sa == KHO_MEM_ABSENT ? "not memory" :
						     "not in the dump"));
		}
		if (ra > limit - phys)
			break;
		phys += ra;
	}
	ck_assert_uint_gt(present, 1000);
}

START_TEST(flattened_records_in_any_order)
{
	struct flat_writer w = { 0 };
	struct kho_source *kd, *fl;
	struct kho_error err;
	uint64_t size, phys, run;
	char path[256];
	size_t len;
	uint8_t *raw;

	if (!have_kdump)
		return;
	raw = slurp(KHO_IMAGE_KDUMP, 16 << 20, &len);
	flatten_shuffled(raw, len, &w);
	snprintf(path, sizeof(path), "%s/m.flat", dir);
	write_file(path, w.buf, w.len);
	kd = open_kind(KHO_IMAGE_KDUMP);
	ck_assert_msg(kho_source_open(path, NULL, &fl, &err) == KHO_OK, "%s", err.msg);
	ck_assert_str_eq(kho_source_format_name(fl), "kdump-flat");
	ck_assert_int_eq(kho_source_kind(fl), KHO_KIND_KDUMP);
	ck_assert_uint_eq(kho_source_page_size(fl), 4096);
	ck_assert(!kho_source_truncated(fl, NULL, NULL));
	same_memory(kd, fl, 0x100800000ull);
	kho_source_close(fl);

	/* The whole file in one record, cut at three quarters (disk full):
	 * what is left reads, the rest is not in the dump, and the source
	 * says it is truncated. */
	w.len = 4096;
	flat_record(&w, 0, raw, len);
	w.len -= len / 4;
	write_file(path, w.buf, w.len);
	ck_assert_msg(kho_source_open(path, NULL, &fl, &err) == KHO_OK, "%s", err.msg);
	ck_assert(kho_source_truncated(fl, &size, &phys));
	ck_assert_uint_gt(size, w.len);
	ck_assert_uint_ne(phys, UINT64_MAX);
	ck_assert_int_eq(kho_source_state(fl, phys, &run), KHO_MEM_EXCLUDED);
	ck_assert_int_eq(kho_source_read(fl, phys, raw, 4096, &err), KHO_ERR_NODATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "not in the dump"));
	if (phys > 0) {
		uint8_t a[4096];

		ck_assert_int_eq(kho_source_state(fl, 0, &run), KHO_MEM_PRESENT);
		ck_assert_uint_le(run, phys);
		ck_assert_int_eq(kho_source_read(fl, 0, raw, 4096, &err), KHO_OK);
		ck_assert_int_eq(kho_source_read(kd, 0, a, 4096, &err), KHO_OK);
		ck_assert_mem_eq(a, raw, 4096);
	}
	kho_source_close(fl);
	kho_source_close(kd);
	free(raw);
	free(w.buf);
}
END_TEST

/* Little-endian fields of the generator's (x86_64) kdump. */
static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/*
 * The generator's zlib kdump with every page compressed again by @codec
 * (1 zlib, 2 lzo, 4 snappy, 0x20 zstd: makedumpfile's descriptor flags;
 * 0 stored), as QEMU's kdump-lzo and kdump-snappy and makedumpfile -z
 * write them: the same header and bitmaps, new descriptors and data.
 */
static uint8_t *recompress(const uint8_t *kd, size_t len, unsigned codec, size_t *out_len)
{
	uint64_t block = le(kd + 428, 4), sub = le(kd + 432, 4), bb = le(kd + 436, 4);
	uint64_t bmp2 = (1 + sub + bb / 2) * block, desc = (1 + sub + bb) * block, nd = 0;
	size_t cap, at;
	uint8_t *out, page[65536], z[2 * 65536];
	static uint8_t wrk[LZO1X_1_MEM_COMPRESS];

	ck_assert_int_eq(lzo_init(), LZO_E_OK);
	for (uint64_t i = 0; i < bb / 2 * block; i++)
		nd += (uint64_t)__builtin_popcount(kd[bmp2 + i]);
	cap = desc + nd * (24 + block + block / 8 + 256);     /* the codecs' worst */
	out = malloc(cap);
	memcpy(out, kd, desc + nd * 24);
	at = desc + nd * 24;
	for (uint64_t k = 0; k < nd; k++) {
		const uint8_t *d = kd + desc + k * 24;
		uint64_t off = le(d, 8), size = le(d + 8, 4), flags = le(d + 12, 4);
		size_t zn = sizeof(z);

		ck_assert_uint_le(off + size, len);
		if (flags & 1) {
			uLongf n = block;

			ck_assert_int_eq(uncompress(page, &n, kd + off, size), Z_OK);
			ck_assert_uint_eq(n, block);
		} else {
			ck_assert_uint_eq(size, block);
			memcpy(page, kd + off, block);
		}
		switch (codec) {
		case 1: {
			uLongf n = sizeof(z);

			ck_assert_int_eq(compress2(z, &n, page, block, 6), Z_OK);
			zn = n;
			break;
		}
		case 2: {
			lzo_uint n = sizeof(z);

			ck_assert_int_eq(lzo1x_1_compress(page, block, z, &n, wrk), LZO_E_OK);
			zn = n;
			break;
		}
		case 4:
			ck_assert_int_eq(snappy_compress((const char *)page, block, (char *)z, &zn),
					 SNAPPY_OK);
			break;
		case 0x20:
			zn = ZSTD_compress(z, sizeof(z), page, block, 1);
			ck_assert(!ZSTD_isError(zn));
			break;
		default:
			memcpy(z, page, block);
			zn = block;
		}
		ck_assert_uint_le(at + zn, cap);
		memcpy(out + at, z, zn);
		put_le(out + desc + k * 24, at, 8);
		put_le(out + desc + k * 24 + 8, zn, 4);
		put_le(out + desc + k * 24 + 12, codec, 4);
		at += zn;
	}
	*out_len = at;
	return out;
}

/* Every page codec makedumpfile and QEMU write, read back the same. */
START_TEST(flattened_every_codec)
{
	static const unsigned codecs[] = { 0, 1, 2, 4, 0x20 };
	struct kho_source *kd, *fl;
	struct kho_error err;
	char path[256];
	size_t len, n;
	uint8_t *raw;

	if (!have_kdump)
		return;
	raw = slurp(KHO_IMAGE_KDUMP, 16 << 20, &len);
	kd = open_kind(KHO_IMAGE_KDUMP);
	snprintf(path, sizeof(path), "%s/codec.flat", dir);
	for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++) {
		uint8_t *re = recompress(raw, len, codecs[c], &n);
		struct flat_writer w = { 0 };

		flat_header(&w);
		for (size_t off = 0; off < n; off += 16384)     /* QEMU's record size */
			flat_record(&w, off, re + off, MIN(16384, n - off));
		flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
		write_file(path, w.buf, w.len);
		ck_assert_msg(kho_source_open(path, NULL, &fl, &err) == KHO_OK, "codec 0x%x: %s",
			      codecs[c], err.msg);
		same_memory(kd, fl, 0x100800000ull);
		ck_assert_uint_eq(same_heads(fl, 0x100800000ull), 0);
		kho_source_close(fl);
		/* a page whose data does not decompress is an error, not zeros */
		if (codecs[c]) {
			uint64_t desc = (1 + le(re + 432, 4) + le(re + 436, 4)) * 4096;
			uint64_t off = le(re + desc, 8), size = le(re + desc + 8, 4);
			uint8_t page[4096];

			memset(re + off, 0xff, size);
			w.len = 4096;
			flat_record(&w, 0, re, n);
			flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
			write_file(path, w.buf, w.len);
			ck_assert_int_eq(kho_source_open(path, NULL, &fl, &err), KHO_OK);
			ck_assert_int_eq(kho_source_read(fl, 0, page, sizeof(page), &err),
					 KHO_ERR_CORRUPT);
			ck_assert_ptr_nonnull(strstr(err.msg, "does not decompress"));
			kho_source_close(fl);
		}
		free(w.buf);
		free(re);
	}
	kho_source_close(kd);
	free(raw);
}
END_TEST

START_TEST(flattened_hostile_records)
{
	struct flat_writer w = { 0 };
	char path[256];
	uint8_t data[64] = { 0 };
	size_t saved = flat_max_records;

	snprintf(path, sizeof(path), "%s/bad.flat", dir);
	/* a size that is neither data nor the end marker */
	flat_header(&w);
	flat_record(&w, 0, NULL, (uint64_t)-5);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "neither data nor the end marker");
	/* size 0 ends makedumpfile -R's loop without the end marker */
	flat_header(&w);
	flat_record(&w, 4096, NULL, 0);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "neither data nor the end marker");
	/* an offset past 2^63 (negative as int64), and one that reaches it */
	flat_header(&w);
	flat_record(&w, 1ull << 63, data, sizeof(data));
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "neither data nor the end marker");
	flat_header(&w);
	flat_record(&w, INT64_MAX - 10, data, sizeof(data));
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "past 2^63");
	/* a size far past the end of the file: a cut stream, and then no
	 * kdump header in what is left */
	flat_header(&w);
	flat_record(&w, 0, NULL, 1ull << 40);
	flat_put(&w, "KDUMP   ", 8);
	flat_put(&w, data, sizeof(data));
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "kdump header");
	/* overlapping records of garbage, and no kdump in them */
	flat_header(&w);
	for (int i = 0; i < 50; i++)
		flat_record(&w, (uint64_t)(i * 7) % 40, data, sizeof(data));
	flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_NOTIMPL, "neither a kdump nor an ELF");
	/* a flattened ELF: not read here, and said how to read it */
	flat_header(&w);
	flat_record(&w, 0, "\177ELF\2\1\1", 7);
	flat_record(&w, 7, data, sizeof(data));
	flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_NOTIMPL, "makedumpfile -R");
	/* more records than the index takes */
	flat_max_records = 1000;
	flat_header(&w);
	for (int i = 0; i < 1001; i++)
		flat_record(&w, (uint64_t)i * 64, data, sizeof(data));
	flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_NOTIMPL, "more than 1000 flattened records");
	flat_max_records = saved;
	/* the header alone: a stream cut before its first record */
	flat_header(&w);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "kdump header");
	/* not type 1 */
	flat_header(&w);
	w.buf[23] = 2;
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "type 1");
	free(w.buf);
}
END_TEST

/* A real kdump header whose bitmaps claim more than the file could hold. */
START_TEST(flattened_absurd_bitmaps)
{
	struct flat_writer w = { 0 };
	char path[256];
	size_t len;
	uint8_t *kd;

	if (!have_kdump)
		return;
	kd = slurp(KHO_IMAGE_KDUMP, 8192, &len);
	kd[436] = 0xfe, kd[437] = 0xff, kd[438] = 0xff, kd[439] = 0x7f;   /* bitmap_blocks */
	flat_header(&w);
	flat_record(&w, 0, kd, len);
	flat_record(&w, UINT64_MAX, NULL, UINT64_MAX);
	snprintf(path, sizeof(path), "%s/bmp.flat", dir);
	write_file(path, w.buf, w.len);
	expect_open_error(path, KHO_ERR_CORRUPT, "bitmaps");
	free(kd);
	free(w.buf);
}
END_TEST

/* A kdump header's byte order from its block_size: every page size of
 * 4 to 64 KiB, written either way (a big-endian 4 KiB or 64 KiB block was
 * once taken for little-endian, its header then read as garbage). */
START_TEST(kdump_byte_order_from_every_block_size)
{
	uint8_t bs[4];

	for (uint32_t b = 4096; b <= 65536; b <<= 1) {
		bs[0] = (uint8_t)b, bs[1] = (uint8_t)(b >> 8);
		bs[2] = (uint8_t)(b >> 16), bs[3] = (uint8_t)(b >> 24);
		ck_assert_msg(!kdump_header_big_endian(bs), "little-endian %u", b);
		bs[3] = (uint8_t)b, bs[2] = (uint8_t)(b >> 8);
		bs[1] = (uint8_t)(b >> 16), bs[0] = (uint8_t)(b >> 24);
		ck_assert_msg(kdump_header_big_endian(bs), "big-endian %u", b);
	}
	memset(bs, 0, sizeof(bs));
	ck_assert(!kdump_header_big_endian(bs));   /* neither: little, refused later */
}
END_TEST

/*
 * A scan keeps the pages it read that hold one non-zero byte throughout,
 * and later reads of them are served from that: the file is read once.
 * The file is overwritten after the scan to tell the two apart (the one
 * case where a file changed while open is not read as it is now).
 */
/*
 * Pages 0-7 and 256-263 hold every kind of page below; 248-255 are 0xff,
 * so that with two threads (halves at page 256) a run crosses the join;
 * the rest hold data.
 */
static int uniform_fill_of(size_t i)
{
	static const int fill[8] = { 0xff, 0xff, 0x00, -1, 0xab, 0xab, -2, 0xff };

	if (i >= 248 && i < 256)
		return 0xff;
	return i % 256 < 8 ? fill[i % 8] : -2;
}

START_TEST(scanned_pages_of_one_byte_read_once)
{
	enum { PAGES = 512 };
	static uint8_t img[PAGES * 4096], heads[PAGES * 4], state[PAGES];
	uint8_t buf[10 * 4096];
	struct kho_source *src;
	struct kho_error err;
	char path[256];
	int fd;

	for (size_t i = 0; i < PAGES; i++) {
		int fill = uniform_fill_of(i);

		memset(img + i * 4096, fill < 0 ? 0xff : fill, 4096);
		if (fill == -1)
			img[i * 4096 + 4095] = 0xfe;   /* all but its last byte */
		else if (fill == -2)
			for (int j = 0; j < 4096; j++)
				img[i * 4096 + j] = (uint8_t)(j * 7 + i);
	}
	snprintf(path, sizeof(path), "%s/uniform.raw", dir);
	write_file(path, img, sizeof(img));
	ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), KHO_OK);
	kho_source_set_threads(src, (unsigned)_i);
	ck_assert_int_eq(source_heads(src, 0, PAGES, 4, heads, state, &err), KHO_OK);
	memset(img, 0x11, sizeof(img));
	fd = open(path, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, img, sizeof(img), 0), (ssize_t)sizeof(img));
	close(fd);

	struct { uint64_t at, len; int byte; } reads[] = {
		{ 0, 8192, 0xff },              /* a run of two pages */
		{ 4096 + 100, 200, 0xff },      /* inside one */
		{ 2 * 4096, 4096, 0x11 },       /* zeros are not kept */
		{ 3 * 4096, 4096, 0x11 },       /* nor almost one byte */
		{ 4 * 4096, 8192, 0xab },
		{ 4096, 8192, 0x11 },           /* past a run's end: the file */
		{ 6 * 4096, 4096, 0x11 },
		{ 7 * 4096, 4096, 0xff },
		{ 8 * 4096, 4096, 0x11 },
	};
	for (uint64_t base = 0; base < PAGES * 4096; base += 256 * 4096)
		for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
			uint64_t at = base + reads[i].at;

			ck_assert_int_eq(kho_source_read(src, at, buf, reads[i].len, &err), KHO_OK);
			for (uint64_t j = 0; j < reads[i].len; j++)
				ck_assert_msg(buf[j] == reads[i].byte, "0x%llx byte %llu: 0x%x",
					      (unsigned long long)at, (unsigned long long)j, buf[j]);
		}
	/* one run across the halves of two threads: 248-257 */
	ck_assert_int_eq(kho_source_read(src, 248 * 4096, buf, 10 * 4096, &err), KHO_OK);
	for (size_t j = 0; j < 10 * 4096; j++)
		ck_assert_msg(buf[j] == 0xff, "across the join, byte %zu: 0x%x", j, buf[j]);
	kho_source_close(src);
}
END_TEST

/*
 * A file that shrinks while open (a dump being rewritten, a disk full on a
 * copy still in progress) is an error of the read that meets the cut, one
 * line naming the file, kept for kho_source_status(): never SIGBUS, never
 * zeros passed off as memory.
 */
START_TEST(shrinks_while_open)
{
	enum kho_image_kind kinds2[] = { KHO_IMAGE_ELF, KHO_IMAGE_KDUMP };
	char path[256];

	snprintf(path, sizeof(path), "%s/shrinks", dir);
	for (size_t k = 0; k < 2; k++) {
		size_t len;
		uint8_t *img, heads[64 * 4], state[64], page[4096];
		struct kho_source *src;
		struct kho_error err = { 0 };
		enum kho_status st = KHO_OK;
		int fd;

		if (kinds2[k] == KHO_IMAGE_KDUMP && !have_kdump)
			continue;
		img = slurp(kinds2[k], 256 << 20, &len);
		write_file(path, img, len);
		free(img);
		ck_assert_int_eq(kho_source_open(path, NULL, &src, &err), KHO_OK);
		ck_assert_int_eq(kho_source_status(src, NULL), KHO_OK);
		fd = open(path, O_WRONLY);
		ck_assert_int_eq(ftruncate(fd, (off_t)(len / 4)), 0);
		close(fd);
		/* the batch reader and plain reads of the last RAM pages */
		if (source_heads(src, 0x100000000ull, 64, 4, heads, state, &err) == KHO_OK) {
			for (uint64_t a = 0x100000000ull; a < 0x100800000ull && !st; a += 4096)
				st = kho_source_read(src, a, page, sizeof(page), &err);
		} else {
			st = err.status;
		}
		ck_assert_int_eq(st, KHO_ERR_SYSTEM);
		ck_assert_msg(strstr(err.msg, path) && strstr(err.msg, "shrank") &&
			      !strchr(err.msg, '\n'), "%s", err.msg);
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(kho_source_status(src, &err), KHO_ERR_SYSTEM);
		ck_assert_ptr_nonnull(strstr(err.msg, "shrank"));
		kho_source_close(src);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("core");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, kinds_page_size_and_arch);
	tcase_add_test(tc, every_format_reads_the_same_bytes);
	tcase_add_test(tc, states_and_maps);
	tcase_add_test(tc, holes_are_skipped);
	tcase_add_test(tc, raw_base_and_forced_format);
	tcase_add_test(tc, hostile_files);
	tcase_add_test(tc, seventy_thousand_segments);
	tcase_add_test(tc, flattened_records_in_any_order);
	tcase_add_test(tc, flattened_every_codec);
	tcase_add_test(tc, flattened_hostile_records);
	tcase_add_test(tc, flattened_absurd_bitmaps);
	tcase_add_test(tc, kdump_byte_order_from_every_block_size);
	tcase_add_test(tc, shrinks_while_open);
	/* on one thread, then on two (the loop index is the count) */
	tcase_add_loop_test(tc, scanned_pages_of_one_byte_read_once, 1, 3);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
