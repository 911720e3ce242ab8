/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kmsg reader: a pipe (a stream of records: splitting, EAGAIN, end of file), a
 * SOCK_SEQPACKET socket pair (one record per read(2), as /dev/kmsg), a regular file
 * (SEEK_END, SEEK_SET, resuming after a SEQ), and /dev/kmsg's EPIPE, which only the
 * kernel produces: read(2) is wrapped (-Wl,--wrap=read) to inject it.
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmsg-reader.h"
#include "macro.h"

/* ---- read(2), with errors injected on one fd ---- */

ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count);

static int inject_fd = -1;
static int inject_errno;
static unsigned inject_count;

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	if (fd == inject_fd && inject_count > 0) {
		inject_count--;
		errno = inject_errno;
		return -1;
	}
	return __real_read(fd, buf, count);
}

static void inject(int fd, int err, unsigned n)
{
	inject_fd = fd;
	inject_errno = err;
	inject_count = n;
}

/* ---- helpers ---- */

static struct sn_kmsg_record rec;

static void put(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void send_record(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

static void expect_record(struct sn_kmsg_reader *r, uint64_t seq, const char *msg,
			  uint64_t lost)
{
	uint64_t l = 12345;

	assert_int_equal(sn_kmsg_reader_next(r, &rec, &l), 0);
	assert_int_equal(rec.seq, seq);
	assert_string_equal(rec.message, msg);
	assert_int_equal(l, lost);
}

static void expect(struct sn_kmsg_reader *r, int err)
{
	rec.seq = 777;
	assert_int_equal(sn_kmsg_reader_next(r, &rec, NULL), err);
	/* Nothing is written when nothing is returned. */
	assert_int_equal(rec.seq, 777);
}

/* ---- tests ---- */

static void test_seq_advance(void **state)
{
	bool have = false, skip;
	uint64_t last = 0, lost;

	assert_int_equal(sn_kmsg_seq_advance(&have, &last, 10, &skip, &lost), 0);
	assert_false(skip);
	assert_int_equal(lost, 0);
	assert_true(have);
	assert_int_equal(sn_kmsg_seq_advance(&have, &last, 11, &skip, &lost), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(sn_kmsg_seq_advance(&have, &last, 15, &skip, &lost), 0);
	assert_int_equal(lost, 3);
	assert_int_equal(sn_kmsg_seq_advance(&have, &last, 15, &skip, &lost), 0);
	assert_true(skip);
	assert_int_equal(sn_kmsg_seq_advance(&have, &last, 2, &skip, &lost), 0);
	assert_true(skip);
	assert_int_equal(last, 15);
	assert_int_equal(sn_kmsg_seq_advance(&have, &last, UINT64_MAX, &skip, &lost), 0);
	assert_false(skip);
	assert_true(lost == UINT64_MAX - 16);
}

static void test_pipe_stream(void **state)
{
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	struct sn_kmsg_reader_stats st;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(
		sn_kmsg_reader_new(p[0], SN_KMSG_READ_AUTO, SN_KMSG_START_BEGIN, 0, &r),
		0);
	assert_int_equal(sn_kmsg_reader_fd(r), p[0]);
	assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);

	/* Nothing yet; then half a record. */
	expect(r, -EAGAIN);
	put(p[1], "6,1,100,-;first half");
	expect(r, -EAGAIN);
	/* Whole, but a continuation line may still follow. */
	put(p[1], " and more\n");
	expect(r, -EAGAIN);
	put(p[1], " SUBSYSTEM=net\n DEVICE=n2\n6,2,200,-;second\n");
	expect_record(r, 1, "first half and more", 0);
	assert_string_equal(rec.subsystem, "net");
	assert_string_equal(rec.device, "n2");
	expect(r, -EAGAIN);

	/* A malformed record is skipped; a SEQ gap is told with the record after it. */
	put(p[1], "garbage\n6,5,300,-;after a gap\n6,6,400,-;last\n");
	expect_record(r, 2, "second", 0);
	expect_record(r, 5, "after a gap", 2);
	expect(r, -EAGAIN);

	/* The writer goes away: the last record is whole, then the end. */
	close(p[1]);
	expect_record(r, 6, "last", 0);
	expect(r, -ENODATA);
	expect(r, -ENODATA);

	sn_kmsg_reader_get_stats(r, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.lost, 2);
	assert_int_equal(st.overruns, 0);
	assert_int_equal(st.skipped, 0);
}

static void test_pipe_truncated_and_overlong(void **state)
{
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	_cleanup_(freep) char *big = NULL;
	struct sn_kmsg_reader_stats st;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(
		sn_kmsg_reader_new(p[0], SN_KMSG_READ_STREAM, SN_KMSG_START_BEGIN, 0, &r),
		0);

	/* A line longer than any record: dropped, the reader finds the next one. */
	big = malloc(3 * SN_KMSG_RECORD_MAX);
	assert_non_null(big);
	memset(big, 'x', 3 * SN_KMSG_RECORD_MAX - 1);
	big[3 * SN_KMSG_RECORD_MAX - 1] = '\0';
	put(p[1], "6,1,1,-;before\n");
	put(p[1], big);
	put(p[1], "\n6,2,2,-;after\n6,3,3,-;cut");
	expect_record(r, 1, "before", 0);
	expect_record(r, 2, "after", 0);
	expect(r, -EAGAIN);
	close(p[1]);
	/* The end cuts the last record. */
	expect(r, -ENODATA);

	sn_kmsg_reader_get_stats(r, &st);
	assert_int_equal(st.records, 2);
	assert_true(st.malformed >= 2);
}

static void test_records(void **state)
{
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	struct sn_kmsg_reader_stats st;
	int sp[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(sn_kmsg_reader_new(sp[0], SN_KMSG_READ_RECORDS,
					    SN_KMSG_START_AFTER, 2, &r),
			 0);

	expect(r, -EAGAIN);
	/* Records up to the saved SEQ are skipped. */
	send_record(sp[1], "6,1,1,-;old\n");
	send_record(sp[1], "6,2,2,-;old\n");
	send_record(sp[1], "6,3,3,-;new\n SUBSYSTEM=x\n");
	/* One record per read: a record without its '\n' is cut, not joined. */
	send_record(sp[1], "6,4,4,-;cut");
	send_record(sp[1], "6,5,5,-;fine\n");
	expect_record(r, 3, "new", 0);
	assert_string_equal(rec.subsystem, "x");
	expect_record(r, 5, "fine", 1);
	expect(r, -EAGAIN);

	/*
	 * /dev/kmsg's EPIPE: records were overwritten; the kernel moved on and the next
	 * read continues, with a SEQ gap. EINTR is retried; other errors come back.
	 */
	send_record(sp[1], "6,9,9,-;after overrun\n");
	inject(sp[0], EPIPE, 2);
	expect_record(r, 9, "after overrun", 3);
	inject(sp[0], EINTR, 1);
	send_record(sp[1], "6,10,10,-;after EINTR\n");
	expect_record(r, 10, "after EINTR", 0);
	inject(sp[0], EIO, 1);
	expect(r, -EIO);
	inject(-1, 0, 0);

	close(sp[1]);
	expect(r, -ENODATA);

	sn_kmsg_reader_get_stats(r, &st);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.overruns, 2);
	assert_int_equal(st.lost, 4);
}

static void test_file(void **state)
{
	char path[] = "/tmp/test-kmsg-reader-XXXXXX";
	_cleanup_(closep) int fd = mkstemp(path);
	struct sn_kmsg_reader *r = NULL;

	assert_true(fd >= 0);
	put(fd, "6,1,1,-;one\n6,2,2,-;two\n6,3,3,-;three\n");

	/* SEEK_END: what comes from now on. */
	assert_int_equal(
		sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_END, 0, &r),
		0);
	expect(r, -ENODATA);
	put(fd, "6,4,4,-;four\n");
	expect_record(r, 4, "four", 0);
	r = sn_kmsg_reader_free(r);

	/* SEEK_SET: everything. */
	assert_int_equal(
		sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_BEGIN, 0, &r),
		0);
	expect_record(r, 1, "one", 0);
	r = sn_kmsg_reader_free(r);

	/* After a saved SEQ. */
	assert_int_equal(
		sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_AFTER, 2, &r),
		0);
	expect_record(r, 3, "three", 0);
	expect_record(r, 4, "four", 0);
	expect(r, -ENODATA);
	r = sn_kmsg_reader_free(r);

	/* The saved SEQ is gone from the buffer: what was lost is told. */
	assert_int_equal(
		sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_AFTER, 0, &r),
		0);
	expect_record(r, 1, "one", 0);
	r = sn_kmsg_reader_free(r);
	assert_int_equal(sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_AFTER,
					     UINT64_MAX - 1, &r),
			 0);
	expect(r, -ENODATA);
	r = sn_kmsg_reader_free(r);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(
		sn_kmsg_reader_open(path, SN_KMSG_READ_AUTO, SN_KMSG_START_END, 0, &r),
		-ENOENT);
	assert_null(r);
	assert_int_equal(
		sn_kmsg_reader_new(-1, SN_KMSG_READ_AUTO, SN_KMSG_START_END, 0, &r),
		-EINVAL);
	assert_int_equal(sn_kmsg_reader_next(NULL, &rec, NULL), -EINVAL);
}

/* /dev/kmsg itself, when this host lets us read it: records, then EAGAIN. */
static void test_dev_kmsg(void **state)
{
	_cleanup_(sn_kmsg_reader_freep) struct sn_kmsg_reader *r = NULL;
	struct sn_kmsg_reader_stats st;
	int k, n = 0;

	if (sn_kmsg_reader_open(NULL, SN_KMSG_READ_AUTO, SN_KMSG_START_BEGIN, 0, &r) < 0)
		skip();
	while ((k = sn_kmsg_reader_next(r, &rec, NULL)) == 0 && n < 100000)
		n++;
	if (k == -EPERM || k == -EACCES)
		skip();
	assert_int_equal(k, -EAGAIN);
	sn_kmsg_reader_get_stats(r, &st);
	assert_int_equal(st.malformed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seq_advance),
		cmocka_unit_test(test_pipe_stream),
		cmocka_unit_test(test_pipe_truncated_and_overlong),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_dev_kmsg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
