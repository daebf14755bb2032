#!/usr/bin/python3
"""The body of scripts/bench: generate the benchmark images with
kho-mkimage, then time kho-inspect against the kernel-style per-bit walk
(kho-bench-walk) and against cat, in the same run."""
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time


def run(cmd, stdout=subprocess.DEVNULL):
    subprocess.run(cmd, check=True, stdout=stdout)


def memory(cmd):
    """RssAnon and VmHWM (KiB) of kho-inspect with everything inspected and
    nothing freed (KHO_MEMORY_REPORT), or (None, None) for other tools."""
    if not cmd[0].endswith("kho-inspect"):
        return None, None
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, KHO_MEMORY_REPORT="1"))
    got = dict(re.findall(r"kho-memory (\w+):\s+(\d+) kB", r.stderr))
    return int(got.get("RssAnon", 0)), int(got.get("VmHWM", 0))


def timed(cmd, runs, ok=(0,)):
    """Median wall seconds over @runs runs, and the peak RSS (KiB).
    The timed children are spawned and reaped directly (posix_spawn,
    wait4), so the clock does not include a shell or /usr/bin/time
    starting; one more run under /usr/bin/time gives the peak RSS (wait4's
    own ru_maxrss would count Python's memory, which the child shares until
    it execs)."""
    walls = []
    devnull = os.open(os.devnull, os.O_WRONLY)
    env = dict(os.environ)
    for _ in range(runs + 1):           # the first run warms the caches
        t = time.perf_counter()
        pid = os.posix_spawn(shutil.which(cmd[0]), cmd, env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        _, status = os.waitpid(pid, 0)
        walls.append(time.perf_counter() - t)
        if os.waitstatus_to_exitcode(status) not in ok:
            raise SystemExit(f"bench: {' '.join(cmd)} failed")
    os.close(devnull)
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    return statistics.median(walls[1:]), int(r.stderr.strip().splitlines()[-1])


def fdt_of(inspect, image):
    out = subprocess.run([inspect, "scan", image], capture_output=True, text=True).stdout
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
        for mib in range(size >> 20):
            f.write(os.urandom(1 << 19) + text[mib % 64:] + text[:mib % 64])
        f.seek(0x1000 + (1 << 30) - (64 << 10))
        f.write(open(dtb, "rb").read())
    os.rename(path + ".tmp", path)


def fmt_mem(anon, hwm):
    return f"{anon / 1024:7.1f}MiB {hwm / 1024:7.1f}MiB" if anon is not None else " " * 22


def row(name, what, wall, rss, extra=""):
    print(f"{name:8} {what:24} {wall * 1e3:9.1f}ms {fmt_mem(*rss)} {extra}")


def trees(ki, mk, walk, here, specs, work, runs):
    """The trees of issue 6: walks, verify, ranges, findings, a sparse scan."""
    have_drgn = subprocess.run(["/usr/bin/python3", "-c", "import drgn"],
                               capture_output=True).returncode == 0
    for name in ("dense", "sparse", "dense30"):
        image = os.path.join(work, name + ".elf")
        fdt = fdt_of(ki, image)
        doc = json.loads(subprocess.run([ki, "--json", "summary", image],
                                        capture_output=True, text=True).stdout)
        root = doc["handovers"][0]["memory_map"]["phys"]
        page = str(doc["source"]["page_size"])
        big = name == "dense30"     # issue 25: verify only, 2^30 bits a walk
        base = None
        if not big:
            base, _ = timed([walk, image, fdt], runs)
            row(name, "per-bit walk (kernel)", base, (None, None))
        floor, _ = timed([walk, "--read-only", image, fdt], runs)
        row(name, "read tree pages once", floor, (None, None))
        slow = None
        if have_drgn and name == "sparse":   # 2^27 keys in Python would take minutes
            slow, _ = timed(["/usr/bin/python3", os.path.join(here, "bench_drgn_walk.py"),
                             image, root, page], min(runs, 3))
            row(name, "drgn walk script", slow, (None, None))
        for cmd in (["verify"],) if big else (["verify"], ["ranges", "--merge"]):
            wall, _ = timed([ki] + cmd + [image], runs)
            ratios = f"{wall / floor:4.1f}x the page reads"
            if base:
                ratios = f"{base / wall:5.1f}x the kernel walk, " + ratios
            if slow:
                ratios += f", {slow / wall:5.1f}x faster than drgn"
            row(name, " ".join(cmd), wall, memory([ki] + cmd + [image]), ratios)
    # A tree whose every run is a finding: what reporting costs.
    run([mk, "-q", "--only", "raw,expect", "-o", work, os.path.join(specs, "findings.spec")])
    args = json.load(open(os.path.join(work, "findings.expect.json")))["generator"]["args"]
    cmd = [ki, "verify"] + args + [os.path.join(work, "findings.raw")]
    wall, _ = timed(cmd, runs, ok=(1,))
    row("findings", "verify (100000 errors)", wall, memory(cmd))
    scan64 = [ki, "scan", os.path.join(work, "scan64g.raw")]
    wall, _ = timed(scan64, runs)
    row("64G raw", "scan (sparse)", wall, memory(scan64))


def main():
    build, specs, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # KHO_BENCH_ONLY=data: only the scans of dumps whose pages hold data
    only_data = os.environ.get("KHO_BENCH_ONLY") == "data"
    mk = os.path.join(build, "tools", "kho-mkimage")
    ki = os.path.join(build, "tools", "kho-inspect")
    walk = os.path.join(build, "tools", "kho-bench-walk")
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(work, exist_ok=True)
    print(f"generating images in {work} ...")
    images = (("dense", "elf,dtb"), ("sparse", "elf,dtb"), ("scan64g", "raw,dtb"),
              ("dense4g", "raw,dtb"), ("dense30", "elf,dtb"))
    for name, only in images[:1] if only_data else images:
        t = time.perf_counter()
        run([mk, "-q", "--only", only, "-o", work, os.path.join(specs, name + ".spec")])
        print(f"  {name:8} {time.perf_counter() - t:6.2f} s")
    dense4g = os.path.join(work, "dense4g.dense.raw")
    if not only_data and (not os.path.exists(dense4g) or os.path.getsize(dense4g) != 4 << 30):
        run(["cp", "--sparse=never", os.path.join(work, "dense4g.raw"), dense4g])

    print(f"\nwall: median of {runs} runs after a warm-up; RssAnon: anonymous memory of "
          f"kho-inspect with everything inspected (KHO_MEMORY_REPORT); peak: VmHWM")
    print(f"{'tree':8} {'command':24} {'wall':>11} {'RssAnon':>10} {'peak':>10}")
    if not only_data:
        trees(ki, mk, walk, here, specs, work, runs)

    # Dumps whose pages hold data: scan against cat, ELF against kdump.
    data = os.path.join(work, "data.elf")
    make_data_elf(data, 1, os.path.join(work, "dense.dtb"))
    kdumps = []
    for flag, name in (("-c", "zlib"), ("-l", "lzo")):
        out = os.path.join(work, f"data.{name}.kdump")
        if not os.path.exists(out) and shutil.which("makedumpfile"):
            subprocess.run(["makedumpfile", flag, "-d", "0", data, out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(out):
            kdumps.append((name, out))
    run(["cat", data])      # warm the page cache
    cat, _ = timed(["cat", data], runs)
    row("1G data", "cat > /dev/null", cat, (None, None))
    elf_cmd = [ki, "scan", "--page-size", "4096", data]
    elf, _ = timed(elf_cmd, runs)
    row("1G data", "scan (ELF)", elf, memory(elf_cmd), f"{cat / elf * 100:4.0f}% of cat's speed")
    # the same pages as a raw image (the ELF's bytes after its headers)
    raw = os.path.join(work, "data.raw")
    if not os.path.exists(raw) or os.path.getsize(raw) != 1 << 30:
        run(["dd", f"if={data}", f"of={raw}", "bs=4096", "skip=1", "status=none"])
    run(["cat", raw])
    cat_raw, _ = timed(["cat", raw], runs)
    row("1G data", "cat > /dev/null (raw)", cat_raw, (None, None))
    raw_cmd = [ki, "scan", raw]
    wall, _ = timed(raw_cmd, runs)
    row("1G data", "scan (raw)", wall, memory(raw_cmd), f"{cat_raw / wall * 100:4.0f}% of cat's speed")
    threads = "--threads" in subprocess.run([ki, "--help"], capture_output=True,
                                             text=True).stdout
    for name, path in kdumps:
        cmd = [ki, "scan", "--page-size", "4096", path]
        run(["cat", path])
        wall, _ = timed(cmd, runs)
        row("1G data", f"scan (kdump {name})", wall, memory(cmd), f"{wall / elf:4.1f}x the ELF scan")
        if threads:     # opt-in since the library starts none unasked
            cmd = [ki, "--threads", "2", "scan", "--page-size", "4096", path]
            wall2, _ = timed(cmd, runs)
            row("1G data", f"scan (kdump {name}) -j2", wall2, memory(cmd),
                f"{wall / wall2:4.1f}x one thread")
    if only_data:
        return
    run(["cat", dense4g])   # warm the page cache for both
    cat, _ = timed(["cat", dense4g], runs)     # stdout is /dev/null
    scan4 = [ki, "scan", dense4g]
    wall, _ = timed(scan4, runs)
    row("4G raw", "cat > /dev/null", cat, (None, None))
    row("4G raw", "scan (zeros)", wall, memory(scan4), f"{cat / wall * 100:4.0f}% of cat's speed")

main()
