#!/usr/bin/python3
"""bench_drgn_walk.py ELF MAP_PHYS PAGE_SIZE: the radix walk a kernel
engineer would write with drgn today (issue 12's baseline): read every
node and leaf through drgn.Program.read (physical), decode every set bit
into (phys, order), count keys. Trusting, like the kernel's walk."""
import sys

import drgn


def main():
    path, root, page = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3])
    shift = page.bit_length() - 1
    order0 = 64 - shift
    table_log2, bitmap_log2 = shift - 3, shift + 3
    depth = -(-(order0 + 1 - bitmap_log2) // table_log2) + 1
    prog = drgn.Program()
    prog.set_core_dump(path)
    keys = 0
    stack = [(root, depth - 1, 0)]
    while stack:
        node, level, prefix = stack.pop()
        data = prog.read(node, page, True)
        if level == 0:
            bits = int.from_bytes(data, "little")
            while bits:
                low = bits & -bits
                key = prefix | (low.bit_length() - 1)
                order = order0 - (key.bit_length() - 1)
                _phys = (key << (shift + order)) & ((1 << 64) - 1)
                keys += 1
                bits ^= low
            continue
        lshift = (level - 1) * table_log2 + bitmap_log2
        for i in range(page // 8):
            entry = int.from_bytes(data[i * 8:i * 8 + 8], "little")
            if entry:
                stack.append((entry, level - 1, prefix | (i << lshift)))
    print(f"{keys} keys")


main()
