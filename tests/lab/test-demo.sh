#!/usr/bin/env bash
# The README's first command, end to end: runs scripts/demo.sh and fails unless it exits
# 0 and prints every section the README promises, each with what it is there to show.
#
#   test-demo.sh                   run the demo once; its output is kept as
#                                  build/demo-test/run-1.txt
#   test-demo.sh --runs N          run it N times in a row (the long tier); the outputs
#                                  are kept as build/demo-runs/run-I.txt, for
#                                  tests/lab/record-full.sh
#   test-demo.sh --check FILE RC   only judge a demo output FILE that exited with RC
#
# Prints one "ok:" or "not ok:" line per check and 'N passed, N failed'.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok: $*"; }
nok() { fail=$((fail + 1)); echo "not ok: $*"; }

# section FILE NAME : the lines of section NAME ("== [NAME] ..." to the next "== [")
section() {
	awk -v n="== [$2] " 'index($0, "== [") == 1 { f = index($0, n) == 1 } f' "$1"
}

# want NAME TEXT WHAT : section NAME has a line with TEXT (a fixed string)
want() {
	if grep -Fq -- "$2" <<<"$sec"; then ok "$1: $3"; else nok "$1: $3 (no line with '$2')"; fi
}

# want_not NAME TEXT WHAT : no line of section NAME has TEXT
want_not() {
	if grep -Fq -- "$2" <<<"$sec"; then nok "$1: $3 (a line with '$2')"; else ok "$1: $3"; fi
}

# report_is_real NAME : the report the section shows names its host, its machine and a
# time of this century, not the guest's defaults: (none), (unknown), 1970
report_is_real() {
	local host machine seen
	host=$(sed -n 's/^ *Host: *//p' <<<"$sec")
	machine=$(sed -n 's/^ *Machine: *//p' <<<"$sec")
	seen=$(sed -n 's/^ *First seen: *\([0-9]\{4\}\)-.*/\1/p' <<<"$sec")
	if [ -n "$host" ] && ! grep -qv '^sdei-lab$' <<<"$host"; then
		ok "$1: the report names the guest's host (sdei-lab)"
	else
		nok "$1: the report's Host is '${host:-missing}', not the guest's hostname sdei-lab"
	fi
	if [ -n "$machine" ] && ! grep -Eqv '^[0-9a-f]{32}$' <<<"$machine"; then
		ok "$1: the report has a machine-id"
	else
		nok "$1: the report's Machine is '${machine:-missing}', not a machine-id"
	fi
	if [ -n "$seen" ] && ! awk '$1 < 2025 { bad = 1 } END { exit !bad }' <<<"$seen"; then
		ok "$1: the report's time is the wall clock's ($(head -1 <<<"$seen"))"
	else
		nok "$1: the report's First seen year is '${seen:-missing}': the guest's clock was not set"
	fi
}

judge() {
	local file=$1 rc=$2 name prev=0 line
	if [ "$rc" = 0 ]; then ok "the demo exited 0"; else nok "the demo exited with status $rc"; fi
	# every section, in the order the README tells them
	local sections=(build backtrace/patched backtrace/unpatched daemon/patched
		daemon/unpatched kdump/patched kdump/unpatched end)
	for name in "${sections[@]}"; do
		line=$(grep -nF -m1 "== [$name] " "$file" | cut -d: -f1)
		if [ -z "$line" ]; then
			nok "section [$name] is missing"
		elif [ "$line" -le "$prev" ]; then
			nok "section [$name] is out of order (line $line)"
		else
			ok "section [$name] is there (line $line)"
			prev=$line
		fi
	done

	sec=$(section "$file" backtrace/patched)
	want backtrace/patched 'lkdtm_HARDLOCKUP' "CPU 2's stack has the LKDTM frame"
	want backtrace/patched '(exit status 0)' "sdei-nmictl backtrace --cpu 2 exits 0"
	sec=$(section "$file" backtrace/unpatched)
	want backtrace/unpatched '(exit status 2)' "sdei-nmictl finds no sdei-nmi family (exit 2)"
	want_not backtrace/unpatched 'lkdtm_HARDLOCKUP' "no stack for CPU 2"

	sec=$(section "$file" daemon/patched)
	want daemon/patched 'Incident:   hard lockup' "sdei-nmictl reports show has the hard lockup"
	want daemon/patched 'CPU 2: captured' "the report has CPU 2's stack"
	want daemon/patched 'lkdtm_HARDLOCKUP' "CPU 2's stack has the LKDTM frame"
	report_is_real daemon/patched
	sec=$(section "$file" daemon/unpatched)
	want daemon/unpatched 'Incident:   hard lockup' "sdei-nmictl reports show has the hard lockup"
	want daemon/unpatched 'CPU 2: unavailable: no sdei-nmi netlink family' \
		"the report says why CPU 2 has no stack"
	report_is_real daemon/unpatched

	sec=$(section "$file" kdump/patched)
	want kdump/patched '(sdei-nmictl kdump exit 0)' "sdei-nmictl kdump says ready"
	want kdump/patched 'retry stop with SDEI NMI for CPUs 2' "the crash stop reaches CPU 2 through SDEI"
	want kdump/patched 'NT_PRSTATUS notes: 4' "the vmcore has the 4 CPUs' registers"
	want kdump/patched 'lkdtm_HARDLOCKUP' "CPU 2's note has its pc in lkdtm_HARDLOCKUP"
	sec=$(section "$file" kdump/unpatched)
	want kdump/unpatched '(sdei-nmictl kdump exit 1)' "sdei-nmictl kdump says degraded"
	want kdump/unpatched 'failed to stop secondary CPUs 2' "the unpatched crash stop misses CPU 2"
	# another CPU with interrupts masked through the IPI's wait may be missing too
	want kdump/unpatched 'NT_PRSTATUS notes: ' "the host read the vmcore"
	want_not kdump/unpatched 'lkdtm_HARDLOCKUP' "the vmcore lacks CPU 2's registers (no pc in lkdtm_HARDLOCKUP)"
}

if [ "${1:-}" = --check ]; then
	[ $# = 3 ] || { echo "usage: test-demo.sh [--runs N] | --check FILE RC" >&2; exit 2; }
	judge "$2" "$3"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
	exit
fi
runs=1
if [ "${1:-}" = --runs ]; then
	runs=${2:-}
	[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "test-demo: --runs wants a count, not '$runs'" >&2; exit 2; }
elif [ $# -gt 0 ]; then
	echo "usage: test-demo.sh [--runs N] | --check FILE RC" >&2
	exit 2
fi
dir=$TOP/build/demo-test
[ "${1:-}" != --runs ] || dir=$TOP/build/demo-runs
rm -rf "$dir" && mkdir -p "$dir"
bad_runs=0
for i in $(seq "$runs"); do
	out=$dir/run-$i.txt
	before=$fail
	t0=$SECONDS
	"$TOP/scripts/demo.sh" >"$out" 2>&1
	rc=$?
	cat "$out"
	echo
	echo "test-demo: run $i of $runs took $((SECONDS - t0)) s and exited $rc; its output: $out"
	judge "$out" "$rc"
	[ "$fail" = "$before" ] || bad_runs=$((bad_runs + 1))
done
echo "$pass passed, $fail failed; $runs demo run(s), $((runs - bad_runs)) good"
[ "$fail" = 0 ]
