#!/bin/sh
# What a new user typed in the first hour (issue 26, second round) and what
# they read: each check fails if one of the reported mistakes comes back.
#   first_hour.sh KHO_MKIMAGE KHO_INSPECT SPECDIR WORKDIR
mk=$1 ki=$2 specs=$3 work=$4
man=$(cd "$(dirname "$0")/../../docs/man" && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
run() { # STATUS DESCRIPTION CMD...: stdout in $work/out, stderr in $work/err
	want=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err" </dev/null
	got=$?
	[ "$got" = "$want" ] && ok || fail "$what: exit $got, want $want: $(head -c 300 "$work/err")"
}
has() { grep -qF -- "$1" "$work/out" && ok || fail "$2: no '$1' in: $(head -c 600 "$work/out")"; }
hasnt() { grep -qF -- "$1" "$work/out" && fail "$2: '$1' in: $(head -c 600 "$work/out")" || ok; }

rm -rf "$work" && mkdir -p "$work"
for s in clean-v3-16k clean-v1-page-4k defect-v1-chunk defect-radix-loop \
	defect-radix-unreadable@root clean-luo-v5-4k defect-radix-pointer demo defect-range-not-ram; do
	"$mk" -q -o "$work" "$specs/$s.spec" || exit 1
done
cd "$work" || exit 1

# 7: scan detects a raw image's page size as every other command does
run 0 "scan of a 16 KiB raw image" "$ki" scan clean-v3-16k.raw
has "16384-byte pages (detected)" "scan's page size"
has "it preserves its own page" "scan's own-key"
run 0 "scan --json of a 16 KiB raw image" "$ki" --json scan clean-v3-16k.raw
has '"page_size":16384' "scan --json page_size"
has '"self_preserved":true' "scan --json self_preserved"

# 5: tree on kho-v1 shows the chunk list, not an invented radix tree
run 0 "tree of a kho-v1 dump" "$ki" tree clean-v1-page-4k.elf
has "map          kho-v1 chunk list from 0x3fe1000, 4096-byte bitmaps" "v1 tree's map line"
has "chunks       7 (0x7000 bytes)" "v1 tree's chunk count"
has "6     0x3fdb000          9     1        0x0 (the end)" "v1 tree's last chunk"
hasnt "leaf fill" "v1 tree shows radix statistics"
run 1 "tree of a kho-v1 chunk loop" "$ki" tree defect-v1-chunk.elf
has "0x3fe1000 (chunk 0, already in the list: v1-chunk)" "v1 tree names the loop"
# --node opens the chunk the v1-chunk finding names, and its bitmap
run 1 "tree --node on a kho-v1 chunk" "$ki" tree --node 0x3fdb000 defect-v1-chunk.elf
has "chunk        0x3fdb000: kho-v1 chunk 6 of 7 in the list, order 9, 1 element, next 0x3fe1000 (chunk 0, already in the list: v1-chunk)" "v1 --node chunk"
has "element 0    phys_start 0x0 bitmap 0x3fff000: 2 bits set" "v1 --node element"
run 1 "tree --node on a kho-v1 bitmap" "$ki" tree --node 0x3fff010 defect-v1-chunk.elf
has "bitmap       0x3fff000: kho-v1 bitmap (4096 bytes) of chunk 0x3fdb000 element 0, order 9, phys_start 0x0" "v1 --node bitmap"
has "bit 6        = 0xc00000 order 9" "v1 --node bit"
run 2 "tree --node outside the chunk list" "$ki" tree --node 0x3fda000 defect-v1-chunk.elf
grep -q "no page of the kho-v1 chunk list the walk read holds it" "$work/err" && ok || fail "v1 --node miss: $(cat "$work/err")"

# 8: an entry pointing back at the root is the loop, not an unread page
run 1 "tree --node on a radix loop" "$ki" tree --node 0x3ff5ff8 defect-radix-loop.elf
has "entry 511    0x3fff000: the root (level 5), already in the tree: radix-loop, keys from 0x80000ff8000" "loop target"

# 15: a map that could not be read makes findings undecided, not the
# producer's fault: their hint says so, once, and the keys line says why
run 3 "summary with the tree's root missing" "$ki" defect-radix-unreadable@root.elf
has "keys         0 in 0 runs (the map could not be read)" "keys line without a map"
hasnt "forgot a kho_preserve" "an undecided finding blames the producer"
[ "$(grep -c "hint: Undecided, not a fault found" "$work/out")" = 1 ] && ok ||
	fail "undecided hint not once: $(grep -c "hint: Undecided" "$work/out")"
# and CI reading JSON gets the same hint on each (the library's kho_check_hint)
run 3 "JSON with the tree's root missing" "$ki" --json defect-radix-unreadable@root.elf
python3 -c '
import json, sys
f = [x for h in json.load(open(sys.argv[1]))["handovers"] for x in h["findings"]
     if x["severity"] == "incomplete" and x["check"] == "blob-not-preserved"]
sys.exit(not f or any(not x["hint"].startswith("Undecided, not a fault found") for x in f))
' "$work/out" && ok || fail "JSON: an undecided finding without the undecided hint"

# 6: summary's LUO part fits a screen; luo and JSON keep every file
run 0 "summary of many LUO files" "$ki" clean-luo-v5-4k.elf
[ "$(wc -l <"$work/out")" -le 24 ] && ok || fail "summary of many LUO files: $(wc -l <"$work/out") lines"
has 'memfd-v2 0x4 (0x8000 bytes, 1 folio), ... and 66 more' "a session's files cut short"
has "  ... and 52 more sessions (0 files): kho-inspect luo clean-luo-v5-4k.elf lists them" "sessions cut short"
[ "$(awk '{ if (length($0) > n) n = length($0) } END { print n }' "$work/out")" -le 200 ] && ok ||
	fail "a summary line is over 200 characters"
run 0 "luo of many LUO files" "$ki" luo clean-luo-v5-4k.elf
[ "$(grep -c '^               file memfd-v2' "$work/out")" = 72 ] && ok || fail "luo does not list every file"
run 0 "summary --json of many LUO files" "$ki" --json clean-luo-v5-4k.elf
[ "$(grep -o '"compatible":"memfd-v2"' "$work/out" | wc -l)" = 72 ] && ok || fail "JSON drops files"

# 18: whatis on an address nothing owns says so, and when scratch is unknown
run 0 "whatis on nothing's address" "$ki" whatis 0xffffffffffff demo.elf
[ "$(tail -1 "$work/out")" = "  nothing preserves or names it (scratch areas are unknown: --explain scratch-unknown)" ] &&
	ok || fail "whatis on nothing: $(tail -2 "$work/out")"

# 9: range-not-ram's hint sends the user to the dump's memory: summary shows it
run 0 "verify with a key outside RAM" "$ki" verify defect-range-not-ram.elf
has "memory       2 ranges (0x5000000 bytes): 0x0+0x4000000, 0x100000000+0x1000000" "the dump's memory"
has "0x101000000 is not memory the dump describes" "range-not-ram"
run 0 "verify --json with a key outside RAM" "$ki" --json verify defect-range-not-ram.elf
has '"memory":{"ranges":2,"bytes":"0x5000000","extents":[{"phys":"0x0","size":"0x4000000","present":true},' "JSON memory"

# 13: --help names every exit status; the manual says which commands exit
# with the verdict (tree on a radix loop: 1) and diff's 3
run 0 "--help" "$ki" --help
has "3 partial: part of the handover is not in the dump (diff: a handover consumed)." "--help exit 3"
has "summary, verify, ranges and tree exit with the verdict" "--help: which commands"
run 1 "tree on a radix loop exits with the verdict" "$ki" tree defect-radix-loop.elf
grep -q "(so \*tree\* on" "$man/kho-inspect.1.tail.scd" && grep -q "\*diff\* exits 3 when" "$man/kho-inspect.1.tail.scd" &&
	ok || fail "the manual's EXIT STATUS lacks tree's or diff's status"

# 14: the page-size message picks the fix that fits: the only size that
# finds the FDT, or --raw-base when the root lies outside the image
run 2 "raw that only 4 KiB reads" "$ki" verify defect-radix-pointer.raw
grep -q "16 KiB: no KHO FDT; 64 KiB: no KHO FDT): give --page-size 4K\$" "$work/err" && ok ||
	fail "one size: $(cat "$work/err")"
printf 'abi kho-v4\npage-size 4K\nram 0x40000000 64M\nfolio 0x40200000 0\noutputs raw\n' >high.spec
"$mk" -q --raw-base 0x40000000 -o "$work" high.spec || exit 1
run 2 "raw without its --raw-base" "$ki" verify high.raw
grep -q "): the tree's root is outside the image: if its byte 0 is not physical address 0, give --raw-base\$" "$work/err" &&
	! grep -q "give --page-size" "$work/err" && ok || fail "forgotten --raw-base: $(cat "$work/err")"

# 17: one escape (\xNN) for a dump's bytes in every command's text, names
# as files and in DTS that dtc compiles
python3 - demo.elf esc.elf <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.index(b"kexec-metadata\0")
d[i + 2] = 7
open(sys.argv[2], "wb").write(d)
PY
run 0 "summary of a name with a control byte" "$ki" esc.elf
has 'sub-node     ke\x07ec-metadata' "summary escapes"
run 0 "fdt of a name with a control byte" "$ki" fdt esc.elf
has 'ke_x07ec-metadata /* "ke\x07ec-metadata" */ {' "fdt escapes"
run 0 "--json of a name with a control byte" "$ki" --json esc.elf
has '"name":"ke\\x07ec-metadata"' "JSON escapes"
run 0 "extract of a name with a control byte" "$ki" extract -o ex esc.elf
[ -f ex/ke_x07ec-metadata.bin ] && ok || fail "extract's file name: $(ls ex)"
run 0 "fdt -o of a name with a control byte" "$ki" fdt -o dts esc.elf
if command -v dtc >/dev/null; then
	for f in dts/*.dts; do
		dtc -q -I dts -O dtb -o /dev/null "$f" 2>"$work/dtc.err" && ok ||
			fail "dtc refuses $f: $(cat "$work/dtc.err")"
	done
fi

# 19: small ones
run 1 "tree plurals" "$ki" tree defect-radix-loop.elf
has "level 5      1 node page" "1 node page"
hasnt "1 node pages" "1 node pages"
run 0 "--json --list-checks" "$ki" --json --list-checks
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["checks"][0]["name"]' "$work/out" &&
	ok || fail "--json --list-checks is not JSON: $(head -c 200 "$work/out")"
run 2 "a typo in an option" "$ki" --scrach-array 0x1000,16 demo.elf
grep -qx "kho-inspect: unknown option --scrach-array: did you mean --scratch-array? (--help)" "$work/err" &&
	ok || fail "option typo: $(cat "$work/err")"
run 0 "raw header" "$ki" scan clean-v3-16k.raw
head -1 "$work/out" | grep -q "^clean-v3-16k.raw: raw, 16384-byte pages" && ok ||
	fail "raw header: $(head -1 "$work/out")"
run 2 "a bad TMPDIR" env TMPDIR=/nonexistent-uxi "$ki" verify - 
grep -q "a temporary copy of the stream in /nonexistent-uxi (TMPDIR): No such file or directory" "$work/err" &&
	ok || fail "bad TMPDIR: $(cat "$work/err")"
for c in $("$ki" --list-checks | cut -d' ' -f1); do
	"$ki" --explain "$c" | grep -q -- "--explain $c" && fail "--explain $c points at itself" || ok
done

# 11, 12: the docs match the tools
top=$(cd "$man/../.." && pwd)
printf 'abi kho-v3\npage-size 4K\nram 0 64M\ndefect scratch-layout bogus\n' >bogus.spec
known=$("$mk" -q -o "$work" bogus.spec 2>&1 | sed -n 's/.*(known: \(.*\))$/\1/p')
[ -n "$known" ] && ok || fail "kho-mkimage's unknown variant message lacks its ')'"
grep -qF "\`scratch-layout $(echo "$known" | tr ' ' '|')\`" "$top/README.md" && ok ||
	fail "README's scratch-layout variants are not kho-mkimage's ($known)"
grep -q "shared/docs" "$top/README.md" && fail "README points outside the clone" || ok
tr -s ' ' <"$specs/demo.spec" >demo.norm
sed -n '/^# The bundled example/,/^```/p' "$man/kho-spec.5.scd" | sed '$d' | tr -s ' ' >man.norm
grep -vxF -f demo.norm man.norm >man.extra
[ ! -s man.extra ] && ok || fail "kho-spec(5)'s bundled example has lines demo.spec lacks: $(cat man.extra)"

echo "first-hour: $passed passed, $failed failed"
[ "$failed" = 0 ]
