// SPDX-License-Identifier: MIT
#include "kho/findings.h"

#include <string.h>

#include "../util/util.h"

static const struct kho_check_info checks[] = {
	[KHO_CHECK_FDT_HEADER] = { "fdt-header", KHO_SEV_ERROR,
	  "bad magic or version, truncated, totalsize beyond one page or the dump, fails the full structural check" },
	[KHO_CHECK_FDT_COMPATIBLE] = { "fdt-compatible", KHO_SEV_ERROR,
	  "root compatible missing, malformed, or composite (no released kernel accepts it)" },
	[KHO_CHECK_FDT_MEMORY_MAP] = { "fdt-memory-map", KHO_SEV_ERROR,
	  "preserved-memory-map missing, length not 8, zero, or not page-aligned" },
	[KHO_CHECK_FDT_SUBNODE] = { "fdt-subnode", KHO_SEV_ERROR,
	  "a sub-node lacks its blob pointer or blob-size, or one has a bad length or a zero value" },
	[KHO_CHECK_FDT_NOT_PRESERVED] = { "fdt-not-preserved", KHO_SEV_ERROR,
	  "the FDT's own page is not covered by the map" },
	[KHO_CHECK_BLOB_NOT_PRESERVED] = { "blob-not-preserved", KHO_SEV_ERROR,
	  "part of a sub-blob is not covered by the map" },
	[KHO_CHECK_BLOB_FDT] = { "blob-fdt", KHO_SEV_ERROR,
	  "an FDT sub-blob fails the full structural check or is larger than its blob-size" },
	[KHO_CHECK_BLOB_KEXEC_METADATA] = { "blob-kexec-metadata", KHO_SEV_ERROR,
	  "kexec-metadata blob: wrong size or version, release string not terminated" },
	[KHO_CHECK_BLOB_VMALLOC] = { "blob-vmalloc", KHO_SEV_ERROR,
	  "vmalloc chain: bad chunk or run pointer, loop, or runs not adding up to total_pages" },
	[KHO_CHECK_BLOB_UNREADABLE] = { "blob-unreadable", KHO_SEV_INCOMPLETE,
	  "a sub-blob or a page it names is not in the dump: its contents could not be checked" },
	[KHO_CHECK_RADIX_POINTER] = { "radix-pointer", KHO_SEV_ERROR,
	  "a table entry not page-aligned, with bit 63 set, or outside the dump's memory" },
	[KHO_CHECK_RADIX_LOOP] = { "radix-loop", KHO_SEV_ERROR,
	  "a node or leaf page reached twice (cycle or shared child)" },
	[KHO_CHECK_RADIX_KEY_WIDTH] = { "radix-key-width", KHO_SEV_ERROR,
	  "a table entry at an index that would set a key bit above KEY_WIDTH-1" },
	[KHO_CHECK_RADIX_DEPTH] = { "radix-depth", KHO_SEV_ERROR,
	  "the tree has the broken 16 KiB depth, or no depth fits its entries" },
	[KHO_CHECK_RADIX_EMPTY] = { "radix-empty", KHO_SEV_NOTE,
	  "an all-zero leaf or a node without children" },
	[KHO_CHECK_RADIX_NODE_SCRATCH] = { "radix-node-scratch", KHO_SEV_ERROR,
	  "a node, leaf or the FDT page lies in a scratch area" },
	[KHO_CHECK_RADIX_NODE_PRESERVED] = { "radix-node-preserved", KHO_SEV_WARNING,
	  "a node or leaf page is itself inside a preserved range" },
	[KHO_CHECK_RANGE_ORDER] = { "range-order", KHO_SEV_WARNING,
	  "order above --max-order; error when order + PAGE_SHIFT >= 31 in kho-v2/v3 (7.1)" },
	[KHO_CHECK_RANGE_OVERLAP] = { "range-overlap", KHO_SEV_ERROR,
	  "two keys cover overlapping memory" },
	[KHO_CHECK_RANGE_SCRATCH] = { "range-scratch", KHO_SEV_ERROR,
	  "a preserved range overlaps a scratch area" },
	[KHO_CHECK_RANGE_NOT_RAM] = { "range-not-ram", KHO_SEV_WARNING,
	  "a preserved range lies outside the memory the dump describes" },
	[KHO_CHECK_RANGE_NOT_DUMPED] = { "range-not-dumped", KHO_SEV_INCOMPLETE,
	  "a preserved range is (partly) excluded from the dump" },
	[KHO_CHECK_RADIX_UNREADABLE] = { "radix-unreadable", KHO_SEV_INCOMPLETE,
	  "a node or leaf page is not in the dump; its subtree was skipped" },
	[KHO_CHECK_SCRATCH_LAYOUT] = { "scratch-layout", KHO_SEV_ERROR,
	  "scratch areas overlap or are not page-aligned (warning: off PAGE_SIZE * MAX_ORDER_NR_PAGES)" },
	[KHO_CHECK_V1_CHUNK] = { "v1-chunk", KHO_SEV_ERROR,
	  "kho-v1 chunk list: bad pointer, loop, num_elms above capacity, orders not ascending" },
	[KHO_CHECK_V1_BITMAP] = { "v1-bitmap", KHO_SEV_ERROR,
	  "kho-v1 bitmap pointer bad, or phys_start not aligned to what one bitmap covers" },
	[KHO_CHECK_HANDOVER_AMBIGUOUS] = { "handover-ambiguous", KHO_SEV_WARNING,
	  "more than one plausible handover and nothing chose one: each candidate is named" },
	[KHO_CHECK_DUMP_TRUNCATED] = { "dump-truncated", KHO_SEV_INCOMPLETE,
	  "the file ends before the memory its headers describe; the rest is not dumped" },
	[KHO_CHECK_SCRATCH_UNKNOWN] = { "scratch-unknown", KHO_SEV_INCOMPLETE,
	  "no scratch areas are known: range-scratch and radix-node-scratch could not run" },
	[KHO_CHECK_LUO_FORMAT] = { "luo-format", KHO_SEV_ERROR,
	  "the LUO blob is not luo-v1 or luo-v5, smaller than its root, or its properties are wrong" },
	[KHO_CHECK_LUO_BLOCK] = { "luo-block", KHO_SEV_ERROR,
	  "a LUO block chain or array: count 0 or above capacity, bad next, cycle, too many blocks" },
	[KHO_CHECK_LUO_SESSION] = { "luo-session", KHO_SEV_ERROR,
	  "a LUO session: empty, unterminated or duplicate name, or files disagreeing with count" },
	[KHO_CHECK_LUO_FILE] = { "luo-file", KHO_SEV_ERROR,
	  "a LUO file entry: handler string not well-formed, or a bad data pointer" },
	[KHO_CHECK_LUO_MEMFD] = { "luo-memfd", KHO_SEV_ERROR,
	  "a memfd record: unknown seal or flag bits, nr_folios, folio outside memory or size, overlap" },
	[KHO_CHECK_LUO_NOT_PRESERVED] = { "luo-not-preserved", KHO_SEV_ERROR,
	  "a LUO block, array, FLB page, handler record, vmalloc page or folio is not preserved" },
	[KHO_CHECK_HANDOVER_CONSUMED] = { "handover-consumed", KHO_SEV_NOTE,
	  "the incoming handover in a successor's dump, consumed by design: only its FDT, "
	  "kexec-metadata and memblock are checked" },
	[KHO_CHECK_LUO_PENDING] = { "luo-pending", KHO_SEV_NOTE,
	  "LUO before the kexec: sessions are serialized at reboot(KEXEC), so none are "
	  "reachable yet" },
	[KHO_CHECK_BLOB_KEY_START] = { "blob-key-start", KHO_SEV_ERROR,
	  "a page the successor restores is covered, but no key of the expected order starts "
	  "there" },
	[KHO_CHECK_BLOB_KHO_TEST] = { "blob-kho-test", KHO_SEV_ERROR,
	  "the kho_test blob: magic, data node, nr_folios, folios_info; each folio must be a "
	  "key" },
	[KHO_CHECK_COUNT] = { NULL, 0, NULL },
};
_Static_assert(sizeof(checks) / sizeof(*checks) == KHO_CHECK_COUNT + 1,
	       "one row per check id");

const struct kho_check_info *kho_checks(void)
{
	return checks;
}

const struct kho_check_info *kho_check_find(const char *name)
{
	for (const struct kho_check_info *c = checks; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

KHO_EXPORT size_t kho_check_count(void)
{
	return KHO_CHECK_COUNT;
}

KHO_EXPORT bool kho_check_lookup(const char *name, size_t *index)
{
	const struct kho_check_info *c = name ? kho_check_find(name) : NULL;

	if (c)
		*index = (size_t)kho_check_index(c);
	return c;
}

KHO_EXPORT const char *kho_check_name(size_t index)
{
	return index < KHO_CHECK_COUNT ? checks[index].name : NULL;
}

KHO_EXPORT enum kho_severity kho_check_severity(size_t index)
{
	return index < KHO_CHECK_COUNT ? checks[index].severity : KHO_SEV_OFF;
}

KHO_EXPORT const char *kho_check_summary(size_t index)
{
	return index < KHO_CHECK_COUNT ? checks[index].summary : NULL;
}

KHO_EXPORT const char *kho_severity_str(enum kho_severity sev)
{
	switch (sev) {
	case KHO_SEV_OFF:	 return "off";
	case KHO_SEV_NOTE:	 return "note";
	case KHO_SEV_INCOMPLETE: return "incomplete";
	case KHO_SEV_WARNING:	 return "warning";
	case KHO_SEV_ERROR:	 return "error";
	}
	return "unknown";
}
