#!/usr/bin/env bash
# The real sdei-nmictl binary on this host: help and version, usage errors (exit 2),
# and a kernel without the sdei-nmi family (exit 2 with one clear line). Where the host
# kernel has the family (an arm64 kernel with the series), that part cannot run: 77.
#
#   test-cli.sh PATH/TO/sdei-nmictl [PATH/TO/sdei-nmictl.bash-completion]
set -euo pipefail

bin=$1
completion=${2:-}
# shellcheck source=cli-test-lib.sh
source "$(dirname "$0")/cli-test-lib.sh"

if run 0 --help; then
	grep -q 'sdei-nmictl(8)' "$tmp/out" || fail "--help does not name the man page"
	for verb in status backtrace monitor reports test-incident kdump; do
		grep -q "^  $verb " "$tmp/out" || fail "--help does not list $verb"
	done
fi
run 0 -h || true
if run 0 --version; then
	grep -Eq '^sdei-nmictl [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" ||
		fail "--version: $(cat "$tmp/out")"
fi

# Usage errors: exit 2 and a message, nothing on stdout, no kernel asked.
usage_errors=(
	"--bogus"
	"frobnicate"
	"status extra"
	"status --all"
	"status --cpu 1"
	"monitor --timeout 100"
	"backtrace"
	"backtrace --all --cpu 1"
	"backtrace --cpu x"
	"backtrace --cpu -1"
	"backtrace --cpus 3-1"
	"backtrace --cpus 0-99999"
	"backtrace --all --timeout 0"
	"backtrace --all --timeout 10001"
	"backtrace --all --timeout 5ms"
	"backtrace --cpu"
	"status --record"
	"status --json=yes"
	"status --json="
	"backtrace --all --json=PRETTY"
	"monitor --json=short,pretty"
	"monitor --json short"
)
for args in "${usage_errors[@]}"; do
	# shellcheck disable=SC2086 # word splitting wanted
	if run 2 $args; then
		[ -s "$tmp/err" ] || fail "sdei-nmictl $args: no message"
		[ ! -s "$tmp/out" ] || fail "sdei-nmictl $args: wrote to stdout"
		grep -q 'family' "$tmp/err" && fail "sdei-nmictl $args: asked the kernel"
	fi
done

# The bash completion offers the verbs and each verb's options.
if [ -n "$completion" ]; then
	# shellcheck source=/dev/null
	source "$completion"
	COMP_WORDS=(sdei-nmictl "")
	COMP_CWORD=1
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "status backtrace monitor reports kdump test-incident" ] ||
		fail "completion of verbs: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl backtrace --)
	COMP_CWORD=2
	_sdei_nmictl
	for opt in --cpu --cpus --all --timeout --json --record; do
		[[ " ${COMPREPLY[*]} " == *" $opt "* ]] || fail "completion of backtrace lacks $opt"
	done
	for verb in status monitor; do
		COMP_WORDS=(sdei-nmictl "$verb" --)
		COMP_CWORD=2
		_sdei_nmictl
		[[ " ${COMPREPLY[*]} " != *" --all "* ]] ||
			fail "completion offers --all to $verb"
		[[ " ${COMPREPLY[*]} " == *" --record "* ]] ||
			fail "completion of $verb lacks --record"
	done
	# kdump: its options, record-test, pass or fail.
	COMP_WORDS=(sdei-nmictl kdump --)
	COMP_CWORD=2
	_sdei_nmictl
	for opt in --json --root --config --arch --note; do
		[[ " ${COMPREPLY[*]} " == *" $opt "* ]] || fail "completion of kdump lacks $opt"
	done
	COMP_WORDS=(sdei-nmictl kdump "")
	COMP_CWORD=2
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "record-test" ] || fail "completion of kdump: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl kdump record-test "")
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "pass fail" ] || fail "completion of record-test: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl kdump --arch "")
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "arm64 x86_64 other" ] || fail "completion of --arch: ${COMPREPLY[*]}"
	# --json takes a mode; reports takes its filters, --kind and --state their values.
	COMP_WORDS=(sdei-nmictl status --json "")
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "pretty short off" ] || fail "completion of --json: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl reports --)
	COMP_CWORD=2
	_sdei_nmictl
	for opt in --since --until --kind --state --spool --json; do
		[[ " ${COMPREPLY[*]} " == *" $opt "* ]] || fail "completion of reports lacks $opt"
	done
	COMP_WORDS=(sdei-nmictl reports --state sh)
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "shipped" ] || fail "completion of --state: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl reports --kind hard)
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "hard-lockup" ] || fail "completion of --kind: ${COMPREPLY[*]}"
	COMP_WORDS=(sdei-nmictl test-incident --)
	COMP_CWORD=2
	_sdei_nmictl
	for opt in --wait --spool --config --json; do
		[[ " ${COMPREPLY[*]} " == *" $opt "* ]] || fail "completion of test-incident lacks $opt"
	done
	# --record takes a file name.
	touch "$tmp/rec-completion.hex"
	COMP_WORDS=(sdei-nmictl status --record "$tmp/rec-comp")
	COMP_CWORD=3
	_sdei_nmictl
	[ "${COMPREPLY[*]}" = "$tmp/rec-completion.hex" ] ||
		fail "completion of --record FILE: ${COMPREPLY[*]}"
fi

# A --record file that cannot be opened: exit 2 and one clear line, before the kernel
# is asked anything.
if run 2 status --record "$tmp/no-such-dir/rec.hex"; then
	want="sdei-nmictl: cannot open the recording file $tmp/no-such-dir/rec.hex: "
	grep -qF "$want" "$tmp/err" ||
		fail "--record into a missing directory: $(cat "$tmp/err")"
	grep -q 'family' "$tmp/err" &&
		fail "--record into a missing directory: asked the kernel"
	[ ! -s "$tmp/out" ] || fail "--record into a missing directory: wrote to stdout"
fi

# A kernel without the family: status, backtrace and monitor say so in one line.
family_line="sdei-nmictl: the kernel has no sdei-nmi netlink family (not an arm64 kernel"
family_line+=" with the SDEI NMI service patches, CONFIG_ARM_SDEI_NMI)"
rc=0
"$bin" status >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" = 0 ]; then
	echo "SKIP: this kernel has the sdei-nmi family; the no-family checks need one without"
	[ "$failed" = 0 ] && exit 77
	exit 1
fi
if grep -q 'cannot talk to the kernel over generic netlink' "$tmp/err"; then
	echo "SKIP: no generic netlink here: $(cat "$tmp/err")"
	[ "$failed" = 0 ] && exit 77
	exit 1
fi
for args in "status" "status --json" "backtrace --cpu 0" "backtrace --all --json" \
	"status --json=short" "status --json=pretty" "backtrace --all --json=off" \
	"monitor --json=pretty" "monitor --json=short" \
	"monitor" "status --record $tmp/rec.hex" "backtrace --all --record $tmp/rec.hex"; do
	# shellcheck disable=SC2086 # word splitting wanted
	if run 2 $args; then
		[ "$(cat "$tmp/err")" = "$family_line" ] ||
			fail "sdei-nmictl $args: stderr is '$(cat "$tmp/err")'"
		[ ! -s "$tmp/out" ] || fail "sdei-nmictl $args: wrote to stdout"
	fi
done

# The recording was created private, and holds nothing: no kernel answered.
[ "$(stat -c %a "$tmp/rec.hex" 2>/dev/null)" = 600 ] ||
	fail "--record did not create $tmp/rec.hex with mode 600"
[ ! -s "$tmp/rec.hex" ] || fail "--record wrote without a kernel"

[ "$failed" = 0 ] && echo "PASS: sdei-nmictl CLI"
exit "$failed"
