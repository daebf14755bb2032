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
run 3 "verify --json with the tree's root missing" "$ki" --json verify defect-radix-unreadable@root.elf
grep -o '"check":"blob-not-preserved"[^}]*' "$work/out" | grep -v -q '"hint":"Undecided' &&
	fail "a JSON blob-not-preserved INCOMPLETE keeps the producer hint" || ok

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

echo "first-hour: $passed passed, $failed failed"
[ "$failed" = 0 ]
