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
	local log=$1 rc=0
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	if ! has "$log" 'Kernel panic - not syncing'; then
		echo "inconclusive: the kernel never panicked"
		return 2
	fi
	assert_stop_rung "$log" 2 || rc=1
	assert_no_stop_failure "$log" || rc=1
	return $rc
}
