/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel log's reports of stuck CPUs as structured events. A recognizer is fed one
 * record at a time (sn_kmsg_events_feed(), in log order) and calls the handler for each
 * event it recognizes; it is pure (no clock, no I/O: the caller passes timestamps) and
 * its memory is fixed at creation (about 52 KiB, mostly one block's frames). Events are
 * emitted when they are whole: a backtrace when its block ends, an RCU stall at its
 * summary, so a one-line event that came in between is emitted first; every event's
 * seq is the log position of its first line.
 *
 * The messages, exactly as Linux 7.2 prints them (pr_fmt prefixes included):
 *
 *  hard-lockup  "watchdog: CPU%u: Watchdog detected hard LOCKUP on cpu %u"
 *               (kernel/watchdog.c:267); the older perf detector's
 *               "NMI watchdog: Watchdog detected hard LOCKUP on cpu %d" is its own CPU.
 *  soft-lockup  "watchdog: BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]"
 *               (kernel/watchdog.c:884)
 *  hung-task    "INFO: task %s:%d blocked%s for more than %ld seconds."
 *               (kernel/hung_task.c:253; %s is "" or " in I/O wait")
 *  rcu-stall    "rcu: INFO: %s detected stalls on CPUs/tasks:" (tree_stall.h:655),
 *               per-CPU lines "rcu: \t%d-%c%c%c%c: (...) ..." (tree_stall.h:548),
 *               "rcu: \tTasks blocked on level-%d rcu_node (CPUs %d-%d): P%d..."
 *               (tree_stall.h:338), ended by
 *               "rcu: \t(detected by %d, t=%ld jiffies, g=%ld, q=%lu ncpus=%d)" (:671);
 *               "rcu: INFO: %s self-detected stall on CPU" (:731), its CPU's line,
 *               ended by "rcu: \t(t=%lu jiffies g=%ld q=%lu ncpus=%d)" (:737);
 *               "rcu: INFO: %s detected expedited stalls on CPUs/tasks: {" then
 *               " %d-%c%c%c%c" and " P%d" then " } %lu jiffies s: %lu root: %#lx/%c"
 *               (tree_exp.h:570-589, one record when pr_cont() merged it, fragments
 *               otherwise); the two "..., but suppressed full report due to a stuck
 *               CSD-lock." forms (tree_stall.h:849, tree_exp.h:567). The "rcu: "
 *               prefix is optional (older kernels have none).
 *  nmi-send     "Sending NMI from CPU %d to CPUs %*pbl:" (lib/nmi_backtrace.c)
 *  nmi-timeout  "After 10 seconds, these CPUS still haven't responded to the NMI: %*pbl"
 *               (lib/nmi_backtrace.c): the CPUs whose backtrace never came.
 *  synthetic    "sdei-nmi: synthetic incident %s requested by sdei-nmictl (uid %u)",
 *               SN_KMSG_SYNTHETIC_FORMAT: a pipeline test that sdei-nmictl test-incident
 *               writes to /dev/kmsg (%s a random UUID, lowercase). Only a writer's
 *               record (facility != 0; the kernel gives user space LOG_USER at least)
 *               is taken, one line, the whole record; the kernel never prints it.
 *  backtrace    "NMI backtrace for cpu %d" followed by the block of show_regs() or
 *               dump_stack() (origin "nmi"); "NMI backtrace for cpu %d skipped: idling
 *               at %pS" (idle, no block); the show_regs()/dump_stack() block that
 *               follows a soft lockup (origin "soft-lockup"), a hard lockup its own
 *               CPU detected (origin "hard-lockup") or a self-detected RCU stall's
 *               summary (origin "rcu-stall": rcu_dump_cpu_stacks() -> dump_cpu_task()
 *               -> show_regs() on the CPU itself).
 *  task         "task:%-15.15s state:%c stack:%-5lu pid:%-5d ..." (sched_show_task(),
 *               kernel/sched/core.c: a hung task's, SysRq-t's) followed by the task's
 *               "Call trace:" (origin "task", cpu SN_KMSG_BT_NO_CPU, comm and pid
 *               from the line).
 *
 * A backtrace block is what arm64's __show_regs() and dump_backtrace() print
 * (arch/arm64/kernel/process.c, stacktrace.c; lib/dump_stack.c):
 *   "CPU: %d UID: %u PID: %d Comm: %.20s ...", "Hardware name: ...", "Tainted: ...",
 *   "Workqueue: ...", "pstate: %08llx (...)", "pc : %pS" (kernel) or "pc : %016llx"
 *   (user), "lr : ..." likewise, "sp : %016llx", "pmr: %08x", "x%-2d: %016llx ...",
 *   "Call trace:", then frames " %pSb" with an optional " (P)", " (C)", ... suffix.
 *
 * Rules of a block (rule numbers are referred to in lib/kmsg-events.c):
 *  B1 it opens at its header; one block is open at a time;
 *  B2 with caller ids (CONFIG_PRINTK_CALLER), a record of another caller is not part
 *     of the block and leaves it open, unless that record opens a block itself (one at
 *     a time: under printk_cpu_sync a new CPU's block means the last one is done);
 *     without caller ids every record is a candidate;
 *  B3 before "Call trace:", the lines listed above, "Modules linked in:", lockdep's
 *     irq-trace lines and the soft lockup's CPU utilization report belong to it; any
 *     event header (a line this recognizer starts something with, malformed ones
 *     included) ends it, and so does any other line (a "CPU:" line of another CPU or a
 *     second one included), with one exception: without caller ids, one such line at
 *     a time, at most SN_KMSG_BLOCK_MAX_INTERLEAVED per block, is let through as
 *     another CPU's (CPUs that print without printk_cpu_sync interleave: a CPU coming
 *     online in the lab's hotplug log), and the block ends at the second in a row;
 *  B4 after "Call trace:", frames belong to it (at most SN_KMSG_MAX_FRAMES are kept,
 *     the rest counted); a line that is not a frame ends it as in B3; a block whose
 *     trace has frames and that ends so, by B5 or by flush() reports end "done";
 *  B5 a record more than block_gap_usec after the block's last record, or a tick()
 *     that late, ends it (end "gap");
 *  B6 after block_max_records records it ends (end "limit", counted as truncated);
 *  B7 lost records (a gap in SEQ) end it (end "lost"); flush() ends it (end "flush").
 * A line that ends a block is then recognized on its own. A block of another origin
 * than "nmi" that holds nothing (no CPU line, register or trace) is not
 * emitted; an "nmi" one always is (its header says that the CPU answered).
 *
 * Rules of an RCU stall report:
 *  R1 it opens at its header and is emitted at its summary line (complete, end "done");
 *  R2 while it is open, per-CPU lines add their CPU to the set, "Tasks blocked" lines
 *     count their tasks; other lines are recognized on their own and leave it open
 *     (stall reports interleave with other CPUs' messages);
 *  R3 a new stall header emits the open one as incomplete (end "next");
 *     pending_timeout_usec after its header (a record that late, or a tick()), lost
 *     records, or flush() emit it incomplete (end "gap", "lost", "flush");
 *  R4 an expedited report is complete at its " } ..." part, in the header's record or
 *     in fragments that follow (records starting with " " that hold only its tokens).
 *
 * Malformed lines (a known beginning that does not parse), overlong fields, CPUs
 * >= SN_CPU_SET_MAX, frames over the cap and records out of SEQ order are dropped and
 * counted (sn_kmsg_events_get_stats()), never fatal.
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu-set.h"
#include "kmsg.h"
#include "macro.h"

#define SN_KMSG_MAX_FRAMES 64
/* A frame or a pc/lr symbol as printed (the kernel's KSYM_SYMBOL_LEN), NUL included. */
#define SN_KMSG_SYMBOL_MAX 768
/* A task name as printed (TASK_COMM_LEN is 16; "%.20s"), NUL included. */
#define SN_KMSG_COMM_MAX 64
/* An RCU flavor ("rcu_preempt", "rcu_sched"), NUL included. */
#define SN_KMSG_FLAVOR_MAX 32
/* A synthetic incident's id: a UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
#define SN_KMSG_SYNTHETIC_ID_LEN 36
/* Its record, as sdei-nmictl writes it and the recognizer takes it: the id, the uid. */
#define SN_KMSG_SYNTHETIC_FORMAT \
	"sdei-nmi: synthetic incident %s requested by sdei-nmictl (uid %" PRIu32 ")"

enum sn_kmsg_event_type {
	SN_KMSG_EVENT_HARD_LOCKUP = 1,
	SN_KMSG_EVENT_SOFT_LOCKUP,
	SN_KMSG_EVENT_HUNG_TASK,
	SN_KMSG_EVENT_RCU_STALL,
	SN_KMSG_EVENT_NMI_SEND,
	SN_KMSG_EVENT_NMI_TIMEOUT,
	SN_KMSG_EVENT_BACKTRACE,
	SN_KMSG_EVENT_SYNTHETIC,
};

enum sn_kmsg_rcu_stall_kind {
	SN_KMSG_RCU_STALL_OTHER_CPU = 1, /* "detected stalls on CPUs/tasks:" */
	SN_KMSG_RCU_STALL_SELF,		 /* "self-detected stall on CPU" */
	SN_KMSG_RCU_STALL_EXPEDITED,	 /* "detected expedited stalls on CPUs/tasks:" */
};

enum sn_kmsg_bt_origin {
	SN_KMSG_BT_NMI = 1,	/* "NMI backtrace for cpu %d" */
	SN_KMSG_BT_SOFT_LOCKUP, /* after "BUG: soft lockup" */
	SN_KMSG_BT_HARD_LOCKUP, /* after a hard lockup that a CPU saw on itself */
	SN_KMSG_BT_RCU_STALL,	/* after a self-detected RCU stall's summary */
	SN_KMSG_BT_TASK,	/* "task:%-15.15s state:%c ... pid:%d": a task's */
};

/* The cpu of a task's backtrace (origin task): it names a task, not a CPU. */
#define SN_KMSG_BT_NO_CPU UINT32_MAX

/* Why a multi-line event was emitted (see the rules above). */
enum sn_kmsg_end {
	/* Whole: a trace with frames that ended (B4), a stall's summary (R1, R4). */
	SN_KMSG_END_DONE = 0,
	SN_KMSG_END_NEXT,  /* a line that starts something else or does not belong */
	SN_KMSG_END_GAP,   /* block_gap_usec / pending_timeout_usec passed */
	SN_KMSG_END_LIMIT, /* block_max_records */
	SN_KMSG_END_LOST,  /* records lost (SEQ gap) */
	SN_KMSG_END_FLUSH, /* sn_kmsg_events_flush() */
};

struct sn_kmsg_frame {
	char text[SN_KMSG_SYMBOL_MAX]; /* "func+0x8/0x24" or "func+0x8/0x24 [mod]" */
	char info[8]; /* the unwinder's "P", "C", "T", "U", "F", "K"; or "" */
};

struct sn_kmsg_backtrace {
	enum sn_kmsg_bt_origin origin;
	uint32_t cpu;
	bool idle; /* "skipped: idling at <pc_sym>": nothing else is set */
	bool has_pid;
	uint32_t pid;
	char comm[SN_KMSG_COMM_MAX]; /* "" when no CPU: line came */
	bool has_pstate, has_pc, has_lr, has_sp;
	uint64_t pstate, pc, lr, sp;	 /* pc and lr: when printed as numbers (user) */
	char pc_sym[SN_KMSG_SYMBOL_MAX]; /* pc as a symbol (kernel), "" otherwise */
	char lr_sym[SN_KMSG_SYMBOL_MAX];
	bool has_trace; /* "Call trace:" came */
	size_t n_frames;
	size_t n_frames_dropped; /* frames past SN_KMSG_MAX_FRAMES or overlong */
	struct sn_kmsg_frame frames[SN_KMSG_MAX_FRAMES]; /* innermost first */
	uint32_t n_records;	/* lines taken, header included */
	uint32_t n_interleaved; /* other lines let through inside it (B3, B4) */
	enum sn_kmsg_end end;
};

struct sn_kmsg_rcu_stall {
	enum sn_kmsg_rcu_stall_kind kind;
	char flavor[SN_KMSG_FLAVOR_MAX];
	bool complete;	 /* its summary came (R1, R4) */
	bool suppressed; /* "but suppressed full report due to a stuck CSD-lock" */
	enum sn_kmsg_end end;
	struct sn_cpu_set cpus; /* the stalled CPUs named by per-CPU lines */
	uint32_t n_tasks;	/* tasks named as blocking the grace period */
	bool has_detector;	/* other-cpu: "detected by %d" */
	uint32_t detector_cpu;
	bool has_gp;	  /* other-cpu and self: the summary's numbers */
	uint64_t jiffies; /* t=, or the expedited report's "%lu jiffies" */
	int64_t gp_seq;	  /* g= */
	uint64_t qlen;	  /* q= */
	uint32_t ncpus;
	bool has_exp;	    /* expedited: the summary's numbers */
	uint64_t exp_seq;   /* s: */
	uint64_t root_mask; /* root: */
	bool root_tasks;    /* root: ".../T" */
};

struct sn_kmsg_event {
	enum sn_kmsg_event_type type;
	uint64_t seq;	  /* the record that started it */
	uint64_t ts_usec; /* its time */
	union {
		struct {
			uint32_t detector_cpu;
			uint32_t cpu;
		} hard_lockup;
		struct {
			uint32_t cpu;
			uint32_t seconds;
			uint32_t pid;
			char comm[SN_KMSG_COMM_MAX];
		} soft_lockup;
		struct {
			uint32_t pid;
			uint64_t seconds;
			bool io_wait;
			char comm[SN_KMSG_COMM_MAX];
		} hung_task;
		struct sn_kmsg_rcu_stall rcu_stall;
		struct {
			uint32_t from_cpu;
			struct sn_cpu_set cpus;
		} nmi_send;
		struct {
			uint32_t seconds;
			struct sn_cpu_set cpus;
		} nmi_timeout;
		/* Valid during the handler's call only. */
		const struct sn_kmsg_backtrace *backtrace;
		struct {
			char id[SN_KMSG_SYNTHETIC_ID_LEN + 1];
			uint32_t uid;
		} synthetic;
	};
};

const char *sn_kmsg_event_type_to_string(enum sn_kmsg_event_type t);
const char *sn_kmsg_rcu_stall_kind_to_string(enum sn_kmsg_rcu_stall_kind k);
const char *sn_kmsg_bt_origin_to_string(enum sn_kmsg_bt_origin o);
const char *sn_kmsg_end_to_string(enum sn_kmsg_end e);

/*
 * Called once per event, from feed(), tick() or flush(); ev and what it points to are
 * valid during the call only. A negative return is returned by the call that emitted;
 * the recognizer stays consistent (the event counts as emitted).
 */
typedef int (*sn_kmsg_event_handler_t)(const struct sn_kmsg_event *ev, void *userdata);

struct sn_kmsg_events_config {
	uint64_t block_gap_usec;       /* B5; 0: SN_KMSG_BLOCK_GAP_USEC */
	uint64_t pending_timeout_usec; /* R3; 0: SN_KMSG_PENDING_TIMEOUT_USEC */
	uint32_t block_max_records;    /* B6; 0: SN_KMSG_BLOCK_MAX_RECORDS */
};

#define SN_KMSG_BLOCK_GAP_USEC	      (1000 * 1000)
#define SN_KMSG_PENDING_TIMEOUT_USEC  (5 * 1000 * 1000)
#define SN_KMSG_BLOCK_MAX_RECORDS     256
#define SN_KMSG_BLOCK_MAX_INTERLEAVED 4

struct sn_kmsg_events_stats {
	uint64_t records;      /* records fed (lines, for multi-line records) */
	uint64_t events;       /* events emitted */
	uint64_t malformed;    /* a known beginning that did not parse */
	uint64_t overlong;     /* a comm, symbol or flavor over its cap: line dropped */
	uint64_t out_of_range; /* a CPU >= SN_CPU_SET_MAX: dropped */
	uint64_t frames_dropped;
	uint64_t truncated;    /* blocks ended by block_max_records */
	uint64_t incomplete;   /* stall reports emitted without their summary */
	uint64_t lost;	       /* records missing from SEQ */
	uint64_t out_of_order; /* records whose SEQ was not after the last one: dropped */
	uint64_t foreign; /* records of writers to /dev/kmsg (facility != 0): ignored,
			   * but synthetic incidents */
};

struct sn_kmsg_events;

/* cfg may be NULL for the defaults. */
int sn_kmsg_events_new(const struct sn_kmsg_events_config *cfg,
		       sn_kmsg_event_handler_t handler, void *userdata,
		       struct sn_kmsg_events **ret);
struct sn_kmsg_events *sn_kmsg_events_free(struct sn_kmsg_events *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_kmsg_events *, sn_kmsg_events_free);

/*
 * Feeds one record (its message, seq, ts_usec and caller id are used). A message
 * holding '\n' is taken line by line. SEQ must grow: a record whose SEQ is not above
 * the last one is dropped (out_of_order), a jump counts as lost records (B7, R3).
 * Records of facility != 0 are writers' (the kernel refuses LOG_KERN from user space,
 * dev-kmsg ABI): they keep SEQ but are otherwise ignored, so nothing written to
 * /dev/kmsg passes for the kernel's report; but a synthetic incident's record, which
 * only a writer's can be.
 */
int sn_kmsg_events_feed(struct sn_kmsg_events *e, const struct sn_kmsg_record *rec);
/* The same for a bare message (no caller id). */
int sn_kmsg_events_feed_text(struct sn_kmsg_events *e, uint64_t seq, uint64_t ts_usec,
			     const char *text);
/*
 * Tells that the log's clock is at now_usec and nothing else came: emits what timed
 * out (B5, R3). Call it from a timer when no record came for a while.
 */
int sn_kmsg_events_tick(struct sn_kmsg_events *e, uint64_t now_usec);
/* Emits everything still open (end of input). */
int sn_kmsg_events_flush(struct sn_kmsg_events *e);
/*
 * When tick() should be called next if no record comes (the log's clock, saturated),
 * 0 when nothing is open.
 */
uint64_t sn_kmsg_events_next_deadline(const struct sn_kmsg_events *e);

/* The first record of what is open (a block, a stall report); UINT64_MAX when none. */
uint64_t sn_kmsg_events_resume_seq(const struct sn_kmsg_events *e);

void sn_kmsg_events_get_stats(const struct sn_kmsg_events *e,
			      struct sn_kmsg_events_stats *ret);
