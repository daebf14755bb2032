#!/usr/bin/python3
"""The body of scripts/bench: generate the benchmark images with
kho-mkimage, then time kho-inspect against the kernel-style per-bit walk
(kho-bench-walk) and against cat, in the same run."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time


def run(cmd, stdout=subprocess.DEVNULL):
    subprocess.run(cmd, check=True, stdout=stdout)


def timed(cmd, runs):
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
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"bench: {' '.join(cmd)} failed")
    os.close(devnull)
    r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, check=True)
    return statistics.median(walls[1:]), int(r.stderr.strip().splitlines()[-1])


def fdt_of(inspect, image):
    out = subprocess.run([inspect, "scan", image], capture_output=True, text=True).stdout
    return re.search(r"^(0x[0-9a-f]+)", out, re.M).group(1)


def main():
    build, specs, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    mk = os.path.join(build, "tools", "kho-mkimage")
    ki = os.path.join(build, "tools", "kho-inspect")
    walk = os.path.join(build, "tools", "kho-bench-walk")
    os.makedirs(work, exist_ok=True)
    print(f"generating images in {work} ...")
    for name, only in (("dense", "elf,dtb"), ("sparse", "elf,dtb"), ("scan64g", "raw,dtb"),
                       ("dense4g", "raw,dtb")):
        t = time.perf_counter()
        run([mk, "-q", "--only", only, "-o", work, os.path.join(specs, name + ".spec")])
        print(f"  {name:8} {time.perf_counter() - t:6.2f} s")
    dense4g = os.path.join(work, "dense4g.dense.raw")
    if not os.path.exists(dense4g) or os.path.getsize(dense4g) != 4 << 30:
        run(["cp", "--sparse=never", os.path.join(work, "dense4g.raw"), dense4g])

    print(f"\nwall: median of {runs} runs after a warm-up; peak RSS: /usr/bin/time, one more run")
    print(f"{'tree':8} {'command':22} {'wall':>10} {'peak RSS':>10} {'walk/this':>10}")
    for name in ("dense", "sparse"):
        image = os.path.join(work, name + ".elf")
        fdt = fdt_of(ki, image)
        base, base_rss = timed([walk, image, fdt], runs)
        print(f"{name:8} {'per-bit walk (kernel)':22} {base * 1e3:8.1f}ms {base_rss / 1024:7.1f}MiB")
        for cmd in (["verify"], ["ranges", "--merge"]):
            wall, rss = timed([ki] + cmd + [image], runs)
            print(f"{name:8} {' '.join(cmd):22} {wall * 1e3:8.1f}ms {rss / 1024:7.1f}MiB "
                  f"{base / wall:9.1f}x")
    wall, rss = timed([ki, "scan", os.path.join(work, "scan64g.raw")], runs)
    print(f"{'64G raw':8} {'scan (sparse)':22} {wall * 1e3:8.1f}ms {rss / 1024:7.1f}MiB")
    run(["cat", dense4g])   # warm the page cache for both
    cat, _ = timed(["cat", dense4g], runs)     # stdout is /dev/null
    wall, rss = timed([ki, "scan", dense4g], runs)
    gib = 4.0
    print(f"{'4G raw':8} {'cat > /dev/null':22} {cat * 1e3:8.1f}ms {'':>10} {gib / cat:6.2f} GiB/s")
    print(f"{'4G raw':8} {'scan (dense)':22} {wall * 1e3:8.1f}ms {rss / 1024:7.1f}MiB "
          f"{gib / wall:6.2f} GiB/s = {cat / wall * 100:.0f}% of cat")


main()
