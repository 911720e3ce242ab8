/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The spool as sdei-nmictl reads it: the reports of lib/spool.h (pending, and shipped/)
 * and those sdei-nmid held back (folded or rate-limited) in the subdirectory held/,
 * which lib/spool.h does not list (yet): read here, the same way, read-only. A report
 * seen in held/ and in the spool (moved between the two listings) is the spool's.
 */

#include <stddef.h>

#include "sdei-nmictl.h"
#include "spool.h"

#define SPOOL_HELD_DIR "held"

struct spool_item {
	struct sn_spool_entry entry;
	enum report_state state;
};

/* The spool at path, for reading; what is wrong with it said in one line. */
int spool_view_open(const char *path, struct sn_spool **ret);

/*
 * Every report, oldest first (by name: time, then id); free() the array. Errors are
 * returned, not said.
 */
int spool_view_list(struct sn_spool *sp, const char *path, struct spool_item **ret,
		    size_t *ret_n);

/* A report's bytes, NUL-terminated (free()); -ENOENT when it is gone. Not said. */
int spool_view_read(struct sn_spool *sp, const char *path, const struct spool_item *it,
		    char **ret, size_t *ret_len);
