// SPDX-License-Identifier: MIT
/*
 * makedumpfile's flattened format (makedumpfile -F; QEMU's kdump-zlib,
 * kdump-lzo and kdump-snappy dump-guest-memory before 8.2): a stream that
 * can be written to a pipe. After a 4096-byte header ("makedumpfile",
 * big-endian int64 type 1 and version) come records, each a big-endian
 * {int64 offset; int64 size} and then size bytes that belong at offset of
 * the regular file; {-1, -1} ends the stream (makedumpfile.c,
 * write_buffer() and write_end_flat_header(); rearrange_dumpdata() is how
 * `makedumpfile -R` puts them back, later records over earlier ones).
 *
 * Nothing is reassembled on disk: one pass over the record headers builds
 * an index of disjoint pieces of the regular file, sorted by offset, each
 * naming where its bytes are in the flattened file. Memory is one entry
 * per record (at most two after overlaps are resolved), and the count is
 * bounded. A stream that ends early (a pipe cut, a disk full) is indexed
 * as far as it goes and said to be incomplete.
 */
#include "source_internal.h"

#include <stdlib.h>
#include <unistd.h>

#include "../util/util.h"

/*
 * makedumpfile writes a record per 64 KiB cache flush and QEMU 7.2 one
 * per 16 KiB, so 8M records hold 128 GiB of QEMU's compressed pages or
 * 512 GiB of makedumpfile's; building the index costs about 60 bytes a
 * record at its peak (500 MiB here), which is the bound. Tests lower it.
 */
size_t flat_max_records = (size_t)1 << 23;

struct rec {
	uint64_t off, size;
	uint64_t pos;              /* grows in stream order: later wins */
};

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* A max-heap of record indexes by stream order: the record that wins at a point. */
struct heap {
	uint32_t *v;
	size_t n;
};

static void heap_push(struct heap *h, const struct rec *r, uint32_t i)
{
	size_t k = h->n++;

	while (k && r[h->v[(k - 1) / 2]].pos < r[i].pos) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = i;
}

static void heap_pop(struct heap *h, const struct rec *r)
{
	uint32_t last = h->v[--h->n];
	size_t k = 0;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && r[h->v[c + 1]].pos > r[h->v[c]].pos)
			c++;
		if (r[h->v[c]].pos <= r[last].pos)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = last;
}

static bool emit(struct flat_index *ix, size_t *cap, uint64_t off, uint64_t size,
		 uint64_t pos)
{
	struct flat_piece *last = ix->n ? &ix->v[ix->n - 1] : NULL;

	if (last && last->off + last->size == off && last->pos + last->size == pos) {
		last->size += size;
		return true;
	}
	if (!ARRAY_RESERVE(ix->v, *cap, ix->n))
		return false;
	ix->v[ix->n++] = (struct flat_piece){ off, size, pos, 0 };
	return true;
}

/*
 * Overlapping records: a sweep over the sorted starts; at every point the
 * live record latest in the stream wins, as when `makedumpfile -R` writes
 * them in order. Each record adds at most two boundaries, so the output
 * holds at most 2n pieces (and as many as records when none overlap).
 */
static enum kho_status resolve(struct flat_index *ix, struct rec *r, size_t n,
			       struct kho_error *err)
{
	_cleanup_free_ uint32_t *slots = calloc(n ? n : 1, sizeof(*slots));
	struct heap h = { slots, 0 };
	size_t i = 0, cap = n + 1;     /* pieces: usually no more than records */
	uint64_t at = 0;

	ix->v = calloc(cap, sizeof(*ix->v));
	if (!h.v || !ix->v)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (n)
		qsort(r, n, sizeof(*r), rec_cmp);
	while (i < n || h.n) {
		const struct rec *top;
		uint64_t stop;

		if (!h.n)
			at = MAX(at, r[i].off);
		while (i < n && r[i].off <= at)
			heap_push(&h, r, (uint32_t)i++);
		while (h.n && r[h.v[0]].off + r[h.v[0]].size <= at)
			heap_pop(&h, r);
		if (!h.n)
			continue;
		top = &r[h.v[0]];
		stop = top->off + top->size;
		if (i < n && r[i].off < stop)
			stop = r[i].off;
		if (!emit(ix, &cap, at, stop - at, top->pos + (at - top->off)))
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		at = stop;
	}
	/* Records QEMU and makedumpfile interleave adjoin in the regular file
	 * but not in the stream: where each run of held bytes ends, so that
	 * flat_index_gap() is one search. */
	for (size_t k = ix->n; k-- > 0;)
		ix->v[k].held_to = k + 1 < ix->n && ix->v[k + 1].off == ix->v[k].off +
			ix->v[k].size ? ix->v[k + 1].held_to : ix->v[k].off + ix->v[k].size;
	return KHO_OK;
}

enum kho_status flat_index_build(const struct kho_source *src, struct flat_index *ix,
				 struct kho_error *err)
{
	uint64_t size = (uint64_t)src->file_size, pos = FLAT_HEADER_SIZE;
	uint8_t head[32];
	_cleanup_free_ struct rec *r = NULL;
	size_t n = 0, cap = 0;

	*ix = (struct flat_index){ .needed = 0 };
	if (pread(src->fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: the flattened file ends in "
				     "its header", src->path);
	if (memcmp(head, "makedumpfile", 13) || load_u64(head + 16, true) != 1)
		return kho_error_set(err, KHO_ERR_CORRUPT,
				     "%s: not a makedumpfile flattened file of type 1", src->path);
	for (;;) {
		uint8_t h[16];
		int64_t off, len;
		uint64_t have;

		if (pos + sizeof(h) > size) {
			ix->needed = pos + sizeof(h);     /* at least the end marker */
			break;
		}
		if (pread(src->fd, h, sizeof(h), (off_t)pos) != (ssize_t)sizeof(h))
			return kho_error_errno(err, "%s: read at 0x%llx", src->path,
					       (unsigned long long)pos);
		off = (int64_t)load_u64(h, true);
		len = (int64_t)load_u64(h + 8, true);
		if (off == -1 && len == -1) {
			ix->complete = true;
			break;
		}
		if (off < 0 || len <= 0)
			return kho_error_set(err, KHO_ERR_CORRUPT, "%s: flattened record at "
					     "file offset 0x%llx is neither data nor the end "
					     "marker (offset %lld, size %lld)", src->path,
					     (unsigned long long)pos, (long long)off,
					     (long long)len);
		if (off > INT64_MAX - len)
			return kho_error_set(err, KHO_ERR_CORRUPT,
					     "%s: flattened record at file offset 0x%llx reaches "
					     "past 2^63 (offset 0x%llx, size 0x%llx)", src->path,
					     (unsigned long long)pos, (unsigned long long)off,
					     (unsigned long long)len);
		if (n == flat_max_records)
			return kho_error_set(err, KHO_ERR_NOTIMPL,
					     "%s: more than %zu flattened records; reassemble it "
					     "first: makedumpfile -R OUT < %s", src->path,
					     flat_max_records, src->path);
		pos += sizeof(h);
		have = MIN((uint64_t)len, size - pos);
		if (have) {
			if (!ARRAY_RESERVE(r, cap, n))
				return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
			r[n++] = (struct rec){ (uint64_t)off, have, pos };
		}
		if (have < (uint64_t)len) {
			ix->needed = pos + (uint64_t)len;
			break;
		}
		pos += (uint64_t)len;
	}
	return resolve(ix, r, n, err);
}

/* Index of the first piece ending after @off. */
static size_t first_after(const struct flat_index *ix, uint64_t off)
{
	return PARTITION_POINT(ix->n, i, ix->v[i].off + ix->v[i].size <= off);
}

uint64_t flat_index_gap(const struct flat_index *ix, uint64_t off)
{
	size_t i = first_after(ix, off);

	return i < ix->n && ix->v[i].off <= off ? ix->v[i].held_to : off;
}

enum kho_status flat_index_read(const struct kho_source *src, const struct flat_index *ix,
				uint64_t off, void *buf, size_t len, int fill,
				uint64_t *missing, struct kho_error *err)
{
	uint8_t *dst = buf;
	size_t i = first_after(ix, off);

	*missing = UINT64_MAX;
	if (off + len < off)
		len = (size_t)(UINT64_MAX - off);
	while (len) {
		const struct flat_piece *p = i < ix->n ? &ix->v[i] : NULL;
		size_t n;

		if (!p || p->off > off) {
			n = p ? (size_t)MIN((uint64_t)len, p->off - off) : len;
			memset(dst, fill, n);
			if (*missing == UINT64_MAX)
				*missing = off;
		} else {
			enum kho_status st;

			/* the index was made of the file as it was: shorter now, it shrank */
			n = (size_t)MIN((uint64_t)len, p->off + p->size - off);
			if ((st = source_pread(src, dst, n, p->pos + (off - p->off), err)))
				return st;
			i++;
		}
		dst += n;
		off += n;
		len -= n;
	}
	return KHO_OK;
}
