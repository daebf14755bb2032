// SPDX-License-Identifier: MIT
/*
 * One reader of numbers for both tools and the spec language: decimal or
 * 0x hex, then an optional binary multiplier K, M, G, T or P, itself
 * optionally followed by "iB" or "B" (16K, 64KiB, 0x4000, 1g), letters in
 * either case. No sign, no spaces, no octal (a leading 0 is decimal), no
 * trailing junk, no overflow: "16k" is 16384, "010" is 10, "4KX" is an
 * error.
 */
#include "kho/number.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util.h"

static bool too_large(void)
{
	errno = ERANGE;
	return false;
}

KHO_EXPORT bool kho_parse_number(const char *s, uint64_t *out)
{
	static const char units[] = "kmgtp";
	uint64_t v = 0, base = 10;
	const char *p = s, *u;
	int digits = 0;

	if (!s)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++, digits++) {
		unsigned d;

		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return too_large();
		v = v * base + d;
	}
	if (!digits)
		return false;
	if (*p && (u = strchr(units, tolower((unsigned char)*p)))) {
		for (long i = 0; i <= u - units; i++) {
			if (v > UINT64_MAX >> 10)
				return too_large();
			v <<= 10;
		}
		p++;
		if ((p[0] == 'i' || p[0] == 'I') && (p[1] == 'b' || p[1] == 'B'))
			p += 2;
		else if (p[0] == 'b' || p[0] == 'B')
			p++;
	}
	if (*p)
		return false;
	*out = v;
	return true;
}
