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
 * converges from below and never moves a deadline earlier than the record allows.
 * Until a record is seen the offset is taken as 0. Pure: the caller passes both clocks.
 */

#include <stdbool.h>
#include <stdint.h>

struct sn_kclock {
	bool known;
	int64_t offset_usec; /* the kernel log's clock minus CLOCK_MONOTONIC */
};

/* A record stamped ts_usec (log clock) read live when CLOCK_MONOTONIC was mono_usec. */
void sn_kclock_observe(struct sn_kclock *c, uint64_t ts_usec, uint64_t mono_usec);
/* Conversions, saturating at 0 and UINT64_MAX. */
uint64_t sn_kclock_to_monotonic(const struct sn_kclock *c, uint64_t ts_usec);
uint64_t sn_kclock_to_log(const struct sn_kclock *c, uint64_t mono_usec);
