/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a report gets, and whether it is written, before it goes to the sinks: the kdump
 * readiness snapshot (lib/kdump.h, read under the root each time, which also sets
 * m->kdump_ready for the metrics), then the repeats and the rate (lib/report-limit.h):
 * a report folded or rate-limited is counted (m->counters.reports_folded), logged,
 * spooled as held (not pushed to journald or OTLP), and carried into the next pushed
 * report of its key.
 */

#include "kdump.h"
#include "manager.h"

/*
 * The limiter, a first kdump snapshot, and what checks it again: a timer ([kdump]
 * interval_sec; the kernel's files have no change notification) and inotify on the
 * directories of the dump configuration and the test record (etc/default, etc,
 * etc/sysconfig, var/lib/sdei-nmi under the root; one that is missing is left to the
 * timer, and said). -ENOMEM.
 */
int report_policy_init(struct manager *m);
void report_policy_done(struct manager *m);
/* SIGHUP: new bounds; the counts held back are kept. */
int report_policy_reload(struct manager *m, const struct sn_limiter_config *cfg);
/*
 * 1: push r (its kdump and folded_count set); 0: hold it (spooled, not pushed; counted,
 * logged). Every report is spooled either way (report-sinks.h).
 */
int report_policy_apply(struct manager *m, const struct sn_incident *inc,
			struct sn_report *r);
/*
 * Reads the kdump snapshot again (m->cfg.kdump's policy); logs each check whose level
 * changed, and the status when it did; updates m->kdump_* for the metrics.
 */
int report_policy_kdump(struct manager *m, struct sn_kdump *ret);
/*
 * Checks again and arms the timer anew: on the timer, and on SIGHUP (the interval and
 * the policy may have changed).
 */
void report_policy_kdump_reload(struct manager *m);
