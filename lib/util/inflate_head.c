// SPDX-License-Identifier: MIT
/*
 * The first bytes of a zlib stream (RFC 1950 around RFC 1951), decoded
 * and nothing more: what a scan asks of every compressed kdump page (does
 * it start with the FDT magic?).
 *
 * zlib can stop after a few output bytes, but only after it has built
 * the full decoding table of the block (512 entries or more) and run its
 * state machine; here the code-length code gets a small table, and the
 * handful of literal/length symbols wanted are decoded bit by bit from
 * the canonical code's counts, which costs one pass over the lengths.
 *
 * Anything unusual (a preset dictionary, an invalid or incomplete code,
 * input that ends early, a distance before the start) makes it give up:
 * the caller then decodes the page with zlib, which is the authority.
 */
#include "util.h"

#define MAXBITS 15
#define NLEN    288      /* literal/length symbols, 286 and 287 invalid */
#define NDIST   30
#define CLBITS  7        /* code-length codes are at most 7 bits */

/* LSB-first bits; bytes past the end read as zeros, counted in @pad. */
struct bits {
	const uint8_t *p, *end;
	uint64_t buf;
	unsigned cnt, pad;
};

static inline void refill(struct bits *b)
{
	while (b->cnt <= 56) {
		if (b->p < b->end)
			b->buf |= (uint64_t)*b->p++ << b->cnt;
		else
			b->pad += 8;
		b->cnt += 8;
	}
}

/* @n <= 32 bits; false once bits past the input were used. */
static inline bool take(struct bits *b, unsigned n, unsigned *v)
{
	if (b->cnt < n)
		refill(b);
	*v = (unsigned)(b->buf & ((1ull << n) - 1));
	b->buf >>= n;
	b->cnt -= n;
	return b->cnt >= b->pad;
}

/*
 * A canonical code: the symbols' lengths and how many there are of each
 * length. A code's symbols of one length are consecutive and ascend with
 * the symbol, so a code word gives (length, rank) and the symbol is the
 * rank-th of that length: found by a scan of the lengths, which for a few
 * symbols costs less than sorting them all into a table.
 */
struct code {
	uint16_t count[MAXBITS + 1];
	const uint8_t *len;
	unsigned n;
};

/* Check @c's counts. false: over-subscribed, or incomplete where zlib
 * refuses it (anything but a lone one-bit code; for the code-length code,
 * anything). No symbol at all is valid: such a code decodes nothing. */
static bool complete(const struct code *c, bool lengths_code)
{
	int left = 1;
	unsigned max = 0;

	if (c->count[0] == c->n)
		return true;
	for (unsigned l = 1; l <= MAXBITS; l++) {
		left = 2 * left - c->count[l];
		if (left < 0)
			return false;
		if (c->count[l])
			max = l;
	}
	return !left || (!lengths_code && max == 1);
}

static bool build(struct code *c, const uint8_t *len, unsigned n, bool lengths_code)
{
	memset(c->count, 0, sizeof(c->count));
	for (unsigned s = 0; s < n; s++)
		c->count[len[s]]++;
	c->len = len;
	c->n = n;
	return complete(c, lengths_code);
}

/* The @k-th symbol (from 0) of length @l, eight lengths at a time. */
static int kth(const struct code *c, unsigned l, unsigned k)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f7f7f7f7f7f7f7full;
	unsigned s = 0;

	for (; s + 8 <= c->n; s += 8) {
		uint64_t x = load_u64(c->len + s, false) ^ ones * l;
		uint64_t m = ~(((x & low7) + low7) | x | low7);   /* 0x80: byte == l */
		unsigned hits = (unsigned)__builtin_popcountll(m);

		if (k < hits) {
			while (k--)
				m &= m - 1;
			return (int)(s + (unsigned)__builtin_ctzll(m) / 8);
		}
		k -= hits;
	}
	for (; s < c->n; s++)
		if (c->len[s] == l && !k--)
			return (int)s;
	return -1;
}

/* One symbol, a bit at a time. returns: it, or -1. */
static int decode(struct bits *b, const struct code *c)
{
	int code = 0, first = 0;

	for (unsigned l = 1; l <= MAXBITS; l++) {
		unsigned bit;
		int count = c->count[l];

		if (!take(b, 1, &bit))
			return -1;
		code |= (int)bit;
		if (code - first < count)
			return kth(c, l, (unsigned)(code - first));
		first = (first + count) << 1;
		code <<= 1;
	}
	return -1;
}

/* A table of 2^CLBITS entries for the code-length code: symbol << 4 | length. */
static bool cl_table(const uint8_t *len, uint16_t *t)
{
	unsigned next[CLBITS + 2];
	struct code c;

	if (!build(&c, len, 19, true))
		return false;
	next[1] = 0;
	for (unsigned l = 1; l <= CLBITS; l++)
		next[l + 1] = (next[l] + c.count[l]) << 1;
	for (unsigned s = 0; s < 19; s++) {
		unsigned l = len[s], code, rev = 0;

		if (!l)
			continue;
		code = next[l]++;
		for (unsigned i = 0; i < l; i++)
			rev |= (code >> i & 1) << (l - 1 - i);
		for (unsigned r = rev; r < 1u << CLBITS; r += 1u << l)
			t[r] = (uint16_t)(s << 4 | l);
	}
	return true;
}

static const uint16_t len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

/* The dynamic block header: both codes. */
static bool dynamic_codes(struct bits *b, uint8_t *len, struct code *lit, struct code *dist)
{
	static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3,
					   13, 2, 14, 1, 15 };
	/* repeats: 16 the last length 3-6 times, 17 zero 3-10, 18 zero 11-138 */
	static const uint8_t rep_bits[3] = { 2, 3, 7 }, rep_min[3] = { 3, 3, 11 };
	uint8_t cl[19] = { 0 };
	uint16_t t[1u << CLBITS] = { 0 };
	unsigned hlit, hdist, hclen, v, i = 0;

	if (!take(b, 5, &hlit) || !take(b, 5, &hdist) || !take(b, 4, &hclen))
		return false;
	hlit += 257;
	hdist += 1;
	if (hlit > 286 || hdist > NDIST)
		return false;
	for (unsigned k = 0; k < hclen + 4; k++) {
		if (!take(b, 3, &v))
			return false;
		cl[order[k]] = (uint8_t)v;
	}
	if (!cl_table(cl, t))
		return false;
	/* counted as they come: a separate pass is a chain of increments */
	memset(lit->count, 0, sizeof(lit->count));
	memset(dist->count, 0, sizeof(dist->count));
	while (i < hlit + hdist) {
		unsigned e, sym, rep, val = 0;

		if (b->cnt < CLBITS)
			refill(b);
		e = t[b->buf & ((1u << CLBITS) - 1)];
		if (!e || !take(b, e & 15, &sym))
			return false;
		sym = e >> 4;
		if (sym < 16) {
			(i < hlit ? lit : dist)->count[sym]++;
			len[i++] = (uint8_t)sym;
			continue;
		}
		if ((sym == 16 && !i) || !take(b, rep_bits[sym - 16], &rep))
			return false;
		if (sym == 16)
			val = len[i - 1];
		rep += rep_min[sym - 16];
		if (i + rep > hlit + hdist)
			return false;
		memset(len + i, (int)val, rep);
		if (i < hlit)
			lit->count[val] += (uint16_t)MIN(rep, hlit - i);
		if (i + rep > hlit)
			dist->count[val] += (uint16_t)MIN(rep, i + rep - hlit);
		i += rep;
	}
	if (!len[256])           /* no end-of-block code */
		return false;
	lit->len = len;
	lit->n = hlit;
	dist->len = len + hlit;
	dist->n = hdist;
	return complete(lit, false) && complete(dist, false);
}

static void fixed_codes(uint8_t *len, struct code *lit, struct code *dist)
{
	memset(len, 8, 144);
	memset(len + 144, 9, 112);
	memset(len + 256, 7, 24);
	memset(len + 280, 8, 8);
	memset(len + NLEN, 5, 32);   /* 30 and 31 are refused when decoded */
	build(lit, len, NLEN, false);
	build(dist, len + NLEN, 32, false);
}

bool inflate_head(const uint8_t *in, size_t inlen, uint8_t *out, size_t n)
{
	struct bits b = { .p = in + 2, .end = in + inlen };
	struct code lit, dist;
	uint8_t len[NLEN + 32];
	size_t got = 0;
	unsigned last = 0;

	/* zlib header: deflate, a window that fits, no preset dictionary */
	if (inlen < 3 || (in[0] & 15) != 8 || in[0] >> 4 > 7 ||
	    ((unsigned)in[0] << 8 | in[1]) % 31 || (in[1] & 0x20))
		return false;
	while (got < n) {
		unsigned type, v;

		if (last || !take(&b, 1, &last) || !take(&b, 2, &type))
			return false;
		if (type == 0) {             /* stored: LEN, NLEN, bytes */
			unsigned l, nl;

			b.buf >>= b.cnt % 8;
			b.cnt -= b.cnt % 8;
			if (!take(&b, 16, &l) || !take(&b, 16, &nl) || (l ^ nl) != 0xffff)
				return false;
			for (; l && got < n; l--) {
				if (!take(&b, 8, &v))
					return false;
				out[got++] = (uint8_t)v;
			}
			continue;
		}
		if (type == 1)
			fixed_codes(len, &lit, &dist);
		else if (type != 2 || !dynamic_codes(&b, len, &lit, &dist))
			return false;
		while (got < n) {
			int s = decode(&b, &lit), d;
			unsigned extra, length, distance;

			if (s < 0 || s > 285)
				return false;
			if (s < 256) {
				out[got++] = (uint8_t)s;
				continue;
			}
			if (s == 256)
				break;
			s -= 257;
			if (!take(&b, len_extra[s], &extra))
				return false;
			length = len_base[s] + extra;
			if ((d = decode(&b, &dist)) < 0 || d >= NDIST ||
			    !take(&b, dist_extra[d], &extra))
				return false;
			distance = dist_base[d] + extra;
			if (distance > got)
				return false;
			for (; length && got < n; length--, got++)
				out[got] = out[got - distance];
		}
	}
	return true;
}
