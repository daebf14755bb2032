// SPDX-License-Identifier: MIT
/*
 * kho-qemu-check [OPTIONS] -- QEMU_COMMAND...
 *
 * Runs a QEMU guest and checks its KHO handover at the moments that
 * matter: for each --at REGEX, in order, it waits for the regex on the
 * guest's serial console, stops the guest, dumps its memory through QMP
 * (dump-guest-memory, an ELF in a private temporary directory), runs
 * kho-inspect --json verify on it, and lets the guest go on. An
 * --at-function SYMBOL moment stops the guest at a kernel function
 * instead, through a breakpoint set over QEMU's gdbstub (gdb.c). Without
 * a moment it checks once, at once (a guest started with -S). --diff
 * compares consecutive stages with kho-inspect diff. QEMU is stopped by
 * its own PID whatever happens (timeout, error, Ctrl-C), and the
 * directory is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gdb.h"
#include "kho/kho.h"
#include "qmp.h"
#include "sparse.h"
#include "symbols.h"

#define MAX_STAGES 32
#define MAX_ARGS 64

extern char **environ;

/* A moment to check: a regex on the console, or a kernel function. */
struct moment {
	const char *text;
	bool function;
	uint64_t addr;                /* a function's address in the running kernel */
};

struct run {
	struct moment at[MAX_STAGES];
	size_t nat;
	const char *symbols;          /* --symbols FILE: vmlinux or System.map */
	uint64_t kaslr_offset;
	struct gdb gdb;               /* connected at the first --at-function */
	double timeout;
	bool json, pretty, diff;
	const char *keep;             /* --keep DIR: the stages' dumps go there */
	const char *console;          /* --console FILE: the serial log goes there */
	const char *dump_format;      /* --dump-format: QMP dump-guest-memory's format */
	const char *ext;              /* the stage files' extension: elf or kdump */
	const char *memory;           /* --memory auto|dump|file */
	char backend_id[64];          /* a shared memory-backend-file on the command line */
	char backend_path[PATH_MAX];
	const char *inspect_args[MAX_ARGS];
	size_t ninspect;
	char **qemu;                  /* QEMU_COMMAND... */
	char dir[PATH_MAX];           /* private temporary directory */
	char kho_inspect[PATH_MAX + 64];
	pid_t pid;                    /* QEMU */
	struct qmp qmp;
	size_t nstages;               /* dumps made: DIR/stage-N.elf */
	char base[MAX_STAGES][32];    /* in place: the raw base; "" for a dump */
	json_t *stages, *diffs;
	int worst;
	char matched[MAX_STAGES][256]; /* the console line each --at matched */
	char err[1024];               /* the first reason to exit 2, and its kind */
	const char *err_kind;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: kho-qemu-check [OPTIONS] -- QEMU_COMMAND...\n"
"\n"
"Start QEMU, and at each moment given check the guest's KHO handover with\n"
"kho-inspect: wait for --at REGEX on the serial console, stop the guest, dump\n"
"its memory (QMP dump-guest-memory), verify it, let it go on. Without --at,\n"
"check once at once (start the guest with -S). kho-qemu-check adds its own\n"
"QMP socket and serial port (COM1, the first -serial) to the command line.\n"
"\n"
"  --at REGEX          a stage: an extended regex on the serial console (repeatable,\n"
"                      in order; each is looked for after the previous match)\n"
"  --at-function SYMBOL  a stage: the guest's kernel enters function SYMBOL (a\n"
"                      breakpoint through QEMU's gdbstub; ordered with --at)\n"
"  --symbols FILE      where --at-function finds addresses: the guest kernel's\n"
"                      vmlinux or System.map\n"
"  --kaslr-offset N    the guest kernel's KASLR offset (default 0: boot it with\n"
"                      nokaslr; a kexec'd kernel picks a new offset)\n"
"  --timeout SECONDS   how long to wait for each stage (default 60)\n"
"  -I, --inspect ARG   one argument for kho-inspect, spaces and all (repeatable):\n"
"                      -I --dtb -I \"my dir/q.dtb\"; \"--OPTION VALUE\" in one -I is\n"
"                      the option and its value\n"
"  --vmlinux FILE, --dtb FILE, --boot-params FILE, --scratch-array ADDR,N,\n"
"  --scratch ADDR,SIZE, --fdt ADDR, --page-size N, --fail-on SEV, --strict,\n"
"  --ranges            kho-inspect's own options, passed to it as they are\n"
"  --diff              compare consecutive stages (kho-inspect diff)\n"
"  --keep DIR          keep each stage's dump as DIR/stage-N.elf (N from 1; sparse:\n"
"                      zero pages take no disk) and the serial console as\n"
"                      DIR/console.log (DIR is created)\n"
"  --console FILE      write the guest's serial console to FILE (its directory\n"
"                      is created; checked before QEMU starts)\n"
"  --dump-format FMT   dump-guest-memory's format: elf (default), kdump-zlib,\n"
"                      kdump-lzo, kdump-snappy, kdump-raw-zlib, ... (as QEMU\n"
"                      lists them); the stages are then DIR/stage-N.kdump\n"
"  --memory auto|dump|file   where memory is read: file reads a shared\n"
"                      memory-backend-file (share=on) in place when QEMU maps it\n"
"                      linearly (info mtree); dump always dumps; auto (default):\n"
"                      file when it can, else dump\n"
"  -j, --json          {\"schema\", \"stages\": [{\"at\", \"console\", \"exit\", \"memory\",\n"
"                      \"document\"}], \"diffs\": [{\"from\", \"to\", \"exit\", \"comparable\",\n"
"                      \"document\"}]}; from and to are stage numbers, from 1\n"
"                      (stage-N.elf); on exit 2 also \"error\" and \"kind\": usage,\n"
"                      io, qemu, guest, timeout, interrupted, inspect, or a stage's\n"
"                      kho-inspect kind (format, no-handover, unsupported-abi)\n"
"  -p, --pretty        indented JSON\n"
"  -h, --help\n"
"  -V, --version\n"
"\n"
"Exit status (as kho-inspect verify): 0 every stage verified without a finding\n"
"at or above error, 1 one had, 3 none had but one stage's handover could not be\n"
"read whole (partial), 2 could not check: QEMU did not start or exited, a\n"
"stage's regex did not appear within --timeout, a dump failed. Differences\n"
"--diff finds are reported, not an exit status.\n");
}

static int fail(struct run *r, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Could not check: one line on stderr, exit 2. The first such error and its
 * kind are kept for the JSON document (as kho-inspect's {"error", "kind"}):
 * CI tells a guest that never reached a stage from broken infrastructure.
 */
static int fail(struct run *r, const char *kind, const char *fmt, ...)
{
	char msg[sizeof(r->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "kho-qemu-check: %s\n", msg);
	if (!r->err[0]) {
		memcpy(r->err, msg, sizeof(msg));
		r->err_kind = kind;
	}
	return 2;
}

/* kho-inspect beside this program (an install, a build tree), else on PATH. */
static void find_kho_inspect(struct run *r)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	snprintf(r->kho_inspect, sizeof(r->kho_inspect), "kho-inspect");
	if (n <= 0)
		return;
	self[n] = '\0';
	for (const char *rel = "/kho-inspect"; rel; rel = strcmp(rel, "/kho-inspect") ? NULL :
							  "/../kho-inspect/kho-inspect") {
		char cand[PATH_MAX + 64];
		char *slash = strrchr(self, '/');

		if (!slash)
			return;
		snprintf(cand, sizeof(cand), "%.*s%s", (int)(slash - self), self, rel);
		if (!access(cand, X_OK)) {
			memcpy(r->kho_inspect, cand, sizeof(cand));
			return;
		}
	}
}

/* The value of @key in a QEMU option list "type,k=v,k=v" (copied to @out). */
static bool opt_value(const char *list, const char *key, char *out, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, key, k) && p[k] == '=') {
			const char *v = p + k + 1, *e = strchr(v, ',');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				return false;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
	return false;
}

/* -object memory-backend-file,id=ID,mem-path=PATH,share=on: the guest's
 * RAM is a file we can read in place. */
static void find_backend(struct run *r)
{
	for (size_t i = 0; r->qemu[i] && r->qemu[i + 1]; i++) {
		const char *o = r->qemu[i + 1];
		char share[8] = "";

		if (strcmp(r->qemu[i], "-object") || strncmp(o, "memory-backend-file,", 20))
			continue;
		opt_value(o, "share", share, sizeof(share));
		if ((strcmp(share, "on") && strcmp(share, "true") && strcmp(share, "yes")) ||
		    !opt_value(o, "id", r->backend_id, sizeof(r->backend_id)) ||
		    !opt_value(o, "mem-path", r->backend_path, sizeof(r->backend_path)))
			r->backend_id[0] = '\0';
		else
			return;
	}
}

/* @path and its missing parents, as mkdir -p. returns: 0, or -1 (errno). */
static int mkdir_p(const char *path)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *slash = p + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			return -1;
		*slash = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		return -1;
	if (stat(p, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * kho-inspect's options that tell it where the handover and its scratch
 * areas are, or how to judge: taken directly (--vmlinux FILE is -I --vmlinux
 * -I FILE), as a user first writes them, each as it is passed on. Their
 * getopt values are O_INSPECT + the index here.
 */
enum { O_INSPECT = 0x100 };
static const struct {
	const char *opt;
	int has_arg;
} inspect_opts[] = {
	{ "--vmlinux", required_argument },
	{ "--dtb", required_argument },
	{ "--boot-params", required_argument },
	{ "--scratch-array", required_argument },
	{ "--scratch", required_argument },
	{ "--fdt", required_argument },
	{ "--page-size", required_argument },
	{ "--fail-on", required_argument },
	{ "--strict", no_argument },
	{ "--ranges", no_argument },
};
#define N_INSPECT_OPTS (sizeof(inspect_opts) / sizeof(*inspect_opts))

static int add_inspect(struct run *r, const char *word)
{
	if (r->ninspect == MAX_ARGS)
		return fail(r, "usage", "at most %d kho-inspect arguments", MAX_ARGS);
	r->inspect_args[r->ninspect++] = word;
	return 0;
}

/*
 * -I ARG: one argument for kho-inspect, spaces and all (a path may have
 * them). The one exception keeps the form users wrote first working: ARG
 * "--NAME VALUE", a long option's name then a space, is that option and
 * its value; no kho-inspect argument is otherwise spelt so.
 */
static int add_inspect_arg(struct run *r, char *arg)
{
	size_t name = strspn(arg + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");

	if (!strncmp(arg, "--", 2) && name && arg[2 + name] == ' ') {
		arg[2 + name] = '\0';
		return add_inspect(r, arg) ?: add_inspect(r, arg + 3 + name);
	}
	return add_inspect(r, arg);
}

/* Whether the options before "--" ask for JSON: a usage error is then a
 * JSON document too, whatever option it is found at. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--pretty") ||
		    (argv[i][0] == '-' && argv[i][1] != '-' &&
		     strspn(argv[i] + 1, "jphV") == strlen(argv[i] + 1) &&
		     strpbrk(argv[i] + 1, "jp")))
			return true;
	return false;
}

/* --console FILE is written at the end: its directory is made (as
 * --keep's) and the file tried now, so the log is never lost after the
 * boot. returns: 0, or -1 (errno). */
static int console_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash && slash != path) {
		char dir[PATH_MAX];

		if ((size_t)(slash - path) >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (mkdir_p(dir))
			return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int parse(int argc, char **argv, struct run *r)
{
	static struct option longopts[32 + N_INSPECT_OPTS] = {
		{ "at", required_argument, NULL, 'a' },
		{ "at-function", required_argument, NULL, 'f' },
		{ "symbols", required_argument, NULL, 's' },
		{ "kaslr-offset", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "inspect", required_argument, NULL, 'I' },
		{ "diff", no_argument, NULL, 'd' },
		{ "keep", required_argument, NULL, 'k' },
		{ "console", required_argument, NULL, 'c' },
		{ "dump-format", required_argument, NULL, 'F' },
		{ "memory", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	size_t own = 0;
	int c, rc;
	uint64_t v;

	/* kho-inspect's options go after ours: count ours, never a literal */
	while (longopts[own].name)
		own++;
	for (size_t i = 0; i < N_INSPECT_OPTS; i++)
		longopts[own + i] = (struct option){ inspect_opts[i].opt + 2,
						     inspect_opts[i].has_arg, NULL,
						     O_INSPECT + (int)i };
	r->timeout = 60;
	r->ext = "elf";
	r->json = wants_json(argc, argv);
	opterr = 0;     /* one line of our own, not getopt's and a usage */
	while ((c = getopt_long(argc, argv, "+:I:jphV", longopts, NULL)) != -1) {
		if (c >= O_INSPECT && c < O_INSPECT + (int)N_INSPECT_OPTS) {
			if ((rc = add_inspect(r, inspect_opts[c - O_INSPECT].opt)) ||
			    (optarg && (rc = add_inspect(r, optarg))))
				return rc;
			continue;
		}
		switch (c) {
		case 'a':
		case 'f':
			if (r->nat == MAX_STAGES)
				return fail(r, "usage", "at most %d --at and --at-function", MAX_STAGES);
			r->at[r->nat++] = (struct moment){ optarg, c == 'f', 0 };
			break;
		case 's': r->symbols = optarg; break;
		case 'o':
			if (!kho_parse_number(optarg, &r->kaslr_offset))
				return fail(r, "usage", "--kaslr-offset: \"%s\" is not a number", optarg);
			break;
		case 't':
			if (!kho_parse_number(optarg, &v) || !v || v > 86400)
				return fail(r, "usage", "--timeout: \"%s\" is not a number of seconds", optarg);
			r->timeout = (double)v;
			break;
		case 'I':
			if ((rc = add_inspect_arg(r, optarg)))
				return rc;
			break;
		case 'd': r->diff = true; break;
		case 'k': r->keep = optarg; break;
		case 'c': r->console = optarg; break;
		case 'F':
			if (strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(optarg))
				return fail(r, "usage", "--dump-format: \"%s\" is not a QEMU dump format", optarg);
			r->dump_format = strcmp(optarg, "elf") ? optarg : NULL;
			break;
		case 'm':
			if (strcmp(optarg, "auto") && strcmp(optarg, "dump") && strcmp(optarg, "file"))
				return fail(r, "usage", "--memory: \"%s\" is not auto, dump or file", optarg);
			r->memory = optarg;
			break;
		case 'j': r->json = true; break;
		case 'p': r->pretty = r->json = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("kho-qemu-check %s\n", kho_version()); exit(0);
		case ':':
			return fail(r, "usage", "%s needs a value (kho-qemu-check --help lists the "
				    "options)", argv[optind - 1]);
		default:
			if (optopt)
				return fail(r, "usage", "unknown option -%c (kho-qemu-check --help lists "
					    "the options)", optopt);
			return fail(r, "usage", "unknown option %s (kho-qemu-check --help lists the "
				    "options)", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return fail(r, "usage", "no QEMU command: kho-qemu-check [OPTIONS] -- QEMU_COMMAND...");
	if (r->dump_format)
		r->ext = "kdump";
	if (r->keep && mkdir_p(r->keep))
		return fail(r, "io", "--keep %s: %s", r->keep, strerror(errno));
	if (r->console && console_writable(r->console))
		return fail(r, "io", "--console %s: %s", r->console, strerror(errno));
	r->qemu = argv + optind;
	find_backend(r);
	if (r->memory && !strcmp(r->memory, "file") && !r->backend_id[0])
		return fail(r, "usage", "--memory file: the QEMU command has no -object "
			    "memory-backend-file,...,share=on");
	for (size_t i = 0; i < r->nat; i++) {
		struct moment *m = &r->at[i];
		char why[PATH_MAX + 128];
		regex_t re;
		int e;

		if (m->function) {
			if (!r->symbols)
				return fail(r, "usage", "--at-function %s: --symbols VMLINUX_OR_SYSTEM_MAP "
					    "names where its address is", m->text);
			if (kernel_symbol(r->symbols, m->text, &m->addr, why, sizeof(why)))
				return fail(r, "usage", "--at-function: %s", why);
			m->addr += r->kaslr_offset;
			continue;
		}
		if ((e = regcomp(&re, m->text, REG_EXTENDED | REG_NOSUB))) {
			char msg[128];

			regerror(e, &re, msg, sizeof(msg));
			return fail(r, "usage", "--at \"%s\": %s", m->text, msg);
		}
		regfree(&re);
	}
	return 0;
}

static int start_qemu(struct run *r)
{
	size_t n = 0, extra = 5;
	char **argv, qmp[PATH_MAX + 64], serial[PATH_MAX + 64], gdb[PATH_MAX + 64];
	pid_t pid;

	while (r->qemu[n])
		n++;
	argv = calloc(n + 8, sizeof(*argv));
	if (!argv)
		return fail(r, "io", "out of memory");
	snprintf(qmp, sizeof(qmp), "unix:%s/qmp.sock,server=on,wait=off", r->dir);
	snprintf(serial, sizeof(serial), "file:%s/serial.log", r->dir);
	argv[0] = r->qemu[0];
	argv[1] = "-qmp";
	argv[2] = qmp;
	argv[3] = "-serial";   /* first: COM1 */
	argv[4] = serial;
	for (size_t i = 0; i < r->nat; i++)
		if (r->at[i].function) {
			snprintf(gdb, sizeof(gdb), "unix:%s/gdb.sock,server=on,wait=off", r->dir);
			argv[extra++] = "-gdb";
			argv[extra++] = gdb;
			break;
		}
	memcpy(argv + extra, r->qemu + 1, (n - 1) * sizeof(*argv));
	pid = fork();
	if (pid < 0) {
		free(argv);
		return fail(r, "io", "fork: %s", strerror(errno));
	}
	if (!pid) {
		/* QEMU dies with us, even if we are killed outright */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "kho-qemu-check: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(argv);
	r->pid = pid;
	return 0;
}

static void stop_qemu(struct run *r)
{
	int status;

	if (r->qmp.fd > 0) {
		char why[256];
		json_t *x = qmp_command(&r->qmp, "quit", NULL, qmp_now() + 2, why, sizeof(why));

		json_decref(x);
		qmp_close(&r->qmp);
	}
	if (r->pid <= 0)
		return;
	for (int i = 0; i < 40; i++) {       /* up to 2 s to quit */
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = 0;
			return;
		}
		if (i == 10)
			kill(r->pid, SIGTERM);
		usleep(50000);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	r->pid = 0;
}

/* Whether QEMU is still running; if not, why, in @why (when not NULL). */
static bool qemu_alive(struct run *r, char *why, size_t len)
{
	int status;

	if (waitpid(r->pid, &status, WNOHANG) != r->pid)
		return true;
	r->pid = 0;
	if (why)
		snprintf(why, len, "QEMU exited (%s %d) before the stage came",
			 WIFEXITED(status) ? "status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return false;
}

static bool still_running(void *ctx)
{
	return !interrupted && qemu_alive(ctx, NULL, 0);
}

/* The last lines of the serial console on stderr, after a stage failed,
 * control bytes escaped: the guest's bytes never drive the terminal. */
static void console_tail(const struct run *r)
{
	char path[PATH_MAX + 16], buf[2048];
	FILE *f;
	long len;
	size_t n, start = 0, lines = 0;

	snprintf(path, sizeof(path), "%s/serial.log", r->dir);
	if (!(f = fopen(path, "rb"))) {
		fprintf(stderr, "kho-qemu-check: the console printed nothing\n");
		return;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, len > (long)sizeof(buf) ? len - (long)sizeof(buf) : 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	for (size_t i = n; i-- > 0;)
		if (buf[i] == '\n' && ++lines == 12) {
			start = i + 1;
			break;
		}
	if (start == n) {
		fprintf(stderr, "kho-qemu-check: the console printed nothing\n");
		return;
	}
	fprintf(stderr, "kho-qemu-check: the console's last lines%s:\n", r->console || r->keep ?
		"" : " (--console FILE keeps all)");
	fputs("  | ", stderr);
	for (size_t i = start; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			fputs("\n  | ", stderr);
		else if (c == '\r')
			continue;
		else if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputc('\n', stderr);
}

/* The console line where @m starts, into @out (256 bytes): printed
 * instead of the regex, so the user reads what the guest said. Control
 * bytes are escaped: the guest's bytes never drive the terminal. */
static void matched_line(char *out, const char *text, regmatch_t m)
{
	const char *start = text + m.rm_so, *end;
	size_t n = 0;

	while (start > text && start[-1] != '\n')
		start--;
	end = strchr(start, '\n') ?: start + strlen(start);
	while (end > start && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (; start < end && n + 5 < 256; start++) {
		unsigned char c = (unsigned char)*start;

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(out + n, 256 - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

/* Wait until @re matches the serial log after *@from; *@from moves past
 * the match. returns: 0, or 2 after saying why. */
static int wait_for(struct run *r, const char *re_text, size_t *from, size_t stage)
{
	char path[PATH_MAX + 16], why[160];
	double deadline = qmp_now() + r->timeout;
	regex_t re;

	snprintf(path, sizeof(path), "%s/serial.log", r->dir);
	regcomp(&re, re_text, REG_EXTENDED);
	for (;;) {
		FILE *f = fopen(path, "rb");
		char *buf = NULL;
		size_t len = 0;

		if (f) {
			fseek(f, 0, SEEK_END);
			len = (size_t)ftell(f);
			if (len > *from && (buf = malloc(len - *from + 1))) {
				fseek(f, (long)*from, SEEK_SET);
				len = fread(buf, 1, len - *from, f);
				buf[len] = '\0';
				/* NULs in console output: match line by line */
				for (size_t at = 0; at < len;) {
					regmatch_t m;
					size_t l = strlen(buf + at);

					if (!regexec(&re, buf + at, 1, &m, 0)) {
						matched_line(r->matched[stage], buf + at, m);
						*from += at + (size_t)m.rm_eo;
						free(buf);
						fclose(f);
						regfree(&re);
						return 0;
					}
					at += l + 1;
				}
			}
			free(buf);
			fclose(f);
		}
		if (interrupted) {
			regfree(&re);
			return fail(r, "interrupted", "interrupted");
		}
		if (!qemu_alive(r, why, sizeof(why))) {
			regfree(&re);
			fail(r, "guest", "stage %zu (--at \"%s\"): %s", stage + 1, re_text, why);
			console_tail(r);
			return 2;
		}
		if (qmp_now() > deadline) {
			regfree(&re);
			fail(r, "timeout", "stage %zu: \"%s\" did not appear on the serial console "
			     "within %.0f s", stage + 1, re_text, r->timeout);
			console_tail(r);
			return 2;
		}
		usleep(20000);
	}
}

/*
 * @text with the private directory's name taken out: a stage's dump is
 * named as the user knows it, DIR/stage-N.elf under --keep, stage-N.elf
 * otherwise (the temporary file is gone by the time anyone reads this).
 */
static void unname(const struct run *r, char *text, size_t len)
{
	char prefix[PATH_MAX + 2], *at;
	const char *by = r->keep ? r->keep : "";
	size_t plen = (size_t)snprintf(prefix, sizeof(prefix), "%s/", r->dir);
	size_t blen = r->keep ? strlen(by) + 1 : 0;

	while ((at = strstr(text, prefix))) {
		size_t rest = strlen(at + plen) + 1;

		if ((size_t)(at - text) + blen + rest > len)
			break;
		memmove(at + blen, at + plen, rest);
		if (blen) {
			memcpy(at, by, blen - 1);
			at[blen - 1] = '/';
		}
	}
}

/* kho-inspect's stderr, each line after "kho-qemu-check: @label: ", its
 * paths named as the user knows them. */
static void forward_stderr(const struct run *r, const char *path, const char *label)
{
	char line[1024];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		unname(r, line, sizeof(line));
		fprintf(stderr, "kho-qemu-check: %s: %s\n", label, line);
	}
	fclose(f);
}

/*
 * Run kho-inspect with @args; its stdout parsed as JSON into *@doc. An
 * error document's message names files as the user knows them, and is
 * reported by the caller; any other line on kho-inspect's stderr is passed
 * on under @label ("stage 2", "diff 1 -> 2").
 * returns: its exit status, or 2 after saying why.
 */
static int run_inspect(struct run *r, const char *label, const char **args, size_t nargs,
		       json_t **doc)
{
	char out[PATH_MAX + 16], err[PATH_MAX + 16], msg[1024];
	const char *argv[MAX_ARGS + 8];
	posix_spawn_file_actions_t fa;
	json_error_t e;
	size_t n = 0;
	pid_t pid;
	int status;

	snprintf(out, sizeof(out), "%s/inspect.json", r->dir);
	snprintf(err, sizeof(err), "%s/inspect.err", r->dir);
	argv[n++] = r->kho_inspect;
	argv[n++] = "--json";
	for (size_t i = 0; i < nargs; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawnp(&pid, r->kho_inspect, &fa, NULL, (char **)argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return fail(r, "io", "%s: %s", r->kho_inspect, strerror(errno));
	}
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*doc = json_load_file(out, 0, &e);
	unlink(out);
	if (*doc && json_is_string(json_object_get(*doc, "error"))) {
		snprintf(msg, sizeof(msg), "%s", json_string_value(json_object_get(*doc, "error")));
		unname(r, msg, sizeof(msg));
		json_object_set_new(*doc, "error", json_string(msg));
	} else {
		forward_stderr(r, err, label);
	}
	unlink(err);
	if (!WIFEXITED(status) || !*doc)
		return fail(r, "inspect", "%s: kho-inspect gave no document (%s)", label, e.text);
	return WEXITSTATUS(status);
}

/*
 * Whether to read the shared backend file in place: QEMU's flat memory
 * view ("info mtree -f", its first address space: system memory) maps
 * every RAM range of the backend at guest address = base + file offset,
 * one base for all (x86 up to 3.5 GiB, arm64 virt). *@base then holds it.
 */
static bool use_file(struct run *r, double deadline, char *base, size_t len)
{
	json_t *x, *args;
	const char *text;
	char why[256];
	bool ok = false, any = false, first_view = true;
	unsigned long long b = 0;

	if (!r->backend_id[0] || (r->memory && !strcmp(r->memory, "dump")))
		return false;
	args = json_pack("{s:s}", "command-line", "info mtree -f");
	x = qmp_command(&r->qmp, "human-monitor-command", args, deadline, why, sizeof(why));
	json_decref(args);
	if (!x || !(text = json_string_value(x))) {
		json_decref(x);
		return false;
	}
	ok = true;
	for (const char *l = text; *l && ok; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		unsigned long long start, end, off = 0;
		char name[64];
		int used = 0;

		if (!strncmp(l, "FlatView #", 10) && any)
			first_view = false;
		if (!first_view)
			break;
		if (sscanf(l, " %llx-%llx (prio %*d, ram): %63s %n", &start, &end, name,
			   &used) < 3 || strcmp(name, r->backend_id))
			continue;
		if (l[used] == '@')
			sscanf(l + used + 1, "%llx", &off);
		if (!any)
			b = start - off;
		ok = start - off == b;
		any = true;
	}
	json_decref(x);
	if (!ok || !any)
		return false;
	snprintf(base, len, "0x%llx", b);
	return true;
}

/* @from to @to, sparse where @from has holes. returns: 0, or -1 (errno). */
static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	off_t pos = 0, end;

	if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto done;
	end = lseek(in, 0, SEEK_END);
	while (pos < end) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;
		ssize_t n;

		if (data < 0)
			break;          /* only a hole is left */
		hole = lseek(in, data, SEEK_HOLE);
		pos = data;
		while (pos < hole) {
			n = copy_file_range(in, &pos, out, &(off_t){ pos }, (size_t)(hole - pos), 0);
			if (n <= 0)
				goto done;
		}
	}
	rc = ftruncate(out, end);
done:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = -1;
	return rc;
}

/* Of two stages' exit statuses the one that says more: 2 (not checked),
 * 1 (a finding), 3 (partial: part of the handover unread), 0. */
static int worse(int a, int b)
{
	static const int rank[4] = { 0, 2, 3, 1 };
	int ra = a >= 0 && a < 4 ? rank[a] : 3, rb = b >= 0 && b < 4 ? rank[b] : 3;

	return ra >= rb ? a : b;
}

/* kho-inspect refused its arguments: they are the user's -I words (or
 * the kho-inspect options given directly), so say which they were. */
static void inspect_usage(struct run *r, const char *label, const char *err)
{
	char words[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < r->ninspect && len < sizeof(words); i++)
		len += (size_t)snprintf(words + len, sizeof(words) - len, " '%s'",
					r->inspect_args[i]);
	fail(r, "usage", "%s: kho-inspect refused its arguments (-I, one argument each:%s): %s",
	     label, r->ninspect ? words : " none", err);
}

/* Stop, dump, verify, continue; @console is the console line the stage's
 * --at matched. returns: kho-inspect's status, or 2. */
static int stage(struct run *r, const char *at, const char *console)
{
	char dump[PATH_MAX + 32], why[256], proto[PATH_MAX + 40], base[32], label[32];
	const char *args[MAX_ARGS + 8];
	bool in_place = false;
	double deadline = qmp_now() + r->timeout;
	json_t *x, *doc = NULL;
	size_t n = 0;
	int rc;

	/* numbered from 1 here too: kho-inspect's messages name this file */
	snprintf(dump, sizeof(dump), "%s/stage-%zu.%s", r->dir, r->nstages + 1, r->ext);
	snprintf(proto, sizeof(proto), "file:%s", dump);
	if (!(x = qmp_command(&r->qmp, "stop", NULL, deadline, why, sizeof(why))))
		return fail(r, "qemu", "%s", why);
	json_decref(x);
	if (use_file(r, deadline, base, sizeof(base))) {
		/* read in place: the stage "dump" is the backend file itself */
		args[n++] = "-F";
		args[n++] = "raw";
		args[n++] = "--raw-base";
		args[n++] = base;
		snprintf(dump, sizeof(dump), "%s", r->backend_path);
		snprintf(r->base[r->nstages], sizeof(r->base[0]), "%s", base);
		in_place = true;
		/* --diff compares stages later: this moment's memory, copied */
		if (r->diff && copy_file(r->backend_path, proto + 5))
			return fail(r, "io", "copying %s for --diff: %s", r->backend_path,
				    strerror(errno));
	} else if (r->memory && !strcmp(r->memory, "file")) {
		return fail(r, "usage", "--memory file: QEMU does not map %s linearly into guest memory",
			    r->backend_path);
	} else {
		json_t *a = json_pack("{s:b, s:s}", "paging", 0, "protocol", proto);

		if (r->dump_format)
			json_object_set_new(a, "format", json_string(r->dump_format));

		x = qmp_command(&r->qmp, "dump-guest-memory", a, deadline, why, sizeof(why));
		json_decref(a);
		if (!x)
			return fail(r, "qemu", "dump-guest-memory: %s", why);
		json_decref(x);
		/* kept dumps (--keep) take the disk their data takes */
		if (sparse_punch_zeros(dump))
			return fail(r, "io", "%s: %s", dump, strerror(errno));
	}
	r->nstages++;
	args[n++] = "verify";
	for (size_t i = 0; i < r->ninspect; i++)
		args[n++] = r->inspect_args[i];
	args[n++] = dump;
	snprintf(label, sizeof(label), "stage %zu", r->nstages);
	rc = run_inspect(r, label, args, n, &doc);
	if (doc) {
		const char *err = json_string_value(json_object_get(doc, "error"));
		const char *kind = json_string_value(json_object_get(doc, "kind"));

		if (err && kind && !strcmp(kind, "usage"))
			inspect_usage(r, label, err);
		else if (err)
			fail(r, kind ?: "inspect", "%s: could not inspect: %s", label, err);
		json_array_append_new(r->stages, json_pack("{s:s?, s:s?, s:i, s:s, s:o}", "at", at,
							   "console", console, "exit", rc,
							   "memory", in_place ? "file" : "dump",
							   "document", doc));
	}
	if (!(x = qmp_command(&r->qmp, "cont", NULL, deadline, why, sizeof(why))))
		return fail(r, "qemu", "%s", why);
	json_decref(x);
	return rc;
}

/*
 * Run the guest until its kernel enters @m's function: stop it (QEMU stops
 * it as the gdbstub client connects, else 0x03), set a hardware breakpoint,
 * continue, wait for the hit, and clear the breakpoint, leaving the guest
 * stopped for stage(). returns: 0, or 2 after saying why.
 */
static int reach_function(struct run *r, const struct moment *m, size_t i)
{
	double deadline = qmp_now() + r->timeout;
	char why[PATH_MAX + 128];

	if (r->gdb.fd < 0) {
		snprintf(why, sizeof(why), "%s/gdb.sock", r->dir);
		if (gdb_connect(&r->gdb, why, deadline, why, sizeof(why)))
			return fail(r, "qemu", "stage %zu (--at-function %s): %s", i + 1, m->text, why);
	} else {
		json_t *st = qmp_command(&r->qmp, "query-status", NULL, deadline, why, sizeof(why));
		bool running = json_is_true(json_object_get(st, "running"));

		json_decref(st);
		if (!st || (running && gdb_interrupt(&r->gdb, deadline, why, sizeof(why))))
			return fail(r, "qemu", "stage %zu (--at-function %s): %s", i + 1, m->text, why);
	}
	if (gdb_breakpoint(&r->gdb, true, m->addr, 1, deadline, why, sizeof(why)) ||
	    gdb_continue(&r->gdb, deadline, why, sizeof(why)) ||
	    gdb_wait_stop(&r->gdb, deadline, still_running, r, why, sizeof(why)) ||
	    gdb_breakpoint(&r->gdb, false, m->addr, 1, deadline, why, sizeof(why))) {
		fail(r, qmp_now() > deadline ? "timeout" : !qemu_alive(r, NULL, 0) ? "guest" : "qemu",
		     "stage %zu (--at-function %s at 0x%llx): %s", i + 1, m->text,
		     (unsigned long long)m->addr, why);
		console_tail(r);
		return 2;
	}
	return 0;
}

static int diffs(struct run *r)
{
	int worst = 0;

	for (size_t i = 0; i + 1 < r->nstages; i++) {
		char a[PATH_MAX + 32], b[PATH_MAX + 32], label[64];
		const char *args[7];
		json_t *doc = NULL;
		size_t n = 0;
		int rc;

		snprintf(a, sizeof(a), "%s/stage-%zu.%s", r->dir, i + 1, r->ext);
		snprintf(b, sizeof(b), "%s/stage-%zu.%s", r->dir, i + 2, r->ext);
		if (r->base[i][0]) {    /* copies of the backend file: raw */
			args[n++] = "-F";
			args[n++] = "raw";
			args[n++] = "--raw-base";
			args[n++] = r->base[i];
		}
		args[n++] = "diff";
		args[n++] = a;
		args[n++] = b;
		snprintf(label, sizeof(label), "diff %zu -> %zu", i + 1, i + 2);
		rc = run_inspect(r, label, args, n, &doc);
		if (!doc)
			return 2;
		if (rc == 2)
			fail(r, json_string_value(json_object_get(doc, "kind")) ?: "inspect",
			     "%s: %s", label, json_string_value(json_object_get(doc, "error")) ?:
			     "kho-inspect could not compare");
		/* an error document compared nothing (a consumed handover has no
		 * keys left): said, never counted as no difference */
		json_array_append_new(r->diffs, json_pack("{s:I, s:I, s:i, s:b, s:o}", "from",
							  (json_int_t)i + 1, "to", (json_int_t)i + 2,
							  "exit", rc, "comparable",
							  !json_object_get(doc, "error"), "document",
							  doc));
		worst = rc > worst ? rc : worst;
	}
	return worst;
}

/* @from to @to, renamed, or copied where they are on different file
 * systems, through a temporary name beside @to. returns: 0, or -1 (errno). */
static int move_file(const char *from, const char *to, bool keep_from)
{
	char tmp[PATH_MAX + 16];

	if (!keep_from && !rename(from, to))
		return 0;
	if (!keep_from && errno != EXDEV)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	if (copy_file(from, tmp) || rename(tmp, to)) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return keep_from ? 0 : unlink(from);
}

static void remove_dir(struct run *r)
{
	char path[PATH_MAX + 32], kept[PATH_MAX + 32];
	static const char *const fixed[] = { "qmp.sock", "gdb.sock", "serial.log", "inspect.json",
					     "inspect.err" };

	if (!r->dir[0])
		return;
	snprintf(path, sizeof(path), "%s/serial.log", r->dir);
	if (r->console && !access(path, F_OK) && move_file(path, r->console, true))
		fprintf(stderr, "kho-qemu-check: %s: %s\n", r->console, strerror(errno));
	snprintf(kept, sizeof(kept), "%s/console.log", r->keep ? r->keep : "");
	if (r->keep && !access(path, F_OK) && move_file(path, kept, true))
		fprintf(stderr, "kho-qemu-check: %s: %s\n", kept, strerror(errno));
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) {
		snprintf(path, sizeof(path), "%s/%s", r->dir, fixed[i]);
		unlink(path);
	}
	for (size_t i = 1; i <= r->nstages + 1; i++) {
		snprintf(path, sizeof(path), "%s/stage-%zu.%s", r->dir, i, r->ext);
		snprintf(kept, sizeof(kept), "%s/stage-%zu.%s", r->keep ? r->keep : "", i, r->ext);
		if (r->keep && i <= r->nstages && !access(path, F_OK) && move_file(path, kept, false))
			fprintf(stderr, "kho-qemu-check: %s: %s\n", kept, strerror(errno));
		unlink(path);
	}
	if (rmdir(r->dir))
		fprintf(stderr, "kho-qemu-check: %s: %s (left behind)\n", r->dir, strerror(errno));
}

/* "1 note", "2 notes" */
static void count(long long n, const char *what, const char *sep)
{
	printf("%lld %s%s%s", n, what, n == 1 ? "" : "s", sep);
}

static void print_finding(json_t *f)
{
	printf("  %s (%s): %s: %s\n", json_string_value(json_object_get(f, "severity")),
	       json_string_value(json_object_get(f, "check")),
	       json_string_value(json_object_get(f, "phys")) ?: "-",
	       json_string_value(json_object_get(f, "message")));
}

/*
 * Text: each stage's verdict line and every finding its counts count (the
 * handovers' and the dump's own, such as handover-consumed), then the diff
 * summaries. A stage is named by the console line its --at matched, the
 * guest's words rather than the regex.
 */
static void print_text(const struct run *r)
{
	size_t i;
	json_t *s;

	json_array_foreach(r->stages, i, s) {
		json_t *doc = json_object_get(s, "document"), *sum = json_object_get(doc, "summary");
		const char *at = json_string_value(json_object_get(s, "at"));
		const char *line = json_string_value(json_object_get(s, "console"));
		json_t *h, *f;
		size_t k, j;

		if (line)
			printf("stage %zu at \"%s\": ", i + 1, line);
		else
			printf("stage %zu%s%s: ", i + 1, at ? " at " : "", at ?: "");
		if (json_object_get(doc, "error")) {
			printf("could not inspect: %s\n",
			       json_string_value(json_object_get(doc, "error")));
			continue;
		}
		json_array_foreach(json_object_get(doc, "handovers"), k, h)
			printf("KHO FDT %s (%s%s), %lld keys; ",
			       json_string_value(json_object_get(json_object_get(h, "fdt"), "phys")),
			       json_string_value(json_object_get(json_object_get(h, "fdt"),
								 "compatible")),
			       json_is_true(json_object_get(h, "consumed")) ? ", consumed" : "",
			       (long long)json_integer_value(json_object_get(
				       json_object_get(h, "stats"), "keys")));
		count(json_integer_value(json_object_get(sum, "error")), "error", ", ");
		count(json_integer_value(json_object_get(sum, "warning")), "warning", ", ");
		count(json_integer_value(json_object_get(sum, "note")), "note", ", ");
		printf("%lld incomplete\n",
		       (long long)json_integer_value(json_object_get(sum, "incomplete")));
		json_array_foreach(json_object_get(doc, "handovers"), k, h)
			json_array_foreach(json_object_get(h, "findings"), j, f)
				print_finding(f);
		json_array_foreach(json_object_get(doc, "findings"), j, f)
			print_finding(f);
	}
	json_array_foreach(r->diffs, i, s) {
		json_t *doc = json_object_get(s, "document"), *sum = json_object_get(doc, "summary");

		printf("diff %lld -> %lld: ", (long long)json_integer_value(json_object_get(s, "from")),
		       (long long)json_integer_value(json_object_get(s, "to")));
		if (json_object_get(doc, "error")) {
			printf("not comparable: %s\n",
			       json_string_value(json_object_get(doc, "error")));
			continue;
		}
		printf("keys only before %lld, only after %lld, FDT differences %lld, LUO "
		       "differences %lld\n",
		       (long long)json_integer_value(json_object_get(sum, "keys_only_in_a")),
		       (long long)json_integer_value(json_object_get(sum, "keys_only_in_b")),
		       (long long)json_integer_value(json_object_get(sum, "fdt_differences")),
		       (long long)json_integer_value(json_object_get(sum, "luo_differences")));
	}
}

int main(int argc, char **argv)
{
	struct run r = { .qmp = { .fd = -1 }, .gdb = { .fd = -1 } };
	struct sigaction sa = { .sa_handler = on_signal };
	const char *tmp = getenv("TMPDIR");
	size_t from = 0;
	char why[256];
	int rc;

	r.stages = json_array();
	r.diffs = json_array();
	if ((rc = parse(argc, argv, &r)))
		goto out;
	find_kho_inspect(&r);
	snprintf(r.dir, sizeof(r.dir), "%s/kho-qemu-check.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(r.dir)) {
		rc = fail(&r, "io", "%s: %s", r.dir, strerror(errno));
		r.dir[0] = '\0';
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);   /* a QEMU that went away is an error, not a kill */
	if ((rc = start_qemu(&r)))
		goto out;
	{
		char sock[PATH_MAX + 16];

		snprintf(sock, sizeof(sock), "%s/qmp.sock", r.dir);
		if (qmp_connect(&r.qmp, sock, qmp_now() + r.timeout, still_running, &r, why,
				sizeof(why))) {
			rc = fail(&r, "qemu", "%s", why);
			goto out;
		}
	}
	rc = 0;
	for (size_t i = 0; i < (r.nat ? r.nat : 1); i++) {
		int s;

		if (r.nat && (s = r.at[i].function ? reach_function(&r, &r.at[i], i) :
				  wait_for(&r, r.at[i].text, &from, i))) {
			rc = s;
			goto out;
		}
		s = stage(&r, r.nat ? r.at[i].text : NULL,
			  r.nat && !r.at[i].function ? r.matched[i] : NULL);
		if (s == 2) {
			rc = 2;
			goto out;
		}
		rc = worse(rc, s);
	}
	/* Differences between stages are expected (the outgoing kernel's view
	 * against the incoming one's): reported, not an exit status; only a
	 * diff that could not run is. */
	if (r.diff && diffs(&r) == 2)
		rc = 2;
out:
	gdb_close(&r.gdb);
	stop_qemu(&r);
	if (interrupted && rc != 2)
		rc = fail(&r, "interrupted", "interrupted");
	/* JSON: a document whatever happened, the artifact CI keeps; exit 2
	 * adds {"error", "kind"} to the stages checked so far */
	if (r.json || rc != 2 || json_array_size(r.stages)) {
		if (r.json) {
			json_t *doc = json_pack("{s:i, s:O, s:O}", "schema", 1, "stages", r.stages,
						"diffs", r.diffs);

			if (rc == 2) {
				json_object_set_new(doc, "error", json_string(r.err[0] ? r.err :
									      "could not check"));
				json_object_set_new(doc, "kind", json_string(r.err_kind ?: "qemu"));
			}

			json_dumpf(doc, stdout, r.pretty ? JSON_INDENT(2) : JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(doc);
		} else {
			print_text(&r);
		}
	}
	remove_dir(&r);
	json_decref(r.stages);
	json_decref(r.diffs);
	return fflush(stdout) ? 2 : rc;
}
