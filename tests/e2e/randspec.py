#!/usr/bin/python3
"""randspec.py MKIMAGE INSPECT WORKDIR [--seeds N] [--first S] [-j N]

Random differential specs: seed S gives one spec (an ABI of matrix.ABIS,
a page size, RAM and scratch layout, a random sequence of folios of every
order, page runs, unpreserves, blobs of every kind the ABI has, and at
most one defect of `kho-mkimage --list-defects`). kho-mkimage runs it
through the reference implementation; `kho-inspect --json verify --ranges`
on the ELF and on the raw image must give the whole verdict of its
expect.json (verdict.py). A failing seed prints its spec and how to
reproduce it; seeds whose defect cell is in matrix.KNOWN_BAD are XFAIL.
A spec the generator refuses is reported (SKIP, with its reason), never
dropped silently. scripts/fuzz --randspec N runs a long sequence.
"""
import argparse
import concurrent.futures
import json
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import matrix  # noqa: E402
from tally import Tally  # noqa: E402
from verdict import compare, inspect  # noqa: E402

SIZE = {"4k": 4096, "16k": 16384, "64k": 65536}
MB = 1 << 20


def spec_for(seed, defects):
    """(text, defect cell name or 'clean', abi, page) of seed @seed."""
    r = random.Random(seed)
    abi = r.choice(list(matrix.ABIS))
    page = r.choice(list(SIZE))
    ps = SIZE[page]
    shift = ps.bit_length() - 1
    radix = not abi.startswith("v1")
    ram = r.choice([32, 64, 128]) * MB * (2 if page == "64k" else 1)
    defect, directive = "clean", None
    if r.random() < 0.6:
        ok = [d for d in defects
              if not matrix.lookup(matrix.NOT_APPLICABLE, d[0], abi, page, "*")]
        defect, directive = r.choice(ok)
    lines = [f"# randspec seed {seed} (tests/e2e/randspec.py)"] + matrix.ABIS[abi]
    lines.append(f"page-size {page.upper()}")
    if directive and directive.startswith("radix-depth"):
        lines.append("defect " + directive)
    lines.append(f"ram 0 {ram:#x}")
    if r.random() < 0.3:
        lines.append(f"ram 0x100000000 {r.choice([4, 16]) * MB:#x}")
    # Scratch in the lower half, pageblock-aligned (2 MiB; 512 MiB pageblocks
    # of 64 KiB arm64 do not fit these small machines, 2 MiB is enough).
    low = ram // 2
    nscratch = r.choice([1, 2, 2, 3])
    blocks = sorted(r.sample(range(1, low // (2 * MB)), nscratch))
    for b in blocks:
        lines.append(f"scratch {b * 2 * MB:#x} {2 * MB:#x}")
    alloc = ram * 3 // 4
    lines.append(f"alloc {alloc:#x} {ram - alloc:#x}")
    lines.append("outputs raw elf")

    ops, folios, runs = [], [], []
    top_order = (alloc // ps).bit_length() - 1
    for _ in range(r.randrange(2, 30)):
        kind = r.choices(["folio", "folios", "pages", "unpreserve", "unpreserve-pages",
                          "huge"], [6, 2, 3, 2, 1, 0.3])[0]
        if kind == "folio" or kind == "huge":
            order = r.choice([0, 0, 0, 1, 2, 3, r.randrange(0, top_order + 1)]) \
                if kind == "folio" else r.randrange(top_order, 32 - shift + 1)
            size = ps << order
            # Below the allocator's area; a huge one above RAM (inside, it
            # would leave the allocator nothing).
            if kind == "folio":
                phys = r.randrange(max(1, alloc // size)) * size
            else:
                phys = (ram + size - 1) // size * size + r.randrange(4) * size
            ops.append(f"folio {phys:#x} {order}")
            folios.append((phys, order))
        elif kind == "folios":
            order = r.randrange(0, 4)
            size = ps << order
            count = r.randrange(1, 65)
            stride = size * r.choice([1, 2, 3])
            phys = r.randrange(max(1, (alloc - count * stride) // size)) * size
            ops.append(f"folios {phys:#x} {order} {count} {stride:#x}")
            folios += [(phys + i * stride, order) for i in range(count)]
        elif kind == "pages":
            pfn = r.randrange(alloc // ps // 2)
            n = r.choice([1, 3, 64, r.randrange(1, 2000)])
            n = min(n, alloc // ps - pfn)
            ops.append(f"pages {pfn:#x} {n}")
            runs.append((pfn, n))
        elif kind == "unpreserve" and folios:
            phys, order = folios.pop(r.randrange(len(folios)))
            ops.append(f"unpreserve {phys:#x} {order}")
        elif kind == "unpreserve-pages" and runs:
            pfn, n = runs.pop(r.randrange(len(runs)))
            ops.append(f"unpreserve-pages {pfn:#x} {n}")
    lines += ops
    # Blobs: an FDT one always (several defects need one), the rest at random.
    lines.append("blob kho_test fdt kho-test-v1")
    need = directive or ""
    if r.random() < 0.5 or "memblock" in need:
        start = r.randrange(alloc // 2 // ps) * ps
        lines.append(f"reserve-mem trace {start:#x} {r.randrange(1, 64) * ps:#x}")
    if radix:
        if r.random() < 0.5 or "opaque" in need:
            lines.append(f"blob opaque raw {r.randrange(1, 4 * ps):#x} {r.randrange(256):#x}")
        if r.random() < 0.6 or "kexec-metadata" in need:
            lines.append(f"kexec-metadata 7.{r.randrange(4)}.0 {r.randrange(1, 9)}")
        if r.random() < 0.6 or "memfd" in need or "vmalloc" in need:
            order = r.choice([0, 0, 1, 2])
            most = max(2, (ram - alloc) // ps // 4 >> order)
            lines.append(f"vmalloc-blob memfd {r.randrange(1, most) << order} {order}")
    if directive and not directive.startswith("radix-depth"):
        lines.append("defect " + directive)
    return "\n".join(lines) + "\n", defect, abi, page


def raw_expectation(want, size):
    """A raw image has no memory map: a gap between RAM ranges is a hole
    of the file, and reads as memory; only past the file's end is not
    RAM. So range-not-ram inside the file is not expected from it."""
    want = json.loads(json.dumps(want))
    for h in want["handovers"]:          # every one of them (handover-ambiguous)
        h["findings"] = [f for f in h["findings"]
                         if f["check"] != "range-not-ram" or int(f["phys"], 16) >= size]
    return want


def run_seed(a, seed, defects):
    """(status, message); status pass, fail, xfail, skip."""
    text, defect, abi, page = spec_for(seed, defects)
    name = f"seed-{seed}"
    base = os.path.join(a.work, name)
    with open(base + ".spec", "w") as f:
        f.write(text)
    r = subprocess.run([a.mkimage, "-q", "-o", a.work, base + ".spec"],
                       capture_output=True, text=True)
    if r.returncode:
        return "skip", f"seed {seed} ({defect} {abi} {page}): generator refused: " \
                       f"{r.stderr.strip()}"
    want = json.load(open(base + ".expect.json"))
    args = want["generator"]["args"]
    problems = []
    for fmt, extra in (("elf", []), ("raw", ["--page-size", str(want["source"]["page_size"])])):
        if fmt == "raw" and matrix.lookup(matrix.NOT_APPLICABLE, defect, abi, page, "raw"):
            continue
        rc, got, err = inspect(a.inspect, args + extra, base + "." + fmt)
        w = raw_expectation(want, os.path.getsize(base + ".raw")) if fmt == "raw" else want
        d = compare(w, rc, got, err)
        if d:
            problems.append(f"{fmt}: " + "; ".join(d))
    for suffix in (".raw", ".elf", ".dtb", ".expect.json"):
        if os.path.exists(base + suffix) and (not problems or suffix != ".expect.json"):
            os.unlink(base + suffix)
    if not problems:
        os.unlink(base + ".spec")
        return "pass", f"seed {seed}"
    bad = matrix.lookup(matrix.KNOWN_BAD, defect, abi, page, "elf")
    msg = (f"seed {seed} ({defect} {abi} {page}): " + " | ".join(problems) +
           f"\n  reproduce: kho-mkimage -o DIR {base}.spec; "
           f"kho-inspect --json verify --ranges {' '.join(args)} DIR/{name}.elf")
    return ("xfail" if bad else "fail"), (f"[{bad}] " if bad else "") + msg


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mkimage")
    p.add_argument("inspect")
    p.add_argument("work")
    p.add_argument("--seeds", type=int, default=200)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("-j", type=int, default=1)
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    defects = [d for d in matrix.defect_cells(a.mkimage) if d[0] != "clean"]
    T = Tally(f"randspec seeds {a.first}..{a.first + a.seeds - 1}")
    t0, xfail = time.time(), 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.j)) as ex:
        for status, msg in ex.map(lambda s: run_seed(a, s, defects),
                                  range(a.first, a.first + a.seeds)):
            if status == "pass":
                T.check(True, msg)
            elif status == "skip":
                T.skip(msg)
            elif status == "xfail":
                xfail += 1
                print(f"XFAIL: {msg}")
            else:
                T.check(False, msg)
    print(f"randspec: {xfail} known-bad (XFAIL); {time.time() - t0:.0f} s")
    return T.close()


if __name__ == "__main__":
    sys.exit(main())
