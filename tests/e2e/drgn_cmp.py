#!/usr/bin/python3
"""drgn_cmp.py EXPECT RAW BASE ELF...: an independent reader (drgn) must
return, from every ELF image, the same bytes as the raw image at every page
the raw image holds data for, except on the pages the expectations say the
dump lacks (radix-unreadable findings): there the ELF has p_filesz 0, and
drgn, which zero-fills up to p_memsz, must read zeros although the raw
image has data."""
import json
import os
import sys

from sparse import extents

try:
    import drgn
except ImportError:
    print("SKIP: python3-drgn is not installed")
    sys.exit(77)


def main():
    expect = json.load(open(sys.argv[1]))
    raw, base, elves = sys.argv[2], int(sys.argv[3], 0), sys.argv[4:]
    page = expect["source"]["page_size"]
    # Pages the generator left out of the dump on purpose, named by the
    # findings that say so.
    missing = {int(f["phys"], 16) & ~(page - 1)
               for h in expect["handovers"] for f in h["findings"]
               if f["check"] in ("radix-unreadable", "blob-unreadable")}
    fd = os.open(raw, os.O_RDONLY)
    data = extents(raw)
    if not data:
        print(f"FAIL: {raw} holds no data")
        return 1
    failures = 0
    for elf in elves:
        prog = drgn.Program()
        prog.set_core_dump(elf)
        checked = faults = 0
        for off, length in data:
            for chunk in range(off, off + length, page):
                phys = base + chunk
                want = os.pread(fd, page, chunk)
                try:
                    got = prog.read(phys, page, True)
                except drgn.FaultError:
                    got = None
                if phys in missing:
                    if got is not None and any(got):
                        print(f"FAIL: {elf}: page {phys:#x} should not be in the dump")
                        failures += 1
                    faults += 1
                elif got is None:
                    print(f"FAIL: {elf}: page {phys:#x} faults")
                    failures += 1
                elif got != want:
                    print(f"FAIL: {elf}: bytes differ at phys {phys:#x}")
                    failures += 1
                else:
                    checked += 1
        print(f"ok: {elf}: {checked} pages read by drgn match {raw}, "
              f"{faults} excluded pages read as zeros")
    return 1 if failures else 0


sys.exit(main())
