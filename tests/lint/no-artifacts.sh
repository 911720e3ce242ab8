#!/usr/bin/env bash
# The repository tracks sources, not what building or testing makes: no Python bytecode,
# objects, libraries, CMake or lab output. Exit 0 when none is tracked, 1 when some is,
# 77 (ctest: skipped) outside a git checkout, where there is nothing tracked to read.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
files=$(git -C "$top" ls-files 2>/dev/null) || { echo "not a git checkout: $top"; exit 77; }
bad=$(grep -E '(^|/)(__pycache__|build|CMakeFiles)/|\.(pyc|pyo|o|a|so|ko|dump)$|(^|/)CMakeCache\.txt$' \
	<<<"$files")
if [ -n "$bad" ]; then
	echo "tracked build or test artifacts (remove them with git rm --cached; .gitignore):"
	sed 's/^/  /' <<<"$bad"
	exit 1
fi
echo "no build artifacts among $(wc -l <<<"$files") tracked files"
