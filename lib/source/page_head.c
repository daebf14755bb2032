// SPDX-License-Identifier: MIT
/*
 * The first bytes of a kdump page, decoding no more than those where the
 * codec allows: a scan asks this of every page (the FDT magic), and a
 * whole page decompressed to read four bytes is most of a scan's time.
 *
 * zlib: inflate_head() decodes the block header and a few symbols. lzo1x
 * and snappy streams open with a literal run (the first bytes of a page
 * cannot be a copy of earlier ones), whose bytes are there verbatim. The
 * formats are makedumpfile's (descriptor flags) and the codecs' own.
 */
#include "source_internal.h"

#include "../util/util.h"

bool page_head(uint32_t flags, const uint8_t *in, size_t len, uint32_t page, uint8_t *out,
	       size_t n)
{
	size_t i = 0, lit;

	switch (flags & (PAGE_ZLIB | PAGE_LZO | PAGE_SNAPPY | PAGE_ZSTD)) {
	case 0:
		if (len != page || n > len)
			return false;
		memcpy(out, in, n);
		return true;
	case PAGE_ZLIB:
		return inflate_head(in, len, out, n);
	case PAGE_LZO:
		/* lzo1x: a first byte above 17 opens a run of byte - 17
		 * literals; 0-15 a run of byte + 3, where 0 extends the
		 * length by 255 per zero byte, then 15 + the next byte. */
		if (!len || (in[0] >= 16 && in[0] <= 17))
			return false;
		i = 1;
		if (in[0] > 17) {
			lit = in[0] - 17u;
		} else {
			lit = in[0];
			if (!lit) {
				while (i < len && !in[i])
					i++;
				if (i >= len)
					return false;
				lit = (i - 1) * 255 + 15 + in[i];
				i++;
			}
			lit += 3;
		}
		break;
	case PAGE_SNAPPY:
		/* a varint (the page's length), then a literal tag: length - 1
		 * in its top six bits, or 60-63 for 1-4 length bytes after */
		while (i < len && i < 5 && (in[i] & 0x80))
			i++;
		if (++i >= len || (in[i] & 3))
			return false;
		lit = in[i++] >> 2;
		if (lit >= 60) {
			size_t bytes = lit - 59, v = 0;

			if (i + bytes > len)
				return false;
			for (size_t k = 0; k < bytes; k++)
				v |= (size_t)in[i + k] << (8 * k);
			i += bytes;
			lit = v;
		}
		lit++;
		break;
	default:
		return false;
	}
	if (lit < n || len - i < n)
		return false;
	memcpy(out, in + i, n);
	return true;
}
