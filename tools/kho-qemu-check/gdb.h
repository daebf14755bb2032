/* SPDX-License-Identifier: MIT */
#ifndef KHO_QEMU_CHECK_GDB_H
#define KHO_QEMU_CHECK_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A minimal client of QEMU's gdbstub (the GDB remote serial protocol):
 * enough to stop the guest at a kernel function. QEMU stops the guest
 * when a client connects and on any byte received while it runs, so the
 * client only talks to a stopped guest: interrupt, insert a breakpoint,
 * continue, wait for the stop.
 */
struct gdb {
	int fd;
	char buf[4096];
	size_t len;
};

/* Connect to the gdbstub's Unix socket at @path; QEMU stops the guest.
 * returns: 0, or -1 with @why. */
int gdb_connect(struct gdb *g, const char *path, double deadline, char *why, size_t whylen);
/* Stop a running guest (0x03) and wait for its stop reply. returns: 0, or -1. */
int gdb_interrupt(struct gdb *g, double deadline, char *why, size_t whylen);
/* Insert (@insert) or remove a hardware breakpoint at virtual @addr.
 * returns: 0, or -1 with @why (an error answer, unsupported, a timeout). */
int gdb_breakpoint(struct gdb *g, bool insert, uint64_t addr, unsigned kind, double deadline,
		   char *why, size_t whylen);
/* Let the guest run; no answer comes until it stops. returns: 0, or -1. */
int gdb_continue(struct gdb *g, double deadline, char *why, size_t whylen);
/* Wait for a stop reply (a breakpoint hit) while @alive(@ctx).
 * returns: 0 stopped, -1 with @why (timeout, EOF, @alive false). */
int gdb_wait_stop(struct gdb *g, double deadline, bool (*alive)(void *), void *ctx, char *why,
		  size_t whylen);
void gdb_close(struct gdb *g);

#endif
