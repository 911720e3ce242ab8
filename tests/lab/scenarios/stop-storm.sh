# A panic on CPU 0 while CPU 1 asks for every CPU's backtrace in a loop (sysrq-l), CPU 2
# wedged. Each SDEI signal CPU 1 sends holds a count on its target, which that target's
# fence waits for before it masks itself: the panicking CPU's own fence too, at the end of
# smp_send_stop(). The machine must reset (panic=1) within 30 s of the panic, CPU 2
# stopped by the SDEI rung. The window between the count and the firmware call is a few
# microseconds; the lab's debug knob sdei_lab_signal_delay_us (tests/lab/kernel/, off by
# default, named in the log when on) widens it to 50 ms. Before the fix, the stop IPI
# parked CPU 1 inside it with the count raised, and the panicking CPU waited for ever
# (tests/fixtures/lab/investigation/stop-storm-hang.log).

SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60 panic=1 sdei_lab_signal_delay_us=50000"
SCENARIO_AFTER_MARKER=40

guest() {
	wedge_cpu 2
	# the backtraces go to the kernel log, not the slow console: more of them, and the
	# panic raises the console's level again
	echo 1 >/proc/sys/kernel/printk
	taskset 2 sh -c 'while :; do echo l >/proc/sysrq-trigger; done' &
	sleep 3
	mark host-timer-start
	taskset 1 sh -c 'echo c >/proc/sysrq-trigger'
	sleep 30
	mark "still running 30 s after the panic"
}

check() {
	local log=$1 rc=0 n
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	if has "$log" 'sdei_nmi: active' && ! has "$log" 'LAB DEBUG: each SDEI_EVENT_SIGNAL waits'; then
		echo "inconclusive: the lab's signal delay was off (no 'LAB DEBUG' line)"
		return 2
	fi
	has "$log" 'LAB DEBUG: ' && echo "found: $(grep -m1 'LAB DEBUG: ' "$log" | q)"
	# without the service each round waits 10 s for CPU 2: one round is all there is
	n=$(grep -c 'sysrq: Show backtrace of all active CPUs' "$log" || true)
	if [ "${n:-0}" -lt 1 ] || { has "$log" 'sdei_nmi: active' && [ "${n:-0}" -lt 2 ]; }; then
		echo "inconclusive: ${n:-0} all-CPU backtraces before the panic, not a storm"
		return 2
	fi
	echo "found: $n all-CPU backtraces asked for before the panic"
	if ! has "$log" 'Kernel panic - not syncing'; then
		echo "inconclusive: the kernel never panicked"
		return 2
	fi
	assert_reset_within "$log" 30 || return 1
	assert_stop_rung "$log" 2 || rc=1
	assert_no_stop_failure "$log" || rc=1
	return $rc
}
