# kdump with a KVM guest running on CPU 2. Run on the -kvm kernels (lab.sh run --kernel
# patched-kvm kdump-guest): kdump's scenario, with kvm-spin's guest spinning on CPU 2
# (every exception masked, in the guest) instead of LKDTM's spin. The crash stop must
# take CPU 2 down (the stop IPI makes the guest exit to the host) and the dump must hold
# its registers as the host's: CPU 2's note names the vCPU thread (kvm-spin) with a pc
# in the host kernel, never the guest's code; every CPU but the capture kernel's is OFF
# afterwards. A baseline: the unpatched kernel stops a CPU in a guest the same way, and
# the series must not change that.

# the kernel it runs on: lab.sh --kernel BASE-kvm
SCENARIO_KERNEL_VARIANT=kvm
SCENARIO_BASELINE=yes
KDUMP_WEDGE=guest
# shellcheck source=tests/lab/scenarios/kdump.sh
. "${LAB_DIR:-/lab}/scenarios/kdump.sh"
