#!/usr/bin/env bash
# The syscall benchmark of the lab, not a test: ns per getppid() in the guest, pinned to
# CPU 1, under TCG, for
#   1. the patched kernel with the SDEI NMI service active (pseudo-NMI off),
#   2. the same kernel with irqchip.gicv3_pseudo_nmi=1,
#   3. the unpatched kernel (pseudo-NMI off),
# in one run, side by side, with ratios to the unpatched kernel. Both kernels are built
# from the same configs/lab.config (ftrace's function-entry NOPs included, for the BPF
# source): compare ratios, or figures of the same lab.config only.
#
#   tests/bench/run.sh [CALLS [RUNS]]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
calls=${1:-200000}
runs=${2:-5}
lab=tests/lab/lab.sh
logs=${SDEI_NMI_LAB_OUT:-build/lab}/logs
$lab build all

args="BENCH_CALLS=$calls BENCH_RUNS=$runs"
$lab run --kernel patched --tag sdei --append "$args" bench
$lab run --kernel patched --tag pnmi --append "$args irqchip.gicv3_pseudo_nmi=1" bench
$lab run --kernel unpatched --tag base --append "$args" bench

val() { sed -n "s/^BENCH: $2=\([^ ]*\).*/\1/p;T;q" "$logs/bench-$1.log"; }
ns() { sed -n 's/^BENCH: syscall getppid ns_per_call=\([0-9.]*\).*/\1/p' "$logs/bench-$1.log"; }
base=$(ns unpatched-base)
[ -n "$base" ] || { echo "bench: no figure from the unpatched kernel" >&2; exit 1; }
echo
echo "syscall-in-a-loop (getppid), $calls calls, best of $runs, QEMU TCG, 4 vCPUs"
printf '%-44s %-10s %-9s %12s %10s\n' kernel pseudo-NMI sdei_nmi ns/call vs-unpatched
for t in patched-sdei:"patched, SDEI NMI service" patched-pnmi:"patched, irqchip.gicv3_pseudo_nmi=1" \
	unpatched-base:"unpatched"; do
	id=${t%%:*} name=${t#*:}
	n=$(ns "$id")
	[ -n "$n" ] || { echo "bench: no figure for $name" >&2; exit 1; }
	printf '%-44s %-10s %-9s %12s %9.3fx\n' "$name" "$(val "$id" pseudo_nmi)" \
		"$(val "$id" sdei_nmi)" "$n" "$(awk -v a="$n" -v b="$base" 'BEGIN { print a / b }')"
done
