/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Prometheus sink: the manager's counters and states as a node_exporter textfile
 * collector file (lib/prom.h renders, sn_write_file_atomic() replaces the file whole).
 * Written at start, within METRICS_SINK_DELAY_USEC of a change (changes in between are
 * coalesced into one write, and one that leaves the text as it was writes nothing, so
 * an idle daemon writes nothing), and at exit, when every source is shown down. A
 * write that fails is logged (once until one succeeds again) and tried again at the
 * next change; it never stops the daemon.
 */

#include <stdbool.h>

#include "macro.h"
#include "manager.h"

#define METRICS_SINK_DELAY_USEC (1000 * 1000)

struct metrics_sink;

int metrics_sink_new(struct manager *m, const char *path, struct metrics_sink **ret);
struct metrics_sink *metrics_sink_free(struct metrics_sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct metrics_sink *, metrics_sink_free);

/* Something changed: write within METRICS_SINK_DELAY_USEC. */
void metrics_sink_schedule(struct metrics_sink *s);
/* Writes now; stopping: the daemon is ending, no source runs any more. */
int metrics_sink_write(struct metrics_sink *s, bool stopping);

/* The text the file gets (also for tests and debugging). */
int metrics_sink_render(const struct metrics_sink *s, bool stopping, char **ret,
			size_t *ret_len);
