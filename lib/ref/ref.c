// SPDX-License-Identifier: MIT
/*
 * The simulated kernel: machine description, boot, and the preserve /
 * unpreserve operations dispatched to the map format of the ABI.
 */
#include "ref_internal.h"

#include <stdarg.h>
#include <stdio.h>

#include "../util/util.h"
#include "kho/check.h"

/* The allocator's mem_busy_fn: the start of the lowest key overlapping
 * [phys, phys+size), or UINT64_MAX. */
static uint64_t preserved_start(void *ctx, uint64_t phys, uint64_t size)
{
	struct kho_ref *ref = ctx;
	uint64_t found = UINT64_MAX;

	if (!ref->booted)
		return UINT64_MAX;
	for (unsigned o = 0; o <= kho_max_order(&ref->geo); o++) {
		uint64_t block = kho_order_bytes(&ref->geo, o);
		uint64_t a = align_down(phys, block);

		if (!block)
			break;
		for (; a < phys + size; a += block) {
			bool hit = ref->abi->map_format == KHO_MAP_RADIX ?
				radix_test(ref, kho_key_encode(&ref->geo, a, o)) :
				v1_test(ref, a >> ref->geo.page_shift, o);

			if (hit) {
				found = MIN(found, a);
				break;
			}
			if (a + block < a)
				break;
		}
		if (block > (UINT64_MAX >> 1))
			break;
	}
	return found;
}

KHO_EXPORT enum kho_status kho_ref_new(const struct kho_ref_config *cfg,
				       struct kho_ref **out,
				       struct kho_error *err)
{
	struct kho_ref *ref;
	struct kho_compat compat;
	enum kho_status st = KHO_OK;

	ref = calloc(1, sizeof(*ref));
	if (!ref)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	ref->cfg = *cfg;
	ref->cfg.compatible = NULL;
	ref->map_prop_len = 8;
	ref->abi = kho_abi_version_find(cfg->abi);
	if (kho_geometry_init(&ref->geo, cfg->page_size, cfg->broken_depth)) {
		st = kho_error_set(err, KHO_ERR_INVALID, "page size %llu is not 4K, 16K or 64K",
				   (unsigned long long)cfg->page_size);
	} else if (!ref->abi) {
		st = kho_error_set(err, KHO_ERR_INVALID, "unknown ABI version %u", cfg->abi);
	} else if (cfg->compatible) {
		/* A composite string must decode to the same root version. */
		st = kho_compat_parse(cfg->compatible, strlen(cfg->compatible) + 1, &compat, err);
		if (!st && compat.version != cfg->abi)
			st = kho_error_set(err, KHO_ERR_INVALID,
					   "compatible \"%s\" is not ABI kho-v%u",
					   cfg->compatible, cfg->abi);
		else if (!st && strlen(cfg->compatible) >= sizeof(ref->compatible))
			st = kho_error_set(err, KHO_ERR_INVALID, "compatible too long");
	}
	if (st) {
		free(ref);
		return st;
	}
	snprintf(ref->compatible, sizeof(ref->compatible), "%s",
		 cfg->compatible ?: ref->abi->compatible);
	mem_init(&ref->mem, cfg->page_size);
	ref->mem.busy = preserved_start;
	ref->mem.busy_ctx = ref;
	*out = ref;
	return KHO_OK;
}

KHO_EXPORT void kho_ref_free(struct kho_ref *ref)
{
	if (!ref)
		return;
	mem_free(&ref->mem);
	range_list_free(&ref->scratch);
	range_list_free(&ref->numa);
	range_list_free(&ref->excluded);
	for (size_t i = 0; i < ref->nv1; i++)
		free(ref->v1[i].v);
	free(ref->v1);
	free(ref->blobs);
	free(ref->regions);
	luo_free(ref);
	free(ref->findings);
	free(ref->defects);
	free(ref->keys);
	free(ref->meant);
	free(ref->nodes);
	free(ref);
}

static enum kho_status check_machine_range(struct kho_ref *ref, const char *what,
					   uint64_t start, uint64_t size,
					   struct kho_error *err)
{
	if (ref->booted)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "%s must come before the first operation", what);
	if (!size || !is_aligned(start | size, ref->geo.page_size))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "%s 0x%llx+0x%llx is empty or not page-aligned",
				     what, (unsigned long long)start,
				     (unsigned long long)size);
	if (start + size < start)
		return kho_error_set(err, KHO_ERR_INVALID, "%s wraps around", what);
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_add_ram(struct kho_ref *ref, uint64_t start,
					   uint64_t size, struct kho_error *err)
{
	/* Sorted and merged once, at boot: a machine may have 70,000 ranges. */
	return check_machine_range(ref, "ram", start, size, err) ?:
	       range_list_add(&ref->mem.ram, start, size, err);
}

KHO_EXPORT enum kho_status kho_ref_add_scratch(struct kho_ref *ref,
					       uint64_t start, uint64_t size,
					       struct kho_error *err)
{
	/* Scratch areas are not validated: a defect may add a bad one. */
	if (ref->booted)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "scratch must come before the first operation");
	return range_list_add(&ref->scratch, start, size, err) ?:
	       range_list_add(&ref->mem.avoid, start, size, err);
}

KHO_EXPORT enum kho_status kho_ref_add_alloc_region(struct kho_ref *ref,
						    uint64_t start,
						    uint64_t size,
						    struct kho_error *err)
{
	return check_machine_range(ref, "alloc", start, size, err) ?:
	       range_list_add(&ref->mem.alloc, start, size, err);
}

enum kho_status ref_alloc_preserved(struct kho_ref *ref, unsigned order, uint64_t *phys,
				    struct kho_error *err)
{
	return mem_alloc(&ref->mem, order, phys, err) ?:
	       kho_ref_preserve_folio(ref, *phys, order, err);
}

unsigned order_for_bytes(const struct kho_ref *ref, uint64_t bytes)
{
	unsigned order = 0;

	while ((ref->geo.page_size << order) < bytes)
		order++;
	return order;
}

/* The intended key set, kept only where the tree loses it (broken depth). */
static enum kho_status track_meant(struct kho_ref *ref, uint64_t phys,
				   unsigned order, bool set, struct kho_error *err)
{
	size_t i;

	for (i = 0; i < ref->nmeant; i++)
		if (ref->meant[i].phys == phys && ref->meant[i].order == order)
			break;
	if (!set && i < ref->nmeant)
		ref->meant[i] = ref->meant[--ref->nmeant];
	if (!set || i < ref->nmeant)   /* removed, absent, or there already */
		return KHO_OK;
	if (!ARRAY_RESERVE(ref->meant, ref->meant_cap, ref->nmeant))
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	ref->meant[ref->nmeant++] = (struct ref_key){ phys, order };
	return KHO_OK;
}

/*
 * The first operation boots the simulated kernel. Since 7.1 the KHO FDT
 * is an order-0 folio allocated and preserved at init, and the radix
 * root exists from then on; kho-v1 allocates its FDT and chunks when it
 * finalizes.
 */
enum kho_status ref_boot(struct kho_ref *ref, struct kho_error *err)
{
	enum kho_status st;

	if (ref->booted)
		return KHO_OK;
	if (!ref->mem.ram.n)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "no ram described before the first operation");
	range_list_normalize(&ref->mem.ram, true);
	range_list_normalize(&ref->mem.alloc, true);
	ref->booted = true;
	if (ref->abi->map_format != KHO_MAP_RADIX)
		return KHO_OK;
	if ((st = radix_init(ref, err)))
		return st;
	if ((st = ref_alloc_preserved(ref, 0, &ref->fdt_phys, err)))
		return st;
	if (!ref->abi->kexec_metadata_at_init || ref->no_boot_kexec)
		return KHO_OK;
	return ref_kexec_metadata(ref, REF_KEXEC_DEFAULT_RELEASE, REF_KEXEC_DEFAULT_COUNT, true,
				  err);
}

/* Preserve (@set) or unpreserve one folio, booting first. */
static enum kho_status folio_op(struct kho_ref *ref, uint64_t phys, unsigned order, bool set,
				struct kho_error *err)
{
	enum kho_status st;

	if (order > kho_max_order(&ref->geo))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "order %u is above the largest encodable order %u",
				     order, kho_max_order(&ref->geo));
	if (!is_aligned(phys, kho_order_bytes(&ref->geo, order)))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "0x%llx is not aligned to its order-%u size",
				     (unsigned long long)phys, order);
	if (ref->finalized && ref->abi->map_format != KHO_MAP_RADIX)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "kho-v1 maps cannot change after finalize");
	if ((st = ref_boot(ref, err)) ||
	    (ref->geo.broken_depth && (st = track_meant(ref, phys, order, set, err))))
		return st;
	if (ref->abi->map_format == KHO_MAP_RADIX)
		return radix_update(ref, kho_key_encode(&ref->geo, phys, order), set, err);
	return v1_update(ref, phys >> ref->geo.page_shift, order, set, err);
}

KHO_EXPORT enum kho_status kho_ref_preserve_folio(struct kho_ref *ref,
						  uint64_t phys, unsigned order,
						  struct kho_error *err)
{
	return folio_op(ref, phys, order, true, err);
}

KHO_EXPORT enum kho_status kho_ref_unpreserve_folio(struct kho_ref *ref,
						    uint64_t phys,
						    unsigned order,
						    struct kho_error *err)
{
	return folio_op(ref, phys, order, false, err);
}

/* A NUMA node: [start, start + size) of physical memory, node i the i-th. */
enum kho_status ref_add_numa_node(struct kho_ref *ref, uint64_t start, uint64_t size,
				  struct kho_error *err)
{
	enum kho_status st = check_machine_range(ref, "numa-node", start, size, err);

	if (st)
		return st;
	for (size_t i = 0; i < ref->numa.n; i++)
		if (start < ref->numa.v[i].start + ref->numa.v[i].size &&
		    ref->numa.v[i].start < start + size)
			return kho_error_set(err, KHO_ERR_INVALID, "numa-node 0x%llx overlaps "
					     "node %zu", (unsigned long long)start, i);
	return range_list_add(&ref->numa, start, size, err);
}

/* pfn_to_nid(): the node holding @pfn, -1 outside every node (one node
 * when the spec names none). */
static long nid_of(const struct kho_ref *ref, uint64_t pfn)
{
	uint64_t phys = pfn << ref->geo.page_shift;

	for (size_t i = 0; i < ref->numa.n; i++)
		if (phys - ref->numa.v[i].start < ref->numa.v[i].size)
			return (long)i;
	return -1;
}

/*
 * kho_preserve_pages() splits a run into the largest naturally aligned
 * blocks: each step takes min(alignment of pfn, largest power of two that
 * fits in what is left), then (7.1+, __kho_preserve_pages_order) lowers
 * it until the block's first and last page are on the same NUMA node.
 * kho_unpreserve_pages() splits the same way. kho_restore_pages() does
 * not lower: a run across a node boundary is not restored whole (the
 * smaller key at its start sets the order; blob-key-start).
 */
static enum kho_status pages_op(struct kho_ref *ref, uint64_t pfn,
				uint64_t count, bool set, struct kho_error *err)
{
	uint64_t end = pfn + count;
	enum kho_status st;

	if (!count || end < pfn || end > (UINT64_MAX >> ref->geo.page_shift))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "page run 0x%llx+%llu is empty or too large",
				     (unsigned long long)pfn,
				     (unsigned long long)count);
	while (pfn < end) {
		unsigned order = fls64(end - pfn) - 1;

		if (pfn)
			order = MIN(order, (unsigned)__builtin_ctzll(pfn));
		order = MIN(order, kho_max_order(&ref->geo));
		while (order && nid_of(ref, pfn) != nid_of(ref, pfn + ((uint64_t)1 << order) - 1))
			order--;
		if ((st = folio_op(ref, pfn << ref->geo.page_shift, order, set, err)))
			return st;
		pfn += (uint64_t)1 << order;
	}
	return KHO_OK;
}

KHO_EXPORT enum kho_status kho_ref_preserve_pages(struct kho_ref *ref,
						  uint64_t pfn, uint64_t count,
						  struct kho_error *err)
{
	return pages_op(ref, pfn, count, true, err);
}

KHO_EXPORT enum kho_status kho_ref_unpreserve_pages(struct kho_ref *ref,
						    uint64_t pfn,
						    uint64_t count,
						    struct kho_error *err)
{
	return pages_op(ref, pfn, count, false, err);
}

bool ref_is_preserved(struct kho_ref *ref, uint64_t phys, uint64_t size)
{
	return preserved_start(ref, phys, size) != UINT64_MAX;
}

enum kho_status ref_record(struct kho_ref *ref, const char *check,
			   uint64_t phys, struct kho_error *err,
			   const char *fmt, ...)
{
	size_t i;
	struct ref_finding *f = ARRAY_ADD(ref->findings, ref->finding_cap, ref->nfindings);
	va_list ap;

	if (!f)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	f->check = check;
	f->severity = kho_check_lookup(check, &i) ? (int)kho_check_severity(i) : KHO_SEV_ERROR;
	f->phys = phys;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return KHO_OK;
}

KHO_EXPORT uint64_t kho_ref_fdt_phys(const struct kho_ref *ref)
{
	return ref->fdt_phys;
}

KHO_EXPORT uint64_t kho_ref_map_phys(const struct kho_ref *ref)
{
	return ref->map_phys;
}

KHO_EXPORT const struct kho_geometry *kho_ref_geometry(const struct kho_ref *ref)
{
	return &ref->geo;
}
