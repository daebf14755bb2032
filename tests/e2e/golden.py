#!/usr/bin/python3
"""golden.py MKIMAGE SPECDIR GOLDENDIR WORKDIR: every checked-in golden
archive (scripts/regen-golden) equals, byte for byte, what kho-mkimage
builds from its spec today. A difference means the output format changed:
regenerate on purpose, and say why in the commit."""
import os
import shutil
import subprocess
import sys

from sparse import same_file


def main():
    mkimage, specdir, golden, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    passed = failed = 0
    for name in open(os.path.join(golden, "LIST")).read().split():
        fresh, kept = os.path.join(work, name, "fresh"), os.path.join(work, name, "golden")
        os.makedirs(fresh)
        os.makedirs(kept)
        subprocess.run([mkimage, "-q", "--only", "raw,elf,dtb,expect", "-o", fresh,
                        os.path.join(specdir, name + ".spec")], check=True)
        # GNU tar restores the holes; Python's tarfile would not.
        subprocess.run(["tar", "-xzf", os.path.join(golden, name + ".tar.gz"), "-C", kept],
                       check=True)
        for f in sorted(os.listdir(kept)):
            if same_file(os.path.join(kept, f), os.path.join(fresh, f)):
                passed += 1
            else:
                failed += 1
                print(f"FAIL: {f} differs from testdata/golden/{name}.tar.gz")
        if sorted(os.listdir(kept)) != sorted(os.listdir(fresh)):
            failed += 1
            print(f"FAIL: {name}: files {sorted(os.listdir(fresh))} != golden {sorted(os.listdir(kept))}")
    shutil.rmtree(work)
    print(f"golden: {passed} passed, {failed} failed")
    return 1 if failed else 0


sys.exit(main())
