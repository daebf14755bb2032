/* SPDX-License-Identifier: MIT */
/*
 * The Live Update Orchestrator state the reference writes under the `LUO`
 * sub-node (docs/luo.md): the model the spec builds, where finalize put
 * each piece, and what the defects changed. The generator knows what it
 * wrote, so expect.json and the extracted memfds come from this model,
 * never from decoding memory again.
 */
#ifndef KHO_REF_LUO_H
#define KHO_REF_LUO_H

#include <stdbool.h>
#include <stdint.h>

#include "kho/error.h"
#include "memory.h"

/* Layout facts of docs/luo.md; every struct is packed. */
#define LUO_NAME_LEN 64            /* session name, NUL-terminated inside */
#define LUO_COMPAT_LEN 48          /* file handler and FLB name fields */
#define LUO_SESSION_ENTRY 80       /* { name[64]; u64 files; u64 count; } */
#define LUO_FILE_ENTRY 64          /* { compatible[48]; u64 data; u64 token; } */
#define LUO_FLB_ENTRY 64           /* { name[48]; u64 data; u64 count; } */
#define LUO_BLOCK_HDR 16           /* v5 block and FLB page: two u64 first */
#define LUO_SER_SIZE 32            /* v5 root: { compatible[8]; num; sessions; flbs; } */
#define LUO_V1_SESSIONS_ORDER 4    /* the 7.1 session array: 16 pages */
#define LUO_V1_FILES_ORDER 1       /* a 7.1 file array: 2 pages */
#define MEMFD_V1_SIZE 40           /* pos, size, nr_folios, kho_vmalloc */
#define MEMFD_V2_SIZE 48           /* pos, size, seals, flags, nr_folios, kho_vmalloc */
#define LUO_FOLIO_RECORD 16        /* { u64 pfn_flags; u64 index; } */
#define LUO_FOLIO_DIRTY (1ull << 52)
#define LUO_FOLIO_UPTODATE (1ull << 53)
#define LUO_SEALS_KNOWN 0x3fu      /* SEAL SHRINK GROW WRITE FUTURE_WRITE EXEC */
#define LUO_FOLIO_MAX_ORDER 10     /* the buddy allocator's largest block */
#define LUO_FOLIO_MAX_BYTES (256ull << 20) /* folio pages are written: bound them */

struct kho_ref;
struct ref_defect;

struct luo_folio {
	uint64_t index;            /* first file page it holds */
	unsigned order;
	uint64_t phys;             /* where finalize put it */
};

struct luo_file {
	uint64_t token;
	char handler[LUO_COMPAT_LEN + 1]; /* as written (a defect may fill all 48) */
	bool memfd;
	uint64_t size, pos;
	uint32_t seals, flags;     /* as written (memfd-v2) */
	struct luo_folio *folios;
	size_t nfolios, fcap;
	uint64_t nr_folios;        /* as written: nfolios unless a defect changed it */
	size_t records;            /* folio records a reader finds: nr_folios */
	uint64_t entry;            /* the file entry's address */
	uint64_t data;             /* as written in the entry */
	uint64_t record;           /* the handler's record (memfd_luo_ser) */
	uint64_t *chunks, *runs;   /* the folio array's kho_vmalloc */
	size_t nchunks, nruns;
	uint64_t bad_records_lo;   /* records [lo, hi) are luo-memfd findings: */
	uint64_t bad_records_hi;   /* their folios are not checked */
	bool not_followed;         /* the entry is a luo-file finding */
};

struct luo_session {
	char name[LUO_NAME_LEN + 1]; /* as the spec gave it */
	char written[LUO_NAME_LEN + 1]; /* as written (a defect may change it) */
	struct luo_file *files;
	size_t nfiles, cap;
	uint64_t entry;            /* the session entry's address */
	uint64_t files_head, count; /* as written */
	uint64_t *blocks;          /* v1: the file array; v5: the file chain */
	size_t nblocks;
	bool unread;               /* in a block a reader does not read */
};

struct luo_flb {
	char name[LUO_COMPAT_LEN + 1];
	uint64_t count, data;
	bool data_set;              /* data as given: no record allocated */
};

struct ref_luo {
	unsigned version;          /* 1 (luo-v1, 7.1) or 5 (luo-v5, 7.2+) */
	uint64_t num;              /* liveupdate number */
	size_t blob;               /* index of the LUO sub-node in ref->blobs */
	struct luo_session *s;
	size_t ns, scap;
	uint64_t folio_bytes;      /* all folios, against LUO_FOLIO_MAX_BYTES */
	struct luo_flb *flbs;
	size_t nflbs, flbcap;
	bool serialized;
	uint64_t sessions;         /* v1: the session array; v5: sessions_pa */
	uint64_t *blocks;          /* v5: the session chain */
	size_t nblocks;
	uint64_t flb_page;         /* 0: none */
	bool undecodable;          /* luo-format: a reader decodes nothing */
	bool pending;              /* luo-pending: before reboot(KEXEC), nothing serialized */
	bool sessions_unread;      /* v1 array count is a luo-block finding */
};

/* luo.c: the model, as the spec directives build it */
void luo_free(struct kho_ref *ref);
struct luo_session *luo_find_session(struct ref_luo *l, const char *name);
uint64_t luo_session_capacity(const struct kho_ref *ref);
uint64_t luo_memfd_size(const struct ref_luo *l);
/* The deterministic, never all-zero content of file page @page of a memfd. */
void luo_page_pattern(const char *session, uint64_t token, uint64_t page,
		      uint8_t *buf, uint64_t len);

/* luo_write.c: finalize, as the kernel serializes at reboot */
enum kho_status luo_serialize(struct kho_ref *ref, struct kho_error *err);
/* The LUO blob itself (v1 FDT, v5 luo_ser) with root compatible @compat. */
enum kho_status luo_write_root(struct kho_ref *ref, const char *compat,
			       struct kho_error *err);
/* The address of folio record @i of @f's array. */
uint64_t luo_record_addr(const struct kho_ref *ref, const struct luo_file *f, size_t i);

/* luo_expect.c: the oracle's part and expect.json's "luo" */
struct json_t;
struct findings;
void luo_check_coverage(struct findings *f, const struct range_list *preserved);
/* luo-file for every file entry a reader decodes whose handler the
 * successor lacks (luo-v5: anything but memfd-v2). */
void luo_check_handlers(struct findings *out);
struct json_t *luo_json(struct kho_ref *ref);
/* "0x..." as expect.json writes every address and size (expect.c) */
struct json_t *jhex(uint64_t v);

/* luo_files.c: OUTDIR/NAME.luo/SESSION/TOKEN.memfd */
enum kho_status luo_write_memfds(struct kho_ref *ref, const char *dir,
				 struct kho_error *err);

/* luo_defect.c */
enum kho_status luo_defect_prepare(struct kho_ref *ref, struct ref_defect *d,
				   struct kho_error *err);
enum kho_status luo_pending_after(struct kho_ref *ref, struct ref_defect *d,
				  struct kho_error *err);
enum kho_status luo_format_after(struct kho_ref *ref, struct ref_defect *d,
				 struct kho_error *err);
enum kho_status luo_block_after(struct kho_ref *ref, struct ref_defect *d,
				struct kho_error *err);
enum kho_status luo_session_after(struct kho_ref *ref, struct ref_defect *d,
				  struct kho_error *err);
enum kho_status luo_file_after(struct kho_ref *ref, struct ref_defect *d,
			       struct kho_error *err);
enum kho_status luo_memfd_after(struct kho_ref *ref, struct ref_defect *d,
				struct kho_error *err);
enum kho_status luo_not_preserved_before(struct kho_ref *ref, struct ref_defect *d,
					 struct kho_error *err);

#endif
