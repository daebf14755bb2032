#!/usr/bin/python3
"""flattened.py MKIMAGE INSPECT SPECDIR WORKDIR

makedumpfile's flattened form (-F: what it pipes over ssh, and what QEMU
7.2 writes for its kdump formats), made by the real makedumpfile from the
generator's ELF images, must verify exactly as the regular kdump and the
ELF do: the same FDT, ranges in tree order, keys and findings. zlib and
lzo always; snappy and zstd when this makedumpfile was built with them.
-d 1 (zero pages excluded) must give what the regular -d 1 kdump gives.

A flattened file cut short (at record boundaries, inside records, without
its end marker) is inspected as far as it goes: exit 0, 1 or 2 with JSON,
never a signal; cut after the handover it reports dump-truncated.

Recipe of every input: the ELF is kho-mkimage's, with its VMCOREINFO note
renamed so that makedumpfile does not walk page tables generated memory
does not have (docs/dump-formats.md); makedumpfile -F writes to stdout.
"""
import json
import os
import shutil
import struct
import subprocess
import sys

from tally import Tally

T = Tally("flattened")
check = T.check
skip = T.skip

SPECS = ("clean-v3-4k", "clean-v3-16k", "clean-v1-page-4k", "defect-fdt-compatible@composite",
         "defect-range-not-dumped", "defect-range-not-ram", "defect-radix-unreadable")


def makedumpfile():
    for d in os.environ.get("PATH", "").split(":") + ["/usr/sbin", "/sbin"]:
        p = os.path.join(d, "makedumpfile")
        if os.access(p, os.X_OK):
            return p
    return None


def compressions(tool):
    """-c and -l always; -p (snappy) and -z (zstd) when built in (Debian's
    1.7.2 silently writes uncompressed pages for them otherwise)."""
    out = subprocess.run([tool, "-v"], capture_output=True, text=True).stdout
    have = {"zlib": "-c", "lzo": "-l"}
    for name, flag in (("snappy", "-p"), ("zstd", "-z")):
        if f"{name}\tenabled" in out or f"{name} enabled" in out:
            have[name] = flag
        else:
            skip(f"makedumpfile was built without {name}: no {name} flattened file")
    return have


def without_vmcoreinfo(elf, out):
    shutil.copyfile(elf, out)
    with open(out, "r+b") as f:
        head = f.read(1 << 16)
        i = head.find(b"VMCOREINFO\0")
        if i > 0:
            f.seek(i)
            f.write(b"XMCOREINFO\0")


def run_mdf(tool, args, elf, out, flat):
    if os.path.exists(out):
        os.unlink(out)
    if flat:
        with open(out, "wb") as f:
            r = subprocess.run([tool, "-F"] + args + [elf], stdout=f, stderr=subprocess.PIPE)
    else:
        r = subprocess.run([tool] + args + [elf, out], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    return r.returncode == 0


def inspect(tool, args, path):
    r = subprocess.run([tool, "--json", "verify", "--ranges"] + args + [path],
                       capture_output=True, text=True)
    try:
        return r.returncode, json.loads(r.stdout), r.stderr
    except json.JSONDecodeError:
        return r.returncode, None, r.stderr + r.stdout[:200]


def verdict(doc):
    """What must not depend on the file format: handovers and summary."""
    return doc and {"handovers": doc.get("handovers"), "summary": doc.get("summary"),
                    "findings": doc.get("findings", [])}


def records(path):
    """(header offset, data size) of every record of a flattened file."""
    out, pos = [], 4096
    with open(path, "rb") as f:
        data = f.read()
    while pos + 16 <= len(data):
        off, size = struct.unpack(">qq", data[pos:pos + 16])
        if off == -1 and size == -1:
            break
        out.append((pos, size))
        pos += 16 + size
    return out, len(data)


def cuts(tool, args, flat, work, name):
    """The stream cut at every kind of place: never a signal."""
    recs, size = records(flat)
    check(len(recs) > 3, f"{name}: {len(recs)} records")
    places = {size - 16: "without its end marker", size * 9 // 10: "at 90%"}
    for i in sorted({0, 1, 2, len(recs) // 2, len(recs) - 1}):
        pos, n = recs[i]
        places.setdefault(pos, f"before record {i}")
        places.setdefault(pos + 16 + n // 2, f"inside record {i}")
    places.setdefault(4096 - 100, "inside the flattened header")
    cut = os.path.join(work, "cut.flat")
    with open(flat, "rb") as f:
        whole = f.read()
    for at, what in sorted(places.items()):
        with open(cut, "wb") as f:
            f.write(whole[:at])
        rc, doc, err = inspect(tool, args, cut)
        check(rc in (0, 1, 2, 3) and doc is not None,
              f"{name} cut {what} (0x{at:x}): exit {rc} {err.strip()[:200]}")
        if what in ("without its end marker", "at 90%"):
            top = [f["check"] for f in (doc or {}).get("findings", [])]
            check(rc in (0, 1, 3) and "dump-truncated" in top,
                  f"{name} cut {what}: exit {rc}, top-level findings {top} {err.strip()}")
    os.unlink(cut)


def one_spec(mk, tool, mdf, have, spec, work):
    name = os.path.basename(spec)[:-5]
    base = os.path.join(work, name)
    subprocess.run([mk, "-q", "--only", "elf,expect", "-o", work, spec], check=True)
    want = json.load(open(base + ".expect.json"))
    args = want["generator"]["args"] + ["--page-size", str(want["source"]["page_size"])]
    elf = base + ".nv.elf"
    without_vmcoreinfo(base + ".elf", elf)
    _, ref, err = inspect(tool, want["generator"]["args"], base + ".elf")
    check(ref is not None and "handovers" in ref, f"{name}.elf: {err.strip()}")
    made = {}
    for level in ("0", "1"):
        for comp, flag in have.items():
            if level == "1" and comp != "zlib":
                continue
            for flat in (False, True):
                out = f"{base}.{comp}.d{level}.{'flat' if flat else 'kdump'}"
                if run_mdf(mdf, [flag, "-d", level], elf, out, flat):
                    made[(comp, level, flat)] = out
                else:
                    check(False, f"{name}: makedumpfile -F {flag} -d {level} failed")
    for (comp, level, flat), out in sorted(made.items()):
        if not flat:
            continue
        rc, got, err = inspect(tool, args, out)
        regular = made.get((comp, level, False))
        rc2, kd, err2 = inspect(tool, args, regular) if regular else (None, None, "")
        label = f"{name} -F {have[comp]} -d {level}"
        check(got is not None and got["source"]["format"] == "kdump-flat",
              f"{label}: {err.strip()}")
        check(rc == rc2 and verdict(got) == verdict(kd),
              f"{label}: exit {rc} against {rc2} of the regular kdump; "
              f"differs from it {err.strip()} {err2.strip()}")
        if level == "0" and ref is not None:
            # The ELF's verdict, but for the source (and a kdump says its
            # page size only because it was told).
            check(verdict(got) == verdict(ref),
                  f"{label}: differs from the ELF's verdict {err.strip()}")
    # makedumpfile -R gives back a file that reads the same.
    flat = made.get(("zlib", "0", True))
    if flat:
        back = base + ".R.kdump"
        with open(flat, "rb") as f:
            r = subprocess.run([mdf, "-R", back], stdin=f, capture_output=True)
        check(r.returncode == 0, f"{name}: makedumpfile -R")
        _, a, _ = inspect(tool, args, flat)
        _, b, _ = inspect(tool, args, back)
        check(verdict(a) == verdict(b), f"{name}: -R reassembled file differs")
        if name == "clean-v3-4k":
            cuts(tool, args, flat, work, name)
    for f in os.listdir(work):
        if f.startswith(name + "."):
            path = os.path.join(work, f)
            shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)


def mkimage_flat(mk, tool, mdf, specdir, work):
    """kho-mkimage's own `flat` output (4, 16 and 64 KiB pages): the verdict
    its expect.json gives, the ELF's verdict, and makedumpfile -R gives
    back NAME.kdump byte for byte."""
    for name in ("clean-v3-4k", "clean-v4-16k", "clean-v4-64k", "defect-radix-unreadable"):
        spec = os.path.join(work, name + ".spec")
        with open(os.path.join(specdir, name + ".spec")) as f:
            lines = [x for x in f.read().splitlines() if not x.startswith("outputs")]
        with open(spec, "w") as f:
            f.write("\n".join(lines + ["outputs elf kdump flat", ""]))
        r = subprocess.run([mk, "-q", "-o", work, spec], capture_output=True, text=True)
        if not check(r.returncode == 0, f"{name}: kho-mkimage flat: {r.stderr.strip()}"):
            continue
        flat = os.path.join(work, name + ".flat")
        r = subprocess.run([tool, "--expect", os.path.join(work, name + ".expect.json"),
                            "verify", flat], capture_output=True, text=True)
        check(r.returncode == 0, f"{name}.flat: --expect: exit {r.returncode}: "
              f"{r.stdout[-300:]}{r.stderr.strip()}")
        _, ref, _ = inspect(tool, [], os.path.join(work, name + ".elf"))
        _, doc, err = inspect(tool, [], flat)
        check(verdict(doc) == verdict(ref), f"{name}.flat reads unlike the ELF: {err.strip()}")
        # streamed, as makedumpfile -F pipes it: "-" and a pipe's path
        for path in ("-", "/dev/stdin"):
            with open(flat, "rb") as f:
                cat = subprocess.Popen(["cat"], stdin=f, stdout=subprocess.PIPE)
                r = subprocess.run([tool, "--json", "verify", "--ranges", path],
                                   stdin=cat.stdout, capture_output=True, text=True)
                cat.stdout.close()
                cat.wait()
            try:
                got = json.loads(r.stdout)
            except json.JSONDecodeError:
                got = None
            check(verdict(got) == verdict(doc) and got["source"]["path"] ==
                  ("(stdin)" if path == "-" else path),
                  f"{name}.flat through a pipe as {path}: exit {r.returncode}: {r.stderr.strip()}")
        if mdf:
            back = os.path.join(work, name + ".back.kdump")
            with open(flat, "rb") as f:
                r = subprocess.run([mdf, "-R", back], stdin=f, capture_output=True)
            with open(back, "rb") as a, open(os.path.join(work, name + ".kdump"), "rb") as b:
                check(r.returncode == 0 and a.read() == b.read(),
                      f"{name}: makedumpfile -R of NAME.flat is not NAME.kdump")
        for f in os.listdir(work):
            if f.startswith(name + "."):
                path = os.path.join(work, f)
                shutil.rmtree(path) if os.path.isdir(path) else os.unlink(path)


def main():
    mk, tool, specdir, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    mdf = makedumpfile()
    if not mdf:
        skip("makedumpfile is not installed: no flattened files to read")
        return T.close()
    mkimage_flat(mk, tool, mdf, specdir, work)
    have = compressions(mdf)
    for name in SPECS:
        one_spec(mk, tool, mdf, have, os.path.join(specdir, name + ".spec"), work)
    return T.close()


sys.exit(main())
