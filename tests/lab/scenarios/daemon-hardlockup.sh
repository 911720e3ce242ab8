# sdei-nmid in the guest with CPU 2 wedged by LKDTM HARDLOCKUP: within the detector's
# threshold plus 5 s of the wedge, a report of kind hard-lockup naming CPU 2, whose
# evidence for CPU 2 has the lkdtm_HARDLOCKUP frame and a pstate with interrupts
# masked, as a structured stack from the sdei-nmi netlink family (source
# netlink-monitor or netlink-request); every report validates against daemon/sdei-nmid-report.schema.json. On the
# unpatched kernel no stack for CPU 2 ever comes: the daemon still reports from the
# kernel log, with a delivery status for CPU 2 that says why there is no stack.

SCENARIO_APPEND="watchdog_thresh=3 rcupdate.rcu_cpu_stall_timeout=60"
# the detector's threshold, for the verdict's time limit
SCENARIO_THRESH=3

guest() {
	nmid_start
	wedge_cpu 2
	# wedge_cpu waited 2 s already; the buddy detector reports within 2-3 thresholds
	nmid_wait_report 25
	# the repeats of the lockup (every 3.6 s) must not give reports of their own; on the
	# unpatched kernel the IPI backtrace gives up after 10 s
	sleep 12
	nmid_stop_and_dump
	# what an on-call engineer types next (scripts/demo.sh shows it)
	run_out reports sdei-nmictl reports --spool /tmp/spool
	for f in /tmp/spool/*.json; do
		[ -f "$f" ] || continue
		id=${f##*Z-}
		id=${id%.json}
		run_out "report-show" sdei-nmictl reports show "$id" --spool /tmp/spool
	done
}

check() {
	require_begin "$1" || return
	require_wedge "$1" 2 || return
	/usr/bin/python3 "$LAB_DIR/daemon-verdict.py" daemon-hardlockup "$1" \
		--thresh "$SCENARIO_THRESH"
}
