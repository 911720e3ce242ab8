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

/* I8: the newest monitor capture of a CPU. */
struct recent_capture {
	bool used;
	uint64_t ts_usec;
	struct sn_evidence ev;
};

/* A complete incident that was reported, remembered for its window (I6). */
struct recent {
	enum sn_incident_kind kind;
	struct sn_cpu_set cpus;
	bool has_task; /* I11: a hung task's, by its pid */
	uint32_t task_pid;
	uint64_t first_seq; /* its first record: sn_incidents_resume_seq() */
	uint64_t first_usec;
	uint64_t repeats;
};

struct sn_incidents {
	struct sn_incident_config cfg;
	sn_incident_handler_t handler;
	void *userdata;

	bool requests_on; /* I7 */
	enum sn_evidence_delivery no_request_delivery;
	char no_request_reason[SN_INCIDENT_MAX_REASON + 1];
	struct recent_capture captures[SN_INCIDENT_MAX_RECENT]; /* I8 */

	size_t n_open;
	struct sn_incident **open; /* oldest first */
	uint64_t next_number;

	struct recent *recent; /* I6: max_open of them, oldest overwritten first */
	size_t n_recent, recent_next;

	struct line *ring; /* I5 */
	size_t ring_head, ring_n;
	uint64_t now; /* the latest time fed or ticked */

	struct sn_incidents_stats stats;
};

static struct sn_incident *incident_free(struct sn_incident *inc)
{
	if (!inc)
		return NULL;
	for (size_t i = 0; i < inc->n_backtraces; i++)
		free(inc->backtraces[i]);
	free(inc->task_bt);
	for (size_t i = 0; i < inc->n_slots; i++)
		sn_evidence_done(&inc->slots[i].ev);
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
	if (!s->cfg.hold_usec)
		s->cfg.hold_usec = SN_INCIDENT_HOLD_USEC;
	if (!s->cfg.recent_usec)
		s->cfg.recent_usec = SN_INCIDENT_RECENT_USEC;
	if (!s->cfg.max_attempts)
		s->cfg.max_attempts = SN_INCIDENT_MAX_ATTEMPTS;
	s->no_request_delivery = SN_EVIDENCE_NOT_REQUESTED;
	snprintf(s->no_request_reason, sizeof(s->no_request_reason), "%s",
		 SN_INCIDENT_NO_REQUESTS_REASON);
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
	for (size_t i = 0; i < ELEMENTSOF(s->captures); i++)
		sn_evidence_done(&s->captures[i].ev);
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

/* I9: what the CPUs still wanted or asked come to when the incident closes. */
static int incident_finish_slots(struct sn_incidents *s, struct sn_incident *inc)
{
	inc->no_request_delivery = s->no_request_delivery;
	memcpy(inc->no_request_reason, s->no_request_reason,
	       sizeof(inc->no_request_reason));
	for (size_t i = 0; i < inc->n_slots; i++) {
		struct sn_incident_cpu *c = &inc->slots[i];
		int r;

		if (c->state == SN_INCIDENT_CPU_DONE)
			continue;
		if (c->state == SN_INCIDENT_CPU_ASKED) {
			sn_evidence_done(&c->ev);
			r = sn_evidence_missing(c->cpu, SN_EVIDENCE_UNAVAILABLE,
						SN_INCIDENT_NO_ANSWER_REASON, &c->ev);
			if (r < 0)
				return r;
		} else if (s->requests_on && !c->ev.delivery) {
			r = sn_evidence_missing(c->cpu, SN_EVIDENCE_NOT_REQUESTED,
						SN_INCIDENT_NOT_ASKED_REASON, &c->ev);
			if (r < 0)
				return r;
		}
		/* Otherwise its last outcome, or nothing: the reason of set_requests().
		 */
		c->state = SN_INCIDENT_CPU_DONE;
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
	r = incident_finish_slots(s, inc);
	if (r < 0)
		return r;
	return s->handler(inc, s->userdata);
}

/* I9: whether a CPU of the incident is still wanted or asked. */
static bool incident_waits(const struct sn_incidents *s, const struct sn_incident *inc)
{
	if (!s->requests_on)
		return false;
	for (size_t i = 0; i < inc->n_slots; i++)
		if (inc->slots[i].state != SN_INCIDENT_CPU_DONE)
			return true;
	return false;
}

/* When the incident closes if nothing else happens (I4, I9). */
static uint64_t incident_deadline(const struct sn_incidents *s,
				  const struct sn_incident *inc)
{
	uint64_t t = inc->last_usec + s->cfg.quiet_usec;

	if (t < inc->last_usec)
		return UINT64_MAX;
	if (incident_waits(s, inc)) {
		if (t + s->cfg.hold_usec < t)
			return UINT64_MAX;
		t += s->cfg.hold_usec;
	}
	return t;
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
		.has_task = inc->has_task,
		.task_pid = inc->task_pid,
		.first_seq = inc->n_seqs ? inc->seqs[0] : UINT64_MAX,
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
				  const struct sn_cpu_set *cpus, const uint32_t *task_pid)
{
	for (size_t k = 1; k <= s->n_recent; k++) {
		struct recent *rc = &s->recent[(s->recent_next + s->cfg.max_open - k) %
					       s->cfg.max_open];

		if (rc->kind != kind)
			continue;
		if (task_pid ? rc->has_task && rc->task_pid == *task_pid :
			       !sn_cpu_set_empty(cpus) && cpus_subset(cpus, &rc->cpus))
			return rc;
	}
	return NULL;
}

int sn_incidents_tick(struct sn_incidents *s, uint64_t now_usec)
{
	int r = 0, k;

	if (now_usec > s->now)
		s->now = now_usec;
	for (size_t i = 0; i < s->n_open;) {
		struct sn_incident *inc = s->open[i];

		if (now_usec >= inc->last_usec &&
		    now_usec - inc->last_usec >= s->cfg.quiet_usec &&
		    now_usec >= incident_deadline(s, inc)) {
			k = close_at(s, i);
			if (k < 0 && r == 0)
				r = k;
			continue;
		}
		/* I9 */
		if (!inc->held && now_usec >= inc->last_usec &&
		    now_usec - inc->last_usec >= s->cfg.quiet_usec) {
			inc->held = true;
			s->stats.held++;
		}
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

uint64_t sn_incidents_resume_seq(const struct sn_incidents *s)
{
	uint64_t seq = UINT64_MAX;

	for (size_t i = 0; i < s->n_open; i++)
		if (s->open[i]->n_seqs > 0 && s->open[i]->seqs[0] < seq)
			seq = s->open[i]->seqs[0];
	/* I6: while its window lasts, what comes again is judged against it. */
	for (size_t k = 0; k < s->n_recent; k++) {
		const struct recent *rc = &s->recent[k];

		if (rc->first_seq < seq &&
		    (s->now < rc->first_usec || s->now - rc->first_usec <= s->cfg.window_usec))
			seq = rc->first_seq;
	}
	return seq;
}

uint64_t sn_incidents_next_deadline(const struct sn_incidents *s)
{
	uint64_t d = 0;

	for (size_t i = 0; i < s->n_open; i++) {
		uint64_t t = incident_deadline(s, s->open[i]);

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

/* I1, S1, S2: an incident whose CPUs are not known yet overlaps any. */
static bool incident_overlaps(const struct sn_incident *o, const struct sn_cpu_set *cpus)
{
	return o->cpus_unknown || cpus_overlap(&o->cpus, cpus);
}

/* Adds CPUs to an incident: once it has some, they are known (S1). */
static void incident_add_cpus(struct sn_incident *o, const struct sn_cpu_set *cpus)
{
	cpus_merge(&o->cpus, cpus);
	if (!sn_cpu_set_empty(cpus))
		o->cpus_unknown = false;
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

static struct sn_incident_cpu *incident_slot(struct sn_incident *inc, uint32_t cpu)
{
	for (size_t i = 0; i < inc->n_slots; i++)
		if (inc->slots[i].cpu == cpu)
			return &inc->slots[i];
	return NULL;
}

static bool evidence_is_capture(const struct sn_evidence *e)
{
	return e->delivery == SN_EVIDENCE_CAPTURED &&
	       (e->source == SN_STACK_NETLINK_REQUEST ||
		e->source == SN_STACK_NETLINK_MONITOR);
}

/* I8: a capture becomes the slot's, unless it has one. */
static int slot_capture(struct sn_incidents *s, struct sn_incident_cpu *c,
			const struct sn_evidence *ev)
{
	struct sn_evidence copy;
	int r;

	if (evidence_is_capture(&c->ev))
		return 0;
	r = sn_evidence_copy(ev, &copy);
	if (r < 0)
		return r;
	sn_evidence_done(&c->ev);
	c->ev = copy;
	c->state = SN_INCIDENT_CPU_DONE;
	s->stats.captures++;
	return 1;
}

/* I8: the recent monitor capture of cpu, when within recent_usec of ts_usec. */
static const struct recent_capture *recent_of(const struct sn_incidents *s, uint32_t cpu,
					      uint64_t ts_usec)
{
	for (size_t i = 0; i < ELEMENTSOF(s->captures); i++) {
		const struct recent_capture *p = &s->captures[i];
		uint64_t d;

		if (!p->used || p->ev.cpu != cpu)
			continue;
		d = p->ts_usec > ts_usec ? p->ts_usec - ts_usec : ts_usec - p->ts_usec;
		return d <= s->cfg.recent_usec ? p : NULL;
	}
	return NULL;
}

/* I7, I8: slots for the CPUs that joined the incident at ts_usec. */
static int incident_add_slots(struct sn_incidents *s, struct sn_incident *inc,
			      const struct sn_cpu_set *cpus, uint64_t ts_usec)
{
	int cpu;

	for_each_cpu (cpu, cpus) {
		const struct recent_capture *p;
		struct sn_incident_cpu *c;
		int r;

		if (incident_slot(inc, (uint32_t)cpu))
			continue;
		if (inc->n_slots == SN_INCIDENT_MAX_CPU_SLOTS) {
			inc->slots_dropped++;
			continue;
		}
		c = &inc->slots[inc->n_slots++];
		*c = (struct sn_incident_cpu){ .cpu = (uint32_t)cpu };
		p = recent_of(s, (uint32_t)cpu, ts_usec);
		if (p) {
			r = slot_capture(s, c, &p->ev);
			if (r < 0)
				return r;
			s->stats.recent++;
		}
	}
	return 0;
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

/*
 * Opens an incident, the oldest closing first when max_open are (I4); *ret_inc is the
 * new one, in the open list, without records yet, or NULL when it could not be
 * allocated (-ENOMEM). Returns the closing's error or 0.
 */
static int incident_open(struct sn_incidents *s, enum sn_incident_kind kind,
			 const char *detector, const struct sn_cpu_set *cpus,
			 uint64_t ts_usec, struct sn_incident **ret_inc)
{
	_cleanup_(incident_freep) struct sn_incident *inc = NULL;
	int r = 0;

	*ret_inc = NULL;
	inc = calloc(1, sizeof(*inc));
	if (!inc)
		return -ENOMEM;
	if (s->n_open == s->cfg.max_open) {
		r = close_at(s, 0);
		s->stats.evicted++;
	}
	inc->number = ++s->next_number;
	inc->kind = kind;
	snprintf(inc->detector, sizeof(inc->detector), "%s", detector ? detector : "");
	inc->cpus = *cpus;
	inc->first_usec = inc->last_usec = ts_usec;
	inc->first_seq = UINT64_MAX; /* no record yet: the first one sets both */
	inc->last_seq = 0;
	*ret_inc = inc;
	s->open[s->n_open++] = TAKE_PTR(inc);
	s->stats.opened++;
	return r < 0 ? r : 0;
}

/* I11: a hung task's detection names the incident's task. */
static void incident_set_task(struct sn_incident *inc, const struct sn_kmsg_event *ev)
{
	if (ev->type != SN_KMSG_EVENT_HUNG_TASK)
		return;
	inc->has_task = true;
	inc->task_pid = ev->hung_task.pid;
	memcpy(inc->task_comm, ev->hung_task.comm, sizeof(inc->task_comm));
	inc->task_seconds = ev->hung_task.seconds;
	inc->task_io_wait = ev->hung_task.io_wait;
}

static int feed_detection(struct sn_incidents *s, const struct sn_kmsg_event *ev,
			  enum sn_incident_kind kind, const char *detector,
			  const struct sn_cpu_set *cpus)
{
	struct sn_incident *inc;
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

		if (o->kind != kind || !incident_overlaps(o, cpus))
			continue;
		/* I11 */
		if (ev->type == SN_KMSG_EVENT_HUNG_TASK && o->has_task &&
		    o->task_pid != ev->hung_task.pid)
			continue;
		if (ev->ts_usec >= o->first_usec &&
		    ev->ts_usec - o->first_usec > s->cfg.window_usec) {
			/* I2 */
			k = close_at(s, i - 1);
			if (k < 0 && r == 0)
				r = k;
			break;
		}
		/* I1, S2 */
		if (o->detections == 0)
			snprintf(o->detector, sizeof(o->detector), "%s", detector);
		incident_add_cpus(o, cpus);
		incident_set_task(o, ev);
		o->detections++;
		incident_touch(o, ev->ts_usec, ev->seq, last_seq);
		s->stats.folded++;
		k = incident_add_slots(s, o, cpus, ev->ts_usec);
		return r < 0 ? r : k;
	}

	/* I6: a repeat of a complete incident, or the same lockup past its window. */
	rc = recent_find(s, kind, cpus,
			 ev->type == SN_KMSG_EVENT_HUNG_TASK ? &ev->hung_task.pid : NULL);
	if (rc && ev->ts_usec >= rc->first_usec) {
		if (ev->ts_usec - rc->first_usec <= s->cfg.window_usec) {
			rc->repeats++;
			s->stats.repeats++;
			return r;
		}
		carried = rc->repeats;
		*rc = (struct recent){};
	}

	k = incident_open(s, kind, detector, cpus, ev->ts_usec, &inc);
	if (!inc)
		return k;
	if (k < 0 && r == 0)
		r = k;
	inc->first_seq = ev->seq;
	inc->last_seq = last_seq;
	incident_set_task(inc, ev);
	inc->detections = 1 + carried;
	incident_add_seq(inc, ev->seq);
	k = incident_add_slots(s, inc, cpus, ev->ts_usec);
	if (k < 0)
		return k;
	return r;
}

/*
 * I6: every stalled CPU (one at least) has its stack, from the kernel log or the netlink
 * family, and no CPU waits for a backtrace request (I7, I9).
 */
static bool incident_complete(const struct sn_incidents *s, const struct sn_incident *inc)
{
	size_t n = 0;
	int cpu;

	if (incident_waits(s, inc))
		return false;
	/* S4: a stall a signal opened waits for the log's report of it */
	if (inc->detections == 0 && inc->kind != SN_INCIDENT_OTHER)
		return false;
	/* I11 */
	if (inc->has_task)
		return inc->task_bt != NULL;
	for_each_cpu (cpu, &inc->cpus) {
		bool have = false;

		for (size_t j = 0; j < inc->n_backtraces && !have; j++)
			have = inc->backtraces[j]->cpu == (uint32_t)cpu;
		for (size_t j = 0; j < inc->n_slots && !have; j++)
			have = inc->slots[j].cpu == (uint32_t)cpu &&
			       evidence_is_capture(&inc->slots[j].ev);
		if (!have)
			return false;
		n++;
	}
	return n > 0;
}

/* I6: closes the open incidents that are complete (after an answer came). */
static int close_completed(struct sn_incidents *s)
{
	int r = 0, k;

	for (size_t i = s->n_open; i > 0; i--)
		if (incident_complete(s, s->open[i - 1])) {
			k = close_complete(s, i - 1);
			if (k < 0 && r == 0)
				r = k;
		}
	return r;
}

/* I11: a task's backtrace goes to the newest open incident of its task. */
static int feed_task_backtrace(struct sn_incidents *s, const struct sn_kmsg_event *ev,
			       uint64_t last_seq)
{
	const struct sn_kmsg_backtrace *bt = ev->backtrace;

	for (size_t i = s->n_open; i > 0; i--) {
		struct sn_incident *o = s->open[i - 1];

		if (!o->has_task || !bt->has_pid || o->task_pid != bt->pid)
			continue;
		incident_touch(o, ev->ts_usec, ev->seq, last_seq);
		if (o->task_bt) {
			o->backtraces_extra++;
			return 0;
		}
		o->task_bt = malloc(sizeof(*bt));
		if (!o->task_bt)
			return -ENOMEM;
		memcpy(o->task_bt, bt, sizeof(*bt));
		s->stats.attached++;
		return incident_complete(s, o) ? close_complete(s, i - 1) : 0;
	}
	s->stats.orphaned++;
	return 0;
}

static int feed_backtrace(struct sn_incidents *s, const struct sn_kmsg_event *ev)
{
	const struct sn_kmsg_backtrace *bt = ev->backtrace;
	uint64_t last_seq = ev->seq + bt->n_records + bt->n_interleaved;

	if (last_seq > ev->seq)
		last_seq--;
	if (bt->origin == SN_KMSG_BT_TASK)
		return feed_task_backtrace(s, ev, last_seq);
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
		return incident_complete(s, o) ? close_complete(s, i - 1) : 0;
	}
	s->stats.orphaned++;
	return 0;
}

/* Y1: the newest line of the ring, which feed_synthetic() added, removed. */
static void ring_drop_last(struct sn_incidents *s, uint64_t seq)
{
	struct line *l;

	if (!s->ring_n)
		return;
	l = &s->ring[(s->ring_head + s->ring_n - 1) % s->cfg.log_max_lines];
	if (l->seq != seq)
		return;
	free(l->text);
	*l = (struct line){};
	s->ring_n--;
}

/*
 * Y1: a synthetic incident, reported at once, alone. Its line is in the ring while it
 * closes only: a writer's line belongs to no other incident's excerpt.
 */
static int feed_synthetic(struct sn_incidents *s, const struct sn_kmsg_event *ev)
{
	static const struct sn_cpu_set none;
	struct sn_incident *inc;
	bool added = false;
	int r, k;

	if (!s->ring_n || ring_last_seq(s, 0) != ev->seq) {
		char line[160];

		snprintf(line, sizeof(line), SN_KMSG_SYNTHETIC_FORMAT, ev->synthetic.id,
			 ev->synthetic.uid);
		r = sn_incidents_add_line(s, ev->seq, ev->ts_usec, line);
		if (r < 0)
			return r;
		added = true;
	}
	k = incident_open(s, SN_INCIDENT_SYNTHETIC, "sdei-nmictl", &none, ev->ts_usec,
			  &inc);
	if (inc) {
		inc->first_seq = inc->last_seq = ev->seq;
		inc->detections = 1;
		incident_add_seq(inc, ev->seq);
		r = close_at(s, s->n_open - 1);
		if (k == 0)
			k = r;
	}
	if (added)
		ring_drop_last(s, ev->seq);
	return k;
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
	else if (ev->type == SN_KMSG_EVENT_SYNTHETIC)
		k = feed_synthetic(s, ev);
	else {
		s->stats.ignored++;
		k = 0;
	}
	if (k >= 0)
		k = close_completed(s); /* I6: an opening may take recent captures (I8) */
	return r < 0 ? r : k;
}

int sn_incidents_on_kmsg_event(const struct sn_kmsg_event *ev, void *userdata)
{
	return sn_incidents_feed(userdata, ev);
}

int sn_incidents_set_requests(struct sn_incidents *s, bool on,
			      enum sn_evidence_delivery delivery, const char *reason)
{
	if (!on) {
		if ((delivery != SN_EVIDENCE_NOT_REQUESTED &&
		     delivery != SN_EVIDENCE_UNAVAILABLE) ||
		    !reason || !reason[0])
			return -EINVAL;
		s->no_request_delivery = delivery;
		snprintf(s->no_request_reason, sizeof(s->no_request_reason), "%s",
			 reason);
	}
	s->requests_on = on;
	return 0;
}

bool sn_incidents_requests_on(const struct sn_incidents *s)
{
	return s->requests_on;
}

size_t sn_incidents_wanted(const struct sn_incidents *s, uint64_t now_usec,
			   struct sn_cpu_set *cpus)
{
	size_t n = 0;

	if (!s->requests_on)
		return 0;
	for (size_t i = 0; i < s->n_open; i++)
		for (size_t j = 0; j < s->open[i]->n_slots; j++) {
			const struct sn_incident_cpu *c = &s->open[i]->slots[j];

			if (c->state != SN_INCIDENT_CPU_IDLE ||
			    c->not_before > now_usec || sn_cpu_set_test(cpus, c->cpu))
				continue;
			if (sn_cpu_set_add(cpus, c->cpu) == 0)
				n++;
		}
	return n;
}

uint64_t sn_incidents_next_retry(const struct sn_incidents *s)
{
	uint64_t d = 0;

	if (!s->requests_on)
		return 0;
	for (size_t i = 0; i < s->n_open; i++)
		for (size_t j = 0; j < s->open[i]->n_slots; j++) {
			const struct sn_incident_cpu *c = &s->open[i]->slots[j];

			if (c->state != SN_INCIDENT_CPU_IDLE || !c->not_before)
				continue;
			if (d == 0 || c->not_before < d)
				d = c->not_before;
		}
	return d;
}

void sn_incidents_requested(struct sn_incidents *s, const struct sn_cpu_set *cpus)
{
	for (size_t i = 0; i < s->n_open; i++)
		for (size_t j = 0; j < s->open[i]->n_slots; j++) {
			struct sn_incident_cpu *c = &s->open[i]->slots[j];

			if (c->state != SN_INCIDENT_CPU_IDLE ||
			    !sn_cpu_set_test(cpus, c->cpu))
				continue;
			c->state = SN_INCIDENT_CPU_ASKED;
			c->attempts++;
		}
}

/* I7: an answer without a capture becomes the outcome of an asked slot. */
static int slot_outcome(struct sn_incidents *s, struct sn_incident_cpu *c,
			const struct sn_evidence *ev, uint64_t retry_at)
{
	struct sn_evidence copy;
	int r;

	r = sn_evidence_copy(ev, &copy);
	if (r < 0)
		return r;
	sn_evidence_done(&c->ev);
	c->ev = copy;
	if (retry_at && c->attempts < s->cfg.max_attempts) {
		c->state = SN_INCIDENT_CPU_IDLE;
		c->not_before = retry_at;
	} else
		c->state = SN_INCIDENT_CPU_DONE;
	s->stats.outcomes++;
	return 0;
}

/* I8: the newest monitor capture of its CPU. */
static int recent_keep(struct sn_incidents *s, const struct sn_evidence *ev,
		       uint64_t ts_usec)
{
	struct recent_capture *slot = NULL;
	struct sn_evidence copy;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(s->captures) && !slot; i++)
		if (s->captures[i].used && s->captures[i].ev.cpu == ev->cpu)
			slot = &s->captures[i];
	for (size_t i = 0; i < ELEMENTSOF(s->captures) && !slot; i++)
		if (!s->captures[i].used)
			slot = &s->captures[i];
	if (!slot) {
		/* The oldest goes. */
		slot = &s->captures[0];
		for (size_t i = 1; i < ELEMENTSOF(s->captures); i++)
			if (s->captures[i].ts_usec < slot->ts_usec)
				slot = &s->captures[i];
	}
	r = sn_evidence_copy(ev, &copy);
	if (r < 0)
		return r;
	sn_evidence_done(&slot->ev);
	*slot = (struct recent_capture){ .used = true, .ts_usec = ts_usec, .ev = copy };
	return 0;
}

int sn_incidents_add_entry(struct sn_incidents *s, const struct sn_entry *e,
			   enum sn_stack_source source, uint64_t ts_usec,
			   uint64_t retry_at)
{
	_cleanup_(sn_evidence_done) struct sn_evidence ev = {};
	bool capture;
	int n = 0, r;

	r = sn_evidence_from_entry(e, source, &ev);
	if (r < 0)
		return r;
	capture = ev.delivery == SN_EVIDENCE_CAPTURED;
	/* The monitor's entries are captures; anything else there is not an answer. */
	if (!capture && source == SN_STACK_NETLINK_MONITOR)
		return 0;

	for (size_t i = 0; i < s->n_open; i++) {
		struct sn_incident_cpu *c = incident_slot(s->open[i], e->cpu);

		if (!c)
			continue;
		if (capture)
			r = slot_capture(s, c, &ev);
		else if (c->state == SN_INCIDENT_CPU_ASKED)
			r = slot_outcome(s, c, &ev, retry_at) ?: 1;
		else
			r = 0;
		if (r < 0)
			return r;
		n += r;
	}
	if (capture && source == SN_STACK_NETLINK_MONITOR) {
		r = recent_keep(s, &ev, ts_usec);
		if (r < 0)
			return r;
	}
	if (capture && n == 0)
		s->stats.unmatched++;
	r = close_completed(s);
	return r < 0 ? r : n;
}

int sn_incidents_request_failed(struct sn_incidents *s, const struct sn_cpu_set *cpus,
				const char *reason, uint64_t retry_at)
{
	int n = 0, r;

	for (size_t i = 0; i < s->n_open; i++)
		for (size_t j = 0; j < s->open[i]->n_slots; j++) {
			struct sn_incident_cpu *c = &s->open[i]->slots[j];
			_cleanup_(sn_evidence_done) struct sn_evidence ev = {};

			if (c->state != SN_INCIDENT_CPU_ASKED ||
			    !sn_cpu_set_test(cpus, c->cpu))
				continue;
			r = sn_evidence_missing(c->cpu, SN_EVIDENCE_UNAVAILABLE, reason,
						&ev);
			if (r < 0)
				return r;
			r = slot_outcome(s, c, &ev, retry_at);
			if (r < 0)
				return r;
			n++;
		}
	r = close_completed(s);
	return r < 0 ? r : n;
}

int sn_incidents_add_signal(struct sn_incidents *s, const struct sn_incident_signal *sig)
{
	static const struct sn_cpu_set none;
	bool has_cpus = sig->has_cpus && !sn_cpu_set_empty(&sig->cpus);
	const struct sn_cpu_set *cpus = has_cpus ? &sig->cpus : &none;
	struct sn_incident *inc = NULL;
	int r, k = 0;

	if (sig->kind < SN_INCIDENT_HARD_LOCKUP || sig->kind >= _SN_INCIDENT_KIND_MAX)
		return -EINVAL;
	r = sn_incidents_tick(s, sig->ts_usec);
	s->stats.signals++;
	for (size_t i = s->n_open; i > 0 && !inc; i--) {
		struct sn_incident *o = s->open[i - 1];

		if (o->kind != sig->kind || (has_cpus && !incident_overlaps(o, cpus)))
			continue;
		if (sig->ts_usec >= o->first_usec &&
		    sig->ts_usec - o->first_usec > s->cfg.window_usec)
			break; /* too late for it: a new one (S1) */
		inc = o;
		incident_add_cpus(inc, cpus);
		if (sig->ts_usec > inc->last_usec)
			inc->last_usec = sig->ts_usec;
	}
	if (!inc && has_cpus) {
		/* I6: a repeat of a complete incident's stall, already reported */
		struct recent *rc = recent_find(s, sig->kind, cpus, NULL);

		if (rc && sig->ts_usec >= rc->first_usec &&
		    sig->ts_usec - rc->first_usec <= s->cfg.window_usec) {
			s->stats.repeats++;
			return r;
		}
	}
	if (!inc) {
		k = incident_open(s, sig->kind, sig->detector, cpus, sig->ts_usec, &inc);
		if (!inc)
			return k;
		inc->cpus_unknown = !has_cpus;
	}
	inc->signals++;
	if (sig->trigger && !inc->has_trigger) { /* S3 */
		inc->trigger = *sig->trigger;
		inc->has_trigger = true;
	}
	/*
	 * I7: a stall's CPUs are wanted as the log's are; what SysRq-l, panic and the
	 * like dumped is not a stall, and the kernel just printed their stacks.
	 */
	if (inc->kind != SN_INCIDENT_OTHER) {
		int q = incident_add_slots(s, inc, cpus, sig->ts_usec);

		if (q < 0)
			return q;
	}
	if (r == 0)
		r = k;
	k = close_completed(s); /* I6: an opening may take recent captures (I8) */
	return r < 0 ? r : k;
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
	int cpu, k;

	k = sn_report_new(inc->kind, &r);
	if (k < 0)
		return k;
	if (host && (k = sn_report_set_host(r, host)) < 0)
		return k;
	/* R-ID: named by its boot and first record, so that reading it again names it
	 * the same. */
	if (host && host->boot_id && inc->n_seqs > 0 &&
	    (k = sn_report_id_from_record(host->boot_id, inc->seqs[0], r->id)) < 0)
		return k;
	if (inc->has_task &&
	    (k = sn_report_set_task(r, inc->task_comm, inc->task_pid, inc->task_seconds,
				    inc->task_io_wait, inc->task_bt)) < 0)
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

	for_each_cpu (cpu, &inc->cpus) {
		const struct sn_kmsg_backtrace *bt = NULL;
		const struct sn_incident_cpu *c = NULL;

		if ((k = sn_report_add_stalled_cpu(r, (uint32_t)cpu)) < 0)
			return k;
		for (size_t j = 0; j < inc->n_backtraces; j++)
			if (inc->backtraces[j]->cpu == (uint32_t)cpu)
				bt = inc->backtraces[j];
		for (size_t j = 0; j < inc->n_slots; j++)
			if (inc->slots[j].cpu == (uint32_t)cpu)
				c = &inc->slots[j];
		/* I10 */
		if (c && evidence_is_capture(&c->ev))
			k = sn_report_add_evidence(r, &c->ev);
		else if (bt)
			k = sn_report_add_kmsg_backtrace(r, bt);
		else if (c && c->ev.delivery)
			k = sn_report_add_evidence(r, &c->ev);
		else
			k = sn_report_add_missing(r, (uint32_t)cpu,
						  inc->no_request_delivery,
						  inc->no_request_reason[0] ?
							  inc->no_request_reason :
							  SN_INCIDENT_NO_REQUESTS_REASON);
		if (k < 0)
			return k;
	}

	for (size_t i = 0; i < inc->n_lines; i++) {
		k = sn_report_add_log_line(r, inc->lines[i]);
		if (k < 0 && k != -E2BIG)
			return k;
	}
	r->log_lines_dropped += inc->lines_dropped;
	r->folded_count = inc->detections ? inc->detections - 1 : 0;
	if (inc->detections || inc->n_backtraces)
		r->sources |= SN_REPORT_SOURCE_KMSG;
	if (inc->signals)
		r->sources |= SN_REPORT_SOURCE_BPF;
	if (inc->has_trigger) {
		k = sn_report_set_trigger(
			r, inc->trigger.caller,
			inc->trigger.function[0] ? inc->trigger.function : NULL,
			inc->trigger.requester_cpu, &inc->trigger.targets);
		if (k < 0)
			return k;
	}
	*ret = TAKE_PTR(r);
	return 0;
}
