# A panic on CPU 0 with CPU 2 wedged: smp_send_stop() must escalate to the SDEI rung
# for CPU 2 and no "failed to stop secondary CPUs" may follow. On the unpatched kernel
# that failure line appears.

SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"
SCENARIO_END_REGEX='end Kernel panic'
SCENARIO_END_GRACE=2

guest() {
	wedge_cpu 2
	mark panic
	taskset 1 sh -c 'echo c >/proc/sysrq-trigger'
}

check() {
	require_begin "$1" || return
	require_wedge "$1" 2 || return
	check_panic_stop "$1" 2
}
