/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "backoff.h"

uint64_t sn_backoff_delay(uint64_t min_usec, uint64_t max_usec, unsigned attempt,
			  uint64_t rnd)
{
	uint64_t nominal, d;

	if (min_usec == 0)
		min_usec = 1;
	if (max_usec < min_usec)
		max_usec = min_usec;
	if (attempt == 0)
		attempt = 1;

	/* min << (attempt - 1), saturating at max without overflowing. */
	nominal = min_usec;
	for (unsigned i = 1; i < attempt && nominal < max_usec; i++)
		nominal = nominal > max_usec / 2 ? max_usec : nominal * 2;
	if (nominal > max_usec)
		nominal = max_usec;

	d = nominal / 4 * 3 + nominal % 4 * 3 / 4 + rnd % (nominal / 2 + 1);
	if (d < min_usec)
		d = min_usec;
	if (d > max_usec)
		d = max_usec;
	return d;
}
