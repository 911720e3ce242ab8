#!/usr/bin/env bash
# Sets up and runs every test: installs what is missing (Debian 12, apt-get), builds with
# warnings as errors, runs the host tests under ASan/UBSan, then the whole suite: host
# tests, the kernel series checks (checkpatch --strict, a build after each patch) and the
# lab scenarios on the patched kernel and, as negative controls, the unpatched one.
#
#   scripts/test.sh [ctest arguments]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh all

echo "== sanitizer build (ASan + UBSan), host tests"
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize
ctest --preset sanitize -L unit

echo "== full suite"
cmake --preset default >/dev/null
cmake --build --preset default
ctest --preset default "$@"
