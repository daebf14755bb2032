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
# A reader built against libkho.pc alone: it verifies a fixture through
# the file source and through the memory-source callbacks, and both give
# the same keys and findings.
"$work/prefix/bin/kho-mkimage" -q --only raw,expect -o "$work/img" \
	"$(dirname "$0")/data/vmlinux.spec" || { echo "FAIL: installed kho-mkimage"; exit 1; }
cat >"$work/use.c" <<'C'
#include <kho/kho.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *mem;
static size_t len;

static int rd(void *ctx, uint64_t phys, void *buf, size_t n)
{
	(void)ctx;
	if (phys + n > len)
		return -1;
	memcpy(buf, mem + phys, n);
	return 0;
}

static int verify(struct kho_source *src, char *out, size_t outlen)
{
	struct kho_verify_opts vo = { 0 };
	struct kho_candidate *c = NULL;
	struct kho_inspection in;
	struct kho_error err;
	size_t n = 0, used;

	if (kho_scan(src, &c, &n, NULL, NULL, &err) || n != 1 ||
	    kho_inspect(src, c[0].phys, &vo, &in, &err))
		return fprintf(stderr, "%s\n", err.msg), -1;
	used = (size_t)snprintf(out, outlen, "0x%llx %llu keys",
				(unsigned long long)c[0].phys,
				(unsigned long long)in.stats.keys);
	for (size_t i = 0; i < in.findings.n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, " %s",
					 in.findings.v[i].check->name);
	kho_inspection_free(&in);
	free(c);
	return 0;
}

int main(int argc, char **argv)
{
	struct kho_mem_range ram = { 0, 0, KHO_MEM_PRESENT };
	struct kho_memory_ops ops = { rd, NULL };
	struct kho_memory_desc d = { &ram, 1, 4096, false, "x86_64", argv[1] };
	struct kho_source *a, *b;
	struct kho_error err;
	char va[512], vb[512];
	FILE *f = fopen(argv[1], "rb");

	(void)argc;
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	mem = malloc(len);
	if (fread(mem, 1, len, f) != len)
		return 1;
	fclose(f);
	ram.size = len;
	if (kho_source_open(argv[1], NULL, &a, &err) ||
	    kho_source_open_memory(&ops, NULL, &d, &b, &err))
		return fprintf(stderr, "%s\n", err.msg), 1;
	if (verify(a, va, sizeof(va)) || verify(b, vb, sizeof(vb)))
		return 1;
	printf("%s %s\n%s\n", kho_version(), va, vb);
	kho_source_close(a);
	kho_source_close(b);
	free(mem);
	return 0;
}
C
# shellcheck disable=SC2086
PKG_CONFIG_PATH=$(dirname "$pc") cc $cflags -o "$work/use" "$work/use.c" \
	$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs libkho)
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$work/prefix" -name 'libkho.so' | head -1)") "$work/use" "$work/img/vmlinux.raw")
fdt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["fdt"]["phys"])' \
	"$work/img/vmlinux.expect.json")
first=$(printf '%s\n' "$out" | head -1) second=$(printf '%s\n' "$out" | tail -1)
case "$first" in
"0.1.0 $fdt "*" keys scratch-unknown") ;;
*) echo "FAIL: the installed library says \"$out\""; exit 1 ;;
esac
[ "${first#0.1.0 }" = "$second" ] || { echo "FAIL: memory source differs: \"$out\""; exit 1; }
lib=$(find "$work/prefix" -name 'libkho.so.0*' | head -1)
# A reader's library: no generator, no jansson; one version node.
if nm -D --defined-only "$lib" | grep -q ' kho_ref_\| kho_spec_'; then
	echo "FAIL: libkho exports the reference implementation"; exit 1
fi
if readelf -d "$lib" | grep NEEDED | grep -q jansson; then
	echo "FAIL: libkho needs jansson"; exit 1
fi
readelf -V "$lib" | grep -q "Name: KHO_0.1" || { echo "FAIL: no KHO_0.1 version node"; exit 1; }
[ -n "$(find "$work/prefix" -name 'libkho-ref.so.0*')" ] && [ -n "$(find "$work/prefix" -name libkho-ref.pc)" ] ||
	{ echo "FAIL: libkho-ref not installed"; exit 1; }
if command -v scdoc >/dev/null; then
	for m in man1/kho-inspect.1 man1/kho-mkimage.1 man5/kho-spec.5 man3/libkho.3; do
		[ -s "$work/prefix/share/man/$m" ] || { echo "FAIL: $m not installed"; exit 1; }
	done
fi
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
