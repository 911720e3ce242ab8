/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The incident report: one JSON document per incident (a lockup or stall and the
 * evidence gathered about it), the unit that sdei-nmid spools, logs and ships. The
 * model is a plain struct; the builders below fill it from the netlink family's and the
 * kernel log's structs, sn_report_to_json()/sn_report_serialize() write it and
 * sn_report_parse() reads it back with strict validation. Pure: no clock, no I/O (but
 * sn_host_read(), which reads the files it names under a root directory, sn_host_copy()
 * of what it read, which reads the hostname again, and sn_report_new(), which draws the
 * id from getrandom()).
 *
 * The document's shape is daemon/sdei-nmid-report.schema.json; in words:
 *
 *   {"schema": "sdei-nmi.report/1", "id": "<uuid>",
 *    "host": {"hostname", "machine_id", "boot_id", "kernel_release",
 *             "firmware_sdei_version"}                        each one optional,
 *    "incident": {"kind", "detector"?, "stalled_cpus": [..],
 *                 "first_seen": {"realtime", "monotonic_ns"}, "last_seen": {..},
 *                 "kmsg_seqs": [..], "sources"?: ["kmsg", "bpf"],
 *                 "task"?: {"comm", "pid", "blocked_seconds", "io_wait",
 *                           "frames"?, "stack_hash"?},
 *                 "trigger"?: {"source", "caller", "function"?, "requester_cpu",
 *                              "target_cpus": [..]}},
 *    "cpus": [{"cpu", "delivery", "reason"?, "source"?, "context"?, "path"?,
 *              "latency_ns"?, "pc"?, "lr"?, "sp"?, "pstate"?: {"value",
 *              "daif": {d,a,i,f}, "interrupts_masked", "el"}, "comm"?, "pid"?,
 *              "pc_sym"?, "lr_sym"?, "frames"?, "stack_hash"?}],
 *    "kernel_log": {"lines": [..], "lines_dropped"},
 *    "kdump": {"checked": false} or lib/kdump.h's snapshot,
 *    "folded_count": n}
 *
 * Versioning: "schema" names the document's major version; a reader accepts exactly
 * the versions it knows (this one: "sdei-nmi.report/1"). Adding an optional key is a
 * new schema file and a new minor only in the schema's $id; anything else is /2.
 * Minor 1 added incident.sources and incident.trigger (the BPF source). Minor 2 added
 * incident.task (a hung task's comm, pid and stack) and the kind synthetic, an
 * operator's test of the sinks (sdei-nmictl test-incident): a reader of minor 1 may
 * refuse such a report, which no stall ever makes. Minor 3 added cpus[].context (what
 * the CPU ran when the netlink family captured it: kernel, user or idle) and
 * cpus[].path (how: sdei, or ipi, the fallback for a CPU that had masked SDEI, whose
 * capture may lack pstate and sp); values the family has and this version does not
 * know are left out. Minor 4 added the context guest (a KVM guest: the registers and
 * frames are the host's, after the guest exited).
 *
 * Numbers (I-JSON, RFC 7493): JSON integers are exact and at most 2^53 - 1, so that
 * every consumer reads them exactly (cpu, pid, latency_ns, kmsg sequence numbers,
 * counts). 64-bit values that may be larger are strings: CLOCK_MONOTONIC nanoseconds as
 * decimal ("monotonic_ns", as OTLP's JSON writes its uint64s), registers and the stack
 * hash as "0x" and 16 lowercase hex digits. Realtime is ISO 8601 UTC with microseconds
 * ("2026-11-02T10:04:05.123456Z").
 *
 * Text: everything that came from the kernel or a file is printable ASCII; other bytes
 * are written as \xNN when the report is built (so a round trip is exact) and strings
 * are cut to their cap (SN_REPORT_MAX_TEXT and friends) without splitting an escape.
 *
 * Stack hash: FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the
 * frames, innermost first, each normalized and followed by '\n'. Normalizing keeps the
 * symbol and the module and drops everything that changes between builds, boots or
 * samples of the same code path: "func+0x8/0x24 [mod 0123abcd] (P)" -> "func [mod]",
 * "func+0x8/0x24" -> "func"; a frame that is a bare address ("0xffff...", hex) is "?"
 * (KASLR). So two CPUs spinning in the same loop, or one lockup seen again after a
 * reboot, hash the same; the hash is the fold key's part for a CPU.
 *
 * Everything returns 0 or a negative errno; ret_* are written only on success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "bt-caller.h"
#include "cpu-set.h"
#include "kmsg-events.h"
#include "macro.h"
#include "nmi-parse.h"

#define SN_REPORT_SCHEMA "sdei-nmi.report/1"

/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase: a random (version 4) UUID. */
#define SN_REPORT_ID_LEN 36

/* Bounds, checked when building and when parsing. */
#define SN_REPORT_MAX_BYTES	 (16u * 1024 * 1024) /* one serialized report */
#define SN_REPORT_MAX_CPUS	 4096		     /* evidence entries */
#define SN_REPORT_MAX_FRAMES	 64
#define SN_REPORT_MAX_SEQS	 256
#define SN_REPORT_MAX_LOG_LINES	 512
#define SN_REPORT_MAX_LOG_BYTES	 (64 * 1024) /* the lines' lengths, summed */
#define SN_REPORT_MAX_TEXT	 1024	     /* a frame, symbol, log line or reason */
#define SN_REPORT_MAX_COMM	 64
#define SN_REPORT_MAX_DETECTOR	 32
#define SN_REPORT_MAX_FUNCTION	 64 /* a trigger's kernel function */
#define SN_REPORT_MAX_HOST_FIELD 256

/* The largest integer a report holds as a JSON number. */
#define SN_JSON_MAX_SAFE_INT ((UINT64_C(1) << 53) - 1)

enum sn_incident_kind {
	SN_INCIDENT_HARD_LOCKUP = 1,
	SN_INCIDENT_SOFT_LOCKUP,
	SN_INCIDENT_RCU_STALL,
	SN_INCIDENT_HUNG_TASK,
	SN_INCIDENT_OTHER,
	SN_INCIDENT_SYNTHETIC, /* a pipeline test: sdei-nmictl test-incident */
	_SN_INCIDENT_KIND_MAX,
};

/*
 * What became of a CPU's backtrace: the first five are the netlink family's
 * enum sdei_nmi_delivery (same values and names); not-requested (the daemon did not ask,
 * e.g. rate limits of its own) and unavailable (no NMI source: the family is missing,
 * the service inactive) carry a reason; unknown is a delivery value this version does
 * not know.
 */
enum sn_evidence_delivery {
	SN_EVIDENCE_CAPTURED = 1,
	SN_EVIDENCE_TIMEOUT,
	SN_EVIDENCE_OFFLINE,
	SN_EVIDENCE_UNSUPPORTED,
	SN_EVIDENCE_RATE_LIMITED,
	SN_EVIDENCE_NOT_REQUESTED,
	SN_EVIDENCE_UNAVAILABLE,
	SN_EVIDENCE_UNKNOWN,
};

/* Where a CPU's stack and registers came from. */
enum sn_stack_source {
	SN_STACK_NONE = 0,
	SN_STACK_NETLINK_REQUEST, /* the daemon's backtrace request */
	SN_STACK_NETLINK_MONITOR, /* a backtrace the kernel took (notification) */
	SN_STACK_KMSG,		  /* a backtrace block of the kernel log */
};

/* Host identity; NULL when unknown. */
struct sn_host {
	char *hostname;
	char *machine_id; /* 32 lowercase hex digits */
	char *boot_id;	  /* a UUID, lowercase */
	char *kernel_release;
	char *firmware_version; /* SDEI "<major>.<minor>" */
	char *root; /* what sn_host_read() read under; NULL for a copy (sn_host_copy()) */
};

enum sn_host_field {
	SN_HOST_HOSTNAME,
	SN_HOST_MACHINE_ID,
	SN_HOST_BOOT_ID,
	SN_HOST_KERNEL_RELEASE,
	SN_HOST_FIRMWARE_VERSION,
	_SN_HOST_FIELD_MAX,
};

struct sn_evidence {
	uint32_t cpu;
	enum sn_evidence_delivery delivery;
	char *reason;		     /* not-requested, unavailable: why; NULL otherwise */
	enum sn_stack_source source; /* SN_STACK_NONE when nothing below is set */
	uint32_t context; /* enum sdei_nmi_context; 0 when absent or not known */
	uint32_t path;	  /* enum sdei_nmi_path; 0 when absent or not known */
	bool has_latency_ns, has_pstate, has_pc, has_lr, has_sp, has_pid;
	uint64_t latency_ns; /* at most SN_JSON_MAX_SAFE_INT */
	uint64_t pstate, pc, lr, sp;
	uint32_t pid;
	char *comm;   /* NULL when absent */
	char *pc_sym; /* NULL when absent */
	char *lr_sym; /* NULL when absent */
	size_t n_frames;
	char **frames;	     /* innermost first */
	bool has_stack_hash; /* exactly when n_frames > 0 */
	uint64_t stack_hash;
};

/* A hung task's incident names its task (incident.task in the document). */
struct sn_report_task {
	char *comm;
	uint32_t pid;
	uint64_t blocked_seconds; /* "blocked for more than", as last detected */
	bool io_wait;		  /* "blocked in I/O wait" */
	size_t n_frames;
	char **frames; /* innermost first; its "task:" block's trace */
	bool has_stack_hash; /* exactly when n_frames > 0 */
	uint64_t stack_hash;
};

/* Which sources saw the incident: a bitmask, "sources" in the document. */
enum sn_report_source {
	SN_REPORT_SOURCE_KMSG = 1 << 0, /* the kernel log */
	SN_REPORT_SOURCE_BPF = 1 << 1,	/* bpf/stalls.bpf.c */
	_SN_REPORT_SOURCE_ALL = (1 << 2) - 1,
};

/* Who asked for backtraces (bt-caller.h); only the BPF source knows, for now. */
struct sn_report_trigger {
	enum sn_bt_caller caller;
	char *function; /* the kernel function that decided it; NULL when unknown */
	uint32_t requester_cpu;
	struct sn_cpu_set targets;
};

struct sn_report_time {
	uint64_t realtime_usec; /* CLOCK_REALTIME, microseconds since the epoch */
	uint64_t monotonic_ns;	/* CLOCK_MONOTONIC */
};

struct sn_report {
	char id[SN_REPORT_ID_LEN + 1];
	struct sn_host host;

	enum sn_incident_kind kind;
	char *detector; /* "buddy", "perf", "softlockup", "rcu", "hung_task"; or NULL */
	struct sn_cpu_set stalled;
	bool has_seen; /* set by the first sn_report_seen(); required to serialize */
	struct sn_report_time first_seen, last_seen;
	size_t n_kmsg_seqs;
	uint64_t *kmsg_seqs; /* ascending, unique */

	size_t n_evidence;
	struct sn_evidence *evidence; /* in the order added */

	size_t n_log_lines;
	char **log_lines;
	size_t log_bytes;	    /* the lines' lengths, summed */
	uint64_t log_lines_dropped; /* lines past the count or byte bound */

	bool has_task;
	struct sn_report_task task; /* a hung task's: the task */

	unsigned sources; /* enum sn_report_source; 0: not said */
	bool has_trigger;
	struct sn_report_trigger trigger;

	cJSON *kdump; /* an object, owned */
	uint64_t folded_count;
};

const char *sn_incident_kind_to_string(enum sn_incident_kind k);
int sn_incident_kind_from_string(const char *s, enum sn_incident_kind *ret);
const char *sn_evidence_delivery_to_string(enum sn_evidence_delivery d);
const char *sn_stack_source_to_string(enum sn_stack_source s);

/* The stack hash of frames (see above); normalizing is exposed for tests. */
uint64_t sn_stack_hash(char *const *frames, size_t n_frames);
/* Writes frame normalized (at most size - 1 bytes, cut if longer); returns its length. */
size_t sn_stack_frame_normalize(const char *frame, char *buf, size_t size);

/* A new random id (UUID version 4 from getrandom()). */
int sn_report_id_new(char ret[static SN_REPORT_ID_LEN + 1]);
/*
 * The id of the report of an incident whose first kernel log record is seq on the boot
 * boot_id (a UUID): a UUID of version 8 (RFC 9562) whose other 122 bits are FNV-1a 128
 * of "sdei-nmi.report\n<boot_id>\n<seq>". The same incident read again (a restart
 * that reads the log again from its cursor) gets the same id, so the spool, the OTLP
 * receiver and a reader of the journal can tell a repeat from a new incident.
 * -EINVAL for a boot_id that is not a UUID.
 */
int sn_report_id_from_record(const char *boot_id, uint64_t seq,
			     char ret[static SN_REPORT_ID_LEN + 1]);
bool sn_report_id_valid(const char *id);

/* ---- host identity ---- */

/*
 * Reads one field from its file under root ("/" on a live system, a fixture tree in
 * tests): /proc/sys/kernel/hostname, /etc/machine-id, /proc/sys/kernel/random/boot_id,
 * /proc/sys/kernel/osrelease, /sys/kernel/sdei_nmi/firmware_version. One line, its
 * newline removed. -ENOENT (and the like) from opening or reading, -ENOMEDIUM for an
 * empty file or an uninitialized machine-id, -EBADMSG when the content is not of the
 * field's form (machine-id: 32 hex digits; boot_id: a UUID; firmware_version:
 * "<major>.<minor>"; the others: printable ASCII, no spaces, at most 256 bytes).
 */
int sn_host_read_field(const char *root, enum sn_host_field f, char **ret);
/*
 * Reads every field; a field that cannot be read is left NULL and its error (as above)
 * is in ret_errors[f] (may be NULL), 0 for the ones read. Returns 0, or -ENOMEM. The
 * root is kept, for sn_host_copy().
 */
int sn_host_read(const char *root, struct sn_host *ret,
		 int ret_errors[_SN_HOST_FIELD_MAX]);
/*
 * A copy of h (what a report takes, sn_report_set_host()), without its root. When h was
 * read under a root, the hostname is read again from it: it is the one field that
 * changes while the system runs (hostnamectl, DHCP), and a report carries the name of
 * its time; /proc/sys/kernel/hostname is procfs, no disk is read. When it cannot be
 * read then, the copy has h's. The other fields are fixed for a boot.
 */
int sn_host_copy(const struct sn_host *h, struct sn_host *ret);
void sn_host_done(struct sn_host *h);
const char *sn_host_field_to_string(enum sn_host_field f);

/* ---- building ---- */

/* A report with a new id and kdump {"checked": false}. */
int sn_report_new(enum sn_incident_kind kind, struct sn_report **ret);
struct sn_report *sn_report_free(struct sn_report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_report *, sn_report_free);

int sn_report_set_host(struct sn_report *r, const struct sn_host *h);
/* -EINVAL when longer than SN_REPORT_MAX_DETECTOR or not [a-z0-9_-]+. */
int sn_report_set_detector(struct sn_report *r, const char *detector);
/* -ERANGE for a CPU >= SN_CPU_SET_MAX. */
int sn_report_add_stalled_cpu(struct sn_report *r, uint32_t cpu);
/*
 * The trigger; function NULL when unknown. -EINVAL for a caller out of range or a
 * function that is not [A-Za-z0-9_.]{1,64}, -ERANGE for a CPU >= SN_CPU_SET_MAX.
 */
int sn_report_set_trigger(struct sn_report *r, enum sn_bt_caller caller,
			  const char *function, uint32_t requester_cpu,
			  const struct sn_cpu_set *targets);
/* Widens [first_seen, last_seen] to hold t (the first call sets both). */
void sn_report_seen(struct sn_report *r, const struct sn_report_time *t);
/* Inserts seq in order, once; -E2BIG past SN_REPORT_MAX_SEQS, -ERANGE past 2^53 - 1. */
int sn_report_add_kmsg_seq(struct sn_report *r, uint64_t seq);

/*
 * One CPU's evidence from the netlink family (source: SN_STACK_NETLINK_REQUEST or
 * _MONITOR). An unknown delivery value is "unknown"; registers, context, path and the
 * stack are kept only for a captured entry, a context or path this version does not
 * know is left out; frames past SN_REPORT_MAX_FRAMES are left out, a latency above
 * 2^53 - 1 ns too. -E2BIG past SN_REPORT_MAX_CPUS entries.
 */
int sn_report_add_entry(struct sn_report *r, const struct sn_entry *e,
			enum sn_stack_source source);
/*
 * The evidence of one CPU on its own, for those that keep it before a report exists
 * (incidents): sn_evidence_from_entry() builds it as sn_report_add_entry() does,
 * sn_evidence_missing() as sn_report_add_missing() does; sn_report_add_evidence()
 * appends a copy (-EINVAL for a delivery out of range). sn_evidence_done() frees what
 * it holds and zeroes it.
 */
int sn_evidence_from_entry(const struct sn_entry *e, enum sn_stack_source source,
			   struct sn_evidence *ret);
int sn_evidence_missing(uint32_t cpu, enum sn_evidence_delivery delivery,
			const char *reason, struct sn_evidence *ret);
int sn_evidence_copy(const struct sn_evidence *e, struct sn_evidence *ret);
void sn_evidence_done(struct sn_evidence *e);
int sn_report_add_evidence(struct sn_report *r, const struct sn_evidence *e);
/* One CPU's evidence from a backtrace block of the kernel log (delivery captured). */
int sn_report_add_kmsg_backtrace(struct sn_report *r, const struct sn_kmsg_backtrace *bt);
/*
 * A hung task's: comm, pid, blocked seconds and I/O wait as detected, and its stack
 * from bt (a "task:" block; NULL when none came). Replaces any task set before.
 */
int sn_report_set_task(struct sn_report *r, const char *comm, uint32_t pid,
		       uint64_t blocked_seconds, bool io_wait,
		       const struct sn_kmsg_backtrace *bt);
void sn_report_task_done(struct sn_report_task *t);
/* A CPU without a backtrace: delivery SN_EVIDENCE_NOT_REQUESTED or _UNAVAILABLE. */
int sn_report_add_missing(struct sn_report *r, uint32_t cpu,
			  enum sn_evidence_delivery delivery, const char *reason);
/*
 * Appends a kernel log line (escaped and cut to SN_REPORT_MAX_TEXT); past
 * SN_REPORT_MAX_LOG_LINES lines or SN_REPORT_MAX_LOG_BYTES bytes it is dropped and
 * counted (log_lines_dropped), and -E2BIG returned.
 */
int sn_report_add_log_line(struct sn_report *r, const char *line);
/*
 * Takes kdump (on success only), sn_kdump_to_json()'s object; -EINVAL when it is not an
 * object. (The parser checks it with sn_kdump_json_check().)
 */
int sn_report_set_kdump(struct sn_report *r, cJSON *kdump);

/* ---- JSON ---- */

/*
 * The document as a cJSON tree; -EINVAL when the report is not whole (no
 * sn_report_seen(), a kind or delivery out of range, a CPU without what its delivery
 * requires), -ERANGE for an integer past 2^53 - 1, -ENOMEM.
 */
int sn_report_to_json(const struct sn_report *r, cJSON **ret);
/* The document on one line, NUL-terminated (free()); -E2BIG past SN_REPORT_MAX_BYTES. */
int sn_report_serialize(const struct sn_report *r, char **ret, size_t *ret_len);

/*
 * Reads a document back. Strict: unknown or repeated keys, wrong types, values out of
 * range, strings over their cap or not printable ASCII, a stack_hash that is not the
 * frames' hash, a pstate whose decoded parts disagree with its value, an unknown schema:
 * all -EBADMSG. -E2BIG past SN_REPORT_MAX_BYTES; -ENOMEM.
 */
int sn_report_from_json(const cJSON *j, struct sn_report **ret);
int sn_report_parse(const char *buf, size_t len, struct sn_report **ret);

/* "2026-11-02T10:04:05.123456Z"; buf holds 32 bytes. -ERANGE past year 9999. */
int sn_format_realtime(uint64_t usec, char buf[static 32]);
int sn_parse_realtime(const char *s, uint64_t *ret_usec);
