/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What bpf/stalls.bpf.c sends to sdei-nmid over its ring buffer: one record per event,
 * a header and the event's own fields. Fixed-width fields only, naturally aligned, no
 * implicit padding, so that the BPF target and every host see the same layout (the
 * sizes are checked at compile time on both sides). Strings are NUL-terminated within
 * their field when the program could read them, empty otherwise; user space checks
 * that all the same (lib/bpf-event.c), the kernel's memory being no more trusted than
 * any other input.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define STALLS_COMM_LEN	     16
#define STALLS_NAME_LEN	     16
#define STALLS_MAX_FRAMES    32
#define STALLS_CPUMASK_WORDS 64 /* 4096 CPUs, the kernel's largest NR_CPUS on arm64 */

enum stalls_event_type {
	STALLS_EVENT_RCU_STALL = 1, /* tp_btf/rcu_stall_warning */
	STALLS_EVENT_HUNG_TASK = 2, /* tp_btf/sched_process_hang */
	STALLS_EVENT_BACKTRACE = 3, /* fentry/arch_trigger_cpumask_backtrace */
};

/* Who ran the program: the CPU, the time (CLOCK_MONOTONIC), the current task. */
struct stalls_header {
	__u32 type; /* enum stalls_event_type */
	__u32 cpu;
	__u64 ts_ns;
	__u32 pid; /* the current task's (thread) id, 0 for the idle task */
	__u32 tgid;
	char comm[STALLS_COMM_LEN];
};

/* rcu_stall_warning(rcuname, msg): "rcu_preempt", "StallDetected" and the like. */
struct stalls_rcu_event {
	struct stalls_header h;
	char rcuname[STALLS_NAME_LEN];
	char msg[STALLS_NAME_LEN]; /* StallDetected, SelfDetected, ExpeditedStall */
};

#define STALLS_HANG_IOWAIT 0x1 /* the task was in I/O wait */

/* sched_process_hang(task): the hung task, not the current one. */
struct stalls_hang_event {
	struct stalls_header h;
	__u32 pid;
	__u32 tgid;
	char comm[STALLS_COMM_LEN];
	__u32 state; /* its __state (TASK_UNINTERRUPTIBLE, ...) */
	__u32 flags; /* STALLS_HANG_* */
};

/*
 * arch_trigger_cpumask_backtrace(mask, exclude_cpu): the function behind every
 * trigger_*_cpu_backtrace() on arm64. Who called it is in the kernel stack, innermost
 * first, which user space symbolizes and classifies (lib/bt-caller.h).
 */
struct stalls_backtrace_event {
	struct stalls_header h;
	__s32 exclude_cpu; /* -1 for none */
	__u32 mask_bytes;  /* of mask that were read: the kernel's cpumask, capped */
	__s64 stack_bytes; /* what bpf_get_stack() returned: bytes, or -errno */
	__u64 mask[STALLS_CPUMASK_WORDS];
	__u64 stack[STALLS_MAX_FRAMES];
};

_Static_assert(sizeof(struct stalls_header) == 40, "stalls_header layout");
_Static_assert(sizeof(struct stalls_rcu_event) == 72, "stalls_rcu_event layout");
_Static_assert(sizeof(struct stalls_hang_event) == 72, "stalls_hang_event layout");
_Static_assert(sizeof(struct stalls_backtrace_event) == 40 + 16 + 8 * (64 + 32),
	       "stalls_backtrace_event layout");
