#!/bin/bash
# sdei-nmid's remote sinks, the real binary against a local OTLP/HTTP receiver
# (otlp-receiver.py, which checks every payload), and its Prometheus textfile.
#
#   test-sinks.sh otlp    SDEI_NMID PYTHON3 FIXTURES
#   test-sinks.sh metrics SDEI_NMID PYTHON3 FIXTURES PROMTOOL
#
# otlp: retries with growing delays until a 2xx, every spooled report delivered once
# with its idempotency key, a collector that is absent (connection refused) or hangs
# (the request timeout), a prompt SIGTERM meanwhile, shipping after a restart, a
# report the collector refuses for good.
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

	# 5. A report refused for good (400): not retried, counted, kept unshipped; the
	# end of input does not wait for it.
	start_receiver "$tmp/r5.log" --status 400
	rc=0
	out=$("$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
		--spool "$tmp/s5" --root "$fixtures/root" --otlp-url "$url" \
		--metrics-file "$tmp/m5.prom" 2>&1) || rc=$?
	stop_receiver
	[ "$rc" -eq 0 ] || fail "400: exit $rc: $out"
	[ "$(wc -l <"$tmp/r5.log")" -eq 1 ] || fail "400: $(wc -l <"$tmp/r5.log") posts, expected 1"
	grep -q "refused report .*HTTP 400; not retried" <<<"$out" || fail "400: not said: $out"
	expect_metric "$tmp/m5.prom" sdei_nmid_reports_failed_total 1
	expect_metric "$tmp/m5.prom" sdei_nmid_reports_shipped_total 0
	[ "$(spool_ids "$tmp/s5" unshipped | wc -l)" -eq 1 ] || fail "400: the report is not kept"

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

	# 5. With the OTLP sink: one 503, then delivered; the spool shows it shipped.
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

	# 8. A spool that refuses a report (larger than max_bytes): stalled, and the
	# failure counted.
	printf '[spool]\nmax_bytes=100\n' >"$tmp/tiny.conf"
	rc=0
	out=$("$nmid" --config "$tmp/tiny.conf" --kmsg "$tmp/hardlockup.kmsg" --from-start \
		--exit-on-eof --spool "$tmp/s8" --root "$fixtures/root" \
		--metrics-file "$tmp/m8.prom" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || fail "stalled: exit $rc, expected 1: $out"
	check "$tmp/m8.prom"
	expect_metric "$tmp/m8.prom" sdei_nmid_spool_stalled 1
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

[ "$failed" -eq 0 ] && echo "PASS: sdei-nmid sinks ($mode)"
exit "$failed"
