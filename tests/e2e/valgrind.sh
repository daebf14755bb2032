#!/bin/sh
# kho-mkimage and kho-inspect under valgrind memcheck on a fixture of each
# kind (radix, kho-v1 512-byte bitmaps, 16 KiB pages, a kdump, a flattened
# kdump whole and cut, corrupted trees): no invalid access, no use of
# uninitialised memory, no leak.
#   valgrind.sh KHO_MKIMAGE KHO_INSPECT SPECDIR WORKDIR
mk=$1 ki=$2 specs=$3 work=$4
if ! command -v valgrind >/dev/null; then
	echo "SKIP: valgrind is not installed"
	echo "valgrind: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(dirname "$0")/valgrind.supp"
passed=0 failed=0
rm -rf "$work" && mkdir -p "$work"
run() {
	"$@" >/dev/null 2>"$work/err"
	if [ $? = 99 ] || grep -q "==[0-9]*==" "$work/err"; then
		failed=$((failed + 1)); echo "FAIL: $*"; head -20 "$work/err"
	else
		passed=$((passed + 1))
	fi
}
run $vg "$mk" -q -o "$work" "$specs/clean-v3-4k.spec" "$specs/clean-v1-512-4k.spec" \
	"$specs/clean-v3-16k.spec" "$specs/defect-radix-loop.spec" "$specs/defect-v1-chunk.spec" \
	"$specs/defect-radix-depth.spec"
for f in clean-v3-4k.elf clean-v3-4k.kdump clean-v1-512-4k.elf defect-radix-loop.elf \
	 defect-v1-chunk.elf defect-radix-depth.elf; do
	run $vg "$ki" --json verify --ranges "$work/$f"
done
# a flattened kdump (makedumpfile -F, the fuzz seed), whole and cut short
flat="$(dirname "$0")/../fuzz/seeds/tiny-v3.flat"
run $vg "$ki" --json verify --ranges --page-size 4096 "$flat"
head -c 12000 "$flat" >"$work/cut.flat"
run $vg "$ki" --json verify --ranges --page-size 4096 "$work/cut.flat"
run $vg "$ki" fdt "$work/clean-v3-4k.elf"
run $vg "$ki" diff "$work/clean-v3-4k.elf" "$work/clean-v3-4k.kdump"
run $vg "$ki" --page-size 16384 tree "$work/clean-v3-16k.raw"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" = 0 ]
