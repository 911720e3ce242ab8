#!/usr/bin/env bash
# Writes a kernel log corpus recorded in the lab, as /dev/kmsg gave it (priorities,
# facilities, sequence numbers, timestamps, continuation flags), from the serial log of a
# sdei-nmid scenario, whose guest dumps /dev/kmsg at the end ('LAB: devkmsg-begin' ...
# '-end', nmid_stop_and_dump in tests/lab/guest/lib.sh):
#
#   tests/lab/lab.sh run daemon-softlockup
#   tests/unit/record-kmsg-corpus.sh build/lab/logs/daemon-softlockup-patched.log \
#       soft-lockup "LKDTM SOFTLOCKUP on CPU 3, then an RCU stall"
#
# gives tests/fixtures/kmsg/lab/soft-lockup.kmsg ('#' lines are comments). The
# synthetic corpora are in tests/fixtures/kmsg/ itself.
set -euo pipefail
log=${1:?usage: record-kmsg-corpus.sh LOG NAME DESCRIPTION}
name=${2:?usage: record-kmsg-corpus.sh LOG NAME DESCRIPTION}
what=${3:?usage: record-kmsg-corpus.sh LOG NAME DESCRIPTION}
out=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/kmsg/lab" && pwd)/$name.kmsg
kernel=$(sed -n 's/^LAB: scenario .* begin on [0-9]* CPUs, kernel \(.*\)$/\1/p;T;q' "$log")
variant=$(basename "$log" .log)
variant=${variant##*-}
{
	echo "# Recorded in the lab (tests/unit/record-kmsg-corpus.sh from $(basename "$log")):"
	echo "# $what; Linux $kernel, $variant, as /dev/kmsg returned it."
	awk '$0 == "LAB: devkmsg-begin" { f = 1; next }
		$0 == "LAB: devkmsg-end" { exit }
		f' "$log"
} >"$out.tmp"
grep -q '^[0-9]*,[0-9]*,[0-9]*,' "$out.tmp" ||
	{ rm -f "$out.tmp"; echo "no /dev/kmsg dump in $log" >&2; exit 1; }
mv "$out.tmp" "$out"
echo "wrote $out ($(grep -c '^[0-9]' "$out") records)"
