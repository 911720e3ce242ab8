# The control surface's limits, no CPU wedged: an offline CPU is reported offline; CPU
# 99 gets the kernel's error; an unprivileged caller (uid 65534) gets a permission error
# and no signal counter moves; under kptr_restrict=2 no raw address is returned; with
# min_interval_ms=10000 a burst of 5 requests at CPU 3 yields one capture and 4
# rate-limited entries, and the counters say so. The unpatched kernel has no family.

SCENARIO_APPEND="nmi_watchdog=0"

guest() {
	echo 0 >/sys/devices/system/cpu/cpu3/online
	run_out offline sdei-nmictl backtrace --cpu 3 --json
	run_out range sdei-nmictl backtrace --cpu 99
	echo 1 >/sys/devices/system/cpu/cpu3/online

	counters unpriv-before
	run_out unpriv as-user 65534 sdei-nmictl backtrace --all
	counters unpriv-after

	run_out kptr0 sdei-nmictl backtrace --cpu 2 --json
	echo 2 >/proc/sys/kernel/kptr_restrict
	run_out kptr2 sdei-nmictl backtrace --cpu 1 --json
	echo 0 >/proc/sys/kernel/kptr_restrict

	echo 10000 >/sys/kernel/sdei_nmi/min_interval_ms
	counters rate-before
	for i in 1 2 3 4 5; do
		run_out "rate$i" sdei-nmictl backtrace --cpu 3 --json
	done
	counters rate-after
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-limits "$1"
}
