/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The OTLP/HTTP sink: ships reports to an OpenTelemetry collector, one POST of an
 * ExportLogsServiceRequest (lib/otlp.h) per report, in the order they were added, one
 * at a time. libcurl's multi interface runs in the loop: its sockets are sd-event I/O
 * sources (CURLMOPT_SOCKETFUNCTION) and its timeouts one sd-event timer
 * (CURLMOPT_TIMERFUNCTION), so nothing waits on the network; each request is bounded
 * by the configured timeout. The sink never touches the spool: the manager hands it
 * each report's bytes (otlp_sink_add()) and hears what became of it (done()).
 *
 * Delivery (the OTLP specification's OTLP/HTTP "Failures" and "Throttling"):
 *  - shipped after a 2xx whose partialSuccess rejects nothing: done(shipped = true).
 *    Each request carries the report's id as "Idempotency-Key" (and as
 *    log.record.uid), so a report sent again after a crash can be deduplicated;
 *  - retried, the same report first, after sn_backoff_delay() (1 s doubling to 5 min,
 *    jittered) and at least the answer's Retry-After (seconds or an HTTP-date, capped
 *    at 5 min): 429, 502, 503, 504, and a failure of the network or the TLS handshake,
 *    or a timeout, where the report is not at fault;
 *  - set aside for good, whatever the status (any other 4xx, 500, 501, 3xx, ...), a
 *    rejection in partialSuccess, or a report lib/otlp.c refuses: counted by reason
 *    (manager_counters.otlp_set_aside), logged with the reason and done(shipped =
 *    false, reason); the next report goes at once, so no report blocks those behind it;
 *  - a report still queued when the sink is freed gets no done(): it stays unshipped;
 *  - at the end of input with --exit-on-eof, the daemon waits up to
 *    OTLP_SINK_DRAIN_USEC for what is queued.
 *
 * The queue holds the reports' bytes, at most OTLP_SINK_MAX_QUEUE_BYTES of them (one
 * report is always taken, whatever its size): past that otlp_sink_add() says -ENOBUFS
 * and the report is not queued.
 *
 * TLS: the CA file, client certificate and key are read when the sink is made and
 * handed to libcurl as blobs (never read again from the loop).
 */

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "macro.h"
#include "manager.h"
#include "otlp-config.h"

#define OTLP_SINK_DRAIN_USEC	  (30ULL * 1000 * 1000)
#define OTLP_SINK_MAX_QUEUE_BYTES (8u * 1024 * 1024)
/* A CA file, client certificate or key larger than this is not one. */
#define OTLP_SINK_MAX_PEM (1024 * 1024)

/*
 * A report left the queue: shipped (acknowledged), or set aside for good with reason
 * ("client-error: HTTP 400", ...; NULL when shipped). Called once per report.
 */
typedef void (*otlp_sink_done_t)(void *userdata, const char *id, bool shipped,
				 const char *reason);

struct otlp_sink_config {
	const struct sn_otlp_settings *settings; /* url set; copied */
	otlp_sink_done_t done;
	void *userdata;
};

struct otlp_sink;

/* -EINVAL without a URL; a TLS file that cannot be read is logged and its error
 * returned. */
int otlp_sink_new(struct manager *m, const struct otlp_sink_config *cfg,
		  struct otlp_sink **ret);
struct otlp_sink *otlp_sink_free(struct otlp_sink *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct otlp_sink *, otlp_sink_free);

/* Says it runs, and starts shipping what was added. */
int otlp_sink_start(struct otlp_sink *s);
/*
 * Queues report id (len bytes, copied). 0 also when it is queued already; -EINVAL for
 * an id that is not one; -ENOBUFS when the queue is full (see above); -ENOMEM.
 */
int otlp_sink_add(struct otlp_sink *s, const char *id, const char *report, size_t len);
/* Reports queued, the one in flight included. */
size_t otlp_sink_pending(const struct otlp_sink *s);
/* Whether otlp_sink_drain() waits for the queue (the loop ends when it is done). */
bool otlp_sink_draining(const struct otlp_sink *s);
/*
 * The input ended: 1 when reports are queued, and the sink ends the loop with status
 * once they are shipped or set aside, or after OTLP_SINK_DRAIN_USEC; 0 when nothing is
 * queued.
 */
int otlp_sink_drain(struct otlp_sink *s, int status);

/*
 * The sink's settings (lib/otlp-config.h): url (the command line's, or NULL), then the
 * files' [otlp], the credentials of $CREDENTIALS_DIRECTORY, the environment (whose
 * bad values are logged as warnings). A bad credential is logged and its error
 * returned.
 */
int otlp_sink_settings(const struct sn_config *files, const char *url,
		       struct sn_otlp_settings *ret);
