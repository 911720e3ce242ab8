# sdei-nmid in the guest with a task blocked for good (LKDTM HUNG_TASK, in D state) and
# the hung task detector's timeout cut to 3 s: one hung-task report (its 10 warnings
# folded) whose kernel log lines hold the detector's "blocked for more than" line and
# the task's stack (lkdtm_HUNG_TASK); every report validates against
# daemon/sdei-nmid-report.schema.json. No CPU is involved: a baseline that holds on the
# unpatched kernel too.
SCENARIO_BASELINE=yes

SCENARIO_APPEND="rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	echo 3 >/proc/sys/kernel/hung_task_timeout_secs
	nmid_start
	lkdtm_on_cpu 1 HUNG_TASK
	# the detector checks every 3 s and warns 10 times (hung_task_warnings): the
	# warnings, 3 s apart, fold into one incident, which closes 5 s after the last
	nmid_wait_report 50
	sleep 3
	nmid_stop_and_dump
}

check() {
	require_begin "$1" || return
	if ! has "$1" "lkdtm: Performing direct entry HUNG_TASK" ||
		! has "$1" "LAB: lkdtm HUNG_TASK on cpu 1"; then
		echo "inconclusive: LKDTM HUNG_TASK never ran"
		return 2
	fi
	/usr/bin/python3 "$LAB_DIR/daemon-verdict.py" daemon-hungtask "$1"
}
