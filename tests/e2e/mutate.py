#!/usr/bin/python3
"""mutate.py INSPECT MKIMAGE SPEC WORKDIR COUNT SEED

A corruption catalogue: from a clean fixture's ELF, first a truncation at
every interesting offset (the ELF and program headers, each segment's
edges, the FDT's header, tree pages), then COUNT seeded random mutations
of the KHO FDT and of every tree page (byte flips, table entries
redirected at other tree pages, at the FDT, past the end of memory, into
the middle of a page, random truncations). Every run of kho-inspect
--json verify must end within seconds with exit 0, 1 or 2 and one valid
JSON document, and (under ASan/UBSan) without a sanitizer report.
Images stay sparse: only their data extents are written.
"""
import bisect
import json
import os
import random
import struct
import subprocess
import sys

from sparse import extents
from tally import Tally


class Image:
    """A sparse file as its size and data extents."""

    def __init__(self, path):
        self.size = os.path.getsize(path)
        with open(path, "rb") as f:
            self.ext = [(off, os.pread(f.fileno(), n, off)) for off, n in extents(path)]
        self.starts = [off for off, _ in self.ext]

    def read(self, off, n):
        i = bisect.bisect_right(self.starts, off) - 1
        if i < 0:
            return bytes(n)
        start, data = self.ext[i]
        return (data[off - start:off - start + n] + bytes(n))[:n]

    def write(self, path, patches=(), size=None):
        """Write the image with @patches [(offset, bytes)], cut at @size."""
        size = self.size if size is None else size
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.ftruncate(fd, size)
            for off, data in self.ext:
                if off < size:
                    os.pwrite(fd, data[:size - off], off)
            for off, data in patches:
                if off < size:
                    os.pwrite(fd, data[:size - off], off)
        finally:
            os.close(fd)


def layout(img):
    """(phoff, phnum, [(paddr, offset, filesz)]) of the ELF's PT_LOADs."""
    hdr = img.read(0, 64)
    phoff, = struct.unpack_from("<Q", hdr, 32)
    phnum, = struct.unpack_from("<H", hdr, 56)
    segs = []
    for i in range(min(phnum, 4096)):
        p_type, _, off, _, paddr, filesz, _ = struct.unpack_from("<IIQQQQQ",
                                                                 img.read(phoff + 56 * i, 56))
        if p_type == 1 and filesz:
            segs.append((paddr, off, filesz))
    return phoff, phnum, segs


def main():
    inspect, mkimage, spec, work, count, seed = sys.argv[1:7]
    count, rnd = int(count), random.Random(int(seed))
    t = Tally("mutate " + os.path.basename(spec))
    os.makedirs(work, exist_ok=True)
    subprocess.run([mkimage, "-q", "--only", "elf,expect", "-o", work, spec], check=True)
    name = os.path.basename(spec)[:-5]
    img = Image(os.path.join(work, name + ".elf"))
    expect = json.load(open(os.path.join(work, name + ".expect.json")))
    args = expect["generator"]["args"]
    phoff, phnum, segs = layout(img)
    fdt = int(expect["handovers"][0]["fdt"]["phys"], 16)
    # The interesting pages: 4 KiB pieces of data (tree pages, the FDT,
    # blobs), by physical address and file offset.
    pages = []
    for off, data in img.ext:
        for o in range(0, len(data) - 4095, 4096):
            if any(data[o:o + 4096]):
                for paddr, soff, filesz in segs:
                    if soff <= off + o < soff + filesz:
                        pages.append((paddr + off + o - soff, off + o))
    phys_of = dict(pages)
    fdt_off = phys_of.get(fdt, 0)
    cuts = {0, 1, 16, 52, 63, 64, phoff, phoff + 56 * phnum - 1, fdt_off, fdt_off + 8,
            fdt_off + 40, fdt_off + 100, img.size - 1}
    cuts |= {phoff + 56 * k + d for k in range(min(phnum, 8)) for d in (0, 28)}
    for _, off, filesz in segs:
        cuts |= {off, off + 1, off + filesz - 1}
    for _, off in pages[:: max(1, len(pages) // 32)]:
        cuts |= {off, off + 2048}
    runs = [("truncate", [], c) for c in sorted(c for c in cuts if 0 <= c < img.size)]
    for _ in range(count):
        kind = rnd.choice(["flip", "flip", "entry", "entry", "fdt", "truncate"])
        patches, size = [], None
        if kind == "truncate":
            size = rnd.randrange(0, img.size)
        elif kind == "fdt":
            for _ in range(rnd.randrange(1, 8)):
                patches.append((fdt_off + rnd.randrange(0, 512), bytes([rnd.randrange(256)])))
        else:
            _, off = rnd.choice(pages)
            if kind == "flip":
                for _ in range(rnd.randrange(1, 16)):
                    o = off + rnd.randrange(4096)
                    patches.append((o, bytes([img.read(o, 1)[0] ^ (1 << rnd.randrange(8))])))
            else:
                target = rnd.choice([p for p, _ in pages] + [fdt, 1 << 40, (1 << 63) | 4096,
                                                          fdt + 8, 0])
                patches.append((off + 8 * rnd.randrange(512), struct.pack("<Q", target)))
        runs.append((kind, patches, size))
    path = os.path.join(work, "m.elf")
    for i, (kind, patches, size) in enumerate(runs):
        img.write(path, patches, size)
        what = f"run {i} ({kind}{'' if size is None else f' at {size}'})"
        try:
            r = subprocess.run([inspect, "--json", "verify"] + args + [path],
                               capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            t.check(False, f"{what}: hang")
            os.replace(path, os.path.join(work, f"hang-{i}.elf"))
            continue
        ok = r.returncode in (0, 1, 2) and "Sanitizer" not in r.stderr and \
            "runtime error" not in r.stderr
        try:
            json.loads(r.stdout)
        except json.JSONDecodeError:
            ok = False
        if not ok:
            os.replace(path, os.path.join(work, f"crash-{i}.elf"))
        t.check(ok, f"{what}: exit {r.returncode} {r.stderr[-300:]}")
    return t.close()


sys.exit(main())
