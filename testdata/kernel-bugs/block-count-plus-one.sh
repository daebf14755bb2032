#!/bin/sh
# kho_block: every block's count says one entry more than it holds.
set -eu
f="$1/kernel/liveupdate/kho_block.c"
grep -q 'it->block->ser->count = it->i;' "$f"
sed -i 's/it->block->ser->count = it->i;/it->block->ser->count = it->i + 1;/' "$f"
grep -q 'ser->count = it->i + 1;' "$f"
