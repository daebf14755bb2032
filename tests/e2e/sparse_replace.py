#!/usr/bin/env python3
"""sparse_replace.py SRC DST OLD NEW: copy SRC to DST keeping its holes,
then replace every OLD with NEW (Python bytes literals of one length) in
DST's data. A test image can be a 4 GiB sparse file with a few MiB of data:
reading it whole and writing it back would put 4 GiB on disk."""
import ast
import os
import sys

from sparse import copy, extents

CHUNK = 1 << 20


def replace(path, old, new):
    assert len(old) == len(new) and old
    hits = []
    with open(path, "r+b") as f:
        fd = f.fileno()
        for start, length in extents(path):
            pos, stop = start, start + length
            while pos < stop:
                n = min(CHUNK + len(old) - 1, stop - pos)
                data = os.pread(fd, n, pos)
                at = data.find(old)
                while at >= 0:
                    hits.append(pos + at)
                    at = data.find(old, at + 1)
                pos += CHUNK
        for at in sorted(set(hits)):
            os.pwrite(fd, new, at)
    return len(set(hits))


def main():
    src, dst, old, new = sys.argv[1:5]
    old, new = ast.literal_eval(old), ast.literal_eval(new)
    copy(src, dst)
    if not replace(dst, old, new):
        sys.exit(f"sparse_replace.py: {old!r} not in {src}")


if __name__ == "__main__":
    main()
