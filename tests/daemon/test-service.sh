#!/bin/bash
# sdei-nmid as a service: sd_notify (READY, STATUS, WATCHDOG, RELOADING, STOPPING) to a
# notify socket of the test's own, SIGHUP reloads (a bad file keeps the running
# configuration, a good one applies, fixed settings say they need a restart), SIGTERM
# ends it promptly.
#
#   test-service.sh SDEI_NMID PYTHON3 FIXTURES
set -euo pipefail

nmid=$1 python=$2 fixtures=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# The notify socket: every datagram a line of $tmp/notify.log ("\n" inside as " | ").
"$python" - "$tmp/notify.sock" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        log.write(msg.replace("\n", " | ") + "\n")
PY
pids+=($!)
for _ in $(seq 50); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
[ -S "$tmp/notify.sock" ] || { echo "FAIL: no notify socket"; exit 1; }
touch "$tmp/notify.log"

# wait_for FILE PATTERN [SECONDS]: until a line of FILE matches.
wait_for() {
	local i
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-patched.log" >"$tmp/hardlockup.kmsg"
mkfifo "$tmp/kmsg"
# An older report, in the spool before the start (the spool's index is made at start:
# a file put there behind the daemon's back is not its).
old=0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60
mkdir -m 0750 "$tmp/spool"
cp "$fixtures/reports/hard-lockup.json" "$tmp/spool/20200101T000000.000000Z-$old.json"
printf '[spool]\ndirectory = %s\nmax_reports = 0\n' "$tmp/spool" >"$tmp/sdei-nmid.conf"

# The kernel log is a FIFO held open read-write here: the daemon waits on it like on
# /dev/kmsg, and sees its end when fd 3 closes.
exec 3<>"$tmp/kmsg"
# (The daemon must not inherit fd 3, or it would hold the FIFO's write end itself.)
NOTIFY_SOCKET=$tmp/notify.sock WATCHDOG_USEC=400000 "$nmid" --kmsg "$tmp/kmsg" --exit-on-eof \
	--root "$fixtures/root" --config "$tmp/sdei-nmid.conf" >"$tmp/daemon.log" 2>&1 3>&- &
daemon=$!
pids+=("$daemon")

wait_for "$tmp/notify.log" '^READY=1' || fail "no READY=1: $(cat "$tmp/notify.log" "$tmp/daemon.log")"
wait_for "$tmp/notify.log" '^STATUS=Watching 1 source(s) (kmsg); 0 report(s) written, 0 failed' ||
	fail "no STATUS line: $(cat "$tmp/notify.log")"

# The watchdog: WATCHDOG_USEC=400 ms, pinged from the loop at least every 200-300 ms.
before=$(count "$tmp/notify.log" '^WATCHDOG=1')
sleep 1.5
pings=$(($(count "$tmp/notify.log" '^WATCHDOG=1') - before))
echo "watchdog: $pings pings in 1.5 s (WATCHDOG_USEC=400000)"
[ "$pings" -ge 4 ] || fail "watchdog: $pings pings in 1.5 s, expected at least 4"

# A bad file: a line-numbered error, the running configuration kept, still ready.
printf '[spool]\nmax_reports = lots\n' >"$tmp/sdei-nmid.conf"
kill -HUP "$daemon"
wait_for "$tmp/daemon.log" 'Reload failed' || fail "bad reload: $(cat "$tmp/daemon.log")"
grep -q "$tmp/sdei-nmid.conf:2: " "$tmp/daemon.log" || fail "bad reload: no FILE:LINE: $(cat "$tmp/daemon.log")"
# (The receiver writes datagrams as they come: wait for them, don't just count.)
wait_for "$tmp/notify.log" '^RELOADING=1 | MONOTONIC_USEC=[0-9]' &&
	[ "$(count "$tmp/notify.log" '^RELOADING=1')" -eq 1 ] ||
	fail "bad reload: no RELOADING=1: $(cat "$tmp/notify.log")"
for _ in $(seq 50); do [ "$(count "$tmp/notify.log" '^READY=1')" -ge 2 ] && break; sleep 0.1; done
[ "$(count "$tmp/notify.log" '^READY=1')" -eq 2 ] ||
	fail "bad reload: not READY=1 again: $(cat "$tmp/notify.log")"
kill -0 "$daemon" 2>/dev/null || fail "bad reload: the daemon died"

# A good file: the spool bound applies, the spool directory's change waits for a restart.
printf '[spool]\ndirectory = %s\nmax_reports = 1\n' "$tmp/elsewhere" >"$tmp/sdei-nmid.conf"
kill -HUP "$daemon"
wait_for "$tmp/daemon.log" 'Changing the spool directory needs a restart, ignoring' ||
	fail "good reload: $(cat "$tmp/daemon.log")"

# The older report in the spool since the start: with max_reports = 1 the new one
# evicts it.
cat "$tmp/hardlockup.kmsg" >&3
exec 3>&-
rc=0
for _ in $(seq 100); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
kill -0 "$daemon" 2>/dev/null && { fail "still running 10 s after the end of input"; kill -9 "$daemon"; }
wait "$daemon" || rc=$?
[ "$rc" -eq 0 ] || fail "exit $rc at the end of input: $(cat "$tmp/daemon.log")"
mapfile -t reports < <(ls "$tmp/spool")
[ "${#reports[@]}" -eq 1 ] && [[ ${reports[0]} != *"$old"* ]] ||
	fail "spool after reload: ${reports[*]} (expected one new report, the old one evicted)"
grep -q 'evicted 1 older reports' "$tmp/daemon.log" || fail "no eviction logged: $(cat "$tmp/daemon.log")"
[ ! -e "$tmp/elsewhere" ] || fail "the spool directory changed without a restart"
grep -q '^STOPPING=1' "$tmp/notify.log" || fail "no STOPPING=1"

# SIGTERM while waiting for the kernel log: out within a second, status 0.
: >"$tmp/notify.log"
exec 3<>"$tmp/kmsg"
NOTIFY_SOCKET=$tmp/notify.sock "$nmid" --kmsg "$tmp/kmsg" --spool "$tmp/spool" \
	--root "$fixtures/root" --config "$tmp/sdei-nmid.conf" >"$tmp/daemon2.log" 2>&1 3>&- &
daemon=$!
pids+=("$daemon")
wait_for "$tmp/notify.log" '^READY=1' || fail "second start: no READY=1"
start=$(date +%s%N)
kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
exec 3>&-
echo "SIGTERM: exit $rc after $ms ms"
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc: $(cat "$tmp/daemon2.log")"
[ "$ms" -lt 1000 ] || fail "SIGTERM: took $ms ms"

# A report that no sink takes (the spool directory removed under the running daemon,
# no journal): logged, counted in the metrics, and still exit 0 at SIGTERM ("systemctl
# stop" must not leave the unit failed); with --exit-on-eof, the end of input's status
# says it (1).
failing_sink() {
	local name=$1
	shift
	: >"$tmp/notify.log"
	mkdir "$tmp/spool-$name"
	exec 3<>"$tmp/kmsg"
	NOTIFY_SOCKET=$tmp/notify.sock "$nmid" --kmsg "$tmp/kmsg" --spool "$tmp/spool-$name" \
		--root "$fixtures/root" --config /dev/null --metrics-file "$tmp/$name.prom" "$@" \
		>"$tmp/$name.log" 2>&1 3>&- &
	daemon=$!
	pids+=("$daemon")
	wait_for "$tmp/notify.log" '^READY=1' || fail "$name: no READY=1: $(cat "$tmp/$name.log")"
	rm -r "$tmp/spool-$name" # the report, the spool's lock file
	cat "$tmp/hardlockup.kmsg" >&3
	wait_for "$tmp/$name.log" "Failed to spool report" ||
		fail "$name: the report did not fail: $(cat "$tmp/$name.log")"
	wait_for "$tmp/notify.log" '^STATUS=.* 0 report(s) written, 1 failed' ||
		fail "$name: the failure is not in STATUS=: $(cat "$tmp/notify.log")"
}

failing_sink sigterm
kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
exec 3>&-
echo "SIGTERM after a failed report: exit $rc"
[ "$rc" -eq 0 ] || fail "SIGTERM after a failed report: exit $rc: $(cat "$tmp/sigterm.log")"
grep -q '^0 report(s) written, 1 failed\.$' "$tmp/sigterm.log" ||
	fail "SIGTERM after a failed report: not said at exit: $(cat "$tmp/sigterm.log")"
grep -q '^sdei_nmid_reports_failed_total 1$' "$tmp/sigterm.prom" ||
	fail "SIGTERM after a failed report: not counted: $(cat "$tmp/sigterm.prom")"

failing_sink eof --exit-on-eof
exec 3>&-
rc=0
wait "$daemon" || rc=$?
echo "end of input after a failed report: exit $rc"
[ "$rc" -eq 1 ] || fail "end of input after a failed report: exit $rc, expected 1: $(cat "$tmp/eof.log")"

# A stop as systemd's default KillMode=control-group sends it: SIGTERM to every process
# of the group, the spool writer child included. The incident still open is reported
# at the stop and must reach the spool: the child ignores SIGTERM and writes it.
mkdir "$tmp/spool-group"
exec 3<>"$tmp/kmsg"
setsid "$nmid" --kmsg "$tmp/kmsg" --spool "$tmp/spool-group" --root "$fixtures/root" \
	--config /dev/null >"$tmp/group.log" 2>&1 3>&- &
daemon=$!
pids+=("$daemon")
wait_for "$tmp/group.log" 'Source kmsg .* running' || fail "group: not started: $(cat "$tmp/group.log")"
cat "$tmp/hardlockup.kmsg" >&3
wait_for "$tmp/group.log" 'Incident 1' || true
kill -TERM -- "-$daemon"
rc=0
wait "$daemon" || rc=$?
exec 3>&-
mapfile -t reports < <(find "$tmp/spool-group" -name '*.json')
echo "SIGTERM to the process group: exit $rc, ${#reports[@]} report(s) spooled"
[ "$rc" -eq 0 ] || fail "group: exit $rc: $(cat "$tmp/group.log")"
[ "${#reports[@]}" -ge 1 ] || fail "group: the report of the stop was lost: $(cat "$tmp/group.log")"

[ "$failed" -eq 0 ] && echo "PASS: sdei-nmid service behaviour"
exit "$failed"
