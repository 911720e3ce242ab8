/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Incidents: the recognizer's events (kmsg-events.h) grouped so that one stall gives one
 * report. Pure: no clock, no I/O; time is the kernel log's (the events' ts_usec and what
 * the caller passes to tick()), and memory is bounded by the configuration.
 *
 * Rules (numbers are referred to in lib/incident.c):
 *  I1 a detection (hard-lockup, soft-lockup, rcu-stall, hung-task) joins the newest open
 *     incident of the same kind whose stalled CPUs overlap its own (two detections
 *     without CPUs, hung tasks and task-only RCU stalls, overlap) and whose first
 *     detection is at most window_usec before it; it adds its CPUs and counts as folded;
 *     otherwise it opens a new incident;
 *  I2 a matching detection past the window closes the old incident first (a lockup that
 *     lasts gives one report per window);
 *  I3 a backtrace event of a CPU that an open incident names as stalled attaches to the
 *     newest such incident as that CPU's evidence; the first one per CPU is kept, later
 *     ones are counted; a backtrace that matches no incident is counted as orphaned;
 *  I4 an incident closes when quiet_usec pass after its last event (a tick() or any
 *     event that late), by flush(), or when max_open incidents are open and another
 *     opens (the oldest closes first);
 *  I5 the kernel log lines given to add_line() are kept in a ring of log_max_lines; an
 *     incident's excerpt is the ring's lines from its first event's record to its last
 *     one's (a backtrace block's lines included), at most SN_INCIDENT_MAX_LINES;
 *  I6 an incident that names CPUs and has a backtrace of every one of them (from the
 *     kernel log or the netlink family), and waits for no backtrace request (I9), is
 *     complete and closes at once (its report need not wait for the quiet period: the
 *     evidence is whole). Until window_usec after its first detection, a detection of the
 * same kind whose CPUs are all among its CPUs is a repeat of it: counted (stats.repeats,
 *     and in the next report of that lockup when it lasts past the window: see below),
 *     no new incident. Past the window, it opens a new incident as in I2.
 *
 * Backtraces from the netlink family (the caller does the I/O; time is the same clock):
 *  I7 while requests are on (set_requests()), every stalled CPU of an open incident
 *     (at most SN_INCIDENT_MAX_CPU_SLOTS per incident) is wanted until it has a
 *     structured capture or a final outcome, whatever the kernel log printed of it:
 *     wanted() gives the CPUs to ask, requested() marks those asked, add_entry() and
 *     request_failed() hand back the answers. An answer without a capture (timeout,
 *     offline, unsupported, rate-limited; or the request's failure) is the outcome of
 *     the CPUs asked; with a retry_at the CPU is wanted again from then on, at most
 *     max_attempts requests in all;
 *  I8 a capture (a request's, or one the kernel took of its own accord and multicast to
 *     the monitor group) attaches to every open incident that names its CPU and has
 *     no capture of it yet, whether asked or not: the first one is kept. A monitor
 *     capture is also kept as its CPU's recent capture (the newest per CPU, at most
 *     SN_INCIDENT_MAX_RECENT CPUs): an incident that opens with that CPU, or that the
 *     CPU joins, within recent_usec of it takes it (the notification may come before
 *     the kernel log's detection);
 *  I9 an incident that still wants, or waits for, a CPU's backtrace does not close
 *     when quiet (I4) but at most hold_usec later; flush() and max_open close it all
 *     the same. When it closes, a CPU asked gets delivery unavailable, "no answer to
 *     the backtrace request before the incident closed", one wanted but not asked
 *     yet not-requested (SN_INCIDENT_NOT_ASKED_REASON), one that waits for a retry
 *     its last outcome;
 *  I11 a hung task's detection joins only an open hung-task incident of the same task
 *     (pid), or one a signal opened that names no task yet; another task's opens an
 *     incident of its own. The task's backtrace (origin task, the block
 *     sched_show_task() prints after the detection) attaches to the newest open
 *     incident of its pid (the first one kept); that incident is then complete (I6)
 *     and closes at once. The report carries the task: comm, pid, frames;
 *  I10 in the report each stalled CPU has one entry: its netlink capture if it has one,
 *     else its kernel log backtrace, else its outcome (I7, I9), else the delivery and
 *     reason given to set_requests() for why nothing was asked (not-requested or
 *     unavailable).
 *
 * Signals, the events of other sources than the kernel log (the BPF programs: an RCU
 * stall warning, a hung task, a backtrace request and its caller), use the same clock
 * and join the same incidents:
 *  S1 a signal joins the newest open incident of its kind whose first event is at most
 *     window_usec before it and whose CPUs overlap its own; a signal that names no CPU
 *     (an RCU stall seen from another CPU, a hung task), or an incident that names none
 *     yet because such a signal opened it, overlaps any. It adds its CPUs and counts as
 *     a signal, not a detection: the same stall seen by BPF and in the log is one
 *     sighting, and folded_count counts the log's repeats. A signal with CPUs that a
 *     complete incident held, within its window, is a repeat of it (I6: counted, no
 *     new incident). Otherwise it opens an incident with its detector and no
 *     detection. Its CPUs are wanted for backtraces like a detection's (I7), but for
 *     kind other (SysRq-l, panic...: the kernel has just printed those CPUs' stacks);
 *  S2 a detection overlaps an incident whose CPUs are not known yet (S1); the first
 *     detection that joins an incident opened by a signal gives it its detector (the
 *     log's is the more precise: buddy or perf);
 *  S3 the first backtrace request's caller (its trigger) is the incident's;
 *  S4 an incident of a stall (not of kind other) that a signal opened is not complete
 *     (I6) before a detection joined it: the kernel log's report of the stall belongs
 *     in it (its lines, its records), and a capture of the netlink family's, which can
 *     come between the two, would otherwise close it first. Without one it closes when
 *     quiet (I4).
 * A signal has no kernel log record: an incident only signals joined has no excerpt.
 * The daemon takes the BPF records before the kernel log records read with them, and
 * the kernel emits each signal before the lines it causes, so a signal that matters to
 * an incident is seen before the log completes it.
 *
 * A synthetic event (sdei-nmictl test-incident, kmsg-events.h), an operator's test of
 * the sinks:
 *  Y1 opens an incident of kind synthetic, detector "sdei-nmictl", without CPUs, that
 *     closes at once: it joins nothing, nothing joins it, it is no repeat (I6). Its
 *     excerpt is its record's line (the UUID the test waits for), in the ring (I5)
 *     while it closes, unless the caller added that record's line already (the daemon
 *     adds the kernel's lines only): a writer's line is in no other incident's
 *     excerpt.
 *
 * The default quiet period (5 s) is longer than the interval at which the kernel
 * repeats a hard-lockup report at watchdog_thresh=3 (3.6 s, the lab's), so the repeats
 * of one lockup fold into one incident; a complete one (I6) is reported as soon as its
 * backtraces are in, and its repeats within the window fold into it after the fact.
 * The repeats counted after a complete incident closed are carried into the next
 * incident of the same kind that those CPUs open (its folded count); nmi-send and
 * nmi-timeout events are not used yet.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt-caller.h"
#include "cpu-set.h"
#include "kmsg-events.h"
#include "macro.h"
#include "report.h"

#define SN_INCIDENT_WINDOW_USEC	   (30ULL * 1000 * 1000)
#define SN_INCIDENT_QUIET_USEC	   (5ULL * 1000 * 1000)
#define SN_INCIDENT_HOLD_USEC	   (15ULL * 1000 * 1000)
#define SN_INCIDENT_RECENT_USEC	   (10ULL * 1000 * 1000)
#define SN_INCIDENT_MAX_ATTEMPTS   3
#define SN_INCIDENT_MAX_OPEN	   64
#define SN_INCIDENT_LOG_MAX_LINES  4096
#define SN_INCIDENT_MAX_LINES	   SN_REPORT_MAX_LOG_LINES
#define SN_INCIDENT_MAX_SEQS	   SN_REPORT_MAX_SEQS
#define SN_INCIDENT_MAX_BACKTRACES 64
#define SN_INCIDENT_MAX_CPU_SLOTS  64
#define SN_INCIDENT_MAX_RECENT	   64
#define SN_INCIDENT_MAX_REASON	   255

/* Until set_requests() says otherwise (I10). */
#define SN_INCIDENT_NO_REQUESTS_REASON "backtraces are not requested"
/* I9: wanted, but not asked yet when the incident closed (not-requested). */
#define SN_INCIDENT_NOT_ASKED_REASON \
	"the incident closed before its backtrace was requested"
/* I9: a request outstanding when the incident closed (unavailable). */
#define SN_INCIDENT_NO_ANSWER_REASON \
	"no answer to the backtrace request before the incident closed"

struct sn_incident_config {
	uint64_t window_usec;  /* I1, I2; 0: SN_INCIDENT_WINDOW_USEC */
	uint64_t quiet_usec;   /* I4; 0: SN_INCIDENT_QUIET_USEC */
	size_t max_open;       /* I4; 0: SN_INCIDENT_MAX_OPEN */
	size_t log_max_lines;  /* I5; 0: SN_INCIDENT_LOG_MAX_LINES */
	uint64_t hold_usec;    /* I9; 0: SN_INCIDENT_HOLD_USEC */
	uint64_t recent_usec;  /* I8; 0: SN_INCIDENT_RECENT_USEC */
	unsigned max_attempts; /* I7; 0: SN_INCIDENT_MAX_ATTEMPTS */
};

/* I7: where one stalled CPU's backtrace request stands. */
enum sn_incident_cpu_state {
	SN_INCIDENT_CPU_IDLE,  /* not asked (or a retry due at not_before) */
	SN_INCIDENT_CPU_ASKED, /* a request outstanding */
	SN_INCIDENT_CPU_DONE,  /* a capture, or a final outcome */
};

struct sn_incident_cpu {
	uint32_t cpu;
	enum sn_incident_cpu_state state;
	unsigned attempts;   /* requests made */
	uint64_t not_before; /* IDLE after an answer: wanted again from then */
	/*
	 * delivery 0: nothing yet. Otherwise a capture (source netlink-request or
	 * -monitor), or the last outcome: the kernel's delivery status, or unavailable
	 * with a reason.
	 */
	struct sn_evidence ev;
};

/* Who asked for the CPUs' backtraces (a signal from the BPF source; bt-caller.h). */
struct sn_incident_trigger {
	enum sn_bt_caller caller;
	/* the deciding function; "" if unknown */
	char function[SN_REPORT_MAX_FUNCTION + 1];
	uint32_t requester_cpu;
	struct sn_cpu_set targets; /* the CPUs whose backtraces were asked for */
};

/* An event of another source than the kernel log (S1-S3). */
struct sn_incident_signal {
	enum sn_incident_kind kind;
	uint64_t ts_usec; /* the log's clock: CLOCK_MONOTONIC when the log is live */
	bool has_cpus;	  /* false: it names no stalled CPU */
	struct sn_cpu_set cpus;
	const char *detector; /* "rcu", "hung_task", "buddy", ...; NULL for none */
	const struct sn_incident_trigger *trigger; /* a backtrace request's, or NULL */
};

struct sn_incident {
	uint64_t number; /* 1, 2, ... in the order opened */
	enum sn_incident_kind kind;
	char detector[SN_REPORT_MAX_DETECTOR + 1]; /* "buddy", "perf", ...; "" for none */
	struct sn_cpu_set cpus;			   /* stalled */
	uint64_t first_usec, last_usec;		   /* the kernel log's clock */
	uint64_t first_seq, last_seq;		   /* the records it spans */
	uint64_t detections; /* events folded into it, the first included, and the
			      * repeats carried over from the last complete one (I6) */
	bool complete;	     /* closed by I6: a backtrace of every stalled CPU */
	uint64_t signals;    /* signals that opened or joined it (S1) */
	bool cpus_unknown;   /* opened by a signal without CPUs, none added since (S1) */
	bool has_trigger;
	struct sn_incident_trigger trigger; /* S3 */
	size_t n_seqs;
	uint64_t seqs[SN_INCIDENT_MAX_SEQS]; /* its events' records, ascending, unique */
	uint64_t seqs_dropped;
	size_t n_backtraces;
	struct sn_kmsg_backtrace
		*backtraces[SN_INCIDENT_MAX_BACKTRACES]; /* one per CPU */
	uint64_t backtraces_extra; /* repeats and those past the cap (I3) */
	size_t n_slots;
	struct sn_incident_cpu slots[SN_INCIDENT_MAX_CPU_SLOTS]; /* I7, in join order */
	uint64_t slots_dropped; /* stalled CPUs past the cap */
	bool held;		/* I9: kept open past its quiet period */
	/* I11: a hung task's incident is its task's. */
	bool has_task;
	uint32_t task_pid;
	char task_comm[SN_KMSG_COMM_MAX];
	uint64_t task_seconds; /* blocked for more than, as the last detection said */
	bool task_io_wait;
	struct sn_kmsg_backtrace *task_bt; /* its "task:" block (origin task), or NULL */
	/* Set when it closes (I5, I10), valid during the handler's call only. */
	size_t n_lines;
	char **lines; /* "[%5lu.%06lu] text", as the console prints them */
	uint64_t lines_dropped;
	enum sn_evidence_delivery no_request_delivery; /* not-requested, unavailable */
	char no_request_reason[SN_INCIDENT_MAX_REASON + 1];
};

struct sn_incidents_stats {
	uint64_t opened;
	uint64_t closed;
	uint64_t folded;    /* detections that joined an open incident */
	uint64_t attached;  /* kernel log backtraces kept as evidence */
	uint64_t orphaned;  /* kernel log backtraces that matched no open incident */
	uint64_t ignored;   /* events not used (nmi-send, nmi-timeout) */
	uint64_t evicted;   /* incidents closed early by max_open */
	uint64_t lines;	    /* lines added */
	uint64_t complete;  /* incidents closed because their evidence was whole (I6) */
	uint64_t repeats;   /* detections, signals of an incident already reported (I6) */
	uint64_t captures;  /* netlink captures attached to an incident (I8) */
	uint64_t recent;    /* of them, recent monitor captures taken when a CPU joined */
	uint64_t unmatched; /* netlink captures that matched no open incident */
	uint64_t outcomes;  /* answers without a capture recorded (I7) */
	uint64_t held;	    /* incidents kept open past their quiet period (I9) */
	uint64_t signals;   /* signals added (S1) */
};

/*
 * Called once per closed incident, from feed(), tick() or flush(); inc is valid during
 * the call only. A negative return is returned by the call that closed it (the incident
 * is closed all the same).
 */
typedef int (*sn_incident_handler_t)(const struct sn_incident *inc, void *userdata);

struct sn_incidents;

/* cfg may be NULL for the defaults. */
int sn_incidents_new(const struct sn_incident_config *cfg, sn_incident_handler_t handler,
		     void *userdata, struct sn_incidents **ret);
struct sn_incidents *sn_incidents_free(struct sn_incidents *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_incidents *, sn_incidents_free);

/*
 * One kernel log line for the excerpts (I5), in log order; a record of several lines is
 * added line by line with the same seq. Does not advance the clock.
 */
int sn_incidents_add_line(struct sn_incidents *s, uint64_t seq, uint64_t ts_usec,
			  const char *text);
/* One recognizer event; closes what its time makes quiet first (I4). */
int sn_incidents_feed(struct sn_incidents *s, const struct sn_kmsg_event *ev);
/* The same with the recognizer's handler signature (userdata: the sn_incidents). */
int sn_incidents_on_kmsg_event(const struct sn_kmsg_event *ev, void *userdata);
/* One signal (S1-S3); closes what its time makes quiet first (I4). */
int sn_incidents_add_signal(struct sn_incidents *s, const struct sn_incident_signal *sig);
/* The log's clock is at now_usec: closes the quiet incidents (I4, I9). */
int sn_incidents_tick(struct sn_incidents *s, uint64_t now_usec);
/* Closes every open incident (end of input). */
int sn_incidents_flush(struct sn_incidents *s);
/*
 * The first kernel log record that what is open still needs: the lowest first record
 * of the open incidents and of the complete ones whose repeat window (I6) lasts;
 * UINT64_MAX when none. A reader that stops and reads the log again from there rebuilds
 * the same incidents, so their reports get the same ids (report.h); the kernel log
 * cursor is kept below it.
 */
uint64_t sn_incidents_resume_seq(const struct sn_incidents *s);
/* When tick() should be called next (the log's clock); 0 when nothing is open. */
uint64_t sn_incidents_next_deadline(const struct sn_incidents *s);
size_t sn_incidents_open_count(const struct sn_incidents *s);
void sn_incidents_get_stats(const struct sn_incidents *s, struct sn_incidents_stats *ret);

/*
 * I7, I10: backtraces are requested (on), or not, and then why: delivery
 * SN_EVIDENCE_NOT_REQUESTED or SN_EVIDENCE_UNAVAILABLE and a reason of at most
 * SN_INCIDENT_MAX_REASON bytes (longer ones are cut), for the reports of the CPUs that
 * have nothing. Off by default, not-requested, SN_INCIDENT_NO_REQUESTS_REASON. -EINVAL
 * for another delivery or an empty reason.
 */
int sn_incidents_set_requests(struct sn_incidents *s, bool on,
			      enum sn_evidence_delivery delivery, const char *reason);
bool sn_incidents_requests_on(const struct sn_incidents *s);
/*
 * I7: the CPUs that open incidents want a backtrace of at now_usec (idle, their retry
 * due), added to *cpus; returns how many were added. None while requests are off.
 */
size_t sn_incidents_wanted(const struct sn_incidents *s, uint64_t now_usec,
			   struct sn_cpu_set *cpus);
/* When a retry is due next (I7); 0 when none waits. */
uint64_t sn_incidents_next_retry(const struct sn_incidents *s);
/* I7: a request for cpus went out: the idle CPUs of those are asked. */
void sn_incidents_requested(struct sn_incidents *s, const struct sn_cpu_set *cpus);
/*
 * I7, I8: one entry of the netlink family, a request's reply (source
 * SN_STACK_NETLINK_REQUEST) or a notification (SN_STACK_NETLINK_MONITOR), taken at
 * ts_usec. A capture attaches (I8); an entry without one is the outcome of the
 * incidents that asked its CPU, wanted again from retry_at when not 0 (and attempts
 * remain). Returns the number of incidents it went to, or -ENOMEM, -EINVAL.
 */
int sn_incidents_add_entry(struct sn_incidents *s, const struct sn_entry *e,
			   enum sn_stack_source source, uint64_t ts_usec,
			   uint64_t retry_at);
/*
 * I7: the request for cpus got no entries (refused, no reply in time, ...): the asked
 * CPUs of those get delivery unavailable with reason, wanted again from retry_at when
 * not 0 (and attempts remain). Returns the number of CPU slots it went to.
 */
int sn_incidents_request_failed(struct sn_incidents *s, const struct sn_cpu_set *cpus,
				const char *reason, uint64_t retry_at);

/*
 * The report of a closed incident: host, kind, detector, stalled CPUs, times, the kernel
 * log records, per stalled CPU one entry (I10), the excerpt, folded_count (detections -
 * 1, or 0 for none), the sources that saw it (kmsg: a detection or backtrace; bpf: a
 * signal) and the trigger (S3). The kernel's times become realtime by now: the same
 * moment on both clocks (realtime microseconds and monotonic nanoseconds), taken by the
 * caller.
 */
int sn_incident_to_report(const struct sn_incident *inc, const struct sn_host *host,
			  const struct sn_report_time *now, struct sn_report **ret);
