/* SPDX-License-Identifier: MIT */
/* Private helpers shared by every stage of libkho. */
#ifndef KHO_UTIL_H
#define KHO_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KHO_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define HEX(x) ((unsigned long long)(x))     /* a u64 for printf's %llx */
/* Store @v through @p, an out-parameter the caller may leave NULL. */
#define PUT_OPT(p, v) do { if (p) *(p) = (v); } while (0)

static inline bool is_aligned(uint64_t x, uint64_t align)
{
	return (x & (align - 1)) == 0;
}

static inline uint64_t align_down(uint64_t x, uint64_t align)
{
	return x & ~(align - 1);
}

/* 1-based index of the highest set bit, 0 for 0 (the kernel's fls64). */
static inline unsigned fls64(uint64_t x)
{
	return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

/*
 * take_bit_run - the lowest run of consecutive set bits of *@word (which
 * must not be 0): returns its first bit, sets *@len to its length and
 * clears it from *@word. Leaves decode a word at a time with this.
 */
static inline unsigned take_bit_run(uint64_t *word, unsigned *len)
{
	unsigned b = (unsigned)__builtin_ctzll(*word);
	uint64_t rest = *word >> b;

	*len = ~rest ? (unsigned)__builtin_ctzll(~rest) : 64 - b;
	*word = *len + b >= 64 ? 0 : *word & ~((((uint64_t)1 << *len) - 1) << b);
	return b;
}

/*
 * PARTITION_POINT - the first index @i in [0, @n) for which @before, an
 * expression in @i, is false, found by binary search: @before must hold
 * for a prefix of the indexes and for none after it.
 */
#define PARTITION_POINT(n, i, before) ({					\
	size_t lo_ = 0, hi_ = (n);						\
										\
	while (lo_ < hi_) {							\
		size_t i = lo_ + (hi_ - lo_) / 2;				\
										\
		if (before)							\
			lo_ = i + 1;						\
		else								\
			hi_ = i;						\
	}									\
	lo_;									\
})

/* Unaligned native loads and stores in an explicit byte order. */
static inline uint64_t load_u64(const void *p, bool big_endian)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	if (big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		v = __builtin_bswap64(v);
	return v;
}

static inline void store_u64(void *p, uint64_t v, bool big_endian)
{
	if (big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t load_u32(const void *p, bool big_endian)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	if (big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		v = __builtin_bswap32(v);
	return v;
}

static inline void store_u32(void *p, uint32_t v, bool big_endian)
{
	if (big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		v = __builtin_bswap32(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * array_reserve - make room for element @n of a growable array of @elem-byte
 * items at *@v with capacity *@cap (doubling).
 * returns: false when out of memory (the array is left as it was).
 */
bool array_reserve(void **v, size_t *cap, size_t n, size_t elem);
/* qsort with a context, on every libc (sort.c); stable. returns: false when
 * out of memory (then @base is unchanged). */
bool sort_ctx(void *base, size_t n, size_t size,
	      int (*cmp)(const void *, const void *, void *), void *ctx);
/* qsort's and bsearch's order of uint64_t values (sort.c). */
int u64_cmp(const void *a, const void *b);
#define ARRAY_RESERVE(v, cap, n) array_reserve((void **)&(v), &(cap), (n), sizeof(*(v)))
/* A zeroed element appended to a growable array. returns: it, or NULL. */
#define ARRAY_ADD(v, cap, n) \
	(ARRAY_RESERVE(v, cap, n) ? memset(&(v)[(n)++], 0, sizeof(*(v))) : NULL)

/*
 * inflate_head - the first @n bytes a zlib stream of @len bytes at @in
 * inflates to, decoding no further (inflate_head.c).
 * returns: false when it cannot tell (invalid, dictionary, too short):
 * ask zlib.
 */
bool inflate_head(const uint8_t *in, size_t len, uint8_t *out, size_t n);

/* Frees on scope exit, as libdrgn's cleanup helpers do. */
static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ __attribute__((cleanup(freep)))

#endif
