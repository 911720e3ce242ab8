/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel log's clock against CLOCK_MONOTONIC. /dev/kmsg stamps records with the
 * printk clock (local_clock(), what dmesg shows), which is not CLOCK_MONOTONIC: on arm64
 * it counts from when the architected counter started, so it runs ahead by however
 * long the firmware took before the kernel (2.5 s in the lab's TCG guest, tens of
 * seconds on servers). Timers of the daemon are CLOCK_MONOTONIC, deadlines come in the
 * log's clock: the offset between them is learned from records read live.
 *
 * A record is read after it was stamped: ts - monotonic-at-read is at most the true
 * offset, short of it by the read's latency. The estimate is the largest seen, so it
 * converges from below. The two clocks also drift apart (NTP slews CLOCK_MONOTONIC, not
 * the printk clock): a smaller observation may lower the estimate by at most
 * SN_KCLOCK_DRIFT_PPM of the time since the previous one, so a stale maximum does
 * not stay forever and one slow read does not pull it down. Until a record is seen
 * the offset is taken as 0. Pure: the caller passes both clocks.
 */

#define SN_KCLOCK_DRIFT_PPM 500 /* adjtimex's largest frequency adjustment */

#include <stdbool.h>
#include <stdint.h>

struct sn_kclock {
	bool known;
	int64_t offset_usec;	 /* the kernel log's clock minus CLOCK_MONOTONIC */
	uint64_t last_mono_usec; /* CLOCK_MONOTONIC at the last observation */
};

/* A record stamped ts_usec (log clock) read live when CLOCK_MONOTONIC was mono_usec. */
void sn_kclock_observe(struct sn_kclock *c, uint64_t ts_usec, uint64_t mono_usec);
/* Conversions, saturating at 0 and UINT64_MAX. */
uint64_t sn_kclock_to_monotonic(const struct sn_kclock *c, uint64_t ts_usec);
uint64_t sn_kclock_to_log(const struct sn_kclock *c, uint64_t mono_usec);
