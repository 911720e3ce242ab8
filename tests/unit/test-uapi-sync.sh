#!/usr/bin/env bash
# lib/uapi/linux/sdei_nmi.h must be the header that the kernel series generates: the one
# kernel/*.patch adds as include/uapi/linux/sdei_nmi.h. Prints 'N passed, N failed'.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# the new file's lines, from the patch that creates it
for p in $(grep -v '^#' "$top/kernel/series"); do
	awk '/^diff --git / { f = ($3 == "a/include/uapi/linux/sdei_nmi.h") }
	     f && /^\+\+\+ / { next } f && /^\+/ { print substr($0, 2) }' "$top/kernel/$p"
done >"$tmp"
if [ ! -s "$tmp" ]; then
	echo "no patch of kernel/series adds include/uapi/linux/sdei_nmi.h"
	echo "0 passed, 1 failed"
	exit 1
fi
if diff -u "$tmp" "$top/lib/uapi/linux/sdei_nmi.h"; then
	echo "lib/uapi/linux/sdei_nmi.h is the series' generated header"
	echo "1 passed, 0 failed"
else
	echo "lib/uapi/linux/sdei_nmi.h differs from the series' header (above): copy it over"
	echo "0 passed, 1 failed"
	exit 1
fi
