/* SPDX-License-Identifier: MIT */
/*
 * LUO, the Live Update Orchestrator (Linux 7.1+): the sessions of files
 * user space handed to the next kernel, read from the blob of the LUO
 * sub-node. Formats, checks and naming: docs/luo.md.
 */
#ifndef KHO_LUO_H
#define KHO_LUO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kho/anomaly.h"
#include "kho/handover.h"
#include "kho/source.h"

enum kho_luo_format {
	KHO_LUO_NONE,           /* no LUO sub-node, or a blob of no known format */
	KHO_LUO_V1,             /* 7.1: an FDT "luo-v1" */
	KHO_LUO_V5,             /* 7.2+: struct luo_ser "luo-v5" and block chains */
};

struct kho_luo_folio {
	uint64_t record;        /* where its 16-byte record is */
	uint64_t pfn;
	uint16_t flags;         /* the record's 12-bit flags field */
	uint64_t index;         /* its first page in the file */
	int order;              /* of the key that starts at pfn (set by
				 * kho_inspect; -1: none found, or not checked) */
};

struct kho_luo_memfd {
	unsigned version;       /* 1 (40-byte record) or 2 (48 bytes) */
	uint64_t pos, size;
	uint32_t seals, flags;  /* 0 for version 1 */
	uint64_t nr_folios;
	struct kho_vmalloc_desc vm;     /* the folio array */
	uint64_t vm_phys;               /* where vm sits in the record */
	struct kho_luo_folio *folios;   /* the records read, in array order */
	size_t nfolios;
	bool complete;          /* all nr_folios records were read */
};

struct kho_luo_file {
	uint64_t phys;          /* the file entry */
	char compatible[49];
	bool well_formed;       /* NUL-terminated, non-empty, printable */
	uint64_t data, token;
	struct kho_luo_memfd *memfd;   /* a memfd whose record was read */
};

struct kho_luo_session {
	uint64_t phys;          /* the session entry */
	char name[65];
	uint64_t files, count;
	struct kho_luo_file *file;
	size_t nfiles;
};

struct kho_luo_flb {
	uint64_t phys;          /* the FLB entry */
	char name[49];
	uint64_t data, count;
};

/* Memory the LUO state needs preserved (docs/luo.md, luo-not-preserved);
 * folios are checked from their records. */
struct kho_luo_extent {
	uint64_t phys, size;
	/* How the successor restores it (blob-key-start): KHO_LUO_COVERED
	 * not at all (coverage only), KHO_LUO_ANY_KEY by kho_restore_folio
	 * (a key of any order must start at phys), or the exact order a key
	 * starting at phys must have (kho_restore_pages). */
	int key;
	char what[96];
};
#define KHO_LUO_COVERED (-1)
#define KHO_LUO_ANY_KEY (-2)

struct kho_luo {
	enum kho_luo_format format;
	uint64_t phys;          /* the LUO blob */
	uint64_t liveupdate_num;
	/* luo-v5 before reboot(KEXEC): sessions_pa still 0 (luo-pending) */
	bool pending;
	struct kho_luo_session *session;
	size_t nsessions;
	struct kho_luo_flb *flb;
	size_t nflbs;
	struct kho_luo_extent *extent;
	size_t nextents;
};

/*
 * kho_luo_decode - read the LUO state of the sub-node @t (named "LUO").
 * What is malformed, and what cannot be read, is recorded in @a. The
 * result owns its arrays: kho_luo_free(). Nothing in it points into the
 * source. returns: KHO_OK, or KHO_ERR_NOMEM.
 */
enum kho_status kho_luo_decode(struct kho_source *src, const struct kho_subtree *t,
			       struct kho_anomalies *a, struct kho_luo *out,
			       struct kho_error *err);
/* kho_luo_free - release what kho_luo_decode() allocated; @luo is zeroed. */
void kho_luo_free(struct kho_luo *luo);

/* "luo-v1", "luo-v5", or NULL for KHO_LUO_NONE. */
const char *kho_luo_format_name(enum kho_luo_format format);

/* Whether @compat names the memfd handler; *@version: 1 or 2. */
bool kho_luo_is_memfd(const char *compat, unsigned *version);

/*
 * kho_luo_memfd_path - the relative path an extracted memfd is written to:
 * "luo/SESSION/TOKEN.memfd", SESSION escaped as docs/luo.md says.
 * returns: the length written (snprintf's), truncated to @len.
 */
int kho_luo_memfd_path(char *buf, size_t len, const char *session, uint64_t token);

/*
 * kho_luo_folio_word - the first word @w of a memfd folio record (loaded
 * in the dump's byte order) split as the kernel's bitfield `u64 pfn:52,
 * flags:12` lays it out: on little-endian the pfn is bits 0-51 and the
 * flags bits 52-63; on big-endian (@be) bitfields are allocated from the
 * most significant bit, so the pfn is bits 12-63 and the flags bits 0-11.
 */
void kho_luo_folio_word(uint64_t w, bool be, uint64_t *pfn, uint16_t *flags);

#endif
