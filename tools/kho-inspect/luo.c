// SPDX-License-Identifier: MIT
/*
 * The LUO state as kho-inspect shows it: under the LUO sub-node in
 * summary (a line a session, its files in brief), whole for `luo` (a line
 * a file, with its record). JSON is the same in both (docs/luo.md).
 */
#include "inspect.h"
#include "print.h"

#define HEX(x) ((unsigned long long)(x))

static void print_memfd(const struct kho_luo_memfd *m, uint64_t page, bool full)
{
	pr_obj_open("memfd");
	pr_hex("size", full ? " size 0x%llx" : " (0x%llx bytes", m->size);
	pr_hex("pos", full ? " pos 0x%llx" : NULL, m->pos);
	pr_u64("seals", full ? " seals 0x%llx" : NULL, m->seals);
	pr_u64("nr_folios", full ? " nr_folios %llu" : m->nr_folios == 1 ? ", %llu folio)" :
	       ", %llu folios)", m->nr_folios);
	pr_u64("folios", full ? " (%llu read)" : NULL, m->nfolios);
	/* JSON of `luo`: every folio record read (text lists the first) */
	if (full) {
		pr_arr_open("folio_records");
		for (size_t i = 0; i < m->nfolios; i++) {
			const struct kho_luo_folio *fo = &m->folios[i];

			pr_obj_open(NULL);
			pr_hex("phys", NULL, fo->pfn * page);
			if (fo->order >= 0)
				pr_u64("order", NULL, (uint64_t)fo->order);
			pr_u64("index", NULL, fo->index);
			pr_u64("flags", NULL, fo->flags);
			pr_obj_close();
		}
		pr_arr_close();
	}
	pr_obj_close();
}

static void print_file(const struct kho_luo_file *fl, uint64_t page, bool full, bool first)
{
	pr_obj_open(NULL);
	if (full) {
		pr_str("compatible", "               file %-10s", fl->compatible);
		pr_hex("token", " token 0x%llx", fl->token);
		pr_hex("data", " data 0x%llx", fl->data);
	} else {
		pr_str("compatible", first ? " %s" : ", %s", fl->compatible);
		pr_hex("token", " 0x%llx", fl->token);
		pr_hex("data", NULL, fl->data);
	}
	if (fl->memfd)
		print_memfd(fl->memfd, page, full);
	if (full)
		pr_text("\n");
	/* luo (text): where the first folios are, for whatis and recovery */
	for (size_t i = 0; full && fl->memfd && i < fl->memfd->nfolios && i < 8; i++) {
		const struct kho_luo_folio *fo = &fl->memfd->folios[i];

		pr_text("                 folio %zu at 0x%llx, file page 0x%llx%s\n", i,
			HEX(fo->pfn * page), HEX(fo->index),
			fo->order < 0 ? " (no key starts there)" : "");
	}
	if (full && fl->memfd && fl->memfd->nfolios > 8)
		pr_text("                 ... and %zu more folios\n", fl->memfd->nfolios - 8);
	pr_obj_close();
}

/* summary: the first sessions and files in brief (luo shows them all) */
#define BRIEF_SESSIONS 8
#define BRIEF_FILES 4

/* @dump: the dump's path, for the brief form's "luo DUMP" (NULL: full) */
void print_luo(const struct kho_luo *l, uint64_t page, const char *dump)
{
	bool full = !dump, base = pr_mute(false);
	size_t files = 0, left_sessions = 0, left_files = 0;

	pr_mute(base);   /* --no-headings may have muted the text already */
	for (size_t i = 0; i < l->nsessions; i++)
		files += l->session[i].nfiles;
	pr_obj_open("luo");
	pr_str("format", "LUO          %s", kho_luo_format_name(l->format));
	pr_hex("phys", " at 0x%llx", l->phys);
	pr_u64("liveupdate_num", ", live update #%llu", l->liveupdate_num);
	pr_text(": %zu session%s, %zu file%s, %zu FLB%s%s\n", l->nsessions,
		l->nsessions == 1 ? "" : "s", files, files == 1 ? "" : "s", l->nflbs,
		l->nflbs == 1 ? "" : "s", l->pending ? " (pending: sessions are serialized "
		"only at reboot(KEXEC))" : "");
	if (l->pending)
		pr_bool("pending", NULL, true);
	pr_arr_open("sessions");
	for (size_t i = 0; i < l->nsessions; i++) {
		const struct kho_luo_session *s = &l->session[i];

		/* JSON keeps every session; text stops after a screenful */
		if (!full && i == BRIEF_SESSIONS)
			pr_mute(true);
		if (!full && i >= BRIEF_SESSIONS) {
			left_sessions++;
			left_files += s->nfiles;
		}
		pr_obj_open(NULL);
		pr_str("name", "  session    \"%s\"", s->name);
		pr_text(!full ? ":" : s->count == 1 ? " at 0x%llx, %llu file\n" :
			" at 0x%llx, %llu files\n", HEX(s->phys), HEX(s->count));
		pr_arr_open("files");
		for (size_t j = 0; j < s->nfiles; j++) {
			if (!full && j == BRIEF_FILES)
				pr_mute(true);
			print_file(&s->file[j], page, full, !j);
			if (!full && j + 1 == s->nfiles && j >= BRIEF_FILES) {
				pr_mute(base || i >= BRIEF_SESSIONS);
				pr_text(", ... and %zu more", s->nfiles - BRIEF_FILES);
			}
		}
		pr_arr_close();
		if (!full)
			pr_text(s->nfiles ? "\n" : " no files\n");
		pr_obj_close();
	}
	if (left_sessions) {
		pr_mute(base);
		pr_text("  ... and %zu more session%s (%zu file%s): kho-inspect luo %s lists them\n",
			left_sessions, left_sessions == 1 ? "" : "s", left_files,
			left_files == 1 ? "" : "s", dump);
	}
	pr_arr_close();
	pr_arr_open("flbs");
	for (size_t i = 0; i < l->nflbs; i++) {
		pr_obj_open(NULL);
		pr_str("name", "  FLB        %s", l->flb[i].name);
		pr_hex("data", " data 0x%llx", l->flb[i].data);
		pr_u64("count", l->flb[i].count == 1 ? ", %llu file\n" : ", %llu files\n",
		       l->flb[i].count);
		pr_obj_close();
	}
	pr_arr_close();
	pr_obj_close();
}
