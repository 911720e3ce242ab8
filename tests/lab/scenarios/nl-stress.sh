# Back-to-back backtrace requests of every CPU while CPU 3 goes offline and online in a
# loop: no request hangs, no warning in the kernel log, and for each CPU the answers add
# up with the counters (the captures through SDEI were signalled and handled, the rest
# of the signals timed out; timeouts match). A CPU in its idle state, or on its way
# offline, has masked SDEI and is captured through an IPI instead, which signals
# nothing. The unpatched kernel has no family: every request fails.

SCENARIO_APPEND="nmi_watchdog=0 log_buf_len=1M"
SCENARIO_TIMEOUT=600
REQUESTS=1000

guest() {
	echo 0 >/sys/kernel/sdei_nmi/min_interval_ms
	# every CPU by number, so that CPU 3 is asked for (and offline) in every request
	all=0-$(($(ncpus) - 1))
	counters stress-before
	rm -f /tmp/stop
	(
		n=0
		while [ ! -e /tmp/stop ]; do
			echo 0 >/sys/devices/system/cpu/cpu3/online
			echo 1 >/sys/devices/system/cpu/cpu3/online
			n=$((n + 1))
		done
		echo $n >/tmp/cycles
	) &
	i=0
	while [ $i -lt $REQUESTS ]; do
		sdei-nmictl backtrace --cpus $all >>/tmp/stress.out 2>&1
		echo "rc $?" >>/tmp/stress.rc
		i=$((i + 1))
	done
	touch /tmp/stop
	wait
	counters stress-after
	echo "LAB: stress done $i requests, $(cat /tmp/cycles) hotplug cycles"
	echo "LAB: out-begin tally"
	sort /tmp/stress.rc | uniq -c | awk '{ print $2, $3, $1 }'
	sed -n -e 's/^\(CPU [0-9]*: \)captured .* through an IPI.*/\1captured-ipi/p' -e t \
		-e 's/^\(CPU [0-9]*: [a-z-]*\).*/\1/p' /tmp/stress.out | sort | uniq -c |
		awk '{ print $2, $3, $4, $1 }'
	grep -v '^CPU \|^ ' /tmp/stress.out | sort | uniq -c | awk 'NR <= 5'
	echo "LAB: out-end tally rc=0"
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-stress "$1"
}
