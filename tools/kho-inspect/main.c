// SPDX-License-Identifier: MIT
/*
 * kho-inspect [OPTIONS] [COMMAND] DUMP: find the KHO handover in a memory
 * dump, walk its preserved-memory map and check it (contract.md).
 * Exit: 0 fine, 1 findings at or above --fail-on, 2 could not inspect, 3 partial.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../lib/util/typo.h"
#include "inspect.h"
#include "owners.h"
#include "print.h"

#define HEX(x) ((unsigned long long)(x))

static const char *const commands[] = {
	"summary", "verify", "ranges", "fdt", "tree", "scan", "luo", "whatis", "extract", "diff",
	NULL,
};

static bool json_errors;

/* Could not inspect: one line on stderr (or {"error", "kind"} in JSON),
 * exit 2. The kind tells CI a broken kernel from broken infrastructure. */
static int fail_msg(const char *kind, const char *msg);

int inspect_fail_kind(const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg(kind, msg);
}

int inspect_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg("usage", msg);
}

static int fail_msg(const char *kind, const char *text)
{
	char msg[1024];

	/* a stream's temporary copy is named as the user gave it */
	snprintf(msg, sizeof(msg), "%s", text);
	spool_unname(msg, sizeof(msg));
	/* JSON mode: {"error"} on stdout for the program, the same line on
	 * stderr for the person reading the CI log (contract.md). */
	if (json_errors) {
		pr_init(true, false, stdout);
		pr_u64("schema", NULL, KHO_JSON_SCHEMA);
		pr_str("error", NULL, msg);
		pr_str("kind", NULL, kind);
		pr_finish();
	}
	fprintf(stderr, "kho-inspect: %s\n", msg);
	return 2;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: kho-inspect [OPTIONS] [COMMAND] DUMP\n"
"       kho-inspect [OPTIONS] diff DUMP_A DUMP_B\n"
"\n"
"Find the Kexec HandOver (KHO) state in a memory dump and check it. DUMP may be\n"
"- (standard input) or a pipe (makedumpfile -F | kho-inspect verify -).\n"
"\n"
"Commands:\n"
"  summary            where the handover is, what it preserves, the verdict, the first\n"
"                     8 findings and the rest counted per check (default)\n"
"  verify             the same with every finding; exit 1 when one is at or above\n"
"                     --fail-on (summary exits as verify does)\n"
"  ranges             the preserved ranges: by address (--sort tree: in tree order;\n"
"                     JSON is in tree order unless --sort phys), --merge: [START, END)\n"
"                     spans of touching ranges, END exclusive\n"
"  fdt [-o DIR]       the KHO FDT and FDT sub-blobs as DTS, u64 values decoded;\n"
"                     -o DIR writes each as a file dtc reads (fdt.dts, NAME.dts)\n"
"  tree               radix tree statistics (kho-v1: the chunk list)\n"
"  scan               every KHO FDT candidate in the dump\n"
"  luo                the live update's sessions, files and FLBs (LUO), and its findings\n"
"  whatis ADDR        what the dump and the handover say about one address\n"
"  extract -o DIR     fdt.dtb, sub-blobs, scratch.bin, ranges.json, each memfd's contents\n"
"  diff A B           like diff -u: FDT sub-nodes, keys (- only in A, + only in B),\n"
"                     memory both preserve as different keys, LUO sessions and files\n"
"                     (exit 1 if anything differs)\n"
"\n"
"Input:\n"
"  -F, --format auto|raw|elf|kdump   --raw-base ADDR   --page-size N\n"
"  --threads N         threads a scan may use (default 1: none started)\n"
"  --fdt ADDR          use the KHO FDT at ADDR (no scan)\n"
"  --fdt-file PATH     the FDT from a file (e.g. debugfs kho/out/fdt)\n"
"  --scratch ADDR,SIZE           a scratch area (repeatable)\n"
"  --scratch-array ADDR,BYTES    an in-dump struct kho_scratch[] (repeatable)\n"
"  --all               inspect every candidate FDT, not only the selected one\n"
"  --vmlinux PATH      find the FDT and scratch through kho_out/kho_scratch symbols\n"
"  --boot-params ADDR  x86: the SETUP_KEXEC_KHO setup_data of boot_params at ADDR\n"
"  --dtb FILE          DT: /chosen linux,kho-fdt and linux,kho-scratch of FILE\n"
"Checks and output:\n"
"  -W NAME, -Wno-NAME, -E NAME   make a check a warning, off, or an error\n"
"  --list-checks       every check, its default severity and what it means\n"
"  --explain CHECK     why a check matters and how to look into its findings\n"
"  --max-order N       range-order threshold (default: 1 GiB blocks)\n"
"  --fail-on error|warning|incomplete|note   --strict (also fail on incomplete)\n"
"  -j, --json          one JSON document      -p, --pretty  indented JSON\n"
"  --ranges            verify: list the ranges too\n"
"  --no-headings       ranges, tree, scan: print only the rows (for pipes)\n"
"  --node ADDR         tree: the radix tree page holding ADDR, entry by entry\n"
"                      (the address a radix-* finding names; kho-v1: its chunk or bitmap)\n"
"  --expect FILE       verify: compare the verdict with FILE (a --json verify document,\n"
"                      such as kho-mkimage's NAME.expect.json); print what differs,\n"
"                      exit 1 when anything does\n"
"  --progress always|never|auto\n"
"\n"
"Exit status: 0 no finding at or above --fail-on, 1 there are, 2 could not inspect,\n"
"3 partial: part of the handover is not in the dump (diff: a handover consumed).\n"
"summary, verify, ranges and tree exit with the verdict, luo with LUO's.\n");
}

static bool parse_pair(const char *s, struct kho_scratch_area *a)
{
	char buf[128], *comma;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (!comma)
		return false;
	*comma = '\0';
	return kho_parse_number(buf, &a->phys) && kho_parse_number(comma + 1, &a->size);
}

static bool parse_severity(const char *s, enum kho_severity *sev)
{
	static const char *const names[] = { "note", "incomplete", "warning", "error" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			*sev = (enum kho_severity)i;
			return true;
		}
	return false;
}

/* The check name closest to @name, if close enough to be a typo. */
static const char *closest_check(const char *name)
{
	return typo_closest(name, &kho_checks()->name, kho_check_count(),
			    sizeof(struct kho_check_info), 3);
}

/* "unknown check X", with the likely one meant and where the list is. */
static int unknown_check(const char *what, const char *name)
{
	const char *near = closest_check(name);

	if (near)
		return inspect_fail("%s: no check \"%s\"; did you mean %s? (kho-inspect --list-checks)",
			    what, name, near);
	return inspect_fail("%s: no check \"%s\" (kho-inspect --list-checks)", what, name);
}

static int add_override(struct options *o, const char *name, enum kho_severity sev)
{
	if (!kho_check_find(name))
		return unknown_check(sev == KHO_SEV_ERROR ? "-E" : "-W", name);
	if (o->noverrides == sizeof(o->overrides) / sizeof(o->overrides[0]))
		return inspect_fail("too many -W/-E options");
	o->overrides[o->noverrides++] = (struct kho_model_severity){ name, sev };
	return 0;
}

/* --list-checks: every check, its default severity and what it means. */
static int list_checks(void)
{
	pr_init(json_errors, false, stdout);   /* -j anywhere on the line */
	pr_u64("schema", NULL, KHO_JSON_SCHEMA);
	pr_arr_open("checks");
	for (const struct kho_check_info *c = kho_checks(); c->name; c++) {
		pr_obj_open(NULL);
		pr_str("name", "%-22s", c->name);
		pr_str("severity", " %-10s", kho_severity_str(c->severity));
		pr_str("summary", " %s\n", c->summary);
		pr_obj_close();
	}
	pr_arr_close();
	return pr_finish() ? 2 : 0;
}

/* --explain CHECK: what it means, why the next kernel cares, what to do. */
static int explain(const char *name)
{
	const struct kho_check_info *c = kho_check_find(name);
	const char *why, *how, *at;
	char self[96];
	int cut;

	if (!c || !kho_check_explain(name, &why, &how))
		return unknown_check("--explain", name);
	/* the hint under a finding may send to this very page: not here */
	snprintf(self, sizeof(self), " (--explain %s", c->name);
	at = strstr(how, self);
	cut = at && strchr(at, ')') ? (int)(at - how) : (int)strlen(how);
	printf("%s (default: %s)\n\n%c%s.\n\nWhy it matters: %s\n\nWhat to do: %.*s%s\n",
	       c->name, kho_severity_str(c->severity), toupper((unsigned char)c->summary[0]),
	       c->summary + 1, why, cut, how, cut < (int)strlen(how) ? strchr(how + cut, ')') + 1 : "");
	return 0;
}

/* Append @w to the command line @buf, quoted for a shell when it must be. */
static void append_word(char *buf, size_t len, const char *w)
{
	size_t used = strlen(buf);
	bool plain = *w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789-_=.,:/+@%") == strlen(w);

	if (strchr(w, '\''))
		plain = true;   /* rare enough: shown as it is */
	snprintf(buf + used, len - used, plain ? " %s" : " '%s'", w);
}

/* An option getopt does not know, and the long one it is likely a typo of. */
static int unknown_option(const char *arg, const struct option *longopts)
{
	char word[64];
	const char *near;
	size_t n = 0;

	while (longopts[n].name)
		n++;
	snprintf(word, sizeof(word), "%s", arg + strspn(arg, "-"));
	word[strcspn(word, "=")] = 0;
	near = strncmp(arg, "--", 2) ? NULL :
	       typo_closest(word, &longopts->name, n, sizeof(*longopts), 2);
	if (near)
		return inspect_fail("unknown option %s: did you mean --%s? (--help)", arg, near);
	return inspect_fail("unknown option %s (--help)", arg);
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { O_RAW_BASE = 256, O_FDT, O_FDT_FILE, O_SCRATCH, O_SCRATCH_ARRAY, O_PAGE_SIZE,
	       O_MAX_ORDER, O_EXPECT, O_ALL, O_FAIL_ON, O_STRICT, O_PROGRESS, O_SORT, O_MERGE, O_RANGES, O_NO_HEADINGS,
	       O_BOOT_PARAMS, O_DTB, O_VMLINUX, O_LIST_CHECKS, O_EXPLAIN, O_NODE,
	       O_THREADS };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "raw-base", required_argument, NULL, O_RAW_BASE },
		{ "fdt", required_argument, NULL, O_FDT },
		{ "fdt-file", required_argument, NULL, O_FDT_FILE },
		{ "scratch", required_argument, NULL, O_SCRATCH },
		{ "scratch-array", required_argument, NULL, O_SCRATCH_ARRAY },
		{ "page-size", required_argument, NULL, O_PAGE_SIZE },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "max-order", required_argument, NULL, O_MAX_ORDER },
		{ "all", no_argument, NULL, O_ALL },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "fail-on", required_argument, NULL, O_FAIL_ON },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "progress", required_argument, NULL, O_PROGRESS },
		{ "sort", required_argument, NULL, O_SORT },
		{ "merge", no_argument, NULL, O_MERGE },
		{ "ranges", no_argument, NULL, O_RANGES },
		{ "expect", required_argument, NULL, O_EXPECT },
		{ "no-headings", no_argument, NULL, O_NO_HEADINGS },
		{ "node", required_argument, NULL, O_NODE },
		{ "boot-params", required_argument, NULL, O_BOOT_PARAMS },
		{ "dtb", required_argument, NULL, O_DTB },
		{ "vmlinux", required_argument, NULL, O_VMLINUX },
		{ "list-checks", no_argument, NULL, O_LIST_CHECKS },
		{ "explain", required_argument, NULL, O_EXPLAIN },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	/* -j anywhere makes even usage errors JSON. */
	json_errors = false;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
		    !strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty"))
			json_errors = true;
	o->fail_on = KHO_SEV_ERROR;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:W:E:jpo:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!strcmp(optarg, "auto")) o->src.format = KHO_FORMAT_AUTO;
			else if (!strcmp(optarg, "raw")) o->src.format = KHO_FORMAT_RAW;
			else if (!strcmp(optarg, "elf")) o->src.format = KHO_FORMAT_ELF;
			else if (!strcmp(optarg, "kdump")) o->src.format = KHO_FORMAT_KDUMP;
			else return inspect_fail("--format: \"%s\" is not auto, raw, elf or kdump", optarg);
			break;
		case O_RAW_BASE:
			if (!kho_parse_number(optarg, &o->src.raw_base))
				return inspect_fail("--raw-base: \"%s\" is not an address", optarg);
			/* memory starts on a page, the smallest KHO knows (4 KiB) */
			if (o->src.raw_base & 0xfff)
				return inspect_fail("--raw-base: 0x%llx is not page-aligned (4 KiB): "
						    "a raw image starts on a page",
						    (unsigned long long)o->src.raw_base);
			break;
		case O_FDT:
			if (!kho_parse_number(optarg, &o->fdt))
				return inspect_fail("--fdt: \"%s\" is not an address", optarg);
			o->have_fdt = true;
			break;
		case O_FDT_FILE: o->fdt_file = optarg; break;
		case O_SCRATCH:
			if (o->nscratch == 32 || !parse_pair(optarg, &o->scratch[o->nscratch++]))
				return inspect_fail("--scratch: \"%s\" is not ADDR,SIZE", optarg);
			/* a kernel may hand over an empty area, but one typed is a slip */
			if (!o->scratch[o->nscratch - 1].size)
				return inspect_fail("--scratch: \"%s\": a size of 0 names no memory",
						    optarg);
			break;
		case O_SCRATCH_ARRAY:
			if (o->narrays == 8 || !parse_pair(optarg, &o->arrays[o->narrays++]))
				return inspect_fail("--scratch-array: \"%s\" is not ADDR,BYTES", optarg);
			break;
		case O_PAGE_SIZE:
			if (!kho_parse_number(optarg, &o->src.page_size) || !o->src.page_size)
				return inspect_fail("--page-size: \"%s\" is not a size", optarg);
			break;
		case O_THREADS:
			if (!kho_parse_number(optarg, &v) || !v || v > 1024)
				return inspect_fail("--threads: \"%s\" is not a count from 1", optarg);
			o->threads = (unsigned)v;
			break;
		case O_MAX_ORDER:
			if (!kho_parse_number(optarg, &v) || v > 64)
				return inspect_fail("--max-order: \"%s\" is not an order", optarg);
			o->max_order = (unsigned)v;
			o->has_max_order = true;
			break;
		case O_ALL: o->all = true; break;
		case 'j': o->json = true; break;
		case 'p': o->json = o->pretty = true; break;
		case 'W':
			if (!strncmp(optarg, "no-", 3)) {
				if (add_override(o, optarg + 3, KHO_SEV_OFF))
					return 2;
			} else if (add_override(o, optarg, KHO_SEV_WARNING)) {
				return 2;
			}
			break;
		case 'E':
			if (add_override(o, optarg, KHO_SEV_ERROR))
				return 2;
			break;
		case O_FAIL_ON:
			if (!parse_severity(optarg, &o->fail_on))
				return inspect_fail("--fail-on: \"%s\" is not error, warning, incomplete or note",
					    optarg);
			break;
		case O_STRICT: o->strict = true; break;
		case O_PROGRESS:
			o->progress = !strcmp(optarg, "always") ? 1 : !strcmp(optarg, "never") ? -1 :
				      !strcmp(optarg, "auto") ? 0 : 2;
			if (o->progress == 2)
				return inspect_fail("--progress: \"%s\" is not always, never or auto", optarg);
			break;
		case O_SORT:
			if (strcmp(optarg, "phys") && strcmp(optarg, "tree"))
				return inspect_fail("--sort: \"%s\" is not phys or tree", optarg);
			o->sort = optarg;
			break;
		case O_MERGE: o->merge = true; break;
		case O_RANGES: o->with_ranges = true; break;
		case O_EXPECT: o->expect = optarg; break;
		case O_NO_HEADINGS: o->no_headings = true; break;
		case O_NODE:
			if (!kho_parse_number(optarg, &o->node))
				return inspect_fail("--node: \"%s\" is not an address", optarg);
			o->have_node = true;
			break;
		case O_BOOT_PARAMS:
			if (!kho_parse_number(optarg, &o->boot_params))
				return inspect_fail("--boot-params: \"%s\" is not an address", optarg);
			o->have_boot_params = true;
			break;
		case O_DTB: o->dtb = optarg; break;
		case O_VMLINUX: o->vmlinux = optarg; break;
		case O_LIST_CHECKS: exit(list_checks());
		case O_EXPLAIN: exit(explain(optarg));
		case 'o': o->outdir = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("kho-inspect %s\n", KHO_VERSION_STRING); exit(0);
		case ':': return inspect_fail("%s needs an argument (--help)", argv[optind - 1]);
		default: return unknown_option(argv[optind - 1], longopts);
		}
	}
	/* getopt moved the options first: what a "next" command repeats */
	for (int i = 1; i < optind; i++)
		append_word(o->again, sizeof(o->again), argv[i]);
	if (optind < argc) {
		for (const char *const *cmd = commands; *cmd; cmd++)
			if (!strcmp(argv[optind], *cmd) && optind + 1 < argc) {
				o->command = *cmd;
				optind++;
				break;
			}
	}
	/* "kho-inspect verify": a command without its dump, unless a file is
	 * named so */
	if (!o->command && optind + 1 == argc && access(argv[optind], F_OK))
		for (const char *const *cmd = commands; *cmd; cmd++)
			if (!strcmp(argv[optind], *cmd))
				return inspect_fail("%s needs a DUMP: kho-inspect %s%s DUMP (--help)", *cmd,
					    *cmd, !strcmp(*cmd, "whatis") ? " ADDR" : "");
	/* "kho-inspect verfy DUMP": a typo of a command, not a dump named so */
	if (!o->command && optind + 1 < argc)
		for (const char *const *cmd = commands; *cmd; cmd++)
			if (typo_distance(argv[optind], *cmd) <= 2)
				return inspect_fail("unknown command \"%s\"; did you mean %s? (--help)",
					    argv[optind], *cmd);
	if (!o->command)
		o->command = "summary";
	if (optind == argc) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !json_errors) {
			fprintf(stderr,
				"kho-inspect: no dump given. To get started:\n"
				"  kho-inspect /proc/vmcore             (in a kdump kernel)\n"
				"  kho-inspect verify vmcore.elf        (a saved dump)\n"
				"  kho-mkimage testdata/specs/demo.spec -o /tmp && kho-inspect /tmp/demo.elf\n"
				"See kho-inspect --help.\n");
			return 2;
		}
		return inspect_fail("no DUMP given (--help)");
	}
	if (!strcmp(o->command, "whatis")) {
		if (!kho_parse_number(argv[optind], &o->whatis))
			return inspect_fail("whatis: \"%s\" is not an address (whatis ADDR DUMP)",
				    argv[optind]);
		if (++optind == argc)
			return inspect_fail("whatis takes an address and a dump: whatis ADDR DUMP");
	}
	o->dump = argv[optind];
	if (!strcmp(o->command, "diff")) {
		if (optind + 2 != argc)
			return inspect_fail("diff takes two dumps: diff DUMP_A DUMP_B");
		o->dump_b = argv[optind + 1];
	} else if (optind + 1 < argc) {
		return inspect_fail("unexpected argument \"%s\" (one DUMP)", argv[optind + 1]);
	}
	if (o->no_headings && strcmp(o->command, "ranges") && strcmp(o->command, "tree") &&
	    strcmp(o->command, "scan"))
		return inspect_fail("--no-headings is for ranges, tree and scan");
	if (o->have_node && strcmp(o->command, "tree"))
		return inspect_fail("--node shows one page of the tree: kho-inspect tree --node ADDR "
				    "DUMP");
	if (o->expect && strcmp(o->command, "verify"))
		return inspect_fail("--expect compares a verdict: kho-inspect verify --expect FILE "
				    "DUMP");
	if (o->expect)
		o->with_ranges = true;   /* an expectation may list them */
	if (!strcmp(o->command, "extract") && !o->outdir)
		return inspect_fail("extract needs -o DIR");
	/* every command honours --json or refuses it (contract.md) */
	if (o->json && (!strcmp(o->command, "fdt") || !strcmp(o->command, "extract")))
		return inspect_fail("%s prints no JSON (%s): leave out --json", o->command,
			    !strcmp(o->command, "fdt") ? "DTS" : "file names");
	return 0;
}

/* ---- discovery ---- */

struct progress {
	int mode;
	struct timespec start, last;
	bool shown;
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, uint64_t phys, uint64_t end)
{
	struct progress *p = ctx;
	struct timespec now;

	if (p->mode < 0 || (p->mode == 0 && !isatty(STDERR_FILENO)))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((p->mode == 0 && since(&p->start, &now) < 1.0) || since(&p->last, &now) < 0.1)
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\rscanning 0x%llx of 0x%llx (%3.0f%%)", HEX(phys), HEX(end),
		end ? 100.0 * (double)phys / (double)end : 100.0);
}

/* ---- output ---- */

static void print_source(const struct options *o, struct kho_source *src,
			 const char *page_size_from)
{
	pr_u64("schema", NULL, KHO_JSON_SCHEMA);
	pr_obj_open("tool");
	pr_str("name", NULL, "kho-inspect");
	pr_str("version", NULL, KHO_VERSION_STRING);
	pr_obj_close();
	pr_obj_open("source");
	pr_str("path", "%s: ", o->dump);
	pr_str("format", "%s", kho_source_format_name(src));
	/* the kind when it says more than the format (elf (vmcore), not raw (raw)) */
	pr_str("kind", strcmp(kho_source_kind_name(kho_source_kind(src)),
			      kho_source_format_name(src)) ? " (%s)" : NULL,
	       kho_source_kind_name(kho_source_kind(src)));
	pr_u64("page_size", ", %llu-byte pages", kho_source_page_size(src));
	if (page_size_from)    /* nothing in the dump said it */
		pr_str("page_size_from", " (%s)", page_size_from);
	if (kho_source_block_size(src))    /* PAGESIZE, not the kdump's blocks */
		pr_u64("block_size", " (VMCOREINFO PAGESIZE; the kdump's blocks are %llu bytes)",
		       kho_source_block_size(src));
	pr_str("byte_order", ", %s-endian", kho_source_big_endian(src) ? "big" : "little");
	if (*kho_source_arch(src))
		pr_str("arch", strcmp(kho_source_arch(src), "unknown") ? ", %s" :
		       ", an architecture this tool does not know (%s)", kho_source_arch(src));
	pr_text("\n");
	pr_obj_close();
}

/*
 * summary and verify: the memory the dump describes, which the range-
 * findings (range-not-ram, range-not-dumped) are about: how many ranges and
 * their extents, the first few (JSON: the first 64).
 */
static void print_memory(struct kho_source *src)
{
	size_t n = 0, shown = pr_is_json() ? 64 : 4;
	const struct kho_mem_range *r = kho_source_map_ranges(src, &n);
	uint64_t bytes = 0;

	for (size_t i = 0; i < n; i++)
		bytes += r[i].size;
	pr_obj_open("memory");
	pr_u64("ranges", n == 1 ? "memory       %llu range" : "memory       %llu ranges", n);
	pr_hex("bytes", " (0x%llx bytes)", bytes);
	pr_arr_open("extents");
	for (size_t i = 0; i < n && i < shown; i++) {
		pr_obj_open(NULL);
		pr_hex("phys", i ? ", 0x%llx" : ": 0x%llx", r[i].start);
		pr_hex("size", "+0x%llx", r[i].size);
		pr_bool("present", r[i].state == KHO_MEM_PRESENT ? NULL : " (not in the dump)",
			r[i].state == KHO_MEM_PRESENT);
		pr_obj_close();
	}
	pr_arr_close();
	if (n > shown)
		pr_text(", ... and %zu more", n - shown);
	pr_text("\n");
	pr_obj_close();
}

/* Whether --vmlinux's trees were cross-checked, and if not why (7.3+). */
static void print_vmlinux(const struct options *o, const struct kho_boot_info *bi)
{
	pr_obj_open("vmlinux");
	pr_str("path", "vmlinux      %s", o->vmlinux);
	pr_bool("trees_checked", !bi->trees_known ? ": kernel trees not cross-checked" :
		bi->out_known && bi->in_known ? ": kernel trees cross-checked\n" :
		bi->out_known ? ": kho_out's tree cross-checked" :
		": kho_in's tree cross-checked", bi->trees_known);
	pr_bool("out_tree_checked", NULL, bi->out_known);
	pr_bool("in_tree_checked", NULL, bi->in_known);
	if (bi->trees_note[0])
		pr_str("note", ": %s\n", bi->trees_note);
	pr_obj_close();
}

/* What `luo` shows: the LUO checks and what LUO could not read. */
static bool about_luo(const struct kho_finding *x)
{
	return !strncmp(x->check->name, "luo-", 4) || !strncmp(x->message, "LUO", 3);
}

/* Whether a finding's phys is memory something may own (not the FDT's
 * own properties, or a note about the whole dump). */
static bool about_memory(const struct kho_finding *x)
{
	switch (kho_check_index(x->check)) {
	case KHO_CHECK_FDT_HEADER:
	case KHO_CHECK_FDT_COMPATIBLE:
	case KHO_CHECK_FDT_MEMORY_MAP:
	case KHO_CHECK_FDT_SUBNODE:
	case KHO_CHECK_SCRATCH_UNKNOWN:
	case KHO_CHECK_SCRATCH_LAYOUT:
	case KHO_CHECK_HANDOVER_AMBIGUOUS:
	case KHO_CHECK_DUMP_TRUNCATED:
		return false;
	default:
		return true;
	}
}

/*
 * The findings of @f: all in JSON; in text the first @shown (verify: all),
 * most severe first, and what was left out with the command that shows it.
 * Each carries a hint of where to look next (the check's --explain "how");
 * text prints it under the first finding of each check only.
 */

/*
 * Text: the findings print_findings() did not show (those past @shown, in
 * its order, and those past the per-check cap), counted per check, and
 * the command that lists them all, with the options given.
 */
static void print_left(const struct options *o, const struct kho_findings *f, size_t shown)
{
	size_t n = kho_check_count(), *per = calloc(n ? n : 1, sizeof(*per)), left = 0, seen = 0;
	bool first = true;

	if (!per)
		return;
	for (int sev = KHO_SEV_ERROR; sev >= KHO_SEV_NOTE; sev--)
		for (size_t i = 0; i < f->n; i++)
			if ((int)f->v[i].severity == sev && seen++ >= shown &&
			    (size_t)kho_check_index(f->v[i].check) < n)
				per[kho_check_index(f->v[i].check)]++;
	for (size_t i = 0; i < n; i++)
		for (int sev = KHO_SEV_ERROR; sev >= KHO_SEV_NOTE; sev--)
			per[i] += kho_findings_dropped(f, (enum kho_check_id)i, (enum kho_severity)sev);
	for (size_t i = 0; i < n; i++)
		left += per[i];
	pr_text("%s: ... and %zu more (", o->dump, left);
	for (size_t i = 0; i < n; i++)
		if (per[i]) {
			pr_text("%s%zu %s", first ? "" : ", ", per[i], kho_checks()[i].name);
			first = false;
		}
	pr_text("): kho-inspect verify%s %s lists them\n", o->again, o->dump);
	free(per);
}

static void print_findings(const struct options *o, const struct kho_findings *f,
			   size_t shown, const struct owners *ow)
{
	char label[320];
	bool luo_only = !strcmp(o->command, "luo");

	static const char *const upper[] = { "NOTE", "INCOMPLETE", "WARNING", "ERROR" };
	size_t n = kho_check_count(), printed = 0, left = 0;
	const char *why, *how;

	/* JSON keeps the order found, in one pass; text goes by severity. */
	int passes = pr_is_json() ? 1 : KHO_SEV_COUNT;
	bool *hinted = calloc(n + 1, sizeof(*hinted));

	pr_arr_open("findings");
	for (int pass = 0; pass < passes; pass++)
		for (size_t i = 0; i < f->n; i++) {
			const struct kho_finding *x = &f->v[i];
			bool text = printed < shown;

			if ((!pr_is_json() && (int)x->severity != KHO_SEV_ERROR - pass) ||
			    (luo_only && !about_luo(x)))
				continue;
			pr_obj_open(NULL);
			if (text)
				pr_text("%s: %s (%s): 0x%llx: ", o->dump, upper[x->severity],
					x->check->name, HEX(x->phys));
			else
				left++;
			printed++;
			pr_str("check", NULL, x->check->name);
			pr_str("severity", NULL, kho_severity_str(x->severity));
			pr_hex("phys", NULL, x->phys);
			pr_str("message", text ? "%s" : NULL, x->message);
			/* what the handover says is at that address, when it knows */
			if (ow && about_memory(x) && owners_label(ow, x->phys, 1, label,
								  sizeof(label)))
				pr_str("owner", text ? " [%s]" : NULL, label);
			if (text)
				pr_text("\n");
			if (kho_check_explain(x->check->name, &why, &how)) {
				/* hinted: per check; the undecided ones share one hint */
				bool undecided = x->severity == KHO_SEV_INCOMPLETE &&
						 x->check->severity != KHO_SEV_INCOMPLETE;
				size_t k = undecided ? n : (size_t)kho_check_index(x->check);
				bool first = text && hinted && k <= n && !hinted[k];

				pr_str("hint", first ? "  hint: %s\n" : NULL,
				       kho_check_hint(kho_check_index(x->check), x->severity));
				if (first)
					hinted[k] = true;
			}
			pr_obj_close();
		}
	pr_arr_close();
	free(hinted);
	for (size_t i = 0; i < n; i++)
		for (int sev = KHO_SEV_ERROR; sev >= KHO_SEV_NOTE; sev--)
			left += kho_findings_dropped(f, (enum kho_check_id)i,
						     (enum kho_severity)sev);
	if (left && shown != SIZE_MAX) {
		print_left(o, f, shown);
		return;
	}
	for (size_t i = 0; i < n; i++)
		for (int sev = KHO_SEV_ERROR; sev >= KHO_SEV_NOTE; sev--) {
			size_t d = kho_findings_dropped(f, (enum kho_check_id)i,
							 (enum kho_severity)sev);

			if (d)
				pr_text("%s: ... and %zu more %s findings of %s\n", o->dump, d,
					kho_severity_str((enum kho_severity)sev),
					kho_checks()[i].name);
		}
}

/* What a decoded sub-blob says. */
static void print_blob(const struct kho_subtree *t)
{
	switch (t->kind) {
	case KHO_BLOB_FDT:
		pr_str("blob", ": FDT", "fdt");
		pr_str("compatible", " \"%s\"", t->compatible);
		break;
	case KHO_BLOB_KEXEC_METADATA:
		pr_str("blob", ": %s", "kexec-metadata");
		pr_u64("version", " v%llu", t->u.kexec.version);
		pr_str("previous_release", ", previous kernel %s", t->u.kexec.release);
		pr_u64("kexec_count", ", kexec #%llu", t->u.kexec.count);
		break;
	case KHO_BLOB_MEMBLOCK:
		pr_str("blob", ": %s", "memblock");
		pr_arr_open("regions");
		for (size_t r = 0; r < t->u.memblock.n; r++) {
			pr_obj_open(NULL);
			pr_str("name", "\n               reserve-mem %s", t->u.memblock.r[r].name);
			pr_hex("phys", " 0x%llx", t->u.memblock.r[r].start);
			pr_hex("size", " +0x%llx", t->u.memblock.r[r].size);
			pr_obj_close();
		}
		pr_arr_close();
		break;
	case KHO_BLOB_VMALLOC:
		pr_str("blob", ": %s", "vmalloc");
		pr_u64("total_pages", t->u.vmalloc.total_pages == 1 ? " %llu page" : " %llu pages",
	       t->u.vmalloc.total_pages);
		pr_u64("order", " in order-%llu runs", t->u.vmalloc.order);
		pr_u64("flags", ", flags %llu", t->u.vmalloc.flags);
		pr_hex("first_chunk", ", chain at 0x%llx", t->u.vmalloc.first);
		break;
	case KHO_BLOB_KHO_TEST:
		pr_str("blob", ": FDT", "fdt");
		pr_str("compatible", " \"%s\"", t->compatible);
		pr_obj_open("kho_test");
		if (t->u.kho_test.nr_len == 4)
			pr_u64("nr_folios", ", kho_test payload: %llu folios",
			       t->u.kho_test.nr_folios);
		else
			pr_text(", kho_test payload without nr_folios");
		pr_arr_open("folios");
		for (size_t i = 0; i < t->u.kho_test.nfolios; i++) {
			pr_obj_open(NULL);
			pr_hex("phys", NULL, t->u.kho_test.folios[i].phys);
			pr_u64("order", NULL, t->u.kho_test.folios[i].order);
			pr_obj_close();
		}
		pr_arr_close();
		if (t->u.kho_test.csum_len == 4)
			pr_hex("csum", ", csum 0x%llx", t->u.kho_test.csum);
		pr_obj_close();
		break;
	default:
		break;
	}
}

static void print_handover(const struct options *o, const struct kho_session *ses,
			   const struct kho_inspection *in, bool verify)
{
	const struct kho_map_stats *s = &in->stats;
	char orders[512] = "";
	size_t len = 0;
	bool want = (verify && o->with_ranges) || !strcmp(o->command, "ranges");
	struct owners ow = { 0 }, *owp = NULL;

	/* Owners name what ranges and findings about memory sit in; built
	 * only when something will ask (a 2^30-key tree has 32768 leaf pages
	 * to list, five times the memory of its walk). */
	for (size_t i = 0; !want && i < in->findings.n; i++)
		want = about_memory(&in->findings.v[i]);
	if (want) {
		owners_build(ses->src, in, &ow);
		owp = &ow;
	}

	pr_obj_open(NULL);
	pr_obj_open("fdt");
	if (in->ho.fdt_phys_unknown)
		pr_text("KHO FDT      at an unknown address");   /* no "phys" key */
	else
		pr_hex("phys", "KHO FDT      0x%llx", in->ho.fdt_phys);
	pr_hex("size", " (%llu bytes", in->ho.fdt_size);
	/* a page that is no FDT (--fdt at the wrong place) has no compatible */
	pr_str("compatible", *in->ho.compatible ? ", %s" : NULL, in->ho.compatible);
	if (!*in->ho.compatible)
		pr_text(", no compatible: not a KHO FDT");
	pr_str("found_by", ", found by %s)\n", ses->found_by);
	if (in->ho.compat.ncomponents) {
		/* "kho-v4;radix-v1;vmalloc-v1": decoded by the root version */
		pr_arr_open("components");
		pr_text("components  ");
		for (unsigned i = 0; i < in->ho.compat.ncomponents; i++)
			pr_str(NULL, " %s", in->ho.compat.components[i]);
		pr_text("\n");
		pr_arr_close();
	}
	pr_obj_close();
	if (in->consumed) {
		pr_bool("consumed", NULL, true);
		pr_text("consumed     the successor's incoming handover: its tree, LUO and other "
			"blobs were freed, not checked\n");
	}
	if (in->ho.fdt_ok && in->ho.abi) {
		pr_obj_open("memory_map");
		pr_hex("phys", "memory map   0x%llx", in->ho.map_phys);
		if (in->ho.abi->map_format == KHO_MAP_RADIX) {
			pr_str("format", ", %s", "radix");
			pr_u64("depth", " tree of depth %llu", in->geo.depth);
			if (in->geo.broken_depth) {
				pr_bool("broken_depth", NULL, true);
				pr_str("ranges", NULL, "meant");
				pr_text(" (the broken 16 KiB depth: ranges are what it meant)");
			}
			pr_text("\n");
		} else {
			pr_str("format", ", %s", "v1-chunks");
			pr_u64("bitmap_bytes", " with %llu-byte bitmaps\n", in->v1_bitmap_bytes);
		}
		pr_obj_close();
	}
	pr_arr_open("scratch");
	for (size_t i = 0; i < in->ho.nscratch; i++) {
		pr_obj_open(NULL);
		pr_hex("phys", "scratch      0x%llx", in->ho.scratch[i].phys);
		pr_hex("size", " +0x%llx\n", in->ho.scratch[i].size);
		pr_obj_close();
	}
	pr_arr_close();
	pr_arr_open("subtrees");
	for (size_t i = 0; i < in->ho.nsubtrees; i++) {
		pr_obj_open(NULL);
		pr_str("name", "sub-node     %-16s", in->ho.subtrees[i].name);
		pr_hex("phys", " 0x%llx", in->ho.subtrees[i].phys);
		pr_hex("size", " +0x%llx", in->ho.subtrees[i].size);
		print_blob(&in->ho.subtrees[i]);
		pr_text("\n");
		pr_obj_close();
	}
	pr_arr_close();
	if (in->luo.format != KHO_LUO_NONE)
		print_luo(&in->luo, in->geo.page_size, o->dump);
	if ((verify && o->with_ranges) || !strcmp(o->command, "ranges"))
		print_ranges(o, in, owp);

	for (unsigned i = 0; i < 65 && len < sizeof(orders) - 32; i++)
		if (s->orders[i])
			len += (size_t)snprintf(orders + len, sizeof(orders) - len, "%s%u:%llu",
						len ? ", " : "", i, HEX(s->orders[i]));
	pr_obj_open("stats");
	pr_u64("keys", in->walked ? "keys         %llu" : NULL, s->keys);
	pr_u64("runs", in->walked ? " in %llu runs" : NULL, s->runs);
	if (in->walked && s->keys)
		pr_text("; per order %s\n", orders);
	else if (in->walked)
		pr_text(in->nunknown_keys ? " (the map could not be read)\n" : "\n");
	pr_u64("nodes", NULL, s->nodes);
	pr_u64("leaves", NULL, s->leaves);
	pr_u64("empty_nodes", NULL, s->empty_nodes);
	pr_hex("preserved_bytes", in->walked ? "preserved    0x%llx bytes\n" : NULL,
	       s->preserved_bytes);
	pr_obj_open("orders");
	for (unsigned i = 0; i < 65; i++)
		if (s->orders[i]) {
			char key[8];

			snprintf(key, sizeof(key), "%u", i);
			pr_u64(key, NULL, s->orders[i]);
		}
	pr_obj_close();
	pr_obj_close();
	/* summary shows the first few; verify every one */
	print_findings(o, &in->findings, verify ? SIZE_MAX : 8, owp);
	pr_obj_close();
	owners_free(&ow);
}

/* `luo`: the FDT it hangs from, the whole LUO state, its findings. */
static void print_luo_handover(const struct options *o, const struct kho_inspection *in)
{
	pr_obj_open(NULL);
	pr_obj_open("fdt");
	pr_hex("phys", "KHO FDT      0x%llx", in->ho.fdt_phys);
	pr_str("compatible", " (%s)\n", in->ho.compatible);
	pr_obj_close();
	if (in->luo.format != KHO_LUO_NONE)
		print_luo(&in->luo, in->geo.page_size, NULL);
	else
		pr_text("LUO          %s\n", in->luo.phys ? "a blob of no known LUO format" :
			"no LUO sub-node");
	print_findings(o, &in->findings, SIZE_MAX, NULL);
	pr_obj_close();
}

/* The counts of the findings `luo` shows. */
static void count_luo(const struct kho_findings *f, size_t counts[4])
{
	memset(counts, 0, 4 * sizeof(counts[0]));
	for (size_t i = 0; i < f->n; i++)
		if (about_luo(&f->v[i]))
			counts[f->v[i].severity]++;
}

/* kho-v1's map is a chunk list, not a radix tree (tree_v1.c) */
static bool v1_map(const struct kho_inspection *in)
{
	return in->ho.abi && in->ho.abi->map_format == KHO_MAP_V1_CHUNKS && in->walked;
}

static void print_tree(const struct kho_inspection *in)
{
	const struct kho_map_stats *s = &in->stats;
	uint64_t bits = (uint64_t)s->leaves << in->geo.bitmap_log2;

	pr_obj_open("tree");
	pr_u64("depth", "depth        %llu\n", in->geo.depth);
	pr_arr_open("pages_per_level");
	for (int l = (int)in->geo.depth - 1; l >= 0; l--) {
		pr_text("level %d      ", l);
		pr_u64(NULL, "%llu", s->per_level[l]);
		pr_text(l ? " node page%s\n" : " leaf page%s\n", s->per_level[l] == 1 ? "" : "s");
	}
	pr_arr_close();
	pr_u64("tree_pages", "tree pages   %llu", s->nodes + s->leaves);
	pr_hex("tree_bytes", " (0x%llx bytes)\n", (s->nodes + s->leaves) * in->geo.page_size);
	pr_u64("leaf_bits_set", "leaf fill    %llu", s->set_bits_per_level0);
	pr_u64("leaf_bits", " of %llu bits", bits);
	pr_text(" (%.2f%%)\n", bits ? 100.0 * (double)s->set_bits_per_level0 / (double)bits : 0);
	pr_u64("empty_nodes", s->empty_nodes == 1 ? "empty        %llu page\n" :
	       "empty        %llu pages\n", s->empty_nodes);
	pr_obj_close();
}

static void pr_self(int self, const char *fmt)
{
	if (self < 0) {
		pr_null("self_preserved");
		if (fmt)
			pr_text(fmt, "?");
	} else {
		pr_bool("self_preserved", fmt, self);
	}
}

/* Every candidate and why it was or was not inspected: a table for scan,
 * a line each in reports (only when there is a choice to explain). Read
 * through the public model, as a debugger's plugin reads it. */
static void print_candidates(const struct kho_model *m, bool table, bool headings)
{
	size_t n = kho_model_candidates(m);

	pr_arr_open("candidates");
	if (table && headings)
		pr_text("%-18s %-6s %-8s %-9s %s\n", "PHYS", "SIZE", "OWN-KEY", "INSPECTED",
			"COMPATIBLE");
	for (size_t i = 0; i < n; i++) {
		uint64_t phys = kho_model_candidate_phys(m, i);
		unsigned f = kho_model_candidate_flags(m, i);
		const char *compat = kho_model_candidate_compatible(m, i);
		const char *why = kho_model_candidate_why(m, i);
		bool inspected = f & KHO_CANDIDATE_CHOSEN;

		pr_obj_open(NULL);
		if (table) {
			pr_hex("phys", "0x%-16llx", phys);
			pr_hex("size", " %-6llu", kho_model_candidate_size(m, i));
			pr_self(kho_model_candidate_self_preserved(m, i), " %-8s");
			pr_bool("inspected", " %-9s", inspected);
			pr_bool("damaged", NULL, f & KHO_CANDIDATE_DAMAGED);
			pr_str("compatible", " %s", compat);
			pr_str("why", " (%s)\n", why);
		} else if (phys == KHO_MODEL_PHYS_UNKNOWN) {
			pr_null("phys");   /* --fdt-file without --fdt */
			pr_text("candidate    (address unknown)");
		} else {
			pr_hex("phys", "candidate    0x%llx", phys);
		}
		if (!table) {
			pr_hex("size", NULL, kho_model_candidate_size(m, i));
			pr_str("compatible", " %s", *compat ? compat :
			       phys == KHO_MODEL_PHYS_UNKNOWN ? "(from --fdt-file)" :
			       "(no KHO FDT)");
			pr_self(kho_model_candidate_self_preserved(m, i), NULL);
			pr_bool("inspected", NULL, inspected);
			pr_bool("possibly_overwritten", NULL, f & KHO_CANDIDATE_OVERWRITTEN);
			pr_bool("damaged", NULL, f & KHO_CANDIDATE_DAMAGED);
			pr_str("why", inspected ? ": inspected, %s\n" : ": %s\n", why);
		}
		pr_obj_close();
	}
	pr_arr_close();
}

/* ---- main ---- */

/* Findings of @f that mean part of the structure went unread (the
 * library's policy), only those about LUO for the luo command. */
static size_t count_unread(const struct options *o, const struct kho_findings *f)
{
	size_t n = 0;

	if (strcmp(o->command, "luo"))
		return kho_findings_unread(f);
	for (size_t i = 0; i < f->n; i++)
		n += about_luo(&f->v[i]) && kho_check_means_unread(kho_check_index(f->v[i].check));
	return n;
}

/*
 * --page-size against a dump that records its own (VMCOREINFO PAGESIZE, a
 * kdump's block size): the option wins, as asked, but not silently. An
 * unreadable dump is the session's to report.
 */
static void warn_page_size(const struct options *o, const char *path)
{
	struct kho_source_opts plain = o->src;
	struct kho_source *src;
	struct kho_error err;

	if (!o->src.page_size)
		return;
	plain.page_size = 0;
	if (kho_source_open(path, &plain, &src, &err))
		return;
	if (!kho_source_page_size_assumed(src) && kho_source_page_size(src) != o->src.page_size) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s: warning: --page-size %llu overrides the %llu-byte "
			 "pages the dump records", path, HEX(o->src.page_size),
			 HEX(kho_source_page_size(src)));
		spool_unname(msg, sizeof(msg));
		fprintf(stderr, "kho-inspect: %s\n", msg);
	}
	kho_source_close(src);
}

/*
 * One dump, opened and inspected: the library's discovery session
 * (kho/session.h) behind the public model, with every option of the
 * command line. returns: 0 with *@m, or 2 after saying why.
 */
static int open_session(const struct options *o, const char *path, bool scan_only,
			struct kho_model **m)
{
	struct kho_error err = { 0 };
	const char *kind = NULL;
	struct progress p = { .mode = o->progress };
	struct kho_session_opts so = {
		.path = path, .src_opts = &o->src,
		.have_fdt = o->have_fdt, .fdt = o->fdt,
		.vmlinux = o->vmlinux, .dtb = o->dtb,
		.have_boot_params = o->have_boot_params, .boot_params = o->boot_params,
		.all = o->all, .scan_only = scan_only,
		.verify = {
			.max_order = o->max_order, .has_max_order = o->has_max_order,
			.overrides = o->overrides, .noverrides = o->noverrides,
			.scratch = o->scratch, .nscratch = o->nscratch,
			.scratch_arrays = o->arrays, .nscratch_arrays = o->narrays,
			.fdt_file = o->fdt_file,
			/* Only listing them needs the runs or the whole union stored. */
			.keep_runs = (!strcmp(o->command, "ranges") && !o->merge) ||
				     !strcmp(o->command, "extract") || o->with_ranges ||
				     !strcmp(o->command, "diff"),
			.keep_spans = o->merge || !strcmp(o->command, "diff"),
		},
		.progress = on_progress, .progress_ctx = &p, .threads = o->threads,
		.kind = &kind,
	};

	warn_page_size(o, path);
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	*m = kho_model_open_session(&so, &err);
	if (p.shown)
		fprintf(stderr, "\r%60s\r", "");
	return *m ? 0 : inspect_fail_kind(kind ? kind : kho_session_error_kind(err.status, false),
					  "%s", err.msg);
}

/* Text only: what to run next about the most severe finding; `luo`
 * shows LUO's findings only, and points at verify for the others. */
static void print_next_step(const struct options *o, const struct kho_session *s)
{
	bool luo_only = !strcmp(o->command, "luo");
	const struct kho_finding *worst = NULL;
	size_t others = 0;

	for (size_t i = 0; i <= s->nh; i++) {
		const struct kho_findings *f = i < s->nh ? &s->hs[i].findings : &s->top;

		for (size_t k = 0; k < f->n; k++) {
			if (luo_only && !about_luo(&f->v[k])) {
				others += f->v[k].severity >= KHO_SEV_WARNING;
				continue;
			}
			if (!worst || f->v[k].severity > worst->severity)
				worst = &f->v[k];
		}
	}
	if (worst && worst->severity >= KHO_SEV_WARNING)
		pr_text("next         kho-inspect --explain %s\n", worst->check->name);
	else if (others)
		pr_text("next         kho-inspect verify%s %s: %zu finding%s outside LUO\n", o->again,
			o->dump, others, others == 1 ? "" : "s");
}

/* The report of @s: printed, or with --expect built as a JSON document
 * and compared (cmd_expect). returns: the exit status. */
static int print_report(const struct options *o, struct kho_model *m)
{
	struct kho_session *s = kho_model_session(m);
	bool verify = !strcmp(o->command, "verify");
	size_t counts[4] = { 0 }, c[4], unread = 0, nodes = 0;

	pr_init(o->json || o->expect, o->pretty, stdout);
	pr_mute(o->no_headings);   /* ranges and tree unmute their rows */
	print_source(o, kho_model_source(m), kho_model_page_size_from(m));
	if (!strcmp(o->command, "whatis")) {
		print_whatis(m, o->whatis);
		return pr_finish() ? 2 : 0;
	}
	if (!strcmp(o->command, "summary") || !strcmp(o->command, "verify"))
		print_memory(kho_model_source(m));
	if (o->vmlinux)
		print_vmlinux(o, &s->boot);
	pr_arr_open("handovers");
	for (size_t i = 0; i < s->nh; i++) {
		if (s->nh > 1)
			pr_text("%s== handover %zu of %zu\n", i ? "\n" : "", i + 1, s->nh);
		if (!strcmp(o->command, "tree")) {
			pr_obj_open(NULL);
			pr_mute(false);
			if (v1_map(&s->hs[i]) && !o->have_node)
				print_tree_v1(s->src, &s->hs[i], !o->no_headings);
			else if (!o->have_node)
				print_tree(&s->hs[i]);
			else if (v1_map(&s->hs[i]) ?
				 print_tree_node_v1(s->src, &s->hs[i], o->node) :
				 print_tree_node(s->src, &s->hs[i], o->node))
				nodes++;
			pr_mute(o->no_headings);
			pr_obj_close();
		} else if (!strcmp(o->command, "luo")) {
			print_luo_handover(o, &s->hs[i]);
		} else {
			print_handover(o, s, &s->hs[i], verify);
		}
		kho_findings_count(&s->hs[i].findings, c);
		if (!strcmp(o->command, "luo"))
			count_luo(&s->hs[i].findings, c);
		for (int k = 0; k < 4; k++)
			counts[k] += c[k];
		unread += count_unread(o, &s->hs[i].findings);
	}
	pr_arr_close();
	if (o->have_node && !nodes)
		return inspect_fail("--node 0x%llx: no page of %s the walk read holds it "
				    "(kho-inspect whatis 0x%llx %s says what does)",
				    (unsigned long long)o->node, s->nh > 1 ? "the handovers' radix trees" :
				    s->nh && v1_map(&s->hs[0]) ? "the kho-v1 chunk list" :
				    "the radix tree", (unsigned long long)o->node, o->dump);
	print_findings(o, &s->top, SIZE_MAX, NULL);
	unread += count_unread(o, &s->top);
	kho_findings_count(&s->top, c);
	for (int k = 0; k < 4; k++)
		counts[k] += c[k];
	/* Why each candidate was or was not inspected, when there was a choice. */
	if (s->ncands > 1 || pr_is_json())
		print_candidates(m, false, true);
	pr_obj_open("summary");
	pr_u64("error", counts[KHO_SEV_ERROR] == 1 ? "verdict      %llu error" :
	       "verdict      %llu errors", counts[KHO_SEV_ERROR]);
	pr_u64("warning", counts[KHO_SEV_WARNING] == 1 ? ", %llu warning" : ", %llu warnings",
	       counts[KHO_SEV_WARNING]);
	pr_u64("note", counts[KHO_SEV_NOTE] == 1 ? ", %llu note" : ", %llu notes",
	       counts[KHO_SEV_NOTE]);
	pr_u64("incomplete", unread ? ", %llu incomplete" : ", %llu incomplete\n",
	       counts[KHO_SEV_INCOMPLETE]);
	/* exit 3 when nothing fails: what was verified is a part only */
	if (unread)
		pr_text(" (partial: part of the handover's structure is not in the dump)\n");
	pr_bool("partial", NULL, unread > 0);
	pr_obj_close();
	print_next_step(o, s);
	if (o->expect)
		return cmd_expect(o, pr_detach());
	return pr_finish() ? 2 : kho_verdict_status(counts, unread, o->fail_on, o->strict);
}

/* main (entry.c); a fuzz harness calls it once per input. */
/*
 * KHO_MEMORY_REPORT=1 (scripts/bench): the memory held once everything is
 * inspected and nothing freed, from /proc/self/status, to stderr:
 * anonymous memory apart from the mapped dump, and the peak of both.
 */
static void report_memory(void)
{
	char line[128];
	FILE *f;

	if (!getenv("KHO_MEMORY_REPORT") || !(f = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssAnon:", 8) || !strncmp(line, "RssFile:", 8) ||
		    !strncmp(line, "VmHWM:", 6))
			fprintf(stderr, "kho-memory %s", line);
	fclose(f);
}

/*
 * verify --expect FILE: an expectation written by kho-mkimage says in
 * generator.args what the verifier must be told (--scratch-array ...);
 * those come first, so the command line can still override them.
 * returns: the argument vector to parse (@argv, or a new one in *@owned).
 */
static char **with_expect_args(int *argc, char **argv, json_t **owned)
{
	const char *file = NULL;
	json_t *args;
	char **v;
	size_t n;

	*owned = NULL;
	for (int i = 1; i < *argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--expect") && i + 1 < *argc)
			file = argv[i + 1];
		else if (!strncmp(argv[i], "--expect=", 9))
			file = argv[i] + 9;
	if (!file || !(*owned = json_load_file(file, 0, NULL)))
		return argv;   /* cmd_expect() reports a file that does not load */
	args = json_object_get(json_object_get(*owned, "generator"), "args");
	n = json_array_size(args);
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(args, i));

		if (!a)
			return argv;
		/* the command line says it itself: theirs, not twice */
		for (int k = 1; a[0] == '-' && k < *argc; k++)
			if (!strcmp(argv[k], a))
				return argv;
	}
	v = calloc((size_t)*argc + n + 1, sizeof(*v));
	if (!n || !v) {
		free(v);
		return argv;
	}
	v[0] = argv[0];
	for (size_t i = 0; i < n; i++)
		v[1 + i] = (char *)json_string_value(json_array_get(args, i));
	memcpy(v + 1 + n, argv + 1, (size_t)(*argc - 1) * sizeof(*v));
	*argc += (int)n;
	return v;
}

static int run(const struct options *po);

int kho_inspect_main(int argc, char **argv)
{
	struct options o = { 0 };
	json_t *expect_doc;
	char **args = with_expect_args(&argc, argv, &expect_doc);
	int rc;

	rc = parse_args(argc, args, &o);
	if (!rc)
		rc = run(&o);
	if (args != argv)
		free(args);
	json_decref(expect_doc);
	return rc;
}

/*
 * diff A B: A's first handover against the handover of B at the same FDT
 * address (the handover kernel N made is the one kernel N+1 received, in
 * the same page), else B's first. One B consumed has no keys to compare:
 * said, and exit 3 (not comparable), never a comparison with another.
 */
static int diff_sessions(const struct options *o, struct kho_model *ma, struct kho_model *mb)
{
	uint64_t fdt = kho_model_handover_fdt(ma, 0);
	size_t yb = 0;

	for (size_t i = 0; i < kho_model_handovers(mb); i++)
		if (fdt != KHO_MODEL_PHYS_UNKNOWN && kho_model_handover_fdt(mb, i) == fdt)
			yb = i;
	if (kho_model_handover_consumed(mb, yb) || kho_model_handover_consumed(ma, 0)) {
		inspect_fail_kind("no-handover", "%s: the handover at 0x%llx was consumed by the kernel that received "
			     "it (handover-consumed): its keys cannot be compared; diff a dump taken "
			     "before (kho-qemu-check --at-function kho_memory_init)",
			     kho_model_handover_consumed(ma, 0) ? o->dump : o->dump_b,
			     HEX(kho_model_handover_fdt(mb, yb)));
		return 3;
	}
	return cmd_diff(o, &kho_model_session(ma)->hs[0], &kho_model_session(mb)->hs[yb]);
}

/* extract -o DIR: the first handover into DIR, every other one inspected
 * into DIR/handover-0xPHYS (a consumed one: its FDT and kept blobs). */
static int extract_all(const struct options *po, struct kho_model *m)
{
	struct kho_session *a = kho_model_session(m);
	size_t n = kho_model_handovers(m);
	char dir[4096];
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		struct options o = *po;

		if (i) {
			snprintf(dir, sizeof(dir), "%s/handover-0x%llx", po->outdir,
				 HEX(kho_model_handover_fdt(m, i)));
			o.outdir = dir;
			printf("handover %zu of %zu (KHO FDT 0x%llx%s) written to %s\n", i + 1, n,
			       HEX(kho_model_handover_fdt(m, i)),
			       kho_model_handover_consumed(m, i) ? ", consumed" : "", dir);
		}
		rc = cmd_extract(&o, kho_model_source(m), &a->hs[i]);
	}
	return rc;
}

/* The parsed command line, run. */
static int run(const struct options *po)
{
	struct options o = *po;
	struct kho_model *ma, *mb;
	struct kho_session *a;
	const char *pa, *pb = NULL;
	int rc;

	/* "-" and pipes are read from a temporary copy, named as given */
	if (!(pa = spool_stream(o.dump, 0)) || (o.dump_b && !(pb = spool_stream(o.dump_b, 1))))
		return 2;
	if (!strcmp(o.dump, "-"))
		o.dump = "(stdin)";
	if (o.dump_b && !strcmp(o.dump_b, "-"))
		o.dump_b = "(stdin)";
	if (!strcmp(o.command, "diff")) {
		rc = open_session(&o, pa, false, &ma);
		if (!rc) {
			rc = open_session(&o, pb, false, &mb);
			if (!rc)
				rc = diff_sessions(&o, ma, mb);
			kho_model_close(mb);
		}
		kho_model_close(ma);
		return rc;
	}
	rc = open_session(&o, pa, !strcmp(o.command, "scan"), &ma);
	if (rc)
		return rc;
	a = kho_model_session(ma);
	if (!strcmp(o.command, "scan")) {
		pr_init(o.json, o.pretty, stdout);
		pr_mute(o.no_headings);
		print_source(&o, kho_model_source(ma), kho_model_page_size_from(ma));
		pr_mute(false);
		print_candidates(ma, true, !o.no_headings);
		rc = pr_finish() ? 2 : kho_model_candidates(ma) ? 0 :
		     inspect_fail_kind("no-handover", "%s: no KHO FDT found", o.dump);
	} else if (!strcmp(o.command, "fdt")) {
		rc = cmd_fdt(&o, a->src, a->hs, a->nh);
	} else if (!strcmp(o.command, "extract")) {
		rc = extract_all(&o, ma);
	} else {
		rc = print_report(&o, ma);
	}
	report_memory();
	kho_model_close(ma);
	return rc;
}
