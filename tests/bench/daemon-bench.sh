#!/usr/bin/env bash
# sdei-nmid's costs, a benchmark (not a test), on this host, printing figures:
#   1. idle wakeups per second and resident memory, waiting on a silent kernel log
#      (a FIFO), with and without the unit's watchdog (WatchdogSec=30s), and on this
#      host's real /dev/kmsg when readable;
#   2. the kernel log's cost per line in instructions (callgrind: deterministic for the
#      same binary and input): the record parser, the recognizer and the whole daemon
#      (marginal: a corpus of 3x minus 1x, divided by the lines added), on lab console
#      output (sysrq-l backtrace rounds and a hard lockup, as /dev/kmsg records);
#   3. peak memory over that corpus.
# The lab's detection-to-report latency: tests/bench/daemon-latency.sh.
#
#   tests/bench/daemon-bench.sh [IDLE_SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
idle=${1:-10}
build=build/default
nmid=$build/daemon/sdei-nmid
command -v valgrind >/dev/null || { echo "bench: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
if [ ! -x "$nmid" ]; then
	cmake --preset default >/dev/null
	cmake --build --preset default -j"$(nproc)" >/dev/null
fi
tmp=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- the corpus: lab console lines as /dev/kmsg records, repeated with later seqs ----
corpus() { # COPIES OUT
	/usr/bin/python3 - "$1" "$2" tests/fixtures/lab/healthy-patched.log.gz \
		tests/fixtures/lab/hardlockup-patched.log <<'PY'
import gzip, re, sys
copies, out, logs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
line_re = re.compile(r"^\[ *(\d+)\.(\d{6})\] (.*)$")
lines = []
for p in logs:
    opener = gzip.open if p.endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8", errors="surrogateescape") as f:
        for raw in f:
            m = line_re.match(raw.rstrip("\r\n"))
            if m:
                lines.append((int(m[1]) * 1000000 + int(m[2]), m[3]))
def esc(t):
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else "\\x%02x" % b
                   for b in t.encode(errors="surrogateescape"))
seq, base = 0, 0
with open(out, "w") as f:
    for _ in range(copies):
        last = 0
        for ts, text in lines:
            last = max(last, ts)
            f.write("6,%d,%d,-;%s\n" % (seq, base + ts, esc(text)))
            seq += 1
        base += last + 60 * 1000000
print(seq)
PY
}
n1=$(corpus 1 "$tmp/c1.kmsg")
n3=$(corpus 3 "$tmp/c3.kmsg")

# ---- instructions per line ----
ir() { # OUT-NAME CORPUS [valgrind options]: the total Ir callgrind counted
	local name=$1 input=$2
	shift 2
	rm -rf "$tmp/spool-$name"
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg-$name" "$@" \
		"$nmid" --kmsg "$input" --from-start --exit-on-eof --spool "$tmp/spool-$name" \
		--root tests/fixtures/root --config /dev/null >/dev/null 2>"$tmp/vg-$name.log"
	sed -n 's/^totals: \([0-9]*\).*/\1/p' "$tmp/cg-$name"
}
all1=$(ir all1 "$tmp/c1.kmsg")
all3=$(ir all3 "$tmp/c3.kmsg")
parse1=$(ir parse1 "$tmp/c1.kmsg" --toggle-collect=sn_kmsg_record_parse)
recog1=$(ir recog1 "$tmp/c1.kmsg" --toggle-collect=sn_kmsg_events_feed)
reports=$(find "$tmp/spool-all3" -name '*.json' | wc -l)

per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a / b }'; }
echo "kernel log cost per line (callgrind instructions; corpus: $n1 lines of lab console"
echo "output, sysrq-l backtrace rounds and a hard lockup; x3 = $n3 lines, $reports reports)"
printf '  %-44s %12s\n' "record parser (sn_kmsg_record_parse)" "$(per "$parse1" "$n1")"
printf '  %-44s %12s\n' "recognizer (sn_kmsg_events_feed)" "$(per "$recog1" "$n1")"
printf '  %-44s %12s\n' "whole daemon, marginal ((x3 - x1) / lines)" \
	"$(per $((all3 - all1)) $((n3 - n1)))"
printf '  %-44s %12s\n' "whole daemon, startup and x1 corpus, total" "$all1"

# ---- peak memory over the x3 corpus ----
rm -rf "$tmp/spool-rss"
/usr/bin/time -f '%M' -o "$tmp/maxrss" "$nmid" --kmsg "$tmp/c3.kmsg" --from-start --exit-on-eof \
	--spool "$tmp/spool-rss" --root tests/fixtures/root --config /dev/null >/dev/null 2>&1
echo
echo "memory"
printf '  %-44s %9s KiB\n' "peak RSS over the x3 corpus" "$(cat "$tmp/maxrss")"

# ---- idle ----
# wakeups: context switches of the process over the interval (each wait that returns).
idle_run() { # LABEL [env...] -- daemon args...
	local label=$1 pid s0 s1 rss
	shift
	env "$@" >"$tmp/idle.log" 2>&1 3>&- &
	pid=$!
	sleep 1
	s0=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status")
	sleep "$idle"
	s1=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status")
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	printf '  %-44s %9s %9s KiB\n' "$label" \
		"$(awk -v a="$s0" -v b="$s1" -v t="$idle" 'BEGIN { printf "%.2f", (b - a) / t }')" "$rss"
}
mkfifo "$tmp/silent"
exec 3<>"$tmp/silent"
echo
echo "idle, $idle s each"
printf '  %-44s %9s %13s\n' "" "wakeups/s" "RSS"
idle_run "silent log, no watchdog" "$nmid" --kmsg "$tmp/silent" --spool "$tmp/spool-idle" \
	--root tests/fixtures/root --config /dev/null
idle_run "silent log, WatchdogSec=30s" WATCHDOG_USEC=30000000 NOTIFY_SOCKET=@sdei-nmi-bench-none \
	"$nmid" --kmsg "$tmp/silent" --spool "$tmp/spool-idle" --root tests/fixtures/root --config /dev/null
if [ -r /dev/kmsg ] && head -c0 /dev/kmsg 2>/dev/null; then
	idle_run "this host's /dev/kmsg" "$nmid" --spool "$tmp/spool-idle" --config /dev/null
else
	echo "  (this host's /dev/kmsg is not readable here: left out)"
fi
