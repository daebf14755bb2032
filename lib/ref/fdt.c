// SPDX-License-Identifier: MIT
/*
 * The KHO FDT and the FDT blobs of sub-nodes, written with libfdt's
 * sequential-write API into one page. Every u64 property holds the raw
 * native-endian bytes of the producing CPU, not big-endian FDT cells.
 */
#include "ref_internal.h"

#include <libfdt.h>

#include "../util/util.h"

static enum kho_status fdt_fail(struct kho_error *err, const char *what, int rc)
{
	return kho_error_set(err, rc == -FDT_ERR_NOSPACE ? KHO_ERR_INVALID :
							   KHO_ERR_CORRUPT,
			     "%s: %s", what, fdt_strerror(rc));
}

int ref_prop_u64(void *fdt, const char *name, uint64_t v)
{
	uint8_t raw[8];

	store_u64(raw, v, false);   /* native bytes, as the kernel's fdt_property */
	return fdt_property(fdt, name, raw, sizeof(raw));
}

enum kho_status ref_blob_fdt(const char *compat, const struct ref_region *regions,
			     size_t nregions, void *buf, size_t bufsize, struct kho_error *err)
{
	int rc = fdt_create(buf, (int)bufsize) ?:
		 fdt_finish_reservemap(buf) ?:
		 fdt_begin_node(buf, "") ?:
		 fdt_property_string(buf, "compatible", compat);

	for (size_t i = 0; !rc && i < nregions; i++)
		rc = fdt_begin_node(buf, regions[i].name) ?:
		     fdt_property_string(buf, "compatible", "reserve-mem-v1") ?:
		     ref_prop_u64(buf, "start", regions[i].start) ?:
		     ref_prop_u64(buf, "size", regions[i].size) ?:
		     fdt_end_node(buf);
	rc = rc ?: fdt_end_node(buf) ?:
	     fdt_finish(buf);
	return rc ? fdt_fail(err, compat, rc) : KHO_OK;
}

/*
 * One sub-node added as kho_add_subtree() (7.1+) adds it: the packed FDT
 * opened in place, a sub-node added (libfdt puts it before the existing
 * children, so the FDT lists sub-nodes newest first), its properties set,
 * the FDT packed again. Doing the same with libfdt gives the kernel's
 * bytes: node order, and a strings block in the order names were added.
 */
static int add_subtree(struct kho_ref *ref, void *buf, int size, const struct ref_blob *b)
{
	int rc = fdt_open_into(buf, buf, size), off;
	uint8_t raw[8];

	if (rc)
		return rc;
	off = fdt_add_subnode(buf, 0, b->name);
	if (off < 0)
		return off;
	store_u64(raw, b->zero_pointer ? 0 : b->phys, false);
	rc = fdt_setprop(buf, off, ref->abi->blob_prop, raw, sizeof(raw));
	store_u64(raw, b->size, false);
	if (!rc && ref->abi->has_blob_size && !b->drop_size)
		rc = fdt_setprop(buf, off, KHO_PROP_BLOB_SIZE, raw, sizeof(raw));
	return rc ?: fdt_pack(buf);
}

enum kho_status ref_build_fdt(struct kho_ref *ref, struct kho_error *err)
{
	size_t size = ref->geo.page_size;
	_cleanup_free_ void *buf = calloc(1, size);
	uint8_t map[8];
	int rc;

	if (!buf)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	store_u64(map, ref->map_prop_override ? ref->map_prop_value : ref->map_phys,
		  false);
	/* the root as kho_init() writes it, with the sequential-write API */
	rc = fdt_create(buf, (int)size) ?:
	     fdt_finish_reservemap(buf) ?:
	     fdt_begin_node(buf, "") ?:
	     fdt_property_string(buf, KHO_PROP_COMPATIBLE, ref->compatible) ?:
	     fdt_property(buf, KHO_PROP_MEMORY_MAP, map, (int)ref->map_prop_len) ?:
	     fdt_end_node(buf) ?:
	     fdt_finish(buf);
	/* then each sub-node in the order its owner created it */
	for (size_t i = 0; !rc && i < ref->nblobs; i++)
		rc = add_subtree(ref, buf, (int)size, &ref->blobs[i]);
	if (rc)
		return fdt_fail(err, "KHO FDT does not fit in one page", rc);
	ref->fdt_size = fdt_totalsize(buf);
	/* The whole page is rewritten, as the kernel re-creates it in place. */
	return mem_write(&ref->mem, ref->fdt_phys, buf, size, err);
}
