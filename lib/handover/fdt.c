// SPDX-License-Identifier: MIT
/*
 * Loading the KHO FDT. Everything in it is untrusted: libfdt's full
 * structural check runs before any node is read, u64 properties are raw
 * native-endian bytes of the producing CPU (not FDT cells) and are loaded
 * unaligned, and every length is checked (the next kernel rejects u64
 * properties whose length is not 8).
 */
#include "kho/handover.h"

#include <fcntl.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../util/util.h"
#include "prop.h"

static enum kho_status read_fdt(struct kho_source *src, const char *file,
				struct kho_handover *ho, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src);

	ho->fdt = calloc(1, page);
	if (!ho->fdt)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0)
			return kho_error_errno(err, "%s", file);
		n = read(fd, ho->fdt, page);
		close(fd);
		if (n < 0)
			return kho_error_errno(err, "%s", file);
		if ((size_t)n < sizeof(struct fdt_header))
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: too short for an FDT", file);
		/* The user says this file is the FDT: a file without the magic
		 * is a wrong argument, not a finding about the dump. */
		if (fdt_magic(ho->fdt) != FDT_MAGIC)
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: not an FDT (it starts "
					     "%02x %02x %02x %02x, an FDT d0 0d fe ed)", file,
					     ((uint8_t *)ho->fdt)[0], ((uint8_t *)ho->fdt)[1],
					     ((uint8_t *)ho->fdt)[2], ((uint8_t *)ho->fdt)[3]);
		/* debugfs kho/out/fdt keeps the size the FDT had when the file
		 * was made: a later, larger FDT reads cut short. The file is
		 * short, not the handover. */
		if ((uint64_t)n < fdt_totalsize(ho->fdt) && fdt_totalsize(ho->fdt) <= page)
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: the file holds %zd of the %u "
					     "bytes its header claims (debugfs kho/out/fdt keeps its "
					     "size from boot: read the FDT from memory with --fdt ADDR "
					     "or a scan)", file, n, fdt_totalsize(ho->fdt));
		return KHO_OK;
	}
	if (kho_source_read(src, ho->fdt_phys, ho->fdt, page, err))
		return kho_error_prepend(err, "KHO FDT at 0x%llx", HEX(ho->fdt_phys));
	return KHO_OK;
}

/* Sub-node @t's u64 @prop into *@v. returns: false, with an anomaly
 * (@bad, or @zero for a 0), when it cannot be used. */
static bool subnode_u64(struct kho_handover *ho, int node, const struct kho_subtree *t,
			const char *prop, bool be, uint64_t *v, enum kho_anomaly_kind bad,
			enum kho_anomaly_kind zero, struct kho_anomalies *a)
{
	int len = 0;

	if (!prop_get_u64(ho->fdt, node, prop, be, v, &len))
		kho_anomaly(a, bad, ho->fdt_phys, "sub-node %s: %s %s", t->name, prop,
			    len < 0 ? "is missing" : "does not have length 8");
	else if (!*v)
		kho_anomaly(a, zero, ho->fdt_phys, "sub-node %s: %s is 0", t->name, prop);
	else
		return true;
	return false;
}

static void check_subnodes(struct kho_handover *ho, bool be, struct kho_anomalies *a)
{
	const struct kho_abi_version *abi = ho->abi;
	int node, count = 0;

	fdt_for_each_subnode(node, ho->fdt, 0)
		count++;
	ho->subtrees = calloc(count ? (size_t)count : 1, sizeof(*ho->subtrees));
	if (!ho->subtrees) {
		a->oom = true;   /* sub-nodes never go unchecked silently */
		return;
	}
	fdt_for_each_subnode(node, ho->fdt, 0) {
		struct kho_subtree *t = &ho->subtrees[ho->nsubtrees++];
		const char *name = fdt_get_name(ho->fdt, node, NULL);

		snprintf(t->name, sizeof(t->name), "%s", name ? name : "?");
		t->usable = subnode_u64(ho, node, t, abi->blob_prop, be, &t->phys,
					KHO_AN_FDT_SUBNODE_NO_BLOB, KHO_AN_FDT_SUBNODE_BLOB_ZERO, a);
		if (abi->has_blob_size &&
		    !subnode_u64(ho, node, t, KHO_PROP_BLOB_SIZE, be, &t->size,
				 KHO_AN_FDT_SUBNODE_NO_SIZE, KHO_AN_FDT_SUBNODE_SIZE_ZERO, a))
			t->usable = false;
	}
}

enum kho_status kho_handover_load(struct kho_source *src, uint64_t fdt_phys,
				  const char *fdt_file, struct kho_anomalies *a,
				  struct kho_handover *ho, struct kho_error *err)
{
	uint64_t page = kho_source_page_size(src);
	bool be = kho_source_big_endian(src);
	struct kho_error why = { 0 };
	const char *compat;
	enum kho_status st;
	int rc, len = 0;

	memset(ho, 0, sizeof(*ho));
	if (fdt_phys == KHO_FDT_PHYS_UNKNOWN) {
		/* debugfs kho/out/fdt holds the bytes, not where they are. */
		if (!fdt_file)
			return kho_error_set(err, KHO_ERR_INVALID,
					     "the KHO FDT has no address and no file");
		ho->fdt_phys_unknown = true;
		fdt_phys = 0;
	}
	ho->fdt_phys = fdt_phys;
	if ((st = read_fdt(src, fdt_file, ho, err)))
		return st;
	ho->fdt_size = fdt_magic(ho->fdt) == FDT_MAGIC ? fdt_totalsize(ho->fdt) : 0;

	/* Header (a totalsize beyond the page is truncated) and structure,
	 * before anything is read from the tree. */
	rc = fdt_check_full(ho->fdt, page);
	if (rc) {
		/* The compatible string is still worth showing when it can be read. */
		compat = fdt_magic(ho->fdt) == FDT_MAGIC && fdt_totalsize(ho->fdt) <= page ?
			 fdt_getprop(ho->fdt, 0, KHO_PROP_COMPATIBLE, &len) : NULL;
		if (compat && len > 0)
			snprintf(ho->compatible, sizeof(ho->compatible), "%.*s", len, compat);
		else    /* what made it a candidate (scan.c) */
			kho_fdt_probe_root(ho->fdt, page, ho->compatible, sizeof(ho->compatible));
		kho_anomaly(a, KHO_AN_FDT_BAD_HEADER, fdt_phys, "%s%s", fdt_strerror(rc),
			    fdt_totalsize(ho->fdt) > page && !fdt_check_header(ho->fdt) ?
			    " (totalsize beyond one page)" : "");
		return KHO_OK;
	}

	compat = fdt_getprop(ho->fdt, 0, KHO_PROP_COMPATIBLE, &len);
	if (!compat || len <= 0) {
		kho_anomaly(a, KHO_AN_FDT_NO_COMPATIBLE, fdt_phys, "root compatible is missing");
		return KHO_OK;
	}
	snprintf(ho->compatible, sizeof(ho->compatible), "%.*s", len, compat);
	/* A malformed string is an anomaly: its reason must not reach @err,
	 * which a call that succeeds leaves as it was. */
	st = kho_compat_parse(compat, (size_t)len, &ho->compat, &why);
	if (st == KHO_ERR_NOTIMPL)
		return kho_error_set(err, st, "KHO FDT at 0x%llx: %s", HEX(fdt_phys), why.msg);
	if (st) {
		kho_anomaly(a, KHO_AN_FDT_BAD_COMPATIBLE, fdt_phys, "%s", why.msg);
		return KHO_OK;
	}
	ho->abi = ho->compat.abi;
	ho->fdt_ok = true;
	/* Decoded by its root version, but 7.2.13 and 7.3-rc7 match the
	 * property as one string: the successor boots without the handover. */
	if (ho->compat.ncomponents)
		kho_anomaly(a, KHO_AN_FDT_COMPOSITE, fdt_phys, "root compatible \"%.64s\": no "
			    "released kernel accepts it: fdt_node_check_compatible compares the "
			    "whole string (7.2.13 and 7.3-rc7 want \"%s\")", ho->compatible,
			    ho->abi->compatible);

	if (!prop_get_u64(ho->fdt, 0, KHO_PROP_MEMORY_MAP, be, &ho->map_phys, &len)) {
		kho_anomaly(a, KHO_AN_FDT_NO_MAP, fdt_phys, "preserved-memory-map %s",
			    len < 0 ? "is missing" : "does not have length 8");
	} else if (!ho->map_phys && ho->abi->zero_map_is_unfinalized) {
		kho_anomaly(a, KHO_AN_FDT_MAP_UNFINALIZED, fdt_phys,
			     "preserved-memory-map is 0: the map was not finalized");
	} else if (!ho->map_phys) {
		kho_anomaly(a, KHO_AN_FDT_MAP_ZERO, fdt_phys, "preserved-memory-map is 0");
	} else if (!is_aligned(ho->map_phys, page)) {
		kho_anomaly(a, KHO_AN_FDT_MAP_MISALIGNED, fdt_phys,
			    "preserved-memory-map 0x%llx is not page-aligned", HEX(ho->map_phys));
	} else {
		ho->map_ok = true;
	}
	check_subnodes(ho, be, a);
	if (!ho->subtrees)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return KHO_OK;
}

void kho_handover_free(struct kho_handover *ho)
{
	free(ho->fdt);
	for (size_t i = 0; ho->subtrees && i < ho->nsubtrees; i++)
		kho_subtree_free(&ho->subtrees[i]);
	free(ho->subtrees);
	free(ho->scratch);
	memset(ho, 0, sizeof(*ho));
}

enum kho_status kho_handover_add_scratch(struct kho_handover *ho, uint64_t phys,
					 uint64_t size, struct kho_error *err)
{
	struct kho_scratch_area *v = realloc(ho->scratch, (ho->nscratch + 1) * sizeof(*v));

	if (!v)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	ho->scratch = v;
	v[ho->nscratch++] = (struct kho_scratch_area){ phys, size };
	return KHO_OK;
}

enum kho_status kho_handover_add_scratch_array(struct kho_handover *ho,
					       struct kho_source *src,
					       uint64_t phys, uint64_t bytes,
					       struct kho_error *err)
{
	uint8_t e[16];
	enum kho_status st;
	bool be = kho_source_big_endian(src);

	if (!bytes || bytes % 16 || bytes > 16 * 4096)
		return kho_error_set(err, KHO_ERR_INVALID,
				     "--scratch-array: %llu bytes is not 1 to 4096 entries of 16",
				     HEX(bytes));
	for (uint64_t i = 0; i < bytes; i += 16) {
		if ((st = kho_source_read(src, phys + i, e, sizeof(e), err)))
			return kho_error_prepend(err, "--scratch-array entry %llu", HEX(i / 16));
		if ((st = kho_handover_add_scratch(ho, load_u64(e, be), load_u64(e + 8, be), err)))
			return st;
	}
	return KHO_OK;
}
