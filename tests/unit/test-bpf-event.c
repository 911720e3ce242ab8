/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BPF source's records (bpf/stalls.h) checked and turned into incident signals
 * (lib/bpf-event.c), without a kernel; the backtrace requests' callers named through a
 * kallsyms excerpt (see test-bt-caller.c for the classifier itself).
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

#include "bpf-event.h"
#include "bt-caller.h"
#include "kallsyms.h"
#include "macro.h"

#include "ksyms-fixture.h"

static void header(struct stalls_header *h, uint32_t type, uint32_t cpu)
{
	*h = (struct stalls_header){ .type = type,
				     .cpu = cpu,
				     .ts_ns = 12345678901,
				     .pid = 42,
				     .tgid = 42,
				     .comm = "bash" };
}

static void test_parse(void **state)
{
	struct stalls_rcu_event rcu;
	struct stalls_hang_event hang;
	static struct stalls_backtrace_event bt;
	struct sn_bpf_event ev;

	header(&rcu.h, STALLS_EVENT_RCU_STALL, 1);
	memset(rcu.rcuname, 0, sizeof(rcu.rcuname));
	memset(rcu.msg, 0, sizeof(rcu.msg));
	strcpy(rcu.rcuname, "rcu_preempt");
	strcpy(rcu.msg, "SelfDetected");
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), 0);
	assert_int_equal(ev.type, SN_BPF_EVENT_RCU_STALL);
	assert_int_equal(ev.cpu, 1);
	assert_int_equal(ev.ts_usec, 12345678);
	assert_string_equal(ev.comm, "bash");
	assert_string_equal(ev.rcu.rcuname, "rcu_preempt");
	assert_int_equal(ev.rcu.kind, SN_BPF_RCU_SELF);
	assert_string_equal(sn_bpf_rcu_kind_to_string(ev.rcu.kind), "self");
	strcpy(rcu.msg, "StallDetected");
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), 0);
	assert_int_equal(ev.rcu.kind, SN_BPF_RCU_OTHER_CPU);
	strcpy(rcu.msg, "Whatever");
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), 0);
	assert_int_equal(ev.rcu.kind, SN_BPF_RCU_UNKNOWN);
	/* size, strings, CPU, type */
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu) - 8, &ev), -EBADMSG);
	assert_int_equal(sn_bpf_event_parse(&rcu, 4, &ev), -EBADMSG);
	memset(rcu.msg, 'x', sizeof(rcu.msg));
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), -EBADMSG);
	strcpy(rcu.msg, "SelfDetected");
	memset(rcu.h.comm, 'x', sizeof(rcu.h.comm));
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), -EBADMSG);
	header(&rcu.h, STALLS_EVENT_RCU_STALL, SN_CPU_SET_MAX);
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), -EBADMSG);
	header(&rcu.h, 7, 1);
	assert_int_equal(sn_bpf_event_parse(&rcu, sizeof(rcu), &ev), -EPROTO);

	header(&hang.h, STALLS_EVENT_HUNG_TASK, 0);
	hang.pid = 77;
	hang.tgid = 70;
	memset(hang.comm, 0, sizeof(hang.comm));
	strcpy(hang.comm, "lkdtm");
	hang.state = 2;
	hang.flags = STALLS_HANG_IOWAIT;
	assert_int_equal(sn_bpf_event_parse(&hang, sizeof(hang), &ev), 0);
	assert_int_equal(ev.hang.pid, 77);
	assert_int_equal(ev.hang.tgid, 70);
	assert_string_equal(ev.hang.comm, "lkdtm");
	assert_true(ev.hang.iowait);
	hang.flags = 0x10;
	assert_int_equal(sn_bpf_event_parse(&hang, sizeof(hang), &ev), -EBADMSG);

	header(&bt.h, STALLS_EVENT_BACKTRACE, 3);
	memset(bt.mask, 0, sizeof(bt.mask));
	bt.mask[0] = 0xf;
	bt.mask_bytes = 8;
	bt.exclude_cpu = 3;
	bt.stack_bytes = 3 * 8;
	bt.stack[0] = A(80300110);
	bt.stack[1] = A(80100120);
	bt.stack[2] = A(80100410);
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), 0);
	assert_int_equal(ev.backtrace.exclude_cpu, 3);
	assert_int_equal(sn_cpu_set_count(&ev.backtrace.targets), 3);
	assert_false(sn_cpu_set_test(&ev.backtrace.targets, 3));
	assert_int_equal(ev.backtrace.n_frames, 3);
	assert_int_equal(ev.backtrace.frames[2], A(80100410));
	assert_int_equal(ev.backtrace.stack_error, 0);
	/* a large machine's mask */
	bt.mask[63] = UINT64_C(1) << 63;
	bt.mask_bytes = sizeof(bt.mask);
	bt.exclude_cpu = -1;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), 0);
	assert_true(sn_cpu_set_test(&ev.backtrace.targets, 4095));
	assert_int_equal(sn_cpu_set_count(&ev.backtrace.targets), 5);
	/* the stack could not be taken */
	bt.stack_bytes = -EFAULT;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), 0);
	assert_int_equal(ev.backtrace.stack_error, -EFAULT);
	assert_int_equal(ev.backtrace.n_frames, 0);
	/* lengths past their arrays, odd lengths, CPUs out of range */
	bt.stack_bytes = sizeof(bt.stack) + 8;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.stack_bytes = 12;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.stack_bytes = -100000;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.stack_bytes = 0;
	bt.mask_bytes = sizeof(bt.mask) + 8;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.mask_bytes = 4;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.mask_bytes = 8;
	bt.exclude_cpu = SN_CPU_SET_MAX;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.exclude_cpu = -2;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt), &ev), -EBADMSG);
	bt.exclude_cpu = -1;
	assert_int_equal(sn_bpf_event_parse(&bt, sizeof(bt) + 8, &ev), -EBADMSG);
}

static struct sn_bpf_event backtrace_event(uint32_t cpu, int32_t exclude, uint64_t mask,
					   const uint64_t *frames, size_t n)
{
	struct sn_bpf_event ev = { .type = SN_BPF_EVENT_BACKTRACE,
				   .cpu = cpu,
				   .ts_usec = 5000000 };

	ev.backtrace.exclude_cpu = exclude;
	ev.backtrace.targets.bits[0] = mask;
	if (exclude >= 0)
		ev.backtrace.targets.bits[0] &= ~(UINT64_C(1) << exclude);
	memcpy(ev.backtrace.frames, frames, n * sizeof(*frames));
	ev.backtrace.n_frames = n;
	return ev;
}

static void test_signal(void **state)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = parse(kallsyms_text);
	static const uint64_t buddy[] = { A(80300110), A(80100120), A(80100410) };
	static const uint64_t soft[] = { A(80300110), A(80100540) };
	static const uint64_t rcu[] = { A(80300110), A(80300010), A(80200010) };
	static const uint64_t sysrq[] = { A(80300110), A(80400020) };
	static const uint64_t hung[] = { A(80300110), A(80300410), A(80300680) };
	struct sn_incident_trigger t;
	struct sn_incident_signal sig;
	struct sn_bpf_event ev;

	/* buddy: the stalled CPU's backtrace */
	ev = backtrace_event(1, -1, 1u << 2, buddy, ELEMENTSOF(buddy));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_HARD_LOCKUP);
	assert_string_equal(sig.detector, "buddy");
	assert_true(sig.has_cpus);
	assert_int_equal(sn_cpu_set_count(&sig.cpus), 1);
	assert_true(sn_cpu_set_test(&sig.cpus, 2));
	assert_ptr_equal(sig.trigger, &t);
	assert_int_equal(t.caller, SN_BT_CALLER_HARD_LOCKUP);
	assert_string_equal(t.function, "watchdog_hardlockup_check");
	assert_int_equal(t.requester_cpu, 1);
	assert_int_equal(sig.ts_usec, 5000000);
	/* hardlockup_all_cpu_backtrace: everyone but the stalled one */
	ev = backtrace_event(1, 2, 0xf, buddy, ELEMENTSOF(buddy));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sn_cpu_set_count(&sig.cpus), 1);
	assert_true(sn_cpu_set_test(&sig.cpus, 2));
	assert_int_equal(sn_cpu_set_count(&t.targets), 3);
	/* softlockup_all_cpu_backtrace: the requester is the stalled one */
	ev = backtrace_event(3, 3, 0xf, soft, ELEMENTSOF(soft));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_SOFT_LOCKUP);
	assert_true(sn_cpu_set_test(&sig.cpus, 3));
	assert_int_equal(sn_cpu_set_count(&sig.cpus), 1);
	/* RCU's dump_cpu_task() */
	ev = backtrace_event(0, -1, 1u << 1, rcu, ELEMENTSOF(rcu));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_RCU_STALL);
	assert_true(sn_cpu_set_test(&sig.cpus, 1));
	/* SysRq-l: what it dumps */
	ev = backtrace_event(0, -1, 0xf, sysrq, ELEMENTSOF(sysrq));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_OTHER);
	assert_string_equal(sig.detector, "sysrq");
	assert_int_equal(sn_cpu_set_count(&sig.cpus), 4);
	/* the hung-task detector: no stalled CPU */
	ev = backtrace_event(0, -1, 0xf, hung, ELEMENTSOF(hung));
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_HUNG_TASK);
	assert_false(sig.has_cpus);
	assert_int_equal(t.caller, SN_BT_CALLER_HUNG_TASK);
	/* no symbols: other, what it dumps, no function */
	ev = backtrace_event(0, -1, 0x3, buddy, ELEMENTSOF(buddy));
	sn_bpf_event_to_signal(&ev, NULL, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_OTHER);
	assert_null(sig.detector);
	assert_string_equal(t.function, "");
	assert_int_equal(sn_cpu_set_count(&sig.cpus), 2);

	/* RCU stall warnings: self-detected names the CPU, the others none */
	ev = (struct sn_bpf_event){ .type = SN_BPF_EVENT_RCU_STALL, .cpu = 2 };
	ev.rcu.kind = SN_BPF_RCU_SELF;
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_RCU_STALL);
	assert_true(sig.has_cpus);
	assert_true(sn_cpu_set_test(&sig.cpus, 2));
	assert_null(sig.trigger);
	ev.rcu.kind = SN_BPF_RCU_OTHER_CPU;
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_false(sig.has_cpus);
	/* hung task */
	ev = (struct sn_bpf_event){ .type = SN_BPF_EVENT_HUNG_TASK, .cpu = 2 };
	sn_bpf_event_to_signal(&ev, k, &sig, &t);
	assert_int_equal(sig.kind, SN_INCIDENT_HUNG_TASK);
	assert_string_equal(sig.detector, "hung_task");
	assert_false(sig.has_cpus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
