// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-spin CPU: the smallest VMM the lab needs. Debian packages no kvmtool, so this
 * runs a KVM guest of one vCPU, from this thread pinned to CPU, whose code masks
 * every exception (DAIF) and counts in a loop for ever: a CPU spinning inside a guest,
 * for the host's backtraces to find. The guest never exits to user space; the VMM
 * only returns if KVM_RUN fails or is interrupted by a signal that kills it.
 *
 * Prints "kvm-spin: guest running on cpu N" just before it enters the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_BASE 0x10000000ULL /* an IPA with nothing else there */
#define GUEST_SIZE 0x10000ULL

/* msr daifset, #0xf; 1: add x0, x0, #1; b 1b */
static const uint32_t guest_code[] = { 0xd5034fdf, 0x91000400, 0x17ffffff };

static int fail(const char *what)
{
	fprintf(stderr, "kvm-spin: %s: %s\n", what, strerror(errno));
	return 2;
}

static int set_core_reg(int vcpu, size_t offset, uint64_t value)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      (offset / sizeof(uint32_t)),
		.addr = (uintptr_t)&value,
	};

	return ioctl(vcpu, KVM_SET_ONE_REG, &reg);
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region;
	struct kvm_vcpu_init init;
	struct kvm_run *run;
	unsigned long cpu;
	cpu_set_t set;
	int kvm, vm, vcpu, size;
	char *end;
	void *mem;

	if (argc != 2 || (cpu = strtoul(argv[1], &end, 10), *end) || cpu >= CPU_SETSIZE) {
		fprintf(stderr, "usage: kvm-spin CPU\n");
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return fail("sched_setaffinity");

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvm-spin: KVM API version is not %d\n", KVM_API_VERSION);
		return 2;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	memset(&init, 0, sizeof(init));
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return fail("KVM_ARM_PREFERRED_TARGET");
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0)
		return fail("KVM_ARM_VCPU_INIT");
	/* KVM_ARM_VCPU_INIT leaves the vCPU at EL1h with DAIF masked, its MMU off */
	if (set_core_reg(vcpu, offsetof(struct kvm_regs, regs.pc), GUEST_BASE) < 0)
		return fail("KVM_SET_ONE_REG pc");

	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap of the vCPU");

	printf("kvm-spin: guest running on cpu %d\n", sched_getcpu());
	fflush(stdout);
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return fail("KVM_RUN");
		}
		fprintf(stderr, "kvm-spin: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
}
