// SPDX-License-Identifier: MIT
/*
 * The exit status of a verdict (contract.md "Exit", Revision 3), one
 * policy for kho-inspect, kho-qemu-check and the report API.
 *
 * Exit 0 means verified. Most incomplete findings say a check could not
 * run on *data* (scratch-unknown, range-not-dumped on a preserved range,
 * dump-truncated past what the handover uses): the handover itself was
 * read whole, and the verdict stands. Two checks say that part of the
 * handover's *structure* could not be read, so what was verified is a
 * part only:
 *
 *   radix-unreadable  a tree page (radix node or leaf, kho-v1 chunk or
 *                     bitmap) is not in the dump: a subtree, or with the
 *                     root the whole map, was never walked;
 *   blob-unreadable   a sub-blob, or a page its decoder reads (vmalloc
 *                     chunk, LUO block or record), is not in the dump.
 *
 * An FDT that cannot be read at all is no verdict (exit 2). The other
 * incomplete findings that follow from these (fdt-not-preserved,
 * blob-not-preserved or luo-not-preserved "as far as the map could be
 * read") never come without one of them.
 */
#include "kho/findings.h"

bool kho_check_means_unread(enum kho_check_id check)
{
	return check == KHO_CHECK_RADIX_UNREADABLE || check == KHO_CHECK_BLOB_UNREADABLE;
}

size_t kho_findings_unread(const struct kho_findings *f)
{
	/* at any severity but off: -W radix-unreadable keeps the map unread,
	 * -Wno-radix-unreadable accepts it */
	return kho_findings_of(f, KHO_CHECK_RADIX_UNREADABLE) +
	       kho_findings_of(f, KHO_CHECK_BLOB_UNREADABLE);
}

int kho_verdict_status(const size_t counts[4], size_t unread, enum kho_severity fail_on,
		       bool strict)
{
	for (int s = fail_on; s <= KHO_SEV_ERROR; s++)
		if (counts[s])
			return 1;
	if (strict && counts[KHO_SEV_INCOMPLETE])
		return 1;
	return unread ? 3 : 0;
}
