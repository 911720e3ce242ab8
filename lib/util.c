/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "util.h"

int sn_format_utc(uint64_t usec, bool compact, char buf[static 28])
{
	/* Wide enough for any int, so that the compiler sees no truncation. */
	char tmp[96];
	time_t t;
	struct tm tm;
	int n;

	if (usec / 1000000 > (uint64_t)253402300799) /* 9999-12-31T23:59:59Z */
		return -ERANGE;
	t = (time_t)(usec / 1000000);
	if (!gmtime_r(&t, &tm))
		return -ERANGE;
	n = snprintf(tmp, sizeof(tmp),
		     compact ? "%04d%02d%02dT%02d%02d%02d.%06uZ" :
			       "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (unsigned)(usec % 1000000));
	if (n != (compact ? 23 : 27))
		return -ERANGE;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

void sn_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sn_json_add_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	return cJSON_AddStringToObject(o, key, buf) ? 0 : -ENOMEM;
}

int sn_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sn_read_fd(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			*ret_len = len;
			return 0;
		}
		len += (size_t)n;
	}
	return -EFBIG;
}

int sn_write_file_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	return sn_write_file_atomic_flags(path, buf, len, mode, 0);
}

int sn_write_file_atomic_flags(const char *path, const void *buf, size_t len, mode_t mode,
			       unsigned flags)
{
	_cleanup_(closep) int dfd = -EBADF, fd = -EBADF;
	_cleanup_(freep) char *dir = NULL;
	char tmp[NAME_MAX + 1];
	const char *slash, *name;
	int r;

	slash = strrchr(path, '/');
	name = slash ? slash + 1 : path;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -EINVAL;
	dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) :
		      strdup(".");
	if (!dir)
		return -ENOMEM;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		    mode);
	if (fd < 0)
		return -errno;
	r = sn_write_all(fd, buf, len);
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r >= 0 && !(flags & SN_WRITE_NO_SYNC) && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	/* In place; the directory's fsync() makes it durable, a failure changes nothing.
	 */
	if (!(flags & SN_WRITE_NO_SYNC))
		(void)fsync(dfd);
	return 0;
}
