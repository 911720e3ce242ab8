/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Where sdei-nmid stopped reading the kernel log, so that a restart (a crash, an
 * upgrade, the watchdog) resumes after the last record it accounted for rather than
 * losing what came while it was down. One line, replaced atomically:
 *
 *   sdei-nmi.kmsg-cursor/1 BOOT_ID SEQ
 *
 * A cursor is only good for the boot that wrote it: the kernel numbers records from 0
 * at every boot. Nothing here logs.
 */

#include <stdint.h>

/*
 * The SEQ saved for boot_id. -ENOENT: no cursor; -ESTALE: another boot's; -EBADMSG:
 * not a cursor (or the file is too long); the error of reading it otherwise.
 */
int sn_kmsg_cursor_read(const char *path, const char *boot_id, uint64_t *ret_seq);
/* Replaces the cursor (sn_write_file_atomic, mode 0640). -EINVAL for a bad boot_id. */
int sn_kmsg_cursor_write(const char *path, const char *boot_id, uint64_t seq);
