#!/usr/bin/python3
"""drgn_symbols.py INSPECT LIBKHO DUMPS KERNELS

kho.drgn.inspect(prog) with the kernel's debug info reads the handover
through the kernel's symbols (kho_out, kho_in, kho_scratch), on the real
7.2 and 7.3 x86_64 and 7.3 arm64 (16 KiB pages) dumps of every moment,
at the kernel's page size: the document says "found_by":
"symbols", and its FDTs, scratch areas and findings are those of
`kho-inspect --vmlinux VMLINUX verify` on the same dump. Without debug
info it scans, says so, and agrees with kho-inspect without --vmlinux.
Skips (77) without drgn or the dumps and kernels."""
import glob
import json
import os
import subprocess
import sys

from tally import Tally

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))

try:
    import drgn
except ImportError:
    print("SKIP: python3-drgn is not installed (Debian: python3-drgn, for /usr/bin/python3)")
    sys.exit(77)


def shared(doc):
    """FDTs, findings and totals, as both documents give them."""
    strip = lambda fs: [{k: f.get(k) for k in ("check", "severity", "phys", "message")}
                        for f in fs if f["check"] != "dump-truncated"]
    return {"handovers": [{"fdt": h["fdt"]["phys"], "compatible": h["fdt"]["compatible"],
                           "ranges": len(h.get("ranges", [])), "keys": h["stats"]["keys"],
                           "findings": strip(h["findings"])} for h in doc["handovers"]],
            "findings": strip(doc["findings"]),
            "summary": {k: doc["summary"][k] for k in ("error", "warning", "note",
                                                       "incomplete")}}


def vmlinux_of(ki, kernels, ver, arch, dump):
    """The cached kernel whose vmlinux kho-inspect accepts for @dump (its
    linux_banner matches)."""
    for d in sorted(glob.glob(os.path.join(kernels, f"{ver}-{arch}-{ver}*"))):
        v = os.path.join(d, "vmlinux")
        if os.path.exists(v) and subprocess.run(
                [ki, "--vmlinux", v, "scan", dump], capture_output=True).returncode == 0:
            return v
    return None


def scratch_areas(prog, state):
    """The (addr, size) pairs of the kho_scratch[] the symbols name."""
    if not state.get("scratch"):
        return []
    raw = prog.read(state["scratch"], state["scratch_bytes"], True)
    return [{"phys": hex(int.from_bytes(raw[i:i + 8], "little")),
             "size": hex(int.from_bytes(raw[i + 8:i + 16], "little"))}
            for i in range(0, len(raw), 16)]


def main():
    ki, libkho, dumps, kernels = sys.argv[1:5]
    os.environ["KHO_LIBRARY"] = libkho
    import kho
    import kho.drgn
    T = Tally("drgn-symbols")
    for ver, arch in (("7.2", "x86_64"), ("7.3", "x86_64"), ("7.3", "arm64")):
        stages = sorted(glob.glob(os.path.join(dumps, f"{ver}-{arch}", "stage-*.elf")))
        if not stages:
            T.skip(f"no {ver} {arch} dumps in {dumps}")
            continue
        vmlinux = vmlinux_of(ki, kernels, ver, arch, stages[0])
        if not vmlinux:
            T.skip(f"no {ver} {arch} kernel with a vmlinux in {kernels}")
            continue
        for dump in stages:
            name = f"{ver} {arch}/{os.path.basename(dump)}"
            r = subprocess.run([ki, "--json", "--vmlinux", vmlinux, "verify", "--ranges", dump],
                               capture_output=True, text=True)
            cli = json.loads(r.stdout)
            prog = drgn.Program()
            prog.set_core_dump(dump)
            prog.load_debug_info([vmlinux])
            state = kho.drgn.kernel_state(prog, kho.elf_vmcoreinfo(dump))
            doc = kho.drgn.inspect(prog, core=dump)
            T.check(doc["source"]["page_size"] == cli["source"]["page_size"],
                    f"{name}: page size {doc['source']['page_size']}, kho-inspect "
                    f"{cli['source']['page_size']}")
            T.check(doc["found_by"] == "symbols" and
                    all(h["fdt"]["found_by"] == "symbols" for h in doc["handovers"]),
                    f"{name}: found by {doc['found_by']} ({doc.get('symbols_note')})")
            T.check(shared(doc) == shared(cli),
                    f"{name}: kho.drgn.inspect through the symbols differs from kho-inspect "
                    f"--vmlinux: {json.dumps(shared(doc))[:600]} vs "
                    f"{json.dumps(shared(cli))[:600]}")
            areas = scratch_areas(prog, state)
            want = [{k: a[k] for k in ("phys", "size")} for a in cli["handovers"][0]["scratch"]]
            T.check(areas == want and len(areas) > 0,
                    f"{name}: scratch through the symbols {areas}, kho-inspect {want}")
            # 7.2's kho_in has no tree, 7.3's has
            T.check((state["in_tree"] is None) == (ver == "7.2") and
                    state["out_tree"] is not None,
                    f"{name}: trees {state['out_tree']}, {state['in_tree']}")
        # no debug info: the scan, as kho-inspect without --vmlinux
        dump = stages[-1]
        prog = drgn.Program()
        prog.set_core_dump(dump)
        doc = kho.drgn.inspect(prog, core=dump)
        cli = json.loads(subprocess.run([ki, "--json", "verify", "--ranges", dump],
                                        capture_output=True, text=True).stdout)
        T.check(doc["found_by"] == "scan" and "kho_out" in doc.get("symbols_note", "") and
                shared(doc) == shared(cli) and
                doc["source"]["page_size"] == cli["source"]["page_size"],
                f"{ver} {arch}/{os.path.basename(dump)} without debug info: found by "
                f"{doc['found_by']} ({doc.get('symbols_note')}); differs from kho-inspect: "
                f"{shared(doc) != shared(cli)}")
    if not T.passed and not T.failed:
        print("SKIP: no real kernel dumps with their kernels (scripts/kernel-ci makes them)")
        return 77
    return T.close()


if __name__ == "__main__":
    sys.exit(main())
