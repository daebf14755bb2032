// SPDX-License-Identifier: MIT
/* The discovery policy: which KHO FDT candidates to inspect, and why
 * (kho_select() in kho/handover.h says why none is out-voted; copies of
 * one FDT come from kexec segments). */
#include "kho/handover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kho/map.h"
#include "../util/util.h"
#include "stale.h"

static enum kho_self self_of(struct kho_source *src, const struct kho_candidate *c)
{
	struct kho_compat compat;
	struct kho_geometry geo;
	struct kho_error err;
	int r;

	if (!*c->compatible ||
	    kho_compat_parse(c->compatible, strlen(c->compatible) + 1, &compat, &err) ||
	    !compat.abi->fdt_preserved || compat.abi->map_format != KHO_MAP_RADIX ||
	    kho_geometry_init(&geo, kho_source_page_size(src), false))
		return KHO_SELF_UNKNOWN;
	if (!c->map_phys)
		return KHO_SELF_NO;
	r = kho_radix_lookup(src, &geo, c->map_phys, kho_key_encode(&geo, c->phys, 0));
	return r < 0 ? KHO_SELF_UNKNOWN : r ? KHO_SELF_YES : KHO_SELF_NO;
}

static const char *self_words(const struct kho_candidate *c)
{
	enum kho_self s = c->self_preserved;

	if (c->damaged)
		return "its FDT header or structure fails: a damaged KHO FDT, maybe the live one";
	return s == KHO_SELF_YES ? "it preserves its own page" :
	       s == KHO_SELF_NO ? "it does not preserve its own page" :
	       "whether it preserves its own page cannot be told";
}

/* Whether @a and @b are byte-for-byte the same FDT. */
static bool same_fdt(const struct kho_candidate *a, const struct kho_candidate *b)
{
	return a->digest == b->digest && a->size == b->size && a->map_phys == b->map_phys &&
	       !strcmp(a->compatible, b->compatible);
}

/* The one of @c[i]'s copies that stands for them: the first that
 * preserves itself, else the first. */
static size_t representative(const struct kho_candidate *c, size_t n, size_t i)
{
	size_t first = n;

	for (size_t j = 0; j < n; j++) {
		if (!same_fdt(&c[j], &c[i]))
			continue;
		if (c[j].self_preserved == KHO_SELF_YES)
			return j;
		if (first == n)
			first = j;
	}
	return first;
}

#define CONSUMED_TAIL "consumed: only its FDT, kexec-metadata and memblock are checked"

static void chosen_by_user(struct kho_candidate *c, size_t n, const struct kho_select_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		bool incoming = o->incoming_fdt && c[i].phys == o->incoming_fdt;
		const char *what = incoming ? "the incoming handover (kho_in.fdt_phys)" :
				   o->incoming_fdt ? "stale: neither the outgoing nor the "
						     "incoming handover" : NULL;

		/* --vmlinux: kho_in.fdt_phys, while the kernel has made its own handover */
		c[i].consumed = incoming && c[i].phys != o->chosen;
		c[i].inspect = c[i].consumed || c[i].phys == o->chosen ||
			       (o->all && !c[i].possibly_overwritten);
		if (c[i].consumed)
			snprintf(c[i].why, sizeof(c[i].why), "%s, which the kernel freed before it "
				 "made its own (kho_out.fdt): " CONSUMED_TAIL, what);
		else if (c[i].phys == o->chosen)
			snprintf(c[i].why, sizeof(c[i].why), "named by %s", o->chosen_by);
		else if (c[i].possibly_overwritten)
			snprintf(c[i].why, sizeof(c[i].why), "stale, possibly overwritten: its 1 GiB "
				 "block holds nothing the incoming handover preserves, so the 7.3+ "
				 "kernel could use it as scratch; not inspected (--fdt 0x%llx forces it)",
				 HEX(c[i].phys));
		else if (o->all)
			snprintf(c[i].why, sizeof(c[i].why), "--all%s%s", what ? "; " : "",
				 what ? what : "");
		else if (what)
			snprintf(c[i].why, sizeof(c[i].why), "not inspected: %s (--all or --fdt "
				 "0x%llx inspects it)", what, HEX(c[i].phys));
		else
			snprintf(c[i].why, sizeof(c[i].why), "not inspected: %s named 0x%llx "
				 "(--fdt 0x%llx inspects this one)", o->chosen_by, HEX(o->chosen),
				 HEX(c[i].phys));
	}
}

/*
 * Without symbols: a representative whose kexec-metadata count is one
 * below that of another that preserves itself is that kernel's incoming
 * handover (chain.c), if its own map no longer holds its FDT page (the
 * successor freed that tree and does not preserve the page again). One
 * that still preserves itself is inspected whole: a live handover beside
 * a stale one of another kexec chain is never taken for consumed.
 * returns: how many were labelled.
 */
static size_t consumed_by_chain(struct kho_source *src, struct kho_candidate *c, size_t n,
				const bool *rep)
{
	_cleanup_free_ uint32_t *count = calloc(n ? n : 1, sizeof(*count));
	_cleanup_free_ bool *known = calloc(n ? n : 1, sizeof(*known));
	size_t labelled = 0;

	if (!count || !known)
		return 0;
	for (size_t i = 0; i < n; i++)
		known[i] = rep[i] && !c[i].damaged &&
			   kho_candidate_kexec_count(src, &c[i], &count[i]);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n && known[i] && c[i].self_preserved != KHO_SELF_YES; j++) {
			if (!known[j] || c[j].self_preserved != KHO_SELF_YES ||
			    count[j] != count[i] + 1)
				continue;
			c[i].consumed = true;
			labelled++;
			snprintf(c[i].why, sizeof(c[i].why), "the incoming handover of the kernel that "
				 "wrote 0x%llx (kexec #%u, then #%u), " CONSUMED_TAIL,
				 HEX(c[j].phys), count[i], count[j]);
			break;
		}
	return labelled;
}

static void ambiguous(const struct kho_candidate *c, const size_t *order, size_t norder,
		      struct kho_anomalies *a)
{
	char list[160];
	size_t len = 0;

	for (size_t k = 0; k < norder && len < sizeof(list) - 1; k++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s0x%llx", k ? ", " : "",
					HEX(c[order[k]].phys));
	kho_anomaly(a, KHO_AN_HANDOVER_AMBIGUOUS, c[order[0]].phys,
		    "%zu KHO FDTs could each be the handover and nothing chose one, so all are "
		    "inspected: %s; --fdt ADDR, --vmlinux, --boot-params or --dtb chooses",
		    norder, list);
}

enum kho_status kho_select(struct kho_source *src, struct kho_candidate *c, size_t n,
			   const struct kho_select_opts *o, struct kho_anomalies *a,
			   size_t *order, size_t *norder, struct kho_error *err)
{
	size_t distinct = 0;

	*norder = 0;
	for (size_t i = 0; i < n; i++) {
		c[i].self_preserved = self_of(src, &c[i]);
		c[i].inspect = false;
		c[i].why[0] = '\0';
		c[i].possibly_overwritten = false;
		c[i].consumed = false;
	}
	if (o->chosen_by) {
		enum kho_status st = kho_label_stale(src, c, n, o, err);

		if (st)
			return st;
		chosen_by_user(c, n, o);
	} else {
		_cleanup_free_ bool *rep = calloc(n ? n : 1, sizeof(*rep));

		if (!rep)
			return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		for (size_t i = 0; i < n; i++)
			distinct += rep[i] = representative(c, n, i) == i;
		distinct -= consumed_by_chain(src, c, n, rep);
		for (size_t i = 0; i < n; i++) {
			size_t r = representative(c, n, i);

			c[i].inspect = r == i || o->all;
			if (c[i].consumed)
				continue;
			if (r != i)
				snprintf(c[i].why, sizeof(c[i].why), "%s: a copy of the FDT at 0x%llx",
					 o->all ? "inspected (--all)" : "not inspected", HEX(c[r].phys));
			else if (distinct == 1)
				snprintf(c[i].why, sizeof(c[i].why), "the only KHO FDT in the dump%s; "
					 "%s", n > 1 ? " but for copies and consumed ones" : "",
					 self_words(&c[i]));
			else
				snprintf(c[i].why, sizeof(c[i].why), "one of %zu that could be the "
					 "handover; %s", distinct, self_words(&c[i]));
		}
	}
	/* Those that preserve themselves first (the likely outgoing one),
	 * then by address; consumed ones last. */
	for (int pass = 0; pass < 3; pass++)
		for (size_t i = 0; i < n; i++)
			if (c[i].inspect && (pass == 2 ? c[i].consumed : !c[i].consumed &&
					     (c[i].self_preserved == KHO_SELF_YES) == !pass))
				order[(*norder)++] = i;
	for (size_t k = 0; k < *norder; k++)
		if (c[order[k]].consumed)
			kho_anomaly(a, KHO_AN_HANDOVER_CONSUMED, c[order[k]].phys, "the KHO FDT at "
				    "0x%llx is %s", HEX(c[order[k]].phys), c[order[k]].why);
	if (!o->chosen_by && distinct > 1) {
		size_t live = 0;      /* consumed ones come last and are no rival */

		while (live < *norder && !c[order[live]].consumed)
			live++;
		ambiguous(c, order, live, a);
	}
	if (a->oom)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	return KHO_OK;
}
