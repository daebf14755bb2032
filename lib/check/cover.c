// SPDX-License-Identifier: MIT
#include "cover.h"

#include <stdlib.h>

#include "../util/util.h"

void cover_init(struct cover *c, struct kho_inspection *in, bool keep_all)
{
	*c = (struct cover){ .keep_all = keep_all, .in = in };
	kho_findings_init(&c->later);
	in->nspans = 0;
}

void cover_free(struct cover *c)
{
	free(c->want);
	free(c->needs);
	kho_findings_free(&c->later);
}

void cover_need(struct cover *c, const struct need *x)
{
	if (!ARRAY_RESERVE(c->needs, c->needs_cap, c->nneeds) ||
	    (x->a < x->b && !ARRAY_RESERVE(c->want, c->want_cap, c->nwant))) {
		c->in->findings.oom = true;
		return;
	}
	c->needs[c->nneeds] = *x;
	c->needs[c->nneeds++].before = c->later.n;
	if (x->a < x->b)
		c->want[c->nwant++] = (struct kho_span){ x->a, x->b };
}

/* Index of the first span ending after @a. */
static size_t first_after(const struct kho_span *u, size_t n, uint64_t a)
{
	return PARTITION_POINT(n, i, u[i].end <= a);
}

uint64_t cover_first_gap(struct cover *c, uint64_t a, uint64_t b)
{
	const struct kho_span *u = c->in->spans;

	for (size_t i = first_after(u, c->in->nspans, a); i < c->in->nspans && a < b; i++) {
		if (u[i].start > a)
			return a;
		a = u[i].end;
	}
	return a < b ? a : b;
}

bool cover_meets(struct cover *c, uint64_t a, uint64_t b)
{
	size_t i = first_after(c->in->spans, c->in->nspans, a);

	return i < c->in->nspans && c->in->spans[i].start < b;
}

static int by_start(const void *x, const void *y)
{
	const struct kho_span *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

void cover_seal(struct cover *c)
{
	size_t n = 0;

	if (!c->keep_all && c->nwant) {
		qsort(c->want, c->nwant, sizeof(*c->want), by_start);
		for (size_t i = 1; i < c->nwant; i++) {
			if (c->want[i].start <= c->want[n].end)
				c->want[n].end = MAX(c->want[n].end, c->want[i].end);
			else
				c->want[++n] = c->want[i];
		}
		c->nwant = n + 1;
	}
	cover_rewind(c);
}

static void keep(struct cover *c, uint64_t start, uint64_t end)
{
	struct kho_inspection *in = c->in;

	if (!ARRAY_RESERVE(in->spans, in->spans_cap, in->nspans))
		in->findings.oom = true;
	else
		in->spans[in->nspans++] = (struct kho_span){ start, end };
}

void cover_close(struct cover *c)
{
	const struct kho_span s = c->cur;

	if (!c->open)
		return;
	c->open = false;
	if (c->keep_all)
		return keep(c, s.start, s.end);
	while (c->wi < c->nwant && c->want[c->wi].end <= s.start)
		c->wi++;
	c->want_next = c->wi < c->nwant ? c->want[c->wi].start : UINT64_MAX;
	for (size_t k = c->wi; k < c->nwant && c->want[k].start < s.end; k++)
		keep(c, MAX(s.start, c->want[k].start), MIN(s.end, c->want[k].end));
}

void cover_rewind(struct cover *c)
{
	c->in->nspans = 0;
	c->open = false;
	c->wi = 0;
	c->want_next = c->keep_all || !c->nwant ? UINT64_MAX : c->want[0].start;
}
