// SPDX-License-Identifier: MIT
/*
 * What sub-blobs hold. kexec-metadata (7.1+) is a packed 73-byte struct;
 * memblock is an FDT of reserve-mem regions; a struct kho_vmalloc (6.17+)
 * is 16 bytes naming a chain of chunk pages; kho_test (the kernel's test
 * module) is an FDT naming its folios through a kho_vmalloc array. Every
 * read is bounded; a
 * blob that does not look like any of them stays KHO_BLOB_UNKNOWN.
 */
#include "kho/handover.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"
#include "prop.h"


/*
 * Every region is kept, however many: the blob's size (at most
 * KHO_FDT_BLOB_MAX) bounds their number. A reserve-mem-v1 node whose
 * start or size cannot be read is counted in unread, so the check can say
 * that it could not look.
 */
static void decode_memblock(const void *fdt, struct kho_subtree *t, bool be)
{
	size_t cap = 0;
	int node;

	fdt_for_each_subnode(node, fdt, 0)
		cap++;
	t->u.memblock.r = calloc(cap ? cap : 1, sizeof(*t->u.memblock.r));
	fdt_for_each_subnode(node, fdt, 0) {
		const char *name = fdt_get_name(fdt, node, NULL);
		struct kho_memblock_region *r;
		uint64_t start, size;

		if (fdt_node_check_compatible(fdt, node, "reserve-mem-v1"))
			continue;
		if (!t->u.memblock.r || t->u.memblock.n == cap ||
		    !prop_get_u64(fdt, node, "start", be, &start, NULL) ||
		    !prop_get_u64(fdt, node, "size", be, &size, NULL)) {
			t->u.memblock.unread++;
			continue;
		}
		r = &t->u.memblock.r[t->u.memblock.n++];
		snprintf(r->name, sizeof(r->name), "%s", name ? name : "?");
		r->start = start;
		r->size = size;
	}
}

#define KHO_TEST_MAX_FOLIOS (1u << 20)   /* entries kept: the array's first 8 MiB */

/* The length of property @name of @node (-1 when missing), its value at @val. */
static int prop(const void *fdt, int node, const char *name, const void **val)
{
	int len = -1;

	*val = node < 0 ? NULL : fdt_getprop(fdt, node, name, &len);
	return *val ? len : -1;
}

struct kt_runs {
	uint64_t *v;
	size_t n, cap;
	bool oom;
};

static void kt_run(void *ctx, uint64_t slot, uint64_t run)
{
	struct kt_runs *r = ctx;

	if (!ARRAY_RESERVE(r->v, r->cap, r->n))
		r->oom = true;
	else
		r->v[r->n++] = run;
}

/*
 * The folio entries (u64 phys | order) test_kho reads from the array: as
 * many as nr_folios says, but never past total_pages, the runs the chain
 * names, or what the dump holds; the checks say what was left out.
 */
static void decode_kho_test_folios(struct kho_source *src, struct kho_subtree *t, bool be)
{
	uint64_t page = kho_source_page_size(src), per_page = page / 8, want, at;
	const struct kho_vmalloc_desc *vm = &t->u.kho_test.info;
	struct kt_runs r = { 0 };
	/* the chain's problems are the blob checks': they walk it again */
	const struct kho_vmalloc_visitor vis = { &r, NULL, kt_run, NULL };
	struct kho_test_folio *f;
	_cleanup_free_ uint8_t *buf = NULL;
	struct kho_error e;
	bool oom = false;

	want = MIN((uint64_t)t->u.kho_test.nr_folios, (uint64_t)vm->total_pages * per_page);
	want = MIN(want, KHO_TEST_MAX_FOLIOS);
	if (!want || !vm->first || vm->order > 20)
		return;
	kho_vmalloc_walk(src, t->phys, vm->first, vm->order, &vis, &oom);
	buf = malloc(page);
	/* out of memory: no array, nothing read (unread) */
	if (buf && !oom && !r.oom)
		t->u.kho_test.folios = calloc(want, sizeof(*f));
	for (size_t i = 0; t->u.kho_test.folios && i < r.n && t->u.kho_test.nfolios < want; i++)
		for (uint64_t p = 0; p < 1ull << vm->order && t->u.kho_test.nfolios < want; p++) {
			at = r.v[i] + p * page;
			if (kho_source_read(src, at, buf, page, &e))
				goto out;
			for (uint64_t k = 0; k < per_page && t->u.kho_test.nfolios < want; k++) {
				uint64_t w = load_u64(buf + k * 8, be);

				f = &t->u.kho_test.folios[t->u.kho_test.nfolios++];
				f->slot = at + k * 8;
				f->phys = w & ~(page - 1);
				f->order = (unsigned)(w & (page - 1));
			}
		}
out:
	t->u.kho_test.unread = t->u.kho_test.nfolios < want;
	free(r.v);
}

/*
 * lib/test_kho.c (7.2.13, 7.3-rc7): the root's magic, then /data with
 * nr_folios, csum and folios_info, each of the exact size the successor
 * asks for; values in the kernel's native byte order.
 */
static void decode_kho_test(struct kho_source *src, const void *fdt, struct kho_subtree *t,
			    bool be)
{
	int data = fdt_path_offset(fdt, "/data");
	const void *v;

	t->kind = KHO_BLOB_KHO_TEST;
	t->u.kho_test.data = data >= 0;
	if ((t->u.kho_test.magic_len = prop(fdt, 0, "magic", &v)) == 4)
		t->u.kho_test.magic = load_u32(v, be);
	if ((t->u.kho_test.nr_len = prop(fdt, data, "nr_folios", &v)) == 4)
		t->u.kho_test.nr_folios = load_u32(v, be);
	if ((t->u.kho_test.csum_len = prop(fdt, data, "csum", &v)) == 4)
		t->u.kho_test.csum = load_u32(v, be);
	if ((t->u.kho_test.info_len = prop(fdt, data, "folios_info", &v)) == 16) {
		t->u.kho_test.info_phys = t->phys + (uint64_t)((const uint8_t *)v -
							       (const uint8_t *)fdt);
		kho_vmalloc_parse(v, be, &t->u.kho_test.info);
		if (t->u.kho_test.nr_len == 4)
			decode_kho_test_folios(src, t, be);
	}
}

static void decode_fdt(struct kho_source *src, struct kho_subtree *t, uint32_t total)
{
	struct kho_error e;
	const char *compat;
	_cleanup_free_ void *buf = NULL;
	int len;

	t->kind = KHO_BLOB_FDT;
	t->fdt_total = total;
	if (total < sizeof(struct fdt_header) || total > KHO_FDT_BLOB_MAX)
		return;
	if (!(buf = malloc(total))) {
		t->unreadable = true;
		return;
	}
	if (kho_source_read(src, t->phys, buf, total, &e)) {
		t->unreadable = true;   /* the header is in the dump, the rest not */
	} else if (!(t->fdt_check = fdt_check_full(buf, total))) {
		compat = fdt_getprop(buf, 0, "compatible", &len);
		if (compat && len > 0)
			snprintf(t->compatible, sizeof(t->compatible), "%.*s", len, compat);
		if (!strcmp(t->compatible, "memblock-v1")) {
			t->kind = KHO_BLOB_MEMBLOCK;
			decode_memblock(buf, t, kho_source_big_endian(src));
		} else if (!strcmp(t->compatible, "kho-test-v1")) {
			decode_kho_test(src, buf, t, kho_source_big_endian(src));
		}
	}
}

void kho_subtree_free(struct kho_subtree *t)
{
	if (t->kind == KHO_BLOB_MEMBLOCK)
		free(t->u.memblock.r);
	if (t->kind == KHO_BLOB_KHO_TEST)
		free(t->u.kho_test.folios);
	memset(&t->u, 0, sizeof(t->u));
	t->kind = KHO_BLOB_UNKNOWN;
}

bool kho_subtree_kept_when_consumed(const struct kho_subtree *t)
{
	return !strcmp(t->name, "kexec-metadata") || !strcmp(t->name, "memblock");
}

void kho_subtree_decode(struct kho_source *src, struct kho_subtree *t)
{
	bool be = kho_source_big_endian(src), sized = t->size && !t->sized_by_decoder;
	uint64_t page = kho_source_page_size(src), run, want;
	uint8_t b[80] = { 0 };
	struct kho_vmalloc_desc vm;
	struct kho_error e;

	kho_subtree_free(t);   /* decoding again starts afresh */
	t->unreadable = false;
	if (!sized)
		t->size = 0;
	if (!t->phys)
		return;
	/* What decoding reads: the head of the blob, never past the blob
	 * when its size is known; past the page it starts in only if the
	 * dump has the next bytes. */
	want = sized ? MIN(sizeof(b), t->size) : sizeof(b);
	t->state = kho_source_state(src, t->phys, &run);
	if (t->state == KHO_MEM_PRESENT && run < want)
		want = MIN(want, page - (t->phys & (page - 1)));
	if (t->state != KHO_MEM_PRESENT || kho_source_read(src, t->phys, b, want, &e)) {
		t->unreadable = true;
	} else if (want >= sizeof(struct fdt_header) && fdt_magic(b) == FDT_MAGIC) {
		decode_fdt(src, t, fdt_totalsize(b));
	} else if (!strcmp(t->name, "kexec-metadata")) {
		t->kind = KHO_BLOB_KEXEC_METADATA;
		if (want < 73 && (!sized || t->size >= 73))
			t->unreadable = true;   /* cut by the end of the dump's data */
		t->u.kexec.version = load_u32(b, be);
		memcpy(t->u.kexec.release, b + 4, 65);
		t->u.kexec.release[65] = '\0';
		t->u.kexec.count = load_u32(b + 69, be);
	} else if ((t->size == 16 || !sized) && want >= 16) {
		kho_vmalloc_parse(b, be, &vm);
		/* the shape of a struct kho_vmalloc: a page-aligned chunk, known flags */
		if (vm.first && is_aligned(vm.first, page) && !(vm.first >> 63) && vm.flags &&
		    !(vm.flags & ~3u) && vm.order <= 20) {
			t->kind = KHO_BLOB_VMALLOC;
			t->u.vmalloc = vm;
		}
	}
	if (sized)
		return;
	/* No blob-size (kho-v1, kho-v2): the decoded size (the struct's, an
	 * FDT's totalsize), or the rest of the page. */
	t->sized_by_decoder = true;
	t->size = t->kind == KHO_BLOB_KEXEC_METADATA ? 73 : t->kind == KHO_BLOB_VMALLOC ? 16 :
		  t->kind == KHO_BLOB_FDT || t->kind == KHO_BLOB_MEMBLOCK ||
		  t->kind == KHO_BLOB_KHO_TEST ? t->fdt_total : page - (t->phys & (page - 1));
	if (!t->size)
		t->size = 1;
}
