/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * kdump readiness: whether a crash kernel would take a usable dump if this kernel
 * panicked now, as a set of checks read under a root directory ("/" on a live system, a
 * fixture tree in tests). Each check has a stable id, a level (ok, warn, fail), a reason
 * (what was found, with its values) and a remedy (what to do; empty when ok):
 *
 *   reservation      memory reserved for the capture kernel against an estimate of
 *                    what it needs: sys/kernel/kexec/crash_size (Linux 6.x+ layout)
 *                    else sys/kernel/kexec_crash_size, the "Crash kernel" ranges of
 *                    proc/iomem (their sum when the addresses are visible; they read
 *                    as 0 without CAP_SYS_ADMIN), crashkernel= of proc/cmdline.
 *                    fail: nothing reserved; warn: less than the estimate.
 *   loaded           sys/kernel/kexec/crash_loaded else sys/kernel/kexec_crash_loaded;
 *                    fail when 0 or absent (no crash dump support).
 *   tools            kexec and makedumpfile, executable under usr/sbin, sbin, usr/bin
 *                    or bin; versions from var/lib/dpkg/status, else (options'
 *                    allow_exec, root "/" only) from "kexec --version" and
 *                    "makedumpfile -v", run in a child (no shell, 2 s); fail when
 *                    one is missing.
 *   dump-config      Debian's kdump-tools (etc/default/kdump-tools) or kdumpctl
 *                    (etc/kdump.conf, etc/sysconfig/kdump): the target, the collector
 *                    and its dump level, the free space of a local target against the
 *                    expected dump size (below). fail: USE_KDUMP=0, or an uncompressed
 *                    dump that does not fit; warn: neither configuration, a malformed
 *                    file, a compressed dump whose upper bound does not fit, free space
 *                    that cannot be measured. A remote target (ssh, nfs, ftp) or a
 *                    kdumpctl device target is ok with "not measured": what is there
 *                    cannot be seen from here, and flagging every such host for good
 *                    would make "degraded" mean nothing.
 *   panic            kernel.{hardlockup,softlockup}_panic, panic_on_rcu_stall,
 *                    hung_task_panic (proc/sys/kernel/) against the policy (options'
 *                    panic_on): warn when a required one is 0 or missing. kernel.panic
 *                    (the reboot timeout) is reported, never flagged: a loaded crash
 *                    kernel runs before the timeout.
 *   capture-cmdline  the capture kernel's command line (as loaded: the --command-line
 *                    of the kexec command kdump-config records in KDUMP_COREDIR/
 *                    kexec_cmd; else KDUMP_CMDLINE_APPEND, Debian's default when
 *                    unset, which has nr_cpus=1; kdumpctl's
 *                    KDUMP_COMMANDLINE_APPEND in etc/sysconfig/kdump) has nr_cpus=1 or
 *                    maxcpus=1 when SDEI stops are possible (arm64, service active):
 *                    CPUs parked by an SDEI stop never left the event and cannot be
 *                    brought back with PSCI CPU_ON (and in the lab, QEMU with TF-A
 *                    2.12.1, a capture kernel that brings up any other CPU hangs:
 *                    tests/fixtures/lab/investigation/kdump-*). warn when missing or
 *                    unknown; ok "not needed" otherwise.
 *   sdei-stop        arm64: sys/kernel/sdei_nmi/state "active" (the last rung of
 *                    smp_send_stop() reaches CPUs with interrupts masked, so their
 *                    registers are in the dump); else warn with sys/kernel/sdei_nmi/
 *                    reason. x86: ok, the NMI stop is built in.
 *   last-test        var/lib/sdei-nmi/kdump-test (sn_kdump_test_record_write()): ok
 *                    when none (said so) or passed within test_max_age; fail when it
 *                    failed; warn when older, or unreadable.
 *
 * Overall: ready (all ok), degraded (a warn, no fail), not ready (a fail).
 *
 * The capture kernel's memory, estimated (reservation): 128 MiB for the kernel, its
 * initramfs and makedumpfile, plus makedumpfile's two page bitmaps, one bit per page
 * of MemTotal each (2 x MemTotal / 32768 with 4 KiB pages); 256 MiB instead of 128 on
 * arm64 with 16 or 64 KiB pages, whose kernel and initramfs take more memory (page
 * tables, slabs and the page cache are counted in larger pages; distributions reserve
 * about 100-200 MiB more for 64 KiB arm64 kernels).
 *
 * The dump's size, an upper bound (dump-config): the System RAM of proc/iomem outside
 * the capture kernel's ranges (MemTotal when the addresses are hidden; MemTotal alone
 * leaves out what the kernel reserved at boot, which the dump has), less for each bit of
 * the dump level: 16 MemFree, 2 and 4 together Cached + Buffers - Shmem (page cache), 8
 * AnonPages (user memory); bit 1 (zero pages) is not estimated; uncompressed. A
 * collector that compresses (-c, -l, -p, -z) usually writes far less.
 *
 * Readers take a root directory; nothing logs; fixed memory (no allocation, nothing to
 * free) but for the dump test record's JSON, parsed and freed inside. A file that
 * cannot be read for lack of privilege is named in the snapshot's denied list, and its
 * check says so.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define SN_KDUMP_MAX_PARAMS	 4   /* crashkernel= parameters kept */
#define SN_KDUMP_MAX_PARAM	 64  /* bytes of one's value */
#define SN_KDUMP_MAX_RANGES	 4   /* "Crash kernel" ranges kept */
#define SN_KDUMP_MAX_TEXT	 240 /* bytes of a check's reason or remedy */
#define SN_KDUMP_MAX_REASONS	 8   /* one per check that is not ok */
#define SN_KDUMP_MAX_REASON	 (SN_KDUMP_MAX_TEXT + 20) /* "id: " and the reason */
#define SN_KDUMP_MAX_DENIED	 8			  /* paths kept */
#define SN_KDUMP_MAX_PATH	 64
#define SN_KDUMP_MAX_CMDLINE	 4096	     /* bytes of /proc/cmdline */
#define SN_KDUMP_MAX_IOMEM_LINES (64 * 1024) /* lines of /proc/iomem */
#define SN_KDUMP_MAX_NOTE	 200	     /* bytes of a test record's note */

/* Where a capture test is recorded, under the root. */
#define SN_KDUMP_TEST_RECORD "var/lib/sdei-nmi/kdump-test"

/* The defaults of sn_kdump_options_init(). */
#define SN_KDUMP_TEST_MAX_AGE_SEC (90ull * 24 * 3600)

enum sn_kdump_level {
	SN_KDUMP_OK,
	SN_KDUMP_WARN,
	SN_KDUMP_FAIL,
	_SN_KDUMP_LEVEL_MAX,
};

enum sn_kdump_status {
	SN_KDUMP_READY,
	SN_KDUMP_DEGRADED,
	SN_KDUMP_NOT_READY,
	_SN_KDUMP_STATUS_MAX,
};

/* In the order they are checked and shown. */
enum sn_kdump_check_id {
	SN_KDUMP_CHECK_RESERVATION,
	SN_KDUMP_CHECK_LOADED,
	SN_KDUMP_CHECK_TOOLS,
	SN_KDUMP_CHECK_DUMP_CONFIG,
	SN_KDUMP_CHECK_PANIC,
	SN_KDUMP_CHECK_CAPTURE_CMDLINE,
	SN_KDUMP_CHECK_SDEI_STOP,
	SN_KDUMP_CHECK_LAST_TEST,
	_SN_KDUMP_CHECK_MAX,
};

enum sn_kdump_arch {
	SN_KDUMP_ARCH_HOST, /* options only: uname's machine */
	SN_KDUMP_ARCH_ARM64,
	SN_KDUMP_ARCH_X86_64,
	SN_KDUMP_ARCH_OTHER,
	_SN_KDUMP_ARCH_MAX,
};

/* The stalls that must panic (the panic check's policy). */
enum {
	SN_KDUMP_PANIC_HARDLOCKUP = 1u << 0,
	SN_KDUMP_PANIC_SOFTLOCKUP = 1u << 1,
	SN_KDUMP_PANIC_RCU_STALL = 1u << 2,
	SN_KDUMP_PANIC_HUNG_TASK = 1u << 3,
	SN_KDUMP_PANIC_ALL = (1u << 4) - 1,
};

struct sn_kdump_options {
	enum sn_kdump_arch arch;   /* HOST: uname(2)'s */
	unsigned page_size;	   /* 0: the host's */
	unsigned panic_on;	   /* SN_KDUMP_PANIC_*: hardlockup by default */
	uint64_t test_max_age_sec; /* 0: any age */
	uint64_t now_usec;	   /* CLOCK_REALTIME; 0: now */
	bool allow_exec;	   /* tools' versions by running them (root "/" only) */
	bool free_space_set;	   /* tests: the dump target's free space, not statvfs */
	uint64_t free_space;	   /* bytes */
};

struct sn_kdump_range {
	uint64_t start, end; /* inclusive, as /proc/iomem shows them */
};

struct sn_kdump_check {
	enum sn_kdump_level level;
	char reason[SN_KDUMP_MAX_TEXT + 1];
	char remedy[SN_KDUMP_MAX_TEXT + 1]; /* "" when ok */
};

struct sn_kdump {
	enum sn_kdump_arch arch;
	enum sn_kdump_status status;
	bool ready; /* no check failed: a dump would be taken (status ready or degraded)
		     */
	struct sn_kdump_check checks[_SN_KDUMP_CHECK_MAX];

	/* What the report's fields of old come from. */
	int loaded_error; /* 0, or why crash_loaded could not be read */
	bool loaded;
	int size_error; /* 0, or why crash_size could not be read */
	uint64_t size;	/* bytes */
	int cmdline_error;
	size_t n_params; /* crashkernel= parameters, in order; more are not kept */
	char params[SN_KDUMP_MAX_PARAMS][SN_KDUMP_MAX_PARAM + 1];
	int iomem_error;
	size_t n_ranges; /* "Crash kernel" ranges, "Crash kernel (low)" included */
	struct sn_kdump_range ranges[SN_KDUMP_MAX_RANGES];
	bool ranges_hidden;  /* every range read as 0-0: the reader may not see addresses
			      */
	uint64_t dumped_ram; /* bytes of "System RAM" outside the "Crash kernel" ranges;
			      * 0 when the addresses are hidden */
	size_t n_reasons;    /* "id: reason" of each check that is not ok */
	char reasons[SN_KDUMP_MAX_REASONS][SN_KDUMP_MAX_REASON + 1];
	size_t n_denied; /* files that could not be read: EACCES, EPERM */
	char denied[SN_KDUMP_MAX_DENIED][SN_KDUMP_MAX_PATH + 1];
};

const char *sn_kdump_check_id_to_string(enum sn_kdump_check_id id);
const char *sn_kdump_level_to_string(enum sn_kdump_level l); /* ok warn fail */
const char *
sn_kdump_status_to_string(enum sn_kdump_status s);	   /* ready degraded not-ready */
const char *sn_kdump_arch_to_string(enum sn_kdump_arch a); /* arm64 x86_64 other */
/* "arm64" (or "aarch64"), "x86_64", "other"; -EINVAL otherwise. */
int sn_kdump_arch_from_string(const char *s, enum sn_kdump_arch *ret);

/*
 * The panic policy as a list, "hardlockup,softlockup,rcu-stall,hung-task" (any of them,
 * in any order, once each) or "none"; -EINVAL otherwise. to_string writes "none" for 0.
 */
int sn_kdump_panic_on_from_string(const char *s, unsigned *ret);
int sn_kdump_panic_on_to_string(unsigned mask, char *buf, size_t size);

void sn_kdump_options_init(struct sn_kdump_options *o);

/*
 * Runs the checks under root, with opts (NULL: the defaults). Returns 0 with what it
 * could read (each check says what it could not); -EINVAL for a NULL root, or the
 * error of opening root itself.
 */
int sn_kdump_read(const char *root, const struct sn_kdump_options *opts,
		  struct sn_kdump *ret);

/*
 * Records a capture test under root (SN_KDUMP_TEST_RECORD, its directory made when
 * missing): {"time": UTC, "result": "pass"|"fail", "note": text}, written atomically
 * (mode 0644). note may be NULL; it must be printable ASCII of at most
 * SN_KDUMP_MAX_NOTE bytes (-EINVAL otherwise). now_usec 0: now.
 */
int sn_kdump_test_record_write(const char *root, bool pass, const char *note,
			       uint64_t now_usec);

/*
 * The snapshot as the report's "kdump" object (daemon/sdei-nmid-report.schema.json) and
 * sdei-nmictl kdump --json's (cli/sdei-nmictl-kdump.schema.json):
 *
 *   {"checked": true, "ready": bool, "status": "ready"|"degraded"|"not-ready",
 *    "arch": text, "checks": [{"id", "level", "reason", "remedy"?}, ...],
 *    "reasons": [text, ...], "denied": [path, ...]?,
 *    "crash_loaded": bool, "crash_size": n, "crashkernel": [text, ...],
 *    "iomem_crash_kernel": n,
 *    "iomem_crash_kernel_ranges": [{"start": "0x..", "end": "0x.."}, ...]}
 *
 * A field whose file could not be read is left out (its check says why); the ranges
 * are left out when hidden (iomem_crash_kernel, their number, is there).
 */
int sn_kdump_to_json(const struct sn_kdump *k, cJSON **ret);

/*
 * Whether j is such an object, or {"checked": false} (no snapshot taken): known keys,
 * each once, of their types and within the bounds above, printable ASCII text. Reports
 * written before the checks (no status, arch, checks) pass too. 0 or -EBADMSG. The
 * report's parser checks its "kdump" with it.
 */
int sn_kdump_json_check(const cJSON *j);
