# Helpers for scenarios, in the guest (busybox sh).

# mark TEXT: a marker on the console and in the kernel log, so that the kernel log dump
# shows where it falls among the kernel's own messages
mark() {
	echo "LAB: $*"
	echo "LAB: $*" >/dev/kmsg
}

# keep_off_cpu0_free: a wedged CPU strands what was queued on it, timers included: pin
# the lab's own shell and the console printer kthreads to CPU 0, which is never wedged.
pin_lab_to_cpu0() {
	taskset -p 1 $$ >/dev/null
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in
		pr/*) taskset -p 1 "${p#/proc/}" >/dev/null 2>&1 ;;
		esac
	done
}

# wedge_cpu N: spin CPU N with interrupts masked (LKDTM HARDLOCKUP), in the background
wedge_cpu() {
	mask=$(printf '%x' $((1 << $1)))
	taskset "$mask" sh -c 'echo HARDLOCKUP > /sys/kernel/debug/provoke-crash/DIRECT' &
	# give it time to get there; the LKDTM line in the log confirms it
	sleep 2
	# the console prints through a kthread, at the level in force when it prints: a
	# scenario that lowers it next could lose that line from the serial log
	dmesg | grep 'lkdtm: Performing direct entry HARDLOCKUP'
	mark "wedged cpu $1"
}

# lkdtm_on_cpu N TYPE: LKDTM's crash point TYPE (SOFTLOCKUP, HUNG_TASK...) run by a task
# bound to CPU N, in the background; marked once it had time to get there
lkdtm_on_cpu() {
	mask=$(printf '%x' $((1 << $1)))
	taskset "$mask" sh -c "echo $2 > /sys/kernel/debug/provoke-crash/DIRECT" &
	sleep 2
	mark "lkdtm $2 on cpu $1"
}

# dump_kmsg: the kernel log as the kernel recorded it. The console prints it through a
# kthread, asynchronously; checks of running systems read this dump instead.
dump_kmsg() {
	echo "LAB: kmsg-begin"
	dmesg
	echo "LAB: kmsg-end"
}

# ncpus: CPUs online (nproc counts only those this shell may run on, and it is pinned)
ncpus() {
	grep -c '^processor' /proc/cpuinfo
}

# load_every_cpu: make every CPU take timer ticks and be woken from another CPU
load_every_cpu() {
	n=$(ncpus)
	c=0
	while [ $c -lt "$n" ]; do
		m=$(printf '%x' $((1 << c)))
		taskset "$m" sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done' &
		taskset 1 sh -c 'i=0; while [ $i -lt 50 ]; do echo x; sleep 0.01; i=$((i + 1)); done' |
			taskset "$m" cat >/dev/null &
		c=$((c + 1))
	done
	wait
}

# irq_counts: the timer and IPI lines of /proc/interrupts
irq_counts() {
	grep -E 'arch_timer|IPI[0-9]+:' /proc/interrupts
}

# irq_snapshot NAME: irq_counts between markers that the host's irq_delta reads
irq_snapshot() {
	echo "LAB: irq-$1"
	irq_counts
	echo "LAB: irq-$1-end"
}

# irqs_still_arrive: snapshots "mid" and "after" around a load on every CPU, so that
# the host can check that timers and IPIs still reach every CPU
irqs_still_arrive() {
	irq_snapshot mid
	load_every_cpu
	irq_snapshot after
}

# run_out NAME COMMAND...: run COMMAND, its output (stderr too) between markers that the
# host's checks read, with its exit status on the end marker
run_out() {
	name=$1
	shift
	echo "LAB: out-begin $name"
	"$@" 2>&1
	echo "LAB: out-end $name rc=$?"
}

# counters NAME: the service's per-CPU counters, between markers
counters() {
	echo "LAB: counters-begin $1"
	for f in /sys/kernel/sdei_nmi/cpu*/*; do
		echo "$f $(cat "$f")"
	done
	echo "LAB: counters-end $1"
}

# nmid_start ARGS...: sdei-nmid on the live kernel log, its spool in the tmpfs
# (/tmp/spool), its debug log in /tmp/sdei-nmid.log; returns once every source has
# started ("sdei-nmid VERSION running.", after READY=1), for up to 20 s. A CPU must not
# be wedged before: loading a BPF program patches kernel text, which waits for every
# CPU (bpf/README.md). bpffs is mounted as systemd mounts it, for the pins the daemon
# leaves after a hard lockup. It inherits the lab shell's CPU 0: a wedged CPU would
# strand its timers.
nmid_start() {
	mkdir -p /tmp/spool
	grep -q ' /sys/fs/bpf ' /proc/mounts || mount -t bpf bpf /sys/fs/bpf
	sdei-nmid --kmsg /dev/kmsg --spool /tmp/spool --kmsg-cursor /tmp/kmsg.cursor -v "$@" \
		>/tmp/sdei-nmid.log 2>&1 &
	nmid_pid=$!
	i=0
	while [ $i -lt 200 ] && ! grep -q '^sdei-nmid .* running\.$' /tmp/sdei-nmid.log; do
		sleep 0.1
		i=$((i + 1))
	done
	mark "sdei-nmid started, pid $nmid_pid"
	# the clocks side by side: this line's kernel log time (the printk clock, which
	# the kernel log's timestamps use) and CLOCK_BOOTTIME read just before
	mark "clocks: uptime $(cut -d' ' -f1 /proc/uptime)"
}

# nmid_wait_report SECONDS: polls the spool every 0.1 s for up to SECONDS; marks the
# first report seen ("LAB: report-seen NAME", in the kernel log too, so that its kernel
# timestamp measures when the report was there). Returns 1 when none came.
nmid_wait_report() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		for f in /tmp/spool/*.json; do
			if [ -f "$f" ]; then
				mark "report-seen ${f##*/}"
				return 0
			fi
		done
		sleep 0.1
		i=$((i + 1))
	done
	mark "no report within $1 s"
	return 1
}

# nmid_stop_and_dump: SIGTERM to sdei-nmid (it reports what is open), then its exit
# status, its log and every report of the spool, between markers that the host's
# daemon-verdict.py reads. The console's kernel messages are turned down first, so that
# none falls into a report's line (the kernel log dump keeps them all).
nmid_stop_and_dump() {
	kill -TERM "$nmid_pid"
	wait "$nmid_pid"
	rc=$?
	dmesg -n 1
	echo "LAB: nmid-log-begin"
	cat /tmp/sdei-nmid.log
	echo "LAB: nmid-log-end rc=$rc"
	for f in /tmp/spool/*.json; do
		[ -f "$f" ] || continue
		echo "LAB: report-begin ${f##*/}"
		cat "$f"
		echo
		echo "LAB: report-end ${f##*/}"
	done
	echo "LAB: reports-done"
	# the kernel log as /dev/kmsg gives it (priorities, facilities, continuation
	# flags), for the parser's corpus (tests/fixtures/kmsg/lab/)
	cat /dev/kmsg >/tmp/kmsg.records &
	cat_pid=$!
	sleep 1
	kill "$cat_pid"
	wait "$cat_pid"
	echo "LAB: devkmsg-begin"
	cat /tmp/kmsg.records
	echo "LAB: devkmsg-end"
}

# find_disks: $payload, the disk with the cpio archive of the capture kernel, and $dump,
# the other one (zeroed by the host)
find_disks() {
	payload= dump=
	for d in /dev/vd?; do
		[ -b "$d" ] || continue
		if [ "$(head -c 6 "$d")" = 070701 ]; then payload=$d; else dump=$d; fi
	done
}

# kvm_guest_on_cpu2: kvm-spin's guest (guest/kvm-spin.c) running on CPU 2 (a -kvm
# kernel), its VMM's pid in $spin and its output in the log as 'vmm'; fails when the VMM
# is not running a second after it said the guest runs
kvm_guest_on_cpu2() {
	taskset 4 kvm-spin 2 >/tmp/kvm-spin.out 2>&1 &
	spin=$!
	# KVM_RUN entered; the guest spins from then on
	i=0
	while ! grep -q "guest running" /tmp/kvm-spin.out && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 1
	run_out vmm cat /tmp/kvm-spin.out
	kill -0 "$spin" 2>/dev/null
}
