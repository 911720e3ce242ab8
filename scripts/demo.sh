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
# CPU 2.
#
# Every section starts with a line "== [SECTION] ..." (tests/lab/test-demo.sh checks
# that each one is there). Excerpts are cut to a few lines by first() below, which reads
# its whole input: a reader that stops early would kill the writer with SIGPIPE, and
# under pipefail turn a good run into exit status 141.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-deps.sh all
lab=tests/lab/lab.sh
logs=${SDEI_NMI_LAB_OUT:-build/lab}/logs
mkdir -p build

# (no grep in a pipeline here: one that finds nothing exits 1, and so would the demo)
# first N [WHERE] : the first N lines of stdin, and how many more there were and where
# to read them; always reads to the end of its input
first() {
	awk -v n="$1" -v where="${2:-}" 'NR <= n { print; next }
		END { if (NR > n) printf "  (%d more line%s%s)\n", NR - n, (NR - n > 1) ? "s" : "",
			where == "" ? "" : " in " where }'
}

# out NAME LOG: what the guest ran between "LAB: out-begin NAME" and its end marker.
out() {
	awk -v n="$1" '$0 == "LAB: out-begin " n { f = 1; next }
		f && index($0, "LAB: out-end " n " ") == 1 { f = 0; next }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$2"
}

# expect VARIANT : what each scenario must do on that kernel (the unpatched one is the
# negative control: the scenario's assertion must fail there)
expect() { if [ "$1" = patched ]; then echo pass; else echo fail; fi; }

# scenario NAME VARIANT : runs it; on failure shows the lab's verdict and stops the demo
scenario() {
	local txt=build/demo-$1-$2.txt
	$lab run --kernel "$2" --expect "$(expect "$2")" "$1" >"$txt" 2>&1 ||
		{ cat "$txt"; echo "demo: the $1 scenario did not do what it must on the $2 kernel" >&2; exit 1; }
}

echo "== [build] the lab: TF-A, the patched and unpatched kernels, the initramfs (cached after the first run)"
$lab build all

for variant in patched unpatched; do
	echo
	echo "== [backtrace/$variant] $variant kernel: CPU 2 wedged (LKDTM HARDLOCKUP), then sdei-nmictl backtrace --cpu 2"
	scenario nl-backtrace "$variant"
	log=$logs/nl-backtrace-$variant.log
	kernel_log=$(. tests/lab/lib-host.sh && kmsg "$log")
	awk '/sdei: SDEIv|sdei_nmi:|lkdtm: Performing direct entry/ { print "  " $0 }' \
		<<<"$kernel_log" | first 12 "$log"
	echo "  -- # sdei-nmictl backtrace --cpu 2"
	awk '/^LAB: out-begin cpu2$/ { f = 1; next }
		/^LAB: out-end cpu2 / { if (f) print "  (exit status " substr($4, 4) ")"; f = 0 }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$log"
	sed -n 's/^  \(found\|missing\|wrong\)/  verdict: \1/p' "build/demo-nl-backtrace-$variant.txt" |
		first 4
done

for variant in patched unpatched; do
	echo
	echo "== [daemon/$variant] $variant kernel: sdei-nmid running, CPU 2 wedged (LKDTM HARDLOCKUP)"
	scenario daemon-hardlockup "$variant"
	log=$logs/daemon-hardlockup-$variant.log
	kernel_log=$(. tests/lab/lib-host.sh && kmsg "$log")
	awk '/lkdtm: Performing direct entry|Watchdog detected hard LOCKUP/ { print "  " $0 }' \
		<<<"$kernel_log" | first 2
	awk '/^LAB: nmid-log-begin/ { f = 1; next } /^LAB: nmid-log-end/ { f = 0 }
		f && /^(Source|Report|Incident) /' "$log" | sed 's/^/  sdei-nmid: /' | first 6 "$log"
	echo "  -- # sdei-nmictl reports"
	out reports "$log" | first 20 "$log"
	echo "  -- # sdei-nmictl reports show ID"
	out report-show "$log" | first 40 "$log"
done

for variant in patched unpatched; do
	echo
	echo "== [kdump/$variant] $variant kernel: kdump loaded, CPU 2 wedged, panic on CPU 0: is CPU 2 in the vmcore?"
	scenario kdump "$variant"
	log=$logs/kdump-$variant.log
	echo "  -- # sdei-nmictl kdump"
	awk '/^LAB: kexec_crash_loaded/ { f = 1; next } /LAB: kdump: sdei-nmictl kdump exit/ { f = 0 }
		f && !/^\[ *[0-9.]+\] / { print "  " $0 }' "$log"
	# the console interleaves the guest's lines with the kernel's: no anchors
	sed -n 's/.*LAB: kdump: \(sdei-nmictl kdump exit [0-9]*\).*/  (\1)/p' "$log" | awk 'NR == 1'
	awk '/SMP: (retry stop|failed to stop)|Some CPUs may be stale|Starting crashdump/ {
		sub(/^\[ *[0-9.]+\] /, ""); print "  kernel: " $0 }' "$log" | first 8 "$log"
	sed -n 's/.*LAB: \(capture: vmcore of .*\)/  \1/p' "$log" | awk 'NR == 1'
	sed -n 's/^HOST: vmcore: /  host reads the vmcore: /p' "$log"
	sed -n 's/^  \(missing\|wrong\)/  verdict: \1/p' "build/demo-kdump-$variant.txt"
done

echo
echo "== [end] the demo ran every section"
echo "Full serial logs: $logs/nl-backtrace-patched.log and $logs/nl-backtrace-unpatched.log,"
echo "$logs/daemon-hardlockup-patched.log and $logs/daemon-hardlockup-unpatched.log,"
echo "$logs/kdump-patched.log and $logs/kdump-unpatched.log"
echo "The same wedge seen by sysrq-l on the console: tests/lab/lab.sh run sysrq-l"
