/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-set.h"
#include "nmi-format.h"
#include "report-format.h"
#include "util.h"

static int stream_status(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

static const char *kind_text(enum sn_incident_kind k)
{
	switch (k) {
	case SN_INCIDENT_HARD_LOCKUP:
		return "hard lockup";
	case SN_INCIDENT_SOFT_LOCKUP:
		return "soft lockup";
	case SN_INCIDENT_RCU_STALL:
		return "RCU stall";
	case SN_INCIDENT_HUNG_TASK:
		return "hung task";
	case SN_INCIDENT_SYNTHETIC:
		return "synthetic incident (a test of the sinks)";
	default:
		return "other";
	}
}

static bool evidence_has_stack(const struct sn_evidence *e)
{
	return e->delivery == SN_EVIDENCE_CAPTURED &&
	       (e->n_frames > 0 || e->has_pc || e->pc_sym);
}

unsigned sn_report_stacks_captured(const struct sn_report *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->n_evidence; i++)
		n += evidence_has_stack(&r->evidence[i]);
	return n;
}

static const char *cpus_text(const struct sn_report *r, char *buf, size_t size)
{
	if (sn_cpu_set_empty(&r->stalled))
		return "-";
	if (sn_cpu_set_format(&r->stalled, buf, size) < 0)
		return "(many)";
	return buf;
}

static const char *utc_text(uint64_t usec, char buf[static 28])
{
	if (sn_format_utc(usec, false, buf) < 0)
		return "(out of range)";
	return buf;
}

int sn_report_format_list_header(FILE *f)
{
	fprintf(f, "%-27s  %-36s  %-11s  %-8s  %-7s  %-6s  %s\n", "FIRST SEEN (UTC)",
		"ID", "KIND", "CPUS", "STACKS", "FOLDED", "STATE");
	return stream_status(f);
}

int sn_report_format_list_line(FILE *f, const struct sn_report *r, const char *state)
{
	char t[28], cpus[64], stacks[24];

	snprintf(stacks, sizeof(stacks), "%u/%u", sn_report_stacks_captured(r),
		 sn_cpu_set_count(&r->stalled));
	fprintf(f, "%-27s  %-36s  %-11s  %-8s  %-7s  %-6" PRIu64 "  %s\n",
		utc_text(r->first_seen.realtime_usec, t), r->id,
		sn_incident_kind_to_string(r->kind) ?: "?",
		cpus_text(r, cpus, sizeof(cpus)), stacks, r->folded_count, state);
	return stream_status(f);
}

static void format_evidence(FILE *f, const struct sn_evidence *e)
{
	char buf[32];

	fprintf(f, "CPU %" PRIu32 ": %s", e->cpu,
		sn_evidence_delivery_to_string(e->delivery) ?: "unknown");
	if (e->source != SN_STACK_NONE)
		fprintf(f, " (%s)", sn_stack_source_to_string(e->source) ?: "?");
	if (e->has_latency_ns)
		fprintf(f, " in %s", sn_format_ns(e->latency_ns, buf));
	sn_format_path(f, e->path);
	if (e->reason) {
		fputs(": ", f);
		sn_fputs_escaped(f, e->reason);
	}
	fputc('\n', f);

	if (e->has_pstate) {
		char daif[5], el[8];

		fprintf(f, "  pstate %016" PRIx64 ": interrupts %s (DAIF: %s), %s\n",
			e->pstate,
			sn_pstate_interrupts_masked(e->pstate) ? "masked" : "enabled",
			sn_daif_string(sn_pstate_daif(e->pstate), daif),
			sn_pstate_el(e->pstate, el));
	} else if (e->path == SDEI_NMI_PATH_IPI)
		fputs("  " SN_TEXT_IPI_NO_REGS "\n", f);
	if (e->comm || e->has_pid) {
		fputs(e->context == SDEI_NMI_CONTEXT_IDLE ? "  idle task " : "  task ",
		      f);
		sn_fputs_escaped(f, e->comm ?: "?");
		if (e->has_pid)
			fprintf(f, " (pid %" PRIu32 ")", e->pid);
		if (e->context == SDEI_NMI_CONTEXT_USER)
			fputs(", in user mode", f);
		fputc('\n', f);
	} else if (e->context == SDEI_NMI_CONTEXT_IDLE)
		fputs("  idle\n", f);
	else if (e->context == SDEI_NMI_CONTEXT_USER)
		fputs("  in user mode\n", f);
	if (e->context == SDEI_NMI_CONTEXT_GUEST)
		fputs("  " SN_TEXT_GUEST "\n", f);
	sn_format_regs(f, "  ",
		       &(struct sn_regs_view){ .pc_sym = e->pc_sym,
					       .has_pc = e->has_pc,
					       .pc = e->pc,
					       .lr_sym = e->lr_sym,
					       .has_lr = e->has_lr,
					       .lr = e->lr,
					       .has_sp = e->has_sp,
					       .sp = e->sp });
	if (e->n_frames > 0) {
		fputs("  Call trace", f);
		if (e->has_stack_hash)
			fprintf(f, " (stack hash %016" PRIx64 ")", e->stack_hash);
		fputs(":\n", f);
		sn_format_frames(f, "   ", e->frames, e->n_frames);
	}
}

static void format_host_field(FILE *f, const char *label, const char *value)
{
	fprintf(f, "%-12s", label);
	sn_fputs_escaped(f, value ?: "(unknown)");
	fputc('\n', f);
}

static const char *kdump_text(const cJSON *j)
{
	return cJSON_IsString(j) ? j->valuestring : "?";
}

int sn_report_format_kdump_status(FILE *f, const cJSON *kdump)
{
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(kdump, "status");
	const char *s = kdump_text(status);

	if (strcmp(s, "ready") == 0)
		fputs("ready", f);
	else if (strcmp(s, "degraded") == 0)
		fputs("DEGRADED", f);
	else if (strcmp(s, "not-ready") == 0)
		fputs("NOT READY", f);
	else
		sn_fputs_escaped(f, s);
	fputs(" (", f);
	sn_fputs_escaped(f, kdump_text(cJSON_GetObjectItemCaseSensitive(kdump, "arch")));
	fputs(")\n", f);
	return ferror(f) ? -EIO : 0;
}

int sn_report_format_kdump_checks(FILE *f, const cJSON *kdump, const char *indent)
{
	const cJSON *checks = cJSON_GetObjectItemCaseSensitive(kdump, "checks");
	const cJSON *denied = cJSON_GetObjectItemCaseSensitive(kdump, "denied");
	const cJSON *c;
	bool first = true;

	fprintf(f, "%s%-4s  %-15s  %s\n", indent, "", "CHECK", "REASON / REMEDY");
	cJSON_ArrayForEach(c, checks)
	{
		const char *level =
			kdump_text(cJSON_GetObjectItemCaseSensitive(c, "level"));
		const cJSON *remedy = cJSON_GetObjectItemCaseSensitive(c, "remedy");

		fprintf(f, "%s%-4s  ", indent,
			strcmp(level, "ok") == 0   ? "ok" :
			strcmp(level, "warn") == 0 ? "WARN" :
			strcmp(level, "fail") == 0 ? "FAIL" :
						     "?");
		fprintf(f, "%-15.32s  ",
			kdump_text(cJSON_GetObjectItemCaseSensitive(c, "id")));
		sn_fputs_escaped(
			f, kdump_text(cJSON_GetObjectItemCaseSensitive(c, "reason")));
		fputc('\n', f);
		if (cJSON_IsString(remedy)) {
			fprintf(f, "%s%23s", indent, "-> ");
			sn_fputs_escaped(f, remedy->valuestring);
			fputc('\n', f);
		}
	}
	if (cJSON_IsArray(denied)) {
		fprintf(f, "%sNot readable without privilege (run as root for these): ",
			indent);
		cJSON_ArrayForEach(c, denied)
		{
			fputs(first ? "" : ", ", f);
			sn_fputs_escaped(f, kdump_text(c));
			first = false;
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

/*
 * The checks' status and table (lib/kdump.h); of a report written before the checks,
 * "ready", or "NOT ready" and its reasons one per line; a snapshot of another form is
 * shown as its JSON.
 */
static void format_kdump(FILE *f, const cJSON *kdump)
{
	const cJSON *checked = cJSON_GetObjectItemCaseSensitive(kdump, "checked");
	const cJSON *ready = cJSON_GetObjectItemCaseSensitive(kdump, "ready");
	const cJSON *reasons = cJSON_GetObjectItemCaseSensitive(kdump, "reasons");
	const cJSON *reason;
	_cleanup_(freep) char *text = NULL;

	fputs("Kdump:      ", f);
	if (cJSON_IsFalse(checked)) {
		fputs("not checked\n", f);
		return;
	}
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(kdump, "checks"))) {
		(void)sn_report_format_kdump_status(f, kdump);
		(void)sn_report_format_kdump_checks(f, kdump, "            ");
		return;
	}
	if (cJSON_IsTrue(ready)) {
		fputs("ready\n", f);
		return;
	}
	if (cJSON_IsFalse(ready) && cJSON_IsArray(reasons)) {
		fputs("NOT ready\n", f);
		cJSON_ArrayForEach(reason, reasons)
		{
			fputs("            - ", f);
			sn_fputs_escaped(f, cJSON_IsString(reason) ? reason->valuestring :
								     "?");
			fputc('\n', f);
		}
		return;
	}
	text = cJSON_PrintUnformatted(kdump);
	sn_fputs_escaped(f, text ?: "?");
	fputc('\n', f);
}

int sn_report_format(FILE *f, const struct sn_report *r)
{
	char t[28], cpus[256];

	fprintf(f, "Report %s\n", r->id);
	fprintf(f, "Incident:   %s", kind_text(r->kind));
	if (r->detector) {
		fputs(" (detector ", f);
		sn_fputs_escaped(f, r->detector);
		fputc(')', f);
	}
	fprintf(f, ", CPUs %s, %u of %u stacks captured\n",
		cpus_text(r, cpus, sizeof(cpus)), sn_report_stacks_captured(r),
		sn_cpu_set_count(&r->stalled));
	fprintf(f, "First seen: %s", utc_text(r->first_seen.realtime_usec, t));
	fprintf(f, " (kernel clock %" PRIu64 ".%06" PRIu64 " s)\n",
		r->first_seen.monotonic_ns / 1000000000,
		r->first_seen.monotonic_ns % 1000000000 / 1000);
	fprintf(f, "Last seen:  %s", utc_text(r->last_seen.realtime_usec, t));
	fprintf(f, " (kernel clock %" PRIu64 ".%06" PRIu64 " s)\n",
		r->last_seen.monotonic_ns / 1000000000,
		r->last_seen.monotonic_ns % 1000000000 / 1000);
	if (r->folded_count)
		fprintf(f, "Folded:     %" PRIu64 " repeats of this incident\n",
			r->folded_count);
	format_host_field(f, "Host:", r->host.hostname);
	format_host_field(f, "Machine:", r->host.machine_id);
	format_host_field(f, "Boot:", r->host.boot_id);
	format_host_field(f, "Kernel:", r->host.kernel_release);
	format_host_field(f, "SDEI:", r->host.firmware_version);
	if (r->kdump)
		format_kdump(f, r->kdump);

	for (size_t i = 0; i < r->n_evidence; i++) {
		fputc('\n', f);
		format_evidence(f, &r->evidence[i]);
	}

	if (r->n_log_lines > 0 || r->log_lines_dropped > 0) {
		fputs("\nKernel log:\n", f);
		for (size_t i = 0; i < r->n_log_lines; i++) {
			fputs("  ", f);
			sn_fputs_escaped(f, r->log_lines[i]);
			fputc('\n', f);
		}
		if (r->log_lines_dropped)
			fprintf(f, "  (%" PRIu64 " more lines left out)\n",
				r->log_lines_dropped);
	}
	return stream_status(f);
}

int sn_report_summary_to_json(const struct sn_report *r, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	cJSON *cpus;
	char t[28];
	bool ok;
	int c;

	if (!o)
		return -ENOMEM;
	cpus = cJSON_AddArrayToObject(o, "cpus");
	ok = cpus && cJSON_AddStringToObject(o, "id", r->id) &&
	     cJSON_AddStringToObject(o, "kind",
				     sn_incident_kind_to_string(r->kind) ?: "other") &&
	     cJSON_AddNumberToObject(o, "stacks_captured",
				     sn_report_stacks_captured(r)) &&
	     cJSON_AddNumberToObject(o, "folded_count", (double)r->folded_count);
	if (ok && sn_format_utc(r->first_seen.realtime_usec, false, t) >= 0)
		ok = cJSON_AddStringToObject(o, "first_seen", t);
	if (ok)
		ok = r->detector ? !!cJSON_AddStringToObject(o, "detector", r->detector) :
				   !!cJSON_AddNullToObject(o, "detector");
	for_each_cpu (c, &r->stalled) {
		cJSON *n = ok ? cJSON_CreateNumber(c) : NULL;

		ok = n && cJSON_AddItemToArray(cpus, n);
	}
	if (!ok)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}
