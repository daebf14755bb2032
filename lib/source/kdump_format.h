/* SPDX-License-Identifier: MIT */
/*
 * makedumpfile's compressed kdump, 64-bit layout (its diskdump_mod.h):
 * read by diskdump.c, written by lib/ref/image_kdump.c and image_flat.c.
 */
#ifndef KHO_SOURCE_KDUMP_FORMAT_H
#define KHO_SOURCE_KDUMP_FORMAT_H

/* struct disk_dump_header and struct kdump_sub_header */
#define DH_VERSION       8
#define DH_UTSNAME       12                /* 6 fields of 65 bytes */
#define DH_MACHINE       (DH_UTSNAME + 4 * 65)
#define DH_STATUS        424
#define DH_BLOCK_SIZE    428
#define DH_SUB_HDR_SIZE  432
#define DH_BITMAP_BLOCKS 436
#define DH_MAX_MAPNR     440
#define DH_NR_CPUS       460
#define DH_SIZE          464
#define SH_SPLIT         12
#define SH_VMCOREINFO    32                /* offset, then size */
#define SH_NOTE          48                /* offset, then size */
#define SH_MAX_MAPNR_64  96
#define SH_SIZE          104
#define DESC_SIZE        24                /* offset, size, flags, page_flags */

/* How a page's bytes are stored (a descriptor's flags; the header's
 * status names the compression with the same bits). */
#define PAGE_ZLIB   0x1
#define PAGE_LZO    0x2
#define PAGE_SNAPPY 0x4
#define PAGE_ZSTD   0x20

/* The flattened format (makedumpfile -F) starts with a header block. */
#define FLAT_HEADER_SIZE 4096

#endif
