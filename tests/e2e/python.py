#!/usr/bin/python3
"""python.py MKIMAGE INSPECT LIBKHO SPECDIR WORKDIR

The Python binding (python/kho) and its drgn entry point against
kho-inspect, on every fixture's ELF: kho.inspect(path) must give the same
page size, handovers, ranges, keys, findings and summary as
`kho-inspect --json verify --ranges`; kho.drgn.inspect(prog) over a drgn
Program of the same ELF (memory read with Program.read, physical) the same
handovers, ranges and findings (a file's own findings, dump-truncated,
aside: a Program has no file to be cut)."""
import json
import os
import subprocess
import sys

from tally import Tally

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))


def luo_shared(luo):
    return luo and {"format": luo["format"], "liveupdate_num": luo.get("liveupdate_num"),
                    "sessions": [{"name": s["name"],
                                  "files": [{k: f.get(k) for k in ("compatible", "token",
                                                                   "data")}
                                            for f in s.get("files", [])]}
                                 for s in luo.get("sessions", [])]}


def shared(doc):
    """The keys the binding's document shares with kho-inspect's."""
    strip = lambda fs: [{k: f.get(k) for k in ("check", "severity", "phys", "message", "hint")}
                        for f in fs]
    return {
        "page_size": doc["source"]["page_size"],
        "handovers": [{"fdt": {k: h["fdt"][k] for k in ("phys", "compatible")},
                       # (compatible: kho-inspect names it for FDT blobs only)
                       "subtrees": [{k: t.get(k) for k in ("name", "phys", "size")}
                                    for t in h.get("subtrees", [])],
                       "luo": luo_shared(h.get("luo")),
                       "ranges": [{k: r[k] for k in ("phys", "order", "size")}
                                  for r in h.get("ranges", [])],
                       "keys": h["stats"]["keys"], "findings": strip(h["findings"])}
                      for h in doc["handovers"]],
        "findings": strip(doc["findings"]),
        "summary": {k: doc["summary"][k] for k in ("error", "warning", "note", "incomplete",
                                                         "partial")},
    }


def state_callback(T, mk, specdir, work):
    """kho.inspect_memory with a state callback: the page it calls excluded
    is never read, and the preserved block there is range-not-dumped (the
    expectation is the generator's: that block's key is in expect.json)."""
    import kho
    name = "clean-v3-4k"     # small RAM: the callback is Python, called per read
    subprocess.run([mk, "-q", "--only", "raw,elf,expect", "-o", work,
                    os.path.join(specdir, name + ".spec")], check=True)
    want = json.load(open(os.path.join(work, name + ".expect.json")))
    page = want["source"]["page_size"]
    h = want["handovers"][0]
    # the largest block that is not the FDT's own page (a folio, not a blob)
    r = max((r for r in h["ranges"] if r["phys"] != h["fdt"]["phys"]),
            key=lambda r: (r["order"], r["phys"]))
    gone = int(r["phys"], 16)
    touched = []
    # RAM as the ELF describes it; the bytes from the raw image (sparse,
    # file offset = physical address)
    ranges = kho.elf_ranges(os.path.join(work, name + ".elf"))
    fd = os.open(os.path.join(work, name + ".raw"), os.O_RDONLY)

    def read(phys, size):
        if phys < gone + page and gone < phys + size:
            touched.append(phys)
        return os.pread(fd, size, phys)

    def state(phys):
        if gone <= phys < gone + page:
            return "excluded", gone + page - phys
        return "present", (gone - phys) if phys < gone else 1 << 40
    args = want["generator"]["args"]
    arrays = [tuple(int(x, 0) for x in args[i + 1].split(","))
              for i in range(0, len(args), 2) if args[i] == "--scratch-array"]
    try:
        doc = kho.inspect_memory(read, ranges, page_size=page, state=state,
                                 scratch_array=arrays)
    finally:
        os.close(fd)
        os.unlink(os.path.join(work, name + ".raw"))     # 4 GiB, sparse
    nd = [f for f in doc["handovers"][0]["findings"] if f["check"] == "range-not-dumped"]
    T.check(r["order"] > 0 and len(nd) == 1 and int(nd[0]["phys"], 16) == gone and not touched,
            f"state callback: range-not-dumped at {[f['phys'] for f in nd]}, want "
            f"[{hex(gone)}] (order {r['order']}); excluded page read {len(touched)} times")


def past_the_cap(T, mk, ki, specdir, work):
    """100000 range-scratch errors (testdata/bench/findings.spec): 1000 are
    listed, and the summary counts them all, as kho-inspect's does."""
    import kho
    spec = os.path.join(specdir, "..", "bench", "findings.spec")
    subprocess.run([mk, "-q", "--only", "raw,expect", "-o", work, spec], check=True)
    raw = os.path.join(work, "findings.raw")
    args = json.load(open(os.path.join(work, "findings.expect.json")))["generator"]["args"]
    arrays = [tuple(int(x, 0) for x in args[i + 1].split(","))
              for i in range(0, len(args), 2) if args[i] == "--scratch-array"]
    try:
        cli = json.loads(subprocess.run([ki, "--json", "verify"] + args + [raw],
                                        capture_output=True, text=True).stdout)
        doc = kho.inspect(raw, scratch_array=arrays)
    finally:
        os.unlink(raw)          # 2 GiB, sparse
    listed = len(doc["handovers"][0]["findings"])
    T.check(doc["summary"] == cli["summary"] and doc["summary"]["error"] == 100000 and
            listed == 1000, f"past the cap: summary {doc['summary']}, kho-inspect "
            f"{cli['summary']}, {listed} listed")


def raw_page_sizes(T, mk, ki, specdir, work):
    """Issue 23: a raw image records no page size. kho.inspect reads a 16
    or 64 KiB one with the size kho-inspect detects, never as 4 KiB pages;
    where two sizes read it (a kho-v1 map: no FDT key, few pointers) both
    refuse without page_size. So does kho.inspect_memory over the same
    bytes without page_size (it read them as 4 KiB pages: a tree of false
    errors from a healthy 16 KiB kernel)."""
    import kho

    def memory(raw, arrays):
        fd = os.open(raw, os.O_RDONLY)
        try:
            return kho.inspect_memory(lambda phys, size: os.pread(fd, size, phys),
                                      [(0, os.fstat(fd).st_size)], scratch_array=arrays)
        finally:
            os.close(fd)
    for name in ("clean-v4-16k", "clean-v4-64k", "clean-v1-page-16k", "clean-v2-4k"):
        subprocess.run([mk, "-q", "--only", "raw,expect", "-o", work,
                        os.path.join(specdir, name + ".spec")], check=True)
        raw = os.path.join(work, name + ".raw")
        want = json.load(open(os.path.join(work, name + ".expect.json")))
        args = want["generator"]["args"]
        arrays = [tuple(int(x, 0) for x in args[i + 1].split(","))
                  for i in range(0, len(args), 2) if args[i] == "--scratch-array"]
        try:
            r = subprocess.run([ki, "--json", "verify", "--ranges"] + args + [raw],
                               capture_output=True, text=True)
            if "error" in json.loads(r.stdout):
                for how, call in (("kho.inspect", lambda: kho.inspect(raw, scratch_array=arrays)),
                                  ("kho.inspect_memory", lambda: memory(raw, arrays))):
                    try:
                        call()
                        T.check(False, f"{name}.raw: {how} read what kho-inspect refused "
                                f"({r.stdout.strip()})")
                    except kho.KhoError as e:
                        T.check(r.returncode == 2 and "page size" in str(e),
                                f"{name}.raw: {how}: {e}")
                continue
            cli = shared(json.loads(r.stdout))
            got = shared(kho.inspect(raw, scratch_array=arrays))
            T.check(got == cli and got["page_size"] == want["source"]["page_size"] and
                    r.returncode == 0 and not got["findings"],
                    f"{name}.raw: kho.inspect page size {got['page_size']}, kho-inspect "
                    f"{cli['page_size']} (exit {r.returncode}), want "
                    f"{want['source']['page_size']}; differs in "
                    f"{[k for k in cli if cli[k] != got[k]]}")
            got = shared(memory(raw, arrays))
            T.check(got == cli, f"{name}: kho.inspect_memory page size {got['page_size']}, "
                    f"kho-inspect {cli['page_size']}; differs in "
                    f"{[k for k in cli if cli[k] != got[k]]}")
        except kho.KhoError as e:
            T.check(False, f"{name}.raw: kho.inspect: {e}")
        finally:
            os.unlink(raw)


def told(T, mk, ki, work):
    """kho.inspect's dtb=, boot_params= and scratch= give what kho-inspect's
    --dtb, --boot-params and --scratch give (the handover named, its
    scratch areas known: no scratch-unknown)."""
    import kho
    spec = os.path.join(HERE, "data", "vmlinux.spec")
    subprocess.run([mk, "-q", "--only", "elf,boot-dtb", "-o", work, spec], check=True)
    elf, dtb = os.path.join(work, "vmlinux.elf"), os.path.join(work, "vmlinux.boot.dtb")
    for kw, args in (({"dtb": dtb}, ["--dtb", dtb]),
                     ({"boot_params": 0x90000}, ["--boot-params", "0x90000"]),
                     ({"scratch": [(0x1000000, 0x400000), (0x1400000, 0x400000)]},
                      ["--scratch", "0x1000000,0x400000", "--scratch", "0x1400000,0x400000"])):
        r = subprocess.run([ki, "--json", "verify", "--ranges"] + args + [elf],
                           capture_output=True, text=True)
        cli = shared(json.loads(r.stdout))
        try:
            got = shared(kho.inspect(elf, **kw))
        except kho.KhoError as e:
            got = str(e)
        T.check(got == cli and not any(f["check"] == "scratch-unknown"
                                       for h in cli["handovers"] for f in h["findings"]),
                f"kho.inspect({list(kw)[0]}=) differs from kho-inspect {args[0]}")


def severities(T, mk, ki, specdir, work):
    """kho.inspect(severity=, max_order=) gives what kho-inspect's -W,
    -Wno-, -E and --max-order give; a check that does not exist is a
    KhoError, as kho-inspect's usage error."""
    import kho
    cases = (("defect-range-scratch", {"range-scratch": "warning"}, None,
              ["-W", "range-scratch"]),
             ("defect-range-scratch", {"range-scratch": "off", "scratch-unknown": "error"}, None,
              ["-Wno-range-scratch", "-E", "scratch-unknown"]),
             ("defect-range-order", {"range-scratch": "warning", "range-order": "off"}, 5,
              ["-E", "range-order", "-W", "range-scratch", "-Wno-range-order",
               "--max-order", "5"]),
             ("defect-range-order", {"range-order": "warning"}, 12,
              ["-W", "range-order", "--max-order", "12"]))
    subprocess.run([mk, "-q", "--only", "elf,expect", "-o", work] +
                   [os.path.join(specdir, n + ".spec") for n in {c[0] for c in cases}],
                   check=True)
    for name, sev, order, flags in cases:
        elf = os.path.join(work, name + ".elf")
        args = json.load(open(os.path.join(work, name + ".expect.json")))["generator"]["args"]
        arrays = [tuple(int(x, 0) for x in args[i + 1].split(","))
                  for i in range(0, len(args), 2) if args[i] == "--scratch-array"]
        plain = shared(json.loads(subprocess.run([ki, "--json", "verify", "--ranges"] + args +
                                                 [elf], capture_output=True, text=True).stdout))
        cli = shared(json.loads(subprocess.run([ki, "--json", "verify", "--ranges"] + flags +
                                               args + [elf], capture_output=True,
                                               text=True).stdout))
        try:
            got = shared(kho.inspect(elf, scratch_array=arrays, severity=sev, max_order=order))
        except kho.KhoError as e:
            got = str(e)
        T.check(got == cli and cli != plain,
                f"{name}: kho.inspect(severity={sev}, max_order={order}) differs from "
                f"kho-inspect {' '.join(flags)}" + (" (which changed nothing)" if cli == plain
                                                    else ""))
    r = subprocess.run([ki, "verify", "-E", "range-scratc", elf], capture_output=True)
    try:
        kho.inspect(elf, severity={"range-scratc": "error"})
        T.check(False, "kho.inspect(severity={'range-scratc': ...}) was accepted")
    except kho.KhoError as e:
        T.check(r.returncode == 2 and 'no check "range-scratc"' in str(e), f"unknown check: {e}")


def main():
    mk, ki, libkho, specdir, work = sys.argv[1:6]
    T = Tally("python")
    os.environ["KHO_LIBRARY"] = libkho
    import kho
    try:
        import drgn
        import kho.drgn
    except ImportError:
        drgn = None
        T.skip("python3-drgn is not installed: kho.drgn is not checked")
    # the check table through the public accessors, as --list-checks prints it
    listed = [l.split(None, 2) for l in subprocess.run(
        [ki, "--list-checks"], capture_output=True, text=True, check=True).stdout.splitlines()]
    table = [[c["name"], c["severity"], c["summary"]] for c in kho.checks()]
    T.check(table == listed and len(table) >= 30,
            f"kho.checks() differs from --list-checks: "
            f"{[a for a, b in zip(table, listed) if a != b][:3]} ({len(table)}/{len(listed)})")
    ov = next((c for c in kho.checks() if c["name"] == "range-overlap"), {})
    T.check(ov.get("why") and ov.get("how") and ov["how"] in subprocess.run(
        [ki, "--explain", "range-overlap"], capture_output=True, text=True).stdout,
        "kho.checks(): range-overlap has no --explain text")
    specs = sorted(f for f in os.listdir(specdir) if f.endswith(".spec"))
    os.makedirs(work, exist_ok=True)
    state_callback(T, mk, specdir, work)
    past_the_cap(T, mk, ki, specdir, work)
    raw_page_sizes(T, mk, ki, specdir, work)
    told(T, mk, ki, work)
    severities(T, mk, ki, specdir, work)
    subprocess.run([mk, "-q", "--only", "elf,expect", "-o", work] +
                   [os.path.join(specdir, s) for s in specs], check=True)
    for spec in specs:
        name = spec[:-5]
        base = os.path.join(work, name)
        if not os.path.exists(base + ".elf"):
            continue
        want = json.load(open(base + ".expect.json"))
        args = want["generator"]["args"]
        arrays = [tuple(int(x, 0) for x in args[i + 1].split(","))
                  for i in range(0, len(args), 2) if args[i] == "--scratch-array"]
        r = subprocess.run([ki, "--json", "verify", "--ranges"] + args + [base + ".elf"],
                           capture_output=True, text=True)
        if r.returncode == 2:
            T.check(False, f"{name}: kho-inspect exit 2: {r.stderr.strip()}")
            continue
        cli = shared(json.loads(r.stdout))
        try:
            got = shared(kho.inspect(base + ".elf", scratch_array=arrays))
            T.check(got == cli, f"{name}: kho.inspect differs: "
                    f"{[k for k in cli if cli[k] != got[k]]}")
        except kho.KhoError as e:
            T.check(False, f"{name}: kho.inspect: {e}")
        if drgn is None:
            continue
        ranges = kho.elf_ranges(base + ".elf")
        prog = drgn.Program()
        prog.set_core_dump(base + ".elf")
        try:
            doc = kho.drgn.inspect(prog, ranges=ranges,
                                   scratch_array=arrays, page_size=cli["page_size"])
        except kho.KhoError as e:
            T.check(False, f"{name}: kho.drgn.inspect: {e}")
            continue
        got = shared(doc)
        file_only = ("dump-truncated",)
        for d in (got, cli):
            d["findings"] = [f for f in d["findings"] if f["check"] not in file_only]
            d.pop("summary")
        T.check(got == cli, f"{name}: kho.drgn.inspect differs: "
                f"{[k for k in cli if cli[k] != got[k]]}")
    return T.close()


if __name__ == "__main__":
    sys.exit(main())
