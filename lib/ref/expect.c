// SPDX-License-Identifier: MIT
/*
 * What the verifier must report for the image the reference wrote.
 *
 * Structural defects record their own finding (defect.c). Everything that
 * follows from the preserved set (overlaps, scratch, RAM, coverage of the
 * FDT and blobs, node placement, empty leaves) is derived here from a
 * snapshot of the tree taken right after finalize, with plain sorting
 * and scanning: an oracle deliberately simpler than the verifier's
 * streaming checks, so that the two can be compared.
 */
#include "ref_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "../util/util.h"
#include "kho/check.h"

struct snap {
	struct kho_ref *ref;
	struct kho_error *err;
	enum kho_status st;
	size_t kcap, ncap;
};

static void snap_key(void *ctx, uint64_t phys, unsigned order)
{
	struct snap *s = ctx;
	struct kho_ref *ref = s->ref;

	if (!s->st && !ARRAY_RESERVE(ref->keys, s->kcap, ref->nkeys))
		s->st = kho_error_set(s->err, KHO_ERR_NOMEM, "out of memory");
	if (!s->st)
		ref->keys[ref->nkeys++] = (struct ref_key){ phys, order };
}

static void snap_node(void *ctx, uint64_t phys, int level, bool empty)
{
	struct snap *s = ctx;
	struct kho_ref *ref = s->ref;

	if (!s->st && !ARRAY_RESERVE(ref->nodes, s->ncap, ref->nnodes))
		s->st = kho_error_set(s->err, KHO_ERR_NOMEM, "out of memory");
	if (!s->st)
		ref->nodes[ref->nnodes++] = (struct ref_node){ phys, level, empty };
}

/* Tree order of a correct tree: ascending keys. */
static int meant_cmp(const void *a, const void *b, void *geo)
{
	const struct ref_key *x = a, *y = b;
	uint64_t kx = kho_key_encode(geo, x->phys, x->order);
	uint64_t ky = kho_key_encode(geo, y->phys, y->order);

	return kx < ky ? -1 : kx > ky;
}

enum kho_status ref_snapshot(struct kho_ref *ref, struct kho_error *err)
{
	struct snap s = { .ref = ref, .err = err };
	struct ref_walk w = { snap_key, snap_node, &s };
	struct kho_geometry good;

	ref->nkeys = ref->nnodes = 0;
	if (ref->geo.broken_depth)
		w.key = NULL;
	if (ref->abi->map_format == KHO_MAP_RADIX)
		radix_walk(ref, &w);
	else
		v1_walk(ref, &w);
	/*
	 * A tree built with the broken 16 KiB depth decodes to garbage: its
	 * order-0 keys lost their order bit. The verifier must say what it
	 * most likely meant, so the expectation lists the intended keys, in
	 * the order a correct tree would give them; its nodes are the real ones.
	 */
	if (!s.st && ref->geo.broken_depth) {
		kho_geometry_init(&good, ref->geo.page_size, false);
		for (size_t i = 0; i < ref->nmeant; i++)
			snap_key(&s, ref->meant[i].phys, ref->meant[i].order);
		if (!s.st && !sort_ctx(ref->keys, ref->nkeys, sizeof(*ref->keys), meant_cmp, &good))
			s.st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	ref->snapshot_taken = !s.st;
	return s.st;
}

/* ---- the oracle ---- */

void oracle_add(struct findings *f, const char *check, int sev, uint64_t phys, const char *msg)
{
	if (!f->st && !ARRAY_RESERVE(f->v, f->cap, f->n))
		f->st = KHO_ERR_NOMEM;
	if (f->st)
		return;
	f->v[f->n] = (struct ref_finding){ .check = check, .severity = sev, .phys = phys };
	snprintf(f->v[f->n].message, sizeof(f->v[f->n].message), "%s", msg);
	f->n++;
}

static __attribute__((format(printf, 4, 5))) void add(struct findings *f, const char *check,
							uint64_t phys, const char *fmt, ...)
{
	char msg[192];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* a name not in the table (a bug of ours) is expected as an error */
	oracle_add(f, check, kho_check_lookup(check, &i) ? kho_check_severity(i) : KHO_SEV_ERROR,
		   phys, msg);
}

static uint64_t key_size(const struct kho_ref *ref, const struct ref_key *k)
{
	return kho_order_bytes(&ref->geo, k->order);
}

static int key_cmp(const void *a, const void *b)
{
	const struct ref_key *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order;
}

static void check_ranges(struct kho_ref *ref, struct findings *f)
{
	unsigned max_order = 30 - ref->geo.page_shift;
	struct ref_key *sorted;
	uint64_t max_end = 0;
	size_t max_i = 0;

	for (size_t i = 0; i < ref->nkeys; i++) {
		const struct ref_key *k = &ref->keys[i];
		uint64_t size = key_size(ref, k), p, lo;

		/* 7.1 (kho-v2/v3) computes the size in int; 7.2+ in u64 */
		if (ref->abi->int_block_size && k->order + ref->geo.page_shift >= 31)
			oracle_add(f, "range-order", KHO_SEV_ERROR, k->phys,
				   "order too large for the next kernel's int size");
		else if (k->order > max_order)
			add(f, "range-order", k->phys, "order %u above %u", k->order, max_order);
		for (size_t s = 0; s < ref->scratch.n; s++) {
			const struct kho_range *a = &ref->scratch.v[s];

			if (a->size && a->start < k->phys + size && k->phys < range_end(a))
				add(f, "range-scratch", MAX(k->phys, a->start),
				    "0x%llx+0x%llx overlaps scratch 0x%llx+0x%llx",
				    HEX(k->phys), HEX(size), HEX(a->start), HEX(a->size));
		}
		p = range_list_first_uncovered(&ref->mem.ram, k->phys, size);
		if (p != k->phys + size)
			add(f, "range-not-ram", p, "0x%llx+0x%llx is not all RAM",
			    HEX(k->phys), HEX(size));
		p = range_list_first_overlap(&ref->excluded, k->phys, size);
		/* the cut dump lacks every byte of RAM from cut_phys on */
		lo = MAX(k->phys, ref->cut_phys);
		if (ref->cut_phys && lo < k->phys + size)
			p = MIN(p, range_list_first_overlap(&ref->mem.ram, lo, k->phys + size - lo));
		if (p != UINT64_MAX)
			add(f, "range-not-dumped", p, "0x%llx+0x%llx is not all in the dump",
			    HEX(k->phys), HEX(size));
	}

	/* Overlap: the first byte of every range that starts before the
	 * furthest end seen so far, ranges sorted by start, larger first. */
	sorted = malloc((ref->nkeys ? ref->nkeys : 1) * sizeof(*sorted));
	if (!sorted) {
		f->st = KHO_ERR_NOMEM;
		return;
	}
	if (ref->nkeys) {
		memcpy(sorted, ref->keys, ref->nkeys * sizeof(*sorted));
		qsort(sorted, ref->nkeys, sizeof(*sorted), key_cmp);
	}
	for (size_t i = 0; i < ref->nkeys; i++) {
		uint64_t end = sorted[i].phys + key_size(ref, &sorted[i]);

		if (i && sorted[i].phys < max_end)
			add(f, "range-overlap", sorted[i].phys,
			    "0x%llx+0x%llx (order %u) overlaps 0x%llx+0x%llx (order %u)",
			    HEX(sorted[i].phys), HEX(key_size(ref, &sorted[i])),
			    sorted[i].order, HEX(sorted[max_i].phys),
			    HEX(key_size(ref, &sorted[max_i])), sorted[max_i].order);
		if (end > max_end) {
			max_end = end;
			max_i = i;
		}
	}
	free(sorted);
}

static void check_nodes(struct kho_ref *ref, struct findings *f,
			const struct range_list *preserved)
{
	uint64_t page = ref->geo.page_size;
	bool radix = ref->abi->map_format == KHO_MAP_RADIX;

	for (size_t i = 0; i < ref->nnodes; i++) {
		const struct ref_node *n = &ref->nodes[i];
		const char *what = n->level < 0 ? "chunk" : n->level == 0 ?
				   (radix ? "leaf" : "bitmap") : "node";
		uint64_t len = radix || n->level < 0 ? page : v1_bits_per_bitmap(ref) / 8;

		if (range_list_first_overlap(&ref->scratch, n->phys, len) != UINT64_MAX)
			add(f, "radix-node-scratch", n->phys, "%s page lies in a scratch area", what);
		if (range_list_first_overlap(preserved, n->phys, len) != UINT64_MAX)
			add(f, "radix-node-preserved", n->phys, "%s page is inside a preserved range", what);
		if (radix && n->empty)
			add(f, "radix-empty", n->phys, "%s at level %d is empty", what, n->level);
	}
	if (range_list_first_overlap(&ref->scratch, ref->fdt_phys, page) != UINT64_MAX)
		add(f, "radix-node-scratch", ref->fdt_phys, "the FDT page lies in a scratch area");
}

/* Whether some order's key for the block holding @phys is in the lost leaf. */
static bool in_lost_leaf(const struct kho_ref *ref, uint64_t phys)
{
	if (ref->lost_all)
		return true;
	for (unsigned o = 0; ref->lost_leaf && o <= kho_max_order(&ref->geo); o++) {
		uint64_t block = ref->geo.page_size << o;

		if (o + ref->geo.page_shift >= 63)
			break;
		if (kho_key_encode(&ref->geo, phys / block * block, o) >> ref->geo.bitmap_log2 ==
		    ref->lost_leaf_index)
			return true;
	}
	return false;
}

void oracle_uncovered(struct findings *f, const char *check, uint64_t phys, const char *msg)
{
	oracle_add(f, check, in_lost_leaf(f->ref, phys) ? KHO_SEV_INCOMPLETE : KHO_SEV_ERROR, phys,
		   msg);
}

void oracle_key_start(struct findings *f, uint64_t phys, const char *msg)
{
	if (!in_lost_leaf(f->ref, phys))
		oracle_add(f, "blob-key-start", KHO_SEV_ERROR, phys, msg);
}

bool ref_key_starts(const struct kho_ref *ref, uint64_t phys, int order)
{
	for (size_t i = 0; i < ref->nkeys; i++)
		if (ref->keys[i].phys == phys && (order < 0 || ref->keys[i].order == (unsigned)order))
			return true;
	return false;
}

/* What a blob names must be preserved too: [@a, @a + @len); what the
 * successor restores (@order >= 0) must also start a key of @order. */
static void need(struct kho_ref *ref, struct findings *f, const struct range_list *preserved,
		 uint64_t a, uint64_t len, int order)
{
	uint64_t p = range_list_first_uncovered(preserved, a, len);

	if (p != a + len)
		oracle_uncovered(f, "blob-not-preserved", p,
				 "what a sub-blob names is not all preserved");
	else if (order >= 0 && !ref_key_starts(ref, a, order))
		oracle_key_start(f, a, "restored, but no key starts there");
}

/* The chain of the struct kho_vmalloc at @desc: chunks and runs needed,
 * the first @max runs listed in @runs. returns: how many runs it has. */
static size_t vmalloc_chain(struct kho_ref *ref, struct findings *f,
			    const struct range_list *preserved, uint64_t desc,
			    uint64_t *runs, size_t max)
{
	uint64_t page = ref->geo.page_size;
	size_t n = 0;
	unsigned order = mem_get_u32(&ref->mem, desc + 12) >> 16;   /* u16 flags, u16 order */
	for (uint64_t chunk = mem_get_u64(&ref->mem, desc); chunk;
	     chunk = mem_get_u64(&ref->mem, chunk)) {
		need(ref, f, preserved, chunk, page, 0);
		for (uint64_t k = 0; k < page / 8 - 1; k++) {
			uint64_t run = mem_get_u64(&ref->mem, chunk + 8 + k * 8);

			if (!run)
				break;
			need(ref, f, preserved, run, page << order, (int)order);
			if (n < max)
				runs[n] = run;
			n++;
		}
	}
	return n;
}

/* test_kho's successor restores min(nr_folios, the array's pages) entries
 * (more are read past the array: a recorded blob-kho-test); each folio
 * needs a key of its order (the generator's arrays are order-0 runs, at
 * most 128 of them: 65536 folios). */
static void kho_test_folios(struct kho_ref *ref, struct findings *f,
			    const struct range_list *preserved, const struct ref_blob *b)
{
	uint64_t page = ref->geo.page_size, per_page = page / 8, runs[128];
	size_t nruns = vmalloc_chain(ref, f, preserved, b->kt_info, runs, 128);
	uint64_t cap = (uint64_t)mem_get_u32(&ref->mem, b->kt_info + 8) * per_page;
	uint64_t nr = MIN((uint64_t)mem_get_u32(&ref->mem, b->kt_nr_folios), cap);
	for (uint64_t i = 0; i < nr && i / per_page < MIN(nruns, 128); i++) {
		uint64_t e = mem_get_u64(&ref->mem, runs[i / per_page] + i % per_page * 8);

		if (!e)
			break;   /* an entry never written: recorded by its defect */
		need(ref, f, preserved, e & ~(page - 1), page << (e & (page - 1)),
		     (int)(e & (page - 1)));
	}
}

/* The chunk pages and runs of every vmalloc chain, the reserve-mem regions. */
static void check_contents(struct kho_ref *ref, struct findings *f,
			   const struct range_list *preserved)
{
	for (size_t i = 0; i < ref->nblobs; i++) {
		const struct ref_blob *b = &ref->blobs[i];

		if (b->kind == BLOB_KHO_TEST && !b->zero_pointer)
			kho_test_folios(ref, f, preserved, b);
		else if (b->kind == BLOB_VMALLOC && !b->zero_pointer)
			vmalloc_chain(ref, f, preserved, b->phys, NULL, 0);
	}
	for (size_t i = 0; i < ref->nregions; i++)
		need(ref, f, preserved, ref->regions[i].start, ref->regions[i].size, -1);
}

static void check_coverage(struct kho_ref *ref, struct findings *f,
			   const struct range_list *preserved)
{
	uint64_t p;

	if (ref->abi->fdt_preserved &&
	    range_list_first_uncovered(preserved, ref->fdt_phys, ref->geo.page_size) !=
		    ref->fdt_phys + ref->geo.page_size)
		oracle_uncovered(f, "fdt-not-preserved", ref->fdt_phys,
				 "the FDT page is not a key of the map");
	for (size_t i = 0; i < ref->nblobs; i++) {
		const struct ref_blob *b = &ref->blobs[i];

		if (b->drop_size || b->zero_pointer || !b->size)
			continue;
		p = range_list_first_uncovered(preserved, b->phys, b->size);
		if (p != b->phys + b->size)
			oracle_uncovered(f, "blob-not-preserved", p,
					 "a sub-blob is not all preserved");
	}
}

static void check_scratch(struct kho_ref *ref, struct findings *f)
{
	uint64_t granule = ref->geo.page_size << kho_scratch_align_order(ref->geo.page_size);

	for (size_t i = 0; i < ref->scratch.n; i++) {
		const struct kho_range *a = &ref->scratch.v[i];

		/* An empty area is legal (7.3's global area below 4 GiB). */
		if (!a->size)
			continue;
		if (!is_aligned(a->start | a->size, ref->geo.page_size))
			add(f, "scratch-layout", a->start, "scratch area %zu is not page-aligned", i);
		else if (!is_aligned(a->start | a->size, granule))
			oracle_add(f, "scratch-layout", KHO_SEV_WARNING, a->start, "a scratch area "
				   "is not aligned to PAGE_SIZE * MAX_ORDER_NR_PAGES");
		for (size_t k = 0; k < i; k++) {
			const struct kho_range *b = &ref->scratch.v[k];

			if (a->size && b->size && a->start < range_end(b) && b->start < range_end(a)) {
				add(f, "scratch-layout", a->start,
				    "scratch area %zu overlaps area %zu", i, k);
				break;
			}
		}
	}
}

static int finding_cmp(const void *a, const void *b)
{
	const struct ref_finding *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return strcmp(x->check, y->check);
}

/* ref->fdt_phys: the FDT the handover is read from (its copy, for a
 * decoy); findings recorded at @real_fdt move with it. */
static enum kho_status derive(struct kho_ref *ref, struct findings *f, uint64_t real_fdt)
{
	struct range_list preserved = { 0 };

	for (size_t i = 0; i < ref->nfindings; i++)
		if (!(ref->fdt_damaged_after_decoy && ref->fdt_phys != real_fdt &&
		      ref->findings[i].phys == real_fdt))
			oracle_add(f, ref->findings[i].check, ref->findings[i].severity,
				   ref->findings[i].phys == real_fdt ? ref->fdt_phys :
				   ref->findings[i].phys, ref->findings[i].message);
	/* Not finalized: nothing says what is preserved, so nothing can be
	 * found missing either. */
	if (ref->abi->zero_map_is_unfinalized && !ref->map_phys) {
		oracle_add(f, "fdt-memory-map", KHO_SEV_NOTE, ref->fdt_phys,
			   "preserved-memory-map is 0: not finalized");
		ref->map_unusable = true;
	}
	/* A composite string is decoded, but no released kernel matches it:
	 * fdt_node_check_compatible() compares the whole string. */
	if (!ref->fdt_unusable && strchr(ref->compatible, ';'))
		oracle_add(f, "fdt-compatible", KHO_SEV_ERROR, ref->fdt_phys,
			   "a composite compatible no released kernel accepts");
	if (!ref->fdt_unusable)
		check_scratch(ref, f);
	/* luo-v5 with no session serialized reads as a kernel before its
	 * reboot(KEXEC) (luo-pending, recorded by that defect otherwise) */
	if (!ref->fdt_unusable && ref->luo && ref->luo->version == 5 && !ref->luo->ns &&
	    !ref->luo->pending && !ref->luo->undecodable && ref->blobs[ref->luo->blob].phys)
		oracle_add(f, "luo-pending", KHO_SEV_NOTE, ref->blobs[ref->luo->blob].phys,
			   "LUO: no sessions serialized");
	luo_check_handlers(f);
	if (!ref->fdt_unusable && !ref->map_unusable) {
		/* a failed add stops the checks' appends too */
		for (size_t i = 0; !f->st && i < ref->nkeys; i++)
			f->st = range_list_add(&preserved, ref->keys[i].phys,
					       key_size(ref, &ref->keys[i]), NULL);
		range_list_normalize(&preserved, true);
		/* The verifier is handed the scratch areas (--scratch-array)
		 * only when there are some. */
		if (!ref->scratch.n || ref->scratch_untold)
			oracle_add(f, "scratch-unknown", KHO_SEV_INCOMPLETE, ref->fdt_phys,
				   "no scratch areas are known");
		check_ranges(ref, f);
		check_nodes(ref, f, &preserved);
		check_coverage(ref, f, &preserved);
		check_contents(ref, f, &preserved);
		luo_check_coverage(f, &preserved);
		range_list_free(&preserved);
	}
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), finding_cmp);
	return f->st;
}

/* ---- JSON ---- */

json_t *jhex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", HEX(v));
	return json_string(buf);
}

/* Whether the verifier sees @fdt preserve itself (its page an order-0
 * key): 1, else 0; never for a damaged FDT, whose map it does not read. */
static int seen_self(const struct kho_ref *ref, uint64_t fdt)
{
	if (ref->fdt_damaged_after_decoy && fdt != ref->decoy_fdt)
		return 0;
	/* kho-v1 does not preserve its FDT: the verifier cannot tell, for any */
	return ref->abi->fdt_preserved && ref_key_starts(ref, fdt, 0);
}

/* One finding as expect.json lists it, counted by severity for the summary. */
static void finding_json(json_t *arr, size_t *by_sev, const char *check, int sev,
			 uint64_t phys, const char *msg)
{
	json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:s}", "check", check,
			      "severity", kho_severity_str(sev), "phys", jhex(phys), "message", msg));
	by_sev[sev]++;
}

static json_t *handover_json(struct kho_ref *ref, const struct findings *f, size_t *by_sev)
{
	bool radix = ref->abi->map_format == KHO_MAP_RADIX;
	bool walked = !ref->fdt_unusable && !ref->map_unusable;
	json_t *h = json_object(), *arr, *map, *orders = json_object();
	uint64_t bytes = 0, counts[65] = { 0 };
	size_t tables, leaves = 0, empty = 0;

	json_object_set_new(h, "fdt", json_pack("{s:o, s:o, s:s, s:s}",
		"phys", jhex(ref->fdt_phys), "size", jhex(ref->fdt_size),
		"compatible", ref->compatible, "found_by", "scan"));
	if (radix)
		map = json_pack("{s:o, s:s, s:i}", "phys", jhex(ref->map_phys), "format", "radix",
				"depth", (int)ref->geo.depth);
	else
		map = json_pack("{s:o, s:s, s:I}", "phys", jhex(ref->map_phys),
				"format", "v1-chunks",
				"bitmap_bytes", (json_int_t)(v1_bits_per_bitmap(ref) / 8));
	if (radix && ref->geo.broken_depth) {
		json_object_set_new(map, "broken_depth", json_true());
		json_object_set_new(map, "ranges", json_string("meant"));
	}
	json_object_set_new(h, "memory_map", map);

	arr = json_array();
	for (size_t i = 0; i < ref->scratch.n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o}",
			"phys", jhex(ref->scratch.v[i].start),
			"size", jhex(ref->scratch.v[i].size)));
	json_object_set_new(h, "scratch", arr);

	/* in FDT order, newest first (ref_build_fdt) */
	arr = json_array();
	for (size_t i = ref->nblobs; i-- > 0;) {
		const struct ref_blob *b = &ref->blobs[i];

		json_array_append_new(arr, json_pack("{s:s, s:o, s:o}", "name", b->name,
			"phys", jhex(b->zero_pointer ? 0 : b->phys), "size", jhex(b->size)));
	}
	json_object_set_new(h, "subtrees", arr);
	if ((arr = luo_json(ref)))
		json_object_set_new(h, "luo", arr);

	arr = json_array();
	for (size_t i = 0; walked && i < ref->nkeys; i++) {
		const struct ref_key *k = &ref->keys[i];

		json_array_append_new(arr, json_pack("{s:o, s:i, s:o}", "phys", jhex(k->phys),
			"order", (int)k->order, "size", jhex(key_size(ref, k))));
		bytes += key_size(ref, k);
		counts[MIN(k->order, 64u)]++;
	}
	json_object_set_new(h, "ranges", arr);

	for (size_t i = 0; walked && i < ref->nnodes; i++) {
		leaves += ref->nodes[i].level == 0;
		empty += ref->nodes[i].empty && radix;
	}
	tables = walked ? ref->nnodes - leaves : 0;
	for (unsigned o = 0; o < 65; o++) {
		char name[8];

		if (!counts[o])
			continue;
		snprintf(name, sizeof(name), "%u", o);
		json_object_set_new(orders, name, json_integer((json_int_t)counts[o]));
	}
	json_object_set_new(h, "stats", json_pack("{s:I, s:I, s:I, s:I, s:o, s:o}",
		"keys", (json_int_t)(walked ? ref->nkeys : 0), "nodes", (json_int_t)tables,
		"leaves", (json_int_t)leaves, "empty_nodes", (json_int_t)empty,
		"preserved_bytes", jhex(bytes), "orders", orders));

	arr = json_array();
	for (size_t i = 0; i < f->n; i++)
		finding_json(arr, by_sev, f->v[i].check, f->v[i].severity, f->v[i].phys,
			     f->v[i].message);
	json_object_set_new(h, "findings", arr);
	return h;
}

/* A consumed handover (handover-consumed): its FDT, and what a verifier
 * no longer looks at left empty. */
static json_t *consumed_json(const struct kho_ref *ref)
{
	return json_pack("{s:{s:o, s:o, s:s, s:s}, s:b, s:[], s:{s:i}, s:[]}",
		"fdt", "phys", jhex(ref->fdt_phys), "size", jhex(ref->fdt_size),
		"compatible", ref->compatible, "found_by", "scan", "consumed", 1,
		"ranges", "stats", "keys", 0, "findings");
}

enum kho_status ref_write_expect(struct kho_ref *ref, FILE *out,
				 const struct kho_write_opts *opts,
				 struct kho_error *err)
{
	json_t *doc, *args, *summary, *handovers, *top;
	uint64_t fdts[3], real;
	size_t counts[4] = { 0 }, nfdt = 0;
	enum kho_status st;
	bool partial = false;
	char buf[64];
	int rc;

	if (!ref->finalized)
		return kho_error_set(err, KHO_ERR_INVALID, "expectations need a finalized image");
	if (!ref->snapshot_taken && ref_snapshot(ref, err))
		return err ? err->status : KHO_ERR_NOMEM;
	/* The handovers in the verifier's order: those whose FDT page is a
	 * key first, then by address; a decoy makes two, and ambiguity. */
	real = ref->fdt_phys;
	fdts[nfdt++] = real;
	if (ref->decoy_fdt)
		fdts[nfdt++] = ref->decoy_fdt;
	/* a successor's dump: its own handover first, the consumed one last */
	if (ref->successor_fdt) {
		fdts[0] = ref->successor_fdt;
		fdts[nfdt++] = real;
	}
	if (nfdt == 2 && !ref->successor_fdt && (seen_self(ref, fdts[1]) > seen_self(ref, fdts[0]) ||
			  (seen_self(ref, fdts[1]) == seen_self(ref, fdts[0]) && fdts[1] < fdts[0]))) {
		fdts[0] = ref->decoy_fdt;
		fdts[1] = real;
	}
	handovers = json_array();
	for (size_t h = 0; h < nfdt; h++) {
		struct findings f = { .ref = ref };
		bool unusable = ref->fdt_unusable;

		if (fdts[h] == real && ref->successor_fdt) {
			json_array_append_new(handovers, consumed_json(ref));
			continue;
		}
		ref->fdt_phys = fdts[h];
		/* the decoy copied the FDT before fdt-header damaged it */
		if (fdts[h] != real && ref->fdt_damaged_after_decoy)
			ref->fdt_unusable = false;
		st = derive(ref, &f, real);
		if (!st)
			json_array_append_new(handovers, handover_json(ref, &f, counts));
		ref->fdt_unusable = unusable;
		/* the structure unread: kho-inspect's exit 3 (lib/check/verdict.c) */
		for (size_t i = 0; i < f.n; i++)
			partial |= !strcmp(f.v[i].check, "radix-unreadable") ||
				   !strcmp(f.v[i].check, "blob-unreadable");
		free(f.v);
		ref->fdt_phys = real;
		if (st)
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	top = json_array();
	if (ref->cut_phys)
		finding_json(top, counts, "dump-truncated", KHO_SEV_INCOMPLETE, ref->cut_phys,
			     "the ELF file ends early");
	if (ref->successor_fdt)
		finding_json(top, counts, "handover-consumed", KHO_SEV_NOTE, real,
			     "the incoming handover of the kernel that wrote the other, consumed");
	else if (nfdt > 1)
		finding_json(top, counts, "handover-ambiguous", KHO_SEV_WARNING, fdts[0],
			     "2 KHO FDTs could each be the handover and nothing chose one");

	args = json_array();
	if (ref->scratch.n && !ref->scratch_untold) {
		snprintf(buf, sizeof(buf), "0x%llx,0x%llx", HEX(ref->scratch_array_phys),
			 HEX(ref->scratch.n * KHO_SCRATCH_ENTRY_SIZE));
		json_array_append_new(args, json_string("--scratch-array"));
		json_array_append_new(args, json_string(buf));
	}
	summary = json_pack("{s:I, s:I, s:I, s:I, s:b}",
			    "error", (json_int_t)counts[KHO_SEV_ERROR],
			    "warning", (json_int_t)counts[KHO_SEV_WARNING],
			    "note", (json_int_t)counts[KHO_SEV_NOTE],
			    "incomplete", (json_int_t)counts[KHO_SEV_INCOMPLETE],
			    "partial", partial);
	doc = json_pack("{s:{s:s, s:s}, s:{s:s, s:o}, s:{s:s, s:s, s:s, s:I, s:s}, s:o, s:o, s:o}",
		"tool", "name", "kho-mkimage", "version", KHO_VERSION,
		"generator", "spec", opts && opts->spec_name ? opts->spec_name : "",
		"args", args,
		"source", "path", opts && opts->image_name ? opts->image_name : "",
		"format", "elf", "kind", "vmcore", "page_size", (json_int_t)ref->geo.page_size,
		"byte_order", "little",
		"handovers", handovers,
		"findings", top,
		"summary", summary);
	if (!doc)
		return kho_error_set(err, KHO_ERR_NOMEM, "cannot build expect.json");
	rc = json_dumpf(doc, out, JSON_INDENT(2));
	json_decref(doc);
	if (rc || fputc('\n', out) == EOF)
		return kho_error_errno(err, "writing expect.json");
	return KHO_OK;
}
