#!/bin/sh
# The command-line contract of kho-inspect: exit 0/1/2/3, one-line reasons,
# JSON errors, -W/-E/--fail-on/--strict, the commands' basic shapes.
#   inspect_cli.sh KHO_MKIMAGE KHO_INSPECT SPECDIR WORKDIR
mk=$1 ki=$2 specs=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect() { # STATUS DESCRIPTION CMD...
	want=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err" </dev/null
	got=$?
	[ "$got" = "$want" ] && ok || fail "$what: exit $got, want $want: $(head -c 300 "$work/err")"
}
one_line_err() { [ "$(wc -l <"$work/err")" = 1 ] && ok || fail "$1: stderr is not one line"; }

rm -rf "$work" && mkdir -p "$work"
"$mk" -q -o "$work" "$specs/clean-v3-4k.spec" "$specs/defect-range-overlap.spec" \
	"$specs/defect-radix-unreadable.spec" "$specs/defect-radix-empty.spec" \
	"$specs/defect-range-order.spec" || exit 1
clean=$work/clean-v3-4k.elf

expect 0 "summary of a clean image" "$ki" "$clean"
grep -q "0 errors" "$work/out" && ok || fail "summary has no verdict"
# summary shows the first findings, most severe first, and names verify
"$mk" -q -o "$work" "$specs/defect-radix-unreadable@fdt.spec" || exit 1
expect 3 "summary of an image with many findings, a leaf unread" "$ki" "$work/defect-radix-unreadable@fdt.elf"
# what it leaves out is counted per check, and the command that lists them
# keeps the options given
[ "$(grep -c "INCOMPLETE (" "$work/out")" = 8 ] &&
	grep -qx "$work/defect-radix-unreadable@fdt.elf: ... and 42 more (42 blob-not-preserved): kho-inspect verify $work/defect-radix-unreadable@fdt.elf lists them" "$work/out" &&
	ok || fail "summary findings: $(tail -3 "$work/out")"
grep -q "verdict      0 errors, 0 warnings, 0 notes, 50 incomplete (partial: " "$work/out" && ok || fail "verdict line"
expect 3 "summary with options" "$ki" --scratch-array 0x3f77000,0x20 --max-order 12 summary "$work/defect-radix-unreadable@fdt.elf"
grep -q ": kho-inspect verify --scratch-array 0x3f77000,0x20 --max-order 12 $work/defect-radix-unreadable@fdt.elf lists them\$" "$work/out" &&
	ok || fail "summary's next command drops the options: $(tail -3 "$work/out")"
expect 1 "one error is singular" "$ki" verify "$work/defect-range-overlap.elf"
grep -q "verdict      1 error, " "$work/out" && ok || fail "1 error: $(tail -1 "$work/out")"
# without scratch information: one short line, a hint that says where to
# get it, and --explain naming every source
"$ki" "$work/defect-range-overlap.elf" >"$work/out" 2>&1
line=$(grep "INCOMPLETE (scratch-unknown)" "$work/out" | sed "s|^$work/defect-range-overlap.elf: ||")
[ "$line" = "INCOMPLETE (scratch-unknown): 0x3ffe000: no scratch areas are known: range-scratch and radix-node-scratch did not run" ] &&
	ok || fail "scratch-unknown line: $line"
"$ki" --explain scratch-unknown >"$work/out" 2>&1
for src in --vmlinux --boot-params --dtb --scratch-array --scratch; do
	grep -q -- "$src" "$work/out" && ok || fail "--explain scratch-unknown does not name $src"
done
# luo counts LUO's findings only, and points at verify for the others
"$ki" luo "$work/defect-range-overlap.elf" >"$work/out" 2>&1
tail -1 "$work/out" | grep -qx "next         kho-inspect verify $work/defect-range-overlap.elf: 1 finding outside LUO" &&
	ok || fail "luo's next step: $(tail -2 "$work/out")"
expect 0 "verify clean" "$ki" verify "$clean"
expect 1 "verify with an error" "$ki" verify "$work/defect-range-overlap.elf"
grep -q "ERROR (range-overlap): 0x" "$work/out" && ok || fail "finding line: $(cat "$work/out")"
# a hint under the first finding of each check, the same text as --explain's
[ "$(grep -c '^  hint: ' "$work/out")" = 2 ] &&
	grep -A1 "ERROR (range-overlap)" "$work/out" | grep -q "^  hint: kho-inspect whatis ADDR DUMP" &&
	ok || fail "hints: $(cat "$work/out")"
# a finding names what owns its address: an empty leaf is a tree page
expect 0 "radix-empty names its page" "$ki" verify "$work/defect-radix-empty.elf"
grep -q "NOTE (radix-empty): 0x[0-9a-f]*: .* \[tree page leaf\]$" "$work/out" && ok ||
	fail "finding owner: $(grep NOTE "$work/out")"
expect 1 "JSON findings carry their hint" "$ki" --json verify "$work/defect-range-overlap.elf"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); fs=d["handovers"][0]["findings"]; assert fs and all(f["hint"] for f in fs), fs' "$work/out" && ok || fail "JSON hints: $(cat "$work/out")"
expect 0 "-W makes it a warning" "$ki" verify -W range-overlap "$work/defect-range-overlap.elf"
expect 1 "--fail-on warning" "$ki" verify -W range-overlap --fail-on warning "$work/defect-range-overlap.elf"
expect 0 "-Wno- turns it off" "$ki" verify -Wno-range-overlap -Wno-scratch-unknown --fail-on note "$work/defect-range-overlap.elf"
expect 0 "incomplete on data is not an error" "$ki" verify "$clean"
grep -q "INCOMPLETE (scratch-unknown)" "$work/out" && ok || fail "no scratch-unknown: $(tail -2 "$work/out")"
expect 1 "--strict fails on incomplete" "$ki" verify --strict "$clean"
# Exit 3 (contract Revision 3): a tree page not in the dump leaves the
# verdict partial; --strict fails; -Wno- accepts it; an error still wins.
expect 3 "a leaf not in the dump: partial" "$ki" verify "$work/defect-radix-unreadable.elf"
expect 1 "partial, --strict" "$ki" verify --strict "$work/defect-radix-unreadable.elf"
expect 3 "partial, -W radix-unreadable" "$ki" verify -W radix-unreadable "$work/defect-radix-unreadable.elf"
expect 0 "partial accepted by -Wno-radix-unreadable" "$ki" verify -Wno-radix-unreadable "$work/defect-radix-unreadable.elf"
expect 1 "partial, but -E radix-unreadable" "$ki" verify -E radix-unreadable "$work/defect-radix-unreadable.elf"
"$mk" -q -o "$work" "$specs/defect-blob-unreadable.spec" || exit 1
# the spec with a kdump too (not in testdata: e2e-fixtures holds every
# kdump there to its raw image page for page, and this one lacks a page)
sed 's/^outputs .*/& kdump/' "$specs/defect-radix-unreadable@root.spec" >"$work/defect-radix-unreadable@root.spec"
"$mk" -q -o "$work" "$work/defect-radix-unreadable@root.spec" || exit 1
root=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["generator"]["args"]))' \
	"$work/defect-radix-unreadable@root.expect.json")
for f in elf kdump; do
	# shellcheck disable=SC2086
	expect 3 "root page excluded ($f), text" "$ki" verify $root "$work/defect-radix-unreadable@root.$f"
	grep -q "INCOMPLETE (radix-unreadable): 0x.*root page is not in the dump" "$work/out" &&
		grep -q "^verdict      0 errors, 0 warnings, 0 notes, 55 incomplete (partial: " "$work/out" &&
		ok || fail "root excluded ($f): $(tail -2 "$work/out")"
	# shellcheck disable=SC2086
	expect 3 "root page excluded ($f), JSON" "$ki" --json verify $root "$work/defect-radix-unreadable@root.$f"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; h=d["handovers"][0]
assert s["partial"] is True and s["error"] == 0 and h["stats"]["keys"] == 0, s
assert h["findings"][0]["check"] == "radix-unreadable", h["findings"][0]' "$work/out" &&
		ok || fail "root excluded ($f), JSON: $(head -c 300 "$work/out")"
	# shellcheck disable=SC2086
	expect 1 "root page excluded ($f), --strict" "$ki" verify --strict $root "$work/defect-radix-unreadable@root.$f"
	# shellcheck disable=SC2086
	expect 1 "root page excluded ($f), --strict JSON" "$ki" --json verify --strict $root "$work/defect-radix-unreadable@root.$f"
done
expect 3 "a blob page not in the dump: partial" "$ki" verify "$work/defect-blob-unreadable.elf"
grep -q "INCOMPLETE (blob-unreadable)" "$work/out" && ok || fail "blob-unreadable: $(tail -2 "$work/out")"
expect 0 "--fail-on warning, summary: clean" "$ki" --json verify --fail-on warning "$clean"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["summary"]["partial"] is False' "$work/out" &&
	ok || fail "partial of a clean image: $(head -c 300 "$work/out")"
expect 0 "a note passes" "$ki" verify "$work/defect-radix-empty.elf"
expect 1 "--fail-on note" "$ki" verify --fail-on note "$work/defect-radix-empty.elf"
expect 1 "-E makes a warning an error" "$ki" verify -E range-not-ram --max-order 40 "$work/defect-range-order.elf"
expect 0 "--max-order and -W" "$ki" verify -W range-order --max-order 40 "$work/defect-range-order.elf"
# The findings cap counts per check and severity: 1200 order-1 warnings
# (--max-order 0 means 0) do not swallow the order-19 error after them.
"$mk" -q -o "$work" "$(dirname "$0")/data/cap-order.spec" || exit 1
expect 1 "an error past the cap of its check's warnings" "$ki" verify --max-order 0 "$work/cap-order.elf"
grep -q "and 200 more warning findings of range-order" "$work/out" && ok || fail "dropped count: $(tail -3 "$work/out")"
expect 1 "same, JSON" "$ki" --json verify --max-order 0 "$work/cap-order.elf"
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; assert s["error"] == 1 and s["warning"] >= 1200, s' "$work/out" && ok || fail "cap summary: $(tail -c 200 "$work/out")"
# range-order's error is 7.1's (kho-v2/v3, int size); a 2 GiB block on kho-v4 (7.2.13,
# 7.3-rc7: u64) is legal: the --max-order warning only, and none past it.
"$mk" -q -o "$work" "$specs/defect-range-order@v4.spec" || exit 1
expect 0 "2 GiB on kho-v4 is no error" "$ki" verify "$work/defect-range-order@v4.elf"
grep -q "WARNING (range-order): 0x80000000: order 19 is above --max-order 18$" "$work/out" &&
	! grep -q "ERROR (range-order)" "$work/out" && ok || fail "v4 range-order: $(grep range-order "$work/out")"
expect 0 "2 GiB on kho-v4 within --max-order" "$ki" verify --max-order 19 --fail-on warning \
	-Wno-scratch-unknown "$work/defect-range-order@v4.elf"
expect 1 "2 GiB on kho-v3 names 7.1" "$ki" verify --max-order 19 "$work/defect-range-order.elf"
grep -q "ERROR (range-order): 0x80000000: order 19: a 7.1 successor (kho-v3) computes" "$work/out" &&
	ok || fail "v3 range-order: $(grep range-order "$work/out")"
# scratch-layout: an area off PAGE_SIZE * MAX_ORDER_NR_PAGES is a warning; the ELF names
# its architecture, a raw image says the page size decided.
"$mk" -q -o "$work" "$specs/defect-scratch-layout@granule.spec" || exit 1
sa=$(python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["generator"]["args"]; print(a[a.index("--scratch-array")+1])' "$work/defect-scratch-layout@granule.expect.json")
expect 0 "scratch off the granule (ELF)" "$ki" verify --scratch-array "$sa" "$work/defect-scratch-layout@granule.elf"
grep -q "WARNING (scratch-layout): 0x1801000: scratch area 2 0x1801000+0x1000 is not aligned to 4 MiB, PAGE_SIZE \* MAX_ORDER_NR_PAGES on x86_64" "$work/out" &&
	ok || fail "granule ELF: $(grep scratch-layout "$work/out")"
expect 0 "scratch off the granule (raw)" "$ki" verify --scratch-array "$sa" "$work/defect-scratch-layout@granule.raw"
grep -q "WARNING (scratch-layout): 0x1801000: .* MAX_ORDER_NR_PAGES (the architecture is unknown: what 4 KiB pages imply)" "$work/out" &&
	ok || fail "granule raw: $(grep scratch-layout "$work/out")"
expect 2 "unknown check" "$ki" verify -W no-such-check "$clean"
one_line_err "unknown check"

# JSON: one document, errors as {"error": ...}
expect 0 "--json" "$ki" --json summary "$clean"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["error"] == 0 and d["handovers"][0]["fdt"]["compatible"] == "kho-v3"' "$work/out" && ok || fail "JSON summary"
expect 2 "JSON error" "$ki" -j verify "$work/none.elf"
python3 -c 'import json,sys; assert "none.elf" in json.load(open(sys.argv[1]))["error"]' "$work/out" && ok || fail "JSON error shape"
one_line_err "JSON error (the same line on stderr)"
grep -q "none.elf" "$work/err" && ok || fail "JSON error: stderr does not name the file"
head -c 40 "$clean" >"$work/cut40.elf"
expect 2 "an ELF cut inside its header" "$ki" verify "$work/cut40.elf"
grep -q "the ELF header is cut short" "$work/err" && ok || fail "cut header: $(cat "$work/err")"

# Could not inspect: exit 2 and one line naming the file.
expect 2 "missing file" "$ki" verify "$work/none.elf"
one_line_err "missing file"
grep -q "none.elf" "$work/err" && ok || fail "error does not name the file"
expect 2 "a directory" "$ki" verify "$work"
head -c 1048576 /dev/zero >"$work/zeros.raw"
expect 2 "no KHO FDT" "$ki" verify "$work/zeros.raw"
grep -q "no KHO FDT found" "$work/err" && ok || fail "no-FDT reason: $(cat "$work/err")"
# An unknown ABI fails closed: kho-v3 becomes kho-v9 in place.
"$here/sparse_replace.py" "$clean" "$work/v9.elf" 'b"kho-v3\0"' 'b"kho-v9\0"' || exit 1
expect 2 "unknown ABI" "$ki" verify "$work/v9.elf"
grep -q "unsupported KHO ABI \"kho-v9\"" "$work/err" && ok || fail "ABI reason: $(cat "$work/err")"
one_line_err "unknown ABI"
# So does a composite string with a component nobody knows (same length).
"$mk" -q -o "$work" "$specs/defect-fdt-compatible@composite.spec" || exit 1
"$here/sparse_replace.py" "$work/defect-fdt-compatible@composite.elf" "$work/v4x.elf" \
	'b"kho-v4;radix-v1;vmalloc-v1\0"' 'b"kho-v4;radix-v9;vmalloc-v7\0"' || exit 1
expect 2 "unknown composite component" "$ki" verify "$work/v4x.elf"
grep -q "unknown component \"radix-v9\"" "$work/err" && ok || fail "component reason: $(cat "$work/err")"
expect 2 "bad option" "$ki" --frobnicate "$clean"
# JSON errors carry a kind, so CI tells a broken kernel from broken
# infrastructure: usage, io, format, no-handover, unsupported-abi
kind_is() { # KIND DESCRIPTION CMD...
	want_kind=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err" </dev/null
	got_kind=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("kind"))' \
		"$work/out" 2>/dev/null)
	[ "$got_kind" = "$want_kind" ] && ok || fail "$what: kind $got_kind, want $want_kind: $(cat "$work/out")"
}
: >"$work/empty.raw"
kind_is usage "bad option" "$ki" --json --frobnicate "$clean"
# a stream ("-" or a pipe) is read from a temporary copy, named as given
"$ki" verify - </dev/null >"$work/out" 2>"$work/err"
[ $? = 2 ] && grep -qx "kho-inspect: (stdin): empty file (no memory to inspect)" "$work/err" &&
	ok || fail "empty stdin: $(cat "$work/err")"
"$ki" verify - <"$clean" >"$work/out" 2>"$work/err" && grep -q "^(stdin): elf" "$work/out" &&
	ok || fail "a dump on stdin: $(cat "$work/err")"
kind_is usage "--fdt at no FDT" "$ki" --json verify --fdt 0x1000 "$clean"
kind_is io "missing file" "$ki" --json verify "$work/none.elf"
kind_is format "empty file" "$ki" --json verify "$work/empty.raw"
kind_is no-handover "no KHO FDT" "$ki" --json verify "$work/zeros.raw"
kind_is unsupported-abi "kho-v9" "$ki" --json verify "$work/v9.elf"
kind_is unsupported-abi "unknown composite component" "$ki" --json verify "$work/v4x.elf"
expect 2 "--fdt at a page that is no FDT: a mistake in the command line" \
	"$ki" verify --fdt 0x1000 "$clean"
grep -q -- "--fdt 0x1000: no FDT there (it starts 00 00 00 00" "$work/err" && ok ||
	fail "--fdt at a zeroed page: $(cat "$work/err")"
one_line_err "--fdt at a page that is no FDT"
expect 2 "a command without its dump" "$ki" verify
grep -qx "kho-inspect: verify needs a DUMP: kho-inspect verify DUMP (--help)" "$work/err" &&
	ok || fail "verify without DUMP: $(cat "$work/err")"
# errors about another file name that file, not the dump
expect 2 "--vmlinux that does not exist" "$ki" --vmlinux "$work/none" verify "$clean"
grep -qx "kho-inspect: $work/none: No such file or directory" "$work/err" && ok ||
	fail "--vmlinux error names the dump: $(cat "$work/err")"
expect 2 "--fdt-file that is no FDT" "$ki" --fdt-file "$specs/demo.spec" verify "$clean"
grep -q "^kho-inspect: $specs/demo.spec: " "$work/err" && ok ||
	fail "--fdt-file error names the dump: $(cat "$work/err")"
# hostile bytes in FDT names never reach the terminal raw: a control byte in
# a property name (in the strings block) prints as _xNN in the DTS, which
# dtc compiles, and as \xNN in the comment naming it
# (the name is in the FDT's strings block only)
"$here/sparse_replace.py" "$work/clean-v3-4k.raw" "$work/ctl.raw" \
	'b"blob-size\0"' 'b"blob-s\x15ze\0"' || exit 1
expect 0 "fdt with a control byte in a property name" "$ki" fdt "$work/ctl.raw"
grep -qF 'blob-s_x15ze /* "blob-s\x15ze" */ = ' "$work/out" && ! LC_ALL=C grep -q "$(printf '\025')" "$work/out" && ok ||
	fail "fdt: a control byte reached the output raw: $(grep blob-s "$work/out" | od -c | head -3)"
# debugfs kho/out/fdt keeps its size from boot: a file cut short is the
# file's problem, said in numbers, not a structural finding
size=$(wc -c <"$work/clean-v3-4k.dtb")
head -c $((size - 40)) "$work/clean-v3-4k.dtb" >"$work/cut.dtb"
expect 2 "--fdt-file cut short" "$ki" --fdt-file "$work/cut.dtb" verify "$clean"
grep -qx "kho-inspect: $work/cut.dtb: the file holds $((size - 40)) of the $size bytes its header claims (debugfs kho/out/fdt keeps its size from boot: read the FDT from memory with --fdt ADDR or a scan)" "$work/err" &&
	ok || fail "--fdt-file cut short: $(cat "$work/err")"
one_line_err "--fdt-file cut short"
expect 2 "--fdt outside memory" "$ki" verify --fdt 0x7000000000 "$clean"
one_line_err "--fdt outside memory"

# --fdt-file without --fdt: the FDT's address is unknown, so the checks of
# its own page say they could not run (incomplete), never a pass or a
# finding at physical 0; --fdt gives the address back.
expect 0 "--fdt-file without --fdt" "$ki" -j verify --fdt-file "$work/clean-v3-4k.dtb" "$clean"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); h = d["handovers"][0]
assert "phys" not in h["fdt"] and h["fdt"]["found_by"] == "--fdt-file", h["fdt"]
got = sorted((f["check"], f["severity"]) for f in h["findings"])
assert got == [("fdt-not-preserved", "incomplete"), ("radix-node-scratch", "incomplete"),
               ("scratch-unknown", "incomplete")], got
' "$work/out" && ok || fail "--fdt-file without --fdt: $(head -c 600 "$work/out")"
expect 1 "--fdt-file without --fdt, --strict" "$ki" verify --strict --fdt-file "$work/clean-v3-4k.dtb" "$clean"
fdt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["fdt"]["phys"])' "$work/clean-v3-4k.expect.json")
expect 0 "--fdt-file with --fdt" "$ki" verify --strict -Wno-scratch-unknown --fdt-file "$work/clean-v3-4k.dtb" --fdt "$fdt" "$clean"
expect 1 "--fdt-file with --fdt of a page not preserved" "$ki" verify --fdt-file "$work/clean-v3-4k.dtb" --fdt 0x1000 "$clean"
grep -q "ERROR (fdt-not-preserved): 0x1000" "$work/out" && ok || fail "--fdt-file --fdt 0x1000: $(cat "$work/out")"

# A memblock blob of 70 reserve-mem regions (more than the 64 once kept):
# every one is decoded and checked; the last one's page is not preserved.
{
	printf 'abi kho-v3\npage-size 16K\nram 0 64M\nscratch 0x1000000 4M\nalloc 0x3000000 16M\noutputs raw\n'
	for i in $(seq 1 70); do
		printf 'reserve-mem r%d 0x%x 0x4000\n' "$i" $((0x2000000 + i * 0x8000))
	done
	printf 'unpreserve 0x%x 0\n' $((0x2000000 + 70 * 0x8000))
} >"$work/memblock70.spec"
"$mk" -q -o "$work" "$work/memblock70.spec" || exit 1
expect 1 "memblock region 70 not preserved" "$ki" --json verify --page-size 16384 "$work/memblock70.raw"
python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["handovers"][0]
regions = [t for t in h["subtrees"] if t["name"] == "memblock"][0]["regions"]
assert len(regions) == 70 and regions[-1]["name"] == "r70", len(regions)
mine = [f for f in h["findings"] if f["check"] != "scratch-unknown"]
got = [(f["check"], f["phys"]) for f in mine]
assert got == [("blob-not-preserved", "0x2230000")] and "r70" in mine[0]["message"], got
' "$work/out" && ok || fail "memblock70: $(head -c 600 "$work/out")"

# Segment data at any file offset (makedumpfile -E, QEMU's ELF with a
# vmcoreinfo note): the same verdict as the aligned file.
"$ki" --json verify --ranges "$clean" >"$work/aligned.json" 2>/dev/null
for shift in 4 1; do
	python3 "$(dirname "$0")/unaligned.py" "$clean" "$work/unaligned.elf" $shift || exit 1
	expect 0 "segment data shifted by $shift" "$ki" --json verify --ranges "$work/unaligned.elf"
	python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda d: [{k: v for k, v in h.items()} for h in d["handovers"]]
assert strip(a) == strip(b) and a["summary"] == b["summary"]
' "$work/aligned.json" "$work/out" && ok || fail "unaligned by $shift: $(head -c 300 "$work/out")"
done
rm -f "$work/unaligned.elf"

# A kdump cut inside its page data: never a signal (libkdumpfile's mmap
# cache once raised SIGBUS); the handover before the cut is inspected.
if [ -f "$work/clean-v3-4k.kdump" ]; then
	sz=$(stat -c %s "$work/clean-v3-4k.kdump")
	head -c $((sz * 92 / 100)) "$work/clean-v3-4k.kdump" >"$work/cut.kdump"
	expect 0 "kdump cut at 92%" "$ki" verify --page-size 4096 "$work/cut.kdump"
	grep -q "INCOMPLETE (dump-truncated): 0x1" "$work/out" && ok ||
		fail "kdump cut at 92%: no dump-truncated past 4 GiB: $(cat "$work/out")"
	head -c $((sz * 6 / 10)) "$work/clean-v3-4k.kdump" >"$work/cut.kdump"
	expect 2 "kdump cut before the handover" "$ki" verify --page-size 4096 "$work/cut.kdump"
	grep -q "no KHO FDT found before the file is cut short" "$work/err" && ok ||
		fail "kdump cut at 60%: $(cat "$work/err")"
	rm -f "$work/cut.kdump"
	# makedumpfile's older signature, the same header: read as the same dump
	{ printf DISKDUMP; tail -c +9 "$work/clean-v3-4k.kdump"; } >"$work/disk.kdump"
	expect 0 "KDUMP signature" "$ki" --json verify "$work/clean-v3-4k.kdump"
	mv "$work/out" "$work/kdump.json"
	expect 0 "DISKDUMP signature" "$ki" --json verify "$work/disk.kdump"
	python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["source"]["format"] == b["source"]["format"] == "kdump", (a["source"], b["source"])
assert a["handovers"] == b["handovers"] and a["summary"] == b["summary"]
' "$work/kdump.json" "$work/out" && ok || fail "DISKDUMP reads differently: $(head -c 300 "$work/out")"
	rm -f "$work/disk.kdump"
else
	echo "SKIP: no kdump (makedumpfile is not installed)"
fi

# Commands
expect 0 "scan" "$ki" scan "$clean"
grep -q "kho-v3" "$work/out" && ok || fail "scan lists no candidate"
expect 0 "tree" "$ki" tree "$clean"
expect 0 "ranges --merge" "$ki" ranges --merge "$clean"
expect 0 "fdt" "$ki" fdt "$clean"
grep -q "preserved-memory-map = /bits/ 64 <0x" "$work/out" && ok || fail "fdt output"
if command -v dtc >/dev/null; then
	# the first document (the KHO FDT itself) is DTS that dtc compiles back
	sed '/^};$/q' "$work/out" >"$work/kho.dts"
	dtc -q -I dts -O dtb -o /dev/null "$work/kho.dts" 2>/dev/null && ok ||
		fail "fdt output is not DTS dtc accepts"
	# fdt -o DIR: one file per FDT, each compiled by dtc; together the
	# same DTS as on stdout; the names are the FDT sub-nodes the
	# generator's expect.json lists
	expect 0 "fdt -o DIR" "$ki" fdt -o "$work/dts" "$clean"
	for f in "$work"/dts/*.dts; do
		dtc -q -I dts -O dtb -o /dev/null "$f" 2>"$work/dtc.err" && ok ||
			fail "fdt -o: dtc refuses $(basename "$f"): $(cat "$work/dtc.err")"
	done
	[ "$(LC_ALL=C ls "$work/dts" | tr '\n' ' ')" = "LUO.dts fdt.dts kho_test.dts memblock.dts " ] && ok ||
		fail "fdt -o files: $(ls "$work/dts")"
	"$ki" fdt "$clean" | sort >"$work/dts.stdout"
	cat "$work"/dts/*.dts | sort | cmp -s - "$work/dts.stdout" && ok ||
		fail "fdt -o files differ from stdout"
fi
# fdt walks the structure block without recursion: a sub-blob of 80000
# nested nodes (12 bytes a level, under the 1 MiB blob limit) prints whole.
cat >"$work/deep.spec" <<'EOF'
abi kho-v3
ram 0 64M
scratch 0x1000000 4M
alloc 0x3000000 16M
outputs raw
blob deep raw 0x100000
EOF
"$mk" -q -o "$work" "$work/deep.spec" || exit 1
"$ki" --json summary "$work/deep.raw" >"$work/deep.json" 2>/dev/null
python3 - "$work/deep.json" "$work/deep.raw" 80000 <<'PY'
import json, struct, sys
doc = json.load(open(sys.argv[1]))
phys = int([t for t in doc["handovers"][0]["subtrees"] if t["name"] == "deep"][0]["phys"], 16)
levels = int(sys.argv[3])
strings = b"compatible\0"
body = struct.pack(">II", 1, 0) + struct.pack(">III", 3, 8, 0) + b"deep-v1\0"
body += struct.pack(">I4s", 1, b"a\0\0\0") * levels + struct.pack(">I", 2) * levels
body += struct.pack(">II", 2, 9)
off_struct = 40 + 16
total = off_struct + len(body) + len(strings)
hdr = struct.pack(">10I", 0xd00dfeed, total, off_struct, off_struct + len(body), 40,
                  17, 16, 0, len(strings), len(body))
with open(sys.argv[2], "r+b") as f:
    f.seek(phys)
    f.write(hdr + bytes(16) + body + strings)
PY
expect 0 "fdt of an FDT sub-blob nested 80000 deep" "$ki" fdt "$work/deep.raw"
[ "$(grep -c '^ *a {$' "$work/out")" = 80000 ] && [ "$(grep -c '^ *};$' "$work/out")" = 80003 ] &&
	ok || fail "deep fdt: not every node printed"
expect 0 "verify of the deep sub-blob" "$ki" verify "$work/deep.raw"

mkdir -p "$work/x"
expect 0 "extract" "$ki" extract -o "$work/x" "$clean"
for f in fdt.dtb opaque.bin kexec-metadata.bin scratch.bin ranges.json; do
	[ -s "$work/x/$f" ] || [ "$f" = scratch.bin ] && ok || fail "extract: no $f"
done
cmp -s "$work/x/fdt.dtb" "$work/clean-v3-4k.dtb" && ok || fail "extracted fdt.dtb differs from the generated one"
expect 2 "extract without -o" "$ki" extract "$clean"
# -o a/b/c: the missing parents are made, as mkdir -p; under a file: exit 2, said
expect 0 "extract -o with missing parents" "$ki" extract -o "$work/new/a/b" "$clean"
[ -s "$work/new/a/b/fdt.dtb" ] && ok || fail "extract -o a/b/c: no fdt.dtb"
: >"$work/plain"
expect 2 "extract -o under a file" "$ki" extract -o "$work/plain/x" "$clean"
grep -qx "kho-inspect: $work/plain/x: cannot create $work/plain: File exists" "$work/err" ||
	grep -qx "kho-inspect: $work/plain/x: Not a directory" "$work/err" && ok ||
	fail "extract -o under a file: $(cat "$work/err")"
one_line_err "extract -o under a file"

# diff: the same map from two formats, then one with a blob unpreserved
"$mk" -q -o "$work" "$specs/defect-blob-not-preserved.spec" || exit 1
expect 0 "diff of the same map" "$ki" diff "$clean" "$work/clean-v3-4k.raw"
grep -q "same: yes" "$work/out" && ok || fail "diff same: $(cat "$work/out")"
expect 1 "diff of different maps" "$ki" diff "$clean" "$work/defect-blob-not-preserved.elf"
grep -qx -- "-0x3fce000 order 1 x1 (0x2000 bytes)" "$work/out" && ! grep -q "^+0x" "$work/out" &&
	head -2 "$work/out" | grep -q "^+++ B: " && ok || fail "diff: no key lines in diff -u style: $(head -5 "$work/out")"
expect 1 "diff --json" "$ki" --json diff "$work/defect-blob-not-preserved.elf" "$clean"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["only_in_a"] and len(d["only_in_b"]) == 1' "$work/out" && ok || fail "diff JSON"
# diff compares keys: one order-9 folio is not 512 order-0 keys, though the
# memory is the same (then it is listed under granularity).
data=$(dirname "$0")/data
"$mk" -q -o "$work" "$data/diff-a.spec" "$data/diff-b.spec" || exit 1
expect 1 "diff of keys" "$ki" --json diff "$work/diff-a.raw" "$work/diff-b.raw"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
keys = lambda side: [(int(k["phys"], 16), k["order"], k["count"]) for k in d[side]]
assert keys("only_in_a") == [(0x400000, 9, 1), (0x800000, 0, 1), (0xa00000, 0, 1), (0xb00000, 2, 1)], keys("only_in_a")
assert keys("only_in_b") == [(0x400000, 0, 512), (0x900000, 1, 1), (0xa04000, 0, 1), (0xb00000, 0, 2)], keys("only_in_b")
g = [(int(x["phys"], 16), int(x["size"], 16)) for x in d["granularity"]]
assert g == [(0x400000, 0x200000), (0xb00000, 0x2000)], g
s = d["summary"]
assert (s["keys_only_in_a"], s["keys_only_in_b"], s["only_in_a"], s["only_in_b"], s["same"]) == (4, 516, "0x4000", "0x3000", False), s
' "$work/out" && ok || fail "diff of keys: $(head -c 800 "$work/out")"
# diff compares the FDTs too: a blob grown, one added
printf 'abi kho-v3\nram 0 64M\nscratch 0x1000000 4M\nalloc 0x3000000 16M\noutputs raw\nfolio 0x400000 0\nblob opaque raw 0x2000\n' >"$work/fdt-a.spec"
sed 's/^blob opaque raw 0x2000$/blob opaque raw 0x3000\nblob extra raw 0x1000/' "$work/fdt-a.spec" >"$work/fdt-b.spec"
"$mk" -q -o "$work" "$work/fdt-a.spec" "$work/fdt-b.spec" || exit 1
expect 1 "diff of FDTs" "$ki" diff "$work/fdt-a.raw" "$work/fdt-b.raw"
grep -A3 "^@@ KHO FDT @@" "$work/out" | grep -q "^-sub-node    opaque .* +0x2000$" &&
	grep -A3 "^@@ KHO FDT @@" "$work/out" | grep -q "^+sub-node    opaque .* +0x3000$" &&
	grep -q "^+sub-node    extra " "$work/out" && ok || fail "diff of FDTs: $(cat "$work/out")"
expect 1 "diff of FDTs, JSON" "$ki" --json diff "$work/fdt-a.raw" "$work/fdt-b.raw"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = {x["name"]: (x["a"] and x["a"]["size"], x["b"] and x["b"]["size"]) for x in d["fdt"]["subnodes"]}
assert got == {"opaque": ("0x2000", "0x3000"), "extra": (None, "0x1000")}, got
assert d["summary"]["fdt_differences"] == 2 and not d["summary"]["same"], d["summary"]
' "$work/out" && ok || fail "diff of FDTs, JSON: $(head -c 600 "$work/out")"
expect 0 "diff of a dump with itself" "$ki" diff "$work/diff-a.raw" "$work/diff-a.raw"
grep -q "same: yes" "$work/out" && ok || fail "diff with itself: $(cat "$work/out")"
expect 2 "diff with one dump" "$ki" diff "$clean"
expect 2 "diff with a missing dump" "$ki" diff "$clean" "$work/none.elf"

# diff of LUO state: a session, a file and a memfd's size that differ
cat > "$work/luo-a.spec" <<'SPEC'
abi kho-v4
ram 0 64M
scratch 0x1000000 4M
alloc 0x2000000 16M
luo v5 1
luo-session a
luo-session gone
luo-memfd a 1 0x4000
luo-folio a 1 0 0
luo-memfd a 2 0x2000
SPEC
sed 's/luo-session gone/luo-session new/; s/luo-memfd a 1 0x4000/luo-memfd a 1 0x8000/; /luo-memfd a 2/d' \
	"$work/luo-a.spec" >"$work/luo-b.spec"
"$mk" -q -o "$work" "$work/luo-a.spec" "$work/luo-b.spec" || exit 1
expect 1 "diff of LUO state" "$ki" --json diff "$work/luo-a.elf" "$work/luo-b.elf"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = sorted((x.get("only_in") or x.get("changed"), x["session"], x.get("token")) for x in d["luo"])
assert got == [("a", "a", "0x2"), ("a", "gone", None), ("b", "new", None), ("file", "a", "0x1")], got
assert d["summary"]["luo_differences"] == 4 and not d["summary"]["same"], d["summary"]
' "$work/out" && ok || fail "diff of LUO state: $(head -c 800 "$work/out")"
expect 0 "luo of a live update" "$ki" luo "$work/luo-a.elf"
grep -q 'session    "gone"' "$work/out" && ok || fail "luo: $(cat "$work/out")"
# whatis: the page of a folio is the key that preserves it and that folio
folio=$(sed -n 's/.*folio 0 at \(0x[0-9a-f]*\),.*/\1/p' "$work/out" | head -1)
expect 0 "whatis a folio" "$ki" whatis "$folio" "$work/luo-a.elf"
grep -q "preserved .*(order 0)" "$work/out" && grep -q "LUO folio .*folio 0 of memfd 0x1 (session \"a\"), file page 0x0" "$work/out" &&
	ok || fail "whatis: $(cat "$work/out")"
expect 2 "whatis without an address" "$ki" whatis "$work/luo-a.elf"

# listings for pipes: --no-headings prints the rows only; text ranges go by
# address, JSON ones in tree order (as expect.json lists them)
"$ki" --json ranges "$clean" >"$work/ranges.json"
expect 0 "ranges --no-headings" "$ki" ranges --no-headings "$clean"
python3 - "$work/out" "$work/ranges.json" <<'PY' && ok || fail "ranges --no-headings: $(head -5 "$work/out")"
import json, sys
rows = [l.split()[:3] for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))["handovers"][0]["ranges"]
assert rows == sorted(([r["phys"], str(r["order"]), r["size"]] for r in want),
                      key=lambda r: (int(r[0], 16), -int(r[1]))), rows[:3]
assert [r["phys"] for r in want] != sorted((r["phys"] for r in want), key=lambda p: int(p, 16))
PY
# each range names what owns it, as the generator placed it: the FDT page,
# every sub-blob, the reserve-mem region
python3 - "$work/ranges.json" "${clean%.elf}.expect.json" <<'PY' && ok || fail "range owners"
import json, sys
got = json.load(open(sys.argv[1]))["handovers"][0]["ranges"]
want = json.load(open(sys.argv[2]))["handovers"][0]
owner = {int(r["phys"], 16): r.get("owner", "") for r in got}
page = lambda p: int(p, 16) & ~0xfff
assert owner[page(want["fdt"]["phys"])] == "FDT page", owner[page(want["fdt"]["phys"])]
for t in want["subtrees"]:
    assert f"sub-blob {t['name']}" in owner[page(t["phys"])], (t, owner[page(t["phys"])])
assert owner[0xc00000] == "reserve-mem trace", owner[0xc00000]
assert any(o.startswith("vmalloc chunk of kho_test") for o in owner.values()), owner
assert any(o == "vmalloc run of kho_test" for o in owner.values()), owner
PY
"$ki" ranges --no-headings "$clean" | grep -q "^0xc00000 .* reserve-mem trace$" && ok ||
	fail "text range owner"
expect 0 "ranges --sort tree" "$ki" ranges --sort tree --no-headings "$clean"
python3 -c 'import json,sys; rows=[l.split()[0] for l in open(sys.argv[1])]; assert rows == [r["phys"] for r in json.load(open(sys.argv[2]))["handovers"][0]["ranges"]]' \
	"$work/out" "$work/ranges.json" && ok || fail "--sort tree: $(head -3 "$work/out")"
expect 0 "ranges --merge --no-headings" "$ki" ranges --merge --no-headings "$clean"
python3 -c 'import sys; r=[[int(x, 16) for x in l.split()[:3]] for l in open(sys.argv[1])]; assert r and all(e - s == n for s, e, n in r)' \
	"$work/out" && ok || fail "merged rows: END must be START + SIZE (exclusive): $(head -3 "$work/out")"
expect 0 "scan --no-headings" "$ki" scan --no-headings "$clean"
[ "$(wc -l <"$work/out")" = 1 ] && grep -q "^0x[0-9a-f]* .* kho-v3 " "$work/out" && ok ||
	fail "scan --no-headings: $(cat "$work/out")"
expect 0 "tree --no-headings" "$ki" tree --no-headings "$clean"
head -1 "$work/out" | grep -q "^depth " && ok || fail "tree --no-headings: $(head -2 "$work/out")"
expect 2 "--no-headings where there is no listing" "$ki" verify --no-headings "$clean"

# verify --expect: a verdict against a golden expectation (FileCheck style)
overlap=$work/defect-range-overlap
expect 0 "--expect of its own expectation" "$ki" verify --expect "$overlap.expect.json" "$overlap.elf"
tail -1 "$work/out" | grep -q "the verdict matches" && grep -q "generator.args: --scratch-array" "$work/out" &&
	ok || fail "--expect match: $(cat "$work/out")"
args=$(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["generator"]["args"]))' "$overlap.expect.json")
# shellcheck disable=SC2086
expect 0 "--expect with the generator's args given again" "$ki" verify $args --expect "$overlap.expect.json" "$overlap.elf"
expect 1 "--expect of another image's" "$ki" verify --expect "${clean%.elf}.expect.json" "$overlap.elf"
grep -q "^+ handovers\[0\].findings: range-overlap error at 0x" "$work/out" &&
	grep -q "^  summary.error: expected 0, found " "$work/out" &&
	grep -q "^+ handovers\[0\].ranges: 0x[0-9a-f]* order [0-9]" "$work/out" &&
	ok || fail "--expect differences: $(cat "$work/out")"
expect 1 "--expect, the other way round" "$ki" verify --expect "$overlap.expect.json" "$clean"
grep -q "^- handovers\[0\].findings: range-overlap error at 0x" "$work/out" && ok ||
	fail "--expect missing finding: $(cat "$work/out")"
expect 1 "--expect under --json" "$ki" --json verify --expect "${clean%.elf}.expect.json" "$overlap.elf"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["expect"]; assert not e["match"] and any(d["path"] == "handovers[0].findings" and d["expected"] is None and d["found"]["check"] == "range-overlap" for d in e["differences"]), e' "$work/out" &&
	ok || fail "--expect JSON: $(cat "$work/out")"
expect 2 "--expect of a file that is no JSON" "$ki" verify --expect "$specs/demo.spec" "$clean"
grep -q "demo.spec: line 1: " "$work/err" && ok || fail "--expect bad file: $(cat "$work/err")"
expect 2 "--expect with summary" "$ki" summary --expect "${clean%.elf}.expect.json" "$clean"

# The first hour (issue 16): checks explained, typos named, sizes detected.
expect 0 "--list-checks" "$ki" --list-checks
grep -q "^luo-not-preserved  *error" "$work/out" && ok || fail "--list-checks: $(head -3 "$work/out")"
expect 0 "--explain" "$ki" --explain range-overlap
grep -q "Why it matters" "$work/out" && ok || fail "--explain: $(cat "$work/out")"
expect 2 "--explain of a typo" "$ki" --explain range-overlaps
grep -q "did you mean range-overlap?" "$work/err" && ok || fail "did-you-mean: $(cat "$work/err")"
expect 2 "a command typo" "$ki" verfy "$clean"
grep -q "did you mean verify?" "$work/err" && ok || fail "command typo: $(cat "$work/err")"
expect 2 "fdt --json is refused" "$ki" --json fdt "$clean"
"$mk" -q --only raw -o "$work" "$specs/clean-v3-16k.spec" || exit 1
expect 0 "a 16 KiB raw image without --page-size" "$ki" summary "$work/clean-v3-16k.raw"
grep -q "16384-byte pages (detected)" "$work/out" && ok || fail "page size: $(head -1 "$work/out")"
expect 0 "--page-size 16K" "$ki" --page-size 16K summary "$work/clean-v3-16k.raw"
# never a guessed clean: a raw image whose handover reads at no page size
# stops and asks; a kho-v1 one that reads at several asks too
"$mk" -q --only raw -o "$work" "$specs/defect-radix-pointer.spec" "$specs/clean-v1-page-16k.spec" ||
	exit 1
expect 2 "a broken raw image without --page-size" "$ki" verify "$work/defect-radix-pointer.raw"
grep -q "give --page-size" "$work/err" && ok || fail "no page size: $(cat "$work/err")"
expect 2 "an ambiguous raw image without --page-size" "$ki" verify "$work/clean-v1-page-16k.raw"
grep -q "4096 and 16384" "$work/err" && ok || fail "ambiguous page size: $(cat "$work/err")"
expect 2 "--page-size 16X" "$ki" --page-size 16X summary "$work/clean-v3-16k.raw"
# a raw image no page size reads cleanly: what each size gives, so the
# user can choose; a root outside the image suggests a forgotten --raw-base
"$mk" -q --only raw -o "$work" "$specs/defect-radix-pointer.spec" || exit 1
expect 2 "raw, no page size reads it cleanly" "$ki" verify "$work/defect-radix-pointer.raw"
grep -q "(4 KiB: FDT and tree read, 1 structural error (radix-pointer); 16 KiB: no KHO FDT; 64 KiB: no KHO FDT): give --page-size 4K\$" "$work/err" &&
	! grep -q -- "--raw-base" "$work/err" && ok || fail "per-size reading: $(cat "$work/err")"
printf 'abi kho-v4\npage-size 4K\nram 0x40000000 64M\nfolio 0x40200000 0\noutputs raw\n' >"$work/high.spec"
"$mk" -q --raw-base 0x40000000 -o "$work" "$work/high.spec" || exit 1
expect 2 "raw without its --raw-base" "$ki" verify "$work/high.raw"
grep -q "4 KiB: FDT read, tree unreadable; .*if its byte 0 is not physical address 0, give --raw-base" "$work/err" &&
	ok || fail "--raw-base hint: $(cat "$work/err")"
expect 0 "raw with its --raw-base" "$ki" --raw-base 0x40000000 verify "$work/high.raw"
# --page-size against what the dump records: obeyed, and said
"$mk" -q --only elf -o "$work" "$specs/clean-v4-16k.spec" || exit 1
"$ki" --page-size 4K verify "$work/clean-v4-16k.elf" >"$work/out" 2>"$work/err"
grep -qx "kho-inspect: $work/clean-v4-16k.elf: warning: --page-size 4096 overrides the 16384-byte pages the dump records" "$work/err" &&
	ok || fail "--page-size override: $(cat "$work/err")"
"$ki" --page-size 16K verify "$work/clean-v4-16k.elf" >"$work/out" 2>"$work/err"
[ ! -s "$work/err" ] && ok || fail "--page-size agreeing with the dump warns: $(cat "$work/err")"

echo "inspect-cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
