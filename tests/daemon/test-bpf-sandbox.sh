#!/bin/bash
# The BPF source under what a service's sandbox and a long boot do to it, on this host's
# kernel, in a mount namespace of the test's own (nothing outside it changes):
#
#   kallsyms  /proc/kallsyms masked as systemd's ProtectKernelTunables= masks it (an
#             empty inode of mode 0000: read as empty with CAP_DAC_OVERRIDE, refused
#             without), or with every address zero: the source says so, loudly, and
#             leaves the backtrace requests' program out.
#   pins      the programs left attached after a hard lockup (pinned in bpffs, here a
#             bpffs of the namespace's own on /sys/fs/bpf) do not pile up across
#             restarts: each start removes the pins of the programs it runs itself,
#             and the kernel releases those links; a pin of a program it does not run
#             stays.
#
#   test-bpf-sandbox.sh kallsyms|pins SDEI_NMID PYTHON3 FIXTURES
#
# Needs root (mounts), unshare(1) and a kernel that loads the BPF source (BTF, CAP_BPF);
# exits 77 (skipped), saying which is missing, otherwise.
set -euo pipefail

what=$1 nmid=$2 python=$3 fixtures=$4
here=$(cd "$(dirname "$0")" && pwd)

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" -eq 0 ] || skip "not root (the test mounts over /proc/kallsyms and /sys/fs/bpf)"
command -v unshare >/dev/null || skip "no unshare(1) (util-linux)"
[ -r /sys/kernel/btf/vmlinux ] || skip "no kernel BTF (/sys/kernel/btf/vmlinux)"

# Into a private mount namespace first: every mount below dies with it.
if [ -z "${SDEI_NMI_TEST_NS:-}" ]; then
	unshare --mount --propagation private true 2>/dev/null ||
		skip "cannot make a mount namespace here"
	exec env SDEI_NMI_TEST_NS=1 unshare --mount --propagation private "$0" "$@"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() {
	echo "FAIL: $*"
	failed=1
}

"$python" "$here/kmsg-from-console.py" "$fixtures/lab/hardlockup-patched.log" >"$tmp/hardlockup.kmsg"

# run NAME [COMMAND PREFIX...]: the lab's hard lockup replayed with --bpf=yes (the BPF
# source attached for real); rc and out (stdout and stderr) set.
run() {
	local name=$1
	shift
	rc=0
	out=$(timeout 30 "$@" "$nmid" --kmsg "$tmp/hardlockup.kmsg" --from-start --exit-on-eof \
		--bpf=yes --spool "$tmp/spool-$name" --root "$fixtures/root" --config /dev/null \
		2>&1) || rc=$?
}

kallsyms() {
	local warn="BPF source: /proc/kallsyms"

	# What this kernel offers decides what can be checked.
	run probe
	[ "$rc" -eq 0 ] || fail "probe: exit $rc: $out"
	if grep -q "backtrace_request ([^)]*) not running: not in the kernel's BTF" <<<"$out"; then
		skip "this kernel's BTF has no arch_trigger_cpumask_backtrace: kallsyms is not read"
	fi
	grep -q "^Source bpf (" <<<"$out" || skip "the BPF source does not run here: $out"

	# Masked, read with CAP_DAC_OVERRIDE (root's): an empty file. Before it was said,
	# the program ran with a table that named nothing, every request "other".
	: >"$tmp/masked"
	chmod 0000 "$tmp/masked"
	mount --bind "$tmp/masked" /proc/kallsyms
	run masked-root
	[ "$rc" -eq 0 ] || fail "masked: exit $rc: $out"
	grep -qF "$warn is empty (masked, e.g. by a unit's ProtectKernelTunables= or InaccessiblePaths=). The callers of backtrace requests (SysRq-l, the lockup and stall detectors) cannot be named: their program is left out." \
		<<<"$out" || fail "masked, read as empty: not said: $out"
	grep -q "backtrace_request ([^)]*) not running: /proc/kallsyms is empty" <<<"$out" ||
		fail "masked, read as empty: the program is not left out: $out"

	# Masked, without CAP_DAC_OVERRIDE (the shipped unit's capabilities): refused.
	if command -v setpriv >/dev/null; then
		run masked-unit setpriv --inh-caps=-dac_override,-dac_read_search \
			--bounding-set=-dac_override,-dac_read_search --
		[ "$rc" -eq 0 ] || fail "masked, refused: exit $rc: $out"
		grep -qF "BPF source: cannot read /proc/kallsyms: Permission denied (masked for this process: a unit's ProtectKernelTunables= or InaccessiblePaths= does it). The callers of backtrace requests" \
			<<<"$out" || fail "masked, refused: not said: $out"
	else
		echo "NOTE: no setpriv: the refused case is not checked"
	fi
	umount /proc/kallsyms

	# Every address zero (no CAP_SYSLOG, kptr_restrict=2).
	printf '0000000000000000 T watchdog_hardlockup_check\n0000000000000000 T panic\n' \
		>"$tmp/zeros"
	mount --bind "$tmp/zeros" /proc/kallsyms
	run zeros
	[ "$rc" -eq 0 ] || fail "zeros: exit $rc: $out"
	grep -qF "$warn shows every address as zero (CAP_SYSLOG missing, or kernel.kptr_restrict=2). The callers" \
		<<<"$out" || fail "zeros: not said: $out"
	umount /proc/kallsyms

	# The real one, readable with its addresses: nothing said.
	run real
	! grep -qF "$warn" <<<"$out" || fail "the real kallsyms: a warning: $out"
	! grep -q "cannot read /proc/kallsyms" <<<"$out" || fail "the real kallsyms: a warning: $out"
}

# The pins' names in the pin directory, one line, sorted.
pins() {
	find /sys/fs/bpf/sdei-nmid -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort |
		paste -sd' '
}

pin_test() {
	local dir=/sys/fs/bpf/sdei-nmid first second third ids=() id

	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || skip "cannot mount a bpffs"
	run first
	[ "$rc" -eq 0 ] || fail "first run: exit $rc: $out"
	grep -q "^Source bpf (" <<<"$out" || skip "the BPF source does not run here: $out"
	grep -q "BPF source: [1-9] program(s) left attached, pinned in $dir" <<<"$out" ||
		fail "first run: nothing pinned after the hard lockup: $out"
	first=$(pins)
	[ -n "$first" ] || fail "first run: no pin in $dir"
	# The links the pins hold, by id, to see the kernel release them.
	if command -v bpftool >/dev/null; then
		for p in "$dir"/*; do
			id=$(bpftool link show pinned "$p" | awk -F: 'NR == 1 { print $1 }')
			[ -n "$id" ] && ids+=("$id")
		done
	fi
	# A pin of a program this kernel does not let run (the fentry one is refused on
	# some hosts) or a name of no pin's: left alone. (bpffs takes objects, not files:
	# a map stands in, made by bpftool.)
	if command -v bpftool >/dev/null &&
		bpftool map create "$dir/1-no_such_program" type array key 4 value 4 entries 1 \
			name sdeinmitest 2>/dev/null; then
		keep=1-no_such_program
	else
		keep=
		echo "NOTE: no bpftool map: the pin that must stay is not checked"
	fi

	run second
	[ "$rc" -eq 0 ] || fail "second run: exit $rc: $out"
	grep -q "BPF source: removed [1-9] program(s) an earlier sdei-nmid left attached in $dir" \
		<<<"$out" || fail "second run: the earlier pins not removed: $out"
	second=$(pins)
	echo "pins after run 1: $first; after run 2: $second"
	for p in $first; do
		[[ " $second " != *" $p "* ]] || fail "second run: $p still pinned: $second"
	done
	[ -z "$keep" ] || [[ " $second " == *" $keep "* ]] ||
		fail "second run: $keep, no program of ours, was removed"
	grep -q "1 BPF program(s) of an earlier sdei-nmid are still attached" <<<"$out" ||
		[ -z "$keep" ] || fail "second run: what stays is not said: $out"
	# Released by the kernel: the links of the first run are gone (the release is
	# deferred to a worker: give it a moment).
	for id in "${ids[@]}"; do
		for _ in $(seq 50); do
			bpftool link show id "$id" >/dev/null 2>&1 || break
			sleep 0.1
		done
		! bpftool link show id "$id" >/dev/null 2>&1 ||
			fail "second run: link $id of the first run is still attached"
	done
	[ "${#ids[@]}" -gt 0 ] || echo "NOTE: no bpftool: the links' release is not checked"

	run third
	third=$(pins)
	echo "after run 3: $third"
	[ "$(wc -w <<<"$third")" -eq "$(wc -w <<<"$second")" ] ||
		fail "third run: the pins piled up: $second -> $third"
}

case $what in
kallsyms) kallsyms ;;
pins) pin_test ;;
*)
	echo "usage: $0 kallsyms|pins SDEI_NMID PYTHON3 FIXTURES" >&2
	exit 2
	;;
esac

[ "$failed" -eq 0 ] && echo "PASS: BPF source, $what"
exit "$failed"
