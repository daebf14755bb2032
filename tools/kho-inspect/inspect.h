/* SPDX-License-Identifier: MIT */
/* kho-inspect: what the commands share. */
#ifndef KHO_INSPECT_H
#define KHO_INSPECT_H

#include "kho/internal.h"

struct options {
	const char *command;
	const char *dump, *dump_b;
	struct kho_source_opts src;
	bool have_fdt, all, json, pretty, strict, merge, with_ranges;
	bool no_headings;      /* ranges, tree, scan: only the rows */
	const char *sort;      /* ranges: "phys" or "tree"; NULL: phys in text, tree in JSON */
	uint64_t fdt;
	const char *fdt_file, *outdir, *dtb, *vmlinux;
	const char *expect;    /* verify --expect FILE */
	uint64_t boot_params;
	bool have_boot_params;
	struct kho_scratch_area scratch[32], arrays[8];
	size_t nscratch, narrays;
	struct kho_model_severity overrides[64];
	size_t noverrides;
	unsigned max_order;
	bool has_max_order;           /* --max-order given (0 means 0) */
	enum kho_severity fail_on;
	int progress;          /* -1 never, 0 auto, 1 always */
	uint64_t whatis;       /* whatis ADDR */
	uint64_t node;         /* tree --node ADDR */
	char again[1024];      /* the options given, for a "next" command line */
	bool have_node;
	unsigned threads;      /* --threads N */
};

/* The whole command line: what main() runs. returns: the exit status. */
int kho_inspect_main(int argc, char **argv);
/* A fatal error: one line on stderr (and {"error"} under --json). returns: 2. */
int inspect_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same with the failure's kind: usage (the default above), io, format,
 * no-handover or unsupported-abi. */
int inspect_fail_kind(const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* verify --expect: the document @doc (consumed) against o->expect.
 * returns: 0 it matches, 1 it differs, 2 the expectation cannot be read. */
struct json_t;
int cmd_expect(const struct options *o, struct json_t *doc);
/* fdt: each FDT as DTS, on stdout or with -o DIR one file dtc reads each. */
int cmd_fdt(const struct options *o, struct kho_source *src, const struct kho_inspection *hs,
	    size_t n);
/* -o DIR, made if missing (not its parents). returns: 0 or 2 after saying why. */
int make_out_dir(const char *dir);
/* DIR/NAME written whole under a temporary name, then renamed; its path
 * printed. returns: 0 or 2. */
int write_out_file(const char *dir, const char *name, const void *buf, size_t len);
/* A sub-node name made safe as a file name, then @ext. */
void out_file_name(const char *name, const char *ext, char *out, size_t len);
int cmd_extract(const struct options *o, struct kho_source *src,
		const struct kho_inspection *in);
int cmd_diff(const struct options *o, const struct kho_inspection *a,
	     const struct kho_inspection *b);
/* diff: the FDTs' compatible and sub-nodes that differ. returns: how many. */
size_t diff_fdt(const struct kho_handover *a, const struct kho_handover *b);
/* diff: LUO sessions and files of one dump only, or changed. returns: how many. */
size_t diff_luo(const struct kho_luo *a, const struct kho_luo *b, bool *oom);
/* A dump given as "-" or a pipe (the @slot-th of at most 2): copied to a
 * temporary file, removed at exit. returns: the path to read (@dump itself
 * for a file), or NULL after saying why (exit 2). */
const char *spool_stream(const char *dump, size_t slot);
/* Temporary copies named in @msg become the streams' names. */
void spool_unname(char *msg, size_t len);
/* tree --node: the radix tree page holding @addr, entry by entry.
 * returns: false when @addr is in no page of @in's tree. */
bool print_tree_node(struct kho_source *src, const struct kho_inspection *in, uint64_t addr);
void print_tree_v1(struct kho_source *src, const struct kho_inspection *in, bool headings);
bool print_tree_node_v1(struct kho_source *src, const struct kho_inspection *in, uint64_t addr);
/* whatis: what the dump and each handover say about address @a. */
void print_whatis(struct kho_model *m, uint64_t a);
/* extract: each LUO memfd as DIR/luo/SESSION/TOKEN.memfd. returns: 0 or 2. */
int extract_luo(const struct options *o, struct kho_source *src,
		const struct kho_inspection *in);
/* The LUO state: brief (summary) or @full (luo); JSON the same. */
void print_luo(const struct kho_luo *l, uint64_t page, const char *dump);
/* Prints the ranges of @in (by address, --sort tree, --merge), each with
 * what owns it when @ow knows. */
struct owners;
void print_ranges(const struct options *o, const struct kho_inspection *in,
		  const struct owners *ow);

#endif
