# reboot -f with CPU 2 wedged: the machine must reset within 30 s (QEMU runs with
# -no-reboot, so a reset ends it). If it does not, sysrq-w after 20 s shows where the
# reboot is stuck.

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
	local log=$1
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	assert_reset_within "$log" 30
}
