/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Repeats and the rate of reports (lib/report-limit.c): rules L1-L4, the fold key. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report-limit.h"

#define SEC 1000000ULL

static enum sn_limit_verdict check(struct sn_limiter *l, uint64_t key, uint64_t now,
				   uint64_t *carried)
{
	enum sn_limit_verdict v;
	uint64_t c = 12345;

	assert_int_equal(sn_limiter_check(l, key, now, &v, &c), 0);
	if (v != SN_LIMIT_WRITE)
		assert_int_equal(c, 0);
	if (carried)
		*carried = c;
	return v;
}

/* L1, L3: repeats within the window fold; the next one written carries them. */
static void test_fold(void **state)
{
	_cleanup_(sn_limiter_freep) struct sn_limiter *l = NULL;
	struct sn_limiter_config cfg = { .fold_usec = 300 * SEC };
	struct sn_limiter_stats st;
	uint64_t carried;

	assert_int_equal(sn_limiter_new(&cfg, &l), 0);
	assert_int_equal(check(l, 1, 10 * SEC, &carried), SN_LIMIT_WRITE);
	assert_int_equal(carried, 0);
	assert_int_equal(check(l, 1, 70 * SEC, NULL), SN_LIMIT_FOLDED);
	assert_int_equal(check(l, 2, 80 * SEC, NULL), SN_LIMIT_WRITE); /* another key */
	assert_int_equal(check(l, 1, 309 * SEC, NULL), SN_LIMIT_FOLDED);
	assert_int_equal(sn_limiter_pending(l), 2);
	/* 300 s after the last one written, not after the last folded. */
	assert_int_equal(check(l, 1, 310 * SEC, &carried), SN_LIMIT_WRITE);
	assert_int_equal(carried, 2);
	assert_int_equal(sn_limiter_pending(l), 0);
	assert_int_equal(check(l, 1, 311 * SEC, NULL), SN_LIMIT_FOLDED);
	sn_limiter_get_stats(l, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.folded, 3);
	assert_int_equal(st.carried, 2);
	assert_int_equal(st.rate_limited, 0);
}

/* L2, L3: a bucket of 3, 6 a minute (one token per 10 s). */
static void test_bucket(void **state)
{
	_cleanup_(sn_limiter_freep) struct sn_limiter *l = NULL;
	struct sn_limiter_config cfg = { .per_minute = 6, .burst = 3 };
	struct sn_limiter_stats st;
	uint64_t carried;

	assert_int_equal(sn_limiter_new(&cfg, &l), 0);
	for (uint64_t key = 1; key <= 3; key++)
		assert_int_equal(check(l, key, 100 * SEC, NULL), SN_LIMIT_WRITE);
	assert_int_equal(check(l, 4, 100 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
	assert_int_equal(check(l, 4, 109 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
	/* 10 s: one token. */
	assert_int_equal(check(l, 4, 110 * SEC, &carried), SN_LIMIT_WRITE);
	assert_int_equal(carried, 2);
	assert_int_equal(check(l, 5, 110 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
	/* A long quiet refills to the burst, not beyond. */
	for (uint64_t key = 10; key < 13; key++)
		assert_int_equal(check(l, key, 100000 * SEC, NULL), SN_LIMIT_WRITE);
	assert_int_equal(check(l, 13, 100000 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
	/* Time going back does not refill. */
	assert_int_equal(check(l, 14, 50 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
	sn_limiter_get_stats(l, &st);
	assert_int_equal(st.rate_limited, 5);
	assert_int_equal(sn_limiter_pending(l), 3); /* 5, 13, 14 */

	/* No limit at all: everything is written. */
	{
		_cleanup_(sn_limiter_freep) struct sn_limiter *n = NULL;

		assert_int_equal(sn_limiter_new(NULL, &n), 0);
		for (int i = 0; i < 1000; i++)
			assert_int_equal(check(n, 7, 1, NULL), SN_LIMIT_WRITE);
	}
}

/* L4: the key written longest ago is forgotten, with its count. */
static void test_keys(void **state)
{
	_cleanup_(sn_limiter_freep) struct sn_limiter *l = NULL;
	struct sn_limiter_config cfg = { .fold_usec = 1000 * SEC, .max_keys = 2 };
	struct sn_limiter_stats st;
	uint64_t carried;

	assert_int_equal(sn_limiter_new(&cfg, &l), 0);
	assert_int_equal(check(l, 1, 1 * SEC, NULL), SN_LIMIT_WRITE);
	assert_int_equal(check(l, 1, 2 * SEC, NULL), SN_LIMIT_FOLDED);
	assert_int_equal(check(l, 2, 3 * SEC, NULL), SN_LIMIT_WRITE);
	assert_int_equal(check(l, 3, 4 * SEC, NULL), SN_LIMIT_WRITE); /* 1 goes */
	sn_limiter_get_stats(l, &st);
	assert_int_equal(st.forgotten, 1);
	/* Key 1 is new again: written, carrying nothing. */
	assert_int_equal(check(l, 1, 5 * SEC, &carried), SN_LIMIT_WRITE);
	assert_int_equal(carried, 0);
	assert_string_equal(sn_limit_verdict_to_string(SN_LIMIT_FOLDED), "folded");

	/* New bounds: no folding, a bucket of one; the counts are kept. */
	assert_int_equal(check(l, 1, 6 * SEC, NULL), SN_LIMIT_FOLDED);
	assert_int_equal(
		sn_limiter_set_config(l, &(struct sn_limiter_config){ .per_minute = 1 }),
		0);
	assert_int_equal(sn_limiter_set_config(l, NULL), -EINVAL);
	assert_int_equal(check(l, 1, 7 * SEC, &carried), SN_LIMIT_WRITE);
	assert_int_equal(carried, 1);
	assert_int_equal(check(l, 1, 8 * SEC, NULL), SN_LIMIT_RATE_LIMITED);
}

static struct sn_report *report(enum sn_incident_kind kind, uint32_t cpu,
				const char *frame)
{
	struct sn_report *r = NULL;
	char *frames[] = { (char *)frame, "el1_interrupt+0x3c/0x60" };
	struct sn_entry e = { .cpu = cpu,
			      .delivery = SDEI_NMI_DELIVERY_CAPTURED,
			      .n_frames = 2,
			      .frames = frames };

	assert_int_equal(sn_report_new(kind, &r), 0);
	assert_int_equal(sn_report_add_stalled_cpu(r, cpu), 0);
	if (frame)
		assert_int_equal(sn_report_add_entry(r, &e, SN_STACK_NETLINK_REQUEST), 0);
	else
		assert_int_equal(sn_report_add_missing(r, cpu, SN_EVIDENCE_UNAVAILABLE,
						       "no sdei-nmi netlink family"),
				 0);
	return r;
}

static struct sn_report *hung(uint32_t pid, const char *comm, const char *frame)
{
	static struct sn_kmsg_backtrace bt = { .origin = SN_KMSG_BT_TASK, .n_frames = 1 };
	struct sn_report *r = NULL;

	snprintf(bt.frames[0].text, sizeof(bt.frames[0].text), "%s", frame);
	assert_int_equal(sn_report_new(SN_INCIDENT_HUNG_TASK, &r), 0);
	assert_int_equal(sn_report_set_task(r, comm, pid, 120, false, &bt), 0);
	return r;
}

/*
 * The key: kind, CPUs and stack hashes (offsets aside); without a stack, the CPUs; a
 * hung task's comm, pid and stack.
 */
static void test_fold_key(void **state)
{
	struct sn_report *a = report(SN_INCIDENT_HARD_LOCKUP, 2, "spin+0x8/0x24");
	struct sn_report *b = report(SN_INCIDENT_HARD_LOCKUP, 2, "spin+0x10/0x24");
	struct sn_report *b3 = report(SN_INCIDENT_HARD_LOCKUP, 3, "spin+0x8/0x24");
	struct sn_report *c = report(SN_INCIDENT_SOFT_LOCKUP, 2, "spin+0x8/0x24");
	struct sn_report *d = report(SN_INCIDENT_HARD_LOCKUP, 2, "other+0x8/0x24");
	struct sn_report *e = report(SN_INCIDENT_HARD_LOCKUP, 2, NULL);
	struct sn_report *f = report(SN_INCIDENT_HARD_LOCKUP, 3, NULL);
	struct sn_report *g = report(SN_INCIDENT_HARD_LOCKUP, 2, NULL);
	struct sn_report *jbd2 =
		hung(300, "jbd2/sda1-8", "jbd2_journal_commit+0x10/0x80");
	struct sn_report *jbd2_again =
		hung(300, "jbd2/sda1-8", "jbd2_journal_commit+0x14/0x80");
	struct sn_report *nfsd = hung(1234, "nfsd", "jbd2_journal_commit+0x10/0x80");
	struct sn_report *jbd2_other = hung(300, "jbd2/sda1-8", "io_schedule+0x8/0x40");
	struct sn_report *jbd2_pid =
		hung(301, "jbd2/sda1-8", "jbd2_journal_commit+0x10/0x80");

	assert_true(sn_report_fold_key(a) == sn_report_fold_key(b));
	assert_true(sn_report_fold_key(a) != sn_report_fold_key(b3));
	assert_true(sn_report_fold_key(a) != sn_report_fold_key(c));
	assert_true(sn_report_fold_key(a) != sn_report_fold_key(d));
	assert_true(sn_report_fold_key(e) != sn_report_fold_key(f));
	assert_true(sn_report_fold_key(e) == sn_report_fold_key(g));
	assert_true(sn_report_fold_key(a) != sn_report_fold_key(e));
	/* the two hung tasks 60 s apart are not each other's repeat */
	assert_true(sn_report_fold_key(jbd2) == sn_report_fold_key(jbd2_again));
	assert_true(sn_report_fold_key(jbd2) != sn_report_fold_key(nfsd));
	assert_true(sn_report_fold_key(jbd2) != sn_report_fold_key(jbd2_other));
	assert_true(sn_report_fold_key(jbd2) != sn_report_fold_key(jbd2_pid));
	sn_report_free(a);
	sn_report_free(b);
	sn_report_free(b3);
	sn_report_free(c);
	sn_report_free(d);
	sn_report_free(e);
	sn_report_free(f);
	sn_report_free(g);
	sn_report_free(jbd2);
	sn_report_free(jbd2_again);
	sn_report_free(nfsd);
	sn_report_free(jbd2_other);
	sn_report_free(jbd2_pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_fold_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
