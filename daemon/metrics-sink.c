/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics-sink.h"
#include "otlp-sink.h"
#include "prom.h"
#include "util.h"

#define PREFIX "sdei_nmid_"

struct metrics_sink {
	struct manager *manager;
	char *path;
	sd_event_source *timer;
	uint64_t start_usec; /* CLOCK_REALTIME */
	bool failing;	     /* the last write failed (and said so) */
	char *written;	     /* what the file holds, when the last write succeeded */
};

struct metrics_sink *metrics_sink_free(struct metrics_sink *s)
{
	if (!s)
		return NULL;
	sd_event_source_disable_unref(s->timer);
	free(s->written);
	free(s->path);
	free(s);
	return NULL;
}

static void counter(struct sn_prom *p, const char *name, const char *help, uint64_t v)
{
	sn_prom_family(p, name, SN_PROM_COUNTER, help);
	sn_prom_sample(p, v, NULL);
}

static void gauge(struct sn_prom *p, const char *name, const char *help, uint64_t v)
{
	sn_prom_family(p, name, SN_PROM_GAUGE, help);
	sn_prom_sample(p, v, NULL);
}

int metrics_sink_render(const struct metrics_sink *s, bool stopping, char **ret,
			size_t *ret_len)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	const struct manager *m = s->manager;
	const struct manager_counters *c = &m->counters;
	int r;

	r = sn_prom_new(&p);
	if (r < 0)
		return r;

	/* Errors are sticky: sn_prom_finish() says the first one. */
	sn_prom_family(p, PREFIX "incidents", SN_PROM_COUNTER,
		       "Incidents reported (written to at least one sink), by kind.");
	for (int k = 1; k < _SN_INCIDENT_KIND_MAX; k++)
		sn_prom_sample(p, c->incidents[k], "kind", sn_incident_kind_to_string(k),
			       NULL);

	counter(p, PREFIX "backtraces_requested",
		"SDEI backtraces requested through the sdei-nmi netlink family.",
		c->backtraces_requested);
	counter(p, PREFIX "backtraces_captured",
		"SDEI backtraces requested and captured.", c->backtraces_captured);
	counter(p, PREFIX "backtraces_timed_out",
		"SDEI backtraces requested that timed out.", c->backtraces_timed_out);

	counter(p, PREFIX "reports_spooled", "Reports written to the spool directory.",
		c->reports_spooled);
	counter(p, PREFIX "reports_evicted",
		"Reports evicted from the spool to keep it within its bounds.",
		c->reports_evicted);
	counter(p, PREFIX "reports_evicted_unshipped",
		"Reports evicted from the spool before a remote sink had them.",
		c->reports_evicted_unshipped);
	counter(p, PREFIX "reports_shipped",
		"Reports acknowledged by the OTLP collector (2xx).", c->reports_shipped);
	counter(p, PREFIX "reports_failed",
		"Reports a sink refused for good (not written, or rejected by the "
		"collector); they stay in the spool.",
		c->reports_failed);
	counter(p, PREFIX "reports_folded",
		"Reports held back as repeats of a recent one or by the rate limit, "
		"counted into the next report of their kind and stacks.",
		c->reports_folded);
	counter(p, PREFIX "otlp_requests_failed",
		"OTLP requests that failed and are retried with backoff.",
		c->otlp_requests_failed);
	sn_prom_family(p, PREFIX "otlp_reports_set_aside", SN_PROM_COUNTER,
		       "Reports the OTLP sink set aside, not retried, by reason.");
	for (int a = 0; a < _SN_OTLP_ASIDE_MAX; a++)
		sn_prom_sample(p, c->otlp_set_aside[a], "reason",
			       sn_otlp_aside_to_string(a), NULL);
	gauge(p, PREFIX "reports_pending",
	      "Spooled reports waiting for the OTLP collector.",
	      m->otlp ? otlp_sink_pending(m->otlp) : 0);

	counter(p, PREFIX "bpf_events",
		"Events of the BPF source taken from its ring buffer.", c->bpf_events);
	counter(p, PREFIX "bpf_events_lost",
		"Events the BPF programs could not write (their ring buffer was full).",
		c->bpf_lost);

	sn_prom_family(p, PREFIX "source_up", SN_PROM_GAUGE,
		       "Whether a source runs (1) or not (0; the log says why).");
	for (int i = 0; i < _MANAGER_SOURCE_MAX; i++)
		sn_prom_sample(p, !stopping && m->sources[i].up, "source",
			       manager_source_to_string(i), NULL);

	gauge(p, PREFIX "kdump_ready",
	      "Whether a crash dump would be taken: no kdump check fails (1), or one "
	      "does (0; sdei-nmictl kdump and the reports say why), as of the last check.",
	      m->kdump_ready);
	if (m->kdump_checked) {
		gauge(p, PREFIX "kdump_status",
		      "kdump readiness: 0 ready, 1 degraded (a check warns), 2 not ready "
		      "(a check fails).",
		      m->kdump_status);
		sn_prom_family(p, PREFIX "kdump_check", SN_PROM_GAUGE,
			       "Each kdump readiness check: 0 ok, 1 warn, 2 fail "
			       "(sdei-nmictl kdump says why).");
		for (int i = 0; i < _SN_KDUMP_CHECK_MAX; i++)
			sn_prom_sample(p, m->kdump_levels[i], "check",
				       sn_kdump_check_id_to_string(i), NULL);
	}

	gauge(p, PREFIX "start_time_seconds",
	      "When sdei-nmid started, seconds since the epoch.",
	      s->start_usec / 1000000);

	return sn_prom_finish(p, ret, ret_len);
}

/* force: even when the file holds the same text already. */
static int write_file(struct metrics_sink *s, bool stopping, bool force)
{
	_cleanup_(freep) char *text = NULL;
	size_t len;
	int r;

	(void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	r = metrics_sink_render(s, stopping, &text, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to render the metrics: %m");
	if (!force && s->written && strcmp(s->written, text) == 0)
		return 0;
	/* 0644: node_exporter runs as another user; the unit's UMask is 0027. */
	r = sn_write_file_atomic(s->path, text, len, 0644);
	if (r < 0) {
		if (!s->failing)
			log_warning_errno(r, "Failed to write the metrics file %s: %m%s",
					  s->path,
					  r == -ENOENT ? " (no such directory)" : "");
		s->failing = true;
		return r;
	}
	if (s->failing)
		log_info("Metrics file %s written again.", s->path);
	s->failing = false;
	free(s->written);
	s->written = TAKE_PTR(text);
	return 0;
}

int metrics_sink_write(struct metrics_sink *s, bool stopping)
{
	return write_file(s, stopping, true);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	(void)write_file(userdata, false, false);
	return 0;
}

void metrics_sink_schedule(struct metrics_sink *s)
{
	int enabled = SD_EVENT_OFF;

	if (!s)
		return;
	/* Armed already: this change is written with the ones before. */
	if (sd_event_source_get_enabled(s->timer, &enabled) >= 0 &&
	    enabled != SD_EVENT_OFF)
		return;
	if (sd_event_source_set_time_relative(s->timer, METRICS_SINK_DELAY_USEC) < 0 ||
	    sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT) < 0)
		(void)write_file(s, false, false); /* cannot wait: now */
}

int metrics_sink_new(struct manager *m, const char *path, struct metrics_sink **ret)
{
	_cleanup_(metrics_sink_freep) struct metrics_sink *s = NULL;
	struct timespec ts;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->manager = m;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->start_usec = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	/* Accuracy 100 ms: a write may join the loop's other wakeups. */
	r = sd_event_add_time_relative(m->event, &s->timer, CLOCK_MONOTONIC,
				       METRICS_SINK_DELAY_USEC, 100 * 1000, on_timer, s);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s->timer, "metrics-timer");
	*ret = TAKE_PTR(s);
	return 0;
}
