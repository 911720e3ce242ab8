/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BPF source's records, checked: see bpf-event.h. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf-event.h"
#include "macro.h"

_Static_assert(sizeof(struct stalls_backtrace_event) ==
		       sizeof(struct stalls_header) + 16 +
			       8 * (STALLS_CPUMASK_WORDS + STALLS_MAX_FRAMES),
	       "bpf/stalls.h changed: check the parser");

static const char *const type_names[] = {
	[SN_BPF_EVENT_RCU_STALL] = "rcu-stall",
	[SN_BPF_EVENT_HUNG_TASK] = "hung-task",
	[SN_BPF_EVENT_BACKTRACE] = "backtrace",
};

static const char *const rcu_kind_names[] = {
	[SN_BPF_RCU_UNKNOWN] = "unknown",
	[SN_BPF_RCU_OTHER_CPU] = "other-cpu",
	[SN_BPF_RCU_SELF] = "self",
	[SN_BPF_RCU_EXPEDITED] = "expedited",
};

const char *sn_bpf_event_type_to_string(enum sn_bpf_event_type t)
{
	return (unsigned)t < ELEMENTSOF(type_names) ? type_names[t] : NULL;
}

const char *sn_bpf_rcu_kind_to_string(enum sn_bpf_rcu_kind k)
{
	return (unsigned)k < ELEMENTSOF(rcu_kind_names) ? rcu_kind_names[k] : NULL;
}

/* A string field: NUL-terminated within its size. */
static int copy_string(char *dst, const char *src, size_t size)
{
	if (!memchr(src, '\0', size))
		return -EBADMSG;
	memcpy(dst, src, size);
	return 0;
}

static int parse_header(const struct stalls_header *h, struct sn_bpf_event *ev)
{
	if (h->cpu >= SN_CPU_SET_MAX)
		return -EBADMSG;
	ev->type = h->type;
	ev->cpu = h->cpu;
	ev->ts_usec = h->ts_ns / 1000;
	ev->pid = h->pid;
	ev->tgid = h->tgid;
	return copy_string(ev->comm, h->comm, sizeof(h->comm));
}

static enum sn_bpf_rcu_kind rcu_kind(const char *msg)
{
	if (strcmp(msg, "StallDetected") == 0)
		return SN_BPF_RCU_OTHER_CPU;
	if (strcmp(msg, "SelfDetected") == 0)
		return SN_BPF_RCU_SELF;
	if (strcmp(msg, "ExpeditedStall") == 0)
		return SN_BPF_RCU_EXPEDITED;
	return SN_BPF_RCU_UNKNOWN;
}

static int parse_backtrace(const struct stalls_backtrace_event *b,
			   struct sn_bpf_event *ev)
{
	uint64_t words = b->mask_bytes / 8;

	if (b->mask_bytes > sizeof(b->mask) || b->mask_bytes % 8 != 0)
		return -EBADMSG;
	if (b->exclude_cpu < -1 || b->exclude_cpu >= SN_CPU_SET_MAX)
		return -EBADMSG;
	ev->backtrace.exclude_cpu = b->exclude_cpu;
	ev->backtrace.targets = (struct sn_cpu_set){};
	for (uint64_t w = 0; w < words && w < ELEMENTSOF(ev->backtrace.targets.bits); w++)
		ev->backtrace.targets.bits[w] = b->mask[w];
	if (b->exclude_cpu >= 0)
		ev->backtrace.targets.bits[b->exclude_cpu / 64] &=
			~(UINT64_C(1) << (b->exclude_cpu % 64));

	ev->backtrace.stack_error = 0;
	ev->backtrace.n_frames = 0;
	if (b->stack_bytes < 0) {
		if (b->stack_bytes < -4095)
			return -EBADMSG;
		ev->backtrace.stack_error = (int)b->stack_bytes;
		return 0;
	}
	if ((uint64_t)b->stack_bytes > sizeof(b->stack) || b->stack_bytes % 8 != 0)
		return -EBADMSG;
	ev->backtrace.n_frames = (size_t)b->stack_bytes / 8;
	memcpy(ev->backtrace.frames, b->stack, (size_t)b->stack_bytes);
	return 0;
}

int sn_bpf_event_parse(const void *data, size_t size, struct sn_bpf_event *ret)
{
	struct stalls_header h;
	struct sn_bpf_event ev = {};
	int r;

	if (size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, data, sizeof(h)); /* the ring buffer aligns to 8; be safe anyway */
	switch (h.type) {
	case STALLS_EVENT_RCU_STALL: {
		struct stalls_rcu_event e;

		if (size != sizeof(e))
			return -EBADMSG;
		memcpy(&e, data, sizeof(e));
		if ((r = parse_header(&e.h, &ev)) < 0 ||
		    (r = copy_string(ev.rcu.rcuname, e.rcuname, sizeof(e.rcuname))) < 0 ||
		    (r = copy_string(ev.rcu.msg, e.msg, sizeof(e.msg))) < 0)
			return r;
		ev.rcu.kind = rcu_kind(ev.rcu.msg);
		break;
	}
	case STALLS_EVENT_HUNG_TASK: {
		struct stalls_hang_event e;

		if (size != sizeof(e))
			return -EBADMSG;
		memcpy(&e, data, sizeof(e));
		if ((r = parse_header(&e.h, &ev)) < 0 ||
		    (r = copy_string(ev.hang.comm, e.comm, sizeof(e.comm))) < 0)
			return r;
		if (e.flags & ~(uint32_t)STALLS_HANG_IOWAIT)
			return -EBADMSG;
		ev.hang.pid = e.pid;
		ev.hang.tgid = e.tgid;
		ev.hang.state = e.state;
		ev.hang.iowait = e.flags & STALLS_HANG_IOWAIT;
		break;
	}
	case STALLS_EVENT_BACKTRACE: {
		/* 840 bytes: not on the stack twice */
		const struct stalls_backtrace_event *e = data;
		struct stalls_header eh;

		if (size != sizeof(*e))
			return -EBADMSG;
		memcpy(&eh, data, sizeof(eh));
		if ((r = parse_header(&eh, &ev)) < 0 || (r = parse_backtrace(e, &ev)) < 0)
			return r;
		break;
	}
	default:
		return -EPROTO;
	}
	*ret = ev;
	return 0;
}

static enum sn_incident_kind kind_of_caller(enum sn_bt_caller c)
{
	switch (c) {
	case SN_BT_CALLER_HARD_LOCKUP:
		return SN_INCIDENT_HARD_LOCKUP;
	case SN_BT_CALLER_SOFT_LOCKUP:
		return SN_INCIDENT_SOFT_LOCKUP;
	case SN_BT_CALLER_RCU:
		return SN_INCIDENT_RCU_STALL;
	case SN_BT_CALLER_HUNG_TASK:
		return SN_INCIDENT_HUNG_TASK;
	default:
		return SN_INCIDENT_OTHER;
	}
}

void sn_bpf_event_to_signal(const struct sn_bpf_event *ev, const struct sn_ksyms *ksyms,
			    struct sn_incident_signal *ret_sig,
			    struct sn_incident_trigger *trigger_buf)
{
	struct sn_incident_signal sig = { .ts_usec = ev->ts_usec };
	struct sn_bt_caller_result res;

	switch (ev->type) {
	case SN_BPF_EVENT_RCU_STALL:
		sig.kind = SN_INCIDENT_RCU_STALL;
		sig.detector = "rcu";
		if (ev->rcu.kind == SN_BPF_RCU_SELF) {
			sig.has_cpus = true;
			(void)sn_cpu_set_add(&sig.cpus, ev->cpu);
		}
		break;
	case SN_BPF_EVENT_HUNG_TASK:
		sig.kind = SN_INCIDENT_HUNG_TASK;
		sig.detector = "hung_task";
		break;
	case SN_BPF_EVENT_BACKTRACE:
		sn_bt_caller_classify(ksyms, ev->backtrace.frames, ev->backtrace.n_frames,
				      &res);
		sig.kind = kind_of_caller(res.caller);
		sig.detector = res.detector;
		*trigger_buf = (struct sn_incident_trigger){
			.caller = res.caller,
			.requester_cpu = ev->cpu,
			.targets = ev->backtrace.targets,
		};
		if (res.function)
			snprintf(trigger_buf->function, sizeof(trigger_buf->function),
				 "%s", res.function);
		sig.trigger = trigger_buf;
		/*
		 * The stalled CPUs: a lockup detector that asks for all the others'
		 * stacks excludes the stalled one (trigger_allbutcpu_cpu_backtrace());
		 * one that asks for the stalled CPU's (buddy, RCU's dump_cpu_task())
		 * names it. A hung task names none; sysrq and the others name what they
		 * dump.
		 */
		if (res.caller == SN_BT_CALLER_HUNG_TASK)
			break;
		sig.has_cpus = true;
		if ((res.caller == SN_BT_CALLER_HARD_LOCKUP ||
		     res.caller == SN_BT_CALLER_SOFT_LOCKUP) &&
		    ev->backtrace.exclude_cpu >= 0)
			(void)sn_cpu_set_add(&sig.cpus,
					     (uint32_t)ev->backtrace.exclude_cpu);
		else
			sig.cpus = ev->backtrace.targets;
		break;
	}
	*ret_sig = sig;
}
