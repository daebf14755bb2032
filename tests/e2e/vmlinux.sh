#!/bin/sh
# --vmlinux, --boot-params and --dtb find the handover the generator
# placed, with its scratch areas, without scanning.
#   vmlinux.sh KHO_MKIMAGE KHO_INSPECT DATADIR WORKDIR
mk=$1 ki=$2 data=$3 work=$4
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
rm -rf "$work" && mkdir -p "$work"
"$mk" -q -o "$work" "$data/vmlinux.spec" || exit 1
fdt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["fdt"]["phys"])' \
	"$work/vmlinux.expect.json")

if ! command -v cc >/dev/null || ! command -v ld >/dev/null; then
	echo "SKIP: no cc/ld to build the test vmlinux"
else
	# 0xffff888000000000 (x86_64 direct map) + 0x2800000 (kernel-data)
	cc -g -O0 -fno-toplevel-reorder -c "$data/kho_syms.c" -o "$work/kho_syms.o" &&
	ld -o "$work/vmlinux" -e 0 --section-start=kho_globals=0xffff888002800000 \
		"$work/kho_syms.o" 2>"$work/ld.err" || fail "building the test vmlinux: $(cat "$work/ld.err")"
	nm "$work/vmlinux" >"$work/nm"
	for s in "kho_out ffff888002800000" "kho_in ffff888002800100" \
		 "kho_scratch ffff888002800200" "kho_scratch_cnt ffff888002800208"; do
		set -- $s
		grep -q "^$2 [a-zA-Z] $1\$" "$work/nm" && ok || fail "symbol $1 is not at $2: $(cat "$work/nm")"
	done
	for img in elf kcore; do
		"$ki" --json --vmlinux "$work/vmlinux" verify "$work/vmlinux.$img" >"$work/out" 2>"$work/err"
		rc=$?
		python3 - "$work/out" "$fdt" <<'PY' && [ $rc = 0 ] && ok || fail "--vmlinux on $img: exit $rc $(cat "$work/err")"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["handovers"][0]
assert h["fdt"]["found_by"] == "--vmlinux", h["fdt"]
assert h["fdt"]["phys"] == sys.argv[2], h["fdt"]
assert [s["phys"] for s in h["scratch"]] == ["0x1000000", "0x1400000"], h["scratch"]
assert d["summary"]["error"] == 0
PY
	done
	# KASLR: the kernel ran 0x1a00000 above its link address; VMCOREINFO's
	# KERNELOFFSET says so, as drgn and crash read it.
	sed 's/^kernel-data .*/&\nkaslr 0x1a00000/' "$data/vmlinux.spec" >"$work/kaslr.spec"
	"$mk" -q -o "$work" "$work/kaslr.spec" || exit 1
	ld -o "$work/vmlinux.kaslr" -e 0 --section-start=kho_globals=0xffff888000e00000 \
		"$work/kho_syms.o" 2>"$work/ld.err" || fail "linking the KASLR vmlinux"
	for img in elf kcore; do
		"$ki" --json --vmlinux "$work/vmlinux.kaslr" verify "$work/kaslr.$img" >"$work/out" 2>"$work/err"
		rc=$?
		python3 - "$work/out" "$fdt" <<'PY' && [ $rc = 0 ] && ok || fail "--vmlinux with KASLR on $img: exit $rc $(cat "$work/err")"
import json, sys
h = json.load(open(sys.argv[1]))["handovers"][0]
assert h["fdt"]["found_by"] == "--vmlinux" and h["fdt"]["phys"] == sys.argv[2], h["fdt"]
assert len(h["scratch"]) == 2, h["scratch"]
PY
	done
	# the same vmlinux on a dump without KERNELOFFSET does not find it
	"$ki" --vmlinux "$work/vmlinux.kaslr" verify "$work/vmlinux.elf" >/dev/null 2>"$work/err"
	[ $? = 2 ] && ok || fail "a KASLR vmlinux on a dump without KERNELOFFSET: $(cat "$work/err")"
	"$ki" --vmlinux "$work/vmlinux" verify "$work/vmlinux.raw" 2>"$work/err"
	[ $? = 2 ] && grep -q "does not map" "$work/err" && ok ||
		fail "--vmlinux on a raw image: $(cat "$work/err")"
	"$ki" --vmlinux /etc/hostname verify "$work/vmlinux.elf" 2>"$work/err"
	[ $? = 2 ] && ok || fail "--vmlinux with a non-ELF"
fi

for how in "--boot-params 0x90000" "--dtb $work/vmlinux.boot.dtb"; do
	# shellcheck disable=SC2086
	"$ki" --json $how verify "$work/vmlinux.elf" >"$work/out" 2>"$work/err"
	rc=$?
	python3 - "$work/out" "$fdt" "${how%% *}" <<'PY' && [ $rc = 0 ] && ok || fail "$how: exit $rc $(cat "$work/err")"
import json, sys
h = json.load(open(sys.argv[1]))["handovers"][0]
assert h["fdt"]["found_by"] == sys.argv[3] and h["fdt"]["phys"] == sys.argv[2], h["fdt"]
assert len(h["scratch"]) == 2, h["scratch"]
PY
done
"$ki" --boot-params 0x100000 verify "$work/vmlinux.elf" 2>"$work/err"
[ $? = 2 ] && grep -q "no SETUP_KEXEC_KHO" "$work/err" && ok || fail "--boot-params without a node: $(cat "$work/err")"
echo "vmlinux: $passed passed, $failed failed"
[ "$failed" = 0 ]
