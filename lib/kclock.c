/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "kclock.h"

/* a + off, saturating; off within +-2^62 (a clock difference, not arbitrary) */
static uint64_t add_offset(uint64_t a, int64_t off)
{
	if (off >= 0)
		return a > UINT64_MAX - (uint64_t)off ? UINT64_MAX : a + (uint64_t)off;
	return a < (uint64_t)-off ? 0 : a - (uint64_t)-off;
}

static int64_t clamp_diff(uint64_t a, uint64_t b)
{
	const uint64_t lim = UINT64_C(1) << 62;

	if (a >= b)
		return a - b > lim ? (int64_t)lim : (int64_t)(a - b);
	return b - a > lim ? -(int64_t)lim : -(int64_t)(b - a);
}

void sn_kclock_observe(struct sn_kclock *c, uint64_t ts_usec, uint64_t mono_usec)
{
	int64_t off = clamp_diff(ts_usec, mono_usec);
	uint64_t elapsed, allowed;

	if (!c->known || off > c->offset_usec) {
		c->offset_usec = off;
		c->known = true;
		c->last_mono_usec = mono_usec;
		return;
	}
	/* Lower only as far as the clocks can have drifted since the last observation. */
	elapsed = mono_usec > c->last_mono_usec ? mono_usec - c->last_mono_usec : 0;
	allowed = elapsed / 1000000 * SN_KCLOCK_DRIFT_PPM +
		  elapsed % 1000000 * SN_KCLOCK_DRIFT_PPM / 1000000;
	if ((uint64_t)(c->offset_usec - off) <= allowed)
		c->offset_usec = off;
	else
		c->offset_usec -= (int64_t)allowed;
	c->last_mono_usec = mono_usec;
}

uint64_t sn_kclock_to_monotonic(const struct sn_kclock *c, uint64_t ts_usec)
{
	return add_offset(ts_usec, -c->offset_usec);
}

uint64_t sn_kclock_to_log(const struct sn_kclock *c, uint64_t mono_usec)
{
	return add_offset(mono_usec, c->offset_usec);
}
