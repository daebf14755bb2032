#!/bin/sh
# gen-checks.sh "[EMULATOR] KHO_INSPECT": the CHECKS section of kho-inspect(1) in scdoc,
# from the tool's own --list-checks and --explain text (one source).
set -eu
ki=$1   # may be "qemu-i386 .../kho-inspect": word-split on purpose
esc() { sed -e 's/\\/\\\\/g' -e 's/\*/\\*/g' -e 's/_/\\_/g'; }
$ki --list-checks | while read -r name severity rest; do
	printf '*%s* (%s)\n' "$(printf %s "$name" | esc)" "$severity"
	$ki --explain "$name" | tail -n +3 | grep -v '^$' | esc | sed 's/^/\t/'
	printf '\n'
done
