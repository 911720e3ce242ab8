/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmsg-reader.h"

/* A stream's buffer holds at least one whole record and a read's worth more. */
#define STREAM_BUF (2 * SN_KMSG_RECORD_MAX)

struct sn_kmsg_reader {
	int fd;
	enum sn_kmsg_read_mode mode;
	bool have_last;
	uint64_t last_seq;
	struct sn_kmsg_reader_stats stats;
	struct sn_kmsg_record rec; /* parsed here, copied out only when returned */

	/*
	 * SN_KMSG_READ_STREAM: buf[off, len) read, not yet taken; the buffer is compacted
	 * only before a read, not after every record.
	 */
	size_t off, len;
	bool eof;
	char buf[STREAM_BUF];
};

int sn_kmsg_seq_advance(bool *have_last, uint64_t *last, uint64_t seq, bool *ret_skip,
			uint64_t *ret_lost)
{
	uint64_t lost = 0;

	if (*have_last && seq <= *last) {
		*ret_skip = true;
		*ret_lost = 0;
		return 0;
	}
	if (*have_last)
		lost = seq - *last - 1;
	*have_last = true;
	*last = seq;
	*ret_skip = false;
	*ret_lost = lost;
	return 0;
}

int sn_kmsg_reader_new(int fd, enum sn_kmsg_read_mode mode, enum sn_kmsg_start start,
		       uint64_t after_seq, struct sn_kmsg_reader **ret)
{
	struct sn_kmsg_reader *r;
	int flags;

	if (fd < 0 || !ret)
		return -EINVAL;
	if (mode == SN_KMSG_READ_AUTO) {
		struct stat st;

		if (fstat(fd, &st) < 0)
			return -errno;
		mode = S_ISCHR(st.st_mode) ? SN_KMSG_READ_RECORDS : SN_KMSG_READ_STREAM;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->mode = mode;
	if (start == SN_KMSG_START_AFTER) {
		r->have_last = true;
		r->last_seq = after_seq;
	}
	*ret = r;
	return 0;
}

int sn_kmsg_reader_open(const char *path, enum sn_kmsg_read_mode mode,
			enum sn_kmsg_start start, uint64_t after_seq,
			struct sn_kmsg_reader **ret)
{
	_cleanup_(closep) int fd = -EBADF;
	int r;

	fd = open(path ?: "/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (lseek(fd, 0, start == SN_KMSG_START_END ? SEEK_END : SEEK_SET) < 0 &&
	    errno != ESPIPE)
		return -errno;

	r = sn_kmsg_reader_new(fd, mode, start, after_seq, ret);
	if (r < 0)
		return r;
	TAKE_FD(fd);
	return 0;
}

struct sn_kmsg_reader *sn_kmsg_reader_free(struct sn_kmsg_reader *r)
{
	if (!r)
		return NULL;
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return NULL;
}

int sn_kmsg_reader_fd(const struct sn_kmsg_reader *r)
{
	return r->fd;
}

void sn_kmsg_reader_get_stats(const struct sn_kmsg_reader *r,
			      struct sn_kmsg_reader_stats *ret)
{
	*ret = r->stats;
}

/* Parses one record; 0 when it is to be returned, -EAGAIN when skipped. */
static int take(struct sn_kmsg_reader *r, const char *buf, size_t len,
		struct sn_kmsg_record *ret, uint64_t *ret_lost)
{
	bool skip;
	uint64_t lost;

	if (sn_kmsg_record_parse(buf, len, &r->rec) < 0) {
		r->stats.malformed++;
		return -EAGAIN;
	}
	(void)sn_kmsg_seq_advance(&r->have_last, &r->last_seq, r->rec.seq, &skip, &lost);
	if (skip) {
		r->stats.skipped++;
		return -EAGAIN;
	}
	r->stats.lost += lost;
	r->stats.records++;
	sn_kmsg_record_copy(ret, &r->rec);
	if (ret_lost)
		*ret_lost = lost;
	return 0;
}

static int next_record(struct sn_kmsg_reader *r, struct sn_kmsg_record *ret,
		       uint64_t *ret_lost)
{
	/* One byte more than a record may have: a longer one shows as too long. */
	char buf[SN_KMSG_RECORD_MAX + 1];

	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				r->stats.overruns++;
				continue;
			}
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		if (take(r, buf, (size_t)n, ret, ret_lost) == 0)
			return 0;
	}
}

/* Drops the buffer up to the start of the next record that may be whole. */
static void stream_resync(struct sn_kmsg_reader *r)
{
	size_t drop = r->len;

	for (size_t i = 0; i + 1 < r->len; i++)
		if (r->buf[i] == '\n' && r->buf[i + 1] != ' ') {
			drop = i + 1;
			break;
		}
	memmove(r->buf, r->buf + drop, r->len - drop);
	r->len -= drop;
}

static int next_stream(struct sn_kmsg_reader *r, struct sn_kmsg_record *ret,
		       uint64_t *ret_lost)
{
	/* A file may grow: every call reads again past its end. */
	r->eof = false;
	for (;;) {
		size_t rec_len;
		ssize_t n;
		int k;

		k = sn_kmsg_record_split(r->buf + r->off, r->len - r->off, r->eof,
					 &rec_len);
		if (k == 0) {
			k = take(r, r->buf + r->off, rec_len, ret, ret_lost);
			r->off += rec_len;
			if (k == 0)
				return 0;
			continue;
		}
		if (k == -EBADMSG) {
			/* The end of the file cuts a record. */
			r->stats.malformed++;
			r->off = r->len = 0;
		}
		if (r->eof)
			return -ENODATA;
		if (r->off > 0) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		if (r->len >= SN_KMSG_RECORD_MAX) {
			/* No record ends within the longest one a record may have. */
			r->stats.malformed++;
			stream_resync(r);
			continue;
		}

		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			r->eof = true;
		r->len += (size_t)n;
	}
}

int sn_kmsg_reader_next(struct sn_kmsg_reader *r, struct sn_kmsg_record *ret,
			uint64_t *ret_lost)
{
	if (!r || !ret)
		return -EINVAL;
	if (r->mode == SN_KMSG_READ_RECORDS)
		return next_record(r, ret, ret_lost);
	return next_stream(r, ret, ret_lost);
}
