# Helpers for scenario checks, on the host (bash). A check prints what it found and
# returns 0 (the assertion holds), 1 (it does not) or 2 (inconclusive: the run did not
# reach what it tests, e.g. the CPU was never wedged).

# has LOG REGEX
has() { grep -Eq -- "$2" "$1"; }

# after LOG MARKER_REGEX : the log from the first line matching MARKER on
after() { awk -v m="$2" 'f || $0 ~ m { f = 1; print }' "$1"; }

# cpu_block LOG CPU : the NMI backtrace block of CPU, from its header to the next header
# or marker line. LOG may be - (a pipe from kmsg): the awk reads to the end, as a reader
# that exits early would leave the writer to die of SIGPIPE under pipefail.
cpu_block() {
	awk -v c="$2" '
		done { next }
		/NMI backtrace for cpu [0-9]+/ {
			f = ($0 ~ ("NMI backtrace for cpu " c "( |$)")) && !/skipped/
			if (f) n++
			if (n > 1) { done = 1; next }
		}
		/LAB: / && f { done = 1; next }
		f { print }' "$1"
}

# kmsg LOG : the kernel log the guest dumped at the end (LAB: kmsg-begin ... -end)
kmsg() { awk '/^LAB: kmsg-begin/ { f = 1; n++; next } /^LAB: kmsg-end/ { f = 0 } f && n == 1' "$1"; }

# require_wedge LOG CPU : inconclusive unless LKDTM really ran on that CPU
require_wedge() {
	if ! has "$1" "lkdtm: Performing direct entry HARDLOCKUP" ||
		! has "$1" "LAB: wedged cpu $2"; then
		echo "inconclusive: CPU $2 was never wedged by LKDTM HARDLOCKUP"
		return 2
	fi
}

# require_begin LOG : inconclusive unless the guest ran the scenario at all
require_begin() {
	if ! has "$1" '^LAB: scenario .* begin'; then
		echo "inconclusive: the guest never started the scenario (boot failed?)"
		return 2
	fi
}

# strip the kernel's "[    1.234567] " timestamp for quoting
q() { sed -E 's/^\[ *[0-9.]+\] //'; }

# assert_masked_lkdtm_block BLOCK CPU : CPU's backtrace shows LKDTM's spin, I masked
assert_masked_lkdtm_block() {
	local blk=$1 cpu=$2 pstate rc=0
	if [ -z "$blk" ]; then
		echo "missing: no NMI backtrace for CPU $cpu"
		return 1
	fi
	echo "found: $(head -1 <<<"$blk" | q)"
	if grep -q 'lkdtm_HARDLOCKUP' <<<"$blk"; then
		echo "found: $(grep -m1 'lkdtm_HARDLOCKUP' <<<"$blk" | q)"
	else
		echo "missing: the LKDTM frame (lkdtm_HARDLOCKUP) in CPU $cpu's stack"
		rc=1
	fi
	pstate=$(grep -m1 -oE 'pstate: [0-9a-f]+' <<<"$blk" | cut -d' ' -f2)
	if [ -z "$pstate" ]; then
		echo "missing: CPU $cpu's registers (no pstate line)"
		rc=1
	elif (((0x$pstate >> 7) & 1)); then
		echo "found: $(grep -m1 'pstate:' <<<"$blk" | q): I (IRQ) masked"
	else
		echo "wrong: CPU $cpu's pstate $pstate does not have I masked"
		rc=1
	fi
	return $rc
}

# cpus_of LIST : the CPUs of a kernel CPU list ("2-3,5" gives "2 3 5")
cpus_of() {
	local r out=()
	IFS=, read -ra rs <<<"$1"
	for r in "${rs[@]}"; do
		if [[ $r =~ ^([0-9]+)-([0-9]+)$ ]]; then
			out+=($(seq "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"))
		elif [[ $r =~ ^[0-9]+$ ]]; then
			out+=("$r")
		fi
	done
	echo "${out[*]}"
}

# assert_stop_rung LOG CPU : the SDEI rung of smp_send_stop() named CPU. It may name
# others too: a CPU that kept interrupts masked through the stop IPI's wait (one second)
# needs the rung as much, and under TCG one sometimes does (kdump: a kworker with the
# UART's lock). Those are printed as RUNG_OTHERS for the caller to check where it can.
assert_stop_rung() {
	local line list c
	RUNG_OTHERS=""
	line=$(grep -m1 'SMP: retry stop with SDEI NMI for CPUs' "$1" | q || true)
	if [ -z "$line" ]; then
		echo "missing: 'SMP: retry stop with SDEI NMI for CPUs $2'"
		return 1
	fi
	echo "found: $line"
	list=$(cpus_of "${line##* }")
	for c in $list; do [ "$c" = "$2" ] || RUNG_OTHERS="${RUNG_OTHERS:+$RUNG_OTHERS }$c"; done
	if [[ " $list " != *" $2 "* ]]; then
		echo "wrong: the rung should name CPU $2"
		return 1
	fi
	[ -z "$RUNG_OTHERS" ] ||
		echo "note: the rung also named CPU $RUNG_OTHERS: interrupts masked through the IPI's wait"
	return 0
}

# check_panic_stop LOG CPU : the kernel panicked (else inconclusive, 2); its stop's SDEI
# rung named CPU and every CPU stopped (else 1)
check_panic_stop() {
	local rc=0
	if ! has "$1" 'Kernel panic - not syncing'; then
		echo "inconclusive: the kernel never panicked"
		return 2
	fi
	assert_stop_rung "$1" "$2" || rc=1
	assert_no_stop_failure "$1" || rc=1
	return $rc
}

# assert_no_stop_failure LOG
assert_no_stop_failure() {
	local line
	line=$(grep -m1 'SMP: failed to stop secondary CPUs' "$1" | q || true)
	if [ -n "$line" ]; then
		echo "found: $line"
		return 1
	fi
	echo "no 'SMP: failed to stop secondary CPUs' line"
}

# show_stuck LOG : where the reboot or halt task was when it did not complete
show_stuck() {
	if has "$1" '^LAB: still running'; then
		echo "the guest was still running 20 s later; sysrq-w showed:"
		kmsg "$1" | after - 'LAB: still running' | awk '
			/task:(reboot|halt) / { f = 1 }
			f && /task:/ && !/task:(reboot|halt) / { f = 0; done = 1 }
			f && !done' | awk '/task:|^\[ *[0-9.]+\]  [a-z_0-9.]+\+0x/ && ++n <= 16' | q |
			sed 's/^/    /'
	fi
}

# assert_reset_within LOG SECONDS : QEMU exited by itself (-no-reboot) in time
assert_reset_within() {
	local t
	t=$(grep -m1 -oE 'HOST: [0-9.]+ s from the host-timer-start marker' "$1" | cut -d' ' -f2)
	if has "$1" '^HOST: qemu exited by itself with status 0' && [ -n "$t" ] &&
		awk -v t="$t" -v l="$2" 'BEGIN { exit !(t <= l) }'; then
		echo "the machine reset ${t} s after the command (limit $2 s)"
		return 0
	fi
	echo "no reset within $2 s of the command: $(grep -m1 '^HOST: ' "$1")"
	show_stuck "$1"
	return 1
}

# ts LOG REGEX : the kernel timestamp of the first kernel log line matching REGEX
ts() { grep -m1 -E "^\[ *[0-9]+\.[0-9]+\] .*$2" "$1" | sed -E 's/^\[ *([0-9.]+)\].*/\1/'; }

# assert_halted_within LOG SECONDS : "System halted" within SECONDS of the command, by
# the kernel's clock (the marker is in the kernel log too), and seen by the host
assert_halted_within() {
	local t0 t1
	t0=$(ts "$1" 'LAB: host-timer-start')
	t1=$(ts "$1" 'reboot: System halted')
	if has "$1" '^HOST: end pattern seen' && [ -n "$t0" ] && [ -n "$t1" ] &&
		awk -v a="$t0" -v b="$t1" -v l="$2" 'BEGIN { exit !(b - a <= l) }'; then
		echo "found: reboot: System halted, $(awk -v a="$t0" -v b="$t1" \
			'BEGIN { printf "%.2f", b - a }') s after the command (limit $2 s)"
		return 0
	fi
	echo "not halted within $2 s of the command: $(grep -m1 '^HOST: ' "$1")"
	show_stuck "$1"
	return 1
}

# irq_delta LOG FROM TO NAME_REGEX eq|gt : compare per-CPU sums of the /proc/interrupts
# lines matching NAME_REGEX between two snapshots (LAB: irq-FROM ... LAB: irq-FROM-end)
irq_delta() {
	local log=$1 from=$2 to=$3 re=$4 op=$5
	awk -v from="$from" -v to="$to" -v re="$re" -v op="$op" '
		$0 == "LAB: irq-" from { s = 1; next }
		$0 == "LAB: irq-" to { s = 2; next }
		/^LAB: irq-.*-end$/ { s = 0; next }
		s && $0 ~ re {
			for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) v[s, i - 1] += $i
			if (i - 2 > n) n = i - 2
		}
		END {
			bad = 0
			for (c = 1; c <= n; c++) {
				d = v[2, c] - v[1, c]
				if ((op == "eq" && d != 0) || (op == "gt" && d <= 0)) bad = 1
				list = list sprintf(" cpu%d %+d", c - 1, d)
			}
			printf "%s %s -> %s (%s):%s\n", re, from, to, op == "eq" ? "must not move" : "must rise on every CPU", list
			if (n == 0) { print "  no such lines in the snapshots"; bad = 1 }
			exit bad
		}' "$log"
}

# splats LOG : the reports of the kernel's debug checkers (lockdep, KASAN, KCSAN, the
# atomic-sleep and list checks, any WARNING or BUG) in LOG; fails when there is one.
# The scenarios that crash on purpose end with sysrq-c's "Oops"; a report before that
# is still one.
SPLAT_RE='BUG: KASAN|BUG: KCSAN|WARNING: possible (circular|recursive) locking|WARNING: inconsistent lock state|WARNING: suspicious RCU usage|BUG: sleeping function called from invalid context|BUG: scheduling while atomic|BUG: workqueue lockup|list_(add|del) corruption|WARNING: CPU: [0-9]+ PID|BUG: spinlock|INFO: lockdep is turned off|DEBUG_LOCKS_WARN_ON'
# checkers_on LOG debug|kcsan : the kernel said at boot that its checkers run. A KCSAN
# built without KCSAN_EARLY_ENABLE watches nothing until debugfs turns it on, and its
# runs found nothing (seen): a log without these lines proves nothing.
checkers_on() {
	local re missing=""
	case "$2" in
	debug) set -- "$1" 'KernelAddressSanitizer initialized' 'Lock dependency validator' ;;
	kcsan) set -- "$1" 'kcsan: enabled early' ;;
	*) echo "checkers_on: debug or kcsan, not '$2'"; return 1 ;;
	esac
	for re in "${@:2}"; do
		has "$1" "$re" || missing="${missing:+$missing, }'$re'"
	done
	if [ -n "$missing" ]; then
		echo "missing: the checkers never said they run: $missing"
		return 1
	fi
	echo "checkers on: ${*:2}"
}

splats() {
	local found
	found=$(grep -E -m 5 -- "$SPLAT_RE" "$1" | q || true)
	if [ -n "$found" ]; then
		printf 'splat: %s\n' "$found"
		return 1
	fi
	echo "no splat from the debug checkers (lockdep, KASAN, KCSAN, atomic sleep, lists)"
}
