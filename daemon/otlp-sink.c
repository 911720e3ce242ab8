/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "backoff.h"
#include "log.h"
#include "otlp-sink.h"
#include "otlp.h"
#include "util.h"

typedef char report_id[SN_REPORT_ID_LEN + 1];

struct entry {
	report_id id;
	char *report; /* its bytes, the sink's copy */
	size_t len;
};

/* A PEM file read when the sink is made, for libcurl's *_BLOB options. */
struct pem {
	char *data;
	size_t len;
};

struct otlp_sink {
	struct manager *manager;
	struct sn_otlp_settings settings; /* the sink's own copy */
	const char *url;		  /* settings.url */
	long timeout_ms;
	bool gzip;
	struct pem ca, cert, key;
	char machine[sizeof(((struct utsname *)NULL)->machine)];
	struct sn_otlp_resource resource; /* points into the above */
	otlp_sink_done_t done;
	void *userdata;

	CURLM *multi;
	sd_event_source *curl_timer; /* libcurl's timeout */
	sd_event_source *retry;	     /* the next attempt after a failure */
	sd_event_source *drain;	     /* the end of the wait at exit */
	sd_event_source **ios;	     /* libcurl's sockets */
	size_t n_ios;

	struct entry *queue; /* [head, n) to ship, oldest first */
	size_t head, n, allocated;
	size_t queued_bytes; /* their reports' */

	/* The request in flight, for queue[head]. */
	CURL *easy;
	struct curl_slist *request_headers;
	void *body;
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

static void pem_done(struct pem *p)
{
	if (p->data)
		explicit_bzero(p->data, p->len); /* a key */
	free(p->data);
	*p = (struct pem){};
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
	/* What is queued gets no done(): it stays unshipped, the next start sends it. */
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
	for (size_t i = s->head; i < s->n; i++)
		free(s->queue[i].report);
	free(s->queue);
	pem_done(&s->ca);
	pem_done(&s->cert);
	pem_done(&s->key);
	sn_otlp_settings_done(&s->settings);
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
	if (s->head < s->n) {
		struct entry *e = &s->queue[s->head++];

		s->queued_bytes -= e->len;
		free(e->report);
		e->report = NULL;
	}
	if (s->head == s->n)
		s->head = s->n = 0;
	else if (s->head > 64 && s->head > s->n / 2) {
		memmove(s->queue, s->queue + s->head,
			(s->n - s->head) * sizeof(*s->queue));
		s->n -= s->head;
		s->head = 0;
	}
}

int otlp_sink_add(struct otlp_sink *s, const char *id, const char *report, size_t len)
{
	struct entry *e;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	for (size_t i = s->head; i < s->n; i++)
		if (strcmp(s->queue[i].id, id) == 0)
			return 0;
	/* One report always fits, whatever its size: it could never go otherwise. */
	if (s->head < s->n && (len > OTLP_SINK_MAX_QUEUE_BYTES ||
			       s->queued_bytes > OTLP_SINK_MAX_QUEUE_BYTES - len))
		return -ENOBUFS;
	if (s->n == s->allocated) {
		size_t m = s->allocated ? s->allocated * 2 : 16;
		struct entry *q = reallocarray(s->queue, m, sizeof(*q));

		if (!q)
			return -ENOMEM;
		s->queue = q;
		s->allocated = m;
	}
	e = &s->queue[s->n];
	e->report = malloc(len + 1);
	if (!e->report)
		return -ENOMEM;
	memcpy(e->report, report, len);
	e->report[len] = '\0';
	e->len = len;
	memcpy(e->id, id, SN_REPORT_ID_LEN + 1);
	s->n++;
	s->queued_bytes += len;
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

/* queue[head] leaves the queue: the manager hears of it once dequeued. */
static void finish(struct otlp_sink *s, bool shipped, const char *reason)
{
	report_id id;

	memcpy(id, s->queue[s->head].id, sizeof(id));
	s->failures = 0;
	request_done(s);
	dequeue(s);
	if (s->done)
		s->done(s->userdata, id, shipped, reason);
}

/* queue[head] set aside for good: counted, said, and the next one goes. */
static void set_aside(struct otlp_sink *s, enum sn_otlp_aside reason, const char *why)
{
	struct manager *m = s->manager;
	char text[512];

	snprintf(text, sizeof(text), "%s: %s", sn_otlp_aside_to_string(reason), why);
	log_error("Report %s set aside, not shipped to %s (%s); not retried, the next "
		  "report goes on.",
		  s->queue[s->head].id, s->url, text);
	m->counters.otlp_set_aside[reason]++;
	m->counters.reports_failed++;
	finish(s, false, text);
}

static int add_header(struct curl_slist **l, const char *h)
{
	struct curl_slist *n = curl_slist_append(*l, h);

	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

static int set_blob(CURL *easy, CURLoption option, const struct pem *p)
{
	struct curl_blob blob = { .data = p->data,
				  .len = p->len,
				  .flags = CURL_BLOB_NOCOPY };

	return !p->data || curl_easy_setopt(easy, option, &blob) == CURLE_OK ? 0 :
									       -EINVAL;
}

/* Starts the request for queue[head]; -EBADMSG: not a report, set aside; else retry. */
static int request_start(struct otlp_sink *s)
{
	const struct entry *e = &s->queue[s->head];
	_cleanup_(freep) char *json = NULL;
	char key[64];
	size_t len, body_len;
	CURLMcode mc;
	int r;

	r = sn_otlp_logs_request(e->report, e->len, e->id, &s->resource, &json, &len);
	if (r == -EBADMSG || r == -E2BIG || r == -EINVAL)
		return -EBADMSG;
	if (r < 0)
		return log_warning_errno(
			r, "Failed to build the request of report %s: %m", e->id);
	if (s->gzip) {
		r = sn_otlp_gzip(json, len, &s->body, &body_len);
		if (r < 0)
			return log_warning_errno(r, "Failed to compress report %s: %m",
						 e->id);
	} else {
		body_len = len;
		s->body = TAKE_PTR(json);
	}

	snprintf(key, sizeof(key), "Idempotency-Key: %s", e->id);
	r = add_header(&s->request_headers, "Content-Type: application/json");
	if (r >= 0 && s->gzip)
		r = add_header(&s->request_headers, "Content-Encoding: gzip");
	if (r >= 0)
		r = add_header(&s->request_headers, key);
	if (r >= 0) /* no "Expect: 100-continue" round trip */
		r = add_header(&s->request_headers, "Expect:");
	for (size_t i = 0; r >= 0 && i < s->settings.n_headers; i++)
		r = add_header(&s->request_headers, s->settings.headers[i]);
	if (r >= 0 && !(s->easy = curl_easy_init()))
		r = -ENOMEM;
	if (r < 0) {
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
	    curl_easy_setopt(s->easy, CURLOPT_ERRORBUFFER, s->error) != CURLE_OK ||
	    set_blob(s->easy, CURLOPT_CAINFO_BLOB, &s->ca) < 0 ||
	    set_blob(s->easy, CURLOPT_SSLCERT_BLOB, &s->cert) < 0 ||
	    set_blob(s->easy, CURLOPT_SSLKEY_BLOB, &s->key) < 0) {
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
	log_debug("Shipping report %s to %s (%zu bytes%s).", e->id, s->url, body_len,
		  s->gzip ? ", gzip" : "");
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

/* A 2xx: shipped, unless its partialSuccess rejects the record. */
static void accepted(struct otlp_sink *s, long code, double ms)
{
	struct manager *m = s->manager;
	_cleanup_(freep) char *message = NULL;
	uint64_t rejected = 0;
	char why[384];
	int r;

	r = s->response_len > SN_OTLP_MAX_RESPONSE ?
		    -EBADMSG :
		    sn_otlp_parse_response(s->response ?: "", s->response_len, &rejected,
					   &message);
	if (r < 0)
		log_debug(
			"The collector's answer to report %s is not OTLP JSON, taken as "
			"accepted.",
			s->queue[s->head].id);
	if (rejected > 0) {
		snprintf(why, sizeof(why), "HTTP %ld, partialSuccess rejected it: %s",
			 code, message ?: "no reason given");
		set_aside(s, SN_OTLP_ASIDE_REJECTED, why);
		return;
	}
	m->counters.reports_shipped++;
	log_info("Report %s shipped to %s (HTTP %ld, %.0f ms).", s->queue[s->head].id,
		 s->url, code, ms);
	finish(s, true, NULL);
}

static void request_finished(struct otlp_sink *s, CURLcode result)
{
	report_id id;
	long code = 0;
	curl_off_t retry_after = 0;
	enum sn_otlp_aside reason;
	char why[CURL_ERROR_SIZE + 64];
	double ms = (double)(now_usec() - s->sent_usec) / 1e3;

	memcpy(id, s->queue[s->head].id, sizeof(id));
	if (result == CURLE_OK) {
		(void)curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		/* seconds, or an HTTP-date made seconds from now by libcurl */
		(void)curl_easy_getinfo(s->easy, CURLINFO_RETRY_AFTER, &retry_after);
	}

	if (result != CURLE_OK) {
		/* The network, TLS, a timeout: not the report's fault. */
		snprintf(why, sizeof(why), "%s after %.0f ms",
			 s->error[0] ? s->error : curl_easy_strerror(result), ms);
		request_done(s);
		s->failures++;
		schedule_retry(s, id, why, 0);
	} else
		switch (sn_otlp_status_verdict(code, &reason)) {
		case SN_OTLP_ACCEPTED:
			accepted(s, code, ms);
			break;
		case SN_OTLP_RETRY:
			if (retry_after > 0)
				snprintf(why, sizeof(why),
					 "HTTP %ld after %.0f ms, Retry-After %" PRId64
					 " s",
					 code, ms, (int64_t)retry_after);
			else
				snprintf(why, sizeof(why), "HTTP %ld after %.0f ms", code,
					 ms);
			request_done(s);
			s->failures++;
			schedule_retry(s, id, why,
				       retry_after > 0 ? (uint64_t)retry_after : 0);
			break;
		case SN_OTLP_SET_ASIDE:
			snprintf(why, sizeof(why), "HTTP %ld", code);
			set_aside(s, reason, why);
			break;
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
		log_notice("%zu report(s) not shipped to %s yet: left unshipped for the "
			   "next start.",
			   otlp_sink_pending(s), s->url);
	s->draining = false;
	(void)sd_event_source_set_enabled(s->drain, SD_EVENT_OFF);
	(void)sd_event_exit(m->event, s->drain_status);
}

static void kick(struct otlp_sink *s)
{
	int state = sd_event_get_state(s->manager->event);

	/* The loop is over (reports flushed at exit): they stay unshipped. */
	if (state == SD_EVENT_FINISHED || state == SD_EVENT_EXITING)
		return;
	while (!s->easy && !retry_armed(s) && s->head < s->n) {
		int r = request_start(s);

		if (r >= 0)
			return;
		if (r == -EBADMSG) {
			set_aside(s, SN_OTLP_ASIDE_INVALID_REPORT,
				  "not a valid report, or not the one of its id");
			changed(s);
			continue;
		}
		s->failures++;
		schedule_retry(s, s->queue[s->head].id, strerror(-r), 0);
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
	const struct sn_otlp_settings *c = &s->settings;

	log_info(
		"OTLP sink %s running (http/json%s, timeout %ld ms, %zu header(s)%s%s%s).",
		s->url, s->gzip ? ", gzip" : "", s->timeout_ms, c->n_headers,
		c->ca_file ? ", CA " : "", c->ca_file ?: "",
		c->client_certificate ? ", client certificate" : "");
	changed(s);
	kick(s);
	return 0;
}

/* A PEM file into memory, once: libcurl reads no file from the loop. */
static int pem_read(const char *path, const char *what, struct pem *ret)
{
	_cleanup_(closep) int fd = -EBADF;
	_cleanup_(freep) char *data = NULL;
	size_t len;
	int r;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return log_error_errno(-errno, "Failed to open the OTLP %s %s: %m", what,
				       path);
	data = malloc(OTLP_SINK_MAX_PEM);
	if (!data)
		return log_oom();
	r = sn_read_fd(fd, data, OTLP_SINK_MAX_PEM, &len);
	if (r == -EFBIG)
		return log_error_errno(r, "The OTLP %s %s is larger than %u bytes.", what,
				       path, OTLP_SINK_MAX_PEM);
	if (r < 0)
		return log_error_errno(r, "Failed to read the OTLP %s %s: %m", what,
				       path);
	*ret = (struct pem){ .data = TAKE_PTR(data), .len = len };
	return 0;
}

int otlp_sink_new(struct manager *m, const struct otlp_sink_config *cfg,
		  struct otlp_sink **ret)
{
	_cleanup_(otlp_sink_freep) struct otlp_sink *s = NULL;
	struct utsname u;
	int r;

	if (!cfg->settings->url)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->manager = m;
	s->done = cfg->done;
	s->userdata = cfg->userdata;
	r = sn_otlp_settings_copy(cfg->settings, &s->settings);
	if (r < 0)
		return r;
	s->url = s->settings.url;
	s->timeout_ms = (long)(s->settings.timeout_ms ?: SN_OTLP_DEFAULT_TIMEOUT_MS);
	s->gzip = s->settings.compression == SN_CONFIG_OTLP_COMPRESSION_GZIP;
	r = pem_read(s->settings.ca_file, "CA file", &s->ca);
	if (r >= 0)
		r = pem_read(s->settings.client_certificate, "client certificate",
			     &s->cert);
	if (r >= 0)
		r = pem_read(s->settings.client_key, "client key", &s->key);
	if (r < 0)
		return r;
	if (uname(&u) >= 0)
		snprintf(s->machine, sizeof(s->machine), "%s", u.machine);
	s->resource = (struct sn_otlp_resource){
		.service_name = s->settings.service_name,
		.service_version = SDEI_NMI_VERSION,
		.host_arch = sn_otlp_host_arch(s->machine),
		.attrs = s->settings.resource,
		.n_attrs = s->settings.n_resource,
	};

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

/* ---- the settings ---- */

static const char *env_get(const char *name, void *userdata)
{
	return getenv(name);
}

static void env_warn(const char *message, void *userdata)
{
	log_warning("%s.", message);
}

int otlp_sink_settings(const struct sn_config *files, const char *url,
		       struct sn_otlp_settings *ret)
{
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings cmdline = {}, file = {},
								 cred = {}, env = {};
	_cleanup_(freep) char *error = NULL;
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	int r;

	if (url && !(cmdline.url = strdup(url)))
		return log_oom();
	r = sn_otlp_settings_from_config(files, &file);
	if (r < 0)
		return log_oom();
	r = sn_otlp_settings_from_credentials(dir, &cred, &error);
	if (r < 0 && error)
		return log_error_errno(r, "Bad OTLP credential: %s", error);
	if (r < 0)
		return log_error_errno(r, "Failed to read the OTLP credentials in %s: %m",
				       dir);
	r = sn_otlp_settings_from_env(env_get, env_warn, NULL, &env);
	if (r < 0)
		return log_oom();
	r = sn_otlp_settings_merge(
		(const struct sn_otlp_settings *const[]){ &cmdline, &file, &cred, &env },
		4, ret);
	if (r < 0)
		return log_oom();
	return 0;
}
