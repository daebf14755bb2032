#!/bin/sh
# abi.sh BUILD_DIR WORKDIR [SANITIZED]: libkho.so against the committed
# baseline abi/libkho.abi (the previous release's ABI) with libabigail's
# abidiff. Any change fails: an incompatible one is a bug; a compatible one
# (a function added) is deliberate, and scripts/abi-update records it.
# Exit 77 (skipped) when abidiff is missing, or for a build the baseline
# does not describe (sanitized, another architecture).
set -eu
build=$1
work=$2
sanitized=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
base="$top/abi/libkho.abi"
lib="$build/lib/libkho.so"
if ! command -v abidiff >/dev/null || ! command -v abidw >/dev/null; then
	echo "SKIP: abidiff/abidw not installed (Debian: abigail-tools, scripts/bootstrap):" \
		"libkho's ABI is not checked"
	exit 77
fi
if [ -n "$sanitized" ]; then
	echo "SKIP: a sanitized libkho has no baseline ABI"
	exit 77
fi
. "$top/scripts/abi-flags"
rm -rf "$work"
mkdir -p "$work"
abi_dump "$top" "$lib" "$work/libkho.abi"
want=$(sed -n "1s/.*architecture='\([^']*\)'.*/\1/p" "$base")
got=$(sed -n "1s/.*architecture='\([^']*\)'.*/\1/p" "$work/libkho.abi")
if [ "$want" != "$got" ]; then
	echo "SKIP: the baseline is of $want, this build is $got"
	exit 77
fi
rc=0
abidiff "$base" "$work/libkho.abi" >"$work/report" 2>&1 || rc=$?
if [ $((rc & 1)) -ne 0 ] || [ $((rc & 2)) -ne 0 ]; then
	echo "FAIL: abidiff could not compare (exit $rc):"
	cat "$work/report"
	exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
	echo "FAIL: libkho's ABI changed incompatibly against abi/libkho.abi:"
	cat "$work/report"
	exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
	echo "FAIL: libkho's ABI changed against abi/libkho.abi; if deliberate (a function"
	echo "added to the new release's version node), record it: scripts/abi-update BUILD"
	cat "$work/report"
	exit 1
fi
echo "abi: libkho.so matches abi/libkho.abi ($(grep -c '<elf-symbol name=' "$base") symbols)"
echo "abi: 1 passed, 0 failed"
