/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who asked for other CPUs' backtraces: the kernel stack of a call to the function
 * behind trigger_*_cpu_backtrace() (arch_trigger_cpumask_backtrace() on arm64), taken by
 * bpf/stalls.bpf.c, classified by the kernel functions it passes through. Pure.
 *
 * Rules (Linux 7.2; the names are in bt-caller.c's table):
 *  C1 the stack is read innermost first; the first frame inside one of the table's
 *     functions decides the caller (so the buddy detector, which runs from the soft
 *     lockup's timer, is a hard lockup, and a request from the hung-task detector
 *     through sys_info() is a hung task);
 *  C2 the detector is that function's, or, for a function that several detectors share
 *     (watchdog_hardlockup_check()), the next frame outward that names one;
 *  C3 no frame in the table, or no symbols (kallsyms hides addresses, the stack could
 *     not be taken): other, function and detector unknown.
 *
 *   hard-lockup  watchdog_hardlockup_check (buddy: watchdog_buddy_check_hardlockup;
 *                perf: watchdog_overflow_callback)
 *   soft-lockup  watchdog_timer_fn (softlockup_all_cpu_backtrace)
 *   rcu          rcu_dump_cpu_stacks, print_other_cpu_stall, rcu_check_gp_kthread_
 *                starvation, check_cpu_stall, rcu_pending, rcu_sched_clock_irq, the
 *                expedited grace period's waiters
 *   sysrq        sysrq_handle_showallcpus, __handle_sysrq (SysRq-l)
 *   hung-task    check_hung_uninterruptible_tasks, watchdog (khungtaskd's loop)
 *   other        panic, vpanic (panic_print), csd_lock_wait_toolong (CSD lock), anything
 *                else
 */

#include <stddef.h>
#include <stdint.h>

#include "kallsyms.h"

enum sn_bt_caller {
	SN_BT_CALLER_OTHER = 0,
	SN_BT_CALLER_HARD_LOCKUP,
	SN_BT_CALLER_SOFT_LOCKUP,
	SN_BT_CALLER_RCU,
	SN_BT_CALLER_SYSRQ,
	SN_BT_CALLER_HUNG_TASK,
	_SN_BT_CALLER_MAX,
};

struct sn_bt_caller_result {
	enum sn_bt_caller caller;
	const char *function; /* the deciding function (static string), NULL when none */
	uint64_t offset;      /* of the frame in it */
	size_t frame;	      /* its index, innermost 0 */
	const char *detector; /* "buddy", "rcu", "sysrq", ...; NULL when none */
};

/* "hard-lockup", "soft-lockup", "rcu", "sysrq", "hung-task", "other"; NULL if unknown. */
const char *sn_bt_caller_to_string(enum sn_bt_caller c);
int sn_bt_caller_from_string(const char *s, enum sn_bt_caller *ret);

/* The table's function names, for sn_ksyms_parse(). */
const char *const *sn_bt_caller_symbols(size_t *ret_n);

/* Classifies frames (kernel addresses, innermost first) by k; k may be NULL (C3). */
void sn_bt_caller_classify(const struct sn_ksyms *k, const uint64_t *frames,
			   size_t n_frames, struct sn_bt_caller_result *ret);
