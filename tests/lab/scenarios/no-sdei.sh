# No SDEI node in the device tree: the service must say it is inactive, in the boot log
# and through `sdei-nmictl status` and `backtrace` (state inactive with its reason,
# every CPU "unsupported"), and sysrq-l must still reach every CPU (none is masked)
# through the IPI. The unpatched kernel has no service to say so.

SCENARIO_NO_SDEI=yes
SCENARIO_APPEND="nmi_watchdog=0"

guest() {
	run_out status sdei-nmictl status --json
	run_out backtrace sdei-nmictl backtrace --all --json
	mark sysrq-l
	echo l >/proc/sysrq-trigger
	sleep 1
}

check() {
	local log=$1 rc=0 n cpu klog
	require_begin "$log" || return
	# the kernel log after sysrq-l, searched by readers that read it all (under the
	# host's pipefail, a grep -q fed by a pipe can fail for its writer's SIGPIPE)
	klog=$(kmsg "$log" | after - 'LAB: sysrq-l')
	case $klog in
	*'sysrq: Show backtrace of all active CPUs'*) ;;
	*)
		echo "inconclusive: sysrq-l never ran"
		return 2
		;;
	esac
	if has "$log" 'sdei: SDEIv'; then
		echo "inconclusive: firmware SDEI was found although the node was removed"
		return 2
	fi
	if has "$log" 'sdei_nmi: inactive: no SDEI firmware interface'; then
		echo "found: $(grep -m1 -o 'sdei_nmi: inactive.*' "$log")"
	else
		echo "missing: the service's 'inactive' line"
		rc=1
	fi
	n=$(grep -m1 -o 'begin on [0-9]* CPUs' "$log" | grep -o '[0-9]*')
	for cpu in $(seq 0 $((n - 1))); do
		if [ -z "$(printf '%s\n' "$klog" | grep -E "NMI backtrace for cpu $cpu( |\$)")" ]; then
			echo "CPU $cpu did not answer sysrq-l"
			rc=1
		fi
	done
	[ $rc = 1 ] || echo "all $n CPUs answered sysrq-l through the IPI"
	local prc=0
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-inactive "$log" || prc=$?
	[ $prc = 1 ] && rc=1
	[ $prc = 2 ] && [ $rc = 0 ] && rc=2
	return $rc
}
