/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nmi-client.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Large replies (many CPUs, 32 frames each) and bursts of notifications. */
#define SOCKET_RCVBUF (4 * 1024 * 1024)
/* How long to wait for a reply past the request's own timeout: requests queue. */
#define REPLY_SLACK_MS 30000

struct sn_client {
	struct nl_sock *sk;
	struct nl_sock *mon;
	struct nl_sock *req; /* requests for an event loop */
	int protocol;	     /* NETLINK_GENERIC, or the tests' peer's */
	int family;
	int monitor_group; /* 0: resolved by name */
	char *error_message;
	FILE *record;	  /* not ours; NULL: not recording */
	int record_error; /* a failed write, for the next call */
};

/* libnl folds errno into its own codes; back to errno for our callers. */
static int errno_from_nl(int nlerr)
{
	switch (abs(nlerr)) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
	case NLE_DUMP_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
	case NLE_MSGTYPE_NOSUPPORT:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_OVERFLOW:
	case NLE_MSG_TOOSHORT:
	case NLE_PARSE_ERR:
	case NLE_ATTRSIZE:
	case NLE_MISSING_ATTR:
		return -EBADMSG;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	default:
		return -EIO;
	}
}

static void socket_tune(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk), one = 1, size = SOCKET_RCVBUF;

	/* Best effort: older kernels lack extended acks, SO_RCVBUFFORCE needs root. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)nl_socket_set_buffer_size(sk, SOCKET_RCVBUF, 0);
	/* libnl sizes its receive buffer by peeking at each message. */
	nl_socket_enable_msg_peek(sk);
}

static int socket_open(int protocol, struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, protocol);
	if (r < 0)
		return errno_from_nl(r);
	socket_tune(sk);
	*ret = TAKE_PTR(sk);
	return 0;
}

int sn_client_new(struct sn_client **ret)
{
	_cleanup_(sn_client_freep) struct sn_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->protocol = NETLINK_GENERIC;
	r = socket_open(c->protocol, &c->sk);
	if (r < 0)
		return r;
	r = genl_ctrl_resolve(c->sk, SDEI_NMI_FAMILY_NAME);
	if (r < 0)
		return errno_from_nl(r);
	c->family = r;

	*ret = TAKE_PTR(c);
	return 0;
}

int sn_client_new_peer(const struct sn_client_peer *peer, struct sn_client **ret)
{
	_cleanup_(sn_client_freep) struct sn_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	if (peer->family < NLMSG_MIN_TYPE || peer->family > UINT16_MAX)
		return -EINVAL;
	c->protocol = peer->protocol;
	c->family = peer->family;
	c->monitor_group = peer->monitor_group;
	r = socket_open(c->protocol, &c->sk);
	if (r < 0)
		return r;
	nl_socket_set_peer_port(c->sk, peer->port);

	*ret = TAKE_PTR(c);
	return 0;
}

struct sn_client *sn_client_free(struct sn_client *c)
{
	if (!c)
		return NULL;
	nl_socket_free(c->sk);
	nl_socket_free(c->mon);
	nl_socket_free(c->req);
	free(c->error_message);
	free(c);
	return NULL;
}

const char *sn_client_error_message(const struct sn_client *c)
{
	return c->error_message;
}

/* The pending write error of the recording, once. */
static int record_error_take(struct sn_client *c)
{
	int r = c->record_error;

	c->record_error = 0;
	return r;
}

int sn_client_record(struct sn_client *c, FILE *f)
{
	int r = record_error_take(c);

	c->record = f;
	return r;
}

/*
 * Appends h to the recording in the format of tests/fixtures/netlink/ (*.hex): a comment
 * line, the bytes 16 to a line, an empty line. A failed write turns the recording off
 * and is kept for the next call.
 */
static void record_msg(struct sn_client *c, const char *what, const struct nlmsghdr *h)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = (const uint8_t *)h;
	FILE *f = c->record;
	char line[16 * 3];

	if (!f)
		return;
	errno = 0;
	fprintf(f, "# %s: nlmsg_type %u, %u bytes\n", what, (unsigned)h->nlmsg_type,
		(unsigned)h->nlmsg_len);
	for (size_t i = 0; i < h->nlmsg_len; i += 16) {
		size_t n = h->nlmsg_len - i < 16 ? h->nlmsg_len - i : 16, k = 0;

		for (size_t j = 0; j < n; j++) {
			line[k++] = hex[p[i + j] >> 4];
			line[k++] = hex[p[i + j] & 0xf];
			line[k++] = j + 1 < n ? ' ' : '\n';
		}
		fwrite(line, 1, k, f);
	}
	fputc('\n', f);
	if (fflush(f) == EOF || ferror(f)) {
		c->record = NULL;
		if (c->record_error == 0)
			c->record_error = errno > 0 ? -errno : -EIO;
	}
}

struct request {
	struct sn_client *c;
	int (*parse)(const void *buf, size_t len, void **ret);
	void (*free)(void *p);
	void *result;
	int error;
	bool done;
};

static int request_valid(struct nl_msg *msg, void *arg)
{
	struct request *q = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	void *result;
	int r;

	/* Keep reading up to the ack, so that nothing stale stays on the socket. */
	if (q->error < 0)
		return NL_SKIP;
	if (q->result) {
		q->error = -EBADMSG; /* a do command has one reply */
		return NL_SKIP;
	}
	r = q->parse(h, h->nlmsg_len, &result);
	if (r < 0) {
		q->error = r;
		return NL_SKIP;
	}
	q->result = result;
	return NL_OK;
}

static int request_msg_in(struct nl_msg *msg, void *arg)
{
	struct request *q = arg;
	const struct nlmsghdr *h = nlmsg_hdr(msg);

	record_msg(q->c, h->nlmsg_type == NLMSG_ERROR ? "error" : "reply", h);
	return NL_OK;
}

static int request_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct request *q = arg;
	/* libnl hands over the payload; the TLVs need the whole message. */
	const struct nlmsghdr *h =
		(const struct nlmsghdr *)((const uint8_t *)e - NLMSG_HDRLEN);
	char *message = NULL;
	int error, r;

	r = sn_parse_error_msg(h, h->nlmsg_len, &error, &message);
	if (r < 0)
		error = e->error < 0 ? e->error : -EBADMSG;
	free(q->c->error_message);
	q->c->error_message = message;
	q->error = error < 0 ? error : -EBADMSG;
	q->done = true;
	return NL_STOP;
}

static int request_ack(struct nl_msg *msg, void *arg)
{
	struct request *q = arg;

	q->done = true;
	return NL_STOP;
}

static int request_run(struct sn_client *c, struct nl_msg *m, uint32_t wait_ms,
		       struct request *q)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct timeval tv = { .tv_sec = wait_ms / 1000,
			      .tv_usec = (wait_ms % 1000) * 1000 };
	int r;

	r = record_error_take(c);
	if (r < 0)
		return r;
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, request_msg_in, q);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, request_valid, q);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, request_ack, q);
	nl_cb_err(cb, NL_CB_CUSTOM, request_error, q);

	free(c->error_message);
	c->error_message = NULL;
	if (setsockopt(nl_socket_get_fd(c->sk), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0)
		return -errno;

	r = nl_send_auto(c->sk, m);
	if (r < 0)
		return errno_from_nl(r);

	while (!q->done) {
		r = nl_recvmsgs(c->sk, cb);
		if (q->done)
			break;
		if (r == -NLE_AGAIN)
			return -ETIMEDOUT;
		if (r < 0)
			return errno_from_nl(r);
	}
	if (q->error < 0)
		return q->error;
	if (!q->result)
		return -ENODATA; /* acked without a reply */
	return 0;
}

static struct nl_msg *request_new(struct sn_client *c, uint8_t cmd, size_t payload)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m =
		nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + payload + 256);

	if (!m)
		return NULL;
	if (!genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, 0, cmd,
			 SDEI_NMI_FAMILY_VERSION))
		return NULL;
	return TAKE_PTR(m);
}

static int parse_status(const void *buf, size_t len, void **ret)
{
	return sn_parse_status_msg(buf, len, (struct sn_status **)ret);
}

static int parse_backtrace(const void *buf, size_t len, void **ret)
{
	return sn_parse_backtrace_msg(buf, len, (struct sn_backtrace **)ret);
}

static void free_status(void *p)
{
	sn_status_free(p);
}

static void free_backtrace(void *p)
{
	sn_backtrace_free(p);
}

static void request_done(struct request *q)
{
	if (q->result)
		q->free(q->result);
}

int sn_client_status(struct sn_client *c, struct sn_status **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = request_new(c, SDEI_NMI_CMD_STATUS, 0);
	_cleanup_(request_done) struct request q = {
		.c = c,
		.parse = parse_status,
		.free = free_status,
	};
	int r;

	if (!m)
		return -ENOMEM;
	r = request_run(c, m, REPLY_SLACK_MS, &q);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(q.result);
	return 0;
}

int sn_request_backtrace_put(struct nl_msg *m, const uint32_t *cpus, size_t n_cpus,
			     bool all, uint32_t timeout_ms)
{
	int r;

	if (all) {
		r = nla_put_flag(m, SDEI_NMI_A_BACKTRACE_ALL);
		if (r < 0)
			return errno_from_nl(r);
	} else {
		if (n_cpus == 0)
			return -EINVAL;
		if (n_cpus > SN_MAX_ENTRIES)
			return -E2BIG;
		for (size_t i = 0; i < n_cpus; i++) {
			r = nla_put_u32(m, SDEI_NMI_A_BACKTRACE_CPU, cpus[i]);
			if (r < 0)
				return errno_from_nl(r);
		}
	}
	if (timeout_ms > 0) {
		r = nla_put_u32(m, SDEI_NMI_A_BACKTRACE_TIMEOUT_MS, timeout_ms);
		if (r < 0)
			return errno_from_nl(r);
	}
	return 0;
}

int sn_client_backtrace(struct sn_client *c, const uint32_t *cpus, size_t n_cpus,
			bool all, uint32_t timeout_ms, struct sn_backtrace **ret)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	_cleanup_(request_done) struct request q = {
		.c = c,
		.parse = parse_backtrace,
		.free = free_backtrace,
	};
	int r;

	if (n_cpus > SN_MAX_ENTRIES)
		return -E2BIG;
	m = request_new(c, SDEI_NMI_CMD_BACKTRACE,
			all ? 16 : n_cpus * NLA_HDRLEN * 2 + 16);
	if (!m)
		return -ENOMEM;
	r = sn_request_backtrace_put(m, cpus, n_cpus, all, timeout_ms);
	if (r < 0)
		return r;
	r = request_run(c, m, (timeout_ms ?: 500) + REPLY_SLACK_MS, &q);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(q.result);
	return 0;
}

static int seq_any(struct nl_msg *msg, void *arg)
{
	return NL_OK;
}

static int socket_open_peer(struct sn_client *c, struct nl_sock **ret)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	int r;

	r = socket_open(c->protocol, &sk);
	if (r < 0)
		return r;
	/* The tests' fake kernel is a port of its own; the kernel is port 0. */
	nl_socket_set_peer_port(sk, nl_socket_get_peer_port(c->sk));
	*ret = TAKE_PTR(sk);
	return 0;
}

int sn_client_request_open(struct sn_client *c)
{
	_cleanup_(nl_socket_freep) struct nl_sock *req = NULL;
	int r;

	if (c->req)
		return -EALREADY;
	r = socket_open_peer(c, &req);
	if (r < 0)
		return r;
	/* Replies to several requests, matched by the caller. */
	nl_socket_disable_seq_check(req);
	nl_socket_disable_auto_ack(req);
	r = nl_socket_set_nonblocking(req);
	if (r < 0)
		return errno_from_nl(r);
	c->req = TAKE_PTR(req);
	return 0;
}

int sn_client_request_fd(const struct sn_client *c)
{
	return c->req ? nl_socket_get_fd(c->req) : -EBADF;
}

int sn_client_request_new(struct sn_client *c, const uint32_t *cpus, size_t n_cpus,
			  uint32_t timeout_ms, struct nl_msg **ret, uint32_t *ret_seq)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = NULL;
	int r;

	if (!c->req)
		return -EBADF;
	if (n_cpus == 0)
		return -EINVAL;
	if (n_cpus > SN_MAX_ENTRIES)
		return -E2BIG;
	m = request_new(c, SDEI_NMI_CMD_BACKTRACE, n_cpus * NLA_HDRLEN * 2 + 16);
	if (!m)
		return -ENOMEM;
	r = sn_request_backtrace_put(m, cpus, n_cpus, false, timeout_ms);
	if (r < 0)
		return r;
	/* The port and the next sequence number of the request socket (NLM_F_REQUEST). */
	nl_complete_msg(c->req, m);
	*ret_seq = nlmsg_hdr(m)->nlmsg_seq;
	*ret = TAKE_PTR(m);
	return 0;
}

int sn_client_request_send(struct sn_client *c, struct nl_msg *m)
{
	int r;

	if (!c->req)
		return -EBADF;
	r = nl_send(c->req, m);
	return r < 0 ? errno_from_nl(r) : 0;
}

struct replies {
	struct sn_client *c;
	sn_reply_handler_t handler;
	void *userdata;
	int stop;
};

static int replies_msg_in(struct nl_msg *msg, void *arg)
{
	struct replies *q = arg;
	const struct nlmsghdr *h = nlmsg_hdr(msg);

	record_msg(q->c, h->nlmsg_type == NLMSG_ERROR ? "error" : "reply", h);
	return NL_OK;
}

static int replies_valid(struct nl_msg *msg, void *arg)
{
	struct replies *q = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	int r;

	if (h->nlmsg_type != q->c->family)
		return NL_SKIP;
	r = sn_parse_backtrace_msg(h, h->nlmsg_len, &b);
	r = q->handler(q->c, h->nlmsg_seq, r < 0 ? r : 0, NULL, b, q->userdata);
	if (r < 0) {
		q->stop = r;
		return NL_STOP;
	}
	return NL_OK;
}

static int replies_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct replies *q = arg;
	const struct nlmsghdr *h =
		(const struct nlmsghdr *)((const uint8_t *)e - NLMSG_HDRLEN);
	_cleanup_(freep) char *message = NULL;
	int error, r;

	r = sn_parse_error_msg(h, h->nlmsg_len, &error, &message);
	if (r < 0)
		error = e->error < 0 ? e->error : -EBADMSG;
	r = q->handler(q->c, h->nlmsg_seq, error < 0 ? error : -EBADMSG, message, NULL,
		       q->userdata);
	if (r < 0) {
		q->stop = r;
		return NL_STOP;
	}
	return NL_SKIP;
}

/* An ack (error 0): none is asked for; one that comes anyway answers nothing. */
static int replies_ack(struct nl_msg *msg, void *arg)
{
	return NL_SKIP;
}

int sn_client_request_dispatch(struct sn_client *c, sn_reply_handler_t handler,
			       void *userdata)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct replies q = { .c = c, .handler = handler, .userdata = userdata };
	int r;

	if (!c->req)
		return -EBADF;
	r = record_error_take(c);
	if (r < 0)
		return r;
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, replies_msg_in, &q);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, replies_valid, &q);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, replies_ack, &q);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);
	nl_cb_err(cb, NL_CB_CUSTOM, replies_error, &q);

	for (;;) {
		r = nl_recvmsgs(c->req, cb);
		if (q.stop < 0)
			return q.stop;
		if (r == -NLE_AGAIN)
			return record_error_take(c);
		if (r == -NLE_NOMEM) {
			/* recvmsg()'s ENOBUFS: the socket overran, replies were lost. */
			r = handler(c, 0, -ENOBUFS, NULL, NULL, userdata);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return errno_from_nl(r);
	}
}

int sn_client_monitor_start(struct sn_client *c)
{
	_cleanup_(nl_socket_freep) struct nl_sock *mon = NULL;
	int grp, r;

	if (c->mon)
		return -EALREADY;
	grp = c->monitor_group;
	if (grp == 0) {
		grp = genl_ctrl_resolve_grp(c->sk, SDEI_NMI_FAMILY_NAME,
					    SDEI_NMI_MCGRP_MONITOR);
		if (grp < 0)
			return errno_from_nl(grp);
	}

	r = socket_open(c->protocol, &mon);
	if (r < 0)
		return r;
	/* Notifications carry no sequence numbers of ours. */
	nl_socket_disable_seq_check(mon);
	r = nl_socket_add_membership(mon, grp);
	if (r < 0)
		return errno_from_nl(r);
	r = nl_socket_set_nonblocking(mon);
	if (r < 0)
		return errno_from_nl(r);

	c->mon = TAKE_PTR(mon);
	return 0;
}

int sn_client_monitor_fd(const struct sn_client *c)
{
	return c->mon ? nl_socket_get_fd(c->mon) : -EBADF;
}

struct monitor {
	struct sn_client *c;
	sn_monitor_handler_t handler;
	void *userdata;
	int stop;
};

static int monitor_msg_in(struct nl_msg *msg, void *arg)
{
	struct monitor *mo = arg;

	record_msg(mo->c, "notification", nlmsg_hdr(msg));
	return NL_OK;
}

static int monitor_valid(struct nl_msg *msg, void *arg)
{
	struct monitor *mo = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	const void *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int r;

	if (h->nlmsg_type != mo->c->family)
		return NL_SKIP;
	r = sn_parse_genl_msg(h, h->nlmsg_len, &cmd, &attrs, &attrs_len);
	if (r >= 0) {
		/* Notifications of later versions are for later versions. */
		if (cmd != SDEI_NMI_CMD_BACKTRACE_NTF)
			return NL_SKIP;
		r = sn_parse_backtrace_msg(h, h->nlmsg_len, &b);
	}
	r = mo->handler(mo->c, r < 0 ? r : 0, b, mo->userdata);
	if (r < 0) {
		mo->stop = r;
		return NL_STOP;
	}
	return NL_OK;
}

int sn_client_monitor_dispatch(struct sn_client *c, sn_monitor_handler_t handler,
			       void *userdata)
{
	_cleanup_(nl_cb_putp) struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	struct monitor mo = { .c = c, .handler = handler, .userdata = userdata };
	int r;

	if (!c->mon)
		return -EBADF;
	r = record_error_take(c);
	if (r < 0)
		return r;
	if (!cb)
		return -ENOMEM;
	nl_cb_set(cb, NL_CB_MSG_IN, NL_CB_CUSTOM, monitor_msg_in, &mo);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, monitor_valid, &mo);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, seq_any, NULL);

	for (;;) {
		r = nl_recvmsgs(c->mon, cb);
		if (mo.stop < 0)
			return mo.stop;
		/* All handed over: now a write error of the recording. */
		if (r == -NLE_AGAIN)
			return record_error_take(c);
		if (r == -NLE_NOMEM) {
			/* recvmsg()'s ENOBUFS: the socket overran, notifications were
			 * lost. */
			r = handler(c, -ENOBUFS, NULL, userdata);
			if (r < 0)
				return r;
			continue;
		}
		if (r < 0)
			return errno_from_nl(r);
	}
}

int sn_client_monitor_run(struct sn_client *c, int stop_fd, sn_monitor_handler_t handler,
			  void *userdata)
{
	int fd = sn_client_monitor_fd(c), r;

	if (fd < 0)
		return fd;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
		};

		if (poll(p, stop_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (stop_fd >= 0 && p[1].revents)
			return 0;
		if (p[0].revents) {
			r = sn_client_monitor_dispatch(c, handler, userdata);
			if (r < 0)
				return r;
		}
	}
}
