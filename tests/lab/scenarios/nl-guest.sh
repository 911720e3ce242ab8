# A CPU running a KVM guest. Run on the -kvm kernels (lab.sh run --kernel patched-kvm),
# which boot at EL2 on a CPU with VHE: Linux is a KVM host, and firmware enters its SDEI
# handler at EL2 whatever the CPU runs, a guest included. kvm-spin runs a guest of one
# vCPU on CPU 2 whose code spins at EL1 with every exception masked (its pc in
# 0x10000000-0x1000000b, an address that means nothing to the host). While it runs:
# `sdei-nmictl backtrace --cpu 2` as text and JSON, then sysrq-l. The capture and the
# kernel's backtrace must both say that CPU 2 was in a guest and show the host's side
# (the vCPU thread in KVM_RUN), never the guest's pc as a host frame. Last, a panic:
# the stop must reach CPU 2 ("SMP: failed to stop secondary CPUs" is a failure). The
# unpatched kernel has no family, and its backtrace of CPU 2 never says "guest".

# the kernel it runs on, and the one of its negative control: lab.sh --kernel BASE-kvm
SCENARIO_KERNEL_VARIANT=kvm
SCENARIO_APPEND="nmi_watchdog=0"
SCENARIO_END_REGEX='end Kernel panic'
SCENARIO_END_GRACE=2

guest() {
	if [ ! -c /dev/kvm ]; then
		mark "no /dev/kvm: not a -kvm kernel at EL2 (lab.sh run --kernel patched-kvm)"
		dump_kmsg
		return
	fi
	if kvm_guest_on_cpu2; then mark "guest spinning on cpu 2"; fi
	counters guest-before
	run_out cpu2 sdei-nmictl backtrace --cpu 2
	sleep 0.3
	run_out cpu2-json sdei-nmictl backtrace --cpu 2 --json
	counters guest-after
	mark "sysrq-l with a guest on cpu 2"
	echo l >/proc/sysrq-trigger
	sleep 2
	run_out vmm-after cat /tmp/kvm-spin.out
	if kill -0 "$spin" 2>/dev/null; then mark "guest still spinning on cpu 2"; fi
	dump_kmsg
	mark "panic with a guest on cpu 2"
	taskset 1 sh -c 'echo c >/proc/sysrq-trigger'
}

check() {
	require_begin "$1" || return
	/usr/bin/python3 "$LAB_DIR/nl-verdict.py" nl-guest "$1"
}
