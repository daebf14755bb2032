/* SPDX-License-Identifier: MIT */
/* Harness helpers: fuzz input as a file libkho can open, without disk I/O. */
#ifndef KHO_FUZZ_UTIL_H
#define KHO_FUZZ_UTIL_H

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding @data; *@path names it. returns: the fd, or -1. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("kho-fuzz", 0);

	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
