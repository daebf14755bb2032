"""The whole verdict of kho-inspect, and how it is compared with the
generator's expect.json: shared by matrix.py and randspec.py.

A verdict is what a kernel engineer acts on: the exit status, where the
handover is and what it says it is, every range in tree order, the key
count, the LUO state (handovers[].luo), and every finding (check, severity, phys) of the handover and at
top level. Messages are prose and not compared.
"""
import collections
import json
import subprocess


def findings(doc):
    """(check, severity, phys) of every finding, top level included."""
    out = collections.Counter()
    for f in doc.get("findings", []):
        out[("top:" + f["check"], f["severity"], f.get("phys", ""))] += 1
    for h in doc.get("handovers", []):
        for f in h["findings"]:
            out[(f["check"], f["severity"], f["phys"])] += 1
    return out


def ranges(h):
    return [(r["phys"], r["order"], r["size"]) for r in h.get("ranges", [])]


# Findings that say part of the handover's structure went unread: exit 3
# when nothing is an error (contract.md Revision 3, lib/check/verdict.c).
UNREAD = ("radix-unreadable", "blob-unreadable")


def exit_of(pairs):
    """The exit status of verify for findings given as (check, severity)."""
    pairs = list(pairs)
    if any(s == "error" for _, s in pairs):
        return 1
    return 3 if any(c.removeprefix("top:") in UNREAD for c, _ in pairs) else 0


def want_exit(doc):
    return exit_of((c, s) for (c, s, _) in findings(doc))


def inspect(tool, args, path, command=("verify", "--ranges"), timeout=60):
    """(exit status, JSON document or None, stderr) of one kho-inspect run."""
    try:
        r = subprocess.run([tool, "--json"] + list(command) + list(args) + [path],
                           capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, None, f"timed out after {timeout} s"
    try:
        return r.returncode, json.loads(r.stdout), r.stderr
    except json.JSONDecodeError:
        return r.returncode, None, r.stderr + r.stdout[:200]


def compare(want, rc, got, err=""):
    """The differences between an expected verdict and kho-inspect's, as a
    list of short lines (empty: the same verdict)."""
    if got is None:
        return [f"exit {rc}, no JSON: {err.strip()[:200]}"]
    if "handovers" not in got:
        return [f"exit {rc}: {got.get('error', got)}"]
    diffs = []
    wx = want_exit(want)
    if rc != wx:
        diffs.append(f"exit {rc}, want {wx}")
    if len(got["handovers"]) != len(want["handovers"]):
        diffs.append(f"{len(got['handovers'])} handovers, want {len(want['handovers'])}")
        if not got["handovers"]:
            return diffs
    if got["source"]["page_size"] != want["source"]["page_size"]:
        diffs.append(f"page size {got['source']['page_size']}, want {want['source']['page_size']}")
    wh, gh = want["handovers"][0], got["handovers"][0]
    for key in ("phys", "compatible"):
        if gh["fdt"].get(key) != wh["fdt"].get(key):
            diffs.append(f"fdt.{key} {gh['fdt'].get(key)}, want {wh['fdt'].get(key)}")
    # The map as the FDT names it, unless the FDT or its map pointer is
    # the defect (then the generator records the map it built). Not
    # memory_map.bitmap_bytes: with one kho-v1 bitmap per order nothing in
    # the data tells 512 bytes from a page (kho-abi.md §4); a wrong guess
    # that matters shows in the ranges.
    wf = findings(want)
    if not any(c in ("fdt-header", "fdt-compatible", "fdt-memory-map") for c, _, _ in wf):
        for key in ("phys", "format", "depth", "broken_depth"):
            g, w = gh.get("memory_map", {}).get(key), wh.get("memory_map", {}).get(key)
            if w is not None and g != w:
                diffs.append(f"memory_map.{key} {g}, want {w}")
    gr, wr = ranges(gh), ranges(wh)
    if gr != wr:
        i = next(i for i in range(max(len(gr), len(wr)))
                 if i >= len(gr) or i >= len(wr) or gr[i] != wr[i])
        diffs.append(f"{len(gr)} ranges, want {len(wr)}; first difference at #{i}: "
                     f"{gr[i] if i < len(gr) else None}, want {wr[i] if i < len(wr) else None}")
    if gh.get("stats", {}).get("keys") != wh["stats"]["keys"]:
        diffs.append(f"keys {gh.get('stats', {}).get('keys')}, want {wh['stats']['keys']}")
    # The LUO state as docs/luo.md's JSON section says (when there is one).
    if gh.get("luo") != wh.get("luo"):
        diffs.append(f"luo differs: {json.dumps(gh.get('luo'))[:160]}, "
                     f"want {json.dumps(wh.get('luo'))[:160]}")
    gf = findings(got)
    if gf != wf:
        diffs.append(f"findings: extra {sorted((gf - wf).elements())[:6]}"
                     f"{' ...' if sum((gf - wf).values()) > 6 else ''}, "
                     f"missing {sorted((wf - gf).elements())[:6]}"
                     f"{' ...' if sum((wf - gf).values()) > 6 else ''}")
    return diffs
