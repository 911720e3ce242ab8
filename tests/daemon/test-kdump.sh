#!/bin/bash
# sdei-nmid's kdump checks while it runs, on a copy of a fixture root: checked again on
# its timer (a sysfs file changed), and at once when a file it reads changes (inotify:
# the kdump-tools configuration, the capture test record written by sdei-nmictl); each
# check's change logged once; the metrics (sdei_nmid_kdump_check{check,level},
# _status{status}, _ready: one sample per state, 1 for the current one).
#
#   test-kdump.sh SDEI_NMID SDEI_NMICTL FIXTURES
set -euo pipefail

nmid=$1 ctl=$2 fixtures=$3

tmp=$(mktemp -d)
dpid=
cleanup() {
	[ -z "$dpid" ] || kill "$dpid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# Waits up to $2 seconds for $1 (a command) to succeed.
wait_for() {
	local cond=$1 secs=$2
	for _ in $(seq $((secs * 20))); do
		eval "$cond" && return 0
		sleep 0.05
	done
	return 1
}

metric() { # FILE NAME VALUE
	grep -qFx "$2 $3" "$1" 2>/dev/null
}

# start NAME CONFIG: the daemon on an idle kernel log, the root $tmp/root.
start() {
	: >"$tmp/empty.kmsg"
	"$nmid" --config "$2" --kmsg "$tmp/empty.kmsg" --spool "$tmp/spool-$1" \
		--root "$tmp/root" --metrics-file "$tmp/$1.prom" >"$tmp/$1.log" 2>&1 &
	dpid=$!
	wait_for "metric '$tmp/$1.prom' 'sdei_nmid_kdump_check{check=\"loaded\",level=\"ok\"}' 1" 5 ||
		fail "$1: no kdump metrics: $(cat "$tmp/$1.prom" "$tmp/$1.log" 2>&1)"
}

stop() {
	kill "$dpid"
	wait "$dpid" || true
	dpid=
}

cp -rL "$fixtures/kdump/debian-arm64-ready" "$tmp/root"
mkdir -p "$tmp/root/var/lib/sdei-nmi"

# 1. The timer (1 s): a crash kernel unloaded is seen, logged once, exported.
printf '[kdump]\ninterval_sec=1\n' >"$tmp/timer.conf"
start timer "$tmp/timer.conf"
grep -q '^kdump: ' "$tmp/timer.log" || fail "timer: no first verdict: $(cat "$tmp/timer.log")"
echo 0 >"$tmp/root/sys/kernel/kexec_crash_loaded"
wait_for "grep -q 'kdump check loaded: ok -> fail: no capture kernel is loaded' '$tmp/timer.log'" 5 ||
	fail "timer: the change was not logged: $(cat "$tmp/timer.log")"
wait_for "metric '$tmp/timer.prom' 'sdei_nmid_kdump_check{check=\"loaded\",level=\"fail\"}' 1" 3 ||
	fail "timer: metric: $(cat "$tmp/timer.prom")"
metric "$tmp/timer.prom" 'sdei_nmid_kdump_check{check="loaded",level="ok"}' 0 ||
	fail "timer: loaded is still ok"
metric "$tmp/timer.prom" sdei_nmid_kdump_ready 0 || fail "timer: kdump_ready"
metric "$tmp/timer.prom" 'sdei_nmid_kdump_status{status="not-ready"}' 1 || fail "timer: kdump_status"
metric "$tmp/timer.prom" 'sdei_nmid_kdump_status{status="ready"}' 0 || fail "timer: kdump_status ready"
grep -q '^kdump: not-ready ' "$tmp/timer.log" || fail "timer: the status change was not logged"
sleep 2.2 # two more checks: nothing new to say
[ "$(grep -c 'kdump check loaded' "$tmp/timer.log")" = 1 ] ||
	fail "timer: logged more than once: $(cat "$tmp/timer.log")"
echo 1 >"$tmp/root/sys/kernel/kexec_crash_loaded"
wait_for "grep -q 'kdump check loaded: fail -> ok' '$tmp/timer.log'" 5 ||
	fail "timer: back to ok not logged: $(cat "$tmp/timer.log")"
stop

# 2. No timer: only the files' changes, at once.
printf '[kdump]\ninterval_sec=0\n' >"$tmp/watch.conf"
start watch "$tmp/watch.conf"
grep -q 'kdump: no timer' "$tmp/watch.log" || fail "watch: no timer not said"
sed -i 's/^USE_KDUMP=1/USE_KDUMP=0/' "$tmp/root/etc/default/kdump-tools"
wait_for "grep -q 'kdump check dump-config: ok -> fail: kdump-tools is off' '$tmp/watch.log'" 3 ||
	fail "watch: kdump-tools change not seen: $(cat "$tmp/watch.log")"
wait_for "metric '$tmp/watch.prom' 'sdei_nmid_kdump_check{check=\"dump-config\",level=\"fail\"}' 1" 3 ||
	fail "watch: metric: $(cat "$tmp/watch.prom")"
"$ctl" kdump record-test fail --note "capture kernel hung" --root "$tmp/root" >/dev/null
wait_for "grep -q 'kdump check last-test: ok -> fail: the last capture test failed' '$tmp/watch.log'" 3 ||
	fail "watch: record-test not seen: $(cat "$tmp/watch.log")"
# sysfs has no notification: without a timer, not seen until a file changes.
echo 0 >"$tmp/root/sys/kernel/kexec_crash_loaded"
sleep 1
grep -q 'kdump check loaded' "$tmp/watch.log" && fail "watch: saw a sysfs change without a timer"
stop

exit "$failed"
