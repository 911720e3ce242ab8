/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "bpf-source.h"
#include "kmsg-source.h"
#include "log.h"
#include "manager.h"
#include "metrics-sink.h"
#include "nl-source.h"
#include "otlp-sink.h"
#include "report-policy.h"
#include "report-sinks.h"
#include "spool-writer.h"
#include "util.h"

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int on_incident(const struct sn_incident *inc, void *userdata)
{
	struct manager *m = userdata;
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	_cleanup_(freep) char *json = NULL;
	struct sn_report_time now = { .realtime_usec = now_usec(CLOCK_REALTIME) };
	char latency[64] = "";
	bool push;
	size_t len;
	int k;

	/* Such a CPU may have interrupts masked, reported or folded: see manager_run().
	 */
	if (inc->kind == SN_INCIDENT_HARD_LOCKUP || inc->kind == SN_INCIDENT_RCU_STALL)
		m->deaf_cpu = true;

	/*
	 * The kernel's times are this boot's only when the log is live, and then in the
	 * log's own clock (kclock.h): now in that clock dates them. A file's or a pipe's
	 * are taken as ending now.
	 */
	now.monotonic_ns =
		m->live_clock ?
			sn_kclock_to_log(&m->kclock, now_usec(CLOCK_MONOTONIC)) * 1000 :
			inc->last_usec * 1000;

	k = sn_incident_to_report(inc, &m->host, &now, &r);
	if (k < 0) {
		m->report_failures++;
		return log_error_errno(
			k, "Failed to build the report of incident %" PRIu64 ": %m",
			inc->number);
	}
	/* The kdump snapshot; repeats and the rate limit (report-policy.h). */
	k = report_policy_apply(m, inc, r);
	if (k < 0) {
		m->report_failures++;
		return k;
	}
	push = k > 0;
	k = sn_report_serialize(r, &json, &len);
	if (k < 0) {
		m->report_failures++;
		return log_error_errno(k, "Failed to serialize report %s: %m", r->id);
	}
	/* The journal, the spool, OTLP (report-sinks.h). */
	(void)report_sinks_push(m, r, json, len, push);
	if (r->kind < _SN_INCIDENT_KIND_MAX)
		m->counters.incidents[r->kind]++;
	/* The kernel log source saves its cursor once the record is handled. */
	m->reported = true;

	/* On a live log: how long after the kernel's detection the report was out. */
	if (m->live_clock && now.monotonic_ns / 1000 >= inc->first_usec)
		snprintf(latency, sizeof(latency), ", %.3f s after its first detection",
			 (double)(now.monotonic_ns / 1000 - inc->first_usec) / 1e6);
	log_info("Incident %" PRIu64 ": %s, %" PRIu64 " detections, report %s (%s)%s.",
		 inc->number, sn_incident_kind_to_string(inc->kind), inc->detections,
		 r->id, push ? "pushed" : "held: spooled, not pushed", latency);
	manager_update_status(m);
	return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *userdata)
{
	struct manager *m = userdata;
	int r;

	(void)sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
			 now_usec(CLOCK_MONOTONIC));
	log_info("Reloading the configuration (SIGHUP).");
	r = m->reload ? m->reload(m, m->reload_userdata) : 0;
	m->reload_failed = r < 0;
	if (r < 0) {
		m->reload_failures++;
		log_error("Reload failed: the configuration in use is unchanged.");
	} else
		m->reloads++;
	(void)sd_notify(false, "READY=1");
	manager_update_status(m);
	return 0;
}

void manager_set_reload(struct manager *m, manager_reload_t cb, void *userdata)
{
	m->reload = cb;
	m->reload_userdata = userdata;
}

static bool str_changed(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* Every string of the configuration is listed here: copied and freed together. */
#define MANAGER_CONFIG_STRINGS(c)                                        \
	&(c)->kmsg_path, &(c)->kmsg_cursor, &(c)->spool_dir, &(c)->root, \
		&(c)->metrics_path

int manager_config_copy(const struct manager_config *src, struct manager_config *ret)
{
	struct manager_config c = *src;
	const char **strings[] = { MANAGER_CONFIG_STRINGS(&c) };

	for (size_t i = 0; i < ELEMENTSOF(strings); i++)
		*strings[i] = NULL;
	c.otlp = (struct sn_otlp_settings){};
	for (size_t i = 0; i < ELEMENTSOF(strings); i++) {
		const char *const *from[] = { MANAGER_CONFIG_STRINGS(src) };

		if (*from[i] && !(*strings[i] = strdup(*from[i]))) {
			manager_config_done(&c);
			return -ENOMEM;
		}
	}
	if (sn_otlp_settings_copy(&src->otlp, &c.otlp) < 0) {
		manager_config_done(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

void manager_config_done(struct manager_config *c)
{
	const char **strings[] = { MANAGER_CONFIG_STRINGS(c) };

	for (size_t i = 0; i < ELEMENTSOF(strings); i++)
		free((char *)TAKE_PTR(*strings[i]));
	sn_otlp_settings_done(&c->otlp);
}

/* m->spool_state from the spool writer's last answer (its index's totals). */
static void spool_state_refresh(struct manager *m)
{
	struct manager_spool_state *st = &m->spool_state;
	struct sn_spool_totals t;

	*st = (struct manager_spool_state){};
	if (!m->writer || !spool_writer_spool_open(m->writer))
		return;
	spool_writer_get_totals(m->writer, &t);
	*st = (struct manager_spool_state){
		.open = true,
		.reports_pending = t.count[SN_SPOOL_PENDING],
		.reports_shipped = t.count[SN_SPOOL_SHIPPED],
		.reports_held = t.count[SN_SPOOL_HELD],
		.bytes = t.bytes,
		.oldest_unshipped_realtime_usec = t.oldest_pending_usec,
		.stalled = spool_writer_stalled(m->writer),
	};
}

/* The metrics sink as m->cfg says (none, when it cannot start: it says why). */
static void metrics_setup(struct manager *m)
{
	int r;

	m->metrics = metrics_sink_free(m->metrics);
	if (!m->cfg.metrics_path)
		return;
	r = metrics_sink_new(m, m->cfg.metrics_path, &m->metrics);
	if (r < 0)
		log_warning_errno(r, "Metrics sink %s not running: %m",
				  m->cfg.metrics_path);
}

/* The OTLP sink as m->cfg says, not started (the same). */
static void otlp_setup(struct manager *m)
{
	struct otlp_sink_config oc = {
		.settings = &m->cfg.otlp,
		.done = report_sinks_otlp_done,
		.userdata = m,
	};
	int r;

	m->otlp = otlp_sink_free(m->otlp);
	if (!m->cfg.otlp.url)
		return;
	if (!m->cfg.spool_dir) {
		log_warning(
			"OTLP sink %s not running: it ships from the spool, and there "
			"is none.",
			m->cfg.otlp.url);
		return;
	}
	r = otlp_sink_new(m, &oc, &m->otlp);
	if (r < 0)
		log_warning_errno(r, "OTLP sink %s not running: %m", m->cfg.otlp.url);
}

/* Starts it, with the spool's pending reports (report-sinks.h). */
static void otlp_start(struct manager *m)
{
	if (!m->otlp)
		return;
	if (otlp_sink_start(m->otlp) < 0) {
		m->otlp = otlp_sink_free(m->otlp);
		return;
	}
	report_sinks_otlp_started(m);
}

static bool otlp_changed(const struct manager_config *a, const struct manager_config *b)
{
	return !sn_otlp_settings_equal(&a->otlp, &b->otlp);
}

int manager_reload(struct manager *m, const struct manager_config *cfg)
{
	struct manager_config next;
	int r;

	r = manager_config_copy(cfg, &next);
	if (r < 0)
		return log_oom();

	/* Fixed for the process's life: said, and the running value kept. */
	if (str_changed(m->cfg.kmsg_path, cfg->kmsg_path))
		log_warning("Changing the kernel log's path needs a restart, ignoring.");
	if (str_changed(m->cfg.kmsg_cursor, cfg->kmsg_cursor))
		log_warning("Changing the kernel log cursor needs a restart, ignoring.");
	if (str_changed(m->cfg.spool_dir, cfg->spool_dir))
		log_warning("Changing the spool directory needs a restart, ignoring.");
	if (str_changed(m->cfg.root, cfg->root))
		log_warning("Changing the root needs a restart, ignoring.");
	SWAP_TWO(next.kmsg_path, m->cfg.kmsg_path);
	SWAP_TWO(next.kmsg_cursor, m->cfg.kmsg_cursor); /* the kmsg source points to it */
	SWAP_TWO(next.spool_dir, m->cfg.spool_dir);
	SWAP_TWO(next.root, m->cfg.root);
	next.from_start = m->cfg.from_start;
	next.exit_on_eof = m->cfg.exit_on_eof;
	if (next.bpf != m->cfg.bpf)
		log_warning("Changing the BPF source's mode needs a restart, ignoring.");
	next.bpf = m->cfg.bpf;

	if (!m->cfg.spool_dir && !next.journal) {
		log_error("The journal is the only sink (no spool): keeping it on.");
		next.journal = true;
	}
	if (m->writer && m->cfg.spool_dir &&
	    (r = spool_writer_set_limits(m->writer, &next.spool_limits)) < 0)
		log_warning_errno(
			r, "Failed to hand the spool its new bounds: %m, ignoring");
	if (next.journal != m->cfg.journal)
		log_info("Journal sink %s.", next.journal ? "on" : "off");
	if (next.netlink != m->cfg.netlink) {
		log_warning("Turning the netlink source %s needs a restart, ignoring.",
			    next.netlink ? "on" : "off");
		next.netlink = m->cfg.netlink;
	}
	nl_source_set_timeout(m->netlink, next.netlink_timeout_ms);
	(void)report_policy_reload(m, &next.limits);

	/* The remote sinks: made again when their settings changed. */
	if (m->otlp && otlp_sink_draining(m->otlp) && otlp_changed(&m->cfg, &next)) {
		log_warning("Exiting after shipping what is queued: the OTLP settings "
			    "apply at the next start, ignoring.");
		SWAP_TWO(next.otlp, m->cfg.otlp);
	}
	SWAP_TWO(m->cfg, next);
	report_policy_kdump_reload(m);
	if (str_changed(m->cfg.metrics_path, next.metrics_path) ||
	    m->cfg.metrics_heartbeat_sec != next.metrics_heartbeat_sec) {
		log_info("Metrics sink: %s.", m->cfg.metrics_path ?: "off");
		metrics_setup(m);
		if (m->metrics)
			(void)metrics_sink_write(m->metrics, false);
	}
	if (otlp_changed(&m->cfg, &next)) {
		log_info("OTLP sink: %s.", m->cfg.otlp.url ?: "off");
		otlp_setup(m); /* what was in flight goes again */
		otlp_start(m);
	}
	manager_config_done(&next);
	manager_counters_changed(m);
	return 0;
}

int manager_new(const struct manager_config *cfg, struct manager **ret)
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	int errors[_SN_HOST_FIELD_MAX] = {};
	int r;

	m = calloc(1, sizeof(*m));
	if (!m)
		return log_oom();
	r = manager_config_copy(cfg, &m->cfg);
	if (r < 0)
		return log_oom();

	r = sd_event_default(&m->event);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the event loop: %m");

	/*
	 * SIGTERM and SIGINT end the loop (NULL handler: sd_event_exit(0)); SIGHUP
	 * reloads the configuration.
	 */
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block signals: %m");
	r = sd_event_add_signal(m->event, &m->sigterm, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m->event, &m->sigint, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m);
	if (r < 0)
		return log_error_errno(r,
				       "Failed to watch SIGTERM, SIGINT and SIGHUP: %m");

	/*
	 * Under a unit with WatchdogSec=, sd-event sends WATCHDOG=1 at half the interval
	 * from the loop itself: a loop that stops turning stops the pings.
	 */
	r = sd_event_set_watchdog(m->event, true);
	if (r < 0)
		log_warning_errno(r,
				  "Failed to set up the service watchdog: %m, ignoring");
	else if (r > 0)
		log_debug("Service watchdog enabled.");

	r = sn_host_read(cfg->root, &m->host, errors);
	if (r < 0)
		return log_error_errno(
			r, "Failed to read the host's identity under %s: %m", cfg->root);
	for (int f = 0; f < _SN_HOST_FIELD_MAX; f++)
		if (errors[f] < 0)
			log_debug_errno(errors[f], "Host %s not known (under %s): %m",
					sn_host_field_to_string(f), cfg->root);

	r = sn_incidents_new(NULL, on_incident, m, &m->incidents);
	if (r < 0)
		return log_error_errno(r, "Failed to set up incidents: %m");
	r = report_policy_init(m);
	if (r < 0)
		return r;

	if (!cfg->spool_dir && !cfg->journal)
		return log_error_errno(-EINVAL,
				       "No sink for reports (no spool, no --journal).");
	/* The spool and the cursor, written by a process of their own. */
	r = report_sinks_init(m);
	if (r < 0)
		return r;

	/* The sinks of their own, each optional: one that cannot start says why. */
	metrics_setup(m);
	otlp_setup(m);

	*ret = TAKE_PTR(m);
	return 0;
}

struct manager *manager_free(struct manager *m)
{
	if (!m)
		return NULL;
	otlp_sink_free(m->otlp);
	metrics_sink_free(m->metrics);
	kmsg_source_free(m->kmsg);
	nl_source_free(m->netlink);
	report_policy_done(m);
	bpf_source_free(m->bpf);
	sn_incidents_free(m->incidents);
	report_sinks_done(m);
	sd_event_source_disable_unref(m->exit_timer);
	sn_host_done(&m->host);
	manager_config_done(&m->cfg);
	sd_event_source_disable_unref(m->sigterm);
	sd_event_source_disable_unref(m->sigint);
	sd_event_source_disable_unref(m->sighup);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

static const char *const source_names[_MANAGER_SOURCE_MAX] = {
	[MANAGER_SOURCE_KMSG] = "kmsg",
	[MANAGER_SOURCE_NETLINK] = "netlink",
	[MANAGER_SOURCE_BPF] = "bpf",
};

const char *manager_source_to_string(enum manager_source_id id)
{
	return id < _MANAGER_SOURCE_MAX ? source_names[id] : NULL;
}

void manager_source_set(struct manager *m, enum manager_source_id id, int error,
			const char *reason)
{
	struct manager_source_state *st = &m->sources[id];

	manager_counters_changed(m);
	if (!reason) {
		if (!st->up)
			m->n_sources++;
		st->up = true;
		st->reason[0] = '\0';
		return;
	}
	if (st->up)
		m->n_sources--;
	st->up = false;
	if (error < 0)
		snprintf(st->reason, sizeof(st->reason), "%s: %s", reason,
			 strerror(-error));
	else
		snprintf(st->reason, sizeof(st->reason), "%s", reason);
	log_info("Source %s not running: %s.", source_names[id], st->reason);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

/*
 * Programs an earlier sdei-nmid left attached (bpf-source.h): removing them waits for
 * every CPU, which may still hang; they are said, and left to the administrator.
 */
static void note_pinned(const char *dir)
{
	_cleanup_(closedirp) DIR *d = opendir(dir);
	unsigned n = 0;

	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (n)
		log_notice(
			"%u BPF program(s) of an earlier sdei-nmid are still attached, "
			"pinned in %s (a CPU was wedged when it stopped); remove them once "
			"every CPU is back.",
			n, dir);
}

/*
 * The BPF source: its events carry this boot's clock (CLOCK_MONOTONIC), the kernel
 * log's when it is live; so auto leaves it out when the log is a replay (a file or a
 * pipe, running or not: a replay that cannot be read is no reason to watch this host).
 */
static void start_bpf(struct manager *m)
{
	const char *path = m->cfg.kmsg_path;
	bool replay = m->kmsg ? !m->live_clock : path && strcmp(path, "/dev/kmsg") != 0;
	char why[256];
	int r;

	if (m->cfg.bpf == SN_CONFIG_BPF_NO) {
		manager_source_set(m, MANAGER_SOURCE_BPF, 0,
				   "disabled by the configuration (bpf=no)");
		return;
	}
	if (m->cfg.bpf == SN_CONFIG_BPF_AUTO && replay) {
		manager_source_set(m, MANAGER_SOURCE_BPF, 0,
				   "the kernel log is a replay, whose clock is not this "
				   "boot's (bpf=yes runs it all the same)");
		return;
	}
	r = bpf_source_new(m, &m->bpf, why, sizeof(why));
	if (r < 0) {
		manager_source_set(m, MANAGER_SOURCE_BPF, 0,
				   why); /* why names the errors */
		return;
	}
	manager_source_set(m, MANAGER_SOURCE_BPF, 0, NULL);
	log_info("Source %s running.", bpf_source_describe(m->bpf));
	note_pinned(BPF_SOURCE_PIN_DIR);
}

int manager_start(struct manager *m)
{
	const char *path = m->cfg.kmsg_path ? m->cfg.kmsg_path : "/dev/kmsg";
	char why[128];
	int r;

	r = kmsg_source_new(m, path, m->cfg.from_start, m->cfg.exit_on_eof, &m->kmsg);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot read %s", path);
		manager_source_set(m, MANAGER_SOURCE_KMSG, r, why);
	} else {
		manager_source_set(m, MANAGER_SOURCE_KMSG, 0, NULL);
		log_info("Source %s running.", kmsg_source_describe(m->kmsg));
	}
	/* After the kernel log: whether it is live decides the requests. */
	r = nl_source_start(m, &m->netlink);
	if (r < 0)
		return r;
	start_bpf(m);

	if (m->n_sources == 0)
		return log_error_errno(-ENODEV,
				       "No source is running, nothing to watch.");

	otlp_start(m);
	if (m->metrics)
		(void)metrics_sink_write(m->metrics, false);
	return 0;
}

void manager_update_status(struct manager *m)
{
	size_t pending = report_sinks_otlp_queued(m);
	char up[64] = "", ship[96] = "";

	for (int i = 0; i < _MANAGER_SOURCE_MAX; i++)
		if (m->sources[i].up)
			snprintf(up + strlen(up), sizeof(up) - strlen(up), "%s%s",
				 up[0] ? "," : "", source_names[i]);
	if (pending > 0)
		snprintf(ship, sizeof(ship), ", %zu to ship", pending);
	if (m->writer && spool_writer_stalled(m->writer))
		snprintf(ship + strlen(ship), sizeof(ship) - strlen(ship),
			 "; spool stalled, %zu waiting", spool_writer_queued(m->writer));
	(void)sd_notifyf(false,
			 "STATUS=Watching %u source(s) (%s); %" PRIu64
			 " report(s) written, %" PRIu64 " failed%s",
			 m->n_sources, up[0] ? up : "none", m->reports,
			 m->counters.reports_failed, ship);
	manager_counters_changed(m);
}

void manager_counters_changed(struct manager *m)
{
	spool_state_refresh(m);
	metrics_sink_schedule(m->metrics);
}

void manager_drain_signals(struct manager *m)
{
	if (m->bpf)
		(void)bpf_source_drain(m->bpf);
}

int manager_tick(struct manager *m, uint64_t now)
{
	return sn_incidents_tick(m->incidents, now);
}

static int on_exit_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;

	log_warning("The spool writer did not finish within %.0f s; exiting: what it has "
		    "not written is written after the next start.",
		    (double)REPORT_SINKS_FINISH_USEC / 1e6);
	m->exit_pending = false;
	if (m->otlp && otlp_sink_drain(m->otlp, m->exit_status) > 0)
		return 0;
	return sd_event_exit(m->event, m->exit_status);
}

void manager_exit(struct manager *m, int status)
{
	int r;

	if (m->exit_pending) {
		if (status != EXIT_SUCCESS)
			m->exit_status = status;
		return;
	}
	/* What is queued for the spool first (then for OTLP, which it feeds). */
	if (report_sinks_busy(m) > 0) {
		m->exit_pending = true;
		m->exit_status = status;
		r = sd_event_add_time_relative(m->event, &m->exit_timer, CLOCK_MONOTONIC,
					       REPORT_SINKS_FINISH_USEC, 0,
					       on_exit_timeout, m);
		if (r >= 0)
			return;
		m->exit_pending = false;
	}
	/* What is queued for the collector, within a bound. */
	if (m->otlp && otlp_sink_drain(m->otlp, status) > 0)
		return;
	(void)sd_event_exit(m->event, status);
}

void manager_exit_if_done(struct manager *m)
{
	if (!m->exit_pending || report_sinks_busy(m) > 0)
		return;
	m->exit_pending = false;
	m->exit_timer = sd_event_source_disable_unref(m->exit_timer);
	/* A report failure meanwhile fails an exit at the end of input. */
	manager_exit(m, m->report_failures ? EXIT_FAILURE : m->exit_status);
}

int manager_flush(struct manager *m)
{
	int r;

	manager_drain_signals(m);
	if (m->kmsg)
		(void)kmsg_source_flush(m->kmsg);
	r = sn_incidents_flush(m->incidents);
	/* Everything read is reported now: a restart resumes after it. */
	if (r >= 0 && m->kmsg)
		kmsg_source_save_cursor(m->kmsg);
	return r;
}

int manager_run(struct manager *m)
{
	int r, k;

	/*
	 * The loop's status is the exit status: the end of input's (--exit-on-eof: 1 when
	 * a report could not be written to every sink), 0 for SIGTERM and SIGINT. A stop
	 * is no failure: a report that failed is logged and counted (reports_failed), and
	 * exiting 1 would leave "systemctl stop" with a failed unit.
	 */
	r = sd_event_loop(m->event);
	(void)sd_notify(false, "STOPPING=1");
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m"), EXIT_FAILURE;
	/* Shutting down (a signal): what is open is reported now rather than lost. */
	k = manager_flush(m);
	if (k < 0)
		log_warning_errno(k, "Failed to report what was open at exit: %m");
	/* Out of the loop now: a bounded wait for the spool writer. */
	(void)report_sinks_finish(m);
	/*
	 * Exiting detaches the BPF programs, which waits for every CPU (bpf-source.h):
	 * after a hard lockup or an RCU stall, one may never answer. Then they stay
	 * attached.
	 */
	if (m->bpf && m->deaf_cpu) {
		k = bpf_source_pin(m->bpf, BPF_SOURCE_PIN_DIR);
		if (k < 0)
			log_warning_errno(
				k,
				"Failed to leave the BPF programs attached in %s: %m; "
				"exiting detaches them, which hangs while a CPU is "
				"wedged with interrupts masked",
				BPF_SOURCE_PIN_DIR);
	}
	if (m->metrics)
		(void)metrics_sink_write(m->metrics, true);
	log_info("%" PRIu64 " report(s) written, %" PRIu64 " failed.", m->reports,
		 m->report_failures);
	return r;
}
