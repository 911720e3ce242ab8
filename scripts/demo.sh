#!/usr/bin/env bash
# The lab demo: boots the virtual arm64 machine (QEMU + TF-A with SDEI) on the patched
# kernel, wedges CPU 2 with interrupts masked and asks for its backtrace with
# `sdei-nmictl backtrace --cpu 2`: caught through SDEI, with the stack it spins in. Then
# the same on the unpatched kernel, which has no way to reach CPU 2 (and no sdei-nmi
# family). Then sdei-nmid, the daemon, running in the guest as CPU 2 wedges: the buddy
# hard-lockup detector fires, and the daemon's incident report (what `sdei-nmictl
# reports show` prints) names CPU 2 with its stack and its interrupts masked; on the
# unpatched kernel the report comes from the kernel log alone and says why CPU 2 has
# no stack. Last, kdump: a capture kernel loaded, CPU 2 wedged, a panic: the patched
# kernel's crash stop reaches CPU 2 through SDEI and the vmcore the host reads back
# holds its registers (pc in lkdtm_HARDLOCKUP); the unpatched kernel's has no note for
# CPU 2. The first run builds the kernels (about 10 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh all
lab=tests/lab/lab.sh
logs=${SDEI_NMI_LAB_OUT:-build/lab}/logs
mkdir -p build

echo "== building the lab (cached after the first run)"
$lab build all

for variant in patched unpatched; do
	echo
	echo "== $variant kernel: CPU 2 wedged (LKDTM HARDLOCKUP), then sdei-nmictl backtrace --cpu 2"
	$lab run --kernel "$variant" --expect "$([ $variant = patched ] && echo pass || echo fail)" \
		nl-backtrace >"build/demo-$variant.txt" 2>&1 || { cat "build/demo-$variant.txt"; exit 1; }
	log=$logs/nl-backtrace-$variant.log
	kernel_log=$(. tests/lab/lib-host.sh && kmsg "$log")
	grep -E 'sdei: SDEIv|sdei_nmi:|lkdtm: Performing direct entry' <<<"$kernel_log" | sed 's/^/  /'
	echo "  -- # sdei-nmictl backtrace --cpu 2"
	awk '/^LAB: out-begin cpu2$/ { f = 1; next } /^LAB: out-end cpu2 / { print "  (exit status " substr($4, 4) ")"; exit }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$log"
	sed -n 's/^  \(found\|missing\|wrong\)/  verdict: \1/p' "build/demo-$variant.txt" | head -4
done

# out NAME LOG: what the guest ran between "LAB: out-begin NAME" and its end marker.
out() {
	awk -v n="$1" '$0 == "LAB: out-begin " n { f = 1; next }
		f && index($0, "LAB: out-end " n " ") == 1 { f = 0; next }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$2"
}

for variant in patched unpatched; do
	echo
	echo "== $variant kernel: sdei-nmid running, CPU 2 wedged (LKDTM HARDLOCKUP)"
	$lab run --kernel "$variant" --expect "$([ $variant = patched ] && echo pass || echo fail)" \
		daemon-hardlockup >"build/demo-daemon-$variant.txt" 2>&1 ||
		{ cat "build/demo-daemon-$variant.txt"; exit 1; }
	log=$logs/daemon-hardlockup-$variant.log
	kernel_log=$(. tests/lab/lib-host.sh && kmsg "$log")
	grep -E 'lkdtm: Performing direct entry|Watchdog detected hard LOCKUP' <<<"$kernel_log" |
		head -2 | sed 's/^/  /'
	grep -E '^(Source|Report|Incident) ' <(awk '/^LAB: nmid-log-begin/ { f = 1; next }
		/^LAB: nmid-log-end/ { f = 0 } f' "$log") | head -6 | sed 's/^/  sdei-nmid: /'
	echo "  -- # sdei-nmictl reports"
	out reports "$log"
	echo "  -- # sdei-nmictl reports show ID"
	out report-show "$log" | head -40
done
for variant in patched unpatched; do
	echo
	echo "== $variant kernel: kdump loaded, CPU 2 wedged, panic on CPU 0: is CPU 2 in the vmcore?"
	$lab run --kernel "$variant" --expect "$([ $variant = patched ] && echo pass || echo fail)" \
		kdump >"build/demo-kdump-$variant.txt" 2>&1 ||
		{ cat "build/demo-kdump-$variant.txt"; exit 1; }
	log=$logs/kdump-$variant.log
	echo "  -- # sdei-nmictl kdump"
	awk '/^LAB: kexec_crash_loaded/ { f = 1; next } /LAB: kdump: sdei-nmictl kdump exit/ { f = 0 }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$log"
	grep -m1 -o 'LAB: kdump: sdei-nmictl kdump exit [0-9]*' "$log" | sed 's/^LAB: kdump: /  (/; s/$/)/'
	grep -E 'SMP: (retry stop|failed to stop)|Some CPUs may be stale|Starting crashdump' "$log" |
		sed -E 's/^\[ *[0-9.]+\] //; s/^/  kernel: /'
	grep -o 'LAB: capture: vmcore of .*' "$log" | head -1 | sed 's/^LAB: /  /'
	sed -n 's/^HOST: vmcore: /  host reads the vmcore: /p' "$log"
	sed -n 's/^  \(missing\|wrong\)/  verdict: \1/p' "build/demo-kdump-$variant.txt"
done
echo
echo "Full serial logs: $logs/nl-backtrace-patched.log and $logs/nl-backtrace-unpatched.log,"
echo "$logs/daemon-hardlockup-patched.log and $logs/daemon-hardlockup-unpatched.log,"
echo "$logs/kdump-patched.log and $logs/kdump-unpatched.log"
echo "The same wedge seen by sysrq-l on the console: tests/lab/lab.sh run sysrq-l"
