#!/usr/bin/env bash
# sdei-nmictl reports: the real binary on a spool made of the report fixtures
# (tests/fixtures/reports/), named the way sdei-nmid names them. No kernel needed.
#
#   test-cli-reports.sh PATH/TO/sdei-nmictl FIXTURES/reports
set -euo pipefail

bin=$1
fixtures=$2
# shellcheck source=cli-test-lib.sh
source "$(dirname "$0")/cli-test-lib.sh"

# The spool: "<first seen, compact UTC>-<id>.json", as lib/spool.c writes them.
spool=$tmp/spool
mkdir "$spool"
# (the hung task's, of schema minor 2, is not among them: its date would be in every
# window below)
for f in "$fixtures"/*.json; do
	[ "${f##*/}" != hung-task.json ] || continue
	name=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["incident"]["first_seen"]["realtime"].replace("-", "").replace(":", "")
print(t + "-" + d["id"] + ".json")' "$f")
	cp "$f" "$spool/$name"
done
n=$(ls "$spool" | wc -l)
[ "$n" -ge 3 ] || fail "fixtures: only $n reports"
hard=0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60

# list: a header and one line per report, oldest first; the default subcommand.
if run 0 reports --spool "$spool"; then
	[ "$(grep -c '^[0-9]\{4\}-' "$tmp/out")" -eq "$n" ] ||
		fail "list: not $n lines: $(cat "$tmp/out")"
	grep -q "^FIRST SEEN (UTC) .* ID .* KIND .* CPUS .* STACKS .* FOLDED .* STATE$" "$tmp/out" ||
		fail "list: no header"
	grep -Eq "^2026-11-02T10:04:05.123456Z +$hard +hard-lockup +2 +1/1 +2 +pending$" "$tmp/out" ||
		fail "list: the hard lockup's line: $(cat "$tmp/out")"
	grep -q "^$n report(s) in $spool.$" "$tmp/out" || fail "list: no count line"
fi
run 0 reports list --spool "$spool" || true

# list --json: an array of summaries, the same reports.
if run 0 reports list --json --spool "$spool"; then
	python3 - "$tmp/out" "$n" "$hard" <<'PY' || fail "list --json: $(cat "$tmp/out")"
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == int(sys.argv[2]), a
h = [o for o in a if o["id"] == sys.argv[3]][0]
assert h["kind"] == "hard-lockup" and h["cpus"] == [2], h
assert h["stacks_captured"] == 1 and h["folded_count"] == 2, h
assert h["detector"] == "buddy" and h["first_seen"].startswith("2026-11-02T10:04:05"), h
assert all(o["state"] == "pending" for o in a), a
PY
fi

# show: by a unique prefix; the evidence an on-call engineer needs, decoded.
if run 0 reports show 0d2f --spool "$spool"; then
	for want in "^Report $hard$" "^Incident: *hard lockup (detector buddy), CPUs 2, 1 of 1 stacks captured$" \
		"^CPU 2: captured (netlink-request) in 4.2 us$" \
		"interrupts masked (DAIF: DAIF), EL1h$" "^   spin_loop+0x24/0x40 \[sdei_nmi_test\]$" \
		"^CPU 3: timeout$" "^Folded: *2 repeats" "^Kernel log:$" "^Kdump: *NOT ready$" "^ *- no crash kernel is loaded$"; do
		grep -q -- "$want" "$tmp/out" || fail "show: no line like '$want': $(cat "$tmp/out")"
	done
fi
# show --json: the document as spooled.
if run 0 reports show "$hard" --json --spool "$spool"; then
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
		"$tmp/out" "$spool"/*"$hard".json || fail "show --json differs from the spooled file"
fi
# show names the report's file and state.
if run 0 reports show 0d2f --spool "$spool"; then
	grep -q "^Spool: *pending, $spool/2026.*-$hard.json$" "$tmp/out" ||
		fail "show: no spool line: $(cat "$tmp/out")"
fi
# A report without stacks says why.
if run 0 reports show 16fd --spool "$spool"; then
	grep -q "^CPU [0-9]*: unavailable: ." "$tmp/out" || fail "show: no reason: $(cat "$tmp/out")"
	grep -q "^Kdump: *not checked$" "$tmp/out" || fail "show: kdump: $(cat "$tmp/out")"
fi

# The ids listed, in order, one per line, in $tmp/ids.
list_ids() { # ARGS...
	run 0 reports list --json=short --spool "$spool" "$@" &&
		python3 -c 'import json, sys; [print(o["id"]) for o in json.load(open(sys.argv[1]))]' \
			"$tmp/out" >"$tmp/ids"
}
# expect_ids WHAT ID... : the last list_ids gave these, in this order.
expect_ids() {
	local what=$1
	shift
	[ "$(cat "$tmp/ids")" = "$(printf '%s\n' "$@")" ] ||
		fail "$what: listed $(tr '\n' ' ' <"$tmp/ids"), expected $*"
}
rcu=7c9e6679-7425-40de-944b-e07fc1f90ae7
soft=16fd2706-8baf-433b-82eb-8c7fada847da
sysrq=3b241101-e2bb-4255-8caf-4136c566a962

# --since, --until: by the time the file's name starts with, both ends included; in UTC
# with the suffix, in the local zone (TZ) without.
export TZ=CET-1 # UTC+1: UTC is said, or local
list_ids --since "2026-11-02 10:05 UTC" && expect_ids "--since" "$rcu" "$sysrq"
list_ids --since "2026-11-02 10:05:00.000001 UTC" && expect_ids "--since, after" "$sysrq"
list_ids --until "2026-11-02T10:05:00Z" && expect_ids "--until" "$soft" "$hard" "$rcu"
list_ids --since "2026-11-02 10:04 UTC" --until "2026-11-02 10:05 UTC" &&
	expect_ids "--since --until" "$hard" "$rcu"
list_ids --since "2026-11-02 11:05" && expect_ids "--since, local time" "$rcu" "$sysrq"
list_ids --until "2026-11-02 11:04:05" && expect_ids "--until, local time" "$soft"
unset TZ
list_ids --since @1793613900 && expect_ids "--since @epoch" "$rcu" "$sysrq"
# Relative times: a report of 30 minutes ago (its name's time; a copy of the hard
# lockup's under another id). The fixtures are of November 2026, more than an hour ago
# on a clock set after that.
recent=aaaaaaaa-0000-4000-8000-000000000001
recent_file=$spool/$(date -u -d '-30 min' +%Y%m%dT%H%M%S.000000Z)-$recent.json
sed "s/$hard/$recent/" "$spool"/*"$hard".json >"$recent_file"
list_ids --since -1h && expect_ids "--since -1h" "$recent"
list_ids --since "2 hours ago" --until -10min && expect_ids "--since ago --until" "$recent"
list_ids --until -1h && expect_ids "--until -1h" "$soft" "$hard" "$rcu" "$sysrq"
list_ids --since yesterday && expect_ids "--since yesterday" "$recent"
list_ids --since -10min && expect_ids "--since -10min"
rm "$recent_file"
# --kind: read from the reports.
list_ids --kind hard-lockup,other && expect_ids "--kind" "$hard" "$sysrq"
list_ids --kind rcu-stall --since "2026-11-02 10:05 UTC" && expect_ids "--kind --since" "$rcu"

# Text: the count of the matches, or none.
if run 0 reports --kind soft-lockup --spool "$spool"; then
	grep -q "^1 of $n report(s) in $spool match.$" "$tmp/out" || fail "filtered count: $(cat "$tmp/out")"
	grep -q "^FIRST SEEN" "$tmp/out" || fail "filtered: no header"
fi
if run 0 reports --since -1min --spool "$spool"; then
	[ "$(cat "$tmp/out")" = "No reports in $spool match." ] || fail "no match: $(cat "$tmp/out")"
fi

# The states: pending in the spool, shipped in shipped/, held in held/; junk in held/ is
# not a report.
mkdir "$spool/shipped" "$spool/held"
mv "$spool"/*"$rcu".json "$spool/shipped/"
mv "$spool"/*"$sysrq".json "$spool/held/"
ln -s "$spool/shipped/$(basename "$spool"/shipped/*"$rcu".json)" \
	"$spool/held/20261103T000000.000000Z-$rcu.json"
mkdir "$spool/held/20261104T000000.000000Z-aaaaaaaa-2222-4333-8444-555555555555.json"
echo junk >"$spool/held/notes.txt"
if run 0 reports --spool "$spool"; then
	grep -Eq "^2026-11-02T10:05:00.000000Z +$rcu +rcu-stall .* shipped$" "$tmp/out" ||
		fail "list: the shipped report: $(cat "$tmp/out")"
	grep -Eq "^2026-11-02T10:05:05.000000Z +$sysrq +other .* held$" "$tmp/out" ||
		fail "list: the held report: $(cat "$tmp/out")"
	grep -q "^$n report(s) in $spool.$" "$tmp/out" || fail "states: not $n reports: $(cat "$tmp/out")"
fi
if run 0 reports list --json --spool "$spool"; then
	python3 - "$tmp/out" "$hard" "$rcu" "$sysrq" "$soft" <<'PY' || fail "states, --json: $(cat "$tmp/out")"
import json, sys
a = json.load(open(sys.argv[1]))
states = {o["id"]: o["state"] for o in a}
assert states == {sys.argv[2]: "pending", sys.argv[3]: "shipped", sys.argv[4]: "held",
                  sys.argv[5]: "pending"}, states
PY
fi
list_ids --state held && expect_ids "--state held" "$sysrq"
list_ids --state shipped,held && expect_ids "--state shipped,held" "$rcu" "$sysrq"
list_ids --state pending --kind other && expect_ids "--state pending --kind other"
if run 0 reports show "$sysrq" --spool "$spool"; then
	grep -q "^Spool: *held, $spool/held/2026.*-$sysrq.json$" "$tmp/out" ||
		fail "show a held report: $(cat "$tmp/out")"
fi
if run 0 reports show "$sysrq" --json --spool "$spool"; then
	cmp -s "$spool"/held/*"$sysrq".json "$tmp/out" ||
		fail "show --json of a held report differs from its file"
fi
# A held report that cannot be read: named, skipped, exit 1.
chmod 000 "$spool"/held/*"$sysrq".json
if [ "$(id -u)" != 0 ] && run 1 reports --spool "$spool"; then
	grep -q "cannot read $spool/held/.*$sysrq.json: Permission denied" "$tmp/err" ||
		fail "unreadable held report: $(cat "$tmp/err")"
fi
chmod 644 "$spool"/held/*"$sysrq".json
mv "$spool"/shipped/*"$rcu".json "$spool"/held/*"$sysrq".json "$spool/"
rm -rf "$spool/shipped" "$spool/held"

# Errors: exit 2, one clear line, nothing on stdout.
check_error() { # PATTERN ARGS...
	local pattern=$1
	shift
	if run 2 "$@"; then
		grep -q -- "$pattern" "$tmp/err" || fail "sdei-nmictl $*: stderr '$(cat "$tmp/err")' lacks '$pattern'"
		[ ! -s "$tmp/out" ] || fail "sdei-nmictl $*: wrote to stdout"
	fi
}
check_error "no report ffff in" reports show ffff --spool "$spool"
check_error "invalid report id 'XYZ'" reports show XYZ --spool "$spool"
check_error "takes one report id" reports show --spool "$spool"
check_error "unknown reports command 'frob'" reports frob --spool "$spool"
check_error "reports takes fewer arguments" reports show "$hard" extra --spool "$spool"
check_error "no spool at $tmp/missing" reports --spool "$tmp/missing"
check_error "status does not take --spool" status --spool "$spool"
check_error "needs a directory" reports --spool ""
check_error "--since: invalid time 'last week'" reports --since "last week" --spool "$spool"
check_error "--until: invalid time '2026-02-30'" reports --until 2026-02-30 --spool "$spool"
check_error "--since: '1969-12-31 UTC' is out of range" reports --since "1969-12-31 UTC" --spool "$spool"
check_error "--since must not be after --until" reports --since today --until yesterday --spool "$spool"
check_error "unknown kind 'lockup' (hard-lockup, soft-lockup, rcu-stall, hung-task, other" \
	reports --kind hard-lockup,lockup --spool "$spool"
check_error "--state: invalid state list 'pending,'" reports --state pending, --spool "$spool"
check_error "--state: invalid state list 'sent'" reports --state sent --spool "$spool"
check_error "go with reports list" reports show 0d2f --kind other --spool "$spool"
check_error "monitor does not take --since" monitor --since today
check_error "status does not take --kind" status --kind other

# An ambiguous prefix: a second report whose id shares the first 4 characters.
cp "$spool"/*"$hard".json "$spool/20261103T000000.000000Z-0d2f0000-0000-4000-8000-000000000000.json"
check_error "2 reports in $spool begin with 0d2f" reports show 0d2f --spool "$spool"
rm "$spool/20261103T000000.000000Z-0d2f0000-0000-4000-8000-000000000000.json"

# A damaged report: named, skipped, the others listed, exit 1.
echo '{"schema": "sdei-nmi.report/1", "id": ' >"$spool/20261104T000000.000000Z-11111111-2222-4333-8444-555555555555.json"
if run 1 reports --spool "$spool"; then
	grep -q "11111111-2222-4333-8444-555555555555.json is not a valid report" "$tmp/err" ||
		fail "damaged: stderr $(cat "$tmp/err")"
	[ "$(grep -c '^[0-9]\{4\}-' "$tmp/out")" -eq "$n" ] || fail "damaged: the others not listed"
fi
rm "$spool"/20261104T*

# Empty spool.
mkdir "$tmp/empty"
if run 0 reports --spool "$tmp/empty"; then
	grep -q "^No reports in $tmp/empty.$" "$tmp/out" || fail "empty: $(cat "$tmp/out")"
fi

# An unprivileged caller on a private spool (mode 0750 root, as tmpfiles.d makes it).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0750 "$spool"
	chmod 0755 "$tmp"
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" reports --spool "$spool" \
		>"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = 2 ] || fail "unprivileged: exit $rc"
	grep -q "cannot read the spool $spool: Permission denied (run as root)" "$tmp/err" ||
		fail "unprivileged: $(cat "$tmp/err")"
else
	echo "note: not root, the unprivileged-caller case is left out"
fi

# The bash completion: subcommands, then the spool's ids for show.
completion=$(dirname "$0")/../../cli/sdei-nmictl.bash-completion
# shellcheck source=/dev/null
source "$completion"
COMP_WORDS=(sdei-nmictl reports "")
COMP_CWORD=2
_sdei_nmictl
[ "${COMPREPLY[*]}" = "list show" ] || fail "completion of reports: ${COMPREPLY[*]}"
COMP_WORDS=(sdei-nmictl --spool "$spool" reports show 0d)
COMP_CWORD=5
_sdei_nmictl
[ "${COMPREPLY[*]}" = "$hard" ] || fail "completion of show: ${COMPREPLY[*]}"

[ "$failed" = 0 ] && echo "PASS: sdei-nmictl reports"
exit "$failed"
