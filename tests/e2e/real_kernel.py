#!/usr/bin/python3
"""real_kernel.py TOP BUILD WORK VERSION ARCH

A real kernel's handover, checked as kernel CI would (scripts/kernel-ci):
Linux VERSION for ARCH with KHO, LUO and test_kho boots under QEMU, its
guest (tests/kernel/guest.c) preserves three memfds in two LUO sessions and
kexecs into the same kernel, which retrieves and compares them. kho-qemu-check
stops the guest at four moments and verifies each:

  1. user space before the kexec   clean, luo-pending
  2. machine_kexec                 clean, the sessions serialized
  3. the successor, kho_memory_init  clean: the incoming handover, unconsumed
  4. the successor in user space   clean, handover-consumed, luo-pending

At every moment, with --vmlinux (scratch from kho_scratch) and without (a
scan; scratch unknown): exit 0, no error, no warning, exactly the notes above.
The ranges equal an independent decoder's (radix_oracle.py); the memfds
extract byte for byte at moments 2 and 3; the successor's console says test_kho
restored its folios and every memfd matched; moments 2 and 3 hold the same keys.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import elfcore
import radix_oracle
import replay_real
import sparse

TOP, BUILD, WORK, VERSION, ARCH = sys.argv[1:6]
BUG = sys.argv[6] if len(sys.argv) > 6 else None
def text_run(env):
    """scripts/kernel-ci --diff as a new user types it, read as they read it."""
    r = subprocess.run([os.path.join(TOP, "scripts", "kernel-ci"), VERSION, ARCH, "--diff"],
                       capture_output=True, text=True, env=env)
    out, err = r.stdout, r.stderr
    check(r.returncode == 0, "text kernel-ci exit %d: %s" % (r.returncode, err[-2000:]))
    # the kernel's directory is named; its vmlinux is used by default, so
    # the scratch areas are known at every moment
    kdir = subprocess.run([os.path.join(TOP, "scripts", "kernel-build"), VERSION, ARCH],
                          capture_output=True, text=True).stdout.strip()
    check("kernel-ci: kernel %s %s: %s (vmlinux, System.map)" % (VERSION, ARCH, kdir) in err,
          "kernel-ci does not name the kernel's directory: %s" % err[-500:])
    check("scratch-unknown" not in out, "kernel-ci without its vmlinux: %s" % out[-2000:])
    # no temporary path, no stage counted from 0, anywhere
    check("kho-qemu-check." not in out + err and "stage-0" not in out + err,
          "a temporary file named: %s %s" % (out[-1500:], err[-1500:]))
    lines = out.splitlines()
    stage4 = [l for l in lines if l.startswith("stage 4 ")]
    # the guest's words start the quoted line; the kernel's own message may
    # follow them inside it (the shared console, as in the JSON run below)
    check(stage4 and re.match(r'stage 4 at "khoguest: successor retrieved every memfd'
                              r'[^"]*": KHO FDT ', stage4[0]), "stage 4's line: %s" % stage4)
    check(any(l.startswith("diff 3 -> 4: not comparable: stage-4.elf: the handover at ") and
              "was consumed" in l for l in lines) and
          not any(l.startswith("diff 3 -> 4: keys only") for l in lines),
          "diff 3 -> 4: %s" % [l for l in lines if l.startswith("diff 3")])
    # every finding a stage line counts is printed under it, in plain English
    stage = None
    for l in lines + ["stage end"]:
        if l.startswith("stage ") or l.startswith("diff "):
            if stage:
                check(stage[1] == stage[2], "%s counts %d findings, prints %d"
                      % (stage[0], stage[1], stage[2]))
            stage = None
            m = re.search(r"; (\d+) errors?, (\d+) warnings?, (\d+) notes?, (\d+) incomplete$", l)
            if m:
                stage = [l[:8], sum(int(x) for x in m.groups()), 0]
            check(not re.search(r"\b1 (errors|warnings|notes)\b", l), "a plural of 1: " + l)
        elif stage and l.startswith("  "):
            stage[2] += 1


# testdata/kernel-bugs: the moment (1-4) a bug is first visible, the check
# that names it there, and what the successor itself then does (its
# console), so the suite shows the tool catching it before the kernel does.
# ("!TEXT": the successor never says TEXT: it lost something silently).
BUGS = {
    # the successor's memfd retrieve fails (EIO: it cannot restore the folio)
    "memfd-skips-folio": (2, "luo-not-preserved",
                          "khoguest: FAIL LIVEUPDATE_SESSION_RETRIEVE_FD"),
    # test_kho's restore fails in the successor
    "test-folio-twice": (1, "range-overlap", "test_kho: KHO restore failed"),
    # LUO fails to deserialize: /dev/liveupdate answers EIO
    "block-count-plus-one": (2, "luo-session", "khoguest: FAIL open /dev/liveupdate"),
    # the successor boots on and silently drops the kexec metadata
    "metadata-size-short": (1, "blob-kexec-metadata", "!KHO: exec from"),
}
INSPECT = os.path.join(BUILD, "tools", "kho-inspect")
# the successor's own handover has a pending LUO of its own
NOTES = [["luo-pending"], [], [], ["handover-consumed", "luo-pending"]]
MOMENTS = ["user space before the kexec", "machine_kexec", "kho_memory_init",
           "successor user space"]
# tests/kernel/guest.c: (session, token, pages, written page indices)
MEMFDS = [("kho-guest-a", 0x1001, 8, {0, 1, 2, 5}), ("kho-guest-a", 0x1002, 1, {0}),
          ("kho-guest-b", 0x2001, 8, {1, 3, 4, 6, 7})]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s: %s" % (VERSION, ARCH, what), flush=True)


def pattern(token, size):
    """guest.c's pattern(): the bytes a written page holds."""
    out = bytearray(size)
    mask = (1 << 64) - 1
    for word in range(size // 8):
        x = (token * 0x9e3779b97f4a7c15 + word) & mask
        x ^= x >> 29
        x = (x * 0xbf58476d1ce4e5b9) & mask
        x ^= x >> 32
        out[word * 8:word * 8 + 8] = struct.pack("<Q", x)
    return out


def memfd_bytes(token, pages, written, page):
    whole = pattern(token, pages * page)
    return b"".join(whole[p * page:(p + 1) * page] if p in written else bytes(page)
                    for p in range(pages))


def findings(doc):
    out = list(doc.get("findings", []))
    for h in doc.get("handovers", []):
        out += h.get("findings", [])
    return out


def inspect(*args):
    r = subprocess.run([INSPECT, "--json"] + list(args), capture_output=True, text=True)
    try:
        return r.returncode, json.loads(r.stdout)
    except ValueError:
        return r.returncode, {"error": r.stderr.strip()}


def verdict(doc, i, how, incomplete):
    """exit 0 is checked by the caller; here: no error, no warning, the notes."""
    fs = findings(doc)
    bad = [f for f in fs if f["severity"] in ("error", "warning")]
    check(not bad, "moment %d (%s) %s: errors or warnings: %s" % (i + 1, MOMENTS[i], how, bad))
    notes = sorted(f["check"] for f in fs if f["severity"] == "note")
    check(notes == NOTES[i], "moment %d (%s) %s: notes %s, expected %s"
          % (i + 1, MOMENTS[i], how, notes, NOTES[i]))
    inc = sorted({f["check"] for f in fs if f["severity"] == "incomplete"})
    check(inc == incomplete, "moment %d (%s) %s: incomplete %s, expected %s"
          % (i + 1, MOMENTS[i], how, inc, incomplete))


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    kdir = subprocess.run([os.path.join(TOP, "scripts", "kernel-build"), VERSION, ARCH],
                          capture_output=True, text=True)
    if kdir.returncode:
        check(False, "scripts/kernel-build: " + kdir.stderr[-2000:])
        return
    vmlinux = os.path.join(kdir.stdout.strip(), "vmlinux")
    keep, console = os.path.join(WORK, "dumps"), os.path.join(WORK, "console.log")
    env = dict(os.environ, KHO_BUILD_DIR=BUILD)
    r = subprocess.run([os.path.join(TOP, "scripts", "kernel-ci"), VERSION, ARCH, "--json",
                        "--diff", "--keep", keep, "--console", console,
                        "-I", "--vmlinux", "-I", vmlinux],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 0, "scripts/kernel-ci exit %d: %s" % (r.returncode, r.stderr[-3000:]))
    try:
        stages = json.loads(r.stdout)["stages"]
    except (ValueError, KeyError):
        check(False, "scripts/kernel-ci gave no document: " + r.stdout[-2000:])
        return
    check(len(stages) == 4, "%d stages, expected 4" % len(stages))
    log = open(console, "rb").read().decode("utf-8", "replace") if os.path.exists(console) else ""
    check("test_kho: KHO restore succeeded" in log, "the successor did not restore test_kho")
    for session, token, _, _ in MEMFDS:
        check("khoguest: memfd %s 0x%x matches" % (session, token) in log,
              "the successor's memfd %s 0x%x" % (session, token))
    check("khoguest: successor retrieved every memfd" in log, "the successor's verdict")

    for i, stage in enumerate(stages[:4]):
        dump = os.path.join(keep, "stage-%d.elf" % (i + 1))
        check(stage["exit"] == 0, "moment %d (%s) with --vmlinux: exit %d"
              % (i + 1, MOMENTS[i], stage["exit"]))
        verdict(stage["document"], i, "with --vmlinux", [])
        rc, doc = inspect("verify", "--ranges", dump)
        check(rc == 0, "moment %d (%s) without --vmlinux: exit %d %s"
              % (i + 1, MOMENTS[i], rc, doc.get("error", "")))
        verdict(doc, i, "without --vmlinux", ["scratch-unknown"])
        # the scan on two threads (its batches in halves) reads the healthy
        # kernel's dump to the same document
        rc2, doc2 = inspect("--threads", "2", "verify", "--ranges", dump)
        check(rc2 == rc and doc2 == doc, "moment %d (%s): --threads 2 verify differs: exit "
              "%d %s" % (i + 1, MOMENTS[i], rc2, doc2.get("error", "")))
        # every candidate, in text (the successor's consumed handover does
        # not know whether it preserved itself): a verdict, never a sanitizer
        # report (the ASan pass runs this test)
        x = subprocess.run([INSPECT, "--all", "verify", dump], capture_output=True, text=True)
        check(x.returncode in (0, 3) and "runtime error" not in x.stderr and
              "Sanitizer" not in x.stderr, "moment %d: --all verify: exit %d: %s"
              % (i + 1, x.returncode, x.stderr[-300:]))
        page = doc.get("source", {}).get("page_size", 4096)
        for h in doc.get("handovers", []):
            if h.get("consumed"):
                check(not h.get("ranges"), "moment %d: a consumed handover lists ranges" % (i + 1))
                continue
            fdt = int(h["fdt"]["phys"], 16)
            try:
                want = radix_oracle.handover_ranges(dump, fdt, page)
            except (ValueError, KeyError, AssertionError, struct.error) as e:
                want = "the independent decoder failed: %s" % e
            got = [(int(x["phys"], 16), x["order"]) for x in h["ranges"]]
            check(got == want, "moment %d: ranges of 0x%x differ from the independent "
                  "decoder's (%d against %d keys)" % (i + 1, fdt, len(got), len(want)))
        if i in (1, 2):
            out = os.path.join(WORK, "extract-%d" % (i + 1))
            x = subprocess.run([INSPECT, "extract", "-o", out, dump], capture_output=True,
                               text=True)
            check(x.returncode == 0, "moment %d: extract: %s" % (i + 1, x.stderr))
            for session, token, pages, written in MEMFDS:
                path = os.path.join(out, "luo", session, "0x%x.memfd" % token)
                data = open(path, "rb").read() if os.path.exists(path) else b""
                check(data == memfd_bytes(token, pages, written, page),
                      "moment %d: memfd %s 0x%x does not extract byte for byte"
                      % (i + 1, session, token))
    rc, doc = inspect("diff", os.path.join(keep, "stage-2.elf"), os.path.join(keep, "stage-3.elf"))
    check(rc == 0 and doc.get("summary", {}).get("same"),
          "machine_kexec against kho_memory_init: the handover changed on the way: %s"
          % doc.get("summary"))
    # arm64: QEMU's kdump of a 16 KiB guest has 64 KiB blocks (its
    # placeholder); VMCOREINFO's PAGESIZE must win, at every moment
    if ARCH == "arm64":
        rk = subprocess.run([os.path.join(TOP, "scripts", "kernel-ci"), VERSION, ARCH, "--json",
                             "--dump-format", "kdump-zlib", "-I", "--vmlinux", "-I", vmlinux],
                            capture_output=True, text=True, env=env)
        check(rk.returncode == 0, "kdump-zlib moments: exit %d: %s"
              % (rk.returncode, rk.stderr[-1500:]))
        for i, stage in enumerate(json.loads(rk.stdout).get("stages", []) if rk.stdout else []):
            src = stage["document"].get("source", {})
            check(stage["exit"] == 0 and src.get("page_size") == 16384 and
                  src.get("block_size") == 65536,
                  "kdump-zlib moment %d: exit %d, page size %s, blocks %s"
                  % (i + 1, stage["exit"], src.get("page_size"), src.get("block_size")))
            verdict(stage["document"], i, "kdump-zlib with --vmlinux", [])
    # the generator writes what the kernel wrote: its replay of the same
    # preserve calls, field by field (replay_real.py)
    bad = replay_real.replay(os.path.join(keep, "stage-2.elf"), INSPECT,
                             os.path.join(BUILD, "tools", "kho-mkimage"),
                             os.path.join(WORK, "replay"))
    check(not bad, "kho-mkimage's replay of machine_kexec differs from the kernel's bytes: %s"
          % "; ".join(bad[:5]))
    # --vmlinux through a translation that is not this kernel's (no CPU
    # state, VMCOREINFO's phys_base or kimage_voffset off by 4 bytes):
    # refused, never misread
    stale = os.path.join(WORK, "stale.elf")
    sparse.copy(os.path.join(keep, "stage-3.elf"), stale)
    off, size, _ = elfcore.elf_layout(stale)[2][0]
    with open(stale, "r+b") as f:
        f.seek(off)
        notes = f.read(size)
        f.seek(off)
        # x86_64: phys_base; arm64: kimage_voffset (same length, 4 bytes off)
        bent = re.sub(rb"(NUMBER\((?:phys_base|kimage_voffset)\)=(?:0x)?[0-9a-f]*)([0-9a-f])\n",
                      lambda m: m.group(1) + b"%x" % (int(m.group(2), 16) ^ 4) + b"\n", notes)
        f.write(bent.replace(b"QEMU\0", b"QEMX\0"))
    x = subprocess.run([INSPECT, "--vmlinux", vmlinux, "verify", stale], capture_output=True,
                       text=True)
    check(x.returncode == 2 and "linux_banner does not read as in the vmlinux" in x.stderr,
          "--vmlinux through a wrong translation: exit %d: %s" % (x.returncode, x.stderr))
    # kho-qemu-check --diff, consecutive moments: the sessions and FLBs appear
    # at reboot(KEXEC); nothing changes on the way; the consumed handover
    # cannot be compared (exit 3), never compared with the successor's own
    diffs = json.loads(r.stdout).get("diffs", [])
    check([d["exit"] for d in diffs] == [1, 0, 3], "--diff exits %s, expected [1, 0, 3]"
          % [d["exit"] for d in diffs])
    # stage numbers, from 1, as the text and the kept stage-N files count them
    check([(d["from"], d["to"]) for d in diffs] == [(1, 2), (2, 3), (3, 4)],
          "--diff from/to: %s" % [(d["from"], d["to"]) for d in diffs])
    if diffs:
        luo = diffs[0]["document"].get("luo", [])
        flbs = sorted(x.get("flb") for x in luo if x.get("only_in") == "b" and "flb" in x)
        check(flbs == ["liveupdate-test-flb-v0", "liveupdate-test-flb-v1",
                       "liveupdate-test-flb-v2"], "--diff 1 -> 2: FLBs only in B: %s" % flbs)
        sessions = sorted({x["session"] for x in luo if x.get("only_in") == "b" and "session" in x})
        check(sessions == ["kho-guest-a", "kho-guest-b"], "--diff 1 -> 2: sessions %s" % sessions)
    # the consumed handover's diff says it compared nothing
    check([d.get("comparable") for d in diffs] == [True, True, False] and
          "was consumed" in diffs[-1]["document"].get("error", ""),
          "--diff comparable: %s" % [(d.get("comparable"), d["document"].get("error"))
                                     for d in diffs])
    # each --at stage names the console line it matched, not the regex (the
    # kernel shares the console: its message may land inside the guest's
    # line, "...every memfdliveupdate test: ...", so the line starts so)
    want = ["khoguest: kexec loaded; LUO pending", None, None,
            "khoguest: successor retrieved every memfd"]
    got = [s.get("console") for s in stages]
    check(len(got) == len(want) and
          all(g == w if w is None else (g or "").startswith(w) for g, w in zip(got, want)),
          "stages' console lines: %s" % got)
    if VERSION == "7.3" and ARCH == "x86_64":
        text_run(env)
    # extract with two handovers: the successor's own in DIR, the consumed
    # one beside it with only what the successor keeps
    out = os.path.join(WORK, "extract-4")
    x = subprocess.run([INSPECT, "extract", "-o", out, os.path.join(keep, "stage-4.elf")],
                       capture_output=True, text=True)
    consumed = [d for d in os.listdir(out) if d.startswith("handover-0x")] if not x.returncode else []
    check(len(consumed) == 1 and sorted(os.listdir(os.path.join(out, consumed[0]))) ==
          ["fdt.dtb", "kexec-metadata.bin", "ranges.json", "scratch.bin"] and
          "consumed) written to" in x.stdout,
          "extract of the successor: %s %s" % (x.returncode, consumed and
                                               os.listdir(os.path.join(out, consumed[0]))))


def successor_lines(log):
    """What the successor said about the handover it received."""
    keys = ("khoguest: successor", "khoguest: memfd", "khoguest: FAIL", "KHO restore",
            "Kernel panic", "luo:", "KHO:", "kho:", "WARNING", "test_kho")
    after = log.split("khoguest: kexec now", 1)[-1]
    return [l.strip() for l in after.splitlines() if any(k in l for k in keys)]


def broken():
    """A kernel with a producer bug: named at its first visible moment."""
    first, check_name, successor = BUGS[BUG]
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    keep, console = os.path.join(WORK, "dumps"), os.path.join(WORK, "console.log")
    env = dict(os.environ, KHO_BUILD_DIR=BUILD)
    r = subprocess.run([os.path.join(TOP, "scripts", "kernel-ci"), VERSION, ARCH, BUG, "--json",
                        "--keep", keep, "--console", console],
                       capture_output=True, text=True, env=env)
    check(r.returncode == 1, "kernel-ci exit %d, expected 1: %s" % (r.returncode,
                                                                r.stderr[-2000:]))
    try:
        stages = json.loads(r.stdout)["stages"]
    except (ValueError, KeyError):
        check(False, "kernel-ci gave no document: %s %s" % (r.stdout[-500:], r.stderr[-2000:]))
        return
    check(len(stages) >= first, "only %d moments reached" % len(stages))
    for i, stage in enumerate(stages):
        found = [f for f in findings(stage["document"])
                 if f["check"] == check_name and f["severity"] == "error"]
        if i + 1 < first:
            check(not found, "moment %d (%s): %s before the bug is visible: %s"
                  % (i + 1, MOMENTS[i], check_name, found))
        elif i + 1 == first:
            check(found and stage["exit"] == 1, "moment %d (%s): exit %d, no %s error: %s"
                  % (i + 1, MOMENTS[i], stage["exit"], check_name,
                     [f["check"] for f in findings(stage["document"])]))
    log = open(console, "rb").read().decode("utf-8", "replace") if os.path.exists(console) else ""
    # the successor's moment names the line the guest printed: whole, or as
    # far as it had arrived when the stage matched (a line written in
    # pieces: 'khoguest: FAIL LIVEUPDATE_SESS' was seen once)
    if len(stages) == 4 and successor and successor.startswith("khoguest: FAIL"):
        got = stages[3].get("console") or ""
        check(got.startswith(successor) or
              (got.startswith("khoguest: FAIL") and successor.startswith(got)),
              "stage 4's console line: %r" % got)
    said = successor_lines(log)
    print("%s: kho-inspect: %s at moment %d (%s); the successor: %s"
          % (BUG, check_name, first, MOMENTS[first - 1], " | ".join(said[-6:]) or "(nothing)"))
    if successor and successor.startswith("!"):
        check(not any(successor[1:] in l for l in said) and log,
              "the successor said %r" % successor[1:])
    elif successor:
        check(any(successor in l for l in said), "the successor did not say %r" % successor)


if BUG:
    broken()
else:
    main()
print("real-kernel %s %s%s: %d passed, %d failed" % (VERSION, ARCH, " " + BUG if BUG else "",
                                                   passed, failed))
sys.exit(1 if failed else 0)
