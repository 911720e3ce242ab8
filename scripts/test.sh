#!/usr/bin/env bash
# Sets up and runs the tests: installs what is missing (Debian 12, apt-get), builds with
# warnings as errors, runs the host tests under ASan/UBSan, then the suite.
#
#   scripts/test.sh [ctest arguments]          the fast tier, what CI runs: host tests,
#                                              the kernel series checks (checkpatch
#                                              --strict, a build after each patch; cached
#                                              by their inputs), every lab scenario on
#                                              the patched kernel and, as its negative
#                                              control, the unpatched one, and the demo
#                                              end to end (e.g. scripts/test.sh -L unit)
#   scripts/test.sh --full [ctest arguments]   the long tier (ctest label "full"): the
#                                              demo five times in a row, loops of 20
#                                              boots, the scenarios on kernel variants
#                                              (nl-guest: -kvm); tests/lab/record-full.sh, run after
#                                              it, files their logs for the fast tier
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tier=fast
if [ "${1:-}" = --full ]; then
	tier=full
	shift
fi

scripts/install-deps.sh all

if [ "$tier" = full ]; then
	echo "== long tier (label full)"
	cmake --preset default >/dev/null
	cmake --build --preset default
	ctest --preset default -L full "$@"
	exit
fi

echo "== sanitizer build (ASan + UBSan), host tests"
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize
ctest --preset sanitize -L unit

echo "== full suite"
cmake --preset default >/dev/null
cmake --build --preset default
ctest --preset default -LE full "$@"
