// SPDX-License-Identifier: MIT
/*
 * A memory source the caller reads: a debugger, a hypervisor or a live
 * system that already has the guest's or kernel's physical memory (drgn's
 * Program.read, a QEMU shared memory file, /dev/mem) verifies through
 * these callbacks without writing a dump. The ranges it describes are the
 * piece table; a read the callback refuses is an error of that read, so a
 * walker reports it as a finding, as for a dump that lacks the page.
 */
#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

struct custom {
	struct kho_memory_ops ops;
	void *ctx;
};

static enum kho_status custom_read(struct kho_source *src, uint64_t phys, void *buf,
				   size_t len, struct kho_error *err)
{
	const struct custom *c = src->priv;

	for (uint64_t at = phys, left = len; left;) {
		uint64_t run;
		enum kho_mem_state st = kho_source_state(src, at, &run);
		size_t n = (size_t)MIN(left, run ? run : left);

		if (st != KHO_MEM_PRESENT)
			return kho_error_set(err, KHO_ERR_NODATA, "0x%llx: %s",
					     (unsigned long long)at, st == KHO_MEM_EXCLUDED ?
					     "not in the memory source" : "not memory");
		if (c->ops.read(c->ctx, at, (uint8_t *)buf + (at - phys), n))
			return kho_error_set(err, KHO_ERR_NODATA, "0x%llx+0x%zx: the memory "
					     "source could not read it",
					     (unsigned long long)at, n);
		at += n;
		left -= n;
	}
	return KHO_OK;
}

static void custom_close(struct kho_source *src)
{
	struct custom *c = src->priv;

	if (c && c->ops.close)
		c->ops.close(c->ctx);
	free(c);
}

/* The caller's word on present memory: present, or not there. Anything
 * else (absent inside a range it called RAM, a value outside the enum) is
 * taken as excluded, so it is reported as not dumped, never read. */
static enum kho_mem_state custom_state(const struct kho_source *src, uint64_t phys,
				       uint64_t *run)
{
	const struct custom *c = src->priv;
	uint64_t r = 0;
	enum kho_mem_state st = c->ops.state(c->ctx, phys, &r);

	*run = r ? r : src->page_size - phys % src->page_size;
	return st == KHO_MEM_PRESENT ? st : KHO_MEM_EXCLUDED;
}

static const struct source_ops custom_ops = { .read = custom_read, .close = custom_close };
static const struct source_ops custom_state_ops = {
	.read = custom_read, .close = custom_close, .state = custom_state,
};

KHO_EXPORT enum kho_status kho_source_open_memory(const struct kho_memory_ops *ops, void *ctx,
						  const struct kho_memory_desc *d,
						  struct kho_source **out, struct kho_error *err)
{
	struct kho_source *src;
	_cleanup_free_ struct segment *segs = NULL;
	struct custom *c = NULL;
	enum kho_status st;
	size_t n = 0;

	*out = NULL;
	if (!ops || !ops->read || !d || !d->nranges || !d->ranges)
		return kho_error_set(err, KHO_ERR_INVALID, "a memory source needs a read "
				     "callback and at least one range");
	if (d->page_size && !page_size_valid(d->page_size))
		return kho_error_set(err, KHO_ERR_INVALID, "page size %llu is not a power of "
				     "two from 4K to 64K", (unsigned long long)d->page_size);
	/* from here on kho_source_close() releases what there is */
	segs = calloc(d->nranges, sizeof(*segs));
	if ((src = calloc(1, sizeof(*src)))) {
		src->fd = -1;
		src->cut_phys = UINT64_MAX;
		src->ops = ops->state ? &custom_state_ops : &custom_ops;
		src->priv = c = calloc(1, sizeof(*c));
		src->path = strdup(d->name ? d->name : "(memory source)");
	}
	if (!segs || !c || !src->path) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto fail;
	}
	c->ops = *ops;
	c->ctx = ctx;
	src->kind = KHO_KIND_MEMORY;
	src->format = "memory";
	src->big_endian = d->big_endian;
	snprintf(src->arch, sizeof(src->arch), "%s", d->arch ? d->arch : "");
	/* Absent ranges are simply not described; excluded ones have no bytes. */
	for (size_t i = 0; i < d->nranges; i++) {
		const struct kho_mem_range *r = &d->ranges[i];

		if (r->state == KHO_MEM_ABSENT || !r->size)
			continue;
		if (r->start + r->size < r->start) {
			st = kho_error_set(err, KHO_ERR_INVALID, "range 0x%llx+0x%llx wraps",
					   (unsigned long long)r->start, (unsigned long long)r->size);
			goto fail;
		}
		/* A file offset equal to the address: reads go to the callback. */
		segs[n++] = (struct segment){ r->start, r->size,
					      r->state == KHO_MEM_PRESENT ? r->size : 0,
					      r->start };
	}
	if ((st = source_set_segments(src, segs, n, err)))
		goto fail;
	src->page_size = d->page_size ? d->page_size : 4096;
	src->page_size_assumed = !d->page_size;
	*out = src;
	return KHO_OK;
fail:
	kho_source_close(src);
	return st;
}
