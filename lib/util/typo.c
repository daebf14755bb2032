// SPDX-License-Identifier: MIT
/*
 * "Did you mean": the word of a list closest to a mistyped one. Compiled
 * into libkho (the spec language) and into kho-inspect (commands, checks).
 */
#include "typo.h"

#include <stdint.h>
#include <string.h>

/* Levenshtein distance, one row; SIZE_MAX for words of 64 bytes or more. */
size_t typo_distance(const char *a, const char *b)
{
	size_t lb = strlen(b), row[64], prev, tmp;

	if (lb >= 64 || strlen(a) >= 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; a[i - 1]; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t best = (row[j] < row[j - 1] ? row[j] : row[j - 1]) + 1;

			tmp = row[j];
			row[j] = best < sub ? best : sub;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *typo_closest(const char *word, const char *const *words, size_t n,
			 size_t stride, size_t max)
{
	const char *best = NULL;
	size_t d = max + 1;

	for (size_t i = 0; i < n; i++) {
		const char *w = *(const char *const *)(const void *)((const char *)words +
								     i * stride);
		size_t x = w ? typo_distance(word, w) : SIZE_MAX;

		if (x < d) {
			d = x;
			best = w;
		}
	}
	return best;
}
