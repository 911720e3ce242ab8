/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kclock.h"

/* Nothing seen: the clocks are taken as the same. */
static void test_unknown(void **state)
{
	struct sn_kclock c = {};

	assert_false(c.known);
	assert_int_equal(sn_kclock_to_monotonic(&c, 5000000), 5000000);
	assert_int_equal(sn_kclock_to_log(&c, 5000000), 5000000);
}

/*
 * The lab's guest: the log's clock 2.5 s ahead (firmware time). Records read 1-300 us
 * after their stamp: the estimate is the best, and a deadline 1 s after a record
 * fires 1 s after it in CLOCK_MONOTONIC, not 3.5 s.
 */
static void test_ahead(void **state)
{
	struct sn_kclock c = {};
	const uint64_t off = 2500000;

	sn_kclock_observe(&c, 9004389, 9004389 - off + 300);
	assert_true(c.known);
	assert_int_equal(c.offset_usec, (int64_t)off - 300);
	sn_kclock_observe(&c, 9011667, 9011667 - off + 1);
	assert_int_equal(c.offset_usec, (int64_t)off - 1);
	/* A later, slower read (0.54 s on) moves the estimate by 269 us at most. */
	sn_kclock_observe(&c, 9500000, 9500000 - off + 50000);
	assert_int_equal(c.offset_usec, (int64_t)off - 1 - 269);
	assert_true(c.offset_usec < (int64_t)off - 1);
	assert_int_equal(sn_kclock_to_monotonic(&c, 9011667 + 1000000),
			 9011667 + 1000000 - off + 1 + 269);
	assert_int_equal(sn_kclock_to_log(&c, 7000000), 7000000 + off - 1 - 269);
}

/*
 * NTP slews CLOCK_MONOTONIC ahead (by up to 500 ppm): the true offset shrinks, and the
 * estimate follows within the drift allowed, rather than keeping a stale maximum.
 */
static void test_drift(void **state)
{
	struct sn_kclock c = {};
	uint64_t mono = 1000000000; /* 1000 s */
	int64_t off = 2500000;

	sn_kclock_observe(&c, mono + (uint64_t)off, mono);
	/* A day at 100 ppm: the offset drops by 8.64 s in 86400 reads a second apart. */
	for (int i = 0; i < 86400; i++) {
		mono += 1000000;
		off -= 100;
		sn_kclock_observe(&c, mono + (uint64_t)off - 20 /* read latency */, mono);
	}
	assert_true(c.offset_usec <= off);
	assert_true(c.offset_usec >= off - 20);
}

/* Old records (--from-start) give low estimates; the newest wins. */
static void test_backlog(void **state)
{
	struct sn_kclock c = {};

	sn_kclock_observe(&c, 1000000, 60000000); /* read a minute after it was logged */
	assert_int_equal(c.offset_usec, -59000000);
	sn_kclock_observe(&c, 59999000 + 2500000, 60000000);
	assert_int_equal(c.offset_usec, 2499000);
}

/* A log clock behind CLOCK_MONOTONIC, and saturation at both ends. */
static void test_behind_and_saturation(void **state)
{
	struct sn_kclock c = {};

	sn_kclock_observe(&c, 1000, 3000000);
	assert_int_equal(c.offset_usec, -2999000);
	assert_int_equal(sn_kclock_to_monotonic(&c, 1000), 3000000);
	assert_int_equal(sn_kclock_to_log(&c, 1000), 0);
	sn_kclock_observe(&c, UINT64_MAX, 0);
	assert_int_equal(c.offset_usec, INT64_C(1) << 62);
	assert_int_equal(sn_kclock_to_log(&c, UINT64_MAX - 5), UINT64_MAX);
	assert_int_equal(sn_kclock_to_monotonic(&c, 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_ahead),
		cmocka_unit_test(test_backlog),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_behind_and_saturation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
