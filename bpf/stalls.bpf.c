// SPDX-License-Identifier: GPL-2.0-only
/*
 * sdei-nmid's BPF programs (CO-RE): what the kernel's stall detectors do, as it happens,
 * over one ring buffer (the records are bpf/stalls.h). GPL: bpf_get_stack() and
 * bpf_probe_read_kernel() are GPL-only helpers.
 *
 *   tp_btf/rcu_stall_warning          an RCU CPU stall warning begins
 *   tp_btf/sched_process_hang         the hung-task detector found a task
 *   fentry/arch_trigger_cpumask_backtrace
 *                                     someone asks for other CPUs' backtraces (a lockup
 *                                     detector, RCU, sysrq, the hung-task detector...);
 *                                     the caller's stack tells which
 *
 * A program whose tracepoint or function the running kernel lacks is not loaded (user
 * space turns off its autoload); the others run.
 */

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "stalls.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, written by user space between open and load. */
const volatile bool capture_stack = true; /* off when kallsyms hides addresses */

/* Records the ring buffer had no room for; user space reads it (mmapped .bss). */
__u64 dropped = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* The task_struct of kernels before 5.14 had "state" where there is "__state" now. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline void *reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		__sync_fetch_and_add(&dropped, 1);
	return e;
}

static __always_inline void fill_header(struct stalls_header *h, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();

	h->type = type;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = (__u32)id;
	h->tgid = id >> 32;
	__builtin_memset(h->comm, 0, sizeof(h->comm));
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

SEC("tp_btf/rcu_stall_warning")
int BPF_PROG(rcu_stall_warning, const char *rcuname, const char *msg)
{
	struct stalls_rcu_event *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, STALLS_EVENT_RCU_STALL);
	__builtin_memset(e->rcuname, 0, sizeof(e->rcuname));
	__builtin_memset(e->msg, 0, sizeof(e->msg));
	if (bpf_probe_read_kernel_str(e->rcuname, sizeof(e->rcuname), rcuname) < 0)
		e->rcuname[0] = '\0';
	if (bpf_probe_read_kernel_str(e->msg, sizeof(e->msg), msg) < 0)
		e->msg[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_hang")
int BPF_PROG(sched_process_hang, struct task_struct *t)
{
	struct stalls_hang_event *e = reserve(sizeof(*e));

	if (!e)
		return 0;
	fill_header(&e->h, STALLS_EVENT_HUNG_TASK);
	e->pid = BPF_CORE_READ(t, pid);
	e->tgid = BPF_CORE_READ(t, tgid);
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	BPF_CORE_READ_STR_INTO(&e->comm, t, comm);
	if (bpf_core_field_exists(t->__state))
		e->state = BPF_CORE_READ(t, __state);
	else
		e->state = BPF_CORE_READ((struct task_struct___pre514 *)t, state);
	e->flags = 0;
	if (bpf_core_field_exists(t->in_iowait) &&
	    BPF_CORE_READ_BITFIELD_PROBED(t, in_iowait))
		e->flags |= STALLS_HANG_IOWAIT;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("fentry/arch_trigger_cpumask_backtrace")
int BPF_PROG(backtrace_request, const struct cpumask *mask, int exclude_cpu)
{
	struct stalls_backtrace_event *e = reserve(sizeof(*e));
	__u32 size = bpf_core_field_size(mask->bits);

	if (!e)
		return 0;
	fill_header(&e->h, STALLS_EVENT_BACKTRACE);
	e->exclude_cpu = exclude_cpu;
	if (size > sizeof(e->mask))
		size = sizeof(e->mask);
	__builtin_memset(e->mask, 0, sizeof(e->mask));
	if (bpf_probe_read_kernel(e->mask, size, &mask->bits) < 0)
		size = 0;
	e->mask_bytes = size;
	if (capture_stack)
		e->stack_bytes = bpf_get_stack(ctx, e->stack, sizeof(e->stack), 0);
	else
		e->stack_bytes = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
