#!/usr/bin/env bash
# sdei-nmictl test-incident without a daemon: its record written to a file in place of
# /dev/kmsg (SDEI_NMICTL_KMSG), and a stand-in for sdei-nmid that answers it in a
# fixture spool as the daemon would (a report of kind synthetic holding the incident's
# UUID, moved into shipped/ or held/, a metrics file) or not at all. What each outcome
# prints and exits with; the usage errors. tests/daemon/test-synthetic.sh runs it
# against the real daemon.
#
#   test-cli-incident.sh PATH/TO/sdei-nmictl FIXTURES
set -euo pipefail

bin=$1
fixtures=$2
# shellcheck source=cli-test-lib.sh
source "$(dirname "$0")/cli-test-lib.sh"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; rm -rf "$tmp"' EXIT

spool=$tmp/spool
mkdir "$spool"
# A report there before: not read again, not taken for the answer.
cp "$fixtures/reports/hard-lockup.json" \
	"$spool/20261102T100405.123456Z-0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60.json"
export SDEI_NMICTL_KMSG=$tmp/kmsg
: >"$tmp/kmsg"

# stand_in WHERE [DELAY]: answers the next record written to $tmp/kmsg, DELAY seconds
# later: "pending" (a report in the spool), "shipped" (then moved into shipped/),
# "held" (into held/), "decoy" (a report of another kind holding the UUID, then none),
# "none". A metrics file when $metrics is set.
stand_in() {
	local start
	start=$(stat -c %s "$tmp/kmsg") # now: the background job's expansions come late
	python3 - "$tmp/kmsg" "$start" "$spool" "$fixtures/reports/rcu-stall.json" \
		"$1" "${2:-0}" "${metrics:-}" <<'PY' &
import json, os, re, sys, time, uuid
kmsg, start, spool, fixture, where, delay, metrics = sys.argv[1:8]
start = int(start)
while True:
    with open(kmsg) as f:
        f.seek(start)
        m = re.search(r"synthetic incident ([0-9a-f-]{36}) requested by sdei-nmictl "
                      r"\(uid ([0-9]+)\)", f.read())
    if m:
        break
    time.sleep(0.02)
time.sleep(float(delay))
if where == "none":
    sys.exit(0)
d = json.load(open(fixture))
d["id"] = str(uuid.uuid4())
line = f"[    5.000250] sdei-nmi: synthetic incident {m[1]} requested by sdei-nmictl (uid {m[2]})"
d["kernel_log"] = {"lines": [line], "lines_dropped": 0}
if where == "decoy":
    d["incident"]["kind"] = "other"
else:
    d["incident"].update(kind="synthetic", detector="sdei-nmictl", stalled_cpus=[])
    d["cpus"] = []
name = time.strftime("%Y%m%dT%H%M%S.000000Z-", time.gmtime()) + d["id"] + ".json"
with open(os.path.join(spool, ".tmp"), "w") as f:
    json.dump(d, f)
os.rename(os.path.join(spool, ".tmp"), os.path.join(spool, name))
if metrics:
    with open(metrics + ".tmp", "w") as f:
        f.write('sdei_nmid_incidents_total{kind="synthetic"} 4\n')
    os.rename(metrics + ".tmp", metrics)
if where in ("shipped", "held"):
    time.sleep(0.3)
    os.makedirs(os.path.join(spool, where), exist_ok=True)
    os.rename(os.path.join(spool, name), os.path.join(spool, where, name))
PY
	pids+=("$!")
}

conf=$tmp/spool.conf
printf '[spool]\ndirectory=%s\n' "$spool" >"$conf"
otlp_conf=$tmp/otlp.conf
printf '[spool]\ndirectory=%s\n[otlp]\nurl=http://127.0.0.1:9/v1/logs\n' "$spool" >"$otlp_conf"

# The report comes: exit 0, where it is; the record as /dev/kmsg takes it, one write.
stand_in pending 0.2
if run 0 test-incident --config "$conf" --wait 10; then
	incident=$(sed -n 's/^Synthetic incident \([0-9a-f-]*\): written to .*/\1/p' "$tmp/out")
	[ "$(cat "$tmp/kmsg")" = "<12>sdei-nmi: synthetic incident $incident requested by sdei-nmictl (uid $(id -u))" ] ||
		fail "the record: $(cat "$tmp/kmsg")"
	grep -Eq "^Report [0-9a-f-]{36}, [0-9.]+ s later:$" "$tmp/out" || fail "pending: $(cat "$tmp/out")"
	grep -q "^  spool    $spool/[0-9T.Z]*-[0-9a-f-]*.json (pending)$" "$tmp/out" ||
		fail "pending: $(cat "$tmp/out")"
	grep -q "^  otlp     not configured$" "$tmp/out" || fail "pending: otlp: $(cat "$tmp/out")"
	grep -q "^  metrics  not configured$" "$tmp/out" || fail "pending: metrics: $(cat "$tmp/out")"
	grep -q "^Waiting up to 10 s for sdei-nmid's report in $spool...$" "$tmp/err" ||
		fail "pending: stderr: $(cat "$tmp/err")"
fi
: >"$tmp/kmsg"

# With a collector configured: shipped (moved into shipped/) is waited for.
stand_in shipped 0.1
if run 0 test-incident --config "$otlp_conf" --wait 10; then
	grep -q "^  spool    $spool/shipped/[0-9T.Z]*-[0-9a-f-]*.json (shipped)$" "$tmp/out" ||
		fail "shipped: $(cat "$tmp/out")"
	grep -q "^  otlp     shipped to http://127.0.0.1:9/v1/logs, [0-9.]* s after the incident$" \
		"$tmp/out" || fail "shipped: $(cat "$tmp/out")"
fi
# ... and not shipped within --wait: exit 1, said, the state shown.
stand_in pending
if run 1 test-incident --config "$otlp_conf" --wait 1; then
	grep -q "^sdei-nmictl: report [0-9a-f-]* not shipped to http://127.0.0.1:9/v1/logs within 1 s (pending): see sdei-nmid's log$" \
		"$tmp/err" || fail "not shipped: $(cat "$tmp/err")"
	grep -q "^  otlp     NOT shipped to http://127.0.0.1:9/v1/logs yet$" "$tmp/out" ||
		fail "not shipped: $(cat "$tmp/out")"
fi
# Held back (a daemon that folds them): exit 1, said.
stand_in held
if run 1 test-incident --config "$otlp_conf" --wait 3; then
	grep -q "^sdei-nmictl: sdei-nmid held report [0-9a-f-]* back (folded or rate-limited)" "$tmp/err" ||
		fail "held: $(cat "$tmp/err")"
	grep -q "^  spool    $spool/held/.* (held)$" "$tmp/out" || fail "held: $(cat "$tmp/out")"
fi

# The metrics file: counted (4, the file was not there before: no "was").
metrics=$tmp/m.prom
printf '[spool]\ndirectory=%s\n[metrics]\ntextfile=%s\n' "$spool" "$metrics" >"$tmp/metrics.conf"
stand_in pending
if run 0 test-incident --config "$tmp/metrics.conf" --wait 10 --json=short; then
	python3 - "$tmp/out" "$metrics" <<'PY' || fail "metrics: $(cat "$tmp/out")"
import json, sys
text = open(sys.argv[1]).read()
assert text.count("\n") == 1, text
o = json.loads(text)
assert o["ok"] and o["metrics"] == {"configured": True, "file": sys.argv[2],
                                   "counted": True, "value": 4}, o
assert o["otlp"] == {"configured": False}, o
assert o["spool"]["state"] == "pending" and o["spool"]["seconds"] >= 0, o
PY
fi
# ... and not counted (still 4): exit 1, said.
stand_in pending
if run 1 test-incident --config "$tmp/metrics.conf" --wait 1; then
	grep -q "^sdei-nmictl: $metrics did not count the incident within 1 s$" "$tmp/err" ||
		fail "not counted: $(cat "$tmp/err")"
	grep -q "^  metrics  $metrics: sdei_nmid_incidents_total{kind=\"synthetic\"} NOT counted yet$" \
		"$tmp/out" || fail "not counted: $(cat "$tmp/out")"
fi
unset metrics

# No answer, or another kind's report holding the UUID: none is the answer. Exit 1.
for what in none decoy; do
	stand_in "$what"
	if run 1 test-incident --config "$conf" --wait 1 --json=pretty; then
		grep -q "^sdei-nmictl: no report of synthetic incident [0-9a-f-]* in $spool within 1 s: is sdei-nmid running (systemctl status sdei-nmid), reading $tmp/kmsg, with this spool?$" \
			"$tmp/err" || fail "$what: $(cat "$tmp/err")"
		python3 - "$tmp/out" "$spool" <<'PY' || fail "$what: --json=pretty: $(cat "$tmp/out")"
import json, sys
text = open(sys.argv[1]).read()
assert text.count("\n") > 5, text
o = json.loads(text)
assert o["ok"] is False and o["report"] is None, o
assert o["spool"] == {"directory": sys.argv[2]}, o
PY
	fi
done
# --spool overrides the configuration's.
mkdir "$tmp/other"
stand_in none
if run 1 test-incident --config "$conf" --spool "$tmp/other" --wait 1; then
	grep -q "in $tmp/other within 1 s" "$tmp/err" || fail "--spool: $(cat "$tmp/err")"
fi

# Errors: exit 2, nothing written.
: >"$tmp/kmsg"
check_error() { # PATTERN ARGS...
	local pattern=$1
	shift
	if run 2 "$@"; then
		grep -q -- "$pattern" "$tmp/err" || fail "sdei-nmictl $*: stderr '$(cat "$tmp/err")' lacks '$pattern'"
		[ ! -s "$tmp/out" ] || fail "sdei-nmictl $*: wrote to stdout"
	fi
	[ ! -s "$tmp/kmsg" ] || fail "sdei-nmictl $*: wrote a record"
}
check_error "invalid --wait '0' (1 to 3600 seconds)" test-incident --config "$conf" --wait 0
check_error "invalid --wait '3601'" test-incident --config "$conf" --wait 3601
check_error "invalid --wait '5s'" test-incident --config "$conf" --wait 5s
check_error "test-incident takes no arguments, got 'now'" test-incident now --config "$conf"
check_error "no spool at $tmp/none" test-incident --spool "$tmp/none" --config /dev/null
check_error "cannot read the configuration $tmp/nope.conf" test-incident --config "$tmp/nope.conf"
check_error "status does not take --wait" status --wait 5
check_error "reports does not take --wait" reports --wait 5 --spool "$spool"
rm "$tmp/kmsg"
if run 2 test-incident --config "$conf" --wait 1; then
	grep -q "^sdei-nmictl: cannot open $tmp/kmsg: No such file or directory$" "$tmp/err" ||
		fail "no kmsg: $(cat "$tmp/err")"
fi

[ "$failed" = 0 ] && echo "PASS: sdei-nmictl test-incident"
exit "$failed"
