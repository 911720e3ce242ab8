# The control surface with CPU 2 wedged (LKDTM HARDLOCKUP): `sdei-nmictl backtrace
# --cpu 2` captures it, with the LKDTM frame and interrupts masked; `--all --json`
# returns every online CPU and validates against cli/sdei-nmictl-backtrace.schema.json;
# `status --json` validates too. On the unpatched kernel sdei-nmictl says the family is
# missing and exits 2.

SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"

guest() {
	wedge_cpu 2
	run_out cpu2 sdei-nmictl backtrace --cpu 2
	# past the minimum interval between two requests to one CPU
	sleep 0.2
	run_out all sdei-nmictl backtrace --all --json
	run_out status sdei-nmictl status --json
	# the kernel's own messages, for the parser's fixtures (tests/unit/record-fixtures.sh)
	sleep 0.2
	sdei-nmictl backtrace --cpu 2 --record /tmp/backtrace.hex >/dev/null 2>&1
	sdei-nmictl status --record /tmp/status.hex >/dev/null 2>&1
	run_out recorded-backtrace cat /tmp/backtrace.hex
	run_out recorded-status cat /tmp/status.hex
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-backtrace "$1"
}
