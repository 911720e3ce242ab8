# Not a test: the guest side of tests/bench/run.sh. Runs the syscall loop pinned to
# CPU 1 and says whether pseudo-NMI and the SDEI service are in use.

SCENARIO_APPEND="nmi_watchdog=0"
SCENARIO_TIMEOUT=900

guest() {
	echo "BENCH: pseudo_nmi=$(dmesg | grep -q 'Pseudo-NMIs enabled' && echo on || echo off)"
	echo "BENCH: sdei_nmi=$(dmesg | grep -q 'sdei_nmi: active' && echo active || echo absent)"
	taskset 2 syscall-bench "${BENCH_CALLS:-200000}" "${BENCH_RUNS:-5}"
}

check() {
	grep -q '^BENCH: syscall' "$1"
}
