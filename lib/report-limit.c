/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Repeats and the rate of reports: rules L1-L4 in report-limit.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report-limit.h"

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

#define USEC_PER_MINUTE UINT64_C(60000000)

struct key {
	uint64_t key;
	bool written_once;
	uint64_t written_usec; /* when its last report was written */
	uint64_t pending;      /* folded or rate-limited since */
	uint64_t touched;      /* L4: the order of use */
};

struct sn_limiter {
	struct sn_limiter_config cfg;
	size_t n_keys;
	struct key *keys;
	uint64_t clock; /* L4 */
	/* L2: tokens in 1/60,000,000ths (a token is USEC_PER_MINUTE units). */
	uint64_t units, units_max;
	bool started;
	uint64_t last_usec;
	struct sn_limiter_stats stats;
};

int sn_limiter_new(const struct sn_limiter_config *cfg, struct sn_limiter **ret)
{
	struct sn_limiter *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	if (cfg)
		l->cfg = *cfg;
	if (!l->cfg.burst)
		l->cfg.burst = l->cfg.per_minute;
	if (!l->cfg.max_keys)
		l->cfg.max_keys = SN_LIMITER_MAX_KEYS;
	l->keys = calloc(l->cfg.max_keys, sizeof(*l->keys));
	if (!l->keys) {
		free(l);
		return -ENOMEM;
	}
	l->units_max = (uint64_t)l->cfg.burst * USEC_PER_MINUTE;
	l->units = l->units_max;
	*ret = l;
	return 0;
}

int sn_limiter_set_config(struct sn_limiter *l, const struct sn_limiter_config *cfg)
{
	bool was_off = !l->cfg.per_minute;

	if (!cfg)
		return -EINVAL;
	l->cfg.fold_usec = cfg->fold_usec;
	l->cfg.per_minute = cfg->per_minute;
	l->cfg.burst = cfg->burst ?: cfg->per_minute;
	l->units_max = (uint64_t)l->cfg.burst * USEC_PER_MINUTE;
	/* A limit turned on starts full, as at the start. */
	if (was_off || l->units > l->units_max)
		l->units = l->units_max;
	return 0;
}

struct sn_limiter *sn_limiter_free(struct sn_limiter *l)
{
	if (!l)
		return NULL;
	free(l->keys);
	free(l);
	return NULL;
}

/* L4: the key's entry, made (forgetting the least recently written) when new. */
static struct key *key_get(struct sn_limiter *l, uint64_t key)
{
	struct key *k = NULL;

	for (size_t i = 0; i < l->n_keys; i++)
		if (l->keys[i].key == key)
			return &l->keys[i];
	if (l->n_keys < l->cfg.max_keys)
		k = &l->keys[l->n_keys++];
	else {
		k = &l->keys[0];
		for (size_t i = 1; i < l->n_keys; i++)
			if (l->keys[i].touched < k->touched)
				k = &l->keys[i];
		l->stats.forgotten += k->pending;
	}
	*k = (struct key){ .key = key, .touched = ++l->clock };
	return k;
}

/* L2: refills the bucket to now, then takes a token if there is one. */
static bool take_token(struct sn_limiter *l, uint64_t now_usec)
{
	if (!l->cfg.per_minute)
		return true;
	if (l->started && now_usec > l->last_usec) {
		uint64_t dt = now_usec - l->last_usec;
		uint64_t room = l->units_max - l->units;

		if (dt >= room / l->cfg.per_minute + 1)
			l->units = l->units_max;
		else
			l->units += dt * l->cfg.per_minute;
		if (l->units > l->units_max)
			l->units = l->units_max;
	}
	if (!l->started || now_usec > l->last_usec)
		l->last_usec = now_usec;
	l->started = true;
	if (l->units < USEC_PER_MINUTE)
		return false;
	l->units -= USEC_PER_MINUTE;
	return true;
}

int sn_limiter_check(struct sn_limiter *l, uint64_t key, uint64_t now_usec,
		     enum sn_limit_verdict *ret_verdict, uint64_t *ret_carried)
{
	struct key *k = key_get(l, key);

	k->touched = ++l->clock;
	/* L1 */
	if (l->cfg.fold_usec && k->written_once && now_usec >= k->written_usec &&
	    now_usec - k->written_usec < l->cfg.fold_usec) {
		k->pending++;
		l->stats.folded++;
		*ret_verdict = SN_LIMIT_FOLDED;
		*ret_carried = 0;
		return 0;
	}
	/* L2 */
	if (!take_token(l, now_usec)) {
		k->pending++;
		l->stats.rate_limited++;
		*ret_verdict = SN_LIMIT_RATE_LIMITED;
		*ret_carried = 0;
		return 0;
	}
	/* L3 */
	*ret_verdict = SN_LIMIT_WRITE;
	*ret_carried = k->pending;
	l->stats.carried += k->pending;
	l->stats.written++;
	k->pending = 0;
	k->written_once = true;
	k->written_usec = now_usec;
	return 0;
}

uint64_t sn_limiter_pending(const struct sn_limiter *l)
{
	uint64_t n = 0;

	for (size_t i = 0; i < l->n_keys; i++)
		n += l->keys[i].pending;
	return n;
}

void sn_limiter_get_stats(const struct sn_limiter *l, struct sn_limiter_stats *ret)
{
	*ret = l->stats;
}

const char *sn_limit_verdict_to_string(enum sn_limit_verdict v)
{
	switch (v) {
	case SN_LIMIT_WRITE:
		return "written";
	case SN_LIMIT_FOLDED:
		return "folded";
	case SN_LIMIT_RATE_LIMITED:
		return "rate-limited";
	default:
		return NULL;
	}
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV64_PRIME;
	}
	return h;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t sn_report_fold_key(const struct sn_report *r)
{
	const char *kind = sn_incident_kind_to_string(r->kind);
	uint64_t h = FNV64_OFFSET, *hashes;
	size_t n = 0;
	int cpu;

	h = fnv1a(h, kind ? kind : "?", strlen(kind ? kind : "?"));
	/* A hung task: which task, and where it waits. */
	if (r->has_task) {
		uint32_t pid = r->task.pid;

		h = fnv1a(h, "\ntask ", 6);
		h = fnv1a(h, r->task.comm ? r->task.comm : "",
			  strlen(r->task.comm ? r->task.comm : ""));
		h = fnv1a(h, &pid, sizeof(pid));
		if (r->task.has_stack_hash) {
			h = fnv1a(h, "\nstack ", 7);
			h = fnv1a(h, &r->task.stack_hash, sizeof(r->task.stack_hash));
		}
	}
	/* The stalled CPUs. */
	for_each_cpu (cpu, &r->stalled) {
		uint32_t c = (uint32_t)cpu;

		h = fnv1a(h, "\ncpu ", 5);
		h = fnv1a(h, &c, sizeof(c));
	}
	/* The set of their stacks (no memory to sort them: the CPUs alone). */
	hashes = calloc(r->n_evidence + 1, sizeof(*hashes));
	if (!hashes)
		return h;
	for (size_t i = 0; i < r->n_evidence; i++)
		if (r->evidence[i].has_stack_hash)
			hashes[n++] = r->evidence[i].stack_hash;
	qsort(hashes, n, sizeof(*hashes), compare_u64);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || hashes[i] != hashes[i - 1]) {
			h = fnv1a(h, "\nstack ", 7);
			h = fnv1a(h, &hashes[i], sizeof(hashes[i]));
		}
	free(hashes);
	return h;
}
