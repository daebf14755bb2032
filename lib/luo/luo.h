/* SPDX-License-Identifier: MIT */
/* Inside the LUO reader: one decoding's state and the helpers it shares. */
#ifndef KHO_LUO_INTERNAL_H
#define KHO_LUO_INTERNAL_H

#include "kho/luo.h"

#include "../map/visited.h"
#include "../util/util.h"

struct luo_dec {
	struct kho_source *src;
	struct kho_anomalies *a;
	struct kho_luo *luo;
	uint64_t page;
	bool be, oom;
	size_t extent_cap, session_cap, file_cap, flb_cap;
	struct visited seen;            /* every block, record and chunk page reached */
	uint64_t folios;                /* records read, all memfds together */
};

/* Whether an allocation (@ok) succeeded; if not, the decoding is out of
 * memory (d->oom), which stops it. */
static inline bool luo_allocated(struct luo_dec *d, bool ok)
{
	d->oom |= !ok;
	return ok;
}

/* Whether @page is reached for the first time (out of memory: false, d->oom). */
bool luo_first_visit(struct luo_dec *d, uint64_t page);

/* @len bytes at @phys; a failed read is recorded (KHO_AN_LUO_UNREADABLE). */
bool luo_read(struct luo_dec *d, uint64_t phys, void *buf, size_t len, const char *what);
/* Note [@phys, @phys + @size) as memory LUO needs preserved, and how the
 * successor restores it (7.2+, luo-v5; else KHO_LUO_COVERED): @key is
 * KHO_LUO_COVERED, KHO_LUO_ANY_KEY or an exact order (struct kho_luo_extent). */
void luo_extent(struct luo_dec *d, uint64_t phys, uint64_t size, int key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The memfd record of @fl (memfd-v@version) and its folio records. */
struct kho_luo_memfd *luo_memfd_decode(struct luo_dec *d, const struct kho_luo_session *s,
				       const struct kho_luo_file *fl, unsigned version);

#endif
