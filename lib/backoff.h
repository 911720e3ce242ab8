/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Exponential backoff with jitter, for retrying a remote sink. Pure: the randomness is
 * the caller's.
 *
 * Retry n (n >= 1, the first retry after the first failure) waits about
 * min * 2^(n - 1), capped at max, jittered to within [3/4, 5/4] of that, and then
 * clamped to [min, max]:
 *
 *   nominal(n) = min(max, min << (n - 1))
 *   delay(n)   = clamp(nominal * 3/4 + rnd % (nominal / 2 + 1), min, max)
 *
 * So delays grow strictly until the cap (each one's range lies above the last's:
 * [3/4, 5/4] of d, then [3/2, 5/2] of d), many clients that failed together spread
 * out, and none waits less than min or more than max. n = 0 is taken as 1; min = 0 is
 * taken as 1 us; max below min is taken as min.
 */

#include <stdint.h>

#define SN_BACKOFF_MIN_USEC (UINT64_C(1) * 1000000)	 /* 1 s */
#define SN_BACKOFF_MAX_USEC (UINT64_C(5) * 60 * 1000000) /* 5 min */

uint64_t sn_backoff_delay(uint64_t min_usec, uint64_t max_usec, unsigned attempt,
			  uint64_t rnd);
