#!/usr/bin/env bash
# Install everything the build, the tests and the lab need on Debian 12.
# Idempotent and non-interactive; run as root (CI is root) or through sudo.
#
#   scripts/install-deps.sh [host|lab|all]     (default: all)
set -euo pipefail

what=${1:-all}
export DEBIAN_FRONTEND=noninteractive

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "install-deps: need root or sudo" >&2; exit 1; }
	SUDO=sudo
fi

host_pkgs=(build-essential cmake pkg-config git clang-format codespell
	   libcmocka-dev libsystemd-dev libnl-genl-3-dev libcjson-dev libinih-dev
	   libcurl4-openssl-dev libbpf-dev libelf-dev zlib1g-dev
	   scdoc python3-jsonschema prometheus clang llvm bpftool strace openssl)
# (uuid-dev: EDK2's BaseTools, for the -acpi kernels' firmware, tests/lab/lib-acpi.sh)
lab_pkgs=(gcc-aarch64-linux-gnu qemu-system-arm device-tree-compiler bc bison flex
	  libssl-dev dwarves cpio xz-utils kmod rsync python3 perl ca-certificates
	  binutils-aarch64-linux-gnu libc6-dev-arm64-cross file python3-yaml
	  python3-jsonschema clang-19 lld-19 llvm-19 sparse
	  uuid-dev patch)
# What sdei-nmictl and sdei-nmid link for the guest: installed next to the host's
# (multiarch; apt brings the host's copies to the same versions), for
# cmake -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake.
cross_pkgs=(libnl-genl-3-dev:arm64 libcjson-dev:arm64 libsystemd-dev:arm64
	    libinih-dev:arm64 libcurl4-openssl-dev:arm64 libbpf-dev:arm64 zlib1g-dev:arm64)

pkgs=()
case "$what" in
host) pkgs=("${host_pkgs[@]}") ;;
lab) pkgs=("${lab_pkgs[@]}" "${cross_pkgs[@]}") ;;
all) pkgs=("${host_pkgs[@]}" "${lab_pkgs[@]}" "${cross_pkgs[@]}") ;;
*) echo "install-deps: unknown set '$what' (host, lab, all)" >&2; exit 2 ;;
esac

# installed PKG : dpkg has PKG installed; a name with no architecture means the host's
# own (or an Arch: all package): libsystemd-dev:arm64 installed alone does not count for
# libsystemd-dev. No pipe into grep -q: under pipefail, a grep that stops at its match
# can turn its writer's SIGPIPE into a failure.
native=$(dpkg --print-architecture)
installed() {
	local st
	st=$(dpkg-query -W -f='${Architecture} ${Status}\n' "$1" 2>/dev/null) || return 1
	case "$1" in
	*:*) [[ $st == *'install ok installed'* ]] ;;
	*) [[ $'\n'$st$'\n' == *$'\n'"$native install ok installed"$'\n'* ||
		$'\n'$st$'\n' == *$'\nall install ok installed\n'* ]] ;;
	esac
}

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done

# apt needs the arm64 architecture for the cross -dev packages, and for the guest's
# busybox, which tests/lab/lab.sh downloads and unpacks (never installs).
need_arm64=0
if [ "$what" != host ]; then
	grep -qx arm64 <<<"$(dpkg --print-foreign-architectures)" || need_arm64=1
fi

stamp=/var/lib/apt/periodic/sdei-nmi-update-stamp
if [ "${#missing[@]}" -gt 0 ] || [ "$need_arm64" = 1 ] || [ ! -e "$stamp" ]; then
	[ "$need_arm64" = 1 ] && $SUDO dpkg --add-architecture arm64
	$SUDO apt-get update -qq
	$SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The OTLP tests' receiver (tests/daemon/otlp-receiver.py) parses requests with the
# upstream OTLP definitions, Debian's python3-opentelemetry-proto: on Debian 12 in
# bookworm-backports only. The suite is added and pinned at 100 (nothing comes from it
# by itself, nor on upgrade), and the one package is asked for from it by name
# (PKG/bookworm-backports: unlike -t, which would prefer the whole suite for that run,
# its dependencies come from bookworm). Elsewhere (trixie on) from the release itself.
if [ "$what" != lab ]; then
	bpo_pkgs=(python3-opentelemetry-proto)
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	missing=()
	for p in "${bpo_pkgs[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ] && [ "$codename" = bookworm ]; then
		list=/etc/apt/sources.list.d/sdei-nmi-backports.sources
		pin=/etc/apt/preferences.d/sdei-nmi-backports
		want_list=$'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg'
		want_pin=$'Package: *\nPin: release n=bookworm-backports\nPin-Priority: 100'
		changed=0
		if [ "$(cat "$list" 2>/dev/null)" != "$want_list" ]; then
			printf '%s\n' "$want_list" | $SUDO tee "$list" >/dev/null
			changed=1
		fi
		if [ "$(cat "$pin" 2>/dev/null)" != "$want_pin" ]; then
			printf '%s\n' "$want_pin" | $SUDO tee "$pin" >/dev/null
		fi
		[ "$changed" = 0 ] || $SUDO apt-get update -qq
		# It must be there before it is asked for.
		for p in "${missing[@]}"; do
			policy=$(apt-cache policy "$p")
			if [[ $policy != *bookworm-backports* ]]; then
				echo "install-deps: $p is not in bookworm-backports" >&2
				exit 1
			fi
		done
		echo "install-deps: installing ${missing[*]} (bookworm-backports)"
		$SUDO apt-get install -y -qq --no-install-recommends \
			"${missing[@]/%//bookworm-backports}" >/dev/null
	elif [ "${#missing[@]}" -gt 0 ]; then
		echo "install-deps: installing ${missing[*]}"
		$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi

# The guest's kexec-tools and makedumpfile: tests/lab/lab.sh unpacks Debian's arm64
# packages; the libraries they link are installed here, whatever the release names them
# (libxenmisc4.17 on Debian 12).
if [ "$what" != host ]; then
	missing=()
	for p in $(apt-cache depends kexec-tools:arm64 makedumpfile:arm64 |
		   awk '$1 == "Depends:" && $2 ~ /^(lib|zlib)/ { print $2 }' | sort -u); do
		installed "$p" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "install-deps: installing ${missing[*]} (for the guest's kdump tools)"
		$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi
exit 0
