#!/usr/bin/python3
"""qemu_dump.py MKIMAGE INSPECT SPECDIR DATADIR WORKDIR

Dumps that real producers wrote, against the generator's expect.json.

1. QEMU (qemu-system-x86_64, TCG, stopped with -S: no guest CPU ever runs)
   is given a generated raw image, one `-device loader,force-raw=on` per
   data extent, and writes `dump-guest-memory` as ELF and as every kdump
   format that query-dump-guest-memory-capability lists. kho-inspect --json
   verify --ranges on each must give the expect.json's handover (FDT
   address, compatible), ranges and findings, and the exit status that
   follows; a key in the PCI hole must be range-not-ram. Each guest's RAM
   is checked against the spec's `ram` lines first (QEMU's own memory map is
   what its dump describes).
2. makedumpfile over our ELF images: -E -d 0, -E -d 1, -c -d 1, -c -d 0 of
   the filtered ELF, -F; range-not-dumped expected from each file's own
   page state (PT_LOAD sizes, kdump bitmaps).
3. Truncations of an ELF, a kdump and a flattened kdump (ours and QEMU's)
   at every structural offset.

QEMU 7.2 writes its kdump formats in makedumpfile's flattened form. Those
cells are real requirements; until kho-inspect reads flattened files
(branch h-flat) they are listed in FLAT_PENDING and reported as SKIP while
the tool refuses them. The same files reassembled with `makedumpfile -R`
are checked today. Where QEMU is not installed or cannot run, its cells are
skipped with the reason; everything else still runs.
"""
import collections
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from elfcore import elf_layout
from sparse import extents
from tally import Tally
from verdict import exit_of

# Flattened-input cells that wait for h-flat. The integrator empties this
# list after merging it; then each is an ordinary requirement.
FLAT_PENDING = []   # h-flat merged: flattened kdumps are read directly

# KHO_QEMU names another QEMU binary (or a missing one, to see the skip).
QEMU = shutil.which(os.environ.get("KHO_QEMU", "qemu-system-x86_64"))
MAKEDUMPFILE = shutil.which("makedumpfile") or next(
    (p for p in ("/usr/sbin/makedumpfile", "/sbin/makedumpfile") if os.access(p, os.X_OK)), None)
PAGE = 4096
GiB = 1 << 30
# What QEMU's x86 dump holds besides the RAM the machine was given: the
# BIOS ROM just below 4 GiB. (The legacy windows 0xc0000-0x100000 lie in
# low RAM anyway.) No spec places a key there.
QEMU_BIOS = (0xfffc0000, 4 * GiB)

# (spec, machine, -m, max-ram-below-4g, why findings differ on QEMU's dumps)
# max-ram-below-4g keeps the guests small yet with RAM above 4 GiB, laid
# out as the spec's `ram` lines say.
GUESTS = [
    ("specs/clean-v3-4k", "pc", "80M", "64M", None),
    ("specs/clean-v1-page-4k", "pc", "80M", "64M", None),
    # Its key just past the top of RAM (4 GiB + 16 MiB) is outside the
    # guest too: range-not-ram on QEMU's dumps as on ours.
    ("specs/defect-range-not-ram", "pc", "80M", "64M", None),
    # Exception: our ELF leaves one RAM page out (p_filesz < p_memsz);
    # QEMU dumps all guest RAM, so nothing is "not dumped" there.
    ("specs/defect-range-not-dumped", "pc", "80M", "64M", "range-not-dumped"),
    # The handover, tree and blobs above 4 GiB on q35; a key in the PCI hole.
    ("data/qemu-high", "q35", "96M", "32M", None),
]
PCI_HOLE_KEY = {"qemu-high": "0xd0000000"}
# Besides these, every spec in SPECDIR with the pc guest's machine (4 KiB
# pages, RAM 0-64M and 4G-4G+16M) runs on it, except those whose defect is
# a page our ELF leaves out: QEMU dumps all guest RAM, so the page is there
# and the expect.json (written for the filtered ELF) does not apply.
PC_RAM = [("page-size", "4K"), ("ram", "0", "64M"), ("ram", "0x100000000", "16M")]
NOT_ON_QEMU = ("defect-blob-unreadable", "defect-dump-truncated", "defect-radix-unreadable")

T = Tally("qemu-dump")
check = T.check


# ---------------------------------------------------------------- helpers

def inspect(tool, args, path, command=("verify", "--ranges")):
    """(exit status, JSON document or None, stderr) of kho-inspect --json."""
    try:
        r = subprocess.run([tool, "--json"] + list(command) + args + [path],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, None, "no answer within 60 s"
    err = r.stderr
    if r.returncode < 0:
        err = f"killed by signal {-r.returncode}; " + err
    if "Sanitizer" in err or "runtime error" in err:
        return r.returncode, None, err
    try:
        return r.returncode, json.loads(r.stdout), err
    except json.JSONDecodeError:
        return r.returncode, None, err + r.stdout[:200]


def findings(doc):
    """Every finding, per handover (by FDT address) and top-level."""
    out = collections.Counter()
    for h in doc["handovers"]:
        for f in h["findings"]:
            out[(h["fdt"]["phys"], f["check"], f["severity"], f["phys"])] += 1
    for f in doc.get("findings", []):
        out[("top", f["check"], f["severity"], f["phys"])] += 1
    return out


def ranges(h):
    return [(r["phys"], r["order"], r["size"]) for r in h["ranges"]]


def same_verdict(cell, rc, got, err, want, want_findings=None):
    """One check: @got says what @want (an expect.json) says."""
    want_findings = findings(want) if want_findings is None else want_findings
    if got is None or "handovers" not in got or not got["handovers"]:
        check(False, f"{cell}: exit {rc}: {(got or {}).get('error', err.strip())}")
        return
    wh, gh, bad = want["handovers"][0], got["handovers"][0], []
    if (gh["fdt"]["phys"], gh["fdt"]["compatible"]) != (wh["fdt"]["phys"], wh["fdt"]["compatible"]):
        bad.append(f"FDT {gh['fdt']['phys']} {gh['fdt']['compatible']}, "
                   f"want {wh['fdt']['phys']} {wh['fdt']['compatible']}")
    if ranges(gh) != ranges(wh):
        first = next((a, b) for a, b in zip(ranges(gh) + [None], ranges(wh) + [None]) if a != b)
        bad.append(f"{len(gh['ranges'])} ranges, want {len(wh['ranges'])} (first: got, want {first})")
    gf = findings(got)
    if gf != want_findings:
        bad.append(f"findings: extra {dict(gf - want_findings)}, missing {dict(want_findings - gf)}")
    wx = exit_of((c, s) for (_, c, s, _) in want_findings)
    if rc != wx:
        bad.append(f"exit {rc}, want {wx}")
    check(not bad, f"{cell}: " + "; ".join(bad))


def pending_flat(cell, kind, rc, got, err):
    """True (after a SKIP) when @kind waits for h-flat and the tool refuses it."""
    msg = (got or {}).get("error", err)
    if kind in FLAT_PENDING and rc == 2 and "flattened" in msg:
        T.skip(f"{cell}: in FLAT_PENDING until h-flat is merged (kho-inspect: {msg.strip()})")
        return True
    return False


def spec_ram(spec):
    out = []
    for line in open(spec):
        w = line.split("#")[0].split()
        if w[:1] == ["ram"]:
            out.append((int(w[1], 0), int(w[1], 0) + size(w[2])))
    return sorted(out)


def size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(s[:-1], 0) * mult[s[-1]] if s[-1] in mult else int(s, 0)


def merged(spans):
    out = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def elf_offset(loads, phys):
    """File offset of physical @phys in an ELF, or None."""
    for paddr, off, filesz, _ in loads:
        if paddr <= phys < paddr + filesz:
            return off + phys - paddr
    return None


def data_pages(raw):
    """Physical addresses of the non-zero pages of a raw image (from 0)."""
    out = []
    with open(raw, "rb") as f:
        for off, n in extents(raw):
            data = os.pread(f.fileno(), n, off)
            out += [off + o for o in range(0, n, PAGE) if any(data[o:o + PAGE])]
    return out


def bits(bitmap):
    """Numbers of the set bits of a little-endian bitmap, ascending."""
    return [8 * i + b for i, byte in enumerate(bitmap) if byte for b in range(8) if byte >> b & 1]


class Kdump:
    """The layout of a (reassembled) compressed kdump: where the header,
    sub-header, bitmaps, page descriptors and each page's data are."""

    def __init__(self, path):
        with open(path, "rb") as f:
            d = f.read(PAGE)
            assert d[:8] == b"KDUMP   ", f"{path}: not a kdump"
            self.bs, self.sub_blocks, self.bitmap_blocks = struct.unpack_from("<iiI", d, 428)
            self.bitmaps = self.bs * (1 + self.sub_blocks)
            half = self.bitmap_blocks * self.bs // 2
            f.seek(self.bitmaps + half)
            bitmap2 = f.read(half)
            self.pfns = bits(bitmap2)
            f.seek(self.bitmaps)
            self.ram = set(bits(f.read(half)))
            self.descs = self.bitmaps + self.bitmap_blocks * self.bs
            f.seek(self.descs)
            pd = f.read(24 * len(self.pfns))
        self.data = {pfn: struct.unpack_from("<QI", pd, 24 * i)
                     for i, pfn in enumerate(self.pfns)}
        self.size = os.path.getsize(path)

    def page_end(self, phys):
        off, n = self.data[phys // self.bs]
        return off + n


# ---------------------------------------------------------------- QEMU

class QMP:
    """Just enough of QMP over a unix socket: greeting, capabilities, commands."""

    def __init__(self, path, proc, timeout=15):
        deadline = time.monotonic() + timeout
        self.sock = socket.socket(socket.AF_UNIX)
        while True:
            try:
                self.sock.connect(path)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("QEMU did not open its QMP socket")
                time.sleep(0.05)
        self.sock.settimeout(60)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())           # the greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError(f"QMP closed during {name}")
            r = json.loads(line)
            if "error" in r:
                raise RuntimeError(f"{name}: {r['error'].get('desc')}")
            if "return" in r:
                return r["return"]

    def dump(self, path, fmt, timeout=60, tries=3):
        """QEMU writes @path in @fmt. A dump QEMU itself reports failed
        (seen once on a loaded machine, kdump-zlib, nothing written) is
        asked for again, up to @tries times: the producer's hiccup is not
        the verdict under test."""
        for attempt in range(tries):
            self.cmd("dump-guest-memory", paging=False, protocol="file:" + path,
                     detach=True, format=fmt)
            deadline = time.monotonic() + timeout
            while True:
                st = self.cmd("query-dump")
                if st["status"] == "completed":
                    return
                if st["status"] == "failed" and attempt + 1 < tries:
                    time.sleep(0.5)
                    break
                if st["status"] == "failed" or time.monotonic() > deadline:
                    raise RuntimeError(f"dump-guest-memory {fmt}: {st}")
                time.sleep(0.02)

    def close(self):
        self.sock.close()


class Guest:
    """A stopped QEMU guest whose RAM holds a raw image's data extents.
    QEMU is stopped by its own PID whatever happens."""

    def __init__(self, raw, machine, mem, below4g, work):
        self.work, self.proc, self.qmp, self.sockdir = work, None, None, None
        loaders = []
        with open(raw or os.devnull, "rb") as f:
            for i, (off, n) in enumerate(extents(raw) if raw else []):
                part = os.path.join(work, f"extent{i}.bin")
                with open(part, "wb") as out:
                    out.write(os.pread(f.fileno(), n, off))
                loaders += ["-device", f"loader,file={part},addr={off:#x},force-raw=on"]
        sock = os.path.join(work, "qmp.sock")
        if len(sock) > 100:                     # sun_path is 108 bytes
            self.sockdir = tempfile.mkdtemp(prefix="kho-qmp-")
            sock = os.path.join(self.sockdir, "qmp.sock")
        self.log = os.path.join(work, "qemu.log")
        self.argv = [QEMU, "-S", "-machine", f"{machine},accel=tcg,max-ram-below-4g={below4g}",
                     "-m", mem, "-nographic", "-nodefaults", "-display", "none",
                     "-qmp", f"unix:{sock},server,nowait"] + loaders
        self.sock = sock

    def __enter__(self):
        try:
            with open(self.log, "w") as log:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log)
            self.qmp = QMP(self.sock, self.proc)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.qmp:
            self.qmp.close()
        if self.proc:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.kill(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
        if self.sockdir:
            shutil.rmtree(self.sockdir, ignore_errors=True)
        for name in os.listdir(self.work):
            if name.startswith("extent") or name == "qmp.sock":
                os.unlink(os.path.join(self.work, name))


def qemu_guest(tool, base, machine, mem, below4g, exception, work, keep):
    """QEMU's dumps of the guest holding @base's raw image against its
    expect.json; returns {format: path} of the dumps when @keep."""
    name = os.path.basename(base)
    want = json.load(open(base + ".expect.json"))
    args = want["generator"]["args"] + ["--page-size", str(PAGE)]
    want_f = findings(want)
    if exception:
        want_f = collections.Counter({k: v for k, v in want_f.items() if k[1] != exception})
    dumps = []
    with Guest(base + ".raw", machine, mem, below4g, work) as g:
        formats = [f for f in g.qmp.cmd("query-dump-guest-memory-capability")["formats"]
                   if f == "elf" or f.startswith("kdump")]
        for fmt in formats:
            path = os.path.join(work, f"{name}.qemu-{fmt}")
            g.qmp.dump(path, fmt)
            dumps.append((fmt, path))
    # The guest's memory map is the spec's RAM (plus the BIOS ROM), else
    # every verdict below would compare different machines.
    _, _, _, loads = elf_layout(dict(dumps)["elf"])
    qemu_ram = merged((p, p + m) for p, _, _, m in loads)
    spec_and_bios = merged(spec_ram(base + ".spec") + [QEMU_BIOS])
    check(qemu_ram == spec_and_bios,
          f"{name}: QEMU {machine} -m {mem} has RAM {[(hex(a), hex(b)) for a, b in qemu_ram]}, "
          f"the spec (with the BIOS ROM) {[(hex(a), hex(b)) for a, b in spec_and_bios]}")
    for fmt, path in dumps:
        cell = f"{name} on QEMU {machine} {fmt}"
        if fmt == "elf":
            verdicts = [(cell, path)]
        else:
            with open(path, "rb") as f:
                flat = f.read(12) == b"makedumpfile"
            verdicts = []
            if flat:
                rc, got, err = inspect(tool, args, path)
                if not pending_flat(cell + " (flattened)", "qemu kdump (flattened)", rc, got, err):
                    same_verdict(cell + " (flattened)", rc, got, err, want, want_f)
                if not MAKEDUMPFILE:
                    T.skip(f"{cell} (makedumpfile -R): makedumpfile is not installed")
                    continue
                re = path + ".kdump"
                with open(path, "rb") as f:
                    subprocess.run([MAKEDUMPFILE, "-R", re], stdin=f, check=True,
                                   capture_output=True, timeout=120)
                verdicts.append((cell + " (makedumpfile -R)", re))
            else:
                verdicts.append((cell, path))
        for c, p in verdicts:
            rc, got, err = inspect(tool, args, p)
            same_verdict(c, rc, got, err, want, want_f)
            key = PCI_HOLE_KEY.get(name)
            if key and got and got.get("handovers"):
                check(any(f["check"] == "range-not-ram" and f["phys"] == key
                          for f in got["handovers"][0]["findings"]),
                      f"{c}: the key at {key} in the PCI hole is not range-not-ram")
    if keep:
        return dict(dumps)
    for _, path in dumps:
        for p in (path, path + ".kdump"):
            if os.path.exists(p):
                os.unlink(p)
    return None


# ---------------------------------------------------------------- makedumpfile

def without_vmcoreinfo(src, dst):
    """Copy of ELF @src whose VMCOREINFO note is renamed: every byte where it
    was, but makedumpfile no longer walks kernel page tables for utsname."""
    subprocess.run(["cp", "--sparse=always", src, dst], check=True)
    _, _, notes, _ = elf_layout(dst)
    fd = os.open(dst, os.O_RDWR)
    try:
        off, n, _ = notes[0]
        data = os.pread(fd, n, off)
        at = data.find(b"VMCOREINFO\0")
        assert at > 0, f"{src}: no VMCOREINFO note"
        os.pwrite(fd, b"XMCOREINFO", off + at)
    finally:
        os.close(fd)


def page_state(path):
    """(dumped, ram) predicates on a page of an ELF or a (reassembled) kdump,
    read from the file's own headers: PT_LOAD p_filesz / p_memsz, or the
    kdump's second (dumped) and first (memory) bitmaps."""
    with open(path, "rb") as f:
        magic = f.read(8)
    if magic == b"KDUMP   ":
        k = Kdump(path)
        return (lambda p: p // k.bs in k.data), (lambda p: p // k.bs in k.ram)
    _, _, _, loads = elf_layout(path)
    return (lambda p: elf_offset(loads, p) is not None), \
        (lambda p: any(q <= p < q + m for q, _, _, m in loads))


def derived_findings(want, path, raw):
    """The expect.json's findings plus what the file's filtering implies:
    every key with a RAM page left out is range-not-dumped at its first such
    page. (None of these fixtures has a tree page, FDT or blob on a page a
    filter drops: those all hold data.) Also returns the pages holding data
    in the raw image that the file left out: a filter may drop zero pages
    only."""
    dumped, ram = page_state(path)
    out = findings(want)
    wh = want["handovers"][0]
    for phys, _, sz in ranges(wh):
        a, n = int(phys, 16), int(sz, 16)
        hole = next((p for p in range(a, a + n, PAGE) if ram(p) and not dumped(p)), None)
        if hole is not None:
            out[(wh["fdt"]["phys"], "range-not-dumped", "incomplete", hex(hole))] += 1
    lost = [p for p in data_pages(raw) if not dumped(p)]
    return out, lost


def makedumpfile_cells(tool, base, work):
    """makedumpfile over our ELF: -E -d 0, -E -d 1 (zero pages left out of
    the ELF), -c -d 1 (makedumpfile 1.7.2 keeps zero pages in a compressed
    kdump, all pointing at one shared zero page: they are dumped, as zeros),
    -c -d 0 over the -E -d 1 ELF (a kdump whose bitmaps leave pages out),
    and -F (flattened; reassembled with -R too). Each verdict must be the
    ELF's, plus range-not-dumped where the file's own page state says a
    key's page is RAM but not dumped."""
    name = os.path.basename(base)
    want = json.load(open(base + ".expect.json"))
    args = want["generator"]["args"] + ["--page-size", str(PAGE)]

    def mdf(*a, stdout=subprocess.PIPE, stdin=None):
        return subprocess.run([MAKEDUMPFILE] + list(a), stdin=stdin, stdout=stdout,
                              stderr=subprocess.PIPE, timeout=120)

    # Why the VMCOREINFO goes: with it makedumpfile reads init_uts_ns
    # through the kernel's page tables, which generated memory does not
    # have ("check_release: Can't get the symbol of system_utsname"). A
    # VMCOREINFO file (-i) would lead to the same walk; -x needs a vmlinux.
    out = os.path.join(work, name + ".mdf")
    r = mdf("-E", "-d", "0", base + ".elf", out)
    if r.returncode:
        why = [l for l in (r.stderr + r.stdout).decode().splitlines() if l.strip()]
        print(f"NOTE: {name}: makedumpfile -E on the ELF with VMCOREINFO: "
              f"{why[:1]}; using it without VMCOREINFO")
    if os.path.exists(out):
        os.unlink(out)
    nv = os.path.join(work, name + ".novmci.elf")
    without_vmcoreinfo(base + ".elf", nv)
    rc, got, err = inspect(tool, args, nv)
    same_verdict(f"{name}.elf without VMCOREINFO", rc, got, err, want)

    e1 = os.path.join(work, f"{name}-E-d1.elf")
    steps = [(["-E", "-d", "0"], nv, "elf"), (["-E", "-d", "1"], nv, "keep"),
             (["-c", "-d", "1"], nv, "kdump"), (["-c", "-d", "0"], e1, "kdump"),
             (["-F", "-c", "-d", "1"], nv, "flat")]
    for opts, src, kind in steps:
        cell = f"{name}: makedumpfile {' '.join(opts)}" + \
            (" (of the -E -d 1 ELF)" if src == e1 else "")
        out = e1 if kind == "keep" else os.path.join(work, f"{name}{''.join(opts)}.out")
        if kind == "flat":
            with open(out, "wb") as f:
                r = mdf(*opts, src, stdout=f)
        else:
            r = mdf(*opts, src, out)
        if r.returncode:
            check(False, f"{cell}: {r.stdout.decode().strip()[-300:]} {r.stderr.decode()[-300:]}")
            continue
        if kind == "flat":
            re = out + ".R"
            with open(out, "rb") as f:
                r = mdf("-R", re, stdin=f)
            check(r.returncode == 0, f"{cell} | makedumpfile -R: {r.stdout.decode()[-200:]}")
            want_f, lost = derived_findings(want, re, base + ".raw")
            rc, got, err = inspect(tool, args, out)
            if not pending_flat(cell, "makedumpfile -F (flattened)", rc, got, err):
                same_verdict(cell, rc, got, err, want, want_f)
            rc, got, err = inspect(tool, args, re)
            same_verdict(cell + " | makedumpfile -R", rc, got, err, want, want_f)
            os.unlink(re)
        else:
            want_f, lost = derived_findings(want, out, base + ".raw")
            rc, got, err = inspect(tool, args, out)
            same_verdict(cell, rc, got, err, want, want_f)
        check(not lost, f"{cell}: pages with data left out: {[hex(p) for p in lost[:4]]}")
        if kind != "keep":
            os.unlink(out)
    os.unlink(e1)
    os.unlink(nv)


# ---------------------------------------------------------------- truncations

def cut_cells(tool, label, path, args, cuts, headers_end, fdt, fdt_end, data_end,
              described_end, want, work):
    """kho-inspect on @path cut at each offset. Before @headers_end: exit 2
    and one line naming the file. From @fdt_end (the FDT's page is in): the
    same handover and a top-level dump-truncated; from @data_end (every page
    of the handover is in) also the same ranges. From @described_end (all
    the memory the headers describe is in): the whole verdict, no
    dump-truncated. Always: no signal, exit 0/1/2/3, one JSON document."""
    size = os.path.getsize(path)
    cut = os.path.join(work, "cut" + os.path.splitext(path)[1])
    wh = want["handovers"][0]
    kinds = collections.Counter()
    with open(path, "rb") as src:
        for c in sorted(set(x for x in cuts if 0 <= x < size)):
            with open(cut, "wb") as dst:
                pos = 0
                while pos < c:
                    n = min(1 << 22, c - pos)
                    dst.write(os.pread(src.fileno(), n, pos))
                    pos += n
            rc, got, err = inspect(tool, args, cut)
            what = f"{label} cut at {c:#x}"
            if got is None or rc not in (0, 1, 2, 3):
                check(False, f"{what}: exit {rc}, no JSON: {err.strip()[-300:]}")
                continue
            top = [f["check"] for f in got.get("findings", [])]
            hs = got.get("handovers", [])
            if c < headers_end:
                kinds['headers'] += 1
                # The JSON error, and in text mode the one line on stderr.
                try:
                    text = subprocess.run([tool, "verify"] + args + [cut], capture_output=True,
                                          text=True, timeout=60)
                except subprocess.TimeoutExpired:
                    text = subprocess.CompletedProcess([], None, "", "no answer within 60 s")
                lines = text.stderr.strip().splitlines()
                check(rc == 2 and cut in got.get("error", "") and text.returncode == 2 and
                      len(lines) == 1 and cut in lines[0],
                      f"{what} (headers): exit {rc}/{text.returncode}, want 2 with one line "
                      f"naming the file: {got.get('error')!r} {text.stderr.strip()!r}")
            elif c >= described_end:
                kinds['after memory'] += 1
                # Only what follows the memory (QEMU 7.2's section string
                # table) is gone: nothing is missing, nothing is truncated.
                check(rc != 2 and hs and hs[0]["fdt"]["phys"] == fdt and
                      ranges(hs[0]) == ranges(wh) and "dump-truncated" not in top,
                      f"{what} (after all memory): exit {rc}, top {top}")
            elif c >= fdt_end:
                kinds['handover kept'] += 1
                ok = rc != 2 and hs and hs[0]["fdt"]["phys"] == fdt and \
                    hs[0]["fdt"]["compatible"] == wh["fdt"]["compatible"] and "dump-truncated" in top
                if ok and c >= data_end:
                    ok = ranges(hs[0]) == ranges(wh)
                check(ok, f"{what}: exit {rc}, top {top}, FDT "
                          f"{hs[0]['fdt']['phys'] if hs else got.get('error')}"
                          f"{' (want the same ranges)' if c >= data_end else ''}")
            else:
                kinds['before the handover'] += 1
                check(rc == 2 or "dump-truncated" in top,
                      f"{what}: exit {rc} without dump-truncated")
    os.unlink(cut)
    print(f"{label}: cuts {dict(kinds)}")


def elf_truncations(tool, label, path, want, raw, work):
    phoff, phnum, notes, loads = elf_layout(path)
    fdt = int(want["handovers"][0]["fdt"]["phys"], 16)
    end_ph = phoff + 56 * phnum
    cuts = {0, 1, 16, 32, 63, 64, end_ph - 1, end_ph, os.path.getsize(path) - 1}
    cuts |= {phoff + 56 * i + 28 for i in range(phnum)}
    for off, n, _ in notes:
        cuts |= {off + n // 2, off + n}
    for _, off, n, _ in loads:
        if n:
            cuts |= {off, off + 1, off + n // 2, off + n - 1, off + n}
    fdt_off = elf_offset(loads, fdt)
    data_end = max(elf_offset(loads, p) + PAGE for p in data_pages(raw))
    cuts |= {fdt_off, fdt_off + 64, fdt_off + PAGE, data_end - PAGE // 2, data_end}
    cut_cells(tool, label, path, want["generator"]["args"], cuts,
              min(off for _, off, n, _ in loads if n), hex(fdt), fdt_off + PAGE, data_end,
              max(off + n for _, off, n, _ in loads), want, work)


def kdump_truncations(tool, label, path, want, raw, work):
    k = Kdump(path)
    fdt = int(want["handovers"][0]["fdt"]["phys"], 16)
    half = k.bitmap_blocks * k.bs // 2
    pd_end = k.descs + 24 * len(k.pfns)
    first = min(off for off, _ in k.data.values())
    cuts = {0, 8, 100, 430, 440, k.bs - 1, k.bs, k.bs + k.sub_blocks * k.bs // 2, k.bitmaps,
            k.bitmaps + half // 2, k.bitmaps + half, k.bitmaps + 3 * half // 2, k.descs,
            k.descs + 12, k.descs + 24 * (len(k.pfns) // 2), pd_end - 1, pd_end, first + 10,
            (first + k.size) // 2, k.size - 1}
    fdt_off, fdt_n = k.data[fdt // k.bs]
    data_end = max(k.page_end(p) for p in data_pages(raw))
    cuts |= {fdt_off, fdt_off + fdt_n // 2, fdt_off + fdt_n, data_end - 1, data_end}
    args = want["generator"]["args"] + ["--page-size", str(PAGE)]
    # Headers: the header, the sub-header (with its notes) and both
    # bitmaps; a cut among the page descriptors loses the pages after it.
    cut_cells(tool, label, path, args, cuts, k.descs, hex(fdt), fdt_off + fdt_n, data_end,
              max(off + n for off, n in k.data.values()), want, work)


class Flat:
    """The records of a makedumpfile flattened file: a 4 KiB header, then
    (big-endian offset, size, data) records of the kdump they rebuild, in
    any order (QEMU interleaves descriptors and page data), then an end
    marker (-1, -1)."""

    def __init__(self, path):
        self.recs, self.size = [], os.path.getsize(path)
        with open(path, "rb") as f:
            assert f.read(12) == b"makedumpfile", f"{path}: not flattened"
            pos = PAGE
            while pos + 16 <= self.size:
                f.seek(pos)
                off, n = struct.unpack(">qq", f.read(16))
                if off < 0:
                    break
                self.recs.append((pos, off, n))
                pos += 16 + n

    def keeps(self, a, b):
        """The shortest cut that keeps every byte of kdump offsets [a, b)."""
        return max([pos + 16 + min(b, off + n) - off
                    for pos, off, n in self.recs if off < b and off + n > a] + [0])


def flat_truncations(tool, label, path, reassembled, want, raw, work):
    """A flattened kdump cut short: the same requirements as a kdump, where
    a part counts as present once every record holding its bytes is."""
    args = want["generator"]["args"] + ["--page-size", str(PAGE)]
    rc, got, err = inspect(tool, args, path)
    if pending_flat(f"{label} cuts", "flattened cuts", rc, got, err):
        return
    k, fl = Kdump(reassembled), Flat(path)
    fdt = int(want["handovers"][0]["fdt"]["phys"], 16)

    def page(p):    # the page's descriptor and its data
        i = k.pfns.index(p // k.bs)
        off, n = k.data[p // k.bs]
        return max(fl.keeps(k.descs + 24 * i, k.descs + 24 * i + 24), fl.keeps(off, off + n))

    headers = fl.keeps(0, k.descs)
    fdt_end = max(headers, page(fdt))
    data_end = max([fdt_end] + [page(p) for p in data_pages(raw)])
    cuts = {0, 12, 100, PAGE - 1, PAGE, PAGE + 8, headers - 1, headers, fdt_end - 1, fdt_end,
            data_end - 1, data_end, fl.size - 16, fl.size - 1}
    for pos, _, n in fl.recs[::max(1, len(fl.recs) // 16)]:
        cuts |= {pos, pos + 8, pos + 16, pos + 16 + n // 2}
    # Even a file that lost only its end marker was cut: dump-truncated.
    cut_cells(tool, label, path, args, cuts, headers, hex(fdt), fdt_end, data_end, fl.size,
              want, work)


# ---------------------------------------------------------------- main

def main():
    mkimage, tool, specdir, datadir, work = sys.argv[1:6]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    start = time.monotonic()
    roots = {"specs": specdir, "data": datadir}
    guests = list(GUESTS)
    for spec in sorted(os.listdir(specdir)):
        lines = [tuple(line.split("#")[0].split()) for line in open(os.path.join(specdir, spec))]
        name = "specs/" + spec[:-5]
        if spec.endswith(".spec") and [w for w in lines if w[:1] in (("ram",), ("page-size",))] \
                == PC_RAM and not spec.startswith(NOT_ON_QEMU) and \
                name not in (g[0] for g in guests):
            guests.append((name, "pc", "80M", "64M", None))
    bases = []
    for spec, *_ in guests:
        root, name = spec.split("/")
        src = os.path.join(roots[root], name + ".spec")
        shutil.copy(src, work)
        bases.append(os.path.join(work, name))
    subprocess.run([mkimage, "-q", "--only", "raw,elf,kdump,expect", "-o", work] +
                   [b + ".spec" for b in bases], check=True)

    qemu_dumps = {}
    qemu_ok = QEMU is not None
    if not qemu_ok:
        T.skip("QEMU dumps: qemu-system-x86_64 is not installed "
               "(scripts/bootstrap installs qemu-system-x86)")
    if not MAKEDUMPFILE:
        T.skip("makedumpfile is not installed: no makedumpfile cells")
    gw = os.path.join(work, "guest")
    os.makedirs(gw, exist_ok=True)
    if qemu_ok:
        # Can QEMU run here at all? Only then is a failure below a failure.
        try:
            with Guest(None, "pc", "16M", "16M", gw) as g:
                g.qmp.cmd("query-status")
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log = open(os.path.join(gw, "qemu.log")).read().strip()[-400:] \
                if os.path.exists(os.path.join(gw, "qemu.log")) else ""
            T.skip(f"QEMU dumps: {QEMU} cannot run here: {e} {log}")
            qemu_ok = False
    for base, (spec, machine, mem, below4g, exception) in zip(bases, guests):
        if not qemu_ok:
            break
        try:
            qemu_dumps[base] = qemu_guest(tool, base, machine, mem, below4g, exception, gw,
                                          keep=base.endswith("/qemu-high"))
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log = open(os.path.join(gw, "qemu.log")).read().strip()[-400:]
            check(False, f"{os.path.basename(base)}: QEMU: {e} {log}")

    if MAKEDUMPFILE:
        for name in ("clean-v3-4k", "clean-v1-page-4k", "qemu-high"):
            makedumpfile_cells(tool, os.path.join(work, name), work)

    v3 = os.path.join(work, "clean-v3-4k")
    want = json.load(open(v3 + ".expect.json"))
    elf_truncations(tool, "clean-v3-4k.elf", v3 + ".elf", want, v3 + ".raw", work)
    if os.path.exists(v3 + ".kdump"):
        kdump_truncations(tool, "clean-v3-4k.kdump", v3 + ".kdump", want, v3 + ".raw", work)
    if MAKEDUMPFILE:
        nv, flat = v3 + ".novmci.elf", v3 + ".flat"
        without_vmcoreinfo(v3 + ".elf", nv)
        with open(flat, "wb") as f:
            subprocess.run([MAKEDUMPFILE, "-F", "-c", "-d", "0", nv], stdout=f,
                           stderr=subprocess.DEVNULL, check=True, timeout=120)
        with open(flat, "rb") as f:
            subprocess.run([MAKEDUMPFILE, "-R", flat + ".kdump"], stdin=f,
                           capture_output=True, check=True, timeout=120)
        flat_truncations(tool, "clean-v3-4k makedumpfile -F", flat, flat + ".kdump", want,
                         v3 + ".raw", work)
        for p in (nv, flat, flat + ".kdump"):
            os.unlink(p)
    high = os.path.join(work, "qemu-high")
    dumps = qemu_dumps.get(high)
    if dumps:
        want = json.load(open(high + ".expect.json"))
        elf_truncations(tool, "qemu-high on QEMU elf", dumps["elf"], want, high + ".raw", work)
        if "kdump-zlib" in dumps and os.path.exists(dumps["kdump-zlib"] + ".kdump"):
            kdump_truncations(tool, "qemu-high on QEMU kdump-zlib (makedumpfile -R)",
                              dumps["kdump-zlib"] + ".kdump", want, high + ".raw", work)
            flat_truncations(tool, "qemu-high on QEMU kdump-zlib (flattened)",
                             dumps["kdump-zlib"], dumps["kdump-zlib"] + ".kdump", want,
                             high + ".raw", work)

    # QEMU's dumps are the size of the guest: leave none behind.
    shutil.rmtree(gw, ignore_errors=True)
    print(f"qemu-dump: {time.monotonic() - start:.1f} s")
    return T.close()


sys.exit(main())
