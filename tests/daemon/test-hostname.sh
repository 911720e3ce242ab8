#!/bin/bash
# A host renamed while sdei-nmid runs: the next report carries the new name. The lab's
# hard lockup twice, 60 s apart on its own clock, through a FIFO; between the two the
# root's proc/sys/kernel/hostname (a copy of the fixture root) changes.
#
#   test-hostname.sh SDEI_NMID PYTHON3 FIXTURES
set -euo pipefail

nmid=$1 python=$2 fixtures=$3
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
daemon=
cleanup() {
	[ -z "$daemon" ] || kill "$daemon" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-patched.log" >"$tmp/hardlockup.kmsg"
# The lockup's records again, 60 s later, with their own sequence numbers (the boot's
# lines before the lockup, at under 5 s, once).
"$python" - "$tmp/hardlockup.kmsg" "$tmp/first.kmsg" "$tmp/second.kmsg" <<'PY'
import sys
recs = [l.rstrip("\n") for l in open(sys.argv[1])]
seq = 0
for k, out in enumerate(sys.argv[2:]):
    with open(out, "w") as f:
        for r in recs:
            head, text = r.split(";", 1)
            prio, _, ts, flags = head.split(",")
            if int(ts) < 5000000 and k:
                continue
            seq += 1
            print(f"{prio},{seq},{int(ts) + k * 60000000},{flags};{text}", file=f)
PY

cp -r "$fixtures/root" "$tmp/root"
echo first-name >"$tmp/root/proc/sys/kernel/hostname"
printf '[report]\nfold_window_sec=0\nrate_limit_per_minute=0\n' >"$tmp/conf"
mkdir "$tmp/spool"
mkfifo "$tmp/kmsg"
exec 3<>"$tmp/kmsg"
"$nmid" --kmsg "$tmp/kmsg" --exit-on-eof --spool "$tmp/spool" --root "$tmp/root" \
	--config "$tmp/conf" >"$tmp/daemon.log" 2>&1 3>&- &
daemon=$!

reports() { find "$tmp/spool" -maxdepth 1 -name '*.json' | wc -l; }
wait_reports() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(reports)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

cat "$tmp/first.kmsg" >&3
wait_reports 1 || fail "no first report: $(cat "$tmp/daemon.log")"
echo second-name >"$tmp/root/proc/sys/kernel/hostname"
cat "$tmp/second.kmsg" >&3
exec 3>&-
rc=0
wait "$daemon" || rc=$?
daemon=
[ "$rc" -eq 0 ] || fail "exit $rc: $(cat "$tmp/daemon.log")"

"$python" - "$tmp/spool" <<'PY' || fail "the reports' host names: $(cat "$tmp/daemon.log")"
import glob, json, sys
docs = sorted((json.load(open(p)) for p in glob.glob(sys.argv[1] + "/*.json")),
              key=lambda d: d["incident"]["first_seen"]["monotonic_ns"])
names = [d["host"]["hostname"] for d in docs]
print("hostnames, in report order:", names)
assert names == ["first-name", "second-name"], names
# the other fields, read once at start, as before
assert all(d["host"]["machine_id"] == docs[0]["host"]["machine_id"] for d in docs)
PY

[ "$failed" -eq 0 ] && echo "PASS: the host name of each report's time"
exit "$failed"
