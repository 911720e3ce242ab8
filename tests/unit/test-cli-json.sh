#!/usr/bin/env bash
# sdei-nmictl --json=MODE, as systemd's tools take it: short (one line), pretty
# (indented), off (text); --json alone and -j as before MODE existed. On every command
# with JSON output that runs without the kernel's family (reports list and show, kdump,
# test-incident in test-cli-incident.sh); status, backtrace and monitor take the modes
# and reach the kernel (test-cli.sh: refused there without the family).
#
#   test-cli-json.sh PATH/TO/sdei-nmictl FIXTURES
set -euo pipefail

bin=$1
fixtures=$2
# shellcheck source=cli-test-lib.sh
source "$(dirname "$0")/cli-test-lib.sh"

spool=$tmp/spool
mkdir "$spool"
hard=0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60
cp "$fixtures/reports/hard-lockup.json" "$spool/20261102T100405.123456Z-$hard.json"
cp "$fixtures/reports/rcu-stall.json" \
	"$spool/20261102T100500.000000Z-7c9e6679-7425-40de-944b-e07fc1f90ae7.json"
: >"$tmp/empty.conf"
export SDEI_NMICTL_KDUMP_FREE_SPACE=$((10 << 30))
kdump=(kdump --root "$fixtures/kdump/debian-arm64-ready" --arch arm64 --config "$tmp/empty.conf")

# check_json WHAT short|pretty: $tmp/out is one JSON document in that form.
check_json() {
	local what=$1 mode=$2
	python3 - "$tmp/out" "$mode" <<'PY' || fail "$what: not $mode JSON: $(cat "$tmp/out")"
import json, sys
text = open(sys.argv[1]).read()
json.loads(text)
lines = text.splitlines()
if sys.argv[2] == "short":
    assert len(lines) == 1 and text.endswith("\n"), lines[:3]
else:
    assert len(lines) > 2, lines
    # every line after the first is indented, but the closing bracket
    assert all(l.startswith(("\t", " ")) for l in lines[1:-1]), lines[:5]
    assert lines[-1].strip() in ("}", "]", "}]"), lines[-1]
PY
}

# modes WHAT DEFAULT ARGS...: short, pretty, off and --json alone (DEFAULT: short or
# pretty, what it meant before MODE), the same document each time.
modes() {
	local what=$1 default=$2 rc=$3
	shift 3
	run "$rc" "$@" --json=short || return 0
	check_json "$what --json=short" short
	cp "$tmp/out" "$tmp/short"
	run "$rc" "$@" --json=pretty || return 0
	check_json "$what --json=pretty" pretty
	python3 -c 'import json, sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))' \
		"$tmp/short" "$tmp/out" || fail "$what: short and pretty differ"
	run "$rc" "$@" --json || return 0
	check_json "$what --json" "$default"
	run "$rc" "$@" -j || return 0
	check_json "$what -j" "$default"
	run "$rc" "$@" --json=off || return 0
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/out" 2>/dev/null &&
		fail "$what --json=off: printed JSON"
	[ -s "$tmp/out" ] || fail "$what --json=off: printed nothing"
}

modes "reports list" pretty 0 reports list --spool "$spool"
modes "reports show" short 0 reports show 0d2f --spool "$spool"
modes "kdump" pretty 0 "${kdump[@]}"

# --json=off is the text: the same bytes as without --json.
if run 0 reports list --spool "$spool" --json=off; then
	cp "$tmp/out" "$tmp/off"
	if run 0 reports list --spool "$spool"; then
		cmp -s "$tmp/off" "$tmp/out" || fail "reports list --json=off differs from the text"
	fi
fi
# The last --json given counts.
if run 0 reports list --spool "$spool" --json=pretty --json=short; then
	check_json "--json=pretty --json=short" short
fi
# reports show --json alone is the document as spooled, byte for byte.
if run 0 reports show "$hard" --json --spool "$spool"; then
	cmp -s "$spool"/*"$hard".json "$tmp/out" ||
		fail "reports show --json is not the spooled file"
fi

# Bad modes: exit 2 (3 for kdump), one line, nothing on stdout.
for args in "reports --json=" "reports --json=yes" "reports --json=Pretty" "status --json=short,pretty"; do
	# shellcheck disable=SC2086 # word splitting wanted
	if run 2 $args --spool "$spool"; then
		grep -q "^sdei-nmictl: invalid --json mode '.*' (pretty, short, off)$" "$tmp/err" ||
			fail "$args: $(cat "$tmp/err")"
		[ ! -s "$tmp/out" ] || fail "$args: wrote to stdout"
	fi
done
if run 3 "${kdump[@]}" --json=long; then
	grep -q "invalid --json mode 'long'" "$tmp/err" || fail "kdump --json=long: $(cat "$tmp/err")"
fi
# A mode is never the next argument: --json takes it after '=' only.
if run 2 reports list --json short --spool "$spool"; then
	grep -q "reports list takes no arguments, got 'short'" "$tmp/err" ||
		fail "--json short: $(cat "$tmp/err")"
fi

[ "$failed" = 0 ] && echo "PASS: sdei-nmictl --json modes"
exit "$failed"
