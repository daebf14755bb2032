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
# structs of 6.19 (kho_syms.c) hold no trees: no cross-check, and it says why
assert d["vmlinux"]["trees_checked"] is False and d["vmlinux"]["note"], d["vmlinux"]
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

	# 7.3: kho_out and kho_in hold their trees (radix_tree.root, direct-map
	# pointers) at offsets only kho_syms73.c's DWARF says; `kernel-data
	# PHYS 7.3 [VARIANT]` writes them, each variant one way to disagree.
	cc -g -O0 -fno-toplevel-reorder -c "$data/kho_syms73.c" -o "$work/kho_syms73.o" &&
	ld -o "$work/vmlinux73" -e 0 --section-start=kho_globals=0xffff888002800000 \
		"$work/kho_syms73.o" 2>"$work/ld.err" &&
	strip -g -o "$work/vmlinux73.stripped" "$work/vmlinux73" ||
		fail "building the 7.3 test vmlinux: $(cat "$work/ld.err")"
	for v in "" wrong-root incoming incoming-null-root orphan-root; do
		sed "s/^kernel-data .*/kernel-data 0x2800000 7.3 $v/" "$data/vmlinux.spec" \
			>"$work/k73${v:+-$v}.spec"
		"$mk" -q -o "$work" "$work/k73${v:+-$v}.spec" || fail "kho-mkimage 7.3 $v"
	done
	# check73 VMLINUX IMAGE checked|skipped [MESSAGE]: --vmlinux finds the
	# FDT; its only finding is the fdt-memory-map error saying MESSAGE.
	check73() {
		"$ki" --json --vmlinux "$1" verify "$2" >"$work/out" 2>"$work/err"
		rc=$?
		python3 - "$work/out" "$fdt" "$3" "${4:-}" "$rc" <<'PY' && ok ||
import json, sys
d = json.load(open(sys.argv[1]))
fdt, how, want, rc = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
h = d["handovers"][0]
assert h["fdt"]["found_by"] == "--vmlinux" and h["fdt"]["phys"] == fdt, h["fdt"]
assert d["vmlinux"]["trees_checked"] == (how == "checked"), d["vmlinux"]
assert how == "checked" or d["vmlinux"]["note"], d["vmlinux"]
got = [(f["check"], f["severity"], f["message"]) for x in d["handovers"] + [d]
       for f in x["findings"]]
if want:
    assert len(got) == 1 and got[0][:2] == ("fdt-memory-map", "error") and want in got[0][2], got
else:
    assert got == [], got
assert rc == (1 if want else 0), rc
PY
		fail "--vmlinux $(basename "$1") on $(basename "$2"): exit $rc $(cat "$work/err")"
	}
	for img in elf kcore; do
		check73 "$work/vmlinux73" "$work/k73.$img" checked
	done
	check73 "$work/vmlinux73" "$work/k73-wrong-root.elf" checked \
		"preserved-memory-map 0x3fff000 is not the tree kho_out holds ($fdt)"
	check73 "$work/vmlinux73" "$work/k73-incoming.elf" checked
	check73 "$work/vmlinux73" "$work/k73-incoming-null-root.elf" checked \
		"but kho_in holds no tree"
	check73 "$work/vmlinux73" "$work/k73-orphan-root.elf" checked \
		"no incoming handover (kho_in.fdt_phys is 0)"
	# without DWARF nothing is guessed: the FDT is found, the trees are not read
	check73 "$work/vmlinux73.stripped" "$work/k73.elf" skipped
	check73 "$work/vmlinux73.stripped" "$work/k73-wrong-root.elf" skipped
	grep -q '"note": *"no DWARF' "$work/out" || fail "stripped: no note $(cat "$work/out")"
	# a 7.3 image read with the 6.19 structs: found, not cross-checked
	check73 "$work/vmlinux" "$work/k73-wrong-root.elf" skipped
	# 7.2.13: kho_out.radix_tree exists, kho_in.radix_tree does not. Each
	# lookup stands alone: the outgoing tree is cross-checked, the incoming
	# one is not and the note says why (kho_syms72.c).
	cc -g -O0 -fno-toplevel-reorder -c "$data/kho_syms72.c" -o "$work/kho_syms72.o" &&
	ld -o "$work/vmlinux72" -e 0 --section-start=kho_globals=0xffff888002800000 \
		"$work/kho_syms72.o" 2>"$work/ld.err" ||
		fail "building the 7.2 test vmlinux: $(cat "$work/ld.err")"
	# check72 IMAGE WANT_RC [MESSAGE]: out checked, in not; the findings
	# are the one fdt-memory-map error saying MESSAGE, or none.
	check72() {
		for fmt in "--json" ""; do
			# shellcheck disable=SC2086
			"$ki" $fmt --vmlinux "$work/vmlinux72" verify "$work/$1" >"$work/out" 2>"$work/err"
			rc=$?
			[ "$rc" = "$2" ] || fail "7.2 vmlinux on $1 ${fmt:-text}: exit $rc, want $2 $(cat "$work/err")"
			[ -n "$fmt" ] || break
			python3 - "$work/out" "${3:-}" <<'PY' && ok || fail "7.2 vmlinux on $1: $(head -c 600 "$work/out")"
import json, sys
d = json.load(open(sys.argv[1]))
v = d["vmlinux"]
assert v["trees_checked"] and v["out_tree_checked"] and not v["in_tree_checked"], v
assert "kho_in not cross-checked: struct kho_in has no member radix_tree" in v["note"], v
got = [(f["check"], f["severity"], f["message"]) for x in d["handovers"] + [d]
       for f in x["findings"]]
want = sys.argv[2]
if want:
    assert len(got) == 1 and got[0][:2] == ("fdt-memory-map", "error") and want in got[0][2], got
else:
    assert got == [], got
PY
		done
		grep -q "^vmlinux .*: kho_out's tree cross-checked: kho_in not cross-checked" "$work/out" &&
			ok || fail "7.2 vmlinux on $1, text: $(head -3 "$work/out")"
	}
	check72 k73.elf 0
	check72 k73.kcore 0
	check72 k73-wrong-root.elf 1 "preserved-memory-map 0x3fff000 is not the tree kho_out holds ($fdt)"
	check72 k73-orphan-root.elf 0
	# hostile DWARF: .debug_info with bytes flipped (seed 0: all of it)
	# reads as no cross-check or as a clean one, never a crash
	objcopy --dump-section .debug_info="$work/dinfo" "$work/vmlinux73" "$work/tmp.o" ||
		fail "dumping .debug_info"
	for seed in 0 1 2 3 4 5; do
		python3 - "$work/dinfo" "$work/garbage" "$seed" <<'PY' &&
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[3]))
for _ in range(len(b) if sys.argv[3] == "0" else 4 * int(sys.argv[3])):
    b[r.randrange(len(b))] = r.randrange(256)
open(sys.argv[2], "wb").write(b)
PY
		objcopy --update-section .debug_info="$work/garbage" "$work/vmlinux73" \
			"$work/vmlinux73.bad" || fail "corrupting .debug_info"
		"$ki" --json --vmlinux "$work/vmlinux73.bad" verify "$work/k73.elf" >"$work/out" 2>"$work/err"
		rc=$?
		[ $rc = 0 ] && grep -q '"found_by": *"--vmlinux"' "$work/out" && ok ||
			fail "corrupt DWARF (seed $seed): exit $rc $(cat "$work/err")"
	done
	# 7.3's extended scratch: stale FDTs are labelled by their 1 GiB block
	sed -e 's/^kernel-data .*/kernel-data 0x2800000 7.3 incoming/' \
		-e 's/^ram 0 64M/&\nram 0x40000000 16M/' "$data/vmlinux.spec" >"$work/k73-stale.spec"
	"$mk" -q -o "$work" "$work/k73-stale.spec" || fail "kho-mkimage k73-stale"
	python3 "$data/../stale.py" "$ki" "$work/vmlinux73" "$work/k73-stale" && ok ||
		fail "extended scratch labels (stale.py)"
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
