#!/usr/bin/python3
"""check_names.py KHO_INSPECT SRCDIR: every check name the generator
(libkho-ref, which names checks by string through the public API) records
or expects a finding under is one the check table knows. The verifier
names checks by enum kho_check_id, so its names are checked by the
compiler; the generator's would otherwise surface only at run time, as an
error with no finding to show for it."""
import glob
import os
import re
import subprocess
import sys

CALL = re.compile(r'\b(?:ref_record|add|add_sev)\(\s*'
                  r'[^,()]*(?:\([^()]*\))?[^,()]*,\s*"([^"]*)"')


def main():
    ki, top = sys.argv[1:3]
    known = {l.split()[0] for l in subprocess.run([ki, "--list-checks"], capture_output=True,
                                                  text=True, check=True).stdout.splitlines()}
    used = {}
    for path in glob.glob(os.path.join(top, "lib", "ref", "*.c")):
        for m in CALL.finditer(open(path).read()):
            used.setdefault(m.group(1), os.path.relpath(path, top))
    unknown = {n: p for n, p in used.items() if n not in known}
    for n, p in sorted(unknown.items()):
        print(f"FAIL: {p} reports under \"{n}\", which is not a check")
    ok = len(used) >= 20 and not unknown     # the pattern must keep finding them
    if len(used) < 20:
        print(f"FAIL: only {len(used)} check names found in the sources: the pattern is stale")
    print(f"check-names: {len(used) - len(unknown)} passed, {len(unknown) + (len(used) < 20)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
