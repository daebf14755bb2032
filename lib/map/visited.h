/* SPDX-License-Identifier: MIT */
/* A set of page addresses: every tree page is entered at most once. */
#ifndef KHO_MAP_VISITED_H
#define KHO_MAP_VISITED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct visited {
	uint64_t *slots;     /* page address + 1; 0 = empty */
	size_t n, cap;
};

/* Adds @page. returns: 1 if new, 0 if seen before, -1 out of memory. */
int visited_add(struct visited *s, uint64_t page);
/* Whether @page was added. */
bool visited_has(const struct visited *s, uint64_t page);
void visited_free(struct visited *s);

#endif
