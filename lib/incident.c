/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Incidents from the recognizer's events: the rules are in incident.h. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incident.h"

struct line {
	uint64_t seq;
	uint64_t ts_usec;
	char *text;
};

/* A complete incident that was reported, remembered for its window (I6). */
struct recent {
	enum sn_incident_kind kind;
	struct sn_cpu_set cpus;
	uint64_t first_usec;
	uint64_t repeats;
};

struct sn_incidents {
	struct sn_incident_config cfg;
	sn_incident_handler_t handler;
	void *userdata;

	size_t n_open;
	struct sn_incident **open; /* oldest first */
	uint64_t next_number;

	struct recent *recent; /* I6: max_open of them, oldest overwritten first */
	size_t n_recent, recent_next;

	struct line *ring; /* I5 */
	size_t ring_head, ring_n;

	struct sn_incidents_stats stats;
};

static struct sn_incident *incident_free(struct sn_incident *inc)
{
	if (!inc)
		return NULL;
	for (size_t i = 0; i < inc->n_backtraces; i++)
		free(inc->backtraces[i]);
	for (size_t i = 0; i < inc->n_lines; i++)
		free(inc->lines[i]);
	free(inc->lines);
	free(inc);
	return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_incident *, incident_free);

int sn_incidents_new(const struct sn_incident_config *cfg, sn_incident_handler_t handler,
		     void *userdata, struct sn_incidents **ret)
{
	_cleanup_(sn_incidents_freep) struct sn_incidents *s = NULL;

	if (!handler || !ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.window_usec)
		s->cfg.window_usec = SN_INCIDENT_WINDOW_USEC;
	if (!s->cfg.quiet_usec)
		s->cfg.quiet_usec = SN_INCIDENT_QUIET_USEC;
	if (!s->cfg.max_open)
		s->cfg.max_open = SN_INCIDENT_MAX_OPEN;
	if (!s->cfg.log_max_lines)
		s->cfg.log_max_lines = SN_INCIDENT_LOG_MAX_LINES;
	s->handler = handler;
	s->userdata = userdata;
	s->open = calloc(s->cfg.max_open, sizeof(*s->open));
	s->recent = calloc(s->cfg.max_open, sizeof(*s->recent));
	s->ring = calloc(s->cfg.log_max_lines, sizeof(*s->ring));
	if (!s->open || !s->recent || !s->ring)
		return -ENOMEM;
	*ret = TAKE_PTR(s);
	return 0;
}

struct sn_incidents *sn_incidents_free(struct sn_incidents *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_open; i++)
		incident_free(s->open[i]);
	free(s->open);
	free(s->recent);
	if (s->ring)
		for (size_t i = 0; i < s->cfg.log_max_lines; i++)
			free(s->ring[i].text);
	free(s->ring);
	free(s);
	return NULL;
}

int sn_incidents_add_line(struct sn_incidents *s, uint64_t seq, uint64_t ts_usec,
			  const char *text)
{
	struct line *l;
	char *copy;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	if (s->ring_n < s->cfg.log_max_lines) {
		l = &s->ring[(s->ring_head + s->ring_n) % s->cfg.log_max_lines];
		s->ring_n++;
	} else {
		l = &s->ring[s->ring_head];
		s->ring_head = (s->ring_head + 1) % s->cfg.log_max_lines;
		free(l->text);
	}
	*l = (struct line){ .seq = seq, .ts_usec = ts_usec, .text = copy };
	s->stats.lines++;
	return 0;
}

/* The seq of the last line added, or fallback when none. */
static uint64_t ring_last_seq(const struct sn_incidents *s, uint64_t fallback)
{
	if (!s->ring_n)
		return fallback;
	return s->ring[(s->ring_head + s->ring_n - 1) % s->cfg.log_max_lines].seq;
}

/* I5: the ring's lines within [first_seq, last_seq]. */
static int incident_take_lines(struct sn_incidents *s, struct sn_incident *inc)
{
	size_t n = 0;

	inc->lines = calloc(SN_INCIDENT_MAX_LINES, sizeof(*inc->lines));
	if (!inc->lines)
		return -ENOMEM;
	for (size_t i = 0; i < s->ring_n; i++) {
		const struct line *l =
			&s->ring[(s->ring_head + i) % s->cfg.log_max_lines];
		char *t;

		if (l->seq < inc->first_seq || l->seq > inc->last_seq)
			continue;
		if (n == SN_INCIDENT_MAX_LINES) {
			inc->lines_dropped++;
			continue;
		}
		if (asprintf(&t, "[%5" PRIu64 ".%06" PRIu64 "] %s", l->ts_usec / 1000000,
			     l->ts_usec % 1000000, l->text) < 0)
			return -ENOMEM;
		inc->lines[n++] = t;
		inc->n_lines = n;
	}
	return 0;
}

/* Removes the i-th open incident and hands it to the handler (I4). */
static int close_at(struct sn_incidents *s, size_t i)
{
	_cleanup_(incident_freep) struct sn_incident *inc = s->open[i];
	int r;

	memmove(&s->open[i], &s->open[i + 1], (s->n_open - i - 1) * sizeof(*s->open));
	s->n_open--;
	s->stats.closed++;
	r = incident_take_lines(s, inc);
	if (r < 0)
		return r;
	return s->handler(inc, s->userdata);
}

static bool cpus_subset(const struct sn_cpu_set *a, const struct sn_cpu_set *b)
{
	for (size_t i = 0; i < ELEMENTSOF(a->bits); i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}

/* I6: the i-th open incident is complete; remembered, then closed. */
static int close_complete(struct sn_incidents *s, size_t i)
{
	struct sn_incident *inc = s->open[i];

	s->recent[s->recent_next] = (struct recent){
		.kind = inc->kind,
		.cpus = inc->cpus,
		.first_usec = inc->first_usec,
	};
	s->recent_next = (s->recent_next + 1) % s->cfg.max_open;
	if (s->n_recent < s->cfg.max_open)
		s->n_recent++;
	inc->complete = true;
	s->stats.complete++;
	return close_at(s, i);
}

/*
 * I6: the newest remembered complete incident of kind that holds cpus, or NULL. Its
 * window is not checked here.
 */
static struct recent *recent_find(struct sn_incidents *s, enum sn_incident_kind kind,
				  const struct sn_cpu_set *cpus)
{
	for (size_t k = 1; k <= s->n_recent; k++) {
		struct recent *rc = &s->recent[(s->recent_next + s->cfg.max_open - k) %
					       s->cfg.max_open];

		if (rc->kind == kind && !sn_cpu_set_empty(cpus) &&
		    cpus_subset(cpus, &rc->cpus))
			return rc;
	}
	return NULL;
}

int sn_incidents_tick(struct sn_incidents *s, uint64_t now_usec)
{
	int r = 0, k;

	for (size_t i = 0; i < s->n_open;) {
		if (now_usec >= s->open[i]->last_usec &&
		    now_usec - s->open[i]->last_usec >= s->cfg.quiet_usec) {
			k = close_at(s, i);
			if (k < 0 && r == 0)
				r = k;
		} else
			i++;
	}
	return r;
}

int sn_incidents_flush(struct sn_incidents *s)
{
	int r = 0, k;

	while (s->n_open > 0) {
		k = close_at(s, 0);
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

uint64_t sn_incidents_next_deadline(const struct sn_incidents *s)
{
	uint64_t d = 0;

	for (size_t i = 0; i < s->n_open; i++) {
		uint64_t t = s->open[i]->last_usec + s->cfg.quiet_usec;

		if (t < s->open[i]->last_usec)
			t = UINT64_MAX;
		if (d == 0 || t < d)
			d = t;
	}
	return d;
}

size_t sn_incidents_open_count(const struct sn_incidents *s)
{
	return s->n_open;
}

void sn_incidents_get_stats(const struct sn_incidents *s, struct sn_incidents_stats *ret)
{
	*ret = s->stats;
}

static bool cpus_overlap(const struct sn_cpu_set *a, const struct sn_cpu_set *b)
{
	bool empty_a = true, empty_b = true;

	for (size_t i = 0; i < ELEMENTSOF(a->bits); i++) {
		if (a->bits[i] & b->bits[i])
			return true;
		empty_a = empty_a && !a->bits[i];
		empty_b = empty_b && !b->bits[i];
	}
	return empty_a && empty_b;
}

static void cpus_merge(struct sn_cpu_set *a, const struct sn_cpu_set *b)
{
	for (size_t i = 0; i < ELEMENTSOF(a->bits); i++)
		a->bits[i] |= b->bits[i];
}

static void incident_add_seq(struct sn_incident *inc, uint64_t seq)
{
	size_t i;

	for (i = 0; i < inc->n_seqs && inc->seqs[i] < seq; i++)
		;
	if (i < inc->n_seqs && inc->seqs[i] == seq)
		return;
	if (inc->n_seqs == SN_INCIDENT_MAX_SEQS) {
		inc->seqs_dropped++;
		return;
	}
	memmove(&inc->seqs[i + 1], &inc->seqs[i], (inc->n_seqs - i) * sizeof(*inc->seqs));
	inc->seqs[i] = seq;
	inc->n_seqs++;
}

/* Widens the incident's span to an event (I4, I5). */
static void incident_touch(struct sn_incident *inc, uint64_t ts_usec, uint64_t first_seq,
			   uint64_t last_seq)
{
	if (ts_usec > inc->last_usec)
		inc->last_usec = ts_usec;
	if (first_seq < inc->first_seq)
		inc->first_seq = first_seq;
	if (last_seq > inc->last_seq)
		inc->last_seq = last_seq;
	incident_add_seq(inc, first_seq);
}

/* A detection's kind, detector and CPUs; false for the events that are not one. */
static bool detection(const struct sn_kmsg_event *ev, enum sn_incident_kind *ret_kind,
		      const char **ret_detector, struct sn_cpu_set *ret_cpus)
{
	*ret_cpus = (struct sn_cpu_set){};
	switch (ev->type) {
	case SN_KMSG_EVENT_HARD_LOCKUP:
		*ret_kind = SN_INCIDENT_HARD_LOCKUP;
		*ret_detector = ev->hard_lockup.detector_cpu == ev->hard_lockup.cpu ?
					"perf" :
					"buddy";
		(void)sn_cpu_set_add(ret_cpus, ev->hard_lockup.cpu);
		return true;
	case SN_KMSG_EVENT_SOFT_LOCKUP:
		*ret_kind = SN_INCIDENT_SOFT_LOCKUP;
		*ret_detector = "softlockup";
		(void)sn_cpu_set_add(ret_cpus, ev->soft_lockup.cpu);
		return true;
	case SN_KMSG_EVENT_RCU_STALL:
		*ret_kind = SN_INCIDENT_RCU_STALL;
		*ret_detector = "rcu";
		*ret_cpus = ev->rcu_stall.cpus;
		return true;
	case SN_KMSG_EVENT_HUNG_TASK:
		*ret_kind = SN_INCIDENT_HUNG_TASK;
		*ret_detector = "hung_task";
		return true;
	default:
		return false;
	}
}

static int feed_detection(struct sn_incidents *s, const struct sn_kmsg_event *ev,
			  enum sn_incident_kind kind, const char *detector,
			  const struct sn_cpu_set *cpus)
{
	_cleanup_(incident_freep) struct sn_incident *inc = NULL;
	uint64_t last_seq = ev->seq, carried = 0;
	struct recent *rc;
	int r = 0, k;

	/* A stall report is emitted at its summary, the last line added (R1). */
	if (ev->type == SN_KMSG_EVENT_RCU_STALL)
		last_seq = ring_last_seq(s, ev->seq);
	if (last_seq < ev->seq)
		last_seq = ev->seq;

	for (size_t i = s->n_open; i > 0; i--) {
		struct sn_incident *o = s->open[i - 1];

		if (o->kind != kind || !cpus_overlap(&o->cpus, cpus))
			continue;
		if (ev->ts_usec >= o->first_usec &&
		    ev->ts_usec - o->first_usec > s->cfg.window_usec) {
			/* I2 */
			k = close_at(s, i - 1);
			if (k < 0 && r == 0)
				r = k;
			break;
		}
		/* I1 */
		cpus_merge(&o->cpus, cpus);
		o->detections++;
		incident_touch(o, ev->ts_usec, ev->seq, last_seq);
		s->stats.folded++;
		return r;
	}

	/* I6: a repeat of a complete incident, or the same lockup past its window. */
	rc = recent_find(s, kind, cpus);
	if (rc && ev->ts_usec >= rc->first_usec) {
		if (ev->ts_usec - rc->first_usec <= s->cfg.window_usec) {
			rc->repeats++;
			s->stats.repeats++;
			return r;
		}
		carried = rc->repeats;
		*rc = (struct recent){};
	}

	if (s->n_open == s->cfg.max_open) {
		k = close_at(s, 0);
		s->stats.evicted++;
		if (k < 0 && r == 0)
			r = k;
	}
	inc = calloc(1, sizeof(*inc));
	if (!inc)
		return -ENOMEM;
	inc->number = ++s->next_number;
	inc->kind = kind;
	snprintf(inc->detector, sizeof(inc->detector), "%s", detector);
	inc->cpus = *cpus;
	inc->first_usec = inc->last_usec = ev->ts_usec;
	inc->first_seq = ev->seq;
	inc->last_seq = last_seq;
	inc->detections = 1 + carried;
	incident_add_seq(inc, ev->seq);
	s->open[s->n_open++] = TAKE_PTR(inc);
	s->stats.opened++;
	return r;
}

/* I6: every stalled CPU (one at least) has its backtrace. */
static bool incident_complete(const struct sn_incident *inc)
{
	size_t n = 0;

	for (int cpu = sn_cpu_set_next(&inc->cpus, 0); cpu >= 0;
	     cpu = sn_cpu_set_next(&inc->cpus, (uint32_t)cpu + 1)) {
		bool have = false;

		for (size_t j = 0; j < inc->n_backtraces && !have; j++)
			have = inc->backtraces[j]->cpu == (uint32_t)cpu;
		if (!have)
			return false;
		n++;
	}
	return n > 0;
}

static int feed_backtrace(struct sn_incidents *s, const struct sn_kmsg_event *ev)
{
	const struct sn_kmsg_backtrace *bt = ev->backtrace;
	uint64_t last_seq = ev->seq + bt->n_records + bt->n_interleaved;

	if (last_seq > ev->seq)
		last_seq--;
	for (size_t i = s->n_open; i > 0; i--) {
		struct sn_incident *o = s->open[i - 1];
		bool have = false;

		if (!sn_cpu_set_test(&o->cpus, bt->cpu))
			continue;
		/* I3 */
		incident_touch(o, ev->ts_usec, ev->seq, last_seq);
		for (size_t j = 0; j < o->n_backtraces; j++)
			have = have || o->backtraces[j]->cpu == bt->cpu;
		if (have || o->n_backtraces == SN_INCIDENT_MAX_BACKTRACES) {
			o->backtraces_extra++;
			return 0;
		}
		o->backtraces[o->n_backtraces] = malloc(sizeof(*bt));
		if (!o->backtraces[o->n_backtraces])
			return -ENOMEM;
		memcpy(o->backtraces[o->n_backtraces++], bt, sizeof(*bt));
		s->stats.attached++;
		return incident_complete(o) ? close_complete(s, i - 1) : 0;
	}
	s->stats.orphaned++;
	return 0;
}

int sn_incidents_feed(struct sn_incidents *s, const struct sn_kmsg_event *ev)
{
	enum sn_incident_kind kind;
	const char *detector;
	struct sn_cpu_set cpus;
	int r, k;

	r = sn_incidents_tick(s, ev->ts_usec);
	if (ev->type == SN_KMSG_EVENT_BACKTRACE)
		k = feed_backtrace(s, ev);
	else if (detection(ev, &kind, &detector, &cpus))
		k = feed_detection(s, ev, kind, detector, &cpus);
	else {
		s->stats.ignored++;
		k = 0;
	}
	return r < 0 ? r : k;
}

int sn_incidents_on_kmsg_event(const struct sn_kmsg_event *ev, void *userdata)
{
	return sn_incidents_feed(userdata, ev);
}

/* The kernel's time ts_usec as both clocks, by the pair now. */
static struct sn_report_time to_time(uint64_t ts_usec, const struct sn_report_time *now)
{
	struct sn_report_time t = { .monotonic_ns = ts_usec * 1000,
				    .realtime_usec = now->realtime_usec };
	uint64_t now_usec = now->monotonic_ns / 1000;

	if (now_usec >= ts_usec && now->realtime_usec >= now_usec - ts_usec)
		t.realtime_usec = now->realtime_usec - (now_usec - ts_usec);
	return t;
}

int sn_incident_to_report(const struct sn_incident *inc, const struct sn_host *host,
			  const struct sn_report_time *now, struct sn_report **ret)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	struct sn_report_time t;
	int k;

	k = sn_report_new(inc->kind, &r);
	if (k < 0)
		return k;
	if (host && (k = sn_report_set_host(r, host)) < 0)
		return k;
	if (inc->detector[0] && (k = sn_report_set_detector(r, inc->detector)) < 0)
		return k;
	t = to_time(inc->first_usec, now);
	sn_report_seen(r, &t);
	t = to_time(inc->last_usec, now);
	sn_report_seen(r, &t);
	for (size_t i = 0; i < inc->n_seqs; i++)
		if ((k = sn_report_add_kmsg_seq(r, inc->seqs[i])) < 0)
			return k;

	for (int cpu = sn_cpu_set_next(&inc->cpus, 0); cpu >= 0;
	     cpu = sn_cpu_set_next(&inc->cpus, (uint32_t)cpu + 1)) {
		const struct sn_kmsg_backtrace *bt = NULL;

		if ((k = sn_report_add_stalled_cpu(r, (uint32_t)cpu)) < 0)
			return k;
		for (size_t j = 0; j < inc->n_backtraces; j++)
			if (inc->backtraces[j]->cpu == (uint32_t)cpu)
				bt = inc->backtraces[j];
		if (bt)
			k = sn_report_add_kmsg_backtrace(r, bt);
		else
			k = sn_report_add_missing(r, (uint32_t)cpu,
						  SN_EVIDENCE_NOT_REQUESTED,
						  SN_INCIDENT_NOT_REQUESTED_REASON);
		if (k < 0)
			return k;
	}

	for (size_t i = 0; i < inc->n_lines; i++) {
		k = sn_report_add_log_line(r, inc->lines[i]);
		if (k < 0 && k != -E2BIG)
			return k;
	}
	r->log_lines_dropped += inc->lines_dropped;
	r->folded_count = inc->detections - 1;
	*ret = TAKE_PTR(r);
	return 0;
}
