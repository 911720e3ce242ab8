#!/usr/bin/env bash
# Files what the long tier (scripts/test.sh --full) left in build/, compressed, for the
# fast tier to replay: the loops' serial logs into tests/fixtures/lab/full/ and the logs
# of the scenarios that run on a kernel variant (SCENARIO_KERNEL_VARIANT) into
# tests/fixtures/lab/, the debug kernels' (-debug: lockdep, KASAN; -kcsan) into
# tests/fixtures/lab/debug/ (all judged by unit.lab-verdicts), and the demo runs'
# outputs into tests/fixtures/demo/ (judged by unit.demo-verdicts). What was filed
# before is replaced.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
logs=${SDEI_NMI_LAB_OUT:-$TOP/build/lab}/logs
full=$TOP/tests/fixtures/lab/full
demo=$TOP/tests/fixtures/demo
shopt -s nullglob
loops=("$logs"/*-loop-*.log)
runs=("$TOP"/build/demo-runs/run-*.txt)
debug=("$logs"/*-patched-debug.log "$logs"/*-patched-kcsan.log)
variants=()
for s in "$TOP"/tests/lab/scenarios/*.sh; do
	kv=$(sed -n 's/^SCENARIO_KERNEL_VARIANT=//p' "$s")
	[ -n "$kv" ] || continue
	for k in patched unpatched; do
		f=$logs/$(basename "$s" .sh)-$k-$kv.log
		[ -f "$f" ] && variants+=("$f")
	done
done
[ "${#loops[@]}" -gt 0 ] || [ "${#runs[@]}" -gt 0 ] || [ "${#variants[@]}" -gt 0 ] ||
	[ "${#debug[@]}" -gt 0 ] ||
	{ echo "record-full: nothing to file: run scripts/test.sh --full first" >&2; exit 1; }
if [ "${#loops[@]}" -gt 0 ]; then
	rm -rf "$full" && mkdir -p "$full"
	for f in "${loops[@]}"; do gzip -9c "$f" >"$full/$(basename "$f").gz"; done
	echo "record-full: ${#loops[@]} loop logs in $full"
fi
for f in "${variants[@]}"; do
	gzip -9c "$f" >"$TOP/tests/fixtures/lab/$(basename "$f").gz"
	echo "record-full: $(basename "$f") in tests/fixtures/lab/"
done
if [ "${#debug[@]}" -gt 0 ]; then
	rm -rf "$TOP/tests/fixtures/lab/debug" && mkdir -p "$TOP/tests/fixtures/lab/debug"
	for f in "${debug[@]}"; do
		gzip -9c "$f" >"$TOP/tests/fixtures/lab/debug/$(basename "$f").gz"
	done
	echo "record-full: ${#debug[@]} debug kernels' logs in tests/fixtures/lab/debug/"
fi
if [ "${#runs[@]}" -gt 0 ]; then
	mkdir -p "$demo" && rm -f "$demo"/run-*.txt.gz
	for f in "${runs[@]}"; do gzip -9c "$f" >"$demo/$(basename "$f").gz"; done
	echo "record-full: ${#runs[@]} demo outputs in $demo"
fi
