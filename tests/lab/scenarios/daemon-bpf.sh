# sdei-nmid's BPF source in the guest, on the lab kernel's tracing: it runs (all three
# programs), and the backtrace requests' callers are classified. SysRq-l gives a report
# of kind other, detector sysrq, whose trigger is the sysrq caller
# (sysrq_handle_showallcpus) and whose sources include bpf; then CPU 2 wedged by LKDTM
# HARDLOCKUP gives a hard-lockup report naming CPU 2 whose trigger is the hard-lockup
# caller (watchdog_hardlockup_check, buddy), seen by both sources (on the unpatched
# kernel the lockup may be reported again after the buddy gave up on its IPI: a second
# report past the quiet period is allowed, one that overlaps is not). Stopped with CPU 2
# still wedged, the daemon leaves its programs attached (pinned in bpffs, which
# nmid_start mounts as systemd does): detaching would wait for CPU 2 forever. Not a proof of the
# series: the function behind trigger_*_cpu_backtrace() is the same without it, so
# this must hold on both kernels (a baseline).

SCENARIO_APPEND="watchdog_thresh=3 rcupdate.rcu_cpu_stall_timeout=60"
SCENARIO_TIMEOUT=240
SCENARIO_BASELINE=yes

# nmid_wait_reports N SECONDS: until the spool holds N reports, for up to SECONDS
nmid_wait_reports() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		n=0
		for f in /tmp/spool/*.json; do
			[ -f "$f" ] && n=$((n + 1))
		done
		if [ "$n" -ge "$1" ]; then
			mark "reports-seen $n"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	mark "fewer than $1 reports within $2 s"
	return 1
}

guest() {
	nmid_start
	mark "sysrq-l"
	echo l >/proc/sysrq-trigger
	nmid_wait_reports 1 15
	wedge_cpu 2
	nmid_wait_reports 2 30
	# the lockup's repeats (every 3.6 s) fold into its report, BPF's as the log's
	sleep 12
	nmid_stop_and_dump
	echo "LAB: bpf-pins $(ls /sys/fs/bpf/sdei-nmid 2>/dev/null | tr '\n' ' ')"
}

check() {
	require_begin "$1" || return
	require_wedge "$1" 2 || return
	/usr/bin/python3 "$LAB_DIR/daemon-verdict.py" daemon-bpf "$1"
}
