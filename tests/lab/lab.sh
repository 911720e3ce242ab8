#!/usr/bin/env bash
# The sdei-nmi lab: QEMU arm64 "virt" + TF-A (SDEI) + the patched or unpatched kernel.
#
#   lab.sh build [KERNEL|all]                 sources, TF-A (stock, fixed), kernels, initramfs
#   lab.sh run [options] SCENARIO             boot, run one scenario, print a verdict
#       --kernel KERNEL                       patched (the default) or unpatched, or a
#                                             variant of either, BASE-VARIANT, built with
#                                             configs/lab-VARIANT.config on top (-kvm: on
#                                             a VHE CPU at EL2)
#       --firmware stock|fixed                TF-A as Debian ships it (default), or with
#                                             firmware/tf-a/*.patch (log: ...-fixed-fw)
#       --expect pass|fail                    fail: the negative control; it passes only
#                                             when the scenario's assertion fails
#       --smp N  --no-sdei  --append "ARGS"  --timeout S
#       --idle on|off                         the PSCI idle state in the device tree
#                                             (default on: CPUs power down when idle)
#       --tag T                               keep the log as SCENARIO-KERNEL-T.log
#   (a scenario that sets SCENARIO_KERNEL_VARIANT=V runs on the kernel's -V variant)
#   lab.sh check-series                       checkpatch and a build after each patch
#   lab.sh sources                            fetch and check the pinned source tarballs
#                                             (Linux, TF-A, EDK2)
#   lab.sh list                               the scenarios
#
# Sources come from ../shared/cache/ (sha256-checked) when it is there, otherwise from
# Debian's pool at the same pinned version. Builds are cached under a key of all their
# inputs in $SDEI_NMI_LAB_CACHE (default ~/.cache/sdei-nmi-lab). Nothing here skips: a
# lab that cannot get its sources or build fails loudly.
set -Eeuo pipefail
shopt -s inherit_errexit
trap '[[ $BASH_COMMAND == return* ]] ||
	echo "lab: error: ${BASH_SOURCE[0]}:$LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
# a QEMU the lab started never outlives it, however the lab ends (ctest's timeout
# sends SIGTERM)
QEMU_PID=
trap '[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${SDEI_NMI_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sdei-nmi-lab}
OUT=${SDEI_NMI_LAB_OUT:-$TOP/build/lab}
SHARED=${SDEI_NMI_SHARED:-$TOP/../shared}
JOBS=${SDEI_NMI_JOBS:-$(nproc)}
CROSS=aarch64-linux-gnu-
# the firmware a boot runs: stock TF-A (what fleets have) unless --firmware fixed
FIRMWARE=stock
# the device tree's PSCI idle state: CPUs power down when idle, as servers' do
IDLE=on

LINUX_VERSION=7.2.8
LINUX_DEB=linux
LINUX_DEB_VERSIONS=(7.2.8-1)
LINUX_TARBALL=linux_${LINUX_VERSION}.orig.tar.xz
LINUX_SHA256=08f058f9de8d487e32a5c9e2855ee7e35bee1a047e77d37ba797d734c0cc07b3
TFA_VERSION=2.12.1
TFA_DEB=arm-trusted-firmware
TFA_DEB_VERSIONS=(2.12.1+dfsg-1)
TFA_TARBALL=arm-trusted-firmware_${TFA_VERSION}+dfsg.orig.tar.xz
TFA_SHA256=332c08d71867b7f0dce0bce4cb2abd80f19cb3e0a2de6fe07245c111189d6fb7

QEMU_MACHINE=virt,secure=on,gic-version=3
QEMU_CPU=cortex-a57
# the -kvm kernels' machine: EL2 and a CPU with VHE (Linux uses SDEI on a VHE host
# only; Cortex-A57 has no VHE). QEMU's "max": with neoverse-n1, TF-A 2.12.1's BL1
# panics on every CPU before its first line (plat_panic_handler, QEMU 7.2).
# pauth-impdef: the cheap pointer-authentication algorithm, for TCG's speed.
QEMU_MACHINE_KVM=$QEMU_MACHINE,virtualization=on
QEMU_CPU_KVM=${SDEI_NMI_LAB_KVM_CPU:-max,pauth-impdef=on}
QEMU_MEM=1024
QEMU_MEM_DEBUG=4096
CRASHKERNEL_DEBUG=2048M
INITRD_ADDR=0x48000000

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 2; }
# shellcheck source=tests/lab/lib-acpi.sh
. "$LAB_DIR/lib-acpi.sh"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# key NAME FILE... : a stable hash of the named inputs (file contents and strings)
key_of() {
	local f
	for f in "$@"; do
		if [ -f "$f" ]; then
			printf '%s %s\n' "$(basename "$f")" "$(sha256_of "$f")"
		else
			printf 'str %s\n' "$f"
		fi
	done | sha256sum | cut -c1-16
}

# ---------------------------------------------------------------- sources

# fetch_source TARBALL SHA256 DEB_PACKAGE VERSIONS... : print the path of a checked tarball
fetch_source() {
	local tarball=$1 sum=$2 pkg=$3
	shift 3
	local dst=$CACHE/dl/$tarball v tmp url
	mkdir -p "$CACHE/dl"
	if [ -f "$dst" ] && [ "$(sha256_of "$dst")" = "$sum" ]; then
		echo "$dst"
		return
	fi
	if [ -f "$SHARED/cache/$tarball" ]; then
		[ "$(sha256_of "$SHARED/cache/$tarball")" = "$sum" ] ||
			die "$SHARED/cache/$tarball does not match its pinned sha256 $sum"
		log "source: $tarball from $SHARED/cache (sha256 ok)"
		echo "$SHARED/cache/$tarball"
		return
	fi
	enable_deb_src
	for v in "$@"; do
		tmp=$(mktemp -d)
		log "source: $tarball not in shared/cache; trying Debian $pkg=$v"
		# apt-get fails (100) for a version the pool does not have: that is an
		# answer, not an error, and the next version is tried
		url=$(cd "$tmp" && apt-get source -qq --print-uris "$pkg=$v" 2>"$tmp/apt.err" |
			awk -v t="$tarball" "index(\$0, t) { gsub(/'/, \"\", \$1); print \$1 }") ||
			url=
		if [ -z "$url" ] && [ -s "$tmp/apt.err" ]; then
			log "source: Debian's pool has no $pkg=$v ($(tail -1 "$tmp/apt.err"))"
		elif [ -z "$url" ]; then
			log "source: Debian offers $pkg=$v, but not $tarball"
		fi
		if [ -n "$url" ] && (cd "$tmp" && apt-get source -qq --download-only "$pkg=$v" \
					>/dev/null 2>&1) && [ -f "$tmp/$tarball" ]; then
			if [ "$(sha256_of "$tmp/$tarball")" = "$sum" ]; then
				mv "$tmp/$tarball" "$dst"
				rm -rf "$tmp"
				log "source: $tarball from Debian $pkg=$v (sha256 ok)"
				echo "$dst"
				return
			fi
			log "source: Debian $pkg=$v gave a $tarball with another sha256"
		fi
		rm -rf "$tmp"
	done
	die "cannot get $tarball (sha256 $sum): it is not in $SHARED/cache, and Debian's" \
		"pool no longer serves source package $pkg at the pinned version $* (or apt" \
		"could not reach it). Put that tarball, with that sha256, into $CACHE/dl/ (from" \
		"snapshot.debian.org/package/$pkg/$1/ or a copy of shared/cache/), or set" \
		"SDEI_NMI_SHARED to a folder whose cache/ holds it; then run again"
}

enable_deb_src() {
	local f=${SDEI_NMI_APT_SOURCES:-/etc/apt/sources.list.d/sdei-nmi-src.sources}
	[ -f "$f" ] && return
	log "adding deb-src entries for bookworm, trixie and sid ($f)"
	cat >"$f" <<-EOF
	Types: deb-src
	URIs: http://deb.debian.org/debian
	Suites: bookworm trixie sid
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	apt-get update -qq
}

# unpack TARBALL DIR : extract once into DIR (atomic)
unpack() {
	local tarball=$1 dir=$2
	[ -f "$dir/.unpacked" ] && return
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	log "unpacking $(basename "$tarball")"
	tar -xf "$tarball" -C "$dir.tmp" --strip-components=1
	touch "$dir.tmp/.unpacked"
	mv "$dir.tmp" "$dir"
}

linux_pristine() {
	local tb
	tb=$(fetch_source "$LINUX_TARBALL" "$LINUX_SHA256" "$LINUX_DEB" "${LINUX_DEB_VERSIONS[@]}")
	unpack "$tb" "$CACHE/src/linux-$LINUX_VERSION-$LINUX_SHA256"
	echo "$CACHE/src/linux-$LINUX_VERSION-$LINUX_SHA256"
}

# ---------------------------------------------------------------- firmware

# tfa_patches: firmware/tf-a/*.patch, the fixes the project carries for TF-A
tfa_patches() { patches_in "$TOP/firmware/tf-a"; }

# tfa_lab_patches: tests/lab/firmware/*.patch, what the lab's platform needs of TF-A
# (QEMU's port: power-down suspend for the idle state); in both firmware variants
tfa_lab_patches() { patches_in "$LAB_DIR/firmware"; }

# patches_in DIR: DIR/*.patch, in name order (none is no error)
patches_in() {
	local p
	for p in "$1"/*.patch; do [ -f "$p" ] && echo "$p"; done
	return 0
}

# apply_patches SRC WHAT PATCH... : each patch into the tree SRC, in order, named in the
# log; WHAT (the tree) in the error of one that does not apply
apply_patches() {
	local src=$1 what=$2 p
	shift 2
	for p in "$@"; do
		log "$what: applying $(basename "$p")"
		patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "$p does not apply to $what"
	done
}

# build_tfa [stock|fixed] : TF-A as Debian ships it (stock, the default: what fleets
# run), or with the project's fixes applied (fixed); both with the lab's platform
# patches
build_tfa() {
	local variant=${1:-stock} tb key dir src p patches=()
	case "$variant" in stock | fixed) ;; *) die "firmware: stock or fixed, not '$variant'" ;; esac
	tb=$(fetch_source "$TFA_TARBALL" "$TFA_SHA256" "$TFA_DEB" "${TFA_DEB_VERSIONS[@]}")
	mapfile -t patches < <(tfa_lab_patches)
	[ "$variant" = stock ] || mapfile -t -O "${#patches[@]}" patches < <(tfa_patches)
	key=$(key_of "$TFA_SHA256" "$(${CROSS}gcc -dumpfullversion)" tfa-v2 ${patches[@]+"${patches[@]}"})
	dir=$CACHE/tfa-$key
	if [ ! -f "$dir/bl31.bin" ]; then
		src=$CACHE/src/tfa-$TFA_VERSION-$variant
		# a tree is patched anew each time it is built
		rm -rf "$src"
		unpack "$tb" "$src"
		apply_patches "$src" "TF-A $TFA_VERSION" ${patches[@]+"${patches[@]}"}
		log "building TF-A $TFA_VERSION with SDEI ($variant)"
		make -C "$src" -j"$JOBS" CROSS_COMPILE=$CROSS PLAT=qemu \
			QEMU_USE_GIC_DRIVER=QEMU_GICV3 ARM_LINUX_KERNEL_AS_BL33=1 \
			SDEI_SUPPORT=1 EL3_EXCEPTION_HANDLING=1 all >"$CACHE/tfa-build-$variant.log" 2>&1 ||
			{ tail -30 "$CACHE/tfa-build-$variant.log" >&2; die "TF-A build failed"; }
		mkdir -p "$dir.tmp"
		cp "$src"/build/qemu/release/bl{1,2,31}.bin "$dir.tmp/"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# ---------------------------------------------------------------- kernels

# A kernel is patched or unpatched (its base), and may be a variant of either
# (BASE-VARIANT, with configs/lab-VARIANT.config on top).
kernel_base() { echo "${1%%-*}"; }
kernel_variant() { case "$1" in *-*) echo "${1#*-}" ;; esac; }

# check_kernel NAME: a kernel the lab can build, or an error that says which there are
check_kernel() {
	local v
	v=$(kernel_variant "$1")
	case "$(kernel_base "$1")" in patched | unpatched) ;; *) v=/ ;; esac
	[ -z "$v" ] || [ -f "$TOP/configs/lab-$v.config" ] ||
		die "no kernel '$1': patched or unpatched, or either as BASE-VARIANT with" \
			"a configs/lab-VARIANT.config"
}

# series_patches: the patches of kernel/series, or its first $SDEI_NMI_LAB_PATCHES
series_patches() {
	local p n=0 limit=${SDEI_NMI_LAB_PATCHES:-}
	while read -r p; do
		case "$p" in "" | "#"*) continue ;; esac
		[ -n "$limit" ] && [ "$n" -ge "$limit" ] && break
		echo "$TOP/kernel/$p"
		n=$((n + 1))
	done <"$TOP/kernel/series"
}

# lab_patches VARIANT: the lab's own kernel patches (tests/lab/kernel/series), applied
# after the series: debug knobs that are off by default and say in the log when they are
# on. They are not part of the series and never go upstream. A patch marked "all" there
# goes into the unpatched kernel too, so that its negative control can be asked the same
# question; the others need the series and are left out when only the first
# $SDEI_NMI_LAB_PATCHES patches of it are applied.
lab_patches() {
	local variant=$1 p scope
	[ -f "$LAB_DIR/kernel/series" ] || return 0
	while read -r p scope; do
		case "$p" in "" | "#"*) continue ;; esac
		if [ "$scope" != all ]; then
			[ "$(kernel_base "$variant")" = patched ] &&
				[ -z "${SDEI_NMI_LAB_PATCHES:-}" ] || continue
		fi
		echo "$LAB_DIR/kernel/$p"
	done <"$LAB_DIR/kernel/series"
}

# kernel_fragments KERNEL
kernel_fragments() {
	local v
	echo "$TOP/configs/lab.config"
	[ "$(kernel_base "$1")" = unpatched ] || echo "$TOP/configs/sdei-nmi.config"
	v=$(kernel_variant "$1")
	[ -z "$v" ] || echo "$TOP/configs/lab-$v.config"
}

# kernel_key VARIANT [NPATCHES]
kernel_key() {
	local variant=$1 inputs=()
	mapfile -t frags < <(kernel_fragments "$variant")
	inputs+=("$LINUX_SHA256" "${frags[@]}" "$(${CROSS}gcc -dumpfullversion)" kernel-v1)
	[ "$(kernel_base "$variant")" = unpatched ] ||
		mapfile -t -O "${#inputs[@]}" inputs < <(series_patches)
	mapfile -t -O "${#inputs[@]}" inputs < <(lab_patches "$variant")
	key_of "${inputs[@]}"
}

# check_config BUILDDIR FRAGMENT... : every option of the fragments is set as written
check_config() {
	local build=$1 line sym val got bad=0
	shift
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*} val=${line#*=}
		got=$(grep -E "^$sym=|^# $sym is not set" "$build/.config" || true)
		# a partial series may not define every option of its fragment yet
		if [ -z "$got" ] && [ -n "${SDEI_NMI_LAB_PATCHES:-}" ]; then
			log "config: $sym absent: not defined by the first $SDEI_NMI_LAB_PATCHES patches"
			continue
		fi
		if [ "$got" != "$sym=$val" ]; then
			log "config: $sym wanted '$val', got '${got:-absent}'"
			bad=1
		fi
	done < <(cat "$@")
	[ "$bad" = 0 ] || die "the kernel config does not match configs/ (see above)"
}

# keep_mtimes SRC BUILD VARIANT : the build dir is reused, and the source tree is laid
# anew (hard links to the pristine tree, patched files new). make decides by mtime, so:
# a patched file whose content is the same as at the last build gets that build's mtime
# back (no needless rebuild); any other file a patch touches now or touched then (back
# to pristine) is made newer than the build.
keep_mtimes() {
	local src=$1 build=$2 variant=$3 f sum old_sum old_mtime
	local manifest=$build/.patched-manifest
	touch "$manifest"
	{
		cut -d' ' -f1 "$manifest"
		{
			[ "$(kernel_base "$variant")" = unpatched ] || series_patches
			lab_patches "$variant"
		} | xargs -r sed -n 's|^+++ b/||p'
	} | sort -u >"$build/.patched-files"
	: >"$manifest.new"
	while read -r f; do
		[ -e "$src/$f" ] || continue
		sum=$(sha256_of "$src/$f")
		read -r old_sum old_mtime < <(awk -v f="$f" '$1 == f { print $2, $3 }' "$manifest") || true
		if [ -n "${old_sum:-}" ] && [ "$sum" = "$old_sum" ]; then
			touch -d "@$old_mtime" "$src/$f"
		else
			touch "$src/$f"
		fi
		# only files that differ from the pristine tree are remembered
		[ "$(stat -c %h "$src/$f")" = 1 ] &&
			echo "$f $sum $(stat -c %Y "$src/$f")" >>"$manifest.new"
		old_sum="" old_mtime=""
	done <"$build/.patched-files"
	mv "$manifest.new" "$manifest"
}

build_kernel() {
	local variant=$1 key dir src build pristine p
	key=$(kernel_key "$variant")
	dir=$CACHE/kernel-$variant-$key
	check_kernel "$variant"
	[ "$(kernel_base "$variant")" = unpatched ] || [ -z "${SDEI_NMI_LAB_PATCHES:-}" ] ||
		log "kernel: patched with the first $SDEI_NMI_LAB_PATCHES patches of the series only"
	if [ -f "$dir/Image" ]; then
		echo "$dir"
		return
	fi
	pristine=$(linux_pristine)
	src=$CACHE/src/linux-$variant${SDEI_NMI_LAB_PATCHES:+-$SDEI_NMI_LAB_PATCHES}
	build=$CACHE/build/linux-$variant${SDEI_NMI_LAB_PATCHES:+-$SDEI_NMI_LAB_PATCHES}
	# a hard-linked copy of the pristine tree; patch(1) writes new files, so the
	# pristine tree is never modified
	rm -rf "$src"
	mkdir -p "$CACHE/src" "$build"
	cp -al "$pristine" "$src"
	if [ "$(kernel_base "$variant")" = patched ]; then
		while read -r p; do
			log "kernel: applying $(basename "$p")"
			patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" ||
				die "kernel/$(basename "$p") does not apply to Linux $LINUX_VERSION"
		done < <(series_patches)
	fi
	while read -r p; do
		log "kernel: applying the lab's $(basename "$p") (off unless asked for)"
		patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "tests/lab/kernel/$(basename "$p") does not apply to the $variant kernel"
	done < <(lab_patches "$variant")
	keep_mtimes "$src" "$build" "$variant"
	mapfile -t frags < <(kernel_fragments "$variant")
	cat "${frags[@]}" >"$build/fragment.config"
	log "kernel: building $variant Linux $LINUX_VERSION (key $key, log $build/build.log)"
	local t0=$SECONDS
	{
		make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS \
			KCONFIG_ALLCONFIG="$build/fragment.config" allnoconfig &&
			make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" Image
	} >"$build/build.log" 2>&1 || { tail -40 "$build/build.log" >&2; die "kernel build failed"; }
	check_config "$build" "${frags[@]}"
	log "kernel: $variant built in $((SECONDS - t0)) s"
	mkdir -p "$dir.tmp"
	cp "$build/arch/arm64/boot/Image" "$build/System.map" "$build/.config" "$dir.tmp/"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	echo "$dir"
}

# check_series: what kernel/README.md promises of every patch. checkpatch --strict
# clean; the tree builds after each patch in turn (incrementally, service on); the whole
# series builds with the service off; the new and changed files build clean with W=1.
check_series() {
	local key stamp rc=0
	mapfile -t patches < <(SDEI_NMI_LAB_PATCHES='' series_patches)
	[ "${#patches[@]}" -gt 0 ] || die "kernel/series lists no patch"
	# A pass is cached under a key of every input, like the builds: the same series,
	# configs, compiler and checker give the same answer.
	key=$(key_of "$LINUX_SHA256" "${patches[@]}" "$TOP/configs/lab.config" \
		"$TOP/configs/sdei-nmi.config" "$TOP/configs/lab-acpi.config" \
		"$(${CROSS}gcc -dumpfullversion)" \
		"$(declare -f check_series_run compare_hot_paths check_series_clang \
			check_series_sparse sparse_warnings check_series_acpi)" "${HOT_OBJECTS[*]}" \
		"$(clang-19 --version)" "$(sparse --version)" \
		"$LAB_DIR/hot-paths.py")
	stamp=$CACHE/series-$key.txt
	if [ -f "$stamp" ]; then
		echo "(these inputs passed on $(date -r "$stamp" -u '+%F %T UTC'); key $key)"
		cat "$stamp"
		return 0
	fi
	check_series_run "${patches[@]}" | tee "$stamp.tmp" || rc=$?
	if [ "$rc" = 0 ]; then mv "$stamp.tmp" "$stamp"; else rm -f "$stamp.tmp"; fi
	return $rc
}

# The objects of the interrupt mask/unmask and exception entry/exit paths (every
# function in them; kernel/README.md names them), and the one that must differ: the
# series changes smp.o, so a comparison that finds no difference there is broken.
HOT_OBJECTS=(arch/arm64/kernel/entry.o arch/arm64/kernel/entry-common.o
	arch/arm64/kernel/irq.o arch/arm64/kernel/syscall.o kernel/entry/common.o
	kernel/locking/spinlock.o kernel/softirq.o drivers/irqchip/irq-gic-v3.o)
HOT_CONTROL=arch/arm64/kernel/smp.o

# compare_hot_paths SRC BUILD PRISTINE : the machine code of HOT_OBJECTS built from the
# whole series (SRC, BUILD) is the same as from Linux alone, with the same configuration
# fragments, function by function (hot-paths.py: objdump -dr, addresses relative to
# symbols, relocations by symbol). A function the series adds to one of them (patch 6's
# __sdei_asm_stopped_cpu in entry.o, entered only by firmware) is named, not a failure;
# any change to a function Linux has is.
compare_hot_paths() {
	local src=$1 build=$2 pristine=$3 base=$CACHE/build/linux-hotpath-base o t0 bad=0 out same=0
	local frag=("$TOP/configs/lab.config" "$TOP/configs/sdei-nmi.config")
	mkdir -p "$base"
	cat "${frag[@]}" >"$base/fragment.config"
	t0=$SECONDS
	if ! { make -C "$pristine" O="$base" ARCH=arm64 CROSS_COMPILE=$CROSS \
		KCONFIG_ALLCONFIG="$base/fragment.config" allnoconfig &&
		make -C "$pristine" O="$base" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" \
			"${HOT_OBJECTS[@]}" "$HOT_CONTROL"; } >"$base/build.log" 2>&1; then
		echo "hot paths: the unpatched objects did not build (log $base/build.log)"
		return 1
	fi
	for o in "${HOT_OBJECTS[@]}" "$HOT_CONTROL"; do
		if [ ! -f "$build/$o" ] || [ ! -f "$base/$o" ]; then
			echo "hot paths: $o was not built"
			bad=1
		elif out=$(python3 "$LAB_DIR/hot-paths.py" "${CROSS}objdump" "$base/$o" "$build/$o"); then
			if [ "$o" = "$HOT_CONTROL" ]; then
				echo "hot paths: $o is the same with the series, which changes it: the comparison sees nothing"
				bad=1
			else
				printf '%s\n' "$out" | awk -v o="$o" \
					'sub(/^added by the series: /, "") { print "hot paths: " o ": added by the series: " $0 }'
				same=$((same + $(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) functions the same$/\1/p')))
			fi
		elif [ "$o" != "$HOT_CONTROL" ]; then
			echo "hot paths: $o differs from the unpatched build's:"
			printf '%s\n' "$out" | awk 'NR <= 20 { print "    " $0 }'
			bad=1
		fi
	done
	[ "$bad" = 0 ] && echo "machine code of ${HOT_OBJECTS[*]##*/}: every function the same with and without the series ($same functions; $HOT_CONTROL differs, as it must) in $((SECONDS - t0)) s"
	return $bad
}

# check_series_clang SRC BUILD OBJECT... : the files the series changes, built with clang
# (Debian's LLVM 19) and W=1, warnings as errors
check_series_clang() {
	local src=$1 build=$2 cl=$CACHE/build/linux-series-clang t0=$SECONDS
	shift 2
	mkdir -p "$cl"
	if make -C "$src" O="$cl" ARCH=arm64 LLVM=-19 \
		KCONFIG_ALLCONFIG="$build/fragment.config" allnoconfig >"$cl/build.log" 2>&1 &&
		make -C "$src" O="$cl" ARCH=arm64 LLVM=-19 -j"$JOBS" KCFLAGS=-Werror W=1 \
			"$@" >>"$cl/build.log" 2>&1 &&
		! grep -q 'warning:' "$cl/build.log"; then
		echo "clang-19 W=1 build of ${*##*/}: clean in $((SECONDS - t0)) s"
	else
		echo "clang-19 W=1 build of the changed files: warnings or errors (log $cl/build.log)"
		awk '/error|warning/ && ++n <= 20 { print "    " $0 }' "$cl/build.log"
		return 1
	fi
}

# sparse_warnings LOG : sparse's warnings and errors in LOG as "FILE: MESSAGE", paths
# relative to the tree and without line numbers, so that two trees compare
sparse_warnings() {
	sed -nE 's#^.*/(linux-[^/]*)/([^:]+):[0-9]+:[0-9]+: (warning|error): #\2: \3: #p' "$1" |
		sort -u
}

# check_series_sparse SRC BUILD PRISTINE OBJECT... : sparse (C=2) on the files the series
# changes; a warning the same files have without the series is not the series'. Debian's
# sparse (0.6.4) predates __typeof_unqual__, which Linux's headers use and for which
# scripts/checker-valid.sh refuses it: it is told to read it as __typeof__.
check_series_sparse() {
	local src=$1 build=$2 pristine=$3 base=$CACHE/build/linux-hotpath-base o old=() new
	local check='sparse -D__typeof_unqual__=__typeof__'
	shift 3
	for o in "$@"; do [ -f "$pristine/${o%.o}.c" ] && old+=("$o"); done
	if ! make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS C=2 CHECK="$check" \
		"$@" >"$build/sparse.log" 2>&1 ||
		! grep -q '  CHECK .*arm_sdei_nmi\.c' "$build/sparse.log"; then
		echo "sparse: the changed files were not checked (log $build/sparse.log)"
		return 1
	fi
	make -C "$pristine" O="$base" ARCH=arm64 CROSS_COMPILE=$CROSS C=2 CHECK="$check" \
		"${old[@]}" >"$base/sparse.log" 2>&1 || true
	new=$(comm -23 <(sparse_warnings "$build/sparse.log") <(sparse_warnings "$base/sparse.log"))
	if [ -z "$new" ]; then
		echo "sparse (C=2) of ${*##*/}: no warning that Linux alone has not" \
			"($(sparse_warnings "$base/sparse.log" | wc -l) in the unpatched files)"
	else
		echo "sparse (C=2) of the changed files: new warnings (log $build/sparse.log)"
		printf '%s\n' "$new" | awk 'NR <= 20 { print "    " $0 }'
		return 1
	fi
}

check_series_run() {
	local pristine src build p n=0 rc=0 t0 out
	local patches=("$@")
	pristine=$(linux_pristine)

	for p in "${patches[@]}"; do
		# the tarball has no git history to look a Fixes: commit up in
		if out=$(cd "$pristine" && perl scripts/checkpatch.pl --strict --quiet \
			--ignore UNKNOWN_COMMIT_ID "$p" 2>&1); then
			echo "checkpatch --strict: $(basename "$p"): clean"
		else
			echo "checkpatch --strict: $(basename "$p"):"
			printf '%s\n' "$out" | sed 's/^/    /'
			rc=1
		fi
	done

	src=$CACHE/src/linux-series
	build=$CACHE/build/linux-series
	rm -rf "$src"
	mkdir -p "$build"
	cp -al "$pristine" "$src"
	# a previous run left patched objects here: rebuild what any patch touches
	cat "${patches[@]}" | sed -n 's|^+++ b/||p' | sort -u | (cd "$src" && xargs -r touch -c)
	cat "$TOP/configs/lab.config" "$TOP/configs/sdei-nmi.config" >"$build/fragment.config"
	for p in "${patches[@]}"; do
		n=$((n + 1))
		patch -d "$src" -p1 -s --no-backup-if-mismatch <"$p" ||
			die "$(basename "$p") does not apply after the patches before it"
		t0=$SECONDS
		if make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS \
			KCONFIG_ALLCONFIG="$build/fragment.config" allnoconfig >"$build/build-$n.log" 2>&1 &&
			make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" \
				KCFLAGS=-Werror Image >>"$build/build-$n.log" 2>&1; then
			echo "build after patch $n ($(basename "$p")): ok in $((SECONDS - t0)) s"
		else
			echo "build after patch $n ($(basename "$p")): FAILED (log $build/build-$n.log)"
			awk '/error|warning/ && ++n <= 20 { print "    " $0 }' "$build/build-$n.log"
			rc=1
		fi
	done
	t0=$SECONDS
	local w1=(drivers/firmware/arm_sdei_nmi.o drivers/firmware/arm_sdei.o
		drivers/firmware/arm_sdei_nmi_nl.o drivers/firmware/arm_sdei_nmi_nl_gen.o
		arch/arm64/kernel/smp.o arch/arm64/kernel/sdei.o)
	if make -C "$src" O="$build" ARCH=arm64 CROSS_COMPILE=$CROSS KCFLAGS=-Werror W=1 \
		"${w1[@]}" >"$build/build-w1.log" 2>&1 &&
		! grep -q 'warning:' "$build/build-w1.log"; then
		echo "W=1 build of ${w1[*]##*/}: clean"
	else
		echo "W=1 build of the changed files: warnings or errors (log $build/build-w1.log)"
		awk '/error|warning/ && ++n <= 20 { print "    " $0 }' "$build/build-w1.log"
		rc=1
	fi

	# the files ynl-gen makes from the family's spec are what it makes today
	local gen mode kind stale=()
	: >"$build/regen.log"
	for gen in drivers/firmware/arm_sdei_nmi_nl_gen.c:kernel:source \
		drivers/firmware/arm_sdei_nmi_nl_gen.h:kernel:header \
		include/uapi/linux/sdei_nmi.h:uapi:header; do
		IFS=: read -r gen mode kind <<<"$gen"
		# the generator names the header to include after its output file
		mkdir -p "$build/regen"
		/usr/bin/python3 "$src/tools/net/ynl/pyynl/ynl_gen_c.py" --mode "$mode" \
			--"$kind" --spec "$src/Documentation/netlink/specs/sdei_nmi.yaml" \
			-o "$build/regen/${gen##*/}" >>"$build/regen.log" 2>&1 &&
			cmp -s "$build/regen/${gen##*/}" "$src/$gen" || stale+=("$gen")
	done
	if [ "${#stale[@]}" = 0 ]; then
		echo "ynl-gen output of Documentation/netlink/specs/sdei_nmi.yaml: up to date"
	else
		echo "ynl-gen output differs from the committed ${stale[*]} (log $build/regen.log)"
		rc=1
	fi

	compare_hot_paths "$src" "$build" "$pristine" || rc=1
	check_series_clang "$src" "$build" "${w1[@]}" || rc=1
	check_series_sparse "$src" "$build" "$pristine" "${w1[@]}" || rc=1

	local off=$CACHE/build/linux-series-off
	mkdir -p "$off"
	t0=$SECONDS
	if make -C "$src" O="$off" ARCH=arm64 CROSS_COMPILE=$CROSS \
		KCONFIG_ALLCONFIG="$TOP/configs/lab.config" allnoconfig >"$off/build.log" 2>&1 &&
		! grep -q '^CONFIG_ARM_SDEI_NMI=y' "$off/.config" &&
		make -C "$src" O="$off" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" \
			KCFLAGS=-Werror Image >>"$off/build.log" 2>&1; then
		echo "build of the whole series with ARM_SDEI_NMI off: ok in $((SECONDS - t0)) s"
	else
		echo "build of the whole series with ARM_SDEI_NMI off: FAILED (log $off/build.log)"
		rc=1
	fi
	check_series_acpi "$src" || rc=1
	return $rc
}

# check_series_acpi SRC: the whole series with UEFI, ACPI, PCI (configs/lab-acpi.config,
# the -acpi kernels') and APEI GHES on as well, where patch 10 and the SDEI core's ACPI
# code build; the files the series changes there, with W=1, warnings as errors. The
# builds after each patch leave ACPI off, as the lab's kernels do.
check_series_acpi() {
	local src=$1 acpi=$CACHE/build/linux-series-acpi t0=$SECONDS
	local objs=(drivers/acpi/bus.o drivers/acpi/apei/ghes.o drivers/firmware/arm_sdei.o
		drivers/firmware/arm_sdei_nmi.o)
	mkdir -p "$acpi"
	# with GHES, whose initialisation patch 10 changes (the -acpi kernels have none)
	{
		cat "$TOP/configs/lab.config" "$TOP/configs/sdei-nmi.config" \
			"$TOP/configs/lab-acpi.config"
		printf '%s\n' CONFIG_ACPI_APEI=y CONFIG_ACPI_APEI_GHES=y
	} >"$acpi/fragment.config"
	if make -C "$src" O="$acpi" ARCH=arm64 CROSS_COMPILE=$CROSS \
		KCONFIG_ALLCONFIG="$acpi/fragment.config" allnoconfig >"$acpi/build.log" 2>&1 &&
		grep -q '^CONFIG_ACPI_APEI_GHES=y' "$acpi/.config" &&
		make -C "$src" O="$acpi" ARCH=arm64 CROSS_COMPILE=$CROSS -j"$JOBS" \
			KCFLAGS=-Werror Image >>"$acpi/build.log" 2>&1 &&
		make -C "$src" O="$acpi" ARCH=arm64 CROSS_COMPILE=$CROSS KCFLAGS=-Werror W=1 \
			"${objs[@]}" >>"$acpi/build.log" 2>&1 &&
		! grep -q 'warning:' "$acpi/build.log"; then
		echo "build of the whole series with ACPI on, W=1 on ${objs[*]##*/}: ok in $((SECONDS - t0)) s"
	else
		echo "build of the whole series with ACPI on: FAILED or warnings (log $acpi/build.log)"
		awk '/error|warning/ && ++n <= 20 { print "    " $0 }' "$acpi/build.log"
		return 1
	fi
}

# ---------------------------------------------------------------- guest userspace

busybox_static() {
	local dir=$CACHE/busybox-arm64 deb tmp
	if [ ! -x "$dir/bin/busybox" ]; then
		tmp=$(mktemp -d)
		chmod 0755 "$tmp" # apt's _apt user downloads into it
		(cd "$tmp" && apt-get download -qq busybox-static:arm64 >/dev/null) ||
			die "cannot download busybox-static:arm64 (dpkg --add-architecture arm64 and apt-get update?)"
		deb=$(ls "$tmp"/busybox-static_*_arm64.deb)
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg -x "$deb" "$dir"
		rm -rf "$tmp"
	fi
	echo "$dir/bin/busybox"
}

# kdump_tools: kexec-tools and makedumpfile for the guest, Debian's arm64 packages
# unpacked (never installed); their libraries come from the arm64 packages that
# scripts/install-deps.sh lab installs next to the host's (multiarch)
kdump_tools() {
	local dir=$CACHE/kdump-tools-arm64 tmp deb
	if [ ! -x "$dir/sbin/kexec" ] || [ ! -x "$dir/usr/bin/makedumpfile" ]; then
		tmp=$(mktemp -d)
		chmod 0755 "$tmp"
		(cd "$tmp" && apt-get download -qq kexec-tools:arm64 makedumpfile:arm64 >"$tmp/apt.log" 2>&1) || { cat "$tmp/apt.log" >&2; false; } ||
			die "cannot download kexec-tools:arm64 and makedumpfile:arm64 (scripts/install-deps.sh lab)"
		rm -rf "$dir" && mkdir -p "$dir"
		for deb in "$tmp"/*.deb; do dpkg -x "$deb" "$dir"; done
		rm -rf "$tmp"
	fi
	echo "$dir"
}

gen_init_cpio() {
	local bin=$CACHE/bin/gen_init_cpio pristine
	if [ ! -x "$bin" ]; then
		pristine=$(linux_pristine)
		mkdir -p "$CACHE/bin"
		cc -O2 -o "$bin" "$pristine/usr/gen_init_cpio.c"
	fi
	echo "$bin"
}

# guest_programs: the project's programs for the guest, built for arm64 into one folder:
# the small lab tools static, sdei-nmictl and sdei-nmid as the project builds them
# (CMake, cross). They are this checkout's own: built under $OUT, never shared through
# the cache.
guest_programs() {
	local out=$OUT/guest-bin build=$OUT/userspace-arm64
	mkdir -p "$out" "$build"
	${CROSS}gcc -O2 -static -Wall -Werror -o "$out/syscall-bench" "$TOP/tests/bench/syscall-bench.c"
	${CROSS}gcc -O2 -static -Wall -Werror -o "$out/as-user" "$LAB_DIR/guest/as-user.c"
	${CROSS}gcc -O2 -static -Wall -Werror -o "$out/kvm-spin" "$LAB_DIR/guest/kvm-spin.c"
	{
		cmake -S "$TOP" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DCMAKE_TOOLCHAIN_FILE="$TOP/cmake/aarch64-linux-gnu.cmake" \
			-DSDEI_NMI_LAB=OFF -DSDEI_NMI_TESTS=OFF &&
			cmake --build "$build" -j"$JOBS" --target sdei-nmictl sdei-nmid
	} >"$build/build.log" 2>&1 ||
		{ tail -30 "$build/build.log" >&2
		  die "the arm64 build of sdei-nmictl and sdei-nmid failed (scripts/install-deps.sh lab)"; }
	cp "$build/cli/sdei-nmictl" "$build/daemon/sdei-nmid" "$out/"
	echo "$out"
}

# guest_libs BINARY... : initramfs lines for the shared libraries the binaries need,
# transitively, and the dynamic loader; from the arm64 packages (multiarch) or, for the C
# library, the cross toolchain's
guest_libs() {
	local todo=("$@") seen=" " f lib path
	echo "dir /lib 0755 0 0"
	echo "dir /lib/aarch64-linux-gnu 0755 0 0"
	while [ "${#todo[@]}" -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(${CROSS}readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case "$seen" in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			path=
			for d in /lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu \
				/usr/aarch64-linux-gnu/lib; do
				[ -e "$d/$lib" ] && { path=$(readlink -f "$d/$lib"); break; }
			done
			[ -n "$path" ] || die "no arm64 $lib for $(basename "$f") (scripts/install-deps.sh lab)"
			if [ "$lib" = ld-linux-aarch64.so.1 ]; then
				echo "file /lib/$lib $path 0755 0 0"
			else
				echo "file /lib/aarch64-linux-gnu/$lib $path 0755 0 0"
			fi
			todo+=("$path")
		done
	done
}

build_initramfs() {
	local bb gic list out bins f kt
	bb=$(busybox_static)
	gic=$(gen_init_cpio)
	bins=$(guest_programs)
	kt=$(kdump_tools)
	out=$OUT/initramfs.cpio.gz
	mkdir -p "$OUT"
	list=$OUT/initramfs.list
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		echo "nod /dev/null 0666 0 0 c 1 3"
		for d in /bin /sbin /proc /sys /tmp /root /lab /lab/scenarios /etc \
			/etc/sdei-nmi /etc/sdei-nmi/sdei-nmid.conf.d /usr /usr/share \
			/usr/share/sdei-nmi /var /var/lib /var/lib/sdei-nmi /usr/bin /usr/sbin \
			/etc/default /var/crash; do
			echo "dir $d 0755 0 0"
		done
		echo "file /bin/busybox $bb 0755 0 0"
		echo "slink /bin/sh /bin/busybox 0777 0 0"
		echo "file /init $LAB_DIR/guest/init 0755 0 0"
		echo "file /lab/lib.sh $LAB_DIR/guest/lib.sh 0644 0 0"
		echo "file /etc/hostname $LAB_DIR/guest/hostname 0644 0 0"
		for f in "$LAB_DIR"/scenarios/*.sh; do
			echo "file /lab/scenarios/$(basename "$f") $f 0644 0 0"
		done
		echo "file /bin/syscall-bench $bins/syscall-bench 0755 0 0"
		echo "file /bin/as-user $bins/as-user 0755 0 0"
		echo "file /bin/kvm-spin $bins/kvm-spin 0755 0 0"
		echo "file /bin/sdei-nmictl $bins/sdei-nmictl 0755 0 0"
		echo "file /bin/sdei-nmid $bins/sdei-nmid 0755 0 0"
		echo "file /etc/sdei-nmi/sdei-nmid.conf $TOP/configs/sdei-nmid.conf 0644 0 0"
		echo "file /usr/share/sdei-nmi/sdei-nmid-report.schema.json" \
			"$TOP/daemon/sdei-nmid-report.schema.json 0644 0 0"
		echo "file /sbin/kexec $kt/sbin/kexec 0755 0 0"
		echo "file /usr/bin/makedumpfile $kt/usr/bin/makedumpfile 0755 0 0"
		echo "file /etc/default/kdump-tools $LAB_DIR/guest/kdump-tools 0644 0 0"
		guest_libs "$bins/sdei-nmictl" "$bins/sdei-nmid" "$kt/sbin/kexec" \
			"$kt/usr/bin/makedumpfile"
	} >"$list"
	"$gic" "$list" | gzip -9 >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$out"
}

# ---------------------------------------------------------------- device tree and boot

# make_dtb SMP SDEI(yes|no) INITRD BOOTARGS OUT
make_dtb() {
	local smp=$1 sdei=$2 initrd=$3 bootargs=$4 out=$5 raw size end cpu
	raw=$out.qemu
	qemu-system-aarch64 -machine "$QEMU_MACHINE,dumpdtb=$raw" -cpu $QEMU_CPU \
		-smp "$smp" -m $QEMU_MEM -nographic -nic none >/dev/null 2>&1 ||
		die "qemu could not dump its device tree"
	# the dump is padded to 1 MiB, which TF-A's BL2 rejects: repack it
	dtc -q -I dtb -O dtb -o "$out" "$raw"
	rm -f "$raw"
	# Under TF-A, reading the ID registers of the non-secure PL061 GPIO at 0x9030000
	# takes a synchronous external abort in amba_read_periphid() and kills init (seen
	# with QEMU 7.2 and TF-A 2.12.1). Nothing in the lab needs it, nor the gpio-keys
	# node that points at it.
	local node
	for node in $(fdtget -l "$out" /); do
		case "$node" in pl061@9030000 | gpio-keys) fdtput -r "$out" "/$node" ;; esac
	done
	# A core power-down idle state, as servers have: PSCI CPU_SUSPEND with the
	# original power_state format that TF-A's qemu port uses (type power-down,
	# level 0, state id 0x02; tests/lab/firmware/ makes the port honour it). Linux's
	# PSCI cpuidle driver runs CPU PM around it, which masks SDEI on the CPU.
	# Without local-timer-stop: QEMU's generic timer runs on through the firmware's
	# WFI and wakes the core, and QEMU virt has no global timer to broadcast from.
	# With it, Linux kept time through the hrtimer broadcast alone, and one boot in
	# about a hundred froze with every CPU in that WFI and no timer interrupt pending
	# (tests/fixtures/lab/investigation/nl-monitor-patched-idle-all-cpus-wfi.log.gz).
	if [ "$IDLE" = on ]; then
		fdtput -p -c "$out" /idle-states/cpu-power-down
		fdtput -t s "$out" /idle-states entry-method psci
		fdtput -t s "$out" /idle-states/cpu-power-down compatible arm,idle-state
		fdtput -t x "$out" /idle-states/cpu-power-down arm,psci-suspend-param 0x10002
		fdtput -t u "$out" /idle-states/cpu-power-down entry-latency-us 100
		fdtput -t u "$out" /idle-states/cpu-power-down exit-latency-us 250
		fdtput -t u "$out" /idle-states/cpu-power-down min-residency-us 1000
		# QEMU numbers its phandles from 0x8000 up
		fdtput -t x "$out" /idle-states/cpu-power-down phandle 0x7f00
		for cpu in $(fdtget -l "$out" /cpus); do
			case "$cpu" in cpu@*) fdtput -t x "$out" "/cpus/$cpu" cpu-idle-states 0x7f00 ;; esac
		done
	fi
	if [ "$sdei" = yes ]; then
		fdtput -p -c "$out" /firmware/sdei
		fdtput -t s "$out" /firmware/sdei compatible arm,sdei-1.0
		fdtput -t s "$out" /firmware/sdei method smc
	fi
	size=$(stat -c %s "$initrd")
	end=$((INITRD_ADDR + size))
	fdtput -p -c "$out" /chosen
	# QEMU's /chosen has a kaslr-seed, which the lab kernels (no RANDOMIZE_BASE) leave
	# as it is, and kexec-tools refuses to hand a seed it cannot tell was used on to a
	# capture kernel ("kaslr-seed is not wiped to 0"). A KASLR kernel wipes it.
	fdtput -d "$out" /chosen kaslr-seed 2>/dev/null || true
	fdtput -t x "$out" /chosen linux,initrd-start 0 "$INITRD_ADDR"
	fdtput -t x "$out" /chosen linux,initrd-end 0 "$(printf '%x' "$end")"
	fdtput -t s "$out" /chosen bootargs "$bootargs"
}

# boot VARIANT SCENARIO SMP SDEI APPEND TIMEOUT LOG
# Boots and waits for QEMU to exit, for the end pattern (SCENARIO_END_REGEX, by default
# the guest's end marker) or for the timeout, which SCENARIO_AFTER_MARKER shortens to
# that many seconds after the guest's host-timer-start marker. Appends HOST: lines with
# what the host saw and when.
boot() {
	local variant=$1 scenario=$2 smp=$3 sdei=$4 append=$5 timeout=$6 logf=$7
	local kdir tdir initrd run bootargs qpid t0 now marker_t="" rc="" ended="" end_t
	local end_re=${SCENARIO_END_REGEX:-^LAB: scenario .* end} grace=${SCENARIO_END_GRACE:-0.5}
	local deadline
	kdir=$(build_kernel "$variant")
	case "$(kernel_variant "$variant")" in
	kvm) QEMU_MACHINE=$QEMU_MACHINE_KVM QEMU_CPU=$QEMU_CPU_KVM ;;
	# KASAN's shadow and the checkers' own data (see run_scenario, crashkernel=)
	debug | kcsan) QEMU_MEM=$QEMU_MEM_DEBUG ;;
	esac
	tdir=$(build_tfa "$FIRMWARE")
	initrd=$(build_initramfs)
	run=$(mktemp -d "$OUT/run-$scenario-$variant.XXXX")
	cp "$tdir"/bl{1,2,31}.bin "$run/"
	if is_acpi "$variant"; then
		acpi_stage "$kdir" "$run"
	else
		cp "$kdir/Image" "$run/bl33.bin"
	fi
	cp "$initrd" "$run/initramfs.cpio.gz"
	local disks=()
	if [ "${SCENARIO_DISKS:-}" = kdump ]; then
		# vda... order is the transports', not the command line's: the guest tells
		# them apart by content. The payload is a cpio archive of the capture
		# kernel and its initramfs (this same one); the dump disk starts zeroed.
		(cd "$run" && cp "$kdir/Image" Image &&
			printf '%s\n' Image initramfs.cpio.gz | cpio -o -H newc --quiet >payload.img &&
			rm Image)
		# three quarters of RAM: 768 MiB, and the debug kernels' larger dumps
		truncate -s "$((QEMU_MEM * 3 / 4))M" "$run/dump.img"
		disks=(-drive "if=none,file=payload.img,format=raw,id=payload,readonly=on"
			-device virtio-blk-device,drive=payload
			-drive "if=none,file=dump.img,format=raw,id=dump"
			-device virtio-blk-device,drive=dump)
	fi
	bootargs="console=ttyAMA0 irqchip.gicv3_pseudo_nmi=0 sdei_lab.scenario=$scenario $append"
	# how the kernel, its initramfs and its description reach it: a device tree and
	# memory that TF-A's BL31 hands over, or EDK2 and ACPI (lib-acpi.sh)
	local boot_args=() described="SDEI node: $sdei, idle state: $IDLE"
	if is_acpi "$variant"; then
		acpi_options "$sdei" "$IDLE"
		mapfile -t boot_args < <(acpi_qemu_args "$bootargs")
		described="EDK2 $EDK2_VERSION and ACPI"
	else
		make_dtb "$smp" "$sdei" "$run/initramfs.cpio.gz" "$bootargs" "$run/boot.dtb"
		boot_args=(-dtb boot.dtb
			-device "loader,file=initramfs.cpio.gz,addr=$INITRD_ADDR,force-raw=on")
	fi
	: >"$logf"
	log "boot: $variant kernel, $FIRMWARE TF-A $TFA_VERSION, $smp CPUs, $described, scenario $scenario"
	log "boot: bootargs: $bootargs"
	t0=$(date +%s.%N)
	(cd "$run" && exec qemu-system-aarch64 -machine "$QEMU_MACHINE" -cpu $QEMU_CPU \
		-smp "$smp" -m $QEMU_MEM -nographic -nic none -no-reboot \
		-bios bl1.bin "${boot_args[@]}" \
		-semihosting-config enable=on,target=native "${disks[@]}" \
		-monitor "unix:$run/monitor.sock,server=on,wait=off" \
		-serial "file:$logf" </dev/null >"$run/qemu.out" 2>&1) &
	qpid=$!
	QEMU_PID=$qpid
	deadline=$(awk -v a="$t0" -v t="$timeout" 'BEGIN { printf "%.3f", a + t }')
	while :; do
		sleep 0.2
		now=$(date +%s.%N)
		if ! kill -0 "$qpid" 2>/dev/null; then
			wait "$qpid" && rc=0 || rc=$?
			end_t=$now
			break
		fi
		if [ -z "$marker_t" ] && grep -q 'LAB: host-timer-start' "$logf" 2>/dev/null; then
			marker_t=$now
			if [ -n "${SCENARIO_AFTER_MARKER:-}" ]; then
				deadline=$(awk -v a="$now" -v t="$SCENARIO_AFTER_MARKER" \
					'BEGIN { printf "%.3f", a + t }')
			fi
		fi
		if grep -Eq -- "$end_re|---\[ end Kernel panic" "$logf" 2>/dev/null; then
			ended=pattern
			end_t=$now
			sleep "$grace"
			break
		fi
		if awk -v a="$now" -v d="$deadline" 'BEGIN { exit !(a > d) }'; then
			ended=timeout
			end_t=$now
			break
		fi
	done
	# a hang: where every CPU is, for the log
	[ "$ended" != timeout ] || "$LAB_DIR/qemu-cpus.py" "$run/monitor.sock" "$kdir/System.map" \
		>"$run/cpus.txt" 2>&1 || true
	if [ -z "$rc" ]; then
		kill "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	QEMU_PID=
	sed -i 's/\r$//' "$logf"
	{
		echo
		echo "HOST: firmware: TF-A $TFA_VERSION, $FIRMWARE"
		if is_acpi "$variant"; then
			echo "HOST: boot: EDK2 $EDK2_VERSION (BL33), ACPI; no device tree given"
		else
			echo "HOST: idle state: $IDLE"
		fi
		echo "HOST: machine: $QEMU_MACHINE, $QEMU_CPU, $QEMU_MEM MiB"
		[ "$(kernel_base "$variant")" = unpatched ] || [ -z "${SDEI_NMI_LAB_PATCHES:-}" ] ||
			echo "HOST: kernel: the first $SDEI_NMI_LAB_PATCHES patches of the series only"
		case "$ended" in
		pattern) echo "HOST: end pattern '$end_re' seen; qemu stopped by the host" ;;
		timeout) echo "HOST: timeout; qemu killed"; cat "$run/cpus.txt" ;;
		*) echo "HOST: qemu exited by itself with status $rc" ;;
		esac
		awk -v a="$end_t" -v b="$t0" 'BEGIN { printf "HOST: wall time %.1f s\n", a - b }'
		if [ -n "$marker_t" ]; then
			if [ "$ended" = pattern ]; then
				awk -v a="$end_t" -v b="$marker_t" 'BEGIN {
					printf "HOST: end pattern seen %.1f s after the host-timer-start marker\n", a - b }'
			else
				awk -v a="$end_t" -v b="$marker_t" 'BEGIN {
					printf "HOST: %.1f s from the host-timer-start marker to the end\n", a - b }'
			fi
		fi
	} >>"$logf"
	cat "$run/qemu.out" >>"$logf"
	[ ! -f "$run/dump.img" ] || mv "$run/dump.img" "${logf%.log}.dump"
	rm -rf "$run"
}

# ---------------------------------------------------------------- scenarios

run_scenario() {
	local variant=patched expect=pass smp=4 sdei=yes append="" timeout="" tag="" scenario
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) variant=$2; shift 2 ;;
		--firmware) FIRMWARE=$2; shift 2 ;;
		--idle) IDLE=$2; shift 2 ;;
		--expect) expect=$2; shift 2 ;;
		--smp) smp=$2; shift 2 ;;
		--no-sdei) sdei=no; shift ;;
		--append) append=$2; shift 2 ;;
		--timeout) timeout=$2; shift 2 ;;
		--tag) tag=-$2; shift 2 ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
	done
	scenario=${1:?usage: lab.sh run [options] SCENARIO}
	local file=$LAB_DIR/scenarios/$scenario.sh
	[ -f "$file" ] || die "no scenario '$scenario' (lab.sh list)"
	check_kernel "$variant"
	case "$FIRMWARE" in stock) ;; fixed) tag=-fixed-fw$tag ;; *) die "--firmware stock|fixed" ;; esac
	case "$IDLE" in on) ;; off) tag=-no-idle$tag ;; *) die "--idle on|off" ;; esac

	# shellcheck source=/dev/null
	. "$LAB_DIR/lib-host.sh"
	# shellcheck source=/dev/null
	. "$file"
	# a scenario that needs a kernel variant runs on it: --kernel patched is patched-kvm
	if [ -n "${SCENARIO_KERNEL_VARIANT:-}" ] && [ -z "$(kernel_variant "$variant")" ]; then
		variant=$variant-$SCENARIO_KERNEL_VARIANT
		check_kernel "$variant"
	fi
	[ "${SCENARIO_NO_SDEI:-}" = yes ] && sdei=no
	append="${SCENARIO_APPEND:-} $append"
	timeout=${timeout:-${SCENARIO_TIMEOUT:-120}}
	# lockdep, KASAN and KCSAN slow the kernel down several times under TCG, and their
	# kernels need more memory. KASAN's shadow is an eighth of all RAM and goes into the
	# dump whatever its level: with 1 GiB and crashkernel=320M, neither the crashed
	# kernel's /var/crash (sdei-nmictl kdump: not ready) nor the capture kernel's could
	# hold it, and makedumpfile failed. Half the RAM for each kernel, and a /var/crash
	# as large as the crashed kernel's free memory (guest/init), hold it. The last
	# crashkernel= wins.
	case "$(kernel_variant "$variant")" in
	debug | kcsan)
		timeout=$((timeout * 4))
		[[ $append != *crashkernel=* ]] ||
			append="$append crashkernel=$CRASHKERNEL_DEBUG sdei_lab.var_crash_size=90%"
		;;
	esac
	mkdir -p "$OUT/logs"
	local logf=$OUT/logs/$scenario-$variant$tag.log
	boot "$variant" "$scenario" "$smp" "$sdei" "$append" "$timeout" "$logf"
	log "serial log: $logf"
	# what the host finds after the run (a crash dump) goes into the log as HOST:
	# lines, so that check() and the recorded logs see it
	if declare -F host_after >/dev/null; then
		host_after "$logf" "$(build_kernel "$variant")" >>"$logf" 2>&1 ||
			echo "HOST: host_after failed ($?)" >>"$logf"
	fi

	local verdict rc=0
	verdict=$(check "$logf" 2>&1) || rc=$?
	# on a debug kernel (lockdep, KASAN, KCSAN) a splat fails any scenario
	case "$(kernel_variant "$variant")" in
	debug | kcsan)
		{ checkers_on "$logf" "$(kernel_variant "$variant")" && splats "$logf"; } \
			>>"$logf.splats" || { [ "$rc" = 2 ] || rc=1; }
		;;
	esac
	[ ! -s "$logf.splats" ] || verdict+=$'\n'$(cat "$logf.splats")
	rm -f "$logf.splats"
	printf '%s\n' "$verdict" | sed 's/^/  /'
	case "$expect:$rc" in
	pass:0) echo "PASS: $scenario on the $variant kernel" ;;
	pass:1) echo "FAIL: $scenario on the $variant kernel: its assertion failed"; return 1 ;;
	fail:1) echo "PASS: $scenario negative control: the assertion fails on the $variant kernel, as it must" ;;
	fail:0) echo "FAIL: $scenario negative control: the assertion held on the $variant kernel"; return 1 ;;
	*) echo "FAIL: $scenario on the $variant kernel: inconclusive run (the lab did not reach the point it tests)"; return 1 ;;
	esac
}

case "${1:-}" in
build)
	case "${2:-all}" in
	all) build_kernel patched >/dev/null; build_kernel unpatched >/dev/null ;;
	*) build_kernel "$2" >/dev/null; ! is_acpi "$2" || build_edk2 >/dev/null ;;
	esac
	build_tfa stock >/dev/null
	build_tfa fixed >/dev/null
	build_initramfs >/dev/null
	;;
run) shift; run_scenario "$@" ;;
kernel-dir) build_kernel "${2:-patched}" ;;
check-series) check_series ;;
sources)
	fetch_source "$LINUX_TARBALL" "$LINUX_SHA256" "$LINUX_DEB" "${LINUX_DEB_VERSIONS[@]}"
	fetch_source "$TFA_TARBALL" "$TFA_SHA256" "$TFA_DEB" "${TFA_DEB_VERSIONS[@]}"
	fetch_source "$EDK2_TARBALL" "$EDK2_SHA256" "$EDK2_DEB" "${EDK2_DEB_VERSIONS[@]}"
	fetch_source "$EDK2_DEBIAN_TARBALL" "$EDK2_DEBIAN_SHA256" "$EDK2_DEB" \
		"${EDK2_DEB_VERSIONS[@]}"
	;;
list) for f in "$LAB_DIR"/scenarios/*.sh; do basename "$f" .sh; done ;;
*) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
