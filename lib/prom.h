/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Metrics in the Prometheus text exposition format (version 0.0.4), as node_exporter's
 * textfile collector reads them from a *.prom file. Pure: a buffer is rendered here and
 * written by the caller (sn_write_file_atomic() in util.h).
 *
 * The rendering is a sequence of families, each a "# HELP" and a "# TYPE" line and
 * then its samples:
 *
 *   # HELP sdei_nmid_incidents_total Incidents reported, by kind.
 *   # TYPE sdei_nmid_incidents_total counter
 *   sdei_nmid_incidents_total{kind="hard-lockup"} 1
 *
 * Rules, checked (-EINVAL, and nothing more is rendered):
 *  - a metric name is [a-zA-Z_:][a-zA-Z0-9_:]*; a counter is named without "_total",
 *    which the rendering appends (so a counter's name never lacks it, and a gauge's
 *    never has it: the name given must not end in "_total");
 *  - a family is rendered once (a second one of the same name: -EEXIST), its samples
 *    right after its TYPE line;
 *  - a label name is [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved), once
 *    per sample; a label value is any string, escaped (\\, \", \n);
 *  - HELP text is escaped (\\, \n).
 *
 * Errors are sticky: the first one is kept, later calls do nothing and return it, and
 * sn_prom_finish() returns it; so a caller may render everything and check once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define SN_PROM_NAME_MAX 128 /* a metric or label name, bytes */

enum sn_prom_type {
	SN_PROM_COUNTER,
	SN_PROM_GAUGE,
};

struct sn_prom;

int sn_prom_new(struct sn_prom **ret);
struct sn_prom *sn_prom_free(struct sn_prom *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_prom *, sn_prom_free);

/* Starts a family: its HELP and TYPE lines. */
int sn_prom_family(struct sn_prom *p, const char *name, enum sn_prom_type type,
		   const char *help);

/*
 * A sample of the family last started: value, then label name and value pairs, ended
 * by NULL: sn_prom_sample(p, 1, "kind", "hard-lockup", NULL).
 */
int sn_prom_sample(struct sn_prom *p, uint64_t value, ...) __attribute__((sentinel));

/*
 * The text (NUL-terminated, free()) and its length, or the first error. Either way
 * the renderer is done: later calls return an error, it can only be freed.
 */
int sn_prom_finish(struct sn_prom *p, char **ret, size_t *ret_len);

/* Whether s is a valid metric name, or label name (see above). */
bool sn_prom_metric_name_valid(const char *s);
bool sn_prom_label_name_valid(const char *s);
