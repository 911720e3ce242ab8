#!/bin/bash
# The real sdei-nmid against a lab log replayed as /dev/kmsg records (from a file and
# from a pipe), and its failures: a missing kernel log, an unusable spool, bad options;
# the BPF source saying why it does not run.
#
#   test-sdei-nmid.sh SDEI_NMID REPORT_PARSE PYTHON3 SCHEMA FIXTURES bpf|no-bpf
#
# Exits 77 (skipped) when python3-jsonschema is missing.
set -euo pipefail

nmid=$1 parse=$2 python=$3 schema=$4 fixtures=$5 bpf=${6:-no-bpf}
here=$(cd "$(dirname "$0")" && pwd)

if ! "$python" -c 'import jsonschema' 2>/dev/null; then
	echo "SKIP: python3-jsonschema is not installed"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

# Runs sdei-nmid with the given arguments; sets rc, and out (stdout and stderr). A run
# that does not end within 20 s exits 124.
run() {
	rc=0
	out=$(timeout 20 "$nmid" "$@" 2>&1) || rc=$?
}

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-patched.log" >"$tmp/hardlockup.kmsg"

# The reports of a spool: exactly one, strict parse, schema, content.
check_spool() {
	local what=$1 dir=$2 reports
	mapfile -t reports < <(find "$dir" -maxdepth 1 -name '*.json' | sort)
	if [ "${#reports[@]}" -ne 1 ]; then
		fail "$what: ${#reports[@]} reports in the spool, expected 1"
		return
	fi
	local parsed
	if ! parsed=$("$parse" "${reports[@]}"); then
		fail "$what: sn_report_parse refused the report"
		return
	fi
	[ "$parsed" = "hard-lockup 2 0" ] || fail "$what: parsed as '$parsed', expected 'hard-lockup 2 0'"
	"$python" - "$schema" "${reports[0]}" <<'PY' || fail "$what: report check failed"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
v = cls(schema, format_checker=jsonschema.FormatChecker())
doc = json.load(open(sys.argv[2]))
errors = [e.message for e in v.iter_errors(doc)]
assert not errors, errors[:3]
inc = doc["incident"]
assert inc["kind"] == "hard-lockup", inc
assert inc["detector"] == "buddy", inc
assert inc["stalled_cpus"] == [2], inc
assert doc["folded_count"] == 0, doc["folded_count"]  # complete: the repeats came after it
assert doc["host"]["hostname"], doc["host"]
cpus = {c["cpu"]: c for c in doc["cpus"]}
assert list(cpus) == [2], list(cpus)
c2 = cpus[2]
assert c2["delivery"] == "captured" and c2["source"] == "kmsg", c2
assert any(f.startswith("lkdtm_HARDLOCKUP") for f in c2["frames"]), c2["frames"]
lines = doc["kernel_log"]["lines"]
assert "Watchdog detected hard LOCKUP on cpu 2" in lines[0], lines[0]
PY
}

# From a file.
run --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-file" \
	--root "$fixtures/root"
[ "$rc" -eq 0 ] || fail "file: exit $rc: $out"
check_spool file "$tmp/spool-file"

# A file longer than one batch of records (256): 600 unrelated records first, then the
# lockup, every seq moved up; the same report.
{
	for i in $(seq 0 599); do echo "6,$i,$i,-;filler line $i"; done
	awk -F, 'BEGIN { OFS = "," } { $2 = $2 + 600; print }' "$tmp/hardlockup.kmsg"
} >"$tmp/long.kmsg"
run --kmsg "$tmp/long.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-long" \
	--root "$fixtures/root"
[ "$rc" -eq 0 ] || fail "long file: exit $rc: $out"
check_spool "long file" "$tmp/spool-long"

# From a pipe (the loop's I/O source rather than the file's deferred one).
rc=0
# shellcheck disable=SC2002 # a pipe is the point
out=$(cat "$tmp/hardlockup.kmsg" | "$nmid" --kmsg /dev/stdin --exit-on-eof \
	--spool "$tmp/spool-pipe" --root "$fixtures/root" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "pipe: exit $rc: $out"
check_spool pipe "$tmp/spool-pipe"

# A kernel log that is not there: no source runs.
run --kmsg "$tmp/missing.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-missing"
[ "$rc" -eq 1 ] || fail "missing kmsg: exit $rc, expected 1: $out"
grep -q "Source kmsg not running: cannot read $tmp/missing.kmsg: No such file or directory" <<<"$out" ||
	fail "missing kmsg: no reason given: $out"
grep -q "No source is running" <<<"$out" || fail "missing kmsg: no verdict: $out"

# A spool that cannot be created (its parent is a file): an error, no run.
touch "$tmp/not-a-dir"
run --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof --spool "$tmp/not-a-dir/spool"
[ "$rc" -ne 0 ] || fail "unusable spool: exit 0"
grep -q "Failed to open the spool directory $tmp/not-a-dir/spool: Not a directory" <<<"$out" ||
	fail "unusable spool: no clear error: $out"

# The configuration: the spool from a drop-in over the main file; the command line
# over both.
mkdir -p "$tmp/conf.d"
printf '[spool]\ndirectory=%s\n' "$tmp/spool-main" >"$tmp/conf"
printf '[spool]\ndirectory=%s\n[kmsg]\nfrom_start=yes\n' "$tmp/spool-conf" >"$tmp/conf.d/10-spool.conf"
run --config "$tmp/conf" --kmsg "$tmp/hardlockup.kmsg" --exit-on-eof --root "$fixtures/root"
[ "$rc" -eq 0 ] || fail "config: exit $rc: $out"
check_spool config "$tmp/spool-conf"
[ ! -e "$tmp/spool-main" ] || fail "config: the drop-in did not override the main file"

# Unknown keys and sections (a file newer than the binary): warned, line-numbered, and
# ignored; the daemon runs with the rest.
printf '[spool]\nmax_reports=10\n\n# from a newer version\n\n\nfoo=1\n[future]\nx=1\n' >"$tmp/newer.conf"
run --config "$tmp/newer.conf" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
	--spool "$tmp/spool-newer" --root "$fixtures/root"
[ "$rc" -eq 0 ] || fail "newer config: exit $rc, expected 0: $out"
grep -qF "$tmp/newer.conf:7: unknown key 'foo' in [spool], ignoring" <<<"$out" ||
	fail "newer config: no line-numbered warning: $out"
grep -qF "$tmp/newer.conf:8: unknown section [future], ignoring" <<<"$out" ||
	fail "newer config: no warning for the section: $out"
check_spool "newer config" "$tmp/spool-newer"

# A bad value of a known key: exit 2, the file and line named.
printf '[spool]\nmax_reports=10\n\n# the next one is wrong\n\n\nmax_bytes=12k\n' >"$tmp/bad.conf"
run --config "$tmp/bad.conf" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
	--spool "$tmp/spool-bad"
[ "$rc" -eq 2 ] || fail "bad config: exit $rc, expected 2: $out"
grep -qF "$tmp/bad.conf:7: bad value '12k' for max_bytes in [spool]: not a number" <<<"$out" ||
	fail "bad config: no line-numbered message: $out"
[ ! -e "$tmp/spool-bad" ] || fail "bad config: the daemon ran anyway"

# Without --config, the standard search under $SDEI_NMI_CONFIG_ROOT: the main file of
# /usr/lib, a drop-in of /run over it, one of /etc masking /usr/lib's of the same name.
croot=$tmp/croot
mkdir -p "$croot/usr/lib/sdei-nmi/sdei-nmid.conf.d" "$croot/run/sdei-nmi/sdei-nmid.conf.d" \
	"$croot/etc/sdei-nmi/sdei-nmid.conf.d"
printf '[spool]\ndirectory=%s\n' "$tmp/spool-vendor" >"$croot/usr/lib/sdei-nmi/sdei-nmid.conf"
printf '[spool]\ndirectory=%s\n' "$tmp/spool-run" >"$croot/run/sdei-nmi/sdei-nmid.conf.d/50-spool.conf"
# (unmasked, no report would fit in the spool)
printf '[spool]\nmax_bytes=100\n' >"$croot/usr/lib/sdei-nmi/sdei-nmid.conf.d/60-bounds.conf"
ln -s /dev/null "$croot/etc/sdei-nmi/sdei-nmid.conf.d/60-bounds.conf"
rc=0
out=$(SDEI_NMI_CONFIG_ROOT=$croot timeout 20 "$nmid" --kmsg "$tmp/hardlockup.kmsg" \
	--from-start --exit-on-eof --root "$fixtures/root" 2>&1) || rc=$?
[ "$rc" -eq 0 ] || fail "standard dirs: exit $rc: $out"
check_spool "standard dirs" "$tmp/spool-run"
[ ! -e "$tmp/spool-vendor" ] || fail "standard dirs: the drop-in did not override the main file"

# The netlink source. This host's kernel has no sdei-nmi family (the patched kernel is
# the lab's): the source says so and the reports' CPUs carry it as "unavailable".
family_missing=1
run --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-nl0" \
	--root "$fixtures/root" --config /dev/null
if grep -q "^Source netlink running" <<<"$out"; then
	echo "NOTE: this kernel has the sdei-nmi family: the checks of its absence are skipped"
	family_missing=0
else
	grep -q "^Source netlink not running: no sdei-nmi netlink family in this kernel" <<<"$out" ||
		fail "netlink: the source does not say why it is not running: $out"
fi

# Checks every report of a spool: the schema, then the Python given on stdin, which gets
# the documents, in the order of their first detection, as "docs".
check_reports() {
	local what=$1 dir=$2 code
	code=$(cat)
	mapfile -t reports < <(find "$dir" -maxdepth 1 -name '*.json' | sort)
	for r in "${reports[@]}"; do
		"$parse" "$r" >/dev/null || fail "$what: sn_report_parse refused $r"
	done
	"$python" - "$schema" "$code" "${reports[@]}" <<'PY' || fail "$what: report check failed"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(schema)(schema)
docs = [json.load(open(p)) for p in sys.argv[3:]]
for d in docs:
    errors = [e.message for e in v.iter_errors(d)]
    assert not errors, errors[:3]
docs.sort(key=lambda d: int(d["incident"]["first_seen"]["monotonic_ns"]))
exec(sys.argv[2])
PY
}

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-unpatched.log" >"$tmp/unpatched.kmsg"
if [ "$family_missing" -eq 1 ]; then
	# The unpatched kernel's log: no stack of the wedged CPUs, and the reason why.
	run --kmsg "$tmp/unpatched.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-nl1" \
		--root "$fixtures/root" --config /dev/null
	[ "$rc" -eq 0 ] || fail "unpatched: exit $rc: $out"
	check_reports unpatched "$tmp/spool-nl1" <<'PY'
assert len(docs) == 2, len(docs)
assert [d["incident"]["stalled_cpus"] for d in docs] == [[2], [1]], docs
for d in docs:
    (c,) = d["cpus"]
    assert c["delivery"] == "unavailable", c
    assert c["reason"].startswith("no sdei-nmi netlink family in this kernel"), c
    assert "source" not in c and "frames" not in c, c
    k = d["kdump"]
    assert k["checked"] and not k["ready"], k
    assert k["status"] == "not-ready" and len(k["checks"]) == 8, k
    assert k["reasons"][0] == "loaded: no capture kernel is loaded (/sys/kernel/kexec_crash_loaded is 0)", k
    assert {c["id"]: c["level"] for c in k["checks"]}["loaded"] == "fail", k
    assert k["crash_size"] == 268435456 and k["crashkernel"] == ["256M"], k
    assert k["iomem_crash_kernel"] == 1, k
PY
fi

# Turned off: the CPUs were not asked, and the reports say so.
printf '[netlink]\nenabled=no\n' >"$tmp/nl-off.conf"
run --kmsg "$tmp/unpatched.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-nl2" \
	--root "$fixtures/root" --config "$tmp/nl-off.conf"
[ "$rc" -eq 0 ] || fail "netlink off: exit $rc: $out"
grep -q "^Source netlink not running: turned off in the configuration" <<<"$out" ||
	fail "netlink off: not said: $out"
check_reports "netlink off" "$tmp/spool-nl2" <<'PY'
assert len(docs) == 2, len(docs)
for d in docs:
    (c,) = d["cpus"]
    assert c["delivery"] == "not-requested", c
    assert c["reason"] == "backtrace requests are turned off ([netlink] enabled=no)", c
PY

# Repeats: the patched log's lockup three times, 60 s apart (its own clock). The first
# is reported complete at its first detection, its three repeats counted into the
# next incident of the lockup; that second one repeats the first within the fold window
# and is held back; the third, past it, is written and carries it (3 repeats of its
# own, plus 1).
"$python" - "$tmp/hardlockup.kmsg" 60 >"$tmp/repeat60.kmsg" <<'PY'
import sys
recs = [l.rstrip("\n") for l in open(sys.argv[1])]
shift = int(sys.argv[2]) * 1000000
seq = 0
for k in range(3):
    for r in recs:
        head, text = r.split(";", 1)
        prio, _, ts, flags = head.split(",")
        if int(ts) < 5000000:
            if k:
                continue
        seq += 1
        print(f"{prio},{seq},{int(ts) + k * shift},{flags};{text}")
PY
printf '[report]\nfold_window_sec=100\nrate_limit_per_minute=0\n' >"$tmp/fold.conf"
run --kmsg "$tmp/repeat60.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-fold" \
	--root "$fixtures/root" --config "$tmp/fold.conf"
[ "$rc" -eq 0 ] || fail "fold: exit $rc: $out"
grep -q "^Incident 2: hard-lockup on CPU 2 repeats a recent report: spooled as held, not pushed" <<<"$out" ||
	fail "fold: the repeat is not said: $out"
check_reports fold "$tmp/spool-fold" <<'PY'
assert len(docs) == 2, len(docs)
assert [d["folded_count"] for d in docs] == [0, 4], [d["folded_count"] for d in docs]
h = {c["stack_hash"] for d in docs for c in d["cpus"]}
assert len(h) == 1, h
PY
# ... and the repeat itself is kept: in the spool as held (never pushed).
held=("$tmp"/spool-fold/held/*.json)
[ -e "${held[0]}" ] && [ "${#held[@]}" -eq 1 ] || fail "fold: held reports: ${held[*]}"

# The rate limit: one report a minute, 40 s apart: the second is over it, the third
# carries it.
"$python" - "$tmp/hardlockup.kmsg" 40 >"$tmp/repeat40.kmsg" <<'PY'
import sys
recs = [l.rstrip("\n") for l in open(sys.argv[1])]
shift = int(sys.argv[2]) * 1000000
seq = 0
for k in range(3):
    for r in recs:
        head, text = r.split(";", 1)
        prio, _, ts, flags = head.split(",")
        if int(ts) < 5000000 and k:
            continue
        seq += 1
        print(f"{prio},{seq},{int(ts) + k * shift},{flags};{text}")
PY
printf '[report]\nfold_window_sec=0\nrate_limit_per_minute=1\nrate_limit_burst=1\n' >"$tmp/rate.conf"
run --kmsg "$tmp/repeat40.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-rate" \
	--root "$fixtures/root" --config "$tmp/rate.conf"
[ "$rc" -eq 0 ] || fail "rate: exit $rc: $out"
grep -q "^Incident 2: hard-lockup on CPU 2 is over the rate limit: spooled as held, not pushed" <<<"$out" ||
	fail "rate: the limit is not said: $out"
check_reports rate "$tmp/spool-rate" <<'PY'
assert len(docs) == 2, len(docs)
assert [d["folded_count"] for d in docs] == [0, 4], [d["folded_count"] for d in docs]
PY
held=("$tmp"/spool-rate/held/*.json)
[ -e "${held[0]}" ] && [ "${#held[@]}" -eq 1 ] || fail "rate: held reports: ${held[*]}"


# The BPF source says why it does not run, and the kernel log goes on without it.
run --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-auto" \
	--root "$fixtures/root"
[ "$rc" -eq 0 ] || fail "bpf auto on a replay: exit $rc: $out"
grep -q "Source bpf not running: the kernel log is a replay, whose clock is not this boot's" \
	<<<"$out" || fail "bpf auto on a replay: no reason given: $out"
run --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-nobpf" \
	--root "$fixtures/root" --bpf=no
grep -q "Source bpf not running: disabled by the configuration (bpf=no)" <<<"$out" ||
	fail "bpf=no: no reason given: $out"
printf '[bpf]\nenabled=no\n' >"$tmp/nobpf.conf"
run --config "$tmp/nobpf.conf" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
	--spool "$tmp/spool-nobpf-conf" --root "$fixtures/root"
grep -q "Source bpf not running: disabled by the configuration (bpf=no)" <<<"$out" ||
	fail "[bpf] enabled=no: no reason given: $out"
run --bpf=sometimes
[ "$rc" -eq 2 ] || fail "--bpf=sometimes: exit $rc, expected 2"
grep -q "Option --bpf: 'sometimes' is not auto, yes or no" <<<"$out" ||
	fail "--bpf=sometimes: no clear error: $out"

# Forced on without the privileges to load it: the reason names them. Root drops them
# (setpriv, util-linux); otherwise the test runs unprivileged already.
unprivileged=()
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null; then
		unprivileged=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
			      --bounding-set=-all --)
	else
		echo "NOTE: root without setpriv: the unprivileged BPF case is not checked"
	fi
fi
if [ "$(id -u)" -ne 0 ] || [ "${#unprivileged[@]}" -gt 0 ]; then
	mkdir -p "$tmp/spool-unpriv"
	chmod 0777 "$tmp" "$tmp/spool-unpriv"
	chmod 0644 "$tmp/hardlockup.kmsg"
	rc=0
	out=$("${unprivileged[@]}" "$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start \
		--exit-on-eof --spool "$tmp/spool-unpriv" --root "$fixtures/root" --bpf=yes \
		2>&1) || rc=$?
	[ "$rc" -eq 0 ] || fail "bpf=yes unprivileged: exit $rc: $out"
	if [ "$bpf" = bpf ]; then
		grep -q "Source bpf not running: no program loads, CAP_BPF and CAP_PERFMON are needed (rcu_stall_warning: refused: Operation not permitted" \
			<<<"$out" || fail "bpf=yes unprivileged: no reason given: $out"
	else
		grep -q "Source bpf not running: sdei-nmid was built without it" <<<"$out" ||
			fail "bpf=yes, not built: no reason given: $out"
	fi
	check_spool unprivileged "$tmp/spool-unpriv"
fi

# The lab's /dev/kmsg corpora (tests/fixtures/kmsg/lab/*.kmsg, '#' lines are comments):
# each record as the kernel gave it; the reports, as "<kind> <CPUs> <folded_count>"
# sorted, each valid against the schema.
corpus() {
	local name=$1 want=$2 got reports
	grep -v '^#' "$fixtures/kmsg/lab/$name.kmsg" >"$tmp/lab-$name.kmsg"
	run --kmsg "$tmp/lab-$name.kmsg" --from-start --exit-on-eof --spool "$tmp/spool-$name" \
		--root "$fixtures/root" --config /dev/null
	[ "$rc" -eq 0 ] || { fail "$name: exit $rc: $out"; return; }
	mapfile -t reports < <(find "$tmp/spool-$name" -maxdepth 1 -name '*.json' | sort)
	if ! got=$("$parse" "${reports[@]}" | sort | paste -sd';'); then
		fail "$name: sn_report_parse refused a report"
		return
	fi
	[ "$got" = "$want" ] || fail "$name: reports '$got', expected '$want'"
	"$python" - "$schema" "${reports[@]}" <<'PY' || fail "$name: a report is not valid"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
for path in sys.argv[2:]:
    errors = [e.message for e in v.iter_errors(json.load(open(path)))]
    assert not errors, (path, errors[:3])
PY
}
corpus hard-lockup-patched "hard-lockup 2 0"
# unpatched: CPU 2 (no stack), CPU 1 waiting for it (three detections), CPU 2 again
# 17 s later, a repeat of the first report within the fold window: held back
corpus hard-lockup-unpatched "hard-lockup 1 2;hard-lockup 2 0"
corpus soft-lockup "rcu-stall 3 0;soft-lockup 3 0"
# the first warning and its task's stack close it (I11); the nine others repeat it
corpus hung-task "hung-task  0"
# at the kernel's default timeout (120 s): one warning, and the task's stack in the
# report (before incident.task, the report of this log had its first line only)
corpus hung-task-default "hung-task  0"
check_reports hung-task-default "$tmp/spool-hung-task-default" <<'PY'
(d,) = docs
t = d["incident"]["task"]
assert (t["comm"], t["pid"], t["blocked_seconds"]) == ("sh", 142, 120), t
assert any("lkdtm_HUNG_TASK" in f for f in t["frames"]), t["frames"]
assert any("lkdtm_HUNG_TASK" in l for l in d["kernel_log"]["lines"])
PY

# The command line.
run --help
[ "$rc" -eq 0 ] || fail "--help: exit $rc"
grep -q "sdei-nmid(8)" <<<"$out" || fail "--help does not name sdei-nmid(8)"
run --version
if [ "$rc" -ne 0 ] || ! grep -q "^sdei-nmid [0-9]" <<<"$out"; then
	fail "--version: exit $rc: $out"
fi
run --no-such-option
[ "$rc" -eq 2 ] || fail "bad option: exit $rc, expected 2"
grep -q -- "--no-such-option" <<<"$out" || fail "bad option not named: $out"
run --kmsg
[ "$rc" -eq 2 ] || fail "missing argument: exit $rc, expected 2"
run extra
[ "$rc" -eq 2 ] || fail "extra argument: exit $rc, expected 2"

[ "$failed" -eq 0 ] && echo "PASS: sdei-nmid"
exit "$failed"
