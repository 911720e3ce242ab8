/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The spool: write, list, read, remove; bounds and eviction order; temp files and junk;
 * failed writes (write(2) and fsync(2) wrapped to inject ENOSPC and EIO, RLIMIT_FSIZE
 * for EFBIG); and a writer SIGKILLed at random moments.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"

/* ---- fault injection ---- */

ssize_t __real_write(int fd, const void *buf, size_t count);
ssize_t __wrap_write(int fd, const void *buf, size_t count);
int __real_fsync(int fd);
int __wrap_fsync(int fd);

static int write_fail_errno;	/* fail write() on fds > 2 with this, when set */
static size_t write_fail_after; /* ... after this many bytes went through */
static int fsync_fail_errno;	/* fail fsync() on regular files with this */

ssize_t __wrap_write(int fd, const void *buf, size_t count)
{
	if (fd > 2 && write_fail_errno) {
		if (write_fail_after == 0) {
			errno = write_fail_errno;
			return -1;
		}
		if (count > write_fail_after)
			count = write_fail_after; /* a short write, then the error */
		write_fail_after -= count;
	}
	return __real_write(fd, buf, count);
}

int __wrap_fsync(int fd)
{
	struct stat st;

	if (fsync_fail_errno && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		errno = fsync_fail_errno;
		return -1;
	}
	return __real_fsync(fd);
}

/* ---- helpers ---- */

static char dir[] = "/tmp/test-spool-XXXXXX";

static void rm_rf(const char *path)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/test-spool-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	write_fail_errno = 0;
	fsync_fail_errno = 0;
	rm_rf(dir);
	return 0;
}

/* A whole serialized report with this id (the content the spool keeps). */
static char *report_doc(const char *id, uint64_t usec, size_t n_lines)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	struct sn_report_time t = { usec, usec * 1000 };
	char *s = NULL;

	assert_int_equal(sn_report_new(SN_INCIDENT_HARD_LOCKUP, &r), 0);
	memcpy(r->id, id, SN_REPORT_ID_LEN + 1);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_add_stalled_cpu(r, 1), 0);
	for (size_t i = 0; i < n_lines; i++)
		assert_int_equal(sn_report_add_log_line(r, "watchdog: a line of the log"),
				 0);
	assert_int_equal(sn_report_serialize(r, &s, NULL), 0);
	return s;
}

static void make_id(unsigned n, char id[static SN_REPORT_ID_LEN + 1])
{
	snprintf(id, SN_REPORT_ID_LEN + 1, "00000000-0000-4000-8000-%012x", n);
}

static const uint64_t T0 = 1793613845000000; /* 2026-11-02T10:04:05Z */

static int spool_put(struct sn_spool *s, unsigned n, uint64_t usec, size_t n_lines,
		     unsigned *ret_evicted)
{
	char id[SN_REPORT_ID_LEN + 1];
	_cleanup_(freep) char *doc = NULL;

	make_id(n, id);
	doc = report_doc(id, usec, n_lines);
	return sn_spool_write(s, id, usec, SN_SPOOL_PENDING, doc, strlen(doc),
			      ret_evicted);
}

static size_t list_ids(struct sn_spool *s, unsigned *ids, size_t max)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	size_t n;

	assert_int_equal(sn_spool_list(s, &e, &n), 0);
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++)
		ids[i] = (unsigned)strtoul(e[i].id + 24, NULL, 16);
	return n;
}

/* Names in the directory: all of them, temp files and junk included, the lock not. */
static size_t count_dir(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, SN_SPOOL_LOCK) &&
		    strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static void touch(const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	assert_int_equal(fclose(f), 0);
}

/* ---- tests ---- */

static void test_write_list_read_remove(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	_cleanup_(freep) char *doc = NULL, *back = NULL;
	char id[SN_REPORT_ID_LEN + 1], sub[512];
	struct sn_spool_stats st;
	unsigned ev = 99;
	size_t n, len;

	/* The directory is created when missing. */
	snprintf(sub, sizeof(sub), "%s/spool", dir);
	assert_int_equal(sn_spool_open(sub, NULL, &s, NULL), 0);

	/* Written out of time order, listed oldest first. */
	assert_int_equal(spool_put(s, 2, T0 + 2000000, 1, &ev), 0);
	assert_int_equal(ev, 0);
	assert_int_equal(spool_put(s, 1, T0 + 1000000, 1, NULL), 0);
	assert_int_equal(spool_put(s, 3, T0 + 3000000, 1, NULL), 0);
	assert_int_equal(sn_spool_list(s, &e, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(
		e[0].name,
		"20261102T100406.000000Z-00000000-0000-4000-8000-000000000001.json");
	assert_string_equal(e[1].id, "00000000-0000-4000-8000-000000000002");
	assert_int_equal(e[2].realtime_usec, T0 + 3000000);

	/* Read back whole, and it parses. */
	make_id(2, id);
	doc = report_doc(id, T0 + 2000000, 1);
	assert_int_equal(sn_spool_read(s, id, &back, &len), 0);
	assert_int_equal(len, strlen(doc));
	assert_string_equal(back, doc);
	assert_int_equal(e[1].size, len);
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	assert_int_equal(sn_report_parse(back, len, &r), 0);
	assert_string_equal(r->id, id);

	/* The same id twice, a bad id. */
	assert_int_equal(spool_put(s, 2, T0 + 9000000, 1, NULL), -EEXIST);
	assert_int_equal(sn_spool_write(s, "../../etc/passwd", T0, SN_SPOOL_PENDING, "{}",
					2, NULL),
			 -EINVAL);
	assert_int_equal(sn_spool_read(s, "../x", &back, &len), -EINVAL);

	/* Removed after shipping. */
	assert_int_equal(sn_spool_remove(s, id), 0);
	assert_int_equal(sn_spool_remove(s, id), -ENOENT);
	char *none = (char *)0x1;
	assert_int_equal(sn_spool_read(s, id, &none, &len), -ENOENT);
	assert_ptr_equal(none, (char *)0x1);
	unsigned ids[8];
	assert_int_equal(list_ids(s, ids, 8), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);

	sn_spool_get_stats(s, &st);
	assert_int_equal(st.written, 3);
	assert_int_equal(st.removed, 1);
	/* the bad id; the same id twice is no failure (a restart's second reading) */
	assert_int_equal(st.write_failures, 1);
}

static void test_bound_count(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	struct sn_spool_limits lim = { .max_count = 3 };
	struct sn_spool_stats st;
	unsigned ids[8], ev;

	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(spool_put(s, i, T0 + i, 1, &ev), 0);
		assert_int_equal(ev, 0);
	}
	/* The fourth and fifth evict the oldest. */
	assert_int_equal(spool_put(s, 4, T0 + 4, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(spool_put(s, 5, T0 + 5, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(list_ids(s, ids, 8), 3);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ids[2], 5);

	/* A report older than all others (the clock went back) is kept, not evicted. */
	assert_int_equal(spool_put(s, 6, T0 - 1000000, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(list_ids(s, ids, 8), 3);
	assert_int_equal(ids[0], 6);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ids[2], 5);

	sn_spool_get_stats(s, &st);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.written, 6);
}

static void test_bound_bytes(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	_cleanup_(freep) char *small = NULL, *big = NULL;
	struct sn_spool_limits lim;
	unsigned ids[8], ev;
	size_t one, large;

	small = report_doc("00000000-0000-4000-8000-000000000000", T0, 1);
	big = report_doc("00000000-0000-4000-8000-000000000000", T0, 18);
	one = strlen(small);
	large = strlen(big);
	/* Room for three small ones. */
	lim = (struct sn_spool_limits){ .max_bytes = 3 * one + one / 2 };
	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(spool_put(s, i, T0 + i, 1, &ev), 0);
		assert_int_equal(ev, 0);
	}
	/* A larger one evicts as many of the oldest as it needs. */
	assert_true(large > one + one / 2 && large <= 2 * one + one / 2);
	assert_int_equal(spool_put(s, 4, T0 + 4, 18, &ev), 0);
	assert_int_equal(ev, 2);
	assert_int_equal(list_ids(s, ids, 8), 2);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 4);

	/* One larger than the bound alone is refused, and nothing is evicted for it. */
	char huge[4096];
	memset(huge, ' ', sizeof(huge));
	assert_int_equal(sn_spool_write(s, "00000000-0000-4000-8000-0000000000ff", T0 + 9,
					SN_SPOOL_PENDING, huge, sizeof(huge), &ev),
			 -EFBIG);
	assert_int_equal(list_ids(s, ids, 8), 2);
	assert_int_equal(count_dir(dir, ""), 2);
}

static void test_temp_and_junk(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	struct sn_spool_stats st;
	char path[512], target[512];
	unsigned ids[8];

	/* What a crash leaves, and what others put there. */
	touch(".report-0123456789abcdef.tmp", "{\"schema\":");
	touch(".report-0123456789ABCDEF.tmp", "not ours: uppercase");
	touch(".report-0123.tmp", "not ours: short");
	touch("notes.txt", "junk");
	touch("20261102T100405.000000Z-00000000-0000-4000-8000-00000000000z.json",
	      "bad id");
	touch("20261302T100405.000000Z-00000000-0000-4000-8000-000000000001.json",
	      "bad month");
	touch("20261102T100405.000000Z-00000000-0000-4000-8000-000000000001.json.bak",
	      "bak");
	snprintf(path, sizeof(path), "%s/.report-fedcba9876543210.tmp", dir);
	assert_int_equal(mkdir(path, 0700), 0); /* a directory of the temp form */
	snprintf(path, sizeof(path),
		 "%s/20261102T100405.000000Z-00000000-0000-4000-8000-000000000002.json",
		 dir);
	snprintf(target, sizeof(target), "%s/notes.txt", dir);
	assert_int_equal(symlink(target, path), 0); /* a link of the report form */

	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	sn_spool_get_stats(s, &st);
	assert_int_equal(st.temp_cleaned, 1);
	assert_int_equal(count_dir(dir, ".report-"), 3);
	assert_int_equal(count_dir(dir, ""), 8);

	/* Junk is not listed, not read, not evicted. */
	assert_int_equal(list_ids(s, ids, 8), 0);
	char *buf;
	size_t len;
	assert_int_equal(
		sn_spool_read(s, "00000000-0000-4000-8000-000000000002", &buf, &len),
		-ENOENT);
	_cleanup_(sn_spool_freep) struct sn_spool *b = NULL;
	struct sn_spool_limits lim = { .max_count = 1 };
	s = sn_spool_free(s); /* one writer at a time (the lock) */
	assert_int_equal(sn_spool_open(dir, &lim, &b, NULL), 0);
	assert_int_equal(spool_put(b, 7, T0, 1, NULL), 0);
	assert_int_equal(spool_put(b, 8, T0 + 1, 1, NULL), 0);
	assert_int_equal(list_ids(b, ids, 8), 1);
	assert_int_equal(ids[0], 8);
	assert_int_equal(count_dir(dir, ""), 9);
}

/* Fills the spool with two reports and returns their content for later comparison. */
static void fill_two(struct sn_spool *s, char **ret_a, char **ret_b)
{
	char id[SN_REPORT_ID_LEN + 1];
	size_t len;

	assert_int_equal(spool_put(s, 1, T0 + 1, 1, NULL), 0);
	assert_int_equal(spool_put(s, 2, T0 + 2, 1, NULL), 0);
	make_id(1, id);
	assert_int_equal(sn_spool_read(s, id, ret_a, &len), 0);
	make_id(2, id);
	assert_int_equal(sn_spool_read(s, id, ret_b, &len), 0);
}

static void check_two(struct sn_spool *s, const char *a, const char *b)
{
	char id[SN_REPORT_ID_LEN + 1];
	_cleanup_(freep) char *x = NULL, *y = NULL;
	unsigned ids[8];
	size_t len;

	/* Exactly the two, whole; no temp file left. */
	assert_int_equal(list_ids(s, ids, 8), 2);
	assert_int_equal(count_dir(dir, ""), 2);
	make_id(1, id);
	assert_int_equal(sn_spool_read(s, id, &x, &len), 0);
	assert_string_equal(x, a);
	make_id(2, id);
	assert_int_equal(sn_spool_read(s, id, &y, &len), 0);
	assert_string_equal(y, b);
}

static void test_write_errors(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	_cleanup_(freep) char *a = NULL, *b = NULL;
	struct sn_spool_limits lim = { .max_count = 2 };
	struct sn_spool_stats st;
	unsigned ev = 99;

	/* Bounded at two: a successful third write would evict. */
	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	fill_two(s, &a, &b);

	/* A full disk at the first byte, and after a short write. */
	write_fail_errno = ENOSPC;
	write_fail_after = 0;
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), -ENOSPC);
	assert_int_equal(ev, 99);
	check_two(s, a, b);
	write_fail_after = 100;
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), -ENOSPC);
	check_two(s, a, b);
	write_fail_errno = EIO;
	write_fail_after = 10;
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), -EIO);
	check_two(s, a, b);
	write_fail_errno = 0;

	/* The file's fsync() fails (write-back error). */
	fsync_fail_errno = EIO;
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), -EIO);
	fsync_fail_errno = 0;
	check_two(s, a, b);

	sn_spool_get_stats(s, &st);
	assert_int_equal(st.write_failures, 4);
	assert_int_equal(st.evicted, 0);

	/* Afterwards it works again, and then evicts. */
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), 0);
	assert_int_equal(ev, 1);
}

static void test_efbig(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	_cleanup_(freep) char *a = NULL, *b = NULL;
	int status;
	pid_t pid;

	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	fill_two(s, &a, &b);

	/* The file size limit, in a child: write() fails with EFBIG (SIGXFSZ ignored). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = 64, .rlim_max = RLIM_INFINITY };
		int r;

		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		r = spool_put(s, 3, T0 + 3, 1, NULL);
		_exit(r == -EFBIG ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_two(s, a, b);
}

/* ---- shipped state ---- */

static bool in_dir(const char *sub, const char *name)
{
	char path[768];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, *sub ? "/" : "", name);
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void test_shipped(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL, *reader = NULL;
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	_cleanup_(freep) char *doc = NULL, *back = NULL;
	char id[SN_REPORT_ID_LEN + 1], path[512];
	struct sn_spool_stats st;
	size_t n, len;

	/*
	 * A reader (sdei-nmictl's read-only open, no lock) opened before one is shipped
	 * still reads it from where it went.
	 */
	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	for (unsigned i = 1; i <= 3; i++)
		assert_int_equal(spool_put(s, i, T0 + i, 1, NULL), 0);
	assert_int_equal(sn_spool_open_existing(dir, &reader), 0);
	/* Nothing shipped: no shipped/ yet (created at the first one). */
	snprintf(path, sizeof(path), "%s/" SN_SPOOL_SHIPPED_DIR, dir);
	assert_int_equal(access(path, F_OK), -1);

	make_id(2, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	/* Again: already, fine. */
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	/* A reader opened now lists it shipped. */
	reader = sn_spool_free(reader);
	assert_int_equal(sn_spool_open_existing(dir, &reader), 0);
	assert_int_equal(sn_spool_list(reader, &e, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].id[SN_REPORT_ID_LEN - 1], '1' + (char)i);
		assert_int_equal(e[i].state == SN_SPOOL_SHIPPED, i == 1);
	}
	/* Moved, under the same name. */
	assert_false(in_dir("", e[1].name));
	assert_true(in_dir(SN_SPOOL_SHIPPED_DIR, e[1].name));
	assert_true(in_dir("", e[0].name));

	/* Read back whole from where it is now, by either handle. */
	doc = report_doc(id, T0 + 2, 1);
	assert_int_equal(sn_spool_read(reader, id, &back, &len), 0);
	assert_string_equal(back, doc);
	free(back);
	back = NULL;
	assert_int_equal(sn_spool_read(s, id, &back, &len), 0);
	assert_string_equal(back, doc);

	/* Its id is still taken. */
	assert_int_equal(spool_put(s, 2, T0 + 9, 1, NULL), -EEXIST);

	/* Not spooled, not an id. */
	make_id(9, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), -ENOENT);
	assert_int_equal(sn_spool_mark_shipped(s, "../shipped"), -EINVAL);

	/* Removed, shipped or not. */
	make_id(2, id);
	assert_int_equal(sn_spool_remove(s, id), 0);
	assert_int_equal(sn_spool_remove(s, id), -ENOENT);
	make_id(1, id);
	assert_int_equal(sn_spool_remove(s, id), 0);
	unsigned ids[8];
	assert_int_equal(list_ids(s, ids, 8), 1);
	assert_int_equal(ids[0], 3);
	/* A reader's index is of its open: reading what went since is -ENOENT. */
	assert_int_equal(sn_spool_read(reader, id, &back, &len), -ENOENT);
	/* Its next listing scans again: it sees what the writer did since. */
	free(e);
	e = NULL;
	assert_int_equal(spool_put(s, 4, T0 + 4, 1, NULL), 0);
	assert_int_equal(sn_spool_list(reader, &e, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].id[SN_REPORT_ID_LEN - 1], '3');
	assert_int_equal(e[1].id[SN_REPORT_ID_LEN - 1], '4');

	sn_spool_get_stats(s, &st);
	assert_int_equal(st.shipped, 1);
	assert_int_equal(st.removed, 2);
	assert_int_equal(st.evicted_unshipped, 0);
}

static void test_bound_shipped_first(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	struct sn_spool_limits lim = { .max_count = 3 };
	char id[SN_REPORT_ID_LEN + 1];
	struct sn_spool_stats st;
	unsigned ids[8], ev;
	size_t n;

	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	for (unsigned i = 1; i <= 3; i++)
		assert_int_equal(spool_put(s, i, T0 + i, 1, NULL), 0);
	make_id(2, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	make_id(3, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);

	/* Shipped ones go first, oldest first, although 1 is older. */
	assert_int_equal(spool_put(s, 4, T0 + 4, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(list_ids(s, ids, 8), 3);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 3);
	assert_int_equal(ids[2], 4);
	assert_int_equal(spool_put(s, 5, T0 + 5, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(list_ids(s, ids, 8), 3);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[1], 4);
	sn_spool_get_stats(s, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.evicted_unshipped, 0);

	/* None shipped left: the oldest unshipped goes, and is counted as such. */
	assert_int_equal(spool_put(s, 6, T0 + 6, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(sn_spool_list(s, &e, &n), 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i].state, SN_SPOOL_PENDING);
	assert_int_equal(list_ids(s, ids, 8), 3);
	assert_int_equal(ids[0], 4);
	sn_spool_get_stats(s, &st);
	assert_int_equal(st.evicted, 3);
	assert_int_equal(st.evicted_unshipped, 1);
	assert_int_equal(count_dir(dir, ""), 4); /* three and shipped/ */
}

static void test_shipped_junk(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	char id[SN_REPORT_ID_LEN + 1], path[512];
	unsigned ids[8];

	/* Something else holds the name: listing works, shipping says why not. */
	touch(SN_SPOOL_SHIPPED_DIR, "junk");
	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	assert_int_equal(spool_put(s, 1, T0 + 1, 1, NULL), 0);
	make_id(1, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), -ENOTDIR);
	assert_int_equal(list_ids(s, ids, 8), 1);
	sn_spool_free(TAKE_PTR(s));

	/* A link to a directory is not followed. */
	snprintf(path, sizeof(path), "%s/" SN_SPOOL_SHIPPED_DIR, dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/tmp", path), 0);
	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	assert_int_equal(sn_spool_mark_shipped(s, id), -ENOTDIR);
	assert_int_equal(list_ids(s, ids, 8), 1);
	assert_true(in_dir("", "20261102T100405.000001Z-00000000-0000-4000-8000-"
			       "000000000001.json"));

	/* Junk inside shipped/ is ignored like junk beside it. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0750), 0);
	touch(SN_SPOOL_SHIPPED_DIR "/notes.txt", "junk");
	touch(SN_SPOOL_SHIPPED_DIR "/.report-0123456789abcdef.tmp", "{");
	sn_spool_free(TAKE_PTR(s));
	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	assert_int_equal(list_ids(s, ids, 8), 1);
	assert_true(in_dir(SN_SPOOL_SHIPPED_DIR, "notes.txt"));
	assert_true(in_dir(SN_SPOOL_SHIPPED_DIR, ".report-0123456789abcdef.tmp"));
}

/* ---- a writer killed at random moments ---- */

static void crash_child(const char *path, int wfd, unsigned round)
{
	struct sn_spool *s = NULL;

	if (sn_spool_open(path, NULL, &s, NULL) < 0)
		_exit(3);
	for (unsigned i = 0;; i++) {
		char id[SN_REPORT_ID_LEN + 1], line[SN_REPORT_ID_LEN + 2];
		char *doc;

		make_id(round << 16 | i, id);
		doc = report_doc(id, T0 + i, 1 + i % 40);
		if (sn_spool_write(s, id, T0 + ((uint64_t)round << 20) + i,
				   SN_SPOOL_PENDING, doc, strlen(doc), NULL) == 0) {
			snprintf(line, sizeof(line), "%s\n", id);
			/* One line per write(): atomic on a pipe (< PIPE_BUF). */
			if (__real_write(wfd, line, SN_REPORT_ID_LEN + 1) !=
			    SN_REPORT_ID_LEN + 1)
				_exit(4);
		}
		free(doc);
	}
}

static void test_crash(void **state)
{
	struct timespec start, now;
	size_t completed_total = 0, seen_max = 0, temp_cleaned = 0;
	unsigned rounds = 0;
	char **done = NULL;
	size_t n_done = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int p[2], status;
		pid_t pid;
		uint32_t delay;
		FILE *f;
		char line[64];

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (rounds >= 200 || (now.tv_sec - start.tv_sec) * 1000000000L +
						     (now.tv_nsec - start.tv_nsec) >
					     3000000000L)
			break;
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_child(dir, p[1], rounds);
		}
		close(p[1]);
		assert_int_equal(getrandom(&delay, sizeof(delay), 0), sizeof(delay));
		usleep(delay % 15000);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		/* The ids the child saw completed. */
		f = fdopen(p[0], "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			assert_int_equal(strlen(line), SN_REPORT_ID_LEN + 1);
			line[SN_REPORT_ID_LEN] = '\0';
			done = reallocarray(done, n_done + 1, sizeof(*done));
			assert_non_null(done);
			done[n_done] = strdup(line);
			assert_non_null(done[n_done++]);
			completed_total++;
		}
		fclose(f);

		/* Reopened, as the daemon restarting: every visible report is whole. */
		_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
		_cleanup_(freep) struct sn_spool_entry *e = NULL;
		size_t n;

		struct sn_spool_stats st;

		assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
		assert_int_equal(count_dir(dir, ".report-"), 0);
		sn_spool_get_stats(s, &st);
		temp_cleaned += st.temp_cleaned;
		assert_int_equal(sn_spool_list(s, &e, &n), 0);
		assert_int_equal(count_dir(dir, ""), n);
		for (size_t i = 0; i < n; i++) {
			_cleanup_(freep) char *buf = NULL;
			_cleanup_(sn_report_freep) struct sn_report *r = NULL;
			size_t len;

			assert_int_equal(sn_spool_read(s, e[i].id, &buf, &len), 0);
			if (sn_report_parse(buf, len, &r) != 0)
				fail_msg("%s: a partial report is visible", e[i].name);
			assert_string_equal(r->id, e[i].id);
		}
		/* Every report whose write returned 0 is there. */
		for (size_t i = 0; i < n_done; i++) {
			bool found = false;

			for (size_t k = 0; k < n && !found; k++)
				found = strcmp(e[k].id, done[i]) == 0;
			if (!found)
				fail_msg("%s: written, then lost", done[i]);
		}
		seen_max = n;
		rounds++;
	}
	print_message("crash: %u rounds, %zu writes completed, %zu reports visible, "
		      "%zu temp files cleaned\n",
		      rounds, completed_total, seen_max, temp_cleaned);
	assert_true(rounds >= 10);
	for (size_t i = 0; i < n_done; i++)
		free(done[i]);
	free(done);
}

/*
 * A writer that also ships (marks each report shipped after writing it) killed at
 * random moments: whatever was written is there once, whole; whatever was marked is
 * shipped; no name is in both directories, or in neither.
 */
static void crash_ship_child(const char *path, int wfd, unsigned round)
{
	struct sn_spool *s = NULL;

	if (sn_spool_open(path, NULL, &s, NULL) < 0)
		_exit(3);
	for (unsigned i = 0;; i++) {
		char id[SN_REPORT_ID_LEN + 1], line[SN_REPORT_ID_LEN + 3];
		char *doc;

		make_id(round << 16 | i, id);
		doc = report_doc(id, T0 + i, 1 + i % 8);
		if (sn_spool_write(s, id, T0 + ((uint64_t)round << 20) + i,
				   SN_SPOOL_PENDING, doc, strlen(doc), NULL) == 0) {
			snprintf(line, sizeof(line), "W%s\n", id);
			if (__real_write(wfd, line, SN_REPORT_ID_LEN + 2) !=
			    SN_REPORT_ID_LEN + 2)
				_exit(4);
		}
		free(doc);
		if (sn_spool_mark_shipped(s, id) == 0) {
			snprintf(line, sizeof(line), "S%s\n", id);
			if (__real_write(wfd, line, SN_REPORT_ID_LEN + 2) !=
			    SN_REPORT_ID_LEN + 2)
				_exit(4);
		}
	}
}

static void test_crash_shipped(void **state)
{
	struct timespec start, now;
	size_t n_written = 0, n_marked = 0, visible_max = 0, shipped_max = 0;
	unsigned rounds = 0;
	char(*written)[SN_REPORT_ID_LEN + 1] = NULL,
					  (*marked)[SN_REPORT_ID_LEN + 1] = NULL;
	char shipped_path[512];

	snprintf(shipped_path, sizeof(shipped_path), "%s/" SN_SPOOL_SHIPPED_DIR, dir);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int p[2], status;
		pid_t pid;
		uint32_t delay;
		FILE *f;
		char line[64];

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (rounds >= 200 || (now.tv_sec - start.tv_sec) * 1000000000L +
						     (now.tv_nsec - start.tv_nsec) >
					     3000000000L)
			break;
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(p[0]);
			crash_ship_child(dir, p[1], rounds);
		}
		close(p[1]);
		assert_int_equal(getrandom(&delay, sizeof(delay), 0), sizeof(delay));
		usleep(delay % 25000);
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		f = fdopen(p[0], "re");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			assert_int_equal(strlen(line), SN_REPORT_ID_LEN + 2);
			line[SN_REPORT_ID_LEN + 1] = '\0';
			if (line[0] == 'W') {
				written = reallocarray(written, n_written + 1,
						       sizeof(*written));
				assert_non_null(written);
				strcpy(written[n_written++], line + 1);
			} else {
				assert_int_equal(line[0], 'S');
				marked = reallocarray(marked, n_marked + 1,
						      sizeof(*marked));
				assert_non_null(marked);
				strcpy(marked[n_marked++], line + 1);
			}
		}
		fclose(f);

		_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
		_cleanup_(freep) struct sn_spool_entry *e = NULL;
		size_t n, n_shipped = 0;

		assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
		assert_int_equal(sn_spool_list(s, &e, &n), 0);
		/* Each name in exactly one of the two directories. */
		for (size_t i = 0; i < n; i++) {
			bool top = in_dir("", e[i].name),
			     sh = in_dir(SN_SPOOL_SHIPPED_DIR, e[i].name);

			if (top == sh)
				fail_msg("%s: in %s", e[i].name,
					 top ? "both" : "neither");
			assert_int_equal(e[i].state == SN_SPOOL_SHIPPED, sh);
			n_shipped += sh;
		}
		if (access(shipped_path, F_OK) == 0)
			assert_int_equal(
				count_dir(shipped_path, "") + count_dir(dir, "") - 1, n);
		else
			assert_int_equal(count_dir(dir, ""), n);
		assert_int_equal(count_dir(dir, ".report-"), 0);
		for (size_t i = 0; i < n; i++) {
			_cleanup_(freep) char *buf = NULL;
			_cleanup_(sn_report_freep) struct sn_report *r = NULL;
			size_t len;

			assert_int_equal(sn_spool_read(s, e[i].id, &buf, &len), 0);
			if (sn_report_parse(buf, len, &r) != 0)
				fail_msg("%s: a partial report is visible", e[i].name);
		}
		/* Nothing written is lost; nothing marked shipped is unshipped again. */
		for (size_t i = 0; i < n_written; i++) {
			size_t k = 0;

			while (k < n && strcmp(e[k].id, written[i]) != 0)
				k++;
			if (k == n)
				fail_msg("%s: written, then lost", written[i]);
		}
		for (size_t i = 0; i < n_marked; i++)
			for (size_t k = 0; k < n; k++)
				if (strcmp(e[k].id, marked[i]) == 0 &&
				    e[k].state != SN_SPOOL_SHIPPED)
					fail_msg("%s: marked shipped, then not",
						 marked[i]);
		shipped_max = n_shipped;
		visible_max = n;
		rounds++;
	}
	print_message("crash-shipped: %u rounds, %zu writes, %zu marked shipped, "
		      "%zu reports visible, %zu of them shipped\n",
		      rounds, n_written, n_marked, visible_max, shipped_max);
	assert_true(rounds >= 10);
	assert_true(n_marked > 0);
	free(written);
	free(marked);
}

/* One writer: a second open is -EBUSY, names the holder, and touches nothing. */
static void test_lock(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL, *b = NULL, *r = NULL;
	pid_t holder = 0;

	assert_int_equal(sn_spool_open(dir, NULL, &s, NULL), 0);
	assert_int_equal(spool_put(s, 1, T0, 1, NULL), 0);
	/* what a crash of the first would have left: the second must not clean it */
	touch(".report-0123456789abcdef.tmp", "half");
	assert_int_equal(sn_spool_open(dir, NULL, &b, &holder), -EBUSY);
	assert_null(b);
	assert_int_equal(holder, getpid());
	assert_int_equal(count_dir(dir, ".report-"), 1);
	assert_int_equal(count_dir(dir, "2026"), 1);
	/* readers take no lock */
	assert_int_equal(sn_spool_open_existing(dir, &r), 0);
	/* the lock goes with its holder */
	s = sn_spool_free(s);
	assert_int_equal(sn_spool_open(dir, NULL, &b, &holder), 0);
	assert_int_equal(count_dir(dir, ".report-"), 0);
}

/* Held reports: kept, never shipped; set aside; evicted after shipped ones. */
static void test_held(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL, *r = NULL;
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	_cleanup_(freep) char *doc = NULL;
	struct sn_spool_limits lim = { .max_count = 3 };
	struct sn_spool_totals t;
	char id[SN_REPORT_ID_LEN + 1];
	unsigned ev;
	size_t n;

	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	make_id(1, id);
	doc = report_doc(id, T0 + 1, 1);
	assert_int_equal(
		sn_spool_write(s, id, T0 + 1, SN_SPOOL_HELD, doc, strlen(doc), &ev), 0);
	assert_true(in_dir(SN_SPOOL_HELD_DIR,
			   "20261102T100405.000001Z-"
			   "00000000-0000-4000-8000-000000000001.json"));
	/* the same id in another state is still the same id */
	assert_int_equal(spool_put(s, 1, T0 + 1, 1, NULL), -EEXIST);
	assert_int_equal(sn_spool_mark_shipped(s, id), -EINVAL);
	assert_int_equal(spool_put(s, 2, T0 + 2, 1, NULL), 0);
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, NULL), 0);
	make_id(3, id);
	assert_int_equal(sn_spool_set_aside(s, id), 0);
	assert_int_equal(sn_spool_set_aside(s, id), 0);
	make_id(2, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	assert_int_equal(sn_spool_set_aside(s, id), -EINVAL);
	sn_spool_get_totals(s, &t);
	assert_int_equal(t.count[SN_SPOOL_PENDING], 0);
	assert_int_equal(t.count[SN_SPOOL_SHIPPED], 1);
	assert_int_equal(t.count[SN_SPOOL_HELD], 2);
	assert_int_equal(t.oldest_pending_usec, 0);
	/* over the count: the shipped one goes first, then the oldest held */
	assert_int_equal(spool_put(s, 4, T0 + 4, 1, &ev), 0);
	assert_int_equal(ev, 1);
	assert_int_equal(spool_put(s, 5, T0 + 5, 1, &ev), 0);
	assert_int_equal(ev, 1);
	sn_spool_get_totals(s, &t);
	assert_int_equal(t.count[SN_SPOOL_SHIPPED], 0);
	assert_int_equal(t.count[SN_SPOOL_HELD], 1);
	assert_int_equal(t.count[SN_SPOOL_PENDING], 2);
	assert_int_equal(t.oldest_pending_usec, T0 + 4);
	/* a reader sees the same, states included */
	assert_int_equal(sn_spool_open_existing(dir, &r), 0);
	assert_int_equal(sn_spool_list(r, &e, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].state, SN_SPOOL_HELD);
	assert_int_equal(e[1].state, SN_SPOOL_PENDING);
	assert_int_equal(e[2].state, SN_SPOOL_PENDING);
	assert_string_equal(sn_spool_state_to_string(e[0].state), "held");
}

/*
 * KeepFree=: a bound no file system meets evicts every shipped and held report, and
 * no pending one.
 */
static void test_keep_free(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	struct sn_spool_limits lim = { .keep_free = UINT64_MAX / 2 };
	struct sn_spool_limits def;
	char id[SN_REPORT_ID_LEN + 1];
	unsigned ids[8], ev;

	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	assert_int_equal(spool_put(s, 1, T0 + 1, 1, &ev), 0);
	assert_int_equal(ev, 0);
	assert_int_equal(spool_put(s, 2, T0 + 2, 1, &ev), 0);
	assert_int_equal(ev, 0);
	make_id(1, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	assert_int_equal(spool_put(s, 3, T0 + 3, 1, &ev), 0);
	assert_int_equal(ev, 1); /* the shipped one */
	assert_int_equal(list_ids(s, ids, 8), 2);
	assert_int_equal(ids[0], 2);
	assert_int_equal(ids[1], 3);
	/* the defaults: bounded, as systemd-coredump's */
	assert_int_equal(sn_spool_limits_default(dir, &def), 0);
	assert_int_equal(def.max_count, SN_SPOOL_DEFAULT_MAX_COUNT);
	assert_true(def.max_bytes > 0 && def.max_bytes <= SN_SPOOL_DEFAULT_MAX_USE_CAP);
	assert_true(def.keep_free > 0 && def.keep_free <= SN_SPOOL_DEFAULT_KEEP_FREE_CAP);
	assert_int_equal(def.shipped_max_age_sec, SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE);
}

/* shipped/ is pruned by age, at open and at each write; pending ones never are. */
static void test_prune_shipped(void **state)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	struct sn_spool_limits lim = { .shipped_max_age_sec = 3600 }; /* an hour */
	struct sn_spool_stats st;
	struct sn_spool_totals t;
	char id[SN_REPORT_ID_LEN + 1];
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000;
	assert_int_equal(sn_spool_open(dir, &lim, &s, NULL), 0);
	/* two days old, one of them shipped; one shipped just now */
	assert_int_equal(spool_put(s, 1, now - 48 * 3600ULL * 1000000, 1, NULL), 0);
	assert_int_equal(spool_put(s, 2, now - 47 * 3600ULL * 1000000, 1, NULL), 0);
	assert_int_equal(spool_put(s, 3, now, 1, NULL), 0);
	make_id(2, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	make_id(3, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	assert_int_equal(spool_put(s, 4, now, 1, NULL), 0);
	sn_spool_get_stats(s, &st);
	assert_int_equal(st.pruned, 1);
	sn_spool_get_totals(s, &t);
	assert_int_equal(t.count[SN_SPOOL_SHIPPED], 1);
	assert_int_equal(t.count[SN_SPOOL_PENDING], 2);
	s = sn_spool_free(s);

	/* The default age (30 days) keeps one shipped an hour or a day ago. */
	struct sn_spool_limits def = { .shipped_max_age_sec =
					       SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE };
	assert_int_equal(sn_spool_open(dir, &def, &s, NULL), 0);
	assert_int_equal(spool_put(s, 5, now - 24 * 3600ULL * 1000000, 1, NULL), 0);
	make_id(5, id);
	assert_int_equal(sn_spool_mark_shipped(s, id), 0);
	assert_int_equal(spool_put(s, 6, now, 1, NULL), 0);
	sn_spool_get_stats(s, &st);
	assert_int_equal(st.pruned, 0);
	sn_spool_get_totals(s, &t);
	assert_int_equal(t.count[SN_SPOOL_SHIPPED], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_list_read_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bound_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temp_and_junk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efbig, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_free, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_shipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_shipped_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shipped_junk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_shipped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
