/* SPDX-License-Identifier: MIT */
/*
 * What the coverage checks ask of the union of preserved memory: is
 * [a, b) all preserved (the first byte that is not), does it meet any of
 * it. Storing the whole union costs a span per gap, a million for a
 * sparse tree, so the questions are asked twice: once to collect where
 * they look (nothing is answered, findings are thrown away), then, after
 * the merge has kept the union only there, to answer them.
 */
#ifndef KHO_CHECK_COVER_H
#define KHO_CHECK_COVER_H

#include "kho/verify.h"

struct cover {
	bool collecting;          /* first round: record where questions look */
	bool keep_all;            /* keep the whole union (no questions asked) */
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

/* End of the first round: where the questions look, sorted and merged. */
void cover_seal(struct cover *c);
void cover_finish(struct cover *c);

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
		cover_finish(c);
	c->open = true;
	c->cur = (struct kho_span){ start, end };
}
/* The merge is done. */
void cover_close(struct cover *c);
/* Forget what was added since cover_seal(): the union starts again. */
void cover_rewind(struct cover *c);

#endif
