// SPDX-License-Identifier: MIT
/*
 * The memfd handler's record (memfd-v1, 7.1: 40 bytes; memfd-v2, 7.2+:
 * 48 bytes with seals and flags) and its folio records, 16 bytes each,
 * packed from the start of the pages of a struct kho_vmalloc
 * (docs/luo.md). Here the record and the array are read; what needs the
 * map (each folio's key and order, overlaps) is judged in check/luo.c.
 */
#include "luo.h"

#include <stdio.h>
#include <stdlib.h>

#define SEALS_ALL   0x3f              /* SEAL SHRINK GROW WRITE FUTURE_WRITE EXEC */
#define FOLIO_SIZE  16
#define PFN_BITS    52
#define MAX_FOLIOS  (1u << 24)        /* records kept: 64 GiB of 4 KiB folios */

void kho_luo_folio_word(uint64_t w, bool be, uint64_t *pfn, uint16_t *flags)
{
	*pfn = be ? w >> 12 : w & ((1ull << PFN_BITS) - 1);
	*flags = (uint16_t)(be ? w & 0xfff : w >> PFN_BITS);
}

bool kho_luo_is_memfd(const char *compat, unsigned *version)
{
	if (!strcmp(compat, "memfd-v1"))
		*version = 1;
	else if (!strcmp(compat, "memfd-v2") || !strcmp(compat, "memfd-v2;vmalloc-v1"))
		*version = 2;
	else
		return false;
	return true;
}

struct walk {
	struct luo_dec *d;
	const struct kho_luo_session *s;
	const struct kho_luo_file *fl;
	struct kho_luo_memfd *m;
	uint64_t *runs;
	size_t nruns, cap;
	uint64_t pages;
};

static bool w_chunk(void *ctx, uint64_t chunk)
{
	struct walk *w = ctx;

	/* a page the LUO state reaches twice is read once: hostile state
	 * cannot make the walks multiply */
	if (!luo_first_visit(w->d, chunk)) {
		kho_anomaly(w->d->a, KHO_AN_MEMFD_CHUNK_REVISITED, w->fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): "
			    "folio array chunk 0x%llx is reached a second time", HEX(w->fl->token),
			    w->s->name, HEX(chunk));
		return false;
	}
	/* kho_restore_vmalloc(): one page a chunk */
	luo_extent(w->d, chunk, w->d->page, 0, "folio array chunk of memfd 0x%llx (session "
		   "\"%s\")", HEX(w->fl->token), w->s->name);
	return true;
}

static void w_run(void *ctx, uint64_t slot, uint64_t run)
{
	struct walk *w = ctx;

	/* a run of 1 << order pages */
	luo_extent(w->d, run, w->d->page << w->m->vm.order, (int)w->m->vm.order, "folio array "
		   "page of memfd 0x%llx (session \"%s\")", HEX(w->fl->token), w->s->name);
	if (!luo_allocated(w->d, ARRAY_RESERVE(w->runs, w->cap, w->nruns)))
		return;
	w->runs[w->nruns++] = run;
	w->pages += 1ull << w->m->vm.order;
}

static void w_problem(void *ctx, enum kho_vmalloc_problem what, uint64_t at, uint64_t value)
{
	static const char *const why[] = {
		[KHO_VM_LOOP] = "its chunk chain loops",
		[KHO_VM_BAD_CHUNK] = "a chunk pointer is not a page of memory",
		[KHO_VM_SELF] = "a chunk points at itself",
		[KHO_VM_BAD_RUN] = "a run is not aligned to its order",
	};
	struct walk *w = ctx;

	if (what == KHO_VM_UNREADABLE)
		kho_anomaly(w->d->a, KHO_AN_LUO_UNREADABLE, at,
			    "LUO memfd 0x%llx (session \"%s\"): "
			    "folio array chunk 0x%llx is not in the dump: the folios it names "
			    "were not read", HEX(w->fl->token), w->s->name, HEX(value));
	else
		kho_anomaly(w->d->a, KHO_AN_MEMFD_FOLIO_ARRAY, w->fl->data,
			    "LUO memfd 0x%llx (session "
			    "\"%s\"): folio array: %s (0x%llx at 0x%llx)", HEX(w->fl->token),
			    w->s->name, why[what], HEX(value), HEX(at));
}

/* The folio records, run after run, page by page. */
static void read_folios(struct walk *w, uint64_t want)
{
	struct luo_dec *d = w->d;
	struct kho_luo_memfd *m = w->m;
	uint64_t per_page = d->page / FOLIO_SIZE;
	_cleanup_free_ uint8_t *buf = malloc(d->page);

	if (!luo_allocated(d, buf && (m->folios = calloc(want ? want : 1, sizeof(*m->folios)))))
		return;
	for (size_t r = 0; r < w->nruns && m->nfolios < want; r++)
		for (uint64_t p = 0; p < 1ull << m->vm.order && m->nfolios < want; p++) {
			uint64_t at = w->runs[r] + p * d->page;

			if (!luo_read(d, at, buf, d->page, "a memfd folio array page"))
				return;
			for (uint64_t i = 0; i < per_page && m->nfolios < want; i++) {
				const uint8_t *e = buf + i * FOLIO_SIZE;
				struct kho_luo_folio *fo = &m->folios[m->nfolios++];

				fo->record = at + i * FOLIO_SIZE;
				kho_luo_folio_word(load_u64(e, d->be), d->be, &fo->pfn, &fo->flags);
				fo->index = load_u64(e + 8, d->be);
				fo->order = -1;
			}
		}
}

struct kho_luo_memfd *luo_memfd_decode(struct luo_dec *d, const struct kho_luo_session *s,
				       const struct kho_luo_file *fl, unsigned version)
{
	size_t len = version == 1 ? 40 : 48, vm = len - 16;
	struct kho_luo_memfd *m = calloc(1, sizeof(*m));
	struct walk w = { d, s, fl, m, NULL, 0, 0, 0 };
	const struct kho_vmalloc_visitor vis = { &w, w_chunk, w_run, w_problem };
	uint8_t r[48];
	uint64_t fit;

	if (!luo_allocated(d, m))
		return NULL;
	/* memfd_luo: kho_restore_free() */
	luo_extent(d, fl->data, len, KHO_LUO_ANY_KEY, "memfd record (session \"%s\", token "
		   "0x%llx)", s->name, HEX(fl->token));
	if (!luo_read(d, fl->data, r, len, "a memfd record")) {
		free(m);
		return NULL;
	}
	m->version = version;
	m->pos = load_u64(r, d->be);
	m->size = load_u64(r + 8, d->be);
	if (version == 2) {
		m->seals = load_u32(r + 16, d->be);
		m->flags = load_u32(r + 20, d->be);
	}
	m->nr_folios = load_u64(r + vm - 8, d->be);
	m->vm_phys = fl->data + vm;
	kho_vmalloc_parse(r + vm, d->be, &m->vm);
	if (m->seals & ~SEALS_ALL)
		kho_anomaly(d->a, KHO_AN_MEMFD_SEALS, fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): seals "
			    "0x%x include unknown bits 0x%x", HEX(fl->token), s->name, m->seals,
			    m->seals & ~SEALS_ALL);
	if (m->flags)
		kho_anomaly(d->a, KHO_AN_MEMFD_FLAGS, fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): flags "
			    "0x%x, but no flag is defined", HEX(fl->token), s->name, m->flags);
	if (m->vm.order > 20) {
		kho_anomaly(d->a, KHO_AN_MEMFD_ORDER, fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): folio "
			    "array order %u", HEX(fl->token), s->name, m->vm.order);
		return m;
	}
	/* the array holds nr_folios records: total_pages must fit them */
	fit = (uint64_t)m->vm.total_pages * (d->page / FOLIO_SIZE);
	if (m->nr_folios > fit || (m->nr_folios && !m->vm.first)) {
		/* which records are real cannot be told: none is read */
		kho_anomaly(d->a, KHO_AN_MEMFD_NR_FOLIOS, fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): "
			    "nr_folios %llu do not fit its folio array of %u page%s: its "
			    "folios were not read", HEX(fl->token), s->name, HEX(m->nr_folios),
			    m->vm.total_pages, m->vm.total_pages == 1 ? "" : "s");
		return m;
	}
	if (m->vm.first &&
	    kho_vmalloc_walk(d->src, m->vm_phys, m->vm.first, m->vm.order, &vis, &d->oom) &&
	    w.pages != m->vm.total_pages)
		kho_anomaly(d->a, KHO_AN_MEMFD_TOTAL_PAGES, fl->data,
			    "LUO memfd 0x%llx (session \"%s\"): "
			    "folio array runs hold %llu pages, total_pages says %u",
			    HEX(fl->token), s->name, HEX(w.pages), m->vm.total_pages);
	/* every memfd together: at most MAX_FOLIOS records are kept */
	fit = MIN(m->nr_folios, MIN(w.pages * (d->page / FOLIO_SIZE), MAX_FOLIOS - d->folios));
	if (fit < m->nr_folios && fit == MAX_FOLIOS - d->folios)
		kho_anomaly(d->a, KHO_AN_MEMFD_FOLIOS_UNREAD, fl->data,
			     "LUO memfd 0x%llx "
			     "(session \"%s\"): only %llu of %llu folios were read (%u for "
			     "all memfds)", HEX(fl->token), s->name, HEX(fit),
			     HEX(m->nr_folios), MAX_FOLIOS);
	d->folios += fit;
	if (!d->oom)
		read_folios(&w, fit);
	m->complete = m->nfolios == m->nr_folios;
	free(w.runs);
	return m;
}

int kho_luo_memfd_path(char *buf, size_t len, const char *session, uint64_t token)
{
	char name[64 * 3 + 1], *o = name;

	for (const char *c = session; *c; c++) {
		unsigned char ch = (unsigned char)*c;
		bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
			     (ch == '.' && c != session);

		o += plain ? sprintf(o, "%c", ch) : sprintf(o, "%%%02X", ch);
	}
	*o = '\0';
	return snprintf(buf, len, "luo/%s/0x%llx.memfd", name, HEX(token));
}
