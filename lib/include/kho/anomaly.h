/* SPDX-License-Identifier: MIT */
/*
 * What a walker or decoder saw that is not as the ABI says, kept as data
 * in the model it builds: where (the smallest place it is about), what
 * (a kind) and the detail a message needs. Whether it is an error, a
 * warning or a note, and under which check, is lib/check's decision
 * (lib/check/anomalies.c), so lib/map, lib/handover and lib/luo never
 * see the findings table.
 */
#ifndef KHO_ANOMALY_H
#define KHO_ANOMALY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum kho_anomaly_kind {
	/* the KHO FDT (lib/handover/fdt.c) */
	KHO_AN_FDT_BAD_HEADER,
	KHO_AN_FDT_NO_COMPATIBLE,
	KHO_AN_FDT_BAD_COMPATIBLE,
	KHO_AN_FDT_COMPOSITE,           /* well-formed, but no kernel accepts it */
	KHO_AN_FDT_NO_MAP,
	KHO_AN_FDT_MAP_UNFINALIZED,     /* a zero map the ABI calls unfinalized */
	KHO_AN_FDT_MAP_ZERO,
	KHO_AN_FDT_MAP_MISALIGNED,
	KHO_AN_FDT_SUBNODE_NO_BLOB,
	KHO_AN_FDT_SUBNODE_BLOB_ZERO,
	KHO_AN_FDT_SUBNODE_NO_SIZE,
	KHO_AN_FDT_SUBNODE_SIZE_ZERO,
	/* choosing among handovers (lib/handover/select.c) */
	KHO_AN_HANDOVER_AMBIGUOUS,
	KHO_AN_HANDOVER_CONSUMED,
	/* the map (lib/map) */
	KHO_AN_MAP_ROOT_ABSENT,
	KHO_AN_MAP_ENTRY_WIDE,          /* a root entry past the key width */
	KHO_AN_MAP_ENTRY_BIT63,
	KHO_AN_MAP_ENTRY_MISALIGNED,
	KHO_AN_MAP_ENTRY_ABSENT,
	KHO_AN_MAP_PAGE_EXCLUDED,       /* memory, but not (all) in the dump */
	KHO_AN_MAP_PAGE_UNREADABLE,
	KHO_AN_MAP_PAGE_REVISITED,
	KHO_AN_MAP_LEAF_EMPTY,
	KHO_AN_MAP_NODE_EMPTY,
	KHO_AN_MAP_KEY0_NO_ORDER,
	KHO_AN_V1_CHUNK_POINTER,
	KHO_AN_V1_CHUNK_LOOP,
	KHO_AN_V1_CHUNK_ORDER,
	KHO_AN_V1_CHUNK_DESCENDING,
	KHO_AN_V1_CHUNK_OVERFULL,
	KHO_AN_V1_BITMAP_POINTER,
	KHO_AN_V1_BITMAP_MISALIGNED,
	KHO_AN_V1_BITMAP_START,         /* phys_start off what one bitmap covers */
	KHO_AN_V1_BITMAP_NOT_PAGE,      /* only 512 bytes fit, the map says pages */
	KHO_AN_V1_BITMAP_SIZE_UNKNOWN,
	KHO_AN_V1_BITMAP_SHARED,
	/* the LUO state (lib/luo) */
	KHO_AN_LUO_UNREADABLE,
	KHO_AN_LUO_BLOB_FORMAT,
	KHO_AN_LUO_FDT_FORMAT,
	KHO_AN_LUO_PENDING,
	KHO_AN_LUO_BLOCK_POINTER,
	KHO_AN_LUO_BLOCK_REVISITED,
	KHO_AN_LUO_BLOCK_CHAIN_LONG,
	KHO_AN_LUO_BLOCK_COUNT,
	KHO_AN_LUO_FLB_POINTER,
	KHO_AN_LUO_SESSION_NAME,
	KHO_AN_LUO_SESSION_DUPLICATE,
	KHO_AN_LUO_SESSION_FILES,
	KHO_AN_LUO_SESSION_FILE_ARRAY,
	KHO_AN_LUO_SESSION_FILE_COUNT,
	KHO_AN_LUO_FILE_HANDLER_UNKNOWN,
	KHO_AN_LUO_FILE_HANDLER_NAME,
	KHO_AN_LUO_FILE_DATA,
	KHO_AN_LUO_FILE_DATA_SHARED,
	KHO_AN_MEMFD_SEALS,
	KHO_AN_MEMFD_FLAGS,
	KHO_AN_MEMFD_ORDER,
	KHO_AN_MEMFD_NR_FOLIOS,
	KHO_AN_MEMFD_TOTAL_PAGES,
	KHO_AN_MEMFD_FOLIO_ARRAY,
	KHO_AN_MEMFD_CHUNK_REVISITED,
	KHO_AN_MEMFD_FOLIOS_UNREAD,
	KHO_AN_COUNT
};

struct kho_anomaly {
	enum kho_anomaly_kind kind;
	uint64_t phys;
	char detail[224];
};

/*
 * A model's anomalies, zero-initialized before use. Past KHO_ANOMALY_KEEP
 * of one kind they are counted, not kept: a corrupt image cannot make the
 * list grow without bound (the findings they become are capped at no more).
 */
#define KHO_ANOMALY_KEEP 1000
struct kho_anomalies {
	struct kho_anomaly *v;
	size_t n, cap;
	size_t kept[KHO_AN_COUNT], dropped[KHO_AN_COUNT];
	size_t unknown;           /* of a kind past the enum (an error) */
	bool oom;                 /* some were lost: counted as dropped */
};

/* kho_anomaly - record @kind at @phys, its detail printed from @fmt. */
void kho_anomaly(struct kho_anomalies *a, enum kho_anomaly_kind kind, uint64_t phys,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Anomalies of @kind, dropped ones included. */
size_t kho_anomalies_of(const struct kho_anomalies *a, enum kho_anomaly_kind kind);
/* kho_anomalies_free - release @a's list; it is empty (and zeroed) after. */
void kho_anomalies_free(struct kho_anomalies *a);

#ifdef __cplusplus
}
#endif
#endif
