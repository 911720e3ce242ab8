/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Where a report goes once the report policy (report-policy.h) has judged it, in this
 * order, none waiting on a disk:
 *  1. journald, when the report is pushed: a datagram to its socket, first, so that a
 *     storage stall cannot keep the report from the journal;
 *  2. the spool, always: pushed reports as pending, the others (folded, rate-limited)
 *     as held (lib/spool.h), through the spool writer process (spool-writer.h), which
 *     also saves the kernel log cursor after the report (report_sinks_save_cursor());
 *  3. OTLP, for the pending reports once the spool has them: new ones as they are
 *     spooled, and the ones a former run left pending (read back through the writer,
 *     a few at a time so the OTLP queue stays small), in the spool's order. A report
 *     the collector acknowledged is marked shipped, one it refused for good is held
 *     (never sent again).
 * Spooling the same id twice (a restart reads the kernel log again from its cursor:
 * the incident's report has the same id, report.h) is -EEXIST: nothing else is done
 * for it but the journal entry, which cannot be taken back (it carries the same id).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager.h"

/* How many reports of the backlog are read ahead into the OTLP queue. */
#define REPORT_SINKS_OTLP_READ_AHEAD 8
/* At the end: how long the spool writer gets to finish what is queued. */
#define REPORT_SINKS_FINISH_USEC (10ULL * 1000 * 1000)

/* journald's PRIORITY of a report of kind k (also OTLP's severity's source). */
int report_sinks_priority(enum sn_incident_kind k);

/* Starts the spool writer (when there is a spool or a cursor). */
int report_sinks_init(struct manager *m);
void report_sinks_done(struct manager *m);

/* r serialized as json; push: to journald and OTLP too (else held). */
int report_sinks_push(struct manager *m, const struct sn_report *r, const char *json,
		      size_t len, bool push);
/*
 * After the reports before it: the kernel log is accounted for up to seq. Held below
 * the first record of a report the spool refused or failed to write, and not saved
 * while a spool is configured but not open (a restart reads those records again).
 * Returns whether it was queued.
 */
bool report_sinks_save_cursor(struct manager *m, uint64_t seq);
/* The OTLP sink runs: what the spool holds pending goes to it. */
void report_sinks_otlp_started(struct manager *m);
/* A report left the OTLP sink (its done()). */
void report_sinks_otlp_done(void *userdata, const char *id, bool shipped,
			    const char *reason);
/* Reports waiting for OTLP: in its queue, being read, or in the backlog. */
size_t report_sinks_otlp_queued(const struct manager *m);
/* Requests to the spool writer not answered yet. */
size_t report_sinks_busy(const struct manager *m);
/* Outside the loop, at the end: what is queued for the spool, within a bound. */
int report_sinks_finish(struct manager *m);
