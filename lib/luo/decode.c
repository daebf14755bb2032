// SPDX-License-Identifier: MIT
/*
 * The LUO state behind the LUO sub-node (docs/luo.md). luo-v1 (7.1) is
 * an FDT naming a session array and an FLB page; luo-v5 (7.2+) a 32-byte
 * root naming chains of one-page blocks. Both become the same sessions,
 * files and FLBs. What the next kernel would refuse, and what it would
 * not but a reader of a dump must, is recorded as an anomaly; every read is
 * bounded by a capacity, a chain limit or a visited set.
 */
#include "luo.h"

#include <ctype.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "../handover/prop.h"

#define SESSION_SIZE      80
#define FILE_SIZE         64
#define FLB_SIZE          64
#define BLOCK_HEAD        16
#define MAX_BLOCKS        10000
#define V1_SESSION_PAGES  16
#define V1_FILE_PAGES     2

const char *kho_luo_format_name(enum kho_luo_format format)
{
	return format == KHO_LUO_V1 ? "luo-v1" : format == KHO_LUO_V5 ? "luo-v5" : NULL;
}

bool luo_read(struct luo_dec *d, uint64_t phys, void *buf, size_t len, const char *what)
{
	struct kho_error e;

	if (!kho_source_read(d->src, phys, buf, len, &e))
		return true;
	kho_anomaly(d->a, KHO_AN_LUO_UNREADABLE, phys, "LUO: %s at 0x%llx is not (wholly) in the "
		    "dump: it was not checked", what, HEX(phys));
	return false;
}

bool luo_first_visit(struct luo_dec *d, uint64_t page)
{
	int fresh = visited_add(&d->seen, page);

	luo_allocated(d, fresh >= 0);
	return fresh > 0;
}

/* Whether @phys is a page of memory the dump describes (dumped or not). */
static bool page_of_memory(struct luo_dec *d, uint64_t phys)
{
	uint64_t run;

	return is_aligned(phys, d->page) && !(phys >> 63) &&
	       kho_source_state(d->src, phys, &run) != KHO_MEM_ABSENT;
}

void luo_extent(struct luo_dec *d, uint64_t phys, uint64_t size, int key, const char *fmt, ...)
{
	struct kho_luo *l = d->luo;
	va_list ap;

	if (!size)
		return;
	if (!luo_allocated(d, ARRAY_RESERVE(l->extent, d->extent_cap, l->nextents)))
		return;
	l->extent[l->nextents] = (struct kho_luo_extent){
		phys, size, l->format == KHO_LUO_V5 ? key : KHO_LUO_COVERED, "" };
	va_start(ap, fmt);
	vsnprintf(l->extent[l->nextents].what, sizeof(l->extent[0].what), fmt, ap);
	va_end(ap);
	l->nextents++;
}

/* NUL-terminated within @n bytes, non-empty, printable ASCII. */
static bool well_formed(const uint8_t *s, size_t n)
{
	size_t len = strnlen((const char *)s, n);

	if (!len || len == n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isprint(s[i]))
			return false;
	return true;
}

/* Entry callbacks of a chain or array: the session at hand for files. */
typedef void (*entry_fn)(struct luo_dec *d, uint64_t phys, const uint8_t *e, void *arg);

/* A file entry of session *@arg (an index): its handler, data and token;
 * a memfd's record. */
static void add_file(struct luo_dec *d, uint64_t phys, const uint8_t *e, void *arg)
{
	struct kho_luo_session *s = &d->luo->session[*(size_t *)arg];
	struct kho_luo_file *fl;
	unsigned version;

	if (!luo_allocated(d, (fl = ARRAY_ADD(s->file, d->file_cap, s->nfiles))))
		return;
	fl->phys = phys;
	snprintf(fl->compatible, sizeof(fl->compatible), "%.48s", (const char *)e);
	fl->well_formed = well_formed(e, 48);
	fl->data = load_u64(e + 48, d->be);
	fl->token = load_u64(e + 56, d->be);
	if (!fl->well_formed) {
		kho_anomaly(d->a, KHO_AN_LUO_FILE_HANDLER_NAME, phys,
			    "LUO session \"%s\": file token 0x%llx: its "
			    "handler string is not a NUL-terminated printable name",
			    s->name, HEX(fl->token));
		return;
	}
	/*
	 * luo_file_deserialize() (7.2.13, 7.3-rc7) looks the handler up with
	 * strcmp among the registered ones and fails the whole session with
	 * -ENOENT when none matches; both kernels register exactly one file
	 * handler, memfd-v2. So in luo-v5 any other string, memfd-v1 and the
	 * dropped composite "memfd-v2;vmalloc-v1" included, is an error. The
	 * entry is still decoded as far as it goes, so what it names is listed.
	 * luo-v1 (7.1) is not judged: no 7.1 source is at hand to say which
	 * handlers it registered, and no 7.2+ successor reads luo-v1 at all.
	 */
	if (d->luo->format == KHO_LUO_V5 && strcmp(fl->compatible, "memfd-v2"))
		kho_anomaly(d->a, KHO_AN_LUO_FILE_HANDLER_UNKNOWN, phys,
			    "LUO session \"%s\": file token 0x%llx: handler %s "
			    "is not one the successor has (7.2 and 7.3 have only memfd-v2): "
			    "it fails the whole session with -ENOENT", s->name,
			    HEX(fl->token), fl->compatible);
	if (!fl->data || !page_of_memory(d, fl->data)) {
		kho_anomaly(d->a, KHO_AN_LUO_FILE_DATA, phys,
			    "LUO session \"%s\": file token 0x%llx "
			    "(%s): data 0x%llx is not a page of memory", s->name,
			    HEX(fl->token), fl->compatible, HEX(fl->data));
		return;
	}
	if (!luo_first_visit(d, fl->data & ~(d->page - 1))) {
		if (!d->oom)
			kho_anomaly(d->a, KHO_AN_LUO_FILE_DATA_SHARED, phys,
				    "LUO session \"%s\": file token 0x%llx: "
				    "data 0x%llx is a page the LUO state already names", s->name,
				    HEX(fl->token), HEX(fl->data));
		return;
	}
	if (kho_luo_is_memfd(fl->compatible, &version))
		fl->memfd = luo_memfd_decode(d, s, fl, version);
	else
		luo_extent(d, fl->data, 1, KHO_LUO_COVERED, "record of handler %s (session "
			   "\"%s\", token 0x%llx)", fl->compatible, s->name, HEX(fl->token));
}

static void add_session(struct luo_dec *d, uint64_t phys, const uint8_t *e, void *arg)
{
	struct kho_luo *l = d->luo;
	struct kho_luo_session *s;

	if (!luo_allocated(d, (s = ARRAY_ADD(l->session, d->session_cap, l->nsessions))))
		return;
	s->phys = phys;
	snprintf(s->name, sizeof(s->name), "%.64s", (const char *)e);
	s->files = load_u64(e + 64, d->be);
	s->count = load_u64(e + 72, d->be);
	if (!e[0])
		kho_anomaly(d->a, KHO_AN_LUO_SESSION_NAME, phys,
			    "LUO session %zu has an empty name",
			    l->nsessions - 1);
	else if (strnlen((const char *)e, 64) == 64)
		kho_anomaly(d->a, KHO_AN_LUO_SESSION_NAME, phys,
			    "LUO session \"%.64s\": the name is not "
			    "NUL-terminated within 64 bytes", s->name);
	if (!s->files != !s->count)
		kho_anomaly(d->a, KHO_AN_LUO_SESSION_FILES, phys,
			    "LUO session \"%s\": files 0x%llx with "
			    "count %llu", s->name, HEX(s->files), HEX(s->count));
}

/*
 * A luo-v5 chain of one-page blocks of @esize-byte entries from @head,
 * named by the field at @holder; *@n (if @n) gets the entries handed to
 * @fn. returns: false when a block the kernel would refuse ended the
 * chain (its entries cannot be counted).
 */
static bool chain(struct luo_dec *d, uint64_t head, uint64_t holder, size_t esize,
		  const char *what, entry_fn fn, void *arg, uint64_t *n)
{
	uint64_t cap = (d->page - BLOCK_HEAD) / esize, entries = 0, block = head;
	_cleanup_free_ uint8_t *buf = malloc(d->page);
	unsigned blocks = 0;

	if (!luo_allocated(d, buf))
		return false;
	while (block && !d->oom) {
		uint64_t count, next;

		if (!page_of_memory(d, block)) {
			kho_anomaly(d->a, KHO_AN_LUO_BLOCK_POINTER, holder,
				    "LUO %s chain: block pointer 0x%llx "
				    "is not a page of memory", what, HEX(block));
			break;
		}
		/* one set for every chain: a cycle, or a block two chains share */
		if (!luo_first_visit(d, block)) {
			if (!d->oom)
				kho_anomaly(d->a, KHO_AN_LUO_BLOCK_REVISITED, holder,
					    "LUO %s chain: block 0x%llx "
					    "is reached a second time (a cycle, or shared)", what,
					    HEX(block));
			break;
		}
		if (++blocks > MAX_BLOCKS) {
			kho_anomaly(d->a, KHO_AN_LUO_BLOCK_CHAIN_LONG, holder,
				    "LUO %s chain: more than %u blocks",
				    what, MAX_BLOCKS);
			break;
		}
		/* kho_block.c: kho_restore_free() */
		luo_extent(d, block, d->page, KHO_LUO_ANY_KEY, "%s block", what);
		if (!luo_read(d, block, buf, d->page, "a block"))
			break;
		next = load_u64(buf, d->be);
		count = load_u64(buf + 8, d->be);
		if (!count || count > cap) {
			kho_anomaly(d->a, KHO_AN_LUO_BLOCK_COUNT, block,
				    "LUO %s block: count %llu (a block "
				    "holds 1 to %llu)", what, HEX(count), HEX(cap));
			break;
		}
		for (uint64_t i = 0; i < count; i++)
			fn(d, block + BLOCK_HEAD + i * esize, buf + BLOCK_HEAD + i * esize, arg);
		entries += count;
		holder = block;
		block = next;
	}
	PUT_OPT(n, entries);
	return !block;
}

/* A luo-v1 array of @count (at most @cap, a count held at @holder)
 * entries at @at, for @fn. */
static void array(struct luo_dec *d, uint64_t holder, uint64_t at, uint64_t count,
		  uint64_t cap, size_t esize, const char *what, entry_fn fn, void *arg)
{
	uint64_t n = MIN(count, cap);
	_cleanup_free_ uint8_t *buf = malloc(n * esize + 1);

	if (!luo_allocated(d, buf))
		return;
	if (count > cap) {      /* refused whole, as the kernel does */
		kho_anomaly(d->a, KHO_AN_LUO_BLOCK_COUNT, holder,
			    "LUO %s array: count %llu is above its "
			    "capacity %llu", what, HEX(count), HEX(cap));
		return;
	}
	if (!n || !luo_read(d, at, buf, n * esize, what))
		return;
	for (uint64_t i = 0; i < n && !d->oom; i++)
		fn(d, at + i * esize, buf + i * esize, arg);
}

/* Sessions in name order, the first of equal names first. */
static int by_name(const void *a, const void *b)
{
	const struct kho_luo_session *x = *(const struct kho_luo_session *const *)a;
	const struct kho_luo_session *y = *(const struct kho_luo_session *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x > y) - (x < y);
}

/* luo-session for every name equal to an earlier session's. */
static void duplicate_names(struct luo_dec *d)
{
	struct kho_luo *l = d->luo;
	_cleanup_free_ const struct kho_luo_session **by =
		malloc((l->nsessions ? l->nsessions : 1) * sizeof(*by));

	if (!luo_allocated(d, by))
		return;
	for (size_t i = 0; i < l->nsessions; i++)
		by[i] = &l->session[i];
	qsort(by, l->nsessions, sizeof(*by), by_name);
	for (size_t i = 1; i < l->nsessions; i++)
		if (by[i]->name[0] && !strcmp(by[i]->name, by[i - 1]->name))
			kho_anomaly(d->a, KHO_AN_LUO_SESSION_DUPLICATE, by[i]->phys,
				    "LUO session \"%s\": the same name as session %zu", by[i]->name,
				    (size_t)(by[i - 1] - l->session));
}

/* Every session's files, then duplicate names. */
static void files_of_sessions(struct luo_dec *d)
{
	struct kho_luo *l = d->luo;

	for (size_t i = 0; i < l->nsessions && !d->oom; i++) {
		struct kho_luo_session *s = &l->session[i];

		d->file_cap = 0;
		if (!s->files || !s->count)
			continue;
		if (l->format == KHO_LUO_V1) {
			if (!page_of_memory(d, s->files)) {
				kho_anomaly(d->a, KHO_AN_LUO_SESSION_FILE_ARRAY, s->phys,
					    "LUO session \"%s\": file "
					    "array 0x%llx is not a page of memory", s->name,
					    HEX(s->files));
				continue;
			}
			luo_extent(d, s->files, MIN(s->count, V1_FILE_PAGES * d->page / FILE_SIZE) *
				   FILE_SIZE, KHO_LUO_COVERED, "file array of session \"%s\"",
				   s->name);
			array(d, s->files, s->files, s->count, V1_FILE_PAGES * d->page / FILE_SIZE,
			      FILE_SIZE, "file", add_file, &i);
			continue;
		}
		uint64_t n;

		if (chain(d, s->files, s->phys, FILE_SIZE, "file", add_file, &i, &n) &&
		    n != s->count)
			kho_anomaly(d->a, KHO_AN_LUO_SESSION_FILE_COUNT, s->phys,
				    "LUO session \"%s\": its file "
				    "chain holds %llu entries, count says %llu", s->name,
				    HEX(n), HEX(s->count));
	}
	duplicate_names(d);
}

static void add_flb(struct luo_dec *d, uint64_t phys, const uint8_t *e, void *arg)
{
	struct kho_luo *l = d->luo;
	struct kho_luo_flb *b;

	if (!luo_allocated(d, (b = ARRAY_ADD(l->flb, d->flb_cap, l->nflbs))))
		return;
	b->phys = phys;
	snprintf(b->name, sizeof(b->name), "%.48s", (const char *)e);
	b->data = load_u64(e + 48, d->be);
	b->count = load_u64(e + 56, d->be);
}

/* The FLB page: pgcnt, count, entries (both formats). */
static void flbs(struct luo_dec *d, uint64_t at, uint64_t holder)
{
	uint8_t h[16];

	if (!page_of_memory(d, at)) {
		kho_anomaly(d->a, KHO_AN_LUO_FLB_POINTER, holder,
			    "LUO FLB page pointer 0x%llx is not a page "
			    "of memory", HEX(at));
		return;
	}
	/* luo_flb.c (7.3-rc7) reads it through phys_to_virt(), never
	 * restores it: coverage is all it needs. */
	luo_extent(d, at, d->page, KHO_LUO_COVERED, "FLB page");
	if (!luo_read(d, at, h, sizeof(h), "the FLB page"))
		return;
	array(d, at, at + 16, load_u64(h + 8, d->be), (d->page - 16) / FLB_SIZE, FLB_SIZE,
	      "FLB", add_flb, NULL);
}

/* luo-v1: the FDT blob. */
static void decode_v1(struct luo_dec *d, const struct kho_subtree *t)
{
	struct kho_luo *l = d->luo;
	_cleanup_free_ uint8_t *fdt = malloc(t->fdt_total ? t->fdt_total : 1);
	uint64_t hdr, flb, count;
	int node;

	if (!luo_allocated(d, fdt))
		return;
	if (!luo_read(d, t->phys, fdt, t->fdt_total, "the LUO FDT"))
		return;
	if (!prop_get_u64(fdt, 0, "liveupdate-number", d->be, &l->liveupdate_num, NULL))
		kho_anomaly(d->a, KHO_AN_LUO_FDT_FORMAT, t->phys,
			    "LUO FDT: liveupdate-number is missing "
			    "or not a u64");
	node = fdt_subnode_offset(fdt, 0, "luo-session");
	if (node < 0 || (fdt_node_check_compatible(fdt, node, "luo-session-v1") &&
			 fdt_node_check_compatible(fdt, node, "luo-session-v2")) ||
	    !prop_get_u64(fdt, node, "luo-session-header", d->be, &hdr, NULL) ||
	    !hdr || !page_of_memory(d, hdr)) {
		kho_anomaly(d->a, KHO_AN_LUO_FDT_FORMAT, t->phys,
			    "LUO FDT: no luo-session node with a "
			    "compatible luo-session-v1/v2 and a luo-session-header that is a page "
			    "of memory");
	} else {
		uint64_t cap = (V1_SESSION_PAGES * d->page - 8) / SESSION_SIZE;
		uint8_t c[8];

		if (luo_read(d, hdr, c, 8, "the session array")) {
			count = load_u64(c, d->be);
			luo_extent(d, hdr, 8 + MIN(count, cap) * SESSION_SIZE, KHO_LUO_COVERED,
				   "session array");
			array(d, hdr, hdr + 8, count, cap, SESSION_SIZE, "session", add_session,
			      NULL);
		}
	}
	node = fdt_subnode_offset(fdt, 0, "luo-flb");
	if (node >= 0) {
		if (fdt_node_check_compatible(fdt, node, "luo-flb-v1") ||
		    !prop_get_u64(fdt, node, "luo-flb-header", d->be, &flb, NULL))
			kho_anomaly(d->a, KHO_AN_LUO_FDT_FORMAT, t->phys,
				    "LUO FDT: the luo-flb node lacks "
				    "compatible luo-flb-v1 or a u64 luo-flb-header");
		else if (flb)
			flbs(d, flb, t->phys);
	}
	files_of_sessions(d);
}

/* luo-v5: struct luo_ser. */
static void decode_v5(struct luo_dec *d, const struct kho_subtree *t, const uint8_t *root)
{
	struct kho_luo *l = d->luo;
	uint64_t sessions = load_u64(root + 16, d->be), flb = load_u64(root + 24, d->be);

	l->liveupdate_num = load_u64(root + 8, d->be);
	if (sessions)
		chain(d, sessions, t->phys, SESSION_SIZE, "session", add_session, NULL, NULL);
	if (flb)
		flbs(d, flb, t->phys);
	files_of_sessions(d);
	/* 7.2/7.3 write sessions_pa only in liveupdate_reboot() (from
	 * kernel_kexec()); a running kernel's LUO has none yet. */
	if (!sessions) {
		l->pending = true;
		kho_anomaly(d->a, KHO_AN_LUO_PENDING, t->phys, "LUO live update #%llu: no "
			    "session is serialized (sessions_pa 0), as before reboot(KEXEC) "
			    "serializes them; pages of open sessions have no owner here",
			    HEX(l->liveupdate_num));
	}
}

enum kho_status kho_luo_decode(struct kho_source *src, const struct kho_subtree *t,
			       struct kho_anomalies *a, struct kho_luo *out,
			       struct kho_error *err)
{
	struct luo_dec d = { .src = src, .a = a, .luo = out,
			     .page = kho_source_page_size(src),
			     .be = kho_source_big_endian(src) };
	uint8_t root[32];

	memset(out, 0, sizeof(*out));
	out->phys = t->phys;
	if (!t->phys || t->unreadable)
		return KHO_OK;      /* sub-node and blob checks have said why */
	if (t->kind == KHO_BLOB_FDT && !t->fdt_check &&
	    !strcmp(t->compatible, "luo-v1")) {
		out->format = KHO_LUO_V1;
		decode_v1(&d, t);
	} else if (t->kind != KHO_BLOB_FDT && t->kind != KHO_BLOB_MEMBLOCK &&
		   t->kind != KHO_BLOB_KHO_TEST &&
		   luo_read(&d, t->phys, root, sizeof(root), "the LUO root") &&
		   !memcmp(root, "luo-v5", 7)) {
		/* luo_core.c (7.2.13, 7.3-rc7) refuses less than struct luo_ser
		 * and reads the first 32 bytes of a larger blob */
		if (t->size < 32)
			kho_anomaly(a, KHO_AN_LUO_BLOB_FORMAT, t->phys,
				    "LUO: blob-size %llu is less than the 32 bytes of struct luo_ser",
				    HEX(t->size));
		else
			out->format = KHO_LUO_V5, decode_v5(&d, t, root);
	} else if (t->kind == KHO_BLOB_FDT && t->fdt_check) {
		;   /* blob-fdt says what is wrong with it */
	} else {
		kho_anomaly(a, KHO_AN_LUO_BLOB_FORMAT, t->phys,
			    "LUO: the blob is neither an FDT luo-v1 "
			    "nor a struct luo_ser luo-v5 (%s)",
			    t->kind == KHO_BLOB_FDT ? t->compatible : "its first bytes");
	}
	visited_free(&d.seen);
	if (d.oom)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return KHO_OK;
}

void kho_luo_free(struct kho_luo *l)
{
	for (size_t i = 0; i < l->nsessions; i++) {
		for (size_t j = 0; j < l->session[i].nfiles; j++) {
			struct kho_luo_memfd *m = l->session[i].file[j].memfd;

			if (m)
				free(m->folios);
			free(m);
		}
		free(l->session[i].file);
	}
	free(l->session);
	free(l->flb);
	free(l->extent);
	memset(l, 0, sizeof(*l));
}
