/* SPDX-License-Identifier: MIT */
/* Harness helpers: fuzz input as a file libkho can open, without disk I/O. */
#ifndef KHO_FUZZ_UTIL_H
#define KHO_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdint.h>
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

/*
 * Punch holes into the file behind @fd (@size bytes): eighth i of it, in
 * whole 4 KiB pages, when bit i of @mask is set. Sources then see the
 * data extents and holes a sparse dump has (SEEK_DATA, SEEK_HOLE).
 */
static inline void fuzz_punch(int fd, size_t size, uint8_t mask)
{
	size_t eighth = size / 8 / 4096 * 4096;

	for (int i = 0; eighth && i < 8; i++)
		if (mask & (1u << i))
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  (off_t)(i * eighth), (off_t)eighth);
}

#endif
