# shellcheck shell=bash
# The lab's ACPI machine, sourced by lab.sh: the -acpi kernels boot as servers do, through
# UEFI firmware that gives them ACPI tables and no device tree, and find SDEI through the
# ACPI SDEI table. TF-A stays EL3 (and the SDEI dispatcher); EDK2's ArmVirtQemuKernel
# is its BL33 (TF-A's docs/plat/qemu.rst), built from Debian's edk2 source, Debian's
# patches and the lab's own (tests/lab/firmware/edk2/*.patch).
#
# Why the lab patches EDK2, and not QEMU's -acpitable (what was tried first, QEMU 7.2):
# - the "virt" board ignores -acpitable: its ACPI builder installs no user tables;
# - with secure=on and a firmware image, its FADT has no PSCI flag (it assumes that
#   whatever runs at EL3 is unknown), so Linux would bring up the boot CPU alone;
# - Debian ships EDK2 builds for flash (ArmVirtQemu), none that runs as TF-A's BL33.
# The lab's EDK2 patch asks EL3 through SMC, as a server's firmware knows, and then
# sets PSCI_COMPLIANT in the FADT and installs an SDEI table.

EDK2_VERSION=2022.11
EDK2_DEB=edk2
EDK2_DEB_VERSIONS=(2022.11-6+deb12u2)
EDK2_TARBALL=edk2_${EDK2_VERSION}.orig.tar.xz
EDK2_SHA256=64257dd8a2778c969b8a869cd3b6eda2db2a346bfcf24dc729859745968f1fd6
EDK2_DEBIAN_TARBALL=edk2_${EDK2_DEB_VERSIONS[0]}.debian.tar.xz
EDK2_DEBIAN_SHA256=a1d848115ae9b140e64d3ab34f7c08210b665bee473e3242a6801c163678780e

# is_acpi VARIANT: the kernel boots through EDK2 and ACPI
is_acpi() { [ "$(kernel_variant "$1")" = acpi ]; }

# build_edk2: the directory of QEMU_EFI.fd, built once per key of its inputs
build_edk2() {
	local tb dtb key dir src patches=() debian=() t0
	tb=$(fetch_source "$EDK2_TARBALL" "$EDK2_SHA256" "$EDK2_DEB" "${EDK2_DEB_VERSIONS[@]}")
	dtb=$(fetch_source "$EDK2_DEBIAN_TARBALL" "$EDK2_DEBIAN_SHA256" "$EDK2_DEB" \
		"${EDK2_DEB_VERSIONS[@]}")
	mapfile -t patches < <(patches_in "$LAB_DIR/firmware/edk2")
	key=$(key_of "$EDK2_SHA256" "$EDK2_DEBIAN_SHA256" "$("${CROSS}gcc" -dumpfullversion)" \
		edk2-v1 ${patches[@]+"${patches[@]}"})
	dir=$CACHE/edk2-$key
	if [ ! -f "$dir/QEMU_EFI.fd" ]; then
		src=$CACHE/src/edk2-$EDK2_VERSION
		# a tree is patched anew each time it is built
		rm -rf "$src"
		unpack "$tb" "$src"
		tar -xJf "$dtb" -C "$src"
		# Debian's patches, in the order of its quilt series, then the lab's
		mapfile -t debian < <(sed -e '/^#/d' -e '/^$/d' -e "s|^|$src/debian/patches/|" \
			"$src/debian/patches/series")
		apply_patches "$src" "EDK2 $EDK2_VERSION" ${debian[@]+"${debian[@]}"} \
			${patches[@]+"${patches[@]}"}
		log "building EDK2 $EDK2_VERSION ArmVirtQemuKernel (log $CACHE/edk2-build.log)"
		t0=$SECONDS
		# Debian removed the prebuilt LTO stub library; build it as debian/rules does.
		# edksetup.sh reads unset variables: it runs without set -u.
		# (set -e does not hold inside a subshell whose status is tested: each step
		# says itself that it failed)
		(
			set +u
			cd "$src" || exit 1
			"${CROSS}gcc" -c -fpic ArmPkg/Library/GccLto/liblto-aarch64.s \
				-o ArmPkg/Library/GccLto/liblto-aarch64.a || exit 1
			unset WORKSPACE EDK_TOOLS_PATH CONF_PATH
			export GCC5_AARCH64_PREFIX=$CROSS PYTHON3_ENABLE=TRUE
			# shellcheck disable=SC1091
			. ./edksetup.sh || exit 1
			make -C BaseTools -j"$JOBS" || exit 1
			build -a AARCH64 -t GCC5 -b RELEASE -n "$JOBS" \
				-p ArmVirtPkg/ArmVirtQemuKernel.dsc
		) >"$CACHE/edk2-build.log" 2>&1 ||
			{ tail -30 "$CACHE/edk2-build.log" >&2; die "EDK2 build failed"; }
		log "EDK2: built in $((SECONDS - t0)) s"
		mkdir -p "$dir.tmp"
		cp "$src/Build/ArmVirtQemuKernel-AARCH64/RELEASE_GCC5/FV/QEMU_EFI.fd" "$dir.tmp/"
		rm -rf "$dir" && mv "$dir.tmp" "$dir"
		rm -rf "$src"
	fi
	echo "$dir"
}

# acpi_stage KDIR RUN: EDK2 is BL33 and the kernel waits in RUN for QEMU's fw_cfg
acpi_stage() {
	local fw
	fw=$(build_edk2)
	cp "$fw/QEMU_EFI.fd" "$2/bl33.bin"
	cp "$1/Image" "$2/Image"
}

# acpi_options SDEI IDLE: what the device tree would say has no ACPI counterpart here
acpi_options() {
	[ "$1" = yes ] ||
		die "--no-sdei: the -acpi kernels' SDEI table comes from EDK2 (tests/lab/firmware/edk2/)"
	[ "$2" = on ] ||
		die "--idle: the -acpi kernels have no idle states (QEMU's tables have no _LPI)"
}

# acpi_qemu_args BOOTARGS: QEMU's arguments that hand EDK2 the kernel, its initramfs
# and command line (fw_cfg). No -dtb: QEMU's own device tree is EDK2's, TF-A's BL2 adds
# PSCI to it, and Linux gets ACPI alone.
acpi_qemu_args() {
	printf '%s\n' -kernel Image -initrd initramfs.cpio.gz -append "$1"
}
