/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Repeats and the rate of pushed reports: what keeps a lockup that comes back every
 * minute, or a storm of stalls, from flooding the sinks that page people (journald,
 * OTLP), without losing count. It decides what is pushed, never what is kept: every
 * report is spooled (daemon/report-policy.h). Pure: the caller's clock (monotonic
 * microseconds), bounded memory.
 *
 * A report's fold key (sn_report_fold_key()) tells distinct incidents apart: its kind,
 * a hung task's comm, pid and stack hash, the stalled CPUs, and the set of their stack
 * hashes. So the same lockup on the same CPUs in the same place is a repeat; another
 * task, another CPU or another stack is not.
 *
 *  L1 a report whose key was written less than fold_usec ago is folded: not written,
 *     counted for its key;
 *  L2 otherwise it takes a token from a bucket of burst tokens, refilled at per_minute
 *     tokens a minute (starting full); with none left it is rate-limited: not written,
 *     counted for its key;
 *  L3 a report that is written carries the count of its key's reports folded or
 *     rate-limited since the key's last one written (the caller adds it to the report's
 *     folded_count), and that count restarts;
 *  L4 at most max_keys keys are remembered; when a new one comes, the one written
 *     longest ago is forgotten, and with it its count (counted as forgotten).
 */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "report.h"

#define SN_LIMITER_MAX_KEYS 1024

struct sn_limiter_config {
	uint64_t fold_usec;  /* L1; 0: no folding */
	uint32_t per_minute; /* L2; 0: no rate limit */
	uint32_t burst;	     /* L2; 0: per_minute */
	size_t max_keys;     /* L4; 0: SN_LIMITER_MAX_KEYS */
};

enum sn_limit_verdict {
	SN_LIMIT_WRITE,
	SN_LIMIT_FOLDED,
	SN_LIMIT_RATE_LIMITED,
};

struct sn_limiter_stats {
	uint64_t written;
	uint64_t folded;       /* L1 */
	uint64_t rate_limited; /* L2 */
	uint64_t carried;      /* L3: counts handed to reports written */
	uint64_t forgotten;    /* L4: counts lost with their key */
};

struct sn_limiter;

int sn_limiter_new(const struct sn_limiter_config *cfg, struct sn_limiter **ret);
struct sn_limiter *sn_limiter_free(struct sn_limiter *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_limiter *, sn_limiter_free);

/*
 * New fold window, rate and burst (max_keys stays); what is counted is kept, the bucket
 * is cut to the new burst (filled when there was no rate limit). -EINVAL for a NULL
 * cfg.
 */
int sn_limiter_set_config(struct sn_limiter *l, const struct sn_limiter_config *cfg);
/*
 * The verdict about one report of key at now_usec (L1, L2); for SN_LIMIT_WRITE,
 * *ret_carried is the count it carries (L3), 0 otherwise. -ENOMEM.
 */
int sn_limiter_check(struct sn_limiter *l, uint64_t key, uint64_t now_usec,
		     enum sn_limit_verdict *ret_verdict, uint64_t *ret_carried);
/* Reports folded or rate-limited that no report written has carried yet. */
uint64_t sn_limiter_pending(const struct sn_limiter *l);
void sn_limiter_get_stats(const struct sn_limiter *l, struct sn_limiter_stats *ret);
const char *sn_limit_verdict_to_string(enum sn_limit_verdict v);

/* The fold key of a report (see above): FNV-1a 64. */
uint64_t sn_report_fold_key(const struct sn_report *r);
