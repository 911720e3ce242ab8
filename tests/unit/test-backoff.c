/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The retry schedule (lib/backoff.c): nominal doubling from min to max, the jitter's
 * bounds, strict growth until the cap, the clamps, and no overflow far past the cap.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

#include <cmocka.h>

#include "backoff.h"
#include "macro.h"

static const uint64_t S = 1000000;

static void test_schedule(void **state)
{
	/* rnd = nominal/4 is the middle of [3/4, 5/4]: the nominal delay itself. */
	static const uint64_t nominal[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300 };

	for (unsigned n = 1; n <= ELEMENTSOF(nominal); n++) {
		uint64_t d = nominal[n - 1] * S;

		assert_int_equal(sn_backoff_delay(S, 300 * S, n, d / 4), d);
		/* The ends of the jitter: 3/4 and 5/4, clamped to [min, max]. */
		assert_int_equal(sn_backoff_delay(S, 300 * S, n, 0),
				 d * 3 / 4 < S ? S : d * 3 / 4);
		assert_int_equal(sn_backoff_delay(S, 300 * S, n, d / 2),
				 d * 5 / 4 > 300 * S ? 300 * S : d * 5 / 4);
	}
	/* The defaults: 1 s .. 5 min. */
	assert_int_equal(SN_BACKOFF_MIN_USEC, S);
	assert_int_equal(SN_BACKOFF_MAX_USEC, 300 * S);
}

static void test_random(void **state)
{
	/* Whatever the randomness: within [min, max], and growing strictly to the cap. */
	for (unsigned round = 0; round < 2000; round++) {
		uint64_t last = 0;

		for (unsigned n = 1; n <= 40; n++) {
			uint64_t rnd, d;

			assert_int_equal(getrandom(&rnd, sizeof(rnd), 0), sizeof(rnd));
			d = sn_backoff_delay(S, 300 * S, n, rnd);
			assert_true(d >= S && d <= 300 * S);
			if (n <= 8) /* nominal 128 s: below the cap, growth is strict */
				assert_true(d > last);
			if (n >= 10) /* nominal 300 s: within [225, 300] s */
				assert_true(d >= 225 * S);
			last = d;
		}
	}
}

static void test_edges(void **state)
{
	/* attempt 0 is 1; a huge attempt saturates without overflow. */
	assert_int_equal(sn_backoff_delay(S, 300 * S, 0, S / 4), S);
	assert_int_equal(sn_backoff_delay(S, 300 * S, UINT32_MAX, 300 * S / 4), 300 * S);
	assert_int_equal(sn_backoff_delay(S, UINT64_MAX, 200, 0), UINT64_MAX / 4 * 3 + 2);
	/* min 0 is 1 us; max below min is min. */
	assert_int_equal(sn_backoff_delay(0, 0, 5, 12345), 1);
	assert_int_equal(sn_backoff_delay(10 * S, S, 3, 0), 10 * S);
	/* Randomness far larger than the range wraps within it. */
	assert_true(sn_backoff_delay(S, 300 * S, 1, UINT64_MAX) <= 5 * S / 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
