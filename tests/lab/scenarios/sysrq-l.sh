# sysrq-l with CPU 2 wedged (interrupts masked): CPU 2's backtrace must show its real
# stack (the LKDTM frame) and a pstate with I masked. On the unpatched kernel the
# backtrace IPI never reaches CPU 2 and its block is missing.

# no buddy detector and a late RCU stall, so that sysrq-l is the only backtrace
SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	wedge_cpu 2
	mark sysrq-l
	echo l >/proc/sysrq-trigger
	sleep 1
}

check() {
	local log=$1 blk
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	blk=$(kmsg "$log" | after - 'LAB: sysrq-l' | cpu_block - 2)
	assert_masked_lkdtm_block "$blk" 2
}
