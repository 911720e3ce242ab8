#!/usr/bin/env bash
# Replays the demo outputs the long tier recorded (tests/fixtures/demo/run-*.txt.gz)
# through test-demo.sh's judge: each must pass. The judge must also fail what a broken
# demo prints: a run that died of SIGPIPE before its kdump section (exit 141), a report
# from a guest with no hostname, machine-id or clock, a section with no content.
set -uo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=$LAB_DIR/../fixtures/demo
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tally OK WHAT [DETAIL_FILE] : count a check (OK is 0 for a pass); a failure shows the
# detail file
tally() {
	if [ "$1" = 0 ]; then
		pass=$((pass + 1))
		echo "ok: $2"
	else
		fail=$((fail + 1))
		echo "not ok: $2"
		[ -z "${3:-}" ] || sed 's/^/    /' "$3"
	fi
}

# judged FILE RC WANT WHAT : test-demo.sh --check FILE RC returns WANT (0 or 1)
judged() {
	local got
	"$LAB_DIR/test-demo.sh" --check "$1" "$2" >"$tmp/out" 2>&1
	got=$?
	[ "$got" = "$3" ]
	tally $? "$4: the judge returned $got (wanted $3)" "$tmp/out"
}

shopt -s nullglob
runs=("$FIX"/run-*.txt.gz)
# the long tier runs the demo five times in a row: its record has five runs
[ "${#runs[@]}" -ge 5 ]
tally $? "the long tier's record has ${#runs[@]} demo runs (at least 5) in $FIX"
[ "${#runs[@]}" -gt 0 ] || { echo "$pass passed, $fail failed"; exit 1; }
for f in "${runs[@]}"; do
	name=$(basename "$f" .txt.gz)
	gzip -dc "$f" >"$tmp/$name.txt"
	judged "$tmp/$name.txt" 0 0 "recorded $name"
done
good=$tmp/${name}.txt

# the failure of issue 11: SIGPIPE in the daemon section, no kdump section, exit 141
awk '/^== \[kdump\/patched\]/ { exit } { print }' "$good" >"$tmp/cut.txt"
judged "$tmp/cut.txt" 141 1 "a demo cut before its kdump sections, exit 141"
judged "$tmp/cut.txt" 0 1 "a demo cut before its kdump sections, exit 0"
awk '!/^== \[end\]/' "$good" >"$tmp/noend.txt"
judged "$tmp/noend.txt" 0 1 "a demo with no [end] section, exit 0"
judged "$good" 141 1 "every section, but exit 141"
# the guest as it was: hostname (none), no machine-id, its clock at 1970
sed -E 's/^( *Host: *).*/\1(none)/' "$good" >"$tmp/nohost.txt"
judged "$tmp/nohost.txt" 0 1 "reports with Host (none)"
sed -E 's/^( *Machine: *).*/\1(unknown)/' "$good" >"$tmp/nomachine.txt"
judged "$tmp/nomachine.txt" 0 1 "reports with Machine (unknown)"
sed -E 's/^( *First seen: *)[0-9]{4}-/\11970-/' "$good" >"$tmp/1970.txt"
judged "$tmp/1970.txt" 0 1 "reports first seen in 1970"
# a section whose header is there but whose content is gone
awk '/^== \[daemon\/patched\]/ { print; skip = 1; next } /^== \[/ { skip = 0 } !skip' \
	"$good" >"$tmp/empty.txt"
judged "$tmp/empty.txt" 0 1 "the patched daemon section with no content"

# The demo's own excerpt functions, on a serial log whose report excerpt is 58 lines
# (two reports, as the unpatched kernel's daemon run gives some of the time), with
# pipefail set. The old excerpt, cut by head(1) after 40 lines, died of SIGPIPE in about
# one run in ten on this log; the demo's first() must never.
log2=$FIX/daemon-hardlockup-unpatched-2-reports.log.gz
gzip -dc "$log2" >"$tmp/2-reports.log"
bad=0
for _ in $(seq 50); do
	bash -c 'set -euo pipefail
		source <(sed -n "/^first() {/,/^}/p; /^out() {/,/^}/p" "$1")
		out report-show "$2" | first 40 LOG' _ "$LAB_DIR/../../scripts/demo.sh" \
		"$tmp/2-reports.log" >"$tmp/excerpt.txt" 2>&1 || bad=$((bad + 1))
done
[ "$bad" = 0 ] && [ "$(wc -l <"$tmp/excerpt.txt")" = 41 ] &&
	grep -q '^  (18 more lines in LOG)$' "$tmp/excerpt.txt"
tally $? "the demo's excerpt of a 58-line report: 40 lines and '(18 more lines ...)' in 50 runs ($bad failed)" \
	"$tmp/excerpt.txt"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
