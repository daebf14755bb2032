#!/bin/sh
# memfd preservation writes the record of its folio 1 (pfn, index) but does
# not preserve the folio: the successor cannot restore it.
set -eu
f="$1/mm/memfd_luo.c"
grep -q 'err = kho_preserve_folio(folio);' "$f"
sed -i 's/err = kho_preserve_folio(folio);/err = i == 1 ? 0 : kho_preserve_folio(folio);/' "$f"
grep -q 'i == 1 ? 0 : kho_preserve_folio' "$f"
