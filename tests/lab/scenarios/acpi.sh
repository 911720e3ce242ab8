# SDEI found through ACPI, as servers find it. Run on the -acpi kernels (lab.sh run
# --kernel patched-acpi): TF-A, then EDK2 as its BL33 (tests/lab/lib-acpi.sh), which
# hands the kernel ACPI tables with an SDEI table and no device tree. With CPU 2 wedged
# (LKDTM HARDLOCKUP) the service must answer as in nl-backtrace: `sdei-nmictl backtrace
# --cpu 2`, `--all --json` and `status --json`. Then a panic on CPU 0: the stop must
# reach CPU 2 through the SDEI rung, and no "failed to stop secondary CPUs" may follow.
# The unpatched kernel has no family, and its stop fails on CPU 2.

# the kernel it runs on, and the one of its negative control: lab.sh --kernel BASE-acpi
SCENARIO_KERNEL_VARIANT=acpi
SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"
SCENARIO_END_REGEX='end Kernel panic'
SCENARIO_END_GRACE=2

guest() {
	run_out acpi-tables ls /sys/firmware/acpi/tables
	if [ -e /sys/firmware/devicetree/base/firmware/sdei ]; then
		mark "an SDEI node in the device tree"
	fi
	wedge_cpu 2
	run_out cpu2 sdei-nmictl backtrace --cpu 2
	# past the minimum interval between two requests to one CPU
	sleep 0.2
	run_out all sdei-nmictl backtrace --all --json
	run_out status sdei-nmictl status --json
	dump_kmsg
	mark panic
	taskset 1 sh -c 'echo c >/proc/sysrq-trigger'
}

check() {
	local log=$1 rc=0
	require_begin "$log" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" acpi "$log" || rc=$?
	[ "$rc" != 2 ] || return 2
	check_panic_stop "$log" 2 || { [ $? = 2 ] && return 2; rc=1; }
	return $rc
}
