# sdei-nmid in the guest with CPU 3 spinning with preemption off (LKDTM SOFTLOCKUP,
# interrupts on): a soft-lockup report naming CPU 3 with its stack (the lkdtm_SOFTLOCKUP
# frame), which CPU 3 prints itself from its timer interrupt; the RCU stall that follows
# (the stall timeout is cut to 10 s) is reported too, and its reports must name CPU 3.
# Every report validates against daemon/sdei-nmid-report.schema.json. CPU 3 takes
# interrupts, so this holds on the unpatched kernel too: a baseline.
SCENARIO_BASELINE=yes

SCENARIO_APPEND="watchdog_thresh=3 rcupdate.rcu_cpu_stall_timeout=10"

guest() {
	nmid_start
	lkdtm_on_cpu 3 SOFTLOCKUP
	# the soft lockup detector fires after 2 thresholds (6 s), RCU after 10 s
	nmid_wait_report 25
	sleep 15
	nmid_stop_and_dump
}

check() {
	require_begin "$1" || return
	if ! has "$1" "lkdtm: Performing direct entry SOFTLOCKUP" ||
		! has "$1" "LAB: lkdtm SOFTLOCKUP on cpu 3"; then
		echo "inconclusive: CPU 3 never ran LKDTM SOFTLOCKUP"
		return 2
	fi
	/usr/bin/python3 "$LAB_DIR/daemon-verdict.py" daemon-softlockup "$1"
}
