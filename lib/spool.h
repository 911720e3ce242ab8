/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The spool: a directory of reports, one file each, that remote sinks ship from. One
 * writer (sdei-nmid); readers (sdei-nmictl reports) may list and read at any time.
 *
 * Files: "<realtime>-<id>.json", realtime as "YYYYMMDDTHHMMSS.uuuuuuZ" (UTC, so names
 * sort by time), id as in report.h; temp files ".report-<16 hex>.tmp". A report a
 * remote sink has acknowledged is moved, under the same name, into the subdirectory
 * "shipped/" (created at the first one). Anything else in either directory (other
 * names, directories, links, fifos) is junk: ignored, never touched.
 *
 * Guarantees:
 *  - a report is visible (listed, readable) only whole: it is written to a temp file in
 *    the same directory, fsync()ed, renamed to its name (which must not exist) and the
 *    directory fsync()ed before sn_spool_write() returns 0; after that it survives a
 *    crash of the process, and of the machine as far as the file system keeps fsync()'s
 *    promise;
 *  - a write that fails (ENOSPC, EFBIG, EIO, ...) leaves nothing visible, removes its
 *    temp file and loses nothing already spooled: evictions happen only after the new
 *    report is in place;
 *  - bounds (max_count files, max_bytes summed over the files' sizes, shipped ones
 *    included): after a write the spool is within them, the shipped reports evicted
 *    first, then the others, each oldest first (by name: time, then id), never the new
 *    one; a report larger than max_bytes alone is refused (-EFBIG) before anything is
 *    written; the number evicted is returned and counted, the unshipped ones apart;
 *  - shipped state: sn_spool_mark_shipped() is one rename(2) into shipped/, so a report
 *    is in one place or the other, never in neither and never listed twice; after it
 *    returns 0 the move survives a crash; a crash before leaves the report unshipped
 *    (a sink ships it again: at least once, which the report's id lets the receiver
 *    deduplicate);
 *  - temp files a crash left behind are removed by sn_spool_open() (only names of the
 *    temp form, regular files only); a crash between the rename and the evictions
 *    leaves the spool over its bounds until the next write.
 *
 * Everything returns 0 or a negative errno; ret_* are written only on success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "report.h"

/* Where shipped reports are moved, inside the spool directory. */
#define SN_SPOOL_SHIPPED_DIR "shipped"

/* "YYYYMMDDTHHMMSS.uuuuuuZ-" + id + ".json" */
#define SN_SPOOL_NAME_LEN (23 + 1 + SN_REPORT_ID_LEN + 5)

struct sn_spool_limits {
	size_t max_count;   /* 0: no bound */
	uint64_t max_bytes; /* 0: no bound */
};

struct sn_spool_stats {
	uint64_t written;
	uint64_t evicted;
	uint64_t removed;      /* by sn_spool_remove() */
	uint64_t temp_cleaned; /* temp files removed by sn_spool_open() */
	uint64_t write_failures;
	uint64_t shipped;	    /* by sn_spool_mark_shipped() */
	uint64_t evicted_unshipped; /* of evicted: not shipped yet (lost to the sinks) */
};

struct sn_spool_entry {
	char name[SN_SPOOL_NAME_LEN + 1];
	char id[SN_REPORT_ID_LEN + 1];
	uint64_t realtime_usec;
	uint64_t size;
	bool shipped; /* in shipped/: a remote sink has it */
};

struct sn_spool;

/* Opens (and creates, mode 0750, when missing) the directory; cleans temp files. */
int sn_spool_open(const char *path, const struct sn_spool_limits *limits,
		  struct sn_spool **ret);
/*
 * Opens an existing directory for reading (sdei-nmictl reports): nothing is created or
 * cleaned; -ENOENT when it is missing, -ENOTDIR, -EACCES as open() says.
 */
int sn_spool_open_existing(const char *path, struct sn_spool **ret);
struct sn_spool *sn_spool_free(struct sn_spool *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_spool *, sn_spool_free);

/*
 * Spools len bytes (a serialized report) as id, dated realtime_usec. -EINVAL for an
 * invalid id, -EEXIST when id is spooled already, -EFBIG when len exceeds max_bytes,
 * or the error of the failed write/fsync/rename. *ret_evicted (may be NULL): how many
 * older reports were evicted to stay within the bounds.
 */
int sn_spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		   const void *buf, size_t len, unsigned *ret_evicted);
/* The same for a report: serialized, dated first_seen. */
int sn_spool_write_report(struct sn_spool *s, const struct sn_report *r,
			  unsigned *ret_evicted);

/* The reports, shipped or not (.shipped), oldest first (free() the array). */
int sn_spool_list(struct sn_spool *s, struct sn_spool_entry **ret, size_t *ret_n);
/* A report's bytes, shipped or not, NUL-terminated (free()); -ENOENT when not spooled. */
int sn_spool_read(struct sn_spool *s, const char *id, char **ret, size_t *ret_len);
/* Removes a report, shipped or not; -ENOENT when not spooled. */
int sn_spool_remove(struct sn_spool *s, const char *id);

/*
 * Marks a report shipped (moves it into shipped/, durably); 0 too when it was already.
 * -ENOENT when not spooled (evicted meanwhile), -EINVAL for an invalid id, -ENOTDIR
 * when something else (a file, a link) holds shipped/'s name.
 */
int sn_spool_mark_shipped(struct sn_spool *s, const char *id);

/* New bounds (a reload), applied from the next write on. */
void sn_spool_set_limits(struct sn_spool *s, const struct sn_spool_limits *limits);
void sn_spool_get_stats(const struct sn_spool *s, struct sn_spool_stats *ret);

/* Whether name is of the report form (and its id and time), or the temp form. */
bool sn_spool_name_parse(const char *name, struct sn_spool_entry *ret);
bool sn_spool_name_is_temp(const char *name);
