/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The netlink source: see nl-source.h. */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "nl-source.h"
#include "nmi-client.h"

/* Why nothing was asked of a replayed kernel log's CPUs. */
#define REPLAY_REASON                                                                 \
	"the kernel log is replayed from a file or pipe: its CPUs are not asked for " \
	"backtraces"
#define OFF_REASON "backtrace requests are turned off ([netlink] enabled=no)"
/* When the kernel reports no min_interval_ms: its default. */
#define DEFAULT_MIN_INTERVAL_USEC (UINT64_C(100) * 1000)

struct nl_request {
	bool used;
	bool answered; /* a reply or an error came, or it was given up */
	uint32_t seq;
	struct sn_cpu_set cpus;
	unsigned n_cpus;
	uint64_t deadline; /* CLOCK_MONOTONIC usec: given up then */
	pid_t pid;	   /* the child sending it; 0 once reaped */
	sd_event_source *child;
	struct nl_source *source;
};

struct nl_source {
	struct manager *manager;
	struct sn_client *client;
	sd_event_source *monitor_io, *request_io, *timer, *post;
	uint32_t timeout_ms;
	uint64_t min_interval_usec;
	bool live; /* the kernel log is this boot's: requests, notifications attached */
	struct nl_request requests[NL_MAX_OUTSTANDING];
	uint64_t late_replies;
};

/*
 * Two clocks: the requests' own deadlines (the timer) are CLOCK_MONOTONIC; the
 * incidents' times are the kernel log's (lib/kclock.h), and so are the retries and
 * the captures' times handed to them.
 */
static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t log_usec(const struct nl_source *s, uint64_t mono_usec)
{
	return sn_kclock_to_log(&s->manager->kclock, mono_usec);
}

static uint64_t log_now(const struct nl_source *s)
{
	return log_usec(s, now_usec());
}

/* When the kernel took a capture (the entry's CLOCK_MONOTONIC), in the log's clock. */
static uint64_t entry_time(const struct nl_source *s, const struct sn_entry *e,
			   uint64_t fallback)
{
	return e->has_time_ns ? log_usec(s, e->time_ns / 1000) : fallback;
}

static void cpus_text(const struct sn_cpu_set *cpus, char *buf, size_t size)
{
	if (sn_cpu_set_format(cpus, buf, size) < 0)
		snprintf(buf, size, "(many)");
}

/* The source does not run: why, for the log, the status, and the reports' CPUs. */
static void source_down(struct manager *m, int error, const char *why,
			enum sn_evidence_delivery delivery)
{
	manager_source_set(m, MANAGER_SOURCE_NETLINK, error, why);
	(void)sn_incidents_set_requests(m->incidents, false, delivery,
					m->sources[MANAGER_SOURCE_NETLINK].reason);
}

static void request_release(struct nl_request *q)
{
	q->child = sd_event_source_disable_unref(q->child);
	*q = (struct nl_request){ .source = q->source };
}

/* Frees the slot once it is answered and its child reaped. */
static void request_maybe_release(struct nl_request *q)
{
	if (q->used && q->answered && q->pid == 0)
		request_release(q);
}

static bool slot_free(const struct nl_source *s)
{
	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++)
		if (!s->requests[i].used)
			return true;
	return false;
}

/* The timer: the earliest deadline of a request, or of a retry when one can go out. */
static void arm_timer(struct nl_source *s)
{
	uint64_t d = 0, retry;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++) {
		const struct nl_request *q = &s->requests[i];

		if (q->used && !q->answered && (d == 0 || q->deadline < d))
			d = q->deadline;
	}
	retry = s->live && slot_free(s) ? sn_incidents_next_retry(s->manager->incidents) :
					  0;
	/*
	 * A retry already due waits for its CPU's request in flight: the answer's event
	 * runs on_post() again; a timer in the past would only spin.
	 */
	if (retry) {
		retry = sn_kclock_to_monotonic(&s->manager->kclock, retry);
		if (retry <= now_usec())
			retry = 0;
	}
	if (retry && (d == 0 || retry < d))
		d = retry;
	if (!d) {
		(void)sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
		return;
	}
	r = sd_event_source_set_time(s->timer, d);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		log_warning_errno(r, "Failed to arm the netlink timer: %m, ignoring");
}

/* The request's CPUs that got nothing: their outcome, or a retry from retry_at. */
static void request_fail(struct nl_source *s, struct nl_request *q,
			 const struct sn_cpu_set *cpus, const char *reason,
			 uint64_t retry_at)
{
	int r;

	q->answered = true;
	r = sn_incidents_request_failed(s->manager->incidents, cpus, reason, retry_at);
	if (r < 0)
		log_warning_errno(r,
				  "Failed to record the request's outcome: %m, ignoring");
}

static int on_child(sd_event_source *es, const siginfo_t *si, void *userdata)
{
	struct nl_request *q = userdata;
	struct nl_source *s = q->source;
	char why[160];
	int error;

	q->pid = 0;
	q->child = sd_event_source_disable_unref(q->child);
	if (si->si_code == CLD_EXITED && si->si_status == 0) {
		request_maybe_release(q);
		return 0;
	}
	if (!q->answered) {
		error = si->si_code == CLD_EXITED ? -si->si_status : -ECHILD;
		log_warning_errno(error,
				  "Failed to send the backtrace request %" PRIu32 ": %m",
				  q->seq);
		snprintf(why, sizeof(why), "the backtrace request could not be sent: %s",
			 strerror(-error));
		request_fail(s, q, &q->cpus, why, log_now(s) + NL_RETRY_USEC);
	}
	request_maybe_release(q);
	arm_timer(s);
	return 0;
}

/* One request for cpus: built here, sent by a child (see nl-source.h). */
static int request_send(struct nl_source *s, struct nl_request *q,
			const struct sn_cpu_set *cpus)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	uint32_t list[NL_MAX_REQUEST_CPUS], seq;
	size_t n = 0;
	char text[256];
	pid_t pid;
	int cpu, r;

	for_each_cpu (cpu, cpus)
		if (n < ELEMENTSOF(list))
			list[n++] = (uint32_t)cpu;
	r = sn_client_request_new(s->client, list, n, s->timeout_ms, &msg, &seq);
	if (r < 0)
		return r;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The child: one send, which returns when the kernel is done. */
		r = sn_client_request_send(s->client, msg);
		_exit(r < 0 ? (-r < 256 ? -r : EIO) : 0);
	}

	*q = (struct nl_request){
		.used = true,
		.seq = seq,
		.n_cpus = (unsigned)n,
		.deadline =
			now_usec() + (uint64_t)s->timeout_ms * 1000 + NL_REPLY_SLACK_USEC,
		.pid = pid,
		.source = s,
	};
	for (size_t i = 0; i < n; i++)
		(void)sn_cpu_set_add(&q->cpus, list[i]);
	r = sd_event_add_child(s->manager->event, &q->child, pid, WEXITED, on_child, q);
	if (r < 0) {
		/*
		 * Not watched, so not reaped (waiting for it could block): the request
		 * goes on, its reply is read, the child stays a zombie until we exit.
		 */
		q->pid = 0;
		log_warning_errno(r,
				  "Failed to watch the request's child %d: %m, ignoring",
				  (int)pid);
	}
	sn_incidents_requested(s->manager->incidents, &q->cpus);
	s->manager->counters.backtraces_requested += n;
	cpus_text(&q->cpus, text, sizeof(text));
	log_debug("Requested the backtrace of CPU %s (request %" PRIu32 ", child %d).",
		  text, seq, (int)pid);
	return 0;
}

/* The CPUs wanted, less those in flight, at most NL_MAX_REQUEST_CPUS. */
static unsigned wanted_now(struct nl_source *s, uint64_t now, struct sn_cpu_set *ret)
{
	struct sn_cpu_set want = {};
	unsigned n = 0;
	int cpu;

	*ret = (struct sn_cpu_set){};
	if (!sn_incidents_wanted(s->manager->incidents, now, &want))
		return 0;
	for_each_cpu (cpu, &want) {
		bool flying = false;

		for (size_t i = 0; i < ELEMENTSOF(s->requests) && !flying; i++)
			flying = s->requests[i].used && !s->requests[i].answered &&
				 sn_cpu_set_test(&s->requests[i].cpus, (uint32_t)cpu);
		if (flying || n == NL_MAX_REQUEST_CPUS)
			continue;
		(void)sn_cpu_set_add(ret, (uint32_t)cpu);
		n++;
	}
	return n;
}

/* After every round of the loop: what the incidents want goes out. */
static int on_post(sd_event_source *es, void *userdata)
{
	struct nl_source *s = userdata;
	uint64_t now = log_now(s);
	struct sn_cpu_set cpus;
	char text[256], why[192];
	int r;

	if (!s->live)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++) {
		struct nl_request *q = &s->requests[i];

		if (q->used)
			continue;
		if (!wanted_now(s, now, &cpus))
			break;
		r = request_send(s, q, &cpus);
		if (r < 0) {
			cpus_text(&cpus, text, sizeof(text));
			log_warning_errno(
				r, "Failed to request the backtrace of CPU %s: %m", text);
			snprintf(why, sizeof(why), "the backtrace request failed: %s",
				 strerror(-r));
			/* Asked and failed at once: a retry later, as for a refusal. */
			sn_incidents_requested(s->manager->incidents, &cpus);
			(void)sn_incidents_request_failed(s->manager->incidents, &cpus,
							  why, now + NL_RETRY_USEC);
			break;
		}
	}
	arm_timer(s);
	return 0;
}

static struct nl_request *request_by_seq(struct nl_source *s, uint32_t seq)
{
	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++)
		if (s->requests[i].used && !s->requests[i].answered &&
		    s->requests[i].seq == seq)
			return &s->requests[i];
	return NULL;
}

static bool error_may_pass(int error)
{
	return error == -EBUSY || error == -EAGAIN || error == -EINTR ||
	       error == -ENOMEM || error == -ENOBUFS;
}

static void reply_entries(struct nl_source *s, struct nl_request *q,
			  const struct sn_backtrace *b, uint64_t now)
{
	struct manager *m = s->manager;
	struct sn_cpu_set missing = q->cpus;
	char text[256];
	int r;

	for (size_t i = 0; i < b->n_entries; i++) {
		const struct sn_entry *e = &b->entries[i];
		uint64_t retry = 0, ts = now;

		if (!sn_cpu_set_test(&missing, e->cpu)) {
			log_debug("Reply %" PRIu32 ": CPU %" PRIu32
				  " not asked, ignoring.",
				  q->seq, e->cpu);
			continue;
		}
		sn_cpu_set_del(&missing, e->cpu);
		switch (e->delivery) {
		case SDEI_NMI_DELIVERY_CAPTURED:
			m->counters.backtraces_captured++;
			ts = entry_time(s, e, now);
			break;
		case SDEI_NMI_DELIVERY_TIMEOUT:
			m->counters.backtraces_timed_out++;
			break;
		case SDEI_NMI_DELIVERY_RATE_LIMITED:
			retry = now + s->min_interval_usec;
			break;
		default:
			break;
		}
		/* Said first: the answer may complete an incident, reported at once. */
		log_debug("CPU %" PRIu32 ": %s (request %" PRIu32 ").", e->cpu,
			  sn_evidence_delivery_to_string(e->delivery) ?: "unknown",
			  q->seq);
		r = sn_incidents_add_entry(m->incidents, e, SN_STACK_NETLINK_REQUEST, ts,
					   retry);
		if (r < 0)
			log_warning_errno(r,
					  "Failed to attach CPU %" PRIu32 "'s answer: %m",
					  e->cpu);
	}
	if (!sn_cpu_set_empty(&missing)) {
		cpus_text(&missing, text, sizeof(text));
		log_warning("Reply %" PRIu32 " has no entry for CPU %s.", q->seq, text);
		request_fail(s, q, &missing,
			     "the kernel's reply has no entry for this CPU", 0);
	}
	q->answered = true;
}

static int on_reply(struct sn_client *c, uint32_t seq, int error, const char *message,
		    const struct sn_backtrace *b, void *userdata)
{
	struct nl_source *s = userdata;
	struct nl_request *q;
	uint64_t now = log_now(s);
	char why[SN_INCIDENT_MAX_REASON + 1];

	if (seq == 0 && error == -ENOBUFS) {
		log_warning("Backtrace replies lost (the socket overran); their requests "
			    "will time out.");
		return 0;
	}
	q = request_by_seq(s, seq);
	if (!q) {
		s->late_replies++;
		log_debug("Reply %" PRIu32 " to no request outstanding, ignoring.", seq);
		return 0;
	}
	if (error < 0) {
		snprintf(why, sizeof(why), "the kernel refused the backtrace request: %s",
			 message ?: strerror(-error));
		if (message)
			log_warning_errno(error,
					  "Backtrace request %" PRIu32 " refused: %s",
					  seq, message);
		else
			log_warning_errno(
				error, "Backtrace request %" PRIu32 " refused: %m", seq);
		request_fail(s, q, &q->cpus, why,
			     error_may_pass(error) ?
				     now + (s->min_interval_usec > NL_RETRY_USEC ?
						    s->min_interval_usec :
						    NL_RETRY_USEC) :
				     0);
	} else
		reply_entries(s, q, b, now);
	request_maybe_release(q);
	return 0;
}

static int on_request_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct nl_source *s = userdata;
	int r;

	r = sn_client_request_dispatch(s->client, on_reply, s);
	if (r < 0)
		log_warning_errno(r, "Failed to read backtrace replies: %m, ignoring");
	/* Answers may complete incidents. */
	r = manager_tick(s->manager, log_now(s));
	if (r < 0)
		log_warning_errno(r, "Failed to close incidents: %m, ignoring");
	arm_timer(s);
	return 0;
}

/* Own timeouts: requests unanswered past their deadline are given up. */
static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct nl_source *s = userdata;
	uint64_t now = now_usec();
	char why[SN_INCIDENT_MAX_REASON + 1], text[256];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++) {
		struct nl_request *q = &s->requests[i];

		if (!q->used || q->answered || q->deadline > now)
			continue;
		cpus_text(&q->cpus, text, sizeof(text));
		snprintf(why, sizeof(why),
			 "no reply from the kernel within %" PRIu64 " ms",
			 (uint64_t)s->timeout_ms + NL_REPLY_SLACK_USEC / 1000);
		log_warning("Backtrace request %" PRIu32 " (CPU %s): %s, given up.",
			    q->seq, text, why);
		s->manager->counters.backtraces_timed_out += q->n_cpus;
		request_fail(s, q, &q->cpus, why, 0);
		if (q->pid > 0)
			(void)kill(q->pid, SIGKILL); /* reaped by on_child() */
		request_maybe_release(q);
	}
	r = manager_tick(s->manager, log_now(s));
	if (r < 0)
		log_warning_errno(r, "Failed to close incidents: %m, ignoring");
	arm_timer(s);
	return 0;
}

static int on_notification(struct sn_client *c, int error, const struct sn_backtrace *b,
			   void *userdata)
{
	struct nl_source *s = userdata;
	uint64_t now = log_now(s);
	int r;

	if (error == -ENOBUFS) {
		log_warning("Monitor notifications lost (the socket overran).");
		return 0;
	}
	if (error < 0) {
		log_warning_errno(error, "Malformed monitor notification: %m, ignoring");
		return 0;
	}
	for (size_t i = 0; i < b->n_entries; i++) {
		const struct sn_entry *e = &b->entries[i];

		if (e->delivery != SDEI_NMI_DELIVERY_CAPTURED)
			continue;
		if (!s->live) {
			log_debug("CPU %" PRIu32
				  ": the kernel's backtrace, not attached to a "
				  "replayed log.",
				  e->cpu);
			continue;
		}
		log_debug("CPU %" PRIu32 ": the kernel's backtrace (monitor).", e->cpu);
		r = sn_incidents_add_entry(s->manager->incidents, e,
					   SN_STACK_NETLINK_MONITOR,
					   entry_time(s, e, now), 0);
		if (r < 0)
			log_warning_errno(
				r, "Failed to attach CPU %" PRIu32 "'s capture: %m",
				e->cpu);
	}
	return 0;
}

static int on_monitor_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct nl_source *s = userdata;
	int r;

	r = sn_client_monitor_dispatch(s->client, on_notification, s);
	if (r < 0) {
		log_error_errno(r, "Failed to read the monitor group: %m");
		(void)sd_event_source_set_enabled(s->monitor_io, SD_EVENT_OFF);
		manager_source_set(s->manager, MANAGER_SOURCE_NETLINK, r,
				   "the monitor socket failed");
	}
	return 0;
}

struct nl_source *nl_source_free(struct nl_source *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++) {
		struct nl_request *q = &s->requests[i];

		/* A child still in the kernel: ended, not waited for. */
		if (q->pid > 0)
			(void)kill(q->pid, SIGKILL);
		sd_event_source_disable_unref(q->child);
	}
	sd_event_source_disable_unref(s->monitor_io);
	sd_event_source_disable_unref(s->request_io);
	sd_event_source_disable_unref(s->timer);
	sd_event_source_disable_unref(s->post);
	sn_client_free(s->client);
	free(s);
	return NULL;
}

void nl_source_set_timeout(struct nl_source *s, uint32_t timeout_ms)
{
	if (s && timeout_ms)
		s->timeout_ms = timeout_ms;
}

int nl_source_start(struct manager *m, struct nl_source **ret)
{
	_cleanup_(nl_source_freep) struct nl_source *s = NULL;
	_cleanup_(sn_status_freep) struct sn_status *st = NULL;
	char why[SN_INCIDENT_MAX_REASON + 1];
	sigset_t mask;
	int r;

	*ret = NULL;
	if (!m->cfg.netlink) {
		source_down(m, 0,
			    "turned off in the configuration ([netlink] enabled=no)",
			    SN_EVIDENCE_NOT_REQUESTED);
		(void)sn_incidents_set_requests(m->incidents, false,
						SN_EVIDENCE_NOT_REQUESTED, OFF_REASON);
		return 0;
	}

	s = calloc(1, sizeof(*s));
	if (!s)
		return log_oom();
	s->manager = m;
	s->timeout_ms = m->cfg.netlink_timeout_ms ?: 500;
	for (size_t i = 0; i < ELEMENTSOF(s->requests); i++)
		s->requests[i].source = s;

	r = sn_client_new(&s->client);
	if (r == -ENOENT || r == -EOPNOTSUPP) {
		source_down(
			m, 0,
			"no sdei-nmi netlink family in this kernel (no SDEI NMI service: "
			"not the sdei-nmi series, or CONFIG_ARM_SDEI_NMI off)",
			SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}
	if (r < 0) {
		source_down(m, r, "cannot open a generic netlink socket",
			    SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}
	r = sn_client_status(s->client, &st);
	if (r < 0) {
		source_down(m, r, "the sdei-nmi status request failed",
			    SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}
	if (st->state != SDEI_NMI_STATE_ACTIVE) {
		snprintf(why, sizeof(why), "the SDEI NMI service is inactive: %s",
			 st->reason ?: "the kernel gives no reason");
		source_down(m, 0, why, SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}
	s->min_interval_usec = st->has_min_interval_ms ?
				       (uint64_t)st->min_interval_ms * 1000 :
				       DEFAULT_MIN_INTERVAL_USEC;
	if (s->min_interval_usec == 0)
		s->min_interval_usec = 1000; /* no limit: still not a busy retry */

	r = sn_client_monitor_start(s->client);
	if (r < 0) {
		source_down(
			m, r,
			r == -EPERM ?
				"cannot join the monitor group (needs CAP_NET_ADMIN)" :
				"cannot join the monitor group",
			SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}
	r = sn_client_request_open(s->client);
	if (r < 0) {
		source_down(m, r, "cannot open the request socket",
			    SN_EVIDENCE_UNAVAILABLE);
		return 0;
	}

	/* The children that send requests are reaped by the loop. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block SIGCHLD: %m");

	r = sd_event_add_io(m->event, &s->monitor_io, sn_client_monitor_fd(s->client),
			    EPOLLIN, on_monitor_io, s);
	if (r >= 0)
		r = sd_event_add_io(m->event, &s->request_io,
				    sn_client_request_fd(s->client), EPOLLIN,
				    on_request_io, s);
	if (r >= 0)
		r = sd_event_add_time(m->event, &s->timer, CLOCK_MONOTONIC,
				      UINT64_MAX - 1, 0, on_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_post(m->event, &s->post, on_post, s);
	if (r < 0)
		return log_error_errno(
			r, "Failed to add the netlink source to the loop: %m");

	s->live = m->live_clock;
	if (s->live)
		r = sn_incidents_set_requests(m->incidents, true, 0, NULL);
	else
		r = sn_incidents_set_requests(m->incidents, false,
					      SN_EVIDENCE_NOT_REQUESTED, REPLAY_REASON);
	if (r < 0)
		return log_error_errno(r, "Failed to set up backtrace requests: %m");

	manager_source_set(m, MANAGER_SOURCE_NETLINK, 0, NULL);
	log_info("Source netlink running (sdei-nmi family: monitor group%s, "
		 "min_interval %" PRIu64 " ms, timeout %" PRIu32 " ms).",
		 s->live ? ", backtrace requests" : "; a replayed log: no requests",
		 s->min_interval_usec / 1000, s->timeout_ms);
	*ret = TAKE_PTR(s);
	return 0;
}
