# The buddy hard-lockup detector with CPU 2 wedged: it must name CPU 2, and CPU 2's
# stack (the LKDTM frame, interrupts masked) must follow through the SDEI NMI. On the
# unpatched kernel the detector names CPU 2 but no stack for it ever comes.

SCENARIO_APPEND="watchdog_thresh=3 rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	wedge_cpu 2
	i=0
	while [ $i -lt 60 ] && [ "$(dmesg | grep -c 'hard LOCKUP on cpu 2')" = 0 ]; do
		sleep 1
		i=$((i + 1))
	done
	# the detector waits up to 10 s for the backtrace of a CPU that does not answer
	sleep 12
}

check() {
	local log=$1 blk
	require_begin "$log" || return
	require_wedge "$log" 2 || return
	if ! has "$log" 'Watchdog detected hard LOCKUP on cpu 2'; then
		echo "inconclusive: the buddy detector never reported CPU 2"
		return 2
	fi
	grep -m1 'Watchdog detected hard LOCKUP on cpu 2' "$log" | sed 's/^/found: /'
	blk=$(kmsg "$log" | after - 'Watchdog detected hard LOCKUP on cpu 2' | cpu_block - 2)
	assert_masked_lkdtm_block "$blk" 2
}
