/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <search.h>
#include <sys/file.h>
#include <sys/param.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define TIME_LEN      23 /* "YYYYMMDDTHHMMSS.uuuuuuZ" */
#define TEMP_PREFIX   ".report-"
#define TEMP_SUFFIX   ".tmp"
#define TEMP_NAME_LEN (sizeof(TEMP_PREFIX) - 1 + 16 + sizeof(TEMP_SUFFIX) - 1)

/* One state's reports, sorted by name: v[head .. head + n). */
struct list {
	struct sn_spool_entry **v;
	size_t head, n, allocated;
};

struct sn_spool {
	int dfd;
	/* [PENDING] is dfd; the others -EBADF until opened */
	int sub_dfd[_SN_SPOOL_STATE_MAX];
	int lock_fd;
	struct sn_spool_limits limits;
	struct sn_spool_stats stats;
	struct list lists[_SN_SPOOL_STATE_MAX];
	void *by_id; /* tsearch(3) tree of the entries, by id */
	uint64_t bytes;
	bool fresh; /* a reader's index, scanned and not listed yet */
};

static const char *const state_names[_SN_SPOOL_STATE_MAX] = {
	[SN_SPOOL_PENDING] = "pending",
	[SN_SPOOL_SHIPPED] = "shipped",
	[SN_SPOOL_HELD] = "held",
};

static const char *const state_dirs[_SN_SPOOL_STATE_MAX] = {
	[SN_SPOOL_PENDING] = ".",
	[SN_SPOOL_SHIPPED] = SN_SPOOL_SHIPPED_DIR,
	[SN_SPOOL_HELD] = SN_SPOOL_HELD_DIR,
};

const char *sn_spool_state_to_string(enum sn_spool_state st)
{
	return (unsigned)st < _SN_SPOOL_STATE_MAX ? state_names[st] : NULL;
}

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

/* ---- the index ---- */

static int by_id_cmp(const void *a, const void *b)
{
	const struct sn_spool_entry *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static struct sn_spool_entry *index_find(const struct sn_spool *s, const char *id)
{
	struct sn_spool_entry key = {};
	void *const *p;

	memcpy(key.id, id, SN_REPORT_ID_LEN + 1);
	p = tfind(&key, &s->by_id, by_id_cmp);
	return p ? *p : NULL;
}

/* Where name goes in l (binary search): an offset from l->head. */
static size_t list_position(const struct list *l, const char *name)
{
	size_t lo = 0, hi = l->n;

	/* Names mostly come in order: the end first. */
	if (l->n == 0 || strcmp(l->v[l->head + l->n - 1]->name, name) < 0)
		return l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->v[l->head + mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int list_insert(struct list *l, struct sn_spool_entry *e)
{
	size_t at = list_position(l, e->name);

	if (l->head + l->n == l->allocated) {
		if (l->head > l->n) {
			/* The front was evicted: reuse it. */
			memmove(l->v, l->v + l->head, l->n * sizeof(*l->v));
			l->head = 0;
		} else {
			size_t m = l->allocated ? l->allocated * 2 : 64;
			struct sn_spool_entry **v = reallocarray(l->v, m, sizeof(*v));

			if (!v)
				return -ENOMEM;
			l->v = v;
			l->allocated = m;
		}
	}
	memmove(l->v + l->head + at + 1, l->v + l->head + at,
		(l->n - at) * sizeof(*l->v));
	l->v[l->head + at] = e;
	l->n++;
	return 0;
}

static void list_remove(struct list *l, const struct sn_spool_entry *e)
{
	size_t at;

	if (l->n == 0)
		return;
	if (l->v[l->head] == e) { /* the oldest: evicted, shipped */
		l->head++;
		l->n--;
		if (l->n == 0)
			l->head = 0;
		return;
	}
	at = list_position(l, e->name);
	if (at >= l->n || l->v[l->head + at] != e)
		return;
	memmove(l->v + l->head + at, l->v + l->head + at + 1,
		(l->n - at - 1) * sizeof(*l->v));
	l->n--;
}

static struct sn_spool_entry *list_first(const struct list *l)
{
	return l->n ? l->v[l->head] : NULL;
}

/* The oldest of l that is not keep, or NULL. */
static struct sn_spool_entry *list_oldest_but(const struct list *l,
					      const struct sn_spool_entry *keep)
{
	if (l->n == 0)
		return NULL;
	if (l->v[l->head] != keep)
		return l->v[l->head];
	return l->n > 1 ? l->v[l->head + 1] : NULL;
}

/* Takes e (allocated) into the index; -EEXIST when its id is there. */
static int index_add(struct sn_spool *s, struct sn_spool_entry *e)
{
	void *const *p;
	int r;

	p = tsearch(e, &s->by_id, by_id_cmp);
	if (!p)
		return -ENOMEM;
	if (*p != e)
		return -EEXIST;
	r = list_insert(&s->lists[e->state], e);
	if (r < 0) {
		tdelete(e, &s->by_id, by_id_cmp);
		return r;
	}
	s->bytes += e->size;
	return 0;
}

/* Drops e from the index and frees it. */
static void index_drop(struct sn_spool *s, struct sn_spool_entry *e)
{
	list_remove(&s->lists[e->state], e);
	tdelete(e, &s->by_id, by_id_cmp);
	s->bytes -= e->size;
	free(e);
}

static void index_move(struct sn_spool *s, struct sn_spool_entry *e,
		       enum sn_spool_state to)
{
	list_remove(&s->lists[e->state], e);
	e->state = to;
	/* Only -ENOMEM, with the entry's state changed on disk: keep it listed. */
	if (list_insert(&s->lists[to], e) < 0) {
		e->state = SN_SPOOL_PENDING;
		(void)list_insert(&s->lists[SN_SPOOL_PENDING], e);
	}
}

/* ---- directories ---- */

static int fsync_fd(int fd)
{
	return fsync(fd) < 0 ? -errno : 0;
}

/*
 * Opens the directory of state when it exists (and, with create, creates it first); 0
 * when it is open, -ENOENT when it does not exist. Something else of its name (junk: a
 * file, a link) is -ENOTDIR or -ELOOP, and left alone.
 */
static int open_state_dir(struct sn_spool *s, enum sn_spool_state st, bool create)
{
	int fd;

	if (s->sub_dfd[st] >= 0)
		return 0;
	fd = openat(s->dfd, state_dirs[st],
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(s->dfd, state_dirs[st], 0750) < 0 && errno != EEXIST)
			return -errno;
		/* The new directory must survive a crash before anything moves in. */
		if (fsync(s->dfd) < 0)
			return -errno;
		fd = openat(s->dfd, state_dirs[st],
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd < 0)
		return -errno;
	s->sub_dfd[st] = fd;
	return 0;
}

/* Calls f for each regular file of the directory dfd. */
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
		if (!de)
			return errno != 0 ? -errno : 0;
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

static int index_one(struct sn_spool *s, const char *name, const struct stat *st,
		     void *userdata)
{
	enum sn_spool_state state = *(const enum sn_spool_state *)userdata;
	struct sn_spool_entry *e;
	int r;

	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	if (!sn_spool_name_parse(name, e)) {
		free(e);
		return 0;
	}
	e->size = (uint64_t)st->st_size;
	e->state = state;
	r = index_add(s, e);
	if (r < 0)
		free(e);
	/* In two places (a crash within a state change on a file system without
	 * RENAME_NOREPLACE): the first state scanned wins, see index_build(). */
	return r == -EEXIST ? 0 : r;
}

/* One scan of each state's directory: shipped, held, then pending (a report found
 * twice is in its later state). */
static int index_build(struct sn_spool *s)
{
	static const enum sn_spool_state order[] = { SN_SPOOL_SHIPPED, SN_SPOOL_HELD,
						     SN_SPOOL_PENDING };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		enum sn_spool_state st = order[i];

		r = open_state_dir(s, st, false);
		if (r == -ENOENT || r == -ENOTDIR || r == -ELOOP)
			continue; /* not there yet, or junk of its name */
		if (r < 0)
			return r;
		r = dir_scan(s, s->sub_dfd[st], index_one, &st);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- opening ---- */

static struct sn_spool *spool_new(void)
{
	struct sn_spool *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dfd = s->lock_fd = -EBADF;
	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		s->sub_dfd[i] = -EBADF;
	return s;
}

/* The lock (see spool.h); -EBUSY and the holder's pid when another has it. */
static int take_lock(struct sn_spool *s, pid_t *ret_holder)
{
	char buf[32];
	size_t len;
	int n;

	s->lock_fd = openat(s->dfd, SN_SPOOL_LOCK,
			    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
	if (s->lock_fd < 0)
		return -errno;
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		long pid = 0;

		if (r == -EBUSY && ret_holder &&
		    sn_read_fd(s->lock_fd, buf, sizeof(buf) - 1, &len) >= 0) {
			buf[len] = '\0';
			if (sscanf(buf, "%ld", &pid) != 1 || pid <= 0)
				pid = 0;
		}
		if (ret_holder)
			*ret_holder = (pid_t)pid;
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

static int prune(struct sn_spool *s);
static void limits_resolve(struct sn_spool *s, const struct sn_spool_limits *limits);

int sn_spool_open(const char *path, const struct sn_spool_limits *limits,
		  struct sn_spool **ret, pid_t *ret_holder)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	int r;

	s = spool_new();
	if (!s)
		return -ENOMEM;
	s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0 && errno == ENOENT) {
		if (mkdir(path, 0750) < 0 && errno != EEXIST)
			return -errno;
		s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (s->dfd < 0)
		return -errno;
	s->sub_dfd[SN_SPOOL_PENDING] = s->dfd;
	if (limits)
		limits_resolve(s, limits);
	/* Nothing is touched before the lock is ours. */
	r = take_lock(s, ret_holder);
	if (r < 0)
		return r;
	r = dir_scan(s, s->dfd, clean_temp, NULL);
	if (r < 0)
		return r;
	if (s->stats.temp_cleaned > 0 && (r = fsync_fd(s->dfd)) < 0)
		return r;
	r = index_build(s);
	if (r < 0)
		return r;
	r = prune(s);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int sn_spool_open_existing(const char *path, struct sn_spool **ret)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	int r;

	s = spool_new();
	if (!s)
		return -ENOMEM;
	s->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dfd < 0)
		return -errno;
	s->sub_dfd[SN_SPOOL_PENDING] = s->dfd;
	r = index_build(s);
	if (r < 0)
		return r;
	s->fresh = true;
	*ret = TAKE_PTR(s);
	return 0;
}

static void free_node(void *p)
{
	free(p);
}

/* Empties the index (its entries freed). */
static void index_clear(struct sn_spool *s)
{
	tdestroy(s->by_id, free_node);
	s->by_id = NULL;
	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++) {
		free(s->lists[i].v);
		s->lists[i] = (struct list){};
	}
	s->bytes = 0;
}

/*
 * A reader's index as the directories are now: the writer (another process) may have
 * written, moved or evicted reports since the last scan. The first listing uses the
 * scan that opened the spool; the writer's own index is always current.
 */
static int index_refresh(struct sn_spool *s)
{
	if (s->lock_fd >= 0)
		return 0;
	if (s->fresh) {
		s->fresh = false;
		return 0;
	}
	index_clear(s);
	return index_build(s);
}

struct sn_spool *sn_spool_free(struct sn_spool *s)
{
	if (!s)
		return NULL;
	index_clear(s);
	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		if (i != SN_SPOOL_PENDING && s->sub_dfd[i] >= 0)
			close(s->sub_dfd[i]);
	if (s->dfd >= 0)
		close(s->dfd);
	/* Closing it lets the lock go. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
	return NULL;
}

/* The defaults (spool.h) for a file system of v's size; of size 0, no byte bounds. */
static void limits_default(const struct statvfs *v, struct sn_spool_limits *ret)
{
	uint64_t size = (uint64_t)v->f_blocks * v->f_frsize;

	*ret = (struct sn_spool_limits){
		.max_count = SN_SPOOL_DEFAULT_MAX_COUNT,
		.max_bytes = MIN(size / 100 * SN_SPOOL_DEFAULT_MAX_USE_PCT,
				 SN_SPOOL_DEFAULT_MAX_USE_CAP),
		.keep_free = MIN(size / 100 * SN_SPOOL_DEFAULT_KEEP_FREE_PCT,
				 SN_SPOOL_DEFAULT_KEEP_FREE_CAP),
		.shipped_max_age_sec = SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE,
	};
}

int sn_spool_limits_default(const char *path, struct sn_spool_limits *ret)
{
	struct statvfs v = {};
	int r = statvfs(path, &v) < 0 ? -errno : 0;

	/* unknown: the count and age bounds all the same */
	limits_default(&v, ret);
	return r;
}

/* SN_SPOOL_LIMIT_AUTO made the file system's default (none when it cannot be told). */
static void limits_resolve(struct sn_spool *s, const struct sn_spool_limits *limits)
{
	struct sn_spool_limits def;
	struct statvfs v = {};

	s->limits = *limits;
	if (s->limits.max_bytes != SN_SPOOL_LIMIT_AUTO &&
	    s->limits.keep_free != SN_SPOOL_LIMIT_AUTO)
		return;
	(void)fstatvfs(s->dfd, &v); /* unknown: no byte bounds */
	limits_default(&v, &def);
	if (s->limits.max_bytes == SN_SPOOL_LIMIT_AUTO)
		s->limits.max_bytes = def.max_bytes;
	if (s->limits.keep_free == SN_SPOOL_LIMIT_AUTO)
		s->limits.keep_free = def.keep_free;
}

void sn_spool_set_limits(struct sn_spool *s, const struct sn_spool_limits *limits)
{
	limits_resolve(s, limits);
}

void sn_spool_get_stats(const struct sn_spool *s, struct sn_spool_stats *ret)
{
	*ret = s->stats;
}

void sn_spool_get_totals(const struct sn_spool *s, struct sn_spool_totals *ret)
{
	const struct sn_spool_entry *p = list_first(&s->lists[SN_SPOOL_PENDING]);

	*ret = (struct sn_spool_totals){ .bytes = s->bytes };
	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		ret->count[i] = s->lists[i].n;
	if (p)
		ret->oldest_pending_usec = p->realtime_usec;
}

/* ---- reading ---- */

int sn_spool_list(struct sn_spool *s, struct sn_spool_entry **ret, size_t *ret_n)
{
	size_t n = 0, at[_SN_SPOOL_STATE_MAX] = {}, total = 0;
	struct sn_spool_entry *out;
	int r;

	r = index_refresh(s);
	if (r < 0)
		return r;

	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		total += s->lists[i].n;
	out = calloc(total + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	/* The states' sorted lists merged: oldest first. */
	while (n < total) {
		const struct sn_spool_entry *best = NULL;
		int from = -1;

		for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++) {
			const struct list *l = &s->lists[i];
			const struct sn_spool_entry *e;

			if (at[i] >= l->n)
				continue;
			e = l->v[l->head + at[i]];
			if (!best || strcmp(e->name, best->name) < 0) {
				best = e;
				from = i;
			}
		}
		out[n++] = *best;
		at[from]++;
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

int sn_spool_find(struct sn_spool *s, const char *id, struct sn_spool_entry *ret)
{
	const struct sn_spool_entry *e;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	e = index_find(s, id);
	if (!e)
		return -ENOENT;
	*ret = *e;
	return 0;
}

int sn_spool_read(struct sn_spool *s, const char *id, char **ret, size_t *ret_len)
{
	_cleanup_(closep) int fd = -EBADF;
	_cleanup_(freep) char *buf = NULL;
	struct sn_spool_entry e;
	struct stat st;
	size_t len, size;
	int r;

	r = sn_spool_find(s, id, &e);
	if (r < 0)
		return r;
	r = open_state_dir(s, e.state, false);
	if (r < 0)
		return r;
	fd = openat(s->sub_dfd[e.state], e.name,
		    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	/* A reader's index: moved by the writer since it was built (same name). */
	for (int k = 0;
	     fd < 0 && errno == ENOENT && s->lock_fd < 0 && k < _SN_SPOOL_STATE_MAX; k++)
		if (k != (int)e.state && open_state_dir(s, k, false) >= 0)
			fd = openat(s->sub_dfd[k], e.name,
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

/* ---- writing ---- */

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

/* rename(2) without replacing; falls back where RENAME_NOREPLACE is not supported. */
static int rename_noreplace(int from_dfd, const char *from, int to_dfd, const char *to)
{
	if (renameat2(from_dfd, from, to_dfd, to, RENAME_NOREPLACE) >= 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* The index said the name is free. */
	return renameat(from_dfd, from, to_dfd, to) < 0 ? -errno : 0;
}

/* Unlinks e from disk (its directory synced by the caller) and the index. */
static int evict(struct sn_spool *s, struct sn_spool_entry *e)
{
	if (unlinkat(s->sub_dfd[e->state], e->name, 0) < 0 && errno != ENOENT)
		return -errno;
	index_drop(s, e);
	return 0;
}

/* Shipped reports past their age (shipped_max_age_sec). */
static int prune(struct sn_spool *s)
{
	struct sn_spool_entry *e;
	struct timespec ts;
	uint64_t now, pruned = 0;

	if (!s->limits.shipped_max_age_sec)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	while ((e = list_first(&s->lists[SN_SPOOL_SHIPPED])) &&
	       now - e->realtime_usec > s->limits.shipped_max_age_sec * 1000000 &&
	       e->realtime_usec < now) {
		if (evict(s, e) < 0)
			break; /* cannot go now: the next write tries again */
		pruned++;
	}
	if (pruned > 0) {
		s->stats.pruned += pruned;
		(void)fsync(s->sub_dfd[SN_SPOOL_SHIPPED]);
	}
	return 0;
}

/*
 * Whether the spool is over a bound, counting freed bytes as free already. keep_free
 * counts only against shipped and held reports (with_free): a disk that other data
 * fills is no reason to lose the reports not pushed yet, which are kilobytes.
 */
static bool over_bounds(struct sn_spool *s, uint64_t avail, bool with_free)
{
	size_t count = 0;

	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		count += s->lists[i].n;
	return (s->limits.max_count > 0 && count > s->limits.max_count) ||
	       (s->limits.max_bytes > 0 && s->bytes > s->limits.max_bytes) ||
	       (with_free && s->limits.keep_free > 0 && avail < s->limits.keep_free);
}

/* Evicts until within the bounds: shipped, held, then pending, oldest first; never
 * keep. Returns the number evicted. */
static unsigned evict_to_bounds(struct sn_spool *s, const struct sn_spool_entry *keep)
{
	static const enum sn_spool_state order[] = { SN_SPOOL_SHIPPED, SN_SPOOL_HELD,
						     SN_SPOOL_PENDING };
	bool synced[_SN_SPOOL_STATE_MAX] = {};
	unsigned evicted = 0;
	uint64_t avail = UINT64_MAX;
	struct statvfs v;

	if (s->limits.keep_free > 0 && fstatvfs(s->dfd, &v) >= 0)
		avail = (uint64_t)v.f_bavail * v.f_frsize;
	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		enum sn_spool_state st = order[i];
		struct sn_spool_entry *e;

		while (over_bounds(s, avail, st != SN_SPOOL_PENDING) &&
		       (e = list_oldest_but(&s->lists[st], keep))) {
			uint64_t size = e->size;

			if (evict(s, e) < 0)
				break; /* cannot go: the next state's might */
			if (avail != UINT64_MAX)
				avail += size;
			evicted++;
			s->stats.evicted++;
			if (st == SN_SPOOL_PENDING)
				s->stats.evicted_unshipped++;
			synced[st] = true;
		}
	}
	for (int i = 0; i < _SN_SPOOL_STATE_MAX; i++)
		if (synced[i])
			(void)fsync(s->sub_dfd[i]);
	return evicted;
}

static int spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		       enum sn_spool_state state, const void *buf, size_t len,
		       unsigned *ret_evicted)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	char tmp[TEMP_NAME_LEN + 1], t[TIME_LEN + 5];
	struct sn_spool_entry *added;
	unsigned evicted;
	int r;

	if (!sn_report_id_valid(id) ||
	    (state != SN_SPOOL_PENDING && state != SN_SPOOL_HELD))
		return -EINVAL;
	if (index_find(s, id))
		return -EEXIST;
	r = format_time(realtime_usec, t);
	if (r < 0)
		return r;
	if (s->limits.max_bytes > 0 && len > s->limits.max_bytes)
		return -EFBIG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s-%s.json", t, id);
	memcpy(e->id, id, SN_REPORT_ID_LEN + 1);
	e->realtime_usec = realtime_usec;
	e->size = len;
	e->state = state;

	r = open_state_dir(s, state, true);
	if (r < 0)
		return r;
	r = write_temp(s, buf, len, tmp);
	if (r < 0)
		return r;
	r = rename_noreplace(s->dfd, tmp, s->sub_dfd[state], e->name);
	if (r < 0) {
		(void)unlinkat(s->dfd, tmp, 0);
		return r;
	}
	r = fsync_fd(s->sub_dfd[state]);
	if (r >= 0 && state != SN_SPOOL_PENDING)
		r = fsync_fd(s->dfd); /* the temp file's name is gone from it */
	if (r < 0) {
		/* Not known to be durable: not accepted, so not visible either. */
		(void)unlinkat(s->sub_dfd[state], e->name, 0);
		return r;
	}
	added = e;
	r = index_add(s, TAKE_PTR(e));
	if (r < 0) {
		free(added);
		return r;
	}
	s->stats.written++;
	(void)prune(s);
	evicted = evict_to_bounds(s, added);
	if (ret_evicted)
		*ret_evicted = evicted;
	return 0;
}

int sn_spool_write(struct sn_spool *s, const char *id, uint64_t realtime_usec,
		   enum sn_spool_state state, const void *buf, size_t len,
		   unsigned *ret_evicted)
{
	int r = spool_write(s, id, realtime_usec, state, buf, len, ret_evicted);

	if (r < 0 && r != -EEXIST)
		s->stats.write_failures++;
	return r;
}

int sn_spool_write_report(struct sn_spool *s, const struct sn_report *r,
			  enum sn_spool_state state, unsigned *ret_evicted)
{
	_cleanup_(freep) char *buf = NULL;
	size_t len;
	int rr;

	rr = sn_report_serialize(r, &buf, &len);
	if (rr < 0)
		return rr;
	return sn_spool_write(s, r->id, r->first_seen.realtime_usec, state, buf, len,
			      ret_evicted);
}

int sn_spool_remove(struct sn_spool *s, const char *id)
{
	struct sn_spool_entry *e;
	int dfd;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	e = index_find(s, id);
	if (!e)
		return -ENOENT;
	dfd = s->sub_dfd[e->state];
	if (unlinkat(dfd, e->name, 0) < 0)
		return -errno;
	index_drop(s, e);
	s->stats.removed++;
	return fsync_fd(dfd);
}

/* Moves a pending report to state to's directory (see spool.h): 1, or 0 when it was
 * there already. */
static int move_pending(struct sn_spool *s, const char *id, enum sn_spool_state to)
{
	struct sn_spool_entry *e;
	int r;

	if (!sn_report_id_valid(id))
		return -EINVAL;
	e = index_find(s, id);
	if (!e)
		return -ENOENT;
	if (e->state == to)
		return 0; /* already */
	if (e->state != SN_SPOOL_PENDING)
		return -EINVAL;
	r = open_state_dir(s, to, true);
	if (r < 0)
		return r;
	r = rename_noreplace(s->dfd, e->name, s->sub_dfd[to], e->name);
	if (r < 0)
		return r; /* -ENOENT: removed behind our back */
	/*
	 * Not fsync()ed: the rename holds when the process dies, and a power cut that
	 * loses it leaves the report pending, to be pushed again under its id (at least
	 * once). Waiting for the disk here would widen the window in which a killed
	 * daemon sends a report the collector has already acknowledged.
	 */
	index_move(s, e, to);
	return 1;
}

int sn_spool_mark_shipped(struct sn_spool *s, const char *id)
{
	int r = move_pending(s, id, SN_SPOOL_SHIPPED);

	if (r > 0)
		s->stats.shipped++;
	return r < 0 ? r : 0;
}

int sn_spool_set_aside(struct sn_spool *s, const char *id)
{
	int r = move_pending(s, id, SN_SPOOL_HELD);

	return r < 0 ? r : 0;
}
