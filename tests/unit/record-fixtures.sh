#!/usr/bin/env bash
# Writes the netlink fixtures recorded from a real kernel, from the serial log of a lab
# run of nl-backtrace (which runs sdei-nmictl --record in the guest):
#
#   tests/lab/lab.sh run nl-backtrace
#   tests/unit/record-fixtures.sh build/lab/logs/nl-backtrace-patched.log
set -euo pipefail
log=${1:?usage: record-fixtures.sh NL-BACKTRACE-LOG}
out=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/netlink" && pwd)
extract() {
	awk -v n="$1" '$0 == "LAB: out-begin " n { f = 1; next }
		f && index($0, "LAB: out-end " n " ") == 1 { exit }
		f && !/^\[ *[0-9]+\.[0-9]+\] / { print }' "$log"
}
for what in backtrace:recorded-backtrace-cpu2 status:recorded-status; do
	name=${what%%:*} file=$out/${what#*:}.hex
	{
		echo "## Recorded from the lab kernel (tests/unit/record-fixtures.sh): sdei-nmictl"
		echo "## $name --record, $( [ "$name" = backtrace ] && echo "CPU 2 wedged by LKDTM HARDLOCKUP" || echo "4 CPUs" )"
		extract "recorded-$name"
	} >"$file.tmp"
	grep -q '^[0-9a-f][0-9a-f] ' "$file.tmp" || { rm -f "$file.tmp"; echo "no recorded $name in $log" >&2; exit 1; }
	mv "$file.tmp" "$file"
	echo "wrote $file"
done
