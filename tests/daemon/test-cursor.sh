#!/bin/bash
# The kernel log cursor on this host's real /dev/kmsg: sdei-nmid saves where it stopped
# (this boot's id and the last record's SEQ) and, restarted, resumes after it, so the
# records logged while it was down are read; another boot's cursor or a damaged one is
# said and not used. Needs root (writing markers to /dev/kmsg): 77 otherwise.
#
#   test-cursor.sh SDEI_NMID PYTHON3 FIXTURES
set -euo pipefail

nmid=$1 python=$2 fixtures=$3
if [ "$(id -u)" != 0 ] || ! [ -r /dev/kmsg ] || ! [ -w /dev/kmsg ] ||
	! : 2>/dev/null </dev/kmsg; then
	echo "SKIP: needs root and a readable, writable /dev/kmsg"
	exit 77
fi
tmp=$(mktemp -d)
daemon=
trap '[ -n "$daemon" ] && kill "$daemon" 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}
boot=$(cat /proc/sys/kernel/random/boot_id)
cursor=$tmp/kmsg.cursor

# seq_of TEXT: the SEQ of the newest /dev/kmsg record holding TEXT.
seq_of() {
	"$python" - "$1" <<'PY'
import os, sys
fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
seq = None
while True:
    try:
        rec = os.read(fd, 8192).decode(errors="replace")
    except BlockingIOError:
        break
    except BrokenPipeError:
        continue
    if sys.argv[1] in rec:
        seq = int(rec.split(";", 1)[0].split(",")[1])
print(seq if seq is not None else "")
PY
}

start() { # LOG
	"$nmid" --kmsg-cursor "$cursor" --spool "$tmp/spool" --config /dev/null >"$1" 2>&1 &
	daemon=$!
	for _ in $(seq 50); do grep -q 'Source kmsg (/dev/kmsg) running' "$1" && return 0; sleep 0.1; done
	fail "not started: $(cat "$1")"
}
stop() {
	kill -TERM "$daemon"
	wait "$daemon" || fail "exit $? on SIGTERM"
	daemon=
}

# 1. A first run: from the end; on SIGTERM the cursor names the last record it read.
start "$tmp/run1.log"
marker1="sdei-nmi-test-cursor-$$-one"
echo "$marker1" >/dev/kmsg
sleep 0.5
stop
seq1=$(seq_of "$marker1")
[ -n "$seq1" ] || fail "marker 1 not found in /dev/kmsg"
if [ -f "$cursor" ]; then
	read -r magic id seq <"$cursor"
	echo "cursor after run 1: $magic $id $seq (marker 1 is record $seq1)"
	[ "$magic" = sdei-nmi.kmsg-cursor/1 ] && [ "$id" = "$boot" ] || fail "cursor: $(cat "$cursor")"
	[ "$seq" -ge "$seq1" ] || fail "cursor $seq before marker 1 ($seq1)"
else
	fail "no cursor after run 1: $(cat "$tmp/run1.log")"
fi

# 2. Down: a record comes. Restarted: resumes after the cursor and reads it.
marker2="sdei-nmi-test-cursor-$$-two"
echo "$marker2" >/dev/kmsg
seq2=$(seq_of "$marker2")
start "$tmp/run2.log"
grep -q "Resuming the kernel log after record $seq (cursor $cursor)" "$tmp/run2.log" ||
	fail "run 2 did not resume: $(cat "$tmp/run2.log")"
sleep 0.5
stop
read -r _ _ seq_after <"$cursor"
echo "cursor after run 2: $seq_after (marker 2, logged while down, is record $seq2)"
[ "$seq_after" -ge "$seq2" ] || fail "run 2 did not read what came while it was down"

# 3. Another boot's cursor: not used, said, replaced once a record is read.
echo "sdei-nmi.kmsg-cursor/1 00000000-0000-4000-8000-000000000000 5" >"$cursor"
start "$tmp/run3.log"
echo "sdei-nmi-test-cursor-$$-three" >/dev/kmsg
sleep 0.5
stop
grep -q "Kernel log cursor $cursor is another boot's: reading from now on" "$tmp/run3.log" ||
	fail "stale cursor: $(cat "$tmp/run3.log")"
read -r _ id _ <"$cursor"
[ "$id" = "$boot" ] || fail "stale cursor not replaced: $(cat "$cursor")"

# 4. A damaged one: said, not used, replaced.
echo "garbage" >"$cursor"
start "$tmp/run4.log"
stop
grep -q "Failed to read the kernel log cursor $cursor: Bad message, reading from now on" \
	"$tmp/run4.log" || fail "damaged cursor: $(cat "$tmp/run4.log")"

# 5. "none": no cursor at all.
rm -f "$cursor"
"$nmid" --kmsg-cursor none --spool "$tmp/spool" --config /dev/null >"$tmp/run5.log" 2>&1 &
daemon=$!
sleep 0.5
stop
[ ! -e "$cursor" ] || fail "--kmsg-cursor none wrote $cursor"

[ "$failed" -eq 0 ] && echo "PASS: the kernel log cursor"
exit "$failed"
