/* SPDX-License-Identifier: MIT */
/*
 * What must be preserved, and how: the coverage checks run once, before
 * the merge, and leave a list of needs (this range preserved, a key of
 * this order starting here, this page apart from preserved memory) with
 * the findings that need no map deferred between them. The merge keeps
 * the union only where needs look (storing all of it costs a span per
 * gap, a million for a sparse tree); then the needs are answered, and
 * the findings given, in the order the checks recorded them.
 */
#ifndef KHO_CHECK_COVER_H
#define KHO_CHECK_COVER_H

#include "kho/verify.h"

/* "sub-node WHO: WHAT[ NAME| INDEX]", or "PRE WHAT" without WHO. */
struct need {
	uint64_t a, b, len;           /* [a, b) must be preserved; len as told */
	const char *who, *pre, *what, *name;
	long long index;              /* -1: none */
	/* once covered, a key must start at a: of this order, of any (-1),
	 * or none asked (NEED_NO_KEY) */
	int key;
	/* a gap is reported as this (KHO_CHECK_COUNT: not at all); as
	 * radix-node-preserved, the range must rather not meet the union */
	enum kho_check_id check;
	size_t before;                /* deferred findings recorded before it */
};
#define NEED_NO_KEY (-2)

struct cover {
	bool keep_all;            /* keep the whole union (no questions asked) */
	struct need *needs;
	size_t nneeds, needs_cap;
	struct kho_findings later;   /* findings deferred until the needs are answered */
	struct kho_span *want;    /* where they look: sorted and merged by cover_seal */
	size_t nwant, want_cap, wi;
	uint64_t want_next;       /* where the next one starts (UINT64_MAX: none) */
	bool open;                /* the union span being built */
	struct kho_span cur;
	struct kho_inspection *in;   /* the union goes to in->spans */
};

void cover_init(struct cover *c, struct kho_inspection *in, bool keep_all);
void cover_free(struct cover *c);

/* The first byte of [@a, @b) that is not preserved, or @b. */
uint64_t cover_first_gap(struct cover *c, uint64_t a, uint64_t b);
/* Whether [@a, @b) meets preserved memory. */
bool cover_meets(struct cover *c, uint64_t a, uint64_t b);

/* cover_need - record @x (where it looks, and what is asked). */
void cover_need(struct cover *c, const struct need *x);
/* Where the needs look, sorted and merged: the merge may start. */
void cover_seal(struct cover *c);
/* After the merge: the needs answered and the deferred findings given, in
 * the order they were recorded, into @f. */
void cover_answer(struct kho_source *src, struct cover *c, struct kho_findings *f);
/* The span being built, if any, is finished: it is kept, or the parts of
 * it where the needs look. The merge calls it once more when done. */
void cover_close(struct cover *c);

/* The merge adds [@start, @end) of preserved memory, by ascending start. */
static inline void cover_add(struct cover *c, uint64_t start, uint64_t end)
{
	if (c->open && start <= c->cur.end) {
		if (end > c->cur.end)
			c->cur.end = end;
		return;
	}
	/* A span that ends before anything is asked about is not kept. */
	if (c->open && (c->keep_all || c->cur.end > c->want_next))
		cover_close(c);
	c->open = true;
	c->cur = (struct kho_span){ start, end };
}
/* Forget what was added since cover_seal(): the union starts again. */
void cover_rewind(struct cover *c);

#endif
