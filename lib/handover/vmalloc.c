// SPDX-License-Identifier: MIT
/*
 * The chunk chain of a struct kho_vmalloc (6.17+; kho-abi.md §6): one
 * page per chunk, `u64 next` and then a 0-terminated array of run
 * addresses, each the start of 1 << order pages. Used by the sub-blob
 * checks and by LUO's memfd folio arrays; the callers turn what the walk
 * meets into their own anomalies or findings.
 */
#include "kho/handover.h"

#include <stdlib.h>

#include "../util/util.h"

void kho_vmalloc_parse(const void *p, bool be, struct kho_vmalloc_desc *v)
{
	const uint8_t *b = p;

	v->first = load_u64(b, be);
	v->total_pages = load_u32(b + 8, be);
	v->flags = (uint16_t)(be ? b[12] << 8 | b[13] : b[13] << 8 | b[12]);
	v->order = (uint16_t)(be ? b[14] << 8 | b[15] : b[15] << 8 | b[14]);
}

static void problem(const struct kho_vmalloc_visitor *v, enum kho_vmalloc_problem what,
		    uint64_t at, uint64_t value)
{
	if (v->problem)
		v->problem(v->ctx, what, at, value);
}

bool kho_vmalloc_walk(struct kho_source *src, uint64_t origin, uint64_t first,
		      unsigned order, const struct kho_vmalloc_visitor *v, bool *oom)
{
	uint64_t page = kho_source_page_size(src), per_chunk = page / 8 - 1, run;
	uint64_t chunk = first, holder = origin;
	bool be = kho_source_big_endian(src);
	_cleanup_free_ uint8_t *buf = malloc(page);
	struct kho_error e;
	size_t hops = 0;

	if (!buf) {
		*oom = true;
		return false;
	}
	while (chunk) {
		/* A chain longer than the dump has pages must loop. */
		if (++hops > (1u << 20) || chunk == origin) {
			problem(v, KHO_VM_LOOP, holder, chunk);
			return false;
		}
		if (!is_aligned(chunk, page) || chunk >> 63 ||
		    kho_source_state(src, chunk, &run) == KHO_MEM_ABSENT) {
			problem(v, KHO_VM_BAD_CHUNK, holder, chunk);
			return false;
		}
		/* Memory, but not in the dump: the rest of the chain is unknown. */
		if (kho_source_read(src, chunk, buf, page, &e)) {
			problem(v, KHO_VM_UNREADABLE, chunk, chunk);
			if (v->chunk)
				v->chunk(v->ctx, chunk);
			return false;
		}
		if (v->chunk && !v->chunk(v->ctx, chunk))
			return false;
		for (uint64_t i = 0; i < per_chunk; i++) {
			uint64_t p = load_u64(buf + 8 + i * 8, be);

			if (!p)
				break;
			if (!is_aligned(p, page << order) || p >> 63)
				problem(v, KHO_VM_BAD_RUN, chunk + 8 + i * 8, p);
			else
				v->run(v->ctx, chunk + 8 + i * 8, p);
		}
		holder = chunk;
		chunk = load_u64(buf, be);
		if (chunk == holder) {
			problem(v, KHO_VM_SELF, holder, chunk);
			return false;
		}
	}
	return true;
}
