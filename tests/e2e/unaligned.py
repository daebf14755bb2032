#!/usr/bin/python3
"""unaligned.py IN.elf OUT.elf [SHIFT]

Writes OUT: IN with every PT_LOAD's data moved SHIFT bytes (default 4)
further into the file, so that segment data is no longer 8-byte aligned,
as in makedumpfile -E output and QEMU's dump-guest-memory ELF when the
guest has -device vmcoreinfo (its note moves the data by 4 bytes).
"""
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    shift = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    data = bytearray(open(src, "rb").read())
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 LE only"
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads = []
    for i in range(phnum):
        off = phoff + i * phentsize
        p_type, = struct.unpack_from("<I", data, off)
        if p_type == 1:
            loads.append(off)
    first = min(struct.unpack_from("<Q", data, off + 8)[0] for off in loads)
    for off in loads:
        p_offset, = struct.unpack_from("<Q", data, off + 8)
        struct.pack_into("<Q", data, off + 8, p_offset + shift)
    out = data[:first] + bytes(shift) + data[first:]
    open(dst, "wb").write(out)
    return 0


sys.exit(main())
