/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a report gets before the sinks: see report-policy.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "kdump.h"
#include "log.h"
#include "report-policy.h"

int report_policy_kdump(struct manager *m, struct sn_kdump *ret)
{
	int r;

	r = sn_kdump_read(m->cfg.root, NULL, ret);
	if (r < 0)
		return log_warning_errno(r, "Failed to read the kdump state under %s: %m",
					 m->cfg.root);
	if (ret->ready != m->kdump_ready || !m->kdump_checked) {
		if (ret->ready)
			log_info("kdump: ready (a crash kernel is loaded).");
		else
			log_notice("kdump: not ready: %s%s",
				   ret->n_reasons ? ret->reasons[0] : "?",
				   ret->n_reasons > 1 ? " (and more, in the reports)" :
							".");
	}
	m->kdump_ready = ret->ready;
	m->kdump_checked = true;
	return 0;
}

int report_policy_init(struct manager *m)
{
	struct sn_kdump k;
	int r;

	r = sn_limiter_new(&m->cfg.limits, &m->limiter);
	if (r < 0)
		return log_oom();
	(void)report_policy_kdump(m, &k);
	return 0;
}

void report_policy_done(struct manager *m)
{
	uint64_t pending;

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
		log_notice("Incident %" PRIu64 ": %s on CPU %s %s, not reported: counted "
			   "into the next report of its kind and stacks.",
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
