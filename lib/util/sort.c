// SPDX-License-Identifier: MIT
/*
 * sort_ctx: qsort with a context argument. glibc's qsort_r and the BSDs'
 * disagree on the argument order, so this is a plain stable merge sort
 * (bottom-up, one scratch buffer) with the context last, as glibc's.
 */
#include "util.h"

#include <stdlib.h>
#include <string.h>

bool sort_ctx(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *, void *), void *ctx)
{
	uint8_t *a = base, *tmp, *src, *dst;

	if (n < 2 || !size)
		return true;
	if (n > SIZE_MAX / size || !(tmp = malloc(n * size)))
		return false;
	src = a;
	dst = tmp;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = MIN(lo + w, n), hi = MIN(lo + 2 * w, n);
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi) {
				/* stable: the left run wins ties */
				size_t from = cmp(src + j * size, src + i * size, ctx) < 0 ? j++ : i++;

				memcpy(dst + k++ * size, src + from * size, size);
			}
			memcpy(dst + k * size, src + i * size, (mid - i) * size);
			k += mid - i;
			memcpy(dst + k * size, src + j * size, (hi - j) * size);
		}
		uint8_t *t = src;

		src = dst;
		dst = t;
		if (w > n / 2)
			break;
	}
	if (src != a)
		memcpy(a, src, n * size);
	free(tmp);
	return true;
}

int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}
