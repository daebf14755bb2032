#!/bin/sh
# The kexec-metadata sub-node is added with a blob-size one byte short of
# the 73-byte struct.
set -eu
f="$1/kernel/liveupdate/kexec_handover.c"
grep -q 'sizeof(\*metadata));' "$f"
sed -i 's/sizeof(\*metadata));/sizeof(*metadata) - 1);/' "$f"
grep -q 'sizeof(\*metadata) - 1);' "$f"
