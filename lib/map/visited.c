// SPDX-License-Identifier: MIT
#include "visited.h"

#include <stdlib.h>

/* The slot holding @key, or the empty one where it goes. */
static size_t find(const uint64_t *slots, size_t cap, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);

	while (slots[i] && slots[i] != key)
		i = (i + 1) & (cap - 1);
	return i;
}

int visited_add(struct visited *s, uint64_t page)
{
	uint64_t key = page + 1;
	size_t at;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i])
				slots[find(slots, cap, s->slots[i])] = s->slots[i];
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	at = find(s->slots, s->cap, key);
	if (s->slots[at])
		return 0;
	s->slots[at] = key;
	s->n++;
	return 1;
}

bool visited_has(const struct visited *s, uint64_t page)
{
	return s->cap && s->slots[find(s->slots, s->cap, page + 1)];
}

void visited_free(struct visited *s)
{
	free(s->slots);
	*s = (struct visited){ 0 };
}
