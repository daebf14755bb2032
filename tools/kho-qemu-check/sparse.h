/* SPDX-License-Identifier: MIT */
#ifndef KHO_QEMU_CHECK_SPARSE_H
#define KHO_QEMU_CHECK_SPARSE_H

/*
 * Give back the disk under @path's zero-filled 4 KiB blocks (punch holes;
 * the bytes read the same). A guest's dump is mostly memory it never
 * touched: a 512 MiB guest's ELF dump takes about 33 MiB afterwards.
 * Best effort: a file system that cannot punch holes keeps the file as
 * it is. returns: 0, or -1 with errno set when the file cannot be read.
 */
int sparse_punch_zeros(const char *path);

#endif
