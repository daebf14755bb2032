// SPDX-License-Identifier: MIT
/*
 * The init of the real-kernel test guest (tests/kernel/README.md).
 *
 * First kernel: preserves memfds of known contents in two LUO sessions
 * through /dev/liveupdate, loads /kernel with /successor.cpio.gz as its
 * initramfs through kexec_file_load, and kexecs. The successor (command
 * line khoguest=2) retrieves every memfd and compares it byte for byte.
 *
 * Every step prints a "khoguest:" line on the console: the tests stop the
 * guest at them (kho-qemu-check --at) and read the verdict from them.
 * The ioctl numbers and structs are Linux's user ABI
 * (include/uapi/linux/liveupdate.h, 7.1 and later).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LU_TYPE 0xBA
#define LU_CREATE_SESSION _IO(LU_TYPE, 0x00)
#define LU_RETRIEVE_SESSION _IO(LU_TYPE, 0x01)
#define LU_PRESERVE_FD _IO(LU_TYPE, 0x40)
#define LU_RETRIEVE_FD _IO(LU_TYPE, 0x41)
#define LU_FINISH _IO(LU_TYPE, 0x42)

struct lu_session {
	uint32_t size;
	int32_t fd;
	char name[64];
};

struct lu_fd {
	uint32_t size;
	int32_t fd;
	uint64_t token __attribute__((aligned(8)));
};

struct lu_finish {
	uint32_t size;
	uint32_t reserved;
};

/*
 * What is preserved: memfds in sessions, each with pages written at known
 * indices (a never-written hole between them) and a seal. The successor
 * checks the same table.
 */
struct memfd_spec {
	const char *session;
	uint64_t token;
	unsigned pages;          /* file size in pages */
	const unsigned *written; /* page indices written, ending with ~0u */
};

static const unsigned written_a[] = { 0, 1, 2, 5, ~0u };
static const unsigned written_b[] = { 0, ~0u };
static const unsigned written_c[] = { 1, 3, 4, 6, 7, ~0u };

static const struct memfd_spec memfds[] = {
	{ "kho-guest-a", 0x1001, 8, written_a },
	{ "kho-guest-a", 0x1002, 1, written_b },
	{ "kho-guest-b", 0x2001, 8, written_c },
};
#define NMEMFDS (sizeof(memfds) / sizeof(*memfds))
static const char *const sessions[] = { "kho-guest-a", "kho-guest-b" };
#define NSESSIONS (sizeof(sessions) / sizeof(*sessions))

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "khoguest: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(1, buf, n) < 0)
		return;
}

static void halt(void)
{
	sync();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		pause();
}

static void die(const char *what)
{
	say("FAIL %s: %s", what, strerror(errno));
	halt();
}

/* The byte at @off of a written page: depends on the token and the offset. */
static unsigned char pattern(uint64_t token, size_t off)
{
	uint64_t x = token * 0x9e3779b97f4a7c15ull + off / 8;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (unsigned char)(x >> (8 * (off % 8)));
}

static int is_written(const struct memfd_spec *m, unsigned page)
{
	for (const unsigned *w = m->written; *w != ~0u; w++)
		if (*w == page)
			return 1;
	return 0;
}

static int make_memfd(const struct memfd_spec *m, size_t page)
{
	int fd = memfd_create(m->session, MFD_ALLOW_SEALING);
	unsigned char *buf = malloc(page);

	if (fd < 0 || !buf)
		die("memfd_create");
	if (ftruncate(fd, (off_t)m->pages * page))
		die("ftruncate");
	for (unsigned p = 0; p < m->pages; p++) {
		if (!is_written(m, p))
			continue;
		for (size_t i = 0; i < page; i++)
			buf[i] = pattern(m->token, p * page + i);
		if (pwrite(fd, buf, page, (off_t)p * page) != (ssize_t)page)
			die("pwrite");
	}
	free(buf);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW))
		die("F_ADD_SEALS");
	return fd;
}

static int check_memfd(const struct memfd_spec *m, int fd, size_t page)
{
	unsigned char *buf = malloc(page);
	struct stat st;
	int bad = 0;

	if (!buf || fstat(fd, &st))
		die("fstat");
	if ((uint64_t)st.st_size != (uint64_t)m->pages * page) {
		say("memfd %#llx: size %lld, expected %llu", (unsigned long long)m->token,
		    (long long)st.st_size, (unsigned long long)m->pages * page);
		bad = 1;
	}
	for (unsigned p = 0; p < m->pages && !bad; p++) {
		if (pread(fd, buf, page, (off_t)p * page) != (ssize_t)page)
			die("pread");
		for (size_t i = 0; i < page; i++) {
			unsigned char want = is_written(m, p) ? pattern(m->token, p * page + i) : 0;

			if (buf[i] != want) {
				say("memfd %#llx: byte %zu of page %u is %#x, expected %#x",
				    (unsigned long long)m->token, i, p, buf[i], want);
				bad = 1;
				break;
			}
		}
	}
	int seals = fcntl(fd, F_GET_SEALS);
	if (!(seals & F_SEAL_GROW)) {
		say("memfd %#llx: seals %#x lack F_SEAL_GROW", (unsigned long long)m->token, seals);
		bad = 1;
	}
	free(buf);
	say("memfd %s %#llx %s", m->session, (unsigned long long)m->token,
	    bad ? "DIFFERS" : "matches");
	return bad;
}

static void first_kernel(int lu, size_t page, const char *cmdline)
{
	int sfd[NSESSIONS];

	for (size_t s = 0; s < NSESSIONS; s++) {
		struct lu_session cs = { .size = sizeof(cs) };

		snprintf(cs.name, sizeof(cs.name), "%s", sessions[s]);
		if (ioctl(lu, LU_CREATE_SESSION, &cs))
			die("LIVEUPDATE_IOCTL_CREATE_SESSION");
		sfd[s] = cs.fd;
	}
	for (size_t i = 0; i < NMEMFDS; i++) {
		const struct memfd_spec *m = &memfds[i];
		size_t s = 0;

		while (strcmp(sessions[s], m->session))
			s++;
		struct lu_fd pf = { .size = sizeof(pf), .fd = make_memfd(m, page),
				    .token = m->token };

		if (ioctl(sfd[s], LU_PRESERVE_FD, &pf))
			die("LIVEUPDATE_SESSION_PRESERVE_FD");
	}
	say("preserved %zu memfds in %zu sessions", NMEMFDS, NSESSIONS);

	int kfd = open("/kernel", O_RDONLY | O_CLOEXEC);
	int ifd = open("/successor.cpio.gz", O_RDONLY | O_CLOEXEC);

	if (kfd < 0 || ifd < 0)
		die("open /kernel or /successor.cpio.gz");
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1, cmdline, 0UL))
		die("kexec_file_load");
	say("kexec loaded; LUO pending");
	/* the tests stop the guest here (user space before the kexec) */
	sleep(1);
	say("kexec now");
	sync();
	reboot(LINUX_REBOOT_CMD_KEXEC);
	die("reboot(LINUX_REBOOT_CMD_KEXEC)");
}

static void successor(int lu)
{
	int bad = 0;

	for (size_t s = 0; s < NSESSIONS; s++) {
		struct lu_session rs = { .size = sizeof(rs) };

		snprintf(rs.name, sizeof(rs.name), "%s", sessions[s]);
		if (ioctl(lu, LU_RETRIEVE_SESSION, &rs))
			die("LIVEUPDATE_IOCTL_RETRIEVE_SESSION");
		for (size_t i = 0; i < NMEMFDS; i++) {
			const struct memfd_spec *m = &memfds[i];
			struct lu_fd rf = { .size = sizeof(rf), .fd = -1, .token = m->token };

			if (strcmp(m->session, sessions[s]))
				continue;
			if (ioctl(rs.fd, LU_RETRIEVE_FD, &rf))
				die("LIVEUPDATE_SESSION_RETRIEVE_FD");
			bad |= check_memfd(m, rf.fd, (size_t)sysconf(_SC_PAGESIZE));
			close(rf.fd);
		}
		struct lu_finish fin = { .size = sizeof(fin) };

		if (ioctl(rs.fd, LU_FINISH, &fin))
			die("LIVEUPDATE_SESSION_FINISH");
		close(rs.fd);
	}
	say("successor %s", bad ? "FAILED: a memfd differs" : "retrieved every memfd");
	/* the tests stop the guest here (the successor in user space) */
	sleep(1);
	say("done");
}

/* The successor's command line: this one's, with khoguest=2. */
static void successor_cmdline(char *buf, size_t size)
{
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 16);

	if (n <= 0)
		die("read /proc/cmdline");
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	snprintf(buf + n, size - n, " khoguest=2");
	close(fd);
}

int main(void)
{
	char cmdline[1024];

	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		return 1;
	int con = open("/dev/console", O_RDWR);
	if (con >= 0) {
		dup2(con, 0);
		dup2(con, 1);
		dup2(con, 2);
	}
	if (mount("proc", "/proc", "proc", 0, NULL))
		die("mount /proc");
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	successor_cmdline(cmdline, sizeof(cmdline));
	/* only the first kernel's initramfs carries the successor's */
	int second = access("/successor.cpio.gz", F_OK) != 0;

	say("%s kernel up, page size %ld", second ? "successor" : "first",
	    sysconf(_SC_PAGESIZE));
	int lu = open("/dev/liveupdate", O_RDWR);
	if (lu < 0)
		die("open /dev/liveupdate");
	if (second)
		successor(lu);
	else
		first_kernel(lu, (size_t)sysconf(_SC_PAGESIZE), cmdline);
	halt();
	return 0;
}
