# reboot -f with CPU 2 wedged: the machine must reset within 30 s (QEMU runs with
# -no-reboot, so a reset ends it), CPU 2 stopped by the SDEI rung of smp_send_stop().
# If it does not, sysrq-w after 20 s shows where the reboot is stuck: on the unpatched
# kernel, and with the first three patches only, in sdei_reboot_notifier().

SCENARIO_APPEND="nmi_watchdog=0"
SCENARIO_AFTER_MARKER=40
REBOOT_CMD="reboot -f"

guest() {
	wedge_cpu 2
	mark host-timer-start
	$REBOOT_CMD &
	sleep 20
	mark "still running 20 s after '$REBOOT_CMD'; blocked tasks:"
	echo w >/proc/sysrq-trigger
	sleep 2
}

check() {
	local log=$1 rc=0
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	assert_reset_within "$log" 30 || return 1
	assert_stop_rung "$log" 2 || rc=1
	assert_no_stop_failure "$log" || rc=1
	return $rc
}
