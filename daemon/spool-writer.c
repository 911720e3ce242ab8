/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The spool writer: see spool-writer.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kmsg-cursor.h"
#include "log.h"
#include "spool-writer.h"
#include "util.h"

enum sw_op {
	SW_HELLO = 1,	 /* child: the spool opened, or why not */
	SW_PENDING_LIST, /* the pending reports: "<usec> <id>\n" lines in the memfd */
	SW_WRITE,
	SW_SHIPPED,
	SW_SET_ASIDE,
	SW_READ,
	SW_CURSOR,
	SW_LIMITS,
};

/* A request, and its answer (the same message back, with the results). */
struct sw_msg {
	uint32_t op;
	uint32_t state; /* SW_WRITE */
	int32_t error;	/* answers */
	uint32_t evicted;
	int32_t holder; /* SW_HELLO, -EBUSY: the lock's holder */
	uint64_t realtime_usec;
	uint64_t seq; /* SW_CURSOR; SW_WRITE: the report's first record (the daemon's) */
	uint64_t len; /* the payload's length (in the memfd passed along) */
	char id[SN_REPORT_ID_LEN + 1];
	char boot_id[SN_REPORT_ID_LEN + 1];
	struct sn_spool_limits limits;
	struct sn_spool_totals totals; /* answers */
	struct sn_spool_stats stats;
};

struct sw_request {
	struct sw_request *next;
	struct sw_msg msg;
	char *payload; /* SW_WRITE */
	bool resent;   /* sent again to a new child: its -EEXIST is the last one's work */
};

struct spool_writer {
	sd_event *event;
	sd_event_source *io, *child, *stall_timer, *respawn_timer;
	int fd;
	pid_t pid;
	char *spool_dir, *cursor_path;
	struct sn_spool_limits limits;
	struct spool_writer_callbacks cb;
	void *userdata;

	struct sw_request *head, *tail; /* head: in flight when sent */
	size_t queued;
	uint64_t queued_bytes;
	bool sent;
	uint64_t sent_usec;
	bool stalled;
	bool hello, open, fatal;
	uint64_t refused;
	struct sn_spool_totals totals;
	struct sn_spool_stats stats;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- the socket: one message and at most one fd ---- */

static int msg_send(int fd, const struct sw_msg *m, int payload_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control = {};
	struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (payload_fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &payload_fd, sizeof(int));
	}
	n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return (size_t)n == sizeof(*m) ? 0 : -EIO;
}

/* 0 and *ret_fd (-EBADF when none came); -ENODATA at the peer's end; -EAGAIN. */
static int msg_recv(int fd, struct sw_msg *m, int *ret_fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	ssize_t n;

	*ret_fd = -EBADF;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ENODATA;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	if ((size_t)n != sizeof(*m) || (mh.msg_flags & MSG_CTRUNC)) {
		if (*ret_fd >= 0)
			close(*ret_fd);
		*ret_fd = -EBADF;
		return -EBADMSG;
	}
	return 0;
}

/* A memfd holding buf (the kernel's memory: no disk). */
static int payload_new(const void *buf, size_t len)
{
	int fd, r;

	fd = memfd_create("sdei-nmid-report", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = sn_write_all(fd, buf, len);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* The payload of fd, len bytes, NUL-terminated (free()). */
static int payload_read(int fd, uint64_t len, char **ret)
{
	_cleanup_(freep) char *buf = NULL;
	size_t got;
	int r;

	if (fd < 0 || len > SN_REPORT_MAX_BYTES * 8ULL)
		return -EBADMSG;
	buf = malloc((size_t)len + 1);
	if (!buf)
		return -ENOMEM;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	r = sn_read_fd(fd, buf, (size_t)len + 1, &got);
	if (r < 0)
		return r;
	if (got != len)
		return -EBADMSG;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* ---- the child ---- */

static int child_pending_list(int fd, struct sn_spool *spool)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(closep) int mfd = -EBADF;
	struct sw_msg m = { .op = SW_PENDING_LIST };

	if (spool) {
		sn_spool_get_totals(spool, &m.totals);
		sn_spool_get_stats(spool, &m.stats);
	}
	size_t n = 0;
	long len;
	int r;

	if (spool) {
		r = sn_spool_list(spool, &e, &n);
		if (r < 0)
			return r;
	}
	mfd = memfd_create("sdei-nmid-pending", MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	f = fdopen(dup(mfd), "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (e[i].state == SN_SPOOL_PENDING)
			fprintf(f, "%" PRIu64 " %s\n", e[i].realtime_usec, e[i].id);
	if (fflush(f) != 0)
		return -errno;
	len = ftell(f);
	if (len < 0)
		return -errno;
	m.len = (uint64_t)len;
	return msg_send(fd, &m, mfd);
}

static void child_answer(int fd, struct sw_msg *m, struct sn_spool *spool, int payload_fd)
{
	if (spool) {
		sn_spool_get_totals(spool, &m->totals);
		sn_spool_get_stats(spool, &m->stats);
	}
	(void)msg_send(fd, m, payload_fd);
}

static void child_handle(int fd, struct sw_msg *m, int in_fd, struct sn_spool *spool,
			 const char *cursor_path)
{
	_cleanup_(freep) char *buf = NULL;
	_cleanup_(closep) int out_fd = -EBADF;
	unsigned evicted = 0;
	size_t len = 0;
	int r;

	switch (m->op) {
	case SW_WRITE:
		r = payload_read(in_fd, m->len, &buf);
		if (r >= 0)
			r = spool ? sn_spool_write(spool, m->id, m->realtime_usec,
						   m->state, buf, (size_t)m->len,
						   &evicted) :
				    -ENODEV;
		m->evicted = evicted;
		break;
	case SW_SHIPPED:
		r = spool ? sn_spool_mark_shipped(spool, m->id) : -ENODEV;
		break;
	case SW_SET_ASIDE:
		r = spool ? sn_spool_set_aside(spool, m->id) : -ENODEV;
		break;
	case SW_READ:
		r = spool ? sn_spool_read(spool, m->id, &buf, &len) : -ENODEV;
		if (r >= 0) {
			out_fd = payload_new(buf, len);
			r = out_fd < 0 ? out_fd : 0;
			m->len = len;
		}
		break;
	case SW_CURSOR:
		r = cursor_path ? sn_kmsg_cursor_write(cursor_path, m->boot_id, m->seq) :
				  -ENODEV;
		break;
	case SW_LIMITS:
		if (spool)
			sn_spool_set_limits(spool, &m->limits);
		r = 0;
		break;
	case SW_PENDING_LIST:
		r = child_pending_list(fd, spool);
		if (r >= 0)
			return; /* answered by the list itself */
		break;
	default:
		r = -EBADMSG;
	}
	m->error = r;
	child_answer(fd, m, spool, out_fd);
}

_noreturn_ static void child_main(int fd, pid_t parent, const char *spool_dir,
				  const char *cursor_path,
				  const struct sn_spool_limits *limits)
{
	_cleanup_(sn_spool_freep) struct sn_spool *spool = NULL;
	struct sw_msg hello = { .op = SW_HELLO };
	sigset_t none;
	pid_t holder = 0;
	int r;

	/*
	 * Dies with the daemon (PR_SET_PDEATHSIG, and the socket's end), not with the
	 * stop signals a service manager sends the whole unit (KillMode=control-group):
	 * at a stop the daemon reports what is open and waits for this process to write
	 * it (report_sinks_finish()).
	 */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(EXIT_FAILURE);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_NAME, "sdei-nmid-spool");
	/* Nothing of the daemon's (the kernel log, BPF, sockets) stays open here. */
	if (fd != 3) {
		if (dup2(fd, 3) < 0)
			_exit(EXIT_FAILURE);
		fd = 3;
	}
	(void)close_range(4, ~0U, 0);

	if (spool_dir) {
		r = sn_spool_open(spool_dir, limits, &spool, &holder);
		hello.error = r < 0 ? r : 0;
		hello.holder = (int32_t)holder;
	}
	child_answer(fd, &hello, spool, -EBADF);
	if (hello.error == -EBUSY)
		_exit(EXIT_FAILURE);

	for (;;) {
		struct sw_msg m;
		int in_fd;

		r = msg_recv(fd, &m, &in_fd);
		if (r == -EINTR)
			continue;
		if (r == -ENODATA)
			_exit(EXIT_SUCCESS); /* the daemon is gone */
		if (r < 0)
			_exit(EXIT_FAILURE);
		child_handle(fd, &m, in_fd, spool, cursor_path);
		if (in_fd >= 0)
			close(in_fd);
	}
}

/* ---- the daemon's side ---- */

static void request_free(struct sw_request *q)
{
	if (!q)
		return;
	free(q->payload);
	free(q);
}

static void stall_check(struct spool_writer *w);
static int spawn(struct spool_writer *w);

/* Sends the head request when nothing is in flight and the child is up. */
static void send_next(struct spool_writer *w)
{
	struct sw_request *q = w->head;
	_cleanup_(closep) int pfd = -EBADF;
	int r;

	if (!q || w->sent || w->fd < 0 || !w->hello)
		return;
	if (q->payload) {
		pfd = payload_new(q->payload, (size_t)q->msg.len);
		if (pfd < 0) {
			log_warning_errno(pfd,
					  "Spool writer: failed to pass a report: %m");
			return; /* tried again at the next answer or request */
		}
	}
	r = msg_send(w->fd, &q->msg, pfd);
	if (r < 0) {
		if (r != -EAGAIN)
			log_warning_errno(r,
					  "Spool writer: failed to send a request: %m");
		return;
	}
	w->sent = true;
	w->sent_usec = now_usec();
	if (w->stall_timer) {
		(void)sd_event_source_set_time(w->stall_timer,
					       w->sent_usec + SPOOL_WRITER_STALL_USEC);
		(void)sd_event_source_set_enabled(w->stall_timer, SD_EVENT_ONESHOT);
	}
}

static int enqueue(struct spool_writer *w, struct sw_request *q)
{
	q->next = NULL;
	if (w->tail)
		w->tail->next = q;
	else
		w->head = q;
	w->tail = q;
	w->queued++;
	w->queued_bytes += q->payload ? q->msg.len : 0;
	send_next(w);
	return 0;
}

static struct sw_request *dequeue(struct spool_writer *w)
{
	struct sw_request *q = w->head;

	if (!q)
		return NULL;
	w->head = q->next;
	if (!w->head)
		w->tail = NULL;
	w->queued--;
	w->queued_bytes -= q->payload ? q->msg.len : 0;
	w->sent = false;
	return q;
}

static void changed(struct spool_writer *w)
{
	if (w->cb.changed)
		w->cb.changed(w->userdata);
}

static void handle_pending_list(struct spool_writer *w, const struct sw_msg *m, int pfd)
{
	_cleanup_(freep) char *buf = NULL;
	char *p, *nl;
	size_t n = 0;
	int r;

	r = payload_read(pfd, m->len, &buf);
	if (r < 0) {
		log_error_errno(r, "Spool writer: failed to read the list of reports to "
				   "push: %m; they are pushed after a restart");
		return;
	}
	for (p = buf; *p; p = nl + 1) {
		uint64_t usec;
		char id[SN_REPORT_ID_LEN + 1];

		nl = strchr(p, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (sscanf(p, "%" SCNu64 " %36s", &usec, id) == 2 && w->cb.pending) {
			w->cb.pending(w->userdata, id, usec);
			n++;
		}
	}
	log_info("%zu spooled report(s) to push.", n);
}

static void handle_answer(struct spool_writer *w, struct sw_msg *m, int pfd)
{
	struct sw_request *q;

	if (m->op == SW_HELLO) {
		w->hello = true;
		w->open = w->spool_dir && m->error == 0;
		w->totals = m->totals;
		w->stats = m->stats;
		if (m->error == -EBUSY)
			w->fatal = true;
		if (w->cb.opened)
			w->cb.opened(w->userdata, m->error, (pid_t)m->holder);
		send_next(w);
		changed(w);
		return;
	}
	q = w->head;
	if (!w->sent || !q || q->msg.op != m->op || strcmp(q->msg.id, m->id) != 0) {
		log_warning("Spool writer: an answer to no request (op %" PRIu32
			    "), ignoring.",
			    m->op);
		return;
	}
	q = dequeue(w);
	w->totals = m->totals;
	w->stats = m->stats;
	if (w->stalled) {
		w->stalled = false;
		log_notice("Spool %s answers again, after %.1f s.",
			   w->spool_dir ? w->spool_dir : "(cursor only)",
			   (double)(now_usec() - w->sent_usec) / 1e6);
	}
	if (w->stall_timer)
		(void)sd_event_source_set_enabled(w->stall_timer, SD_EVENT_OFF);

	if (m->op == SW_PENDING_LIST)
		handle_pending_list(w, m, pfd);
	else if (m->op == SW_WRITE && w->cb.written)
		/* the child that died had written it before it could answer */
		w->cb.written(w->userdata, m->id, (enum sn_spool_state)m->state,
			      q->resent && m->error == -EEXIST ? 0 : m->error, m->evicted,
			      q->payload, (size_t)q->msg.len, q->msg.seq);
	else if (m->op == SW_READ && w->cb.read) {
		_cleanup_(freep) char *buf = NULL;
		int r = m->error;

		if (r >= 0)
			r = payload_read(pfd, m->len, &buf);
		w->cb.read(w->userdata, m->id, r, buf, r < 0 ? 0 : (size_t)m->len);
	} else if (m->op == SW_CURSOR && m->error < 0)
		log_warning_errno(m->error, "Failed to save the kernel log cursor %s: %m",
				  w->cursor_path);
	else if ((m->op == SW_SHIPPED || m->op == SW_SET_ASIDE) && m->error < 0 &&
		 m->error != -ENOENT)
		log_warning_errno(
			m->error,
			"Failed to mark report %s shipped in the spool: %m; it is "
			"pushed again after a restart",
			m->id);
	request_free(q);
	changed(w);
	send_next(w);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct spool_writer *w = userdata;

	for (;;) {
		struct sw_msg m;
		int pfd, r;

		r = msg_recv(w->fd, &m, &pfd);
		if (r == -EAGAIN || r == -EINTR)
			return 0;
		if (r == -ENODATA || r == -ECONNRESET) {
			/* The child is gone: on_child() forks another. */
			w->io = sd_event_source_disable_unref(w->io);
			return 0;
		}
		if (r < 0) {
			log_warning_errno(r, "Spool writer: a bad answer: %m, ignoring");
			continue;
		}
		handle_answer(w, &m, pfd);
		if (pfd >= 0)
			close(pfd);
	}
}

static int on_stall(sd_event_source *s, uint64_t usec, void *userdata)
{
	stall_check(userdata);
	return 0;
}

static void stall_check(struct spool_writer *w)
{
	if (!w->sent || w->stalled || now_usec() - w->sent_usec < SPOOL_WRITER_STALL_USEC)
		return;
	w->stalled = true;
	log_warning("Spool %s stalled: a request has waited %.1f s (the file system "
		    "blocks). Reports go on to the journal and wait here (%zu queued); "
		    "the kernel log cursor is not saved until it answers.",
		    w->spool_dir ? w->spool_dir : "(cursor only)",
		    (double)(now_usec() - w->sent_usec) / 1e6, w->queued);
	changed(w);
}

static int on_respawn(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct spool_writer *w = userdata;
	int r;

	r = spawn(w);
	if (r < 0) {
		log_error_errno(r,
				"Failed to start the spool writer again: %m, retrying");
		(void)sd_event_source_set_time_relative(s, SPOOL_WRITER_RESPAWN_USEC);
		(void)sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct spool_writer *w = userdata;

	w->child = sd_event_source_unref(w->child);
	/* Its last answers (a HELLO, a write's) may wait in the socket: read first. */
	if (w->io && w->fd >= 0)
		(void)on_io(w->io, w->fd, EPOLLIN, w);
	w->io = sd_event_source_disable_unref(w->io);
	w->fd = safe_close(w->fd);
	if (w->sent && w->head)
		w->head->resent = true;
	w->pid = 0;
	w->hello = false;
	w->sent = false; /* the request in flight is sent again */
	if (w->fatal)
		return 0;
	log_warning("Spool writer %d %s %d; starting another in %.0f s, %zu request(s) "
		    "queued.",
		    (int)si->si_pid,
		    si->si_code == CLD_EXITED ? "exited with" : "killed by",
		    si->si_status, (double)SPOOL_WRITER_RESPAWN_USEC / 1e6, w->queued);
	if (!w->respawn_timer)
		return 0;
	(void)sd_event_source_set_time_relative(w->respawn_timer,
						SPOOL_WRITER_RESPAWN_USEC);
	return sd_event_source_set_enabled(w->respawn_timer, SD_EVENT_ONESHOT);
}

static int spawn(struct spool_writer *w)
{
	int sv[2], r;
	pid_t parent = getpid(), pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], parent, w->spool_dir, w->cursor_path, &w->limits);
	}
	close(sv[1]);
	w->fd = sv[0];
	w->pid = pid;
	r = fcntl(w->fd, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	if (r >= 0)
		r = sd_event_add_io(w->event, &w->io, w->fd, EPOLLIN, on_io, w);
	if (r >= 0)
		r = sd_event_add_child(w->event, &w->child, pid, WEXITED, on_child, w);
	if (r < 0) {
		w->io = sd_event_source_disable_unref(w->io);
		w->child = sd_event_source_disable_unref(w->child);
		w->fd = safe_close(w->fd);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		w->pid = 0;
		return r;
	}
	return 0;
}

int spool_writer_new(sd_event *event, const char *spool_dir, const char *cursor_path,
		     const struct sn_spool_limits *limits,
		     const struct spool_writer_callbacks *cb, void *userdata,
		     struct spool_writer **ret)
{
	_cleanup_(spool_writer_freep) struct spool_writer *w = NULL;
	sigset_t mask;
	int r;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -EBADF;
	w->event = sd_event_ref(event);
	if (cb)
		w->cb = *cb;
	w->userdata = userdata;
	if (limits)
		w->limits = *limits;
	if ((spool_dir && !(w->spool_dir = strdup(spool_dir))) ||
	    (cursor_path && !(w->cursor_path = strdup(cursor_path))))
		return -ENOMEM;
	/* sd_event_add_child() wants SIGCHLD blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	r = sd_event_add_time(event, &w->stall_timer, CLOCK_MONOTONIC, 0, 100000,
			      on_stall, w);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->stall_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time(event, &w->respawn_timer, CLOCK_MONOTONIC, 0,
				      100000, on_respawn, w);
	if (r >= 0)
		r = sd_event_source_set_enabled(w->respawn_timer, SD_EVENT_OFF);
	if (r >= 0)
		r = spawn(w);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(w);
	return 0;
}

struct spool_writer *spool_writer_free(struct spool_writer *w)
{
	if (!w)
		return NULL;
	w->io = sd_event_source_disable_unref(w->io);
	w->stall_timer = sd_event_source_disable_unref(w->stall_timer);
	w->respawn_timer = sd_event_source_disable_unref(w->respawn_timer);
	/* Closing our end ends the child, which is between requests (or in D state:
	 * then it ends when the file system answers; PR_SET_PDEATHSIG too). */
	w->fd = safe_close(w->fd);
	w->child = sd_event_source_disable_unref(w->child);
	while (w->head)
		request_free(dequeue(w));
	free(w->spool_dir);
	free(w->cursor_path);
	sd_event_unref(w->event);
	free(w);
	return NULL;
}

static struct sw_request *request_new(enum sw_op op, const char *id)
{
	struct sw_request *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->msg.op = op;
	if (id)
		snprintf(q->msg.id, sizeof(q->msg.id), "%s", id);
	return q;
}

int spool_writer_write(struct spool_writer *w, const char *id, uint64_t realtime_usec,
		       enum sn_spool_state state, const char *report, size_t len,
		       uint64_t first_seq)
{
	struct sw_request *q;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	if (w->queued_bytes + len > SPOOL_WRITER_MAX_QUEUED_BYTES) {
		w->refused++;
		return -ENOBUFS;
	}
	q = request_new(SW_WRITE, id);
	if (!q)
		return -ENOMEM;
	q->payload = malloc(len + 1);
	if (!q->payload) {
		request_free(q);
		return -ENOMEM;
	}
	memcpy(q->payload, report, len);
	q->payload[len] = '\0';
	q->msg.len = len;
	q->msg.state = state;
	q->msg.realtime_usec = realtime_usec;
	q->msg.seq = first_seq;
	return enqueue(w, q);
}

/*
 * A state change goes before what waits (behind the request in flight): the sooner the
 * spool knows a report was acknowledged, the smaller the window in which a killed
 * daemon would push it again. It touches no other request's file.
 */
static int enqueue_urgent(struct spool_writer *w, struct sw_request *q)
{
	struct sw_request **at = &w->head;

	if (w->sent && w->head)
		at = &w->head->next;
	while (*at && ((*at)->msg.op == SW_SHIPPED || (*at)->msg.op == SW_SET_ASIDE))
		at = &(*at)->next;
	q->next = *at;
	*at = q;
	if (!q->next)
		w->tail = q;
	w->queued++;
	send_next(w);
	return 0;
}

int spool_writer_mark_shipped(struct spool_writer *w, const char *id)
{
	struct sw_request *q = request_new(SW_SHIPPED, id);

	return q ? enqueue_urgent(w, q) : -ENOMEM;
}

int spool_writer_set_aside(struct spool_writer *w, const char *id)
{
	struct sw_request *q = request_new(SW_SET_ASIDE, id);

	return q ? enqueue_urgent(w, q) : -ENOMEM;
}

int spool_writer_read(struct spool_writer *w, const char *id)
{
	struct sw_request *q = request_new(SW_READ, id);

	return q ? enqueue(w, q) : -ENOMEM;
}

int spool_writer_save_cursor(struct spool_writer *w, const char *boot_id, uint64_t seq)
{
	struct sw_request *q;

	if (!w->cursor_path)
		return -ENODEV;
	/* The last one queued and not sent yet takes the newer position. */
	if (w->tail && w->tail->msg.op == SW_CURSOR && !(w->tail == w->head && w->sent)) {
		w->tail->msg.seq = seq;
		return 0;
	}
	q = request_new(SW_CURSOR, NULL);
	if (!q)
		return -ENOMEM;
	snprintf(q->msg.boot_id, sizeof(q->msg.boot_id), "%s", boot_id);
	q->msg.seq = seq;
	return enqueue(w, q);
}

int spool_writer_list_pending(struct spool_writer *w)
{
	struct sw_request *q = request_new(SW_PENDING_LIST, NULL);

	return q ? enqueue(w, q) : -ENOMEM;
}

int spool_writer_set_limits(struct spool_writer *w, const struct sn_spool_limits *limits)
{
	struct sw_request *q = request_new(SW_LIMITS, NULL);

	if (!q)
		return -ENOMEM;
	w->limits = *limits; /* a child forked again takes them too */
	q->msg.limits = *limits;
	return enqueue(w, q);
}

size_t spool_writer_queued(const struct spool_writer *w)
{
	/* refused the spool for good: nothing queued will be answered */
	return w->fatal ? 0 : w->queued;
}

bool spool_writer_stalled(const struct spool_writer *w)
{
	return w->stalled;
}

bool spool_writer_spool_open(const struct spool_writer *w)
{
	return w->open;
}

void spool_writer_get_totals(const struct spool_writer *w, struct sn_spool_totals *ret)
{
	*ret = w->totals;
}

void spool_writer_get_stats(const struct spool_writer *w, struct sn_spool_stats *ret)
{
	*ret = w->stats;
}

uint64_t spool_writer_refused(const struct spool_writer *w)
{
	return w->refused;
}

int spool_writer_finish(struct spool_writer *w, uint64_t timeout_usec)
{
	uint64_t end = now_usec() + timeout_usec;

	while (w->queued > 0 || !w->hello) {
		struct pollfd p = { .fd = w->fd, .events = POLLIN };
		uint64_t now = now_usec();
		int n;

		if (w->fd < 0 || w->fatal)
			return -ENOTCONN;
		if (now >= end)
			return -ETIMEDOUT;
		send_next(w);
		n = poll(&p, 1, (int)((end - now + 999) / 1000));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			(void)on_io(NULL, w->fd, p.revents, w);
		if (!w->io && w->queued > 0)
			return -ENOTCONN; /* the child died */
	}
	return 0;
}
