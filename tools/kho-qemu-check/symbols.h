/* SPDX-License-Identifier: MIT */
#ifndef KHO_QEMU_CHECK_SYMBOLS_H
#define KHO_QEMU_CHECK_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The link-time address of kernel function @name, from @file: a vmlinux
 * (its ELF symbol table) or a System.map ("ADDRESS TYPE NAME" lines).
 * returns: 0, or -1 with @why (unreadable file, no such function).
 */
int kernel_symbol(const char *file, const char *name, uint64_t *addr, char *why,
		  size_t whylen);

#endif
