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
 *  I6 an incident that names CPUs and has a backtrace of every one of them is complete
 *     and closes at once (its report need not wait for the quiet period: the evidence
 *     is whole). Until window_usec after its first detection, a detection of the same
 *     kind whose CPUs are all among its CPUs is a repeat of it: counted (stats.repeats,
 *     and in the next report of that lockup when it lasts past the window: see below),
 *     no new incident. Past the window, it opens a new incident as in I2.
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

#include "cpu-set.h"
#include "kmsg-events.h"
#include "macro.h"
#include "report.h"

#define SN_INCIDENT_WINDOW_USEC	   (30ULL * 1000 * 1000)
#define SN_INCIDENT_QUIET_USEC	   (5ULL * 1000 * 1000)
#define SN_INCIDENT_MAX_OPEN	   64
#define SN_INCIDENT_LOG_MAX_LINES  4096
#define SN_INCIDENT_MAX_LINES	   SN_REPORT_MAX_LOG_LINES
#define SN_INCIDENT_MAX_SEQS	   SN_REPORT_MAX_SEQS
#define SN_INCIDENT_MAX_BACKTRACES 64

/* The reason given for stalled CPUs without a backtrace. */
#define SN_INCIDENT_NOT_REQUESTED_REASON "sdei-nmid does not request backtraces yet"

struct sn_incident_config {
	uint64_t window_usec; /* I1, I2; 0: SN_INCIDENT_WINDOW_USEC */
	uint64_t quiet_usec;  /* I4; 0: SN_INCIDENT_QUIET_USEC */
	size_t max_open;      /* I4; 0: SN_INCIDENT_MAX_OPEN */
	size_t log_max_lines; /* I5; 0: SN_INCIDENT_LOG_MAX_LINES */
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
	size_t n_seqs;
	uint64_t seqs[SN_INCIDENT_MAX_SEQS]; /* its events' records, ascending, unique */
	uint64_t seqs_dropped;
	size_t n_backtraces;
	struct sn_kmsg_backtrace
		*backtraces[SN_INCIDENT_MAX_BACKTRACES]; /* one per CPU */
	uint64_t backtraces_extra; /* repeats and those past the cap (I3) */
	/* Set when it closes (I5), valid during the handler's call only. */
	size_t n_lines;
	char **lines; /* "[%5lu.%06lu] text", as the console prints them */
	uint64_t lines_dropped;
};

struct sn_incidents_stats {
	uint64_t opened;
	uint64_t closed;
	uint64_t folded;   /* detections that joined an open incident */
	uint64_t attached; /* backtraces kept as evidence */
	uint64_t orphaned; /* backtraces that matched no open incident */
	uint64_t ignored;  /* events not used (nmi-send, nmi-timeout) */
	uint64_t evicted;  /* incidents closed early by max_open */
	uint64_t complete; /* incidents closed because their evidence was whole (I6) */
	uint64_t repeats;  /* detections of an incident already reported (I6) */
	uint64_t lines;	   /* lines added */
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
/* The log's clock is at now_usec: closes the quiet incidents (I4). */
int sn_incidents_tick(struct sn_incidents *s, uint64_t now_usec);
/* Closes every open incident (end of input). */
int sn_incidents_flush(struct sn_incidents *s);
/* When tick() should be called next (the log's clock); 0 when nothing is open. */
uint64_t sn_incidents_next_deadline(const struct sn_incidents *s);
size_t sn_incidents_open_count(const struct sn_incidents *s);
void sn_incidents_get_stats(const struct sn_incidents *s, struct sn_incidents_stats *ret);

/*
 * The report of a closed incident: host, kind, detector, stalled CPUs, times, the kernel
 * log records, per stalled CPU its backtrace (source kmsg) or delivery not-requested,
 * the excerpt, folded_count (detections - 1). The kernel's times become realtime by
 * now: the same moment on both clocks (realtime microseconds and monotonic
 * nanoseconds), taken by the caller.
 */
int sn_incident_to_report(const struct sn_incident *inc, const struct sn_host *host,
			  const struct sn_report_time *now, struct sn_report **ret);
