/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spool-view.h"
#include "util.h"

int spool_view_open(const char *path, struct sn_spool **ret)
{
	int r = sn_spool_open_existing(path, ret);

	if (r == -ENOENT)
		return log_error_errno(r,
				       "no spool at %s (sdei-nmid has not written a "
				       "report there yet, or see --spool)",
				       path);
	if (r == -EACCES || r == -EPERM)
		return log_error_errno(r, "cannot read the spool %s: %m (run as root)",
				       path);
	if (r < 0)
		return log_error_errno(r, "cannot open the spool %s: %m", path);
	return 0;
}

/* held/ of the spool, opened; -ENOENT when there is none (or something else is). */
static int held_open(const char *path)
{
	_cleanup_(freep) char *dir = NULL;
	int fd;

	if (asprintf(&dir, "%s/" SPOOL_HELD_DIR, path) < 0)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? -ENOENT : -errno;
	return fd;
}

struct items {
	struct spool_item *v;
	size_t n, allocated;
};

static int items_add(struct items *it, const struct sn_spool_entry *e,
		     enum report_state state)
{
	if (it->n == it->allocated) {
		size_t m = it->allocated ? it->allocated * 2 : 16;
		struct spool_item *v = reallocarray(it->v, m, sizeof(*v));

		if (!v)
			return -ENOMEM;
		it->v = v;
		it->allocated = m;
	}
	it->v[it->n++] = (struct spool_item){ .entry = *e, .state = state };
	return 0;
}

/* The reports of held/: regular files of the report form; anything else is junk. */
static int held_list(const char *path, struct items *it)
{
	_cleanup_(closep) int fd = -EBADF;
	DIR *d;
	struct dirent *de;
	int r = 0;

	fd = held_open(path);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d)
		return -errno;
	TAKE_FD(fd);
	while (r >= 0) {
		struct sn_spool_entry e;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (!de) {
			r = -errno;
			break;
		}
		if (!sn_spool_name_parse(de->d_name, &e))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT) /* gone since */
				r = -errno;
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		e.size = (uint64_t)st.st_size;
		e.shipped = false;
		r = items_add(it, &e, REPORT_HELD);
	}
	closedir(d);
	return r;
}

static int item_cmp(const void *a, const void *b)
{
	const struct spool_item *x = a, *y = b;
	int k = strcmp(x->entry.name, y->entry.name);

	/* Of one name, the spool's first: the one kept. */
	return k ? k : (x->state == REPORT_HELD) - (y->state == REPORT_HELD);
}

int spool_view_list(struct sn_spool *sp, const char *path, struct spool_item **ret,
		    size_t *ret_n)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	struct items it = {};
	size_t n, k = 0;
	int r;

	r = sn_spool_list(sp, &e, &n);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = items_add(&it, &e[i], e[i].shipped ? REPORT_SHIPPED : REPORT_PENDING);
	if (r >= 0)
		r = held_list(path, &it);
	if (r < 0) {
		free(it.v);
		return r;
	}
	if (it.n > 0)
		qsort(it.v, it.n, sizeof(*it.v), item_cmp);
	for (size_t i = 0; i < it.n; i++)
		if (k == 0 || strcmp(it.v[k - 1].entry.name, it.v[i].entry.name) != 0)
			it.v[k++] = it.v[i];
	*ret = it.v;
	*ret_n = k;
	return 0;
}

static int held_read(const char *path, const char *name, char **ret, size_t *ret_len)
{
	_cleanup_(closep) int dfd = -EBADF, fd = -EBADF;
	_cleanup_(freep) char *buf = NULL;
	struct stat st;
	size_t size, len;
	int r;

	dfd = held_open(path);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > SN_REPORT_MAX_BYTES)
		return -EFBIG;
	/* One byte more than stat said, to notice a file that grew. */
	size = (size_t)st.st_size + 1;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	r = sn_read_fd(fd, buf, size, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int spool_view_read(struct sn_spool *sp, const char *path, const struct spool_item *it,
		    char **ret, size_t *ret_len)
{
	if (it->state == REPORT_HELD)
		return held_read(path, it->entry.name, ret, ret_len);
	return sn_spool_read(sp, it->entry.id, ret, ret_len);
}
