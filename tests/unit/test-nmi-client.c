/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink client against a fake kernel: a forked process on a NETLINK_USERSOCK
 * socket that answers the client's requests the way the sdei-nmi family does (reply,
 * then ack; or an error with an extack message) and multicasts notifications.
 */

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>

#include "nmi-client.h"
#include "test-assert.h"
#include "test-msg.h"

#define MONITOR_GROUP 3

/* Answers one request; returns 0 or a code the child exits with. */
typedef int (*serve_fn)(int fd, const struct nlmsghdr *req, uint32_t port);

struct server {
	pid_t pid;
	uint32_t port;
};

static int send_to(int fd, struct nl_msg *m, uint32_t port, uint32_t groups)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK,
				  .nl_pid = port,
				  .nl_groups = groups };
	struct nlmsghdr *h = nlmsg_hdr(m);

	/* To a group, the broadcast goes out; the unicast to port 0 (no kernel side of
	 * NETLINK_USERSOCK) is then refused. */
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	    !(groups && errno == ECONNREFUSED))
		return 20;
	return 0;
}

/* Sends m as the reply to req, then the ack, as a do command's reply goes. */
static int reply(int fd, const struct nlmsghdr *req, uint32_t port, struct nl_msg *m)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = m;
	_cleanup_(nlmsg_freep) struct nl_msg *ack = nlmsg_alloc();
	struct nlmsghdr *h;
	struct nlmsgerr *e;

	if (!msg || !ack)
		return 21;
	nlmsg_hdr(msg)->nlmsg_seq = req->nlmsg_seq;
	nlmsg_hdr(msg)->nlmsg_pid = port;
	if (send_to(fd, msg, port, 0))
		return 22;

	h = nlmsg_put(ack, port, req->nlmsg_seq, NLMSG_ERROR, sizeof(*e), NLM_F_CAPPED);
	if (!h)
		return 23;
	e = nlmsg_data(h);
	e->error = 0;
	e->msg = *req;
	return send_to(fd, ack, port, 0);
}

static int reply_error(int fd, const struct nlmsghdr *req, uint32_t port, int error,
		       const char *extack)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_error_new(error, extack, true);

	if (!m)
		return 24;
	nlmsg_hdr(m)->nlmsg_seq = req->nlmsg_seq;
	return send_to(fd, m, port, 0);
}

static int check_request(const struct nlmsghdr *req, uint8_t cmd)
{
	const struct genlmsghdr *g = nlmsg_data(req);

	if (req->nlmsg_type != TEST_FAMILY_ID)
		return 30;
	if (!(req->nlmsg_flags & NLM_F_REQUEST) || !(req->nlmsg_flags & NLM_F_ACK))
		return 31;
	if (g->cmd != cmd || g->version != SDEI_NMI_FAMILY_VERSION)
		return 32;
	return 0;
}

static bool server_start(struct server *s, int n_requests, serve_fn fn)
{
	_cleanup_(nl_socket_freep) struct nl_sock *srv = nl_socket_alloc();

	assert_non_null(srv);
	if (nl_connect(srv, NETLINK_USERSOCK) < 0)
		return false;
	/* Replies far past libnl's default 32 KiB send buffer. */
	if (setsockopt(nl_socket_get_fd(srv), SOL_SOCKET, SO_SNDBUFFORCE,
		       &(int){ 1 << 22 }, sizeof(int)) < 0)
		assert_int_equal(nl_socket_set_buffer_size(srv, 0, 1 << 22), 0);
	s->port = nl_socket_get_local_port(srv);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid > 0)
		return true;

	alarm(20);
	for (int i = 0; i < n_requests; i++) {
		struct sockaddr_nl from;
		unsigned char *buf = NULL;
		int n = nl_recv(srv, &from, &buf, NULL), r;

		if (n < (int)NLMSG_HDRLEN)
			_exit(10);
		r = fn(nl_socket_get_fd(srv), (struct nlmsghdr *)buf, from.nl_pid);
		free(buf);
		if (r)
			_exit(r);
	}
	_exit(0);
}

static void server_wait(struct server *s)
{
	int status;

	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static struct sn_client *client_new(const struct server *s)
{
	struct sn_client_peer peer = {
		.protocol = NETLINK_USERSOCK,
		.port = s->port,
		.family = TEST_FAMILY_ID,
		.monitor_group = MONITOR_GROUP,
	};
	struct sn_client *c = NULL;

	assert_int_equal(sn_client_new_peer(&peer, &c), 0);
	return c;
}

static struct nl_msg *status_msg(void)
{
	struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_STATUS);

	if (m && test_put_status(m, &sample_status_active) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static int serve_status(int fd, const struct nlmsghdr *req, uint32_t port)
{
	int r = check_request(req, SDEI_NMI_CMD_STATUS);

	return r ?: reply(fd, req, port, status_msg());
}

static void test_status(void **state)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	struct server srv;

	if (!server_start(&srv, 1, serve_status))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_status(c, &s), 0);
	server_wait(&srv);
	assert_int_equal(s->state, SDEI_NMI_STATE_ACTIVE);
	assert_int_equal(s->n_cpus, sample_status_active.n_cpus);
	assert_int_equal(s->cpus[3].signals, sample_status_active.cpus[3].signals);
	assert_null(sn_client_error_message(c));
}

/* 64 CPUs with 32 frames each: far more than one page, read through MSG_PEEK. */
static struct nl_msg *large_reply(void)
{
	struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	char *frames[32];

	if (!m)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(frames); i++)
		frames[i] =
			"a_rather_long_kernel_function_name+0x1c4/0x2f0 [some_module]";
	for (uint32_t cpu = 0; cpu < 64; cpu++) {
		struct sn_entry e = {
			.cpu = cpu,
			.delivery = SDEI_NMI_DELIVERY_CAPTURED,
			.trigger = SDEI_NMI_TRIGGER_REQUEST,
			.comm = "swapper/0",
			.n_frames = ELEMENTSOF(frames),
			.frames = frames,
		};

		if (test_put_entry(m, &e) < 0) {
			nlmsg_free(m);
			return NULL;
		}
	}
	return m;
}

static int serve_backtrace(int fd, const struct nlmsghdr *req, uint32_t port)
{
	static const uint32_t expect[] = { 0, 2, 3 };
	const struct nlattr *a;
	size_t n = 0;
	bool timeout = false;
	int rem, r;

	r = check_request(req, SDEI_NMI_CMD_BACKTRACE);
	if (r)
		return r;
	nla_for_each_attr(a, genlmsg_attrdata(nlmsg_data(req), 0),
			  genlmsg_attrlen(nlmsg_data(req), 0), rem)
	{
		if (nla_type(a) == SDEI_NMI_A_BACKTRACE_CPU) {
			if (n >= ELEMENTSOF(expect) || nla_get_u32(a) != expect[n++])
				return 40;
		} else if (nla_type(a) == SDEI_NMI_A_BACKTRACE_TIMEOUT_MS)
			timeout = nla_get_u32(a) == 250;
		else
			return 41;
	}
	if (n != ELEMENTSOF(expect) || !timeout)
		return 42;
	return reply(fd, req, port, large_reply());
}

static void test_backtrace_large(void **state)
{
	static const uint32_t cpus[] = { 0, 2, 3 };
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	struct server srv;

	if (!server_start(&srv, 1, serve_backtrace))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_backtrace(c, cpus, ELEMENTSOF(cpus), false, 250, &b),
			 0);
	server_wait(&srv);
	assert_int_equal(b->n_entries, 64);
	assert_int_equal(b->entries[63].n_frames, 32);
	assert_string_equal(
		b->entries[63].frames[31],
		"a_rather_long_kernel_function_name+0x1c4/0x2f0 [some_module]");
}

static int serve_errors(int fd, const struct nlmsghdr *req, uint32_t port)
{
	static int calls;

	switch (calls++) {
	case 0:
		return reply_error(fd, req, port, -EINVAL, "CPU 99 out of range");
	case 1:
		return reply_error(fd, req, port, -EPERM, NULL);
	default:
		return reply(fd, req, port, status_msg());
	}
}

static void test_errors(void **state)
{
	static const uint32_t cpu99 = 99;
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	struct server srv;

	if (!server_start(&srv, 3, serve_errors))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_backtrace(c, &cpu99, 1, false, 0, &b), -EINVAL);
	assert_string_equal(sn_client_error_message(c), "CPU 99 out of range");
	assert_null(b);

	assert_int_equal(sn_client_backtrace(c, NULL, 0, true, 0, &b), -EPERM);
	assert_null(sn_client_error_message(c));

	/* The next request on the same socket goes through. */
	assert_int_equal(sn_client_status(c, &s), 0);
	assert_null(sn_client_error_message(c));
	server_wait(&srv);
}

static int serve_malformed(int fd, const struct nlmsghdr *req, uint32_t port)
{
	static int calls;
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	struct nlattr *nest;

	if (calls++ > 0)
		return reply(fd, req, port, status_msg());
	/* A status reply whose CPU has a 3-byte counter. */
	m = test_msg_new(SDEI_NMI_CMD_STATUS);
	if (!m || nla_put_u32(m, SDEI_NMI_A_STATUS_STATE, 1) < 0)
		return 50;
	nest = nla_nest_start(m, SDEI_NMI_A_STATUS_CPU | NLA_F_NESTED);
	if (!nest || nla_put_u32(m, SDEI_NMI_A_CPU_STATS_CPU, 0) < 0 ||
	    nla_put(m, SDEI_NMI_A_CPU_STATS_SIGNALS, 3, "abc") < 0 ||
	    nla_nest_end(m, nest) < 0)
		return 51;
	return reply(fd, req, port, TAKE_PTR(m));
}

static void test_malformed_reply(void **state)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	struct server srv;

	if (!server_start(&srv, 2, serve_malformed))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_status(c, &s), -EBADMSG);
	assert_null(s);
	/* The ack after the bad reply was read: the next request is in step. */
	assert_int_equal(sn_client_status(c, &s), 0);
	assert_int_equal(s->n_cpus, sample_status_active.n_cpus);
	server_wait(&srv);
}

struct seen {
	int n_ok, n_bad;
	uint32_t cpus[8];
};

static int monitor_handler(struct sn_client *c, int error, const struct sn_backtrace *b,
			   void *userdata)
{
	struct seen *seen = userdata;

	if (error < 0) {
		assert_int_equal(error, -EBADMSG);
		assert_null(b);
		seen->n_bad++;
		return 0;
	}
	assert_int_equal(b->cmd, SDEI_NMI_CMD_BACKTRACE_NTF);
	for (size_t i = 0; i < b->n_entries && i < ELEMENTSOF(seen->cpus); i++)
		seen->cpus[i] = b->entries[i].cpu;
	seen->n_ok++;
	return 0;
}

static int serve_notifications(int fd, const struct nlmsghdr *req, uint32_t port)
{
	_cleanup_(nlmsg_freep) struct nl_msg *ntf =
		test_msg_new(SDEI_NMI_CMD_BACKTRACE_NTF);
	_cleanup_(nlmsg_freep) struct nl_msg *other = test_msg_new(SDEI_NMI_CMD_STATUS);
	_cleanup_(nlmsg_freep) struct nl_msg *bad =
		test_msg_new(SDEI_NMI_CMD_BACKTRACE_NTF);
	uint32_t groups = 1u << (MONITOR_GROUP - 1);
	int r = 0;

	/* The request only says the client listens; the answer goes to the group. */
	if (!ntf || !other || !bad)
		return 60;
	for (size_t i = 0; i < sample_backtrace_ntf.n_entries; i++)
		if (test_put_entry(ntf, &sample_backtrace_ntf.entries[i]) < 0)
			return 61;
	if (nla_put(bad, SDEI_NMI_A_BACKTRACE_ENTRY, 3, "abc") < 0)
		return 62;
	r = r ?: send_to(fd, other, 0, groups); /* a later command: ignored */
	r = r ?: send_to(fd, bad, 0, groups);
	r = r ?: send_to(fd, ntf, 0, groups);
	return r ?: reply(fd, req, port, status_msg());
}

static void test_monitor(void **state)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	struct seen seen = {};
	struct server srv;
	int stop[2];

	if (!server_start(&srv, 1, serve_notifications))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_monitor_fd(c), -EBADF);
	assert_int_equal(sn_client_monitor_start(c), 0);
	assert_true(sn_client_monitor_fd(c) >= 0);
	assert_int_equal(sn_client_monitor_start(c), -EALREADY);

	/* Nothing queued yet: returns at once. */
	assert_int_equal(sn_client_monitor_dispatch(c, monitor_handler, &seen), 0);
	assert_int_equal(seen.n_ok + seen.n_bad, 0);

	/* The status request makes the server send; its reply follows the notifications.
	 */
	assert_int_equal(sn_client_status(c, &s), 0);
	server_wait(&srv);
	assert_int_equal(sn_client_monitor_dispatch(c, monitor_handler, &seen), 0);
	assert_int_equal(seen.n_bad, 1);
	assert_int_equal(seen.n_ok, 1);
	assert_int_equal(seen.cpus[0], 1);
	assert_int_equal(seen.cpus[1], 2);

	/* run() ends when its stop fd is readable. */
	assert_int_equal(pipe(stop), 0);
	assert_int_equal(write(stop[1], "x", 1), 1);
	assert_int_equal(sn_client_monitor_run(c, stop[0], monitor_handler, &seen), 0);
	close(stop[0]);
	close(stop[1]);
}

/* A new empty file for a recording; *ret_path to unlink. */
static FILE *record_file(char **ret_path)
{
	const char *tmp = getenv("TMPDIR");
	char *path = NULL;
	FILE *f;
	int fd;

	assert_true(asprintf(&path, "%s/test-nmi-client-XXXXXX", tmp ?: "/tmp") > 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	*ret_path = path;
	return f;
}

/*
 * The recording at path is exactly the n messages, each labelled whats[i], in the
 * fixture format: the comment line, the bytes as lowercase hex 16 to a line, an empty
 * line. The bytes come back through test_hex_read_nth(), the text is compared whole.
 */
static void assert_recording(const char *path, const char *const *whats, size_t n)
{
	_cleanup_(freep) char *want = NULL;
	_cleanup_(freep) char *got = NULL;
	size_t want_len = 0, got_len = 0;
	FILE *w = open_memstream(&want, &want_len);
	void *buf;
	size_t len;

	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		_cleanup_(freep) char *comment = NULL;
		bool error = strcmp(whats[i], "error") == 0;
		const struct nlmsghdr *h;

		assert_int_equal(test_hex_read_nth(path, i, &buf, &len), 0);
		h = buf;
		assert_true(len >= NLMSG_HDRLEN);
		assert_int_equal(h->nlmsg_len, len);
		assert_int_equal(h->nlmsg_type, error ? NLMSG_ERROR : TEST_FAMILY_ID);
		assert_true(asprintf(&comment, "%s: nlmsg_type %u, %zu bytes", whats[i],
				     (unsigned)h->nlmsg_type, len) > 0);
		assert_int_equal(test_hex_write(w, comment, buf, len), 0);
		fputc('\n', w);
		free(buf);
	}
	assert_int_equal(test_hex_read_nth(path, n, &buf, &len), -ENOENT);
	assert_int_equal(fclose(w), 0);

	{
		_cleanup_(fclosep) FILE *f = fopen(path, "re");
		FILE *g = open_memstream(&got, &got_len);
		char chunk[4096];
		size_t k;

		assert_non_null(f);
		assert_non_null(g);
		while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
			assert_int_equal(fwrite(chunk, 1, k, g), k);
		assert_int_equal(fclose(g), 0);
	}
	assert_string_equal(got, want);
}

static int serve_record(int fd, const struct nlmsghdr *req, uint32_t port)
{
	static int calls;
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	int r;

	if (calls++ == 0)
		return serve_status(fd, req, port);
	r = check_request(req, SDEI_NMI_CMD_BACKTRACE);
	if (r)
		return r;
	m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	if (!m)
		return 70;
	for (size_t i = 0; i < sample_backtrace_reply.n_entries; i++)
		if (test_put_entry(m, &sample_backtrace_reply.entries[i]) < 0)
			return 71;
	return reply(fd, req, port, TAKE_PTR(m));
}

/* A status and a backtrace recorded, read back and parsed as fixtures are. */
static void test_record(void **state)
{
	static const char *const whats[] = { "reply", "error", "reply", "error" };
	static const uint32_t cpus[] = { 0, 1, 2, 3 };
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	_cleanup_(sn_status_freep) struct sn_status *rs = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *rb = NULL;
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) void *buf = NULL;
	_cleanup_(freep) char *msg = NULL;
	struct server srv;
	size_t len;
	int error = 1;

	if (!server_start(&srv, 2, serve_record))
		skip();
	c = client_new(&srv);
	f = record_file(&path);
	assert_int_equal(sn_client_record(c, f), 0);
	assert_int_equal(sn_client_status(c, &s), 0);
	assert_int_equal(sn_client_backtrace(c, cpus, ELEMENTSOF(cpus), false, 0, &b), 0);
	assert_int_equal(sn_client_record(c, NULL), 0);
	server_wait(&srv);
	assert_int_equal(fclose(TAKE_PTR(f)), 0);

	assert_recording(path, whats, ELEMENTSOF(whats));

	assert_int_equal(test_hex_read_nth(path, 0, &buf, &len), 0);
	assert_int_equal(sn_parse_status_msg(buf, len, &rs), 0);
	assert_status_equal(rs, s);
	assert_status_equal(rs, &sample_status_active);
	free(TAKE_PTR(buf));

	assert_int_equal(test_hex_read_nth(path, 2, &buf, &len), 0);
	assert_int_equal(sn_parse_backtrace_msg(buf, len, &rb), 0);
	assert_backtrace_equal(rb, b);
	assert_backtrace_equal(rb, &sample_backtrace_reply);
	free(TAKE_PTR(buf));

	/* The acks. */
	for (size_t i = 1; i < ELEMENTSOF(whats); i += 2) {
		assert_int_equal(test_hex_read_nth(path, i, &buf, &len), 0);
		assert_int_equal(sn_parse_error_msg(buf, len, &error, &msg), 0);
		assert_int_equal(error, 0);
		assert_null(msg);
		free(TAKE_PTR(buf));
	}
	assert_int_equal(unlink(path), 0);
}

/* Notifications are recorded as they come off the monitor socket, malformed or not. */
static void test_record_monitor(void **state)
{
	static const char *const whats[] = { "reply", "error", "notification",
					     "notification", "notification" };
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) void *buf = NULL;
	struct seen seen = {};
	struct server srv;
	size_t len;

	if (!server_start(&srv, 1, serve_notifications))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_monitor_start(c), 0);
	f = record_file(&path);
	assert_int_equal(sn_client_record(c, f), 0);
	assert_int_equal(sn_client_status(c, &s), 0);
	server_wait(&srv);
	assert_int_equal(sn_client_monitor_dispatch(c, monitor_handler, &seen), 0);
	assert_int_equal(seen.n_ok, 1);
	assert_int_equal(seen.n_bad, 1);
	assert_int_equal(fclose(TAKE_PTR(f)), 0);

	assert_recording(path, whats, ELEMENTSOF(whats));
	/* In the order sent: a later command, the malformed one, the backtrace. */
	assert_int_equal(test_hex_read_nth(path, 3, &buf, &len), 0);
	assert_int_equal(sn_parse_backtrace_msg(buf, len, &b), -EBADMSG);
	free(TAKE_PTR(buf));
	assert_int_equal(test_hex_read_nth(path, 4, &buf, &len), 0);
	assert_int_equal(sn_parse_backtrace_msg(buf, len, &b), 0);
	assert_backtrace_equal(b, &sample_backtrace_ntf);
	assert_int_equal(unlink(path), 0);
}

/* A write that fails (ENOSPC): the call still returns its result, the next the error. */
static void test_record_write_error(void **state)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(fclosep) FILE *full = fopen("/dev/full", "we");
	struct server srv;

	if (!full)
		skip();
	if (!server_start(&srv, 3, serve_status))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_record(c, full), 0);
	{
		_cleanup_(sn_status_freep) struct sn_status *s = NULL;

		assert_int_equal(sn_client_status(c, &s), 0);
		assert_int_equal(s->n_cpus, sample_status_active.n_cpus);
	}
	{
		_cleanup_(sn_status_freep) struct sn_status *s = NULL;

		/* Reported once, without asking the kernel; recording is now off. */
		assert_int_equal(sn_client_status(c, &s), -ENOSPC);
		assert_null(s);
		assert_int_equal(sn_client_status(c, &s), 0);
	}
	{
		_cleanup_(sn_status_freep) struct sn_status *s = NULL;

		/* Or by the next sn_client_record(). */
		clearerr(full);
		assert_int_equal(sn_client_record(c, full), 0);
		assert_int_equal(sn_client_status(c, &s), 0);
		assert_int_equal(sn_client_record(c, NULL), -ENOSPC);
		assert_int_equal(sn_client_record(c, NULL), 0);
	}
	server_wait(&srv);
}

/*
 * Requests for an event loop: no ack asked; the first answered with the sample reply
 * (and an ack nobody asked for, which is ignored), the second refused with an extack
 * message, the third with a bare error.
 */
static int serve_async(int fd, const struct nlmsghdr *req, uint32_t port)
{
	static int calls;
	const struct genlmsghdr *g = nlmsg_data(req);
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;

	if (req->nlmsg_type != TEST_FAMILY_ID || !(req->nlmsg_flags & NLM_F_REQUEST) ||
	    (req->nlmsg_flags & NLM_F_ACK) || g->cmd != SDEI_NMI_CMD_BACKTRACE)
		return 60;
	switch (calls++) {
	case 0:
		m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
		if (!m)
			return 61;
		for (size_t i = 0; i < sample_backtrace_reply.n_entries; i++)
			if (test_put_entry(m, &sample_backtrace_reply.entries[i]) < 0)
				return 62;
		return reply(fd, req, port, TAKE_PTR(m));
	case 1:
		return reply_error(fd, req, port, -EPERM, "no CAP_NET_ADMIN");
	default:
		return reply_error(fd, req, port, -EBUSY, NULL);
	}
}

struct answers {
	size_t n;
	struct {
		uint32_t seq;
		int error;
		char message[64];
		size_t n_entries;
	} a[8];
};

static int on_reply(struct sn_client *c, uint32_t seq, int error, const char *message,
		    const struct sn_backtrace *b, void *userdata)
{
	struct answers *q = userdata;

	assert_true(q->n < ELEMENTSOF(q->a));
	assert_true((error == 0) == (b != NULL));
	q->a[q->n].seq = seq;
	q->a[q->n].error = error;
	snprintf(q->a[q->n].message, sizeof(q->a[q->n].message), "%s",
		 message ? message : "");
	q->a[q->n].n_entries = b ? b->n_entries : 0;
	q->n++;
	return 0;
}

static void test_request_async(void **state)
{
	static const uint32_t cpus[] = { 0, 1, 2, 3 };
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	struct answers q = {};
	uint32_t seq[3];
	struct server srv;

	if (!server_start(&srv, 3, serve_async))
		skip();
	c = client_new(&srv);
	assert_int_equal(sn_client_request_fd(c), -EBADF);
	assert_int_equal(sn_client_request_dispatch(c, on_reply, &q), -EBADF);
	assert_int_equal(sn_client_request_open(c), 0);
	assert_int_equal(sn_client_request_open(c), -EALREADY);
	assert_true(sn_client_request_fd(c) >= 0);

	/* Nothing queued: returns at once. */
	assert_int_equal(sn_client_request_dispatch(c, on_reply, &q), 0);
	assert_int_equal(q.n, 0);

	for (size_t i = 0; i < ELEMENTSOF(seq); i++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;

		assert_int_equal(sn_client_request_new(c, cpus, ELEMENTSOF(cpus), 100, &m,
						       &seq[i]),
				 0);
		assert_int_equal(sn_client_request_send(c, m), 0);
	}
	assert_true(seq[0] != seq[1] && seq[1] != seq[2]);
	server_wait(&srv);

	for (int tries = 0; q.n < 3 && tries < 100; tries++) {
		struct pollfd p = { .fd = sn_client_request_fd(c), .events = POLLIN };

		assert_true(poll(&p, 1, 1000) >= 0);
		assert_int_equal(sn_client_request_dispatch(c, on_reply, &q), 0);
	}
	assert_int_equal(q.n, 3);
	assert_int_equal(q.a[0].seq, seq[0]);
	assert_int_equal(q.a[0].error, 0);
	assert_int_equal(q.a[0].n_entries, sample_backtrace_reply.n_entries);
	assert_int_equal(q.a[1].seq, seq[1]);
	assert_int_equal(q.a[1].error, -EPERM);
	assert_string_equal(q.a[1].message, "no CAP_NET_ADMIN");
	assert_int_equal(q.a[2].seq, seq[2]);
	assert_int_equal(q.a[2].error, -EBUSY);
	assert_string_equal(q.a[2].message, "");

	{
		_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
		uint32_t s;

		assert_int_equal(sn_client_request_new(c, cpus, 0, 100, &m, &s), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_backtrace_large),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_malformed_reply),
		cmocka_unit_test(test_monitor),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_record_monitor),
		cmocka_unit_test(test_record_write_error),
		cmocka_unit_test(test_request_async),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
