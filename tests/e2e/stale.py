#!/usr/bin/python3
"""stale.py KHO_INSPECT VMLINUX73 BASE

7.3's extended scratch (kho-abi.md §6b): a kernel that received a
handover used every 1 GiB block holding none of the memory it preserves
(nor a page of its tree) as scratch, so a stale KHO FDT in such a block
may be overwritten and is not evidence of anything.

BASE.{elf,kcore} are a 7.3 image whose kho_in names the handover (the
`incoming` variant) with RAM in two 1 GiB blocks. Two stale FDTs are
planted here: copies of the handover's page, one header byte changed, one
in the block the handover preserves memory in and one in the block it
preserves nothing in. Which block holds what comes from the generator's
BASE.expect.json (its ranges), not from kho-inspect; all tree pages come
from the spec's alloc region, below 1 GiB.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from elfcore import elf_layout  # noqa: E402

BLOCK = 1 << 30
PAGE = 4096
STALE = [0x2100000, 0x40200000]   # block 0 (holds ranges), block 1 (none)


def file_offset(loads, phys):
    for paddr, off, filesz, _ in loads:
        if paddr <= phys and phys + PAGE <= paddr + filesz:
            return off + phys - paddr
    raise SystemExit(f"0x{phys:x} is not in the image")


def plant(src, dst):
    shutil.copyfile(src, dst)
    _, _, _, loads = elf_layout(dst)
    with open(dst, "r+b") as f:
        f.seek(file_offset(loads, fdt))
        page = bytearray(f.read(PAGE))
        for i, phys in enumerate(STALE):
            page[0x1f] = 0x40 + i      # fdt_header.boot_cpuid_phys: not a copy
            f.seek(file_offset(loads, phys))
            f.write(page)


def run(*args):
    r = subprocess.run([ki, "--json", *args], capture_output=True, text=True)
    if r.returncode == 2:
        raise SystemExit(f"{args}: exit 2: {r.stderr.strip()}")
    return r.returncode, json.loads(r.stdout)


def inspected(doc):
    return sorted(int(h["fdt"]["phys"], 16) for h in doc["handovers"])


def candidates(doc):
    return {int(c["phys"], 16): c for c in doc["candidates"]}


ki, vmlinux, base = sys.argv[1:4]
expect = json.load(open(base + ".expect.json"))
fdt = int(expect["handovers"][0]["fdt"]["phys"], 16)
held = set()
for r in expect["handovers"][0]["ranges"]:
    start, size = int(r["phys"], 16), int(r["size"], 16)
    held.update(range(start // BLOCK, (start + size - 1) // BLOCK + 1))
overwritten = {p: p // BLOCK not in held for p in STALE}
assert overwritten == {STALE[0]: False, STALE[1]: True}, (held, overwritten)

failed = 0
for kind in ("elf", "kcore"):
    img = f"{base}-stale.{kind}"
    plant(f"{base}.{kind}", img)
    try:
        # --vmlinux: only the handover it names is inspected; the stale
        # ones are listed, labelled by their block
        rc, doc = run("--vmlinux", vmlinux, "verify", img)
        c = candidates(doc)
        assert rc == 0 and inspected(doc) == [fdt], (rc, inspected(doc))
        assert sorted(c) == sorted([fdt] + STALE), sorted(c)
        assert c[fdt]["inspected"] and c[fdt]["why"] == "named by --vmlinux", c[fdt]
        for p in STALE:
            assert not c[p]["inspected"], c[p]
            assert c[p]["possibly_overwritten"] == overwritten[p], c[p]
            assert ("possibly overwritten" in c[p]["why"]) == overwritten[p], c[p]
        # --all inspects the stale one that survived, not the other
        rc, doc = run("--vmlinux", vmlinux, "--all", "verify", img)
        assert inspected(doc) == sorted([fdt, STALE[0]]), inspected(doc)
        # --fdt names the possibly overwritten one: inspected as asked
        rc, doc = run("--fdt", hex(STALE[1]), "verify", img)
        assert inspected(doc) == [STALE[1]], inspected(doc)
        # no symbols, no knowledge of the incoming handover: all three are
        # inspected and the dump is ambiguous, as before
        rc, doc = run("verify", img)
        assert inspected(doc) == sorted([fdt] + STALE), inspected(doc)
        assert "handover-ambiguous" in [f["check"] for f in doc["findings"]], doc["findings"]
        assert not any(x["possibly_overwritten"] for x in doc["candidates"])
    except AssertionError as e:
        failed += 1
        print(f"FAIL: extended scratch on {kind}: {e}")
    finally:
        os.unlink(img)
sys.exit(1 if failed else 0)
