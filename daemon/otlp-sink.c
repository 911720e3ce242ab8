/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#include "backoff.h"
#include "log.h"
#include "otlp-sink.h"
#include "otlp.h"
#include "util.h"

typedef char report_id[SN_REPORT_ID_LEN + 1];

struct otlp_sink {
	struct manager *manager;
	char *url;
	long timeout_ms;
	char **headers; /* "Name: value", the sink's own copy */
	size_t n_headers;

	CURLM *multi;
	sd_event_source *curl_timer; /* libcurl's timeout */
	sd_event_source *retry;	     /* the next attempt after a failure */
	sd_event_source *drain;	     /* the end of the wait at exit */
	sd_event_source **ios;	     /* libcurl's sockets */
	size_t n_ios;

	report_id *queue; /* [head, n) to ship, oldest first */
	size_t head, n, allocated;

	/* The request in flight, for queue[head]. */
	CURL *easy;
	struct curl_slist *request_headers;
	char *body;
	char *response;
	size_t response_len;
	char error[CURL_ERROR_SIZE];
	uint64_t sent_usec;

	unsigned failures; /* in a row */
	bool draining;
	int drain_status;
	bool curl_initialized;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

size_t otlp_sink_pending(const struct otlp_sink *s)
{
	return s->n - s->head;
}

bool otlp_sink_draining(const struct otlp_sink *s)
{
	return s->draining;
}

static void request_done(struct otlp_sink *s)
{
	if (s->easy) {
		(void)curl_multi_remove_handle(s->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	curl_slist_free_all(s->request_headers);
	s->request_headers = NULL;
	free(s->body);
	s->body = NULL;
	free(s->response);
	s->response = NULL;
	s->response_len = 0;
}

static void io_forget(struct otlp_sink *s, sd_event_source *io)
{
	for (size_t i = 0; i < s->n_ios; i++)
		if (s->ios[i] == io) {
			s->ios[i] = s->ios[--s->n_ios];
			break;
		}
	sd_event_source_disable_unref(io);
}

struct otlp_sink *otlp_sink_free(struct otlp_sink *s)
{
	if (!s)
		return NULL;
	/* What is in flight stays unshipped in the spool: the next start sends it. */
	request_done(s);
	if (s->multi)
		(void)curl_multi_cleanup(s->multi); /* may still call on_socket() */
	while (s->n_ios > 0)
		io_forget(s, s->ios[0]);
	free(s->ios);
	sd_event_source_disable_unref(s->curl_timer);
	sd_event_source_disable_unref(s->retry);
	sd_event_source_disable_unref(s->drain);
	if (s->curl_initialized)
		curl_global_cleanup();
	free(s->queue);
	sn_strv_free(s->headers, s->n_headers);
	free(s->url);
	free(s);
	return NULL;
}

/* ---- libcurl in the loop ---- */

static void check_done(struct otlp_sink *s);

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	struct otlp_sink *s = userdata;
	int action = 0, running;

	if (revents & EPOLLIN)
		action |= CURL_CSELECT_IN;
	if (revents & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (revents & (EPOLLERR | EPOLLHUP))
		action |= CURL_CSELECT_ERR;
	(void)curl_multi_socket_action(s->multi, fd, action, &running);
	check_done(s);
	return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct otlp_sink *s = userp;
	sd_event_source *io = socketp;
	uint32_t events = 0;
	sd_event_source **ios;
	int r;

	if (what == CURL_POLL_REMOVE) {
		if (io) {
			(void)curl_multi_assign(s->multi, fd, NULL);
			io_forget(s, io);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (io)
		r = sd_event_source_set_io_events(io, events);
	else {
		ios = reallocarray(s->ios, s->n_ios + 1, sizeof(*ios));
		if (!ios)
			return -1;
		s->ios = ios;
		r = sd_event_add_io(s->manager->event, &io, fd, events, on_io, s);
		if (r >= 0) {
			s->ios[s->n_ios++] = io;
			(void)sd_event_source_set_description(io, "otlp-socket");
			(void)curl_multi_assign(s->multi, fd, io);
		}
	}
	if (r < 0) {
		log_error_errno(r, "Failed to watch the OTLP connection's socket: %m");
		return -1;
	}
	return 0;
}

static int on_curl_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct otlp_sink *s = userdata;
	int running;

	(void)curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(s);
	return 0;
}

/* libcurl asks to be called after timeout_ms (0: soon, but not from here; -1: never). */
static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
	struct otlp_sink *s = userp;
	int r;

	if (timeout_ms < 0)
		return sd_event_source_set_enabled(s->curl_timer, SD_EVENT_OFF) < 0 ? -1 :
										      0;
	r = sd_event_source_set_time_relative(s->curl_timer, (uint64_t)timeout_ms * 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->curl_timer, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_error_errno(r, "Failed to arm the OTLP timer: %m");
		return -1;
	}
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct otlp_sink *s = userdata;
	size_t n = size * nmemb, room = SN_OTLP_MAX_RESPONSE + 1 - s->response_len;
	char *p;

	/* Kept up to one byte past the bound (so that a longer answer is seen as such).
	 */
	if (n > room)
		n = room;
	if (n == 0)
		return size * nmemb;
	p = realloc(s->response, s->response_len + n + 1);
	if (!p)
		return size * nmemb; /* the answer is only read for partialSuccess */
	s->response = p;
	memcpy(p + s->response_len, data, n);
	s->response_len += n;
	p[s->response_len] = '\0';
	return size * nmemb;
}

/* ---- the queue ---- */

static void kick(struct otlp_sink *s);

static void dequeue(struct otlp_sink *s)
{
	if (s->head < s->n)
		s->head++;
	if (s->head == s->n)
		s->head = s->n = 0;
	else if (s->head > 64 && s->head > s->n / 2) {
		memmove(s->queue, s->queue + s->head,
			(s->n - s->head) * sizeof(*s->queue));
		s->n -= s->head;
		s->head = 0;
	}
}

int otlp_sink_add(struct otlp_sink *s, const char *id)
{
	if (!sn_report_id_valid(id))
		return -EINVAL;
	if (s->n == s->allocated) {
		size_t m = s->allocated ? s->allocated * 2 : 16;
		report_id *q = reallocarray(s->queue, m, sizeof(*q));

		if (!q)
			return -ENOMEM;
		s->queue = q;
		s->allocated = m;
	}
	memcpy(s->queue[s->n++], id, SN_REPORT_ID_LEN + 1);
	kick(s);
	return 0;
}

static bool retry_armed(struct otlp_sink *s)
{
	int enabled = SD_EVENT_OFF;

	return sd_event_source_get_enabled(s->retry, &enabled) >= 0 &&
	       enabled != SD_EVENT_OFF;
}

static void changed(struct otlp_sink *s)
{
	manager_counters_changed(s->manager);
	manager_update_status(s->manager);
}

/* Starts the request for queue[head]; -ENOENT, -EBADMSG: skip it; else retry. */
static int request_start(struct otlp_sink *s)
{
	struct manager *m = s->manager;
	const char *id = s->queue[s->head];
	_cleanup_(freep) char *report = NULL;
	char key[64];
	size_t len, body_len;
	CURLMcode mc;
	int r;

	r = sn_spool_read(m->spool, id, &report, &len);
	if (r == -ENOENT) {
		log_info("Report %s left the spool before it was shipped (evicted or "
			 "removed), skipping it.",
			 id);
		return -ENOENT;
	}
	if (r == -EFBIG || r == -EINVAL)
		r = -EBADMSG;
	if (r == 0)
		r = sn_otlp_logs_request(report, len, id, SDEI_NMI_VERSION, &s->body,
					 &body_len);
	if (r == -EBADMSG || r == -E2BIG) {
		log_error("Report %s in the spool is not a valid report, not shipped.",
			  id);
		request_done(s);
		m->counters.reports_failed++;
		changed(s);
		return -EBADMSG;
	}
	if (r < 0)
		return log_warning_errno(r, "Failed to read report %s from the spool: %m",
					 id);

	snprintf(key, sizeof(key), "Idempotency-Key: %s", id);
	s->request_headers = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *l = s->request_headers;
	if (l)
		l = curl_slist_append(l, key);
	if (l) /* no "Expect: 100-continue" round trip */
		l = curl_slist_append(l, "Expect:");
	for (size_t i = 0; l && i < s->n_headers; i++)
		l = curl_slist_append(l, s->headers[i]);
	if (l)
		s->easy = curl_easy_init();
	if (!l || !s->easy) {
		request_done(s);
		return log_oom();
	}
	s->error[0] = '\0';
	if (curl_easy_setopt(s->easy, CURLOPT_URL, s->url) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, s->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms) !=
		    CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "sdei-nmid/" SDEI_NMI_VERSION) !=
		    CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->request_headers) !=
		    CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE,
			     (curl_off_t)body_len) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, s->body) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->error) != CURLE_OK) {
		request_done(s);
		return log_error_errno(-EINVAL, "Failed to set up the OTLP request.");
	}
	s->sent_usec = now_usec();
	mc = curl_multi_add_handle(s->multi, s->easy);
	if (mc != CURLM_OK) {
		request_done(s);
		return log_error_errno(-EIO, "Failed to start the OTLP request: %s",
				       curl_multi_strerror(mc));
	}
	log_debug("Shipping report %s to %s (%zu bytes).", id, s->url, body_len);
	return 0;
}

static int on_retry(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct otlp_sink *s = userdata;

	(void)sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
	kick(s);
	return 0;
}

/* The next attempt after failure number s->failures (1: the first); retry_after_sec: the
 * server's wish, or 0. */
static void schedule_retry(struct otlp_sink *s, const char *id, const char *why,
			   uint64_t retry_after_sec)
{
	uint64_t rnd, delay;
	int r;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = now_usec();
	delay = sn_backoff_delay(SN_BACKOFF_MIN_USEC, SN_BACKOFF_MAX_USEC, s->failures,
				 rnd);
	if (retry_after_sec > 0) {
		uint64_t ra = retry_after_sec > SN_BACKOFF_MAX_USEC / 1000000 ?
				      SN_BACKOFF_MAX_USEC :
				      retry_after_sec * 1000000;

		if (ra > delay)
			delay = ra;
	}
	s->manager->counters.otlp_requests_failed++;
	log_warning(
		"Failed to ship report %s to %s: %s; retrying in %.3f s (attempt %u).",
		id, s->url, why, (double)delay / 1e6, s->failures + 1);
	r = sd_event_source_set_time_relative(s->retry, delay);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->retry, SD_EVENT_ONESHOT);
	if (r < 0)
		log_error_errno(r, "Failed to arm the OTLP retry timer: %m; shipping "
				   "stops until a new report comes");
}

static bool refused_for_good(long code)
{
	return code == 400 || code == 413 || code == 415 || code == 422;
}

static void request_finished(struct otlp_sink *s, CURLcode result)
{
	struct manager *m = s->manager;
	report_id id;
	long code = 0;
	curl_off_t retry_after = 0;
	char why[CURL_ERROR_SIZE + 64];
	double ms = (double)(now_usec() - s->sent_usec) / 1e3;

	memcpy(id, s->queue[s->head], sizeof(id));
	if (result == CURLE_OK) {
		(void)curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		(void)curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &retry_after);
	}

	if (result == CURLE_OK && code >= 200 && code < 300) {
		_cleanup_(freep) char *message = NULL;
		uint64_t rejected = 0;
		int r;

		r = s->response_len > SN_OTLP_MAX_RESPONSE ?
			    -EBADMSG :
			    sn_otlp_parse_response(s->response ?: "", s->response_len,
						   &rejected, &message);
		if (r < 0)
			log_debug("The collector's answer to report %s is not OTLP JSON, "
				  "taken as accepted.",
				  id);
		s->failures = 0;
		if (rejected > 0) {
			log_error("Collector %s rejected report %s: %s; not retried.",
				  s->url, id, message ?: "no reason given");
			m->counters.reports_failed++;
		} else {
			r = sn_spool_mark_shipped(m->spool, id);
			if (r < 0)
				log_warning_errno(r,
						  "Failed to mark report %s shipped: %m; "
						  "it is sent again after a restart",
						  id);
			m->counters.reports_shipped++;
			log_info("Report %s shipped to %s (HTTP %ld, %.0f ms).", id,
				 s->url, code, ms);
		}
		request_done(s);
		dequeue(s);
	} else if (result == CURLE_OK && refused_for_good(code)) {
		log_error(
			"Collector %s refused report %s: HTTP %ld; not retried (it stays "
			"in the spool).",
			s->url, id, code);
		m->counters.reports_failed++;
		s->failures = 0;
		request_done(s);
		dequeue(s);
	} else {
		if (result == CURLE_OK)
			snprintf(why, sizeof(why), "HTTP %ld after %.0f ms", code, ms);
		else
			snprintf(why, sizeof(why), "%s after %.0f ms",
				 s->error[0] ? s->error : curl_easy_strerror(result), ms);
		request_done(s);
		s->failures++;
		schedule_retry(s, id, why,
			       (code == 429 || code == 503) && retry_after > 0 ?
				       (uint64_t)retry_after :
				       0);
	}
	changed(s);
	kick(s);
}

static void check_done(struct otlp_sink *s)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(s->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->easy)
			request_finished(s, msg->data.result);
}

static void drain_end(struct otlp_sink *s, bool timeout)
{
	struct manager *m = s->manager;

	if (timeout)
		log_notice(
			"%zu report(s) not shipped to %s yet: left in the spool for the "
			"next start.",
			otlp_sink_pending(s), s->url);
	s->draining = false;
	(void)sd_event_source_set_enabled(s->drain, SD_EVENT_OFF);
	(void)sd_event_exit(m->event, s->drain_status);
}

static void kick(struct otlp_sink *s)
{
	int state = sd_event_get_state(s->manager->event);

	/* The loop is over (reports flushed at exit): they wait in the spool. */
	if (state == SD_EVENT_FINISHED || state == SD_EVENT_EXITING)
		return;
	while (!s->easy && !retry_armed(s) && s->head < s->n) {
		int r = request_start(s);

		if (r >= 0)
			return;
		if (r == -ENOENT || r == -EBADMSG) {
			dequeue(s);
			changed(s);
			continue;
		}
		s->failures++;
		schedule_retry(s, s->queue[s->head], strerror(-r), 0);
		return;
	}
	if (s->draining && s->head == s->n)
		drain_end(s, false);
}

static int on_drain(sd_event_source *es, uint64_t usec, void *userdata)
{
	drain_end(userdata, true);
	return 0;
}

int otlp_sink_drain(struct otlp_sink *s, int status)
{
	int r;

	if (otlp_sink_pending(s) == 0)
		return 0;
	r = sd_event_add_time_relative(s->manager->event, &s->drain, CLOCK_MONOTONIC,
				       OTLP_SINK_DRAIN_USEC, 1000, on_drain, s);
	if (r < 0) {
		log_warning_errno(r, "Failed to wait for the OTLP sink: %m, exiting now");
		return 0;
	}
	s->draining = true;
	s->drain_status = status;
	log_info("End of input: shipping %zu report(s) to %s before exiting (at most "
		 "%llu s).",
		 otlp_sink_pending(s), s->url, OTLP_SINK_DRAIN_USEC / 1000000);
	return 1;
}

int otlp_sink_start(struct otlp_sink *s)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	size_t n, queued = 0;
	int r;

	r = sn_spool_list(s->manager->spool, &e, &n);
	if (r < 0)
		return log_error_errno(r, "Failed to list the spool: %m");
	for (size_t i = 0; i < n; i++) {
		if (e[i].shipped)
			continue;
		r = otlp_sink_add(s, e[i].id);
		if (r < 0)
			return log_error_errno(r, "Failed to queue report %s: %m",
					       e[i].id);
		queued++;
	}
	log_info("OTLP sink %s running; %zu spooled report(s) to ship.", s->url, queued);
	changed(s);
	return 0;
}

int otlp_sink_new(struct manager *m, const struct otlp_sink_config *cfg,
		  struct otlp_sink **ret)
{
	_cleanup_(otlp_sink_freep) struct otlp_sink *s = NULL;
	int r;

	if (!m->spool)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->manager = m;
	s->url = strdup(cfg->url);
	if (!s->url)
		return -ENOMEM;
	s->timeout_ms = 1000L * (cfg->timeout_sec ?: OTLP_SINK_DEFAULT_TIMEOUT_SEC);
	if (cfg->n_headers > 0) {
		s->headers = calloc(cfg->n_headers, sizeof(char *));
		if (!s->headers)
			return -ENOMEM;
		for (; s->n_headers < cfg->n_headers; s->n_headers++)
			if (!(s->headers[s->n_headers] =
				      strdup(cfg->headers[s->n_headers])))
				return -ENOMEM;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	s->curl_initialized = true;
	s->multi = curl_multi_init();
	if (!s->multi)
		return -ENOMEM;
	if (curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s) != CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer_set) !=
		    CURLM_OK ||
	    curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s) != CURLM_OK)
		return -EINVAL;

	/* Accuracy 1 us and 1 ms: libcurl's timeouts and the retries are meant as said.
	 */
	r = sd_event_add_time_relative(m->event, &s->curl_timer, CLOCK_MONOTONIC, 0, 1,
				       on_curl_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->curl_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &s->retry, CLOCK_MONOTONIC, 0,
					       1000, on_retry, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
	if (r < 0)
		return r;
	(void)sd_event_source_set_description(s->curl_timer, "otlp-curl-timer");
	(void)sd_event_source_set_description(s->retry, "otlp-retry");
	*ret = TAKE_PTR(s);
	return 0;
}
