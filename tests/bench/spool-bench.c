/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The spool's cost per report as its backlog grows, not a test: for each size N (by
 * default 1,000, 10,000 and 100,000), a spool of N pending reports is made (the files
 * written directly, as a daemon that could not ship would have left them), then
 *   open   the writer's open: the lock, one scan, the index (per report);
 *   drain  each pending report read and marked shipped, oldest first, as the OTLP sink
 *          drains a backlog (per report);
 *   write  new reports written over a full spool (max_count = N): each one evicts the
 *          oldest shipped one (per report; fsync()ed, so the disk's cost dominates);
 * in one run, side by side, with each per-report cost's ratio to the smallest N's. A
 * spool that rescanned its directory on every operation (as before the index) costs
 * O(N) per report: its ratios grow with N; these must stay near 1.
 *
 *   spool-bench [DIR [N...]]    (DIR "": a temporary directory)
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spool.h"
#include "util.h"

#define WRITES 200

static const char doc_fmt[] =
	"{\"schema\":\"sdei-nmi.report/1\",\"id\":\"%s\",\"bench\":\"%0900d\"}";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void make_id(unsigned n, char id[static SN_REPORT_ID_LEN + 1])
{
	snprintf(id, SN_REPORT_ID_LEN + 1, "00000000-0000-4000-8000-%012x", n);
}

/* N pending reports, one file each, named as the spool names them. */
static int fill(const char *dir, unsigned n)
{
	uint64_t t0 = 1793613845000000;

	if (mkdir(dir, 0750) < 0)
		return -errno;
	for (unsigned i = 0; i < n; i++) {
		char id[SN_REPORT_ID_LEN + 1], t[32], path[1024], doc[1024];
		int fd, len, r;

		make_id(i, id);
		if (sn_format_utc(t0 + i, true, t) < 0)
			return -EINVAL;
		snprintf(path, sizeof(path), "%s/%s-%s.json", dir, t, id);
		len = snprintf(doc, sizeof(doc), doc_fmt, id, (int)i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0)
			return -errno;
		r = sn_write_all(fd, doc, (size_t)len);
		close(fd);
		if (r < 0)
			return r;
	}
	return 0;
}

struct figures {
	double open_us, drain_us, write_us;
};

static int bench(const char *top, unsigned n, struct figures *ret)
{
	_cleanup_(sn_spool_freep) struct sn_spool *s = NULL;
	struct sn_spool_limits lim = { .max_count = n };
	char dir[512];
	double t;
	int r;

	snprintf(dir, sizeof(dir), "%s/spool-%u", top, n);
	r = fill(dir, n);
	if (r < 0)
		return r;

	t = now();
	r = sn_spool_open(dir, &lim, &s, NULL);
	if (r < 0)
		return r;
	ret->open_us = (now() - t) * 1e6 / n;

	t = now();
	for (unsigned i = 0; i < n; i++) {
		_cleanup_(freep) char *buf = NULL;
		char id[SN_REPORT_ID_LEN + 1];
		size_t len;

		make_id(i, id);
		r = sn_spool_read(s, id, &buf, &len);
		if (r >= 0)
			r = sn_spool_mark_shipped(s, id);
		if (r < 0)
			return r;
	}
	ret->drain_us = (now() - t) * 1e6 / n;

	t = now();
	for (unsigned i = 0; i < WRITES; i++) {
		char id[SN_REPORT_ID_LEN + 1], doc[1024];
		unsigned evicted = 0;
		int len;

		make_id(n + i, id);
		len = snprintf(doc, sizeof(doc), doc_fmt, id, (int)i);
		r = sn_spool_write(s, id, 1893456000000000 + i, SN_SPOOL_PENDING, doc,
				   (size_t)len, &evicted);
		if (r < 0)
			return r;
		if (evicted != 1)
			return -EIO; /* the bound did not hold */
	}
	ret->write_us = (now() - t) * 1e6 / WRITES;
	return 0;
}

int main(int argc, char **argv)
{
	static const unsigned sizes_default[] = { 1000, 10000, 100000 };
	unsigned sizes[16], n_sizes = 0;
	struct figures f[16];
	char top[512] = "/tmp/sdei-nmi-spool-bench-XXXXXX";
	const char *where = argc > 1 && *argv[1] ? argv[1] : NULL;
	char cmd[600];
	int r;

	for (int i = 2; i < argc && n_sizes < 16; i++) {
		char *end;
		unsigned long v = strtoul(argv[i], &end, 10);

		if (*end || v < 1 || v > 10000000) {
			fprintf(stderr, "spool-bench: bad size '%s'\n", argv[i]);
			return 2;
		}
		sizes[n_sizes++] = (unsigned)v;
	}
	if (n_sizes == 0)
		for (; n_sizes < 3; n_sizes++)
			sizes[n_sizes] = sizes_default[n_sizes];
	if (where) {
		snprintf(top, sizeof(top), "%s", where);
		if (mkdir(top, 0700) < 0 && errno != EEXIST) {
			fprintf(stderr, "spool-bench: %s: %s\n", top, strerror(errno));
			return 2;
		}
	} else if (!mkdtemp(top)) {
		fprintf(stderr, "spool-bench: mkdtemp: %s\n", strerror(errno));
		return 2;
	}

	for (unsigned i = 0; i < n_sizes; i++) {
		r = bench(top, sizes[i], &f[i]);
		if (r < 0) {
			fprintf(stderr, "spool-bench: %u reports: %s\n", sizes[i], strerror(-r));
			return 1;
		}
	}
	printf("spool per-report cost by backlog size (%s; write: fsync()ed, each evicting "
	       "one)\n",
	       top);
	printf("%10s %12s %8s %12s %8s %12s %8s\n", "reports", "open us", "ratio",
	       "drain us", "ratio", "write us", "ratio");
	for (unsigned i = 0; i < n_sizes; i++)
		printf("%10u %12.2f %7.2fx %12.2f %7.2fx %12.2f %7.2fx\n", sizes[i],
		       f[i].open_us, f[i].open_us / f[0].open_us, f[i].drain_us,
		       f[i].drain_us / f[0].drain_us, f[i].write_us,
		       f[i].write_us / f[0].write_us);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : 1;
}
