/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a report gets before the sinks: see report-policy.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "kdump.h"
#include "log.h"
#include "report-policy.h"

/* Where the checks' files are, and their names (a change of another is not one). */
static const struct {
	const char *dir, *name;
} kdump_watched[MANAGER_KDUMP_WATCHES] = {
	{ "etc/default", "kdump-tools" },
	{ "etc", "kdump.conf" },
	{ "etc/sysconfig", "kdump" },
	{ "var/lib/sdei-nmi", "kdump-test" },
};

static int log_level_of(enum sn_kdump_level l)
{
	return l == SN_KDUMP_OK	  ? LOG_INFO :
	       l == SN_KDUMP_WARN ? LOG_NOTICE :
				    LOG_WARNING;
}

int report_policy_kdump(struct manager *m, struct sn_kdump *ret)
{
	unsigned n[_SN_KDUMP_LEVEL_MAX] = {};
	bool changed = !m->kdump_checked;
	int r;

	r = sn_kdump_read(m->cfg.root, &m->cfg.kdump, ret);
	if (r < 0)
		return log_warning_errno(r, "Failed to read the kdump state under %s: %m",
					 m->cfg.root);
	/* Each check's change, once; at the first, what is not ok. */
	for (int i = 0; i < _SN_KDUMP_CHECK_MAX; i++) {
		const struct sn_kdump_check *c = &ret->checks[i];

		n[c->level]++;
		if (m->kdump_checked ? c->level == m->kdump_levels[i] :
				       c->level == SN_KDUMP_OK)
			continue;
		changed = true;
		if (m->kdump_checked)
			log_full_errno(log_level_of(c->level), 0,
				       "kdump check %s: %s -> %s: %s",
				       sn_kdump_check_id_to_string(i),
				       sn_kdump_level_to_string(m->kdump_levels[i]),
				       sn_kdump_level_to_string(c->level), c->reason);
		else
			log_full_errno(log_level_of(c->level), 0,
				       "kdump check %s: %s: %s",
				       sn_kdump_check_id_to_string(i),
				       sn_kdump_level_to_string(c->level), c->reason);
		m->kdump_levels[i] = c->level;
	}
	if (!m->kdump_checked || ret->status != m->kdump_status)
		log_full_errno(
			ret->status == SN_KDUMP_READY ? LOG_INFO : LOG_NOTICE, 0,
			"kdump: %s (%u ok, %u warn, %u fail; sdei-nmictl kdump says more).",
			sn_kdump_status_to_string(ret->status), n[SN_KDUMP_OK],
			n[SN_KDUMP_WARN], n[SN_KDUMP_FAIL]);
	m->kdump_ready = ret->ready;
	m->kdump_status = ret->status;
	m->kdump_checked = true;
	if (changed)
		manager_counters_changed(m);
	return 0;
}

static int kdump_timer_arm(struct manager *m)
{
	uint64_t now;
	int r;

	if (!m->kdump_timer)
		return 0;
	if (m->cfg.kdump_interval_sec == 0)
		return sd_event_source_set_enabled(m->kdump_timer, SD_EVENT_OFF);
	r = sd_event_now(m->event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_source_set_time(m->kdump_timer,
					     now + (uint64_t)m->cfg.kdump_interval_sec *
							     1000000);
	if (r >= 0)
		r = sd_event_source_set_enabled(m->kdump_timer, SD_EVENT_ONESHOT);
	return r;
}

static int on_kdump_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	report_policy_kdump_reload(userdata);
	return 0;
}

static int on_kdump_change(sd_event_source *s, const struct inotify_event *ev,
			   void *userdata)
{
	struct manager *m = userdata;
	struct sn_kdump k;

	for (int i = 0; i < MANAGER_KDUMP_WATCHES; i++)
		if (m->kdump_watches[i] == s &&
		    ((ev->mask & IN_Q_OVERFLOW) ||
		     (ev->len && strcmp(ev->name, kdump_watched[i].name) == 0))) {
			log_debug("kdump: %s/%s changed.", kdump_watched[i].dir,
				  kdump_watched[i].name);
			(void)report_policy_kdump(m, &k);
		}
	return 0;
}

static void kdump_watch_setup(struct manager *m)
{
	const char *root = strcmp(m->cfg.root, "/") == 0 ? "" : m->cfg.root;
	int r;

	r = sd_event_add_time(m->event, &m->kdump_timer, CLOCK_MONOTONIC, 0, 1000000,
			      on_kdump_timer, m);
	if (r >= 0)
		r = kdump_timer_arm(m);
	if (r < 0)
		log_warning_errno(r, "Failed to set up the kdump timer: %m, checked on "
				     "change and with each report only");
	else if (!m->cfg.kdump_interval_sec)
		log_info(
			"kdump: no timer ([kdump] interval_sec=0): checked on change and "
			"with each report.");
	for (int i = 0; i < MANAGER_KDUMP_WATCHES; i++) {
		_cleanup_(freep) char *path = NULL;

		if (asprintf(&path, "%s/%s", root, kdump_watched[i].dir) < 0) {
			path = NULL;
			log_oom();
			continue;
		}
		r = sd_event_add_inotify(m->event, &m->kdump_watches[i], path,
					 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
						 IN_CREATE | IN_DELETE | IN_ATTRIB |
						 IN_ONLYDIR,
					 on_kdump_change, m);
		if (r < 0)
			log_full_errno(
				r == -ENOENT ? LOG_DEBUG : LOG_NOTICE, r,
				"kdump: not watching %s: %m; its changes are seen on "
				"the timer.",
				path);
	}
}

void report_policy_kdump_reload(struct manager *m)
{
	struct sn_kdump k;
	int r;

	(void)report_policy_kdump(m, &k);
	r = kdump_timer_arm(m);
	if (r < 0)
		log_warning_errno(r, "Failed to arm the kdump timer: %m, ignoring");
}

int report_policy_init(struct manager *m)
{
	struct sn_kdump k;
	int r;

	r = sn_limiter_new(&m->cfg.limits, &m->limiter);
	if (r < 0)
		return log_oom();
	(void)report_policy_kdump(m, &k);
	kdump_watch_setup(m);
	return 0;
}

void report_policy_done(struct manager *m)
{
	uint64_t pending;

	m->kdump_timer = sd_event_source_disable_unref(m->kdump_timer);
	for (int i = 0; i < MANAGER_KDUMP_WATCHES; i++)
		m->kdump_watches[i] = sd_event_source_disable_unref(m->kdump_watches[i]);

	if (!m->limiter)
		return;
	pending = sn_limiter_pending(m->limiter);
	if (pending)
		log_notice("%" PRIu64
			   " repeated or rate-limited report(s) not carried by "
			   "a later report.",
			   pending);
	m->limiter = sn_limiter_free(m->limiter);
}

int report_policy_reload(struct manager *m, const struct sn_limiter_config *cfg)
{
	return sn_limiter_set_config(m->limiter, cfg);
}

int report_policy_apply(struct manager *m, const struct sn_incident *inc,
			struct sn_report *r)
{
	enum sn_limit_verdict v;
	struct sn_kdump k;
	uint64_t carried;
	cJSON *j = NULL;
	char cpus[128];
	int k_r;

	if (report_policy_kdump(m, &k) >= 0) {
		k_r = sn_kdump_to_json(&k, &j);
		if (k_r >= 0)
			k_r = sn_report_set_kdump(r, j);
		if (k_r < 0) {
			cJSON_Delete(j);
			log_warning_errno(k_r,
					  "Failed to add the kdump state: %m, ignoring");
		}
	}

	/*
	 * An operator's test of the sinks is neither folded nor rate-limited (and takes
	 * no token): each one is asked for and waited for. The kernel bounds its writers
	 * to /dev/kmsg (printk_devkmsg), and only root writes there.
	 */
	if (r->kind == SN_INCIDENT_SYNTHETIC)
		return 1;
	/* The kernel log's clock: a replay is judged by its own times. */
	k_r = sn_limiter_check(m->limiter, sn_report_fold_key(r), inc->last_usec, &v,
			       &carried);
	if (k_r < 0)
		return log_error_errno(k_r, "Failed to check the report against the "
					    "limits: %m");
	if (v != SN_LIMIT_WRITE) {
		if (sn_cpu_set_format(&r->stalled, cpus, sizeof(cpus)) < 0)
			snprintf(cpus, sizeof(cpus), "(many)");
		m->counters.reports_folded++;
		log_notice("Incident %" PRIu64 ": %s on CPU %s %s: spooled as held, not "
			   "pushed; counted into the next pushed report of its key.",
			   inc->number, sn_incident_kind_to_string(r->kind), cpus,
			   v == SN_LIMIT_FOLDED ? "repeats a recent report" :
						  "is over the rate limit");
		return 0;
	}
	if (carried) {
		r->folded_count += carried;
		log_info("Incident %" PRIu64 ": carries %" PRIu64
			 " report(s) held back since the last of its kind and stacks.",
			 inc->number, carried);
	}
	return 1;
}
