#!/usr/bin/python3
"""End-to-end test of kho-mkimage over testdata/specs.

fixtures.py MKIMAGE KDUMP_CMP SPECDIR OUTDIR

For every spec: the expectations say what its name promises (clean-*:
no finding; defect-CHECK: CHECK is expected), and independent tools agree
with what was written: dtc decodes the FDT (and refuses the one corrupted
on purpose), drgn reads every ELF flavour byte-exactly like the raw image,
makedumpfile's kdump reads back through libkdumpfile page for page. Tools
that are not installed are skipped with a message, never silently.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

from sparse import same_file
from tally import Tally

HERE = os.path.dirname(os.path.abspath(__file__))
T = Tally("fixtures")
check = T.check
skip = T.skip


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def same_tree(a, b):
    """same_file, and for a directory (NAME.luo) the same names holding
    the same bytes."""
    if not os.path.isdir(a):
        return same_file(a, b)
    if not os.path.isdir(b) or sorted(os.listdir(a)) != sorted(os.listdir(b)):
        return False
    return all(same_tree(os.path.join(a, n), os.path.join(b, n)) for n in os.listdir(a))


NOT_DUMPED = {"range-not-dumped", "radix-unreadable", "blob-unreadable", "dump-truncated"}


def main():
    mkimage, kdump_cmp, specdir, out = sys.argv[1:5]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    specs = sorted(glob.glob(os.path.join(specdir, "*.spec")))
    r = run([mkimage, "-q", "-o", out] + specs)
    check(r.returncode == 0, f"kho-mkimage: {r.stderr.strip()}")
    have_dtc = shutil.which("dtc")
    have_drgn = run(["/usr/bin/python3", "-c", "import drgn"]).returncode == 0 \
        if os.path.exists("/usr/bin/python3") else False
    for tool, ok in (("dtc", have_dtc), ("drgn (python3-drgn)", have_drgn)):
        if not ok:
            skip(f"{tool} is not installed: its cross-checks do not run")

    for spec in specs:
        name = os.path.basename(spec)[:-5]
        base = os.path.join(out, name)
        if not os.path.exists(base + ".expect.json"):
            check(False, f"{name}: no expect.json was written")
            continue
        with open(base + ".expect.json") as f:
            expect = json.load(f)
        h = expect["handovers"][0]
        checks = {x["check"] for x in expect["findings"]} | \
            {x["check"] for ho in expect["handovers"] for x in ho["findings"]}
        if name.startswith("clean-") or name == "demo":
            check(not h["findings"], f"{name}: expects {sorted(checks)}")
            check(len(h["ranges"]) > 10, f"{name}: only {len(h['ranges'])} ranges")
            check(expect["summary"] == {"error": 0, "warning": 0, "note": 0,
                                        "incomplete": 0, "partial": False}, f"{name}: summary")
        elif name.startswith("defect-"):
            want = name[len("defect-"):].split("@")[0]   # defect-CHECK[@VARIANT]
            check(want in checks, f"{name}: {want} not expected, only {sorted(checks)}")
        check(expect["source"]["page_size"] in (4096, 16384, 65536), f"{name}: page size")

        if have_dtc:
            r = run(["dtc", "-q", "-I", "dtb", "-O", "dts", base + ".dtb"])
            if name.startswith("defect-fdt-header"):   # every variant
                # dtc does not look at last_comp_version
                check(r.returncode != 0 or "@version" in name,
                      f"{name}: dtc accepted a corrupted FDT")
            else:
                check(r.returncode == 0 and expect["handovers"][0]["fdt"]["compatible"]
                      in r.stdout, f"{name}: dtc: {r.stderr.strip()}")

        elves = [base + s for s in (".elf", ".kcore", ".qemu") if os.path.exists(base + s)]
        if have_drgn:
            r = run(["/usr/bin/python3", os.path.join(HERE, "drgn_cmp.py"),
                     base + ".expect.json", base + ".raw", "0"] + elves)
            check(r.returncode == 0, f"{name}: drgn: {r.stdout.strip()}")

        for kdump in (base + ".kdump", base + ".lzo.kdump"):
            if os.path.exists(kdump) and checks & NOT_DUMPED:
                # The raw image holds the pages the kdump lacks on purpose
                # (inspect_expect.py checks the verdict on them).
                skip(f"{name}: {os.path.basename(kdump)} lacks pages the raw image has: "
                     f"{sorted(checks & NOT_DUMPED)}")
            elif os.path.exists(kdump):
                r = run([kdump_cmp, kdump, base + ".raw", "0"])
                check(r.returncode == 0, f"{name}: {r.stdout.strip()} {r.stderr.strip()}")
            elif "kdump" in open(spec).read().split("outputs", 1)[1].split("\n")[0]:
                if shutil.which("makedumpfile") or os.path.exists("/usr/sbin/makedumpfile"):
                    check(kdump.endswith(".lzo.kdump") and "kdump-lzo" not in
                          open(spec).read(), f"{name}: {kdump} missing")
                else:
                    skip(f"{name}: makedumpfile is not installed: no kdump")

    # Determinism: the same specs give byte-identical files.
    again = out + ".again"
    shutil.rmtree(again, ignore_errors=True)
    os.makedirs(again)
    run([mkimage, "-q", "-o", again] + specs)
    for f in sorted(os.listdir(out)):
        check(same_tree(os.path.join(out, f), os.path.join(again, f)),
              f"{f} differs between two runs")
    shutil.rmtree(again)

    return T.close()


sys.exit(main())
