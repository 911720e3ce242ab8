#!/bin/bash
# sdei-nmid's remote sinks, the real binary against a local OTLP/HTTP receiver
# (otlp-receiver.py, which checks every payload), and its Prometheus textfile.
#
#   test-sinks.sh otlp|otlp-env|otlp-tls  SDEI_NMID PYTHON3 FIXTURES
#   test-sinks.sh metrics SDEI_NMID PYTHON3 FIXTURES PROMTOOL
#
# otlp: retries with growing delays until a 2xx, every spooled report delivered once
# with its idempotency key, a collector that is absent (connection refused) or hangs
# (the request timeout), a prompt SIGTERM meanwhile, shipping after a restart; only
# 429, 502, 503, 504 retried, Retry-After honoured, any other answer setting the report
# aside and the queue going on. The receiver parses every request with the upstream
# OTLP protobuf definitions (python3-opentelemetry-proto); without them these modes
# exit 77 (skipped).
# otlp-env: OpenTelemetry's environment variables (the endpoint, per-signal over
# generic, headers, timeout, gzip, the service name and resource attributes, the
# protocol), systemd credentials, and what wins over what.
# otlp-tls: https with a CA file, mTLS with a client certificate (from the credentials
# and from the environment), against a receiver that requires one (throwaway
# certificates made by openssl).
# metrics: `promtool check metrics` on the files the daemon writes, with the values
# expected (every enum one sample per state; the build, the spool by state, the kernel
# log records lost, the reloads); written at start, not on an idle change, rewritten
# by the heartbeat while idle ([metrics] heartbeat_sec), sdei_nmid_up 1 while running
# and 0 after a clean exit, replaced whole, mode 0644; exits 77 (skipped) only when
# promtool is missing.
set -euo pipefail

mode=$1 nmid=$2 python=$3 fixtures=$4 promtool=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
receiver=$here/otlp-receiver.py

# The daemon reads OpenTelemetry's variables and systemd's credentials: none but the
# test's own.
for v in $(compgen -e); do
	case $v in
	OTEL_* | CREDENTIALS_DIRECTORY) unset "$v" ;;
	esac
done

# The receiver needs the upstream OTLP definitions (Debian's python3-opentelemetry-proto,
# bookworm-backports: scripts/install-deps.sh).
have_proto=1
"$python" -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2' 2>/dev/null ||
	have_proto=0
if [ "$have_proto" = 0 ] && [ "$mode" != metrics ]; then
	echo "SKIP: $python has no opentelemetry.proto (Debian package python3-opentelemetry-proto)"
	exit 77
fi

if [ "$mode" = metrics ] && ! [ -x "$promtool" ]; then
	promtool=$(command -v promtool || true)
	if [ -z "$promtool" ]; then
		echo "SKIP: promtool is not installed (Debian package prometheus)"
		exit 77
	fi
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

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-patched.log" >"$tmp/hardlockup.kmsg"
: >"$tmp/empty.kmsg"
# Every incident a report: repeats not folded, no rate limit (sdei-nmid.conf(5)).
printf '[report]\nfold_window_sec=0\nrate_limit_per_minute=0\n' >"$tmp/all.conf"

# Starts a receiver with the given options; sets url and rpid (its log: $1).
start_receiver() {
	local log=$1
	shift
	rm -f "$tmp/port"
	"$python" "$receiver" --port-file "$tmp/port" --log "$log" "$@" &
	rpid=$!
	pids+=("$rpid")
	for _ in $(seq 100); do
		[ -s "$tmp/port" ] && break
		sleep 0.05
	done
	[ -s "$tmp/port" ] || { fail "the receiver did not start"; exit 1; }
	url="http://127.0.0.1:$(cat "$tmp/port")/v1/logs"
}

stop_receiver() {
	kill "$rpid" 2>/dev/null || true
	wait "$rpid" 2>/dev/null || true
}

# A port nothing listens on (bound, then closed).
free_port() {
	"$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
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

# The value of a sample ("name" or 'name{label="v"}') in a metrics file, or "missing".
metric() {
	[ -f "$1" ] || { echo missing; return; }
	awk -v n="$2" '$1 == n { print $2; found = 1 } END { if (!found) print "missing" }' "$1"
}

# Whether that value is at least $3.
metric_ge() {
	local v
	v=$(metric "$1" "$2")
	[ "$v" != missing ] && [ "$v" -ge "$3" ]
}

expect_metric() {
	local file=$1 name=$2 want=$3 got
	got=$(metric "$file" "$name")
	[ "$got" = "$want" ] || fail "$(basename "$file"): $name is $got, expected $want"
}

# The spool's reports: "unshipped" and "shipped" ids, one a line, sorted.
spool_ids() {
	local dir=$1 which=$2 sub=
	[ "$which" = shipped ] && sub=/shipped
	[ "$which" = held ] && sub=/held
	[ -d "$dir$sub" ] || return 0
	find "$dir$sub" -maxdepth 1 -name '*.json' -printf '%f\n' |
		sed -E 's/^[0-9T.Z]+-(.*)\.json$/\1/' | sort
}

# Reports in a spool, written without a remote sink: a stock for the OTLP runs.
make_spool() {
	local dir=$1 f
	shift
	for f in "$@"; do
		"$nmid" --kmsg "$f" --from-start --exit-on-eof --spool "$dir" \
			--root "$fixtures/root" --config "$tmp/all.conf" 2>/dev/null ||
			fail "spooling $f failed"
	done
}

if [ "$mode" = otlp ]; then
	# 1. The first three posts answered 503: the daemon (end of input, --exit-on-eof)
	# retries the same report, each delay longer than the last, until it is
	# delivered; then it is shipped in the spool and counted.
	start_receiver "$tmp/r1.log" --fail-first 3
	rc=0
	out=$("$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
		--spool "$tmp/s1" --root "$fixtures/root" --otlp-url "$url" \
		--metrics-file "$tmp/m1.prom" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "503s: exit $rc: $out"
	"$python" - "$tmp/r1.log" "$(spool_ids "$tmp/s1" shipped)" <<'PY' || fail "503s: see above"
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
shipped = sys.argv[2].split()
assert all(not p["errors"] for p in posts), [p["errors"] for p in posts]
assert [p["status"] for p in posts] == [503, 503, 503, 200], [p["status"] for p in posts]
assert len({p["key"] for p in posts}) == 1, "the key changed between retries"
assert shipped == [posts[0]["key"]], (shipped, posts[0]["key"])
d = [b["t"] - a["t"] for a, b in zip(posts, posts[1:])]
print("503s: retry delays " + ", ".join(f"{x:.3f} s" for x in d))
# sn_backoff_delay(): [3/4, 5/4] of 1, 2, 4 s (and a little for the loop and curl)
for x, nominal in zip(d, (1, 2, 4)):
    # (the upper end with room for a loaded machine)
    assert 0.75 * nominal - 0.01 <= x <= 1.25 * nominal + 1.0, (d, nominal)
assert d[0] < d[1] < d[2], d
PY
	[ -z "$(spool_ids "$tmp/s1" unshipped)" ] || fail "503s: a report left unshipped"
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_shipped_total 1
	expect_metric "$tmp/m1.prom" sdei_nmid_otlp_requests_failed_total 3
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_failed_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_otlp_queued_reports 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_spool_reports{state="shipped"}' 1
	expect_metric "$tmp/m1.prom" 'sdei_nmid_spool_reports{state="pending"}' 0
	expect_metric "$tmp/m1.prom" sdei_nmid_spool_oldest_unshipped_timestamp_seconds missing
	grep -q "HTTP 503 after .*retrying in .*(attempt 4)" <<<"$out" ||
		fail "503s: the retries are not logged: $out"

	# 2. The collector absent (connection refused): eleven reports stay spooled, the
	# daemon retries with backoff, says so in its metrics, and a SIGTERM meanwhile
	# ends it at once.
	make_spool "$tmp/s2" "$fixtures"/kmsg/*.kmsg "$tmp/hardlockup.kmsg"
	mapfile -t stock < <(spool_ids "$tmp/s2" unshipped)
	[ "${#stock[@]}" -eq 11 ] || fail "absent: ${#stock[@]} reports spooled, expected 11"
	port=$(free_port)
	"$nmid" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s2" --root "$fixtures/root" \
		--otlp-url "http://127.0.0.1:$port/v1/logs" --metrics-file "$tmp/m2.prom" \
		>"$tmp/d2.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for '[ "$(grep -c "Failed to connect to 127.0.0.1 port $port.*retrying in" "$tmp/d2.log")" -ge 2 ]' 10 ||
		fail "absent: no retries: $(cat "$tmp/d2.log")"
	# The metrics file follows within a second of the change.
	wait_for 'metric_ge "$tmp/m2.prom" sdei_nmid_otlp_requests_failed_total 2' 3 ||
		fail "absent: the metrics do not show the failed requests"
	expect_metric "$tmp/m2.prom" sdei_nmid_otlp_queued_reports 11
	expect_metric "$tmp/m2.prom" 'sdei_nmid_spool_reports{state="pending"}' 11
	expect_metric "$tmp/m2.prom" 'sdei_nmid_spool_reports{state="shipped"}' 0
	expect_metric "$tmp/m2.prom" 'sdei_nmid_source_up{source="kmsg"}' 1
	t0=$(date +%s%N)
	kill -TERM "$dpid"
	rc=0
	wait "$dpid" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "absent: $(grep -c "retrying in" "$tmp/d2.log") failed attempts, SIGTERM to exit ${ms} ms"
	[ "$rc" -eq 0 ] || fail "absent: exit $rc: $(cat "$tmp/d2.log")"
	[ "$ms" -lt 1000 ] || fail "absent: SIGTERM took $ms ms"
	[ "$(spool_ids "$tmp/s2" unshipped | wc -l)" -eq 11 ] || fail "absent: reports lost or shipped"
	[ -z "$(spool_ids "$tmp/s2" shipped)" ] || fail "absent: reports marked shipped"

	# 3. Started again with the collector up: every spooled report is delivered, each
	# once, oldest first, and marked shipped; nothing is left or lost.
	start_receiver "$tmp/r3.log"
	"$nmid" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s2" --root "$fixtures/root" \
		--otlp-url "$url" --metrics-file "$tmp/m3.prom" >"$tmp/d3.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for '[ "$(wc -l <"$tmp/r3.log")" -ge 11 ]' 20 || fail "restart: not all delivered"
	wait_for '[ "$(metric "$tmp/m3.prom" sdei_nmid_reports_shipped_total)" = 11 ]' 3 ||
		fail "restart: the metrics do not show 11 shipped"
	# The spool's figures follow the shipping.
	wait_for '[ "$(metric "$tmp/m3.prom" '\''sdei_nmid_spool_reports{state="shipped"}'\'')" = 11 ]' 3 ||
		fail "restart: the spool metrics do not show 11 shipped"
	expect_metric "$tmp/m3.prom" 'sdei_nmid_spool_reports{state="pending"}' 0
	kill -TERM "$dpid"
	wait "$dpid" || fail "restart: exit $?: $(cat "$tmp/d3.log")"
	stop_receiver
	"$python" - "$tmp/r3.log" "${stock[*]}" "$(spool_ids "$tmp/s2" shipped)" \
		"$(find "$tmp/s2/shipped" -name '*.json' -printf '%f\n' | sort)" <<'PY' ||
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
stock, shipped = sorted(sys.argv[2].split()), sys.argv[3].split()
names = sys.argv[4].split()
assert all(not p["errors"] for p in posts), [p["errors"] for p in posts]
assert all(p["status"] == 200 for p in posts)
keys = [p["key"] for p in posts]
assert sorted(keys) == stock, "delivered != spooled"
assert len(set(keys)) == len(keys), "a report delivered twice"
assert sorted(shipped) == stock, "not all marked shipped"
# oldest first: the spool's order (names sort by time)
order = [n.split("Z-", 1)[1][:-5] for n in names]
assert keys == order, (keys, order)
kinds = sorted(p["kind"] for p in posts)
print("restart: delivered " + str(len(keys)) + " reports: " + ", ".join(
    f"{k} x{kinds.count(k)}" for k in sorted(set(kinds))))
PY
		fail "restart: see above"
	[ -z "$(spool_ids "$tmp/s2" unshipped)" ] || fail "restart: reports left unshipped"

	# 4. A collector that accepts and never answers: the request times out (the
	# configured timeout, 1 s) and is retried; SIGTERM in the middle of a request
	# ends the daemon at once.
	make_spool "$tmp/s4" "$fixtures/kmsg/soft-lockup.kmsg"
	start_receiver "$tmp/r4.log" --hang
	printf '[otlp]\nurl=%s\ntimeout=1\nheader=X-Test: sinks\n' "$url" >"$tmp/hang.conf"
	"$nmid" --config "$tmp/hang.conf" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s4" \
		--root "$fixtures/root" >"$tmp/d4.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for 'grep -E -q "(Operation|Connection) timed out after 1[0-9]{3} milliseconds.*retrying in" "$tmp/d4.log"' 5 ||
		fail "hang: no timeout: $(cat "$tmp/d4.log")"
	# Into the next request (sent 0.75-1.25 s after the timeout), then SIGTERM.
	wait_for '[ "$(wc -l <"$tmp/r4.log")" -ge 2 ]' 5 || fail "hang: no second request"
	t0=$(date +%s%N)
	kill -TERM "$dpid"
	rc=0
	wait "$dpid" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "hang: requests timed out after 1 s and retried; SIGTERM mid-request to exit ${ms} ms"
	[ "$rc" -eq 0 ] || fail "hang: exit $rc: $(cat "$tmp/d4.log")"
	[ "$ms" -lt 1000 ] || fail "hang: SIGTERM took $ms ms"
	[ "$(spool_ids "$tmp/s4" unshipped | wc -l)" -eq 1 ] || fail "hang: the report is not spooled"
	stop_receiver

	# 5. Each answer as OTLP/HTTP says: 429, 502, 503, 504 retried (Retry-After
	# honoured, in seconds or as an HTTP-date), anything else sets the report aside
	# (500, 400, a partialSuccess rejection): counted by reason, said, and the next
	# report goes at once. Six spooled reports, oldest first: A 429 (Retry-After 3 s)
	# then 200; B 502, 503 (Retry-After a date 5 s ahead), 200; C 504, then 500; D
	# 400; E rejected; F 200.
	make_spool "$tmp/s5" "$fixtures/kmsg/hung-task.kmsg" "$fixtures/kmsg/rcu-stall-exp.kmsg"
	start_receiver "$tmp/r5.log" --script "429:ra=3,200,502,503:date=5,200,504,500,400,partial"
	rc=0
	out=$("$nmid" --kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$tmp/s5" \
		--root "$fixtures/root" --otlp-url "$url" --metrics-file "$tmp/m5.prom" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "statuses: exit $rc: $out"
	"$python" - "$tmp/r5.log" "$(find "$tmp/s5" -name '*.json' -printf '%f\n' | sort)" <<'PY' ||
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
order = [n.split("Z-", 1)[1][:-5] for n in sorted(sys.argv[2].split())]
assert len(order) == 6, order
assert all(not p["errors"] for p in posts), [p["errors"] for p in posts]
a, b, c, d, e, f = order
got = [(p["key"], p["status"]) for p in posts]
want = [(a, 429), (a, 200), (b, 502), (b, 503), (b, 200), (c, 504), (c, 500),
        (d, 400), (e, 200), (f, 200)]
assert got == want, ("not the requests expected", got, want)
t = [p["t"] for p in posts]
# Retry-After 3 (seconds) and a date 5 s ahead (1 s granularity: 4 s at least) over
# backoffs of at most 1.25 s and 2.5 s
assert t[1] - t[0] >= 3.0, ("Retry-After 3 not honoured", t[1] - t[0])
assert t[4] - t[3] >= 3.9, ("Retry-After date not honoured", t[4] - t[3])
assert 0.7 <= t[3] - t[2] <= 2.0, ("502 not retried after 1 s", t[3] - t[2])
assert 0.7 <= t[6] - t[5] <= 2.0, ("504 not retried after 1 s", t[6] - t[5])
# set aside: the next one at once
for i in (7, 8, 9):
    assert t[i] - t[i - 1] < 0.5, ("the queue waited after a set-aside", i, t[i] - t[i - 1])
print("statuses: Retry-After waits %.3f s (3 s) and %.3f s (a date 5 s ahead); "
      "500, 400, rejected set aside, the next sent %.0f, %.0f, %.0f ms later" % (
          t[1] - t[0], t[4] - t[3], *[(t[i] - t[i - 1]) * 1000 for i in (7, 8, 9)]))
PY
		fail "statuses: see above"
	expect_metric "$tmp/m5.prom" sdei_nmid_reports_shipped_total 3
	expect_metric "$tmp/m5.prom" sdei_nmid_otlp_requests_failed_total 4
	expect_metric "$tmp/m5.prom" 'sdei_nmid_otlp_reports_set_aside_total{reason="server-error"}' 1
	expect_metric "$tmp/m5.prom" 'sdei_nmid_otlp_reports_set_aside_total{reason="client-error"}' 1
	expect_metric "$tmp/m5.prom" 'sdei_nmid_otlp_reports_set_aside_total{reason="rejected"}' 1
	expect_metric "$tmp/m5.prom" 'sdei_nmid_otlp_reports_set_aside_total{reason="invalid-report"}' 0
	expect_metric "$tmp/m5.prom" sdei_nmid_reports_failed_total 3
	expect_metric "$tmp/m5.prom" sdei_nmid_otlp_queued_reports 0
	for why in "server-error: HTTP 500" "client-error: HTTP 400" \
		"rejected: HTTP 200, partialSuccess rejected it: too old"; do
		grep -q "set aside, not shipped to $url ($why); not retried" <<<"$out" ||
			fail "statuses: '$why' not said: $out"
	done
	grep -q "HTTP 429 after .*Retry-After 3 s; retrying in 3.000 s" <<<"$out" ||
		fail "statuses: the Retry-After wait not said: $out"
	# Shipped: A, B, F. Set aside: held in the spool, never pushed again.
	[ "$(spool_ids "$tmp/s5" shipped | wc -l)" -eq 3 ] || fail "statuses: not 3 shipped"
	[ "$(spool_ids "$tmp/s5" held | wc -l)" -eq 3 ] || fail "statuses: not 3 set aside (held)"
	[ "$(spool_ids "$tmp/s5" unshipped | wc -l)" -eq 0 ] || fail "statuses: some left pending"

	# 5b. A spool file that is no report: set aside (invalid-report), the next one
	# shipped.
	make_spool "$tmp/s5b" "$fixtures/kmsg/soft-lockup.kmsg"
	good_id=$(spool_ids "$tmp/s5b" unshipped)
	printf '{"schema":"sdei-nmi.report/1"}' >"$tmp/s5b/20000101T000000.000000Z-0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60.json"
	start_receiver "$tmp/r5b.log"
	rc=0
	out=$("$nmid" --kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$tmp/s5b" \
		--root "$fixtures/root" --otlp-url "$url" --metrics-file "$tmp/m5b.prom" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "invalid: exit $rc: $out"
	grep -q "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 set aside.*(invalid-report: " <<<"$out" ||
		fail "invalid: not set aside: $out"
	expect_metric "$tmp/m5b.prom" 'sdei_nmid_otlp_reports_set_aside_total{reason="invalid-report"}' 1
	[ "$(spool_ids "$tmp/s5b" shipped)" = "$good_id" ] || fail "invalid: the next report not shipped after it"

	# 5c. A backlog: of 150 spooled reports of about 69 kB (64 kernel log lines of
	# 1000 bytes), all are queued (counted), their bytes read from the spool a few at a
	# time (REPORT_SINKS_OTLP_READ_AHEAD), so the OTLP queue's 8 MiB bound is never
	# reached. The collector is absent: nothing is sent.
	make_spool "$tmp/s5c" "$tmp/hardlockup.kmsg"
	read -r size fit left < <("$python" - "$tmp/s5c" 150 8388608 <<'PY'
import glob, json, os, sys, uuid
spool, n, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
(src,) = glob.glob(f"{spool}/*.json")
report = json.load(open(src))
os.unlink(src)
report["kernel_log"]["lines"] = ["x" * 1000] * 64
for i in range(n):
    report["id"] = str(uuid.uuid4())
    text = json.dumps(report, separators=(",", ":"))
    with open(f"{spool}/20260101T000000.{i:06d}Z-{report['id']}.json", "w") as f:
        f.write(text)
print(len(text), cap // len(text), n - cap // len(text))
PY
	)
	"$nmid" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s5c" --root "$fixtures/root" \
		--otlp-url "http://127.0.0.1:$(free_port)/v1/logs" --metrics-file "$tmp/m5c.prom" \
		>"$tmp/d5c.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for 'metric_ge "$tmp/m5c.prom" sdei_nmid_otlp_queued_reports 150' 10 ||
		fail "bound: not 150 queued: $(cat "$tmp/d5c.log")"
	kill -TERM "$dpid"
	wait "$dpid" || fail "bound: exit $?: $(cat "$tmp/d5c.log")"
	grep -q "^150 spooled report(s) to push.$" "$tmp/d5c.log" ||
		fail "bound: the backlog not said: $(cat "$tmp/d5c.log")"
	! grep -q "do not fit\|set aside" "$tmp/d5c.log" ||
		fail "bound: reports left out or set aside: $(cat "$tmp/d5c.log")"
	echo "bound: 150 reports of $size bytes queued, read from the spool as the queue goes ($fit would fit in its 8 MiB)"

	# 6. SIGHUP: a configuration that turns the OTLP sink on ships what is spooled; one
	# that changes its headers makes it again (what was queued is shipped once); the
	# metrics file follows a new path.
	make_spool "$tmp/s6" "$fixtures/kmsg/rcu-stall-self.kmsg" "$fixtures/kmsg/soft-lockup.kmsg"
	printf '[spool]\ndirectory=%s\n' "$tmp/s6" >"$tmp/reload.conf"
	"$nmid" --config "$tmp/reload.conf" --kmsg "$tmp/empty.kmsg" --root "$fixtures/root" \
		>"$tmp/d6.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for 'grep -q "Source kmsg.*running" "$tmp/d6.log"' 5 || fail "reload: no start"
	start_receiver "$tmp/r6.log"
	printf '[spool]\ndirectory=%s\n[otlp]\nurl=%s\nheader=X-A: 1\n[metrics]\ntextfile=%s\n' \
		"$tmp/s6" "$url" "$tmp/m6.prom" >"$tmp/reload.conf"
	kill -HUP "$dpid"
	# Both acknowledged (not only received) before the next reload, which would
	# send one in flight again.
	wait_for '[ "$(metric "$tmp/m6.prom" sdei_nmid_reports_shipped_total)" = 2 ]' 10 ||
		fail "reload: nothing shipped after SIGHUP: $(cat "$tmp/d6.log")"
	printf '[spool]\ndirectory=%s\n[otlp]\nurl=%s\nheader=X-A: 2\n' "$tmp/s6" "$url" >"$tmp/reload.conf"
	kill -HUP "$dpid"
	wait_for 'grep -q "OTLP sink: http" "$tmp/d6.log" && [ "$(grep -c "OTLP sink: http" "$tmp/d6.log")" -ge 2 ]' 5 ||
		fail "reload: the sink was not made again: $(cat "$tmp/d6.log")"
	kill -TERM "$dpid"
	wait "$dpid" || fail "reload: exit $?: $(cat "$tmp/d6.log")"
	stop_receiver
	[ "$(wc -l <"$tmp/r6.log")" -eq 2 ] || fail "reload: $(wc -l <"$tmp/r6.log") posts, expected 2"
	[ "$(grep -c '"x": {"X-A": "1"}' "$tmp/r6.log")" -eq 2 ] || fail "reload: the header was not sent"
	[ -z "$(spool_ids "$tmp/s6" unshipped)" ] || fail "reload: reports left unshipped"
	echo "reload: the OTLP sink turned on and made again by SIGHUP, 2 reports shipped once"

	# 7. A bad URL on the command line is a usage error.
	rc=0
	out=$("$nmid" --otlp-url "localhost:4318" --kmsg "$tmp/empty.kmsg" 2>&1) || rc=$?
	[ "$rc" -eq 2 ] || fail "bad URL: exit $rc, expected 2: $out"
fi

# host.arch as the semantic conventions name this machine's (lib/otlp.c).
host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# Checks a receiver's log against the spool and what is expected (JSON, for each post:
# n posts, and optional path, authorization, x, encoding, resource {key: value or
# null for absent}); each post's report must be its spool file's, value for value.
check_posts() {
	local log=$1 spool=$2 want=$3 what=$4
	"$python" - "$log" "$spool" "$want" <<'PY' || fail "$what: see above"
import glob, json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
spool, want = sys.argv[2], json.loads(sys.argv[3])
assert len(posts) == want["n"], ("posts", len(posts), want["n"])
for p in posts:
    assert not p.get("tls_error") and not p["errors"], p
    assert p["status"] == 200, p["status"]
    for k in ("path", "authorization", "x", "encoding"):
        if k in want:
            assert p[k] == want[k], (k, p[k], want[k])
    for k, v in want.get("resource", {}).items():
        assert p["resource"].get(k) == v, ("resource", k, p["resource"].get(k), v)
    (f,) = glob.glob(f"{spool}/**/*-{p['key']}.json", recursive=True)
    report = json.load(open(f))
    # as JSON text: 2 is not 2.0, nor true 1
    assert json.dumps(p["report"]) == json.dumps(report), "the body is not the spooled report"
    assert p["resource"]["host.name"] == report["host"]["hostname"]
PY
}

if [ "$mode" = otlp-env ]; then
	make_spool "$tmp/s1" "$tmp/hardlockup.kmsg"
	arch=$(host_arch)
	dead="http://127.0.0.1:$(free_port)"

	# 1. The generic variables: the base endpoint gets /v1/logs, the headers are
	# percent-decoded, gzip, the service name and resource attributes (the
	# report's host.name wins over the user's), the protocol warned about; no
	# secret in the log.
	start_receiver "$tmp/r1.log"
	rc=0
	out=$(OTEL_EXPORTER_OTLP_ENDPOINT=${url%/v1/logs} \
		OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20s3cret%2Ctoken, X-Env = a%3Db' \
		OTEL_EXPORTER_OTLP_COMPRESSION=gzip OTEL_SERVICE_NAME=fleet-nmid \
		OTEL_RESOURCE_ATTRIBUTES='deployment.environment=lab%20one,host.name=not-this,service.namespace=sdei' \
		OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
		"$nmid" --kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$tmp/s1" \
		--root "$fixtures/root" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "env: exit $rc: $out"
	check_posts "$tmp/r1.log" "$tmp/s1" "{\"n\": 1, \"path\": \"/v1/logs\",
		\"authorization\": \"Bearer s3cret,token\", \"x\": {\"X-Env\": \"a=b\"},
		\"encoding\": \"gzip\", \"resource\": {\"service.name\": \"fleet-nmid\",
		\"deployment.environment\": \"lab one\", \"service.namespace\": \"sdei\",
		\"host.arch\": \"$arch\", \"os.type\": \"linux\",
		\"service.version\": \"$("$nmid" --version | awk '{ print $NF }')\"}}" "env"
	grep -q "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf is not supported: sdei-nmid sends OTLP/HTTP with the JSON encoding (http/json) only" <<<"$out" ||
		fail "env: the protocol not warned about: $out"
	grep -q "running (http/json, gzip, timeout 10000 ms, 2 header(s))" <<<"$out" ||
		fail "env: the sink's settings not said: $out"
	! grep -q s3cret <<<"$out" || fail "env: a secret in the log: $out"
	[ -z "$(spool_ids "$tmp/s1" unshipped)" ] || fail "env: not shipped"
	echo "env: OTEL_EXPORTER_OTLP_ENDPOINT + /v1/logs, headers decoded, gzip, service name and resource attributes honoured"

	# 2. The per-signal variables win: the logs endpoint as it is, its headers
	# and compression, whatever the generic ones say.
	make_spool "$tmp/s2" "$tmp/hardlockup.kmsg"
	start_receiver "$tmp/r2.log" --path /custom/logs
	rc=0
	out=$(OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="${url%/v1/logs}/custom/logs" \
		OTEL_EXPORTER_OTLP_ENDPOINT="$dead" OTEL_EXPORTER_OTLP_LOGS_HEADERS=X-Logs=1 \
		OTEL_EXPORTER_OTLP_HEADERS=X-Generic=1 OTEL_EXPORTER_OTLP_LOGS_COMPRESSION=none \
		OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
		"$nmid" --kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$tmp/s2" \
		--root "$fixtures/root" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "per-signal: exit $rc: $out"
	check_posts "$tmp/r2.log" "$tmp/s2" '{"n": 1, "path": "/custom/logs",
		"x": {"X-Logs": "1"}, "encoding": null,
		"resource": {"service.name": "sdei-nmid"}}' "per-signal"

	# 3. OTEL_EXPORTER_OTLP_TIMEOUT, in milliseconds, bounds each request; the
	# file's timeout, when set, wins over it.
	make_spool "$tmp/s3" "$fixtures/kmsg/soft-lockup.kmsg"
	start_receiver "$tmp/r3.log" --hang
	for run in env file; do
		conf=/dev/null
		if [ "$run" = file ]; then
			printf '[otlp]\ntimeout=2\n' >"$tmp/t.conf"
			conf=$tmp/t.conf
		fi
		OTEL_EXPORTER_OTLP_ENDPOINT=${url%/v1/logs} OTEL_EXPORTER_OTLP_TIMEOUT=700 \
			"$nmid" --config "$conf" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s3" \
			--root "$fixtures/root" >"$tmp/d3-$run.log" 2>&1 &
		dpid=$!
		pids+=("$dpid")
		wait_for 'grep -q "timed out after [0-9]* milliseconds.*retrying in" "$tmp/d3-$run.log"' 6 ||
			fail "timeout ($run): no timeout: $(cat "$tmp/d3-$run.log")"
		kill -TERM "$dpid"
		wait "$dpid" || fail "timeout ($run): exit $?"
		ms=$(grep -o "timed out after [0-9]* milliseconds" "$tmp/d3-$run.log" |
			awk 'NR == 1 { print $4 }')
		echo "timeout ($run): the request timed out after $ms ms"
		if [ "$run" = env ]; then
			[ "${ms:-0}" -ge 700 ] && [ "$ms" -lt 1000 ] ||
				fail "timeout (env): $ms ms, expected 700"
		else
			[ "${ms:-0}" -ge 2000 ] && [ "$ms" -lt 2300 ] ||
				fail "timeout (file): $ms ms, expected 2000 (the file's)"
		fi
	done
	stop_receiver

	# 4. What sdei-nmid is told explicitly wins over the environment: the file's
	# url, compression and headers, then the credentials' headers (systemd's
	# $CREDENTIALS_DIRECTORY); the environment fills in the rest.
	make_spool "$tmp/s4" "$tmp/hardlockup.kmsg"
	mkdir -p "$tmp/cred"
	printf '# the collector token\nAuthorization: Bearer cred\n' >"$tmp/cred/otlp-headers"
	start_receiver "$tmp/r4.log"
	printf '[otlp]\nurl=%s\ncompression=none\nheader=X-File: file\n' "$url" >"$tmp/p.conf"
	rc=0
	out=$(OTEL_EXPORTER_OTLP_ENDPOINT="$dead" OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
		OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer%20env,x-file=env,X-Env=1' \
		CREDENTIALS_DIRECTORY=$tmp/cred \
		"$nmid" --config "$tmp/p.conf" --kmsg "$tmp/empty.kmsg" --exit-on-eof \
		--spool "$tmp/s4" --root "$fixtures/root" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "precedence: exit $rc: $out"
	check_posts "$tmp/r4.log" "$tmp/s4" '{"n": 1, "authorization": "Bearer cred",
		"x": {"X-File": "file", "X-Env": "1"}, "encoding": null}' "precedence"
	echo "precedence: the file's url, compression and header, the credential's header over the environment's"

	# 5. A bad credential is a configuration error: exit 2, its file and line said,
	# not its secret.
	printf 'Authorization Bearer s3cret\n' >"$tmp/cred/otlp-headers"
	rc=0
	out=$(CREDENTIALS_DIRECTORY=$tmp/cred "$nmid" --config "$tmp/p.conf" \
		--kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$tmp/s4" \
		--root "$fixtures/root" 2>&1) || rc=$?
	[ "$rc" -eq 2 ] || fail "bad credential: exit $rc, expected 2: $out"
	grep -q "Bad OTLP credential: $tmp/cred/otlp-headers:1: not 'Name: value'" <<<"$out" ||
		fail "bad credential: not said: $out"
	! grep -q s3cret <<<"$out" || fail "bad credential: the secret in the log: $out"
fi

if [ "$mode" = otlp-tls ]; then
	command -v openssl >/dev/null || { echo "SKIP: no openssl to make certificates"; exit 77; }
	# A throwaway CA, the receiver's certificate (127.0.0.1) and a client's.
	pki=$tmp/pki
	mkdir "$pki"
	ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 2 \
		-subj /CN=sdei-nmi-test-ca 2>/dev/null
	openssl req "${ec[@]}" -keyout "$pki/server.key" -out "$pki/server.csr" \
		-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -copy_extensions copy -out "$pki/server.pem" 2>/dev/null
	openssl req "${ec[@]}" -keyout "$pki/client.key" -out "$pki/client.csr" \
		-subj /CN=sdei-nmid 2>/dev/null
	openssl x509 -req -in "$pki/client.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -out "$pki/client.pem" 2>/dev/null
	tls=(--tls-cert "$pki/server.pem" --tls-key "$pki/server.key")

	# Ships the spool $1 with the environment after it (VAR=value ...); 0 when it
	# exits 0, its log in $tmp/out.
	ship() {
		local spool=$1
		shift
		env "$@" "$nmid" --kmsg "$tmp/empty.kmsg" --exit-on-eof --spool "$spool" \
			--root "$fixtures/root" >"$tmp/out" 2>&1
	}
	# Runs the daemon on spool $1 (environment after it) until it retries twice;
	# then SIGTERM. 0 when it retried, exited 0 and shipped nothing.
	refused() {
		local spool=$1 dpid
		shift
		env "$@" "$nmid" --kmsg "$tmp/empty.kmsg" --spool "$spool" \
			--root "$fixtures/root" >"$tmp/out" 2>&1 &
		dpid=$!
		pids+=("$dpid")
		wait_for '[ "$(grep -c "retrying in" "$tmp/out")" -ge 2 ]' 10 || return 1
		kill -TERM "$dpid"
		wait "$dpid" || return 1
		! grep -q "set aside" "$tmp/out" && [ -z "$(spool_ids "$spool" shipped)" ]
	}

	# 1. https with the CA of OTEL_EXPORTER_OTLP_CERTIFICATE: shipped; without it
	# (the system's CAs) the certificate is not trusted: retried, never set aside.
	make_spool "$tmp/s1" "$tmp/hardlockup.kmsg"
	start_receiver "$tmp/r1.log" "${tls[@]}"
	url=${url/http:/https:}
	refused "$tmp/s1" OTEL_EXPORTER_OTLP_ENDPOINT="${url%/v1/logs}" ||
		fail "untrusted: not retried: $(cat "$tmp/out")"
	grep -q "SSL certificate problem: unable to get local issuer certificate.*retrying in" "$tmp/out" ||
		fail "untrusted: not said: $(cat "$tmp/out")"
	! grep -q '"status"' "$tmp/r1.log" || fail "untrusted: a request went through"
	: >"$tmp/r1.log"
	ship "$tmp/s1" OTEL_EXPORTER_OTLP_ENDPOINT="${url%/v1/logs}" \
		OTEL_EXPORTER_OTLP_CERTIFICATE="$pki/ca.pem" ||
		fail "CA: exit: $(cat "$tmp/out")"
	stop_receiver
	check_posts "$tmp/r1.log" "$tmp/s1" '{"n": 1}' "CA"
	echo "tls: a server certificate of an unknown CA retried; with OTEL_EXPORTER_OTLP_CERTIFICATE shipped"

	# 2. mTLS (the receiver requires a client certificate of the CA): without one,
	# the handshake is refused and the report retried; with the systemd credentials
	# otlp-ca, otlp-client-certificate and otlp-client-key, shipped; and with the
	# environment's _LOGS_CLIENT_CERTIFICATE and _LOGS_CLIENT_KEY.
	make_spool "$tmp/s2" "$tmp/hardlockup.kmsg" "$fixtures/kmsg/soft-lockup.kmsg"
	start_receiver "$tmp/r2.log" "${tls[@]}" --tls-client-ca "$pki/ca.pem"
	url=${url/http:/https:}
	refused "$tmp/s2" OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="$url" \
		OTEL_EXPORTER_OTLP_CERTIFICATE="$pki/ca.pem" ||
		fail "no client certificate: not retried: $(cat "$tmp/out")"
	grep -q '"tls_error"' "$tmp/r2.log" || fail "no client certificate: the receiver took it"
	mkdir "$tmp/cred"
	cp "$pki/ca.pem" "$tmp/cred/otlp-ca"
	cp "$pki/client.pem" "$tmp/cred/otlp-client-certificate"
	cp "$pki/client.key" "$tmp/cred/otlp-client-key"
	: >"$tmp/r2.log"
	ship "$tmp/s2" OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="$url" CREDENTIALS_DIRECTORY="$tmp/cred" ||
		fail "mTLS (credentials): exit: $(cat "$tmp/out")"
	grep -q "running (http/json, timeout 10000 ms, 0 header(s), CA $tmp/cred/otlp-ca, client certificate)" "$tmp/out" ||
		fail "mTLS (credentials): the settings not said: $(cat "$tmp/out")"
	check_posts "$tmp/r2.log" "$tmp/s2" '{"n": 2}' "mTLS (credentials)"
	make_spool "$tmp/s3" "$tmp/hardlockup.kmsg"
	: >"$tmp/r2.log"
	ship "$tmp/s3" OTEL_EXPORTER_OTLP_LOGS_ENDPOINT="$url" \
		OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE="$pki/ca.pem" \
		OTEL_EXPORTER_OTLP_LOGS_CLIENT_CERTIFICATE="$pki/client.pem" \
		OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY="$pki/client.key" ||
		fail "mTLS (environment): exit: $(cat "$tmp/out")"
	stop_receiver
	check_posts "$tmp/r2.log" "$tmp/s3" '{"n": 1}' "mTLS (environment)"
	echo "mtls: no client certificate refused and retried; shipped with the credentials, and with the environment's"

	# 3. A CA file that cannot be read: the sink does not run, and says why; the
	# reports are still spooled.
	rc=0
	out=$(OTEL_EXPORTER_OTLP_ENDPOINT="https://127.0.0.1:1" \
		OTEL_EXPORTER_OTLP_CERTIFICATE="$tmp/missing.pem" \
		"$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
		--spool "$tmp/s4" --root "$fixtures/root" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "missing CA: exit $rc: $out"
	grep -q "Failed to open the OTLP CA file $tmp/missing.pem: No such file or directory" <<<"$out" ||
		fail "missing CA: not said: $out"
	grep -q "OTLP sink https://127.0.0.1:1/v1/logs not running" <<<"$out" ||
		fail "missing CA: the sink runs: $out"
	[ "$(spool_ids "$tmp/s4" unshipped | wc -l)" -eq 1 ] || fail "missing CA: not spooled"
fi

if [ "$mode" = metrics ]; then
	check() {
		local out
		out=$("$promtool" check metrics <"$1" 2>&1) || fail "promtool on $(basename "$1"): $out"
	}
	version=$("$nmid" --version)
	version=${version#sdei-nmid }
	# The spool's bytes, its oldest unshipped report's time (from its name), as the
	# metrics should say them.
	spool_bytes() {
		find "$1" -name '*.json' -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
	}
	oldest_unshipped() {
		local first
		first=$(find "$1" -maxdepth 1 -name '*.json' -printf '%f\n' | sort | awk 'NR == 1')
		date -u -d "$(sed -E 's/^(....)(..)(..)T(..)(..)(..).*/\1-\2-\3 \4:\5:\6/' <<<"$first")" +%s
	}
	# A file's samples but the heartbeat's timestamp.
	but_heartbeat() {
		grep -v '^sdei_nmid_heartbeat_timestamp_seconds ' "$1"
	}

	# 1. Three RCU stalls (expedited), spooled: the file at exit, its values, and its mode (the
	# daemon's umask 077 notwithstanding).
	rc=0
	t0=$(date +%s)
	out=$(umask 077 && "$nmid" --kmsg "$fixtures/kmsg/rcu-stall-exp.kmsg" --from-start \
		--exit-on-eof --spool "$tmp/s1" --root "$fixtures/root" \
		--metrics-file "$tmp/m1.prom" 2>&1) || rc=$?
	t1=$(date +%s)
	[ "$rc" -eq 0 ] || fail "rcu: exit $rc: $out"
	check "$tmp/m1.prom"
	expect_metric "$tmp/m1.prom" 'sdei_nmid_incidents_total{kind="rcu-stall"}' 3
	for k in hard-lockup soft-lockup hung-task other; do
		expect_metric "$tmp/m1.prom" "sdei_nmid_incidents_total{kind=\"$k\"}" 0
	done
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_spooled_total 3
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_evicted_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_shipped_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_failed_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_backtraces_requested_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_reports_folded_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_otlp_queued_reports 0
	expect_metric "$tmp/m1.prom" sdei_nmid_kmsg_records_lost_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_config_reloads_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_config_reload_failures_total 0
	expect_metric "$tmp/m1.prom" sdei_nmid_config_last_reload_successful 1
	# The build; the daemon has exited (cleanly): up 0, the last heartbeat its exit.
	bpf=no
	[ "$(metric "$tmp/m1.prom" "sdei_nmid_build_info{version=\"$version\",bpf=\"yes\"}")" = 1 ] && bpf=yes
	expect_metric "$tmp/m1.prom" "sdei_nmid_build_info{version=\"$version\",bpf=\"$bpf\"}" 1
	expect_metric "$tmp/m1.prom" sdei_nmid_up 0
	expect_metric "$tmp/m1.prom" sdei_nmid_heartbeat_interval_seconds 60
	hb=$(metric "$tmp/m1.prom" sdei_nmid_heartbeat_timestamp_seconds)
	[ "$hb" != missing ] && [ "$hb" -ge "$t0" ] && [ "$hb" -le "$t1" ] ||
		fail "rcu: heartbeat $hb not within [$t0, $t1]"
	# The spool, by state: all three pending (no OTLP sink), none shipped or held.
	expect_metric "$tmp/m1.prom" 'sdei_nmid_spool_reports{state="pending"}' 3
	expect_metric "$tmp/m1.prom" 'sdei_nmid_spool_reports{state="shipped"}' 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_spool_reports{state="held"}' 0
	expect_metric "$tmp/m1.prom" sdei_nmid_spool_bytes "$(spool_bytes "$tmp/s1")"
	expect_metric "$tmp/m1.prom" sdei_nmid_spool_oldest_unshipped_timestamp_seconds \
		"$(oldest_unshipped "$tmp/s1")"
	expect_metric "$tmp/m1.prom" sdei_nmid_spool_stalled 0
	# The fixture root's kdump state: memory reserved, no crash kernel loaded. Each
	# enum one sample per state, 1 for the current one.
	expect_metric "$tmp/m1.prom" sdei_nmid_kdump_ready 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_status{status="not-ready"}' 1
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_status{status="degraded"}' 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_status{status="ready"}' 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_check{check="loaded",level="fail"}' 1
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_check{check="loaded",level="warn"}' 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_check{check="loaded",level="ok"}' 0
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_check{check="reservation",level="ok"}' 1
	expect_metric "$tmp/m1.prom" 'sdei_nmid_kdump_check{check="reservation",level="fail"}' 0
	# 8 checks x 3 levels, and each check at exactly one level.
	awk '/^sdei_nmid_kdump_check\{/ { n++; if ($2 == 1) { split($1, a, "\""); one[a[2]]++ } }
		END { for (c in one) if (one[c] != 1) bad = 1
		      exit !(n == 24 && length(one) == 8 && !bad) }' "$tmp/m1.prom" ||
		fail "rcu: sdei_nmid_kdump_check is not one sample per check and level"
	# No enum exported as a number any more: every gauge of a state is 0 or 1.
	awk '/^sdei_nmid_(kdump_status|kdump_check|source_up)/ && $2 != 0 && $2 != 1 { bad = 1 }
		END { exit bad }' "$tmp/m1.prom" || fail "rcu: a state gauge is not 0 or 1"
	# At exit no source runs any more.
	for s in kmsg netlink bpf; do
		expect_metric "$tmp/m1.prom" "sdei_nmid_source_up{source=\"$s\"}" 0
	done
	# Gone: the renamed and the enum-as-number samples.
	for old in sdei_nmid_reports_pending sdei_nmid_kdump_status 'sdei_nmid_kdump_check{check="loaded"}'; do
		expect_metric "$tmp/m1.prom" "$old" missing
	done
	[ "$(stat -c %a "$tmp/m1.prom")" = 644 ] || fail "mode $(stat -c %a "$tmp/m1.prom")"
	[ -z "$(find "$tmp" -maxdepth 1 -name '.*.tmp')" ] || fail "a temp file is left"

	# 2. Bounded spool: evictions counted, the spool's figures after them.
	rc=0
	printf '[spool]\nmax_reports=1\n[metrics]\ntextfile=%s\n[report]\nfold_window_sec=0\n' \
		"$tmp/m2.prom" >"$tmp/bounded.conf"
	out=$("$nmid" --config "$tmp/bounded.conf" --kmsg "$fixtures/kmsg/hung-task.kmsg" \
		--from-start --exit-on-eof --spool "$tmp/s2" --root "$fixtures/root" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "bounded: exit $rc: $out"
	check "$tmp/m2.prom"
	expect_metric "$tmp/m2.prom" 'sdei_nmid_incidents_total{kind="hung-task"}' 3
	expect_metric "$tmp/m2.prom" sdei_nmid_reports_evicted_total 2
	expect_metric "$tmp/m2.prom" sdei_nmid_reports_evicted_unshipped_total 2
	expect_metric "$tmp/m2.prom" 'sdei_nmid_spool_reports{state="pending"}' 1
	expect_metric "$tmp/m2.prom" sdei_nmid_spool_bytes "$(spool_bytes "$tmp/s2")"

	# 3. Written at start, with the sources' states; not rewritten while idle (the
	# heartbeat, 60 s by default, is not due); replaced whole (a new inode) at exit.
	"$nmid" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s3" --root "$fixtures/root" \
		--metrics-file "$tmp/m3.prom" >"$tmp/d3.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for '[ -s "$tmp/m3.prom" ]' 5 || fail "start: no metrics file"
	# the spool's figures come with the spool writer's first answer
	wait_for '[ "$(metric "$tmp/m3.prom" sdei_nmid_spool_bytes)" = 0 ]' 5 ||
		fail "start: no spool figures"
	sleep 1.2 # the writes of the start (coalesced within 1 s) are over
	check "$tmp/m3.prom"
	expect_metric "$tmp/m3.prom" sdei_nmid_up 1
	expect_metric "$tmp/m3.prom" 'sdei_nmid_source_up{source="kmsg"}' 1
	expect_metric "$tmp/m3.prom" 'sdei_nmid_source_up{source="netlink"}' 0
	expect_metric "$tmp/m3.prom" 'sdei_nmid_source_up{source="bpf"}' 0
	expect_metric "$tmp/m3.prom" sdei_nmid_bpf_events_total 0
	expect_metric "$tmp/m3.prom" sdei_nmid_bpf_events_lost_total 0
	# An empty spool: nothing unshipped, no oldest.
	expect_metric "$tmp/m3.prom" 'sdei_nmid_spool_reports{state="pending"}' 0
	expect_metric "$tmp/m3.prom" sdei_nmid_spool_bytes 0
	expect_metric "$tmp/m3.prom" sdei_nmid_spool_oldest_unshipped_timestamp_seconds missing
	before=$(stat -c '%i %Y.%y' "$tmp/m3.prom")
	sleep 2.5
	[ "$(stat -c '%i %Y.%y' "$tmp/m3.prom")" = "$before" ] || fail "idle: the file was rewritten"
	kill -TERM "$dpid"
	wait "$dpid" || fail "start: exit $?: $(cat "$tmp/d3.log")"
	[ "$(stat -c '%i' "$tmp/m3.prom")" != "${before%% *}" ] || fail "exit: not a new file"
	check "$tmp/m3.prom"
	expect_metric "$tmp/m3.prom" 'sdei_nmid_source_up{source="kmsg"}' 0
	expect_metric "$tmp/m3.prom" sdei_nmid_up 0

	# 4. The heartbeat (1 s): while idle the file is rewritten, its timestamp the time
	# of the write, everything else as it was; no fsync() of it.
	printf '[metrics]\ntextfile=%s\nheartbeat_sec=1\n' "$tmp/m6.prom" >"$tmp/heartbeat.conf"
	"$nmid" --config "$tmp/heartbeat.conf" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s6" \
		--root "$fixtures/root" >"$tmp/d6.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for '[ -s "$tmp/m6.prom" ]' 5 || fail "heartbeat: no metrics file"
	# The start's writes (the kdump check's follows within a second) are over.
	sleep 1.5
	expect_metric "$tmp/m6.prom" sdei_nmid_heartbeat_interval_seconds 1
	first=$(metric "$tmp/m6.prom" sdei_nmid_heartbeat_timestamp_seconds)
	but_heartbeat "$tmp/m6.prom" >"$tmp/m6.before"
	inodes=()
	for _ in $(seq 14); do
		inodes+=("$(stat -c %i "$tmp/m6.prom")")
		sleep 0.25
	done
	check "$tmp/m6.prom"
	last=$(metric "$tmp/m6.prom" sdei_nmid_heartbeat_timestamp_seconds)
	now=$(date +%s)
	writes=$(printf '%s\n' "${inodes[@]}" | uniq | wc -l)
	echo "heartbeat: $((writes - 1)) rewrites while idle in 3.25 s (1 s heartbeat), timestamp $first -> $last"
	[ "$writes" -ge 3 ] || fail "heartbeat: $((writes - 1)) rewrites in 3.25 s, expected 2 or more"
	[ "$last" -gt "$first" ] && [ "$last" -ge $((now - 2)) ] ||
		fail "heartbeat: timestamp $first -> $last (now $now)"
	but_heartbeat "$tmp/m6.prom" | diff -u "$tmp/m6.before" - >"$tmp/m6.diff" ||
		fail "heartbeat: more than the timestamp changed: $(cat "$tmp/m6.diff")"
	expect_metric "$tmp/m6.prom" sdei_nmid_up 1
	kill -TERM "$dpid"
	wait "$dpid" || fail "heartbeat: exit $?: $(cat "$tmp/d6.log")"
	expect_metric "$tmp/m6.prom" sdei_nmid_up 0
	# ... and nothing waits for the disk: no fsync() in the process's life but the
	# spool's (none here: no report).
	if command -v strace >/dev/null; then
		timeout -s TERM 2.5 strace -f -qq \
			-e trace=fsync,fdatasync,sync_file_range,rename,renameat,renameat2 \
			-o "$tmp/strace.log" "$nmid" --config "$tmp/heartbeat.conf" \
			--kmsg "$tmp/empty.kmsg" --spool "$tmp/s6" --root "$fixtures/root" \
			>/dev/null 2>&1 || true
		n=$(grep -c -E 'fsync|fdatasync|sync_file_range' "$tmp/strace.log" || true)
		w=$(grep -c -E 'rename.*m6\.prom' "$tmp/strace.log" || true)
		echo "heartbeat: $n fsync()s in 2.5 s of the daemon with a 1 s heartbeat ($w writes)"
		[ "$w" -ge 2 ] || fail "heartbeat: strace saw $w writes: $(cat "$tmp/strace.log")"
		[ "$n" -eq 0 ] || fail "heartbeat: the metrics file is synced: $(cat "$tmp/strace.log")"
	else
		echo "NOTE: no strace: the absence of fsync() is checked by unit.prom only"
	fi

	# 5. With the OTLP sink: one 503, then delivered; the spool shows it shipped (the
	# receiver needs the OTLP definitions: without them this part alone is skipped).
	if [ "$have_proto" = 1 ]; then
		start_receiver "$tmp/r4.log" --fail-first 1
		rc=0
		out=$("$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
			--spool "$tmp/s4" --root "$fixtures/root" --otlp-url "$url" \
			--metrics-file "$tmp/m4.prom" 2>&1) || rc=$?
		stop_receiver
		[ "$rc" -eq 0 ] || fail "otlp: exit $rc: $out"
		check "$tmp/m4.prom"
		expect_metric "$tmp/m4.prom" 'sdei_nmid_incidents_total{kind="hard-lockup"}' 1
		expect_metric "$tmp/m4.prom" sdei_nmid_reports_shipped_total 1
		expect_metric "$tmp/m4.prom" sdei_nmid_otlp_requests_failed_total 1
		expect_metric "$tmp/m4.prom" sdei_nmid_otlp_queued_reports 0
		expect_metric "$tmp/m4.prom" 'sdei_nmid_spool_reports{state="shipped"}' 1
		expect_metric "$tmp/m4.prom" 'sdei_nmid_spool_reports{state="pending"}' 0
		expect_metric "$tmp/m4.prom" sdei_nmid_spool_bytes "$(spool_bytes "$tmp/s4")"
	fi

	# 6. A directory that is not there: said once, the reports still spooled.
	rc=0
	out=$("$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
		--spool "$tmp/s5" --root "$fixtures/root" \
		--metrics-file "$tmp/missing/sdei-nmi.prom" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "missing dir: exit $rc: $out"
	grep -q "Failed to write the metrics file $tmp/missing/sdei-nmi.prom: No such file or directory (no such directory)" <<<"$out" ||
		fail "missing dir: not said: $out"
	[ "$(grep -c "Failed to write the metrics file" <<<"$out")" -eq 1 ] ||
		fail "missing dir: said more than once: $out"
	[ "$(find "$tmp/s5" -name '*.json' | wc -l)" -eq 1 ] || fail "missing dir: no report"

	# 7. Kernel log records lost: a gap in the sequence numbers (records 11-13 were
	# overwritten before they were read) is counted.
	printf '6,10,1000000,-;before the gap\n6,14,2000000,-;after it\n6,15,2100000,-;next\n' \
		>"$tmp/gap.kmsg"
	rc=0
	out=$("$nmid" --kmsg "$tmp/gap.kmsg" --from-start --exit-on-eof --spool "$tmp/s7" \
		--root "$fixtures/root" --metrics-file "$tmp/m7.prom" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "lost: exit $rc: $out"
	check "$tmp/m7.prom"
	expect_metric "$tmp/m7.prom" sdei_nmid_kmsg_records_lost_total 3

	# 8. A spool that refuses a report (larger than max_bytes): the failure counted;
	# not stalled (the spool answered).
	printf '[spool]\nmax_bytes=100\n' >"$tmp/tiny.conf"
	rc=0
	out=$("$nmid" --config "$tmp/tiny.conf" --kmsg "$tmp/hardlockup.kmsg" --from-start \
		--exit-on-eof --spool "$tmp/s8" --root "$fixtures/root" \
		--metrics-file "$tmp/m8.prom" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || fail "stalled: exit $rc, expected 1: $out"
	check "$tmp/m8.prom"
	expect_metric "$tmp/m8.prom" sdei_nmid_spool_stalled 0
	expect_metric "$tmp/m8.prom" sdei_nmid_reports_failed_total 1
	expect_metric "$tmp/m8.prom" 'sdei_nmid_spool_reports{state="pending"}' 0

	# 9. Reloads: a bad file is refused (counted, last reload unsuccessful), a good one
	# applied.
	printf '[metrics]\ntextfile=%s\n' "$tmp/m9.prom" >"$tmp/reload.conf"
	"$nmid" --config "$tmp/reload.conf" --kmsg "$tmp/empty.kmsg" --spool "$tmp/s9" \
		--root "$fixtures/root" >"$tmp/d9.log" 2>&1 &
	dpid=$!
	pids+=("$dpid")
	wait_for '[ -s "$tmp/m9.prom" ]' 5 || fail "reload: no metrics file"
	printf '[metrics]\ntextfile=%s\n[spool]\nmax_reports=many\n' "$tmp/m9.prom" >"$tmp/reload.conf"
	kill -HUP "$dpid"
	wait_for '[ "$(metric "$tmp/m9.prom" sdei_nmid_config_reload_failures_total)" = 1 ]' 5 ||
		fail "reload: the failure is not counted: $(cat "$tmp/d9.log")"
	expect_metric "$tmp/m9.prom" sdei_nmid_config_last_reload_successful 0
	expect_metric "$tmp/m9.prom" sdei_nmid_config_reloads_total 0
	printf '[metrics]\ntextfile=%s\n[spool]\nmax_reports=5\n' "$tmp/m9.prom" >"$tmp/reload.conf"
	kill -HUP "$dpid"
	wait_for '[ "$(metric "$tmp/m9.prom" sdei_nmid_config_reloads_total)" = 1 ]' 5 ||
		fail "reload: the reload is not counted: $(cat "$tmp/d9.log")"
	expect_metric "$tmp/m9.prom" sdei_nmid_config_last_reload_successful 1
	expect_metric "$tmp/m9.prom" sdei_nmid_config_reload_failures_total 1
	check "$tmp/m9.prom"
	kill -TERM "$dpid"
	wait "$dpid" || fail "reload: exit $?: $(cat "$tmp/d9.log")"
	echo "metrics: $(grep -c '^# TYPE' "$tmp/m1.prom") families, promtool accepts all"

	# 10. The alerting rules (configs/sdei-nmid-alerts.yml): valid, their unit tests
	# pass, and every metric they name is one the daemon writes.
	mkdir "$tmp/rules"
	cp "$here/../../configs/sdei-nmid-alerts.yml" "$here/sdei-nmid-alerts.test.yml" "$tmp/rules/"
	out=$("$promtool" check rules "$tmp/rules/sdei-nmid-alerts.yml" 2>&1) ||
		fail "rules: promtool check rules: $out"
	out=$(cd "$tmp/rules" && "$promtool" test rules sdei-nmid-alerts.test.yml 2>&1) ||
		fail "rules: promtool test rules: $out"
	mapfile -t names < <(grep -o 'sdei_nmid_[a-z_]*' "$tmp/rules/sdei-nmid-alerts.yml" | sort -u)
	for n in "${names[@]}"; do
		grep -q "^${n}[{ ]" "$tmp/m1.prom" || fail "rules: $n is not a metric the daemon writes"
	done
	echo "rules: ${#names[@]} metrics named, promtool check and test rules pass"
fi

if [ "$failed" -eq 0 ] && [ "$have_proto" = 0 ]; then
	echo "SKIP: part 4 needs python3-opentelemetry-proto; the rest passed"
	exit 77
fi
[ "$failed" -eq 0 ] && echo "PASS: sdei-nmid sinks ($mode)"
exit "$failed"
