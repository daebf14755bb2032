/* SPDX-License-Identifier: MIT */
/* What owns memory, as far as a handover says (owners.c). */
#ifndef KHO_INSPECT_OWNERS_H
#define KHO_INSPECT_OWNERS_H

#include "kho/internal.h"

struct owner {
	uint64_t phys, size;
	const char *kind;       /* "FDT page", "tree page", "sub-blob", ... */
	char what[112];
	uint64_t file_index;    /* LUO folio: the file page at phys; else UINT64_MAX */
};

struct owners {
	struct owner *v;        /* by start, outer first */
	size_t n, cap;
	uint64_t *maxend;       /* segment tree of ends over v */
	size_t leaves;
	uint64_t page;
	unsigned page_shift;
	bool oom;               /* some owners are missing */
};

/* Every owner @in knows of (@src: to follow vmalloc chains). */
void owners_build(struct kho_source *src, const struct kho_inspection *in, struct owners *o);
void owners_free(struct owners *o);
/* Up to @max owners overlapping [@a, @a + @len) to @fn, by address (outer
 * first). returns: how many. */
size_t owners_each(const struct owners *o, uint64_t a, uint64_t len, size_t max,
		   void (*fn)(void *ctx, const struct owner *w), void *ctx);
/* "KIND WHAT; KIND WHAT" of up to three owners of [@a, @a + @len) ("; ..."
 * when there are more) in @out. returns: @out, or NULL when none is known. */
const char *owners_label(const struct owners *o, uint64_t a, uint64_t len, char *out,
			 size_t outlen);

#endif
