/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A few kernel functions' address ranges, read from /proc/kallsyms: enough to tell
 * which of them a kernel stack passes through, without keeping the whole table (a
 * distribution kernel has over 100,000 text symbols). Pure but for sn_ksyms_read(),
 * which opens the file.
 *
 * A line is "ADDRESS TYPE NAME[\t[MODULE]]": ADDRESS 1 to 16 hex digits, TYPE one
 * letter. The text symbols (t, T, w, W) whose names are wanted are kept, each one
 * occurrence (a static function may have several) with its end: the lowest address of
 * any symbol above its start (kallsyms is not sorted across modules, so this does not
 * rely on order); the last symbol of all ends where it starts, an empty range. A
 * malformed line, an overlong name or more than SN_KSYMS_MAX kept occurrences:
 * -EBADMSG, -E2BIG.
 *
 * Without CAP_SYSLOG (kptr_restrict, perf_event_paranoid) the kernel prints every
 * address as zeros: that table is "hidden" and matches nothing.
 *
 * A table can also be useless without an error: sn_ksyms_unusable() says why.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define SN_KSYMS_NAME_MAX 127 /* the kernel's KSYM_NAME_LEN is 512; ours are short */
#define SN_KSYMS_MAX	  1024
#define SN_KSYMS_LINE_MAX 1024

struct sn_ksym {
	const char *name; /* one of the wanted names (the caller's string) */
	uint64_t start, end;
};

struct sn_ksyms {
	size_t n;
	struct sn_ksym *syms; /* in the order found */
	bool hidden;	      /* every address was zero */
	uint64_t lines;	      /* lines read */
};

int sn_ksyms_parse(FILE *f, const char *const *wanted, size_t n_wanted,
		   struct sn_ksyms **ret);
/* The same from path (/proc/kallsyms); -errno from opening it. */
int sn_ksyms_read(const char *path, const char *const *wanted, size_t n_wanted,
		  struct sn_ksyms **ret);
struct sn_ksyms *sn_ksyms_free(struct sn_ksyms *k);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_ksyms *, sn_ksyms_free);

/*
 * Why k cannot name anything, or NULL when it can: no line at all (the file is masked:
 * systemd's ProtectKernelTunables= or InaccessiblePaths= put an empty inode of mode 0000
 * over it, which a reader with CAP_DAC_OVERRIDE reads as empty), every address zero
 * (hidden), or addresses but none of the wanted functions (another kernel's names, a
 * truncated file). A static string, to follow "/proc/kallsyms ".
 */
const char *sn_ksyms_unusable(const struct sn_ksyms *k);

/* The kept symbol whose [start, end) holds addr, or NULL. */
const struct sn_ksym *sn_ksyms_lookup(const struct sn_ksyms *k, uint64_t addr);
