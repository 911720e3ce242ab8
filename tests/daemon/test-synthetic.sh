#!/bin/bash
# Synthetic incidents, end to end: sdei-nmictl test-incident writes its record, a
# stand-in for the kernel turns it into a /dev/kmsg record in the log sdei-nmid follows,
# and the daemon reports it through its sinks (the spool, a local OTLP receiver that
# checks every payload, the metrics file) while sdei-nmictl waits for each.
#
#   test-synthetic.sh SDEI_NMID SDEI_NMICTL PYTHON3 SCHEMA FIXTURES
#
# 1. tests/fixtures/kmsg/test-incident/records.kmsg replayed: a report of kind
#    synthetic per synthetic record, none folded or rate-limited, a hard lockup's
#    report beside them untouched; the writer's look-alikes and the kernel's own line
#    are none.
# 2. test-incident against the running daemon: the report spooled, shipped, counted;
#    text and JSON; twice in a row (not folded).
# 3. What it says when the pipeline fails: no daemon (no report), a collector that
#    refuses (not shipped), no spool (nothing written).
# 4. As root, on this host's /dev/kmsg: the kernel's own round trip.
# Exits 77 (skipped) when python3-jsonschema is missing.
set -euo pipefail

nmid=$1 ctl=$2 python=$3 schema=$4 fixtures=$5
here=$(cd "$(dirname "$0")" && pwd)

if ! "$python" -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3-jsonschema is not installed"
	exit 77
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
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

# At most one synthetic incident a minute would pass, were they not exempt; and none
# within 5 minutes of another.
limits='[report]
fold_window_sec=300
rate_limit_per_minute=1
rate_limit_burst=1'

# ---- 1. the fixture, replayed ----

printf '%s\n' "$limits" >"$tmp/replay.conf"
rc=0
"$nmid" --kmsg "$fixtures/kmsg/test-incident/records.kmsg" --from-start --exit-on-eof \
	--spool "$tmp/spool1" --root "$fixtures/root" --config "$tmp/replay.conf" \
	--metrics-file "$tmp/m1.prom" >"$tmp/d1.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "replay: exit $rc: $(cat "$tmp/d1.log")"
"$python" - "$schema" "$tmp/spool1" <<'PY' || fail "replay: the reports: $(cat "$tmp/d1.log")"
import json, pathlib, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
docs = [json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[2]).glob("*.json"))]
for d in docs:
    errors = [e.message for e in v.iter_errors(d)]
    assert not errors, errors[:3]
kinds = sorted(d["incident"]["kind"] for d in docs)
assert kinds == ["hard-lockup", "synthetic", "synthetic", "synthetic"], kinds
want = {  # the synthetic records of the fixture: seq, time, uid
    "6f1c0e52-3b7a-4d8e-9a41-2c5b7e9d0f13": (103, "    5.000250", 0),
    "a3e8b7c4-1d2f-4e6a-8b9c-0f1e2d3c4b5a": (109, "    6.000000", 0),
    "c7d6e5f4-a3b2-4c1d-9e0f-1a2b3c4d5e6f": (110, "    6.500000", 1000),
}
seen = set()
for d in docs:
    inc = d["incident"]
    if inc["kind"] == "hard-lockup":
        # the writer's record among its block's: in none of its lines
        assert not any("synthetic" in l for l in d["kernel_log"]["lines"]), d["kernel_log"]
        assert inc["stalled_cpus"] == [2] and d["cpus"][0]["delivery"] == "captured", d
        continue
    (line,) = d["kernel_log"]["lines"]
    uuid = line.split("synthetic incident ")[1].split()[0]
    seq, ts, uid = want[uuid]
    assert line == f"[{ts}] sdei-nmi: synthetic incident {uuid} requested by sdei-nmictl (uid {uid})", line
    assert inc["detector"] == "sdei-nmictl" and inc["stalled_cpus"] == [], inc
    assert inc["kmsg_seqs"] == [seq] and inc["sources"] == ["kmsg"], inc
    assert d["cpus"] == [] and d["folded_count"] == 0, d
    seen.add(uuid)
assert seen == set(want), seen
PY
grep -q 'sdei_nmid_incidents_total{kind="synthetic"} 3$' "$tmp/m1.prom" ||
	fail "replay: metrics: $(grep incidents_total "$tmp/m1.prom")"
grep -q 'sdei_nmid_reports_folded_total 0$' "$tmp/m1.prom" ||
	fail "replay: something was held back: $(cat "$tmp/d1.log")"
# sdei-nmictl reads them back by kind.
if "$ctl" reports list --kind synthetic --json=short --spool "$tmp/spool1" >"$tmp/out" 2>"$tmp/err"; then
	"$python" -c 'import json, sys; a = json.load(open(sys.argv[1])); assert [o["kind"] for o in a] == ["synthetic"] * 3, a' \
		"$tmp/out" || fail "reports --kind synthetic: $(cat "$tmp/out")"
else
	fail "reports --kind synthetic: $(cat "$tmp/err")"
fi

# ---- 2. test-incident against the running daemon ----

# Starts a receiver with the given options; sets url and rpid (its log: $1).
start_receiver() {
	local log=$1
	shift
	rm -f "$tmp/port"
	"$python" "$here/otlp-receiver.py" --port-file "$tmp/port" --log "$log" "$@" &
	rpid=$!
	pids+=("$rpid")
	wait_for '[ -s "$tmp/port" ]' 5 || { fail "the receiver did not start"; exit 1; }
	url="http://127.0.0.1:$(cat "$tmp/port")/v1/logs"
}

# The daemon on $tmp/live.kmsg (a file it follows) with the configuration $1; dpid.
start_daemon() {
	"$nmid" --config "$1" --kmsg "$tmp/live.kmsg" --root "$fixtures/root" \
		>"$tmp/$(basename "$1" .conf).log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for "grep -q 'Source kmsg .* running' '$tmp/$(basename "$1" .conf).log'" 10 ||
		fail "the daemon did not start: $(cat "$tmp/$(basename "$1" .conf).log")"
}

stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# The kernel's part: what sdei-nmictl writes to its /dev/kmsg ($tmp/written, one
# "<PRIO>text" line per write) is appended to the log the daemon reads as a record
# "PRIO,SEQ,TS,-;text", as /dev/kmsg gives it back.
: >"$tmp/written"
: >"$tmp/live.kmsg"
"$python" - "$tmp/written" "$tmp/live.kmsg" <<'PY' &
import re, sys, time
src, dst = sys.argv[1:3]
pos, seq = 0, 1000
while True:
    with open(src) as f:
        f.seek(pos)
        data = f.read()
    lines = data.split("\n")
    for line in lines[:-1]:
        m = re.match(r"^<([0-9]+)>(.*)$", line)
        if m:
            seq += 1
            with open(dst, "a") as out:
                out.write(f"{m.group(1)},{seq},{seq * 1000000},-;{m.group(2)}\n")
    pos += len(data) - len(lines[-1])
    time.sleep(0.05)
PY
pids+=("$!")
export SDEI_NMICTL_KMSG=$tmp/written

start_receiver "$tmp/r2.log"
spool=$tmp/spool2
cat >"$tmp/live.conf" <<EOF
$limits
[spool]
directory=$spool
[otlp]
url=$url
[metrics]
textfile=$tmp/m2.prom
EOF
start_daemon "$tmp/live.conf"

rc=0
"$ctl" test-incident --config "$tmp/live.conf" --wait 20 >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "test-incident: exit $rc: $(cat "$tmp/err") $(cat "$tmp/out"); daemon: $(cat "$tmp/live.log")"
else
	incident=$(sed -n 's/^Synthetic incident \([0-9a-f-]*\): written to .*/\1/p' "$tmp/out")
	report=$(sed -n 's/^Report \([0-9a-f-]*\), [0-9.]* s later:$/\1/p' "$tmp/out")
	[ -n "$incident" ] && [ -n "$report" ] || fail "test-incident: output: $(cat "$tmp/out")"
	grep -q "^Synthetic incident $incident: written to $tmp/written (uid $(id -u)).$" "$tmp/out" ||
		fail "test-incident: the record line: $(cat "$tmp/out")"
	grep -q "^<12>sdei-nmi: synthetic incident $incident requested by sdei-nmictl (uid $(id -u))$" \
		"$tmp/written" || fail "test-incident: wrote $(cat "$tmp/written")"
	grep -q "^  spool    $spool/shipped/[0-9T.Z]*-$report.json (shipped)$" "$tmp/out" ||
		fail "test-incident: spool: $(cat "$tmp/out")"
	grep -q "^  otlp     shipped to $url, [0-9.]* s after the incident$" "$tmp/out" ||
		fail "test-incident: otlp: $(cat "$tmp/out")"
	grep -q "^  metrics  $tmp/m2.prom: sdei_nmid_incidents_total{kind=\"synthetic\"} 1 (was 0)$" \
		"$tmp/out" || fail "test-incident: metrics: $(cat "$tmp/out")"
	grep -q "^  journal  not checked here: journalctl MESSAGE_ID=39e5d528476141c5a908cbb45645e938 SDEI_NMI_REPORT_ID=$report$" \
		"$tmp/out" || fail "test-incident: journal: $(cat "$tmp/out")"
	# The collector got it: a valid payload of kind synthetic, severity INFO.
	"$python" - "$tmp/r2.log" "$report" <<'PY' || fail "test-incident: receiver: $(cat "$tmp/r2.log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in reqs if r["id"] == sys.argv[2]]
assert len(mine) == 1 and mine[0]["status"] == 200 and not mine[0]["errors"], reqs
assert mine[0]["kind"] == "synthetic", mine
PY
fi

# Again, at once, as JSON: a second report (not folded), counted.
rc=0
"$ctl" test-incident --config "$tmp/live.conf" --wait 20 --json=short >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 0 ] || fail "test-incident --json: exit $rc: $(cat "$tmp/err")"
"$python" - "$tmp/out" "$spool" "$url" "$tmp/m2.prom" <<'PY' || fail "test-incident --json: $(cat "$tmp/out")"
import json, sys
text = open(sys.argv[1]).read()
assert text.count("\n") == 1, text
o = json.loads(text)
assert o["ok"] is True and o["uid"] >= 0 and o["report"], o
assert o["spool"]["directory"] == sys.argv[2] and o["spool"]["state"] == "shipped", o
assert o["spool"]["file"].startswith(sys.argv[2] + "/shipped/"), o
assert o["otlp"] == {"configured": True, "url": sys.argv[3], "shipped": True,
                     "seconds": o["otlp"]["seconds"]}, o
assert o["metrics"] == {"configured": True, "file": sys.argv[4], "counted": True, "value": 2}, o
PY
[ "$(find "$spool/shipped" -name '*.json' | wc -l)" -eq 2 ] || fail "not two reports shipped"
grep -q 'sdei_nmid_reports_folded_total 0$' "$tmp/m2.prom" || fail "a synthetic incident was folded"

# ---- 3. a pipeline that fails ----

# No daemon: nothing comes; exit 1, said.
stop "$dpid"
rc=0
"$ctl" test-incident --config "$tmp/live.conf" --wait 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "no daemon: exit $rc"
grep -q "^sdei-nmictl: no report of synthetic incident [0-9a-f-]* in $spool within 1 s: is sdei-nmid running" \
	"$tmp/err" || fail "no daemon: $(cat "$tmp/err")"

# A collector that refuses for now (503): spooled, not shipped; exit 1, said.
start_receiver "$tmp/r3.log" --status 503
sed -i "s|^url=.*|url=$url|" "$tmp/live.conf"
start_daemon "$tmp/live.conf"
rc=0
"$ctl" test-incident --config "$tmp/live.conf" --wait 4 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "503: exit $rc: $(cat "$tmp/err")"
grep -q "^sdei-nmictl: report [0-9a-f-]* not shipped to $url within 4 s (pending): see sdei-nmid's log$" \
	"$tmp/err" || fail "503: $(cat "$tmp/err")"
grep -q "^  spool    $spool/[0-9T.Z]*-[0-9a-f-]*.json (pending)$" "$tmp/out" || fail "503: $(cat "$tmp/out")"
grep -q "^  otlp     NOT shipped to $url yet$" "$tmp/out" || fail "503: $(cat "$tmp/out")"
stop "$dpid"

# No spool there: an error before anything is written.
cp "$tmp/written" "$tmp/written.before"
rc=0
"$ctl" test-incident --spool "$tmp/none" --config "$tmp/live.conf" --wait 1 >"$tmp/out" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || fail "no spool: exit $rc"
grep -q "no spool at $tmp/none" "$tmp/err" || fail "no spool: $(cat "$tmp/err")"
cmp -s "$tmp/written" "$tmp/written.before" || fail "no spool: a record was written"
# Not root, on the real /dev/kmsg: refused before anything.
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if [ "$(id -u)" != 0 ] || [ "${#as_user[@]}" -gt 0 ]; then
	rc=0
	env -u SDEI_NMICTL_KMSG "${as_user[@]}" "$ctl" test-incident --spool "$spool" \
		>"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "not root: exit $rc"
	[ "$(cat "$tmp/err")" = "sdei-nmictl: test-incident writes to /dev/kmsg: run it as root" ] ||
		fail "not root: $(cat "$tmp/err")"
else
	echo "note: root here without setpriv, the refusal of a non-root caller is left out"
fi

# ---- 4. this host's kernel: /dev/kmsg itself (root) ----

devkmsg=$(cat /proc/sys/kernel/printk_devkmsg 2>/dev/null || echo unknown)
if [ "$(id -u)" = 0 ] && [ -r /dev/kmsg ] && [ -w /dev/kmsg ] && [ "$devkmsg" != off ] &&
	: 2>/dev/null </dev/kmsg; then
	"$nmid" --kmsg /dev/kmsg --kmsg-cursor none --bpf=no --spool "$tmp/spool4" \
		--root "$fixtures/root" --config "$tmp/replay.conf" >"$tmp/d4.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for "grep -q 'Source kmsg (/dev/kmsg) running' '$tmp/d4.log'" 10 ||
		fail "live: the daemon did not start: $(cat "$tmp/d4.log")"
	rc=0
	env -u SDEI_NMICTL_KMSG "$ctl" test-incident --spool "$tmp/spool4" --config /dev/null \
		--wait 20 --json=pretty >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 0 ] || fail "live: exit $rc: $(cat "$tmp/err"); $(cat "$tmp/d4.log")"
	"$python" - "$tmp/out" "$tmp/spool4" <<'PY' || fail "live: $(cat "$tmp/out")"
import json, pathlib, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] and o["kmsg"] == "/dev/kmsg" and o["uid"] == 0, o
(f,) = pathlib.Path(sys.argv[2]).glob("*.json")
d = json.loads(f.read_text())
assert d["id"] == o["report"] and d["incident"]["kind"] == "synthetic", d
(line,) = d["kernel_log"]["lines"]
assert line.endswith(f"] sdei-nmi: synthetic incident {o['incident']} requested by sdei-nmictl (uid 0)"), line
PY
	stop "$dpid"
else
	echo "note: not root, /dev/kmsg not readable and writable, or printk_devkmsg=$devkmsg: the live part is left out"
fi

[ "$failed" = 0 ] && echo "PASS: synthetic incidents, end to end"
exit "$failed"
