/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The spool writer: the disk work of sdei-nmid (the spool, lib/spool.h, and the kernel
 * log cursor, lib/kmsg-cursor.h) done by a child process, so that the loop never waits
 * on a disk. A storage stall is the commonest cause of a hung task, and exactly when
 * the daemon is needed: the loop goes on (the journal gets the report, the watchdog is
 * fed) while the child sits in D state.
 *
 * The child is forked at start and holds the spool's lock; it gets one request at a
 * time over a SOCK_SEQPACKET socket pair, a report's bytes in a memfd passed along
 * (SCM_RIGHTS), and answers each with the spool's totals. It dies with the daemon
 * (PR_SET_PDEATHSIG, and the socket's end). No threads.
 *
 * In the daemon:
 *  - requests wait in a queue, in order, one in flight: a report is spooled before the
 *    cursor that follows it is saved (manager.h);
 *  - a request in flight for SPOOL_WRITER_STALL_USEC makes the spool "stalled": said
 *    once in the log, in STATUS= and the metrics; said again when it answers;
 *  - the queue is bounded (SPOOL_WRITER_MAX_QUEUED_BYTES): past it a write is refused
 *    (-ENOBUFS) and the caller says the report was not spooled (the journal has it);
 *    cursor saves are merged into the newest one queued;
 *  - a child that dies is forked again after SPOOL_WRITER_RESPAWN_USEC and gets the
 *    request it had again (writes are idempotent: -EEXIST is "already spooled");
 *  - at the end, spool_writer_finish() waits for the queue, within a bound.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "spool.h"

#define SPOOL_WRITER_STALL_USEC	      (5ULL * 1000 * 1000)
#define SPOOL_WRITER_RESPAWN_USEC     (1ULL * 1000 * 1000)
#define SPOOL_WRITER_MAX_QUEUED_BYTES (64ULL * 1024 * 1024)

struct spool_writer_callbacks {
	/*
	 * The spool opened (error 0), or could not (the error; -EBUSY: another process
	 * holds its lock, holder its pid or 0). Once per child.
	 */
	void (*opened)(void *userdata, int error, pid_t holder);
	/* spool_writer_list_pending()'s answer: one pending report, oldest first. */
	void (*pending)(void *userdata, const char *id, uint64_t realtime_usec);
	/*
	 * A write's outcome: 0, -EEXIST (spooled already: a restart's second reading),
	 * or the error; evicted, how many older reports went to stay within bounds.
	 * report/len: the bytes given (valid during the call).
	 */
	void (*written)(void *userdata, const char *id, enum sn_spool_state state,
			int error, unsigned evicted, const char *report, size_t len,
			uint64_t first_seq);
	/* A read's outcome (the bytes valid during the call; NULL on error). */
	void (*read)(void *userdata, const char *id, int error, const char *report,
		     size_t len);
	/* The totals, the stalled state or the stats changed. */
	void (*changed)(void *userdata);
};

struct spool_writer;

/*
 * Forks the child. spool_dir NULL: no spool (writes fail with -ENODEV); cursor_path
 * NULL: no cursor. The callbacks are called from the loop.
 */
int spool_writer_new(sd_event *event, const char *spool_dir, const char *cursor_path,
		     const struct sn_spool_limits *limits,
		     const struct spool_writer_callbacks *cb, void *userdata,
		     struct spool_writer **ret);
struct spool_writer *spool_writer_free(struct spool_writer *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct spool_writer *, spool_writer_free);

/*
 * Queues a report's bytes (copied) for the spool, in state (pending or held);
 * first_seq, its first kernel log record (UINT64_MAX: none), comes back with the
 * answer.
 */
int spool_writer_write(struct spool_writer *w, const char *id, uint64_t realtime_usec,
		       enum sn_spool_state state, const char *report, size_t len,
		       uint64_t first_seq);
int spool_writer_mark_shipped(struct spool_writer *w, const char *id);
/* The collector refused it for good: held, never pushed again (lib/spool.h). */
int spool_writer_set_aside(struct spool_writer *w, const char *id);
int spool_writer_read(struct spool_writer *w, const char *id);
/* Asks for the pending reports (the pending() callback, once each). */
int spool_writer_list_pending(struct spool_writer *w);
/* Queues a cursor save (merged with a save queued last). */
int spool_writer_save_cursor(struct spool_writer *w, const char *boot_id, uint64_t seq);
int spool_writer_set_limits(struct spool_writer *w, const struct sn_spool_limits *limits);

/* Requests queued, the one in flight included. */
size_t spool_writer_queued(const struct spool_writer *w);
bool spool_writer_stalled(const struct spool_writer *w);
/* Whether the spool is open (the child said so). */
bool spool_writer_spool_open(const struct spool_writer *w);
void spool_writer_get_totals(const struct spool_writer *w, struct sn_spool_totals *ret);
void spool_writer_get_stats(const struct spool_writer *w, struct sn_spool_stats *ret);
/* Writes refused because the queue was full. */
uint64_t spool_writer_refused(const struct spool_writer *w);

/*
 * Outside the loop, at the end: waits up to timeout_usec for the queue to be done
 * (the callbacks are called as it goes). -ETIMEDOUT with requests left.
 */
int spool_writer_finish(struct spool_writer *w, uint64_t timeout_usec);
