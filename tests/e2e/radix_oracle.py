"""An independent decoder of a KHO radix tree in an ELF core, for the
real-kernel tests: written from the ABI's description alone (no libkho),
so that the ranges kho-inspect reports can be held against it.

Key of (phys, order): (1 << (64 - PAGE_SHIFT - order)) | (phys >> (PAGE_SHIFT
+ order)); a leaf is a bitmap of 2^(PAGE_SHIFT+3) keys, a node a page of
2^(PAGE_SHIFT-3) u64 child addresses; the tree has as many levels as cover
a key of 65 - PAGE_SHIFT bits.
"""
import struct

from elfcore import elf_layout

FDT_MAGIC = 0xD00DFEED


class Memory:
    """Physical memory of an ELF64 little-endian core (p_paddr)."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.loads = elf_layout(path)[3]

    def read(self, phys, size):
        for paddr, off, filesz, _ in self.loads:
            if paddr <= phys and phys + size <= paddr + filesz:
                self.f.seek(off + phys - paddr)
                return self.f.read(size)
        raise ValueError("0x%x+0x%x is not in the dump" % (phys, size))

    def close(self):
        self.f.close()


def fdt_props(blob):
    """{(node path, property): bytes} of a flattened device tree."""
    magic, _, off_struct, off_strings = struct.unpack_from(">IIII", blob, 0)
    assert magic == FDT_MAGIC
    out, path, pos = {}, [], off_struct
    while True:
        token, = struct.unpack_from(">I", blob, pos)
        pos += 4
        if token == 1:                      # FDT_BEGIN_NODE
            end = blob.index(b"\0", pos)
            path.append(blob[pos:end].decode())
            pos = (end + 4) & ~3
        elif token == 2:                    # FDT_END_NODE
            path.pop()
        elif token == 3:                    # FDT_PROP
            length, nameoff = struct.unpack_from(">II", blob, pos)
            name_end = blob.index(b"\0", off_strings + nameoff)
            name = blob[off_strings + nameoff:name_end].decode()
            out[("/".join(path), name)] = blob[pos + 8:pos + 8 + length]
            pos = (pos + 8 + length + 3) & ~3
        elif token == 4:                    # FDT_NOP
            continue
        elif token == 9:                    # FDT_END
            return out


def geometry(page_size):
    shift = page_size.bit_length() - 1
    table, bitmap = shift - 3, shift + 3
    key_width = 64 - shift + 1
    depth = -(-(key_width - bitmap) // table) + 1
    return shift, table, bitmap, depth


def keys(mem, root, page_size):
    """Every (phys, order) the tree at @root holds, in key order."""
    shift, table, bitmap, depth = geometry(page_size)
    out = []

    def walk(node, level, prefix):
        if level == 0:
            words = struct.unpack("<%dQ" % (page_size // 8), mem.read(node, page_size))
            for w, word in enumerate(words):
                while word:
                    bit = (word & -word).bit_length() - 1
                    word &= word - 1
                    out.append(prefix | (w * 64 + bit))
            return
        entries = struct.unpack("<%dQ" % (page_size // 8), mem.read(node, page_size))
        span = bitmap + (level - 1) * table
        for i, child in enumerate(entries):
            if child:
                walk(child, level - 1, prefix | (i << span))

    walk(root, depth - 1, 0)
    ranges = []
    for key in out:
        f = key.bit_length()
        order = 64 - shift + 1 - f
        phys = (key << (shift + order)) & ((1 << 64) - 1)
        ranges.append((phys, order))
    return ranges


def handover_ranges(path, fdt_phys, page_size):
    """The (phys, order) pairs of the KHO FDT at @fdt_phys in dump @path."""
    mem = Memory(path)
    try:
        head = mem.read(fdt_phys, 40)
        size, = struct.unpack_from(">I", head, 4)
        props = fdt_props(mem.read(fdt_phys, size))
        root, = struct.unpack("<Q", props[("", "preserved-memory-map")])
        return keys(mem, root, page_size)
    finally:
        mem.close()
