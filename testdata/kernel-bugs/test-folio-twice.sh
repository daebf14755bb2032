#!/bin/sh
# test_kho preserves the first page of its first folio of order > 0 a second
# time, as an order-0 key: one range preserved twice at different orders.
set -eu
f="$1/lib/test_kho.c"
grep -q 'err = kho_preserve_folio(folio);' "$f"
sed -i 's/err = kho_preserve_folio(folio);/{ static bool twice; err = kho_preserve_folio(folio); if (!err \&\& order \&\& !twice) { twice = true; err = kho_preserve_pages(folio_page(folio, 0), 1); } }/' "$f"
grep -q 'static bool twice' "$f"
