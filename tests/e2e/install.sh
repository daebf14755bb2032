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
for f in bin/kho-mkimage include/kho/kho.h include/kho/ref.h share/kho-tools/kho-inspect.schema.json; do
	[ -e "$work/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
pc=$(find "$work/prefix" -name libkho.pc)
[ -n "$pc" ] || { echo "FAIL: libkho.pc not installed"; exit 1; }
# A reader built against libkho.pc alone: it verifies a fixture through
# the file source and through the memory-source callbacks, and both give
# the same keys and findings; a memory source that refuses the map's root
# page (argv[2]) gives a partial verdict (kho_report_partial).
"$work/prefix/bin/kho-mkimage" -q --only raw,expect -o "$work/img" \
	"$(dirname "$0")/data/vmlinux.spec" || { echo "FAIL: installed kho-mkimage"; exit 1; }
cat >"$work/use.c" <<'C'
#include <kho/kho.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *mem;
static size_t len;
static uint64_t refuse = UINT64_MAX;

static int rd(void *ctx, uint64_t phys, void *buf, size_t n)
{
	(void)ctx;
	if (phys + n > len || (refuse >= phys && refuse < phys + n))
		return -1;
	memcpy(buf, mem + phys, n);
	return 0;
}

static int verify(struct kho_source *src, char *out, size_t outlen)
{
	struct kho_report *r;
	struct kho_error err;
	size_t used;

	if (kho_report_run(src, false, 0, NULL, 0, &r, &err))
		return fprintf(stderr, "%s\n", err.msg), -1;
	if (kho_report_handovers(r) != 1)
		return fprintf(stderr, "%zu handovers\n", kho_report_handovers(r)), -1;
	used = (size_t)snprintf(out, outlen, "0x%llx %llu keys %s",
				(unsigned long long)kho_report_fdt(r, 0),
				(unsigned long long)kho_report_keys(r, 0),
				kho_report_partial(r) ? "partial" : "verified");
	for (size_t i = 0; i < kho_report_findings(r, 0) && used < outlen; i++) {
		const char *check, *sev, *msg;
		uint64_t phys;

		kho_report_finding(r, 0, i, &check, &sev, &phys, &msg);
		used += (size_t)snprintf(out + used, outlen - used, " %s", check);
	}
	kho_report_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	struct kho_mem_range ram = { 0, 0, KHO_MEM_PRESENT };
	struct kho_memory_ops ops = { rd, NULL, NULL };
	struct kho_memory_desc d = { &ram, 1, 4096, false, "x86_64", argv[1] };
	struct kho_source *a, *b;
	struct kho_error err;
	char va[512], vb[512], vc[512];
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
	refuse = strtoull(argv[2], NULL, 0);
	if (verify(b, vc, sizeof(vc)))
		return 1;
	printf("%s %s\n%s\n%s\n", kho_version(), va, vb, vc);
	kho_source_close(a);
	kho_source_close(b);
	free(mem);
	return 0;
}
C
# shellcheck disable=SC2086
PKG_CONFIG_PATH=$(dirname "$pc") cc -Wall -Wextra -Werror $cflags -o "$work/use" "$work/use.c" \
	$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs libkho)
fdt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["fdt"]["phys"])' \
	"$work/img/vmlinux.expect.json")
root=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["handovers"][0]["memory_map"]["phys"])' \
	"$work/img/vmlinux.expect.json")
out=$(LD_LIBRARY_PATH=$(dirname "$(find "$work/prefix" -name 'libkho.so' | head -1)") "$work/use" "$work/img/vmlinux.raw" "$root")
first=$(printf '%s\n' "$out" | sed -n 1p) second=$(printf '%s\n' "$out" | sed -n 2p)
third=$(printf '%s\n' "$out" | sed -n 3p)
case "$first" in
"0.2.0 $fdt "*" keys verified scratch-unknown") ;;
*) echo "FAIL: the installed library says \"$out\""; exit 1 ;;
esac
[ "${first#0.2.0 }" = "$second" ] || { echo "FAIL: memory source differs: \"$out\""; exit 1; }
case "$third" in
"$fdt 0 keys partial "*radix-unreadable*) ;;
*) echo "FAIL: without the root page the verdict is not partial: \"$third\""; exit 1 ;;
esac
lib=$(find "$work/prefix" -name 'libkho.so.1*' | head -1)
# A reader's library: no generator, no jansson; one version node.
if nm -D --defined-only "$lib" | grep -q ' kho_ref_\| kho_spec_'; then
	echo "FAIL: libkho exports the reference implementation"; exit 1
fi
if readelf -d "$lib" | grep NEEDED | grep -q jansson; then
	echo "FAIL: libkho needs jansson"; exit 1
fi
readelf -V "$lib" | grep -q "Name: KHO_0.2" || { echo "FAIL: no KHO_0.2 version node"; exit 1; }
readelf --dyn-syms -W "$lib" | grep -q ' kho_report_partial@@KHO_0.2$' ||
	{ echo "FAIL: kho_report_partial is not in KHO_0.2"; exit 1; }
# The API is the installed headers: libkho exports exactly the functions
# they declare (no struct of the verifier, none of its inside), and no
# header of the inside is installed.
inc="$work/prefix/include/kho"
for h in findings.h handover.h map.h luo.h verify.h version.h internal.h; do
	[ ! -e "$inc/$h" ] || { echo "FAIL: the inside header $h is installed"; exit 1; }
done
declared=$(cat "$inc"/*.h | grep -v '^#\|^ \*\|^/\*' | grep -o '\bkho_[a-z0-9_]*(' | tr -d '(' |
	grep -v '^kho_ref_\|^kho_spec_\|^kho_image_suffix$' | sort -u)
inline=$(grep -ho 'static inline [a-z0-9_ ]* \*\?kho_[a-z0-9_]*(' "$inc"/*.h | grep -o 'kho_[a-z0-9_]*' | sort -u)
declared=$(printf '%s\n' "$declared" | grep -vxF "$inline")
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort -u)
if [ "$declared" != "$exported" ]; then
	echo "FAIL: libkho's exports differ from its headers' functions:"
	printf '%s\n' "$declared" >"$work/declared"
	printf '%s\n' "$exported" >"$work/exported"
	diff "$work/declared" "$work/exported" | sed 's/^/  /'
	exit 1
fi
[ -n "$(find "$work/prefix" -name 'libkho-ref.so.0*')" ] && [ -n "$(find "$work/prefix" -name libkho-ref.pc)" ] ||
	{ echo "FAIL: libkho-ref not installed"; exit 1; }
if command -v scdoc >/dev/null; then
	for m in man1/kho-inspect.1 man1/kho-mkimage.1 man5/kho-spec.5 man3/libkho.3; do
		[ -s "$work/prefix/share/man/$m" ] || { echo "FAIL: $m not installed"; exit 1; }
	done
fi
# The installed tools start from the prefix, with no LD_LIBRARY_PATH: their
# RUNPATH is $ORIGIN-relative.
readelf -d "$work/prefix/bin/kho-mkimage" | grep -q 'RUNPATH.*\$ORIGIN/' ||
	{ echo "FAIL: kho-mkimage has no \$ORIGIN RUNPATH"; exit 1; }
mv "$work/prefix" "$work/moved"   # relocated: the RUNPATH is relative
env -u LD_LIBRARY_PATH "$work/moved/bin/kho-mkimage" -q -o "$work/img" "$(dirname "$0")/data/vmlinux.spec" ||
	{ echo "FAIL: the installed kho-mkimage does not run"; exit 1; }
env -u LD_LIBRARY_PATH "$work/moved/bin/kho-inspect" verify "$work/img/vmlinux.elf" >/dev/null ||
	{ echo "FAIL: the installed kho-inspect does not run"; exit 1; }
mv "$work/moved" "$work/prefix"
# Private symbols stay private.
lib=$(find "$work/prefix" -name 'libkho.so.1*' | head -1)
if nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | grep -v '^kho_' | grep -q .; then
	echo "FAIL: libkho exports non-kho_ symbols"; exit 1
fi
# The Python package: installed where the system's python3 looks under
# /usr/local (so the demo's install imports with no PYTHONPATH), and it
# finds its library with no KHO_LIBRARY and no ldconfig. Not with the
# sanitizers: an ASan libkho does not load into a plain Python.
sysp=/usr/bin/python3
pydir=$(cd "$work/prefix" && find . -path '*/kho/__init__.py' | sed 's|^\./||; s|/kho/__init__.py$||')
if [ -x "$sysp" ]; then
	"$sysp" -c "import sys; sys.exit('/usr/local/$pydir' not in sys.path)" ||
		{ echo "FAIL: the Python package goes to $pydir, not on $sysp's path under /usr/local"; exit 1; }
	if [ -z "$cflags" ]; then
		got=$(cd "$work" && env -u KHO_LIBRARY -u LD_LIBRARY_PATH PYTHONPATH="$work/prefix/$pydir" \
			"$sysp" -c "import kho, sys; d = kho.inspect(sys.argv[1]); print(d['handovers'][0]['stats']['keys'])" \
			"$work/img/vmlinux.elf" 2>&1) ||
			{ echo "FAIL: the installed Python package: $got"; exit 1; }
		want=$("$work/prefix/bin/kho-inspect" --json verify "$work/img/vmlinux.elf" |
			"$sysp" -c "import json, sys; print(json.load(sys.stdin)['handovers'][0]['stats']['keys'])")
		[ "$got" = "$want" ] || { echo "FAIL: installed kho.inspect: $got keys, kho-inspect $want"; exit 1; }
	fi
else
	echo "SKIP: no /usr/bin/python3: the Python package is not checked"
fi
echo "install: 1 passed, 0 failed"
