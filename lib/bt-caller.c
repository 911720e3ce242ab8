/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller of a backtrace request: rules C1-C3 in bt-caller.h. */

#include <errno.h>
#include <string.h>

#include "bt-caller.h"
#include "macro.h"

static const char *const caller_names[_SN_BT_CALLER_MAX] = {
	[SN_BT_CALLER_OTHER] = "other",
	[SN_BT_CALLER_HARD_LOCKUP] = "hard-lockup",
	[SN_BT_CALLER_SOFT_LOCKUP] = "soft-lockup",
	[SN_BT_CALLER_RCU] = "rcu",
	[SN_BT_CALLER_SYSRQ] = "sysrq",
	[SN_BT_CALLER_HUNG_TASK] = "hung-task",
};

struct rule {
	const char *function;
	enum sn_bt_caller caller;
	const char *detector; /* NULL: the next frame outward that names one (C2) */
};

/* Linux 7.2's callers of trigger_*_cpu_backtrace() and dump_cpu_task(). */
static const struct rule rules[] = {
	/* kernel/watchdog.c, kernel/watchdog_buddy.c, kernel/watchdog_perf.c */
	{ "watchdog_hardlockup_check", SN_BT_CALLER_HARD_LOCKUP, NULL },
	{ "watchdog_buddy_check_hardlockup", SN_BT_CALLER_HARD_LOCKUP, "buddy" },
	{ "watchdog_overflow_callback", SN_BT_CALLER_HARD_LOCKUP, "perf" },
	{ "watchdog_timer_fn", SN_BT_CALLER_SOFT_LOCKUP, "softlockup" },
	/* kernel/rcu/tree_stall.h, tree_exp.h, tree.c */
	{ "rcu_dump_cpu_stacks", SN_BT_CALLER_RCU, "rcu" },
	{ "print_other_cpu_stall", SN_BT_CALLER_RCU, "rcu" },
	{ "rcu_check_gp_kthread_starvation", SN_BT_CALLER_RCU, "rcu" },
	{ "check_cpu_stall", SN_BT_CALLER_RCU, "rcu" },
	{ "rcu_pending", SN_BT_CALLER_RCU, "rcu" },
	{ "rcu_sched_clock_irq", SN_BT_CALLER_RCU, "rcu" },
	{ "synchronize_rcu_expedited_stall", SN_BT_CALLER_RCU, "rcu-expedited" },
	{ "synchronize_rcu_expedited_wait", SN_BT_CALLER_RCU, "rcu-expedited" },
	{ "rcu_exp_wait_wake", SN_BT_CALLER_RCU, "rcu-expedited" },
	{ "rcu_exp_sel_wait_wake", SN_BT_CALLER_RCU, "rcu-expedited" },
	{ "wait_rcu_exp_gp", SN_BT_CALLER_RCU, "rcu-expedited" },
	{ "synchronize_rcu_expedited", SN_BT_CALLER_RCU, "rcu-expedited" },
	/* drivers/tty/sysrq.c */
	{ "sysrq_handle_showallcpus", SN_BT_CALLER_SYSRQ, "sysrq" },
	{ "__handle_sysrq", SN_BT_CALLER_SYSRQ, "sysrq" },
	/* kernel/hung_task.c: the check is usually inlined into khungtaskd's watchdog()
	 */
	{ "check_hung_uninterruptible_tasks", SN_BT_CALLER_HUNG_TASK, "hung_task" },
	{ "watchdog", SN_BT_CALLER_HUNG_TASK, "hung_task" },
	/* kernel/panic.c, kernel/smp.c */
	{ "panic_trigger_all_cpu_backtrace", SN_BT_CALLER_OTHER, "panic" },
	{ "vpanic", SN_BT_CALLER_OTHER, "panic" },
	{ "panic", SN_BT_CALLER_OTHER, "panic" },
	{ "csd_lock_wait_toolong", SN_BT_CALLER_OTHER, "csd_lock" },
};

static const char *const *symbols(void)
{
	static const char *names[ELEMENTSOF(rules)];

	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		names[i] = rules[i].function;
	return names;
}

const char *const *sn_bt_caller_symbols(size_t *ret_n)
{
	*ret_n = ELEMENTSOF(rules);
	return symbols();
}

const char *sn_bt_caller_to_string(enum sn_bt_caller c)
{
	return (unsigned)c < _SN_BT_CALLER_MAX ? caller_names[c] : NULL;
}

int sn_bt_caller_from_string(const char *s, enum sn_bt_caller *ret)
{
	for (unsigned i = 0; i < _SN_BT_CALLER_MAX; i++)
		if (strcmp(s, caller_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

/* The rule of the frame's function, or NULL; *ret_offset its offset in it. */
static const struct rule *rule_of(const struct sn_ksyms *k, uint64_t addr,
				  uint64_t *ret_offset)
{
	const struct sn_ksym *s = sn_ksyms_lookup(k, addr);

	if (!s)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		if (strcmp(s->name, rules[i].function) == 0) {
			*ret_offset = addr - s->start;
			return &rules[i];
		}
	return NULL;
}

void sn_bt_caller_classify(const struct sn_ksyms *k, const uint64_t *frames,
			   size_t n_frames, struct sn_bt_caller_result *ret)
{
	const struct rule *r = NULL;
	uint64_t offset = 0, o;
	size_t i;

	*ret = (struct sn_bt_caller_result){ .caller = SN_BT_CALLER_OTHER };
	for (i = 0; i < n_frames && !r; i++) /* C1 */
		r = rule_of(k, frames[i], &offset);
	if (!r)
		return; /* C3 */
	*ret = (struct sn_bt_caller_result){ .caller = r->caller,
					     .function = r->function,
					     .offset = offset,
					     .frame = i - 1,
					     .detector = r->detector };
	for (; i < n_frames && !ret->detector; i++) { /* C2 */
		const struct rule *outer = rule_of(k, frames[i], &o);

		if (outer && outer->caller == r->caller)
			ret->detector = outer->detector;
	}
}
