#!/bin/sh
# install.sh BUILD_DIR WORKDIR [CFLAGS]: install into a prefix, then build
# and run a program against it with nothing but pkg-config (CFLAGS: the
# sanitizer flags when the library was built with them).
set -eu
build=$1
work=$2
cflags=${3:-}
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kho-mkimage include/kho/kho.h include/kho/ref.h; do
	[ -e "$work/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$work/prefix" -name libkho.pc)
[ -n "$pc" ] || { echo "FAIL: libkho.pc not installed"; exit 1; }
cat >"$work/use.c" <<'C'
#include <kho/kho.h>
#include <stdio.h>
int main(void)
{
	struct kho_geometry g;
	kho_geometry_init(&g, 4096, false);
	printf("%u %s\n", g.depth, kho_abi_version_find(3)->compatible);
	return 0;
}
C
# shellcheck disable=SC2086
PKG_CONFIG_PATH=$(dirname "$pc") cc $cflags -o "$work/use" "$work/use.c" \
	$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs libkho)
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$work/prefix" -name 'libkho.so' | head -1)") "$work/use")
[ "$out" = "6 kho-v3" ] || { echo "FAIL: installed library says \"$out\""; exit 1; }
# The installed tools start from the prefix, with no LD_LIBRARY_PATH: their
# RUNPATH is $ORIGIN-relative.
readelf -d "$work/prefix/bin/kho-inspect" | grep -q 'RUNPATH.*\$ORIGIN/' ||
	{ echo "FAIL: kho-inspect has no \$ORIGIN RUNPATH"; exit 1; }
mv "$work/prefix" "$work/moved"   # relocated: the RUNPATH is relative
env -u LD_LIBRARY_PATH "$work/moved/bin/kho-mkimage" -q -o "$work/img" "$(dirname "$0")/data/vmlinux.spec" ||
	{ echo "FAIL: the installed kho-mkimage does not run"; exit 1; }
env -u LD_LIBRARY_PATH "$work/moved/bin/kho-inspect" verify "$work/img/vmlinux.elf" >/dev/null ||
	{ echo "FAIL: the installed kho-inspect does not run"; exit 1; }
mv "$work/moved" "$work/prefix"
# Private symbols stay private.
lib=$(find "$work/prefix" -name 'libkho.so.0*' | head -1)
if nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | grep -v '^kho_' | grep -q .; then
	echo "FAIL: libkho exports non-kho_ symbols"; exit 1
fi
echo "install: 1 passed, 0 failed"
