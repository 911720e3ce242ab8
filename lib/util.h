/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers that several parts of lib/ share. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* '0'-'9' only, whatever the locale */
static inline bool sn_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The value of a hex digit, either case, or -1 */
static inline int sn_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Frees n strings and the array that holds them; NULL is fine. */
void sn_strv_free(char **v, size_t n);

/*
 * usec since the epoch as UTC, "2026-11-02T10:04:05.123456Z" (27 characters) or, with
 * compact, "20261102T100405.123456Z" (23), for file names. -ERANGE past year 9999.
 */
int sn_format_utc(uint64_t usec, bool compact, char buf[static 28]);

/* o[key] = "0x%016x": addresses and registers, exact where a JSON number is not */
int sn_json_add_hex(cJSON *o, const char *key, uint64_t v);

/*
 * Replaces the file at path with len bytes of buf, atomically: written to a temp file
 * in the same directory (".NAME.tmp": hidden, and not matched by a "*.prom"-style
 * glob such as node_exporter's textfile collector reads), fchmod()ed to mode (whatever
 * the umask), fsync()ed, renamed over path, the directory fsync()ed. Readers see the old
 * file or the new one, never a part. On failure path is untouched and the temp file
 * removed. One writer per path: two would share the temp. -EINVAL for a path that ends in
 * '/' or a name too long for its temp.
 */
/* Writes all of buf to fd; EINTR is retried, a write of 0 bytes is -EIO. */
int sn_write_all(int fd, const void *buf, size_t len);

/*
 * Reads fd until its end into buf, at most size bytes (nothing added: the caller ends
 * the string); -EFBIG when size bytes came, whether or not more would have, else the
 * count in *ret_len. EINTR is retried.
 */
int sn_read_fd(int fd, char *buf, size_t size, size_t *ret_len);

int sn_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode);

/*
 * The same with flags. SN_WRITE_NO_SYNC: no fsync() of the file or the directory, for
 * a file whose loss after a crash is harmless (the metrics textfile, rewritten within
 * a heartbeat): the rename is still atomic for readers, and nothing waits for the disk.
 */
#define SN_WRITE_NO_SYNC (1u << 0)
int sn_write_file_atomic_flags(const char *path, const void *buf, size_t len, mode_t mode,
			       unsigned flags);
