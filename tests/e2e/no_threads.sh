#!/bin/sh
# no_threads.sh MKIMAGE INSPECT SPECS WORK: libkho starts no thread its
# caller did not ask for (a scan reads or decodes on two only with
# --threads 2), and a dump that shrinks while it is read is exit 2 with
# one line naming it, never SIGBUS; a raw image whose page size is
# detected is read once, not once per size. All seen through strace: skipped
# (exit 77) without it.
set -eu
mk=$1 ki=$2 specs=$3 work=$4
if ! command -v strace >/dev/null 2>&1; then
	echo "SKIP: strace is not installed (apt-get install strace)"
	exit 77
fi
# LeakSanitizer cannot run under ptrace (the sanitizer build of the suite)
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
rm -rf "$work"
mkdir -p "$work"
"$mk" -q --only kdump,elf -o "$work" "$specs/clean-luo-v1-4k.spec"
dump=$work/clean-luo-v1-4k.kdump
fail() { echo "FAIL: $*"; exit 1; }

# the default: no clone of any kind
strace -f -qq -e trace=clone,clone3 -o "$work/trace" "$ki" scan "$dump" >/dev/null ||
	fail "kho-inspect scan $dump under strace"
! grep -q clone "$work/trace" || { cat "$work/trace"; fail "a thread without --threads"; }
# asked for: the trace does see it (the check above can fail)
strace -f -qq -e trace=clone,clone3 -o "$work/trace2" "$ki" --threads 2 scan "$dump" \
	>"$work/scan2" || fail "kho-inspect --threads 2 scan"
grep -q clone "$work/trace2" || fail "--threads 2 started no thread"
"$ki" scan "$dump" | cmp -s - "$work/scan2" || fail "--threads 2 scans differently"
"$ki" --threads 0 scan "$dump" >/dev/null 2>&1 && fail "--threads 0 accepted"
# an ELF's scan reads its batches in halves on two threads, when asked
# (written out whole: a sparse file's extents are too small to halve)
elf=$work/dense.elf
cp --sparse=never "$work/clean-luo-v1-4k.elf" "$elf"
strace -f -qq -e trace=clone,clone3 -o "$work/trace3" "$ki" --threads 2 scan "$elf" \
	>"$work/scan3" || fail "kho-inspect --threads 2 scan $elf"
grep -q clone "$work/trace3" || fail "--threads 2 started no thread on an ELF"
"$ki" scan "$elf" | cmp -s - "$work/scan3" || fail "--threads 2 scans an ELF differently"

# a file that ends early from the 11th read on (as if truncated while open):
# the kdump's last read, a window of its scan, which the page reads share
for f in "$dump" "$work/clean-luo-v1-4k.elf"; do
	rc=0
	strace -qq -o /dev/null -e trace=pread64 -e inject=pread64:retval=0:when=11+ \
		"$ki" verify "$f" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" -eq 2 ] || { cat "$work/err"; fail "$f shrinking: exit $rc, not 2"; }
	[ "$(wc -l <"$work/err")" -eq 1 ] && grep -q "^kho-inspect: $f: the file shrank" "$work/err" ||
		{ cat "$work/err"; fail "$f shrinking: not one line naming it"; }
done
# a raw image's page size is detected from one pass over it, which is
# then the scan: detecting costs its trial inspections, not three more
# scans (it read the image four times: once per size, then again)
"$mk" -q --only raw -o "$work" "$specs/clean-luo-v5-16k.spec"
raw=$work/clean-luo-v5-16k.raw
bytes() {
	strace -qq -e trace=pread64,read -o "$work/reads" "$ki" "$@" >/dev/null 2>&1 || true
	awk '/^(pread64|read)\(/ { n = $NF; if (n > 0) s += n } END { print s + 0 }' \
		"$work/reads"
}
one=$(bytes --page-size 16K scan "$raw") told=$(bytes --page-size 16K verify "$raw")
all=$(bytes verify "$raw")
[ "$one" -gt 0 ] && [ $((all - told)) -lt $((one + one / 2)) ] ||
	fail "detecting the page size read $((all - told)) bytes more; one scan reads $one"
"$ki" verify "$raw" | grep -q "16384-byte pages (detected)" || fail "16 KiB not detected"
# ... and that one pass finds at each size what a scan at that size finds:
# two handovers at 16 and 64 KiB, detected, read as when the size is given
for ps in 16K 64K; do
	printf 'abi kho-v3\npage-size %s\nram 0 64M\nscratch 0x1000000 4M\nalloc 0x3000000 16M\noutputs raw elf\nfolio 0x800000 2\nblob opaque raw 0x3000 0x5a\ndefect handover-ambiguous\n' \
		"$ps" >"$work/two-$ps.spec"
	"$mk" -q -o "$work" "$work/two-$ps.spec"
	"$ki" --json verify "$work/two-$ps.raw" >"$work/detected.json" || true
	"$ki" --json --page-size "$ps" verify "$work/two-$ps.raw" >"$work/told.json" || true
	python3 - "$work/detected.json" "$work/told.json" <<'PY' || fail "$ps: detected and told page size read the two handovers differently"
import json, sys
d, t = (json.load(open(p)) for p in sys.argv[1:])
assert d["source"].pop("page_size_from") == "detected"
t["source"].pop("page_size_from", None)
assert d == t, "the documents differ"
assert len(d["candidates"]) == 2, d["candidates"]
assert any(f["check"] == "handover-ambiguous" for f in d["findings"])
PY
	# on two threads, written out whole so that its batches are halved
	# (raw and ELF): neither handover is dropped, the verdict is the same
	for f in raw elf; do
		cp --sparse=never "$work/two-$ps.$f" "$work/dense-$ps.$f"
		"$ki" --json verify "$work/dense-$ps.$f" >"$work/one.json" || true
		"$ki" --json --threads 2 verify "$work/dense-$ps.$f" >"$work/two.json" || true
		python3 - "$work/one.json" "$work/two.json" <<'PY' || fail "$ps $f: two threads read the two handovers differently"
import json, sys
one, two = (json.load(open(p)) for p in sys.argv[1:])
assert one == two, "the documents differ"
assert len(two["candidates"]) == 2, two["candidates"]
assert any(f["check"] == "handover-ambiguous" for f in two["findings"])
PY
		rm -f "$work/dense-$ps.$f"
	done
done

echo "PASS: no thread unasked; a shrinking dump is exit 2; a raw image is read once"
