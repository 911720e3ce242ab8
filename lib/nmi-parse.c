/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure parsers for the sdei-nmi family's messages. Attributes are walked with libnl's
 * nla_ok()/nla_next(), which never step past the length they are given; everything
 * else (lengths per type, NUL-terminated strings, duplicates, caps) is checked here
 * against a per-set policy, because libnl's nla_parse() keeps the last of duplicates,
 * has no 4-or-8-byte "uint" and stops silently at a truncated attribute.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/attr.h>

#include "nmi-parse.h"
#include "util.h"

enum attr_kind {
	ATTR_IGNORE = 0,
	ATTR_U8,
	ATTR_U32,
	ATTR_UINT,
	ATTR_FLAG,
	ATTR_STRING,
	ATTR_NEST,
};

struct attr_policy {
	uint8_t kind;
	bool multi;
	uint16_t maxlen; /* ATTR_STRING: longest payload, NUL included */
};

static const struct attr_policy cpu_stats_policy[SDEI_NMI_A_CPU_STATS_MAX + 1] = {
	[SDEI_NMI_A_CPU_STATS_CPU] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_CPU_STATS_ONLINE] = { .kind = ATTR_U8 },
	[SDEI_NMI_A_CPU_STATS_SIGNALS] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_CPU_STATS_HANDLED] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_CPU_STATS_TIMEOUTS] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_CPU_STATS_RATE_LIMITED] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_CPU_STATS_LAST_LATENCY_NS] = { .kind = ATTR_UINT },
};

static const struct attr_policy status_policy[SDEI_NMI_A_STATUS_MAX + 1] = {
	[SDEI_NMI_A_STATUS_STATE] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_STATUS_REASON] = { .kind = ATTR_STRING, .maxlen = SN_MAX_REASON },
	[SDEI_NMI_A_STATUS_SDEI_VERSION] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_STATUS_EVENT] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_STATUS_MIN_INTERVAL_MS] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_STATUS_CPU] = { .kind = ATTR_NEST, .multi = true },
};

static const struct attr_policy entry_policy[SDEI_NMI_A_ENTRY_MAX + 1] = {
	[SDEI_NMI_A_ENTRY_CPU] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_DELIVERY] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_TRIGGER] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_LATENCY_NS] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_TIME_NS] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_SEQ] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_PSTATE] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_PC] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_LR] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_SP] = { .kind = ATTR_UINT },
	[SDEI_NMI_A_ENTRY_CONTEXT] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_PATH] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_COMM] = { .kind = ATTR_STRING, .maxlen = SN_MAX_COMM },
	[SDEI_NMI_A_ENTRY_PID] = { .kind = ATTR_U32 },
	[SDEI_NMI_A_ENTRY_PC_SYM] = { .kind = ATTR_STRING, .maxlen = SN_MAX_SYMBOL },
	[SDEI_NMI_A_ENTRY_LR_SYM] = { .kind = ATTR_STRING, .maxlen = SN_MAX_SYMBOL },
	[SDEI_NMI_A_ENTRY_FRAME] = { .kind = ATTR_STRING,
				     .multi = true,
				     .maxlen = SN_MAX_SYMBOL },
};

/* Replies carry entries only; the request attributes are ignored if a reply has them. */
static const struct attr_policy backtrace_policy[SDEI_NMI_A_BACKTRACE_MAX + 1] = {
	[SDEI_NMI_A_BACKTRACE_ENTRY] = { .kind = ATTR_NEST, .multi = true },
};

static const struct attr_policy error_policy[NLMSGERR_ATTR_MSG + 1] = {
	[NLMSGERR_ATTR_MSG] = { .kind = ATTR_STRING, .maxlen = SN_MAX_REASON },
};

static int attr_check(const struct nlattr *a, const struct attr_policy *p)
{
	int len = nla_len(a);

	switch (p->kind) {
	case ATTR_U8:
		return len == 1 ? 0 : -EBADMSG;
	case ATTR_U32:
		return len == 4 ? 0 : -EBADMSG;
	case ATTR_UINT:
		return len == 4 || len == 8 ? 0 : -EBADMSG;
	case ATTR_FLAG:
		return len == 0 ? 0 : -EBADMSG;
	case ATTR_STRING:
		if (len < 1 || len > p->maxlen)
			return -EBADMSG;
		return memchr(nla_data(a), 0, len) ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

/*
 * Checks every attribute in [buf, buf + len) against policy[1..maxtype]. Single-valued
 * ones land in tb[] (a second one is an error), multi-valued ones are counted in
 * counts[] for the caller to walk again.
 */
static int attrs_check(const void *buf, size_t len, const struct attr_policy *policy,
		       int maxtype, const struct nlattr **tb, size_t *counts)
{
	const struct nlattr *a;
	int rem, r;

	if ((uintptr_t)buf % NLA_ALIGNTO != 0)
		return -EINVAL;
	if (len > INT_MAX)
		return -EBADMSG;

	for (a = buf, rem = (int)len; nla_ok(a, rem); a = nla_next(a, &rem)) {
		int type = nla_type(a);

		if (type <= 0 || type > maxtype || policy[type].kind == ATTR_IGNORE)
			continue;
		r = attr_check(a, &policy[type]);
		if (r < 0)
			return r;
		if (policy[type].multi)
			counts[type]++;
		else if (tb[type])
			return -EBADMSG;
		else
			tb[type] = a;
	}
	/* An attribute longer than what is left, or a stub too short for a header. */
	if (rem > 0)
		return -EBADMSG;
	return 0;
}

#define for_each_attr_of_type(a, rem, buf, len, t)                               \
	for (a = (buf), rem = (int)(len); nla_ok(a, rem); a = nla_next(a, &rem)) \
		if (nla_type(a) == (t))

static uint32_t get_u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

static uint64_t get_uint(const struct nlattr *a)
{
	uint64_t v;

	if (nla_len(a) == sizeof(uint32_t))
		return get_u32(a);
	memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

static int get_string(const struct nlattr *a, char **ret)
{
	char *s = strndup(nla_data(a), nla_len(a));

	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static void entry_done(struct sn_entry *e)
{
	free(e->comm);
	free(e->pc_sym);
	free(e->lr_sym);
	sn_strv_free(e->frames, e->n_frames);
}

struct sn_status *sn_status_free(struct sn_status *s)
{
	if (!s)
		return NULL;
	free(s->reason);
	free(s->cpus);
	free(s);
	return NULL;
}

struct sn_backtrace *sn_backtrace_free(struct sn_backtrace *b)
{
	if (!b)
		return NULL;
	for (size_t i = 0; i < b->n_entries; i++)
		entry_done(&b->entries[i]);
	free(b->entries);
	free(b);
	return NULL;
}

static int parse_cpu_stats(const struct nlattr *nest, struct sn_cpu_stats *c)
{
	const struct nlattr *tb[SDEI_NMI_A_CPU_STATS_MAX + 1] = {};
	size_t counts[SDEI_NMI_A_CPU_STATS_MAX + 1] = {};
	int r;

	r = attrs_check(nla_data(nest), nla_len(nest), cpu_stats_policy,
			SDEI_NMI_A_CPU_STATS_MAX, tb, counts);
	if (r < 0)
		return r;
	if (!tb[SDEI_NMI_A_CPU_STATS_CPU])
		return -EBADMSG;

	*c = (struct sn_cpu_stats){ .cpu = get_u32(tb[SDEI_NMI_A_CPU_STATS_CPU]) };
	if (tb[SDEI_NMI_A_CPU_STATS_ONLINE])
		c->online =
			*(const uint8_t *)nla_data(tb[SDEI_NMI_A_CPU_STATS_ONLINE]) != 0;
	if (tb[SDEI_NMI_A_CPU_STATS_SIGNALS])
		c->signals = get_uint(tb[SDEI_NMI_A_CPU_STATS_SIGNALS]);
	if (tb[SDEI_NMI_A_CPU_STATS_HANDLED])
		c->handled = get_uint(tb[SDEI_NMI_A_CPU_STATS_HANDLED]);
	if (tb[SDEI_NMI_A_CPU_STATS_TIMEOUTS])
		c->timeouts = get_uint(tb[SDEI_NMI_A_CPU_STATS_TIMEOUTS]);
	if (tb[SDEI_NMI_A_CPU_STATS_RATE_LIMITED])
		c->rate_limited = get_uint(tb[SDEI_NMI_A_CPU_STATS_RATE_LIMITED]);
	if (tb[SDEI_NMI_A_CPU_STATS_LAST_LATENCY_NS])
		c->last_latency_ns = get_uint(tb[SDEI_NMI_A_CPU_STATS_LAST_LATENCY_NS]);
	return 0;
}

int sn_parse_status_attrs(const void *buf, size_t len, struct sn_status **ret)
{
	const struct nlattr *tb[SDEI_NMI_A_STATUS_MAX + 1] = {};
	size_t counts[SDEI_NMI_A_STATUS_MAX + 1] = {};
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	const struct nlattr *a;
	int rem, r;

	r = attrs_check(buf, len, status_policy, SDEI_NMI_A_STATUS_MAX, tb, counts);
	if (r < 0)
		return r;
	if (!tb[SDEI_NMI_A_STATUS_STATE])
		return -EBADMSG;
	if (counts[SDEI_NMI_A_STATUS_CPU] > SN_MAX_CPUS)
		return -E2BIG;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->state = get_u32(tb[SDEI_NMI_A_STATUS_STATE]);
	if (tb[SDEI_NMI_A_STATUS_REASON]) {
		r = get_string(tb[SDEI_NMI_A_STATUS_REASON], &s->reason);
		if (r < 0)
			return r;
	}
	if (tb[SDEI_NMI_A_STATUS_SDEI_VERSION]) {
		s->has_sdei_version = true;
		s->sdei_version = get_uint(tb[SDEI_NMI_A_STATUS_SDEI_VERSION]);
	}
	if (tb[SDEI_NMI_A_STATUS_EVENT]) {
		s->has_event = true;
		s->event = get_u32(tb[SDEI_NMI_A_STATUS_EVENT]);
	}
	if (tb[SDEI_NMI_A_STATUS_MIN_INTERVAL_MS]) {
		s->has_min_interval_ms = true;
		s->min_interval_ms = get_u32(tb[SDEI_NMI_A_STATUS_MIN_INTERVAL_MS]);
	}

	if (counts[SDEI_NMI_A_STATUS_CPU] > 0) {
		s->cpus = calloc(counts[SDEI_NMI_A_STATUS_CPU], sizeof(*s->cpus));
		if (!s->cpus)
			return -ENOMEM;
	}
	for_each_attr_of_type(a, rem, buf, len, SDEI_NMI_A_STATUS_CPU)
	{
		r = parse_cpu_stats(a, &s->cpus[s->n_cpus]);
		if (r < 0)
			return r;
		s->n_cpus++;
	}

	*ret = TAKE_PTR(s);
	return 0;
}

static int parse_entry(const struct nlattr *nest, struct sn_entry *e)
{
	const struct nlattr *tb[SDEI_NMI_A_ENTRY_MAX + 1] = {};
	size_t counts[SDEI_NMI_A_ENTRY_MAX + 1] = {};
	const void *buf = nla_data(nest);
	int len = nla_len(nest);
	const struct nlattr *a;
	int rem, r;

	r = attrs_check(buf, len, entry_policy, SDEI_NMI_A_ENTRY_MAX, tb, counts);
	if (r < 0)
		return r;
	if (!tb[SDEI_NMI_A_ENTRY_CPU] || !tb[SDEI_NMI_A_ENTRY_DELIVERY])
		return -EBADMSG;
	if (counts[SDEI_NMI_A_ENTRY_FRAME] > SN_MAX_FRAMES)
		return -E2BIG;

	/* e is zeroed and owned by the caller, who frees what was filled on failure. */
	e->cpu = get_u32(tb[SDEI_NMI_A_ENTRY_CPU]);
	e->delivery = get_u32(tb[SDEI_NMI_A_ENTRY_DELIVERY]);
	if (tb[SDEI_NMI_A_ENTRY_TRIGGER])
		e->trigger = get_u32(tb[SDEI_NMI_A_ENTRY_TRIGGER]);

#define GET_UINT(attr, field)                          \
	do {                                           \
		if (tb[attr]) {                        \
			e->has_##field = true;         \
			e->field = get_uint(tb[attr]); \
		}                                      \
	} while (0)
	GET_UINT(SDEI_NMI_A_ENTRY_LATENCY_NS, latency_ns);
	GET_UINT(SDEI_NMI_A_ENTRY_TIME_NS, time_ns);
	GET_UINT(SDEI_NMI_A_ENTRY_SEQ, seq);
	GET_UINT(SDEI_NMI_A_ENTRY_PSTATE, pstate);
	GET_UINT(SDEI_NMI_A_ENTRY_PC, pc);
	GET_UINT(SDEI_NMI_A_ENTRY_LR, lr);
	GET_UINT(SDEI_NMI_A_ENTRY_SP, sp);
#undef GET_UINT

	/* Values this version does not know are kept: the formatters say so. */
	if (tb[SDEI_NMI_A_ENTRY_CONTEXT])
		e->context = get_u32(tb[SDEI_NMI_A_ENTRY_CONTEXT]);
	if (tb[SDEI_NMI_A_ENTRY_PATH])
		e->path = get_u32(tb[SDEI_NMI_A_ENTRY_PATH]);
	if (tb[SDEI_NMI_A_ENTRY_PID]) {
		e->has_pid = true;
		e->pid = get_u32(tb[SDEI_NMI_A_ENTRY_PID]);
	}
	if (tb[SDEI_NMI_A_ENTRY_COMM]) {
		r = get_string(tb[SDEI_NMI_A_ENTRY_COMM], &e->comm);
		if (r < 0)
			return r;
	}
	if (tb[SDEI_NMI_A_ENTRY_PC_SYM]) {
		r = get_string(tb[SDEI_NMI_A_ENTRY_PC_SYM], &e->pc_sym);
		if (r < 0)
			return r;
	}
	if (tb[SDEI_NMI_A_ENTRY_LR_SYM]) {
		r = get_string(tb[SDEI_NMI_A_ENTRY_LR_SYM], &e->lr_sym);
		if (r < 0)
			return r;
	}

	if (counts[SDEI_NMI_A_ENTRY_FRAME] > 0) {
		e->frames = calloc(counts[SDEI_NMI_A_ENTRY_FRAME], sizeof(*e->frames));
		if (!e->frames)
			return -ENOMEM;
	}
	for_each_attr_of_type(a, rem, buf, len, SDEI_NMI_A_ENTRY_FRAME)
	{
		r = get_string(a, &e->frames[e->n_frames]);
		if (r < 0)
			return r;
		e->n_frames++;
	}
	return 0;
}

int sn_parse_backtrace_attrs(const void *buf, size_t len, struct sn_backtrace **ret)
{
	const struct nlattr *tb[SDEI_NMI_A_BACKTRACE_MAX + 1] = {};
	size_t counts[SDEI_NMI_A_BACKTRACE_MAX + 1] = {};
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	const struct nlattr *a;
	int rem, r;

	r = attrs_check(buf, len, backtrace_policy, SDEI_NMI_A_BACKTRACE_MAX, tb, counts);
	if (r < 0)
		return r;
	if (counts[SDEI_NMI_A_BACKTRACE_ENTRY] > SN_MAX_ENTRIES)
		return -E2BIG;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	if (counts[SDEI_NMI_A_BACKTRACE_ENTRY] > 0) {
		b->entries =
			calloc(counts[SDEI_NMI_A_BACKTRACE_ENTRY], sizeof(*b->entries));
		if (!b->entries)
			return -ENOMEM;
	}
	for_each_attr_of_type(a, rem, buf, len, SDEI_NMI_A_BACKTRACE_ENTRY)
	{
		/* Counted first, so that a half-parsed entry is freed with the rest. */
		b->n_entries++;
		r = parse_entry(a, &b->entries[b->n_entries - 1]);
		if (r < 0)
			return r;
	}

	*ret = TAKE_PTR(b);
	return 0;
}

int sn_parse_genl_msg(const void *buf, size_t len, uint8_t *ret_cmd,
		      const void **ret_attrs, size_t *ret_len)
{
	const struct nlmsghdr *h = buf;
	const struct genlmsghdr *g;

	if ((uintptr_t)buf % NLMSG_ALIGNTO != 0)
		return -EINVAL;
	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	if (h->nlmsg_len > len || h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	if (h->nlmsg_type < NLMSG_MIN_TYPE)
		return -EBADMSG;

	g = (const struct genlmsghdr *)((const uint8_t *)buf + NLMSG_HDRLEN);
	*ret_cmd = g->cmd;
	*ret_attrs = (const uint8_t *)buf + NLMSG_HDRLEN + GENL_HDRLEN;
	*ret_len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return 0;
}

int sn_parse_status_msg(const void *buf, size_t len, struct sn_status **ret)
{
	const void *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int r;

	r = sn_parse_genl_msg(buf, len, &cmd, &attrs, &attrs_len);
	if (r < 0)
		return r;
	return sn_parse_status_attrs(attrs, attrs_len, ret);
}

int sn_parse_backtrace_msg(const void *buf, size_t len, struct sn_backtrace **ret)
{
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	const void *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int r;

	r = sn_parse_genl_msg(buf, len, &cmd, &attrs, &attrs_len);
	if (r < 0)
		return r;
	r = sn_parse_backtrace_attrs(attrs, attrs_len, &b);
	if (r < 0)
		return r;
	b->cmd = cmd;
	*ret = TAKE_PTR(b);
	return 0;
}

int sn_parse_error_msg(const void *buf, size_t len, int *ret_error, char **ret_msg)
{
	const struct nlattr *tb[NLMSGERR_ATTR_MSG + 1] = {};
	size_t counts[NLMSGERR_ATTR_MSG + 1] = {};
	const struct nlmsghdr *h = buf;
	const struct nlmsgerr *err;
	_cleanup_(freep) char *msg = NULL;
	size_t off;
	int r;

	if ((uintptr_t)buf % NLMSG_ALIGNTO != 0)
		return -EINVAL;
	if (len < NLMSG_HDRLEN)
		return -EBADMSG;
	if (h->nlmsg_len > len || h->nlmsg_len < NLMSG_HDRLEN + sizeof(*err))
		return -EBADMSG;
	if (h->nlmsg_type != NLMSG_ERROR)
		return -EBADMSG;

	err = (const struct nlmsgerr *)((const uint8_t *)buf + NLMSG_HDRLEN);
	if (err->error > 0 || err->error < -4095)
		return -EBADMSG;

	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* The TLVs follow the request, or only its header when the ack is capped.
		 */
		off = NLMSG_HDRLEN + sizeof(*err);
		if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
			if (err->msg.nlmsg_len < NLMSG_HDRLEN ||
			    err->msg.nlmsg_len > h->nlmsg_len)
				return -EBADMSG;
			off += err->msg.nlmsg_len - NLMSG_HDRLEN;
		}
		off = NLMSG_ALIGN(off);
		if (off > h->nlmsg_len)
			return -EBADMSG;
		r = attrs_check((const uint8_t *)buf + off, h->nlmsg_len - off,
				error_policy, NLMSGERR_ATTR_MSG, tb, counts);
		if (r < 0)
			return r;
		if (tb[NLMSGERR_ATTR_MSG]) {
			r = get_string(tb[NLMSGERR_ATTR_MSG], &msg);
			if (r < 0)
				return r;
		}
	}

	*ret_error = err->error;
	*ret_msg = TAKE_PTR(msg);
	return 0;
}
