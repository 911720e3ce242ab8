/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by test-bt-caller.c and test-bpf-event.c: a kallsyms excerpt and its parse
 * through lib/kallsyms.c with the symbols lib/bt-caller.c asks for. Include after
 * cmocka.h, bt-caller.h and kallsyms.h.
 */

/*
 * A kallsyms excerpt: text and data symbols, a static name twice, a module, lines out
 * of address order (as modules come after vmlinux), the caller's functions among
 * others.
 */
static const char kallsyms_text[] = "ffff800080010000 T _text\n"
				    "ffff800080100000 T watchdog_hardlockup_check\n"
				    "ffff800080100300 T watchdog_hardlockup_touch_cpu\n"
				    "ffff800080100400 t watchdog_buddy_check_hardlockup\n"
				    "ffff800080100500 t watchdog_timer_fn\n"
				    "ffff800080100800 t softlockup_fn\n"
				    "ffff800080200000 t rcu_dump_cpu_stacks\n"
				    "ffff800080200200 t print_other_cpu_stall\n"
				    "ffff800080200900 T rcu_sched_clock_irq\n"
				    "ffff800080201000 T rcu_note_context_switch\n"
				    "ffff800080300000 T dump_cpu_task\n"
				    "ffff800080300100 T arch_trigger_cpumask_backtrace\n"
				    "ffff800080300200 T nmi_trigger_cpumask_backtrace\n"
				    "ffff800080300400 T sys_info\n"
				    "ffff800080300600 t watchdog\n"
				    "ffff800080300900 t hung_task_panic\n"
				    "ffff800080400000 t sysrq_handle_showallcpus\n"
				    "ffff800080400100 T __handle_sysrq\n"
				    "ffff800080400300 t sysrq_handle_reboot\n"
				    "ffff800080500000 T panic\n"
				    "ffff800080500400 D panic_notifier_list\n"
				    "ffff800080600000 t watchdog\t[softdog]\n"
				    "ffff800080600200 t softdog_ping\t[softdog]\n"
				    "ffff800080001000 T _stext\n";

#define A(x) UINT64_C(0xffff8000##x)

static struct sn_ksyms *parse(const char *text)
{
	const char *const *names;
	struct sn_ksyms *k = NULL;
	size_t n;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	assert_non_null(f);
	names = sn_bt_caller_symbols(&n);
	assert_int_equal(sn_ksyms_parse(f, names, n, &k), 0);
	fclose(f);
	return k;
}

