#!/usr/bin/python3
"""mutate.py INSPECT MKIMAGE SPEC WORKDIR COUNT SEED

A corruption catalogue in miniature: seeded random mutations of a clean
fixture's KHO FDT and tree pages (byte flips, table entries redirected at
other tree pages, at the FDT, past the end of memory, into the middle of a
page) and truncations of the file. Every run of kho-inspect --json verify
must end within seconds with exit 0, 1 or 2 and one valid JSON document,
and (under ASan/UBSan) without a sanitizer report.
"""
import json
import os
import random
import struct
import subprocess
import sys

from tally import Tally


def main():
    inspect, mkimage, spec, work, count, seed = sys.argv[1:7]
    count, rnd = int(count), random.Random(int(seed))
    t = Tally("mutate")
    os.makedirs(work, exist_ok=True)
    subprocess.run([mkimage, "-q", "--only", "elf,expect", "-o", work, spec], check=True)
    name = os.path.basename(spec)[:-5]
    base = open(os.path.join(work, name + ".elf"), "rb").read()
    expect = json.load(open(os.path.join(work, name + ".expect.json")))
    # Where the interesting bytes are: the FDT page and the data pages
    # (tree pages, blobs) of the ELF, found from the segment table.
    elf_data = bytearray(base)
    phoff, = struct.unpack_from("<Q", base, 32)
    phnum, = struct.unpack_from("<H", base, 56)
    segs = []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, _ = struct.unpack_from("<IIQQQQQ", base, phoff + 56 * i)
        if p_type == 1 and filesz:
            segs.append((paddr, off, filesz))
    fdt = int(expect["handovers"][0]["fdt"]["phys"], 16)
    pages = []
    for paddr, off, filesz in segs:
        for o in range(0, filesz, 4096):
            if any(elf_data[off + o:off + o + 4096]):
                pages.append((paddr + o, off + o))
    phys_of = {p: o for p, o in pages}
    path = os.path.join(work, "m.elf")
    for i in range(count):
        data = bytearray(base)
        kind = rnd.choice(["flip", "flip", "entry", "entry", "fdt", "truncate"])
        if kind == "truncate":
            data = data[:rnd.randrange(0, len(data))]
        elif kind == "fdt":
            off = phys_of.get(fdt, 0) + rnd.randrange(0, 512)
            for _ in range(rnd.randrange(1, 8)):
                data[off + rnd.randrange(0, 64)] = rnd.randrange(256)
        else:
            _, off = rnd.choice(pages)
            if kind == "flip":
                for _ in range(rnd.randrange(1, 16)):
                    data[off + rnd.randrange(4096)] ^= 1 << rnd.randrange(8)
            else:
                target = rnd.choice([p for p, _ in pages] + [fdt, 1 << 40, (1 << 63) | 4096,
                                                          fdt + 8, 0])
                struct.pack_into("<Q", data, off + 8 * rnd.randrange(512), target)
        open(path, "wb").write(data)
        try:
            r = subprocess.run([inspect, "--json", "verify"] + expect["generator"]["args"]
                               + [path], capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            t.check(False, f"mutation {i} ({kind}): hang")
            open(os.path.join(work, f"hang-{i}.elf"), "wb").write(data)
            continue
        ok = r.returncode in (0, 1, 2) and "Sanitizer" not in r.stderr and \
            "runtime error" not in r.stderr
        try:
            json.loads(r.stdout)
        except json.JSONDecodeError:
            ok = False
        if not ok:
            open(os.path.join(work, f"crash-{i}.elf"), "wb").write(data)
        t.check(ok, f"mutation {i} ({kind}): exit {r.returncode} {r.stderr[-300:]}")
    return t.close()


sys.exit(main())
