#!/bin/sh
# The command-line contract of kho-mkimage: exit codes, one-line errors
# that name FILE:LINE, and nothing half written on failure.
#   mkimage_cli.sh KHO_MKIMAGE WORKDIR
mk=$1
work=$2
passed=0
failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
expect_status() { # WANT DESCRIPTION CMD...
	want=$1 what=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	got=$?
	[ "$got" = "$want" ] && ok || fail "$what: exit $got, want $want: $(cat "$work/err")"
}

rm -rf "$work" && mkdir -p "$work/o"

expect_status 2 "no arguments" "$mk"
grep -q "usage: kho-mkimage" "$work/err" && ok || fail "usage goes to stderr"
printf 'ram 0 16M\nalloc 0x800000 1M\noutputs raw\nfolio 0x1000 0\n' >"$work/tiny0.spec"
expect_status 2 "a spec without -o" "$mk" "$work/tiny0.spec"
[ "$(wc -l <"$work/err")" = 1 ] && grep -q "^kho-mkimage: -o OUTDIR is missing" "$work/err" && ok ||
	fail "a spec without -o: $(cat "$work/err")"
expect_status 2 "-o without a spec" "$mk" -o "$work/o"
[ "$(wc -l <"$work/err")" = 1 ] && grep -q "^kho-mkimage: no SPEC given" "$work/err" && ok ||
	fail "-o without a spec: $(cat "$work/err")"
expect_status 0 "--help" "$mk" --help
expect_status 0 "--version" "$mk" --version
expect_status 0 "--list-defects" "$mk" --list-defects
# one distinct check name a line, the newest among them
[ "$(sort -u "$work/out" | wc -l)" = "$(wc -l <"$work/out")" ] && grep -qx scratch-unknown "$work/out" &&
	grep -qx range-overlap "$work/out" && ok || fail "--list-defects: $(tr '\n' ' ' <"$work/out")"
printf 'ram 0 16M\nalloc 0x800000 1M\noutputs raw\nfolio 0x1000 0\n' >"$work/tiny.spec"
expect_status 0 "-o creates DIR (and its parents)" "$mk" -q -o "$work/new/dir" "$work/tiny.spec"
[ -f "$work/new/dir/tiny.raw" ] && ok || fail "-o DIR was not created: $(ls -R "$work/new")"
expect_status 2 "-o under a file" "$mk" -o "$work/tiny.spec/x" "$work/tiny.spec"
grep -q "tiny.spec/x: Not a directory" "$work/err" && ok || fail "-o under a file: $(cat "$work/err")"
expect_status 2 "--only an output the spec does not make" "$mk" --only elf -o "$work/o" "$work/tiny.spec"
grep -q "tiny.spec: --only elf: the spec does not make elf (it makes raw,dtb,expect" "$work/err" &&
	ok || fail "--only not made: $(cat "$work/err")"
printf 'ram 0 16M\nalloc 0x800000 1M\noutputs raw elf\nfolio 0x1000 0\n' >"$work/tiny2.spec"
expect_status 0 "--only with several specs: each writes what it makes" \
	"$mk" -q --only elf -o "$work/new" "$work/tiny.spec" "$work/tiny2.spec"
[ -f "$work/new/tiny2.elf" ] && [ ! -e "$work/new/tiny.elf" ] && ok || fail "--only elf: $(ls "$work/new")"
expect_status 2 "--only a kind no spec makes" "$mk" --only kcore -o "$work/new" "$work/tiny.spec" "$work/tiny2.spec"
grep -q "none of the specs makes kcore" "$work/err" && ok || fail "--only none: $(cat "$work/err")"
expect_status 0 "--raw-base takes the number forms" "$mk" -q --raw-base 0K -o "$work/new" "$work/tiny.spec"
expect_status 2 "--raw-base with junk" "$mk" --raw-base 1Mx -o "$work/new" "$work/tiny.spec"
# spec errors name the closest word and list the accepted ones
printf 'ram 0 16M\nfolo 0x1000 0\n' >"$work/typo.spec"
expect_status 2 "a mistyped directive" "$mk" -o "$work/o" "$work/typo.spec"
grep -q 'typo.spec:2: unknown directive "folo"; did you mean folio? (directives: abi .* defect)' \
	"$work/err" && ok || fail "directive typo: $(cat "$work/err")"
printf 'ram 0 16M\nfolio 0x1000 0\ndefect range-overlapp\n' >"$work/typo.spec"
expect_status 2 "a mistyped defect" "$mk" -o "$work/o" "$work/typo.spec"
grep -q 'did you mean range-overlap? (kho-mkimage --list-defects' "$work/err" && ok ||
	fail "defect typo: $(cat "$work/err")"
# a machine too small for what the spec preserves says so
printf 'ram 0 1M\nalloc 0xc0000 8K\nfolio 0x10000 0\npages 0x20 10\n' >"$work/small.spec"
expect_status 2 "alloc too small" "$mk" -o "$work/o" "$work/small.spec"
grep -q "the alloc region (0x2000 bytes) has no free order-0 block left .*: give alloc more room" \
	"$work/err" && ok || fail "too small: $(cat "$work/err")"
rm -rf "$work/new"
expect_status 2 "bad --only" "$mk" --only raw,png -o "$work/o" /dev/null

printf 'ram 0 16M\nfolio 0x1000 0\nfrobnicate\n' >"$work/bad.spec"
expect_status 2 "spec error" "$mk" -o "$work/o" "$work/bad.spec"
[ "$(wc -l <"$work/err")" = 1 ] && ok || fail "spec error is not one line"
grep -q "bad.spec:3: unknown directive" "$work/err" && ok || fail "error lacks FILE:LINE: $(cat "$work/err")"
[ -z "$(ls "$work/o")" ] && ok || fail "files left after a spec error: $(ls "$work/o")"

expect_status 2 "missing spec" "$mk" -o "$work/o" "$work/none.spec"
grep -q "none.spec" "$work/err" && ok || fail "error does not name the file"

# A failure while writing (raw base above RAM) leaves no file behind.
printf 'ram 0 16M\nraw-base 0x2000000\n' >"$work/late.spec"
expect_status 2 "write error" "$mk" -o "$work/o" "$work/late.spec"
[ -z "$(ls "$work/o")" ] && ok || fail "files left after a write error: $(ls "$work/o")"

printf 'ram 0 16M\nfolio 0x100000 2\n' >"$work/good.spec"
expect_status 0 "good spec" "$mk" -o "$work/o" "$work/good.spec"
[ "$(ls "$work/o" | tr '\n' ' ')" = "good.dtb good.elf good.expect.json good.raw " ] && ok ||
	fail "outputs: $(ls "$work/o")"
grep -q '"spec": "good.spec"' "$work/o/good.expect.json" && ok || fail "spec name in expect.json"

echo "mkimage-cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
