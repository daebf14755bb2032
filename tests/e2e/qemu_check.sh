#!/bin/sh
# kho-qemu-check against a real QEMU: a bare multiboot guest (data/guest.S)
# with two generated images planted by -device loader. At KHO-STAGE-1 the
# guest holds image A; then it copies image B over A and prints
# KHO-STAGE-2. Each stage's verdict must be kho-inspect's on that raw
# image; --diff must be kho-inspect diff of the two; a marker that never
# comes ends with exit 2 within the timeout; QEMU is never left running
# and nothing is left in TMPDIR.
#   qemu_check.sh KHO_MKIMAGE KHO_INSPECT KHO_QEMU_CHECK DATADIR WORKDIR
mk=$1 ki=$2 qc=$3 data=$4 work=$5
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
for t in qemu-system-x86_64 cpp as ld; do
	command -v $t >/dev/null || { echo "SKIP: $t is not installed (scripts/bootstrap installs QEMU and binutils)"; exit 0; }
done
rm -rf "$work" && mkdir -p "$work/tmp"
cat >"$work/a.spec" <<'SPEC'
abi kho-v3
ram 0x4000000 16M
raw-base 0x4000000
scratch 0x4800000 1M
alloc 0x4c00000 4M
outputs raw
folio 0x4000000 4
pages 0x4100 50
blob opaque raw 0x2000
SPEC
sed 's/^pages 0x4100 50$/pages 0x4200 9\nfolio 0x4400000 9/' "$work/a.spec" >"$work/b.spec"
"$mk" -q -o "$work" "$work/a.spec" "$work/b.spec" || exit 1
fdt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["fdt"]["phys"])' "$work/a.expect.json")
# B is planted at 32 MiB: QEMU's multiboot loader writes below 112 MiB's top
cpp -P -DSRC=0x2000000 -DDST=0x4000000 -DLEN=0x1000000 "$data/guest.S" >"$work/guest.s" &&
	as --32 "$work/guest.s" -o "$work/guest.o" &&
	ld -m elf_i386 -Ttext=0x100000 -o "$work/guest.elf" "$work/guest.o" || { echo "FAIL: building the guest"; exit 1; }
name=kho-qemu-check-test-$$
qemu() {
	echo qemu-system-x86_64 -name "$name" -display none -m 128M -kernel "$work/guest.elf" \
		-device "loader,file=$work/a.raw,addr=0x4000000,force-raw=on" \
		-device "loader,file=$work/b.raw,addr=0x2000000,force-raw=on" "$@"
}
export TMPDIR="$work/tmp"
leftovers() {
	pgrep -f "$name" >/dev/null && fail "$1: QEMU is still running"
	[ -z "$(ls -A "$work/tmp")" ] || fail "$1: left in TMPDIR: $(ls -A "$work/tmp")"
}
# each image's own verdict, from kho-inspect on the raw file
for i in a b; do
	"$ki" --json --raw-base 0x4000000 --fdt "$fdt" verify --ranges "$work/$i.raw" >"$work/$i.want"
done
"$ki" --json --raw-base 0x4000000 --fdt "$fdt" diff "$work/a.raw" "$work/b.raw" >"$work/diff.want"

# shellcheck disable=SC2046
"$qc" --json --diff --at KHO-STAGE-1 --at 'KHO-STAGE-[2]' --timeout 60 -I --fdt -I "$fdt" \
	-I --ranges -- $(qemu) >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work" "$rc" <<'PY' && ok || fail "two stages and --diff: $(head -c 600 "$work/err")"
import json, sys
w, rc = sys.argv[1], int(sys.argv[2])
d = json.load(open(f"{w}/out"))
assert d["schema"] == 1 and len(d["stages"]) == 2 and len(d["diffs"]) == 1, d.keys()
def verdict(doc):
    h = doc["handovers"][0]
    return (h["fdt"]["phys"], h["fdt"]["compatible"],
            [(r["phys"], r["order"]) for r in h["ranges"]],
            [(f["check"], f["severity"], f["phys"]) for f in h["findings"]])
for stage, img in zip(d["stages"], "ab"):
    want = json.load(open(f"{w}/{img}.want"))
    assert verdict(stage["document"]) == verdict(want), (img, verdict(stage["document"]))
assert [s["at"] for s in d["stages"]] == ["KHO-STAGE-1", "KHO-STAGE-[2]"]
want = json.load(open(f"{w}/diff.want"))["summary"]
got = d["diffs"][0]["document"]["summary"]
for k in ("keys_only_in_a", "keys_only_in_b", "fdt_differences", "same"):
    assert got[k] == want[k], (k, got, want)
assert not want["same"] and rc == 0, rc     # differences are reported, not failed
PY
leftovers "two stages"

# guest RAM in a shared memory-backend-file: read in place (no dump), and
# the same documents as through dump-guest-memory
truncate -s 128M "$work/ram.bin"
for m in auto dump; do
	# shellcheck disable=SC2046
	"$qc" --memory $m --json --diff --at KHO-STAGE-1 --at KHO-STAGE-2 -I --fdt -I "$fdt" \
		-I --ranges -- $(qemu -object "memory-backend-file,id=ram0,size=128M,mem-path=$work/ram.bin,share=on" \
		-machine memory-backend=ram0) >"$work/$m.json" 2>"$work/err"
	echo $? >"$work/$m.rc"
done
python3 - "$work" <<'PY' && ok || fail "shared memory file: $(head -c 600 "$work/err")"
import json, sys
w = sys.argv[1]
f, d = (json.load(open(f"{w}/{m}.json")) for m in ("auto", "dump"))
assert [s["memory"] for s in f["stages"]] == ["file", "file"], f["stages"]
assert [s["memory"] for s in d["stages"]] == ["dump", "dump"], d["stages"]
for x, y in zip(f["stages"], d["stages"]):
    assert x["document"]["handovers"] == y["document"]["handovers"]
    assert x["document"]["source"]["format"] == "raw" and y["document"]["source"]["format"] == "elf"
assert f["diffs"][0]["document"]["summary"] == d["diffs"][0]["document"]["summary"]
assert open(f"{w}/auto.rc").read() == open(f"{w}/dump.rc").read() == "0\n"
PY
leftovers "shared memory file"
# shellcheck disable=SC2046
"$qc" --memory file -- $(qemu -S) >"$work/out" 2>"$work/err"
[ $? = 2 ] && grep -q "no -object memory-backend-file" "$work/err" && ok ||
	fail "--memory file without a backend: $(cat "$work/err")"

# no --at: one check at once, of a guest started with -S
# shellcheck disable=SC2046
"$qc" -I --fdt -I "$fdt" -I --ranges --json -- $(qemu -S) >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work" "$rc" <<'PY' && ok || fail "no --at: $(head -c 600 "$work/err")"
import json, sys
w, rc = sys.argv[1], int(sys.argv[2])
d = json.load(open(f"{w}/out"))
want = json.load(open(f"{w}/a.want"))
got = d["stages"][0]["document"]["handovers"][0]
assert len(d["stages"]) == 1 and d["stages"][0]["at"] is None and d["diffs"] == []
assert got["ranges"] == want["handovers"][0]["ranges"] and rc == 0, rc
PY
leftovers "no --at"

# a stage whose verdict has an error: exit 1, as kho-inspect verify
# shellcheck disable=SC2046
"$qc" -I --fdt -I "$fdt" -I -E -I scratch-unknown -- $(qemu -S) >"$work/out" 2>"$work/err"
[ $? = 1 ] && grep -q "error (scratch-unknown)" "$work/out" && ok ||
	fail "an error in a stage: $(cat "$work/out" "$work/err")"
leftovers "error stage"

# text output names each stage
# shellcheck disable=SC2046
"$qc" --at KHO-STAGE-1 -I --fdt -I "$fdt" -- $(qemu) >"$work/out" 2>"$work/err"
[ $? = 0 ] && grep -q "^stage 1 at \"KHO-STAGE-1\": KHO FDT $fdt (kho-v3), 6 keys; 0 errors" "$work/out" &&
	ok || fail "text: $(cat "$work/out" "$work/err")"
leftovers "text"

# -V is the version, not the help
"$qc" -V >"$work/out" 2>"$work/err"
[ $? = 0 ] && grep -qx "kho-qemu-check [0-9][0-9.]*" "$work/out" && ok || fail "-V: $(cat "$work/out")"

# a marker that never comes: exit 2, one line, within the timeout (which
# also bounds QEMU's start: 8 s, as a loaded 2-core machine took over 3 s)
start=$(date +%s)
# shellcheck disable=SC2046
"$qc" --at NEVER-PRINTED --timeout 8 -- $(qemu) >"$work/out" 2>"$work/err"
rc=$? took=$(($(date +%s) - start))
# one line that says why, then the console's last lines, escaped
[ $rc = 2 ] && [ "$took" -lt 30 ] &&
	head -n 1 "$work/err" | grep -q 'stage 1: "NEVER-PRINTED" did not appear on the serial console within 8 s' &&
	sed -n 2p "$work/err" | grep -q "the console's last lines (--console FILE keeps all):" &&
	grep -q '^  | KHO-STAGE-[12]$' "$work/err" &&
	ok || fail "timeout: exit $rc after ${took}s: $(cat "$work/err")"
leftovers "timeout"

# --console keeps the whole log; --keep creates its directory and keeps it too
# shellcheck disable=SC2046
# (-I takes one quoted string of several words too)
"$qc" --at KHO-STAGE-2 --timeout 60 -I "--fdt $fdt" --console "$work/console.log" \
	--keep "$work/new/kept" -- $(qemu) >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 0 ] && grep -q '^KHO-STAGE-1' "$work/console.log" && grep -q '^KHO-STAGE-2' "$work/console.log" &&
	cmp -s "$work/console.log" "$work/new/kept/console.log" && [ -f "$work/new/kept/stage-1.elf" ] &&
	ok || fail "--console/--keep: exit $rc: $(cat "$work/err")"
leftovers "console"
# --keep that cannot be a directory: exit 2 before QEMU starts
: >"$work/file"
# shellcheck disable=SC2046
"$qc" --at X --keep "$work/file/sub" -- $(qemu) >"$work/out" 2>"$work/err"
[ $? = 2 ] && grep -q -- "--keep $work/file/sub: Not a directory" "$work/err" && ok ||
	fail "--keep under a file: $(cat "$work/err")"

# QEMU that cannot start, and one that exits at once
"$qc" -- /nonexistent/qemu >"$work/out" 2>"$work/err"
[ $? = 2 ] && grep -q "nonexistent/qemu" "$work/err" && ok || fail "bad QEMU: $(cat "$work/err")"
"$qc" --at X --timeout 20 -- qemu-system-x86_64 -no-such-option >"$work/out" 2>"$work/err"
[ $? = 2 ] && grep -q "kho-qemu-check: .*QEMU exited" "$work/err" && ok ||
	fail "QEMU exiting: $(cat "$work/err")"
leftovers "bad QEMU"

# The first hour, as a new user typed it (issue 26, second report).
# -I is one argument, spaces and all: a path with a space, as two -I and
# as --opt=VALUE; kho-inspect's options directly; the old "--opt VALUE"
# string still works. Each must read the FDT through the dtb (and so
# know the scratch area: its 1 MiB is not aligned, the one warning).
mkdir -p "$work/sp ace"
sed 's/^outputs raw$/outputs raw boot-dtb/' "$work/a.spec" >"$work/sp ace/a.spec"
"$mk" -q --only boot-dtb -o "$work/sp ace" "$work/sp ace/a.spec" || fail "boot-dtb"
for how in 'two' 'equals' 'direct' 'string'; do
	case $how in
	two) set -- -I --dtb -I "$work/sp ace/a.boot.dtb" ;;
	equals) set -- -I "--dtb=$work/sp ace/a.boot.dtb" ;;
	direct) set -- --dtb "$work/sp ace/a.boot.dtb" ;;
	string) set -- -I "--dtb $work/sp ace/a.boot.dtb" ;;
	esac
	# shellcheck disable=SC2046
	"$qc" "$@" -- $(qemu -S) >"$work/out" 2>"$work/err"
	rc=$?
	[ $rc = 0 ] && grep -q "^stage 1: KHO FDT $fdt (kho-v3), 6 keys; 0 errors, 1 warning, 0 notes" "$work/out" &&
		[ ! -s "$work/err" ] && ok || fail "-I with a space ($how): exit $rc: $(cat "$work/out" "$work/err")"
done
leftovers "-I with a space"
# kho-inspect refusing its arguments: the error names -I and the stage as
# the user counts it, never a temporary file
# shellcheck disable=SC2046
"$qc" -I --no-such-inspect-option -- $(qemu -S) >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 2 ] && grep -q "^kho-qemu-check: stage 1: kho-inspect refused its arguments (-I, one argument each: '--no-such-inspect-option'): " "$work/err" &&
	! grep -q "kho-qemu-check\.\|stage-0" "$work/out" "$work/err" && ok ||
	fail "-I refused: exit $rc: $(cat "$work/out" "$work/err")"
# the help and the manual say one -I is one argument
"$qc" --help | grep -q "one argument for kho-inspect" && ! "$qc" --help | grep -q "split at" && ok ||
	fail "--help on -I: $("$qc" --help | grep -A2 -- '-I,')"

# --json prints a document whenever it exits 2: the artifact CI keeps
start=$(date +%s)
# shellcheck disable=SC2046
"$qc" --json --timeout 8 --at NEVER -- $(qemu) >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work/out" "$rc" timeout 'stage 1: "NEVER" did not appear' <<'PY' && ok || fail "--json timeout: $(cat "$work/out" "$work/err")"
import json, sys
d = json.load(open(sys.argv[1]))
assert int(sys.argv[2]) == 2 and d["schema"] == 1 and d["kind"] == sys.argv[3], d
assert d["error"].startswith(sys.argv[4]) and d["stages"] == [], d
PY
"$qc" --json -- /bin/false >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work/out" "$rc" qemu 'QEMU exited' <<'PY' && ok || fail "--json QEMU exits: $(cat "$work/out" "$work/err")"
import json, sys
d = json.load(open(sys.argv[1]))
assert int(sys.argv[2]) == 2 and d["kind"] == sys.argv[3] and d["error"].startswith(sys.argv[4]), d
PY
"$qc" --json --bogus -- /bin/false >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work/out" "$rc" usage 'unknown option --bogus' <<'PY' && ok || fail "--json --bogus: $(cat "$work/out" "$work/err")"
import json, sys
d = json.load(open(sys.argv[1]))
assert int(sys.argv[2]) == 2 and d["kind"] == sys.argv[3] and d["error"].startswith(sys.argv[4]), d
PY
# a stage kho-inspect cannot read: its kind, and the stage's document
# shellcheck disable=SC2046
"$qc" --json -I --raw-base -I 0x1000 -I -F -I raw -- $(qemu -S) >"$work/out" 2>"$work/err"
rc=$?
python3 - "$work/out" "$rc" <<'PY' && ok || fail "--json stage error: $(cat "$work/out" "$work/err")"
import json, sys
d = json.load(open(sys.argv[1]))
assert int(sys.argv[2]) == 2 and d["kind"] in ("no-handover", "format"), d
assert d["error"].startswith("stage 1: could not inspect: stage-1.raw") or \
    d["error"].startswith("stage 1: could not inspect: stage-1.elf"), d
assert d["stages"][0]["document"]["kind"] == d["kind"], d
PY
leftovers "--json errors"

# a bad option: one line naming it, pointing at --help
"$qc" --bogus >"$work/out" 2>"$work/err"
[ $? = 2 ] && [ "$(cat "$work/err")" = "kho-qemu-check: unknown option --bogus (kho-qemu-check --help lists the options)" ] &&
	[ ! -s "$work/out" ] && ok || fail "--bogus: $(cat "$work/err")"

# the stage line names the console line --at matched, not the regex
# shellcheck disable=SC2046
"$qc" --at 'KHO-STAGE-[12]' -I --fdt -I "$fdt" -- $(qemu) >"$work/out" 2>"$work/err"
[ $? = 0 ] && grep -q '^stage 1 at "KHO-STAGE-1": ' "$work/out" && ! grep -q '\[12\]' "$work/out" && ok ||
	fail "matched line: $(cat "$work/out" "$work/err")"
# counts and what is printed agree, in the singular too: the error line
# below is the one error counted
# shellcheck disable=SC2046
"$qc" -I --fdt -I "$fdt" -I -E -I scratch-unknown -- $(qemu -S) >"$work/out" 2>"$work/err"
[ $? = 1 ] && grep -q "; 1 error, 0 warnings, 0 notes, 0 incomplete$" "$work/out" &&
	[ "$(grep -c '^  error ' "$work/out")" = 1 ] && ok || fail "singular: $(cat "$work/out" "$work/err")"
leftovers "console line"

# --console where it cannot be written: exit 2 before booting; a missing
# directory is made, as --keep's
# shellcheck disable=SC2046
"$qc" --console "$work/file/c.log" --at KHO-STAGE-1 -- $(qemu) >"$work/out" 2>"$work/err"
[ $? = 2 ] && [ "$(cat "$work/err")" = "kho-qemu-check: --console $work/file/c.log: Not a directory" ] && ok ||
	fail "--console under a file: $(cat "$work/err")"
# shellcheck disable=SC2046
"$qc" --console "$work/made/dir/c.log" --at KHO-STAGE-1 -I --fdt -I "$fdt" -- $(qemu) >"$work/out" 2>"$work/err"
[ $? = 0 ] && grep -q '^KHO-STAGE-1' "$work/made/dir/c.log" && ok ||
	fail "--console in a new directory: $(cat "$work/err")"
# a console that printed nothing says so, not a bare "  | "
# shellcheck disable=SC2046
"$qc" --at NEVER --timeout 8 -- $(qemu -S) >"$work/out" 2>"$work/err"
[ $? = 2 ] && sed -n 2p "$work/err" | grep -qx "kho-qemu-check: the console printed nothing" &&
	! grep -q '^  | *$' "$work/err" && ok || fail "empty console: $(cat "$work/err")"
leftovers "--console"

echo "qemu-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
