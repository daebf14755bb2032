/* SPDX-License-Identifier: MIT */
/*
 * libkho inside: the table of KHO root compatible strings and their
 * parser. Not installed (its rows grow with every kernel ABI); a program
 * outside reads a handover's compatible through kho/report.h.
 */
#ifndef KHO_VERSION_H
#define KHO_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Memory map formats named by the root compatible string. */
enum kho_map_format {
	KHO_MAP_V1_CHUNKS,   /* 6.16 - 7.0: linked chunk pages of bitmaps */
	KHO_MAP_RADIX,       /* 7.1+: radix tree of keys */
};

/* One row of the version table. */
struct kho_abi_version {
	const char *compatible;       /* "kho-v3" */
	unsigned number;              /* 3 */
	enum kho_map_format map_format;
	const char *blob_prop;        /* sub-node pointer: "fdt" or "preserved-data" */
	bool has_blob_size;           /* sub-nodes carry "blob-size" */
	bool fdt_preserved;           /* the FDT page is an order-0 key of the map */
	bool zero_map_is_unfinalized; /* map pointer 0 means "not finalized yet" */
	bool int_block_size;          /* its readers compute a key's bytes in int:
				       * 7.1's kho_preserved_memory_reserve() */
	bool kexec_metadata_at_init;  /* every kernel writing it makes a
				       * kexec-metadata sub-node at kho_init (7.2+) */
};

#define KHO_PROP_COMPATIBLE "compatible"
#define KHO_PROP_MEMORY_MAP "preserved-memory-map"
#define KHO_PROP_BLOB_SIZE "blob-size"

/* kho_abi_version_find - the row for root version @number, or NULL. */
const struct kho_abi_version *kho_abi_version_find(unsigned number);

/*
 * kho_scratch_align_order - log2 of the pages scratch areas are aligned
 * to: MAX_PAGE_ORDER, as 7.2.13 and 7.3-rc7 round them to PAGE_SIZE *
 * MAX_ORDER_NR_PAGES. x86-64 (4 KiB) and arm64 agree for a page size:
 * 4 KiB 10 (4 MiB), 16 KiB 11 (32 MiB), 64 KiB 13 (512 MiB); so the page
 * size alone answers where the architecture is unknown. 0: no rule.
 */
static inline unsigned kho_scratch_align_order(uint64_t page_size)
{
	return page_size == 4096 ? 10 : page_size == 16384 ? 11 : page_size == 65536 ? 13 : 0;
}

#define KHO_COMPAT_MAX_COMPONENTS 8
#define KHO_COMPAT_COMPONENT_MAX 32

/*
 * A parsed root compatible: "kho-v4;radix-v1;vmalloc-v1" is root version 4
 * with components "radix-v1" and "vmalloc-v1".
 */
struct kho_compat {
	unsigned version;   /* N of the leading "kho-vN" */
	unsigned ncomponents;
	char components[KHO_COMPAT_MAX_COMPONENTS][KHO_COMPAT_COMPONENT_MAX];
	const struct kho_abi_version *abi; /* NULL when N is unknown */
};

/*
 * kho_compat_parse - parse the root compatible property value @s of @len
 * bytes (as stored in the FDT: NUL-terminated, possibly a string list of
 * which only the first string counts).
 * returns: KHO_OK; KHO_ERR_CORRUPT when the string is malformed (no
 * "kho-v" prefix, no decimal version, empty or over-long component, not
 * NUL-terminated); KHO_ERR_NOTIMPL when it is well-formed but the version
 * is unknown (the decoder must fail closed).
 */
enum kho_status kho_compat_parse(const char *s, size_t len,
				 struct kho_compat *out, struct kho_error *err);

#ifdef __cplusplus
}
#endif
#endif
