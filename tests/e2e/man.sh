#!/bin/sh
# man.sh BUILD_DIR KHO_INSPECT KHO_MKIMAGE INCLUDE_DIR: the manuals render
# with man -l (no groff warnings), kho-inspect(1) explains every check the
# tool has, kho-spec(5) names every directive the spec parser knows, and
# libkho(3)'s example, as rendered, compiles against the public headers.
build=$1 ki=$2 mk=$3 inc=$4
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }
if ! command -v scdoc >/dev/null || ! command -v man >/dev/null; then
	echo "SKIP: scdoc or man is not installed (scripts/bootstrap installs both)"
	exit 0
fi
d=$build/docs/man
for page in kho-inspect.1 kho-mkimage.1 kho-qemu-check.1 kho-spec.5 libkho.3; do
	out=$(MANWIDTH=80 man --warnings -l "$d/$page" 2>"$d/$page.err")
	if [ $? = 0 ] && [ ! -s "$d/$page.err" ] && [ "$(printf '%s\n' "$out" | wc -l)" -gt 20 ]; then
		ok
	else
		fail "man -l $page: $(head -c 300 "$d/$page.err")"
	fi
	printf '%s\n' "$out" >"$d/$page.txt"
done
# scdoc takes a single backslash as an escape and drops it: a shell
# example's line continuation must be written \\ in the source, or the
# page shows a command that does not run as copied
src=$(cd "$(dirname "$0")/../../docs/man" && pwd)
for scd in "$src"/*.scd; do
	awk '/^```/ { code = !code; next } code && /[^\\]\\$/ { print FILENAME ":" FNR ": " $0 }' "$scd"
done >"$d/backslash"
[ ! -s "$d/backslash" ] && ok || fail "a single \\ ends a line in an example: $(cat "$d/backslash")"
grep -q -- '--timeout 600 \\$' "$d/kho-qemu-check.1.txt" && ok ||
	fail "kho-qemu-check(1)'s example lost its line continuations"
"$ki" --list-checks | while read -r name rest; do
	grep -q "^       $name (" "$d/kho-inspect.1.txt" || echo "$name"
done >"$d/missing"
[ ! -s "$d/missing" ] && ok || fail "kho-inspect(1) lacks checks: $(tr '\n' ' ' <"$d/missing")"
# the parser's own list of directives, from its "unknown directive" error
printf 'ram 0 16M\nno-such-directive\n' >"$d/probe.spec"
"$mk" -o "$d/probe" "$d/probe.spec" 2>"$d/probe.err"
dirs=$(sed -n 's/.*(directives: \(.*\))$/\1/p' "$d/probe.err")
[ -n "$dirs" ] && ok || fail "no directive list in: $(cat "$d/probe.err")"
for w in $dirs; do
	grep -q "^       $w\b" "$d/kho-spec.5.txt" || echo "$w"
done >"$d/missing"
[ ! -s "$d/missing" ] && ok || fail "kho-spec(5) lacks directives: $(tr '\n' ' ' <"$d/missing")"
# the example as a reader copies it from the page
{
	printf '#include <err.h>\n#include <stdio.h>\n#include <kho/kho.h>\n'
	printf 'int main(void)\n{\n'
	sed -n '/struct kho_source \*src;/,/kho_source_close(src);/p' "$d/libkho.3.txt"
	printf 'return 0;\n}\n'
} >"$d/example.c"
if cc -std=c11 -Wall -Wextra -Werror -Wformat=2 -I"$inc" -fsyntax-only "$d/example.c" \
	2>"$d/example.err" && grep -q 'kho_report_run' "$d/example.c" && grep -q '%s\\n"' "$d/example.c"; then
	ok
else
	fail "libkho(3)'s example does not compile as rendered: $(head -c 300 "$d/example.err")"
fi
echo "man: $passed passed, $failed failed"
[ "$failed" = 0 ]
