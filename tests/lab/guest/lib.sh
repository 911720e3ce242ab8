# Helpers for scenarios, in the guest (busybox sh).

# wedge_cpu N: spin CPU N with interrupts masked (LKDTM HARDLOCKUP), in the background
wedge_cpu() {
	mask=$(printf '%x' $((1 << $1)))
	taskset "$mask" sh -c 'echo HARDLOCKUP > /sys/kernel/debug/provoke-crash/DIRECT' &
	# give it time to get there; the LKDTM line in the log confirms it
	sleep 2
	echo "LAB: wedged cpu $1"
}

# irq_counts: one line per CPU column of /proc/interrupts for the timer and the IPIs
irq_counts() {
	grep -E 'arch_timer|IPI[0-9]+:' /proc/interrupts
}
