# A healthy machine: 200 rounds of sysrq-l with no CPU wedged. Every round must be
# answered by every CPU, through SDEI (the backtrace IPI count must not move), and
# afterwards the timer and IPIs must still arrive on every CPU: nothing lost, nothing
# hung, no PE left with an unacknowledged firmware interrupt. On the unpatched kernel
# the backtraces travel as IPIs, so the IPI count moves and the assertion fails.
# CPUs 1-3 run a busy loop meanwhile: an idle CPU is in the power-down idle state,
# whose CPU PM masks SDEI, and rightly takes the IPI instead (nl-idle tests that path).

# 200 rounds of backtraces do not fit the default 128 KiB log buffer
SCENARIO_APPEND="nmi_watchdog=0 log_buf_len=4M"
SCENARIO_TIMEOUT=600
ROUNDS=200

guest() {
	c=1 busy=""
	while [ $c -lt "$(ncpus)" ]; do
		taskset "$(printf '%x' $((1 << c)))" sh -c 'while :; do :; done' &
		busy="$busy $!"
		c=$((c + 1))
	done
	# the loops are running (and their CPUs out of idle) before the first round
	sleep 1
	irq_snapshot before
	i=0
	while [ $i -lt $ROUNDS ]; do
		echo l >/proc/sysrq-trigger
		i=$((i + 1))
	done
	echo "LAB: rounds done $i"
	# shellcheck disable=SC2086
	kill $busy
	wait
	irqs_still_arrive
}

check() {
	local log=$1 rc=0 n cpu cnt
	require_begin "$log" || return
	if ! has "$log" "^LAB: rounds done $ROUNDS"; then
		echo "inconclusive: the guest did not finish $ROUNDS rounds"
		return 2
	fi
	n=$(grep -m1 -o 'begin on [0-9]* CPUs' "$log" | grep -o '[0-9]*')
	for cpu in $(seq 0 $((n - 1))); do
		cnt=$(kmsg "$log" | grep -cE "NMI backtrace for cpu $cpu( |$)" || true)
		if [ "$cnt" -ne "$ROUNDS" ]; then
			echo "CPU $cpu answered $cnt of $ROUNDS rounds"
			rc=1
		fi
	done
	[ $rc = 0 ] && echo "every one of $n CPUs answered all $ROUNDS rounds"
	irq_delta "$log" before mid 'CPU backtrace interrupts' eq || {
		echo "the backtraces went out as IPIs, not through SDEI"
		rc=1
	}
	irq_delta "$log" mid after 'arch_timer' gt || rc=1
	irq_delta "$log" mid after 'IPI[0-9]+:' gt || rc=1
	return $rc
}
