#!/usr/bin/env bash
# Regenerates bpf/vmlinux/arm64/vmlinux.h from the BTF of the lab's patched kernel,
# which tests/lab/lab.sh builds (with configs/lab.config: tracing, BPF, BTF):
#
#   bpf/vmlinux/update.sh             build the lab kernel if needed, then dump it
#   bpf/vmlinux/update.sh VMLINUX     dump that vmlinux (arm64, with .BTF) instead
#
# Needs bpftool (scripts/install-deps.sh host). The programs are CO-RE: the header
# only has to hold the types and fields they use, with the names they have in the
# kernels that run them; regenerate it when lab.config or the pinned Linux changes.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$top/bpf/vmlinux/arm64/vmlinux.h
cache=${SDEI_NMI_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sdei-nmi-lab}

if [ $# -ge 1 ]; then
	vmlinux=$1
else
	kdir=$("$top/tests/lab/lab.sh" kernel-dir patched)
	vmlinux=$cache/build/linux-patched/vmlinux
	# The build directory is shared and reused: it must be the cached kernel's.
	cmp -s "$kdir/System.map" "$cache/build/linux-patched/System.map" || {
		echo "update.sh: $vmlinux is not the kernel in $kdir (rebuilt since?);" \
			"run tests/lab/lab.sh build patched again" >&2
		exit 1
	}
fi
[[ $(file -L "$vmlinux") == *'ARM aarch64'* ]] || {
	echo "update.sh: $vmlinux is not an arm64 kernel" >&2
	exit 1
}
bpftool btf dump file "$vmlinux" format c >"$out.tmp"
mv "$out.tmp" "$out"
echo "update.sh: wrote $out ($(wc -c <"$out") bytes) from $vmlinux"
