#!/bin/sh
# scripts/kho-boot-qemu: the command lines that hand a kernel one of our
# golden images, checked for what can be checked without a KHO kernel:
# QEMU starts with them, the device tree it is given names the FDT and the
# scratch array at the planted addresses (fdtget against the spec's
# boot DTB), and the planted memory in the guest verifies, found through
# that device tree, exactly as the raw image does (a clean spec and a
# defect spec).
#   boot_qemu.sh KHO_MKIMAGE KHO_INSPECT KHO_QEMU_CHECK DATADIR WORKDIR
mk=$1 ki=$2 qc=$3 data=$4 work=$5
top=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
for t in qemu-system-aarch64 fdtput fdtget; do
	command -v $t >/dev/null || { echo "SKIP: $t is not installed (scripts/bootstrap installs qemu-system-arm and device-tree-compiler)"; exit 0; }
done
rm -rf "$work" && mkdir -p "$work"
cp "$data/boot-arm64.spec" "$work/clean.spec"
sed 's/^blob kho_test.*/&\ndefect range-overlap/' "$data/boot-arm64.spec" >"$work/defect.spec"
export KHO_MKIMAGE="$mk" TMPDIR="$work"
for s in clean defect; do
	"$top/scripts/kho-boot-qemu" "$work/$s.spec" "$work/$s" >"$work/$s.cmds" 2>"$work/err" ||
		{ fail "$s: kho-boot-qemu: $(cat "$work/err")"; continue; }
	head -n 3 "$work/$s.cmds" | sh >/dev/null 2>"$work/err" || { fail "$s: dumpdtb/fdtput: $(cat "$work/err")"; continue; }
	for p in linux,kho-fdt linux,kho-scratch; do
		[ "$(fdtget -t x "$work/$s/$s.virt.dtb" /chosen $p)" = \
		  "$(fdtget -t x "$work/$s/$s.boot.dtb" /chosen $p)" ] && ok ||
			fail "$s: /chosen $p differs from the spec's boot DTB"
	done
	dtb=$work/$s/$s.virt.dtb
	"$ki" --json --raw-base 0x48000000 --dtb "$dtb" verify --ranges "$work/$s/$s.raw" >"$work/want" 2>/dev/null
	want_rc=$?
	# shellcheck disable=SC2046
	"$qc" --json -I --dtb -I "$dtb" -I --ranges -- $(tail -n 1 "$work/$s.cmds") >"$work/out" 2>"$work/err"
	rc=$?
	python3 - "$work" "$rc" "$want_rc" "$s" <<'PY' && ok || fail "$s: guest verdict: $(head -c 400 "$work/err")"
import json, sys
w, rc, want_rc, spec = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
got = json.load(open(f"{w}/out"))["stages"][0]["document"]
want = json.load(open(f"{w}/want"))
pick = lambda d: [(h["fdt"]["phys"], h["fdt"]["found_by"], [(r["phys"], r["order"]) for r in h["ranges"]],
                   sorted((f["check"], f["severity"], f["phys"]) for f in h["findings"]))
                  for h in d["handovers"]]
assert pick(got) == pick(want), (pick(got), pick(want))
assert got["handovers"][0]["fdt"]["found_by"] == "--dtb"
assert rc == want_rc == (1 if spec == "defect" else 0), (rc, want_rc)
checks = {f["check"] for f in got["handovers"][0]["findings"]}
assert ("range-overlap" in checks) == (spec == "defect"), checks
PY
done
# 16K pages imply arch aarch64 (kho-spec(5)): such a spec needs no arch line;
# an x86_64 spec is refused, saying why
sed 's/^arch aarch64$/page-size 16K/' "$data/boot-arm64.spec" >"$work/p16.spec"
"$top/scripts/kho-boot-qemu" "$work/p16.spec" "$work/p16" >"$work/p16.cmds" 2>"$work/err" &&
	grep -q "^qemu-system-aarch64 .* -S " "$work/p16.cmds" && ok ||
	fail "page-size 16K spec: $(cat "$work/err")"
grep -v '^arch ' "$data/boot-arm64.spec" >"$work/x86.spec"
"$top/scripts/kho-boot-qemu" "$work/x86.spec" "$work/x86" >"$work/x86.cmds" 2>"$work/err"
[ $? = 2 ] && grep -q "an x86_64 spec: QEMU's arm64 virt only" "$work/err" && ok ||
	fail "x86_64 spec: $(cat "$work/err")"
[ "$(ls "$work" | grep -c kho-qemu-check)" = 0 ] && ok || fail "temporary files left"
echo "boot-qemu: $passed passed, $failed failed"
[ "$failed" = 0 ]
