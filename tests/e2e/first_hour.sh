#!/bin/sh
# What a new user typed in the first hour (issue 26, second round) and what
# they read: each check fails if one of the reported mistakes comes back.
#   first_hour.sh KHO_MKIMAGE KHO_INSPECT SPECDIR WORKDIR
mk=$1 ki=$2 specs=$3 work=$4
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

echo "first-hour: $passed passed, $failed failed"
[ "$failed" = 0 ]
