/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel log recognizer against the lab's real console logs
 * (tests/fixtures/lab/, the dump between "LAB: kmsg-begin" and "LAB: kmsg-end"), against
 * synthetic /dev/kmsg corpora built from the kernel's format strings
 * (tests/fixtures/kmsg/, read through the reader), and against malformed, overlong,
 * interleaved and timed-out input.
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

#include "kmsg-events.h"
#include "kmsg-reader.h"
#include "macro.h"

/* ---- collecting events ---- */

struct collector {
	size_t n, cap;
	struct sn_kmsg_event *ev;
	struct sn_kmsg_backtrace **bt; /* copies, for BACKTRACE events */
	int fail_with;		       /* returned by the handler when not 0 */
};

static int collect(const struct sn_kmsg_event *ev, void *userdata)
{
	struct collector *c = userdata;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->ev = realloc(c->ev, c->cap * sizeof(*c->ev));
		c->bt = realloc(c->bt, c->cap * sizeof(*c->bt));
		assert_non_null(c->ev);
		assert_non_null(c->bt);
	}
	c->ev[c->n] = *ev;
	c->bt[c->n] = NULL;
	if (ev->type == SN_KMSG_EVENT_BACKTRACE) {
		c->bt[c->n] = malloc(sizeof(*ev->backtrace));
		assert_non_null(c->bt[c->n]);
		memcpy(c->bt[c->n], ev->backtrace, sizeof(*ev->backtrace));
		c->ev[c->n].backtrace = c->bt[c->n];
	}
	c->n++;
	return c->fail_with;
}

static void collector_done(struct collector *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->bt[i]);
	free(c->ev);
	free(c->bt);
	*c = (struct collector){};
}

static size_t count(const struct collector *c, enum sn_kmsg_event_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->ev[i].type == t;
	return n;
}

/* The k-th event of type t. */
static const struct sn_kmsg_event *nth(const struct collector *c,
				       enum sn_kmsg_event_type t, size_t k)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ev[i].type == t && k-- == 0)
			return &c->ev[i];
	fail_msg("no event %s #%zu", sn_kmsg_event_type_to_string(t), k);
	return NULL;
}

/* The backtrace events of origin o. */
static size_t count_origin(const struct collector *c, enum sn_kmsg_bt_origin o)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->ev[i].type == SN_KMSG_EVENT_BACKTRACE && c->bt[i]->origin == o;
	return n;
}

/* The k-th backtrace of origin o. */
static const struct sn_kmsg_backtrace *nth_origin(const struct collector *c,
						  enum sn_kmsg_bt_origin o, size_t k)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ev[i].type == SN_KMSG_EVENT_BACKTRACE && c->bt[i]->origin == o &&
		    k-- == 0)
			return c->bt[i];
	fail_msg("no backtrace of origin %s #%zu", sn_kmsg_bt_origin_to_string(o), k);
	return NULL;
}

/* The backtrace events of cpu, in order. */
static size_t count_bt(const struct collector *c, uint32_t cpu)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->ev[i].type == SN_KMSG_EVENT_BACKTRACE &&
		     c->ev[i].backtrace->cpu == cpu;
	return n;
}

static const struct sn_kmsg_backtrace *nth_bt(const struct collector *c, uint32_t cpu,
					      size_t k)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ev[i].type == SN_KMSG_EVENT_BACKTRACE &&
		    c->ev[i].backtrace->cpu == cpu && k-- == 0)
			return c->ev[i].backtrace;
	fail_msg("no backtrace of cpu %u", cpu);
	return NULL;
}

static bool has_frame(const struct sn_kmsg_backtrace *b, const char *func)
{
	size_t n = strlen(func);

	for (size_t i = 0; i < b->n_frames; i++)
		if (strncmp(b->frames[i].text, func, n) == 0 &&
		    b->frames[i].text[n] == '+')
			return true;
	return false;
}

static void assert_cpus(const struct sn_cpu_set *s, const char *list)
{
	char buf[256];

	assert_int_equal(sn_cpu_set_format(s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, list);
}

/* ---- feeding ---- */

/* The gzip'ed logs need gzip(1); without it their tests are skipped, not passed. */
static bool have_gzip(void)
{
	return system("gzip --version >/dev/null 2>&1") == 0;
}

struct run {
	struct collector c;
	struct sn_kmsg_events *e;
	struct sn_kmsg_events_stats st;
	size_t lines; /* console lines fed */
};

static void run_start(struct run *run, const struct sn_kmsg_events_config *cfg)
{
	*run = (struct run){};
	assert_int_equal(sn_kmsg_events_new(cfg, collect, &run->c, &run->e), 0);
}

static void run_finish(struct run *run)
{
	assert_int_equal(sn_kmsg_events_flush(run->e), 0);
	sn_kmsg_events_get_stats(run->e, &run->st);
}

static void run_done(struct run *run)
{
	run->e = sn_kmsg_events_free(run->e);
	collector_done(&run->c);
}

/*
 * A lab console log, plain or gzip'ed: the kernel log dump between "LAB: kmsg-begin"
 * and "LAB: kmsg-end" when it has one (every line of it must parse), else every line
 * that parses as console output.
 */
static void feed_lab_log(struct run *run, const char *name)
{
	_cleanup_(freep) char *path = NULL, *all = NULL, *line = NULL;
	size_t all_len = 0, cap = 0;
	bool gz = strstr(name, ".gz") != NULL, dump, in = false;
	static struct sn_kmsg_record rec;
	FILE *f, *mem;
	ssize_t n;
	uint64_t seq = 0;

	assert_true(asprintf(&path, "%s/lab/%s", FIXTURES_DIR, name) > 0);
	if (gz) {
		_cleanup_(freep) char *cmd = NULL;

		assert_true(asprintf(&cmd, "gzip -dc '%s'", path) > 0);
		f = popen(cmd, "r");
	} else {
		f = fopen(path, "re");
	}
	assert_non_null(f);
	mem = open_memstream(&all, &all_len);
	assert_non_null(mem);
	while ((n = getline(&line, &cap, f)) > 0)
		assert_int_equal(fwrite(line, 1, (size_t)n, mem), (size_t)n);
	assert_int_equal(gz ? pclose(f) : fclose(f), 0);
	assert_int_equal(fclose(mem), 0);

	dump = strstr(all, "\nLAB: kmsg-begin\n") != NULL;
	for (char *p = all, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		if (dump && !in) {
			in = strncmp(p, "LAB: kmsg-begin\n", 16) == 0;
			continue;
		}
		if (dump && strncmp(p, "LAB: kmsg-end\n", 14) == 0)
			break;
		if (sn_kmsg_console_parse(p, (size_t)(nl - p), ++seq, &rec) < 0) {
			if (dump)
				fail_msg("%s: not a console line: %.*s", name,
					 (int)(nl - p), p);
			seq--;
			continue;
		}
		run->lines++;
		assert_int_equal(sn_kmsg_events_feed(run->e, &rec), 0);
	}
	assert_true(run->lines > 0);
	run_finish(run);
}

/*
 * A tests/fixtures/kmsg/ corpus: '#' lines dropped, the rest put in a memfd and read as
 * a stream of records by the reader, record by record into the recognizer.
 */
static void feed_kmsg_fixture(struct run *run, const char *name,
			      struct sn_kmsg_reader_stats *ret_rstats)
{
	_cleanup_(freep) char *path = NULL, *line = NULL;
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	static struct sn_kmsg_record rec;
	size_t cap = 0;
	ssize_t n;
	int fd, k;

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

	while ((k = sn_kmsg_reader_next(r, &rec, NULL)) == 0)
		assert_int_equal(sn_kmsg_events_feed(run->e, &rec), 0);
	assert_int_equal(k, -ENODATA);
	sn_kmsg_reader_get_stats(r, ret_rstats);
	run_finish(run);
}

static void assert_clean(const struct run *run)
{
	assert_int_equal(run->st.malformed, 0);
	assert_int_equal(run->st.overlong, 0);
	assert_int_equal(run->st.out_of_range, 0);
	assert_int_equal(run->st.frames_dropped, 0);
	assert_int_equal(run->st.truncated, 0);
	assert_int_equal(run->st.incomplete, 0);
	assert_int_equal(run->st.lost, 0);
	assert_int_equal(run->st.out_of_order, 0);
	assert_int_equal(run->st.events, run->c.n);
}

/* The lkdtm HARDLOCKUP backtrace of CPU 2 as the patched kernel prints it. */
static void assert_cpu2_hardlockup_bt(const struct sn_kmsg_backtrace *b)
{
	assert_int_equal(b->origin, SN_KMSG_BT_NMI);
	assert_int_equal(b->cpu, 2);
	assert_false(b->idle);
	assert_true(b->has_pid);
	assert_int_equal(b->pid, 112);
	assert_string_equal(b->comm, "sh");
	assert_true(b->has_pstate);
	assert_int_equal(b->pstate, 0x600000c5);
	assert_false(b->has_pc);
	assert_string_equal(b->pc_sym, "lkdtm_HARDLOCKUP+0x8/0x24");
	assert_false(b->has_lr);
	assert_string_equal(b->lr_sym, "lkdtm_do_action+0x18/0x30");
	assert_true(b->has_sp);
	assert_true(b->has_trace);
	assert_int_equal(b->n_frames, 11);
	assert_int_equal(b->n_frames_dropped, 0);
	assert_string_equal(b->frames[0].text, "lkdtm_HARDLOCKUP+0x8/0x24");
	assert_string_equal(b->frames[0].info, "P");
	assert_string_equal(b->frames[1].text, "direct_entry+0xa0/0x11c");
	assert_string_equal(b->frames[1].info, "");
	assert_string_equal(b->frames[10].text, "el0t_64_sync+0x168/0x16c");
	assert_true(has_frame(b, "lkdtm_HARDLOCKUP"));
	/* header, CPU, Hardware name, pstate, pc, lr, sp, 10 register lines, Call trace,
	 * 11 frames */
	assert_int_equal(b->n_records, 29);
	assert_int_equal(b->n_interleaved, 0);
	assert_int_equal(b->end, SN_KMSG_END_DONE);
}

/* ---- the lab's logs ---- */

static void test_lab_hardlockup_patched(void **state)
{
	struct run run;

	run_start(&run, NULL);
	feed_lab_log(&run, "hardlockup-patched.log");
	assert_clean(&run);

	/* The buddy detector, every 3.6 s: CPU 1 sees CPU 2, asks it for its backtrace
	 * and gets it. */
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), 4);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 4);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 4);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 0);
	assert_int_equal(run.c.n, 12);
	for (size_t i = 0; i < 4; i++) {
		const struct sn_kmsg_event *hl =
			nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, i);
		const struct sn_kmsg_event *send = nth(&run.c, SN_KMSG_EVENT_NMI_SEND, i);
		const struct sn_kmsg_event *bt = nth(&run.c, SN_KMSG_EVENT_BACKTRACE, i);

		assert_int_equal(hl->hard_lockup.cpu, 2);
		assert_int_equal(hl->hard_lockup.detector_cpu, 1);
		assert_int_equal(send->nmi_send.from_cpu, 1);
		assert_cpus(&send->nmi_send.cpus, "2");
		assert_true(hl->seq < send->seq && send->seq < bt->seq);
		assert_cpu2_hardlockup_bt(bt->backtrace);
		assert_int_equal(bt->backtrace->sp, 0xffff800080ba3cc0);
	}
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 0)->ts_usec, 5010516);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_BACKTRACE, 0)->ts_usec, 5012023);
	run_done(&run);
}

static void test_lab_hardlockup_unpatched(void **state)
{
	struct run run;

	run_start(&run, NULL);
	feed_lab_log(&run, "hardlockup-unpatched.log");
	assert_clean(&run);

	/* The lockup is seen, the NMI asked for, and no backtrace of CPU 2 ever comes. */
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), 3);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 0)->hard_lockup.cpu, 2);
	assert_int_equal(
		nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 0)->hard_lockup.detector_cpu, 1);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 1)->hard_lockup.cpu, 1);
	assert_int_equal(
		nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 1)->hard_lockup.detector_cpu, 0);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 1);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_SEND, 0)->nmi_send.cpus, "2");
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 0);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 1);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT, 0)->nmi_timeout.seconds,
			 10);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT, 0)->nmi_timeout.cpus, "2");
	run_done(&run);
}

static void test_lab_sysrq_l_patched(void **state)
{
	const struct sn_kmsg_backtrace *b;
	struct run run;

	run_start(&run, NULL);
	feed_lab_log(&run, "sysrq-l-patched.log");
	assert_clean(&run);

	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 1);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_NMI_SEND, 0)->nmi_send.from_cpu, 0);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_SEND, 0)->nmi_send.cpus, "1-3");
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 4);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 0);
	for (uint32_t cpu = 0; cpu < 4; cpu++)
		assert_int_equal(count_bt(&run.c, cpu), 1);

	/* CPU 0 asked: dump_stack() in task context, no registers. */
	b = nth_bt(&run.c, 0, 0);
	assert_false(b->idle);
	assert_string_equal(b->comm, "init");
	assert_int_equal(b->pid, 1);
	assert_false(b->has_pstate || b->has_pc || b->has_sp || b->pc_sym[0]);
	assert_int_equal(b->n_frames, 18);
	assert_string_equal(b->frames[0].text, "show_stack+0x14/0x1c");
	assert_string_equal(b->frames[0].info, "C");
	assert_true(has_frame(b, "nmi_cpu_backtrace"));
	assert_true(has_frame(b, "sysrq_handle_showallcpus"));
	assert_int_equal(b->end, SN_KMSG_END_DONE);

	/* Idle CPUs. */
	for (uint32_t cpu = 1; cpu < 4; cpu += 2) {
		b = nth_bt(&run.c, cpu, 0);
		assert_true(b->idle);
		assert_string_equal(b->pc_sym, "cpu_do_idle+0x14/0x48");
		assert_int_equal(b->n_frames, 0);
		assert_int_equal(b->n_records, 1);
	}

	/* The wedged CPU, through the SDEI NMI. */
	b = nth_bt(&run.c, 2, 0);
	assert_cpu2_hardlockup_bt(b);
	assert_int_equal(b->sp, 0xffff800080bbbcc0);
	run_done(&run);
}

static void test_lab_sysrq_l_unpatched(void **state)
{
	struct run run;

	run_start(&run, NULL);
	feed_lab_log(&run, "sysrq-l-unpatched.log");
	assert_clean(&run);

	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 3);
	assert_int_equal(count_bt(&run.c, 0), 1);
	assert_int_equal(count_bt(&run.c, 1), 1);
	assert_int_equal(count_bt(&run.c, 2), 0);
	assert_int_equal(count_bt(&run.c, 3), 1);
	assert_true(nth_bt(&run.c, 3, 0)->idle);
	assert_string_equal(nth_bt(&run.c, 3, 0)->pc_sym, "default_idle_call+0x28/0x54");
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 1);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT, 0)->nmi_timeout.cpus, "2");
	run_done(&run);
}

/* A real RCU stall: the unpatched kernel's halt waits on the wedged CPU. */
static void test_lab_rcu_stall(void **state)
{
	static const char *const logs[] = { "halt-unpatched.log",
					    "reboot-unpatched.log" };

	for (size_t i = 0; i < ELEMENTSOF(logs); i++) {
		const struct sn_kmsg_rcu_stall *s;
		struct run run;

		run_start(&run, NULL);
		feed_lab_log(&run, logs[i]);
		assert_clean(&run);

		assert_int_equal(count(&run.c, SN_KMSG_EVENT_RCU_STALL), 1);
		s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0)->rcu_stall;
		assert_int_equal(s->kind, SN_KMSG_RCU_STALL_OTHER_CPU);
		assert_string_equal(s->flavor, "rcu_sched");
		assert_true(s->complete);
		assert_int_equal(s->end, SN_KMSG_END_DONE);
		assert_cpus(&s->cpus, "2");
		assert_true(s->has_detector);
		assert_int_equal(s->detector_cpu, 0);
		assert_true(s->has_gp);
		assert_int_equal(s->jiffies, 5252);
		assert_true(s->gp_seq < 0);
		assert_int_equal(s->ncpus, 4);
		assert_false(s->suppressed);
		assert_int_equal(s->n_tasks, 0);

		/* rcu_dump_cpu_stacks() asks CPU 2, which never answers. */
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 1);
		assert_int_equal(count_origin(&run.c, SN_KMSG_BT_NMI), 0);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 1);
		/* Then the lab's watchdog shows the task stuck (SysRq-w). */
		assert_int_equal(count_origin(&run.c, SN_KMSG_BT_TASK), 1);
		assert_int_equal(run.c.n, 4);
		run_done(&run);
	}
	/* halt-unpatched: g=-1035, q=43 */
}

/*
 * Every log: how many events of each kind, and that nothing is malformed, dropped or
 * cut. Every backtrace that is not idle has a whole trace with a task.
 */
static void lab_all(bool gz)
{
	static const struct {
		const char *name;
		size_t hard, rcu, send, timeout, bt, bt_idle, tasks;
	} logs[] = {
		{ "halt-patched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "halt-unpatched.log", 0, 1, 1, 1, 0, 0, 1 },
		{ "hardlockup-patched.log", 4, 0, 4, 0, 4, 0, 0 },
		{ "hardlockup-unpatched.log", 3, 0, 1, 1, 0, 0, 0 },
		{ "nl-backtrace-patched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "nl-backtrace-unpatched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "nl-limits-patched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "nl-limits-unpatched.log", 0, 0, 0, 0, 0, 0, 0 },
		/* recorded with idle states on: an idle CPU's backtrace is in full */
		{ "nl-monitor-patched.log", 0, 0, 1, 0, 4, 0, 0 },
		{ "nl-monitor-unpatched.log", 0, 0, 1, 1, 3, 0, 0 },
		{ "no-sdei-patched.log", 0, 0, 1, 0, 4, 3, 0 },
		{ "no-sdei-unpatched.log", 0, 0, 1, 0, 4, 3, 0 },
		{ "panic-patched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "panic-unpatched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "reboot-patched.log", 0, 0, 0, 0, 0, 0, 0 },
		{ "reboot-unpatched.log", 0, 1, 1, 1, 0, 0, 1 },
		{ "sysrq-l-patched.log", 0, 0, 1, 0, 4, 2, 0 },
		{ "sysrq-l-unpatched.log", 0, 0, 1, 1, 3, 2, 0 },
		/* Negative controls and stress: sysrq-l every few ms, CPUs going away. */
		{ "healthy-patched.log.gz", 0, 0, 200, 0, 800, 585, 0 },
		{ "healthy-unpatched.log.gz", 0, 0, 200, 0, 800, 599, 0 },
		{ "hotplug-patched.log.gz", 0, 0, 391, 0, 1540, 1010, 0 },
		{ "hotplug-unpatched.log.gz", 0, 0, 390, 0, 1537, 1046, 0 },
		{ "nl-stress-patched.log.gz", 0, 0, 0, 0, 0, 0, 0 },
		{ "nl-stress-unpatched.log.gz", 0, 0, 0, 0, 0, 0, 0 },
	};

	for (size_t i = 0; i < ELEMENTSOF(logs); i++) {
		size_t idle = 0, interleaved = 0;
		struct run run;

		if (gz != (strstr(logs[i].name, ".gz") != NULL))
			continue;
		run_start(&run, NULL);
		feed_lab_log(&run, logs[i].name);
		assert_clean(&run);
		assert_int_equal(run.st.records, run.lines);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), logs[i].hard);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP), 0);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_HUNG_TASK), 0);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_RCU_STALL), logs[i].rcu);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), logs[i].send);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT),
				 logs[i].timeout);
		assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE),
				 logs[i].bt + logs[i].tasks);
		/* SysRq-w's blocked tasks (the lab's halt and reboot watchdogs). */
		assert_int_equal(count_origin(&run.c, SN_KMSG_BT_TASK), logs[i].tasks);
		for (size_t k = 0; k < logs[i].tasks; k++) {
			const struct sn_kmsg_backtrace *b =
				nth_origin(&run.c, SN_KMSG_BT_TASK, k);

			assert_int_equal(b->cpu, SN_KMSG_BT_NO_CPU);
			assert_true(b->has_pid);
			assert_true(b->comm[0]);
			assert_true(b->n_frames > 0);
			assert_int_equal(b->end, SN_KMSG_END_DONE);
		}
		for (size_t k = 0; k < logs[i].bt; k++) {
			const struct sn_kmsg_backtrace *b =
				nth_origin(&run.c, SN_KMSG_BT_NMI, k);

			assert_int_equal(b->origin, SN_KMSG_BT_NMI);
			assert_int_equal(b->end, SN_KMSG_END_DONE);
			interleaved += b->n_interleaved;
			if (b->idle) {
				idle++;
				assert_true(b->pc_sym[0]);
				continue;
			}
			assert_true(b->has_pid);
			assert_true(b->comm[0]);
			assert_true(b->has_trace);
			assert_true(b->n_frames > 0);
			assert_int_equal(b->n_frames_dropped, 0);
		}
		assert_int_equal(idle, logs[i].bt_idle);
		/* Only the hotplug logs have CPUs coming up in the middle of a trace. */
		if (!strstr(logs[i].name, "hotplug"))
			assert_int_equal(interleaved, 0);
		run_done(&run);
	}
}

static void test_lab_all(void **state)
{
	lab_all(false);
}

static void test_lab_all_gz(void **state)
{
	if (!have_gzip())
		skip();
	lab_all(true);
}

/*
 * The hotplug log has a CPU coming online while CPU 0 prints its trace: without caller
 * ids, lines that are neither frames nor headers are let through one at a time (B4).
 */
static void test_lab_interleaved(void **state)
{
	struct run run;
	bool seen = false;

	if (!have_gzip())
		skip();
	run_start(&run, NULL);
	feed_lab_log(&run, "hotplug-patched.log.gz");
	for (size_t i = 0; i < run.c.n; i++) {
		const struct sn_kmsg_backtrace *b = run.c.ev[i].backtrace;

		if (run.c.ev[i].type != SN_KMSG_EVENT_BACKTRACE || b->n_interleaved == 0)
			continue;
		/* [8.003050] NMI backtrace for cpu 0 ... "Detected PIPT I-cache on CPU3"
		 * and "GICv3: CPU3: found redistributor 3 ..." between its frames. */
		if (run.c.ev[i].ts_usec == 8003050) {
			assert_int_equal(b->cpu, 0);
			assert_int_equal(b->n_interleaved, 2);
			assert_int_equal(b->n_frames, 18);
			assert_string_equal(b->frames[17].text,
					    "el0t_64_sync+0x168/0x16c");
			seen = true;
		}
	}
	assert_true(seen);
	run_done(&run);
}

/* ---- the synthetic corpora ---- */

static void test_kmsg_rcu_stall_other(void **state)
{
	struct sn_kmsg_reader_stats rs;
	const struct sn_kmsg_rcu_stall *s;
	const struct sn_kmsg_backtrace *b;
	const struct sn_kmsg_event *ev;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "rcu-stall-other.kmsg", &rs);
	assert_clean(&run);
	assert_int_equal(rs.records, 38);
	assert_int_equal(rs.malformed, 0);

	assert_int_equal(count(&run.c, SN_KMSG_EVENT_RCU_STALL), 1);
	ev = nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0);
	assert_int_equal(ev->seq, 1001);
	assert_int_equal(ev->ts_usec, 60123456);
	s = &ev->rcu_stall;
	assert_int_equal(s->kind, SN_KMSG_RCU_STALL_OTHER_CPU);
	assert_string_equal(s->flavor, "rcu_preempt");
	assert_true(s->complete);
	assert_cpus(&s->cpus, "1,3");
	assert_int_equal(s->n_tasks, 2);
	assert_true(s->has_detector);
	assert_int_equal(s->detector_cpu, 0);
	assert_true(s->has_gp);
	assert_int_equal(s->jiffies, 21003);
	assert_int_equal(s->gp_seq, 12345);
	assert_int_equal(s->qlen, 678);
	assert_int_equal(s->ncpus, 4);
	assert_false(s->has_exp);

	/* khungtaskd's report came in the middle of CPU 1's block (caller T37, B2). */
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HUNG_TASK), 1);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 2);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 2);
	b = nth_bt(&run.c, 1, 0);
	assert_int_equal(b->origin, SN_KMSG_BT_NMI);
	assert_string_equal(b->comm, "stress-ng");
	assert_int_equal(b->pid, 4242);
	assert_int_equal(b->pstate, 0x80400009);
	assert_string_equal(b->pc_sym, "spin_forever+0x10/0x20 [stallmod]");
	assert_string_equal(b->lr_sym, "stallmod_write+0x44/0x80 [stallmod]");
	assert_int_equal(b->sp, 0xffff800082b3bd50);
	assert_int_equal(b->n_frames, 6);
	assert_string_equal(b->frames[0].text, "spin_forever+0x10/0x20 [stallmod]");
	assert_string_equal(b->frames[0].info, "P");
	assert_int_equal(b->n_interleaved, 0);
	/* Its header, 22 lines of its own; T37's and C0's records were not its. */
	assert_int_equal(b->n_records, 24);
	/* CPU 3's header (C3) ended CPU 1's block, not C0's "Sending NMI" (B2). */
	assert_int_equal(b->end, SN_KMSG_END_DONE);
	assert_true(nth_bt(&run.c, 3, 0)->idle);
	run_done(&run);
}

static void test_kmsg_rcu_stall_self(void **state)
{
	struct sn_kmsg_reader_stats rs;
	const struct sn_kmsg_rcu_stall *s;
	const struct sn_kmsg_backtrace *b;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "rcu-stall-self.kmsg", &rs);
	assert_clean(&run);
	assert_int_equal(run.c.n, 2);

	s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0)->rcu_stall;
	assert_int_equal(s->kind, SN_KMSG_RCU_STALL_SELF);
	assert_string_equal(s->flavor, "rcu_sched");
	assert_true(s->complete);
	assert_cpus(&s->cpus, "2");
	assert_false(s->has_detector);
	assert_true(s->has_gp);
	assert_int_equal(s->jiffies, 5251);
	assert_int_equal(s->gp_seq, -1035);
	assert_int_equal(s->qlen, 1069);

	/* The registers that dump_cpu_task() prints on the CPU itself, no header. */
	b = nth_bt(&run.c, 2, 0);
	assert_int_equal(b->origin, SN_KMSG_BT_RCU_STALL);
	assert_string_equal(b->comm, "sh");
	assert_string_equal(b->pc_sym, "lkdtm_SOFTLOCKUP+0x8/0x10");
	assert_int_equal(b->n_frames, 6);
	assert_string_equal(b->frames[1].info, "F");
	assert_int_equal(b->end, SN_KMSG_END_DONE);
	run_done(&run);
}

static void test_kmsg_rcu_stall_expedited(void **state)
{
	struct sn_kmsg_reader_stats rs;
	const struct sn_kmsg_rcu_stall *s;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "rcu-stall-exp.kmsg", &rs);
	assert_clean(&run);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_RCU_STALL), 3);

	/* Merged into one record. */
	s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0)->rcu_stall;
	assert_int_equal(s->kind, SN_KMSG_RCU_STALL_EXPEDITED);
	assert_string_equal(s->flavor, "rcu_preempt");
	assert_true(s->complete);
	assert_cpus(&s->cpus, "2,5");
	assert_int_equal(s->n_tasks, 1);
	assert_true(s->has_exp);
	assert_int_equal(s->jiffies, 21003);
	assert_int_equal(s->exp_seq, 789);
	assert_int_equal(s->root_mask, 0x24);
	assert_true(s->root_tasks);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_SEND, 0)->nmi_send.cpus, "2,5");

	/* In fragments, with another record between them (R4). */
	s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 1)->rcu_stall;
	assert_string_equal(s->flavor, "rcu_sched");
	assert_true(s->complete);
	assert_cpus(&s->cpus, "1,3");
	assert_int_equal(s->n_tasks, 1);
	assert_int_equal(s->jiffies, 5003);
	assert_int_equal(s->exp_seq, 41);
	assert_int_equal(s->root_mask, 0xa);
	assert_false(s->root_tasks);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 1)->seq, 3004);

	/* The CSD-lock form: whole by itself, nothing named. */
	s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 2)->rcu_stall;
	assert_true(s->suppressed);
	assert_true(s->complete);
	assert_true(sn_cpu_set_empty(&s->cpus));
	assert_false(s->has_exp);
	run_done(&run);
}

static void test_kmsg_soft_lockup(void **state)
{
	struct sn_kmsg_reader_stats rs;
	const struct sn_kmsg_event *ev;
	const struct sn_kmsg_backtrace *b;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "soft-lockup.kmsg", &rs);
	assert_clean(&run);
	assert_int_equal(run.c.n, 2);

	ev = nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 0);
	assert_int_equal(ev->seq, 4001);
	assert_int_equal(ev->soft_lockup.cpu, 3);
	assert_int_equal(ev->soft_lockup.seconds, 22);
	assert_string_equal(ev->soft_lockup.comm, "kworker/3:1");
	assert_int_equal(ev->soft_lockup.pid, 123);

	b = nth_bt(&run.c, 3, 0);
	assert_int_equal(b->origin, SN_KMSG_BT_SOFT_LOCKUP);
	assert_string_equal(b->comm, "kworker/3:1");
	assert_int_equal(b->pid, 123);
	assert_int_equal(b->pstate, 0x60400005);
	assert_string_equal(b->pc_sym, "lkdtm_SOFTLOCKUP+0x10/0x18 [lkdtm]");
	assert_int_equal(b->sp, 0xffff80008263bd90);
	assert_int_equal(b->n_frames, 8);
	assert_string_equal(b->frames[0].text, "lkdtm_SOFTLOCKUP+0x10/0x18 [lkdtm]");
	assert_string_equal(b->frames[2].text,
			    "lkdtm_work_func+0x20/0x40 [lkdtm "
			    "8d1f0e1a2b3c4d5e6f708192a3b4c5d6e7f80910]");
	assert_string_equal(b->frames[7].text, "0xffff800080012340");
	/* The utilization report and the module list belong to the block. */
	assert_int_equal(b->n_records, 34);
	assert_int_equal(b->end, SN_KMSG_END_DONE);
	run_done(&run);
}

static void test_kmsg_hung_task(void **state)
{
	const struct sn_kmsg_backtrace *b;
	struct sn_kmsg_reader_stats rs;
	const struct sn_kmsg_event *ev;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "hung-task.kmsg", &rs);
	assert_clean(&run);
	assert_int_equal(run.c.n, 4);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HUNG_TASK), 3);
	/* sched_show_task() after the first: the task's own stack (origin task). */
	b = nth_origin(&run.c, SN_KMSG_BT_TASK, 0);
	assert_string_equal(b->comm, "kworker/u8:2");
	assert_int_equal(b->pid, 57);
	assert_int_equal(b->cpu, SN_KMSG_BT_NO_CPU);
	assert_int_equal(b->end, SN_KMSG_END_DONE);
	assert_true(b->n_frames > 0);

	ev = nth(&run.c, SN_KMSG_EVENT_HUNG_TASK, 0);
	assert_string_equal(ev->hung_task.comm, "kworker/u8:2");
	assert_int_equal(ev->hung_task.pid, 57);
	assert_int_equal(ev->hung_task.seconds, 122);
	assert_false(ev->hung_task.io_wait);
	ev = nth(&run.c, SN_KMSG_EVENT_HUNG_TASK, 1);
	assert_string_equal(ev->hung_task.comm, "jbd2/vda1-8");
	assert_int_equal(ev->hung_task.pid, 120);
	assert_int_equal(ev->hung_task.seconds, 245);
	assert_true(ev->hung_task.io_wait);
	ev = nth(&run.c, SN_KMSG_EVENT_HUNG_TASK, 2);
	assert_string_equal(ev->hung_task.comm, "my:odd task");
	assert_int_equal(ev->hung_task.pid, 9);
	assert_int_equal(ev->hung_task.seconds, 3600);
	run_done(&run);
}

/* ---- the lab's /dev/kmsg corpora (tests/unit/record-kmsg-corpus.sh) ---- */

/* Every backtrace of the corpus: CPU cpu's, whole, with the frame. */
static void assert_all_bt(const struct run *run, uint32_t cpu, const char *frame)
{
	for (size_t i = 0; i < run->c.n; i++) {
		const struct sn_kmsg_backtrace *b = run->c.ev[i].backtrace;

		if (run->c.ev[i].type != SN_KMSG_EVENT_BACKTRACE)
			continue;
		assert_int_equal(b->cpu, cpu);
		assert_false(b->idle);
		assert_true(b->has_pid);
		assert_string_equal(b->comm, "sh");
		assert_true(b->has_pstate);
		assert_true(b->has_trace);
		assert_int_equal(b->n_frames, 11);
		assert_int_equal(b->n_frames_dropped, 0);
		assert_true(has_frame(b, frame));
		assert_int_equal(b->end, SN_KMSG_END_DONE);
	}
}

/* LKDTM HARDLOCKUP on CPU 2, patched: five detections, each with CPU 2's stack. */
static void test_kmsg_lab_hard_lockup_patched(void **state)
{
	struct sn_kmsg_reader_stats rs;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "lab/hard-lockup-patched.kmsg", &rs);
	assert_int_equal(rs.malformed, 0);
	assert_int_equal(rs.lost, 0);
	assert_clean(&run);
	assert_int_equal(rs.records, run.st.records);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), 5);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 5);
	assert_int_equal(count_bt(&run.c, 2), 5);
	assert_int_equal(run.c.n, 15);
	for (size_t i = 0; i < 5; i++) {
		const struct sn_kmsg_event *hl =
			nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, i);
		const struct sn_kmsg_backtrace *b = nth_bt(&run.c, 2, i);

		assert_int_equal(hl->hard_lockup.cpu, 2);
		assert_int_equal(hl->hard_lockup.detector_cpu, 1);
		assert_int_equal(b->origin, SN_KMSG_BT_NMI);
		/* daIF: I and F masked */
		assert_int_equal(b->pstate & 0xc0, 0xc0);
	}
	assert_all_bt(&run, 2, "lkdtm_HARDLOCKUP");
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 0)->seq, 120);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 0)->ts_usec, 6770577);
	run_done(&run);
}

/*
 * Unpatched: CPU 2's stack never comes; CPU 1, which waits 10 s for it with interrupts
 * masked, is reported by CPU 0 three times, then the wait ends and CPU 2 is reported
 * again.
 */
static void test_kmsg_lab_hard_lockup_unpatched(void **state)
{
	struct sn_kmsg_reader_stats rs;
	struct run run;
	static const uint32_t cpus[] = { 2, 1, 1, 1, 2 };

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "lab/hard-lockup-unpatched.kmsg", &rs);
	assert_int_equal(rs.malformed, 0);
	assert_int_equal(rs.lost, 0);
	assert_clean(&run);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), 5);
	for (size_t i = 0; i < ELEMENTSOF(cpus); i++)
		assert_int_equal(
			nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, i)->hard_lockup.cpu,
			cpus[i]);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_SEND), 2);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT), 1);
	assert_cpus(&nth(&run.c, SN_KMSG_EVENT_NMI_TIMEOUT, 0)->nmi_timeout.cpus, "2");
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 0);
	run_done(&run);
}

/*
 * LKDTM SOFTLOCKUP on CPU 3: two soft lockups and a self-detected RCU stall between
 * them, each followed by CPU 3's own stack (from its timer interrupt).
 */
static void test_kmsg_lab_soft_lockup(void **state)
{
	static const enum sn_kmsg_bt_origin origins[] = { SN_KMSG_BT_SOFT_LOCKUP,
							  SN_KMSG_BT_RCU_STALL,
							  SN_KMSG_BT_SOFT_LOCKUP };
	const struct sn_kmsg_rcu_stall *rcu;
	struct sn_kmsg_reader_stats rs;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "lab/soft-lockup.kmsg", &rs);
	assert_int_equal(rs.malformed, 0);
	assert_int_equal(rs.lost, 0);
	assert_clean(&run);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP), 2);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 0)->soft_lockup.cpu, 3);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 0)->soft_lockup.seconds,
			 7);
	assert_string_equal(nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 0)->soft_lockup.comm,
			    "sh");
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 1)->soft_lockup.cpu, 3);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_SOFT_LOCKUP, 1)->soft_lockup.seconds,
			 17);

	assert_int_equal(count(&run.c, SN_KMSG_EVENT_RCU_STALL), 1);
	rcu = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0)->rcu_stall;
	assert_int_equal(rcu->kind, SN_KMSG_RCU_STALL_SELF);
	assert_string_equal(rcu->flavor, "rcu_sched");
	assert_cpus(&rcu->cpus, "3");
	assert_true(rcu->complete);
	assert_int_equal(rcu->jiffies, 2500);
	assert_int_equal(rcu->ncpus, 4);

	assert_int_equal(count_bt(&run.c, 3), 3);
	for (size_t i = 0; i < ELEMENTSOF(origins); i++) {
		const struct sn_kmsg_backtrace *b = nth_bt(&run.c, 3, i);

		assert_int_equal(b->origin, origins[i]);
		/* interrupts on: the CPU prints its own stack */
		assert_int_equal(b->pstate & 0xc0, 0);
	}
	assert_all_bt(&run, 3, "lkdtm_SOFTLOCKUP");
	assert_int_equal(run.c.n, 6);
	run_done(&run);
}

/* LKDTM HUNG_TASK, hung_task_timeout_secs=3: the detector's ten warnings. */
static void test_kmsg_lab_hung_task(void **state)
{
	const struct sn_kmsg_backtrace *b;
	struct sn_kmsg_reader_stats rs;
	struct run run;

	run_start(&run, NULL);
	feed_kmsg_fixture(&run, "lab/hung-task.kmsg", &rs);

	assert_int_equal(rs.malformed, 0);
	assert_int_equal(rs.lost, 0);
	assert_clean(&run);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HUNG_TASK), 10);
	for (size_t i = 0; i < 10; i++) {
		const struct sn_kmsg_event *ev = nth(&run.c, SN_KMSG_EVENT_HUNG_TASK, i);

		assert_string_equal(ev->hung_task.comm, "sh");
		assert_int_equal(ev->hung_task.pid, 119);
		assert_int_equal(ev->hung_task.seconds, 3 * (i + 1));
		assert_false(ev->hung_task.io_wait);
		/* Each detection is followed by the task's stack. */
		b = nth_origin(&run.c, SN_KMSG_BT_TASK, i);
		assert_string_equal(b->comm, "sh");
		assert_int_equal(b->pid, 119);
		assert_int_equal(b->n_frames, 15);
		assert_string_equal(b->frames[3].text, "lkdtm_HUNG_TASK+0x1c/0x20");
	}
	assert_int_equal(run.c.n, 20);
	run_done(&run);
}

/* ---- bad input, limits, time ---- */

static void feed_lines(struct run *run, uint64_t *seq, uint64_t ts,
		       const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(sn_kmsg_events_feed_text(run->e, ++*seq, ts, lines[i]),
				 0);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"NMI backtrace for cpu x",
		"NMI backtrace for cpu ",
		"NMI backtrace for cpu 1 skipped",
		"NMI backtrace for cpu 1 skipped: idling at ",
		"NMI backtrace for cpu 99999999999",
		"watchdog: CPU1: Watchdog detected hard LOCKUP on cpu ",
		"watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 2 extra",
		"watchdog: CPUx: Watchdog detected hard LOCKUP on cpu 2",
		"something: Watchdog detected hard LOCKUP on cpu 2",
		"Sending NMI from CPU 1 to CPUs 2",
		"Sending NMI from CPU 1 to CPUs :",
		"Sending NMI from CPU 1 to CPUs 2-1:",
		"Sending NMI from CPU 1 to CPUs 2,:",
		"Sending NMI from CPU to CPUs 2:",
		"After 10 seconds, these CPUS still haven't responded to the NMI: ",
		"After x seconds, these CPUS still haven't responded to the NMI: 2",
		"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [nocolon]",
		"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [comm:12",
		"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [:12]",
		"watchdog: BUG: soft lockup - CPU#3 stuck for s! [comm:12]",
		"watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [comm:x]",
		"INFO: task foo:bar blocked for more than 5 seconds.",
		"INFO: task foo blocked for more than 5 seconds.",
		"INFO: task foo:1 blocked for more than -5 seconds.",
		"INFO: task foo:1 blocked for more than 5-5 seconds.",
		"INFO: task :1 blocked for more than 5 seconds.",
	};
	static const char *const range[] = {
		"NMI backtrace for cpu 4096",
		"watchdog: CPU4096: Watchdog detected hard LOCKUP on cpu 2",
		"Sending NMI from CPU 1 to CPUs 0-4096:",
		"watchdog: BUG: soft lockup - CPU#5000 stuck for 22s! [comm:12]",
	};
	static const char *const ignored[] = {
		"",
		"NMI backtrace",
		"Sending NMI",
		"INFO: task foo:1 is blocked on a mutex, but the owner is not found.",
		"INFO: rcu_tasks detected stalls on tasks:",
		"INFO: Stall ended before state dump start",
		"rcu: \t2-...0: (1 GPs behind) idle=07d4/1/0x4000000000000000",
		"rcu: \t(detected by 0, t=5252 jiffies, g=-1035, q=43 ncpus=4)",
		"Call trace:",
		" lkdtm_HARDLOCKUP+0x8/0x24 (P)",
		"CPU: 2 UID: 0 PID: 112 Comm: sh Not tainted 7.2.8 #4 PREEMPTLAZY ",
	};
	char comm[200];
	struct run run;
	uint64_t seq = 0;

	run_start(&run, NULL);
	feed_lines(&run, &seq, 1, bad, ELEMENTSOF(bad));
	feed_lines(&run, &seq, 1, range, ELEMENTSOF(range));
	feed_lines(&run, &seq, 1, ignored, ELEMENTSOF(ignored));

	/* Overlong fields. */
	memset(comm, 'c', sizeof(comm));
	snprintf(comm + SN_KMSG_COMM_MAX, sizeof(comm) - SN_KMSG_COMM_MAX,
		 ":12 blocked for more than 5 seconds.");
	{
		_cleanup_(freep) char *l1 = NULL, *l2 = NULL, *l3 = NULL;

		assert_true(asprintf(&l1, "INFO: task %s", comm) > 0);
		assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, l1), 0);
		assert_true(
			asprintf(&l2,
				 "rcu: INFO: rcu_%0200d detected stalls on CPUs/tasks:",
				 0) > 0);
		assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, l2), 0);
		assert_true(asprintf(&l3,
				     "NMI backtrace for cpu 1 skipped: idling at %01000d",
				     0) > 0);
		assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, l3), 0);
	}
	run_finish(&run);

	assert_int_equal(run.c.n, 0);
	assert_int_equal(run.st.malformed, ELEMENTSOF(bad));
	assert_int_equal(run.st.out_of_range, ELEMENTSOF(range));
	assert_int_equal(run.st.overlong, 3);
	assert_int_equal(run.st.records, seq);
	run_done(&run);
}

/* A malformed line inside a block is counted; the block goes on. */
static void test_malformed_in_block(void **state)
{
	static const char *const lines[] = {
		"NMI backtrace for cpu 1",
		"CPU: 1 UID: 0 PID: x Comm: sh Not tainted 7.2.8 #4",
		"pstate: zz",
		"sp : 1234",
		"Call trace:",
		" ok+0x1/0x2",
		" +0x1/0x2",
	};
	const struct sn_kmsg_backtrace *b;
	struct run run;
	uint64_t seq = 0;

	run_start(&run, NULL);
	feed_lines(&run, &seq, 10, lines, ELEMENTSOF(lines));
	run_finish(&run);
	assert_int_equal(run.c.n, 1);
	b = nth_bt(&run.c, 1, 0);
	assert_int_equal(run.st.malformed, 3);
	assert_false(b->has_pid || b->has_pstate || b->has_sp);
	assert_int_equal(b->n_frames, 1);
	/* " +0x1/0x2" is not a frame: let through, then the flush ended the block, which
	 * makes it a line after the block rather than one inside it. */
	assert_int_equal(b->n_interleaved, 0);
	assert_int_equal(b->n_records, 6);
	assert_int_equal(b->end, SN_KMSG_END_DONE);
	run_done(&run);
}

static void test_overlong_block(void **state)
{
	const struct sn_kmsg_backtrace *b;
	struct run run;
	uint64_t seq = 0;
	char frame[SN_KMSG_SYMBOL_MAX + 32];

	run_start(&run, NULL);

	/* 200 frames: 64 kept, the rest counted; then an overlong frame. */
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 1, "NMI backtrace for cpu 1"), 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, "Call trace:"), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(frame, sizeof(frame), " f%d+0x%x/0x100", i, i);
		assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, frame), 0);
	}
	memset(frame, 'f', sizeof(frame));
	frame[0] = ' ';
	strcpy(frame + SN_KMSG_SYMBOL_MAX, "+0x1/0x2");
	assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, frame), 0);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 1, "NMI backtrace for cpu 2"), 0);
	assert_int_equal(run.c.n, 1);
	b = nth_bt(&run.c, 1, 0);
	assert_int_equal(b->n_frames, SN_KMSG_MAX_FRAMES);
	assert_int_equal(b->n_frames_dropped, 200 - SN_KMSG_MAX_FRAMES + 1);
	assert_string_equal(b->frames[63].text, "f63+0x3f/0x100");
	assert_int_equal(b->n_records, 203);
	assert_int_equal(b->end, SN_KMSG_END_DONE);

	/* CPU 2's block: past block_max_records it ends (truncated). */
	assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, "Call trace:"), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 1, " f+0x1/0x2"),
				 0);
	run_finish(&run);
	assert_int_equal(run.c.n, 2);
	b = nth_bt(&run.c, 2, 0);
	assert_int_equal(b->end, SN_KMSG_END_LIMIT);
	assert_int_equal(b->n_records, SN_KMSG_BLOCK_MAX_RECORDS);
	assert_int_equal(b->n_frames, SN_KMSG_MAX_FRAMES);
	assert_int_equal(run.st.truncated, 1);
	assert_int_equal(run.st.frames_dropped, 200 - SN_KMSG_MAX_FRAMES + 1 +
							SN_KMSG_BLOCK_MAX_RECORDS - 2 -
							SN_KMSG_MAX_FRAMES);
	assert_int_equal(run.st.overlong, 1);
	run_done(&run);
}

static void test_timeouts(void **state)
{
	const struct sn_kmsg_events_config cfg = {
		.block_gap_usec = 1000,
		.pending_timeout_usec = 5000,
		.block_max_records = 50,
	};
	const struct sn_kmsg_rcu_stall *s;
	struct run run;
	uint64_t seq = 0;

	run_start(&run, &cfg);
	assert_int_equal(sn_kmsg_events_next_deadline(run.e), 0);

	/* B5: a record too late ends the block before it is looked at. */
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 10000, "NMI backtrace for cpu 1"),
		0);
	assert_int_equal(sn_kmsg_events_next_deadline(run.e), 11001);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 10500, "Hardware name: x"), 0);
	assert_int_equal(sn_kmsg_events_next_deadline(run.e), 11501);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, 12000, "Call trace:"), 0);
	assert_int_equal(run.c.n, 1);
	assert_int_equal(nth_bt(&run.c, 1, 0)->end, SN_KMSG_END_GAP);
	assert_false(nth_bt(&run.c, 1, 0)->has_trace);

	/* B5 by tick(). */
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 20000, "NMI backtrace for cpu 2"),
		0);
	assert_int_equal(sn_kmsg_events_tick(run.e, 21000), 0);
	assert_int_equal(run.c.n, 1);
	assert_int_equal(sn_kmsg_events_tick(run.e, 21001), 0);
	assert_int_equal(run.c.n, 2);
	assert_int_equal(nth_bt(&run.c, 2, 0)->end, SN_KMSG_END_GAP);

	/* R3: a stall report without its summary, emitted incomplete by tick(). */
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 30000,
					 "rcu: INFO: rcu_preempt detected stalls on "
					 "CPUs/tasks:"),
		0);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 30001,
					 "rcu: \t7-...!: (0 ticks this GP) idle=1"),
		0);
	assert_int_equal(sn_kmsg_events_next_deadline(run.e), 35001);
	assert_int_equal(sn_kmsg_events_tick(run.e, 35000), 0);
	assert_int_equal(run.c.n, 2);
	assert_int_equal(sn_kmsg_events_tick(run.e, 35001), 0);
	assert_int_equal(run.c.n, 3);
	s = &nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 0)->rcu_stall;
	assert_false(s->complete);
	assert_int_equal(s->end, SN_KMSG_END_GAP);
	assert_cpus(&s->cpus, "7");
	assert_false(s->has_gp);

	/* R3: a new header emits the open report incomplete. */
	assert_int_equal(sn_kmsg_events_feed_text(
				 run.e, ++seq, 40000,
				 "rcu: INFO: rcu_preempt self-detected stall on CPU"),
			 0);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, ++seq, 40001,
					 "rcu: INFO: rcu_preempt detected stalls on "
					 "CPUs/tasks:"),
		0);
	assert_int_equal(run.c.n, 4);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 1)->rcu_stall.end,
			 SN_KMSG_END_NEXT);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 1)->rcu_stall.kind,
			 SN_KMSG_RCU_STALL_SELF);

	/* A summary of the other kind is not this report's. */
	assert_int_equal(sn_kmsg_events_feed_text(
				 run.e, ++seq, 40002,
				 "rcu: \t(t=5251 jiffies g=-1035 q=1069 ncpus=4)"),
			 0);
	assert_int_equal(run.c.n, 4);
	run_finish(&run);
	assert_int_equal(run.c.n, 5);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_RCU_STALL, 2)->rcu_stall.end,
			 SN_KMSG_END_FLUSH);
	assert_int_equal(run.st.incomplete, 3);
	assert_int_equal(sn_kmsg_events_next_deadline(run.e), 0);

	/* Saturated deadlines. */
	assert_int_equal(sn_kmsg_events_feed_text(run.e, ++seq, UINT64_MAX - 10,
						  "NMI backtrace for cpu 1"),
			 0);
	assert_true(sn_kmsg_events_next_deadline(run.e) == UINT64_MAX);
	run_done(&run);
}

static void test_seq(void **state)
{
	struct run run;

	run_start(&run, NULL);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 100, 1, "NMI backtrace for cpu 1"), 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 101, 1, "Call trace:"), 0);
	/* A repeat and an older record are dropped. */
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 101, 1, " dropped+0x1/0x2"), 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 50, 1, " dropped+0x1/0x2"), 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 102, 1, " kept+0x1/0x2"), 0);
	assert_int_equal(run.c.n, 0);
	/* B7: records 103 and 104 are missing; what was open is cut. */
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 105, 1, " lost+0x1/0x2"), 0);
	assert_int_equal(run.c.n, 1);
	assert_int_equal(nth_bt(&run.c, 1, 0)->end, SN_KMSG_END_LOST);
	assert_int_equal(nth_bt(&run.c, 1, 0)->n_frames, 1);
	run_finish(&run);
	assert_int_equal(run.st.out_of_order, 2);
	assert_int_equal(run.st.lost, 2);
	assert_int_equal(run.st.records, 6);
	run_done(&run);
}

static void test_caller_ids(void **state)
{
	static struct sn_kmsg_record rec;
	static const struct {
		const char *rec;
	} recs[] = {
		{ "4,1,10,-,caller=C2;NMI backtrace for cpu 2\n" },
		{ "4,2,11,-,caller=C2;CPU: 2 UID: 0 PID: 7 Comm: a b Not tainted 7.2.8 #4\n" },
		/* Another caller's unknown line and frame-like line: not the block's. */
		{ "6,3,12,-,caller=T9;whatever\n" },
		{ "6,4,13,-,caller=T9; other+0x1/0x2\n" },
		{ "6,5,14,-,caller=T9;Sending NMI from CPU 0 to CPUs 3:\n" },
		{ "4,6,15,-,caller=C2;Call trace:\n" },
		{ "4,7,16,-,caller=C2; mine+0x1/0x2\n" },
		/* A writer's record (facility 1) never passes for the kernel's. */
		{ "12,8,17,-,caller=T9;watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 2\n" },
		{ "4,9,18,-,caller=C2; mine2+0x1/0x2\n" },
		/* The same caller's unknown line ends it at once, caller ids being known.
		 */
		{ "4,10,19,-,caller=C2;unrelated\n" },
		{ "4,11,20,-,caller=C2; late+0x1/0x2\n" },
	};
	const struct sn_kmsg_backtrace *b;
	struct run run;

	run_start(&run, NULL);
	for (size_t i = 0; i < ELEMENTSOF(recs); i++) {
		assert_int_equal(
			sn_kmsg_record_parse(recs[i].rec, strlen(recs[i].rec), &rec), 0);
		assert_int_equal(sn_kmsg_events_feed(run.e, &rec), 0);
	}
	run_finish(&run);
	assert_int_equal(run.c.n, 2);
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_HARD_LOCKUP), 0);
	assert_int_equal(run.st.foreign, 1);
	assert_int_equal(nth(&run.c, SN_KMSG_EVENT_NMI_SEND, 0)->seq, 5);
	b = nth_bt(&run.c, 2, 0);
	assert_string_equal(b->comm, "a b");
	assert_int_equal(b->pid, 7);
	assert_int_equal(b->n_frames, 2);
	assert_string_equal(b->frames[0].text, "mine+0x1/0x2");
	assert_string_equal(b->frames[1].text, "mine2+0x1/0x2");
	assert_int_equal(b->n_interleaved, 0);
	assert_int_equal(b->n_records, 5);
	run_done(&run);
}

/*
 * A synthetic incident (sdei-nmictl test-incident): a writer's record of its exact form,
 * whatever the writer's facility; the kernel's own, or anything else, is not one. It
 * leaves an open block alone, as other writers' records do.
 */
static void test_synthetic(void **state)
{
	static struct sn_kmsg_record rec;
	static const char *const recs[] = {
		"4,1,10,-;NMI backtrace for cpu 2\n",
		"12,2,11,-;sdei-nmi: synthetic incident 0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 "
		"requested by sdei-nmictl (uid 0)\n",
		"4,3,12,-;Call trace:\n",
		"4,4,13,-; a+0x1/0x2\n",
		/* the kernel's (facility 0): not one, whatever it says */
		"4,5,2000014,-;sdei-nmi: synthetic incident "
		"11111111-2222-4333-8444-555555555555 requested by sdei-nmictl (uid 0)\n",
		/* malformed: the UUID (case, version, variant, length), tail, uid */
		"12,6,2000015,-;sdei-nmi: synthetic incident "
		"0D2F5B8E-6A41-4C3E-9F7A-1B2C3D4E5F60 requested by sdei-nmictl (uid 0)\n",
		"12,7,2000016,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-3c3e-9f7a-1b2c3d4e5f60 requested by sdei-nmictl (uid 0)\n",
		"12,8,2000017,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-cf7a-1b2c3d4e5f60 requested by sdei-nmictl (uid 0)\n",
		"12,9,2000018,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f6 requested by sdei-nmictl (uid 0)\n",
		"12,10,2000019,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 requested by sdei-nmictl (uid 0) x\n",
		"12,11,2000020,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 requested by sdei-nmictl (uid -1)\n",
		"12,12,2000021,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 requested by someone (uid 0)\n",
		"12,13,2000022,-;sdei-nmi: synthetic incident "
		"0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60 requested by sdei-nmictl (uid 4294967296)\n",
		/* another writer's line: ignored */
		"12,14,2000023,-;hello from a writer\n",
		/* other facilities and levels: a writer's all the same */
		"14,15,2000024,-;sdei-nmi: synthetic incident "
		"7c9e6679-7425-40de-944b-e07fc1f90ae7 requested by sdei-nmictl (uid 4294967295)\n",
		"30,16,2000025,-;sdei-nmi: synthetic incident "
		"16fd2706-8baf-433b-82eb-8c7fada847da requested by sdei-nmictl (uid 1000)\n",
	};
	const struct sn_kmsg_event *ev;
	const struct sn_kmsg_backtrace *b;
	struct run run;

	run_start(&run, NULL);
	for (size_t i = 0; i < ELEMENTSOF(recs); i++) {
		assert_int_equal(sn_kmsg_record_parse(recs[i], strlen(recs[i]), &rec), 0);
		assert_int_equal(sn_kmsg_events_feed(run.e, &rec), 0);
	}
	/* The kernel's text alone (no facility) is the kernel's: not one either. */
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 17, 2000026,
						  "sdei-nmi: synthetic incident "
						  "3b241101-e2bb-4255-8caf-4136c566a962 "
						  "requested by sdei-nmictl (uid 0)"),
			 0);
	run_finish(&run);

	assert_int_equal(count(&run.c, SN_KMSG_EVENT_SYNTHETIC), 3);
	ev = nth(&run.c, SN_KMSG_EVENT_SYNTHETIC, 0);
	assert_string_equal(ev->synthetic.id, "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	assert_int_equal(ev->synthetic.uid, 0);
	assert_int_equal(ev->seq, 2);
	assert_int_equal(ev->ts_usec, 11);
	ev = nth(&run.c, SN_KMSG_EVENT_SYNTHETIC, 1);
	assert_string_equal(ev->synthetic.id, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
	assert_int_equal(ev->synthetic.uid, 4294967295u);
	assert_int_equal(ev->seq, 15);
	ev = nth(&run.c, SN_KMSG_EVENT_SYNTHETIC, 2);
	assert_string_equal(ev->synthetic.id, "16fd2706-8baf-433b-82eb-8c7fada847da");
	assert_int_equal(ev->synthetic.uid, 1000);
	assert_string_equal(sn_kmsg_event_type_to_string(SN_KMSG_EVENT_SYNTHETIC),
			    "synthetic");

	/* The block went on around it: one backtrace, its frame, nothing interleaved. */
	assert_int_equal(count(&run.c, SN_KMSG_EVENT_BACKTRACE), 1);
	b = nth_bt(&run.c, 2, 0);
	assert_int_equal(b->n_frames, 1);
	assert_string_equal(b->frames[0].text, "a+0x1/0x2");
	assert_int_equal(b->n_records, 3);
	assert_int_equal(b->n_interleaved, 0);

	assert_int_equal(run.st.malformed, 8);
	assert_int_equal(run.st.foreign, 1);
	assert_int_equal(run.st.events, run.c.n);
	run_done(&run);
}

/* A record holding several lines is taken line by line. */
static void test_multiline_record(void **state)
{
	struct run run;

	run_start(&run, NULL);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 1, 1,
					 "NMI backtrace for cpu 3\nCall trace:\n "
					 "a+0x1/0x2\n b+0x1/0x2\n"),
		0);
	run_finish(&run);
	assert_int_equal(run.c.n, 1);
	assert_int_equal(nth_bt(&run.c, 3, 0)->n_frames, 2);
	assert_int_equal(run.st.records, 1);
	run_done(&run);
}

/* Several CPUs' and other kinds' headers in a row; the handler's error comes back. */
static void test_handler_error(void **state)
{
	struct run run;

	run_start(&run, NULL);
	run.c.fail_with = -ECANCELED;
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 1, 1,
					 "watchdog: CPU1: Watchdog detected hard LOCKUP "
					 "on cpu 2"),
		-ECANCELED);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 2, 1, "NMI backtrace for cpu 2"),
			 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 3, 1, "NMI backtrace for cpu 3"),
			 -ECANCELED);
	assert_int_equal(sn_kmsg_events_flush(run.e), -ECANCELED);
	assert_int_equal(sn_kmsg_events_flush(run.e), 0);
	assert_int_equal(run.c.n, 3);
	/* The perf detector's form: a CPU that sees itself, its registers follow. */
	run.c.fail_with = 0;
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 4, 1,
					 "NMI watchdog: Watchdog detected hard LOCKUP "
					 "on cpu 1"),
		0);
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 5, 1,
					 "CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Not "
					 "tainted 7.2.8 #4"),
		0);
	assert_int_equal(sn_kmsg_events_flush(run.e), 0);
	assert_int_equal(run.c.n, 5);
	assert_int_equal(
		nth(&run.c, SN_KMSG_EVENT_HARD_LOCKUP, 1)->hard_lockup.detector_cpu, 1);
	assert_int_equal(nth_bt(&run.c, 1, 0)->origin, SN_KMSG_BT_HARD_LOCKUP);
	assert_string_equal(nth_bt(&run.c, 1, 0)->comm, "swapper/1");
	/* An empty block of a lockup is not emitted. */
	assert_int_equal(
		sn_kmsg_events_feed_text(run.e, 6, 1,
					 "watchdog: BUG: soft lockup - CPU#0 stuck for "
					 "3s! [a:1]"),
		0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 7, 1, "unrelated"), 0);
	assert_int_equal(sn_kmsg_events_feed_text(run.e, 8, 1, "unrelated"), 0);
	assert_int_equal(sn_kmsg_events_flush(run.e), 0);
	assert_int_equal(run.c.n, 6);
	run_done(&run);
}

static void test_strings(void **state)
{
	assert_string_equal(sn_kmsg_event_type_to_string(SN_KMSG_EVENT_HARD_LOCKUP),
			    "hard-lockup");
	assert_string_equal(sn_kmsg_event_type_to_string(SN_KMSG_EVENT_BACKTRACE),
			    "backtrace");
	assert_null(sn_kmsg_event_type_to_string(0));
	assert_string_equal(sn_kmsg_rcu_stall_kind_to_string(SN_KMSG_RCU_STALL_EXPEDITED),
			    "expedited");
	assert_string_equal(sn_kmsg_bt_origin_to_string(SN_KMSG_BT_NMI), "nmi");
	assert_string_equal(sn_kmsg_end_to_string(SN_KMSG_END_LIMIT), "limit");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_hardlockup_patched),
		cmocka_unit_test(test_lab_hardlockup_unpatched),
		cmocka_unit_test(test_lab_sysrq_l_patched),
		cmocka_unit_test(test_lab_sysrq_l_unpatched),
		cmocka_unit_test(test_lab_rcu_stall),
		cmocka_unit_test(test_lab_all),
		cmocka_unit_test(test_lab_all_gz),
		cmocka_unit_test(test_lab_interleaved),
		cmocka_unit_test(test_kmsg_rcu_stall_other),
		cmocka_unit_test(test_kmsg_rcu_stall_self),
		cmocka_unit_test(test_kmsg_rcu_stall_expedited),
		cmocka_unit_test(test_kmsg_soft_lockup),
		cmocka_unit_test(test_kmsg_hung_task),
		cmocka_unit_test(test_kmsg_lab_hard_lockup_patched),
		cmocka_unit_test(test_kmsg_lab_hard_lockup_unpatched),
		cmocka_unit_test(test_kmsg_lab_soft_lockup),
		cmocka_unit_test(test_kmsg_lab_hung_task),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_in_block),
		cmocka_unit_test(test_overlong_block),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_seq),
		cmocka_unit_test(test_caller_ids),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_multiline_record),
		cmocka_unit_test(test_handler_error),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
