#!/usr/bin/env bash
# Runs every scenario's check() against serial logs recorded in the lab
# (tests/fixtures/lab/SCENARIO-patched.log and -unpatched.log): a patched log must pass
# (0), an unpatched one must fail (1) unless the scenario is a baseline
# (SCENARIO_BASELINE=yes), and the same log cut short after boot must be inconclusive
# (2), never a pass. The long tier's loops (tests/fixtures/lab/full/, filed by
# record-full.sh) are replayed the same way: each boot's log must give the verdict its
# kernel wants. Prints 'N passed, N failed'.
set -uo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIX=$LAB_DIR/../fixtures/lab
pass=0 fail=0

# judged WHAT WANT COMMAND... : COMMAND, run in a subshell, must return WANT
judged() {
	local what=$1 want=$2 got out
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
		echo "ok: $what: returned $got"
	else
		fail=$((fail + 1))
		echo "not ok: $what: returned $got, wanted $want"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}
scenario_check() { . "$LAB_DIR/lib-host.sh" && . "$LAB_DIR/scenarios/$1.sh" && check "$2"; }
host_splats() { . "$LAB_DIR/lib-host.sh" && splats "$1"; }
host_checkers() { . "$LAB_DIR/lib-host.sh" && checkers_on "$1" "$2"; }

# expect WHAT WANT SCENARIO LOG : the scenario's check() of LOG returns WANT
expect() { judged "$3 $1: check" "$2" scenario_check "$3" "$4"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The guest's busybox sh parses whole files, check() included: they must be POSIX sh.
for f in "$LAB_DIR"/guest/init "$LAB_DIR"/guest/lib.sh "$LAB_DIR"/scenarios/*.sh; do
	if out=$(dash -n "$f" 2>&1); then
		pass=$((pass + 1))
		echo "ok: $(basename "$f") parses as POSIX sh"
	else
		fail=$((fail + 1))
		echo "not ok: $(basename "$f") does not parse as POSIX sh: $out"
	fi
done

n=0
for scenario_file in "$LAB_DIR"/scenarios/*.sh; do
	scenario=$(basename "$scenario_file" .sh)
	[ "$scenario" = bench ] && continue
	variants="patched unpatched"
	# a scenario that runs on a kernel variant (lab.sh --kernel BASE-VARIANT)
	kv=$(sed -n 's/^SCENARIO_KERNEL_VARIANT=//p' "$scenario_file")
	[ -z "$kv" ] || variants="patched-$kv unpatched-$kv"
	# a scenario whose negative control is the firmware: the patched kernel on fixed
	# firmware must pass, on stock firmware (the default) must fail
	grep -q '^SCENARIO_CONTROL=firmware' "$scenario_file" && variants="patched-fixed-fw patched"
	for variant in $variants; do
		log=$FIX/$scenario-$variant.log
		if [ -f "$log.gz" ]; then
			gzip -dc "$log.gz" >"$tmp/$scenario-$variant.log"
			log=$tmp/$scenario-$variant.log
		fi
		if [ ! -f "$log" ]; then
			fail=$((fail + 1))
			echo "not ok: $scenario $variant: no recorded log $log"
			continue
		fi
		n=$((n + 1))
		if [ "$variants" = "patched-fixed-fw patched" ]; then
			if [ "$variant" = patched ]; then
				expect "log on stock firmware" 1 "$scenario" "$log"
			else
				expect "log on fixed firmware" 0 "$scenario" "$log"
			fi
			continue
		fi
		case "$variant" in patched | patched-*) expect "$variant log" 0 "$scenario" "$log" ;; esac
		if [ "${variant%%-*}" = unpatched ]; then
			if grep -q '^SCENARIO_BASELINE=yes' "$scenario_file"; then
				expect "$variant log (a baseline)" 0 "$scenario" "$log"
			else
				expect "$variant log" 1 "$scenario" "$log"
			fi
		fi
	done
	# cut short right after the scenario began: nothing it tests has happened yet
	log=$FIX/$scenario-patched${kv:+-$kv}.log
	[ -f "$log" ] || log=$tmp/$scenario-patched${kv:+-$kv}.log
	if [ -f "$log" ]; then
		awk '{ print } /^LAB: scenario .* begin/ { exit }' "$log" >"$tmp/$scenario-cut.log"
		expect "log cut after boot" 2 "$scenario" "$tmp/$scenario-cut.log"
	fi
done

# A kernel WARNING in the hotplug baseline's long kernel log (about 800 KB) must fail it:
# a grep -q fed by a pipe once let it pass, the writer dying of SIGPIPE under pipefail.
gzip -dc "$FIX/hotplug-patched.log.gz" | awk '/^LAB: kmsg-begin/ && !done { print
	print "[   12.345678] WARNING: CPU: 3 PID: 1 at kernel/cpu.c:123 injected+0x0/0x4"
	done = 1; next } { print }' >"$tmp/hotplug-warning.log"
expect "patched log with a WARNING injected" 1 hotplug "$tmp/hotplug-warning.log"

# The debug kernels' splat check (lab.sh fails any scenario on a -debug or -kcsan kernel
# whose log has one): a clean log passes, the same log with a lockdep or KASAN report
# injected does not.
splat_check() { judged "splats $1" "$2" host_splats "$3"; }
splat_check "of the sysrq-l patched log" 0 "$FIX/sysrq-l-patched.log"
# a debug kernel whose checkers never said they run proves nothing: KCSAN built but off
judged "checkers on in a log without them" 1 host_checkers "$FIX/sysrq-l-patched.log" kcsan
for splat in "WARNING: possible circular locking dependency detected" \
	"BUG: KASAN: slab-out-of-bounds in sdei_nmi_request+0x1c/0x3a0" \
	"BUG: KCSAN: data-race in sdei_nmi_handler / sdei_nmi_request" \
	"BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580"; do
	sed "/^LAB: scenario .* begin/a [   12.345678] $splat" "$FIX/sysrq-l-patched.log" \
		>"$tmp/splat.log"
	splat_check "of that log with '${splat%% in *}' injected" 1 "$tmp/splat.log"
done

# The debug kernels' runs (tests/fixtures/lab/debug/, filed by record-full.sh from the
# long tier's full.debug.* and full.kcsan.*): every scenario of LAB_DEBUG_SCENARIOS
# (tests/CMakeLists.txt) on both kernels, each passing its check with no splat.
debug_scenarios=$(sed -n '/set(LAB_DEBUG_SCENARIOS/,/)/p' "$LAB_DIR/../CMakeLists.txt" |
	tr -d '()' | sed 's/set//; s/LAB_DEBUG_SCENARIOS//')
[ -n "$debug_scenarios" ] || { fail=$((fail + 1)); echo "not ok: no LAB_DEBUG_SCENARIOS"; }
for kernel in debug kcsan; do
	for scenario in $debug_scenarios; do
		f=$FIX/debug/$scenario-patched-$kernel.log.gz
		if [ ! -f "$f" ]; then
			fail=$((fail + 1))
			echo "not ok: $scenario patched-$kernel: no recorded log $f"
			continue
		fi
		gzip -dc "$f" >"$tmp/$scenario-$kernel.log"
		expect "patched-$kernel log" 0 "$scenario" "$tmp/$scenario-$kernel.log"
		splat_check "of the patched-$kernel $scenario log" 0 "$tmp/$scenario-$kernel.log"
		judged "checkers on in the patched-$kernel $scenario log" 0 host_checkers \
			"$tmp/$scenario-$kernel.log" "$kernel"
	done
done

# nl-idle's control, the patched kernel without the idle state (lab.sh --idle off): no CPU
# masks SDEI in idle, none is captured through the IPI, and the assertion fails.
gzip -dc "$FIX/nl-idle-patched-no-idle.log.gz" >"$tmp/nl-idle-no-idle.log"
expect "patched log without the idle state" 1 nl-idle "$tmp/nl-idle-no-idle.log"

# Before the fixes of issue 14 (investigation): the series reported idle CPUs "offline"
# (57 of 80 entries in nl-idle's rounds), and took a KVM guest's registers for the
# host's (CPU 2's pc 0x10000004, in the guest's code, as a host frame; context kernel);
# the first fix, which told a guest by HCR_EL2.TGE, saw none. Each must fail.
for f in nl-idle-patched-before-fix:nl-idle nl-guest-patched-kvm-before-fix:nl-guest \
	nl-guest-patched-kvm-tge:nl-guest; do
	gzip -dc "$FIX/investigation/${f%%:*}.log.gz" >"$tmp/${f%%:*}.log"
	expect "log of ${f%%:*}" 1 "${f##*:}" "$tmp/${f%%:*}.log"
done

# nl-guest when sysrq-l's event lands in the host's half of the run loop (the world switch,
# at EL2 with interrupts masked): CPU 2 was not in the guest then, and its own backtrace,
# with no "running a KVM guest" line, is right.
gzip -dc "$FIX/investigation/nl-guest-patched-kvm-host-half.log.gz" >"$tmp/nl-guest-host-half.log"
expect "patched-kvm log, sysrq-l in the host's world switch" 0 nl-guest "$tmp/nl-guest-host-half.log"

# kdump-guest: the same dump with CPU 2's pc in the guest's code (0x10000004), as if the
# guest's registers had been saved as the host's, must fail.
gzip -dc "$FIX/kdump-guest-patched-kvm.log.gz" |
	sed -E '/^HOST: vmcore: note 2: /s/ pc 0x[0-9a-f]+ [^ ]+/ pc 0x0000000010000004 ?/' \
		>"$tmp/kdump-guest-guest-pc.log"
expect "patched-kvm log with CPU 2's pc in the guest" 1 kdump-guest "$tmp/kdump-guest-guest-pc.log"

# The -acpi kernel with the series' patches 1-9 only (investigation: lab.sh run --kernel
# patched-acpi acpi with SDEI_NMI_LAB_PATCHES=9), built without GHES: upstream read the
# ACPI SDEI table from GHES's initialisation alone, and the service stayed inactive.
gzip -dc "$FIX/investigation/acpi-patched-acpi-series-1-9.log.gz" >"$tmp/acpi-series-1-9.log"
expect "patched-acpi log with patches 1-9 (no GHES)" 1 acpi "$tmp/acpi-series-1-9.log"

# The idle machine's freeze (investigation; the device tree had local-timer-stop then):
# every CPU in the firmware's power-down WFI, nothing pending, the scenario never past
# its first command. Never a pass: inconclusive.
gzip -dc "$FIX/investigation/nl-monitor-patched-idle-all-cpus-wfi.log.gz" >"$tmp/freeze.log"
expect "log of the idle machine's freeze" 2 nl-monitor "$tmp/freeze.log"

# A crash stop whose SDEI rung named CPU 3 as well as the wedged CPU 2: CPU 3, a kworker
# holding the UART's lock, kept interrupts masked through the IPI's wait. That passes;
# the same log with CPU 3's note unmasked (it would not have needed the rung) does not.
gzip -dc "$FIX/kdump-patched-rung-2-3.log.gz" >"$tmp/kdump-rung.log"
expect "log whose rung named CPUs 2-3, CPU 3 masked" 0 kdump "$tmp/kdump-rung.log"
sed -E '/^HOST: vmcore: note 3: /s/pstate 0x[0-9a-f]+$/pstate 0x40000045/' "$tmp/kdump-rung.log" \
	>"$tmp/kdump-rung-unmasked.log"
expect "log whose rung named CPUs 2-3, CPU 3 unmasked" 1 kdump "$tmp/kdump-rung-unmasked.log"
sed -E 's/(retry stop with SDEI NMI for CPUs) 2-3/\1 3/' "$tmp/kdump-rung.log" >"$tmp/kdump-rung-3.log"
expect "log whose rung named CPU 3 but not CPU 2" 1 kdump "$tmp/kdump-rung-3.log"

# The series without patch 6 (its first 5 patches, investigation): the SDEI rung stops
# CPU 2 and its registers are in the dump, but it parks inside an event never completed,
# and the capture kernel's PSCI AFFINITY_INFO says it is still ON. kdump must fail it.
gzip -dc "$FIX/investigation/kdump-patched-series-1-5.log.gz" >"$tmp/kdump-series-1-5.log"
expect "log of the series without patch 6 (CPU 2 left ON)" 1 kdump "$tmp/kdump-series-1-5.log"

# The series before the stop paths were bounded (investigation): the panicking CPU spun
# for ever in its signal fence (QEMU's monitor: sdei_signal_fence+0x38). stop-storm must
# see that as a failure.
gzip -dc "$FIX/investigation/stop-storm-hang.log.gz" >"$tmp/stop-storm-hang.log"
expect "log of the old series' hang" 1 stop-storm "$tmp/stop-storm-hang.log"

# the long tier's loops: SCENARIO-KERNEL-loop-I.log.gz, 20 boots of each
shopt -s nullglob
declare -A boots=()
for f in "$FIX"/full/*-loop-*.log.gz; do
	name=$(basename "$f" .log.gz)
	if ! [[ $name =~ ^(.+)-(patched|unpatched)-loop-[0-9]+$ ]]; then
		fail=$((fail + 1))
		echo "not ok: $name: not a SCENARIO-KERNEL-loop-I log"
		continue
	fi
	scenario=${BASH_REMATCH[1]} variant=${BASH_REMATCH[2]}
	if [ ! -f "$LAB_DIR/scenarios/$scenario.sh" ]; then
		fail=$((fail + 1))
		echo "not ok: $name: no scenario $scenario"
		continue
	fi
	gzip -dc "$f" >"$tmp/$name.log"
	n=$((n + 1))
	boots[$scenario-$variant]=$((${boots[$scenario-$variant]:-0} + 1))
	if [ "$variant" = patched ] ||
		grep -q '^SCENARIO_BASELINE=yes' "$LAB_DIR/scenarios/$scenario.sh"; then
		expect "$variant loop log ${name##*-}" 0 "$scenario" "$tmp/$name.log"
	else
		expect "$variant loop log ${name##*-}" 1 "$scenario" "$tmp/$name.log"
	fi
	rm -f "$tmp/$name.log"
done
# every loop the long tier runs (LAB_LOOPS in tests/CMakeLists.txt, on the patched
# kernel) is in the record
loops=$(sed -n 's/^[[:space:]]*set(LAB_LOOPS \(.*\))$/\1/p' "$LAB_DIR/../CMakeLists.txt")
if [ -z "$loops" ]; then
	fail=$((fail + 1))
	echo "not ok: no set(LAB_LOOPS ...) in tests/CMakeLists.txt"
fi
for s in $loops; do
	[ -n "${boots[$s-patched]:-}" ] || boots[$s-patched]=0
done
for k in "${!boots[@]}"; do
	if [ "${boots[$k]}" -ge 20 ]; then
		pass=$((pass + 1))
		echo "ok: the long tier's loop of $k: ${boots[$k]} boots recorded"
	else
		fail=$((fail + 1))
		echo "not ok: the long tier's loop of $k: ${boots[$k]} boots recorded, not 20"
	fi
done
[ "$n" -gt 0 ] || { echo "no recorded logs at all"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
