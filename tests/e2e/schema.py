#!/usr/bin/python3
"""schema.py MKIMAGE INSPECT SPECDIR WORKDIR: every JSON document kho-inspect
prints (every command, clean and broken handovers, LUO, diff, fatal errors)
validates against docs/kho-inspect.schema.json, the CI contract's schema."""
import json
import os
import shutil
import subprocess
import sys

from tally import Tally

try:
    import jsonschema
except ImportError:
    jsonschema = None

SPECS = ("clean-v3-4k", "clean-v1-512-4k", "clean-v4-16k", "defect-range-overlap",
         "defect-radix-loop", "demo")


def main():
    mk, ki, specdir, work = sys.argv[1:5]
    T = Tally("schema")
    if jsonschema is None:
        T.skip("python3-jsonschema is not installed (scripts/bootstrap installs it)")
        return T.close()
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    schema = json.load(open(os.path.join(top, "docs", "kho-inspect.schema.json")))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    images = []
    for name in SPECS:
        subprocess.run([mk, "-q", "--only", "elf,raw", "-o", work,
                        os.path.join(specdir, name + ".spec")], check=True)
        images.append(os.path.join(work, name + ".elf"))
    runs = []
    for img in images:
        for cmd in (["summary"], ["verify", "--ranges"], ["ranges"], ["ranges", "--merge"],
                    ["tree"], ["scan"], ["luo"]):
            runs.append(cmd + [img])
    runs.append(["verify", "--expect", images[0][:-4] + ".expect.json", images[0]])
    runs.append(["verify", "--expect", images[0][:-4] + ".expect.json", images[3]])
    runs.append(["diff", images[0], images[3]])
    runs.append(["whatis", "0x6000000", images[-1]])    # demo: a reserve-mem region
    # tree --node: each page from the root down to a leaf (entries, then bits)
    addr = json.loads(subprocess.run([ki, "--json", "ranges", images[0]], capture_output=True,
                                     text=True).stdout)["handovers"][0]["memory_map"]["phys"]
    while addr:
        runs.append(["tree", "--node", addr, images[0]])
        node = json.loads(subprocess.run([ki, "--json", "tree", "--node", addr, images[0]],
                                         capture_output=True, text=True).stdout)
        below = [e for e in node["handovers"][0]["node"].get("entries", []) if e["read"]]
        addr = below[0]["value"] if below else None
    # kho-v1 (images[1]): a chunk and a bitmap of its list
    for page in json.loads(subprocess.run([ki, "--json", "tree", images[1]], capture_output=True,
                                          text=True).stdout)["handovers"][0]["tree"]["chunks"][:1]:
        runs.append(["tree", "--node", page["phys"], images[1]])
        chunk = json.loads(subprocess.run([ki, "--json", "tree", "--node", page["phys"], images[1]],
                                          capture_output=True, text=True).stdout)
        runs.append(["tree", "--node", chunk["handovers"][0]["node"]["elements"][0]["bitmap"],
                     images[1]])
    # every owner of the demo's preserved pages, one whatis each (a sample)
    demo = json.loads(subprocess.run([ki, "--json", "ranges", images[-1]],
                                     capture_output=True, text=True).stdout)
    for r in demo["handovers"][0]["ranges"][::40]:
        runs.append(["whatis", r["phys"], images[-1]])
    runs.append(["verify", "--page-size", "4096", images[0][:-4] + ".raw"])
    runs.append(["verify", os.path.join(work, "no-such-dump")])
    runs.append(["--no-such-option", images[0]])
    for args in runs:
        r = subprocess.run([ki, "--json"] + args, capture_output=True, text=True)
        label = " ".join(os.path.basename(a) for a in args)
        try:
            doc = json.loads(r.stdout)
        except json.JSONDecodeError:
            T.check(False, f"{label}: exit {r.returncode}, not JSON: {r.stdout[:200]!r}")
            continue
        errors = list(validator.iter_errors(doc))
        T.check(not errors, f"{label}: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message[:160]}"
            for e in (jsonschema.exceptions.best_match(errors),) if e))
        # a fatal error is also one line on stderr (contract.md)
        if "error" in doc:
            T.check(r.returncode == 2 and r.stderr.count("\n") == 1,
                    f"{label}: exit {r.returncode}, stderr {r.stderr!r}")
    return T.close()


if __name__ == "__main__":
    sys.exit(main())
