/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "metrics-sink.h"
#include "report-sinks.h"
#include "otlp-sink.h"
#include "prom.h"
#include "util.h"

#define PREFIX "sdei_nmid_"
/* The heartbeat's timer may join other wakeups by this much. */
#define HEARTBEAT_ACCURACY_USEC (1000 * 1000)

struct metrics_sink {
	struct manager *manager;
	char *path;
	sd_event_source *timer; /* a change: written within METRICS_SINK_DELAY_USEC */
	sd_event_source
		*heartbeat; /* CLOCK_BOOTTIME: written again at least this often */
	uint64_t heartbeat_usec;
	uint64_t start_usec;   /* CLOCK_REALTIME */
	bool failing;	       /* the last write failed (and said so) */
	char *written;	       /* what the file holds, when the last write succeeded */
	uint64_t written_usec; /* its heartbeat timestamp (CLOCK_REALTIME) */
};

struct metrics_sink *metrics_sink_free(struct metrics_sink *s)
{
	if (!s)
		return NULL;
	sd_event_source_disable_unref(s->timer);
	sd_event_source_disable_unref(s->heartbeat);
	free(s->written);
	free(s->path);
	free(s);
	return NULL;
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
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

/* An enum: one sample per state, labelled, 1 for the current one and 0 for the rest. */
static void states(struct sn_prom *p, const char *name, const char *help,
		   const char *label, const char *(*to_string)(int), int n, int current)
{
	sn_prom_family(p, name, SN_PROM_GAUGE, help);
	for (int i = 0; i < n; i++)
		sn_prom_sample(p, i == current, label, to_string(i), NULL);
}

static const char *status_name(int i)
{
	return sn_kdump_status_to_string(i);
}

static void render_spool(struct sn_prom *p, const struct manager_spool_state *sp)
{
	if (!sp->open)
		return; /* no spool: the journal is the only sink */
	sn_prom_family(p, PREFIX "spool_reports", SN_PROM_GAUGE,
		       "Reports in the spool, by state: pending (to be pushed), shipped "
		       "(kept until evicted or pruned), held (kept, not to be pushed: "
		       "folded, rate-limited, or refused by the collector).");
	sn_prom_sample(p, sp->reports_pending, "state", "pending", NULL);
	sn_prom_sample(p, sp->reports_shipped, "state", "shipped", NULL);
	sn_prom_sample(p, sp->reports_held, "state", "held", NULL);
	gauge(p, PREFIX "spool_bytes", "Bytes of the reports in the spool.", sp->bytes);
	if (sp->oldest_unshipped_realtime_usec)
		gauge(p, PREFIX "spool_oldest_unshipped_timestamp_seconds",
		      "When the oldest report not shipped yet was first seen, seconds "
		      "since the epoch (absent when every report is shipped).",
		      sp->oldest_unshipped_realtime_usec / 1000000);
	gauge(p, PREFIX "spool_stalled",
	      "Whether the spool is stalled (1: a write has waited more than 5 s, the "
	      "file system blocks; reports still go to the journal).",
	      sp->stalled);
}

static void render_kdump(struct sn_prom *p, const struct manager *m)
{
	gauge(p, PREFIX "kdump_ready",
	      "Whether a crash dump would be taken: no kdump check fails (1), or one "
	      "does (0; sdei-nmictl kdump and the reports say why), as of the last check.",
	      m->kdump_ready);
	if (!m->kdump_checked)
		return;
	states(p, PREFIX "kdump_status",
	       "kdump readiness, one sample per status, 1 for the current one: ready, "
	       "degraded (a check warns), not-ready (a check fails).",
	       "status", status_name, _SN_KDUMP_STATUS_MAX, m->kdump_status);
	sn_prom_family(
		p, PREFIX "kdump_check", SN_PROM_GAUGE,
		"Each kdump readiness check, one sample per level (ok, warn, fail), "
		"1 for its current one (sdei-nmictl kdump says why).");
	for (int i = 0; i < _SN_KDUMP_CHECK_MAX; i++)
		for (int l = 0; l < _SN_KDUMP_LEVEL_MAX; l++)
			sn_prom_sample(p, m->kdump_levels[i] == (enum sn_kdump_level)l,
				       "check", sn_kdump_check_id_to_string(i), "level",
				       sn_kdump_level_to_string(l), NULL);
}

int metrics_sink_render(const struct metrics_sink *s, bool stopping,
			uint64_t heartbeat_usec, char **ret, size_t *ret_len)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	const struct manager *m = s->manager;
	const struct manager_counters *c = &m->counters;
	int r;

	r = sn_prom_new(&p);
	if (r < 0)
		return r;

	/* Errors are sticky: sn_prom_finish() says the first one. */
	sn_prom_family(p, PREFIX "build_info", SN_PROM_GAUGE,
		       "The sdei-nmid build: its version, and whether the BPF source is "
		       "built in; always 1.");
	sn_prom_sample(p, 1, "version", SDEI_NMI_VERSION, "bpf",
		       SDEI_NMI_BPF ? "yes" : "no", NULL);
	gauge(p, PREFIX "up", "1 while sdei-nmid runs; 0 written as it exits cleanly.",
	      !stopping);
	gauge(p, PREFIX "heartbeat_timestamp_seconds",
	      "When this file was written, seconds since the epoch; rewritten at least "
	      "every sdei_nmid_heartbeat_interval_seconds while sdei-nmid runs.",
	      heartbeat_usec / 1000000);
	gauge(p, PREFIX "heartbeat_interval_seconds",
	      "The longest time between two writes of this file while sdei-nmid runs "
	      "([metrics] heartbeat_sec).",
	      s->heartbeat_usec / 1000000);
	gauge(p, PREFIX "start_time_seconds",
	      "When sdei-nmid started, seconds since the epoch.",
	      s->start_usec / 1000000);

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
	gauge(p, PREFIX "otlp_queued_reports",
	      "Spooled reports queued for the OTLP collector.",
	      report_sinks_otlp_queued(m));
	render_spool(p, &m->spool_state);

	counter(p, PREFIX "kmsg_records_lost",
		"Kernel log records missing from their sequence numbers: overwritten in "
		"the kernel's buffer before they were read (or left out of a replayed "
		"file).",
		c->kmsg_records_lost);
	counter(p, PREFIX "bpf_events",
		"Events of the BPF source taken from its ring buffer.", c->bpf_events);
	counter(p, PREFIX "bpf_events_lost",
		"Events the BPF programs could not write (their ring buffer was full).",
		c->bpf_lost);

	counter(p, PREFIX "config_reloads", "Configuration reloads (SIGHUP) applied.",
		m->reloads);
	counter(p, PREFIX "config_reload_failures",
		"Configuration reloads refused (a bad file: the configuration in use "
		"stays).",
		m->reload_failures);
	gauge(p, PREFIX "config_last_reload_successful",
	      "Whether the last reload was applied (1; also before any) or refused (0).",
	      !m->reload_failed);

	sn_prom_family(p, PREFIX "source_up", SN_PROM_GAUGE,
		       "Whether a source runs (1) or not (0; the log says why).");
	for (int i = 0; i < _MANAGER_SOURCE_MAX; i++)
		sn_prom_sample(p, !stopping && m->sources[i].up, "source",
			       manager_source_to_string(i), NULL);

	render_kdump(p, m);

	return sn_prom_finish(p, ret, ret_len);
}

static void arm_heartbeat(struct metrics_sink *s)
{
	if (sd_event_source_set_time_relative(s->heartbeat, s->heartbeat_usec) < 0 ||
	    sd_event_source_set_enabled(s->heartbeat, SD_EVENT_ONESHOT) < 0)
		log_warning("Failed to arm the metrics heartbeat, ignoring.");
}

/* force: even when the file holds the same text already (heartbeat, start, exit). */
static int write_file(struct metrics_sink *s, bool stopping, bool force)
{
	_cleanup_(freep) char *text = NULL;
	uint64_t now;
	size_t len;
	int r;

	(void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	/* Unchanged but for the time: the heartbeat will write it. */
	if (!force && s->written) {
		r = metrics_sink_render(s, stopping, s->written_usec, &text, &len);
		if (r < 0)
			return log_error_errno(r, "Failed to render the metrics: %m");
		if (strcmp(s->written, text) == 0)
			return 0;
		free(TAKE_PTR(text));
	}
	now = now_usec(CLOCK_REALTIME);
	r = metrics_sink_render(s, stopping, now, &text, &len);
	if (r < 0)
		return log_error_errno(r, "Failed to render the metrics: %m");
	/*
	 * 0644: node_exporter runs as another user; the unit's UMask is 0027. No fsync():
	 * the loop never waits for the disk, and a file lost to a crash is rewritten
	 * within a heartbeat of the next start.
	 */
	r = sn_write_file_atomic_flags(s->path, text, len, 0644, SN_WRITE_NO_SYNC);
	if (!stopping)
		arm_heartbeat(s); /* a failed write too is tried again then */
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
	s->written_usec = now;
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

static int on_heartbeat(sd_event_source *es, uint64_t usec, void *userdata)
{
	(void)write_file(userdata, false, true);
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
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->manager = m;
	s->start_usec = now_usec(CLOCK_REALTIME);
	s->heartbeat_usec =
		(uint64_t)(m->cfg.metrics_heartbeat_sec ?: METRICS_SINK_HEARTBEAT_SEC) *
		1000000;
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
	/* CLOCK_BOOTTIME: after a suspend, written at once rather than a period late. */
	r = sd_event_add_time_relative(m->event, &s->heartbeat, CLOCK_BOOTTIME,
				       s->heartbeat_usec, HEARTBEAT_ACCURACY_USEC,
				       on_heartbeat, s);
	if (r < 0)
		return r;
	r = sd_event_source_set_enabled(s->heartbeat, SD_EVENT_OFF); /* the first write */
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s->heartbeat, "metrics-heartbeat");
	*ret = TAKE_PTR(s);
	return 0;
}
