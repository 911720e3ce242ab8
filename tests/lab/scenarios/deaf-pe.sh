# The firmware's side of the masked-PE hazard (kernel/README.md, patch 2; the fix in
# firmware/tf-a/). The hotplug scenario's race, CPU 3 offline and online in a loop while
# sysrq-l signals every CPU, with the series' guard turned off by the lab's debug knob
# sdei_lab_no_mask_guard (tests/lab/kernel/, named in the log): signals now reach CPU 3
# while Linux has it masked. On stock TF-A 2.12.1 such a signal is acknowledged and never
# ended, CPU 3 stops taking interrupts and the next hotplug step waits for it for ever.
# With the fix (--firmware fixed) the race ends after 30 s, the hotplug loop with it,
# and CPU 3 still takes timer interrupts afterwards. The negative control is the
# firmware, not the kernel: the recorded logs are deaf-pe-patched-fixed-fw.log (must
# pass) and deaf-pe-patched.log (stock firmware, must fail).

SCENARIO_CONTROL=firmware
SCENARIO_APPEND="nmi_watchdog=0 log_buf_len=4M sdei_lab_no_mask_guard=1"
SCENARIO_TIMEOUT=150
# seconds of racing; with the guard off a signal can also reach CPU 3 while its event 0
# is unregistered and be dropped, and that round of sysrq-l waits 10 s for it
RACE=30

guest() {
	f=/sys/devices/system/cpu/cpu3/online
	(
		i=0
		while [ ! -e /tmp/race-over ]; do
			echo 0 >$f
			echo 1 >$f
			i=$((i + 1))
		done
		echo "LAB: hotplug cycles done $i"
	) &
	hp=$!
	rounds=0
	end=$(($(cut -d. -f1 /proc/uptime) + RACE))
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		echo l >/proc/sysrq-trigger
		rounds=$((rounds + 1))
	done
	: >/tmp/race-over
	echo "LAB: sysrq-l rounds $rounds"
	wait $hp
	echo "LAB: cpu3 online $(cat $f)"
	irqs_still_arrive
}

check() {
	local log=$1 rc=0 cycles
	require_begin "$log" || return
	if ! has "$log" 'LAB DEBUG: SDEI_EVENT_SIGNAL reaches PEs that Linux has masked'; then
		echo "inconclusive: the guard was on (no 'LAB DEBUG' line): the firmware was never tested"
		return 2
	fi
	echo "found: $(grep -m1 '^HOST: firmware: ' "$log")"
	# the race began: a round of sysrq-l signalled (CPU 3 may go deaf on its first
	# offline step, before the kernel says it is killed)
	if ! has "$log" 'Sending NMI from CPU'; then
		echo "inconclusive: no backtrace was asked for: the race did not begin"
		return 2
	fi
	cycles=$(sed -n 's/^LAB: hotplug cycles done \([0-9]*\)$/\1/p' "$log")
	if [ -z "$cycles" ] || ! has "$log" '^LAB: scenario deaf-pe end'; then
		echo "missing: the machine stopped making progress after ${RACE} s of the race: a CPU went deaf; where the CPUs were:"
		grep '^HOST: cpu' "$log" | sed 's/^/    /'
		return 1
	fi
	echo "$cycles offline/online cycles of CPU 3 in ${RACE} s, signals reaching it while masked"
	has "$log" '^LAB: cpu3 online 1' || { echo "CPU 3 is not online at the end"; rc=1; }
	irq_delta "$log" mid after 'arch_timer' gt || rc=1
	return $rc
}
