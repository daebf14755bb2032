#!/usr/bin/env python3
"""tree_node.py MKIMAGE INSPECT SPECDIR WORKDIR

kho-inspect tree --node, held to the map itself: starting at the root,
every entry that names a page the walk read is opened with --node in
turn; the keys of all leaves so found, decoded, must be exactly the keys
of `--json ranges` (4, 16 and 64 KiB pages, kho-v2..v4), and a
radix-pointer finding's address opens the node whose entry it names.
"""
import json
import os
import shutil
import subprocess
import sys

from tally import Tally

T = Tally("tree-node")
check = T.check

SPECS = ["clean-v3-4k", "clean-v4-16k", "clean-v4-64k", "clean-v2-4k", "clean-v4-4k"]


def node(ki, dump, addr):
    r = subprocess.run([ki, "--json", "tree", "--node", hex(addr), dump], capture_output=True,
                       text=True)
    if r.returncode not in (0, 1, 3):
        return None, r.stderr.strip()
    return json.loads(r.stdout)["handovers"][0]["node"], ""


def leaf_keys(ki, dump, root):
    """(phys, order) of every set bit of every leaf under root; pages opened."""
    keys, todo, opened = set(), [int(root, 16)], 0
    while todo:
        n, err = node(ki, dump, todo.pop())
        if not check(n is not None, f"{dump}: --node: {err}"):
            return keys, opened
        opened += 1
        for e in n.get("entries", []):
            if e["read"]:
                todo.append(int(e["value"], 16))
        for b in n.get("bits", []):
            keys.add((int(b["phys"], 16), b["order"]))
    return keys, opened


def main():
    mk, ki, specdir, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for name in SPECS:
        spec = os.path.join(specdir, name + ".spec")
        if not os.path.exists(spec):
            continue
        subprocess.run([mk, "-q", "--only", "elf,expect", "-o", work, spec], check=True)
        dump = os.path.join(work, name + ".elf")
        doc = json.loads(subprocess.run([ki, "--json", "ranges", dump], capture_output=True,
                                        text=True).stdout)
        h = doc["handovers"][0]
        want = {(int(r["phys"], 16), r["order"]) for r in h["ranges"]}
        got, opened = leaf_keys(ki, dump, h["memory_map"]["phys"])
        check(got == want, f"{name}: leaves hold {len(got)} keys, ranges {len(want)}: "
              f"{sorted(got ^ want)[:4]}")
        tree = json.loads(subprocess.run([ki, "--json", "tree", dump], capture_output=True,
                                         text=True).stdout)["handovers"][0]["tree"]
        check(opened == tree["tree_pages"], f"{name}: opened {opened} pages, tree says "
              f"{tree['tree_pages']}")
    # the address a radix-pointer finding names opens its node at that entry
    subprocess.run([mk, "-q", "--only", "elf,expect", "-o", work,
                    os.path.join(specdir, "defect-radix-pointer.spec")], check=True)
    dump = os.path.join(work, "defect-radix-pointer.elf")
    doc = json.loads(subprocess.run([ki, "--json", "verify", dump], capture_output=True,
                                    text=True).stdout)
    f = [x for x in doc["handovers"][0]["findings"] if x["check"] == "radix-pointer"][0]
    addr = int(f["phys"], 16)
    n, err = node(ki, dump, addr)
    if check(n is not None, f"--node at the radix-pointer finding: {err}"):
        index = (addr - int(n["phys"], 16)) // 8
        e = [x for x in n.get("entries", []) if x["index"] == index]
        check(e and not e[0]["read"] and f"entry {index} holds {e[0]['value']}" in f["message"],
              f"--node {hex(addr)}: entry {index}: {e} vs {f['message']}")
    r = subprocess.run([ki, "tree", "--node", "0x1000", dump], capture_output=True, text=True)
    check(r.returncode == 2 and r.stderr.count("\n") == 1 and "no page of the radix tree" in
          r.stderr, f"--node off the tree: exit {r.returncode}: {r.stderr}")
    r = subprocess.run([ki, "verify", "--node", "0x1000", dump], capture_output=True, text=True)
    check(r.returncode == 2 and "tree --node" in r.stderr, f"verify --node: {r.stderr}")
    return T.close()


sys.exit(main())
