/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A non-blocking reader of kernel log records over a file descriptor: /dev/kmsg, where
 * every read(2) returns one whole record (SN_KMSG_READ_RECORDS), or a file or pipe
 * holding records one after the other (SN_KMSG_READ_STREAM, split by
 * sn_kmsg_record_split()). The loop is thin: the parsing, splitting and SEQ logic are
 * the tested functions of kmsg.h and below.
 *
 * /dev/kmsg semantics handled (Documentation/ABI/testing/dev-kmsg, devkmsg_read()):
 *  - EAGAIN: nothing more for now (the fd is O_NONBLOCK): sn_kmsg_reader_next() says so;
 *  - EPIPE: records were overwritten before they were read; the kernel moved the
 *    position to the oldest record, the next read(2) continues; counted as an overrun,
 *    and the records it skipped show up as a SEQ gap;
 *  - a jump in SEQ counts as lost records and is told with the record after it;
 *  - resuming after a saved SEQ reads from the oldest record (SEEK_SET) and skips
 *    records <= that SEQ; a SEQ from another boot means nothing (the caller compares
 *    boot ids).
 */

#include <stdbool.h>
#include <stdint.h>

#include "kmsg.h"
#include "macro.h"

enum sn_kmsg_read_mode {
	SN_KMSG_READ_AUTO = 0, /* records for a character device, stream otherwise */
	SN_KMSG_READ_RECORDS,  /* one record per read(2): /dev/kmsg, a SOCK_SEQPACKET */
	SN_KMSG_READ_STREAM,   /* a byte stream of records: a file, a pipe */
};

enum sn_kmsg_start {
	SN_KMSG_START_END = 0, /* what comes from now on (SEEK_END) */
	SN_KMSG_START_BEGIN,   /* everything the buffer holds (SEEK_SET) */
	SN_KMSG_START_AFTER,   /* from the oldest record, skipping those <= after_seq */
};

struct sn_kmsg_reader_stats {
	uint64_t records;   /* returned */
	uint64_t overruns;  /* EPIPE */
	uint64_t lost;	    /* records missing from SEQ, overruns' included */
	uint64_t malformed; /* records that did not parse: skipped */
	uint64_t skipped; /* records at or before the SEQ to resume after, or repeated */
};

struct sn_kmsg_reader;

/*
 * Opens path (NULL: /dev/kmsg) read-only, non-blocking, and positions it as start
 * says. A FIFO cannot seek: it is read from where it is.
 */
int sn_kmsg_reader_open(const char *path, enum sn_kmsg_read_mode mode,
			enum sn_kmsg_start start, uint64_t after_seq,
			struct sn_kmsg_reader **ret);

/*
 * Takes over fd (closed by sn_kmsg_reader_free(), left alone on failure), which the
 * caller has opened and positioned; O_NONBLOCK is set on it. start only matters as
 * SN_KMSG_START_AFTER: records <= after_seq are skipped.
 */
int sn_kmsg_reader_new(int fd, enum sn_kmsg_read_mode mode, enum sn_kmsg_start start,
		       uint64_t after_seq, struct sn_kmsg_reader **ret);

struct sn_kmsg_reader *sn_kmsg_reader_free(struct sn_kmsg_reader *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_kmsg_reader *, sn_kmsg_reader_free);

/* For poll(2) or sd_event_add_io() (EPOLLIN). */
int sn_kmsg_reader_fd(const struct sn_kmsg_reader *r);

/*
 * The next record. 0: *ret holds it and *ret_lost (may be NULL) the number of records
 * missing before it; -EAGAIN: none for now; -ENODATA: end of file for now (files and
 * pipes only; the next call reads again, so a file that grows is followed; bytes left
 * without a final '\n' are dropped as malformed); another negative errno: read(2)
 * failed. Malformed records are skipped and counted; EINTR is retried.
 */
int sn_kmsg_reader_next(struct sn_kmsg_reader *r, struct sn_kmsg_record *ret,
			uint64_t *ret_lost);

void sn_kmsg_reader_get_stats(const struct sn_kmsg_reader *r,
			      struct sn_kmsg_reader_stats *ret);

/*
 * The SEQ logic, apart for tests: given the last SEQ seen (*have_last false for none)
 * and a record's seq, whether to skip it (a repeat, or before the resume point), else
 * how many records are missing before it. Updates *last and *have_last.
 */
int sn_kmsg_seq_advance(bool *have_last, uint64_t *last, uint64_t seq, bool *ret_skip,
			uint64_t *ret_lost);
