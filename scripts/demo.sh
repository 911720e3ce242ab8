#!/usr/bin/env bash
# The lab demo: boots the virtual arm64 machine (QEMU + TF-A with SDEI) on the patched
# kernel, wedges CPU 2 with interrupts masked, asks every CPU for a backtrace (sysrq-l)
# and shows CPU 2's, caught through SDEI; then the same on the unpatched kernel, where
# CPU 2 never answers. The first run builds the kernels (about 10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh lab
lab=tests/lab/lab.sh
logs=${SDEI_NMI_LAB_OUT:-build/lab}/logs
mkdir -p build

echo "== building the lab (cached after the first run)"
$lab build all

for variant in patched unpatched; do
	echo
	echo "== $variant kernel: CPU 2 wedged (LKDTM HARDLOCKUP), then sysrq-l"
	$lab run --kernel "$variant" --expect "$([ $variant = patched ] && echo pass || echo fail)" \
		sysrq-l >"build/demo-$variant.txt" 2>&1 || { cat "build/demo-$variant.txt"; exit 1; }
	log=$logs/sysrq-l-$variant.log
	kernel_log=$(. tests/lab/lib-host.sh && kmsg "$log")
	grep -E 'sdei: SDEIv|sdei_nmi:|lkdtm: Performing direct entry' <<<"$kernel_log" | sed 's/^/  /'
	echo "  -- what sysrq-l printed for CPU 2:"
	block=$(. tests/lab/lib-host.sh && after - 'LAB: sysrq-l' <<<"$kernel_log" | cpu_block - 2)
	if [ -n "$block" ]; then
		printf '%s\n' "$block" | grep -E 'NMI backtrace|pstate|^\[ *[0-9.]+\]  *(pc|lr) :|Call trace|^\[ *[0-9.]+\]  [a-zA-Z_]' |
			head -16 | sed 's/^/  /'
	else
		echo "  (nothing: the backtrace IPI never reached CPU 2, which spins with interrupts masked)"
		grep -E 'Sending NMI from CPU' <<<"$kernel_log" | sed 's/^/  /'
	fi
	sed -n 's/^  \(found\|missing\|wrong\)/  verdict: \1/p' "build/demo-$variant.txt"
done
echo
echo "Full serial logs: $logs/sysrq-l-patched.log and $logs/sysrq-l-unpatched.log"
