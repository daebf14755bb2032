#!/usr/bin/python3
"""mutate.py INSPECT MKIMAGE SPEC WORKDIR COUNT SEED

Mutations of a clean fixture's ELF, each with a meaning and the verdict it
must change. The map is parsed here, independently of kho-inspect (radix
tree: kho-abi.md §3; kho-v1 chunks and bitmaps: §4), and checked against
the generator's expect.json first. Then, from a fixed seed, COUNT/4 of each:

- leaf bit flips (any bit of a whole 4/16/64 KiB leaf or v1 bitmap): the
  ranges must be exactly the old ones with that key added or removed; an
  added key that overlaps another range must also give range-overlap;
- table entry redirects (any entry of a whole node page): at a page off
  the tree (past memory, misaligned, bit 63) -> radix-pointer; at a node
  or leaf reached elsewhere -> radix-loop; at an index above the legal
  root ones -> radix-key-width; emptied -> fewer ranges; anything else ->
  a radix finding or changed ranges;
- kho-v1 bitmap pointer shifts off the bitmap size's alignment -> v1-bitmap.

A mutation that changes the map and still gets a clean verdict with
unchanged ranges is a failure. Then the robustness catalogue: truncation
at every interesting offset and COUNT random byte flips, entry writes and
cuts anywhere in the FDT and tree pages: exit 0, 1 or 2 within seconds,
one valid JSON document, no sanitizer report. Images stay sparse.
"""
import bisect
import collections
import fnmatch
import json
import os
import random
import struct
import subprocess
import sys

from sparse import extents
from tally import Tally

M64 = (1 << 64) - 1
RADIX_FINDINGS = {"radix-pointer", "radix-loop", "radix-key-width", "radix-unreadable",
                  "radix-depth"}


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


class Memory:
    """Physical memory of an ELF image: reads by address, file offsets."""

    def __init__(self, img, segs):
        self.img, self.segs = img, segs

    def offset(self, phys):
        for paddr, off, filesz in self.segs:
            if paddr <= phys < paddr + filesz:
                return off + phys - paddr
        return None

    def read(self, phys, n):
        off = self.offset(phys)
        return bytes(n) if off is None else self.img.read(off, n)

    def u64(self, phys):
        return struct.unpack("<Q", self.read(phys, 8))[0]


class Radix:
    """The radix tree of kho-abi.md §3, walked as the kernel walks it."""

    def __init__(self, mem, root, page_size, depth):
        self.mem, self.root, self.page = mem, root, page_size
        self.shift = page_size.bit_length() - 1
        self.table_log2, self.bitmap_log2 = self.shift - 3, self.shift + 3
        self.order0 = 64 - self.shift
        self.depth = depth
        self.legal_root = 1 << (self.order0 + 1 - self.bitmap_log2 -
                                (depth - 2) * self.table_log2)
        self.nodes, self.leaves, self.keys = [], [], []
        self.walk(root, depth - 1, 0)

    def index_shift(self, level):
        return (level - 1) * self.table_log2 + self.bitmap_log2

    def decode(self, key):
        order = self.order0 + 1 - key.bit_length()
        return ((key << (self.shift + order)) & M64, order)

    def walk(self, phys, level, prefix):
        if level == 0:
            self.leaves.append((phys, prefix))
            data = self.mem.read(phys, self.page)
            for w in range(self.page // 8):
                word, = struct.unpack_from("<Q", data, 8 * w)
                while word:
                    b = (word & -word).bit_length() - 1
                    word &= word - 1
                    self.keys.append(self.decode(prefix | (w * 64 + b)))
            return
        self.nodes.append((phys, level, prefix))
        data = self.mem.read(phys, self.page)
        for i in range(self.page // 8):
            e, = struct.unpack_from("<Q", data, 8 * i)
            if e:
                self.walk(e, level - 1, prefix | (i << self.index_shift(level)))

    def pages(self):
        return {p for p, *_ in self.nodes} | {p for p, _ in self.leaves}


class V1:
    """The kho-v1 chunk list of kho-abi.md §4."""

    def __init__(self, mem, first, page_size, bitmap_bytes):
        self.mem, self.page, self.bytes = mem, page_size, bitmap_bytes
        self.shift = page_size.bit_length() - 1
        self.chunks, self.elms, self.keys = [], [], []
        c = first
        while c and len(self.chunks) < 10000:
            self.chunks.append(c)
            order, n = struct.unpack("<II", mem.read(c + 8, 8))
            for i in range(n):
                elm = c + 16 + 16 * i
                start, bitmap = struct.unpack("<QQ", mem.read(elm, 16))
                self.elms.append((elm, order, start, bitmap))
                data = mem.read(bitmap, bitmap_bytes)
                for w in range(bitmap_bytes // 8):
                    word, = struct.unpack_from("<Q", data, 8 * w)
                    while word:
                        b = (word & -word).bit_length() - 1
                        word &= word - 1
                        self.keys.append((start + ((w * 64 + b) << (order + self.shift)),
                                          order))
            c = mem.u64(c)


# Mutations that fail today because of a verifier bug: (spec glob, what
# glob, item of issue 11). A matching run that fails is reported as XFAIL
# (and printed); one that passes just passes (random runs of one kind
# need not all hit the bug). Remove a row once its item is fixed.
KNOWN_BAD = [
    ("*v1*", "bitmap pointer *", "3: one bitmap size guessed for the whole map"),
    ("*16k*", "entry *", "7: a defect in a depth-5 16 KiB tree taken for the broken depth"),
]


def known_bad(spec, what):
    for s, w, item in KNOWN_BAD:
        if fnmatch.fnmatchcase(spec, s) and fnmatch.fnmatchcase(what, w):
            return item
    return None


def verdict(inspect, args, path):
    r = subprocess.run([inspect, "--json", "verify", "--ranges"] + args + [path],
                       capture_output=True, text=True, timeout=30)
    try:
        doc = json.loads(r.stdout)
    except json.JSONDecodeError:
        return r.returncode, None, r.stderr
    return r.returncode, doc, r.stderr


def keyset(doc):
    h = doc["handovers"][0] if doc and doc.get("handovers") else {"ranges": []}
    return collections.Counter((int(r["phys"], 16), r["order"]) for r in h.get("ranges", []))


def checks(doc):
    out = {f["check"] for f in doc.get("findings", [])} if doc else set()
    for h in (doc or {}).get("handovers", []):
        out |= {f["check"] for f in h["findings"]}
    return out


def overlaps(keys, key, page):
    p, o = key
    end = p + (page << o)
    return any(q < end and p < q + (page << r) for q, r in keys if (q, r) != key)


def semantic(t, rnd, count, img, mem, expect, map_, inspect, args, work, spec):
    """Leaf bit flips, entry redirects, v1 bitmap shifts: see the docstring."""
    h = expect["handovers"][0]
    page = expect["source"]["page_size"]
    base = keyset(expect)
    fdt = int(h["fdt"]["phys"], 16)
    radix = isinstance(map_, Radix)
    runs = []   # (what, patches, predicate(doc) -> problem or None)

    def offset(phys):
        off = mem.offset(phys)
        assert off is not None, hex(phys)
        return off

    # Leaf bit flips: any bit of the page (a v1 bitmap: its whole size).
    leaves = map_.leaves if radix else [(e[3], e) for e in map_.elms]
    for _ in range(count if leaves else 0):
        leaf, ctx = rnd.choice(leaves)
        nbits = page * 8 if radix else map_.bytes * 8
        set_bits = []
        data = mem.read(leaf, nbits // 8)
        if rnd.random() < 0.4:
            set_bits = [i for i in range(nbits) if data[i // 8] >> (i % 8) & 1]
        bit = rnd.choice(set_bits) if set_bits else rnd.randrange(nbits)
        if radix:
            key = ctx | bit
            if key == 0:
                continue
            k = map_.decode(key)
        else:
            _, order, start, _ = ctx
            k = (start + (bit << (order + map_.shift)), order)
        byte = data[bit // 8]
        was = byte >> (bit % 8) & 1
        want = base.copy()
        if was:
            want[k] -= 1
            want += collections.Counter()
        else:
            want[k] += 1
        ov = not was and overlaps(list(base), k, page)

        def pred(doc, want=want, ov=ov, k=k, was=was):
            got = keyset(doc)
            if got != want:
                return (f"{'removing' if was else 'adding'} key {hex(k[0])} order {k[1]}: "
                        f"extra {sorted(got - want)[:3]}, missing {sorted(want - got)[:3]}; "
                        f"findings {sorted(checks(doc))}")
            if ov and "range-overlap" not in checks(doc):
                return f"added key {hex(k[0])} order {k[1]} overlaps, no range-overlap"
            return None
        runs.append((f"leaf {hex(leaf)} bit {bit} ({'clear' if was else 'set'})",
                     [(offset(leaf) + bit // 8, bytes([byte ^ (1 << (bit % 8))]))], pred))

    if radix:
        pages = sorted(map_.pages())
        for _ in range(count):
            node, level, _ = rnd.choice(map_.nodes)
            i = rnd.randrange(page // 8)
            old = mem.u64(node + 8 * i)
            kind = rnd.choice(["outside", "misaligned", "bit63", "tree", "tree", "zero",
                               "fdt", "ram"])
            root_illegal = node == map_.root and i >= map_.legal_root
            if kind == "outside":
                target = (1 << 40) + page * rnd.randrange(1, 1 << 16)
            elif kind == "misaligned":
                target = rnd.choice(pages) + 8 * rnd.randrange(1, page // 8)
            elif kind == "bit63":
                target = rnd.choice(pages) | (1 << 63)
            elif kind == "tree":
                target = rnd.choice(pages)
            elif kind == "zero":
                used = [j for j in range(page // 8) if mem.u64(node + 8 * j)]
                i = rnd.choice(used)
                old, target = mem.u64(node + 8 * i), 0
                root_illegal = False
            elif kind == "fdt":
                target = fdt
            else:
                target = page * rnd.randrange(0, int(h["scratch"][0]["phys"], 16) // page)
            if target == old:
                continue

            def pred(doc, kind=kind, root_illegal=root_illegal, old=old, target=target):
                c = checks(doc)
                if root_illegal and target:
                    return None if "radix-key-width" in c else \
                        f"root index beyond the legal ones: no radix-key-width ({sorted(c)})"
                if kind in ("outside", "misaligned", "bit63"):
                    return None if "radix-pointer" in c else f"no radix-pointer ({sorted(c)})"
                if kind == "tree" and target != old:
                    return None if "radix-loop" in c else \
                        f"a page reached twice: no radix-loop ({sorted(c)})"
                if kind == "zero":
                    got = keyset(doc)
                    return None if sum(got.values()) < sum(base.values()) and \
                        not got - base else "emptied entry: ranges did not shrink"
                # Another page read as a node or leaf: its keys, a radix
                # finding, or at least a note (an empty node, a node page
                # inside preserved memory); never a clean verdict.
                if c or keyset(doc) != base:
                    return None
                return "entry changed, verdict clean with unchanged ranges"
            runs.append((f"entry {hex(node)}[{i}] (level {level}) {kind} {hex(old)} -> "
                         f"{hex(target)}", [(offset(node + 8 * i), struct.pack("<Q", target))],
                         pred))
    else:
        for _ in range(count if map_.elms else 0):
            elm, order, start, bitmap = rnd.choice(map_.elms)
            align = page if map_.bytes == page else 512
            delta = rnd.choice([8, 16, 64, 256, -8, -64]) + (
                rnd.choice([0, 512]) if align == page else 0)
            target = bitmap + delta
            if target % align == 0:
                continue

            def pred(doc):
                c = checks(doc)
                return None if "v1-bitmap" in c else f"no v1-bitmap ({sorted(c)})"
            runs.append((f"bitmap pointer {hex(elm + 8)} {hex(bitmap)} -> {hex(target)}",
                         [(offset(elm + 8), struct.pack("<Q", target))], pred))

    path = os.path.join(work, "s.elf")
    for i, (what, patches, pred) in enumerate(runs):
        img.write(path, patches)
        try:
            rc, doc, err = verdict(inspect, args, path)
        except subprocess.TimeoutExpired:
            t.check(False, f"semantic {i}: {what}: hang")
            continue
        problem = pred(doc) if doc and doc.get("handovers") else f"exit {rc}: {err.strip()[-200:]}"
        if problem:
            os.replace(path, os.path.join(work, f"semantic-{i}.elf"))
        bad = known_bad(spec, what)
        if problem and bad:
            print(f"XFAIL: semantic {i}: {what}: [{bad}] {problem}")
            continue
        t.check(not problem, f"semantic {i}: {what}: {problem}")


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
    mem = Memory(img, segs)
    h = expect["handovers"][0]
    page = expect["source"]["page_size"]
    fdt = int(h["fdt"]["phys"], 16)
    mm = h["memory_map"]
    if mm["format"] == "radix":
        map_ = Radix(mem, int(mm["phys"], 16), page, mm["depth"])
    else:
        map_ = V1(mem, int(mm["phys"], 16), page, mm["bitmap_bytes"])
    # The parser here must read the clean image as the generator wrote it.
    t.check(collections.Counter(map_.keys) == keyset(expect),
            f"{name}: the map parsed here holds {len(map_.keys)} keys, "
            f"expect.json {len(h['ranges'])}")
    semantic(t, rnd, max(8, count // 4), img, mem, expect, map_, inspect, args, work, name)

    # The robustness catalogue. Interesting pages: the tree's pages (every
    # byte of them), the FDT, and the other data pages.
    tree = sorted(map_.pages()) if isinstance(map_, Radix) else \
        sorted(set(map_.chunks) | {b - b % page for *_, b in map_.elms})
    pages = [(p, mem.offset(p)) for p in tree if mem.offset(p) is not None]
    fdt_off = mem.offset(fdt) or 0
    cuts = {0, 1, 16, 52, 63, 64, phoff, phoff + 56 * phnum - 1, fdt_off, fdt_off + 8,
            fdt_off + 40, fdt_off + 100, img.size - 1}
    cuts |= {phoff + 56 * k + d for k in range(min(phnum, 8)) for d in (0, 28)}
    for _, off, filesz in segs:
        cuts |= {off, off + 1, off + filesz - 1}
    for _, off in pages[:: max(1, len(pages) // 32)]:
        cuts |= {off, off + page // 2, off + page - 1}
    runs = [("truncate", [], c) for c in sorted(c for c in cuts if 0 <= c < img.size)]
    for _ in range(count):
        kind = rnd.choice(["flip", "flip", "entry", "entry", "fdt", "truncate"])
        patches, size = [], None
        if kind == "truncate":
            size = rnd.randrange(0, img.size)
        elif kind == "fdt":
            for _ in range(rnd.randrange(1, 8)):
                patches.append((fdt_off + rnd.randrange(0, 512), bytes([rnd.randrange(256)])))
        elif pages:
            _, off = rnd.choice(pages)
            if kind == "flip":
                for _ in range(rnd.randrange(1, 16)):
                    o = off + rnd.randrange(page)
                    patches.append((o, bytes([img.read(o, 1)[0] ^ (1 << rnd.randrange(8))])))
            else:
                target = rnd.choice([p for p, _ in pages] + [fdt, 1 << 40, (1 << 63) | page,
                                                          fdt + 8, 0])
                patches.append((off + 8 * rnd.randrange(page // 8), struct.pack("<Q", target)))
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
        ok = r.returncode in (0, 1, 2, 3) and "Sanitizer" not in r.stderr and \
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
