// SPDX-License-Identifier: MIT
/*
 * The discovery session (kho/session.h): what kho-inspect, the report
 * API and the model API run on a dump before anything is printed. Every
 * "could not inspect" message is composed here, as the tool prints it.
 */
#include "kho/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

/*
 * @err of an inspection of @o->path: named after the dump unless it is
 * about another file the caller gave (--vmlinux, --dtb, --fdt-file),
 * whose messages start with that file's name.
 */
static enum kho_status fail_in(const struct kho_session_opts *o, const char *path,
			       struct kho_error *err)
{
	const char *other[] = { o->vmlinux, o->dtb, o->verify.fdt_file };

	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++)
		if (other[i] && !strncmp(err->msg, other[i], strlen(other[i])) &&
		    err->msg[strlen(other[i])] == ':')
			return err->status;
	return kho_error_prepend(err, "%s", path);
}

/*
 * --fdt ADDR names a page the caller believes holds the FDT: one that
 * does not start with the FDT magic is a mistake in what was asked, not a
 * finding about the dump. An unreadable page is kho_inspect()'s to report.
 */
static enum kho_status check_named_fdt(struct kho_session *s, uint64_t phys,
				       struct kho_error *err)
{
	struct kho_error rerr = { 0 };
	uint8_t magic[4];

	if (phys == KHO_FDT_PHYS_UNKNOWN || kho_source_read(s->src, phys, magic, 4, &rerr))
		return KHO_OK;
	if (magic[0] == 0xd0 && magic[1] == 0x0d && magic[2] == 0xfe && magic[3] == 0xed)
		return KHO_OK;
	return kho_error_set(err, KHO_ERR_INVALID, "%s: --fdt 0x%llx: no FDT there (it starts "
			     "%02x %02x %02x %02x, an FDT d0 0d fe ed); kho-inspect scan %s lists "
			     "the KHO FDTs", s->path, HEX(phys), magic[0], magic[1], magic[2],
			     magic[3], s->path);
}

/* The candidates when something named the handover: it, and the
 * incoming one --vmlinux found in kho_in. */
static enum kho_status told_candidates(struct kho_session *s, uint64_t chosen,
				       uint64_t incoming, struct kho_error *err)
{
	struct kho_error rerr = { 0 };

	s->cands = calloc(2, sizeof(*s->cands));
	if (!s->cands)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	/* An unreadable page is kho_inspect()'s to report. */
	if (chosen == KHO_FDT_PHYS_UNKNOWN)
		s->cands[s->ncands++] = (struct kho_candidate){ .phys = chosen,
								.self_preserved = KHO_SELF_UNKNOWN };
	else
		kho_candidate_at(s->src, chosen, &s->cands[s->ncands++], &rerr);
	if (incoming && incoming != chosen)
		kho_candidate_at(s->src, incoming, &s->cands[s->ncands++], &rerr);
	return KHO_OK;
}

/*
 * 7.3+ with the incoming tree known: the other KHO FDTs in the dump too,
 * so that kho_select() can say which stale ones the incoming kernel's
 * extended scratch may have overwritten.
 */
static enum kho_status stale_candidates(const struct kho_session_opts *o,
					struct kho_session *s, struct kho_error *err)
{
	struct kho_candidate *found = NULL, *all;
	size_t nfound = 0;

	if (kho_scan(s->src, &found, &nfound, o->progress, o->progress_ctx, err))
		return kho_error_prepend(err, "%s", s->path);
	all = realloc(s->cands, (s->ncands + nfound) * sizeof(*all));
	if (!all) {
		free(found);
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	}
	s->cands = all;
	for (size_t i = 0; i < nfound; i++) {
		bool known = false;

		for (size_t k = 0; k < s->ncands && !known; k++)
			known = s->cands[k].phys == found[i].phys;
		if (!known)
			s->cands[s->ncands++] = found[i];
	}
	free(found);
	return KHO_OK;
}

/*
 * The dump does not say its page size: read it at the one its handover
 * reads consistently with (kho_detect_page_size). A caller's source too:
 * a memory source of a 16 KiB kernel read at 4096 is a tree of errors.
 */
static enum kho_status detect_page_size(const struct kho_session_opts *o,
					struct kho_session *s, struct kho_error *err)
{
	const struct kho_page_size_probe *p = &s->probe;
	uint64_t raw_base = o->src_opts ? o->src_opts->raw_base : 0;

	/* what it scans is kept: the dump is not scanned again (scanned_at) */
	if (kho_detect_page_size(s->src, raw_base, o->have_fdt ? o->fdt : 0, &s->probe, err))
		return err->status;
	s->have_scanned = !o->have_fdt;
	if (p->n > 1)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the dump does not record its page "
				     "size, and its handover reads consistently with %llu and %llu "
				     "bytes: give --page-size", s->path, HEX(p->sizes[0]),
				     HEX(p->sizes[1]));
	s->page_size_from = p->n ? "detected" : "assumed";
	if (p->n)
		kho_source_try_page_size(s->src, p->sizes[0]);
	return KHO_OK;
}

/*
 * No page size reads the handover cleanly: what each gave, and the one
 * fix that fits. A root outside a raw image is a forgotten --raw-base;
 * when only one size finds the FDT at all, that size.
 */
static enum kho_status no_page_size(struct kho_session *s, struct kho_error *err)
{
	const struct kho_page_size_probe *p = &s->probe;
	char one[24] = "";

	if (p->root_outside)
		return kho_error_set(err, KHO_ERR_INVALID, "%s: the dump does not record its page "
				     "size and no KHO page size reads its handover without "
				     "structural errors (%s): the tree's root is outside the "
				     "image: if its byte 0 is not physical address 0, give "
				     "--raw-base", s->path, p->why);
	if (p->finding == 1)
		snprintf(one, sizeof(one), " %lluK", HEX(p->found_by / 1024));
	return kho_error_set(err, KHO_ERR_INVALID, "%s: the dump does not record its page size "
			     "and no KHO page size reads its handover without structural errors "
			     "(%s): give --page-size%s", s->path, p->why, one);
}

/* The candidates detecting the page size found at @page, taken as the
 * scan's (the same pages, recognised at that size). */
static bool scanned_at(struct kho_session *s, uint64_t page)
{
	for (size_t i = 0; s->have_scanned && i < KHO_SCAN_SIZES; i++)
		if (page == kho_page_sizes[i]) {
			s->cands = s->probe.cands[i];
			s->ncands = s->probe.ncands[i];
			s->probe.cands[i] = NULL;
			return true;
		}
	return false;
}

enum kho_status kho_session_open(const struct kho_session_opts *o, struct kho_session *s,
				 struct kho_error *err)
{
	struct kho_anomalies an = { 0 };
	bool inspecting = false;
	/* An FDT from a file is inspected without an address unless --fdt gives it. */
	struct kho_select_opts so = {
		.chosen = o->verify.fdt_file && !o->have_fdt ? KHO_FDT_PHYS_UNKNOWN : o->fdt,
		.all = o->all,
	};
	struct kho_verify_opts vo = o->verify;
	struct kho_scratch_area *arrays;
	const char *told = o->kernel ? "symbols" : o->vmlinux ? "--vmlinux" : o->dtb ? "--dtb" :
			   o->have_boot_params ? "--boot-params" : NULL;
	enum kho_status st;

	memset(s, 0, sizeof(*s));
	s->path = o->src ? kho_source_path(o->src) : o->path;
	kho_findings_init(&s->top);
	s->top.pass = KHO_PASS_SESSION;
	kho_findings_set_severities(&s->top, vo.overrides, vo.noverrides);
	/* the caller's arrays and the one the kernel names */
	arrays = calloc(vo.nscratch_arrays + 1, sizeof(*arrays));
	if (!arrays)
		return kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
	if (vo.nscratch_arrays)
		memcpy(arrays, vo.scratch_arrays, vo.nscratch_arrays * sizeof(*arrays));
	vo.scratch_arrays = arrays;
	s->src = o->src;
	if (!o->src) {
		if ((st = kho_source_open(o->path, o->src_opts, &s->src, err)))
			goto out;
		s->own_src = true;
		kho_source_set_threads(s->src, o->threads);
	}
	/* scan too: the candidates' own keys are page-sized (an ambiguous
	 * size leaves scan with the assumed one) */
	if (kho_source_page_size_assumed(s->src) && (st = detect_page_size(o, s, err))) {
		if (!o->scan_only || st != KHO_ERR_INVALID)
			goto out;
		memset(err, 0, sizeof(*err));
	}
	kho_check_dump(s->src, &s->top);
	if (told) {
		/* The kernel was told, or keeps, where its handover is: the boot
		 * information the told option gives. */
		st = o->kernel ? (s->boot = *o->kernel, KHO_OK) :
		     o->vmlinux ? kho_find_vmlinux(s->src, o->vmlinux, &s->boot, err) :
		     o->dtb ? kho_find_dtb(o->dtb, &s->boot, err) :
		     kho_find_boot_params(s->src, o->boot_params, &s->boot, err);
		if (st) {
			st = fail_in(o, s->path, err);
			goto out;
		}
		so.chosen = s->boot.fdt;
		if (s->boot.scratch && s->boot.scratch_bytes)
			arrays[vo.nscratch_arrays++] = (struct kho_scratch_area){
				s->boot.scratch, s->boot.scratch_bytes };
	}
	so.chosen_by = told ? told : o->have_fdt ? "--fdt" :
		       o->verify.fdt_file ? "--fdt-file" : NULL;
	if (so.chosen_by) {
		if ((st = told_candidates(s, so.chosen, s->boot.incoming_fdt, err)))
			goto out;
		if (o->have_fdt && !told && !o->verify.fdt_file &&
		    (st = check_named_fdt(s, so.chosen, err)))
			goto out;
		so.incoming_fdt = s->boot.incoming_fdt;
		so.incoming_tree = s->boot.trees_known ? s->boot.in_tree : 0;
		if (so.incoming_fdt && so.incoming_tree && (st = stale_candidates(o, s, err)))
			goto out;
	} else if (scanned_at(s, kho_source_page_size(s->src))) {
		;
	} else if ((st = kho_scan(s->src, &s->cands, &s->ncands, o->progress, o->progress_ctx,
				  err))) {
		kho_error_prepend(err, "%s", s->path);
		goto out;
	}
	s->order = calloc(s->ncands ? s->ncands : 1, sizeof(*s->order));
	s->hs = calloc(s->ncands ? s->ncands : 1, sizeof(*s->hs));
	if (!s->order || !s->hs || s->top.oom) {
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = kho_select(s->src, s->cands, s->ncands, &so, &an, s->order, &s->nh, err);
	kho_findings_add_anomalies(&s->top, &an);
	if (st) {
		kho_error_prepend(err, "%s", s->path);
		goto out;
	}
	/* a file that failed (shrank while open) is the file's error, not
	 * memory the scan did not find */
	if ((st = kho_source_status(s->src, err)) || o->scan_only)
		goto out;
	if (s->ncands && s->page_size_from && !strcmp(s->page_size_from, "assumed")) {
		st = no_page_size(s, err);
		goto out;
	}
	if (!s->ncands) {
		uint64_t size, cut;

		if (kho_source_truncated(s->src, &size, &cut) && cut != UINT64_MAX)
			st = kho_error_set(err, KHO_ERR_NODATA, "%s: no KHO FDT found before the file "
					   "is cut short (memory from 0x%llx on is not in it): the "
					   "handover is likely in the part missing; inspect the whole "
					   "dump", s->path, HEX(cut));
		else
			st = kho_error_set(err, KHO_ERR_NODATA, "%s: no KHO FDT found (a page-aligned "
					   "FDT with compatible \"kho-v...\"); try --fdt ADDR",
					   s->path);
		goto out;
	}
	inspecting = true;
	s->found_by = so.chosen_by ? so.chosen_by : "scan";
	for (size_t i = 0; !st && i < s->nh; i++) {
		vo.consumed = s->cands[s->order[i]].consumed;
		if (kho_inspect(s->src, s->cands[s->order[i]].phys, &vo, &s->hs[i], err))
			st = fail_in(o, s->path, err);
	}
	if (st || (st = kho_source_status(s->src, err)))
		goto out;
	/* 7.3+: the inspected handovers against the trees kho_out and kho_in hold */
	kho_check_kernel_trees(&s->boot, s->hs, s->nh, &s->top);
	/* a backstop (kho_select() already fails on it): a finding about the
	 * whole dump that could not be kept must not leave a clean verdict */
	if (s->top.oom)
		st = kho_error_set(err, KHO_ERR_NOMEM, "out of memory");
out:
	if (st && o->kind)
		*o->kind = kho_session_error_kind(st, inspecting);
	free(arrays);
	return st;
}

/*
 * What kind of failure @st is, for a program reading the error (kho-inspect
 * --json "kind"): the tool's user, the file, its format, no handover, or a
 * handover of an ABI this library does not read. KHO_ERR_NOTIMPL means an
 * unknown ABI once handovers are inspected, an unknown dump format before.
 */
const char *kho_session_error_kind(enum kho_status st, bool inspecting)
{
	switch (st) {
	case KHO_ERR_SYSTEM:
	case KHO_ERR_NOMEM:
		return "io";
	case KHO_ERR_NODATA:
		return "no-handover";
	case KHO_ERR_NOTIMPL:
		return inspecting ? "unsupported-abi" : "format";
	case KHO_ERR_INVALID:
		return "usage";
	default:
		return "format";
	}
}

void kho_session_close(struct kho_session *s)
{
	for (size_t i = 0; s->hs && i < s->nh; i++)
		kho_inspection_free(&s->hs[i]);
	free(s->hs);
	free(s->cands);
	for (size_t i = 0; i < KHO_SCAN_SIZES; i++)
		free(s->probe.cands[i]);
	free(s->order);
	kho_findings_free(&s->top);
	if (s->own_src)
		kho_source_close(s->src);
	memset(s, 0, sizeof(*s));
}
