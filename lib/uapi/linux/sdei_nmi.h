/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/sdei_nmi.yaml */
/* YNL-GEN uapi header */
/* To regenerate run: tools/net/ynl/ynl-regen.sh */

#ifndef _UAPI_LINUX_SDEI_NMI_H
#define _UAPI_LINUX_SDEI_NMI_H

#define SDEI_NMI_FAMILY_NAME	"sdei-nmi"
#define SDEI_NMI_FAMILY_VERSION	1

/**
 * enum sdei_nmi_state - Whether the service can reach other CPUs.
 * @SDEI_NMI_STATE_INACTIVE: No SDEI firmware, or event 0 could not be
 *   registered or enabled; the reason attribute says which.
 * @SDEI_NMI_STATE_ACTIVE: Event 0 is registered and enabled on every CPU.
 */
enum sdei_nmi_state {
	SDEI_NMI_STATE_INACTIVE,
	SDEI_NMI_STATE_ACTIVE,
};

/**
 * enum sdei_nmi_delivery - What became of the request for one CPU's backtrace.
 * @SDEI_NMI_DELIVERY_CAPTURED: The CPU took the event; the entry has its
 *   context.
 * @SDEI_NMI_DELIVERY_TIMEOUT: The CPU did not take the event within the
 *   timeout.
 * @SDEI_NMI_DELIVERY_OFFLINE: The CPU is offline and was not signalled.
 * @SDEI_NMI_DELIVERY_UNSUPPORTED: The service is inactive, or firmware refused
 *   to signal the CPU.
 * @SDEI_NMI_DELIVERY_RATE_LIMITED: The CPU was signalled for userspace less
 *   than the minimum interval ago; it was not signalled again.
 */
enum sdei_nmi_delivery {
	SDEI_NMI_DELIVERY_CAPTURED = 1,
	SDEI_NMI_DELIVERY_TIMEOUT,
	SDEI_NMI_DELIVERY_OFFLINE,
	SDEI_NMI_DELIVERY_UNSUPPORTED,
	SDEI_NMI_DELIVERY_RATE_LIMITED,
};

/**
 * enum sdei_nmi_trigger - Who asked for a backtrace.
 * @SDEI_NMI_TRIGGER_REQUEST: A backtrace command of this family.
 * @SDEI_NMI_TRIGGER_KERNEL: The kernel's own backtrace of other CPUs: sysrq-l,
 *   an RCU stall, a hung task or a hard lockup report.
 */
enum sdei_nmi_trigger {
	SDEI_NMI_TRIGGER_REQUEST = 1,
	SDEI_NMI_TRIGGER_KERNEL,
};

/**
 * enum sdei_nmi_context - What the CPU was running when it was captured.
 * @SDEI_NMI_CONTEXT_KERNEL: A task in the kernel; its kernel stack follows.
 * @SDEI_NMI_CONTEXT_USER: A task at EL0; no kernel frames follow.
 * @SDEI_NMI_CONTEXT_IDLE: The CPU's idle task: the CPU was idle, or entering
 *   or leaving an idle state. Its kernel stack follows.
 * @SDEI_NMI_CONTEXT_GUEST: A KVM guest: the event found the CPU running one.
 *   The guest's registers are not shown; the registers and the kernel stack
 *   that follow are the host's, taken once the guest had exited to it.
 */
enum sdei_nmi_context {
	SDEI_NMI_CONTEXT_KERNEL = 1,
	SDEI_NMI_CONTEXT_USER,
	SDEI_NMI_CONTEXT_IDLE,
	SDEI_NMI_CONTEXT_GUEST,
};

/**
 * enum sdei_nmi_path - How the capture was taken.
 * @SDEI_NMI_PATH_SDEI: In the SDEI event handler, whatever the CPU's interrupt
 *   mask; the registers are the interrupted context's.
 * @SDEI_NMI_PATH_IPI: In an IPI, for a CPU that had masked SDEI (in a deep
 *   idle state, whose CPU PM masks it, or on its way offline) and so could not
 *   be signalled; the registers are those the IPI interrupted. Where the CPU
 *   ran the IPI's function outside an interrupt (leaving idle, or going
 *   offline), pc, lr and the frames are that function's caller's and the
 *   registers are absent.
 */
enum sdei_nmi_path {
	SDEI_NMI_PATH_SDEI = 1,
	SDEI_NMI_PATH_IPI,
};

enum {
	SDEI_NMI_A_CPU_STATS_CPU = 1,
	SDEI_NMI_A_CPU_STATS_ONLINE,
	SDEI_NMI_A_CPU_STATS_SIGNALS,
	SDEI_NMI_A_CPU_STATS_HANDLED,
	SDEI_NMI_A_CPU_STATS_TIMEOUTS,
	SDEI_NMI_A_CPU_STATS_RATE_LIMITED,
	SDEI_NMI_A_CPU_STATS_LAST_LATENCY_NS,

	__SDEI_NMI_A_CPU_STATS_MAX,
	SDEI_NMI_A_CPU_STATS_MAX = (__SDEI_NMI_A_CPU_STATS_MAX - 1)
};

enum {
	SDEI_NMI_A_STATUS_STATE = 1,
	SDEI_NMI_A_STATUS_REASON,
	SDEI_NMI_A_STATUS_SDEI_VERSION,
	SDEI_NMI_A_STATUS_EVENT,
	SDEI_NMI_A_STATUS_MIN_INTERVAL_MS,
	SDEI_NMI_A_STATUS_CPU,

	__SDEI_NMI_A_STATUS_MAX,
	SDEI_NMI_A_STATUS_MAX = (__SDEI_NMI_A_STATUS_MAX - 1)
};

enum {
	SDEI_NMI_A_ENTRY_CPU = 1,
	SDEI_NMI_A_ENTRY_DELIVERY,
	SDEI_NMI_A_ENTRY_TRIGGER,
	SDEI_NMI_A_ENTRY_LATENCY_NS,
	SDEI_NMI_A_ENTRY_TIME_NS,
	SDEI_NMI_A_ENTRY_SEQ,
	SDEI_NMI_A_ENTRY_PSTATE,
	SDEI_NMI_A_ENTRY_PC,
	SDEI_NMI_A_ENTRY_LR,
	SDEI_NMI_A_ENTRY_SP,
	SDEI_NMI_A_ENTRY_CONTEXT,
	SDEI_NMI_A_ENTRY_PATH,
	SDEI_NMI_A_ENTRY_COMM,
	SDEI_NMI_A_ENTRY_PID,
	SDEI_NMI_A_ENTRY_PC_SYM,
	SDEI_NMI_A_ENTRY_LR_SYM,
	SDEI_NMI_A_ENTRY_FRAME,

	__SDEI_NMI_A_ENTRY_MAX,
	SDEI_NMI_A_ENTRY_MAX = (__SDEI_NMI_A_ENTRY_MAX - 1)
};

enum {
	SDEI_NMI_A_BACKTRACE_CPU = 1,
	SDEI_NMI_A_BACKTRACE_ALL,
	SDEI_NMI_A_BACKTRACE_TIMEOUT_MS,
	SDEI_NMI_A_BACKTRACE_ENTRY,

	__SDEI_NMI_A_BACKTRACE_MAX,
	SDEI_NMI_A_BACKTRACE_MAX = (__SDEI_NMI_A_BACKTRACE_MAX - 1)
};

enum {
	SDEI_NMI_CMD_STATUS = 1,
	SDEI_NMI_CMD_BACKTRACE,
	SDEI_NMI_CMD_BACKTRACE_NTF,

	__SDEI_NMI_CMD_MAX,
	SDEI_NMI_CMD_MAX = (__SDEI_NMI_CMD_MAX - 1)
};

#define SDEI_NMI_MCGRP_MONITOR	"monitor"

#endif /* _UAPI_LINUX_SDEI_NMI_H */
