// SPDX-License-Identifier: MIT
/*
 * kho-mkimage SPEC... -o OUTDIR
 *
 * Runs each spec through the reference implementation and writes
 * NAME.raw / .elf / .kcore / .qemu / .kdump / .dtb / .expect.json.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kho/kho.h"
#include "kho/ref.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kho-mkimage [OPTIONS] SPEC... -o OUTDIR\n"
		"\n"
		"Build golden KHO images with the reference implementation of the\n"
		"kernel's preserve/unpreserve, and their expected verifier output.\n"
		"\n"
		"  -o, --output DIR     where to write NAME.{raw,elf,...} (required)\n"
		"      --only KINDS     comma-separated subset of the spec's outputs (with several\n"
		"                       specs, each writes those it makes; one no spec makes\n"
		"                       is an error)\n"
		"                       (raw,elf,kcore,qemu,kdump,kdump-lzo,flat,dtb,\n"
		"                       boot-dtb,expect,luo)\n"
		"      --raw-base ADDR  physical address of byte 0 of the raw image\n"
		"      --list-defects   print the check names a defect can target\n"
		"  -q, --quiet          do not list the files written\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"\n"
		"Exit status: 0 written, 2 bad usage or a spec error (FILE:LINE: why).\n");
}

static const char *const kind_names[KHO_IMAGE_NKINDS] = {
	"raw", "elf", "kcore", "qemu", "kdump", "kdump-lzo", "dtb", "boot-dtb", "expect", "luo",
	"flat",
};

static int parse_only(const char *arg, unsigned *mask)
{
	char *copy = strdup(arg), *save = NULL;

	*mask = 0;
	for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		int k;

		for (k = 0; k < KHO_IMAGE_NKINDS && strcmp(kind_names[k], w); k++)
			;
		if (k == KHO_IMAGE_NKINDS) {
			fprintf(stderr, "kho-mkimage: --only: unknown kind \"%s\"\n", w);
			free(copy);
			return -1;
		}
		*mask |= 1u << k;
	}
	free(copy);
	return 0;
}

/* NAME of SPEC: its file name without the directory and ".spec". */
static void spec_name(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".spec"))
		n -= 5;
	snprintf(out, len, "%.*s", (int)n, base);
}

/* mkdir -p @dir. returns: 0, or -1 with errno. */
static int make_dir(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return errno = ENAMETOOLONG, -1;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i])
			continue;
		p[i] = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		p[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/* The kinds of @mask, as --only spells them, comma-separated. */
static void kinds(unsigned mask, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int k = 0; k < KHO_IMAGE_NKINDS; k++)
		if (mask & (1u << k) && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "",
						 kind_names[k]);
}

/*
 * @only: --only's kinds; with one spec (@alone) a kind it does not make is
 * an error before anything is written; with several each writes what it
 * makes of them and *@made collects what they made, for main() to check.
 */
static int build(const char *spec, const char *outdir, unsigned only, bool alone,
		 unsigned *made, uint64_t raw_base, bool have_raw_base, bool quiet)
{
	struct kho_spec_result res;
	struct kho_error err = { 0 };
	char name[256], path[4096], image[300];
	const char *spec_file;
	unsigned outputs;
	int rc = 0;

	if (kho_spec_run(spec, &res, &err)) {
		fprintf(stderr, "kho-mkimage: %s\n", err.msg);
		return 2;
	}
	if (have_raw_base)
		res.raw_base = raw_base;
	*made |= res.outputs;
	if (alone && only & ~res.outputs) {
		char want[128], has[128];

		kinds(only & ~res.outputs, want, sizeof(want));
		kinds(res.outputs, has, sizeof(has));
		fprintf(stderr, "kho-mkimage: %s: --only %s: the spec does not make %s (it makes "
			"%s; its outputs line chooses)\n", spec, want, want, has);
		kho_ref_free(res.ref);
		return 2;
	}
	spec_name(spec, name, sizeof(name));
	/* Recorded without its directory, so outputs do not depend on the cwd. */
	spec_file = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
	snprintf(image, sizeof(image), "%s.elf", name);
	outputs = only ? res.outputs & only : res.outputs;
	if (!quiet)
		printf("%s:\n", spec);
	for (int k = 0; k < KHO_IMAGE_NKINDS && !rc; k++) {
		struct kho_write_opts opts = { res.raw_base, spec_file, image };
		enum kho_status st;

		if (!(outputs & (1u << k)))
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", outdir, name,
			 kho_image_suffix((enum kho_image_kind)k));
		st = kho_ref_write(res.ref, (enum kho_image_kind)k, path, &opts, &err);
		if (st == KHO_ERR_NOTIMPL) {
			fprintf(stderr, "kho-mkimage: skipped: %s\n", err.msg);
			continue;
		}
		if (st) {
			fprintf(stderr, "kho-mkimage: %s\n", err.msg);
			rc = 2;
		} else if (!quiet) {
			printf("  wrote       %s\n", path);
		}
	}
	if (!quiet && !rc)
		kho_ref_print_summary(res.ref, stdout);
	kho_ref_free(res.ref);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "only", required_argument, NULL, 'O' },
		{ "raw-base", required_argument, NULL, 'b' },
		{ "list-defects", no_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *outdir = NULL;
	uint64_t raw_base = 0;
	bool have_raw_base = false;
	unsigned made = 0;
	unsigned only = 0;
	bool quiet = false;
	struct stat sb;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "o:qhV", opts, NULL)) != -1) {
		switch (c) {
		case 'o': outdir = optarg; break;
		case 'O':
			if (parse_only(optarg, &only))
				return 2;
			break;
		case 'b':
			if (!kho_parse_number(optarg, &raw_base)) {
				fprintf(stderr, "kho-mkimage: --raw-base: \"%s\" is not an address\n",
					optarg);
				return 2;
			}
			have_raw_base = true;
			break;
		case 'q': quiet = true; break;
		case 'L':
			for (const char *const *n = kho_ref_defect_names(); *n; n++)
				printf("%s\n", *n);
			return 0;
		case 'h': usage(stdout); return 0;
		case 'V': printf("kho-mkimage %s\n", KHO_VERSION_STRING); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* one line that says what is missing; the whole usage only for none */
	if (optind == argc && !outdir) {
		usage(stderr);
		return 2;
	}
	if (!outdir || optind == argc) {
		fprintf(stderr, "kho-mkimage: %s (kho-mkimage [OPTIONS] SPEC... -o OUTDIR)\n",
			outdir ? "no SPEC given" : "-o OUTDIR is missing: where to write the images");
		return 2;
	}
	if (make_dir(outdir)) {
		fprintf(stderr, "kho-mkimage: %s: %s\n", outdir, strerror(errno));
		return 2;
	}
	if (stat(outdir, &sb) || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "kho-mkimage: %s: not a directory\n", outdir);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int r = build(argv[i], outdir, only, optind + 1 == argc, &made, raw_base,
			      have_raw_base, quiet);

		if (r > rc)
			rc = r;
	}
	if (!rc && only & ~made) {
		char none[128];

		kinds(only & ~made, none, sizeof(none));
		fprintf(stderr, "kho-mkimage: --only %s: none of the specs makes %s\n", none, none);
		return 2;
	}
	return rc;
}
