#!/usr/bin/python3
"""replay_real.py INSPECT MKIMAGE DUMP WORKDIR

Prove that kho-mkimage writes what the kernel writes (issue 23). From a real
kernel's dump taken at machine_kexec (a QEMU ELF, kho-v4, LUO v5), decode the
handover with kho-inspect, write a kho-mkimage spec that replays the same
preserve calls, run kho-mkimage on it and compare the generated image's bytes
with the kernel's, field by field:

- the KHO FDT: root and sub-node names and order, property names, lengths
  and values (preserved-memory-map and preserved-data are addresses the
  generator's allocator chose: only their length and that they name a key
  are compared);
- the key set: every key the spec replays (folio directives) must be in the
  generated tree at the same address and order; the keys the generator
  allocates itself (FDT page, kexec-metadata, LUO root, blocks, records,
  folio-array chunks and runs, memfd folios, FLB page) are compared by number
  and order only, since the spec language cannot place an allocation (alloc
  names one region, allocated top-down);
- the tree shape (pages per level), the LUO root, block headers and chains,
  session and file entries, memfd records and folio records, the FLB page,
  and the kexec-metadata bytes.

kho_test is left out (no directive writes its real payload yet): its keys are
replayed as plain folios and its sub-node is skipped in the FDT comparison.

replay() is self-contained: paths in, mismatch strings out (empty: the
generator wrote what the kernel wrote). The CLI prints each mismatch, the
things it could not compare (note:), and `replay: N passed, M failed`; it
exits 1 on a mismatch, 2 when it could not run.
"""
import json
import os
import struct
import subprocess
import sys

FDT_MAGIC = 0xD00DFEED
MAX_BLOCKS = 10000
SKIPPED_SUBNODES = ("kho_test",)


# --- reading the images -----------------------------------------------------

class _Memory:
    """Physical memory of an ELF64 little-endian core, by p_paddr."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            hdr = f.read(64)
            if hdr[:4] != b"\x7fELF" or hdr[4] != 2 or hdr[5] != 1:
                raise ValueError("%s: not an ELF64 little-endian core" % path)
            phoff, = struct.unpack_from("<Q", hdr, 32)
            phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
            f.seek(phoff)
            ph = f.read(phentsize * phnum)
        self.loads = []
        for i in range(phnum):
            p_type, _, off, _, paddr, filesz, _ = struct.unpack_from(
                "<IIQQQQQ", ph, i * phentsize)
            if p_type == 1 and filesz:
                self.loads.append((paddr, off, filesz))
        self.loads.sort()

    def read(self, phys, size):
        for paddr, off, filesz in self.loads:
            if paddr <= phys and phys + size <= paddr + filesz:
                with open(self.path, "rb") as f:
                    f.seek(off + phys - paddr)
                    return f.read(size)
        raise ValueError("0x%x+0x%x is not in %s" % (phys, size, self.path))

    def u64(self, phys):
        return struct.unpack("<Q", self.read(phys, 8))[0]


def _fdt_parse(blob):
    """A flattened device tree as nested (name, [(prop, bytes)], [children])."""
    magic, total, off_struct, off_strings = struct.unpack_from(">IIII", blob, 0)
    if magic != FDT_MAGIC or total > len(blob):
        raise ValueError("not an FDT")
    pos = off_struct
    stack = []
    root = None
    while True:
        tag, = struct.unpack_from(">I", blob, pos)
        pos += 4
        if tag == 1:  # BEGIN_NODE
            end = blob.index(b"\0", pos)
            node = (blob[pos:end].decode("latin-1"), [], [])
            pos = (end + 4) & ~3
            if stack:
                stack[-1][2].append(node)
            else:
                root = node
            stack.append(node)
        elif tag == 2:  # END_NODE
            stack.pop()
        elif tag == 3:  # PROP
            length, nameoff = struct.unpack_from(">II", blob, pos)
            pos += 8
            s = off_strings + nameoff
            name = blob[s:blob.index(b"\0", s)].decode("latin-1")
            stack[-1][1].append((name, bytes(blob[pos:pos + length])))
            pos = (pos + length + 3) & ~3
        elif tag == 4:  # NOP
            continue
        elif tag == 9:  # END
            return root
        else:
            raise ValueError("bad FDT tag %d" % tag)


def _run_json(inspect, *args):
    x = subprocess.run([inspect, "--json"] + list(args), capture_output=True, text=True)
    if x.returncode not in (0, 1):
        raise RuntimeError("kho-inspect %s: exit %d: %s" % (" ".join(args), x.returncode,
                                                             x.stderr.strip()))
    return json.loads(x.stdout)


def _cstr(b):
    return b.split(b"\0", 1)[0].decode("latin-1")


def _chain(mem, head, entry_size, page):
    """A block chain: [(block phys, next, count, [entry bytes])]."""
    blocks, seen = [], set()
    while head and head not in seen and len(blocks) < MAX_BLOCKS:
        seen.add(head)
        nxt, count = struct.unpack("<QQ", mem.read(head, 16))
        cap = (page - 16) // entry_size
        n = min(count, cap)
        raw = mem.read(head + 16, n * entry_size)
        blocks.append((head, nxt, count,
                       [raw[i * entry_size:(i + 1) * entry_size] for i in range(n)]))
        head = nxt
    return blocks


def _vmalloc(mem, desc, page):
    """A struct kho_vmalloc: (first, total_pages, flags, order, chunks, runs)."""
    first, total, flags, order = struct.unpack("<QIHH", desc)
    chunks, runs, seen = [], [], set()
    c = first
    while c and c not in seen and len(chunks) < MAX_BLOCKS:
        seen.add(c)
        chunks.append(c)
        words = struct.unpack("<%dQ" % (page // 8), mem.read(c, page))
        for w in words[1:]:
            if not w:
                break
            runs.append(w)
        c = words[0]
    return first, total, flags, order, chunks, runs


def _decode_luo(mem, root_phys, page, keys):
    """The luo-v5 state from memory, with the (phys, order) keys it owns."""
    raw = mem.read(root_phys, 32)
    compat, num, sessions_pa, flbs_pa = struct.unpack("<8sQQQ", raw)
    luo = {"root": raw, "compatible": compat, "num": num,
           "sessions_pa": sessions_pa, "flbs_pa": flbs_pa, "sessions": [], "flb": None}
    owned = {(root_phys, 0)}
    luo["session_blocks"] = _chain(mem, sessions_pa, 80, page)
    for b in luo["session_blocks"]:
        owned.add((b[0], 0))
        for e in b[3]:
            name, files, count = struct.unpack("<64sQQ", e)
            s = {"name": name, "files_pa": files, "count": count, "files": []}
            s["file_blocks"] = _chain(mem, files, 64, page)
            for fb in s["file_blocks"]:
                owned.add((fb[0], 0))
                for fe in fb[3]:
                    comp, data, token = struct.unpack("<48sQQ", fe)
                    f = {"compatible": comp, "data": data, "token": token, "memfd": None}
                    if _cstr(comp).startswith("memfd-v2") and data:
                        rec = mem.read(data, 48)
                        pos, size, seals, flags, nr = struct.unpack_from("<QQIIQ", rec)
                        owned.add((data, keys.get(data, 0)))
                        first, total, vflags, vorder, chunks, runs = _vmalloc(mem, rec[32:48], page)
                        owned.update((c, 0) for c in chunks)
                        owned.update((r, vorder) for r in runs)
                        blob = b"".join(mem.read(r, page << vorder) for r in runs)
                        folios = []
                        for i in range(min(nr, len(blob) // 16)):
                            pf, index = struct.unpack_from("<QQ", blob, i * 16)
                            pfn, fl = pf & ((1 << 52) - 1), pf >> 52
                            folios.append((pfn * page, index, fl))
                            if pfn:
                                owned.add((pfn * page, keys.get(pfn * page, 0)))
                        f["memfd"] = {"pos": pos, "size": size, "seals": seals, "flags": flags,
                                      "nr_folios": nr, "total_pages": total,
                                      "vflags": vflags, "vorder": vorder,
                                      "chunks": len(chunks), "runs": len(runs),
                                      "folios": folios}
                    elif data and data in keys:
                        owned.add((data, keys[data]))
                    s["files"].append(f)
            luo["sessions"].append(s)
    if flbs_pa:
        owned.add((flbs_pa, 0))
        pgcnt, count = struct.unpack("<QQ", mem.read(flbs_pa, 16))
        n = min(count, (page - 16) // 64)
        ents = []
        for i in range(n):
            name, data, cnt = struct.unpack("<48sQQ", mem.read(flbs_pa + 16 + 64 * i, 64))
            ents.append((name, data, cnt))
            if data in keys:
                owned.add((data, keys[data]))
        luo["flb"] = (pgcnt, count, ents)
    return luo, owned


def _decode(inspect, image, workdir, tag):
    """Everything compared, decoded from one image."""
    verify = _run_json(inspect, "verify", "--ranges", image)
    luoj = _run_json(inspect, "luo", image)
    tree = _run_json(inspect, "tree", image)
    out = os.path.join(workdir, "extract-" + tag)
    x = subprocess.run([inspect, "extract", "-o", out, image], capture_output=True, text=True)
    if x.returncode not in (0, 1):
        raise RuntimeError("kho-inspect extract %s: %s" % (image, x.stderr.strip()))
    if not verify.get("handovers"):
        raise RuntimeError("%s: no handover" % image)
    h = verify["handovers"][0]
    page = verify["source"]["page_size"]
    with open(os.path.join(out, "fdt.dtb"), "rb") as f:
        fdt = _fdt_parse(f.read())
    bins = {}
    for s in h.get("subtrees", []):
        p = os.path.join(out, s["name"] + ".bin")
        if os.path.exists(p):
            with open(p, "rb") as f:
                bins[s["name"]] = f.read()
    keys = {int(r["phys"], 16): r["order"] for r in h.get("ranges", [])}
    mem = _Memory(image)
    d = {"verify": verify, "h": h, "page": page, "fdt": fdt, "bins": bins, "keys": keys,
         "mem": mem, "luoj": (luoj.get("handovers") or [{}])[0].get("luo"),
         "levels": (tree.get("handovers") or [{}])[0].get("tree", {}).get("pages_per_level"),
         "fdt_phys": int(h["fdt"]["phys"], 16), "luo": None, "owned": set()}
    d["owned"].add((d["fdt_phys"], 0))
    for s in h.get("subtrees", []):
        phys = int(s["phys"], 16)
        if s["name"] == "kexec-metadata":
            d["owned"].add((phys, keys.get(phys, 0)))
        if s["name"] == "LUO":
            d["luo"], owned = _decode_luo(mem, phys, page, keys)
            d["owned"] |= owned
    return d


# --- the spec ------------------------------------------------------------------

def _spec(real):
    """A kho-mkimage spec replaying the kernel's preserve calls."""
    page = real["page"]
    src = real["verify"]["source"]
    arch = src.get("arch", "x86_64")
    lines = ["# replay of %s (tests/e2e/replay_real.py)" % src.get("path", "a dump"),
             "abi %s" % real["h"]["fdt"]["compatible"],
             "page-size %d" % page, "arch %s" % arch]
    ram = []
    for paddr, _, filesz in real["mem"].loads:
        start = (paddr + page - 1) // page * page
        end = (paddr + filesz) // page * page
        if end > start:
            ram.append((start, end))
            lines.append("ram 0x%x 0x%x" % (start, end - start))
    # alloc: the largest stretch of RAM free of every key the kernel made,
    # so that what the generator allocates never lands on a replayed key
    busy = sorted((p, p + (page << o)) for p, o in real["keys"].items())
    best = (0, 0)
    for start, end in ram:
        cur = start
        for b0, b1 in busy + [(end, end)]:
            if b1 <= cur:
                continue
            gap = (cur, min(max(b0, cur), end))
            if gap[1] - gap[0] > best[1] - best[0]:
                best = gap
            cur = max(cur, b1)
            if cur >= end:
                break
    lines.append("alloc 0x%x 0x%x" % (best[0], best[1] - best[0]))
    lines.append("outputs elf")
    meta = real["bins"].get("kexec-metadata")
    if meta is not None and len(meta) >= 73:
        lines.append("kexec-metadata %s %d" % (_cstr(meta[4:69]),
                                                struct.unpack_from("<I", meta, 69)[0]))
    replayed = sorted(set(real["keys"].items()) - real["owned"])
    for phys, order in replayed:
        lines.append("folio 0x%x %d" % (phys, order))
    luo = real["luo"]
    if luo:
        lines.append("luo v5 %d" % luo["num"])
        for s in luo["sessions"]:
            lines.append("luo-session %s" % _cstr(s["name"]))
        for s in luo["sessions"]:
            name = _cstr(s["name"])
            for f in s["files"]:
                m = f["memfd"]
                if m is None:
                    lines.append("luo-file %s 0x%x %s" % (name, f["token"], _cstr(f["compatible"])))
                    continue
                lines.append("luo-memfd %s 0x%x 0x%x 0x%x 0x%x" % (name, f["token"], m["size"],
                                                                    m["pos"], m["seals"]))
                for phys, index, _ in m["folios"]:
                    if phys:
                        lines.append("luo-folio %s 0x%x %d %d" % (
                            name, f["token"], index, real["keys"].get(phys, 0)))
        if luo["flb"]:
            for name, data, count in luo["flb"][2]:
                # data is what the FLB's preserve op returned: a record the
                # generator allocates when it is a key, the value otherwise
                if data in real["keys"]:
                    lines.append("luo-flb %s %d" % (_cstr(name), count))
                else:
                    lines.append("luo-flb %s %d 0x%x" % (_cstr(name), count, data))
    return "\n".join(lines) + "\n", {p for p, _ in replayed}


# --- the comparison -------------------------------------------------------------

class _Tally:
    def __init__(self):
        self.passed, self.bad, self.notes = 0, [], []

    def eq(self, what, real, gen):
        if real == gen:
            self.passed += 1
        else:
            self.bad.append("%s: kernel %s, generator %s" % (what, _show(real), _show(gen)))

    def ok(self, what, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.bad.append("%s%s" % (what, ": " + detail if detail else ""))

    def note(self, what):
        self.notes.append(what)


def _show(v):
    if isinstance(v, bytes):
        return repr(v.rstrip(b"\0")) + " (%d bytes)" % len(v)
    if isinstance(v, int) and v > 9:
        return "0x%x" % v
    return repr(v)


def _by_order(keys):
    out = {}
    for _, o in keys:
        out[o] = out.get(o, 0) + 1
    return dict(sorted(out.items()))


def _cmp_fdt(t, real, gen):
    rn, rp, rc = real["fdt"]
    gn, gp, gc = gen["fdt"]
    t.eq("FDT root properties", [(n, len(v)) for n, v in rp], [(n, len(v)) for n, v in gp])
    rd, gd = dict(rp), dict(gp)
    t.eq("FDT compatible", rd.get("compatible"), gd.get("compatible"))
    if "preserved-memory-map" in gd:
        t.ok("FDT preserved-memory-map non-zero",
             struct.unpack("<Q", gd["preserved-memory-map"])[0] != 0)
    t.note("FDT preserved-memory-map: the generator places the radix root itself "
           "(kernel 0x%x)" % struct.unpack("<Q", rd["preserved-memory-map"])[0])
    skipped = [c[0] for c in rc if c[0] in SKIPPED_SUBNODES]
    for s in skipped:
        t.note("FDT sub-node %s: not replayed (no kho-mkimage directive writes the real "
               "kho_test payload yet); its keys are replayed as folios" % s)
    rkids = [c for c in rc if c[0] not in SKIPPED_SUBNODES]
    t.eq("FDT sub-nodes in order", [c[0] for c in rkids], [c[0] for c in gc])
    gkids = dict((c[0], c) for c in gc)
    for name, props, kids in rkids:
        g = gkids.get(name)
        if not g:
            continue
        t.eq("FDT %s properties (name, length)" % name, [(n, len(v)) for n, v in props],
             [(n, len(v)) for n, v in g[1]])
        t.eq("FDT %s children" % name, [k[0] for k in kids], [k[0] for k in g[2]])
        rd, gd = dict(props), dict(g[1])
        t.eq("FDT %s blob-size" % name, rd.get("blob-size"), gd.get("blob-size"))
        if len(gd.get("preserved-data", b"")) == 8:
            at = struct.unpack("<Q", gd["preserved-data"])[0]
            t.ok("FDT %s preserved-data names a key" % name, at in gen["keys"],
                 "0x%x is no key" % at)
        t.note("FDT %s preserved-data: placed by the generator's allocator (kernel 0x%x)"
               % (name, struct.unpack("<Q", rd["preserved-data"])[0]))


def _cmp_keys(t, real, gen, replayed):
    rk = set(real["keys"].items())
    gk = set(gen["keys"].items())
    want = {(p, o) for p, o in rk if p in replayed}
    missing = sorted(want - gk)
    t.ok("replayed keys in the generated tree (%d)" % len(want), not missing,
         "missing " + ", ".join("0x%x/%d" % k for k in missing[:8]))
    clash = sorted(k for k in gk - want if k[0] in replayed)
    t.ok("replayed addresses keep their order", not clash,
         ", ".join("0x%x/%d" % k for k in clash[:8]))
    rown = rk - want
    gown = gk - want
    t.eq("keys the generator allocates itself, by order", _by_order(rown), _by_order(gown))
    t.eq("number of keys", len(rk), len(gk))
    t.note("%d keys the generator allocates (FDT page, kexec-metadata, LUO root, blocks, "
           "records, chunks, memfd folios, FLB page) are compared by order only: the spec "
           "language cannot place an allocation" % len(gown))
    # every kernel-owned key is one the spec makes the generator allocate
    stray = real["owned"] - rk
    t.ok("every LUO/metadata page the kernel names is a key", not stray,
         ", ".join("0x%x/%d" % k for k in sorted(stray)[:8]))
    if real["levels"] != gen["levels"]:
        t.note("tree pages per level differ: kernel %s, generator %s (the generator's "
               "allocations sit elsewhere, so other leaves are used)"
               % (real["levels"], gen["levels"]))
    t.eq("tree depth", len(real["levels"] or []), len(gen["levels"] or []))
    t.eq("kexec-metadata bytes", real["bins"].get("kexec-metadata"),
         gen["bins"].get("kexec-metadata"))


def _cmp_chain(t, what, rb, gb):
    t.eq("%s: blocks" % what, len(rb), len(gb))
    t.eq("%s: counts" % what, [b[2] for b in rb], [b[2] for b in gb])
    t.ok("%s: next chain ends with 0 (generator)" % what,
         all(b[1] for b in gb[:-1]) and (not gb or gb[-1][1] == 0))
    t.ok("%s: next chain ends with 0 (kernel)" % what,
         all(b[1] for b in rb[:-1]) and (not rb or rb[-1][1] == 0))


def _cmp_luo(t, real, gen):
    r, g = real["luo"], gen["luo"]
    if not r:
        t.note("no LUO sub-node in the dump: nothing to compare")
        return
    if not g:
        t.ok("LUO in the generated image", False)
        return
    t.eq("LUO root compatible", r["compatible"], g["compatible"])
    t.eq("LUO liveupdate number", r["num"], g["num"])
    if r["sessions_pa"] == 0:
        # before liveupdate_reboot(): no spec directive makes a pending LUO,
        # and the sessions' pages (reachable from nothing) are replayed as folios
        t.note("LUO pending in the dump (sessions_pa 0: taken before liveupdate_reboot): "
               "sessions not compared; take the dump at machine_kexec")
    else:
        t.ok("LUO sessions_pa non-zero", g["sessions_pa"] != 0,
             "kernel 0x%x, generator 0x%x" % (r["sessions_pa"], g["sessions_pa"]))
    t.ok("LUO flbs_pa non-zero", r["flbs_pa"] != 0 and g["flbs_pa"] != 0,
         "kernel 0x%x, generator 0x%x" % (r["flbs_pa"], g["flbs_pa"]))
    t.eq("LUO root blob-size", len(real["bins"].get("LUO", b"")), len(gen["bins"].get("LUO", b"")))
    _cmp_chain(t, "session chain", r["session_blocks"], g["session_blocks"])
    t.eq("sessions", [s["name"] for s in r["sessions"]], [s["name"] for s in g["sessions"]])
    for rs, gs in zip(r["sessions"], g["sessions"]):
        sn = _cstr(rs["name"])
        t.eq("session %s count" % sn, rs["count"], gs["count"])
        t.eq("session %s files non-zero" % sn, rs["files_pa"] != 0, gs["files_pa"] != 0)
        _cmp_chain(t, "session %s file chain" % sn, rs["file_blocks"], gs["file_blocks"])
        t.eq("session %s files (handler, token)" % sn,
             [(f["compatible"], f["token"]) for f in rs["files"]],
             [(f["compatible"], f["token"]) for f in gs["files"]])
        for rf, gf in zip(rs["files"], gs["files"]):
            fn = "%s/0x%x" % (sn, rf["token"])
            t.ok("file %s data non-zero" % fn, bool(rf["data"]) == bool(gf["data"]))
            rm, gm = rf["memfd"], gf["memfd"]
            if rm is None or gm is None:
                t.eq("file %s memfd record" % fn, rm is None, gm is None)
                continue
            for k in ("pos", "size", "seals", "flags", "nr_folios", "total_pages",
                      "vflags", "vorder", "chunks", "runs"):
                t.eq("memfd %s %s" % (fn, k), rm[k], gm[k])
            t.eq("memfd %s folio records (index, flags)" % fn,
                 [(i, fl) for _, i, fl in rm["folios"]], [(i, fl) for _, i, fl in gm["folios"]])
            t.eq("memfd %s folio orders" % fn,
                 [real["keys"].get(p) for p, _, _ in rm["folios"]],
                 [gen["keys"].get(p) for p, _, _ in gm["folios"]])
            same = [p for (p, _, _), (q, _, _) in zip(rm["folios"], gm["folios"]) if p == q]
            if len(same) != len(rm["folios"]):
                t.note("memfd %s: folio pfns not replayed (luo-folio takes no address: the "
                       "generator allocates its folios)" % fn)
    rf, gf = r["flb"], g["flb"]
    if rf and gf:
        t.eq("FLB pgcnt", rf[0], gf[0])
        t.eq("FLB count", rf[1], gf[1])
        t.eq("FLB entries (name, count)", [(n, c) for n, _, c in rf[2]],
             [(n, c) for n, _, c in gf[2]])
        t.eq("FLB entries' data (no key: as given)",
             [d for _, d, _ in rf[2] if d not in real["keys"]],
             [d for _, d, _ in gf[2] if d not in gen["keys"]])
        t.eq("FLB entries' data that are records (keys)",
             sum(1 for _, d, _ in rf[2] if d in real["keys"]),
             sum(1 for _, d, _ in gf[2] if d in gen["keys"]))
    else:
        t.eq("FLB page present", bool(rf), bool(gf))
    # kho-inspect's own view of both must agree too (names, handlers, tokens, counts)
    def shape(j):
        if not j:
            return None
        return ([(s["name"], [(f["compatible"], f["token"],
                               {k: v for k, v in (f.get("memfd") or {}).items()
                                if k != "folio_records"},
                               [(x["index"], x["flags"], x.get("order"))
                                for x in (f.get("memfd") or {}).get("folio_records", [])])
                              for f in s["files"]]) for s in j.get("sessions", [])],
                [(b["name"], b["count"]) for b in j.get("flbs", [])], j.get("liveupdate_num"))
    t.eq("kho-inspect --json luo (sessions, files, records, FLBs)", shape(real["luoj"]),
         shape(gen["luoj"]))


def _replay(dump, inspect, mkimage, workdir):
    os.makedirs(workdir, exist_ok=True)
    t = _Tally()
    real = _decode(inspect, dump, workdir, "kernel")
    spec, replayed = _spec(real)
    path = os.path.join(workdir, "replay.spec")
    with open(path, "w") as f:
        f.write(spec)
    out = os.path.join(workdir, "out")
    x = subprocess.run([mkimage, "-q", path, "-o", out], capture_output=True, text=True)
    if x.returncode:
        t.ok("kho-mkimage %s" % path, False, x.stderr.strip() or "exit %d" % x.returncode)
        return t
    image = os.path.join(out, "replay.elf")
    gen = _decode(inspect, image, workdir, "generator")
    t.eq("page size", real["page"], gen["page"])
    t.eq("generated image verdict (errors, warnings)",
         (0, 0), (gen["verify"]["summary"]["error"], gen["verify"]["summary"]["warning"]))
    _cmp_fdt(t, real, gen)
    _cmp_keys(t, real, gen, replayed)
    _cmp_luo(t, real, gen)
    return t


def replay(dump, inspect, mkimage, workdir):
    """Replay DUMP's handover through kho-mkimage; the list of mismatches."""
    return _replay(dump, inspect, mkimage, workdir).bad


def main(argv):
    if len(argv) != 5:
        print("usage: replay_real.py INSPECT MKIMAGE DUMP WORKDIR", file=sys.stderr)
        return 2
    inspect, mkimage, dump, workdir = argv[1:5]
    try:
        t = _replay(dump, inspect, mkimage, workdir)
    except (OSError, ValueError, RuntimeError) as e:
        print("replay: %s" % e, file=sys.stderr)
        return 2
    for n in t.notes:
        print("note: %s" % n)
    for b in t.bad:
        print("MISMATCH: %s" % b)
    print("replay: %d passed, %d failed" % (t.passed, len(t.bad)))
    return 1 if t.bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
