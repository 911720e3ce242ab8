/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Client of the "sdei-nmi" generic netlink family over libnl-genl-3. Every function
 * returns 0 or a negative errno; results are written only on success. When the kernel
 * refuses a request, its extack message is kept in the client until the next request
 * (sn_client_error_message()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <netlink/msg.h>

#include "macro.h"
#include "nmi-parse.h"

struct sn_client;

/*
 * Opens a generic netlink socket and resolves the family. -ENOENT (or -EOPNOTSUPP)
 * when the kernel has no "sdei-nmi" family: not an arm64 kernel with the SDEI NMI
 * service (CONFIG_ARM_SDEI_NMI).
 */
int sn_client_new(struct sn_client **ret);
struct sn_client *sn_client_free(struct sn_client *c);

/*
 * For tests: a client whose kernel is a userspace peer (NETLINK_USERSOCK) at port,
 * answering as family, its notifications on monitor_group.
 */
struct sn_client_peer {
	int protocol;
	uint32_t port;
	int family;
	int monitor_group;
};
int sn_client_new_peer(const struct sn_client_peer *peer, struct sn_client **ret);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_client *, sn_client_free);

/* The kernel's extack message for the last request that failed, or NULL. */
const char *sn_client_error_message(const struct sn_client *c);

/*
 * Records every message the client receives from the family to f (NULL: stops), for
 * bug reports and test fixtures: replies and the NLMSG_ERROR messages that end requests
 * (acks included), and the monitor's notifications, each as it comes off the socket,
 * before it is parsed, malformed ones included. Not recorded: the generic netlink
 * controller's answers to the family and group lookups. The client does not own f.
 *
 * Each message is appended in the format of tests/fixtures/netlink/ (*.hex), then f is
 * flushed:
 *
 *	# <reply|error|notification>: nlmsg_type <n>, <nlmsg_len> bytes
 *	<nlmsg_len bytes from the nlmsghdr on, lowercase hex, 16 a line, ' ' between>
 *	<an empty line>
 *
 * A failed write turns the recording off, and its negative errno is returned, once, by
 * the next request (which then sends nothing), by the monitor dispatch during which it
 * happened (after its handler got every notification) or the next one, or by the next
 * sn_client_record(). The call whose message failed to be written still returns its
 * result. sn_client_record() always switches to f; it returns 0 or that error.
 */
int sn_client_record(struct sn_client *c, FILE *f);

int sn_client_status(struct sn_client *c, struct sn_status **ret);

/*
 * Backtraces the n_cpus CPUs of cpus, or every online CPU when all is set. timeout_ms
 * 0 leaves the kernel's default (500 ms). Needs CAP_NET_ADMIN: -EPERM otherwise.
 */
int sn_client_backtrace(struct sn_client *c, const uint32_t *cpus, size_t n_cpus,
			bool all, uint32_t timeout_ms, struct sn_backtrace **ret);

/* The attributes of a backtrace request, appended to m (after its genl header). */
int sn_request_backtrace_put(struct nl_msg *m, const uint32_t *cpus, size_t n_cpus,
			     bool all, uint32_t timeout_ms);

/*
 * Monitor: the kernel's own backtraces (SDEI_NMI_CMD_BACKTRACE_NTF on the "monitor"
 * group). The handler gets each one parsed, or error < 0 and b NULL for a notification
 * that was malformed (-EBADMSG, -E2BIG) or lost (-ENOBUFS: the socket overran). A
 * handler returning < 0 ends the dispatch with that value.
 */
typedef int (*sn_monitor_handler_t)(struct sn_client *c, int error,
				    const struct sn_backtrace *b, void *userdata);

/* Joins the group on a socket of its own; -EPERM without CAP_NET_ADMIN. */
int sn_client_monitor_start(struct sn_client *c);
/* The monitor socket, non-blocking, for an event loop; -EBADF before start. */
int sn_client_monitor_fd(const struct sn_client *c);
/* Handles every notification queued on the monitor socket; never blocks. */
int sn_client_monitor_dispatch(struct sn_client *c, sn_monitor_handler_t handler,
			       void *userdata);
/* Dispatches until stop_fd (e.g. a signalfd; -1 for none) is readable: returns 0 then. */
int sn_client_monitor_run(struct sn_client *c, int stop_fd, sn_monitor_handler_t handler,
			  void *userdata);

/*
 * Backtrace requests for an event loop. The kernel runs a generic netlink command in
 * the sendmsg() that carries it, so sending a backtrace request takes as long as the
 * kernel waits for its CPUs (up to the request's timeout, longer while another request
 * holds the kernel's lock): no socket flag makes the send itself return early. These
 * functions split the request: the client builds it on a socket of its own, non-blocking
 * (sn_client_request_new()), the caller sends it where waiting costs nothing (sdei-nmid:
 * a child process, sharing the socket: sn_client_request_send()), and the reply comes
 * to the socket, for sn_client_request_dispatch() when the loop sees it readable.
 * Several requests may be outstanding; each is known by its sequence number.
 */

/* Opens the request socket (once; -EALREADY after). */
int sn_client_request_open(struct sn_client *c);
/* The request socket, non-blocking, for an event loop; -EBADF before open. */
int sn_client_request_fd(const struct sn_client *c);
/*
 * A backtrace request of the n_cpus CPUs of cpus (timeout_ms as for
 * sn_client_backtrace()), addressed and numbered for the request socket: *ret_seq is
 * the sequence number its reply will carry. Without an ack: a reply, or an error.
 */
int sn_client_request_new(struct sn_client *c, const uint32_t *cpus, size_t n_cpus,
			  uint32_t timeout_ms, struct nl_msg **ret, uint32_t *ret_seq);
/*
 * Sends m on the request socket: returns once the kernel has run the command (see
 * above). Touches nothing of the client but the socket: callable in a child process.
 */
int sn_client_request_send(struct sn_client *c, struct nl_msg *m);
/*
 * The handler of a reply: seq is the request's; either b (error 0), or error < 0 with
 * the kernel's extack message (NULL when it sent none): the kernel refused the request
 * (-EPERM without CAP_NET_ADMIN, -EINVAL, ...) or its reply was malformed (-EBADMSG,
 * -E2BIG). seq 0 and -ENOBUFS: the socket overran, replies were lost. A handler
 * returning < 0 ends the dispatch with that value.
 */
typedef int (*sn_reply_handler_t)(struct sn_client *c, uint32_t seq, int error,
				  const char *message, const struct sn_backtrace *b,
				  void *userdata);
/* Handles every reply queued on the request socket; never blocks. */
int sn_client_request_dispatch(struct sn_client *c, sn_reply_handler_t handler,
			       void *userdata);
