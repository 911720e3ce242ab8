/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The spool as sdei-nmictl reads it (lib/spool.h, read-only, no lock): the reports in
 * their states, pending, shipped and held (folded, rate-limited or refused by the
 * collector: kept, never pushed).
 */

#include <stddef.h>

#include "sdei-nmictl.h"
#include "spool.h"

struct spool_item {
	struct sn_spool_entry entry;
	enum report_state state;
};

/* The spool at path, for reading; what is wrong with it said in one line. */
int spool_view_open(const char *path, struct sn_spool **ret);

/*
 * Every report, oldest first (by name: time, then id), as the spool holds them now
 * (read again each call); free() the array. Errors are returned, not said.
 */
int spool_view_list(struct sn_spool *sp, struct spool_item **ret, size_t *ret_n);

/* A report's bytes, NUL-terminated (free()); -ENOENT when it is gone. Not said. */
int spool_view_read(struct sn_spool *sp, const struct spool_item *it, char **ret,
		    size_t *ret_len);
