#!/bin/sh
# The README's walk-through ("A failed live update, from the first
# screen"): each command it shows, and each line it quotes.
#   walkthrough.sh KHO_MKIMAGE KHO_INSPECT SPECDIR WORKDIR
mk=$1 ki=$2 specs=$3 work=$4
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
has() { grep -qF -- "$1" "$work/out" && ok || fail "$2: no line \"$1\" in: $(cat "$work/out")"; }
rm -rf "$work" && mkdir -p "$work"
"$mk" -q -o "$work" "$specs/defect-luo-not-preserved@folio.spec" || exit 1
dump=$work/defect-luo-not-preserved@folio.elf

"$ki" "$dump" >"$work/out"
[ $? = 1 ] && ok || fail "summary: exit status"
for line in 'KHO FDT      0x3ffe000 (345 bytes, kho-v4, found by scan)' \
	'LUO          luo-v5 at 0x3fc6000, live update #2: 2 sessions, 3 files, 1 FLB' \
	'  session    "vm-1": memfd-v2 0x64 (0x10000 bytes, 3 folios)' \
	': ERROR (luo-not-preserved): 0x3fbc000: LUO memfd 0x64 (session "vm-1"): folio 0 at 0x3fbc000 (file page 0x0) is not the start of a preserved key [LUO folio 0 of memfd 0x64 (session "vm-1"), file page 0x0]' \
	'  hint: The finding names the first byte not covered, or the folio; the handler that preserved it (memfd, others) missed a kho_preserve_folio().' \
	'verdict      1 error, 0 warnings, 0 notes, 1 incomplete' \
	'next         kho-inspect --explain luo-not-preserved'; do
	has "$line" summary
done
"$ki" --explain luo-not-preserved >"$work/out" && ok || fail "--explain"
has "the next kernel restores a folio from the key at its pfn" --explain
"$ki" whatis 0x3fbc000 "$dump" >"$work/out" && ok || fail "whatis"
has 'LUO folio     0x3fbc000+0x1000 folio 0 of memfd 0x64 (session "vm-1"), file page 0x0' whatis
grep -q "preserved " "$work/out" && fail "whatis: a key preserves the folio" || ok
"$ki" luo "$dump" >"$work/out"
[ $? = 1 ] && ok || fail "luo: exit status"
has 'folio 0 at 0x3fbc000, file page 0x0 (no key starts there)' luo
echo "walkthrough: $passed passed, $failed failed"
[ "$failed" = 0 ]
