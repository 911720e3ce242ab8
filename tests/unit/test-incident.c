/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Incidents (lib/incident.c): correlation of synthetic event sequences (rules I1-I5 and,
 * for the BPF source's signals, S1-S3 of incident.h), and of the lab's real logs through
 * the recognizer; the report each incident gives, serialized and parsed back.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "incident.h"
#include "kmsg-events.h"
#include "kmsg-reader.h"
#include "macro.h"
#include "report.h"

#define SEC 1000000ULL

/* What a closed incident was, and its report parsed back. */
struct closed {
	uint64_t number;
	enum sn_incident_kind kind;
	struct sn_cpu_set cpus;
	uint64_t detections, first_usec, last_usec, first_seq, last_seq;
	size_t n_backtraces, n_lines, n_seqs;
	uint64_t backtraces_extra, lines_dropped, signals;
	bool has_trigger, complete;
	char detector[SN_REPORT_MAX_DETECTOR + 1];
	struct sn_report *report;
};

struct collector {
	size_t n;
	struct closed c[64];
	struct sn_host host;
};

static int collect(const struct sn_incident *inc, void *userdata)
{
	struct collector *col = userdata;
	struct sn_report_time now = { .realtime_usec = 1800000000ULL * SEC,
				      .monotonic_ns = inc->last_usec * 1000 };
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	_cleanup_(freep) char *json = NULL;
	struct closed *c;
	size_t len;

	assert_true(col->n < ELEMENTSOF(col->c));
	c = &col->c[col->n++];
	*c = (struct closed){
		.number = inc->number,
		.kind = inc->kind,
		.cpus = inc->cpus,
		.detections = inc->detections,
		.first_usec = inc->first_usec,
		.last_usec = inc->last_usec,
		.first_seq = inc->first_seq,
		.last_seq = inc->last_seq,
		.n_backtraces = inc->n_backtraces,
		.n_lines = inc->n_lines,
		.n_seqs = inc->n_seqs,
		.backtraces_extra = inc->backtraces_extra,
		.lines_dropped = inc->lines_dropped,
		.signals = inc->signals,
		.has_trigger = inc->has_trigger,
		.complete = inc->complete,
	};
	memcpy(c->detector, inc->detector, sizeof(c->detector));

	assert_int_equal(sn_incident_to_report(inc, &col->host, &now, &r), 0);
	assert_int_equal(sn_report_serialize(r, &json, &len), 0);
	assert_int_equal(sn_report_parse(json, len, &c->report), 0);
	return 0;
}

static void collector_done(struct collector *col)
{
	for (size_t i = 0; i < col->n; i++)
		sn_report_free(col->c[i].report);
	sn_host_done(&col->host);
	*col = (struct collector){};
}

static struct sn_incidents *new_incidents(struct collector *col,
					  const struct sn_incident_config *cfg)
{
	struct sn_incidents *s = NULL;

	*col = (struct collector){};
	assert_int_equal(sn_incidents_new(cfg, collect, col, &s), 0);
	return s;
}

static void hard(struct sn_incidents *s, uint64_t seq, uint64_t ts, uint32_t cpu)
{
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_HARD_LOCKUP,
				    .seq = seq,
				    .ts_usec = ts };

	ev.hard_lockup.cpu = cpu;
	ev.hard_lockup.detector_cpu = (cpu + 1) % 4;
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

static void soft(struct sn_incidents *s, uint64_t seq, uint64_t ts, uint32_t cpu)
{
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_SOFT_LOCKUP,
				    .seq = seq,
				    .ts_usec = ts };

	ev.soft_lockup.cpu = cpu;
	ev.soft_lockup.seconds = 22;
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

static void hung(struct sn_incidents *s, uint64_t seq, uint64_t ts, uint32_t pid)
{
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_HUNG_TASK,
				    .seq = seq,
				    .ts_usec = ts };

	ev.hung_task.pid = pid;
	ev.hung_task.seconds = 120;
	snprintf(ev.hung_task.comm, sizeof(ev.hung_task.comm), "task%u", pid);
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

/* sched_show_task()'s block of task pid (origin task). */
static void task_backtrace(struct sn_incidents *s, uint64_t seq, uint64_t ts,
			   uint32_t pid, const char *frame)
{
	static struct sn_kmsg_backtrace bt;
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_BACKTRACE,
				    .seq = seq,
				    .ts_usec = ts };

	bt = (struct sn_kmsg_backtrace){ .origin = SN_KMSG_BT_TASK,
					 .cpu = SN_KMSG_BT_NO_CPU,
					 .has_pid = true,
					 .pid = pid,
					 .has_trace = true,
					 .n_frames = 2,
					 .n_records = 4 };
	snprintf(bt.comm, sizeof(bt.comm), "task%u", pid);
	snprintf(bt.frames[0].text, sizeof(bt.frames[0].text), "__switch_to+0xd4/0x170");
	snprintf(bt.frames[1].text, sizeof(bt.frames[1].text), "%s", frame);
	ev.backtrace = &bt;
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

static void backtrace(struct sn_incidents *s, uint64_t seq, uint64_t ts, uint32_t cpu,
		      const char *frame)
{
	static struct sn_kmsg_backtrace bt;
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_BACKTRACE,
				    .seq = seq,
				    .ts_usec = ts };

	bt = (struct sn_kmsg_backtrace){ .origin = SN_KMSG_BT_NMI,
					 .cpu = cpu,
					 .has_trace = true,
					 .n_frames = 1,
					 .n_records = 3 };
	snprintf(bt.frames[0].text, sizeof(bt.frames[0].text), "%s", frame);
	ev.backtrace = &bt;
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

static void rcu(struct sn_incidents *s, uint64_t seq, uint64_t ts, uint32_t cpu)
{
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_RCU_STALL,
				    .seq = seq,
				    .ts_usec = ts };

	ev.rcu_stall.kind = SN_KMSG_RCU_STALL_OTHER_CPU;
	ev.rcu_stall.complete = true;
	assert_int_equal(sn_cpu_set_add(&ev.rcu_stall.cpus, cpu), 0);
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

/* A signal of the BPF source; cpu < 0: it names none. */
static void signal(struct sn_incidents *s, enum sn_incident_kind kind, uint64_t ts,
		   int cpu, const char *detector, const struct sn_incident_trigger *t)
{
	struct sn_incident_signal sig = { .kind = kind,
					  .ts_usec = ts,
					  .has_cpus = cpu >= 0,
					  .detector = detector,
					  .trigger = t };

	if (cpu >= 0)
		assert_int_equal(sn_cpu_set_add(&sig.cpus, (uint32_t)cpu), 0);
	assert_int_equal(sn_incidents_add_signal(s, &sig), 0);
}

static const struct sn_evidence *evidence_of(const struct sn_report *r, uint32_t cpu)
{
	for (size_t i = 0; i < r->n_evidence; i++)
		if (r->evidence[i].cpu == cpu)
			return &r->evidence[i];
	return NULL;
}

static bool has_frame(const struct sn_evidence *e, const char *prefix)
{
	for (size_t i = 0; e && i < e->n_frames; i++)
		if (strncmp(e->frames[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* I1, I3, I4: repeats of one lockup without a backtrace make one incident. */
static void test_fold(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	hard(s, 10, 5 * SEC, 2);
	hard(s, 40, 8 * SEC + 600000, 2);
	assert_int_equal(sn_incidents_open_count(s), 1);
	assert_int_equal(sn_incidents_next_deadline(s), 8 * SEC + 600000 + 5 * SEC);

	/* Not quiet yet. */
	assert_int_equal(sn_incidents_tick(s, 13 * SEC), 0);
	assert_int_equal(col.n, 0);
	assert_int_equal(sn_incidents_tick(s, 14 * SEC), 0);
	assert_int_equal(col.n, 1);
	assert_int_equal(sn_incidents_open_count(s), 0);
	assert_int_equal(sn_incidents_next_deadline(s), 0);

	assert_int_equal(col.c[0].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_string_equal(col.c[0].detector, "buddy");
	assert_int_equal(sn_cpu_set_count(&col.c[0].cpus), 1);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(col.c[0].detections, 2);
	assert_int_equal(col.c[0].n_backtraces, 0);
	assert_int_equal(col.c[0].first_seq, 10);
	assert_int_equal(col.c[0].last_seq, 40);
	assert_int_equal(col.c[0].n_seqs, 2);

	assert_int_equal(col.c[0].report->folded_count, 1);
	assert_int_equal(col.c[0].report->n_kmsg_seqs, 2);
	e = evidence_of(col.c[0].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_NOT_REQUESTED);
	assert_int_equal(col.c[0].report->first_seen.monotonic_ns, 5 * SEC * 1000);

	collector_done(&col);
}

/*
 * I6: a backtrace of every stalled CPU completes an incident: reported at once; its
 * repeats within the window are counted, and carried into the report of the same
 * lockup past the window.
 */
static void test_complete(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	hard(s, 10, 5 * SEC, 2);
	hard(s, 11, 5 * SEC + 10, 3);
	assert_int_equal(sn_incidents_open_count(s), 2);
	backtrace(s, 12, 5 * SEC + 1000, 2, "spin+0x8/0x24");
	/* CPU 2's is whole: reported without waiting for the quiet period. */
	assert_int_equal(col.n, 1);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(col.c[0].first_seq, 10);
	assert_int_equal(col.c[0].last_seq, 14);
	assert_int_equal(col.c[0].report->folded_count, 0);
	e = evidence_of(col.c[0].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_CAPTURED);
	assert_int_equal(e->source, SN_STACK_KMSG);
	assert_true(has_frame(e, "spin"));
	assert_int_equal(sn_incidents_open_count(s), 1);

	/* Its repeats, with their backtraces: no incident. */
	for (uint64_t t = 8; t <= 35; t += 3) {
		hard(s, 100 + t, t * SEC, 2);
		backtrace(s, 101 + t, t * SEC + 1000, 2, "spin+0x8/0x24");
	}
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.repeats, 10);
	assert_int_equal(st.complete, 1);
	/* CPU 3's, without a backtrace, closed when quiet on the way. */
	assert_int_equal(col.n, 2);
	assert_true(sn_cpu_set_test(&col.c[1].cpus, 3));
	assert_int_equal(evidence_of(col.c[1].report, 3)->delivery,
			 SN_EVIDENCE_NOT_REQUESTED);
	/* Another CPU, within the window of CPU 2's: not a repeat of it. */
	hard(s, 150, 36 * SEC, 1);
	assert_int_equal(sn_incidents_open_count(s), 1);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 3);
	assert_true(sn_cpu_set_test(&col.c[2].cpus, 1));

	/* Past the window (30 s after 5 s): a new incident, the repeats folded into it.
	 */
	hard(s, 200, 38 * SEC, 2);
	assert_int_equal(sn_incidents_open_count(s), 1);
	backtrace(s, 201, 38 * SEC + 1000, 2, "spin+0x8/0x24");
	assert_int_equal(col.n, 4);
	assert_int_equal(col.c[3].detections, 11);
	assert_int_equal(col.c[3].report->folded_count, 10);
	assert_int_equal(col.c[3].first_usec, 38 * SEC);
	collector_done(&col);
}

/* I1: other CPUs, another kind: separate incidents; CPUs without a stack. */
static void test_separate(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	hard(s, 1, 1 * SEC, 2);
	hard(s, 2, 1 * SEC + 10, 3);
	soft(s, 3, 1 * SEC + 20, 2);
	assert_int_equal(sn_incidents_open_count(s), 3);
	/* CPU 3's incident is complete with it (I6) */
	backtrace(s, 4, 1 * SEC + 30, 3, "loop+0x4/0x10");
	assert_int_equal(sn_incidents_open_count(s), 2);
	assert_int_equal(col.n, 1);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 3);

	assert_true(sn_cpu_set_test(&col.c[0].cpus, 3));
	assert_int_equal(col.c[0].n_backtraces, 1);
	assert_int_equal(evidence_of(col.c[0].report, 3)->delivery, SN_EVIDENCE_CAPTURED);

	assert_int_equal(col.c[1].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_true(sn_cpu_set_test(&col.c[1].cpus, 2));
	assert_int_equal(col.c[1].n_backtraces, 0);
	e = evidence_of(col.c[1].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_NOT_REQUESTED);
	assert_string_equal(e->reason, SN_INCIDENT_NO_REQUESTS_REASON);

	assert_int_equal(col.c[2].kind, SN_INCIDENT_SOFT_LOCKUP);
	assert_string_equal(col.c[2].detector, "softlockup");
	assert_int_equal(col.c[2].report->kind, SN_INCIDENT_SOFT_LOCKUP);
	collector_done(&col);
}

/* I4: a repeat after the quiet period is a new incident; I2: the window caps one. */
static void test_quiet_and_window(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;
	uint64_t seq = 0;

	s = new_incidents(&col, NULL);
	hard(s, ++seq, 1 * SEC, 1);
	hard(s, ++seq, 7 * SEC, 1); /* 6 s of quiet: the first closed on the way */
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].detections, 1);

	/* Every 3 s from 7 s on: joins until 37 s (30 s after its first), then anew. */
	for (uint64_t t = 10; t <= 46; t += 3)
		hard(s, ++seq, t * SEC, 1);
	assert_int_equal(col.n, 2);
	assert_int_equal(col.c[1].first_usec, 7 * SEC);
	assert_int_equal(col.c[1].last_usec, 37 * SEC);
	assert_int_equal(col.c[1].detections, 11);
	assert_int_equal(col.c[1].report->folded_count, 10);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 3);
	assert_int_equal(col.c[2].first_usec, 40 * SEC);
	assert_int_equal(col.c[2].detections, 3);
	collector_done(&col);
}

/*
 * I11: hung tasks name no CPU; each task is an incident of its own, its detections
 * fold; orphaned backtraces are counted.
 */
static void test_hung_and_orphans(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;

	s = new_incidents(&col, NULL);
	backtrace(s, 1, 1 * SEC, 0, "idle+0x0/0x4");
	hung(s, 2, 2 * SEC, 100);
	hung(s, 3, 2 * SEC + 5, 101);
	hung(s, 4, 2 * SEC + 7, 100);
	backtrace(s, 5, 2 * SEC + 10, 0, "idle+0x0/0x4");
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(col.c[i].kind, SN_INCIDENT_HUNG_TASK);
		assert_true(sn_cpu_set_empty(&col.c[i].cpus));
		assert_int_equal(col.c[i].report->n_evidence, 0);
		assert_true(col.c[i].report->has_task);
		/* No "task:" block came: the task without a stack. */
		assert_int_equal(col.c[i].report->task.n_frames, 0);
	}
	/* Closed oldest first: 100 (two detections), then 101. */
	assert_int_equal(col.c[0].report->task.pid, 100);
	assert_string_equal(col.c[0].report->task.comm, "task100");
	assert_int_equal(col.c[0].detections, 2);
	assert_int_equal(col.c[1].report->task.pid, 101);
	assert_int_equal(col.c[1].detections, 1);
	assert_string_not_equal(col.c[0].report->id, col.c[1].report->id);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.orphaned, 2);
	assert_int_equal(st.opened, 2);
	assert_int_equal(st.folded, 1);
	assert_int_equal(st.closed, 2);
	collector_done(&col);
}

/*
 * I11: two hung tasks 60 s apart (the jbd2 and nfsd) are two incidents, each
 * with its own stack, complete (and closed) as soon as the task's block came.
 */
static void test_hung_tasks_stacks(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;

	s = new_incidents(&col, NULL);
	hung(s, 10, 200 * SEC, 300);
	task_backtrace(s, 13, 200 * SEC + 100, 300, "jbd2_journal_commit_transaction");
	assert_int_equal(col.n, 1);
	hung(s, 40, 260 * SEC, 1234);
	/* another task's block does not complete it */
	task_backtrace(s, 43, 260 * SEC + 50, 999, "other_wait");
	assert_int_equal(col.n, 1);
	task_backtrace(s, 50, 260 * SEC + 100, 1234, "nfsd_dispatch");
	assert_int_equal(col.n, 2);
	assert_true(col.c[0].complete);
	assert_int_equal(col.c[0].report->task.pid, 300);
	assert_int_equal(col.c[0].report->task.n_frames, 2);
	assert_string_equal(col.c[0].report->task.frames[1],
			    "jbd2_journal_commit_transaction");
	assert_true(col.c[0].report->task.has_stack_hash);
	assert_int_equal(col.c[1].report->task.pid, 1234);
	assert_string_equal(col.c[1].report->task.frames[1], "nfsd_dispatch");
	assert_int_not_equal(col.c[0].report->task.stack_hash,
			     col.c[1].report->task.stack_hash);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.orphaned, 1);
	collector_done(&col);
}

/* S1-S3: the BPF source's signal first, then the log's detection and backtrace. */
static void test_signal_then_log(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_trigger t = { .caller = SN_BT_CALLER_HARD_LOCKUP,
					 .function = "watchdog_hardlockup_check",
					 .requester_cpu = 3 };
	struct sn_incidents_stats st;
	struct collector col;
	const struct sn_report *r;

	assert_int_equal(sn_cpu_set_add(&t.targets, 2), 0);
	s = new_incidents(&col, NULL);
	signal(s, SN_INCIDENT_HARD_LOCKUP, 5 * SEC, 2, "hardlockup", &t);
	hard(s, 10, 5 * SEC + 100, 2);
	/* CPU 2's backtrace completes it (I6): reported at once */
	backtrace(s, 12, 5 * SEC + 1000, 2, "lkdtm_HARDLOCKUP+0x8/0x24");
	assert_int_equal(col.n, 1);
	/* the repeat 3.6 s later, the log's and BPF's: repeats of it, no new incident */
	signal(s, SN_INCIDENT_HARD_LOCKUP, 8 * SEC + 600000, 2, "hardlockup", &t);
	hard(s, 40, 8 * SEC + 600100, 2);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 1);
	assert_true(col.c[0].complete);
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(col.c[0].signals, 1);
	assert_string_equal(col.c[0].detector, "buddy"); /* S2: the log's */
	assert_int_equal(col.c[0].first_usec, 5 * SEC);
	assert_int_equal(col.c[0].first_seq, 10);
	r = col.c[0].report;
	assert_int_equal(r->folded_count, 0);
	assert_int_equal(r->sources, SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF);
	assert_true(r->has_trigger);
	assert_int_equal(r->trigger.caller, SN_BT_CALLER_HARD_LOCKUP);
	assert_string_equal(r->trigger.function, "watchdog_hardlockup_check");
	assert_int_equal(r->trigger.requester_cpu, 3);
	assert_true(sn_cpu_set_test(&r->trigger.targets, 2));
	assert_true(has_frame(evidence_of(r, 2), "lkdtm_HARDLOCKUP"));
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.signals, 2);
	assert_int_equal(st.repeats, 2);
	assert_int_equal(st.opened, 1);
	collector_done(&col);
}

/* S1: the log first, the signal joins; other CPUs, or past the window, do not. */
static void test_log_then_signal(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;

	s = new_incidents(&col, NULL);
	hard(s, 10, 5 * SEC, 2);
	signal(s, SN_INCIDENT_HARD_LOCKUP, 5 * SEC + 10, 2, "hardlockup", NULL);
	signal(s, SN_INCIDENT_HARD_LOCKUP, 5 * SEC + 20, 1, "hardlockup", NULL);
	signal(s, SN_INCIDENT_SOFT_LOCKUP, 5 * SEC + 30, 2, "softlockup", NULL);
	/* past the window of the first, still not quiet: a new one */
	hard(s, 20, 9 * SEC, 2);
	hard(s, 30, 13 * SEC, 2);
	hard(s, 40, 17 * SEC, 2);
	hard(s, 50, 21 * SEC, 2);
	hard(s, 60, 25 * SEC, 2);
	hard(s, 70, 29 * SEC, 2);
	hard(s, 80, 33 * SEC, 2);
	signal(s, SN_INCIDENT_HARD_LOCKUP, 36 * SEC, 2, "hardlockup", NULL);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 4);
	/* closed first, quiet at 13 s: CPU 1's, the signal's own, without a record */
	assert_int_equal(col.c[0].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 1));
	assert_int_equal(col.c[0].detections, 0);
	assert_int_equal(col.c[0].report->folded_count, 0);
	assert_int_equal(col.c[0].report->sources, SN_REPORT_SOURCE_BPF);
	assert_int_equal(col.c[0].report->n_kmsg_seqs, 0);
	assert_int_equal(col.c[0].n_lines, 0);
	assert_string_equal(col.c[0].detector, "hardlockup");
	assert_int_equal(col.c[1].kind, SN_INCIDENT_SOFT_LOCKUP);
	/* the log's, which the first signal joined */
	assert_true(sn_cpu_set_test(&col.c[2].cpus, 2));
	assert_int_equal(col.c[2].signals, 1);
	assert_int_equal(col.c[2].detections, 8);
	assert_int_equal(col.c[2].report->sources,
			 SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF);
	assert_false(col.c[2].has_trigger);
	/* the last signal came past its window */
	assert_int_equal(col.c[3].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_int_equal(col.c[3].detections, 0);
	assert_int_equal(col.c[3].signals, 1);
	assert_int_equal(col.c[3].first_usec, 36 * SEC);
	collector_done(&col);
}

/* S1, S2: an RCU stall seen from another CPU names none; the log's report does. */
static void test_signal_rcu_unknown_cpus(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_trigger t = { .caller = SN_BT_CALLER_RCU,
					 .function = "rcu_dump_cpu_stacks" };
	struct collector col;

	assert_int_equal(sn_cpu_set_add(&t.targets, 1), 0);
	s = new_incidents(&col, NULL);
	signal(s, SN_INCIDENT_RCU_STALL, 30 * SEC, -1, "rcu", NULL);
	signal(s, SN_INCIDENT_RCU_STALL, 30 * SEC + 5, 1, "rcu", &t);
	rcu(s, 100, 30 * SEC + 10, 1);
	backtrace(s, 105, 30 * SEC + 20, 1, "rcu_spin+0x8/0x10");
	/* another CPU's stall while it is open: joins no unknown any more */
	rcu(s, 120, 31 * SEC, 3);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 2);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_RCU_STALL);
	assert_int_equal(sn_cpu_set_count(&col.c[0].cpus), 1);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 1));
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(col.c[0].signals, 2);
	assert_int_equal(col.c[0].n_backtraces, 1);
	assert_int_equal(col.c[0].report->trigger.caller, SN_BT_CALLER_RCU);
	assert_true(sn_cpu_set_test(&col.c[1].cpus, 3));
	assert_int_equal(col.c[1].signals, 0);
	assert_int_equal(col.c[1].report->sources, SN_REPORT_SOURCE_KMSG);
	collector_done(&col);
}

/* SysRq-l: the signal opens an "other" incident, the log's backtraces attach. */
static void test_signal_sysrq(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_trigger t = { .caller = SN_BT_CALLER_SYSRQ,
					 .function = "sysrq_handle_showallcpus" };
	struct sn_incident_signal sig = { .kind = SN_INCIDENT_OTHER,
					  .ts_usec = 40 * SEC,
					  .has_cpus = true,
					  .detector = "sysrq",
					  .trigger = &t };
	struct collector col;

	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		assert_int_equal(sn_cpu_set_add(&t.targets, cpu), 0);
		assert_int_equal(sn_cpu_set_add(&sig.cpus, cpu), 0);
	}
	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_add_line(s, 200, 40 * SEC, "sysrq: Show backtrace"),
			 0);
	assert_int_equal(sn_incidents_add_signal(s, &sig), 0);
	assert_int_equal(
		sn_incidents_add_line(s, 201, 40 * SEC + 1, "NMI backtrace for cpu 0"),
		0);
	backtrace(s, 201, 40 * SEC + 1, 0, "sysrq_handle_showallcpus+0x1/0x2");
	assert_int_equal(
		sn_incidents_add_line(s, 205, 40 * SEC + 2, "NMI backtrace for cpu 1"),
		0);
	backtrace(s, 205, 40 * SEC + 2, 1, "do_idle+0x1c/0x30");
	assert_int_equal(sn_incidents_tick(s, 46 * SEC), 0);
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_OTHER);
	assert_string_equal(col.c[0].detector, "sysrq");
	assert_int_equal(col.c[0].n_backtraces, 2);
	assert_int_equal(col.c[0].detections, 0);
	assert_int_equal(col.c[0].first_seq, 201);
	assert_int_equal(col.c[0].n_lines, 2); /* the backtraces' records, not before */
	assert_int_equal(col.c[0].report->folded_count, 0);
	assert_int_equal(col.c[0].report->sources,
			 SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF);
	assert_string_equal(col.c[0].report->trigger.function,
			    "sysrq_handle_showallcpus");
	assert_int_equal(evidence_of(col.c[0].report, 1)->delivery, SN_EVIDENCE_CAPTURED);
	collector_done(&col);
}

/* Hung tasks: the signal and the log's detection are one; a bad kind is refused. */
static void test_signal_hung(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_signal bad = { .kind = _SN_INCIDENT_KIND_MAX };
	struct collector col;

	s = new_incidents(&col, NULL);
	signal(s, SN_INCIDENT_HUNG_TASK, 120 * SEC, -1, "hung_task", NULL);
	hung(s, 300, 120 * SEC + 50, 77);
	signal(s, SN_INCIDENT_HUNG_TASK, 120 * SEC + 60, -1, "hung_task", NULL);
	assert_int_equal(sn_incidents_add_signal(s, &bad), -EINVAL);
	bad.kind = 0;
	assert_int_equal(sn_incidents_add_signal(s, &bad), -EINVAL);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_HUNG_TASK);
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(col.c[0].signals, 2);
	assert_true(sn_cpu_set_empty(&col.c[0].cpus));
	collector_done(&col);
}

/* I4: max_open evicts the oldest. */
static void test_max_open(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_config cfg = { .max_open = 2 };
	struct sn_incidents_stats st;
	struct collector col;

	s = new_incidents(&col, &cfg);
	hard(s, 1, 1 * SEC, 0);
	hard(s, 2, 1 * SEC, 1);
	hard(s, 3, 1 * SEC, 2);
	assert_int_equal(col.n, 1);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 0));
	assert_int_equal(sn_incidents_open_count(s), 2);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.evicted, 1);
	collector_done(&col);
}

/* I5: the excerpt is the incident's records, from a bounded ring. */
static void test_excerpt(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_config cfg = { .log_max_lines = 8 };
	struct collector col;

	s = new_incidents(&col, &cfg);
	for (uint64_t seq = 1; seq <= 20; seq++)
		assert_int_equal(sn_incidents_add_line(s, seq, seq * 1000, "line"), 0);
	/* The ring holds 13-20; the incident spans 11-14 (its block 12-14). */
	hard(s, 11, 11000, 2);
	backtrace(s, 12, 12000, 2, "spin+0x0/0x4");
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].n_lines, 2);
	assert_int_equal(col.c[0].report->n_log_lines, 2);
	assert_string_equal(col.c[0].report->log_lines[0], "[    0.013000] line");
	collector_done(&col);
}

/* Lab logs, console lines -> recognizer -> incidents, as sdei-nmid does it. */
static size_t feed_lab_log(struct sn_incidents *s, const char *name)
{
	_cleanup_(sn_kmsg_events_freep) struct sn_kmsg_events *e = NULL;
	_cleanup_(freep) char *path = NULL, *line = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	static struct sn_kmsg_record rec;
	bool in = false;
	size_t cap = 0, n_lines = 0;
	uint64_t seq = 0;
	ssize_t n;

	assert_int_equal(sn_kmsg_events_new(NULL, sn_incidents_on_kmsg_event, s, &e), 0);
	assert_true(asprintf(&path, "%s/lab/%s", FIXTURES_DIR, name) > 0);
	f = fopen(path, "re");
	assert_non_null(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (!in) {
			in = strcmp(line, "LAB: kmsg-begin\n") == 0;
			continue;
		}
		if (strcmp(line, "LAB: kmsg-end\n") == 0)
			break;
		assert_int_equal(sn_kmsg_console_parse(line, (size_t)n, ++seq, &rec), 0);
		assert_int_equal(
			sn_incidents_add_line(s, rec.seq, rec.ts_usec, rec.message), 0);
		assert_int_equal(sn_kmsg_events_feed(e, &rec), 0);
		assert_int_equal(sn_incidents_tick(s, rec.ts_usec), 0);
		n_lines++;
	}
	assert_true(n_lines > 0);
	assert_int_equal(sn_kmsg_events_flush(e), 0);
	assert_int_equal(sn_incidents_flush(s), 0);
	return n_lines;
}

/*
 * hardlockup-patched.log: four detections of CPU 2 by CPU 1, 3.6 s apart, each with
 * CPU 2's backtrace (SDEI NMI): one incident, complete with the first backtrace (I6),
 * the three others repeats.
 */
static void test_lab_hardlockup_patched(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;
	const struct sn_evidence *e;
	const struct sn_report *r;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_host_read(FIXTURES_DIR "/root", &col.host, NULL), 0);
	feed_lab_log(s, "hardlockup-patched.log");
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_string_equal(col.c[0].detector, "buddy");
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(sn_cpu_set_count(&col.c[0].cpus), 1);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(col.c[0].first_usec, 5010516);
	assert_int_equal(col.c[0].last_usec, 5012023);
	assert_int_equal(col.c[0].n_backtraces, 1);
	assert_int_equal(col.c[0].backtraces_extra, 0);
	assert_true(col.c[0].n_lines >= 20);
	assert_int_equal(col.c[0].lines_dropped, 0);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.repeats, 3);
	assert_int_equal(st.complete, 1);

	r = col.c[0].report;
	assert_int_equal(r->folded_count, 0);
	assert_non_null(r->host.hostname);
	assert_int_equal(r->n_evidence, 1);
	e = evidence_of(r, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_CAPTURED);
	assert_true(has_frame(e, "lkdtm_HARDLOCKUP"));
	assert_string_equal(e->pc_sym, "lkdtm_HARDLOCKUP+0x8/0x24");
	assert_string_equal(
		r->log_lines[0],
		"[    5.010516] watchdog: CPU1: Watchdog detected hard LOCKUP on "
		"cpu 2");
	collector_done(&col);
}

/*
 * hardlockup-unpatched.log: the IPI never reaches CPU 2, so no backtrace of it comes:
 * CPU 2's incident has it not-requested; CPU 1, wedged next, is an incident of its own.
 */
static void test_lab_hardlockup_unpatched(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	feed_lab_log(s, "hardlockup-unpatched.log");
	assert_int_equal(col.n, 2);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(col.c[0].n_backtraces, 0);
	e = evidence_of(col.c[0].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_NOT_REQUESTED);
	assert_true(sn_cpu_set_test(&col.c[1].cpus, 1));
	assert_false(sn_cpu_set_test(&col.c[1].cpus, 2));
	collector_done(&col);
}

/* ---- I7-I10: backtraces from the netlink family ---- */

static char *entry_frames[] = { "lkdtm_HARDLOCKUP+0x8/0x24", "lkdtm_do_action+0x24/0x48",
				"direct_entry+0x110/0x168" };

/* A netlink entry of cpu: captured (registers, task, frames) or another delivery. */
static struct sn_entry entry(uint32_t cpu, uint32_t delivery)
{
	struct sn_entry e = { .cpu = cpu, .delivery = delivery };

	if (delivery != SDEI_NMI_DELIVERY_CAPTURED)
		return e;
	e.has_latency_ns = true;
	e.latency_ns = 1234;
	e.has_pstate = true;
	e.pstate = 0x600003c5; /* DAIF all masked, EL1h */
	e.comm = "bash";
	e.has_pid = true;
	e.pid = 77;
	e.pc_sym = "lkdtm_HARDLOCKUP+0x8/0x24";
	e.lr_sym = "lkdtm_do_action+0x24/0x48";
	e.n_frames = ELEMENTSOF(entry_frames);
	e.frames = entry_frames;
	return e;
}

static int add_entry(struct sn_incidents *s, uint32_t cpu, uint32_t delivery,
		     enum sn_stack_source source, uint64_t ts, uint64_t retry_at)
{
	struct sn_entry e = entry(cpu, delivery);

	return sn_incidents_add_entry(s, &e, source, ts, retry_at);
}

static struct sn_cpu_set wanted(struct sn_incidents *s, uint64_t now)
{
	struct sn_cpu_set cpus = {};

	sn_incidents_wanted(s, now, &cpus);
	return cpus;
}

static struct sn_cpu_set cpu_set_of(uint32_t cpu)
{
	struct sn_cpu_set cpus = {};

	assert_int_equal(sn_cpu_set_add(&cpus, cpu), 0);
	return cpus;
}

/*
 * S4: BPF's signal first, the monitor group's capture of CPU 2 next, the kernel log's
 * detection last (the lab's order on the patched kernel): one incident with all three,
 * complete only when the detection came.
 */
static void test_signal_capture_then_log(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incident_trigger t = { .caller = SN_BT_CALLER_HARD_LOCKUP,
					 .function = "watchdog_hardlockup_check",
					 .requester_cpu = 1 };
	struct collector col;
	const struct sn_report *r;

	assert_int_equal(sn_cpu_set_add(&t.targets, 2), 0);
	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	signal(s, SN_INCIDENT_HARD_LOCKUP, 5 * SEC, 2, "buddy", &t);
	assert_int_equal(add_entry(s, 2, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_MONITOR, 5 * SEC + 10, 0),
			 1);
	assert_int_equal(col.n, 0); /* not complete: no detection yet */
	hard(s, 10, 5 * SEC + 20, 2);
	assert_int_equal(col.n, 1);
	assert_true(col.c[0].complete);
	assert_int_equal(col.c[0].detections, 1);
	assert_int_equal(col.c[0].signals, 1);
	r = col.c[0].report;
	assert_int_equal(r->sources, SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF);
	assert_int_equal(r->n_kmsg_seqs, 1);
	assert_int_equal(evidence_of(r, 2)->source, SN_STACK_NETLINK_MONITOR);
	assert_true(r->has_trigger);

	/* Without the kernel log's detection it closes when quiet, all the same. */
	signal(s, SN_INCIDENT_HARD_LOCKUP, 60 * SEC, 3, "buddy", &t);
	assert_int_equal(add_entry(s, 3, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_MONITOR, 60 * SEC + 10, 0),
			 1);
	assert_int_equal(col.n, 1);
	assert_int_equal(sn_incidents_tick(s, 66 * SEC), 0);
	assert_int_equal(col.n, 2);
	assert_false(col.c[1].complete);
	assert_int_equal(col.c[1].report->sources, SN_REPORT_SOURCE_BPF);
	collector_done(&col);
}

/*
 * I7, I8, I9, I6: asked on open although the kernel log has its stack, held open past the
 * quiet period, complete (and closed) when the capture comes.
 */
static void test_request_capture(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct sn_cpu_set cpus;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_false(sn_incidents_requests_on(s));
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	assert_true(sn_incidents_requests_on(s));
	hard(s, 10, 5 * SEC, 2);
	backtrace(s, 12, 5 * SEC + 1000, 2, "spin+0x8/0x24"); /* the kernel log's */

	/* Wanted despite the kernel log's backtrace: it is not structured. */
	cpus = wanted(s, 5 * SEC);
	assert_int_equal(sn_cpu_set_count(&cpus), 1);
	assert_true(sn_cpu_set_test(&cpus, 2));
	sn_incidents_requested(s, &cpus);
	cpus = wanted(s, 5 * SEC);
	assert_true(sn_cpu_set_empty(&cpus));

	/* I9: quiet, but waiting for the answer: held, up to hold_usec. */
	assert_int_equal(sn_incidents_tick(s, 11 * SEC), 0);
	assert_int_equal(col.n, 0);
	assert_int_equal(sn_incidents_next_deadline(s), (5 + 5 + 15) * SEC + 1000);

	/* The answer makes it complete (I6): closed at once. */
	assert_int_equal(add_entry(s, 2, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_REQUEST, 11 * SEC, 0),
			 1);
	assert_int_equal(col.n, 1);
	assert_int_equal(sn_incidents_next_deadline(s), 0);

	/* I10: one entry for CPU 2, the structured one. */
	assert_int_equal(col.c[0].report->n_evidence, 1);
	e = evidence_of(col.c[0].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_CAPTURED);
	assert_int_equal(e->source, SN_STACK_NETLINK_REQUEST);
	assert_true(has_frame(e, "lkdtm_HARDLOCKUP"));
	assert_true(e->has_stack_hash);
	assert_int_equal(e->stack_hash, sn_stack_hash(entry_frames, 3));
	assert_true(e->has_pstate);
	assert_true(e->has_latency_ns);
	assert_int_equal(e->latency_ns, 1234);
	assert_string_equal(e->comm, "bash");

	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.captures, 1);
	assert_int_equal(st.held, 1);
	assert_int_equal(st.attached, 1);
	collector_done(&col);
}

/* I7: rate-limited answers are retried from retry_at, max_attempts in all. */
static void test_request_retry(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_cpu_set cpus, two = cpu_set_of(2);
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	hard(s, 1, 5 * SEC, 2);
	for (unsigned attempt = 1; attempt <= SN_INCIDENT_MAX_ATTEMPTS; attempt++) {
		uint64_t now = 5 * SEC + attempt * 100000;

		cpus = wanted(s, now);
		assert_true(sn_cpu_set_test(&cpus, 2));
		sn_incidents_requested(s, &two);
		assert_int_equal(add_entry(s, 2, SDEI_NMI_DELIVERY_RATE_LIMITED,
					   SN_STACK_NETLINK_REQUEST, now, now + 100000),
				 1);
		if (attempt < SN_INCIDENT_MAX_ATTEMPTS) {
			/* Not before retry_at. */
			cpus = wanted(s, now + 99999);
			assert_true(sn_cpu_set_empty(&cpus));
			assert_int_equal(sn_incidents_next_retry(s), now + 100000);
		}
	}
	/* The last answer was final. */
	cpus = wanted(s, 10 * SEC);
	assert_true(sn_cpu_set_empty(&cpus));
	assert_int_equal(sn_incidents_next_retry(s), 0);
	assert_int_equal(sn_incidents_tick(s, 10 * SEC), 0);
	assert_int_equal(col.n, 1);
	e = evidence_of(col.c[0].report, 2);
	assert_int_equal(e->delivery, SN_EVIDENCE_RATE_LIMITED);
	assert_null(e->reason);
	assert_int_equal(e->source, SN_STACK_NONE);
	collector_done(&col);
}

/* I10: the kernel's timeout is the outcome; a kernel log backtrace is preferred to it. */
static void test_request_outcomes(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_cpu_set cpus;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	soft(s, 1, 5 * SEC, 1);
	soft(s, 2, 5 * SEC, 3);
	backtrace(s, 3, 5 * SEC + 10, 3, "loop+0x4/0x10");
	cpus = wanted(s, 5 * SEC);
	assert_int_equal(sn_cpu_set_count(&cpus), 2);
	sn_incidents_requested(s, &cpus);
	assert_int_equal(add_entry(s, 1, SDEI_NMI_DELIVERY_TIMEOUT,
				   SN_STACK_NETLINK_REQUEST, 6 * SEC, 0),
			 1);
	assert_int_equal(add_entry(s, 3, SDEI_NMI_DELIVERY_OFFLINE,
				   SN_STACK_NETLINK_REQUEST, 6 * SEC, 0),
			 1);
	/* A notification's entry without a capture is no answer. */
	assert_int_equal(add_entry(s, 1, SDEI_NMI_DELIVERY_TIMEOUT,
				   SN_STACK_NETLINK_MONITOR, 6 * SEC, 0),
			 0);
	/* CPU 3's: its stack from the kernel log, nothing waits: complete (I6). */
	assert_int_equal(col.n, 1);
	e = evidence_of(col.c[0].report, 3);
	assert_int_equal(e->delivery, SN_EVIDENCE_CAPTURED);
	assert_int_equal(e->source, SN_STACK_KMSG);
	/* CPU 1's has no stack: it closes when quiet. */
	assert_int_equal(sn_incidents_tick(s, 10 * SEC + 10), 0);
	assert_int_equal(col.n, 2);
	e = evidence_of(col.c[1].report, 1);
	assert_int_equal(e->delivery, SN_EVIDENCE_TIMEOUT);
	collector_done(&col);
}

/*
 * I7, I9: a request refused (CPU 0), one retried and never answered (CPU 1, bounded
 * hold), one never asked (CPU 2), one whose retry was due when it closed (CPU 3).
 */
static void test_request_failures(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_cpu_set cpus = {}, zero = cpu_set_of(0), one = cpu_set_of(1);
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		hard(s, cpu + 1, 5 * SEC, cpu);
	sn_cpu_set_add(&cpus, 0);
	sn_cpu_set_add(&cpus, 1);
	sn_cpu_set_add(&cpus, 3);
	sn_incidents_requested(s, &cpus);
	assert_int_equal(
		sn_incidents_request_failed(
			s, &zero,
			"the kernel refused the request: Operation not permitted", 0),
		1);
	assert_int_equal(sn_incidents_request_failed(s, &cpus, "no reply", 6 * SEC), 2);
	/* Already answered: nothing asked is left of CPU 0. */
	assert_int_equal(sn_incidents_request_failed(s, &zero, "again", 0), 0);
	cpus = wanted(s, 6 * SEC);
	assert_int_equal(sn_cpu_set_count(&cpus),
			 3); /* 1, 3 (retries), 2 (never asked) */
	assert_false(sn_cpu_set_test(&cpus, 0));
	sn_incidents_requested(s, &one);

	/* Held to the bound: 5 + 5 + 15 s. */
	assert_int_equal(sn_incidents_tick(s, 24 * SEC), 0);
	assert_int_equal(col.n, 1); /* CPU 0's: nothing to wait for */
	assert_int_equal(sn_incidents_tick(s, 25 * SEC), 0);
	assert_int_equal(col.n, 4);

	e = evidence_of(col.c[0].report, 0);
	assert_int_equal(e->delivery, SN_EVIDENCE_UNAVAILABLE);
	assert_string_equal(e->reason,
			    "the kernel refused the request: Operation not permitted");
	e = evidence_of(col.c[1].report, 1);
	assert_int_equal(e->delivery, SN_EVIDENCE_UNAVAILABLE);
	assert_string_equal(e->reason, SN_INCIDENT_NO_ANSWER_REASON);
	e = evidence_of(col.c[2].report, 2);
	assert_int_equal(e->delivery, SN_EVIDENCE_NOT_REQUESTED);
	assert_string_equal(e->reason, SN_INCIDENT_NOT_ASKED_REASON);
	e = evidence_of(col.c[3].report, 3);
	assert_int_equal(e->delivery, SN_EVIDENCE_UNAVAILABLE);
	assert_string_equal(e->reason, "no reply");
	collector_done(&col);
}

/* I8: a monitor capture that came before the detection, within recent_usec. */
static void test_monitor_recent(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct sn_cpu_set cpus;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, true, 0, NULL), 0);
	assert_int_equal(add_entry(s, 2, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_MONITOR, 20 * SEC, 0),
			 0);
	assert_int_equal(add_entry(s, 3, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_MONITOR, 5 * SEC, 0),
			 0);
	hard(s, 1, 25 * SEC, 2); /* 5 s later: taken */
	hard(s, 2, 25 * SEC, 3); /* 20 s later: too old */
	cpus = wanted(s, 25 * SEC);
	assert_int_equal(sn_cpu_set_count(&cpus), 1);
	assert_true(sn_cpu_set_test(&cpus, 3));
	/* A later notification attaches to the open incident of its CPU. */
	assert_int_equal(add_entry(s, 3, SDEI_NMI_DELIVERY_CAPTURED,
				   SN_STACK_NETLINK_MONITOR, 26 * SEC, 0),
			 1);
	assert_int_equal(sn_incidents_flush(s), 0);
	assert_int_equal(col.n, 2);
	e = evidence_of(col.c[0].report, 2);
	assert_int_equal(e->source, SN_STACK_NETLINK_MONITOR);
	e = evidence_of(col.c[1].report, 3);
	assert_int_equal(e->source, SN_STACK_NETLINK_MONITOR);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.unmatched, 2);
	assert_int_equal(st.recent, 1);
	assert_int_equal(st.captures, 2);
	collector_done(&col);
}

/* I10: requests off, with the reason; no hold then. */
static void test_requests_off(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_cpu_set cpus;
	struct collector col;
	const struct sn_evidence *e;

	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_set_requests(s, false, SN_EVIDENCE_CAPTURED, "x"),
			 -EINVAL);
	assert_int_equal(sn_incidents_set_requests(s, false, SN_EVIDENCE_UNAVAILABLE, ""),
			 -EINVAL);
	assert_int_equal(sn_incidents_set_requests(s, false, SN_EVIDENCE_UNAVAILABLE,
						   "no sdei-nmi netlink family"),
			 0);
	hard(s, 1, 5 * SEC, 2);
	cpus = wanted(s, 5 * SEC);
	assert_true(sn_cpu_set_empty(&cpus));
	assert_int_equal(sn_incidents_next_deadline(s), 10 * SEC);
	assert_int_equal(sn_incidents_tick(s, 10 * SEC), 0);
	assert_int_equal(col.n, 1);
	e = evidence_of(col.c[0].report, 2);
	assert_int_equal(e->delivery, SN_EVIDENCE_UNAVAILABLE);
	assert_string_equal(e->reason, "no sdei-nmi netlink family");
	collector_done(&col);
}

/*
 * A tests/fixtures/kmsg/ corpus recorded in the lab ('#' lines dropped) read as /dev/kmsg
 * records by the reader, then as sdei-nmid does it: lines, recognizer, incidents, the
 * clock at each record's time.
 */
static void feed_kmsg_corpus(struct sn_incidents *s, const char *name)
{
	_cleanup_(sn_kmsg_events_freep) struct sn_kmsg_events *e = NULL;
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	_cleanup_(freep) char *path = NULL, *line = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	static struct sn_kmsg_record rec;
	size_t cap = 0, n_records = 0;
	ssize_t n;
	int fd, k;

	assert_int_equal(sn_kmsg_events_new(NULL, sn_incidents_on_kmsg_event, s, &e), 0);
	assert_true(asprintf(&path, "%s/kmsg/%s", FIXTURES_DIR, name) > 0);
	f = fopen(path, "re");
	assert_non_null(f);
	fd = memfd_create("kmsg", MFD_CLOEXEC);
	assert_true(fd >= 0);
	while ((n = getline(&line, &cap, f)) > 0)
		if (line[0] != '#')
			assert_int_equal(write(fd, line, (size_t)n), n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(
		sn_kmsg_reader_new(fd, SN_KMSG_READ_STREAM, SN_KMSG_START_BEGIN, 0, &r),
		0);
	while ((k = sn_kmsg_reader_next(r, &rec, NULL)) == 0) {
		const char *p = rec.message;

		for (const char *nl; rec.facility == 0; p = nl + 1) {
			_cleanup_(freep) char *text = NULL;

			nl = strchr(p, '\n');
			text = nl ? strndup(p, (size_t)(nl - p)) : strdup(p);
			assert_non_null(text);
			assert_int_equal(
				sn_incidents_add_line(s, rec.seq, rec.ts_usec, text), 0);
			if (!nl)
				break;
		}
		assert_int_equal(sn_kmsg_events_feed(e, &rec), 0);
		assert_int_equal(sn_incidents_tick(s, rec.ts_usec), 0);
		n_records++;
	}
	assert_int_equal(k, -ENODATA);
	assert_true(n_records > 100);
	assert_int_equal(sn_kmsg_events_flush(e), 0);
	assert_int_equal(sn_incidents_flush(s), 0);
}

static void assert_stack(const struct sn_report *r, uint32_t cpu, const char *frame)
{
	const struct sn_evidence *e = evidence_of(r, cpu);

	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_CAPTURED);
	assert_int_equal(e->source, SN_STACK_KMSG);
	assert_true(has_frame(e, frame));
}

/* The lab's corpora (tests/fixtures/kmsg/lab/): the incidents and reports. */
static void test_lab_corpus_hard_lockup(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;
	const struct sn_evidence *e;

	/* Patched: CPU 2's stack with the first detection; four repeats. */
	s = new_incidents(&col, NULL);
	feed_kmsg_corpus(s, "lab/hard-lockup-patched.kmsg");
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_string_equal(col.c[0].detector, "buddy");
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(sn_cpu_set_count(&col.c[0].cpus), 1);
	assert_stack(col.c[0].report, 2, "lkdtm_HARDLOCKUP");
	e = evidence_of(col.c[0].report, 2);
	assert_true(e->has_pstate);
	assert_int_equal(e->pstate & 0x80, 0x80);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.complete, 1);
	assert_int_equal(st.repeats, 4);
	collector_done(&col);
	s = sn_incidents_free(s);

	/*
	 * Unpatched: CPU 2 without a stack, closed when quiet; CPU 1 (waiting for it)
	 * reported three times; CPU 2 again once CPU 1's wait is over, 17 s later.
	 */
	s = new_incidents(&col, NULL);
	feed_kmsg_corpus(s, "lab/hard-lockup-unpatched.kmsg");
	assert_int_equal(col.n, 3);
	assert_true(sn_cpu_set_test(&col.c[0].cpus, 2));
	assert_int_equal(col.c[0].detections, 1);
	e = evidence_of(col.c[0].report, 2);
	assert_non_null(e);
	assert_int_equal(e->delivery, SN_EVIDENCE_NOT_REQUESTED);
	assert_true(sn_cpu_set_test(&col.c[1].cpus, 1));
	assert_int_equal(col.c[1].detections, 3);
	assert_true(sn_cpu_set_test(&col.c[2].cpus, 2));
	for (size_t i = 0; i < col.n; i++) {
		assert_int_equal(col.c[i].kind, SN_INCIDENT_HARD_LOCKUP);
		assert_int_equal(col.c[i].n_backtraces, 0);
		assert_false(col.c[i].complete);
	}
	collector_done(&col);
}

static void test_lab_corpus_soft_lockup(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;

	/* The soft lockup, then the RCU stall: CPU 3 with its own stack in each; the
	 * second soft lockup report (10 s later) is a repeat. */
	s = new_incidents(&col, NULL);
	feed_kmsg_corpus(s, "lab/soft-lockup.kmsg");
	assert_int_equal(col.n, 2);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_SOFT_LOCKUP);
	assert_string_equal(col.c[0].detector, "softlockup");
	assert_true(col.c[0].complete);
	assert_int_equal(sn_cpu_set_count(&col.c[0].cpus), 1);
	assert_stack(col.c[0].report, 3, "lkdtm_SOFTLOCKUP");
	assert_int_equal(col.c[1].kind, SN_INCIDENT_RCU_STALL);
	assert_string_equal(col.c[1].detector, "rcu");
	assert_true(col.c[1].complete);
	assert_int_equal(sn_cpu_set_count(&col.c[1].cpus), 1);
	assert_stack(col.c[1].report, 3, "lkdtm_SOFTLOCKUP");
	assert_string_equal(
		col.c[1].report->log_lines[0],
		"[   12.144632] rcu: INFO: rcu_sched self-detected stall on CPU");
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.repeats, 1);
	collector_done(&col);
}

static void test_lab_corpus_hung_task(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct sn_incidents_stats st;
	struct collector col;
	const struct sn_report *r;
	bool stack = false;

	/*
	 * Ten warnings 3 s apart: one incident, complete at the first one's "task:"
	 * block, whose stack it carries; the nine others are its repeats (I6, I11).
	 */
	s = new_incidents(&col, NULL);
	feed_kmsg_corpus(s, "lab/hung-task.kmsg");
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].kind, SN_INCIDENT_HUNG_TASK);
	assert_string_equal(col.c[0].detector, "hung_task");
	assert_true(sn_cpu_set_empty(&col.c[0].cpus));
	assert_true(col.c[0].complete);
	r = col.c[0].report;
	assert_int_equal(r->n_evidence, 0);
	assert_true(r->has_task);
	assert_string_equal(r->task.comm, "sh");
	assert_int_equal(r->task.pid, 119);
	assert_int_equal(r->task.blocked_seconds, 3);
	assert_int_equal(r->task.n_frames, 15);
	assert_string_equal(r->task.frames[3], "lkdtm_HUNG_TASK+0x1c/0x20");
	assert_string_equal(
		r->log_lines[0],
		"[    6.934007] INFO: task sh:119 blocked for more than 3 seconds.");
	for (size_t i = 0; i < r->n_log_lines; i++)
		stack = stack || strstr(r->log_lines[i], "lkdtm_HUNG_TASK");
	assert_true(stack);
	sn_incidents_get_stats(s, &st);
	assert_int_equal(st.repeats, 9);
	collector_done(&col);
}

static void synthetic(struct sn_incidents *s, uint64_t seq, uint64_t ts, const char *id)
{
	struct sn_kmsg_event ev = { .type = SN_KMSG_EVENT_SYNTHETIC,
				    .seq = seq,
				    .ts_usec = ts };

	snprintf(ev.synthetic.id, sizeof(ev.synthetic.id), "%s", id);
	ev.synthetic.uid = 1000;
	assert_int_equal(sn_incidents_feed(s, &ev), 0);
}

/*
 * Y1: a synthetic incident is reported at once, alone, its line its excerpt; two of them
 * are two reports; one in the middle of a lockup's records leaves the lockup's incident
 * and excerpt as they were.
 */
static void test_synthetic(void **state)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;
	struct collector col;
	const struct sn_report *r;

	s = new_incidents(&col, NULL);
	hard(s, 10, 5 * SEC, 2);
	assert_int_equal(sn_incidents_add_line(s, 10, 5 * SEC, "lockup"), 0);
	synthetic(s, 11, 5 * SEC + 100, "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	/* closed at once, the lockup still open */
	assert_int_equal(col.n, 1);
	assert_int_equal(sn_incidents_open_count(s), 1);
	synthetic(s, 12, 5 * SEC + 200, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
	assert_int_equal(col.n, 2);
	assert_int_equal(sn_incidents_add_line(s, 13, 5 * SEC + 300, "more lockup"), 0);
	hard(s, 13, 5 * SEC + 300, 2);
	backtrace(s, 14, 5 * SEC + 400, 2, "spin+0x8/0x24");
	assert_int_equal(col.n, 3);
	assert_int_equal(sn_incidents_open_count(s), 0);

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(col.c[i].kind, SN_INCIDENT_SYNTHETIC);
		assert_string_equal(col.c[i].detector, "sdei-nmictl");
		assert_true(sn_cpu_set_empty(&col.c[i].cpus));
		assert_int_equal(col.c[i].detections, 1);
		r = col.c[i].report;
		assert_int_equal(r->kind, SN_INCIDENT_SYNTHETIC);
		assert_string_equal(r->detector, "sdei-nmictl");
		assert_int_equal(r->folded_count, 0);
		assert_int_equal(r->n_evidence, 0);
		assert_int_equal(r->sources, SN_REPORT_SOURCE_KMSG);
		assert_int_equal(r->n_kmsg_seqs, 1);
		assert_int_equal(r->kmsg_seqs[0], 11 + i);
		assert_int_equal(r->n_log_lines, 1);
	}
	assert_string_equal(
		col.c[0].report->log_lines[0],
		"[    5.000100] sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 requested by sdei-nmictl "
		"(uid 1000)");
	assert_string_equal(
		col.c[1].report->log_lines[0],
		"[    5.000200] sdei-nmi: synthetic incident "
		"7c9e6679-7425-40de-944b-e07fc1f90ae7 requested by sdei-nmictl "
		"(uid 1000)");
	assert_string_equal(sn_incident_kind_to_string(SN_INCIDENT_SYNTHETIC),
			    "synthetic");

	/* The lockup: its own detections and lines, not the writer's. */
	assert_int_equal(col.c[2].kind, SN_INCIDENT_HARD_LOCKUP);
	assert_int_equal(col.c[2].detections, 2);
	assert_int_equal(col.c[2].first_seq, 10);
	r = col.c[2].report;
	assert_int_equal(r->n_log_lines, 2);
	assert_string_equal(r->log_lines[0], "[    5.000000] lockup");
	assert_string_equal(r->log_lines[1], "[    5.000300] more lockup");
	collector_done(&col);

	/* A caller that keeps writers' lines: the line is not added twice. */
	s = sn_incidents_free(s);
	s = new_incidents(&col, NULL);
	assert_int_equal(sn_incidents_add_line(s, 20, 9 * SEC, "the record's own line"),
			 0);
	synthetic(s, 20, 9 * SEC, "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	assert_int_equal(col.n, 1);
	assert_int_equal(col.c[0].report->n_log_lines, 1);
	assert_string_equal(col.c[0].report->log_lines[0],
			    "[    9.000000] the record's own line");
	collector_done(&col);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_separate),
		cmocka_unit_test(test_quiet_and_window),
		cmocka_unit_test(test_hung_and_orphans),
		cmocka_unit_test(test_hung_tasks_stacks),
		cmocka_unit_test(test_signal_then_log),
		cmocka_unit_test(test_log_then_signal),
		cmocka_unit_test(test_signal_rcu_unknown_cpus),
		cmocka_unit_test(test_signal_sysrq),
		cmocka_unit_test(test_signal_hung),
		cmocka_unit_test(test_signal_capture_then_log),
		cmocka_unit_test(test_max_open),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_lab_hardlockup_patched),
		cmocka_unit_test(test_lab_hardlockup_unpatched),
		cmocka_unit_test(test_request_capture),
		cmocka_unit_test(test_request_retry),
		cmocka_unit_test(test_request_outcomes),
		cmocka_unit_test(test_request_failures),
		cmocka_unit_test(test_monitor_recent),
		cmocka_unit_test(test_requests_off),
		cmocka_unit_test(test_lab_corpus_hard_lockup),
		cmocka_unit_test(test_lab_corpus_soft_lockup),
		cmocka_unit_test(test_lab_corpus_hung_task),
		cmocka_unit_test(test_synthetic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
