// SPDX-License-Identifier: MIT
/*
 * Arbitrary physical memory through kho-inspect itself (the
 * kho_inspect_cli library): the fdt command on every input, and one of
 * the printers per input, text or JSON (verify, summary, ranges, tree, luo,
 * scan, diff). The last byte picks the page size (bits 0-1), a scratch
 * area (bit 7) and the command (bits 2-6). Output goes to /dev/null;
 * "no KHO FDT found" and such one-line reasons go to stderr.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

int kho_inspect_main(int argc, char **argv);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 16

static const char *const commands[][4] = {
	{ "verify", "--ranges" },
	{ "-j", "verify", "--ranges" },
	{ "-p", "summary" },
	{ "ranges", "--sort", "phys" },
	{ "-j", "ranges", "--merge" },
	{ "tree" },
	{ "-j", "tree" },
	{ "scan" },
	{ "-j", "scan" },
	{ "--all", "verify" },
	{ "-j", "--all", "summary" },
	{ "diff" },            /* the input against itself */
	{ "-j", "diff" },
	{ "-j", "fdt" },       /* fdt refuses -j: exit 2 */
	{ "luo" },
	{ "-j", "luo" },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The printers' output is not looked at; the sanitizers watch them. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

static void run(const char *page, bool scratch, const char *fdt, const char *const *cmd,
		const char *path, bool twice)
{
	char *argv[MAX_ARGS];
	int argc = 0;

	argv[argc++] = (char *)"kho-inspect";
	argv[argc++] = (char *)"-F";
	argv[argc++] = (char *)"raw";
	argv[argc++] = (char *)"--page-size";
	argv[argc++] = (char *)page;
	argv[argc++] = (char *)"--progress";
	argv[argc++] = (char *)"never";
	if (fdt) {
		argv[argc++] = (char *)"--fdt";
		argv[argc++] = (char *)fdt;
	}
	if (scratch) {
		argv[argc++] = (char *)"--scratch";
		argv[argc++] = (char *)"0x1000,0x3000";
	}
	for (int i = 0; i < 4 && cmd[i]; i++)
		argv[argc++] = (char *)cmd[i];
	argv[argc++] = (char *)path;
	if (twice)
		argv[argc++] = (char *)path;
	argv[argc] = NULL;
	optind = 0;            /* getopt starts afresh (glibc) */
	kho_inspect_main(argc, argv);
	fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pages[] = { "4096", "16384", "65536", "4096" };
	static const char *const fdt[] = { "fdt", NULL };
	const char *const *cmd;
	char path[64], fdt_at[32] = "";
	int fd;

	if (!size || size > (1u << 20))
		return 0;
	fd = fuzz_file(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	cmd = commands[(data[size - 1] >> 2 & 31) % (sizeof(commands) / sizeof(commands[0]))];
	/*
	 * fdt finds its FDTs by scanning; the printers are given the first
	 * 4 KiB-aligned FDT magic (if any) with --fdt, so that a mutation
	 * of the page size or of the compatible string does not leave them
	 * at "no KHO FDT found".
	 */
	for (size_t at = 0; at + 4 <= size && !fdt_at[0]; at += 4096)
		if (!memcmp(data + at, "\xd0\x0d\xfe\xed", 4))
			snprintf(fdt_at, sizeof(fdt_at), "0x%zx", at);
	run(pages[data[size - 1] & 3], data[size - 1] >> 7, NULL, fdt, path, false);
	run(pages[data[size - 1] & 3], data[size - 1] >> 7, fdt_at[0] ? fdt_at : NULL, cmd,
	    path, !strcmp(cmd[cmd[1] ? 1 : 0], "diff"));
	close(fd);
	return 0;
}
