// SPDX-License-Identifier: MIT
/*
 * The spec language of kho-mkimage: one directive a line, '#' starts a
 * comment, words separated by blanks. Machine directives come first; the
 * first operation boots the simulated kernel. Numbers are decimal or 0x
 * hex, sizes may end in K, M, G or T (powers of 1024).
 */
#include "ref_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/typo.h"
#include "../util/util.h"
#include "kho/number.h"

#define SPEC_MAX_BYTES (1u << 20)
#define SPEC_MAX_WORDS 16

struct spec {
	struct kho_ref_config cfg;
	bool arch_set, bitmap_set;
	char compatible[128];
	struct kho_ref *ref;
	unsigned outputs;
	uint64_t raw_base;
	struct kho_error *err;
};

/* A directive's words: argv[0] is its name, n[i] argv[i] read as the
 * directive's kinds say (0 for a word it reads itself). */
struct args {
	int argc;
	char **argv;
	uint64_t n[SPEC_MAX_WORDS];
};

typedef enum kho_status (*directive_fn)(struct spec *s, const struct args *a);

static enum kho_status bad(struct spec *s, const char *fmt, const char *word)
{
	return kho_error_set(s->err, KHO_ERR_INVALID, fmt, word);
}

/* A number as kho_parse_number() reads it (16K, 64KiB, 0x4000, 1G). */
static enum kho_status num(struct spec *s, const char *w, uint64_t *out)
{
	*out = 0;
	errno = 0;
	if (kho_parse_number(w, out))
		return KHO_OK;
	if (errno == ERANGE)
		return bad(s, "\"%s\" is too large", w);
	return bad(s, "\"%s\" is not a number (decimal or 0x hex, then K, M, G, T or P, "
		   "e.g. 16K, 0x4000)", w);
}

static enum kho_status num32(struct spec *s, const char *w, unsigned *out,
			     unsigned max)
{
	uint64_t v = 0;
	enum kho_status st = num(s, w, &v);

	*out = 0;
	if (!st && v > max)
		return kho_error_set(s->err, KHO_ERR_INVALID, "%s is above %u", w, max);
	*out = (unsigned)v;
	return st;
}

/* The machine exists from the first directive that needs it. */
static enum kho_status machine(struct spec *s)
{
	if (s->ref)
		return KHO_OK;
	if (!s->arch_set)
		s->cfg.arch = s->cfg.page_size == 4096 ? KHO_ARCH_X86_64 : KHO_ARCH_AARCH64;
	if (s->cfg.arch == KHO_ARCH_X86_64 && s->cfg.page_size != 4096)
		return kho_error_set(s->err, KHO_ERR_INVALID, "x86_64 has 4K pages only");
	if (s->bitmap_set && s->cfg.abi != 1)
		return kho_error_set(s->err, KHO_ERR_INVALID,
				     "v1-bitmap and v1-unfinalized need abi kho-v1");
	s->cfg.compatible = s->compatible[0] ? s->compatible : NULL;
	return kho_ref_new(&s->cfg, &s->ref, s->err);
}

/*
 * One word as its kind says: 'n' a number, 'o' an order (0 to 63), 'u' a
 * 32-bit number; 'w' (or no kind) is a word the directive reads itself.
 */
static enum kho_status word(struct spec *s, char kind, const char *w, uint64_t *out)
{
	unsigned v = 0;
	enum kho_status st = KHO_OK;

	if (kind == 'n')
		return num(s, w, out);
	if (kind == 'o' || kind == 'u')
		st = num32(s, w, &v, kind == 'o' ? 63 : UINT32_MAX);
	*out = v;
	return st;
}

static enum kho_status d_abi(struct spec *s, const struct args *a)
{
	unsigned v;

	if (strncmp(a->argv[1], "kho-v", 5) || num32(s, a->argv[1] + 5, &v, 99) ||
	    !kho_abi_version_find(v))
		return bad(s, "unknown abi \"%s\" (kho-v1 to kho-v4)", a->argv[1]);
	s->cfg.abi = v;
	return KHO_OK;
}

static enum kho_status d_compatible(struct spec *s, const struct args *a)
{
	if (strlen(a->argv[1]) >= sizeof(s->compatible))
		return bad(s, "compatible \"%s\" is too long", a->argv[1]);
	snprintf(s->compatible, sizeof(s->compatible), "%s", a->argv[1]);
	return KHO_OK;
}

static enum kho_status d_page_size(struct spec *s, const struct args *a)
{
	if (a->n[1] != 4096 && a->n[1] != 16384 && a->n[1] != 65536)
		return bad(s, "page size %s is not 4K, 16K or 64K", a->argv[1]);
	s->cfg.page_size = a->n[1];
	return KHO_OK;
}

static enum kho_status d_arch(struct spec *s, const struct args *a)
{
	if (!strcmp(a->argv[1], "x86_64"))
		s->cfg.arch = KHO_ARCH_X86_64;
	else if (!strcmp(a->argv[1], "aarch64"))
		s->cfg.arch = KHO_ARCH_AARCH64;
	else
		return bad(s, "unknown arch \"%s\" (x86_64, aarch64)", a->argv[1]);
	s->arch_set = true;
	return KHO_OK;
}

static enum kho_status d_v1_bitmap(struct spec *s, const struct args *a)
{
	if (!strcmp(a->argv[1], "512"))
		s->cfg.v1_small_bitmaps = true;
	else if (strcmp(a->argv[1], "page"))
		return bad(s, "v1-bitmap takes 512 or page, not \"%s\"", a->argv[1]);
	s->bitmap_set = true;
	return KHO_OK;
}

static enum kho_status d_v1_unfinalized(struct spec *s, const struct args *a)
{
	s->cfg.v1_unfinalized = true;
	s->bitmap_set = true;
	return KHO_OK;
}

/* Directives that hand their two numbers to the reference. */
#define TWO_NUMS(name, call)						\
static enum kho_status name(struct spec *s, const struct args *a)	\
{									\
	return call(s->ref, a->n[1], a->n[2], s->err);			\
}
TWO_NUMS(d_scratch, kho_ref_add_scratch)
TWO_NUMS(d_numa_node, ref_add_numa_node)
TWO_NUMS(d_alloc, kho_ref_add_alloc_region)
TWO_NUMS(d_pages, kho_ref_preserve_pages)
TWO_NUMS(d_unpreserve_pages, kho_ref_unpreserve_pages)
TWO_NUMS(d_folio, kho_ref_preserve_folio)
TWO_NUMS(d_unpreserve, kho_ref_unpreserve_folio)

/* ram START SIZE [COUNT STRIDE]: COUNT ranges STRIDE bytes apart. */
static enum kho_status d_ram(struct spec *s, const struct args *a)
{
	uint64_t start = a->n[1], size = a->n[2], count = 1, stride = 0;
	enum kho_status st = KHO_OK;

	if (a->argc == 4)
		return kho_error_set(s->err, KHO_ERR_INVALID, "usage: ram START SIZE [COUNT STRIDE]");
	if (a->argc == 5)
		st = num(s, a->argv[3], &count) ?: num(s, a->argv[4], &stride);
	if (!st && count > 1 && (count > (1u << 24) || !stride || stride < size ||
				 (count - 1) > (UINT64_MAX - start) / stride))
		return bad(s, "ram: %s ranges overlap or run past the address space", a->argv[3]);
	for (uint64_t i = 0; !st && i < count; i++)
		st = kho_ref_add_ram(s->ref, start + i * stride, size, s->err);
	return st;
}

static enum kho_status d_raw_base(struct spec *s, const struct args *a)
{
	s->raw_base = a->n[1];
	return KHO_OK;
}

static enum kho_status d_outputs(struct spec *s, const struct args *a)
{
	static const struct { const char *name; enum kho_image_kind kind; } names[] = {
		{ "raw", KHO_IMAGE_RAW }, { "elf", KHO_IMAGE_ELF },
		{ "kcore", KHO_IMAGE_KCORE }, { "qemu", KHO_IMAGE_QEMU },
		{ "kdump", KHO_IMAGE_KDUMP }, { "kdump-lzo", KHO_IMAGE_KDUMP_LZO },
		{ "flat", KHO_IMAGE_FLAT },
		{ "boot-dtb", KHO_IMAGE_BOOT_DTB },
	};

	s->outputs = (1u << KHO_IMAGE_DTB) | (1u << KHO_IMAGE_EXPECT);
	for (int i = 1; i < a->argc; i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(names) && strcmp(names[k].name, a->argv[i]); k++)
			;
		if (k == ARRAY_SIZE(names))
			return bad(s, "unknown output \"%s\" (raw elf kcore qemu kdump kdump-lzo flat boot-dtb)",
				   a->argv[i]);
		s->outputs |= 1u << names[k].kind;
	}
	return KHO_OK;
}

/* folios PHYS ORDER COUNT [STRIDE]: COUNT folios, STRIDE bytes apart. */
static enum kho_status d_folios(struct spec *s, const struct args *a)
{
	uint64_t phys = a->n[1], count = a->n[3], stride;
	unsigned order = (unsigned)a->n[2];
	enum kho_status st;

	stride = s->ref->geo.page_size << MIN(order, 63 - s->ref->geo.page_shift);
	if (a->argc > 4 && (st = num(s, a->argv[4], &stride)))
		return st;
	if (!stride || (count && (phys + (count - 1) * stride < phys ||
				  (count - 1) > UINT64_MAX / stride)))
		return bad(s, "folios: %s runs past the end of the address space", a->argv[3]);
	for (uint64_t i = 0; i < count; i++)
		if ((st = kho_ref_preserve_folio(s->ref, phys + i * stride, order, s->err)))
			return st;
	return KHO_OK;
}

static enum kho_status d_blob(struct spec *s, const struct args *a)
{
	char *const *argv = a->argv;
	uint64_t size, fill = 0;
	enum kho_status st;

	/* the test module's compatible means its whole payload */
	if (!strcmp(argv[2], "fdt") && a->argc == 4 && !strcmp(argv[3], "kho-test-v1"))
		return kho_ref_add_kho_test(s->ref, argv[1], KHO_REF_KHO_TEST_FOLIOS, s->err);
	if (!strcmp(argv[2], "fdt"))
		return a->argc == 4 ? kho_ref_add_blob_fdt(s->ref, argv[1], argv[3], s->err) :
				      bad(s, "blob %s fdt takes a compatible string", argv[1]);
	if (!strcmp(argv[2], "kho-test")) {
		if (a->argc != 4)
			return bad(s, "blob %s kho-test takes a number of folios", argv[1]);
		if ((st = num(s, argv[3], &size)))
			return st;
		if (size > UINT32_MAX)
			return bad(s, "kho-test: %s folios is too many", argv[3]);
		return kho_ref_add_kho_test(s->ref, argv[1], (uint32_t)size, s->err);
	}
	if (strcmp(argv[2], "raw"))
		return bad(s, "blob type \"%s\" is not raw, fdt or kho-test", argv[2]);
	if ((st = num(s, argv[3], &size)) || (a->argc > 4 && (st = num(s, argv[4], &fill))))
		return st;
	if (fill > 255)
		return bad(s, "fill byte %s is above 255", argv[4]);
	return kho_ref_add_blob_raw(s->ref, argv[1], size, (uint8_t)fill, s->err);
}

/*
 * kexec-metadata RELEASE COUNT, or (kho-v4, before the first operation)
 * kexec-metadata none: a 7.2+ kernel makes the sub-node at kho_init, so
 * only a handover built to break it goes without.
 */
static enum kho_status d_kexec_metadata(struct spec *s, const struct args *a)
{
	unsigned count;

	if (a->argc == 2 && !strcmp(a->argv[1], "none"))
		return machine(s) ?: ref_skip_boot_kexec_metadata(s->ref, s->err);
	if (a->argc != 3)
		return bad(s, "%s needs RELEASE COUNT, or none", a->argv[0]);
	return machine(s) ?: num32(s, a->argv[2], &count, UINT32_MAX) ?:
	       kho_ref_add_kexec_metadata(s->ref, a->argv[1], count, s->err);
}

static enum kho_status d_reserve_mem(struct spec *s, const struct args *a)
{
	return kho_ref_add_reserve_mem(s->ref, a->argv[1], a->n[2], a->n[3], s->err);
}

/*
 * vmalloc-blob NAME PAGES [ORDER]: a sub-node whose blob is a bare struct
 * kho_vmalloc. No released kernel (7.1-7.3) writes one: their chains live
 * in memfd records (luo-memfd, luo-folio) and in the kho_test payload
 * (blob NAME kho-test N). A hand-made fixture for the chain checks only;
 * the old name "vmalloc" is refused, saying so.
 */
static enum kho_status d_vmalloc(struct spec *s, const struct args *a)
{
	unsigned pages, order = 0;

	return num32(s, a->argv[2], &pages, 1u << 24) ?:
	       (a->argc > 3 ? num32(s, a->argv[3], &order, 16) : KHO_OK) ?:
	       kho_ref_add_vmalloc(s->ref, a->argv[1], pages, order, s->err);
}

static enum kho_status d_luo(struct spec *s, const struct args *a)
{
	uint64_t n = 1;
	unsigned v = !strcmp(a->argv[1], "v1") ? 1 : !strcmp(a->argv[1], "v5") ? 5 : 0;

	if (!v)
		return bad(s, "luo \"%s\": v1 (7.1) or v5 (7.2+)", a->argv[1]);
	return machine(s) ?: (a->argc > 2 ? num(s, a->argv[2], &n) : KHO_OK) ?:
	       kho_ref_luo(s->ref, v, n, s->err);
}

static enum kho_status d_luo_session(struct spec *s, const struct args *a)
{
	return kho_ref_luo_session(s->ref, a->argv[1], s->err);
}

static enum kho_status d_luo_memfd(struct spec *s, const struct args *a)
{
	return kho_ref_luo_memfd(s->ref, a->argv[1], a->n[2], a->n[3], a->n[4],
				 (uint32_t)a->n[5], s->err);
}

static enum kho_status d_luo_folio(struct spec *s, const struct args *a)
{
	return kho_ref_luo_folio(s->ref, a->argv[1], a->n[2], a->n[3], (unsigned)a->n[4],
				 s->err);
}

static enum kho_status d_luo_file(struct spec *s, const struct args *a)
{
	return kho_ref_luo_file(s->ref, a->argv[1], a->n[2], a->argv[3], s->err);
}

static enum kho_status d_luo_flb(struct spec *s, const struct args *a)
{
	return a->argc < 4 ? kho_ref_luo_flb(s->ref, a->argv[1], a->n[2], s->err) :
	       kho_ref_luo_flb_data(s->ref, a->argv[1], a->n[2], a->n[3], s->err);
}

static enum kho_status d_boot_params(struct spec *s, const struct args *a)
{
	return kho_ref_set_boot_params(s->ref, a->n[1], s->err);
}

static enum kho_status d_kernel_data(struct spec *s, const struct args *a)
{
	return kho_ref_set_kernel_data(s->ref, a->n[1], s->err) ?:
	       kho_ref_set_kernel_layout(s->ref, a->argc > 2 ? a->argv[2] : "6.19",
					 a->argc > 3 ? a->argv[3] : "", s->err);
}

static enum kho_status d_kaslr(struct spec *s, const struct args *a)
{
	kho_ref_set_kaslr(s->ref, a->n[1]);
	return KHO_OK;
}

static enum kho_status d_defect(struct spec *s, const struct args *a)
{
	return kho_ref_inject(s->ref, a->argv[1], a->argc - 2, a->argv + 2, s->err);
}

/*
 * When a directive may come: CONFIG only before the machine exists,
 * MACHINE makes it first (before its words are read), ANY either way
 * (those that need the machine make it themselves).
 */
enum when { ANY, CONFIG, MACHINE };

static const struct {
	const char *name;
	enum when when;
	const char *kinds;      /* of the words after the name, as word() reads them */
	int min_args, max_args;
	directive_fn fn;
	const char *usage;
} directives[] = {
	{ "abi", CONFIG, "w", 1, 1, d_abi, "abi kho-vN" },
	{ "compatible", CONFIG, "w", 1, 1, d_compatible, "compatible STRING" },
	{ "page-size", CONFIG, "n", 1, 1, d_page_size, "page-size 4K|16K|64K" },
	{ "arch", CONFIG, "w", 1, 1, d_arch, "arch x86_64|aarch64" },
	{ "v1-bitmap", CONFIG, "w", 1, 1, d_v1_bitmap, "v1-bitmap 512|page" },
	{ "v1-unfinalized", CONFIG, "", 0, 0, d_v1_unfinalized, "v1-unfinalized" },
	{ "ram", MACHINE, "nn", 2, 4, d_ram, "ram START SIZE [COUNT STRIDE]" },
	{ "numa-node", MACHINE, "nn", 2, 2, d_numa_node, "numa-node START SIZE" },
	{ "scratch", MACHINE, "nn", 2, 2, d_scratch, "scratch START SIZE" },
	{ "alloc", MACHINE, "nn", 2, 2, d_alloc, "alloc START SIZE" },
	{ "raw-base", ANY, "n", 1, 1, d_raw_base, "raw-base ADDR" },
	{ "outputs", ANY, "", 0, 7, d_outputs,
	  "outputs [raw] [elf] [kcore] [qemu] [kdump] [kdump-lzo] [flat] [boot-dtb]" },
	{ "folio", MACHINE, "no", 2, 2, d_folio, "folio PHYS ORDER" },
	{ "folios", MACHINE, "non", 3, 4, d_folios, "folios PHYS ORDER COUNT [STRIDE]" },
	{ "unpreserve", MACHINE, "no", 2, 2, d_unpreserve, "unpreserve PHYS ORDER" },
	{ "pages", MACHINE, "nn", 2, 2, d_pages, "pages PFN COUNT" },
	{ "unpreserve-pages", MACHINE, "nn", 2, 2, d_unpreserve_pages,
	  "unpreserve-pages PFN COUNT" },
	{ "blob", MACHINE, "", 3, 4, d_blob,
	  "blob NAME raw SIZE [FILL] | blob NAME fdt COMPATIBLE | blob NAME kho-test NR_FOLIOS" },
	{ "kexec-metadata", ANY, "", 1, 2, d_kexec_metadata, "kexec-metadata RELEASE COUNT|none" },
	{ "reserve-mem", MACHINE, "wnn", 3, 3, d_reserve_mem, "reserve-mem NAME START SIZE" },
	{ "vmalloc-blob", MACHINE, "", 2, 3, d_vmalloc, "vmalloc-blob NAME PAGES [ORDER]" },
	{ "luo", ANY, "", 1, 2, d_luo, "luo v1|v5 [NUM]" },
	{ "luo-session", MACHINE, "w", 1, 1, d_luo_session, "luo-session NAME" },
	{ "luo-memfd", MACHINE, "wnnnu", 3, 5, d_luo_memfd,
	  "luo-memfd SESSION TOKEN SIZE [POS [SEALS]]" },
	{ "luo-folio", MACHINE, "wnno", 4, 4, d_luo_folio, "luo-folio SESSION TOKEN INDEX ORDER" },
	{ "luo-file", MACHINE, "wnw", 3, 3, d_luo_file, "luo-file SESSION TOKEN HANDLER" },
	{ "luo-flb", MACHINE, "wnn", 2, 3, d_luo_flb, "luo-flb NAME COUNT [DATA]" },
	{ "boot-params", MACHINE, "n", 1, 1, d_boot_params, "boot-params PHYS" },
	{ "kernel-data", MACHINE, "n", 1, 3, d_kernel_data,
	  "kernel-data PHYS [6.19|7.3 [wrong-root|incoming|incoming-null-root|orphan-root]]" },
	{ "kaslr", MACHINE, "n", 1, 1, d_kaslr, "kaslr OFFSET" },
	{ "defect", MACHINE, "", 1, 1 + DEFECT_MAX_ARGS, d_defect,
	  "defect CHECK [VARIANT] [NAME]" },
};

/* "unknown directive", the closest one, and every one there is. */
static enum kho_status unknown_directive(struct spec *s, const char *word)
{
	const char *near = typo_closest(word, &directives[0].name, ARRAY_SIZE(directives),
					sizeof(directives[0]), 2);
	char list[512];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(directives) && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, " %s",
					 directives[i].name);
	return kho_error_set(s->err, KHO_ERR_INVALID, "unknown directive \"%.40s\"%s%s%s "
			     "(directives:%s)", word, near ? "; did you mean " : "",
			     near ? near : "", near ? "?" : "", list);
}

static enum kho_status run_line(struct spec *s, char *line)
{
	char *argv[SPEC_MAX_WORDS + 1];
	struct args a = { .argv = argv };
	char *save = NULL;
	enum kho_status st = KHO_OK;

	for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (a.argc == SPEC_MAX_WORDS)
			return kho_error_set(s->err, KHO_ERR_INVALID, "too many words");
		argv[a.argc++] = w;
	}
	if (!a.argc)
		return KHO_OK;
	for (size_t i = 0; i < ARRAY_SIZE(directives); i++) {
		const char *kind = directives[i].kinds;

		if (strcmp(directives[i].name, argv[0]))
			continue;
		if (a.argc - 1 < directives[i].min_args || a.argc - 1 > directives[i].max_args)
			return kho_error_set(s->err, KHO_ERR_INVALID, "usage: %s",
					     directives[i].usage);
		if (directives[i].when == CONFIG && s->ref)
			return kho_error_set(s->err, KHO_ERR_INVALID, "%s must come before ram, "
					     "scratch and operations", argv[0]);
		if (directives[i].when == MACHINE)
			st = machine(s);
		for (int k = 1; k < a.argc && !st; k++)
			st = word(s, *kind ? *kind++ : 'w', argv[k], &a.n[k]);
		return st ?: directives[i].fn(s, &a);
	}
	if (!strcmp(argv[0], "vmalloc"))
		return kho_error_set(s->err, KHO_ERR_INVALID, "\"vmalloc\" is now \"vmalloc-blob\": "
				     "no released kernel writes a bare kho_vmalloc sub-node (a "
				     "kernel's chains are in luo-memfd folios and blob NAME "
				     "kho-test N)");
	return unknown_directive(s, argv[0]);
}

KHO_EXPORT enum kho_status kho_spec_run_buffer(const char *name, const char *text,
					       size_t len,
					       struct kho_spec_result *res,
					       struct kho_error *err)
{
	struct spec s = {
		.cfg = { .page_size = 4096, .abi = 3 },
		.outputs = (1u << KHO_IMAGE_RAW) | (1u << KHO_IMAGE_ELF) |
			   (1u << KHO_IMAGE_DTB) | (1u << KHO_IMAGE_EXPECT),
		.err = err,
	};
	size_t pos = 0;
	unsigned lineno = 0;
	enum kho_status st = KHO_OK;

	memset(res, 0, sizeof(*res));
	while (pos < len && !st) {
		size_t end = pos;
		char line[1024];

		while (end < len && text[end] != '\n')
			end++;
		lineno++;
		if (end - pos >= sizeof(line)) {
			st = kho_error_set(err, KHO_ERR_INVALID, "line longer than %zu bytes",
					   sizeof(line) - 1);
		} else if (memchr(text + pos, '\0', end - pos)) {
			st = kho_error_set(err, KHO_ERR_INVALID, "NUL byte in a spec");
		} else {
			memcpy(line, text + pos, end - pos);
			line[end - pos] = '\0';
			line[strcspn(line, "#")] = '\0';
			st = run_line(&s, line);
		}
		pos = end + 1;
	}
	if (st) {
		kho_error_prepend(err, "%s:%u", name, lineno);
	} else if ((st = machine(&s)) || (st = kho_ref_finalize(s.ref, err))) {
		kho_error_prepend(err, "%s", name);
	}
	if (st) {
		kho_ref_free(s.ref);
		return st;
	}
	res->ref = s.ref;
	/* The memfds' contents come with any LUO state, as dtb and expect do. */
	res->outputs = s.outputs | (kho_ref_has_luo(s.ref) ? 1u << KHO_IMAGE_LUO : 0);
	res->raw_base = s.raw_base;
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_spec_run(const char *path, struct kho_spec_result *res,
					struct kho_error *err)
{
	struct stat sb;
	_cleanup_free_ char *buf = NULL;
	enum kho_status st = KHO_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kho_error_errno(err, "%s", path);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_size > SPEC_MAX_BYTES)
		st = kho_error_set(err, KHO_ERR_INVALID,
				   "%s: not a regular file of at most 1 MiB", path);
	else if (!(buf = malloc((size_t)sb.st_size + 1)))
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	else if (read(fd, buf, (size_t)sb.st_size) != sb.st_size)
		st = kho_error_errno(err, "%s: read", path);
	close(fd);
	return st ?: kho_spec_run_buffer(path, buf, (size_t)sb.st_size, res, err);
}
