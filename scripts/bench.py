#!/usr/bin/python3
"""The body of scripts/bench: generate the benchmark images, then time
kho-inspect beside each goal's reference (cat, the kernel-style walk
kho-bench-walk, reading the tree pages once, the drgn walk script) in one
run, and print every row as: what, median, peak RSS, the reference and its
median, the ratio, the goal, met or NOT MET.

  bench.py BUILD SPECS WORK RUNS [--markdown] [--readme README]

KHO_BENCH_ONLY=GROUP,... runs only some groups: trees, sparse, data,
guest512, guest64. --markdown prints the table as Markdown at the end;
--readme rewrites the table between README's bench markers in place."""
import glob
import hashlib
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import textwrap
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("KHO_KERNEL_CACHE", "/var/cache/kho-tools")
ROWS = []       # every printed row, for --markdown
NOTES = []      # skipped rows and why
LAST_CPU = [0.0]    # the median CPU seconds of the command timed last


def run(cmd, stdout=subprocess.DEVNULL, **kw):
    subprocess.run(cmd, check=True, stdout=stdout, **kw)


def spawn(cmd, env, devnull, ok=(0,)):
    """One run of @cmd: its wall and CPU (user + system) seconds. The child
    is spawned and reaped directly (posix_spawn, wait4), so the clock does
    not include a shell or /usr/bin/time starting."""
    t = time.perf_counter()
    pid = os.posix_spawn(shutil.which(cmd[0]), cmd, env,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status, use = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"bench: {' '.join(cmd)} failed "
                         f"(exit {os.waitstatus_to_exitcode(status)})")
    return wall, use.ru_utime + use.ru_stime


def peak_rss(cmd):
    """The peak RSS (KiB) of one more run under /usr/bin/time (wait4's own
    ru_maxrss would count Python's memory, which the child shares until it
    execs)."""
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return int(r.stderr.strip().splitlines()[-1])


def timed_each(cmds, runs, ok=(0,)):
    """The commands run in turn, @runs rounds after a warm-up round, so a
    ratio between them is not a change of the shared machine's load
    between one's runs and the other's. returns: per command, the median
    wall and CPU seconds."""
    walls, cpus = [[] for _ in cmds], [[] for _ in cmds]
    devnull = os.open(os.devnull, os.O_WRONLY)
    env = dict(os.environ)
    for k in range(runs + 1):           # the first round warms the caches
        for i, cmd in enumerate(cmds):
            wall, cpu = spawn(cmd, env, devnull, ok)
            if k:
                walls[i].append(wall)
                cpus[i].append(cpu)
    os.close(devnull)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(walls, cpus)]


def timed(cmd, runs, ok=(0,)):
    """Median wall seconds over @runs runs, and the peak RSS (KiB); the
    median CPU seconds go to LAST_CPU, for the row that follows (on a
    shared machine CPU time says what wall time cannot)."""
    (wall, LAST_CPU[0]), = timed_each([cmd], runs, ok)
    return wall, peak_rss(cmd)


def timed_beside(cmd, ref, runs):
    """@cmd and its reference @ref, run in turn: the reference's median
    wall and CPU seconds, @cmd's median wall and peak RSS (its CPU goes to
    LAST_CPU once the reference's row is printed: see beside_row)."""
    (rwall, rcpu), (wall, cpu) = timed_each([ref, cmd], runs)
    return (rwall, rcpu), (wall, cpu, peak_rss(cmd))


def timed_rows(cmds, runs):
    """The commands of one tree, run in turn (timed_each): per command, a
    function that sets LAST_CPU to its median CPU and returns its median
    wall time and peak RSS, for the row printed next."""
    def result(cmd, wall, cpu):
        def take():
            LAST_CPU[0] = cpu
            return wall, peak_rss(cmd)
        return take
    return [result(cmd, wall, cpu) for cmd, (wall, cpu) in zip(cmds, timed_each(cmds, runs))]


def beside_row(label, ref_what, ref_name, what, pair, goal):
    """The rows of a timed_beside() pair: the reference, then the command."""
    (rwall, rcpu), (wall, cpu, peak) = pair
    LAST_CPU[0] = rcpu
    row(label, ref_what, rwall)
    LAST_CPU[0] = cpu
    row(label, what, wall, peak, ref_name, rwall, goal)
    return rwall, wall


def ms(s):
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.2f} s"


def mib(kib):
    return f"{kib / 1024:.1f} MiB" if kib is not None else ""


class Goal:
    """What a row must meet: a ratio to its reference (wall / ref at most
    @ratio, or ref / wall at least @speedup), an absolute wall time
    (@under seconds) and a peak RSS (@rss MiB). None: no goal."""

    def __init__(self, ratio=None, speedup=None, under=None, rss=None):
        self.ratio, self.speedup, self.under, self.rss = ratio, speedup, under, rss

    def text(self):
        parts = []
        if self.ratio is not None:
            parts.append(f"<= {self.ratio:g}x")
        if self.speedup is not None:
            parts.append(f">= {self.speedup:g}x faster")
        if self.under is not None:
            parts.append(f"< {self.under:g} s")
        if self.rss is not None:
            parts.append(f"< {self.rss:g} MiB")
        return ", ".join(parts)

    def met(self, wall, peak, ref):
        if not self.text():
            return None
        ok = True
        if self.ratio is not None:
            ok &= ref is not None and wall / ref <= self.ratio
        if self.speedup is not None:
            ok &= ref is not None and ref / wall >= self.speedup
        if self.under is not None:
            ok &= wall < self.under
        if self.rss is not None:
            ok &= peak is not None and peak / 1024 < self.rss
        return ok


def row(dump, what, wall, peak=None, ref=None, ref_wall=None, goal=None):
    """Print one row and keep it for --markdown. @ref names the reference,
    @ref_wall is its median (None: a reference row itself, or none)."""
    goal = goal or Goal()
    ratio = ""
    if ref_wall:
        ratio = (f"{ref_wall / wall:.1f}x faster" if goal.speedup is not None
                 else f"{wall / ref_wall:.2f}x")
    met = goal.met(wall, peak, ref_wall)
    verdict = "" if met is None else ("met" if met else "NOT MET")
    r = dict(dump=dump, what=what, wall=ms(wall), cpu=ms(LAST_CPU[0]), peak=mib(peak), ref=ref or "",
             ref_wall=ms(ref_wall) if ref_wall else "", ratio=ratio, goal=goal.text(),
             met=verdict)
    ROWS.append(r)
    print(f"{dump[:20]:20} {what[:26]:26} {r['wall']:>10} {r['cpu']:>10} {r['peak']:>10}  "
          f"{r['ref'][:26]:26} {r['ref_wall']:>10} {ratio:>12}  {r['goal']:24} {verdict}",
          flush=True)


def skip(dump, why):
    NOTES.append(f"{dump}: skipped, {why}")
    print(f"{dump[:20]:20} SKIPPED: {why}", flush=True)


def fdt_of(inspect, image, *opts):
    out = subprocess.run([inspect, *opts, "scan", image], capture_output=True, text=True).stdout
    return re.search(r"^(0x[0-9a-f]+)", out, re.M).group(1)


def make_data_elf(path, gib, dtb):
    """An ELF vmcore of @gib GiB whose every page holds data (half random,
    half text: as compressible as real memory roughly is), with the KHO
    FDT @dtb planted at 1 GiB - 64 KiB so that scan finds one candidate."""
    size = gib << 30
    if os.path.exists(path) and os.path.getsize(path) == 0x1000 + size:
        return
    eh = bytearray(64)
    eh[:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", eh, 16, 4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 64, 0, 0)
    # a CORE NT_PRSTATUS note (zeros, x86_64 size): makedumpfile wants one
    notes = struct.pack("<III", 5, 336, 1) + b"CORE\0\0\0\0" + bytes(336)
    note = struct.pack("<IIQQQQQQ", 4, 0, 0x200, 0, 0, len(notes), len(notes), 4)
    load = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, 0xffff888000000000, 0, size, size, 0x1000)
    text = (b"kho-tools benchmark page " * 21000)[:1 << 19]
    with open(path + ".tmp", "wb") as f:
        f.write(eh + note + load)
        f.seek(0x200)
        f.write(notes)
        f.seek(0x1000)
        for mib_ in range(size >> 20):
            f.write(os.urandom(1 << 19) + text[mib_ % 64:] + text[:mib_ % 64])
        f.seek(0x1000 + (1 << 30) - (64 << 10))
        f.write(open(dtb, "rb").read())
    os.rename(path + ".tmp", path)


def trees(ki, mk, walk, work, specs, runs):
    """The trees of issues 6 and 25: walks, verify, ranges, findings."""
    image = os.path.join(work, "dense.elf")
    label = "dense 2^27 keys"
    fdt = fdt_of(ki, image)
    t_floor, t_base, t_verify, t_ranges = timed_rows(
        [[walk, "--read-only", image, fdt], [walk, image, fdt], [ki, "verify", image],
         [ki, "ranges", "--merge", image]], runs)
    floor, _ = t_floor()
    row(label, "read tree pages once", floor)
    base, _ = t_base()
    row(label, "per-bit walk (kernel)", base)
    wall, peak = t_verify()
    row(label, "verify", wall, peak, "per-bit walk (kernel)", base)
    wall, peak = t_ranges()
    row(label, "ranges --merge", wall, peak, "read tree pages once", floor)
    # issue 25: 2^30 keys within 2x of the page reads, < 64 MiB
    image = os.path.join(work, "dense30.elf")
    fdt = fdt_of(ki, image)
    pair = timed_beside([ki, "verify", image], [walk, "--read-only", image, fdt], runs)
    beside_row("dense30 2^30 keys", "read tree pages once", "read tree pages once", "verify",
               pair, Goal(ratio=2, rss=64))
    # A tree whose every run is a finding: what reporting costs.
    run([mk, "-q", "--only", "raw,expect", "-o", work, os.path.join(specs, "findings.spec")])
    args = json.load(open(os.path.join(work, "findings.expect.json")))["generator"]["args"]
    cmd = [ki, "verify"] + args + [os.path.join(work, "findings.raw")]
    wall, peak = timed(cmd, runs, ok=(1,))
    row("findings", "verify (100000 errors)", wall, peak)


def sparse(ki, walk, here, work, big, runs):
    """Sparse 2^20 keys against drgn and the floor; sparse dumps scanned."""
    image = os.path.join(work, "sparse.elf")
    label = "sparse 2^20 keys"
    fdt = fdt_of(ki, image)
    doc = json.loads(subprocess.run([ki, "--json", "summary", image],
                                    capture_output=True, text=True).stdout)
    root = doc["handovers"][0]["memory_map"]["phys"]
    page = str(doc["source"]["page_size"])
    t_floor, t_base, t_verify = timed_rows(
        [[walk, "--read-only", image, fdt], [walk, image, fdt], [ki, "verify", image]], runs)
    floor, _ = t_floor()
    row(label, "read tree pages once", floor)
    base, _ = t_base()
    row(label, "per-bit walk (kernel)", base)
    slow = None
    if subprocess.run(["/usr/bin/python3", "-c", "import drgn"],
                      capture_output=True).returncode == 0:
        slow, _ = timed(["/usr/bin/python3", os.path.join(here, "bench_drgn_walk.py"),
                         image, root, page], max(3, min(runs, 5)))
        row(label, "drgn walk script", slow)
    else:
        skip(label + " drgn", "python3-drgn is not installed (scripts/bootstrap)")
    wall, peak = t_verify()
    if slow:
        row(label, "verify", wall, peak, "drgn walk script", slow, Goal(speedup=20))
    row(label, "verify", wall, peak, "read tree pages once", floor, Goal(ratio=2))
    row(label, "verify", wall, peak, "per-bit walk (kernel)", base)
    wall, peak = timed([ki, "ranges", "--merge", image], runs)
    row(label, "ranges --merge", wall, peak)

    scan64 = [ki, "scan", os.path.join(work, "scan64g.raw")]
    wall, peak = timed(scan64, runs)
    row("64 GiB sparse raw", "scan", wall, peak)
    # issue 25: sparse dumps cost what their data costs (0.07 s before)
    scan4t, peak = timed([ki, "scan", os.path.join(work, "dense30.elf")], runs)
    row("4 TiB sparse ELF", "scan", scan4t, peak, "issue 25: 70 ms before", 0.070,
        Goal(under=0.1))
    if big:
        wall, peak = timed([ki, "scan", big], runs)
        row("64 TiB sparse ELF", "scan", wall, peak, "4 TiB sparse ELF scan", scan4t,
            Goal(under=0.1))
    else:
        skip("64 TiB sparse ELF", "no file system here holds a 64 TiB sparse file "
             "(set KHO_BENCH_BIG_DIR to tmpfs, xfs or btrfs)")


def data(ki, work, runs):
    """Dumps whose pages hold data: scan against cat, kdump against ELF."""
    data_elf = os.path.join(work, "data.elf")
    make_data_elf(data_elf, 1, os.path.join(work, "dense.dtb"))
    kdumps = []
    for flag, name in (("-c", "zlib"), ("-l", "lzo")):
        out = os.path.join(work, f"data.{name}.kdump")
        if not os.path.exists(out) and shutil.which("makedumpfile"):
            subprocess.run(["makedumpfile", flag, "-d", "0", data_elf, out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(out):
            kdumps.append((name, out))

    def beside_cat(label, scan, path):
        """cat, the scan and the scan on two threads, run in turn: both
        scans beside cat. returns: the scan's wall time."""
        two = scan[:1] + ["--threads", "2"] + scan[1:]
        cat, one, both = timed_rows([["cat", path], scan, two], runs)
        rwall, _ = cat()
        row(label, "cat > /dev/null", rwall)
        wall, peak = one()
        row(label, "scan", wall, peak, "cat", rwall, Goal(ratio=1))
        wall2, peak = both()
        row(label, "--threads 2 scan", wall2, peak, "cat", rwall, Goal(ratio=1))
        return wall

    elf = beside_cat("1 GiB ELF, all data", [ki, "scan", "--page-size", "4096", data_elf],
                     data_elf)
    # the same pages as a raw image (the ELF's bytes after its headers)
    raw = os.path.join(work, "data.raw")
    if not os.path.exists(raw) or os.path.getsize(raw) != 1 << 30:
        run(["dd", f"if={data_elf}", f"of={raw}", "bs=4096", "skip=1", "status=none"])
    beside_cat("1 GiB raw, all data", [ki, "scan", raw], raw)
    if not kdumps:
        skip("1 GiB kdump", "makedumpfile is not installed (scripts/bootstrap)")
    for name, path in kdumps:
        label = f"1 GiB {name} kdump"
        cmd = [ki, "scan", "--page-size", "4096", path]
        run(["cat", path])
        wall, peak = timed(cmd, runs)     # one thread: the default
        row(label, "scan", wall, peak, "scan of the 1 GiB ELF", elf, Goal(ratio=2))
        cmd = [ki, "--threads", "2", "scan", "--page-size", "4096", path]
        wall2, peak = timed(cmd, runs)
        row(label, "--threads 2 scan", wall2, peak, "its scan, one thread", wall)
    dense4g = os.path.join(work, "dense4g.dense.raw")
    if not os.path.exists(dense4g) or os.path.getsize(dense4g) != 4 << 30:
        run(["cp", "--sparse=never", os.path.join(work, "dense4g.raw"), dense4g])
    pair = timed_beside([ki, "scan", dense4g], ["cat", dense4g], runs)
    beside_row("4 GiB raw, zeros", "cat > /dev/null", "cat", "scan", pair, None)


def kernel_dir(ver="7.3", arch="x86_64"):
    """The cache directory scripts/kernel-build would answer for a plain
    @ver @arch kernel, computed as it computes it (so nothing is built),
    or None when that kernel is not built."""
    kb = open(os.path.join(TOP, "scripts", "kernel-build")).read()
    build_key = re.search(r"^BUILD_KEY=(\S+)", kb, re.M).group(1)
    h = hashlib.sha256()
    for frag in ("kho.config", f"{arch}.config"):
        h.update(open(os.path.join(TOP, "tests", "kernel", frag), "rb").read())
    h.update(build_key.encode() + b"\n")
    found = glob.glob(os.path.join(CACHE, "kernels", f"{ver}-{arch}-{ver}*-{h.hexdigest()[:12]}",
                                   "vmlinux"))
    return os.path.dirname(max(found, key=os.path.getmtime)) if found else None


def guest_initrd(kdir):
    """The kernel-CI guest's initramfs, made as scripts/kernel-ci makes it."""
    h = hashlib.sha256()
    for f in ("guest.c", "mkinitrd"):
        h.update(open(os.path.join(TOP, "tests", "kernel", f), "rb").read())
    initrd = os.path.join(kdir, f"guest-{h.hexdigest()[:12]}.cpio.gz")
    if not os.path.exists(initrd):
        run([os.path.join(TOP, "tests", "kernel", "mkinitrd"), "x86_64",
             os.path.join(kdir, "bzImage"), initrd])
    return initrd


def guest512(ki, build, work, runs):
    """Issue 17's real 512 MiB guest dumps (scripts/kernel-ci's four
    moments): every command under 0.3 s and 16 MiB."""
    kdir = kernel_dir()
    if not kdir:
        skip("512 MiB guest", "the 7.3 x86_64 kernel is not built "
             "(scripts/kernel-build 7.3 x86_64 builds it, about 10 minutes)")
        return
    if not shutil.which("qemu-system-x86_64"):
        skip("512 MiB guest", "qemu-system-x86_64 is not installed (scripts/bootstrap)")
        return
    dumps = os.path.join(work, "guest512-" + os.path.basename(kdir))
    if not os.path.exists(os.path.join(dumps, "stage-4.elf")):
        print(f"  making the 512 MiB guest's dumps: scripts/kernel-ci 7.3 x86_64 --keep {dumps}",
              flush=True)
        shutil.rmtree(dumps, ignore_errors=True)
        r = subprocess.run([os.path.join(TOP, "scripts", "kernel-ci"), "7.3", "x86_64",
                            "--keep", dumps], stdout=subprocess.DEVNULL,
                           env=dict(os.environ, KHO_BUILD_DIR=build))
        # a finding (exit 1) still leaves dumps worth timing
        if not os.path.exists(os.path.join(dumps, "stage-4.elf")):
            skip("512 MiB guest", f"scripts/kernel-ci exited {r.returncode} without "
                 "the fourth moment's dump")
            return
    one, two = os.path.join(dumps, "stage-1.elf"), os.path.join(dumps, "stage-2.elf")
    run(["cat", two])
    cat, _ = timed(["cat", two], runs)
    label = "512 MiB guest"
    row(label, "cat > /dev/null", cat)
    addr = fdt_of(ki, two)
    # stage 2 (machine_kexec): the final outgoing state, LUO serialized
    for cmd, ok in (([], (0,)), (["verify"], (0,)), (["summary"], (0,)), (["scan"], (0,)),
                    (["ranges"], (0,)), (["tree"], (0,)), (["fdt"], (0,)), (["luo"], (0,)),
                    (["whatis", addr], (0,)), (["--json"], (0,)), (["--json", "verify"], (0,))):
        wall, peak = timed([ki] + cmd + [two], runs, ok=ok)
        row(label, " ".join(cmd) or "(default)", wall, peak, "cat", cat,
            Goal(under=0.3, rss=16))
    wall, peak = timed([ki, "diff", one, two], runs, ok=(0, 1))
    row(label, "diff stage-1 stage-2", wall, peak, "cat", cat, Goal(under=0.3, rss=16))


def guest64(ki, work, runs):
    """A makedumpfile -d 31 kdump of a 64 GiB guest, inspected in under 1 s.
    Made once per kernel and guest (scripts/bench_bigguest.py: QEMU dumps
    through a FIFO into dd conv=sparse, so no zero is written) and kept in
    $CACHE/bench/."""
    label = "64 GiB guest -d 31"
    kdir = kernel_dir()
    if not kdir:
        skip(label, "the 7.3 x86_64 kernel is not built (scripts/kernel-build 7.3 x86_64)")
        return
    for tool in ("qemu-system-x86_64", "makedumpfile", "dd"):
        if not shutil.which(tool):
            skip(label, f"{tool} is not installed (scripts/bootstrap)")
            return
    initrd = guest_initrd(kdir)
    key = os.path.basename(kdir) + "-" + os.path.basename(initrd).split(".")[0]
    cache = os.path.join(CACHE, "bench")
    try:
        os.makedirs(cache, exist_ok=True)
    except OSError:
        pass
    if not os.access(cache, os.W_OK):     # not root: keep it with the images
        cache = work
    kdump = os.path.join(cache, f"guest64g-d31-{key}.kdump")
    if not os.path.exists(kdump):
        elf = os.path.join(work, "guest64g.elf")
        print(f"  making {kdump}: a 64 GiB guest's ELF (sparse, about 1.5 GiB of disk), "
              f"then makedumpfile -c -d 31 (a few minutes)", flush=True)
        r = subprocess.run(["python3", os.path.join(TOP, "scripts", "bench_bigguest.py"),
                            kdir, initrd, "64G", elf])
        if r.returncode:
            skip(label, "the 64 GiB guest could not be dumped (scripts/bench_bigguest.py)")
            return
        r = subprocess.run(["makedumpfile", "-c", "-d", "31", elf, kdump + ".tmp"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        os.unlink(elf)
        if r.returncode:
            skip(label, "makedumpfile -c -d 31 failed: " + r.stderr.strip()[-300:])
            return
        os.rename(kdump + ".tmp", kdump)
    run(["cat", kdump])
    cat, _ = timed(["cat", kdump], runs)
    size = os.path.getsize(kdump) >> 20
    row(label, f"cat > /dev/null ({size} MiB)", cat)
    for cmd in ([], ["verify"], ["scan"]):
        wall, peak = timed([ki] + cmd + [kdump], runs)
        row(label, " ".join(cmd) or "(default)", wall, peak, "cat", cat, Goal(under=1))


def machine():
    """The machine the numbers come from: CPU model, cores, RAM, VM or not."""
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL="C")).stdout
    field = dict(re.findall(r"^([^:\n]+):\s*(.*)$", lscpu, re.M))
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    kind = (f"a {os.cpu_count()}-core VM ({field['Hypervisor vendor']})"
            if "Hypervisor vendor" in field else f"a {os.cpu_count()}-core machine")
    model = field.get("Model name", "?")
    if "CPU family" in field:       # "AMD EPYC" alone does not say which
        model += f" (family {field['CPU family']}, model {field.get('Model', '?')})"
    return f"{kind}, {model}, {mem / (1 << 20):.0f} GiB RAM"


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def markdown(header):
    out = [header, "",
           "| dump | command | median | CPU | peak RSS | reference | its median | ratio | goal | |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    last = None
    for r in ROWS:
        dump = r["dump"] if r["dump"] != last else ""
        last = r["dump"]
        what = f"`{r['what']}`" if not r["what"].startswith(("read", "per-bit", "drgn"))\
            else r["what"]
        out.append(f"| {dump} | {what} | {r['wall']} | {r['cpu']} | {r['peak']} | {r['ref']} | "
                   f"{r['ref_wall']} | {r['ratio']} | {r['goal']} | {r['met']} |")
    out += [""] + [f"- {n}" for n in NOTES]
    return "\n".join(out).rstrip() + "\n"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    build, specs, work, runs = args[0], args[1], args[2], int(args[3])
    want_md = "--markdown" in sys.argv
    readme = args[4] if "--readme" in sys.argv and len(args) > 4 else None
    groups = {"trees", "sparse", "data", "guest512", "guest64"}
    only = os.environ.get("KHO_BENCH_ONLY")
    if only:
        groups &= set(only.split(","))
    mk = os.path.join(build, "tools", "kho-mkimage")
    ki = os.path.join(build, "tools", "kho-inspect")
    walk = os.path.join(build, "tools", "kho-bench-walk")
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(work, exist_ok=True)
    print(f"generating images in {work} ...")
    images = (("dense", "elf,dtb", {"trees", "data"}), ("sparse", "elf,dtb", {"sparse"}),
              ("scan64g", "raw,dtb", {"sparse"}), ("dense4g", "raw,dtb", {"data"}),
              ("dense30", "elf,dtb", {"trees", "sparse"}))
    for name, which, users in images:
        if not users & groups:
            continue
        t = time.perf_counter()
        run([mk, "-q", "--only", which, "-o", work, os.path.join(specs, name + ".spec")])
        print(f"  {name:8} {time.perf_counter() - t:6.2f} s")
    # ext4 stops at 16 TiB: the 64 TiB ELF goes to tmpfs (a few MiB of RAM)
    big = None
    if "sparse" in groups:
        bigdir = os.environ.get("KHO_BENCH_BIG_DIR", "/dev/shm/kho-bench")
        os.makedirs(bigdir, exist_ok=True)
        r = subprocess.run([mk, "-q", "--only", "elf", "-o", bigdir,
                            os.path.join(specs, "sparse64t.spec")], capture_output=True)
        if r.returncode == 0:
            big = os.path.join(bigdir, "sparse64t.elf")
    start, t0 = loadavg(), time.time()
    print(f"\n{machine()}; load average {start} at the start")
    print(f"median of {runs} runs after a warm-up (posix_spawn, wait4); CPU: their median "
          f"user + system time; peak: /usr/bin/time's maximum RSS; ratio: median / the "
          f"reference's median")
    print(f"{'dump':20} {'command':26} {'median':>10} {'CPU':>10} {'peak':>10}  {'reference':26} "
          f"{'its median':>10} {'ratio':>12}  {'goal':24}")
    loads = []
    for group, body in (("trees", lambda: trees(ki, mk, walk, work, specs, runs)),
                        ("sparse", lambda: sparse(ki, walk, here, work, big, runs)),
                        ("data", lambda: data(ki, work, runs)),
                        ("guest512", lambda: guest512(ki, build, work, runs)),
                        ("guest64", lambda: guest64(ki, work, runs))):
        if group in groups:
            loads.append(f"{group} {os.getloadavg()[0]:.1f}")
            body()
    NOTES.append("1-minute load average as each group started: " + ", ".join(loads))
    end = loadavg()
    misses = [f"{r['dump']} {r['what']}" for r in ROWS if r["met"] == "NOT MET"]
    print(f"\nload average {end} at the end ({time.time() - t0:.0f} s); goals met: "
          f"{sum(r['met'] == 'met' for r in ROWS)}, NOT MET: {len(misses)}")
    header = (f"Measured on {machine()}, {time.strftime('%Y-%m-%d', time.gmtime())}, "
              f"`scripts/bench --readme {runs}` (median of {runs} runs after a warm-up), load "
              f"average {start} at the start and {end} at the end (1, 5, 15 minutes; the "
              f"machine is shared).")
    md = markdown(textwrap.fill(header, 90, break_on_hyphens=False, break_long_words=False))
    if want_md:
        print("\n" + md)
    if readme:
        text = open(readme).read()
        begin, stop = "<!-- bench:begin -->\n", "<!-- bench:end -->\n"
        if begin not in text or stop not in text:
            raise SystemExit(f"bench: {readme} has no {begin.strip()} ... {stop.strip()}")
        a, rest = text.split(begin, 1)
        _, b = rest.split(stop, 1)
        with open(readme + ".tmp", "w") as f:
            f.write(a + begin + md + stop + b)
        os.rename(readme + ".tmp", readme)
        print(f"bench: the table in {readme} is this run's")


main()
