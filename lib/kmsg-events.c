/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The recognizer of kmsg-events.h. Every line is matched against the messages' exact
 * formats with a bounded cursor; nothing is copied unless it fits its field.
 *
 * Internal matchers return 0 when the line is theirs and parsed, -ENOMSG when it is
 * not theirs, and otherwise -EBADMSG (theirs, malformed), -ENAMETOOLONG (a field over
 * its cap) or -ERANGE (a CPU >= SN_CPU_SET_MAX), which the caller counts and drops.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg-events.h"
#include "util.h"

/* ---- a cursor over one line ---- */

struct cur {
	const char *p, *end;
};

static size_t left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

static bool at_end(const struct cur *c)
{
	return c->p == c->end;
}

/* Consumes the literal lit if the line continues with it. */
static bool eat(struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	if (left(c) < n || memcmp(c->p, lit, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool ends_with(const struct cur *c, const char *lit)
{
	size_t n = strlen(lit);

	return left(c) >= n && memcmp(c->end - n, lit, n) == 0;
}

/* Whether lit occurs in what is left of the line. */
static bool contains(const struct cur *c, const char *lit)
{
	return memmem(c->p, left(c), lit, strlen(lit)) != NULL;
}

/* At least one decimal digit, at most 20, no overflow. */
static int eat_u64(struct cur *c, uint64_t *ret)
{
	uint64_t v = 0;
	const char *s = c->p;

	if (at_end(c) || !sn_is_digit(*c->p))
		return -EBADMSG;
	for (; !at_end(c) && sn_is_digit(*c->p); c->p++) {
		unsigned d = (unsigned)(*c->p - '0');

		if (c->p - s >= 20 || v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int eat_u32(struct cur *c, uint32_t *ret)
{
	uint64_t v;
	int r;

	r = eat_u64(c, &v);
	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -EBADMSG;
	*ret = (uint32_t)v;
	return 0;
}

static int eat_s64(struct cur *c, int64_t *ret)
{
	bool neg = eat(c, "-");
	uint64_t v;
	int r;

	r = eat_u64(c, &v);
	if (r < 0)
		return r;
	if (v > (uint64_t)INT64_MAX + neg)
		return -EBADMSG;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* 1 to 16 hex digits, with an optional "0x". */
static int eat_hex(struct cur *c, uint64_t *ret, size_t *ret_digits)
{
	uint64_t v = 0;
	size_t n = 0;

	if (left(c) > 2 && c->p[0] == '0' && c->p[1] == 'x' && sn_hex_value(c->p[2]) >= 0)
		c->p += 2;
	for (; !at_end(c) && sn_hex_value(*c->p) >= 0; c->p++, n++) {
		if (n >= 16)
			return -EBADMSG;
		v = v << 4 | (uint64_t)sn_hex_value(*c->p);
	}
	if (n == 0)
		return -EBADMSG;
	*ret = v;
	if (ret_digits)
		*ret_digits = n;
	return 0;
}

/* "0x" and 1 to 16 hex digits. */
static int eat_0x_hex(struct cur *c, uint64_t *ret)
{
	if (left(c) < 3 || c->p[0] != '0' || c->p[1] != 'x')
		return -EBADMSG;
	return eat_hex(c, ret, NULL);
}

/* A CPU number, which must fit the sets. */
static int eat_cpu(struct cur *c, uint32_t *ret)
{
	uint32_t v;
	int r;

	r = eat_u32(c, &v);
	if (r < 0)
		return r;
	if (v >= SN_CPU_SET_MAX)
		return -ERANGE;
	*ret = v;
	return 0;
}

/* Copies [s, s + n) into dst[size] as a string; an empty or overlong field fails. */
static int copy_field(char *dst, size_t size, const char *s, size_t n)
{
	if (n == 0)
		return -EBADMSG;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

static int parse_cpu_list(const char *s, size_t n, struct sn_cpu_set *ret)
{
	int r = sn_cpu_set_parse(s, n, ret);

	return r == -ERANGE ? r : r < 0 ? -EBADMSG : 0;
}

/* ---- the recognizer's state ---- */

enum block_phase {
	PHASE_HEAD,  /* before "Call trace:" */
	PHASE_TRACE, /* frames */
};

struct caller {
	bool known;
	char kind;
	uint32_t id;
};

struct sn_kmsg_events {
	struct sn_kmsg_events_config cfg;
	sn_kmsg_event_handler_t handler;
	void *userdata;
	struct sn_kmsg_events_stats stats;

	bool have_seq;
	uint64_t last_seq;

	/* The record being fed. */
	uint64_t seq, ts;
	struct caller caller;

	bool block_open;
	enum block_phase phase;
	bool block_seen_cpu;
	bool block_interleaved; /* the last line was let through (B3, B4) */
	struct caller block_caller;
	uint64_t block_seq, block_ts, block_last_ts;
	struct sn_kmsg_backtrace block;

	bool stall_open;
	bool stall_exp_open; /* expedited, its " } ..." still to come */
	uint64_t stall_seq, stall_ts;
	struct sn_kmsg_rcu_stall stall;
};

static void count_error(struct sn_kmsg_events *e, int r)
{
	if (r == -ENAMETOOLONG)
		e->stats.overlong++;
	else if (r == -ERANGE)
		e->stats.out_of_range++;
	else
		e->stats.malformed++;
}

static int emit(struct sn_kmsg_events *e, struct sn_kmsg_event *ev)
{
	e->stats.events++;
	return e->handler ? e->handler(ev, e->userdata) : 0;
}

static bool later_than(uint64_t t, uint64_t since, uint64_t delta)
{
	return t > since && t - since > delta;
}

/* ---- the backtrace block ---- */

static bool block_empty(const struct sn_kmsg_backtrace *b)
{
	return !b->comm[0] && !b->has_pid && !b->has_pstate && !b->has_pc && !b->has_lr &&
	       !b->has_sp && !b->pc_sym[0] && !b->lr_sym[0] && !b->has_trace;
}

static int block_end(struct sn_kmsg_events *e, enum sn_kmsg_end end)
{
	struct sn_kmsg_event ev = {
		.type = SN_KMSG_EVENT_BACKTRACE,
		.seq = e->block_seq,
		.ts_usec = e->block_ts,
		.backtrace = &e->block,
	};

	if (!e->block_open)
		return 0;
	e->block_open = false;
	/* The line let through was not another CPU's but after the end. */
	if (e->block_interleaved)
		e->block.n_interleaved--;
	e->block_interleaved = false;
	/* A trace with frames that something other than a limit or a loss ends is whole.
	 */
	if (e->phase == PHASE_TRACE && e->block.n_frames > 0 &&
	    (end == SN_KMSG_END_NEXT || end == SN_KMSG_END_GAP ||
	     end == SN_KMSG_END_FLUSH))
		end = SN_KMSG_END_DONE;
	e->block.end = end;
	if (end == SN_KMSG_END_LIMIT)
		e->stats.truncated++;
	/* B-rules: a lockup's block that caught nothing is not worth an event. */
	if (e->block.origin != SN_KMSG_BT_NMI && block_empty(&e->block))
		return 0;
	return emit(e, &ev);
}

static void block_open(struct sn_kmsg_events *e, enum sn_kmsg_bt_origin origin,
		       uint32_t cpu)
{
	/* Only the fixed part is cleared: the frames are written before they are read. */
	memset(&e->block, 0, offsetof(struct sn_kmsg_backtrace, frames));
	e->block.n_records = 1;
	e->block.end = SN_KMSG_END_DONE;
	e->block.origin = origin;
	e->block.cpu = cpu;
	e->block_open = true;
	e->phase = PHASE_HEAD;
	e->block_seen_cpu = false;
	e->block_interleaved = false;
	e->block_caller = e->caller;
	e->block_seq = e->seq;
	e->block_ts = e->block_last_ts = e->ts;
}

/* "%pS" of pc or lr, or "%016llx" when the registers are a user task's. */
static int parse_pc_lr(struct cur *c, bool *has, uint64_t *value, char *sym)
{
	struct cur h = *c;
	uint64_t v;
	size_t n;

	if (eat_hex(&h, &v, &n) == 0 && n == 16 && at_end(&h)) {
		*has = true;
		*value = v;
		return 0;
	}
	return copy_field(sym, SN_KMSG_SYMBOL_MAX, c->p, left(c));
}

/*
 * "CPU: %d UID: %u PID: %d Comm: %.20s %s%s %s ..." (lib/dump_stack.c): the comm ends
 * where "Kdump: loaded " or print_tainted()'s "Not tainted" / "Tainted: " begins.
 */
static int parse_cpu_line(struct sn_kmsg_backtrace *b, struct cur *c)
{
	static const char *const after_comm[] = { " Kdump: loaded ", " Not tainted",
						  " Tainted: " };
	const char *comm_end = NULL;
	uint32_t uid, pid;
	int r;

	if (!eat(c, " UID: "))
		return -EBADMSG;
	r = eat_u32(c, &uid);
	if (r < 0)
		return r;
	if (!eat(c, " PID: "))
		return -EBADMSG;
	r = eat_u32(c, &pid);
	if (r < 0)
		return r;
	if (!eat(c, " Comm: "))
		return -EBADMSG;
	for (size_t i = 0; i < ELEMENTSOF(after_comm); i++) {
		const char *m =
			memmem(c->p, left(c), after_comm[i], strlen(after_comm[i]));

		if (m && (!comm_end || m < comm_end))
			comm_end = m;
	}
	if (!comm_end)
		return -EBADMSG;
	r = copy_field(b->comm, sizeof(b->comm), c->p, (size_t)(comm_end - c->p));
	if (r < 0)
		return r;
	b->has_pid = true;
	b->pid = pid;
	return 0;
}

/* Lines that may come between a block's header and its "Call trace:" (B3). */
static const char *const head_prefixes[] = {
	"Hardware name: ",
	"Tainted: ",
	"Workqueue: ",
	"Stopper: ",
	"Sched_ext: ",
	"Modules linked in:",
	"irq event stamp: ",
	"hardirqs last  enabled at ",
	"hardirqs last disabled at ",
	"softirqs last  enabled at ",
	"softirqs last disabled at ",
	"CPU#",	 /* the soft lockup's utilization report, watchdog.c:530, :611 */
	"\t#",	 /* its lines, watchdog.c:535, :618 */
	"pmr: ", /* process.c:233 */
};

/* "x%-2d: %016llx" and the registers pr_cont() added (process.c:238). */
static bool is_register_line(struct cur c)
{
	if (!eat(&c, "x") || at_end(&c) || !sn_is_digit(*c.p))
		return false;
	while (!at_end(&c) && sn_is_digit(*c.p))
		c.p++;
	eat(&c, " ");
	return eat(&c, ": ");
}

/* B3: a line before "Call trace:". 0: it belongs to the block; -ENOMSG: it ends it. */
static int block_head_line(struct sn_kmsg_events *e, struct cur c)
{
	struct sn_kmsg_backtrace *b = &e->block;
	uint64_t v;
	int r;

	if (eat(&c, "CPU: ")) {
		uint32_t cpu;

		if (eat_u32(&c, &cpu) < 0 || cpu != b->cpu || e->block_seen_cpu)
			return -ENOMSG;
		e->block_seen_cpu = true;
		r = parse_cpu_line(b, &c);
		if (r < 0)
			count_error(e, r);
		return 0;
	}
	if (eat(&c, "Call trace:")) {
		if (!at_end(&c))
			return -ENOMSG;
		b->has_trace = true;
		e->phase = PHASE_TRACE;
		return 0;
	}
	if (eat(&c, "pstate: ")) {
		r = eat_hex(&c, &v, NULL);
		if (r == 0 && !eat(&c, " ("))
			r = -EBADMSG;
		if (r < 0)
			count_error(e, r);
		else {
			b->has_pstate = true;
			b->pstate = v;
		}
		return 0;
	}
	if (eat(&c, "pc : ")) {
		r = parse_pc_lr(&c, &b->has_pc, &b->pc, b->pc_sym);
		if (r < 0)
			count_error(e, r);
		return 0;
	}
	if (eat(&c, "lr : ")) {
		r = parse_pc_lr(&c, &b->has_lr, &b->lr, b->lr_sym);
		if (r < 0)
			count_error(e, r);
		return 0;
	}
	if (eat(&c, "sp : ")) {
		size_t n;

		r = eat_hex(&c, &v, &n);
		if (r == 0 && (n != 16 || !at_end(&c)))
			r = -EBADMSG;
		if (r < 0)
			count_error(e, r);
		else {
			b->has_sp = true;
			b->sp = v;
		}
		return 0;
	}
	if (is_register_line(c))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(head_prefixes); i++)
		if (eat(&c, head_prefixes[i]))
			return 0;
	return -ENOMSG;
}

/*
 * B4: one frame, " %pSb" and the unwinder's " (P)"-like suffix (stacktrace.c:466):
 * " func+0xoff/0xsize", " func+0xoff/0xsize [module buildid]", or " 0xaddress" when
 * no symbol is known. -ENOMSG when the line is not a frame.
 */
static int parse_frame(struct cur c, struct sn_kmsg_frame *ret)
{
	const char *start, *tok_end, *text_end;
	const char *info = NULL;
	size_t info_len = 0;
	struct cur t;
	uint64_t v;

	if (!eat(&c, " ") || at_end(&c) || *c.p == ' ')
		return -ENOMSG;
	start = c.p;
	tok_end = memchr(c.p, ' ', left(&c));
	if (!tok_end)
		tok_end = c.end;

	/* The token: "0x..." alone, or "name+0x.../0x..." with a non-empty name. */
	t = (struct cur){ .p = start, .end = tok_end };
	if (eat_0x_hex(&t, &v) == 0) {
		if (!at_end(&t))
			return -ENOMSG;
	} else {
		const char *plus = NULL;

		for (const char *p = start; p < tok_end; p++)
			if (*p == '+')
				plus = p;
		if (!plus || plus == start)
			return -ENOMSG;
		t.p = plus + 1;
		if (eat_0x_hex(&t, &v) < 0 || !eat(&t, "/") || eat_0x_hex(&t, &v) < 0 ||
		    !at_end(&t))
			return -ENOMSG;
	}
	c.p = text_end = tok_end;

	/* " [module]" or " [module buildid]" */
	if (eat(&c, " [")) {
		const char *close = memchr(c.p, ']', left(&c));

		if (!close || close == c.p)
			return -ENOMSG;
		c.p = text_end = close + 1;
	}
	/* " (P)", " (CF)": the unwinder's source and flags. */
	if (eat(&c, " (")) {
		info = c.p;
		while (!at_end(&c) && *c.p >= 'A' && *c.p <= 'Z')
			c.p++;
		info_len = (size_t)(c.p - info);
		if (info_len == 0 || info_len >= sizeof(ret->info) || !eat(&c, ")"))
			return -ENOMSG;
	}
	if (!at_end(&c))
		return -ENOMSG;

	if ((size_t)(text_end - start) >= sizeof(ret->text))
		return -ENAMETOOLONG;
	memcpy(ret->text, start, (size_t)(text_end - start));
	ret->text[text_end - start] = '\0';
	memcpy(ret->info, info ? info : "", info_len);
	ret->info[info_len] = '\0';
	return 0;
}

/* B4: 0 when the line is a frame of the block, -ENOMSG when it ends the trace. */
static int block_trace_line(struct sn_kmsg_events *e, struct cur c)
{
	struct sn_kmsg_backtrace *b = &e->block;
	struct sn_kmsg_frame *f =
		b->n_frames < SN_KMSG_MAX_FRAMES ? &b->frames[b->n_frames] : NULL;
	struct sn_kmsg_frame spare;
	int r;

	r = parse_frame(c, f ? f : &spare);
	if (r == -ENOMSG)
		return r;
	if (r < 0) {
		count_error(e, r);
		b->n_frames_dropped++;
		e->stats.frames_dropped++;
	} else if (!f) {
		b->n_frames_dropped++;
		e->stats.frames_dropped++;
	} else {
		b->n_frames++;
	}
	return 0;
}

/* ---- the RCU stall report ---- */

static int stall_end(struct sn_kmsg_events *e, enum sn_kmsg_end end)
{
	struct sn_kmsg_event ev = {
		.type = SN_KMSG_EVENT_RCU_STALL,
		.seq = e->stall_seq,
		.ts_usec = e->stall_ts,
	};

	if (!e->stall_open)
		return 0;
	e->stall_open = false;
	e->stall_exp_open = false;
	e->stall.end = end;
	e->stall.complete = end == SN_KMSG_END_DONE;
	if (!e->stall.complete)
		e->stats.incomplete++;
	ev.rcu_stall = e->stall;
	return emit(e, &ev);
}

/* "rcu: " of kernel/rcu/tree.c's pr_fmt, optional. */
static void eat_rcu_prefix(struct cur *c)
{
	eat(c, "rcu: ");
}

/*
 * "%d-%c%c%c%c" (tree_stall.h:548, tree_exp.h:582): the last character is the irq-work
 * state ("0"-"9", "!", ".", "?") in a normal report and "D"/"." in an expedited one.
 */
static int eat_cpu_state(struct cur *c, bool expedited, uint32_t *ret)
{
	static const char *const sets[4] = { "O.", "o.", "N.", "0123456789!.?" };
	uint32_t cpu;
	int r;

	r = eat_cpu(c, &cpu);
	if (r < 0)
		return r;
	if (!eat(c, "-") || left(c) < 4)
		return -EBADMSG;
	for (size_t i = 0; i < 4; i++) {
		const char *set = i == 3 && expedited ? "D." : sets[i];

		if (!c->p[i] || !strchr(set, c->p[i]))
			return -EBADMSG;
	}
	c->p += 4;
	*ret = cpu;
	return 0;
}

/*
 * R4: the tokens of an expedited report after "{": " %d-%c%c%c%c", " P%d", then
 * " } %lu jiffies s: %lu root: %#lx/%c" (tree_exp.h:582-591). Parses into s; *closed
 * when the summary came.
 */
static int parse_exp_tokens(struct cur c, struct sn_kmsg_rcu_stall *s, bool *closed)
{
	int r;

	*closed = false;
	while (!at_end(&c)) {
		if (!eat(&c, " "))
			return -EBADMSG;
		if (eat(&c, "P")) {
			uint32_t pid;

			r = eat_u32(&c, &pid);
			if (r < 0)
				return r;
			s->n_tasks++;
		} else if (eat(&c, "} ")) {
			uint64_t v;

			r = eat_u64(&c, &s->jiffies);
			if (r < 0)
				return r;
			if (!eat(&c, " jiffies s: "))
				return -EBADMSG;
			r = eat_u64(&c, &s->exp_seq);
			if (r < 0)
				return r;
			if (!eat(&c, " root: "))
				return -EBADMSG;
			r = eat_hex(&c, &v, NULL);
			if (r < 0)
				return r;
			s->root_mask = v;
			if (eat(&c, "/T"))
				s->root_tasks = true;
			else if (!eat(&c, "/."))
				return -EBADMSG;
			if (!at_end(&c))
				return -EBADMSG;
			s->has_exp = true;
			*closed = true;
			return 0;
		} else {
			uint32_t cpu;

			r = eat_cpu_state(&c, true, &cpu);
			if (r < 0)
				return r;
			(void)sn_cpu_set_add(&s->cpus, cpu);
		}
	}
	return 0;
}

/* R2: a line of the open report. 0: taken (or done); -ENOMSG: not the report's. */
static int stall_line(struct sn_kmsg_events *e, struct cur c)
{
	struct sn_kmsg_rcu_stall *s = &e->stall;
	uint32_t cpu;
	int cpu_next, r;

	if (e->stall_exp_open) {
		struct sn_kmsg_rcu_stall tmp = *s;
		bool closed;

		/* A fragment of the report's pr_cont() line: tokens only. */
		if (at_end(&c) || *c.p != ' ' || parse_exp_tokens(c, &tmp, &closed) < 0)
			return -ENOMSG;
		*s = tmp;
		if (closed) {
			e->stall_exp_open = false;
			return stall_end(e, SN_KMSG_END_DONE);
		}
		return 0;
	}
	if (s->kind == SN_KMSG_RCU_STALL_EXPEDITED)
		return -ENOMSG;

	eat_rcu_prefix(&c);
	if (!eat(&c, "\t"))
		return -ENOMSG;

	if (!at_end(&c) && sn_is_digit(*c.p)) {
		r = eat_cpu_state(&c, false, &cpu);
		if (r == 0 && !eat(&c, ": ("))
			r = -EBADMSG;
		if (r < 0) {
			count_error(e, r);
			return 0;
		}
		(void)sn_cpu_set_add(&s->cpus, cpu);
		return 0;
	}
	if (eat(&c, "Tasks blocked on level-")) {
		/* " P%d" or " P%d/%d:%c%c%c%c" per task, after "):" (tree_stall.h:338).
		 */
		const char *colon = memmem(c.p, left(&c), "):", 2);

		if (!colon) {
			count_error(e, -EBADMSG);
			return 0;
		}
		for (const char *p = colon + 2; p + 1 < c.end; p++)
			if (p[0] == ' ' && p[1] == 'P')
				s->n_tasks++;
		return 0;
	}
	if (s->kind == SN_KMSG_RCU_STALL_OTHER_CPU && eat(&c, "(detected by ")) {
		/* "\t(detected by %d, t=%ld jiffies, g=%ld, q=%lu ncpus=%d)" (:671) */
		int64_t t;

		r = eat_cpu(&c, &s->detector_cpu);
		if (r == 0 && !eat(&c, ", t="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_s64(&c, &t);
		if (r == 0 && (t < 0 || !eat(&c, " jiffies, g=")))
			r = -EBADMSG;
		if (r == 0)
			r = eat_s64(&c, &s->gp_seq);
		if (r == 0 && !eat(&c, ", q="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_u64(&c, &s->qlen);
		if (r == 0 && !eat(&c, " ncpus="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_u32(&c, &s->ncpus);
		if (r == 0 && (!eat(&c, ")") || !at_end(&c)))
			r = -EBADMSG;
		if (r < 0) {
			count_error(e, r);
			return 0;
		}
		s->jiffies = (uint64_t)t;
		s->has_detector = s->has_gp = true;
		return stall_end(e, SN_KMSG_END_DONE);
	}
	if (s->kind == SN_KMSG_RCU_STALL_SELF && eat(&c, "(t=")) {
		/* "\t(t=%lu jiffies g=%ld q=%lu ncpus=%d)" (:737) */
		r = eat_u64(&c, &s->jiffies);
		if (r == 0 && !eat(&c, " jiffies g="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_s64(&c, &s->gp_seq);
		if (r == 0 && !eat(&c, " q="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_u64(&c, &s->qlen);
		if (r == 0 && !eat(&c, " ncpus="))
			r = -EBADMSG;
		if (r == 0)
			r = eat_u32(&c, &s->ncpus);
		if (r == 0 && (!eat(&c, ")") || !at_end(&c)))
			r = -EBADMSG;
		if (r < 0) {
			count_error(e, r);
			return 0;
		}
		s->has_gp = true;
		cpu_next = sn_cpu_set_next(&s->cpus, 0);
		r = stall_end(e, SN_KMSG_END_DONE);
		/* Its registers may follow, without a header (tree_stall.h:745). */
		if (cpu_next >= 0 && !e->block_open)
			block_open(e, SN_KMSG_BT_RCU_STALL, (uint32_t)cpu_next);
		return r;
	}
	return -ENOMSG;
}

/* ---- headers: the lines that start an event ---- */

enum header_kind {
	HDR_NONE = 0,
	HDR_EVENT,     /* a one-line event, in hdr->ev */
	HDR_HARD,      /* hard lockup; a block follows when a CPU saw itself */
	HDR_SOFT,      /* soft lockup; a block follows */
	HDR_RCU,       /* an RCU stall report begins (or is whole: suppressed) */
	HDR_NMI_BT,    /* "NMI backtrace for cpu %d"; a block follows */
	HDR_NMI_IDLE,  /* "... skipped: idling at %pS" */
	HDR_TASK,      /* "task:%-15.15s state:%c ... pid:%d"; a task's block follows */
	HDR_MALFORMED, /* a known beginning that did not parse: still a header (B3) */
};

struct header {
	enum header_kind kind;
	struct sn_kmsg_event ev;
	bool exp_closed;
	uint32_t cpu;		     /* HDR_NMI_BT, HDR_NMI_IDLE */
	uint32_t pid;		     /* HDR_TASK */
	char comm[SN_KMSG_COMM_MAX]; /* HDR_TASK */
	const char *sym;	     /* HDR_NMI_IDLE: in the line */
	size_t sym_len;
};

/* "watchdog: CPU%u: Watchdog detected hard LOCKUP on cpu %u" (watchdog.c:267). */
static int match_hard_lockup(struct cur c, struct header *h)
{
	int r;

	if (!contains(&c, "Watchdog detected hard LOCKUP on cpu "))
		return -ENOMSG;
	h->ev.type = SN_KMSG_EVENT_HARD_LOCKUP;
	if (eat(&c, "watchdog: CPU")) {
		r = eat_cpu(&c, &h->ev.hard_lockup.detector_cpu);
		if (r < 0)
			return r;
		if (!eat(&c, ": Watchdog detected hard LOCKUP on cpu "))
			return -EBADMSG;
		r = eat_cpu(&c, &h->ev.hard_lockup.cpu);
	} else if (eat(&c, "NMI watchdog: Watchdog detected hard LOCKUP on cpu ")) {
		/* The perf detector before the buddy one: a CPU reports itself. */
		r = eat_cpu(&c, &h->ev.hard_lockup.cpu);
		h->ev.hard_lockup.detector_cpu = h->ev.hard_lockup.cpu;
	} else {
		return -EBADMSG;
	}
	if (r < 0)
		return r;
	if (!at_end(&c))
		return -EBADMSG;
	h->kind = HDR_HARD;
	return 0;
}

/* "watchdog: BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]" (watchdog.c:884). */
static int match_soft_lockup(struct cur c, struct header *h)
{
	const char *open, *colon;
	struct cur pid;
	int r;

	eat(&c, "watchdog: ");
	if (!eat(&c, "BUG: soft lockup - CPU#"))
		return -ENOMSG;
	h->ev.type = SN_KMSG_EVENT_SOFT_LOCKUP;
	r = eat_cpu(&c, &h->ev.soft_lockup.cpu);
	if (r < 0)
		return r;
	if (!eat(&c, " stuck for "))
		return -EBADMSG;
	r = eat_u32(&c, &h->ev.soft_lockup.seconds);
	if (r < 0)
		return r;
	if (!eat(&c, "s! [") || !ends_with(&c, "]"))
		return -EBADMSG;
	/* The comm may hold ':' and ']': the pid is after the last ':'. */
	open = c.p;
	colon = NULL;
	for (const char *p = open; p < c.end - 1; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return -EBADMSG;
	pid = (struct cur){ .p = colon + 1, .end = c.end - 1 };
	r = eat_u32(&pid, &h->ev.soft_lockup.pid);
	if (r < 0)
		return r;
	if (!at_end(&pid))
		return -EBADMSG;
	r = copy_field(h->ev.soft_lockup.comm, sizeof(h->ev.soft_lockup.comm), open,
		       (size_t)(colon - open));
	if (r < 0)
		return r;
	h->kind = HDR_SOFT;
	return 0;
}

/*
 * "INFO: task %s:%d blocked%s for more than %ld seconds." (hung_task.c:253), parsed
 * from the end since the comm may hold anything.
 */
static int match_hung_task(struct cur c, struct header *h)
{
	static const char *const tails[] = { " blocked in I/O wait for more than ",
					     " blocked for more than " };
	const char *num, *colon = NULL, *tail = NULL;
	struct cur n;
	int64_t secs;
	int r;

	if (!eat(&c, "INFO: task ") || !ends_with(&c, " seconds."))
		return -ENOMSG;
	c.end -= strlen(" seconds.");
	for (num = c.end; num > c.p && (sn_is_digit(num[-1]) || num[-1] == '-'); num--)
		;
	for (size_t i = 0; i < ELEMENTSOF(tails) && !tail; i++) {
		size_t len = strlen(tails[i]);

		if ((size_t)(num - c.p) >= len && memcmp(num - len, tails[i], len) == 0) {
			tail = num - len;
			h->ev.hung_task.io_wait = i == 0;
		}
	}
	if (!tail)
		return -ENOMSG; /* another "INFO: task" message */
	h->ev.type = SN_KMSG_EVENT_HUNG_TASK;
	n = (struct cur){ .p = num, .end = c.end };
	r = eat_s64(&n, &secs);
	if (r < 0)
		return r;
	if (secs < 0 || !at_end(&n))
		return -EBADMSG;
	h->ev.hung_task.seconds = (uint64_t)secs;

	for (const char *p = c.p; p < tail; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return -EBADMSG;
	n = (struct cur){ .p = colon + 1, .end = tail };
	r = eat_u32(&n, &h->ev.hung_task.pid);
	if (r < 0)
		return r;
	if (!at_end(&n))
		return -EBADMSG;
	r = copy_field(h->ev.hung_task.comm, sizeof(h->ev.hung_task.comm), c.p,
		       (size_t)(colon - c.p));
	if (r < 0)
		return r;
	h->kind = HDR_EVENT;
	return 0;
}

/* The RCU stall headers (tree_stall.h:655, :731, :849; tree_exp.h:567, :570). */
static int match_rcu_stall(struct cur c, struct header *h)
{
	static const struct {
		const char *text;
		enum sn_kmsg_rcu_stall_kind kind;
		bool suppressed;
		bool tokens; /* the expedited CPU list follows */
	} forms[] = {
		{ " detected stalls on CPUs/tasks:", SN_KMSG_RCU_STALL_OTHER_CPU, false,
		  false },
		{ " self-detected stall on CPU", SN_KMSG_RCU_STALL_SELF, false, false },
		{ " detected expedited stalls on CPUs/tasks: {",
		  SN_KMSG_RCU_STALL_EXPEDITED, false, true },
		{ " detected stall, but suppressed full report due to a stuck CSD-lock.",
		  SN_KMSG_RCU_STALL_OTHER_CPU, true, false },
		{ " detected expedited stalls, but suppressed full report due to a stuck "
		  "CSD-lock.",
		  SN_KMSG_RCU_STALL_EXPEDITED, true, false },
	};
	struct sn_kmsg_rcu_stall *s = &h->ev.rcu_stall;
	const char *flavor;
	size_t flavor_len;
	int r;

	eat_rcu_prefix(&c);
	if (!eat(&c, "INFO: "))
		return -ENOMSG;
	flavor = c.p;
	while (!at_end(&c) &&
	       ((*c.p >= 'a' && *c.p <= 'z') || sn_is_digit(*c.p) || *c.p == '_'))
		c.p++;
	flavor_len = (size_t)(c.p - flavor);
	if (flavor_len == 0)
		return -ENOMSG;

	for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
		struct cur t = c;

		if (!eat(&t, forms[i].text) || (!forms[i].tokens && !at_end(&t)))
			continue;
		h->ev.type = SN_KMSG_EVENT_RCU_STALL;
		r = copy_field(s->flavor, sizeof(s->flavor), flavor, flavor_len);
		if (r < 0)
			return r;
		s->kind = forms[i].kind;
		s->suppressed = forms[i].suppressed;
		if (forms[i].tokens) {
			r = parse_exp_tokens(t, s, &h->exp_closed);
			if (r < 0)
				return r;
		}
		h->kind = HDR_RCU;
		return 0;
	}
	return -ENOMSG;
}

/* "Sending NMI from CPU %d to CPUs %*pbl:" (lib/nmi_backtrace.c). */
static int match_nmi_send(struct cur c, struct header *h)
{
	int r;

	if (!eat(&c, "Sending NMI from CPU "))
		return -ENOMSG;
	h->ev.type = SN_KMSG_EVENT_NMI_SEND;
	r = eat_cpu(&c, &h->ev.nmi_send.from_cpu);
	if (r < 0)
		return r;
	if (!eat(&c, " to CPUs ") || !ends_with(&c, ":"))
		return -EBADMSG;
	r = parse_cpu_list(c.p, left(&c) - 1, &h->ev.nmi_send.cpus);
	if (r < 0)
		return r;
	h->kind = HDR_EVENT;
	return 0;
}

/*
 * "After 10 seconds, these CPUS still haven't responded to the NMI: %*pbl"
 * (lib/nmi_backtrace.c, NMI_BT_TIMEOUT_SEC stringified).
 */
static int match_nmi_timeout(struct cur c, struct header *h)
{
	int r;

	if (!eat(&c, "After ") || !contains(&c, " seconds, these CPUS still haven't "
						"responded to the NMI: "))
		return -ENOMSG;
	h->ev.type = SN_KMSG_EVENT_NMI_TIMEOUT;
	r = eat_u32(&c, &h->ev.nmi_timeout.seconds);
	if (r < 0)
		return r;
	if (!eat(&c, " seconds, these CPUS still haven't responded to the NMI: "))
		return -EBADMSG;
	r = parse_cpu_list(c.p, left(&c), &h->ev.nmi_timeout.cpus);
	if (r < 0)
		return r;
	h->kind = HDR_EVENT;
	return 0;
}

/*
 * "NMI backtrace for cpu %d" and "NMI backtrace for cpu %d skipped: idling at %pS"
 * (lib/nmi_backtrace.c: nmi_cpu_backtrace()).
 */
static int match_nmi_backtrace(struct cur c, struct header *h)
{
	int r;

	if (!eat(&c, "NMI backtrace for cpu "))
		return -ENOMSG;
	r = eat_cpu(&c, &h->cpu);
	if (r < 0)
		return r;
	if (at_end(&c)) {
		h->kind = HDR_NMI_BT;
		return 0;
	}
	if (!eat(&c, " skipped: idling at ") || at_end(&c))
		return -EBADMSG;
	if (left(&c) >= SN_KMSG_SYMBOL_MAX)
		return -ENAMETOOLONG;
	h->sym = c.p;
	h->sym_len = left(&c);
	h->kind = HDR_NMI_IDLE;
	return 0;
}

/*
 * "task:%-15.15s state:%c" then " stack:%-5lu pid:%-5d tgid:%-5d ..." (sched_show_task(),
 * kernel/sched/core.c): the comm is exactly 15 bytes wide, padded with spaces.
 */
static int match_task(struct cur c, struct header *h)
{
	struct cur pid;
	size_t n = 15;
	const char *p;
	int r;

	if (!eat(&c, "task:"))
		return -ENOMSG;
	if (left(&c) < 15 + strlen(" state:"))
		return -EBADMSG;
	while (n > 0 && c.p[n - 1] == ' ')
		n--;
	r = copy_field(h->comm, sizeof(h->comm), c.p, n);
	if (r < 0)
		return r;
	c.p += 15;
	if (!eat(&c, " state:"))
		return -EBADMSG;
	p = memmem(c.p, left(&c), " pid:", 5);
	if (!p)
		return -EBADMSG;
	pid = (struct cur){ .p = p + 5, .end = c.end };
	r = eat_u32(&pid, &h->pid);
	if (r < 0)
		return r;
	if (!at_end(&pid) && *pid.p != ' ')
		return -EBADMSG;
	h->kind = HDR_TASK;
	return 0;
}

/* Which event, if any, the line starts; a malformed one is counted here. */
static void match_header(struct sn_kmsg_events *e, struct cur c, struct header *h)
{
	static int (*const matchers[])(struct cur, struct header *) = {
		match_nmi_backtrace, match_nmi_send,  match_hard_lockup,
		match_soft_lockup,   match_rcu_stall, match_hung_task,
		match_nmi_timeout,   match_task,
	};

	*h = (struct header){ .kind = HDR_NONE };
	for (size_t i = 0; i < ELEMENTSOF(matchers); i++) {
		int r = matchers[i](c, h);

		if (r == -ENOMSG)
			continue;
		if (r < 0) {
			count_error(e, r);
			h->kind = HDR_MALFORMED;
		}
		return;
	}
}

/* ---- feeding ---- */

static bool same_caller(const struct caller *a, const struct caller *b)
{
	return !a->known || !b->known || (a->kind == b->kind && a->id == b->id);
}

static bool opens_block(const struct header *h)
{
	return h->kind == HDR_NMI_BT || h->kind == HDR_NMI_IDLE || h->kind == HDR_SOFT ||
	       h->kind == HDR_TASK ||
	       (h->kind == HDR_HARD &&
		h->ev.hard_lockup.cpu == h->ev.hard_lockup.detector_cpu);
}

static int process_header(struct sn_kmsg_events *e, struct header *h)
{
	int r;

	h->ev.seq = e->seq;
	h->ev.ts_usec = e->ts;

	switch (h->kind) {
	case HDR_EVENT:
		return emit(e, &h->ev);
	case HDR_HARD:
		r = emit(e, &h->ev);
		if (h->ev.hard_lockup.cpu == h->ev.hard_lockup.detector_cpu)
			block_open(e, SN_KMSG_BT_HARD_LOCKUP, h->ev.hard_lockup.cpu);
		return r;
	case HDR_SOFT:
		r = emit(e, &h->ev);
		block_open(e, SN_KMSG_BT_SOFT_LOCKUP, h->ev.soft_lockup.cpu);
		return r;
	case HDR_NMI_BT:
		block_open(e, SN_KMSG_BT_NMI, h->cpu);
		return 0;
	case HDR_TASK:
		block_open(e, SN_KMSG_BT_TASK, SN_KMSG_BT_NO_CPU);
		memcpy(e->block.comm, h->comm, sizeof(e->block.comm));
		e->block.has_pid = true;
		e->block.pid = h->pid;
		return 0;
	case HDR_NMI_IDLE:
		block_open(e, SN_KMSG_BT_NMI, h->cpu);
		e->block.idle = true;
		memcpy(e->block.pc_sym, h->sym, h->sym_len);
		e->block.pc_sym[h->sym_len] = '\0';
		return block_end(e, SN_KMSG_END_DONE);
	case HDR_RCU:
		r = stall_end(e, SN_KMSG_END_NEXT);
		e->stall = h->ev.rcu_stall;
		e->stall_open = true;
		e->stall_seq = e->seq;
		e->stall_ts = e->ts;
		e->stall_exp_open = e->stall.kind == SN_KMSG_RCU_STALL_EXPEDITED &&
				    !e->stall.suppressed && !h->exp_closed;
		if (e->stall.suppressed || h->exp_closed) {
			int k = stall_end(e, SN_KMSG_END_DONE);

			return r < 0 ? r : k;
		}
		return r;
	default:
		return 0;
	}
}

static int process_line(struct sn_kmsg_events *e, const char *line, size_t len)
{
	struct cur c = { .p = line, .end = line + len };
	struct header h;
	int r = 0, k;

	match_header(e, c, &h);

	if (e->block_open) {
		if (same_caller(&e->block_caller, &e->caller)) {
			if (h.kind == HDR_NONE &&
			    (e->phase == PHASE_TRACE ? block_trace_line(e, c) :
						       block_head_line(e, c)) == 0)
				goto taken;
			if (h.kind == HDR_NONE && !e->caller.known &&
			    !e->block_interleaved &&
			    e->block.n_interleaved < SN_KMSG_BLOCK_MAX_INTERLEAVED) {
				/* B3, B4: another CPU's? The next line tells. */
				e->block_interleaved = true;
				e->block.n_interleaved++;
			} else {
				r = block_end(e, SN_KMSG_END_NEXT);
			}
		} else if (opens_block(&h)) {
			/* B2: one block at a time; another caller's new block ends it. */
			r = block_end(e, SN_KMSG_END_NEXT);
		}
	}

	if (e->stall_open && h.kind == HDR_NONE) {
		k = stall_line(e, c);
		if (k != -ENOMSG)
			return r < 0 ? r : k;
	}

	k = process_header(e, &h);
	return r < 0 ? r : k;

taken:
	e->block_interleaved = false;
	e->block_last_ts = e->ts;
	if (++e->block.n_records >= e->cfg.block_max_records)
		return block_end(e, SN_KMSG_END_LIMIT);
	return 0;
}

/* B5, R3: what timed out by now. */
static int expire(struct sn_kmsg_events *e, uint64_t now)
{
	int r = 0, k;

	if (e->block_open && later_than(now, e->block_last_ts, e->cfg.block_gap_usec))
		r = block_end(e, SN_KMSG_END_GAP);
	if (e->stall_open && later_than(now, e->stall_ts, e->cfg.pending_timeout_usec)) {
		k = stall_end(e, SN_KMSG_END_GAP);
		if (r == 0)
			r = k;
	}
	return r;
}

static int end_all(struct sn_kmsg_events *e, enum sn_kmsg_end end)
{
	int r, k;

	r = block_end(e, end);
	k = stall_end(e, end);
	return r < 0 ? r : k;
}

/* A lowercase UUID of version 4 (what sdei-nmictl draws). */
static int eat_uuid(struct cur *c, char *ret)
{
	static const char form[] = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx";

	if (left(c) < SN_KMSG_SYNTHETIC_ID_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < SN_KMSG_SYNTHETIC_ID_LEN; i++) {
		char ch = c->p[i];
		bool hex = sn_is_digit(ch) || (ch >= 'a' && ch <= 'f');

		bool variant = ch == '8' || ch == '9' || ch == 'a' || ch == 'b';

		if (form[i] == 'x' ? !hex : form[i] == 'y' ? !variant : ch != form[i])
			return -EBADMSG;
	}
	memcpy(ret, c->p, SN_KMSG_SYNTHETIC_ID_LEN);
	ret[SN_KMSG_SYNTHETIC_ID_LEN] = '\0';
	c->p += SN_KMSG_SYNTHETIC_ID_LEN;
	return 0;
}

/* SN_KMSG_SYNTHETIC_FORMAT, the whole record. */
static int match_synthetic(struct cur c, struct sn_kmsg_event *ev)
{
	int r;

	if (!eat(&c, "sdei-nmi: synthetic incident "))
		return -ENOMSG;
	r = eat_uuid(&c, ev->synthetic.id);
	if (r < 0)
		return r;
	if (!eat(&c, " requested by sdei-nmictl (uid "))
		return -EBADMSG;
	r = eat_u32(&c, &ev->synthetic.uid);
	if (r < 0)
		return r;
	if (!eat(&c, ")") || !at_end(&c))
		return -EBADMSG;
	return 0;
}

/* A writer's record: a synthetic incident, or ignored. */
static int feed_foreign(struct sn_kmsg_events *e, uint64_t seq, uint64_t ts,
			const char *text, size_t len)
{
	struct sn_kmsg_event ev = {
		.type = SN_KMSG_EVENT_SYNTHETIC,
		.seq = seq,
		.ts_usec = ts,
	};
	int r = match_synthetic((struct cur){ .p = text, .end = text + len }, &ev);

	if (r == -ENOMSG) {
		e->stats.foreign++;
		return 0;
	}
	if (r < 0) {
		count_error(e, r);
		return 0;
	}
	return emit(e, &ev);
}

static int feed(struct sn_kmsg_events *e, uint64_t seq, uint64_t ts,
		const struct caller *caller, const char *text, size_t len, bool foreign)
{
	int r = 0, k;

	e->stats.records++;
	if (e->have_seq && seq <= e->last_seq) {
		e->stats.out_of_order++;
		return 0;
	}
	if (e->have_seq && seq - e->last_seq > 1) {
		e->stats.lost += seq - e->last_seq - 1;
		r = end_all(e, SN_KMSG_END_LOST);
	}
	e->have_seq = true;
	e->last_seq = seq;
	if (foreign) {
		k = feed_foreign(e, seq, ts, text, len);
		return r < 0 ? r : k;
	}

	k = expire(e, ts);
	if (r == 0)
		r = k;

	e->seq = seq;
	e->ts = ts;
	e->caller = *caller;

	/* One line at a time; a trailing '\n' does not make an empty line. */
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;

		k = process_line(e, p, (size_t)(stop - p));
		if (r == 0)
			r = k;
		p = nl ? nl + 1 : end;
	}
	return r;
}

int sn_kmsg_events_feed(struct sn_kmsg_events *e, const struct sn_kmsg_record *rec)
{
	struct caller caller = {
		.known = rec->has_caller,
		.kind = rec->caller_kind,
		.id = rec->caller_id,
	};
	size_t len = strnlen(rec->message, sizeof(rec->message));

	/* Only the kernel writes facility 0 (LOG_KERN): anything else is a writer's. */
	return feed(e, rec->seq, rec->ts_usec, &caller, rec->message, len,
		    rec->has_prio && rec->facility != 0);
}

int sn_kmsg_events_feed_text(struct sn_kmsg_events *e, uint64_t seq, uint64_t ts_usec,
			     const char *text)
{
	struct caller caller = {};

	if (!text)
		return -EINVAL;
	return feed(e, seq, ts_usec, &caller, text, strnlen(text, SN_KMSG_MESSAGE_MAX),
		    false);
}

int sn_kmsg_events_tick(struct sn_kmsg_events *e, uint64_t now_usec)
{
	return expire(e, now_usec);
}

int sn_kmsg_events_flush(struct sn_kmsg_events *e)
{
	return end_all(e, SN_KMSG_END_FLUSH);
}

static uint64_t deadline(uint64_t since, uint64_t delta)
{
	return since > UINT64_MAX - delta - 1 ? UINT64_MAX : since + delta + 1;
}

uint64_t sn_kmsg_events_resume_seq(const struct sn_kmsg_events *e)
{
	uint64_t seq = UINT64_MAX;

	if (e->block_open)
		seq = e->block_seq;
	if (e->stall_open && e->stall_seq < seq)
		seq = e->stall_seq;
	return seq;
}

uint64_t sn_kmsg_events_next_deadline(const struct sn_kmsg_events *e)
{
	uint64_t d = 0;

	if (e->block_open)
		d = deadline(e->block_last_ts, e->cfg.block_gap_usec);
	if (e->stall_open) {
		uint64_t s = deadline(e->stall_ts, e->cfg.pending_timeout_usec);

		if (d == 0 || s < d)
			d = s;
	}
	return d;
}

void sn_kmsg_events_get_stats(const struct sn_kmsg_events *e,
			      struct sn_kmsg_events_stats *ret)
{
	*ret = e->stats;
}

int sn_kmsg_events_new(const struct sn_kmsg_events_config *cfg,
		       sn_kmsg_event_handler_t handler, void *userdata,
		       struct sn_kmsg_events **ret)
{
	struct sn_kmsg_events *e;

	if (!ret)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (cfg)
		e->cfg = *cfg;
	if (e->cfg.block_gap_usec == 0)
		e->cfg.block_gap_usec = SN_KMSG_BLOCK_GAP_USEC;
	if (e->cfg.pending_timeout_usec == 0)
		e->cfg.pending_timeout_usec = SN_KMSG_PENDING_TIMEOUT_USEC;
	if (e->cfg.block_max_records == 0)
		e->cfg.block_max_records = SN_KMSG_BLOCK_MAX_RECORDS;
	e->handler = handler;
	e->userdata = userdata;
	*ret = e;
	return 0;
}

struct sn_kmsg_events *sn_kmsg_events_free(struct sn_kmsg_events *e)
{
	free(e);
	return NULL;
}

const char *sn_kmsg_event_type_to_string(enum sn_kmsg_event_type t)
{
	switch (t) {
	case SN_KMSG_EVENT_HARD_LOCKUP:
		return "hard-lockup";
	case SN_KMSG_EVENT_SOFT_LOCKUP:
		return "soft-lockup";
	case SN_KMSG_EVENT_HUNG_TASK:
		return "hung-task";
	case SN_KMSG_EVENT_RCU_STALL:
		return "rcu-stall";
	case SN_KMSG_EVENT_NMI_SEND:
		return "nmi-send";
	case SN_KMSG_EVENT_NMI_TIMEOUT:
		return "nmi-timeout";
	case SN_KMSG_EVENT_BACKTRACE:
		return "backtrace";
	case SN_KMSG_EVENT_SYNTHETIC:
		return "synthetic";
	}
	return NULL;
}

const char *sn_kmsg_rcu_stall_kind_to_string(enum sn_kmsg_rcu_stall_kind k)
{
	switch (k) {
	case SN_KMSG_RCU_STALL_OTHER_CPU:
		return "other-cpu";
	case SN_KMSG_RCU_STALL_SELF:
		return "self-detected";
	case SN_KMSG_RCU_STALL_EXPEDITED:
		return "expedited";
	}
	return NULL;
}

const char *sn_kmsg_bt_origin_to_string(enum sn_kmsg_bt_origin o)
{
	switch (o) {
	case SN_KMSG_BT_NMI:
		return "nmi";
	case SN_KMSG_BT_SOFT_LOCKUP:
		return "soft-lockup";
	case SN_KMSG_BT_HARD_LOCKUP:
		return "hard-lockup";
	case SN_KMSG_BT_RCU_STALL:
		return "rcu-stall";
	case SN_KMSG_BT_TASK:
		return "task";
	}
	return NULL;
}

const char *sn_kmsg_end_to_string(enum sn_kmsg_end end)
{
	switch (end) {
	case SN_KMSG_END_DONE:
		return "done";
	case SN_KMSG_END_NEXT:
		return "next";
	case SN_KMSG_END_GAP:
		return "gap";
	case SN_KMSG_END_LIMIT:
		return "limit";
	case SN_KMSG_END_LOST:
		return "lost";
	case SN_KMSG_END_FLUSH:
		return "flush";
	}
	return NULL;
}
