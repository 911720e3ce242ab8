/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The OTLP/HTTP sink: ships the spool's reports to an OpenTelemetry collector, one
 * POST of an ExportLogsServiceRequest (lib/otlp.h) per report, oldest first, one at a
 * time. libcurl's multi interface runs in the loop: its sockets are sd-event I/O
 * sources (CURLMOPT_SOCKETFUNCTION) and its timeouts one sd-event timer
 * (CURLMOPT_TIMERFUNCTION), so nothing waits on the network; each request is bounded
 * by the configured timeout.
 *
 * Delivery:
 *  - a report is queued when the spool accepts it, and at start every report of the
 *    spool not shipped yet (so nothing is lost across restarts or crashes);
 *  - it is marked shipped in the spool (sn_spool_mark_shipped()) only after a 2xx
 *    without a rejection in partialSuccess; each request carries the report's id as
 *    "Idempotency-Key" (and as log.record.uid), so a report sent again after a crash
 *    can be deduplicated;
 *  - a failure of the network, a timeout or an HTTP status other than the ones below is
 *    retried, the same report first, after sn_backoff_delay() (1 s doubling to 5 min,
 *    jittered; at least Retry-After for 429 and 503, within that bound);
 *  - 400, 413, 415 and 422 (the report itself refused), a rejection in partialSuccess
 *    or a spool file that is not a valid report: that report is not retried in this run
 *    (counted as failed; it stays in the spool, unshipped, and is tried again after a
 *    restart); a report evicted from the spool before its turn is skipped;
 *  - at the end of input with --exit-on-eof, the daemon waits up to OTLP_SINK_DRAIN_USEC
 *    for what is queued; what is not shipped by then stays in the spool.
 */

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"
#include "manager.h"

#define OTLP_SINK_DEFAULT_TIMEOUT_SEC 10
#define OTLP_SINK_DRAIN_USEC	      (30ULL * 1000 * 1000)

struct otlp_sink_config {
	const char *url;
	unsigned timeout_sec; /* 0: OTLP_SINK_DEFAULT_TIMEOUT_SEC */
	char *const *headers; /* "Name: value", checked by lib/config.c; copied */
	size_t n_headers;
};

struct otlp_sink;

/* Needs m->spool; the caller logs why it could not. */
int otlp_sink_new(struct manager *m, const struct otlp_sink_config *cfg,
		  struct otlp_sink **ret);
struct otlp_sink *otlp_sink_free(struct otlp_sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct otlp_sink *, otlp_sink_free);

/* Queues the spool's unshipped reports, oldest first, and starts shipping. */
int otlp_sink_start(struct otlp_sink *s);
/* The spool accepted report id: queue it. */
int otlp_sink_add(struct otlp_sink *s, const char *id);
/* Reports queued, the one in flight included. */
size_t otlp_sink_pending(const struct otlp_sink *s);
/* Whether otlp_sink_drain() waits for the queue (the loop ends when it is done). */
bool otlp_sink_draining(const struct otlp_sink *s);
/*
 * The input ended: 1 when reports are queued, and the sink ends the loop with status
 * once they are shipped (or given up for this run) or after OTLP_SINK_DRAIN_USEC; 0
 * when nothing is queued.
 */
int otlp_sink_drain(struct otlp_sink *s, int status);
