# kdump with a CPU wedged with interrupts masked: the crash dump must hold that CPU's
# registers. The guest loads a capture kernel (kexec -p, Debian's arm64 kexec-tools)
# from a virtio disk with the command line of /etc/default/kdump-tools (nr_cpus=1),
# checks that sdei-nmictl kdump reports ready, wedges CPU 2 (LKDTM HARDLOCKUP) and
# panics on CPU 0. The crash stop must reach CPU 2 through the SDEI rung, which saves its
# registers; the capture kernel runs makedumpfile into an ELF vmcore and copies it to a
# second virtio disk. The host reads the dump (vmcore-notes.py): an NT_PRSTATUS note for
# every CPU that was online, CPU 2's (its task's pid) with a pc in lkdtm_HARDLOCKUP and
# interrupts masked. The capture kernel asks firmware (PSCI AFFINITY_INFO, a lab patch in
# both kernels) which CPUs are powered: every CPU the crash stop took down must be OFF,
# handed back with CPU_OFF, CPU 2 included. On the unpatched kernel CPU 2 never stops:
# its note is missing, it is still ON, and the log says "failed to stop secondary CPUs 2".

SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60 crashkernel=320M"
SCENARIO_DISKS=kdump
SCENARIO_END_REGEX='^LAB: capture end'
SCENARIO_END_GRACE=1
SCENARIO_TIMEOUT=420

guest() {
	find_disks
	if [ -z "$payload" ] || [ -z "$dump" ]; then
		mark "kdump: no payload or dump disk ($(ls /dev/vd* 2>/dev/null))"
		return
	fi
	mkdir -p /tmp/kdump
	(cd /tmp/kdump && cpio -id <"$payload" 2>/dev/null)
	. /etc/default/kdump-tools
	# the investigation of a capture kernel on every CPU (lab.sh run --append
	# sdei_lab.kdump_all_cpus kdump): what the firmware does with the parked one
	if grep -qw sdei_lab.kdump_all_cpus /proc/cmdline; then
		KDUMP_CMDLINE_APPEND="$(echo "$KDUMP_CMDLINE_APPEND" | sed 's/nr_cpus=1//')"
		KDUMP_CMDLINE_APPEND="$KDUMP_CMDLINE_APPEND earlycon=pl011,0x9000000"
		grep -qw sdei_lab.kdump_online /proc/cmdline &&
			KDUMP_CMDLINE_APPEND="$KDUMP_CMDLINE_APPEND maxcpus=1 sdei_lab.kdump_online"
		grep -qw sdei_lab.kdump_nolpi /proc/cmdline &&
			KDUMP_CMDLINE_APPEND="$KDUMP_CMDLINE_APPEND irqchip.gicv3_nolpi=1"
	fi
	echo 1 >/proc/sys/kernel/hardlockup_panic
	# as kdump-config loads it, and records it for its status (and sdei-nmictl kdump)
	cmdline="console=ttyAMA0 irqchip.gicv3_pseudo_nmi=0 sdei_lab.scenario=kdump psci_lab_affinity_info $KDUMP_CMDLINE_APPEND"
	kexec -p --command-line="$cmdline" --initrd=/tmp/kdump/initramfs.cpio.gz /tmp/kdump/Image
	rc=$?
	mark "kdump: kexec -p exit $rc"
	[ $rc -ne 0 ] || echo "kexec -p --command-line=\"$cmdline\" --initrd=/tmp/kdump/initramfs.cpio.gz /tmp/kdump/Image" >"$KDUMP_COREDIR/kexec_cmd"
	rm -rf /tmp/kdump
	echo "LAB: kexec_crash_loaded $(cat /sys/kernel/kexec_crash_loaded)"
	t0=$(cut -d' ' -f1 /proc/uptime)
	sdei-nmictl kdump
	rc=$?
	mark "kdump: sdei-nmictl kdump exit $rc ($t0 .. $(cut -d' ' -f1 /proc/uptime) s)"
	# the investigation: CPU 1 leaves by hotplug before the crash, not by the stop IPI
	if grep -qw sdei_lab.kdump_offline1 /proc/cmdline; then
		echo 0 >/sys/devices/system/cpu/cpu1/online
		mark "kdump: cpu 1 offline by hotplug, exit $?"
	fi
	# kdump-guest: a KVM guest on CPU 2 instead (a -kvm kernel)
	if [ "${KDUMP_WEDGE:-lkdtm}" = guest ]; then
		guest_on_cpu2 || return
	# the investigation's control: the same crash with no CPU wedged
	elif ! grep -qw sdei_lab.kdump_no_wedge /proc/cmdline; then
		wedge_cpu 2
		mark "kdump: wedge pid $!"
	fi
	mark panic
	taskset 1 sh -c 'echo c >/proc/sysrq-trigger'
}

# guest_on_cpu2: kvm-spin's guest running on CPU 2 (kdump-guest)
guest_on_cpu2() {
	if [ ! -c /dev/kvm ]; then
		mark "kdump: no /dev/kvm: not a -kvm kernel at EL2"
		return 1
	fi
	kvm_guest_on_cpu2 || { mark "kdump: kvm-spin exited"; return 1; }
	mark "kdump: guest on cpu 2, vmm pid $spin"
}

# in the capture kernel
capture() {
	. /etc/default/kdump-tools
	# the investigation: bring the other CPUs up one at a time, each given 10 s
	if grep -qw sdei_lab.kdump_online /proc/cmdline; then
		for c in 1 2 3; do
			mark "capture: onlining cpu $c"
			sh -c "echo 1 >/sys/devices/system/cpu/cpu$c/online; echo \"LAB: capture: cpu $c online exit \$?\"" &
			sleep 10
			mark "capture: cpu $c online=$(cat /sys/devices/system/cpu/cpu$c/online)"
		done
	fi
	find_disks
	mkdir -p "$KDUMP_COREDIR"
	# shellcheck disable=SC2086
	makedumpfile $MAKEDUMP_ARGS /proc/vmcore "$KDUMP_COREDIR/vmcore"
	mark "capture: makedumpfile exit $?"
	size=$(wc -c <"$KDUMP_COREDIR/vmcore")
	if dd if="$KDUMP_COREDIR/vmcore" of="$dump" bs=1M 2>/dev/null; then
		sync
		mark "capture: vmcore of $size bytes copied to $dump"
	else
		mark "capture: copying the vmcore of $size bytes to $dump failed"
	fi
}

host_after() {
	local dump=${1%.log}.dump
	python3 "$LAB_DIR/vmcore-notes.py" "$dump" "$2/System.map"
}

# assert_cpus_off LOG: what PSCI AFFINITY_INFO said in the capture kernel. Every CPU the
# crashed kernel brought up is OFF but the one the capture kernel runs on. CPUs are
# matched to MPIDRs by the crashed kernel's boot lines ("Booting Linux on physical CPU",
# "CPUn: Booted secondary processor"); the capture kernel's own is its boot line.
assert_cpus_off() {
	local log=$1 rc=0 c mpidr state self
	if ! grep -q 'Kernel command line:.*psci_lab_affinity_info' "$log"; then
		echo "not asked: no AFFINITY_INFO in this log (recorded before the capture kernel asked)"
		return 0
	fi
	# the second kernel's boot line: the capture kernel's
	self=$(awk '/Booting Linux on physical CPU 0x/ && ++n == 2 {
		sub(/.*Booting Linux on physical CPU 0x0*/, ""); sub(/ .*/, "")
		print ($0 == "" ? "0" : $0); exit }' "$log")
	c=0
	while :; do
		if [ "$c" = 0 ]; then
			mpidr=$(sed -n 's/.*Booting Linux on physical CPU 0x0*\([0-9a-f][0-9a-f]*\) .*/\1/p;T;q' "$log")
		else
			mpidr=$(sed -n "s/.*CPU$c: Booted secondary processor 0x0*\([0-9a-f][0-9a-f]*\) .*/\1/p;T;q" "$log")
		fi
		[ -n "$mpidr" ] || break
		state=$(sed -n "s/.*LAB DEBUG: AFFINITY_INFO [^ ]* MPIDR 0x$mpidr: \([A-Za-z_]*\) .*/\1/p;T;q" "$log")
		if [ -z "$state" ]; then
			echo "missing: the capture kernel said nothing of CPU $c (MPIDR 0x$mpidr)"
			rc=1
		elif [ "$mpidr" = "$self" ]; then
			echo "found: AFFINITY_INFO of CPU $c (MPIDR 0x$mpidr), the capture kernel's: $state"
			[ "$state" = ON ] || { echo "wrong: the capture kernel's CPU should be ON"; rc=1; }
		else
			echo "found: AFFINITY_INFO of CPU $c (MPIDR 0x$mpidr): $state"
			[ "$state" = OFF ] ||
				{ echo "wrong: CPU $c should be OFF, handed back to firmware by the crash stop"; rc=1; }
		fi
		c=$((c + 1))
	done
	[ "$c" -gt 1 ] || { echo "missing: the log names no CPU's MPIDR"; rc=1; }
	return $rc
}

check() {
	local log=$1 rc=0 cpus pid notes line c guest=
	[ "${KDUMP_WEDGE:-lkdtm}" != guest ] || guest=yes
	require_begin "$log" || return
	if [ -z "$guest" ]; then
		require_wedge "$log" 2 || return
	elif ! has "$log" 'LAB: kdump: guest on cpu 2, vmm pid'; then
		echo "inconclusive: no KVM guest ran on CPU 2"
		return 2
	fi
	if ! has "$log" 'LAB: kdump: kexec -p exit 0'; then
		echo "inconclusive: the capture kernel was not loaded"
		return 2
	fi
	if ! has "$log" 'Kernel panic - not syncing'; then
		echo "inconclusive: the kernel never panicked"
		return 2
	fi
	line=$(grep -m1 'LAB: kdump: sdei-nmictl kdump exit' "$log" | q)
	echo "found: $line"
	if [[ "$line" == *"exit 0 "* ]]; then
		:
	elif [ -n "$guest" ] && [[ "$line" == *"exit 1 "* ]] &&
		has "$log" '^WARN +sdei-stop +no /sys/kernel/sdei_nmi' &&
		! awk '/^(WARN|FAIL) +/ && !/^WARN +sdei-stop / { f = 1 } END { exit !f }' "$log"; then
		# kdump-guest is a baseline: without the series, sdei-nmictl kdump rightly
		# warns of the missing SDEI stop (DEGRADED, exit 1), and of nothing else
		echo "found: DEGRADED for the missing SDEI stop alone (a kernel without the series)"
	else
		echo "wrong: sdei-nmictl kdump should report ready (exit 0)"
		rc=1
	fi
	# a CPU in a guest takes the stop IPI (the guest exits to the host): no rung needed
	if [ -z "$guest" ]; then
		assert_stop_rung "$log" 2 || rc=1
	else
		RUNG_OTHERS=""
	fi
	assert_no_stop_failure "$log" || rc=1
	if ! has "$log" 'LAB: capture kernel up on 1 CPUs'; then
		echo "missing: the capture kernel never ran the capture (on one CPU)"
		return 1
	fi
	assert_cpus_off "$log" || rc=1
	if ! has "$log" 'LAB: capture: makedumpfile exit 0'; then
		echo "missing: makedumpfile did not write the vmcore"
		return 1
	fi
	if has "$log" 'LAB: capture: copying the vmcore .* failed'; then
		echo "missing: the vmcore did not fit the dump disk (lab.sh sizes it)"
		return 1
	fi
	# the console interleaves the guest's lines with the kernel's: no anchors
	cpus=$(grep -m1 -o -E 'LAB: scenario [a-z-]+ begin on [0-9]+ CPUs' "$log" | cut -d' ' -f6)
	if [ -z "$guest" ]; then
		pid=$(grep -m1 -o 'LAB: kdump: wedge pid [0-9]*' "$log" | cut -d' ' -f5)
	else
		pid=$(grep -m1 -o 'LAB: kdump: guest on cpu 2, vmm pid [0-9]*' "$log" | cut -d' ' -f9)
	fi
	if [ -z "$cpus" ] || [ -z "$pid" ]; then
		echo "inconclusive: the log lacks the CPU count or the wedged task's pid"
		return 2
	fi
	notes=$(sed -n 's/^HOST: vmcore: NT_PRSTATUS notes: \([0-9]*\)$/\1/p' "$log")
	if [ -z "$notes" ]; then
		echo "missing: the host read no vmcore"
		grep '^HOST: vmcore' "$log" | sed 's/^/    /'
		return 1
	fi
	grep '^HOST: vmcore: note' "$log" | sed 's/^HOST: vmcore: /found: /'
	if [ "$notes" != "$cpus" ]; then
		echo "wrong: $notes NT_PRSTATUS notes for $cpus CPUs online"
		rc=1
	fi
	line=$(grep -E "^HOST: vmcore: note [0-9]+: pid $pid " "$log" || true)
	if [ -z "$line" ]; then
		echo "missing: no NT_PRSTATUS note of the wedged task (pid $pid): CPU 2's registers are not in the dump"
		return 1
	fi
	if [ -n "$guest" ]; then
		# the host's registers, where the vCPU thread took the stop: a kernel address
		# (the guest's code is at 0x10000000), in the note of CPU 2
		[[ "$line" == "HOST: vmcore: note 2: "* ]] ||
			{ echo "wrong: the vCPU thread's note should be CPU 2's"; rc=1; }
		c=${line#* pc }
		c=${c%% *}
		if [[ "$c" == 0xffff* ]]; then
			echo "found: CPU 2's registers are the host's: the vCPU thread (pid $pid), pc $c"
		else
			echo "wrong: CPU 2's pc $c is not the host kernel's (the guest's?)"
			rc=1
		fi
		return $rc
	fi
	[[ "$line" == *" pc "*" lkdtm_HARDLOCKUP+"* ]] ||
		{ echo "wrong: CPU 2's pc should be in lkdtm_HARDLOCKUP"; rc=1; }
	# pstate's I bit (0x80): interrupts were masked where CPU 2 was stopped
	[ $(( ${line##*pstate } & 0x80 )) -ne 0 ] ||
		{ echo "wrong: CPU 2's pstate should have interrupts masked"; rc=1; }
	# any other CPU the rung named had interrupts masked too, or it did not need it
	for c in $RUNG_OTHERS; do
		line=$(grep -E "^HOST: vmcore: note $c: " "$log" || true)
		if [ -z "$line" ]; then
			echo "missing: no NT_PRSTATUS note of CPU $c, which the rung named"
			rc=1
		elif [ $(( ${line##*pstate } & 0x80 )) -eq 0 ]; then
			echo "wrong: the rung named CPU $c, whose pstate has interrupts unmasked"
			rc=1
		fi
	done
	return $rc
}
