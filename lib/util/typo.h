/* SPDX-License-Identifier: MIT */
#ifndef KHO_UTIL_TYPO_H
#define KHO_UTIL_TYPO_H

#include <stddef.h>

/* Edit distance of @a and @b; SIZE_MAX when either is 64 bytes or longer. */
size_t typo_distance(const char *a, const char *b);

/*
 * The word closest to @word among @n names, each a const char * found
 * @stride bytes after the previous one (sizeof(char *) for an array of
 * strings; sizeof(struct x) for the name member of an array of structs,
 * with @words pointing at the first name), if within @max edits.
 * returns: that word, or NULL.
 */
const char *typo_closest(const char *word, const char *const *words, size_t n,
			 size_t stride, size_t max);

#endif
