// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>

#include "util.h"

bool array_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t want;
	void *p;

	if (n < *cap)
		return true;
	want = *cap ? *cap * 2 : 16;
	if (want <= n || want > SIZE_MAX / elem)
		return false;
	p = realloc(*v, want * elem);
	if (!p)
		return false;
	*v = p;
	*cap = want;
	return true;
}
