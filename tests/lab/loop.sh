#!/usr/bin/env bash
# Boots one scenario N times in a row and counts the verdicts: the long tier's loops
# (scripts/test.sh --full). Every boot's serial log is kept as
# build/lab/logs/SCENARIO-KERNEL-loop-I.log; tests/lab/record-full.sh files them under
# tests/fixtures/lab/full/, where unit.lab-verdicts replays them.
#
#   loop.sh N SCENARIO [lab.sh run options]     e.g. loop.sh 20 panic --kernel patched
#
# Exit status 0 when every boot gave the verdict expected, 1 when some did not, 2 on
# bad usage.
set -uo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=${1:-}
scenario=${2:-}
[[ $n =~ ^[1-9][0-9]*$ ]] && [ -n "$scenario" ] ||
	{ echo "usage: loop.sh N SCENARIO [lab.sh run options]" >&2; exit 2; }
shift 2
# the logs of an earlier loop of this scenario are not this loop's
kernel=patched
for ((a = 1; a <= $#; a++)); do [ "${!a}" != --kernel ] || { b=$((a + 1)); kernel=${!b:-}; }; done
case "$kernel" in patched | unpatched) ;; *)
	echo "usage: loop.sh N SCENARIO [lab.sh run options]: --kernel patched|unpatched" >&2
	exit 2 ;;
esac
rm -f "${SDEI_NMI_LAB_OUT:-$LAB_DIR/../../build/lab}/logs/$scenario-$kernel-loop-"*.log
good=0 bad=0 t0=$SECONDS
for i in $(seq "$n"); do
	t=$SECONDS
	if "$LAB_DIR/lab.sh" run "$@" --tag "loop-$i" "$scenario" >"${TMPDIR:-/tmp}/loop-$$.txt" 2>&1; then
		good=$((good + 1))
		echo "boot $i/$n: $(tail -1 "${TMPDIR:-/tmp}/loop-$$.txt") ($((SECONDS - t)) s)"
	else
		bad=$((bad + 1))
		echo "boot $i/$n: not as expected ($((SECONDS - t)) s):"
		sed 's/^/    /' "${TMPDIR:-/tmp}/loop-$$.txt"
	fi
	# a crash dump (kdump) is read into the log as it ends: 20 of them are 2 GB
	rm -f "${SDEI_NMI_LAB_OUT:-$LAB_DIR/../../build/lab}/logs/$scenario-$kernel-loop-$i.dump"
done
rm -f "${TMPDIR:-/tmp}/loop-$$.txt"
echo "loop: $scenario $*: $n boots in $((SECONDS - t0)) s, $good as expected, $bad not"
[ "$bad" = 0 ]
