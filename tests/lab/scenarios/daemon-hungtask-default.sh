# sdei-nmid in the guest with a task blocked for good (LKDTM HUNG_TASK, in D state) at
# the kernel's default hung_task_timeout_secs (120, left as it is): the first warning
# comes 120 to 240 s after the task blocks, and the report must carry the task (comm,
# pid) and its stack (lkdtm_HUNG_TASK) in incident.task, which sched_show_task()'s block
# after the warning gives, whatever the timeout; daemon-hungtask checks the same with
# the timeout cut to 3 s. A baseline: no CPU is involved. Long tier (it waits minutes).
SCENARIO_BASELINE=yes
# the first warning up to 240 s after the task blocks, and the boot before it
SCENARIO_TIMEOUT=420

SCENARIO_APPEND="rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	mark "hung_task_timeout_secs $(cat /proc/sys/kernel/hung_task_timeout_secs)"
	nmid_start
	lkdtm_on_cpu 1 HUNG_TASK
	# the detector wakes every 120 s: the first warning within 240 s, then the task's
	# block completes the incident at once
	nmid_wait_report 300
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
	if ! has "$1" "LAB: hung_task_timeout_secs 120"; then
		echo "inconclusive: the hung task timeout is not the default (120)"
		return 2
	fi
	/usr/bin/python3 "$LAB_DIR/daemon-verdict.py" daemon-hungtask-default "$1"
}
