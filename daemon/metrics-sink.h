/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The Prometheus sink: the manager's counters and states as a node_exporter textfile
 * collector file (lib/prom.h renders, sn_write_file_atomic_flags() replaces the file
 * whole, without fsync(): the loop never waits for the disk). Written at start, within
 * METRICS_SINK_DELAY_USEC of a change (changes in between are coalesced into one write,
 * and one that leaves the text as it was writes nothing), at least every heartbeat
 * ([metrics] heartbeat_sec; its timestamp in the file), and at exit, when every source is
 * shown down and sdei_nmid_up is 0. A write that fails is logged (once until one
 * succeeds again) and tried again at the next change or heartbeat; it never stops the
 * daemon.
 */

#include <stdbool.h>

#include "macro.h"
#include "manager.h"

#define METRICS_SINK_DELAY_USEC	   (1000 * 1000)
#define METRICS_SINK_HEARTBEAT_SEC 60 /* when m->cfg.metrics_heartbeat_sec is 0 */

struct metrics_sink;

/* The heartbeat: m->cfg.metrics_heartbeat_sec. */
int metrics_sink_new(struct manager *m, const char *path, struct metrics_sink **ret);
struct metrics_sink *metrics_sink_free(struct metrics_sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct metrics_sink *, metrics_sink_free);

/* Something changed: write within METRICS_SINK_DELAY_USEC. */
void metrics_sink_schedule(struct metrics_sink *s);
/* Writes now; stopping: the daemon is ending, no source runs any more. */
int metrics_sink_write(struct metrics_sink *s, bool stopping);

/* The text the file gets, its heartbeat timestamp heartbeat_usec (CLOCK_REALTIME). */
int metrics_sink_render(const struct metrics_sink *s, bool stopping,
			uint64_t heartbeat_usec, char **ret, size_t *ret_len);
