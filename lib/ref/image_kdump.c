// SPDX-License-Identifier: MIT
/*
 * Compressed kdump images are made by the real makedumpfile from an ELF
 * written without VMCOREINFO: with VMCOREINFO it would walk page tables
 * that generated memory does not have (see docs/dump-formats.md). -d 0
 * keeps every page; -c is zlib, -l lzo.
 */
#include "ref_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/util.h"

extern char **environ;

static bool find_makedumpfile(char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/makedumpfile", d);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

enum kho_status ref_write_kdump(struct kho_ref *ref, const char *path, bool lzo,
				struct kho_error *err)
{
	char tool[4200], elf[4200], dump[4200];
	char *argv[] = { tool, lzo ? "-l" : "-c", "-d", "0", elf, dump, NULL };
	posix_spawn_file_actions_t fa;
	enum kho_status st;
	pid_t pid;
	int fd, status;

	if (!find_makedumpfile(tool, sizeof(tool)))
		return kho_error_set(err, KHO_ERR_NOTIMPL,
				     "makedumpfile is not installed; no kdump image");
	snprintf(elf, sizeof(elf), "%s.tmp-elf-XXXXXX", path);
	fd = mkstemp(elf);
	if (fd < 0)
		return kho_error_errno(err, "%s", elf);
	st = ref_write_elf(ref, fd, KHO_IMAGE_ELF, false, err);
	close(fd);
	/* makedumpfile will not write over an existing file. */
	snprintf(dump, sizeof(dump), "%s.tmp-kdump-%d", path, (int)getpid());
	unlink(dump);
	if (!st) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, tool, &fa, NULL, argv, environ)) {
			st = kho_error_errno(err, "running makedumpfile");
		} else if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
			   WEXITSTATUS(status)) {
			st = kho_error_set(err, KHO_ERR_SYSTEM,
					   "makedumpfile %s -d 0 failed on %s", argv[1], elf);
		} else if (chmod(dump, 0644) || rename(dump, path)) {
			st = kho_error_errno(err, "renaming to %s", path);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	unlink(elf);
	unlink(dump);
	return st;
}
