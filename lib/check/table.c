// SPDX-License-Identifier: MIT
#include "kho/check.h"

#include <string.h>

#include "../util/util.h"

static const struct kho_check_info checks[] = {
	{ "fdt-header", KHO_SEV_ERROR,
	  "bad magic or version, truncated, totalsize beyond one page or the dump, fails the full structural check" },
	{ "fdt-compatible", KHO_SEV_ERROR,
	  "root compatible missing or malformed" },
	{ "fdt-memory-map", KHO_SEV_ERROR,
	  "preserved-memory-map missing, length not 8, zero, or not page-aligned" },
	{ "fdt-subnode", KHO_SEV_ERROR,
	  "a sub-node lacks its blob pointer or blob-size, or one has a bad length or a zero value" },
	{ "fdt-not-preserved", KHO_SEV_ERROR,
	  "the FDT's own page is not covered by the map" },
	{ "blob-not-preserved", KHO_SEV_ERROR,
	  "part of a sub-blob is not covered by the map" },
	{ "blob-fdt", KHO_SEV_ERROR,
	  "an FDT sub-blob fails the full structural check or is larger than its blob-size" },
	{ "blob-kexec-metadata", KHO_SEV_ERROR,
	  "kexec-metadata blob: wrong size or version, release string not terminated" },
	{ "blob-vmalloc", KHO_SEV_ERROR,
	  "vmalloc chain: bad chunk or run pointer, loop, or runs not adding up to total_pages" },
	{ "blob-unreadable", KHO_SEV_INCOMPLETE,
	  "a sub-blob or a page it names is not in the dump: its contents could not be checked" },
	{ "radix-pointer", KHO_SEV_ERROR,
	  "a table entry not page-aligned, with bit 63 set, or outside the dump's memory" },
	{ "radix-loop", KHO_SEV_ERROR,
	  "a node or leaf page reached twice (cycle or shared child)" },
	{ "radix-key-width", KHO_SEV_ERROR,
	  "a table entry at an index that would set a key bit above KEY_WIDTH-1" },
	{ "radix-depth", KHO_SEV_ERROR,
	  "the tree has the broken 16 KiB depth, or no depth fits its entries" },
	{ "radix-empty", KHO_SEV_NOTE,
	  "an all-zero leaf or a node without children" },
	{ "radix-node-scratch", KHO_SEV_ERROR,
	  "a node, leaf or the FDT page lies in a scratch area" },
	{ "radix-node-preserved", KHO_SEV_WARNING,
	  "a node or leaf page is itself inside a preserved range" },
	{ "range-order", KHO_SEV_WARNING,
	  "order above --max-order; error when order + PAGE_SHIFT >= 31" },
	{ "range-overlap", KHO_SEV_ERROR,
	  "two keys cover overlapping memory" },
	{ "range-scratch", KHO_SEV_ERROR,
	  "a preserved range overlaps a scratch area" },
	{ "range-not-ram", KHO_SEV_WARNING,
	  "a preserved range lies outside the memory the dump describes" },
	{ "range-not-dumped", KHO_SEV_INCOMPLETE,
	  "a preserved range is (partly) excluded from the dump" },
	{ "radix-unreadable", KHO_SEV_INCOMPLETE,
	  "a node or leaf page is not in the dump; its subtree was skipped" },
	{ "scratch-layout", KHO_SEV_ERROR,
	  "scratch areas overlap each other, are empty, or are not page-aligned" },
	{ "v1-chunk", KHO_SEV_ERROR,
	  "kho-v1 chunk list: bad pointer, loop, num_elms above capacity, orders not ascending" },
	{ "v1-bitmap", KHO_SEV_ERROR,
	  "kho-v1 bitmap pointer bad, or phys_start not aligned to what one bitmap covers" },
	{ "handover-ambiguous", KHO_SEV_WARNING,
	  "more than one plausible handover and nothing chose one: each candidate is named" },
	{ "dump-truncated", KHO_SEV_INCOMPLETE,
	  "the file ends before the memory its headers describe; the rest is not dumped" },
	{ "scratch-unknown", KHO_SEV_INCOMPLETE,
	  "no scratch areas are known: range-scratch and radix-node-scratch could not run" },
	{ "luo-format", KHO_SEV_ERROR,
	  "the LUO blob is not luo-v1 or luo-v5, or its size or properties are wrong" },
	{ "luo-block", KHO_SEV_ERROR,
	  "a LUO block chain or array: count 0 or above capacity, bad next, cycle, too many blocks" },
	{ "luo-session", KHO_SEV_ERROR,
	  "a LUO session: empty, unterminated or duplicate name, or files disagreeing with count" },
	{ "luo-file", KHO_SEV_ERROR,
	  "a LUO file entry: handler string not well-formed, or a bad data pointer" },
	{ "luo-memfd", KHO_SEV_ERROR,
	  "a memfd record: unknown seal or flag bits, nr_folios, folio outside memory or size, overlap" },
	{ "luo-not-preserved", KHO_SEV_ERROR,
	  "a LUO block, array, FLB page, handler record, vmalloc page or folio is not preserved" },
	{ NULL, 0, NULL },
};

KHO_EXPORT const struct kho_check_info *kho_checks(void)
{
	return checks;
}

KHO_EXPORT const struct kho_check_info *kho_check_find(const char *name)
{
	for (const struct kho_check_info *c = checks; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
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
