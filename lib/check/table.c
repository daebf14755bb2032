// SPDX-License-Identifier: MIT
/*
 * The check table: one row per check id, in id order, with everything a
 * front end says about it. The text lives in the library so every front
 * end (and the man pages) say the same.
 */
#include "kho/findings.h"

#include <string.h>

#include "../util/util.h"

static const struct kho_check_info checks[] = {
	[KHO_CHECK_FDT_HEADER] = { "fdt-header", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "bad magic or version, truncated, totalsize beyond one page or the dump, fails the full structural check",
	  "The next kernel finds the handover through this FDT; one that libfdt refuses is "
	  "ignored and the machine boots as if nothing had been handed over.",
	  "Dump the page (kho-inspect fdt DUMP, or --fdt ADDR at the address you expect) and "
	  "compare with debugfs kho/out/fdt of the outgoing kernel." },
	[KHO_CHECK_FDT_COMPATIBLE] = { "fdt-compatible", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "root compatible missing, malformed, or composite (no released kernel accepts it)",
	  "The root compatible selects the decoder; without a well-formed one the next "
	  "kernel cannot read the handover. A composite string (kho-v4;radix-v1;vmalloc-v1, "
	  "proposed June 2026, never merged) is decoded here, but 7.2.13 and 7.3-rc7 compare "
	  "the whole string with fdt_node_check_compatible(): no released kernel accepts it.",
	  "kho-inspect fdt DUMP shows the root; check which kernel wrote it." },
	[KHO_CHECK_FDT_MEMORY_MAP] = { "fdt-memory-map", KHO_SEV_ERROR,
	  KHO_PASS_SESSION | KHO_PASS_MODEL,
	  "preserved-memory-map missing, length not 8, zero, or not page-aligned",
	  "preserved-memory-map is where the next kernel starts walking the preserved "
	  "memory; a bad value loses every preserved page.",
	  "kho-inspect fdt DUMP; in kho-v1 a zero means the handover was not finalized "
	  "when the dump was taken." },
	[KHO_CHECK_FDT_SUBNODE] = { "fdt-subnode", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a sub-node lacks its blob pointer or blob-size, or one has a bad length or a zero value",
	  "A subsystem's state is found through its sub-node; without the pointer (or "
	  "blob-size since kho-v3) it cannot restore.",
	  "kho-inspect fdt DUMP lists the sub-nodes; the subsystem named is the one that "
	  "called kho_add_subtree()." },
	[KHO_CHECK_FDT_NOT_PRESERVED] = { "fdt-not-preserved", KHO_SEV_ERROR,
	  KHO_PASS_COVER | KHO_PASS_ANSWER,
	  "the FDT's own page is not covered by the map",
	  "Since 7.1 the FDT page is itself a preserved key; if it is not, the next kernel "
	  "may hand that page out before it reads it.",
	  "kho-inspect ranges --sort phys DUMP around the FDT address; check the KHO core's "
	  "own preservation of its FDT folio." },
	[KHO_CHECK_BLOB_NOT_PRESERVED] = { "blob-not-preserved", KHO_SEV_ERROR,
	  KHO_PASS_COVER | KHO_PASS_ANSWER,
	  "part of a sub-blob is not covered by the map",
	  "A sub-node's blob (and what it names) must survive the kexec; unpreserved bytes "
	  "are ordinary free memory to the next kernel.",
	  "The message names the first byte not covered; the subsystem owning the sub-node "
	  "forgot a kho_preserve_*() or freed the memory afterwards." },
	[KHO_CHECK_BLOB_FDT] = { "blob-fdt", KHO_SEV_ERROR,
	  KHO_PASS_BLOBS,
	  "an FDT sub-blob fails the full structural check or is larger than its blob-size",
	  "An FDT blob that fails libfdt's checks, or is larger than its blob-size, is "
	  "refused by the subsystem that reads it.",
	  "kho-inspect fdt DUMP prints the sub-blob; extract -o DIR writes it for dtc." },
	[KHO_CHECK_BLOB_KEXEC_METADATA] = { "blob-kexec-metadata", KHO_SEV_ERROR,
	  KHO_PASS_BLOBS | KHO_PASS_COVER,
	  "kexec-metadata blob: wrong size or version, release string not terminated",
	  "7.3 readers want blob-size >= 4, version 1, then blob-size >= 73; otherwise the "
	  "metadata (previous release, kexec count) is ignored with a warning.",
	  "kho-inspect summary shows what was decoded." },
	[KHO_CHECK_BLOB_VMALLOC] = { "blob-vmalloc", KHO_SEV_ERROR,
	  KHO_PASS_COVER,
	  "vmalloc chain: bad chunk or run pointer, loop, or runs not adding up to total_pages",
	  "kho_restore_vmalloc() rebuilds the area from this chain; a bad chunk or run, a "
	  "loop or a wrong page count fails the restore or maps the wrong pages.",
	  "The finding names the chunk or entry; walk it with kho-inspect fdt and the raw "
	  "pages (extract)." },
	[KHO_CHECK_BLOB_UNREADABLE] = { "blob-unreadable", KHO_SEV_INCOMPLETE,
	  KHO_PASS_MODEL | KHO_PASS_BLOBS | KHO_PASS_COVER,
	  "a sub-blob or a page it names is not in the dump: its contents could not be checked",
	  "Not a problem of the handover: the dump lacks the bytes, so their checks did "
	  "not run.",
	  "Capture with less filtering (makedumpfile -d), or a whole dump." },
	[KHO_CHECK_RADIX_POINTER] = { "radix-pointer", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a table entry not page-aligned, with bit 63 set, or outside the dump's memory",
	  "A table entry the next kernel follows: misaligned, bit 63 set, or outside memory "
	  "means it walks into garbage or faults early in boot.",
	  "kho-inspect tree --node ADDR DUMP, ADDR the finding's: that node, entry by entry." },
	[KHO_CHECK_RADIX_LOOP] = { "radix-loop", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a node or leaf page reached twice (cycle or shared child)",
	  "A node reached twice makes the next kernel's walk loop or double-count keys.",
	  "The finding names the page reached again and the entry that led there; "
	  "kho-inspect tree --node ADDR DUMP shows the node holding that entry." },
	[KHO_CHECK_RADIX_KEY_WIDTH] = { "radix-key-width", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a table entry at an index that would set a key bit above KEY_WIDTH-1",
	  "An entry whose index sets key bits above the key width encodes no valid "
	  "(address, order); since 7.3 the kernel refuses to build such keys.",
	  "kho-inspect tree --node ADDR DUMP, ADDR the finding's, shows the node; look "
	  "upstream for an overflowed address or order." },
	[KHO_CHECK_RADIX_DEPTH] = { "radix-depth", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "the tree has the broken 16 KiB depth, or no depth fits its entries",
	  "The 16 KiB tree of 7.1-rc had one level too few and aliased order-0 keys; a fixed "
	  "kernel misreads such a tree.",
	  "Ranges are shown as the tree most likely meant; rebuild the outgoing kernel with "
	  "the depth fix." },
	[KHO_CHECK_RADIX_EMPTY] = { "radix-empty", KHO_SEV_NOTE,
	  KHO_PASS_MODEL,
	  "an all-zero leaf or a node without children",
	  "Harmless: an all-zero leaf or a childless node costs a page and a walk step.",
	  "Usually left by unpreserve; nothing to do unless there are many." },
	[KHO_CHECK_RADIX_NODE_SCRATCH] = { "radix-node-scratch", KHO_SEV_ERROR,
	  KHO_PASS_COVER,
	  "a node, leaf or the FDT page lies in a scratch area",
	  "The next kernel allocates from scratch areas before it reads the tree; a tree "
	  "page (or the FDT) there can be overwritten first.",
	  "Compare the node address with the scratch areas (summary)." },
	[KHO_CHECK_RADIX_NODE_PRESERVED] = { "radix-node-preserved", KHO_SEV_WARNING,
	  KHO_PASS_ANSWER,
	  "a node or leaf page is itself inside a preserved range",
	  "A tree page inside a preserved range is handed to a subsystem as its memory while "
	  "the KHO core also frees or reuses it.",
	  "kho-inspect ranges --sort phys DUMP around the node address." },
	[KHO_CHECK_RANGE_ORDER] = { "range-order", KHO_SEV_WARNING,
	  KHO_PASS_RUNS,
	  "order above --max-order; error when order + PAGE_SHIFT >= 31 in kho-v2/v3 (7.1)",
	  "Orders past --max-order are unusual (a warning, every ABI). The error is 7.1 (kho-v2/v3) "
	  "only: its kho_preserved_memory_reserve() computes 1 << (order + PAGE_SHIFT) in int, "
	  "so a block of 2 GiB or more is not reserved; 7.2.13 and 7.3-rc7 (kho-v4) compute "
	  "it in u64.",
	  "Which subsystem preserves so large a block? On kho-v4 it is legal (reserve_mem "
	  "regions, gigantic pages); raise --max-order if it is expected." },
	[KHO_CHECK_RANGE_OVERLAP] = { "range-overlap", KHO_SEV_ERROR,
	  KHO_PASS_RUNS,
	  "two keys cover overlapping memory",
	  "Two keys covering the same memory: the next kernel restores it twice, to two "
	  "owners or as two folio sizes.",
	  "kho-inspect whatis ADDR DUMP names what owns each of the two; diff against the "
	  "incoming dump shows which side added which." },
	[KHO_CHECK_RANGE_SCRATCH] = { "range-scratch", KHO_SEV_ERROR,
	  KHO_PASS_RUNS,
	  "a preserved range overlaps a scratch area",
	  "Preserved memory inside a scratch area is used by the next kernel for early "
	  "allocations before the tree is read: it will be overwritten.",
	  "kho-inspect whatis ADDR DUMP names who preserves it; that subsystem must "
	  "allocate what it preserves outside the scratch areas (they are CMA-like: "
	  "movable allocations only)." },
	[KHO_CHECK_RANGE_NOT_RAM] = { "range-not-ram", KHO_SEV_WARNING,
	  KHO_PASS_RUNS,
	  "a preserved range lies outside the memory the dump describes",
	  "A preserved range outside the memory the dump describes: a stale or garbage key, "
	  "or a dump that leaves out memory.",
	  "Compare with the memory line of summary (JSON: memory) and the machine's memory map." },
	[KHO_CHECK_RANGE_NOT_DUMPED] = { "range-not-dumped", KHO_SEV_INCOMPLETE,
	  KHO_PASS_RUNS,
	  "a preserved range is (partly) excluded from the dump",
	  "Not a problem of the handover: the dump excluded the range, so its contents could "
	  "not be checked.",
	  "Capture with less filtering, or read the incoming kernel's view (kho/in)." },
	[KHO_CHECK_RADIX_UNREADABLE] = { "radix-unreadable", KHO_SEV_INCOMPLETE,
	  KHO_PASS_MODEL,
	  "a node or leaf page is not in the dump; its subtree was skipped",
	  "Not a problem of the handover: a tree page is not in the dump, so its subtree was "
	  "not walked and coverage there is unknown.",
	  "Capture the dump without excluding the KHO pages." },
	[KHO_CHECK_SCRATCH_LAYOUT] = { "scratch-layout", KHO_SEV_ERROR,
	  KHO_PASS_LAYOUT,
	  "scratch areas overlap or are not page-aligned (warning: off PAGE_SIZE * MAX_ORDER_NR_PAGES)",
	  "Overlapping or not page-aligned scratch areas break the next kernel's early "
	  "allocator (an error, every ABI). 7.2.13 and 7.3-rc7 round each area to PAGE_SIZE * "
	  "MAX_ORDER_NR_PAGES (4 MiB x86-64, 32 MiB arm64 16K, 512 MiB arm64 64K; without "
	  "the architecture, what the page size implies): off that grid is a warning. An "
	  "empty area is legal (7.3 leaves the global one empty below 4 GiB): no finding.",
	  "Check the kho_scratch[] the kernel was handed (--scratch-array)." },
	[KHO_CHECK_V1_CHUNK] = { "v1-chunk", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "kho-v1 chunk list: bad pointer, loop, num_elms above capacity, orders not ascending",
	  "kho-v1's chunk list is walked by the next kernel (6.16-7.0); a bad pointer, loop "
	  "or count loses or corrupts the preserved set.",
	  "The finding names the chunk; kho-inspect tree --node ADDR DUMP shows it." },
	[KHO_CHECK_V1_BITMAP] = { "v1-bitmap", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "kho-v1 bitmap pointer bad, or phys_start not aligned to what one bitmap covers",
	  "A kho-v1 bitmap pointer or phys_start that does not fit the bitmap size makes the "
	  "next kernel restore the wrong pages.",
	  "512-byte bitmaps (6.16, early 6.17) against page bitmaps (6.18+): which kernel "
	  "wrote it?" },
	[KHO_CHECK_HANDOVER_AMBIGUOUS] = { "handover-ambiguous", KHO_SEV_WARNING,
	  KHO_PASS_SESSION,
	  "more than one plausible handover and nothing chose one: each candidate is named",
	  "Several handovers in one dump are normal; nothing in memory says which one the "
	  "next kernel was given.",
	  "Choose one with --fdt ADDR, --vmlinux PATH, --boot-params ADDR or --dtb FILE." },
	[KHO_CHECK_DUMP_TRUNCATED] = { "dump-truncated", KHO_SEV_INCOMPLETE,
	  KHO_PASS_SESSION,
	  "the file ends before the memory its headers describe; the rest is not dumped",
	  "Not a problem of the handover: the file ends before the memory its headers "
	  "describe; what lies past the cut is treated as not dumped.",
	  "Capture again with enough disk space." },
	[KHO_CHECK_SCRATCH_UNKNOWN] = { "scratch-unknown", KHO_SEV_INCOMPLETE,
	  KHO_PASS_LAYOUT,
	  "no scratch areas are known: range-scratch and radix-node-scratch could not run",
	  "Without the scratch areas, range-scratch and radix-node-scratch cannot run. The "
	  "dump alone does not say where they are; the kernel that was handed them does: "
	  "--vmlinux FILE (kho_scratch and kho_scratch_cnt), --boot-params ADDR (x86: "
	  "the SETUP_KEXEC_KHO setup_data), --dtb FILE (/chosen linux,kho-scratch), "
	  "--scratch-array ADDR,BYTES (an in-dump struct kho_scratch[]), or --scratch "
	  "ADDR,SIZE by hand.",
	  "Give --vmlinux FILE (or --boot-params, --dtb, --scratch-array, --scratch)." },
	[KHO_CHECK_LUO_FORMAT] = { "luo-format", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "the LUO blob is not luo-v1 or luo-v5, smaller than its root, or its properties are wrong",
	  "The LUO blob selects how the next kernel restores live-update sessions; an "
	  "unknown format makes LUO fail (7.2+ panics through luo_restore_fail()). "
	  "7.2.13 and 7.3-rc7 refuse a luo-v5 blob-size below 32 and read a larger one.",
	  "kho-inspect luo DUMP; check both kernels' LUO ABI versions (luo-v1 in 7.1, luo-v5 "
	  "from 7.2)." },
	[KHO_CHECK_LUO_BLOCK] = { "luo-block", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a LUO block chain or array: count 0 or above capacity, bad next, cycle, too many blocks",
	  "The next kernel refuses a block chain or array with a count of 0 or above "
	  "capacity, a bad next pointer, a cycle or more than 10000 blocks: the sessions "
	  "are lost.",
	  "kho-inspect luo DUMP; the finding names the block holding the bad field." },
	[KHO_CHECK_LUO_SESSION] = { "luo-session", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a LUO session: empty, unterminated or duplicate name, or files disagreeing with count",
	  "Sessions are retrieved by name; an empty, unterminated or duplicate name, or a "
	  "file chain that does not hold count entries, fails the restore.",
	  "kho-inspect luo DUMP lists the sessions in chain order." },
	[KHO_CHECK_LUO_FILE] = { "luo-file", KHO_SEV_ERROR,
	  KHO_PASS_MODEL,
	  "a LUO file entry: handler string not well-formed, or a bad data pointer",
	  "A file's handler string selects who restores it and data is its record; a "
	  "malformed string or bad data pointer fails that file.",
	  "kho-inspect luo DUMP shows handler, token and data of each file." },
	[KHO_CHECK_LUO_MEMFD] = { "luo-memfd", KHO_SEV_ERROR,
	  KHO_PASS_MODEL | KHO_PASS_ANSWER,
	  "a memfd record: unknown seal or flag bits, nr_folios, folio outside memory or size, overlap",
	  "The memfd handler restores the file from its record and folio array; unknown "
	  "bits, a wrong nr_folios, folios outside memory or the file, or overlapping ones "
	  "restore wrong data or fail. A record whose pfn is 0 is skipped, as "
	  "memfd_luo_retrieve_folios() of 7.2.13 and 7.3-rc7 skips it.",
	  "kho-inspect luo DUMP; extract -o DIR writes the memfd as it would be restored." },
	[KHO_CHECK_LUO_NOT_PRESERVED] = { "luo-not-preserved", KHO_SEV_ERROR,
	  KHO_PASS_ANSWER,
	  "a LUO block, array, FLB page, handler record, vmalloc page or folio is not preserved",
	  "Every LUO page (blocks, arrays, records, folio arrays) must be preserved, and each "
	  "folio must be the start of a key: the next kernel restores a folio from the key "
	  "at its pfn.",
	  "The finding names the first byte not covered, or the folio; the handler that "
	  "preserved it (memfd, others) missed a kho_preserve_folio()." },
	[KHO_CHECK_HANDOVER_CONSUMED] = { "handover-consumed", KHO_SEV_NOTE,
	  KHO_PASS_SESSION,
	  "the incoming handover in a successor's dump, consumed by design: only its FDT, "
	  "kexec-metadata and memblock are checked",
	  "Not a problem: a successor (7.2.13, 7.3-rc7) frees the tree of the handover it "
	  "received at memblock_free_all and the LUO root, blocks and records as it restores "
	  "them; it keeps only that FDT page, kexec-metadata and memblock. It makes its own "
	  "handover (kho_init) only after that, so once both are in a dump the older one is "
	  "consumed, and findings on its freed pages would say nothing about either kernel.",
	  "To verify the handover the successor received, dump it before it is consumed: "
	  "stop at kho_memory_init (kho-qemu-check --at-function kho_memory_init)." },
	[KHO_CHECK_LUO_PENDING] = { "luo-pending", KHO_SEV_NOTE,
	  KHO_PASS_MODEL,
	  "LUO before the kexec: sessions are serialized at reboot(KEXEC), so none are "
	  "reachable yet",
	  "Not a problem: LUO (7.2.13, 7.3-rc7) serializes its sessions only in "
	  "liveupdate_reboot(), called from kernel_kexec(); until then sessions_pa is 0 and "
	  "the FLB count 0, though the sessions' blocks, records and folios are already "
	  "preserved keys. The finding names the preserved pages no owner explains yet.",
	  "To check the sessions, dump at machine_kexec (kho-qemu-check --at-function "
	  "machine_kexec) or in the successor before it retrieves them." },
	[KHO_CHECK_BLOB_KEY_START] = { "blob-key-start", KHO_SEV_ERROR,
	  KHO_PASS_ANSWER,
	  "a page the successor restores is covered, but no key of the expected order starts "
	  "there",
	  "The successor (7.2.13, 7.3-rc7) marks only the head page of each key with its "
	  "order; kho_restore_page() refuses a page without that mark and takes the order "
	  "from the key. So every page it restores must be where a key of the expected order "
	  "starts: vmalloc chunk pages (order 0) and runs (the chain's order; "
	  "kho_restore_vmalloc), the LUO root, blocks and handler records and memfd folios "
	  "(kho_restore_folio). A larger key "
	  "that covers the page, or a smaller one starting there, is not enough: the "
	  "restore fails and with it the vmalloc area, the LUO session or the test.",
	  "Preserve the page with its own key: kho_preserve_folio() for a folio, "
	  "kho_preserve_pages() for a run, as the restore that reads it expects. 7.1 "
	  "(luo-v1) is not judged this way." },
	[KHO_CHECK_BLOB_KHO_TEST] = { "blob-kho-test", KHO_SEV_ERROR,
	  KHO_PASS_BLOBS | KHO_PASS_COVER,
	  "the kho_test blob: magic, data node, nr_folios, folios_info; each folio must be a "
	  "key",
	  "The kernel's KHO self-test (lib/test_kho.c, the same format in 7.2.13 and "
	  "7.3-rc7) hands over an FDT, compatible kho-test-v1, with a native-endian u32 "
	  "magic 0x4b484f21 and a data node holding nr_folios (u32), folios_info (a 16-byte "
	  "struct kho_vmalloc) and csum (u32). The successor refuses the wrong magic or a "
	  "missing or wrongly sized property, then restores the vmalloc array and reads "
	  "nr_folios entries (phys | order) from it without looking at total_pages: more "
	  "entries than the array's pages hold are read from beyond it. Each folio is "
	  "restored with kho_restore_folio() (blob-key-start when no key of its order "
	  "starts there). Any of these prints \"KHO restore failed\".",
	  "A producer bug or corruption of the kho_test FDT: compare with what the test "
	  "module wrote (nr_folios entries, an array of ceil(nr_folios * 8 / PAGE_SIZE) "
	  "pages). The checksum is shown, not verified." },
	[KHO_CHECK_COUNT] = { NULL, 0, 0, NULL, NULL, NULL },
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

KHO_EXPORT bool kho_check_explain(const char *name, const char **why, const char **how)
{
	size_t i;

	if (!kho_check_lookup(name, &i) || !checks[i].why || !checks[i].how)
		return false;
	*why = checks[i].why;
	*how = checks[i].how;
	return true;
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

/* An INCOMPLETE finding of a check that otherwise finds faults: its own
 * hint would blame the producer, but what is missing is the dump's bytes. */
static const char undecided[] =
	"Undecided, not a fault found: what the check reads (the map or the bytes it names) "
	"is not all in the dump; radix-unreadable, range-not-dumped or dump-truncated says "
	"which part.";

KHO_EXPORT const char *kho_check_hint(size_t index, enum kho_severity severity)
{
	if (index >= KHO_CHECK_COUNT)
		return NULL;
	if (severity == KHO_SEV_INCOMPLETE && checks[index].severity != KHO_SEV_INCOMPLETE)
		return undecided;
	return checks[index].how;
}

KHO_EXPORT const char *kho_severity_str(enum kho_severity sev)
{
	/* from KHO_SEV_OFF (-1) on */
	static const char *const names[] = { "off", "note", "incomplete", "warning", "error" };

	return sev >= KHO_SEV_OFF && sev <= KHO_SEV_ERROR ? names[sev + 1] : "unknown";
}
