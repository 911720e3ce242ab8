#!/usr/bin/env bash
# sdei-nmictl kdump on the fixture roots of tests/fixtures/kdump/: the exit status of
# each verdict (0 ready, 1 degraded, 2 not ready, 3 error), the table, --json against
# cli/sdei-nmictl-kdump.schema.json, --config's [kdump], and record-test. The free
# space of a fixture's dump directory is this host's: the tests give their own
# (SDEI_NMICTL_KDUMP_FREE_SPACE). Exits 77 when python3-jsonschema is missing, after
# the rest has run.
#
#   test-cli-kdump.sh PATH/TO/sdei-nmictl FIXTURES/kdump CLI_DIR
set -euo pipefail

bin=$1
fixtures=$2
cli_dir=$3
# shellcheck source=cli-test-lib.sh
source "$(dirname "$0")/cli-test-lib.sh"
export SDEI_NMICTL_KDUMP_FREE_SPACE=$((10 << 30))
empty_conf=$tmp/empty.conf
: >"$empty_conf"

# expect RC FIXTURE ARCH [ARGS...]: the table, and --json with the same verdict.
expect() {
	local rc=$1 fixture=$2 arch=$3
	shift 3
	run "$rc" kdump --root "$fixtures/$fixture" --arch "$arch" --config "$empty_conf" "$@" ||
		return 0
	grep -Eq '^kdump: (ready|DEGRADED|NOT READY) \('"$arch"'\)$' <<<"$(head -1 "$tmp/out")" ||
		fail "$fixture: first line: $(head -1 "$tmp/out")"
	[ "$(grep -Ec '^(ok  |WARN|FAIL)  ' "$tmp/out")" = 8 ] ||
		fail "$fixture: not 8 checks: $(cat "$tmp/out")"
	cp "$tmp/out" "$tmp/$fixture.txt"
	run "$rc" kdump --json --root "$fixtures/$fixture" --arch "$arch" \
		--config "$empty_conf" "$@" || return 0
	cp "$tmp/out" "$tmp/$fixture-$rc.json"
}

expect 0 debian-arm64-ready arm64
expect 0 rhel-x86 x86_64
expect 0 last-test-pass arm64
expect 1 debian-arm64-no-nrcpus arm64
grep -q '^WARN  capture-cmdline  KDUMP_CMDLINE_APPEND lacks nr_cpus=1' \
	"$tmp/debian-arm64-no-nrcpus.txt" || fail "no-nrcpus: $(cat "$tmp/debian-arm64-no-nrcpus.txt")"
grep -q '^ *-> add nr_cpus=1' "$tmp/debian-arm64-no-nrcpus.txt" || fail "no-nrcpus: no remedy"
# x86: no SDEI stops, nr_cpus=1 not needed.
expect 0 debian-arm64-no-nrcpus x86_64
expect 1 small-reservation arm64
expect 1 sdei-inactive arm64
expect 1 no-config arm64
expect 1 malformed-debian arm64
expect 1 last-test-old arm64
expect 2 not-loaded arm64
expect 2 no-reservation arm64
expect 2 use-kdump-off arm64
expect 2 last-test-fail arm64
expect 2 missing x86_64
SDEI_NMICTL_KDUMP_FREE_SPACE=$((10 << 20)) expect 2 disk-full arm64
grep -q '^FAIL  dump-config .* 10 MiB free on /var/crash < dump of at most 95 MiB' \
	"$tmp/disk-full.txt" || fail "disk-full: $(cat "$tmp/disk-full.txt")"

# The policy from --config: every stall must panic; the fixture panics on hard lockups
# only.
printf '[kdump]\npanic_on=hardlockup,softlockup\n' >"$tmp/policy.conf"
if run 1 kdump --root "$fixtures/debian-arm64-ready" --arch arm64 --config "$tmp/policy.conf"; then
	grep -q '^WARN  panic            policy hardlockup,softlockup: kernel.softlockup_panic is 0' \
		"$tmp/out" || fail "policy: $(cat "$tmp/out")"
fi

# Errors: exit 3, a message, nothing on stdout.
printf '[kdump]\npanic_on=oops\n' >"$tmp/bad.conf"
errors=(
	"kdump --root $fixtures/no-such-root"
	"kdump --bogus"
	"kdump --arch s390"
	"kdump --arch"
	"kdump frobnicate"
	"kdump --config $tmp/no-such.conf"
	"kdump --config $tmp/bad.conf"
	"kdump --note x"
	"kdump --spool /tmp"
	"kdump record-test"
	"kdump record-test maybe"
	"kdump record-test pass extra"
	"kdump record-test pass --json"
	"--cpu 1 kdump"
)
for args in "${errors[@]}"; do
	# shellcheck disable=SC2086 # word splitting wanted
	if run 3 $args; then
		[ -s "$tmp/err" ] || fail "sdei-nmictl $args: no message"
		[ ! -s "$tmp/out" ] || fail "sdei-nmictl $args: wrote to stdout"
	fi
done
grep -q "bad configuration: .*bad.conf:2: bad value 'oops' for panic_on" <<<"$(
	"$bin" kdump --config "$tmp/bad.conf" 2>&1 || true
)" || fail "bad config: not said"
# The other verbs keep their 2.
run 2 status --root / || true

# record-test on a copy of a root, then read back.
cp -rL "$fixtures/debian-arm64-ready" "$tmp/root"
if run 0 kdump record-test pass --note "lab run 7" --root "$tmp/root"; then
	grep -q "^Recorded a passed capture test in $tmp/root/var/lib/sdei-nmi/kdump-test.$" \
		"$tmp/out" || fail "record-test: $(cat "$tmp/out")"
fi
if run 0 kdump --root "$tmp/root" --arch arm64 --config "$empty_conf"; then
	grep -q '^ok    last-test        the last capture test passed .* (0 days ago): lab run 7$' \
		"$tmp/out" || fail "after record-test pass: $(cat "$tmp/out")"
fi
run 0 kdump record-test fail --root "$tmp/root" || true
run 2 kdump --root "$tmp/root" --arch arm64 --config "$empty_conf" || true
run 3 kdump record-test pass --note "$(printf 'tab\there')" --root "$tmp/root" || true
run 3 kdump record-test pass --root "$tmp/no-such-root/x" || true

# The checked-in JSON fixtures (tests/fixtures/cli/, validated by test-json-schema.py)
# are what the binary writes today.
for f in degraded:debian-arm64-no-nrcpus:1 not-ready:not-loaded:2; do
	IFS=: read -r name fixture rc <<<"$f"
	if run "$rc" kdump --json --root "$fixtures/$fixture" --arch arm64 --config /dev/null; then
		diff -u "$fixtures/../cli/kdump-$name.json" "$tmp/out" >&2 ||
			fail "tests/fixtures/cli/kdump-$name.json is not current"
	fi
done

# reports show: a report whose kdump object holds the checks renders their table.
mkdir "$tmp/spool"
python3 - "$fixtures/../reports/hard-lockup.json" "$tmp/debian-arm64-no-nrcpus-1.json" \
	"$tmp/spool" <<'PY' || fail "spool"
import json, sys
d = json.load(open(sys.argv[1]))
d["kdump"] = json.load(open(sys.argv[2]))
t = d["incident"]["first_seen"]["realtime"].replace("-", "").replace(":", "")
json.dump(d, open(f"{sys.argv[3]}/{t}-{d['id']}.json", "w"))
PY
if run 0 reports show 0d2f --spool "$tmp/spool"; then
	grep -q '^Kdump:      DEGRADED (arm64)$' "$tmp/out" || fail "show: $(cat "$tmp/out")"
	grep -q '^            WARN  capture-cmdline  KDUMP_CMDLINE_APPEND lacks nr_cpus=1' \
		"$tmp/out" || fail "show: no table: $(cat "$tmp/out")"
fi

# --json: the schema, and the verdict's status.
if ! python3 -c 'import jsonschema' 2>/dev/null; then
	[ "$failed" = 0 ] || exit 1
	echo "SKIP: python3-jsonschema is not installed: the JSON was not validated"
	exit 77
fi
python3 - "$cli_dir/sdei-nmictl-kdump.schema.json" "$tmp"/*.json <<'PY' || fail "schema"
import json, pathlib, sys
import jsonschema
schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema)
want = {"0": "ready", "1": "degraded", "2": "not-ready"}
bad = 0
assert len(sys.argv) > 10, sys.argv
for p in sys.argv[2:]:
    doc = json.loads(pathlib.Path(p).read_text())
    errors = [e.message for e in v.iter_errors(doc)]
    rc = p.rsplit("-", 1)[1][0]
    if errors or doc["status"] != want[rc] or len(doc["checks"]) != 8:
        print(f"FAIL: {p}: {errors[:3]} status {doc['status']}")
        bad = 1
    # A remedy exactly where the level is not ok.
    for c in doc["checks"]:
        if ("remedy" in c) != (c["level"] != "ok"):
            print(f"FAIL: {p}: {c}")
            bad = 1
# What the schema refuses.
doc = json.loads(pathlib.Path(sys.argv[2]).read_text())
for mutate in (lambda d: d.pop("checks"), lambda d: d.update(status="fine"),
               lambda d: d["checks"][0].update(level="bad"),
               lambda d: d["checks"][0].pop("reason"),
               lambda d: d.update(checked=False)):
    d = json.loads(json.dumps(doc))
    mutate(d)
    if not list(v.iter_errors(d)):
        print("FAIL: a mutation was accepted")
        bad = 1
sys.exit(bad)
PY
exit "$failed"
