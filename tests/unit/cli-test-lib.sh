# shellcheck shell=bash
# Shared by the tests of the real sdei-nmictl binary (test-cli*.sh), sourced after
# they set $bin: a scratch directory $tmp, fail() and run().

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*" >&2
	failed=1
}

# run EXPECTED_RC ARGS...: output in $tmp/out and $tmp/err
run() {
	local expect=$1 rc=0
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	if [ "$rc" != "$expect" ]; then
		fail "sdei-nmictl $* exited $rc, not $expect; stderr: $(cat "$tmp/err")"
		return 1
	fi
	return 0
}
