#!/bin/sh
# model.sh BUILD_DIR WORKDIR [CFLAGS] [DUMP...]: the model API (kho/model.h)
# as a debugger's plugin uses it, from the installed headers and library
# alone: tests/e2e/data/model_walk.c built as C and as C++ against the
# installed libkho.pc, run on images of several ABIs and page sizes and on
# the real dumps given, must give what `kho-inspect --json ranges` gives:
# the same handover, keys in the same order, sub-blobs and LUO sessions.
set -eu
build=$1
work=$2
cflags=${3:-}
shift 3 || shift $#
here=$(dirname "$0")
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(dirname "$(find "$work/prefix" -name libkho.pc)")
libdir=$(dirname "$(find "$work/prefix" -name 'libkho.so' | head -1)")
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs libkho)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $cflags -o "$work/walk-c" "$here/data/model_walk.c" $flags ||
	{ echo "FAIL: model_walk.c does not build as C against the installed headers"; exit 1; }
if command -v c++ >/dev/null; then
	# shellcheck disable=SC2086
	c++ -x c++ -std=c++17 -Wall -Wextra -Werror $cflags -o "$work/walk-cxx" \
		"$here/data/model_walk.c" -x none $flags ||
		{ echo "FAIL: model_walk.c does not build as C++ against the installed headers"; exit 1; }
else
	echo "SKIP: no C++ compiler: the headers are not checked from C++"
fi
ki="$work/prefix/bin/kho-inspect"
passed=0
# What kho-inspect's JSON says, in model_walk's lines (its candidates are
# printed, not compared: the JSON has no chosen/stale flags).
expected() {
	"$ki" --json ranges "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
h = d["handovers"][0]
print("handover %s %s %d keys" % (h["fdt"]["phys"], h["fdt"]["compatible"], h["stats"]["keys"]))
for t in h.get("subtrees", []):
    print("blob %s %s %s" % (t["name"], t["phys"], t["size"]))
for s in h.get("luo", {}).get("sessions", []):
    print("luo-session %s %d files" % (s["name"], len(s.get("files", []))))
for r in h.get("ranges", []):
    print("key %s %d %s" % (r["phys"], r["order"], r["size"]))
'
}
check() {
	dump=$1
	name=$(basename "$dump")
	expected "$dump" >"$work/$name.want" || { echo "FAIL: $name: kho-inspect --json ranges"; exit 1; }
	for v in c cxx; do
		[ -x "$work/walk-$v" ] || continue
		LD_LIBRARY_PATH=$libdir "$work/walk-$v" "$dump" >"$work/$name.$v" ||
			{ echo "FAIL: $name: model_walk ($v) exits $?"; exit 1; }
		grep -v '^candidate\|^tree-pages' "$work/$name.$v" >"$work/$name.$v.cmp"
		if ! cmp -s "$work/$name.want" "$work/$name.$v.cmp"; then
			echo "FAIL: $name: the model ($v) differs from kho-inspect --json ranges:"
			diff "$work/$name.want" "$work/$name.$v.cmp" | head -20 | sed 's/^/  /'
			exit 1
		fi
	done
	keys=$(grep -c '^key' "$work/$name.c" || true)
	echo "ok: $name: $keys keys, $(grep -c '^blob' "$work/$name.c" || true) blobs," \
		"$(grep -c '^luo-session' "$work/$name.c" || true) LUO sessions," \
		"$(sed -n 's/^tree-pages //p' "$work/$name.c") tree pages"
	passed=$((passed + 1))
}
for spec in clean-v1-page-4k clean-v1-512-64k clean-v3-4k clean-v4-4k clean-v4-16k \
	    clean-luo-v5-4k clean-luo-v1-4k; do
	"$work/prefix/bin/kho-mkimage" -q --only elf -o "$work/img" \
		"$here/../../testdata/specs/$spec.spec" ||
		{ echo "FAIL: kho-mkimage $spec"; exit 1; }
	check "$work/img/$spec.elf"
	rm -f "$work/img/$spec.elf"
done
# The --fdt option reaches discovery: the same handover named, not scanned.
fdt=$(sed -n 's/^handover \(0x[0-9a-f]*\) .*/\1/p' "$work/clean-luo-v1-4k.elf.c")
"$work/prefix/bin/kho-mkimage" -q --only elf -o "$work/img" \
	"$here/../../testdata/specs/clean-luo-v1-4k.spec"
LD_LIBRARY_PATH=$libdir "$work/walk-c" "$work/img/clean-luo-v1-4k.elf" "$fdt" >"$work/named" ||
	{ echo "FAIL: model_walk with the FDT named"; exit 1; }
cmp -s "$work/named" "$work/clean-luo-v1-4k.elf.c" ||
	{ echo "FAIL: --fdt $fdt: the model differs from the scanned one"; exit 1; }
if ! LD_LIBRARY_PATH=$libdir "$work/walk-c" "$work/img/clean-luo-v1-4k.elf" 0x1000 \
	>/dev/null 2>"$work/err"; then
	grep -q 'no FDT there' "$work/err" ||
		{ echo "FAIL: --fdt at no FDT: $(cat "$work/err")"; exit 1; }
else
	echo "FAIL: the model opened with --fdt at a page that is no FDT"; exit 1
fi
passed=$((passed + 1))
for dump in "$@"; do
	if [ -r "$dump" ]; then
		check "$dump"
	else
		echo "SKIP: $dump is not here"
	fi
done
echo "model: $passed passed, 0 failed"
