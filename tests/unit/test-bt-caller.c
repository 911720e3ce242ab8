/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The caller of a backtrace request, without a kernel: /proc/kallsyms reduced to the
 * functions that matter (lib/kallsyms.c), and a kernel stack classified by them
 * (lib/bt-caller.c, rules C1-C3). The table is an excerpt of the lab kernel's own
 * (tests/fixtures/kallsyms/lab-arm64.txt, its System.map's text symbols) where it
 * matters, with module and data lines mixed in.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bt-caller.h"
#include "kallsyms.h"
#include "macro.h"

#include "ksyms-fixture.h"

static int parse_error(const char *text)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = NULL;
	const char *wanted[] = { "a" };
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = sn_ksyms_parse(f, wanted, 1, &k);
	fclose(f);
	if (r == 0)
		assert_non_null(k);
	else
		assert_null(k);
	return r;
}

static void test_kallsyms(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = parse(kallsyms_text);
	const struct sn_ksym *s;

	assert_false(k->hidden);
	assert_int_equal(k->lines, 24);
	/* watchdog twice (khungtaskd's and softdog's), panic, sysrq, ... */
	s = sn_ksyms_lookup(k, A(80100000));
	assert_non_null(s);
	assert_string_equal(s->name, "watchdog_hardlockup_check");
	assert_int_equal(s->end, A(80100300));
	assert_null(sn_ksyms_lookup(k, A(80100300))); /* the next function's */
	s = sn_ksyms_lookup(k, A(803006f0));
	assert_non_null(s);
	assert_string_equal(s->name, "watchdog");
	assert_int_equal(s->end, A(80300900));
	s = sn_ksyms_lookup(k, A(80600010));
	assert_non_null(s);
	assert_string_equal(s->name, "watchdog");
	assert_int_equal(s->start, A(80600000));
	/* panic ends at the data symbol after it */
	s = sn_ksyms_lookup(k, A(805003fc));
	assert_non_null(s);
	assert_int_equal(s->end, A(80500400));
	assert_null(sn_ksyms_lookup(k, A(80500400)));
	/* not wanted, not text */
	assert_null(sn_ksyms_lookup(k, A(80300110)));
	assert_null(sn_ksyms_lookup(k, 0));
	assert_null(sn_ksyms_lookup(NULL, A(80100000)));
}

static void test_kallsyms_edges(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *hidden = NULL, *last = NULL;
	char line[2048];

	/* Without CAP_SYSLOG every address is zero: hidden, matches nothing. */
	hidden = parse("0000000000000000 T watchdog_hardlockup_check\n"
		       "0000000000000000 T panic\n");
	assert_true(hidden->hidden);
	assert_int_equal(hidden->n, 2);
	assert_null(sn_ksyms_lookup(hidden, 0));
	/* The last symbol of all has an empty range. */
	last = parse("ffff800080500000 T panic\n");
	assert_false(last->hidden);
	assert_null(sn_ksyms_lookup(last, A(80500000)));
	/* Malformed lines */
	assert_int_equal(parse_error(""), 0);
	assert_int_equal(parse_error("ffff800080500000 T a\n"), 0);
	assert_int_equal(parse_error("ffff800080500000 T\n"), -EBADMSG);
	assert_int_equal(parse_error("ffff800080500000  a\n"), -EBADMSG);
	assert_int_equal(parse_error("ffff800080500000 TT a\n"), -EBADMSG);
	assert_int_equal(parse_error("xffff800080500000 T a\n"), -EBADMSG);
	assert_int_equal(parse_error("1ffff800080500000 T a\n"), -EBADMSG);
	assert_int_equal(parse_error(" T a\n"), -EBADMSG);
	memset(line, 'a', sizeof(line));
	memcpy(line, "0 T ", 4);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse_error(line), -EBADMSG);
}

/*
 * A table that names nothing, without an error, says why: masked (an empty file, what
 * systemd's InaccessiblePaths= reads as with CAP_DAC_OVERRIDE), addresses hidden,
 * none of the functions.
 */
static void test_kallsyms_unusable(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *good = parse(kallsyms_text),
						  *empty = NULL, *zeros = NULL,
						  *other = NULL;
	const char *const *names;
	const char *why;
	size_t n;

	assert_null(sn_ksyms_unusable(good));
	names = sn_bt_caller_symbols(&n);
	assert_int_equal(sn_ksyms_read("/dev/null", names, n, &empty), 0);
	assert_int_equal(empty->lines, 0);
	why = sn_ksyms_unusable(empty);
	assert_non_null(why);
	assert_non_null(strstr(why, "is empty (masked"));
	zeros = parse("0000000000000000 T watchdog_hardlockup_check\n"
		      "0000000000000000 T panic\n");
	why = sn_ksyms_unusable(zeros);
	assert_non_null(why);
	assert_non_null(strstr(why, "every address as zero"));
	other = parse("ffff800080010000 T _text\n"
		      "ffff800080100000 T some_other_function\n");
	assert_false(other->hidden);
	why = sn_ksyms_unusable(other);
	assert_non_null(why);
	assert_non_null(strstr(why, "names none of the functions"));
}

struct stack_case {
	const char *what;
	uint64_t frames[8];
	size_t n;
	enum sn_bt_caller caller;
	const char *function, *detector;
	size_t frame;
	uint64_t offset;
};

static void test_classify(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = parse(kallsyms_text);
	static const struct stack_case cases[] = {
		/* the BPF program and trampoline first: not in kallsyms' text */
		{ "buddy",
		  { 0xffff8000c0001234, A(80300110), A(80100120), A(80100410),
		    A(80100530) },
		  5,
		  SN_BT_CALLER_HARD_LOCKUP,
		  "watchdog_hardlockup_check",
		  "buddy",
		  2,
		  0x120 },
		{ "hard lockup, no detector known",
		  { A(80300110), A(80100120) },
		  2,
		  SN_BT_CALLER_HARD_LOCKUP,
		  "watchdog_hardlockup_check",
		  NULL,
		  1,
		  0x120 },
		{ "softlockup_all_cpu_backtrace",
		  { A(80300110), A(80100540), A(80100810) },
		  3,
		  SN_BT_CALLER_SOFT_LOCKUP,
		  "watchdog_timer_fn",
		  "softlockup",
		  1,
		  0x40 },
		{ "RCU, dump_cpu_task",
		  { A(80300110), A(80300010), A(80200010), A(80200250), A(80200990) },
		  5,
		  SN_BT_CALLER_RCU,
		  "rcu_dump_cpu_stacks",
		  "rcu",
		  2,
		  0x10 },
		{ "RCU, all inlined into the tick",
		  { A(80300110), A(80300010), A(80200990) },
		  3,
		  SN_BT_CALLER_RCU,
		  "rcu_sched_clock_irq",
		  "rcu",
		  2,
		  0x90 },
		{ "sysrq-l",
		  { A(80300110), A(80400020), A(80400150) },
		  3,
		  SN_BT_CALLER_SYSRQ,
		  "sysrq_handle_showallcpus",
		  "sysrq",
		  1,
		  0x20 },
		{ "hung task, through sys_info",
		  { A(80300110), A(80300410), A(80300680) },
		  3,
		  SN_BT_CALLER_HUNG_TASK,
		  "watchdog",
		  "hung_task",
		  2,
		  0x80 },
		{ "panic",
		  { A(80300110), A(80500010) },
		  2,
		  SN_BT_CALLER_OTHER,
		  "panic",
		  "panic",
		  1,
		  0x10 },
		{ "unknown",
		  { A(80300110), A(80201010), A(80400310) },
		  3,
		  SN_BT_CALLER_OTHER,
		  NULL,
		  NULL,
		  0,
		  0 },
		{ "no stack", {}, 0, SN_BT_CALLER_OTHER, NULL, NULL, 0, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const struct stack_case *c = &cases[i];
		struct sn_bt_caller_result res;

		sn_bt_caller_classify(k, c->frames, c->n, &res);
		if (res.caller != c->caller)
			fail_msg("%s: caller %s, expected %s", c->what,
				 sn_bt_caller_to_string(res.caller),
				 sn_bt_caller_to_string(c->caller));
		if (!c->function)
			assert_null(res.function);
		else
			assert_string_equal(res.function, c->function);
		if (!c->detector)
			assert_null(res.detector);
		else
			assert_string_equal(res.detector, c->detector);
		if (c->function) {
			assert_int_equal(res.frame, c->frame);
			assert_int_equal(res.offset, c->offset);
		}
	}

	/* C3: no symbols at all */
	struct sn_bt_caller_result res;
	sn_bt_caller_classify(NULL, cases[0].frames, cases[0].n, &res);
	assert_int_equal(res.caller, SN_BT_CALLER_OTHER);
	assert_null(res.function);

	/* Names round trip. */
	for (unsigned c = 0; c < _SN_BT_CALLER_MAX; c++) {
		enum sn_bt_caller back;

		assert_int_equal(
			sn_bt_caller_from_string(sn_bt_caller_to_string(c), &back), 0);
		assert_int_equal(back, c);
	}
	assert_null(sn_bt_caller_to_string(_SN_BT_CALLER_MAX));
	assert_int_equal(sn_bt_caller_from_string("nmi", &(enum sn_bt_caller){ 0 }),
			 -EINVAL);
}

/*
 * The lab kernel's own symbols (tests/fixtures/kallsyms/lab-arm64.txt: the text symbols
 * of the classifier's functions and of the backtrace machinery, each with the symbol
 * after it, from the lab's patched System.map; the lab kernel has no KASLR, so the
 * guest's /proc/kallsyms shows the same), and the stacks the BPF program took in the lab
 * (scenario daemon-bpf, sdei-nmid -v): the program and its trampoline first, then
 * arch_trigger_cpumask_backtrace+0x8, then the caller. The RCU one is built from the
 * table (the lab has no RCU stall scenario of its own yet).
 */
static void test_lab_kernel(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = NULL;
	const char *const *names;
	struct sn_bt_caller_result res;
	size_t n;
	/* SysRq-l: echo l > /proc/sysrq-trigger */
	const uint64_t sysrq[] = {
		0xffff800081f61810, 0xffff800081f61810, 0xffff800081f61058,
		0xffff800080022940, 0xffff8000803e5e70, 0xffff8000803e6828,
		0xffff8000803e6f58, 0xffff80008031552c, 0xffff80008029a150,
		0xffff80008029a4c8, 0xffff80008029a578, 0xffff800080023624,
		0xffff80008002370c, 0xffff800080538f18, 0xffff80008053a4c0,
		0xffff800080011640,
	};
	/* the buddy detector on CPU 1 asking for CPU 2's stack (LKDTM HARDLOCKUP) */
	const uint64_t buddy[] = {
		0xffff800081f61810, 0xffff800081f61810, 0xffff800081f61058,
		0xffff800080022940, 0xffff800080106094, 0xffff800080106d08,
		0xffff800080105b34, 0xffff8000800e3780, 0xffff8000800e4738,
		0xffff8000800e2360, 0xffff8000800f22a8, 0xffff8000800f23cc,
		0xffff800080447798, 0xffff8000800b9b98, 0xffff8000800b2614,
		0xffff8000800b272c, 0xffff8000800101f0, 0xffff800080016890,
		0xffff800080017a18, 0xffff800080539d7c, 0xffff80008053a39c,
		0xffff8000800113c0, 0xffff80008053c3e8, 0xffff80008009027c,
		0xffff8000800904f0, 0xffff800080021fc4, 0xffff800080027d4c,
	};
	/* rcu_dump_cpu_stacks, print_other_cpu_stall and check_cpu_stall are inlined
	 * there */
	const uint64_t rcu[] = { 0xffff800080022940, 0xffff800080079f20,
				 0xffff8000800c8e60, 0xffff8000800cf000 };

	names = sn_bt_caller_symbols(&n);
	assert_int_equal(
		sn_ksyms_read(FIXTURES_DIR "/kallsyms/lab-arm64.txt", names, n, &k), 0);
	assert_false(k->hidden);
	/* watchdog (khungtaskd's), watchdog_timer_fn, ... and nothing of the machinery */
	assert_string_equal(sn_ksyms_lookup(k, 0xffff800080105300)->name, "watchdog");
	assert_int_equal(sn_ksyms_lookup(k, 0xffff800080105300)->end, 0xffff800080105908);
	assert_null(sn_ksyms_lookup(k, 0xffff800080022948)); /* arch_trigger_... */
	assert_null(sn_ksyms_lookup(k, 0xffff80008052f1a0)); /* sys_info */

	sn_bt_caller_classify(k, rcu, ELEMENTSOF(rcu), &res);
	assert_int_equal(res.caller, SN_BT_CALLER_RCU);
	assert_string_equal(res.function, "rcu_dump_cpu_stacks");
	sn_bt_caller_classify(k, sysrq, ELEMENTSOF(sysrq), &res);
	assert_int_equal(res.caller, SN_BT_CALLER_SYSRQ);
	assert_string_equal(res.function, "sysrq_handle_showallcpus");
	assert_string_equal(res.detector, "sysrq");
	assert_int_equal(res.frame, 4);
	assert_int_equal(res.offset, 0x20);
	sn_bt_caller_classify(k, buddy, ELEMENTSOF(buddy), &res);
	assert_int_equal(res.caller, SN_BT_CALLER_HARD_LOCKUP);
	assert_string_equal(res.function, "watchdog_hardlockup_check");
	assert_string_equal(res.detector, "buddy");
	assert_int_equal(res.frame, 4);
	assert_int_equal(res.offset, 0x28c);
	/* ENOENT from a missing file */
	sn_ksyms_free(TAKE_PTR(k));
	assert_int_equal(
		sn_ksyms_read(FIXTURES_DIR "/kallsyms/missing.txt", names, n, &k),
		-ENOENT);
	assert_null(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_kallsyms_edges),
		cmocka_unit_test(test_kallsyms_unusable),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_lab_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
