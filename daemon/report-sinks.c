/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a report goes: see report-sinks.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "otlp-sink.h"
#include "report-sinks.h"
#include "spool-writer.h"

/*
 * The MESSAGE_ID of a report in the journal, one per kind (journalctl
 * MESSAGE_ID=...); documented in daemon/README.md. Never change them.
 */
static const char *const message_ids[] = {
	[SN_INCIDENT_HARD_LOCKUP] = "4b1760927c374c00a0a93f99b3d2b689",
	[SN_INCIDENT_SOFT_LOCKUP] = "e48825e103b943768306615b524e2595",
	[SN_INCIDENT_RCU_STALL] = "01a421453bab47e28050db0bbf888b69",
	[SN_INCIDENT_HUNG_TASK] = "3715f5abf5a64285bb90fa87409deb3e",
	[SN_INCIDENT_OTHER] = "a8f1bd7a0c0e4bd6b0d3b7c1d3f9e6a2",
	[SN_INCIDENT_SYNTHETIC] = "39e5d528476141c5a908cbb45645e938",
};

/*
 * PRIORITY by kind: a CPU wedged with interrupts masked is critical; a stall or a
 * soft lockup an error; a hung task a warning (it is often storage, and recovers);
 * the rest (SysRq-l) and an operator's test of the sinks (synthetic) a notice.
 */
static const int priorities[] = {
	[SN_INCIDENT_HARD_LOCKUP] = LOG_CRIT, [SN_INCIDENT_SOFT_LOCKUP] = LOG_ERR,
	[SN_INCIDENT_RCU_STALL] = LOG_ERR,    [SN_INCIDENT_HUNG_TASK] = LOG_WARNING,
	[SN_INCIDENT_OTHER] = LOG_NOTICE,     [SN_INCIDENT_SYNTHETIC] = LOG_NOTICE,
};

int report_sinks_priority(enum sn_incident_kind k)
{
	return (unsigned)k < ELEMENTSOF(priorities) ? priorities[k] : LOG_NOTICE;
}

/* One journal field "NAME=value" (free()); NULL without memory. */
static char *field(const char *name, const char *value)
{
	char *f;

	return asprintf(&f, "%s=%s", name, value) < 0 ? NULL : f;
}

static int journal_write(const struct sn_report *r, const char *json)
{
	const char *kind = sn_incident_kind_to_string(r->kind);
	char cpus[256] = "", what[512], prio[4], pid[16];
	char *f[10] = {};
	struct iovec iov[ELEMENTSOF(f)];
	size_t n = 0;
	int k = -ENOMEM;

	if (sn_cpu_set_format(&r->stalled, cpus, sizeof(cpus)) < 0)
		snprintf(cpus, sizeof(cpus), "(too many to list)");
	if (r->has_task)
		snprintf(what, sizeof(what),
			 "sdei-nmid: %s: task %s (pid %" PRIu32
			 ") blocked for more than %" PRIu64 " s (report %s)",
			 kind, r->task.comm, r->task.pid, r->task.blocked_seconds, r->id);
	else
		snprintf(what, sizeof(what), "sdei-nmid: %s%s%s (report %s)", kind,
			 cpus[0] ? " on CPU " : "", cpus, r->id);
	snprintf(prio, sizeof(prio), "%d", report_sinks_priority(r->kind));
	snprintf(pid, sizeof(pid), "%" PRIu32, r->task.pid);

	/* Only the fields that say something: no empty CPU list, a task's when there. */
	f[n++] = field("MESSAGE", what);
	f[n++] = field("MESSAGE_ID", message_ids[r->kind]);
	f[n++] = field("PRIORITY", prio);
	f[n++] = field("SDEI_NMI_KIND", kind);
	if (cpus[0])
		f[n++] = field("SDEI_NMI_CPUS", cpus);
	if (r->has_task) {
		f[n++] = field("SDEI_NMI_TASK_COMM", r->task.comm);
		f[n++] = field("SDEI_NMI_TASK_PID", pid);
	}
	f[n++] = field("SDEI_NMI_REPORT_ID", r->id);
	f[n++] = field("SDEI_NMI_REPORT", json);
	for (size_t i = 0; i < n; i++) {
		if (!f[i])
			goto done;
		iov[i] = (struct iovec){ .iov_base = f[i], .iov_len = strlen(f[i]) };
	}
	k = sd_journal_sendv(iov, (int)n);
done:
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	return k;
}

/* ---- the OTLP backlog: pending reports the spool has, not in the OTLP queue ---- */

static int backlog_push(struct manager *m, const char *id, bool front)
{
	struct manager_backlog *b = &m->backlog;

	if (b->head + b->n == b->allocated) {
		if (b->head > 0) {
			memmove(b->ids, b->ids + b->head, b->n * sizeof(*b->ids));
			b->head = 0;
		} else {
			size_t n = b->allocated ? b->allocated * 2 : 64;
			char(*v)[SN_REPORT_ID_LEN + 1] =
				reallocarray(b->ids, n, sizeof(*v));

			if (!v)
				return -ENOMEM;
			b->ids = v;
			b->allocated = n;
		}
	}
	if (front && b->head > 0)
		b->head--;
	else if (front) {
		memmove(b->ids + 1, b->ids, b->n * sizeof(*b->ids));
	} else {
		snprintf(b->ids[b->head + b->n], sizeof(*b->ids), "%s", id);
		b->n++;
		return 0;
	}
	snprintf(b->ids[b->head], sizeof(*b->ids), "%s", id);
	b->n++;
	return 0;
}

/* Reads the next ones of the backlog, up to REPORT_SINKS_OTLP_READ_AHEAD in flight. */
static void backlog_feed(struct manager *m)
{
	struct manager_backlog *b = &m->backlog;

	/* full: the OTLP queue's bytes; the next read waits for a report to leave it */
	if (!m->otlp || !m->writer || b->full)
		return;
	while (b->n > 0 &&
	       b->reading + otlp_sink_pending(m->otlp) < REPORT_SINKS_OTLP_READ_AHEAD) {
		int r = spool_writer_read(m->writer, b->ids[b->head]);

		if (r < 0) {
			log_warning_errno(r, "Failed to ask for report %s: %m",
					  b->ids[b->head]);
			return;
		}
		b->reading++;
		b->head++;
		b->n--;
	}
}

static void otlp_add(struct manager *m, const char *id, const char *report, size_t len)
{
	int r;

	/* Behind the backlog: in the spool's order. */
	if (m->backlog.n > 0 || m->backlog.reading > 0) {
		r = backlog_push(m, id, false);
		if (r < 0)
			log_oom();
		backlog_feed(m);
		return;
	}
	r = otlp_sink_add(m->otlp, id, report, len);
	if (r == -ENOBUFS)
		r = backlog_push(m, id, false);
	if (r < 0)
		log_error_errno(r,
				"Failed to queue report %s for OTLP: %m; it is pushed "
				"after a restart",
				id);
}

/* ---- the spool writer's answers ---- */

static void on_opened(void *userdata, int error, pid_t holder)
{
	struct manager *m = userdata;

	if (error == -EBUSY) {
		if (holder > 0)
			log_error(
				"Spool %s is in use by another sdei-nmid (pid %d): refusing "
				"it, nothing in it was touched. Stop the other one, or give "
				"this one another [spool] directory.",
				m->cfg.spool_dir, (int)holder);
		else
			log_error(
				"Spool %s is in use by another process (its lock is held): "
				"refusing it, nothing in it was touched.",
				m->cfg.spool_dir);
		manager_exit(m, EXIT_FAILURE);
		return;
	}
	if (error < 0 && m->cfg.spool_dir) {
		log_error_errno(error, "Failed to open the spool directory %s: %m%s",
				m->cfg.spool_dir,
				m->cfg.journal ? ", reports go to the journal only" : "");
		if (!m->cfg.journal)
			manager_exit(m, EXIT_FAILURE);
	}
	manager_counters_changed(m);
}

static void on_pending(void *userdata, const char *id, uint64_t realtime_usec)
{
	struct manager *m = userdata;

	if (!m->otlp)
		return;
	if (backlog_push(m, id, false) < 0)
		log_oom();
	backlog_feed(m);
}

/* A report not in the spool: the cursor stays below its first record from now on. */
static void hold_cursor(struct manager *m, uint64_t first_seq)
{
	if (first_seq < m->cursor_hold)
		m->cursor_hold = first_seq;
}

static void on_written(void *userdata, const char *id, enum sn_spool_state state,
		       int error, unsigned evicted, const char *report, size_t len,
		       uint64_t first_seq)
{
	struct manager *m = userdata;
	struct sn_spool_stats st;

	if (error == -EEXIST) {
		log_info(
			"Report %s is in the spool already (the kernel log was read again "
			"after a restart).",
			id);
	} else if (error < 0) {
		m->report_failures++;
		m->counters.reports_failed++;
		hold_cursor(m, first_seq);
		log_error_errno(error, "Failed to spool report %s in %s: %m", id,
				m->cfg.spool_dir ? m->cfg.spool_dir : "(none)");
	} else {
		m->reports++;
		m->counters.reports_spooled++;
		m->counters.reports_evicted += evicted;
		spool_writer_get_stats(m->writer, &st);
		m->counters.reports_evicted_unshipped = st.evicted_unshipped;
		if (evicted)
			log_notice("Spool %s full: evicted %u older reports.",
				   m->cfg.spool_dir, evicted);
		if (state == SN_SPOOL_PENDING && m->otlp)
			otlp_add(m, id, report, len);
	}
	manager_exit_if_done(m);
}

static void on_read(void *userdata, const char *id, int error, const char *report,
		    size_t len)
{
	struct manager *m = userdata;
	int r;

	if (m->backlog.reading > 0)
		m->backlog.reading--;
	if (error == -ENOENT)
		log_info("Report %s left the spool before it was shipped (evicted).", id);
	else if (error < 0)
		log_warning_errno(error,
				  "Failed to read report %s from the spool: %m; it is "
				  "pushed after a restart",
				  id);
	else if (m->otlp) {
		r = otlp_sink_add(m->otlp, id, report, len);
		if (r == -ENOBUFS) {
			m->backlog.full = true;
			r = backlog_push(m, id, true);
		}
		if (r < 0)
			log_error_errno(r, "Failed to queue report %s for OTLP: %m", id);
	}
	backlog_feed(m);
	manager_exit_if_done(m);
}

/* After every answer: the figures, and an exit that waited for the queue. */
static void on_changed(void *userdata)
{
	struct manager *m = userdata;

	manager_update_status(m);
	manager_exit_if_done(m);
}

void report_sinks_otlp_done(void *userdata, const char *id, bool shipped,
			    const char *reason)
{
	struct manager *m = userdata;
	int r;

	r = shipped ? spool_writer_mark_shipped(m->writer, id) :
		      spool_writer_set_aside(m->writer, id);
	if (r < 0)
		log_warning_errno(r, "Failed to record what became of report %s: %m", id);
	m->backlog.full = false;
	backlog_feed(m);
}

/* ---- the entry points ---- */

int report_sinks_init(struct manager *m)
{
	static const struct spool_writer_callbacks cb = {
		.opened = on_opened,
		.pending = on_pending,
		.written = on_written,
		.read = on_read,
		.changed = on_changed,
	};
	int r;

	m->cursor_hold = UINT64_MAX;
	if (!m->cfg.spool_dir && !m->cfg.kmsg_cursor)
		return 0;
	r = spool_writer_new(m->event, m->cfg.spool_dir, m->cfg.kmsg_cursor,
			     &m->cfg.spool_limits, &cb, m, &m->writer);
	if (r < 0)
		return log_error_errno(r, "Failed to start the spool writer: %m");
	return 0;
}

void report_sinks_done(struct manager *m)
{
	m->writer = spool_writer_free(m->writer);
	free(m->backlog.ids);
	m->backlog = (struct manager_backlog){};
}

int report_sinks_push(struct manager *m, const struct sn_report *r, const char *json,
		      size_t len, bool push)
{
	int k, failed = 0;

	if (push && m->cfg.journal) {
		k = journal_write(r, json);
		if (k < 0) {
			failed = k;
			log_error_errno(k, "Failed to write report %s to the journal: %m",
					r->id);
		} else if (!m->cfg.spool_dir)
			m->reports++; /* with a spool: counted when it has it */
	}
	if (m->writer && m->cfg.spool_dir) {
		uint64_t first = r->n_kmsg_seqs ? r->kmsg_seqs[0] : UINT64_MAX;

		k = spool_writer_write(m->writer, r->id, r->first_seen.realtime_usec,
				       push ? SN_SPOOL_PENDING : SN_SPOOL_HELD, json, len,
				       first);
		if (k < 0) {
			failed = k;
			hold_cursor(m, first);
			log_error_errno(
				k,
				k == -ENOBUFS ?
					"Report %s not spooled: the spool writer's "
					"queue is full (the spool is stalled)%s" :
					"Report %s not spooled: %m%s",
				r->id,
				push && m->cfg.journal ? "; the journal has it" : "");
		}
	}
	if (failed < 0) {
		m->report_failures++;
		m->counters.reports_failed++;
	}
	return failed;
}

bool report_sinks_save_cursor(struct manager *m, uint64_t seq)
{
	int r;

	if (!m->writer || !m->host.boot_id)
		return false;
	if (m->cfg.spool_dir && !spool_writer_spool_open(m->writer))
		return false; /* what was read may not be in a spool yet */
	if (m->cursor_hold != UINT64_MAX) {
		if (m->cursor_hold == 0)
			return false;
		if (seq > m->cursor_hold - 1)
			seq = m->cursor_hold - 1;
	}
	r = spool_writer_save_cursor(m->writer, m->host.boot_id, seq);
	if (r < 0 && r != -ENODEV)
		log_warning_errno(r, "Failed to queue the kernel log cursor: %m");
	return r >= 0;
}

void report_sinks_otlp_started(struct manager *m)
{
	int r;

	/* A sink made again (a reload) starts from what the spool holds pending. */
	m->backlog.head = m->backlog.n = 0;
	m->backlog.full = false;
	if (!m->writer)
		return;
	r = spool_writer_list_pending(m->writer);
	if (r < 0)
		log_error_errno(r, "Failed to ask the spool for the reports to push: %m; "
				   "they are pushed after a restart");
}

size_t report_sinks_otlp_queued(const struct manager *m)
{
	if (!m->otlp)
		return 0;
	return otlp_sink_pending(m->otlp) + m->backlog.n + m->backlog.reading;
}

size_t report_sinks_busy(const struct manager *m)
{
	return m->writer ? spool_writer_queued(m->writer) : 0;
}

int report_sinks_finish(struct manager *m)
{
	int r;

	if (!m->writer || spool_writer_queued(m->writer) == 0)
		return 0;
	r = spool_writer_finish(m->writer, REPORT_SINKS_FINISH_USEC);
	if (r < 0)
		log_error_errno(r,
				"%zu request(s) to the spool not done at exit: %m; their "
				"reports are written after the next start, which reads "
				"the kernel log again from the cursor saved before them",
				spool_writer_queued(m->writer));
	return r;
}
