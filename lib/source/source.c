// SPDX-License-Identifier: MIT
/*
 * Opening a source (format by content, one table of backends), and what
 * every backend shares: the piece table, reads through it (pread, never a
 * mapping), hole skipping.
 */
#include "kho/handover.h"   /* kho_source_block_size() */
#include "source_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/util.h"
#include "heads.h"

static const char *const kind_names[] = {
	[KHO_KIND_RAW] = "raw", [KHO_KIND_VMCORE] = "vmcore", [KHO_KIND_KCORE] = "kcore",
	[KHO_KIND_QEMU] = "qemu", [KHO_KIND_KDUMP] = "kdump", [KHO_KIND_MEMORY] = "memory",
};

KHO_EXPORT const char *kho_source_kind_name(enum kho_source_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "unknown";
}

/* Every format: how its first bytes are recognised and how it is opened. */
struct source_backend {
	enum kho_format format;
	const char *magic[2];   /* signatures at offset 0 (either); none: probe() */
	enum kho_status (*open)(struct kho_source *src, const struct kho_source_opts *o,
				struct kho_error *err);
};

/* Signatures first, the guess last; within a format, its default last. */
static const struct source_backend backends[] = {
	{ KHO_FORMAT_ELF, { "\177ELF" }, source_open_elf },
	{ KHO_FORMAT_KDUMP, { "makedumpfile" }, source_open_flat },
	{ KHO_FORMAT_KDUMP, { "KDUMP   ", "DISKDUMP" }, source_open_diskdump },
	{ KHO_FORMAT_RAW, { NULL }, source_open_raw },
};

/* Whether @b reads a file of @size bytes whose first @n bytes are @h. */
static bool probe(const struct source_backend *b, const uint8_t *h, size_t n, uint64_t size)
{
	/* No signature: a raw image is the only page-granular guess. */
	if (!b->magic[0])
		return size > 0 && size % 4096 == 0;
	for (size_t i = 0; i < ARRAY_SIZE(b->magic) && b->magic[i]; i++)
		if (n >= strlen(b->magic[i]) && !memcmp(h, b->magic[i], strlen(b->magic[i])))
			return true;
	return false;
}

/* The first backend whose probe accepts @src's first bytes, within @fmt
 * unless it is AUTO; a format asked for that none accepts gets its last. */
static enum kho_status pick(struct kho_source *src, enum kho_format fmt,
			    const struct source_backend **out, struct kho_error *err)
{
	uint8_t head[16] = { 0 };
	ssize_t n = pread(src->fd, head, sizeof(head), 0);

	*out = NULL;
	if (n < 0)
		return kho_error_errno(err, "%s: read", src->path);
	if (n == 0 && fmt == KHO_FORMAT_AUTO)
		return kho_error_set(err, KHO_ERR_CORRUPT, "%s: empty file (no memory to inspect)",
				     src->path);
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		if (fmt != KHO_FORMAT_AUTO && backends[i].format != fmt)
			continue;
		*out = &backends[i];
		if (probe(&backends[i], head, (size_t)n, (uint64_t)src->file_size))
			return KHO_OK;
	}
	if (fmt != KHO_FORMAT_AUTO && *out)
		return KHO_OK;      /* forced: the format's default reader says what is wrong */
	return kho_error_set(err, KHO_ERR_NOTIMPL,
			     "%s: unknown format (not ELF, not kdump, not a "
			     "page-granular raw image; use --format raw to force)",
			     src->path);
}

KHO_EXPORT enum kho_status kho_source_open(const char *path,
					   const struct kho_source_opts *opts,
					   struct kho_source **out,
					   struct kho_error *err)
{
	struct kho_source_opts o = opts ? *opts : (struct kho_source_opts){ 0 };
	const struct source_backend *b;
	struct kho_source *src;
	enum kho_status st;
	struct stat sb;

	*out = NULL;
	if (o.page_size && !page_size_valid(o.page_size))
		return kho_error_set(err, KHO_ERR_INVALID,
				     "page size %llu is not a power of two from 4K to 64K",
				     (unsigned long long)o.page_size);
	src = calloc(1, sizeof(*src));
	if (!src || !(src->path = strdup(path))) {
		free(src);
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	src->cut_phys = UINT64_MAX;
	src->threads = 1;
	src->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (src->fd < 0 || fstat(src->fd, &sb)) {
		st = kho_error_errno(err, "%s", path);
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		st = kho_error_set(err, KHO_ERR_INVALID, "%s: is a directory", path);
		goto fail;
	}
	src->file_size = sb.st_size;
	if ((st = pick(src, o.format, &b, err)) || (st = b->open(src, &o, err)))
		goto fail;
	/*
	 * --page-size, else VMCOREINFO's PAGESIZE (the kernel's own word),
	 * else what the format says. A kdump's block size is only how the
	 * file is laid out: QEMU writes arm64 guests' kdumps in 64 KiB blocks
	 * whatever their page size, so PAGESIZE wins over it (the readers keep
	 * their blocks for the layout).
	 */
	if (o.page_size)
		src->page_size = o.page_size;
	else if (source_vmcoreinfo_page_size(src)) {
		if (src->page_size && src->page_size != source_vmcoreinfo_page_size(src))
			src->block_size = src->page_size;   /* said, not hidden */
		src->page_size = source_vmcoreinfo_page_size(src);
	} else if (!src->page_size) {
		src->page_size = 4096;
		src->page_size_assumed = true;
	}
	*out = src;
	return KHO_OK;
fail:
	kho_source_close(src);
	return st;
}

KHO_EXPORT void kho_source_close(struct kho_source *src)
{
	if (!src)
		return;
	if (src->ops && src->ops->close)
		src->ops->close(src);
	free(src->window);
	free(src->window2);
	free(src->cache.buf);
	free(src->uniform.v);
	if (src->fd >= 0)
		close(src->fd);
	free(src->pieces);
	free(src->ranges);
	free(src->vsegs);
	free(src->vmcoreinfo);
	free(src->path);
	free(src);
}

enum kho_status source_pread(const struct kho_source *src, void *buf, size_t len,
			     uint64_t off, struct kho_error *err)
{
	uint8_t *dst = buf;

	while (len) {
		ssize_t r = pread(src->fd, dst, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return kho_error_errno(err, "%s: read at 0x%llx", src->path,
					       (unsigned long long)off);
		if (r == 0)
			return kho_error_set(err, KHO_ERR_SYSTEM, "%s: the file shrank while "
					     "open: it ends before offset 0x%llx, which it held",
					     src->path, (unsigned long long)off);
		dst += r;
		off += (uint64_t)r;
		len -= (size_t)r;
	}
	return KHO_OK;
}

/* Keep the first I/O failure: a caller that took a read error for a
 * finding still learns that the file itself failed. */
static enum kho_status noted(struct kho_source *src, enum kho_status st,
			     const struct kho_error *err)
{
	if (st == KHO_ERR_SYSTEM && !src->io_err.status)
		src->io_err = *err;
	return st;
}

KHO_EXPORT enum kho_status kho_source_status(const struct kho_source *src,
					     struct kho_error *err)
{
	if (src->io_err.status && err)
		*err = src->io_err;
	return src->io_err.status;
}

KHO_EXPORT enum kho_source_kind kho_source_kind(const struct kho_source *src)
{
	return src->kind;
}

KHO_EXPORT const char *kho_source_format_name(const struct kho_source *src)
{
	return src->format;
}

KHO_EXPORT const char *kho_source_path(const struct kho_source *src)
{
	return src->path;
}

KHO_EXPORT bool kho_source_truncated(const struct kho_source *src, uint64_t *size,
				     uint64_t *phys)
{
	if (src->needed_size <= (uint64_t)src->file_size)
		return false;
	PUT_OPT(size, src->needed_size);
	PUT_OPT(phys, src->cut_phys);
	return true;
}

KHO_EXPORT uint64_t kho_source_page_size(const struct kho_source *src)
{
	return src->page_size;
}

uint64_t kho_source_block_size(const struct kho_source *src)
{
	return src->block_size;
}

KHO_EXPORT bool kho_source_page_size_assumed(const struct kho_source *src)
{
	return src->page_size_assumed;
}

KHO_EXPORT bool kho_source_big_endian(const struct kho_source *src)
{
	return src->big_endian;
}

KHO_EXPORT const char *kho_source_arch(const struct kho_source *src)
{
	return src->arch;
}

KHO_EXPORT const struct kho_mem_range *kho_source_map_ranges(const struct kho_source *src,
							     size_t *n)
{
	*n = src->npieces;
	return src->ranges;
}

const struct piece *source_find_piece(const struct kho_source *src, uint64_t phys,
				      size_t *next)
{
	size_t lo = PARTITION_POINT(src->npieces, i,
				    src->pieces[i].phys + src->pieces[i].size <= phys);

	*next = lo;
	if (lo < src->npieces && src->pieces[lo].phys <= phys)
		return &src->pieces[lo];
	return NULL;
}

KHO_EXPORT enum kho_mem_state kho_source_state(const struct kho_source *src,
					       uint64_t phys, uint64_t *run)
{
	size_t next;
	const struct piece *p = source_find_piece(src, phys, &next);

	if (p) {
		uint64_t left = p->phys + p->size - phys, r = left;
		enum kho_mem_state st = p->state;

		if (st == KHO_MEM_PRESENT && src->ops->state)
			st = src->ops->state(src, phys, &r);
		PUT_OPT(run, MIN(r, left));
		return st;
	}
	PUT_OPT(run, next < src->npieces ? src->pieces[next].phys - phys : -phys);
	return KHO_MEM_ABSENT;
}

KHO_EXPORT enum kho_status kho_source_read(struct kho_source *src, uint64_t phys,
					   void *buf, size_t len, struct kho_error *err)
{
	uint8_t *dst = buf;
	enum kho_status st = KHO_OK;

	if (len && phys + len - 1 < phys)
		return kho_error_set(err, KHO_ERR_NODATA,
				     "0x%llx+0x%zx wraps around the address space",
				     (unsigned long long)phys, len);
	if (src->ops->read)
		return noted(src, src->ops->read(src, phys, buf, len, err), err);
	if (uniform_fill(src, phys, buf, len))
		return KHO_OK;
	while (len) {
		size_t next, n;
		const struct piece *p = source_find_piece(src, phys, &next);

		if (!p || p->state != KHO_MEM_PRESENT) {
			uint64_t stop = p ? p->phys + p->size :
				next < src->npieces ? src->pieces[next].phys : phys + len;

			n = (size_t)MIN((uint64_t)len, stop - phys);
			memset(dst, 0, n);
			if (!st)
				st = kho_error_set(err, KHO_ERR_NODATA, "0x%llx: %s",
						   (unsigned long long)phys,
						   p ? "not in the dump" :
						   "not memory the dump describes");
		} else {
			uint64_t off = p->offset + (phys - p->phys);
			enum kho_status rs;

			n = (size_t)MIN((uint64_t)len, p->phys + p->size - phys);
			if ((rs = source_cached_pread(src, dst, n, off, err)))
				return noted(src, rs, err);
		}
		dst += n;
		phys += n;
		len -= n;
	}
	return st;
}

KHO_EXPORT const void *kho_source_map(struct kho_source *src, uint64_t phys, size_t len)
{
	return NULL;
}

KHO_EXPORT bool kho_source_next_data(struct kho_source *src, uint64_t phys, uint64_t *out,
				     uint64_t *run)
{
	size_t i;

	if (src->ops->next_data)
		return src->ops->next_data(src, phys, out, run);
	source_find_piece(src, phys, &i);     /* i: the piece holding @phys, or the next */
	for (; i < src->npieces; i++) {
		const struct piece *q = &src->pieces[i];
		uint64_t start = MAX(phys, q->phys), off;
		off_t data;

		if (q->state != KHO_MEM_PRESENT)
			continue;
		*run = q->phys + q->size - start;
		if (src->ops->read) {      /* no file layout to consult */
			*out = start;
			return true;
		}
		off = q->offset + (start - q->phys);
		data = lseek(src->fd, (off_t)off, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			return false;     /* no data anywhere after off */
		if (data < 0 || (uint64_t)data < off) {
			*out = start;     /* SEEK_DATA unsupported: assume data */
			return true;
		}
		if ((uint64_t)data < q->offset + q->size) {
			off_t hole = lseek(src->fd, data, SEEK_HOLE);
			uint64_t stop = q->offset + q->size;

			if (hole > data && (uint64_t)hole < stop)
				stop = (uint64_t)hole;
			*out = q->phys + ((uint64_t)data - q->offset);
			*run = stop - (uint64_t)data;
			return true;
		}
	}
	return false;
}

KHO_EXPORT bool kho_source_virt_to_phys(const struct kho_source *src, uint64_t vaddr,
				       uint64_t *phys)
{
	/* Few segments carry a kernel mapping; a linear search is enough. */
	for (size_t i = 0; i < src->nvsegs; i++) {
		const struct segment *s = &src->vsegs[i];

		if (vaddr >= s->phys && vaddr - s->phys < s->memsz) {
			*phys = s->offset + (vaddr - s->phys);
			return true;
		}
	}
	return false;
}

KHO_EXPORT void kho_source_release(struct kho_source *src, uint64_t phys, uint64_t len)
{
}

enum kho_status source_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			     uint8_t *out, uint8_t *state, struct kho_error *err)
{
	if (!src->ops->heads || n > HEADS_MAX_BYTES || phys % src->page_size)
		return kho_error_set(err, KHO_ERR_NOTIMPL, "no batch reader");
	return noted(src, src->ops->heads(src, phys, count, n, out, state, err), err);
}

KHO_EXPORT void kho_source_set_threads(struct kho_source *src, unsigned threads)
{
	src->threads = threads > 1 ? threads : 1;
}

void kho_source_try_page_size(struct kho_source *src, uint64_t size)
{
	src->page_size = size;
}
