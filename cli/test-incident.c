/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdei-nmictl test-incident: a synthetic incident pushed through the running sdei-nmid's
 * sinks, end to end, to check a host's pipeline after a rollout. A record written to
 * /dev/kmsg (lib/kmsg-events.h, SN_KMSG_SYNTHETIC_FORMAT) becomes an incident of kind
 * synthetic in the daemon, which reports it like a real one; this waits for the report
 * in the spool (a new file that holds the incident's UUID), then for what the
 * configuration says the other sinks do with it: shipped to the OTLP collector (moved
 * into shipped/), counted in the metrics file. The journal cannot be told from here
 * (--journal is the daemon's command line): the command that finds the entry is
 * printed.
 *
 * Exit status: 0 when every sink checked has the report, 1 when one has not within
 * --wait (or the daemon held it back), 2 on error (nothing written then).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef SDEI_NMI_HAVE_CONFIG
#include "config.h"
#endif
#include "kmsg-events.h"
#include "sdei-nmictl.h"
#include "spool-view.h"
#include "util.h"

#define DEFAULT_KMSG "/dev/kmsg"
/* Tests only: a file to write the record to instead of /dev/kmsg. */
#define ENV_KMSG       "SDEI_NMICTL_KMSG"
#define DEVKMSG_SYSCTL "/proc/sys/kernel/printk_devkmsg"
#define POLL_USEC      (100 * 1000)
/* LOG_USER | LOG_WARNING: the kernel gives a writer LOG_USER whatever it asks */
#define KMSG_PRIORITY "<12>"
#define METRIC	      "sdei_nmid_incidents_total{kind=\"synthetic\"}"
/* The synthetic kind's MESSAGE_ID (daemon/manager.c) */
#define MESSAGE_ID "39e5d528476141c5a908cbb45645e938"

/* What the daemon's configuration says of its sinks. */
struct sinks {
	char *spool; /* --spool, else [spool] directory, else the default */
	char *otlp_url;
	char *metrics; /* [metrics] textfile */
};

static void sinks_done(struct sinks *s)
{
	free(s->spool);
	free(s->otlp_url);
	free(s->metrics);
}

static int sinks_load(struct sinks *s)
{
	const char *spool = arg_spool_given ? arg_spool : NULL;
#ifdef SDEI_NMI_HAVE_CONFIG
	struct sn_config c;
	int r;

	r = config_load(&c);
	if (r < 0)
		return r;
	spool = spool ?: c.spool_dir;
	s->otlp_url = TAKE_PTR(c.otlp_url);
	s->metrics = TAKE_PTR(c.metrics_textfile);
	s->spool = strdup(spool ?: DEFAULT_SPOOL);
	sn_config_done(&c);
#else
	if (arg_config)
		return log_error("--config: built without configuration files (inih)");
	s->spool = strdup(spool ?: DEFAULT_SPOOL);
#endif
	return s->spool ? 0 : log_error_errno(ENOMEM, "out of memory");
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
			       .tv_nsec = (long)(usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The metric's value in the textfile; -ENOENT when the file or the sample is not there
 * (yet: the daemon writes it whole, within 1 s of a change).
 */
static int metric_read(const char *path, double *ret)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		double v;

		if (strncmp(line, METRIC " ", strlen(METRIC " ")) != 0)
			continue;
		errno = 0;
		v = strtod(line + strlen(METRIC " "), &end);
		if (errno || end == line + strlen(METRIC " "))
			return -EBADMSG;
		*ret = v;
		return 0;
	}
	return ferror(f) ? -EIO : -ENOENT;
}

/* The kernel takes writers' records: /proc/sys/kernel/printk_devkmsg is not "off". */
static int check_devkmsg(void)
{
	_cleanup_(fclosep) FILE *f = fopen(DEVKMSG_SYSCTL, "re");
	char mode[32] = "";

	if (!f || !fgets(mode, sizeof(mode), f))
		return 0; /* an older kernel, or no /proc: the write tells */
	if (strncmp(mode, "off", 3) == 0)
		return log_error_errno(EPERM,
				       "the kernel drops what is written to /dev/kmsg "
				       "(kernel.printk_devkmsg=off): set it to ratelimit "
				       "or on");
	return 0;
}

/* The record, in one write: one write(2) is one record of /dev/kmsg. */
static int kmsg_write(const char *path, const char *id, uint32_t uid)
{
	_cleanup_(closep) int fd = -EBADF;
	char rec[256];
	int n, r;

	n = snprintf(rec, sizeof(rec), KMSG_PRIORITY SN_KMSG_SYNTHETIC_FORMAT "\n", id,
		     uid);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return log_error_errno(EINVAL, "cannot format the record");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return log_error_errno(errno, "cannot write to %s: %m (run as root)",
				       path);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s: %m", path);
	r = sn_write_all(fd, rec, (size_t)n);
	if (r < 0)
		return log_error_errno(r, "cannot write to %s: %m", path);
	return 0;
}

/* Names in a sorted list, for the reports there before the record was written. */
static bool name_known(const struct spool_item *known, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int k = strcmp(known[mid].entry.name, name);

		if (k == 0)
			return true;
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

struct wait_state {
	struct sn_spool *sp;
	const char *spool;
	struct spool_item *before; /* the spool before the record: sorted by name */
	size_t n_before;
	char **checked; /* new files read that are not ours */
	size_t n_checked;
	const char *id; /* the incident's UUID */
};

static bool name_checked(const struct wait_state *w, const char *name)
{
	for (size_t i = 0; i < w->n_checked; i++)
		if (strcmp(w->checked[i], name) == 0)
			return true;
	return false;
}

/*
 * Whether a new report holds the incident: 1 and the item when one does, 0 when none
 * yet. A new file that is not ours is remembered, and not read again.
 */
static int find_report(struct wait_state *w, struct spool_item *ret,
		       char ret_report_id[static SN_REPORT_ID_LEN + 1])
{
	_cleanup_(freep) struct spool_item *items = NULL;
	size_t n;
	int r;

	r = spool_view_list(w->sp, &items, &n);
	if (r < 0)
		return log_error_errno(r, "cannot list the spool %s: %m", w->spool);
	for (size_t i = n; i > 0; i--) {
		const struct spool_item *it = &items[i - 1];
		_cleanup_(sn_report_freep) struct sn_report *rep = NULL;
		_cleanup_(freep) char *buf = NULL;
		size_t len;
		char **v;

		if (name_known(w->before, w->n_before, it->entry.name) ||
		    name_checked(w, it->entry.name))
			continue;
		r = spool_view_read(w->sp, it, &buf, &len);
		if (r == -ENOENT)
			continue; /* moved meanwhile (shipped): the next look finds it */
		if (r >= 0 && memmem(buf, len, w->id, strlen(w->id)) &&
		    sn_report_parse(buf, len, &rep) >= 0 &&
		    rep->kind == SN_INCIDENT_SYNTHETIC) {
			*ret = *it;
			memcpy(ret_report_id, rep->id, SN_REPORT_ID_LEN + 1);
			return 1;
		}
		v = reallocarray(w->checked, w->n_checked + 1, sizeof(*v));
		if (!v)
			return log_error_errno(ENOMEM, "out of memory");
		w->checked = v;
		v[w->n_checked] = strdup(it->entry.name);
		if (!v[w->n_checked])
			return log_error_errno(ENOMEM, "out of memory");
		w->n_checked++;
	}
	return 0;
}

/* The state of the report of that name now; 0 when it is gone (evicted). */
static int report_state(struct wait_state *w, const char *name, enum report_state *ret)
{
	_cleanup_(freep) struct spool_item *items = NULL;
	size_t n;
	int r;

	r = spool_view_list(w->sp, &items, &n);
	if (r < 0)
		return log_error_errno(r, "cannot list the spool %s: %m", w->spool);
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].entry.name, name) == 0) {
			*ret = items[i].state;
			return 1;
		}
	return 0;
}

struct outcome {
	char incident[SN_KMSG_SYNTHETIC_ID_LEN + 1];
	uint32_t uid;
	const char *kmsg;
	bool found;
	char report[SN_REPORT_ID_LEN + 1];
	char path[4096];
	enum report_state state;
	double seconds; /* until the report was in the spool */
	bool otlp_shipped;
	double otlp_seconds;
	bool metrics_seen, metrics_before_known;
	double metrics_before, metrics_after;
};

static const char *state_text(enum report_state s)
{
	return report_state_to_string(s) ?: "evicted from the spool";
}

static double seconds_since(uint64_t start)
{
	return (double)(now_usec() - start) / 1e6;
}

static int print_text(const struct sinks *s, const struct outcome *o)
{
	printf("Synthetic incident %s: written to %s (uid %" PRIu32 ").\n", o->incident,
	       o->kmsg, o->uid);
	if (!o->found)
		return 0;
	printf("Report %s, %.1f s later:\n", o->report, o->seconds);
	printf("  spool    %s (%s)\n", o->path, state_text(o->state));
	if (!s->otlp_url)
		printf("  otlp     not configured\n");
	else if (o->otlp_shipped)
		printf("  otlp     shipped to %s, %.1f s after the incident\n",
		       s->otlp_url, o->otlp_seconds);
	else
		printf("  otlp     NOT shipped to %s yet\n", s->otlp_url);
	if (!s->metrics)
		printf("  metrics  not configured\n");
	else if (o->metrics_seen && o->metrics_before_known)
		printf("  metrics  %s: " METRIC " %.0f (was %.0f)\n", s->metrics,
		       o->metrics_after, o->metrics_before);
	else if (o->metrics_seen)
		printf("  metrics  %s: " METRIC " %.0f\n", s->metrics, o->metrics_after);
	else
		printf("  metrics  %s: " METRIC " NOT counted yet\n", s->metrics);
	printf("  journal  not checked here: journalctl MESSAGE_ID=" MESSAGE_ID
	       " SDEI_NMI_REPORT_ID=%s\n",
	       o->report);
	return ferror(stdout) ? -EIO : 0;
}

static int print_result_json(const struct sinks *s, const struct outcome *o, bool ok)
{
	_cleanup_(cJSON_Deletep) cJSON *j = cJSON_CreateObject();
	cJSON *spool, *otlp, *metrics;
	bool good = j;

	good = good && cJSON_AddStringToObject(j, "incident", o->incident) &&
	       cJSON_AddNumberToObject(j, "uid", o->uid) &&
	       cJSON_AddStringToObject(j, "kmsg", o->kmsg) &&
	       cJSON_AddBoolToObject(j, "ok", ok);
	if (good)
		good = o->found ? !!cJSON_AddStringToObject(j, "report", o->report) :
				  !!cJSON_AddNullToObject(j, "report");
	spool = good ? cJSON_AddObjectToObject(j, "spool") : NULL;
	good = spool && cJSON_AddStringToObject(spool, "directory", s->spool);
	if (good && o->found)
		good = cJSON_AddStringToObject(spool, "file", o->path) &&
		       cJSON_AddStringToObject(spool, "state", state_text(o->state)) &&
		       cJSON_AddNumberToObject(spool, "seconds", o->seconds);
	otlp = good ? cJSON_AddObjectToObject(j, "otlp") : NULL;
	good = otlp && cJSON_AddBoolToObject(otlp, "configured", !!s->otlp_url);
	if (good && s->otlp_url)
		good = cJSON_AddStringToObject(otlp, "url", s->otlp_url) &&
		       cJSON_AddBoolToObject(otlp, "shipped", o->otlp_shipped);
	if (good && o->otlp_shipped)
		good = !!cJSON_AddNumberToObject(otlp, "seconds", o->otlp_seconds);
	metrics = good ? cJSON_AddObjectToObject(j, "metrics") : NULL;
	good = metrics && cJSON_AddBoolToObject(metrics, "configured", !!s->metrics);
	if (good && s->metrics)
		good = cJSON_AddStringToObject(metrics, "file", s->metrics) &&
		       cJSON_AddBoolToObject(metrics, "counted", o->metrics_seen);
	if (good && o->metrics_seen)
		good = !!cJSON_AddNumberToObject(metrics, "value", o->metrics_after);
	if (!good)
		return log_error_errno(ENOMEM, "out of memory");
	return print_json(j, true);
}

/* The item's file, for the output: DIR/NAME, DIR/shipped/NAME, DIR/held/NAME. */
static void item_path(const char *spool, const struct spool_item *it, char *buf,
		      size_t size)
{
	snprintf(buf, size, "%s/%s%s", spool,
		 it->state == REPORT_SHIPPED ? SN_SPOOL_SHIPPED_DIR "/" :
		 it->state == REPORT_HELD    ? SN_SPOOL_HELD_DIR "/" :
					       "",
		 it->entry.name);
}

int verb_test_incident(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(sn_spool_freep) struct sn_spool *sp = NULL;
	_cleanup_(freep) struct spool_item *before = NULL;
	_cleanup_(sinks_done) struct sinks s = {};
	struct outcome o = { .uid = (uint32_t)getuid() };
	struct wait_state w;
	struct spool_item it;
	size_t n_before;
	const char *env = getenv(ENV_KMSG);
	uint64_t start, deadline;
	bool ok = true;
	int r;

	o.kmsg = env ?: DEFAULT_KMSG;
	if (!env && geteuid() != 0)
		return log_error_errno(EPERM, "test-incident writes to " DEFAULT_KMSG
					      ": run it as root");
	r = sinks_load(&s);
	if (r < 0)
		return r;
	/* Before anything is written: a spool the daemon has not made is not its. */
	r = spool_view_open(s.spool, &sp);
	if (r < 0)
		return r;
	r = spool_view_list(sp, &before, &n_before);
	if (r < 0)
		return log_error_errno(r, "cannot list the spool %s: %m", s.spool);
	if (!env) {
		r = check_devkmsg();
		if (r < 0)
			return r;
	}
	if (s.metrics)
		o.metrics_before_known = metric_read(s.metrics, &o.metrics_before) >= 0;
	r = sn_report_id_new(o.incident);
	if (r < 0)
		return log_error_errno(r, "cannot draw a UUID: %m");

	r = kmsg_write(o.kmsg, o.incident, o.uid);
	if (r < 0)
		return r;
	start = now_usec();
	deadline = start + arg_wait_usec;
	if (!json_on())
		fprintf(stderr,
			"Waiting up to %" PRIu64 " s for sdei-nmid's report in %s...\n",
			arg_wait_usec / 1000000, s.spool);

	w = (struct wait_state){ .sp = sp,
				 .spool = s.spool,
				 .before = before,
				 .n_before = n_before,
				 .id = o.incident };
	for (;;) {
		r = find_report(&w, &it, o.report);
		if (r != 0 || now_usec() >= deadline)
			break;
		sleep_usec(POLL_USEC);
	}
	sn_strv_free(w.checked, w.n_checked);
	if (r < 0)
		return r;
	o.found = r > 0;
	if (o.found) {
		o.seconds = seconds_since(start);
		o.state = it.state;
		item_path(s.spool, &it, o.path, sizeof(o.path));
	}

	/* Shipped: moved into shipped/ after the collector's 2xx. */
	while (o.found && s.otlp_url && o.state == REPORT_PENDING) {
		r = report_state(&w, it.entry.name, &o.state);
		if (r < 0)
			return r;
		if (r == 0)
			o.state = 0; /* evicted */
		if (o.state != REPORT_PENDING || now_usec() >= deadline)
			break;
		sleep_usec(POLL_USEC);
	}
	if (o.found && o.state == REPORT_SHIPPED) {
		o.otlp_shipped = true;
		o.otlp_seconds = seconds_since(start);
	}
	if (o.found && o.state && o.state != it.state) {
		it.state = o.state; /* moved: shipped, or held */
		item_path(s.spool, &it, o.path, sizeof(o.path));
	}
	/* Counted: the metrics file is written within 1 s of a change. */
	while (o.found && s.metrics) {
		r = metric_read(s.metrics, &o.metrics_after);
		o.metrics_seen = r >= 0 && (!o.metrics_before_known ||
					    o.metrics_after > o.metrics_before);
		if (o.metrics_seen || now_usec() >= deadline)
			break;
		sleep_usec(POLL_USEC);
	}

	if (!o.found) {
		ok = false;
		log_error_errno(ETIME,
				"no report of synthetic incident %s in %s within %" PRIu64
				" s: is sdei-nmid running (systemctl status sdei-nmid), "
				"reading %s, with this spool?",
				o.incident, s.spool, arg_wait_usec / 1000000, o.kmsg);
	} else if (o.state == REPORT_HELD) {
		ok = false;
		log_error_errno(EAGAIN,
				"sdei-nmid held report %s back (folded or rate-limited): "
				"this daemon does not exempt synthetic incidents",
				o.report);
	} else if (s.otlp_url && !o.otlp_shipped) {
		ok = false;
		log_error_errno(ETIME,
				"report %s not shipped to %s within %" PRIu64
				" s (%s): see sdei-nmid's log",
				o.report, s.otlp_url, arg_wait_usec / 1000000,
				state_text(o.state));
	}
	if (o.found && s.metrics && !o.metrics_seen) {
		ok = false;
		log_error_errno(ETIME,
				"%s did not count the incident within %" PRIu64 " s",
				s.metrics, arg_wait_usec / 1000000);
	}

	r = json_on() ? print_result_json(&s, &o, ok) : print_text(&s, &o);
	if (r < 0)
		return log_error_errno(r, "cannot write the output: %m");
	*ret_exit = ok ? EXIT_SUCCESS : EXIT_INCOMPLETE;
	return 0;
}
