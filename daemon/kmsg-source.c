/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>

#include "kmsg-events.h"
#include "kmsg-reader.h"
#include "kmsg-cursor.h"
#include "kmsg-source.h"
#include "report-sinks.h"
#include "log.h"

/* Records read per dispatch, so that other sources get their turn. */
#define KMSG_BATCH 256
/* The accuracy of the live timer (sd-event's default is 250 ms). */
#define KMSG_TIMER_ACCURACY_USEC 1000
/* How often a regular file is read again for what was appended (no --exit-on-eof). */
#define KMSG_FILE_POLL_USEC (1000 * 1000)
/* How often the cursor may be saved: a crash re-reads at most this much of the log. */
#define KMSG_CURSOR_SAVE_USEC (10 * 1000 * 1000)

struct kmsg_source {
	struct manager *manager;
	char *path;
	struct sn_kmsg_reader *reader;
	struct sn_kmsg_events *events;
	sd_event_source *io, *defer, *timer, *poll, *save;

	/* The cursor (lib/kmsg-cursor.h): the live log's last record, saved when idle. */
	const char *cursor_path; /* NULL: none */
	bool have_seq, have_saved, save_failed;
	uint64_t last_seq, saved_seq;
	bool live; /* /dev/kmsg: the kernel's clock is ours */
	bool exit_on_eof;
	bool ended;
	char description[128];
	struct sn_kmsg_record rec; /* 8 KiB: not on the stack */
};

struct kmsg_source *kmsg_source_free(struct kmsg_source *s)
{
	if (!s)
		return NULL;
	sd_event_source_disable_unref(s->io);
	sd_event_source_disable_unref(s->defer);
	sd_event_source_disable_unref(s->save);
	sd_event_source_disable_unref(s->timer);
	sd_event_source_disable_unref(s->poll);
	sn_kmsg_events_free(s->events);
	sn_kmsg_reader_free(s->reader);
	free(s->path);
	free(s);
	return NULL;
}

const char *kmsg_source_describe(const struct kmsg_source *s)
{
	return s->description;
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The earlier of two deadlines, 0 meaning none. */
static uint64_t deadline_min(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* Live only: the timer at the recognizer's or the incidents' next deadline. */
static int arm_timer(struct kmsg_source *s)
{
	uint64_t d;

	if (!s->live)
		return 0;
	d = deadline_min(sn_kmsg_events_next_deadline(s->events),
			 sn_incidents_next_deadline(s->manager->incidents));
	if (!d)
		return sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	if (d == UINT64_MAX)
		d = UINT64_MAX - 1;
	/* d is in the kernel log's clock, the timer in CLOCK_MONOTONIC. */
	int r = sd_event_source_set_time(s->timer,
					 sn_kclock_to_monotonic(&s->manager->kclock, d));
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct kmsg_source *s = userdata;
	uint64_t now = sn_kclock_to_log(&s->manager->kclock, now_usec(CLOCK_MONOTONIC));
	int r;

	r = sn_kmsg_events_tick(s->events, now);
	if (r < 0)
		log_warning_errno(
			r, "Failed to handle the kernel log's events: %m, ignoring");
	r = manager_tick(s->manager, now);
	if (r < 0)
		log_warning_errno(r, "Failed to close incidents: %m, ignoring");
	r = arm_timer(s);
	if (r < 0)
		log_warning_errno(r, "Failed to arm the kernel log timer: %m, ignoring");
	return 0;
}

static void schedule_save(struct kmsg_source *s);
static void save_cursor(struct kmsg_source *s);

/* One record: its lines to the incidents' excerpt ring, then the recognizer. */
static int handle_record(struct kmsg_source *s, const struct sn_kmsg_record *rec)
{
	const char *p = rec->message;
	int r;

	if (s->live) {
		bool known = s->manager->kclock.known;

		sn_kclock_observe(&s->manager->kclock, rec->ts_usec,
				  now_usec(CLOCK_MONOTONIC));
		/* the BPF source's events waited for the log's clock (bpf-source.h) */
		if (!known)
			manager_drain_signals(s->manager);
		schedule_save(s);
	}
	/* The cursor's position: the live log's, or a file's given a cursor. */
	s->last_seq = rec->seq;
	s->have_seq = true;
	if (rec->facility == 0)
		for (;;) {
			const char *nl = strchr(p, '\n');
			_cleanup_(freep) char *line = NULL;

			line = nl ? strndup(p, (size_t)(nl - p)) : strdup(p);
			if (!line)
				return -ENOMEM;
			r = sn_incidents_add_line(s->manager->incidents, rec->seq,
						  rec->ts_usec, line);
			if (r < 0)
				return r;
			if (!nl)
				break;
			p = nl + 1;
		}
	r = sn_kmsg_events_feed(s->events, rec);
	if (r < 0)
		log_warning_errno(
			r, "Failed to handle the kernel log's events: %m, ignoring");
	r = manager_tick(s->manager, rec->ts_usec);
	/* The record is handled: the cursor follows each report at once. */
	if (s->manager->reported) {
		s->manager->reported = false;
		save_cursor(s);
	}
	return r;
}

/*
 * Saves the cursor when everything read is accounted for: nothing open in the
 * recognizer or the incidents (a restart must see again the records of what was not
 * reported yet), and something new since the last save.
 */
static void save_cursor(struct kmsg_source *s)
{
	uint64_t seq, open_seq;

	if (!s->cursor_path || !s->have_seq || !s->manager->host.boot_id)
		return;
	/*
	 * Up to the last record read, but below the first record of anything open (the
	 * recognizer's block or stall, the incidents and their repeat windows): reading
	 * again from there rebuilds them whole, under the same report ids.
	 */
	seq = s->last_seq;
	open_seq = sn_kmsg_events_resume_seq(s->events);
	if (sn_incidents_resume_seq(s->manager->incidents) < open_seq)
		open_seq = sn_incidents_resume_seq(s->manager->incidents);
	if (open_seq != UINT64_MAX) {
		if (open_seq == 0)
			return;
		if (open_seq - 1 < seq)
			seq = open_seq - 1;
	}
	if (s->have_saved && s->saved_seq >= seq)
		return;
	/* Queued after the reports before it: the spool has them first. */
	if (!report_sinks_save_cursor(s->manager, seq))
		return;
	s->saved_seq = seq;
	s->have_saved = true;
}

static int on_save(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct kmsg_source *s = userdata;

	save_cursor(s);
	/* Not all saved (something open): again later; else idle, no timer. */
	if (s->have_saved && s->saved_seq == s->last_seq)
		return 0;
	(void)sd_event_source_set_time_relative(es, KMSG_CURSOR_SAVE_USEC);
	return sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
}

/* A record came: the cursor is saved within KMSG_CURSOR_SAVE_USEC. */
static void schedule_save(struct kmsg_source *s)
{
	int enabled = SD_EVENT_OFF;

	if (!s->save || sd_event_source_get_enabled(s->save, &enabled) < 0 ||
	    enabled != SD_EVENT_OFF)
		return;
	if (sd_event_source_set_time_relative(s->save, KMSG_CURSOR_SAVE_USEC) >= 0)
		(void)sd_event_source_set_enabled(s->save, SD_EVENT_ONESHOT);
}

static void source_ended(struct kmsg_source *s)
{
	int r;

	if (s->ended)
		return;
	s->ended = true;
	sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
	sd_event_source_set_enabled(s->defer, SD_EVENT_OFF);
	log_info("Kernel log source %s: end of input.", s->path);
	if (!s->exit_on_eof)
		return;
	r = manager_flush(s->manager);
	manager_exit(s->manager,
		     r < 0 || s->manager->report_failures ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* Reads up to KMSG_BATCH records; returns -ENODATA at the end, -EAGAIN when drained. */
static int read_batch(struct kmsg_source *s)
{
	int r;

	/* what the BPF programs saw before these records were written (incident.h) */
	manager_drain_signals(s->manager);

	for (unsigned i = 0; i < KMSG_BATCH; i++) {
		uint64_t lost = 0;

		r = sn_kmsg_reader_next(s->reader, &s->rec, &lost);
		if (r == -EAGAIN || r == -ENODATA)
			return r;
		if (r < 0)
			return log_error_errno(r, "Failed to read %s: %m", s->path);
		if (lost > 0) { /* overwritten before they were read (EPIPE) */
			s->manager->counters.kmsg_records_lost += lost;
			manager_counters_changed(s->manager);
		}
		r = handle_record(s, &s->rec);
		if (r < 0)
			log_warning_errno(
				r, "Failed to handle a kernel log record: %m, ignoring");
	}
	return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct kmsg_source *s = userdata;
	int r;

	r = read_batch(s);
	if (r == -ENODATA && (revents & (EPOLLHUP | EPOLLERR)))
		source_ended(s); /* a pipe whose writer is gone */
	else if (r < 0 && r != -EAGAIN && r != -ENODATA) {
		log_error_errno(r, "Kernel log source %s stopped: %m", s->path);
		source_ended(s);
	}
	if (arm_timer(s) < 0)
		log_warning("Failed to arm the kernel log timer, ignoring.");
	return 0;
}

static int on_poll(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct kmsg_source *s = userdata;

	return sd_event_source_set_enabled(s->defer, SD_EVENT_ON);
}

/* A regular file: read until its end, then follow it (or end, with --exit-on-eof). */
static int on_defer(sd_event_source *es, void *userdata)
{
	struct kmsg_source *s = userdata;
	int r;

	r = read_batch(s);
	if (r == 0)
		return 0; /* more to read: dispatched again */
	if (r == -ENODATA && s->exit_on_eof) {
		source_ended(s);
		return 0;
	}
	if (r < 0 && r != -ENODATA && r != -EAGAIN) {
		log_error_errno(r, "Kernel log source %s stopped: %m", s->path);
		source_ended(s);
		return 0;
	}
	(void)sd_event_source_set_enabled(s->defer, SD_EVENT_OFF);
	r = sd_event_source_set_time_relative(s->poll, KMSG_FILE_POLL_USEC);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->poll, SD_EVENT_ONESHOT);
	if (r < 0)
		log_warning_errno(r, "Failed to poll %s again: %m, ignoring", s->path);
	return 0;
}

int kmsg_source_new(struct manager *m, const char *path, bool from_start,
		    bool exit_on_eof, struct kmsg_source **ret)
{
	_cleanup_(kmsg_source_freep) struct kmsg_source *s = NULL;
	enum sn_kmsg_start start = from_start ? SN_KMSG_START_BEGIN : SN_KMSG_START_END;
	uint64_t after = 0;
	struct stat st;
	bool have_st;
	int r, fd;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->manager = m;
	s->exit_on_eof = exit_on_eof;
	s->path = strdup(path ? path : "/dev/kmsg");
	if (!s->path)
		return -ENOMEM;

	/*
	 * The live log resumes after the cursor of this boot, when there is one and the
	 * whole log was not asked for; so does a file given with a cursor of its own
	 * (--kmsg-cursor), for its boot (the root's). Other files and pipes are read from
	 * their start: a replay is the whole log it holds.
	 */
	have_st = stat(s->path, &st) >= 0;
	if (have_st && !S_ISCHR(st.st_mode))
		start = SN_KMSG_START_BEGIN;
	if (m->cfg.kmsg_cursor && have_st &&
	    (S_ISCHR(st.st_mode) || (S_ISREG(st.st_mode) && m->cfg.cursor_for_files))) {
		s->cursor_path = m->cfg.kmsg_cursor;
		if (!from_start && m->host.boot_id) {
			r = sn_kmsg_cursor_read(s->cursor_path, m->host.boot_id, &after);
			if (r >= 0) {
				start = SN_KMSG_START_AFTER;
				s->have_saved = true;
				s->saved_seq = after;
				log_info("Resuming the kernel log after record %" PRIu64
					 " (cursor %s).",
					 after, s->cursor_path);
			} else if (r == -ESTALE)
				log_info(
					"Kernel log cursor %s is another boot's: reading "
					"%s.",
					s->cursor_path,
					S_ISCHR(st.st_mode) ? "from now on" :
							      "from the start");
			else if (r != -ENOENT)
				log_warning_errno(r,
						  "Failed to read the kernel log cursor "
						  "%s: %m, reading from now on",
						  s->cursor_path);
		}
	}
	r = sn_kmsg_reader_open(s->path, SN_KMSG_READ_AUTO, start, after, &s->reader);
	if (r < 0)
		return log_debug_errno(r, "Failed to open %s: %m", s->path);
	fd = sn_kmsg_reader_fd(s->reader);
	if (fstat(fd, &st) < 0)
		return -errno;
	s->live = S_ISCHR(st.st_mode);
	m->live_clock = m->live_clock || s->live;

	r = sn_kmsg_events_new(NULL, sn_incidents_on_kmsg_event, m->incidents,
			       &s->events);
	if (r < 0)
		return r;

	if (S_ISREG(st.st_mode)) {
		/*
		 * A defer source starts as ONESHOT: ON, so that it is dispatched again
		 * after a full batch, until on_defer() turns it off at the file's end.
		 */
		r = sd_event_add_defer(m->event, &s->defer, on_defer, s);
		if (r >= 0)
			r = sd_event_source_set_enabled(s->defer, SD_EVENT_ON);
		if (r < 0)
			return r;
		r = sd_event_add_time_relative(m->event, &s->poll, CLOCK_MONOTONIC,
					       KMSG_FILE_POLL_USEC, 0, on_poll, s);
		if (r < 0)
			return r;
		r = sd_event_source_set_enabled(s->poll, SD_EVENT_OFF);
	} else
		r = sd_event_add_io(m->event, &s->io, fd, EPOLLIN, on_io, s);
	if (r < 0)
		return r;
	if (s->live) {
		/*
		 * 1 ms accuracy rather than sd-event's default 250 ms: the deadlines
		 * are a backtrace block's end and an incident's quiet period, which
		 * a report waits for. Rare wakeups, a few per incident.
		 */
		r = sd_event_add_time(m->event, &s->timer, CLOCK_MONOTONIC,
				      UINT64_MAX - 1, KMSG_TIMER_ACCURACY_USEC, on_timer,
				      s);
		if (r < 0)
			return r;
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
		if (r < 0)
			return r;
		if (s->cursor_path) {
			r = sd_event_add_time_relative(
				m->event, &s->save, CLOCK_MONOTONIC,
				KMSG_CURSOR_SAVE_USEC, 0, on_save, s);
			if (r >= 0) /* armed by the first record */
				r = sd_event_source_set_enabled(s->save, SD_EVENT_OFF);
			if (r < 0)
				return r;
		}
	}
	snprintf(s->description, sizeof(s->description), "kmsg (%s%s)", s->path,
		 S_ISREG(st.st_mode)  ? ", file" :
		 S_ISFIFO(st.st_mode) ? ", pipe" :
					"");
	*ret = TAKE_PTR(s);
	return 0;
}

/* At most this many batches are read when shutting down (64 x 256 records). */
#define KMSG_DRAIN_BATCHES 64

int kmsg_source_flush(struct kmsg_source *s)
{
	int r;

	/*
	 * A live log: what the kernel logged before the stop is read first, so that it
	 * is reported (or at least in the cursor's past) rather than lost.
	 */
	if (s->live && !s->ended)
		for (unsigned i = 0; i < KMSG_DRAIN_BATCHES; i++)
			if (read_batch(s) < 0)
				break;

	r = sn_kmsg_events_flush(s->events);
	if (r < 0)
		log_warning_errno(
			r, "Failed to handle the kernel log's events: %m, ignoring");
	return 0;
}

void kmsg_source_save_cursor(struct kmsg_source *s)
{
	save_cursor(s);
}
