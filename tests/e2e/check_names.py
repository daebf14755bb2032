#!/usr/bin/python3
"""check_names.py KHO_INSPECT SRCDIR: every check name the sources report a
finding under (kho_report, kho_report_sev, the generator's ref_record) or
count (kho_findings_of) is one the check table knows. An unknown name is
counted as an error with no finding to show for it at run time; here it is
caught by name, before it ships."""
import glob
import os
import re
import subprocess
import sys

CALL = re.compile(r'\b(?:kho_report|kho_report_sev|ref_record|kho_findings_of)\(\s*'
                  r'[^,()]*(?:\([^()]*\))?[^,()]*,\s*"([^"]*)"')


def main():
    ki, top = sys.argv[1:3]
    known = {l.split()[0] for l in subprocess.run([ki, "--list-checks"], capture_output=True,
                                                  text=True, check=True).stdout.splitlines()}
    used = {}
    for path in glob.glob(os.path.join(top, "lib", "**", "*.c"), recursive=True) + \
            glob.glob(os.path.join(top, "tools", "**", "*.c"), recursive=True):
        for m in CALL.finditer(open(path).read()):
            used.setdefault(m.group(1), os.path.relpath(path, top))
    unknown = {n: p for n, p in used.items() if n not in known}
    for n, p in sorted(unknown.items()):
        print(f"FAIL: {p} reports under \"{n}\", which is not a check")
    ok = len(used) >= 30 and not unknown     # the pattern must keep finding them
    if len(used) < 30:
        print(f"FAIL: only {len(used)} check names found in the sources: the pattern is stale")
    print(f"check-names: {len(used) - len(unknown)} passed, {len(unknown) + (len(used) < 30)} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
