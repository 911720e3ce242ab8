/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define TIME_LEN      23 /* "YYYYMMDDTHHMMSS.uuuuuuZ" */
#define TEMP_PREFIX   ".report-"
#define TEMP_SUFFIX   ".tmp"
#define TEMP_NAME_LEN (sizeof(TEMP_PREFIX) - 1 + 16 + sizeof(TEMP_SUFFIX) - 1)

struct sn_spool {
	int dfd;
	int shipped_dfd; /* SN_SPOOL_SHIPPED_DIR; -EBADF until it exists */
	struct sn_spool_limits limits;
	struct sn_spool_stats stats;
};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int format_time(uint64_t usec, char buf[static TIME_LEN + 5])
{
	return sn_format_utc(usec, true, buf);
}

bool sn_spool_name_is_temp(const char *name)
{
	size_t p = sizeof(TEMP_PREFIX) - 1;

	if (strlen(name) != TEMP_NAME_LEN || strncmp(name, TEMP_PREFIX, p) != 0 ||
	    strcmp(name + p + 16, TEMP_SUFFIX) != 0)
		return false;
	for (size_t i = p; i < p + 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

bool sn_spool_name_parse(const char *name, struct sn_spool_entry *ret)
{
	static const char form[] = "ddddddddTdddddd.ddddddZ";
	struct sn_spool_entry e = {};
	struct tm tm = {};
	char check[TIME_LEN + 5];
	unsigned us;
	time_t t;

	if (strlen(name) != SN_SPOOL_NAME_LEN || name[TIME_LEN] != '-' ||
	    strcmp(name + SN_SPOOL_NAME_LEN - 5, ".json") != 0)
		return false;
	for (size_t i = 0; i < TIME_LEN; i++)
		if (form[i] == 'd' ? !(name[i] >= '0' && name[i] <= '9') :
				     name[i] != form[i])
			return false;
	memcpy(e.id, name + TIME_LEN + 1, SN_REPORT_ID_LEN);
	if (!sn_report_id_valid(e.id))
		return false;
	if (sscanf(name, "%4d%2d%2dT%2d%2d%2d.%6u", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7 ||
	    tm.tm_year < 1970)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t < 0)
		return false;
	e.realtime_usec = (uint64_t)t * 1000000 + us;
	if (format_time(e.realtime_usec, check) < 0 || memcmp(check, name, TIME_LEN) != 0)
		return false;
	memcpy(e.name, name, SN_SPOOL_NAME_LEN + 1);
	if (ret)
		*ret = e;
	return true;
}

static int fsync_dir(struct sn_spool *s)
{
	return fsync(s->dfd) < 0 ? -errno : 0;
}

static int dir_of(struct sn_spool *s, bool shipped)
{
	return shipped ? s->shipped_dfd : s->dfd;
}

/*
 * Opens the shipped directory when it exists (and, with create, creates it first); 0
 * when it is open, -ENOENT when it does not exist. Something else of its name (junk: a
 * file, a link) is -ENOTDIR or -ELOOP, and left alone.
 */
static int open_shipped(struct sn_spool *s, bool create)
{
	int fd;

	if (s->shipped_dfd >= 0)
		return 0;
	fd = openat(s->dfd, SN_SPOOL_SHIPPED_DIR,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(s->dfd, SN_SPOOL_SHIPPED_DIR, 0750) < 0 && errno != EEXIST)
			return -errno;
		/* The new directory must survive a crash before anything moves in. */
		if (fsync_dir(s) < 0)
			return -errno;
		fd = openat(s->dfd, SN_SPOOL_SHIPPED_DIR,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	s->shipped_dfd = fd;
	return 0;
}

/* Calls f for each entry of the directory dfd (a fresh read each time). */
static int dir_scan(struct sn_spool *s, int dfd,
		    int (*f)(struct sn_spool *s, const char *name, const struct stat *st,
			     void *userdata),
		    void *userdata)
{
	_cleanup_(closedirp) DIR *d = NULL;
	int fd, r;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		struct dirent *de;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno != 0)
				return -errno;
			return 0;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' || strcmp(de->d_name, "..") == 0))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) /* removed meanwhile */
				continue;
			return -errno;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		r = f(s, de->d_name, &st, userdata);
		if (r < 0)
			return r;
	}
}

static int clean_temp(struct sn_spool *s, const char *name, const struct stat *st,
		      void *userdata)
{
	if (!sn_spool_name_is_temp(name))
		return 0;
	if (unlinkat(s->dfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	s->stats.temp_cleaned++;
	return 0;
}

int sn_spool_open(const char *path, const struct sn_spool_limits *limits,
		  struct sn_spool **ret)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	uint64_t cleaned;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dfd = s->shipped_dfd = -EBADF;
	if (limits)
		s->limits = *limits;
	s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0 && errno == ENOENT) {
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -errno;
		s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (s->dfd < 0)
		return -errno;
	r = dir_scan(s, s->dfd, clean_temp, NULL);
	if (r < 0)
		return r;
	cleaned = s->stats.temp_cleaned;
	if (cleaned > 0 && (r = fsync_dir(s)) < 0)
		return r;
	/* Not there yet (nothing shipped), or junk of its name: not an error here. */
	r = open_shipped(s, false);
	if (r < 0 && r != -ENOENT && r != -ENOTDIR && r != -ELOOP)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int sn_spool_open_existing(const char *path, struct sn_spool **ret)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* shipped/ is opened when listed (it may come later). */
	s->shipped_dfd = -EBADF;
	s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0)
		return -errno;
	*ret = TAKE_PTR(s);
	return 0;
}

struct sn_spool *sn_spool_free(struct sn_spool *s)
{
	if (!s)
		return NULL;
	if (s->dfd >= 0)
		close(s->dfd);
	if (s->shipped_dfd >= 0)
		close(s->shipped_dfd);
	free(s);
	return NULL;
}

void sn_spool_set_limits(struct sn_spool *s, const struct sn_spool_limits *limits)
{
	s->limits = *limits;
}

void sn_spool_get_stats(const struct sn_spool *s, struct sn_spool_stats *ret)
{
	*ret = s->stats;
}

struct list_ctx {
	struct sn_spool_entry *entries;
	size_t n, allocated;
	bool shipped; /* the directory being scanned */
};

static int list_one(struct sn_spool *s, const char *name, const struct stat *st,
		    void *userdata)
{
	struct list_ctx *c = userdata;
	struct sn_spool_entry e;

	if (!sn_spool_name_parse(name, &e))
		return 0;
	e.size = (uint64_t)st->st_size;
	e.shipped = c->shipped;
	if (c->n == c->allocated) {
		size_t m = c->allocated ? c->allocated * 2 : 16;
		struct sn_spool_entry *n = reallocarray(c->entries, m, sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->entries = n;
		c->allocated = m;
	}
	c->entries[c->n++] = e;
	return 0;
}

/* By name; of one name, the shipped one first (the one kept, see below). */
static int entry_cmp(const void *a, const void *b)
{
	const struct sn_spool_entry *x = a, *y = b;
	int k = strcmp(x->name, y->name);

	return k ? k : (int)y->shipped - (int)x->shipped;
}

int sn_spool_list(struct sn_spool *s, struct sn_spool_entry **ret, size_t *ret_n)
{
	struct list_ctx c = {};
	size_t n = 0;
	int r;

	/*
	 * The spool, then shipped/: a report moved in between (sn_spool_mark_shipped())
	 * is seen in one or both, never in neither; one seen in both is shipped.
	 */
	r = dir_scan(s, s->dfd, list_one, &c);
	if (r >= 0) {
		r = open_shipped(s, false);
		if (r >= 0) {
			c.shipped = true;
			r = dir_scan(s, s->shipped_dfd, list_one, &c);
		} else if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
			r = 0;
	}
	if (r < 0) {
		free(c.entries);
		return r;
	}
	if (c.n > 0)
		qsort(c.entries, c.n, sizeof(*c.entries), entry_cmp);
	for (size_t i = 0; i < c.n; i++)
		if (n == 0 || strcmp(c.entries[n - 1].name, c.entries[i].name) != 0)
			c.entries[n++] = c.entries[i];
	*ret = c.entries;
	*ret_n = n;
	return 0;
}

static int find(struct sn_spool *s, const char *id, struct sn_spool_entry *ret)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	size_t n;
	int r;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	r = sn_spool_list(s, &e, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].id, id) == 0) {
			*ret = e[i];
			return 0;
		}
	return -ENOENT;
}

/* Writes buf to a new temp file, fsync()ed and closed; its name in tmp. */
static int write_temp(struct sn_spool *s, const void *buf, size_t len,
		      char tmp[static TEMP_NAME_LEN + 1])
{
	_cleanup_(closep) int fd = -EBADF;
	uint64_t rnd;
	int r;

	for (unsigned attempt = 0;; attempt++) {
		if (getrandom(&rnd, sizeof(rnd), GRND_INSECURE) != sizeof(rnd) &&
		    getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -errno;
		snprintf(tmp, TEMP_NAME_LEN + 1, TEMP_PREFIX "%016" PRIx64 TEMP_SUFFIX,
			 rnd);
		fd = openat(s->dfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd >= 0)
			break;
		if (errno != EEXIST || attempt >= 16)
			return -errno;
	}
	r = sn_write_all(fd, buf, len);
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && close(TAKE_FD(fd)) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(s->dfd, tmp, 0);
		return r;
	}
	return 0;
}

static int spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		       const void *buf, size_t len, unsigned *ret_evicted)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	char tmp[TEMP_NAME_LEN + 1], name[SN_SPOOL_NAME_LEN + 1], t[TIME_LEN + 5];
	uint64_t bytes = len;
	size_t n, count;
	unsigned evicted = 0, evicted_shipped = 0;
	int r;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	r = format_time(realtime_usec, t);
	if (r < 0)
		return r;
	if (s->limits.max_bytes > 0 && len > s->limits.max_bytes)
		return -EFBIG;
	snprintf(name, sizeof(name), "%s-%s.json", t, id);

	r = sn_spool_list(s, &e, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].id, id) == 0)
			return -EEXIST;
		bytes += e[i].size;
	}

	r = write_temp(s, buf, len, tmp);
	if (r < 0)
		return r;
	if (renameat2(s->dfd, tmp, s->dfd, name, RENAME_NOREPLACE) < 0) {
		r = -errno;
		/* File systems without RENAME_NOREPLACE: the id was checked above. */
		if ((r == -EINVAL || r == -ENOSYS) &&
		    renameat(s->dfd, tmp, s->dfd, name) >= 0)
			r = 0;
		if (r < 0) {
			(void)unlinkat(s->dfd, tmp, 0);
			return r;
		}
	}
	r = fsync_dir(s);
	if (r < 0) {
		/* Not known to be durable: not accepted, so not visible either. */
		(void)unlinkat(s->dfd, name, 0);
		return r;
	}
	s->stats.written++;

	/*
	 * Now within the bounds: the shipped reports first, then the others, each oldest
	 * first; the new one (not in e) stays.
	 */
	count = n + 1;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool over =
				(s->limits.max_count > 0 &&
				 count > s->limits.max_count) ||
				(s->limits.max_bytes > 0 && bytes > s->limits.max_bytes);

			if (!over)
				break;
			if (e[i].shipped != (pass == 0))
				continue;
			if (unlinkat(dir_of(s, e[i].shipped), e[i].name, 0) < 0 &&
			    errno != ENOENT)
				continue; /* cannot go: the next one might */
			count--;
			bytes -= e[i].size;
			evicted++;
			if (e[i].shipped)
				evicted_shipped++;
		}
	if (evicted > 0) {
		s->stats.evicted += evicted;
		s->stats.evicted_unshipped += evicted - evicted_shipped;
		(void)fsync_dir(s);
		if (evicted_shipped > 0)
			(void)fsync(s->shipped_dfd);
	}
	if (ret_evicted)
		*ret_evicted = evicted;
	return 0;
}

int sn_spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		   const void *buf, size_t len, unsigned *ret_evicted)
{
	int r = spool_write(s, id, realtime_usec, buf, len, ret_evicted);

	if (r < 0)
		s->stats.write_failures++;
	return r;
}

int sn_spool_write_report(struct sn_spool *s, const struct sn_report *r,
			  unsigned *ret_evicted)
{
	_cleanup_(freep) char *buf = NULL;
	size_t len;
	int rr;

	rr = sn_report_serialize(r, &buf, &len);
	if (rr < 0)
		return rr;
	return sn_spool_write(s, r->id, r->first_seen.realtime_usec, buf, len,
			      ret_evicted);
}

int sn_spool_read(struct sn_spool *s, const char *id, char **ret, size_t *ret_len)
{
	_cleanup_(closep) int fd = -EBADF;
	_cleanup_(freep) char *buf = NULL;
	struct sn_spool_entry e;
	struct stat st;
	size_t len, size;
	int r;

	r = find(s, id, &e);
	if (r < 0)
		return r;
	fd = openat(dir_of(s, e.shipped), e.name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && !e.shipped && open_shipped(s, false) >= 0)
		/* Shipped since it was listed. */
		fd = openat(s->shipped_dfd, e.name,
			    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if ((uint64_t)st.st_size > SN_REPORT_MAX_BYTES)
		return -EFBIG;
	size = (size_t)st.st_size + 1;
	buf = malloc(size + 1);
	if (!buf)
		return -ENOMEM;
	/* Up to one byte more than stat said, to notice a file that grew. */
	r = sn_read_fd(fd, buf, size, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int sn_spool_remove(struct sn_spool *s, const char *id)
{
	struct sn_spool_entry e;
	int r;

	r = find(s, id, &e);
	if (r < 0)
		return r;
	if (unlinkat(dir_of(s, e.shipped), e.name, 0) < 0)
		return -errno;
	s->stats.removed++;
	return fsync(dir_of(s, e.shipped)) < 0 ? -errno : 0;
}

int sn_spool_mark_shipped(struct sn_spool *s, const char *id)
{
	struct sn_spool_entry e;
	int r;

	r = find(s, id, &e);
	if (r < 0)
		return r;
	if (e.shipped)
		return 0;
	r = open_shipped(s, true);
	if (r < 0)
		return r;
	if (renameat2(s->dfd, e.name, s->shipped_dfd, e.name, RENAME_NOREPLACE) < 0) {
		r = -errno;
		/*
		 * File systems without RENAME_NOREPLACE: a report of this id is not in
		 * shipped/ (find() prefers that one).
		 */
		if ((r == -EINVAL || r == -ENOSYS) &&
		    renameat(s->dfd, e.name, s->shipped_dfd, e.name) >= 0)
			r = 0;
		if (r < 0)
			return r; /* -ENOENT: evicted or removed meanwhile */
	}
	/* Durable in shipped/ first: a crash in between shows it shipped, not lost. */
	if (fsync(s->shipped_dfd) < 0 || fsync_dir(s) < 0)
		return -errno;
	s->stats.shipped++;
	return 0;
}
