# halt -f with CPU 2 wedged: the kernel must reach "System halted" within 30 s and stop
# every other CPU, CPU 2 through the SDEI rung, without "failed to stop secondary
# CPUs". If it does not, sysrq-w after 20 s shows where the halt is stuck.

SCENARIO_APPEND="nmi_watchdog=0"
SCENARIO_AFTER_MARKER=40
SCENARIO_END_REGEX='reboot: System halted'
SCENARIO_END_GRACE=4

guest() {
	wedge_cpu 2
	mark host-timer-start
	halt -f &
	sleep 20
	mark "still running 20 s after 'halt -f'; blocked tasks:"
	echo w >/proc/sysrq-trigger
	sleep 2
}

check() {
	local log=$1 rc=0
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	assert_halted_within "$log" 30 || return 1
	assert_stop_rung "$log" 2 || rc=1
	assert_no_stop_failure "$log" || rc=1
	return $rc
}
