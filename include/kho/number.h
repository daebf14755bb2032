/* SPDX-License-Identifier: MIT */
/* Numbers as people write them: 4096, 0x1000, 16K, 64KiB, 1G. */
#ifndef KHO_NUMBER_H
#define KHO_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/*
 * kho_parse_number - @s as an address or size: decimal or 0x hex, then an
 * optional K/M/G/T/P multiplier (powers of 1024), optionally followed by
 * "iB" or "B"; case-insensitive; nothing else, no sign, no overflow.
 * returns: true with *@out set, or false (and *@out untouched; errno
 * ERANGE when the number is well-formed but does not fit 64 bits).
 */
bool kho_parse_number(const char *s, uint64_t *out);

#endif
