# kexec -e, a kexec reboot (not a crash), with CPU 2 wedged: what the user sees. The
# guest loads this kernel again with kexec -l from the payload disk, wedges CPU 2 and
# runs kexec -e. A kexec takes every other CPU offline through CPU hotplug first
# (machine_shutdown(), smp_shutdown_nonboot_cpus()), and the SDEI core's reboot
# notifier resets the interface on every CPU through hotplug and cross-calls before
# that: each waits for CPU 2, which never answers. 20 s later sysrq-w shows where
# kexec -e is blocked. A baseline, the same on both kernels: kexec -e needs every CPU to
# cooperate, with or without the series; kernel/README.md says what to use instead. With
# sdei_lab.kexec_no_wedge on the command line (lab.sh run --append), the control, the
# new kernel should come up; in this lab it does not, on either kernel: it oopses in
# virtio-blk's probe with its own text overwritten (tests/fixtures/lab/investigation/
# kexec-*-nowedge.log.gz), a defect of kexec -l here that the crash kexec (kdump) does
# not share.

SCENARIO_BASELINE=yes
SCENARIO_APPEND="nmi_watchdog=0 rcupdate.rcu_cpu_stall_timeout=60"
SCENARIO_DISKS=kdump
SCENARIO_AFTER_MARKER=40
SCENARIO_END_REGEX='^LAB: kexec: the new kernel is up'
SCENARIO_END_GRACE=1

guest() {
	if grep -qw sdei_lab.kexeced /proc/cmdline; then
		mark "kexec: the new kernel is up on $(ncpus) CPUs"
		return
	fi
	find_disks
	if [ -z "$payload" ]; then
		mark "kexec: no payload disk ($(ls /dev/vd* 2>/dev/null))"
		return
	fi
	mkdir -p /tmp/kexec
	(cd /tmp/kexec && cpio -id <"$payload" 2>/dev/null)
	kexec -l --command-line="console=ttyAMA0 irqchip.gicv3_pseudo_nmi=0 sdei_lab.scenario=kexec sdei_lab.kexeced nmi_watchdog=0" \
		--initrd=/tmp/kexec/initramfs.cpio.gz /tmp/kexec/Image
	mark "kexec: kexec -l exit $?"
	grep -qw sdei_lab.kexec_no_wedge /proc/cmdline || wedge_cpu 2
	mark host-timer-start
	kexec -e &
	sleep 20
	mark "still running 20 s after 'kexec -e'; blocked tasks:"
	echo w >/proc/sysrq-trigger
	sleep 2
}

check() {
	local log=$1
	require_begin "$log" || return
	if ! has "$log" 'LAB: kexec: kexec -l exit 0'; then
		echo "inconclusive: the kernel was not loaded (kexec -l)"
		return 2
	fi
	# the service says it is gone before the SDEI core resets the interface
	if has "$log" 'sdei_nmi: active'; then
		if has "$log" 'sdei_nmi: inactive: the SDEI interface is reset for kexec'; then
			echo "found: $(grep -m1 'sdei_nmi: inactive: the SDEI' "$log" | q)"
		else
			echo "missing: 'sdei_nmi: inactive: the SDEI interface is reset for kexec'"
			return 1
		fi
	fi
	if grep -qw sdei_lab.kexec_no_wedge "$log"; then
		if has "$log" '^LAB: kexec: the new kernel is up'; then
			echo "found: with no CPU wedged, the new kernel came up"
			return 0
		fi
		echo "missing: with no CPU wedged, the new kernel never came up"
		return 1
	fi
	require_wedge "$log" 2 || return
	if has "$log" '^LAB: kexec: the new kernel is up'; then
		echo "found: the new kernel came up with CPU 2 wedged (kernel/README.md says it does not)"
		return 1
	fi
	if ! has "$log" '^LAB: still running'; then
		echo "inconclusive: neither the new kernel nor the 20 s mark"
		return 2
	fi
	echo "found: kexec -e did not complete with CPU 2 wedged, as kernel/README.md says; sysrq-w:"
	kmsg "$log" | after - 'LAB: still running' | awk '
		/task:kexec / { f = 1 }
		f && /task:/ && !/task:kexec / { f = 0; done = 1 }
		f && !done' | awk '/task:|^\[ *[0-9.]+\]  [a-z_0-9.]+\+0x/ && ++n <= 16' | q |
		sed 's/^/    /'
	return 0
}
