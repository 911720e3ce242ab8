/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The spool: a directory of reports, one file each, kept on disk whatever became of
 * them. One writer (sdei-nmid's spool writer process, which holds the spool's lock);
 * readers (sdei-nmictl reports) may list and read at any time without the lock.
 *
 * Files: "<realtime>-<id>.json", realtime as "YYYYMMDDTHHMMSS.uuuuuuZ" (UTC, so names
 * sort by time), id as in report.h; temp files ".report-<16 hex>.tmp"; the lock
 * ".lock" (its content: the holder's pid, for the message of the one refused). A
 * report is in one of three places, its state:
 *   pending  the spool directory itself: to be pushed to the remote sinks (OTLP);
 *   shipped  "shipped/": a remote sink acknowledged it;
 *   held     "held/": kept, never pushed (folded as a repeat or over the rate
 *            limit, daemon/report-policy.h; or set aside: refused for good by
 *            the collector, sn_spool_set_aside()).
 * Anything else in those directories (other names, directories, links, fifos) is
 * junk: ignored, never touched.
 *
 * Guarantees:
 *  - one writer: sn_spool_open() takes an exclusive flock(2) on ".lock" before it
 *    touches anything; a second writer gets -EBUSY (and the holder's pid) and has
 *    changed nothing;
 *  - a report is visible (listed, readable) only whole: it is written to a temp file in
 *    the spool directory, fsync()ed, renamed to its name in its state's directory
 *    (which must not hold it) and the directory fsync()ed before sn_spool_write()
 *    returns 0; after that it survives a crash of the process, and of the machine as
 *    far as the file system keeps fsync()'s promise;
 *  - a report's id is spooled at most once, in any state: writing it again is -EEXIST
 *    (a restart that reads the kernel log again rebuilds its reports under the same
 *    ids: report.h);
 *  - a write that fails (ENOSPC, EFBIG, EIO, ...) leaves nothing visible, removes its
 *    temp file and loses nothing already spooled: evictions happen only after the new
 *    report is in place;
 *  - bounds, as systemd-coredump's MaxUse= and KeepFree=: max_count files, max_bytes
 *    summed over the files' sizes (all states), keep_free bytes left free on the file
 *    system (statvfs, f_bavail); after a write the spool is within them, evicting the
 *    shipped reports first, then the held ones, then the pending ones, each oldest
 *    first (by name: time, then id), never the new one; keep_free evicts shipped and
 *    held reports only (a disk that other data fills costs no unpushed report); a report larger than
 *    max_bytes alone is refused (-EFBIG) before anything is written. Shipped reports
 *    are also pruned once older than shipped_max_age_sec (by their name's time);
 *  - an index in memory, built by one scan at open and kept by every operation, so
 *    that no operation rescans a directory: a write, a lookup, a state change and an
 *    eviction cost the same with 10 or 100,000 reports spooled (tests/bench);
 *  - state changes are one rename(2) each, so a report is in one place or another,
 *    never in none and never listed twice; after the call returns 0 the move survives
 *    the process's death (it is not fsync()ed: a power cut may undo it, leaving the
 *    report pending, pushed again under the same id: at least once); a crash before
 *    leaves it in its former state, the same way;
 *  - temp files a crash left behind are removed by sn_spool_open() (only names of the
 *    temp form, regular files only); a crash between the rename and the evictions
 *    leaves the spool over its bounds until the next write.
 *
 * Everything returns 0 or a negative errno; ret_* are written only on success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "report.h"

/* The states' directories, inside the spool directory ("" for pending). */
#define SN_SPOOL_SHIPPED_DIR "shipped"
#define SN_SPOOL_HELD_DIR    "held"
#define SN_SPOOL_LOCK	     ".lock"

/* "YYYYMMDDTHHMMSS.uuuuuuZ-" + id + ".json" */
#define SN_SPOOL_NAME_LEN (23 + 1 + SN_REPORT_ID_LEN + 5)

/*
 * The defaults of sdei-nmid.conf's [spool] (sn_spool_limits_default()), after
 * systemd-coredump's MaxUse= and KeepFree= (10% and 15% of the file system, at most
 * 4 GiB each) but smaller, since a report is kilobytes, not a core: 10% and 5%, at
 * most 1 GiB each.
 */
#define SN_SPOOL_DEFAULT_MAX_COUNT	10000
#define SN_SPOOL_DEFAULT_MAX_USE_PCT	10
#define SN_SPOOL_DEFAULT_MAX_USE_CAP	(1ULL << 30)
#define SN_SPOOL_DEFAULT_KEEP_FREE_PCT	5
#define SN_SPOOL_DEFAULT_KEEP_FREE_CAP	(1ULL << 30)
#define SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE (30ULL * 24 * 3600) /* seconds */
/* max_bytes or keep_free: the default for the file system (sn_spool_limits_default()) */
#define SN_SPOOL_LIMIT_AUTO UINT64_MAX

enum sn_spool_state {
	SN_SPOOL_PENDING,
	SN_SPOOL_SHIPPED,
	SN_SPOOL_HELD,
	_SN_SPOOL_STATE_MAX,
};

struct sn_spool_limits {
	size_t max_count;	     /* 0: no bound */
	uint64_t max_bytes;	     /* 0: no bound; SN_SPOOL_LIMIT_AUTO: the default */
	uint64_t keep_free;	     /* 0: no bound; SN_SPOOL_LIMIT_AUTO: the default */
	uint64_t shipped_max_age_sec; /* 0: shipped reports are not pruned by age */
};

struct sn_spool_stats {
	uint64_t written;
	uint64_t evicted;
	uint64_t removed;      /* by sn_spool_remove() */
	uint64_t temp_cleaned; /* temp files removed by sn_spool_open() */
	uint64_t write_failures;
	uint64_t shipped;	    /* by sn_spool_mark_shipped() */
	uint64_t evicted_unshipped; /* of evicted: pending ones (lost to the sinks) */
	uint64_t pruned;	    /* shipped ones past shipped_max_age_sec */
};

/* What the spool holds now (from the index: no I/O). */
struct sn_spool_totals {
	uint64_t count[_SN_SPOOL_STATE_MAX];
	uint64_t bytes;
	uint64_t oldest_pending_usec; /* the oldest pending report's time; 0: none */
};

struct sn_spool_entry {
	char name[SN_SPOOL_NAME_LEN + 1];
	char id[SN_REPORT_ID_LEN + 1];
	uint64_t realtime_usec;
	uint64_t size;
	enum sn_spool_state state;
};

struct sn_spool;

/*
 * Opens (and creates, mode 0750, when missing) the directory as its writer: takes the
 * lock (-EBUSY when another process holds it; *ret_holder, may be NULL, its pid or 0
 * when unknown), cleans temp files, builds the index and prunes. limits NULL: none;
 * SN_SPOOL_LIMIT_AUTO in them is the file system's default (sn_spool_limits_default()),
 * also after sn_spool_set_limits().
 */
int sn_spool_open(const char *path, const struct sn_spool_limits *limits,
		  struct sn_spool **ret, pid_t *ret_holder);
/*
 * Opens an existing directory for reading (sdei-nmictl reports): no lock, nothing is
 * created or cleaned; -ENOENT when it is missing, -ENOTDIR, -EACCES as open() says.
 * A reader's index is built by one scan, and again by each sn_spool_list() (the
 * writer is another process); sn_spool_read() finds a report the writer moved since.
 */
int sn_spool_open_existing(const char *path, struct sn_spool **ret);
struct sn_spool *sn_spool_free(struct sn_spool *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_spool *, sn_spool_free);

/*
 * The limits by default for the file system of path (statvfs): see above. -errno of
 * statvfs(); the count and age bounds are set all the same.
 */
int sn_spool_limits_default(const char *path, struct sn_spool_limits *ret);

/*
 * Spools len bytes (a serialized report) as id in state (pending or held), dated
 * realtime_usec. -EINVAL for an invalid id or state, -EEXIST when id is spooled
 * already (in any state), -EFBIG when len exceeds max_bytes, or the error of the failed
 * write/fsync/rename. *ret_evicted (may be NULL): how many older reports were evicted
 * to stay within the bounds.
 */
int sn_spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		   enum sn_spool_state state, const void *buf, size_t len,
		   unsigned *ret_evicted);
/* The same for a report: serialized, dated first_seen. */
int sn_spool_write_report(struct sn_spool *s, const struct sn_report *r,
			  enum sn_spool_state state, unsigned *ret_evicted);

/* The reports, oldest first (free() the array). */
int sn_spool_list(struct sn_spool *s, struct sn_spool_entry **ret, size_t *ret_n);
/* One report's entry; -ENOENT when not spooled, -EINVAL for an invalid id. */
int sn_spool_find(struct sn_spool *s, const char *id, struct sn_spool_entry *ret);
/* A report's bytes, NUL-terminated (free()); -ENOENT when not spooled. */
int sn_spool_read(struct sn_spool *s, const char *id, char **ret, size_t *ret_len);
/* Removes a report, whatever its state; -ENOENT when not spooled. */
int sn_spool_remove(struct sn_spool *s, const char *id);

/*
 * Marks a pending report shipped (moves it into shipped/); 0 too when it was
 * already. -ENOENT when not spooled (evicted meanwhile), -EINVAL for an invalid id,
 * -ENOTDIR when something else (a file, a link) holds shipped/'s name.
 */
int sn_spool_mark_shipped(struct sn_spool *s, const char *id);

/*
 * Sets a pending report aside (moves it into held/): the collector refused it
 * for good, so it is kept but never pushed again. 0 too when it was held already;
 * -EINVAL when it was shipped; otherwise as sn_spool_mark_shipped().
 */
int sn_spool_set_aside(struct sn_spool *s, const char *id);

/* New bounds (a reload), applied from the next write on. */
void sn_spool_set_limits(struct sn_spool *s, const struct sn_spool_limits *limits);
void sn_spool_get_stats(const struct sn_spool *s, struct sn_spool_stats *ret);
void sn_spool_get_totals(const struct sn_spool *s, struct sn_spool_totals *ret);

/* Whether name is of the report form (and its id and time), or the temp form. */
bool sn_spool_name_parse(const char *name, struct sn_spool_entry *ret);
bool sn_spool_name_is_temp(const char *name);
const char *sn_spool_state_to_string(enum sn_spool_state s);
