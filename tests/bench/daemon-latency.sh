#!/usr/bin/env bash
# The detection-to-report latency of sdei-nmid in the lab, a benchmark, not a test:
# boots the patched kernel RUNS times for each of daemon-hardlockup (LKDTM HARDLOCKUP
# on CPU 2) and daemon-softlockup (LKDTM SOFTLOCKUP on CPU 3), and prints per run,
# all measured in the guest:
#   daemon   the daemon's own figure: the kernel log's time when the report was
#            written minus the detection line's timestamp (its log line "..., N s
#            after its first detection"; the kernel log's clock estimated from
#            CLOCK_MONOTONIC, lib/kclock.h)
#   seen     when the guest's shell, polling the spool every 0.1 s, first saw the
#            report (its "LAB: report-seen" line's kernel timestamp) minus the
#            detection line's timestamp: an upper bound of the above
#   trigger  the same from the LKDTM line, the moment the CPU was wedged
#   clock    the kernel log's clock minus CLOCK_BOOTTIME (/proc/uptime) in that boot
# then the median and range of each. Under TCG, on a shared 2-core host: the figures
# are the emulation's. With the stalled CPU's stack from the sdei-nmi family the
# report does not wait for the kernel log's backtrace block (about 1 s, the
# recognizer's rule B5 in lib/kmsg-events.h, when the stack comes from the log).
#
#   tests/bench/daemon-latency.sh [RUNS]        (default 3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
runs=${1:-3}
lab=tests/lab/lab.sh
logs=${SDEI_NMI_LAB_OUT:-build/lab}/logs
$lab build patched

declare -A detect=([daemon-hardlockup]='Watchdog detected hard LOCKUP on cpu 2'
	[daemon-softlockup]='BUG: soft lockup - CPU#3 stuck')
declare -A trigger=([daemon-hardlockup]='lkdtm: Performing direct entry HARDLOCKUP'
	[daemon-softlockup]='lkdtm: Performing direct entry SOFTLOCKUP')

for scenario in daemon-hardlockup daemon-softlockup; do
	for i in $(seq 1 "$runs"); do
		$lab run --kernel patched --tag "bench$i" "$scenario" >/dev/null 2>&1 ||
			{ echo "bench: $scenario run $i failed (see $logs/$scenario-patched-bench$i.log)" >&2; exit 1; }
	done
done

/usr/bin/python3 - "$logs" "$runs" "${detect[daemon-hardlockup]}" "${trigger[daemon-hardlockup]}" \
	"${detect[daemon-softlockup]}" "${trigger[daemon-softlockup]}" <<'PY'
import re, statistics, sys

logs, runs = sys.argv[1], int(sys.argv[2])
what = {"daemon-hardlockup": (sys.argv[3], sys.argv[4]),
        "daemon-softlockup": (sys.argv[5], sys.argv[6])}
KLINE = re.compile(r"^\[\s*(\d+\.\d+)\] (.*)$")


def kmsg_time(lines, needle):
    for l in lines:
        m = KLINE.match(l)
        if m and needle in m.group(2):
            return float(m.group(1)), m.group(2)
    return None, None


print("sdei-nmid detection-to-report latency, patched kernel, QEMU TCG, 4 vCPUs "
      f"({runs} boots each)")
print(f"{'scenario':<20} {'run':>3} {'daemon s':>9} {'seen s':>8} {'trigger s':>10} "
      f"{'clock s':>8}")
for scenario, (detect, trigger) in what.items():
    cols = {"daemon": [], "seen": [], "trigger": []}
    for i in range(1, runs + 1):
        path = f"{logs}/{scenario}-patched-bench{i}.log"
        with open(path, errors="replace") as f:
            lines = [l.rstrip("\n") for l in f]
        # the kernel log dump only: the console may repeat lines
        a = lines.index("LAB: kmsg-begin")
        b = lines.index("LAB: kmsg-end")
        dump = lines[a + 1:b]
        t_det, _ = kmsg_time(dump, detect)
        t_trig, _ = kmsg_time(dump, trigger)
        t_seen, _ = kmsg_time(dump, "LAB: report-seen ")
        t_clk, clk = kmsg_time(dump, "LAB: clocks: uptime ")
        own = next((float(m.group(1)) for l in lines if not KLINE.match(l)
                    for m in [re.search(r"Incident 1: .*, ([0-9.]+) s after its first "
                                        r"detection", l)] if m), None)
        if None in (t_det, t_trig, t_seen, own):
            sys.exit(f"bench: {path}: a figure is missing")
        offset = t_clk - float(clk.split()[-1]) if clk else float("nan")
        row = {"daemon": own, "seen": t_seen - t_det, "trigger": t_seen - t_trig}
        for k, v in row.items():
            cols[k].append(v)
        print(f"{scenario:<20} {i:>3} {row['daemon']:>9.3f} {row['seen']:>8.3f} "
              f"{row['trigger']:>10.3f} {offset:>8.2f}")
    med = {k: statistics.median(v) for k, v in cols.items()}
    print(f"{scenario:<20} {'med':>3} {med['daemon']:>9.3f} {med['seen']:>8.3f} "
          f"{med['trigger']:>10.3f}   range daemon {min(cols['daemon']):.3f}-"
          f"{max(cols['daemon']):.3f}, seen {min(cols['seen']):.3f}-{max(cols['seen']):.3f}")
    print(f"BENCH: {scenario} detection_to_report_s={med['daemon']:.3f} "
          f"seen_s={med['seen']:.3f} trigger_to_seen_s={med['trigger']:.3f}")
PY
