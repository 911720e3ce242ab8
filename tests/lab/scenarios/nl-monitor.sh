# `sdei-nmictl monitor --json` receives the kernel's own backtrace as data: with CPU 2
# wedged, sysrq-l yields a notification whose entry for CPU 2 has the LKDTM frame,
# interrupts masked, trigger "kernel" and no raw address. An unprivileged monitor is
# refused. The unpatched kernel has no family to listen to.

SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	sdei-nmictl monitor --json >/tmp/monitor.out 2>&1 &
	mon=$!
	run_out monitor-unpriv as-user 65534 sdei-nmictl monitor
	sleep 1
	wedge_cpu 2
	mark sysrq-l
	echo l >/proc/sysrq-trigger
	sleep 2
	kill -INT $mon
	wait $mon
	echo "LAB: out-begin monitor"
	cat /tmp/monitor.out
	echo "LAB: out-end monitor rc=0"
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-monitor "$1"
}
