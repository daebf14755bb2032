/* SPDX-License-Identifier: MIT */
/*
 * Inside libkho: the first bytes of many pages at once, for a scan that
 * looks at every page of a dump whose pages must be decoded (kdump).
 */
#ifndef KHO_SOURCE_HEADS_H
#define KHO_SOURCE_HEADS_H

#include "kho/source.h"

#define HEADS_MAX_BYTES 16

enum head_state {
	HEAD_NONE,      /* no data in the dump: nothing to look at */
	HEAD_OK,        /* out[] holds the page's first bytes */
	HEAD_ASK,       /* not answered here: read the page through the source */
};

/*
 * source_heads - the first @n (<= HEADS_MAX_BYTES) bytes of each of the
 * @count pages from page-aligned @phys into @out (@n bytes per page), and
 * in @state[i] an enum head_state for each. A page the batch cannot
 * answer (cut, corrupt, unusual) is HEAD_ASK, never HEAD_NONE: the caller
 * reads it through kho_source_read() and gets that path's answer.
 * returns: KHO_OK; KHO_ERR_NOTIMPL when @src reads no faster this way
 * (read page by page); KHO_ERR_SYSTEM, KHO_ERR_NOMEM.
 */
enum kho_status source_heads(struct kho_source *src, uint64_t phys, size_t count, size_t n,
			     uint8_t *out, uint8_t *state, struct kho_error *err);

#endif
