/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The incident report: building from the netlink and kernel log structs, the JSON round
 * trip, strict parsing, the stack hash, host identity from fixture roots.
 *
 *   test-report                      runs the tests
 *   test-report --write-fixtures DIR writes the sample reports (tests/fixtures/reports/)
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kdump.h"
#include "nmi-format.h"
#include "report.h"
#include "report-format.h"

#define ROOT	     FIXTURES_DIR "/root"
#define ROOT_PARTIAL FIXTURES_DIR "/root-partial"
#define REPORTS	     FIXTURES_DIR "/reports"

/* ---- sample reports ---- */

static char *frames_lockup[] = {
	"spin_loop+0x24/0x40 [sdei_nmi_test]",
	"lockup_fn+0x10/0x20 [sdei_nmi_test 4f2a9c]",
	"worker_thread+0x19c/0x2f0",
	"kthread+0xe8/0x100",
	"ret_from_fork+0x10/0x20",
	"0xffff800080012345",
};
#define FRAMES_LOCKUP_HASH UINT64_C(0xdaabd355de3718ab)

static const struct sn_host sample_host = {
	.hostname = "arm64-lab",
	.machine_id = "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5",
	.boot_id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
	.kernel_release = "7.2.0-sdei-nmi+",
	.firmware_version = "1.1",
};

static void set_id(struct sn_report *r, const char *id)
{
	assert_true(sn_report_id_valid(id));
	memcpy(r->id, id, SN_REPORT_ID_LEN + 1);
}

/* A hard lockup of CPU 2, its backtrace requested over netlink; CPU 3 timed out. */
/* FNV-1a 128 of "sdei-nmi.report\n0f9f1c0e-...-1b2c3d4e5f60\n1014", as Python computes it */
#define FROM_RECORD_ID "665a6108-2f47-8886-963d-4d7cc03473bd"

static struct sn_report *sample_hard_lockup(void)
{
	struct sn_report *r = NULL;
	struct sn_entry captured = {
		.cpu = 2,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 4200,
		.has_time_ns = true,
		.time_ns = 123456789012,
		.has_pstate = true,
		.pstate = 0x600003c5, /* EL1h, DAIF all masked */
		.has_pc = true,
		.pc = 0xffff800080a1b2c4,
		.has_lr = true,
		.lr = 0xffff800080a1b2a0,
		.has_sp = true,
		.sp = 0xffff80008403fd90,
		.context = SDEI_NMI_CONTEXT_KERNEL,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "kworker/2:1",
		.has_pid = true,
		.pid = 87,
		.pc_sym = "spin_loop+0x24/0x40 [sdei_nmi_test]",
		.lr_sym = "lockup_fn+0x10/0x20 [sdei_nmi_test]",
		.n_frames = ELEMENTSOF(frames_lockup),
		.frames = frames_lockup,
	};
	struct sn_entry timeout = {
		.cpu = 3,
		.delivery = SDEI_NMI_DELIVERY_TIMEOUT,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
	};
	struct sn_report_time t0 = { 1793613845123456, 98765432101234 };
	struct sn_report_time t1 = { 1793613847000001, 98767308645779 };

	assert_int_equal(sn_report_new(SN_INCIDENT_HARD_LOCKUP, &r), 0);
	set_id(r, "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	assert_int_equal(sn_report_set_host(r, &sample_host), 0);
	assert_int_equal(sn_report_set_detector(r, "buddy"), 0);
	assert_int_equal(sn_report_add_stalled_cpu(r, 2), 0);
	sn_report_seen(r, &t1);
	sn_report_seen(r, &t0);
	assert_int_equal(sn_report_add_kmsg_seq(r, 1812), 0);
	assert_int_equal(sn_report_add_kmsg_seq(r, 1810), 0);
	assert_int_equal(sn_report_add_kmsg_seq(r, 1812), 0);
	assert_int_equal(sn_report_add_entry(r, &captured, SN_STACK_NETLINK_REQUEST), 0);
	assert_int_equal(sn_report_add_entry(r, &timeout, SN_STACK_NETLINK_REQUEST), 0);
	assert_int_equal(
		sn_report_add_log_line(
			r, "watchdog: CPU3: Watchdog detected hard LOCKUP on cpu 2"),
		0);
	assert_int_equal(sn_report_add_log_line(r, "Modules linked in: sdei_nmi_test(O)"),
			 0);
	r->folded_count = 2;
	{
		/* A host with memory reserved but no crash kernel loaded. */
		struct sn_kdump k = { .loaded = false,
				      .size = 268435456,
				      .n_params = 1,
				      .params = { "256M" },
				      .n_ranges = 1,
				      .ranges = { { 0xb0000000, 0xbfffffff } },
				      .n_reasons = 1,
				      .reasons = { "no crash kernel is loaded" } };
		cJSON *j = NULL;

		assert_int_equal(sn_kdump_to_json(&k, &j), 0);
		assert_int_equal(sn_report_set_kdump(r, j), 0);
	}
	return r;
}

/* An RCU stall, the stack from the kernel log, a comm with a byte to escape. */
static struct sn_report *sample_rcu_stall(void)
{
	static struct sn_kmsg_backtrace bt = {
		.origin = SN_KMSG_BT_RCU_STALL,
		.cpu = 1,
		.has_pid = true,
		.pid = 1234,
		.comm = "stress\tng",
		.has_pstate = true,
		.pstate = 0x80000005, /* EL1h, nothing masked */
		.pc_sym = "rcu_spin+0x8/0x10",
		.lr_sym = "rcu_spin+0x4/0x10",
		.has_sp = true,
		.sp = 0xffff800084b3fd40,
		.has_trace = true,
		.n_frames = 3,
		.frames = { { "rcu_spin+0x8/0x10", "" },
			    { "el1h_64_irq+0x6c/0x70", "" },
			    { "do_idle+0x1c/0x30", "P" } },
	};
	struct sn_report *r = NULL;
	struct sn_report_time t = { 1793613900000000, 98820000000000 };

	assert_int_equal(sn_report_new(SN_INCIDENT_RCU_STALL, &r), 0);
	set_id(r, "7c9e6679-7425-40de-944b-e07fc1f90ae7");
	assert_int_equal(sn_report_set_host(r, &sample_host), 0);
	assert_int_equal(sn_report_set_detector(r, "rcu"), 0);
	assert_int_equal(sn_report_add_stalled_cpu(r, 1), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_kmsg_seq(r, 40), 0);
	assert_int_equal(sn_report_add_kmsg_backtrace(r, &bt), 0);
	assert_int_equal(sn_report_add_log_line(
				 r, "rcu: INFO: rcu_preempt self-detected stall on CPU"),
			 0);
	assert_int_equal(sn_report_add_log_line(r, "rcu: \t1-....: (5249 ticks this GP)"),
			 0);
	return r;
}

/* A soft lockup on a host without the NMI source, host identity partly unknown. */
static struct sn_report *sample_unavailable(void)
{
	struct sn_report *r = NULL;
	struct sn_host host = { .hostname = "no-sdei", .kernel_release = "6.12.0" };
	struct sn_report_time t = { 0, 0 };

	assert_int_equal(sn_report_new(SN_INCIDENT_SOFT_LOCKUP, &r), 0);
	set_id(r, "16fd2706-8baf-433b-82eb-8c7fada847da");
	assert_int_equal(sn_report_set_host(r, &host), 0);
	assert_int_equal(sn_report_add_stalled_cpu(r, 0), 0);
	assert_int_equal(sn_report_add_stalled_cpu(r, 5), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_missing(r, 0, SN_EVIDENCE_UNAVAILABLE,
					       "no sdei-nmi netlink family"),
			 0);
	assert_int_equal(sn_report_add_missing(r, 5, SN_EVIDENCE_NOT_REQUESTED,
					       "rate limit: one request per 10 s"),
			 0);
	return r;
}

/*
 * SysRq-l seen by both sources (schema minor 1): the BPF source's backtrace request and
 * its caller, one CPU's backtrace from the kernel log.
 */
static struct sn_report *sample_sysrq_bpf(void)
{
	static struct sn_kmsg_backtrace bt = {
		.origin = SN_KMSG_BT_NMI,
		.cpu = 1,
		.has_pid = true,
		.pid = 0,
		.comm = "swapper/1",
		.has_trace = true,
		.n_frames = 2,
		.frames = { { "default_idle_call+0x34/0x48", "" },
			    { "do_idle+0x1c/0x30", "" } },
	};
	struct sn_report *r = NULL;
	struct sn_report_time t = { 1793613905000000, 98825000000000 };
	struct sn_cpu_set targets = {};

	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &r), 0);
	set_id(r, "3b241101-e2bb-4255-8caf-4136c566a962");
	assert_int_equal(sn_report_set_host(r, &sample_host), 0);
	assert_int_equal(sn_report_set_detector(r, "sysrq"), 0);
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		assert_int_equal(sn_cpu_set_add(&targets, cpu), 0);
		assert_int_equal(sn_report_add_stalled_cpu(r, cpu), 0);
	}
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_kmsg_seq(r, 77), 0);
	assert_int_equal(sn_report_add_kmsg_backtrace(r, &bt), 0);
	assert_int_equal(
		sn_report_add_missing(r, 0, SN_EVIDENCE_NOT_REQUESTED,
				      "sdei-nmid does not request backtraces yet"),
		0);
	assert_int_equal(sn_report_set_trigger(r, SN_BT_CALLER_SYSRQ,
					       "sysrq_handle_showallcpus", 0, &targets),
			 0);
	r->sources = SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF;
	assert_int_equal(sn_report_add_log_line(r, "NMI backtrace for cpu 1"), 0);
	return r;
}

/* A hung task's, with the task's stack (minor 2). */
static struct sn_report *sample_hung_task(void)
{
	static struct sn_kmsg_backtrace bt = {
		.origin = SN_KMSG_BT_TASK,
		.cpu = SN_KMSG_BT_NO_CPU,
		.has_pid = true,
		.pid = 300,
		.comm = "jbd2/sda1-8",
		.has_trace = true,
		.n_frames = 2,
		.frames = { { "__switch_to+0xd4/0x170", "T" },
			    { "jbd2_journal_commit_transaction+0x1f0/0x1a00" } },
	};
	struct sn_report_time t = { .realtime_usec = 1764000000000000,
				    .monotonic_ns = 120000000000 };
	struct sn_report *r = NULL;

	assert_int_equal(sn_report_new(SN_INCIDENT_HUNG_TASK, &r), 0);
	assert_int_equal(sn_report_id_from_record("3f2504e0-4f89-41d3-9a0c-0305e82c3301",
						  4001, r->id),
			 0);
	assert_int_equal(sn_report_set_detector(r, "hung_task"), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_kmsg_seq(r, 4001), 0);
	assert_int_equal(sn_report_set_task(r, "jbd2/sda1-8", 300, 122, true, &bt), 0);
	assert_int_equal(sn_report_set_kdump(r, cJSON_Parse("{\"checked\":false}")), 0);
	return r;
}

static struct sn_report *(*const samples[])(void) = {
	sample_hard_lockup, sample_rcu_stall, sample_unavailable,
	sample_sysrq_bpf,   sample_hung_task,
};
static const char *const sample_names[] = {
	"hard-lockup.json",
	"rcu-stall.json",
	"soft-lockup-unavailable.json",
	"sysrq-bpf.json",
	"hung-task.json",
};

static char *serialize(const struct sn_report *r)
{
	char *s = NULL;
	size_t len = 0;

	assert_int_equal(sn_report_serialize(r, &s, &len), 0);
	assert_int_equal(strlen(s), len);
	return s;
}

static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

/* ---- tests ---- */

static void test_stack_hash(void **state)
{
	char buf[128];

	/* Fixed: computed independently (FNV-1a 64 of the normalized frames). */
	assert_int_equal(sn_stack_hash(frames_lockup, ELEMENTSOF(frames_lockup)),
			 FRAMES_LOCKUP_HASH);
	assert_int_equal(sn_stack_hash(NULL, 0), UINT64_C(0xcbf29ce484222325));

	sn_stack_frame_normalize("func+0x8/0x24 [mod 0123abcd] (P)", buf, sizeof(buf));
	assert_string_equal(buf, "func [mod]");
	sn_stack_frame_normalize(" func.constprop.0+0x8/0x24", buf, sizeof(buf));
	assert_string_equal(buf, "func.constprop.0");
	sn_stack_frame_normalize("0xffff800080012345", buf, sizeof(buf));
	assert_string_equal(buf, "?");
	sn_stack_frame_normalize("ffff800080012345", buf, sizeof(buf));
	assert_string_equal(buf, "?");
	sn_stack_frame_normalize("func", buf, 3);
	assert_string_equal(buf, "fu");

	/* Other offsets, build ids and marks: the same path, the same hash. */
	char *moved[] = {
		"spin_loop+0x28/0x40 [sdei_nmi_test ffee]",
		"lockup_fn+0x14/0x20 [sdei_nmi_test]",
		"worker_thread+0x1a0/0x2f0 (P)",
		"kthread+0xe8/0x100",
		"ret_from_fork+0x10/0x20",
		"0xffff800099999999",
	};
	assert_int_equal(sn_stack_hash(moved, ELEMENTSOF(moved)), FRAMES_LOCKUP_HASH);
	/* Another function, or the same frames in another order: another hash. */
	char *other[] = { "kthread+0xe8/0x100", "worker_thread+0x19c/0x2f0" };
	char *swapped[] = { "worker_thread+0x19c/0x2f0", "kthread+0xe8/0x100" };
	assert_int_not_equal(sn_stack_hash(other, 2), sn_stack_hash(swapped, 2));
}

static void test_round_trip(void **state)
{
	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		_cleanup_(sn_report_freep) struct sn_report *r = samples[i]();
		_cleanup_(sn_report_freep) struct sn_report *back = NULL;
		_cleanup_(freep) char *a = serialize(r);
		_cleanup_(freep) char *b = NULL;

		assert_int_equal(sn_report_parse(a, strlen(a), &back), 0);
		b = serialize(back);
		assert_string_equal(a, b);
		assert_string_equal(back->id, r->id);
		assert_int_equal(back->kind, r->kind);
		assert_int_equal(back->n_evidence, r->n_evidence);
		assert_int_equal(back->n_log_lines, r->n_log_lines);
		assert_int_equal(back->first_seen.monotonic_ns,
				 r->first_seen.monotonic_ns);
		assert_int_equal(back->last_seen.realtime_usec,
				 r->last_seen.realtime_usec);
		assert_memory_equal(&back->stalled, &r->stalled, sizeof(r->stalled));
	}
}

static void test_built_fields(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *r = sample_hard_lockup();
	_cleanup_(sn_report_freep) struct sn_report *k = sample_rcu_stall();
	_cleanup_(sn_report_freep) struct sn_report *n = NULL;
	const struct sn_evidence *e = &r->evidence[0];

	/* seen() twice, out of order: first and last. */
	assert_int_equal(r->first_seen.monotonic_ns, 98765432101234);
	assert_int_equal(r->last_seen.monotonic_ns, 98767308645779);
	assert_int_equal(r->n_kmsg_seqs, 2);
	assert_int_equal(r->kmsg_seqs[0], 1810);
	assert_int_equal(r->kmsg_seqs[1], 1812);
	assert_int_equal(e->source, SN_STACK_NETLINK_REQUEST);
	assert_true(e->has_stack_hash);
	assert_int_equal(e->stack_hash, FRAMES_LOCKUP_HASH);
	/* A timed-out CPU has no source, registers or stack. */
	assert_int_equal(r->evidence[1].delivery, SN_EVIDENCE_TIMEOUT);
	assert_int_equal(r->evidence[1].source, SN_STACK_NONE);
	assert_false(r->evidence[1].has_stack_hash);
	/* Escaped when built: the round trip is exact. */
	assert_string_equal(k->evidence[0].comm, "stress\\x09ng");
	assert_int_equal(k->evidence[0].source, SN_STACK_KMSG);

	/* A new report: a valid random id, kdump not checked; not whole until seen. */
	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &n), 0);
	assert_true(sn_report_id_valid(n->id));
	assert_int_equal(n->id[14], '4');
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(n->kdump, "checked")));
	cJSON *j = NULL;
	assert_int_equal(sn_report_to_json(n, &j), -EINVAL);

	/* An unknown delivery value is "unknown", without registers. */
	struct sn_entry odd = { .cpu = 9, .delivery = 77, .has_pc = true, .pc = 1 };
	assert_int_equal(sn_report_add_entry(n, &odd, SN_STACK_NETLINK_MONITOR), 0);
	assert_int_equal(n->evidence[0].delivery, SN_EVIDENCE_UNKNOWN);
	assert_false(n->evidence[0].has_pc);
	assert_int_equal(sn_report_add_entry(n, &odd, SN_STACK_KMSG), -EINVAL);
	assert_int_equal(sn_report_add_missing(n, 1, SN_EVIDENCE_CAPTURED, "x"), -EINVAL);
	assert_int_equal(sn_report_add_missing(n, 1, SN_EVIDENCE_UNAVAILABLE, ""),
			 -EINVAL);
	assert_int_equal(sn_report_set_detector(n, "Bad Detector"), -EINVAL);
	assert_int_equal(sn_report_add_stalled_cpu(n, SN_CPU_SET_MAX), -ERANGE);
	assert_int_equal(sn_report_add_kmsg_seq(n, SN_JSON_MAX_SAFE_INT + 1), -ERANGE);
	assert_int_equal(sn_report_set_kdump(n, NULL), -EINVAL);

	/* Two ids in a row differ. */
	char a[SN_REPORT_ID_LEN + 1], b[SN_REPORT_ID_LEN + 1];
	assert_int_equal(sn_report_id_new(a), 0);
	assert_int_equal(sn_report_id_new(b), 0);
	assert_string_not_equal(a, b);
}

/* An incident's id from its boot and first record: the same twice, version 8. */
static void test_id_from_record(void **state)
{
	static const char boot[] = "0f9f1c0e-7d4c-4a55-9a3e-1b2c3d4e5f60";
	static const char other[] = "0f9f1c0e-7d4c-4a55-9a3e-1b2c3d4e5f61";
	char a[SN_REPORT_ID_LEN + 1], b[SN_REPORT_ID_LEN + 1], c[SN_REPORT_ID_LEN + 1];

	assert_int_equal(sn_report_id_from_record(boot, 1014, a), 0);
	assert_int_equal(sn_report_id_from_record(boot, 1014, b), 0);
	assert_string_equal(a, b);
	assert_true(sn_report_id_valid(a));
	assert_int_equal(a[14], '8');
	assert_true(strchr("89ab", a[19]) != NULL);
	/* another record, another boot: another id */
	assert_int_equal(sn_report_id_from_record(boot, 1015, c), 0);
	assert_string_not_equal(a, c);
	assert_int_equal(sn_report_id_from_record(other, 1014, c), 0);
	assert_string_not_equal(a, c);
	/* pinned: a change of the derivation renames every report of a restart */
	assert_string_equal(a, FROM_RECORD_ID);
	assert_int_equal(sn_report_id_from_record("not-a-uuid", 1, c), -EINVAL);
	assert_int_equal(sn_report_id_from_record(NULL, 1, c), -EINVAL);
}

static void test_bounds(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	char line[2 * SN_REPORT_MAX_TEXT];
	struct sn_report_time t = { 1, 1 };
	size_t added = 0;

	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &r), 0);
	sn_report_seen(r, &t);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	/* Lines are cut to SN_REPORT_MAX_TEXT; the byte bound then stops them. */
	for (unsigned i = 0; i < 100; i++)
		if (sn_report_add_log_line(r, line) == 0)
			added++;
	assert_int_equal(strlen(r->log_lines[0]), SN_REPORT_MAX_TEXT);
	assert_int_equal(added, SN_REPORT_MAX_LOG_BYTES / SN_REPORT_MAX_TEXT);
	assert_int_equal(r->log_lines_dropped, 100 - added);
	for (unsigned i = 0; i < SN_REPORT_MAX_SEQS; i++)
		assert_int_equal(sn_report_add_kmsg_seq(r, i), 0);
	assert_int_equal(sn_report_add_kmsg_seq(r, 100000), -E2BIG);
	assert_int_equal(sn_report_add_kmsg_seq(r, 5), 0); /* already there */

	/* An escape is never cut in half. */
	_cleanup_(sn_report_freep) struct sn_report *q = NULL;
	char ctl[SN_REPORT_MAX_TEXT + 8];
	memset(ctl, 'a', sizeof(ctl) - 1);
	ctl[sizeof(ctl) - 1] = '\0';
	ctl[SN_REPORT_MAX_TEXT - 2] = '\x01';
	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &q), 0);
	assert_int_equal(sn_report_add_log_line(q, ctl), 0);
	assert_int_equal(strlen(q->log_lines[0]), SN_REPORT_MAX_TEXT - 2);

	/* A latency past 2^53 - 1 is left out, not written inexactly. */
	struct sn_entry e = { .cpu = 0,
			      .delivery = SDEI_NMI_DELIVERY_TIMEOUT,
			      .has_latency_ns = true,
			      .latency_ns = UINT64_MAX };
	assert_int_equal(sn_report_add_entry(q, &e, SN_STACK_NETLINK_REQUEST), 0);
	assert_false(q->evidence[0].has_latency_ns);
	/* A count past 2^53 - 1 cannot be written. */
	_cleanup_(freep) char *s = NULL;
	sn_report_seen(q, &t);
	q->folded_count = SN_JSON_MAX_SAFE_INT + 1;
	assert_int_equal(sn_report_serialize(q, &s, NULL), -ERANGE);
	q->folded_count = SN_JSON_MAX_SAFE_INT;
	assert_int_equal(sn_report_serialize(q, &s, NULL), 0);
}

/* Replaces the first occurrence of from in s by to; the result is malloc()ed. */
static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

static void test_parse_strict(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *r = sample_hard_lockup();
	_cleanup_(freep) char *good = serialize(r);
	static const struct {
		const char *from, *to, *what;
	} bad[] = {
		{ "\"schema\":\"sdei-nmi.report/1\"", "\"schema\":\"sdei-nmi.report/2\"",
		  "unknown schema" },
		{ "\"id\":\"0d2f5b8e", "\"id\":\"0D2F5B8E", "uppercase id" },
		{ "\"folded_count\":2", "\"folded_count\":2,\"extra\":1", "unknown key" },
		{ "\"folded_count\":2", "\"folded_count\":2,\"folded_count\":3",
		  "repeated key" },
		{ "\"folded_count\":2", "\"folded_count\":2.5", "fraction" },
		{ "\"folded_count\":2", "\"folded_count\":-1", "negative" },
		{ "\"folded_count\":2", "\"folded_count\":9007199254740992",
		  "past 2^53 - 1" },
		{ "\"folded_count\":2", "\"folded_count\":\"2\"",
		  "string for an integer" },
		{ "\"stack_hash\":\"0xdaabd355de3718ab\"",
		  "\"stack_hash\":\"0xdaabd355de3718ac\"", "stack hash not the frames'" },
		{ "\"interrupts_masked\":true", "\"interrupts_masked\":false",
		  "pstate decoded wrong" },
		{ "\"el\":\"EL1h\"", "\"el\":\"EL2h\"", "el decoded wrong" },
		{ "\"pc\":\"0xffff800080a1b2c4\"", "\"pc\":\"0xFFFF800080A1B2C4\"",
		  "uppercase hex" },
		{ "\"delivery\":\"timeout\"", "\"delivery\":\"timeout\",\"reason\":\"x\"",
		  "reason on a timeout" },
		{ "\"delivery\":\"timeout\"", "\"delivery\":\"timeout\",\"comm\":\"x\"",
		  "comm without a source" },
		{ "\"delivery\":\"timeout\"", "\"delivery\":\"lost\"",
		  "unknown delivery" },
		{ "\"kind\":\"hard-lockup\"", "\"kind\":\"lockup\"", "unknown kind" },
		{ "\"monotonic_ns\":\"98765432101234\"",
		  "\"monotonic_ns\":98765432101234", "monotonic as a number" },
		{ "\"monotonic_ns\":\"98765432101234\"",
		  "\"monotonic_ns\":\"098765432101234\"", "leading zero" },
		{ "\"monotonic_ns\":\"98765432101234\"",
		  "\"monotonic_ns\":\"18446744073709551616\"", "past 2^64 - 1" },
		{ "2026-11-02T", "2026-02-30T", "no such date" },
		{ ".123456Z", ".123456+01:00", "not UTC" },
		{ "\"kmsg_seqs\":[1810,1812]", "\"kmsg_seqs\":[1812,1810]",
		  "seqs not ascending" },
		{ "\"stalled_cpus\":[2]", "\"stalled_cpus\":[2,2]", "repeated CPU" },
		{ "\"stalled_cpus\":[2]", "\"stalled_cpus\":[4096]", "CPU out of range" },
		{ "\"comm\":\"kworker/2:1\"", "\"comm\":\"kworker\\n\"",
		  "not printable" },
		{ "\"kdump\":{\"checked\":true,", "\"kdump\":{\"checked\":1,",
		  "kdump checked not a boolean" },
		{ "\"crash_size\":268435456", "\"crash_size\":-1", "negative size" },
		{ "\"crash_size\":268435456", "\"crash_size\":1,\"x\":1",
		  "unknown kdump key" },
		{ "\"ready\":false,", "", "checked kdump without ready" },
		{ "\"start\":\"0x00000000b0000000\"", "\"start\":\"0xb0000000\"",
		  "range not 16 hex digits" },
		{ "\"machine_id\":\"b0a1", "\"machine_id\":\"x0a1",
		  "machine id not hex" },
		{ "\"frames\":[", "\"frames\":[\"\",", "empty frame" },
		{ "\"lines_dropped\":0", "\"lines_dropped\":null", "null" },
		{ "\"context\":\"kernel\"", "\"context\":\"asleep\"", "unknown context" },
		{ "\"context\":\"kernel\"", "\"context\":\"unknown-7\"",
		  "context the family did not name" },
		{ "\"path\":\"sdei\"", "\"path\":\"nmi\"", "unknown path" },
		{ "\"path\":\"sdei\"", "\"path\":1", "path as a number" },
		{ "\"delivery\":\"timeout\"",
		  "\"delivery\":\"timeout\",\"context\":\"idle\"",
		  "context without a source" },
		{ "\"delivery\":\"timeout\"", "\"delivery\":\"timeout\",\"path\":\"ipi\"",
		  "path without a source" },
	};

	/* The sample holds what the mutations replace. */
	assert_non_null(strstr(good, "2026-11-02T"));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(freep) char *doc = replace(good, bad[i].from, bad[i].to);
		_cleanup_(sn_report_freep) struct sn_report *p = NULL;
		int rr = sn_report_parse(doc, strlen(doc), &p);

		if (rr != -EBADMSG)
			fail_msg("%s: expected -EBADMSG, got %d", bad[i].what, rr);
		assert_null(p);
	}

	/* Trailing white space is fine, anything else after the document is not. */
	_cleanup_(freep) char *ws = NULL, *junk = NULL, *nul = NULL;
	_cleanup_(sn_report_freep) struct sn_report *p = NULL;
	size_t len = strlen(good);

	assert_true(asprintf(&ws, "%s \n", good) > 0);
	assert_int_equal(sn_report_parse(ws, strlen(ws), &p), 0);
	assert_true(asprintf(&junk, "%s{}", good) > 0);
	assert_int_equal(sn_report_parse(junk, strlen(junk), &p), -EBADMSG);
	nul = malloc(len + 2);
	memcpy(nul, good, len);
	nul[len] = '\0';
	nul[len + 1] = ' ';
	assert_int_equal(sn_report_parse(nul, len + 2, &p), -EBADMSG);
	assert_int_equal(sn_report_parse(good, len - 1, &p), -EBADMSG); /* cut */
	assert_int_equal(sn_report_parse("", 0, &p), -EBADMSG);
	assert_int_equal(sn_report_parse(good, SN_REPORT_MAX_BYTES + 1, &p), -E2BIG);
}

/* The trigger and the sources (minor 1): what they must be, and what they may not. */
static void test_trigger(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *r = sample_sysrq_bpf();
	_cleanup_(freep) char *good = serialize(r);
	_cleanup_(sn_report_freep) struct sn_report *p = NULL;
	struct sn_cpu_set none = {};
	static const struct {
		const char *from, *to, *what;
	} bad[] = {
		{ "\"sources\":[\"kmsg\",\"bpf\"]", "\"sources\":[\"bpf\",\"kmsg\"]",
		  "sources out of order" },
		{ "\"sources\":[\"kmsg\",\"bpf\"]", "\"sources\":[\"kmsg\",\"kmsg\"]",
		  "a source twice" },
		{ "\"sources\":[\"kmsg\",\"bpf\"]", "\"sources\":[]", "no source" },
		{ "\"sources\":[\"kmsg\",\"bpf\"]", "\"sources\":[\"netlink\"]",
		  "unknown source" },
		{ "\"caller\":\"sysrq\"", "\"caller\":\"keyboard\"", "unknown caller" },
		{ "\"source\":\"bpf\"", "\"source\":\"kmsg\"", "trigger from kmsg" },
		{ "\"function\":\"sysrq_handle_showallcpus\"", "\"function\":\"a b\"",
		  "function with a space" },
		{ "\"function\":\"sysrq_handle_showallcpus\"", "\"function\":\"\"",
		  "empty function" },
		{ "\"requester_cpu\":0", "\"requester_cpu\":4096",
		  "requester out of range" },
		{ "\"target_cpus\":[0,1]", "\"target_cpus\":[1,0]",
		  "targets not ascending" },
		{ "\"target_cpus\":[0,1]", "\"target_cpus\":[0,1],\"x\":1",
		  "unknown key in the trigger" },
		{ ",\"target_cpus\":[0,1]", "", "no targets" },
	};

	assert_non_null(strstr(good,
			       "\"trigger\":{\"source\":\"bpf\",\"caller\":\"sysrq\","
			       "\"function\":\"sysrq_handle_showallcpus\","
			       "\"requester_cpu\":0,\"target_cpus\":[0,1]}"));
	assert_int_equal(sn_report_parse(good, strlen(good), &p), 0);
	assert_true(p->has_trigger);
	assert_int_equal(p->trigger.caller, SN_BT_CALLER_SYSRQ);
	assert_int_equal(p->sources, SN_REPORT_SOURCE_KMSG | SN_REPORT_SOURCE_BPF);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(freep) char *doc = replace(good, bad[i].from, bad[i].to);
		_cleanup_(sn_report_freep) struct sn_report *q = NULL;
		int rr = sn_report_parse(doc, strlen(doc), &q);

		if (rr != -EBADMSG)
			fail_msg("%s: expected -EBADMSG, got %d", bad[i].what, rr);
	}

	/* Without a function it is left out; a bad one or caller is refused. */
	assert_int_equal(sn_report_set_trigger(r, SN_BT_CALLER_OTHER, NULL, 3, &none), 0);
	_cleanup_(freep) char *other = serialize(r);
	assert_non_null(strstr(other,
			       "\"trigger\":{\"source\":\"bpf\",\"caller\":"
			       "\"other\",\"requester_cpu\":3,\"target_cpus\":[]}"));
	assert_int_equal(sn_report_set_trigger(r, _SN_BT_CALLER_MAX, NULL, 0, &none),
			 -EINVAL);
	assert_int_equal(sn_report_set_trigger(r, SN_BT_CALLER_RCU, "x;y", 0, &none),
			 -EINVAL);
	assert_int_equal(sn_report_set_trigger(r, SN_BT_CALLER_RCU, NULL, 4096, &none),
			 -ERANGE);
	r->sources = 1u << 5;
	assert_int_equal(sn_report_to_json(r, &(cJSON *){ NULL }), -EINVAL);
}

static void test_fixtures(void **state)
{
	/* The checked-in fixtures parse, and are what the samples serialize to today. */
	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		char path[512];
		size_t len;
		_cleanup_(freep) char *buf = NULL, *again = NULL, *want = NULL;
		_cleanup_(sn_report_freep) struct sn_report *p = NULL;
		_cleanup_(sn_report_freep) struct sn_report *r = samples[i]();

		snprintf(path, sizeof(path), "%s/%s", REPORTS, sample_names[i]);
		buf = read_file(path, &len);
		want = serialize(r);
		/* What a new sample's fixture file is to hold. */
		if (getenv("SN_TEST_PRINT_SAMPLES"))
			fprintf(stderr, "%s: %s\n", sample_names[i], want);
		assert_int_equal(sn_report_parse(buf, len, &p), 0);
		again = serialize(p);
		assert_true(len > 0 && buf[len - 1] == '\n');
		buf[len - 1] = '\0';
		assert_string_equal(buf, again);
		assert_string_equal(buf, want);
	}
}

static void test_host_read(void **state)
{
	struct sn_host h;
	int errs[_SN_HOST_FIELD_MAX];
	char *v = (char *)0x1;

	assert_int_equal(sn_host_read(ROOT, &h, errs), 0);
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++)
		assert_int_equal(errs[f], 0);
	assert_string_equal(h.hostname, "arm64-lab");
	assert_string_equal(h.machine_id, "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
	assert_string_equal(h.boot_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	assert_string_equal(h.kernel_release, "7.2.0-sdei-nmi+");
	assert_string_equal(h.firmware_version, "1.1");
	sn_host_done(&h);

	/* Each failure has its errno, and its field is absent. */
	assert_int_equal(sn_host_read(ROOT_PARTIAL, &h, errs), 0);
	assert_int_equal(errs[SN_HOST_HOSTNAME], -EBADMSG);	    /* a space */
	assert_int_equal(errs[SN_HOST_MACHINE_ID], -ENOMEDIUM);	    /* uninitialized */
	assert_int_equal(errs[SN_HOST_BOOT_ID], -EBADMSG);	    /* not a UUID */
	assert_int_equal(errs[SN_HOST_KERNEL_RELEASE], -ENOMEDIUM); /* empty */
	assert_int_equal(errs[SN_HOST_FIRMWARE_VERSION], -ENOENT);  /* no sdei_nmi */
	assert_null(h.hostname);
	assert_null(h.machine_id);
	assert_null(h.boot_id);
	assert_null(h.kernel_release);
	assert_null(h.firmware_version);
	sn_host_done(&h);

	assert_int_equal(sn_host_read_field(ROOT_PARTIAL, SN_HOST_FIRMWARE_VERSION, &v),
			 -ENOENT);
	assert_ptr_equal(v, (char *)0x1); /* untouched */
	assert_int_equal(
		sn_host_read_field(FIXTURES_DIR "/nonexistent", SN_HOST_HOSTNAME, &v),
		-ENOENT);

	/* A partial identity goes into the report without the missing fields. */
	_cleanup_(sn_report_freep) struct sn_report *r = sample_unavailable();
	_cleanup_(freep) char *s = serialize(r);
	assert_non_null(strstr(s, "\"host\":{\"hostname\":\"no-sdei\","
				  "\"kernel_release\":\"6.12.0\"}"));
}

static void write_hostname(const char *root, const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/hostname", root);
	f = fopen(path, "we");
	assert_non_null(f);
	fprintf(f, "%s\n", name);
	assert_int_equal(fclose(f), 0);
}

/*
 * A host renamed while the daemon runs: the identity read at start gives each report's
 * copy the name of its time (the daemon reads it once, at start); unreadable then, the
 * name read before. A copy has no root: a copy of it is a plain copy.
 */
static void test_host_rename(void **state)
{
	char root[] = "/tmp/test-report-root-XXXXXX", path[256];
	struct sn_host h, a, b, c;

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/sys", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/proc/sys/kernel", root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_hostname(root, "before");

	assert_int_equal(sn_host_read(root, &h, NULL), 0);
	assert_string_equal(h.hostname, "before");
	assert_string_equal(h.root, root);
	write_hostname(root, "after");
	assert_int_equal(sn_host_copy(&h, &a), 0);
	assert_string_equal(a.hostname, "after");
	assert_null(a.root);
	assert_null(a.machine_id); /* not in this root: still unknown */

	/* unreadable now: the name known before */
	snprintf(path, sizeof(path), "%s/proc/sys/kernel/hostname", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(sn_host_copy(&h, &b), 0);
	assert_string_equal(b.hostname, "before");

	/* a copy's copy reads nothing */
	write_hostname(root, "later");
	assert_int_equal(sn_host_copy(&a, &c), 0);
	assert_string_equal(c.hostname, "after");

	/* the fixture's host, as a report takes it */
	sn_host_done(&h);
	assert_int_equal(sn_host_read(ROOT, &h, NULL), 0);
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	assert_int_equal(sn_report_new(SN_INCIDENT_HARD_LOCKUP, &r), 0);
	assert_int_equal(sn_report_set_host(r, &h), 0);
	assert_string_equal(r->host.hostname, "arm64-lab");
	assert_null(r->host.root);

	sn_host_done(&h);
	sn_host_done(&a);
	sn_host_done(&b);
	sn_host_done(&c);
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/proc/sys/kernel", root);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/proc/sys", root);
	assert_int_equal(rmdir(path), 0);
	snprintf(path, sizeof(path), "%s/proc", root);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(rmdir(root), 0);
}

static void test_realtime(void **state)
{
	char buf[32];
	uint64_t us;

	assert_int_equal(sn_format_realtime(0, buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000Z");
	assert_int_equal(sn_format_realtime(1793613845123456, buf), 0);
	assert_string_equal(buf, "2026-11-02T10:04:05.123456Z");
	assert_int_equal(sn_parse_realtime(buf, &us), 0);
	assert_int_equal(us, 1793613845123456);
	assert_int_equal(sn_parse_realtime("2026-11-02T10:04:05.123456", &us), -EINVAL);
	assert_int_equal(sn_parse_realtime("2026-11-02 10:04:05.123456Z", &us), -EINVAL);
	assert_int_equal(sn_parse_realtime("2026-13-02T10:04:05.123456Z", &us), -EINVAL);
	assert_int_equal(sn_format_realtime(UINT64_MAX, buf), -ERANGE);
}

/* The evidence helpers: a copy serializes the same as what it was copied from. */
static void test_evidence_copy(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *a = sample_hard_lockup(), *b = NULL;
	_cleanup_(freep) char *ja = NULL, *jb = NULL;
	struct sn_evidence e = {};

	assert_int_equal(sn_report_new(a->kind, &b), 0);
	memcpy(b->id, a->id, sizeof(b->id));
	assert_int_equal(sn_report_set_host(b, &a->host), 0);
	assert_int_equal(sn_report_set_detector(b, a->detector), 0);
	b->stalled = a->stalled;
	sn_report_seen(b, &a->first_seen);
	sn_report_seen(b, &a->last_seen);
	for (size_t i = 0; i < a->n_kmsg_seqs; i++)
		assert_int_equal(sn_report_add_kmsg_seq(b, a->kmsg_seqs[i]), 0);
	for (size_t i = 0; i < a->n_evidence; i++) {
		assert_int_equal(sn_evidence_copy(&a->evidence[i], &e), 0);
		assert_int_equal(sn_report_add_evidence(b, &e), 0);
		sn_evidence_done(&e);
		assert_null(e.frames);
	}
	for (size_t i = 0; i < a->n_log_lines; i++)
		assert_int_equal(sn_report_add_log_line(b, a->log_lines[i]), 0);
	b->folded_count = a->folded_count;
	assert_int_equal(sn_report_set_kdump(b, cJSON_Duplicate(a->kdump, true)), 0);
	ja = serialize(a);
	jb = serialize(b);
	assert_string_equal(ja, jb);

	assert_int_equal(sn_evidence_missing(1, SN_EVIDENCE_CAPTURED, "x", &e), -EINVAL);
	assert_int_equal(sn_evidence_missing(1, SN_EVIDENCE_UNAVAILABLE, "", &e),
			 -EINVAL);
	assert_int_equal(sn_evidence_missing(1, SN_EVIDENCE_UNAVAILABLE, "why", &e), 0);
	assert_string_equal(e.reason, "why");
	e.delivery = 0;
	assert_int_equal(sn_report_add_evidence(b, &e), -EINVAL);
	e.delivery = SN_EVIDENCE_UNAVAILABLE;
	sn_evidence_done(&e);
}

/*
 * Context and path (minor 3): an idle CPU captured through the IPI fallback outside an
 * interrupt (no pstate, no sp), kept and read back; a newer kernel's values left out;
 * nothing of them for a CPU not captured.
 */
static void test_context_path(void **state)
{
	static char *frames[] = { "__flush_smp_call_function_queue+0x1d4/0x2a8",
				  "do_idle+0x230/0x290" };
	struct sn_entry idle = {
		.cpu = 1,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 2350000,
		.context = SDEI_NMI_CONTEXT_IDLE,
		.path = SDEI_NMI_PATH_IPI,
		.comm = "swapper/1",
		.has_pid = true,
		.pid = 0,
		.pc_sym = "__flush_smp_call_function_queue+0x1d4/0x2a8",
		.n_frames = ELEMENTSOF(frames),
		.frames = frames,
	};
	struct sn_entry newer = idle, timeout = {
		.cpu = 3,
		.delivery = SDEI_NMI_DELIVERY_TIMEOUT,
		.context = SDEI_NMI_CONTEXT_KERNEL,
		.path = SDEI_NMI_PATH_SDEI,
	};
	struct sn_report_time t = { 1793613845123456, 98765432101234 };
	_cleanup_(sn_report_freep) struct sn_report *r = NULL, *back = NULL;
	_cleanup_(freep) char *json = NULL, *again = NULL, *text = NULL, *none = NULL;
	size_t size = 0;
	FILE *f;

	newer.cpu = 2;
	newer.context = 7;
	newer.path = 9;
	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &r), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_entry(r, &idle, SN_STACK_NETLINK_REQUEST), 0);
	assert_int_equal(sn_report_add_entry(r, &newer, SN_STACK_NETLINK_REQUEST), 0);
	assert_int_equal(sn_report_add_entry(r, &timeout, SN_STACK_NETLINK_REQUEST), 0);
	assert_int_equal(r->evidence[0].context, SDEI_NMI_CONTEXT_IDLE);
	assert_int_equal(r->evidence[0].path, SDEI_NMI_PATH_IPI);
	assert_false(r->evidence[0].has_pstate);
	assert_int_equal(r->evidence[1].context, 0);
	assert_int_equal(r->evidence[1].path, 0);
	assert_int_equal(r->evidence[2].context, 0);
	assert_int_equal(r->evidence[2].path, 0);

	json = serialize(r);
	assert_non_null(strstr(json,
			       "{\"cpu\":1,\"delivery\":\"captured\","
			       "\"source\":\"netlink-request\",\"context\":\"idle\","
			       "\"path\":\"ipi\",\"latency_ns\":2350000,\"comm\""));
	assert_non_null(strstr(json, "{\"cpu\":2,\"delivery\":\"captured\","
				     "\"source\":\"netlink-request\",\"latency_ns\""));
	assert_non_null(strstr(json, "{\"cpu\":3,\"delivery\":\"timeout\"}"));
	assert_null(strstr(json, "pstate"));
	assert_int_equal(sn_report_parse(json, strlen(json), &back), 0);
	assert_int_equal(back->evidence[0].context, SDEI_NMI_CONTEXT_IDLE);
	assert_int_equal(back->evidence[0].path, SDEI_NMI_PATH_IPI);
	again = serialize(back);
	assert_string_equal(json, again);

	/* What sdei-nmictl reports show says of it. */
	f = open_memstream(&text, &size);
	assert_non_null(f);
	assert_int_equal(sn_report_format(f, back), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text,
			       "CPU 1: captured (netlink-request) in 2.35 ms through "
			       "an IPI (SDEI masked: deep idle or going offline)\n"
			       "  no registers ("));
	assert_non_null(strstr(text, "\n  idle task swapper/1 (pid 0)\n"));

	/* Not one the family took: -EINVAL, as for a stack without a source. */
	r->evidence[2].context = SDEI_NMI_CONTEXT_IDLE;
	assert_int_equal(sn_report_serialize(r, &none, &size), -EINVAL);
	r->evidence[2].context = 0;
	/* A value without a name. */
	r->evidence[0].path = 9;
	assert_int_equal(sn_report_serialize(r, &none, &size), -EINVAL);
	assert_null(none);
}

/* The context guest (minor 4): kept, read back and said in the text. */
static void test_context_guest(void **state)
{
	static char *frames[] = { "kvm_arch_vcpu_ioctl_run+0x2f4/0x8c0",
				  "kvm_vcpu_ioctl+0x2a0/0xa00" };
	struct sn_entry guest = {
		.cpu = 2,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.context = SDEI_NMI_CONTEXT_GUEST,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "kvm-spin",
		.has_pid = true,
		.pid = 201,
		.pc_sym = "kvm_arch_vcpu_ioctl_run+0x2f4/0x8c0",
		.n_frames = ELEMENTSOF(frames),
		.frames = frames,
	};
	struct sn_report_time t = { 1793613845123456, 98765432101234 };
	_cleanup_(sn_report_freep) struct sn_report *r = NULL, *back = NULL;
	_cleanup_(freep) char *json = NULL, *text = NULL;
	size_t size = 0;
	FILE *f;

	assert_int_equal(sn_report_new(SN_INCIDENT_OTHER, &r), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_entry(r, &guest, SN_STACK_NETLINK_REQUEST), 0);
	json = serialize(r);
	assert_non_null(strstr(json, "\"context\":\"guest\",\"path\":\"sdei\""));
	assert_int_equal(sn_report_parse(json, strlen(json), &back), 0);
	assert_int_equal(back->evidence[0].context, SDEI_NMI_CONTEXT_GUEST);

	f = open_memstream(&text, &size);
	assert_non_null(f);
	assert_int_equal(sn_report_format(f, back), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(strstr(text, "\n  task kvm-spin (pid 201)\n  " SN_TEXT_GUEST "\n"));
}

static int write_fixtures(const char *dir)
{
	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		_cleanup_(sn_report_freep) struct sn_report *r = samples[i]();
		_cleanup_(freep) char *s = serialize(r);
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, sample_names[i]);
		f = fopen(path, "we");
		if (!f || fprintf(f, "%s\n", s) < 0 || fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_hash),    cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_id_from_record),
		cmocka_unit_test(test_built_fields),  cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_parse_strict),  cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_host_read),     cmocka_unit_test(test_realtime),
		cmocka_unit_test(test_evidence_copy), cmocka_unit_test(test_trigger),
		cmocka_unit_test(test_host_rename),
		cmocka_unit_test(test_context_path),
		cmocka_unit_test(test_context_guest),
	};

	if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0)
		return write_fixtures(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
