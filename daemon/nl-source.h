/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The netlink source: the kernel's "sdei-nmi" generic netlink family (lib/nmi-client.h)
 * in the loop, for structured backtraces.
 *
 *  - monitor: the group's notifications (the kernel's own SDEI backtraces: a hard
 *    lockup, an RCU stall, sysrq-l) are an I/O source; their captures go to the
 *    incidents (lib/incident.h, I7).
 *  - requests: after each round of the loop (a post source) the CPUs that open
 *    incidents want (I6) are asked for in one backtrace request, on a socket of its
 *    own. The kernel runs the request inside the sendmsg() that carries it, for as
 *    long as it waits for the CPUs, so a child process does the sending (fork, send,
 *    _exit); the reply comes to the shared socket and is handled when the loop sees it
 *    readable. At most NL_MAX_OUTSTANDING requests are outstanding, none for a CPU
 *    already asked; an answer rate-limited by the kernel's min_interval_ms, or a
 *    refusal that may pass (-EBUSY, -EAGAIN, -EINTR, -ENOMEM), is retried from then
 *    on (I6 bounds the attempts); a request unanswered NL_REPLY_SLACK_USEC past its
 *    own timeout is given up (its child killed).
 *
 * Optional: without the family (an unpatched kernel, CONFIG_ARM_SDEI_NMI off), with
 * the service inactive (the status command says why), without CAP_NET_ADMIN, or turned
 * off in the configuration, the source says why (manager_source_set()) and the
 * incidents' CPUs without a backtrace are reported unavailable (not-requested when
 * turned off) with that reason. When the kernel log is a replay (a file or pipe), its
 * CPUs are not this boot's: nothing is requested and notifications are not attached.
 *
 * Counts m->counters.backtraces_requested (CPUs asked), _captured (of those, the
 * captures) and _timed_out (CPUs the kernel answered "timeout" and those of requests
 * given up).
 */

#include <stdint.h>

#include "macro.h"
#include "manager.h"

#define NL_MAX_OUTSTANDING  4
#define NL_MAX_REQUEST_CPUS 64
#define NL_REPLY_SLACK_USEC (UINT64_C(5) * 1000 * 1000)
#define NL_RETRY_USEC	    (UINT64_C(1) * 1000 * 1000) /* after a refusal that may pass */

struct nl_source;

/*
 * Starts the source if it can, and says why not otherwise (manager_source_set(), the
 * incidents' reason). *ret is NULL when it does not run. -ENOMEM and the like: errors
 * of the daemon, not of the source.
 */
int nl_source_start(struct manager *m, struct nl_source **ret);
struct nl_source *nl_source_free(struct nl_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_source *, nl_source_free);

/* The kernel's wait per request, from the configuration (SIGHUP). */
void nl_source_set_timeout(struct nl_source *s, uint32_t timeout_ms);
