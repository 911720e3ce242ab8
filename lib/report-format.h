/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reports (report.h) for people and scripts reading the spool: `sdei-nmictl reports`.
 * Text is what an on-call engineer reads first: what stalled, where, and whether its
 * stack was caught; everything from a report is untrusted and printed escaped.
 * Functions return 0 or -EIO when the stream failed, -ENOMEM.
 */

#include <stdio.h>

#include <cjson/cJSON.h>

#include "report.h"

/*
 * The column header of the list, and one line per report under it; state is the spool's
 * (pending, shipped, held).
 */
int sn_report_format_list_header(FILE *f);
int sn_report_format_list_line(FILE *f, const struct sn_report *r, const char *state);

/*
 * kdump readiness (lib/kdump.h's JSON object, sdei-nmictl kdump and reports show): its
 * status and architecture on one line, "ready (arm64)", "DEGRADED (x86_64)", "NOT
 * READY (arm64)"; then a table, each line after indent: the level (ok, WARN, FAIL), the
 * check's id and its reason, the remedy under the reason ("-> "), and the files that
 * could not be read without privilege.
 */
int sn_report_format_kdump_status(FILE *f, const cJSON *kdump);
int sn_report_format_kdump_checks(FILE *f, const cJSON *kdump, const char *indent);

/* The whole report, in sections: incident, host, each CPU's evidence, log, kdump. */
int sn_report_format(FILE *f, const struct sn_report *r);

/*
 * The list's object for one report: id, time (first seen, UTC), kind, detector, cpus,
 * stacks_captured, folded_count.
 */
int sn_report_summary_to_json(const struct sn_report *r, cJSON **ret);

/* CPUs of r whose evidence holds a stack (captured, frames or registers). */
unsigned sn_report_stacks_captured(const struct sn_report *r);
