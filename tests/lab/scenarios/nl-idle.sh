# Backtraces of idle CPUs. The device tree's PSCI idle state powers a CPU down when it
# idles (lab.sh --idle, on by default), and Linux's CPU PM masks SDEI around it, as on
# servers: SDEI cannot be signalled to such a CPU, and the request falls back to an
# IPI, which wakes it. Twenty rounds of `sdei-nmictl backtrace --all --json` with
# nothing running on CPUs 1-3: every CPU is captured in every round, never "offline";
# each idle CPU at least once through the IPI, as its idle task; cpuidle counts the
# power-down state's entries on those CPUs; sysrq-l prints every CPU's backtrace. The
# unpatched kernel has no family: every request fails.

SCENARIO_APPEND="nmi_watchdog=0"
ROUNDS=20

# idle_usage NAME: each CPU's cpuidle states and how often they were entered
idle_usage() {
	echo "LAB: idle-begin $1"
	for d in /sys/devices/system/cpu/cpu[0-9]*/cpuidle/state[0-9]*; do
		[ -d "$d" ] || continue
		c=${d#/sys/devices/system/cpu/cpu}
		echo "cpu${c%%/*} $(cat "$d/name") $(cat "$d/usage")"
	done
	echo "LAB: idle-end $1"
}

guest() {
	# let CPUs 1-3 settle into idle: the lab's shell is pinned to CPU 0
	sleep 2
	idle_usage before
	counters idle-before
	i=0
	while [ $i -lt $ROUNDS ]; do
		# past the minimum interval between two requests to one CPU (100 ms)
		sleep 0.3
		sdei-nmictl backtrace --all --json=short >>/tmp/idle.json 2>&1
		echo "rc $?" >>/tmp/idle.rc
		i=$((i + 1))
	done
	counters idle-after
	idle_usage after
	echo "LAB: idle done $i rounds"
	run_out rounds cat /tmp/idle.json
	run_out rcs cat /tmp/idle.rc
	sleep 0.3
	run_out text sdei-nmictl backtrace --cpu 1
	mark "sysrq-l of idle CPUs"
	echo l >/proc/sysrq-trigger
	sleep 2
	dump_kmsg
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-idle "$1"
}
