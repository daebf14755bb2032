#!/usr/bin/python3
"""matrix.py MKIMAGE INSPECT WORKDIR [--full] [-j N] [--filter GLOB]

The defect matrix: every defect kho-mkimage knows (--list-defects, with
the variants of VARIANTS) and no defect at all, on every ABI (kho-v1 with
512-byte and page bitmaps, v2, v3, v4, the composite string) and page size
(4, 16, 64 KiB), read from every format (raw, ELF vmcore, kcore, QEMU-style,
kdump zlib and lzo, and a kdump whose zero pages makedumpfile excluded).
Each spec is made from a template for its page size, the ABI's lines and
one `defect` line; in each cell the whole verdict of `kho-inspect --json
verify --ranges` (exit status, FDT, ranges in tree order, key count, every
finding with check, severity and phys) must equal expect.json (verdict.py).

A cell the generator cannot build, or whose expectation cannot be derived,
is in NOT_APPLICABLE with the reason: nothing is skipped silently. Cells
that fail today because of a verifier bug are in KNOWN_BAD with the issue
item: they must still fail (a pass says "remove it from KNOWN_BAD").

Default: every defect once (on an ABI and page size that rotate), and
every ABI and page size without a defect, in every format. --full: all.
"""
import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elfcore import elf_layout  # noqa: E402
from sparse import extents  # noqa: E402
from tally import Tally  # noqa: E402
from verdict import compare, inspect  # noqa: E402

ABIS = {
    "v1-512": ["abi kho-v1", "v1-bitmap 512"],
    "v1-page": ["abi kho-v1", "v1-bitmap page"],
    "v2": ["abi kho-v2"],
    "v3": ["abi kho-v3"],
    "v4": ["abi kho-v4"],
    "composite": ["abi kho-v4", "compatible kho-v4;radix-v1;vmalloc-v1"],
}

# Machine and operations per page size: the clean fixtures' layout
# (testdata/specs/clean-*), so every page kind and blob kind is there.
# Scratch on PAGE_SIZE * MAX_ORDER_NR_PAGES (4, 32, 512 MiB), and on 16K
# and 64K an empty area where the tree is allocated, as 7.3 leaves one.
PAGES = {
    "4k": dict(page="4K", ram=["ram 0 64M", "ram 0x100000000 16M"],
               scratch=["scratch 0x1000000 4M", "scratch 0x1400000 4M"],
               alloc="alloc 0x3000000 16M",
               ops=["folio 0x400000 9", "pages 0x800 300", "folios 0xa00000 0 64 0x2000",
                    "unpreserve 0xa00000 0", "blob kho_test fdt kho-test-v1",
                    "reserve-mem trace 0xc00000 0x300000"]),
    "16k": dict(page="16K", ram=["ram 0 128M"],
                scratch=["scratch 0x4000000 32M", "scratch 0x6000000 0"],
                alloc="alloc 0x6000000 16M",
                ops=["folio 0x400000 7", "pages 0x200 300", "folios 0x2000000 0 64 0x8000",
                     "unpreserve 0x2000000 0", "blob kho_test fdt kho-test-v1",
                     "reserve-mem trace 0x2400000 0x300000"]),
    "64k": dict(page="64K", ram=["ram 0 256M", "ram 0x20000000 512M"],
                scratch=["scratch 0x20000000 512M", "scratch 0xc000000 0"],
                alloc="alloc 0xc000000 32M",
                ops=["folio 0x400000 5", "pages 0x80 300", "folios 0x4000000 0 64 0x20000",
                     "unpreserve 0x4000000 0", "blob kho_test fdt kho-test-v1",
                     "reserve-mem trace 0x5000000 0x300000"]),
}
# Sub-nodes only a radix ABI (7.1+) has.
V2_OPS = ["blob opaque raw 0x3000 0x5a", "kexec-metadata 7.0.0 2"]
# A bare kho_vmalloc sub-node: no released kernel writes one (issue 23),
# so only the cells of the defects made on it get this hand-made fixture;
# blob-vmalloc@kho-test and blob-key-start@kho-test-folio break the chain
# a kernel writes (kho_test's folios_info).
HAND_MADE = "blob-vmalloc blob-key-start blob-unreadable@chunk* blob-not-preserved@memfd"
HAND_MADE_OPS = ["vmalloc-blob memfd 40"]


def luo_ops(abi, page):
    """A live update as the ABI's kernel writes it (docs/luo.md): 7.1
    (kho-v3) luo-v1, 7.2+ (kho-v4) luo-v5; two sessions, memfds with
    folios of orders 0 to 3, a file of another handler, an FLB. The luo-*
    defects and the clean cells run on it in place of the opaque raw blob
    of V2_OPS."""
    v5 = abi in ("v4", "composite")
    ps = {"4k": 4096, "16k": 16384, "64k": 65536}[page]
    seals = " 0 12" if v5 else ""
    return [f"luo {'v5' if v5 else 'v1'} 5", "luo-session vm-1", "luo-session vm-2",
            f"luo-memfd vm-1 0x64 {16 * ps:#x}{seals}", "luo-folio vm-1 0x64 0 2",
            "luo-folio vm-1 0x64 4 0", "luo-folio vm-1 0x64 8 3",
            f"luo-memfd vm-2 1 {4 * ps:#x}", "luo-folio vm-2 1 0 0",
            "luo-memfd vm-2 2 0x1000", "luo-flb iommu-v1 2"]


# Variants of each defect (README "defect CHECK [VARIANT] [NAME]"); a
# defect kho-mkimage lists and this table does not is run bare.
VARIANTS = {
    "fdt-memory-map": ["length", "zero", "misaligned"],
    "fdt-subnode": ["no-size", "zero", "zero opaque"],
    "blob-not-preserved": ["", "memblock", "opaque", "kexec-metadata", "memfd"],
    "blob-vmalloc": ["", "kho-test"],
    "blob-key-start": ["", "kho-test-folio"],
    "blob-unreadable": ["", "chunk memfd"],
    "blob-fdt": ["corrupt", "size", "corrupt memblock"],
    "radix-pointer": ["outside", "misaligned", "bit63"],
    "radix-loop": ["cycle", "shared"],
    "scratch-layout": ["overlap", "granule", "misaligned"],
    "luo-format": ["compatible", "size"],
    "handover-consumed": ["", "intact"],
    "luo-block": ["count0", "capacity", "cycle", "misaligned"],
    "luo-session": ["empty", "unterminated", "duplicate", "count"],
    "luo-file": ["unterminated", "data", "handler"],
    "luo-memfd": ["seals", "flags", "nr-folios", "outside", "beyond", "overlap"],
    "luo-not-preserved": ["block", "record", "folio", "chunk", "flb"],
}

FORMATS = ["raw", "elf", "kcore", "qemu", "kdump", "kdump-lzo", "kdump-excl"]
SUFFIX = {"raw": ".raw", "elf": ".elf", "kcore": ".kcore", "qemu": ".qemu",
          "kdump": ".kdump", "kdump-lzo": ".lzo.kdump", "kdump-excl": ".excl.kdump"}

RADIX_ONLY = "radix-pointer* radix-loop* radix-key-width radix-depth"
V2_BLOBS = "*opaque *kexec-metadata *memfd blob-kexec-metadata blob-vmalloc* blob-key-start* blob-unreadable@chunk*"

# (defect, abi, page, format) globs -> why the cell cannot exist. The
# first matching row wins. "refused" rows are cells kho-mkimage must
# refuse (checked): a generator that starts accepting one gets tested.
NOT_APPLICABLE = [
    ("luo-*", "v1-* v2", "*", "*",
     "refused: LUO is 7.1+: luo-v1 needs kho-v3, luo-v5 kho-v4 (docs/luo.md)"),
    ("luo-format@size luo-block@count0 luo-block@cycle luo-block@misaligned "
     "luo-memfd@seals luo-memfd@flags", "v3", "*", "*",
     "refused: luo-v1 (kho-v3) has no blob-size check of 32, block chains, seals or flags"),
    ("handover-consumed*", "composite", "*", "*",
     "refused: no released successor reads a composite compatible, so none consumes it"),
    ("luo-pending", "v3", "*", "*",
     "refused: luo-pending is luo-v5's state before reboot(KEXEC) (7.2+); luo-v1 has no "
     "sessions_pa"),
    ("luo-file@handler", "v3", "*", "*",
     "refused: 7.1's handler set is not judged (lib/luo/decode.c check_handler)"),
    ("radix-depth", "*", "4k 64k", "*",
     "refused: the broken depth exists only with 16 KiB pages"),
    ("radix-depth", "v1-*", "*", "*", "refused: kho-v1 has no radix tree"),
    (RADIX_ONLY, "v1-*", "*", "*", "refused: kho-v1 has no radix tree"),
    ("radix-empty", "v1-*", "*", "*",
     "refused: radix-empty is a radix-tree note (expect.c does not report empty v1 bitmaps)"),
    ("radix-unreadable", "v1-*", "*", "*",
     "refused: excluding a kho-v1 bitmap page would take other 512-byte bitmaps with it; "
     "no kho-v1 variant in defect.c yet"),
    ("v1-chunk v1-bitmap", "v2 v3 v4 composite", "*", "*",
     "refused: a radix ABI has no chunk list"),
    ("handover-consumed*", "v1-*", "*", "*",
     "refused: a kexec-metadata blob (which counts the kexecs) is kho-v2+"),
    ("fdt-not-preserved", "v1-*", "*", "*",
     "refused: a kho-v1 FDT is not a key of its map (kho-abi.md §2: since 7.1)"),
    (V2_BLOBS, "v1-*", "*", "*",
     "not in the spec: kho-v1 sub-nodes are FDTs (no raw, kexec-metadata or vmalloc blobs)"),
    ("fdt-subnode@no-size blob-fdt@size", "v1-* v2", "*", "*",
     "refused: no blob-size property before kho-v3"),
    ("fdt-memory-map@zero", "v1-*", "*", "*",
     "refused: kho-v1 reads 0 as not finalized (testdata/specs/v1-unfinalized-4k)"),
    ("range-not-dumped radix-unreadable blob-unreadable* dump-truncated", "*", "*", "raw",
     "a raw image holds every page: 'not in the dump' is an ELF and kdump notion"),
    ("dump-truncated", "*", "*", "kdump kdump-lzo kdump-excl",
     "the generator cuts its ELF files; the kdumps are made from a whole ELF"),
    ("radix-empty", "*", "*", "kdump-excl",
     "the empty leaf is a zero page that -d 1 excludes: radix-unreadable, not radix-empty"),
]

# Cells that fail because of a verifier bug, with the item of issue 11
# (or "new" for one found by this matrix). Remove a row when it passes.
# The first matching row decides; a row whose item is None says "these
# cells are not known to be bad".
KNOWN_BAD = [
    # Empty: every cell of the full matrix passes (the 16 KiB kdump with a
    # leaf left out, once a false blob-vmalloc and a libkdumpfile SIGSEGV,
    # reads right since the kdump source answers from the bitmaps).
]


def words(s):
    return s.split()


def match(globs, name):
    return any(fnmatch.fnmatchcase(name, g) for g in words(globs))


def lookup(table, defect, abi, page, fmt):
    for row in table:
        if match(row[0], defect) and match(row[1], abi) and match(row[2], page) and \
                match(row[3], fmt):
            return row[4]
    return None


def defect_cells(mkimage):
    """[(cell name, directive words)] of every defect kho-mkimage knows."""
    names = subprocess.run([mkimage, "--list-defects"], capture_output=True, text=True,
                           check=True).stdout.split()
    out = [("clean", None)]
    for n in names:
        for v in VARIANTS.get(n, [""]):
            out.append((n + ("@" + v.replace(" ", "@") if v else ""), (n + " " + v).strip()))
    return out


def spec_text(defect, directive, abi, page):
    p = PAGES[page]
    lines = [f"# matrix cell {defect} on {abi} {page} (tests/e2e/matrix.py)"]
    lines += ABIS[abi] + [f"page-size {p['page']}"]
    if directive and directive.startswith("radix-depth"):
        lines.append("defect " + directive)        # before the first operation
    lines += p["ram"] + p["scratch"] + [p["alloc"]]
    lines.append("outputs raw elf kcore qemu kdump kdump-lzo")
    # the clean cells too: a kernel's vmalloc chains are its memfds' folio arrays
    if (defect.startswith("luo-") or defect == "clean") and abi in ("v3", "v4", "composite"):
        lines += p["ops"] + [o for o in V2_OPS if not o.startswith("blob opaque")] + \
            luo_ops(abi, page)
    else:
        lines += p["ops"] + ([] if abi.startswith("v1") else V2_OPS)
        if not abi.startswith("v1") and match(HAND_MADE, defect):
            lines += HAND_MADE_OPS
    if directive and not directive.startswith("radix-depth"):
        lines.append("defect " + directive)
    return "\n".join(lines) + "\n"


# ---- the kdump with excluded pages ----

def strip_vmcoreinfo(src, dst):
    """Copy an ELF vmcore without its VMCOREINFO note (the last one): with
    it makedumpfile would walk page tables generated memory lacks."""
    shutil.copyfile(src, dst)
    off, filesz, ph = elf_layout(src)[2][-1]
    with open(dst, "r+b") as f:
        f.seek(off)
        notes, p = f.read(filesz), 0
        while p < len(notes):
            nsz, dsz, _ = struct.unpack_from("<III", notes, p)
            if notes[p + 12:p + 12 + nsz].rstrip(b"\0") == b"VMCOREINFO":
                break
            p += 12 + ((nsz + 3) & ~3) + ((dsz + 3) & ~3)
        f.seek(ph + 32)
        f.write(struct.pack("<QQ", p, p))


def excluded_expectation(want):
    """expect.json as it must read from `makedumpfile -d 1`: unchanged.
    makedumpfile 1.7.2 reading an ELF without VMCOREINFO keeps every zero
    page in its second bitmap and points its descriptor at one shared zero
    page (seen in the files: descriptors share one offset), so the zero
    pages are dumped, as zeros: nothing is 'not in the dump'. The cell
    still checks that shared descriptors read right."""
    return json.loads(json.dumps(want))


def make_excluded(base):
    # makedumpfile -d 1 on the ELF without VMCOREINFO: 4 KiB blocks also
    # for 16/64 KiB specs (read with --page-size; the cells pass), where
    # the .kdump and .lzo.kdump cells read kho-mkimage's own kdumps of
    # page-size blocks.
    strip_vmcoreinfo(base + ".elf", base + ".noinfo.elf")
    out = base + SUFFIX["kdump-excl"]
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run(["makedumpfile", "-c", "-d", "1", base + ".noinfo.elf", out],
                       capture_output=True, text=True)
    os.unlink(base + ".noinfo.elf")
    return r.returncode == 0, r.stderr.strip()[-200:]


# ---- one spec: generate, then every format ----

def run_spec(a, defect, directive, abi, page, formats):
    """[(cell, status, detail)]; status pass, fail, xfail, xpass, na."""
    name = f"{defect}.{abi}.{page}"
    out = []
    base = os.path.join(a.work, name)
    spec = base + ".spec"
    with open(spec, "w") as f:
        f.write(spec_text(defect, directive, abi, page))
    r = subprocess.run([a.mkimage, "-q", "-o", a.work, spec], capture_output=True, text=True)
    na = lookup(NOT_APPLICABLE, defect, abi, page, "*")
    if na:
        refused = na.startswith("refused")
        ok = (r.returncode != 0) if refused else True
        return [(name, "na" if ok else "fail",
                 na if ok else "kho-mkimage now builds it: test it, drop the NOT_APPLICABLE row")]
    if r.returncode:
        return [(name, "fail", f"kho-mkimage: {r.stderr.strip()}")]
    want = json.load(open(base + ".expect.json"))
    args = want["generator"]["args"]
    ps = str(want["source"]["page_size"])
    for fmt in formats:
        cell = f"{name}.{fmt}"
        why = lookup(NOT_APPLICABLE, defect, abi, page, fmt)
        if why:
            out.append((cell, "na", why))
            continue
        w = want
        if fmt == "kdump-excl":
            if not shutil.which("makedumpfile"):
                out.append((cell, "na", "makedumpfile is not installed"))
                continue
            ok, err = make_excluded(base)
            if not ok:
                out.append((cell, "fail", f"makedumpfile -d 1: {err}"))
                continue
            w = excluded_expectation(want)
        path = base + SUFFIX[fmt]
        if not os.path.exists(path):
            out.append((cell, "fail", f"kho-mkimage wrote no {SUFFIX[fmt]}"))
            continue
        # Raw images and kdumps made without VMCOREINFO do not carry
        # their page size: the user says it.
        extra = ["--page-size", ps] if fmt in ("raw", "kdump", "kdump-lzo", "kdump-excl") else []
        rc, got, err = inspect(a.inspect, args + extra, path)
        diffs = compare(w, rc, got, err)
        bad = lookup(KNOWN_BAD, defect, abi, page, fmt)
        if bad and diffs:
            out.append((cell, "xfail", f"[{bad}] " + "; ".join(diffs)))
        elif bad:
            out.append((cell, "xpass", f"[{bad}] passes now: remove it from KNOWN_BAD"))
        else:
            out.append((cell, "fail" if diffs else "pass", "; ".join(diffs)))
    if not a.keep:
        for suffix in list(SUFFIX.values()) + [".dtb", ".expect.json"]:
            if os.path.exists(base + suffix):
                os.unlink(base + suffix)
        shutil.rmtree(base + ".luo", ignore_errors=True)
    return out


def plan(a, cells):
    """The specs to run: (defect, directive, abi, page)."""
    combos = [(abi, page) for abi in ABIS for page in PAGES]
    todo = []
    for i, (defect, directive) in enumerate(cells):
        if a.full:
            todo += [(defect, directive, abi, page) for abi, page in combos]
        elif defect == "clean":
            todo += [(defect, directive, abi, page) for abi, page in combos]
        else:
            # One applicable ABI and page size, rotating with the defect.
            ok = [c for c in combos if not lookup(NOT_APPLICABLE, defect, c[0], c[1], "*")]
            if ok:
                todo.append((defect, directive) + ok[(i * 7) % len(ok)])
    if a.filter:
        todo = [t for t in todo if fnmatch.fnmatchcase(f"{t[0]}.{t[2]}.{t[3]}", a.filter)]
    return todo


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mkimage")
    p.add_argument("inspect")
    p.add_argument("work")
    p.add_argument("--full", action="store_true", help="every cell, not the default subset")
    p.add_argument("-j", type=int, default=1, help="specs in parallel")
    p.add_argument("--filter", help="glob over DEFECT.ABI.PAGE")
    p.add_argument("--keep", action="store_true", help="keep the images")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    t0 = time.time()
    cells = defect_cells(a.mkimage)
    todo = plan(a, cells)
    T = Tally("matrix" + (" --full" if a.full else ""))
    counts = {"pass": 0, "fail": 0, "xfail": 0, "xpass": 0, "na": 0}
    with concurrent.futures.ThreadPoolExecutor(max(1, a.j)) as ex:
        results = ex.map(lambda t: run_spec(a, *t, FORMATS), todo)
        for res in results:
            for cell, status, detail in res:
                counts[status] += 1
                if status == "pass":
                    T.check(True, cell)
                elif status == "na":
                    T.skip(f"{cell}: not applicable: {detail}")
                elif status == "xfail":
                    print(f"XFAIL: {cell}: {detail}")
                else:
                    T.check(False, f"{cell}: {detail}")
    print(f"matrix: {len(todo)} specs, cells: " +
          ", ".join(f"{v} {k}" for k, v in counts.items()) + f"; {time.time() - t0:.0f} s")
    return T.close()


if __name__ == "__main__":
    sys.exit(main())
