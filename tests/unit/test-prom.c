/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The Prometheus text rendering (lib/prom.c): HELP and TYPE lines, "_total" on
 * counters, label and HELP escaping, the checks (names, duplicates, order) and their
 * sticky errors; and sn_write_file_atomic() (lib/util.c): replaced whole, its mode,
 * no temp file left, the old file intact when a write fails; with SN_WRITE_NO_SYNC (the
 * metrics textfile) the same without a single fsync() (wrapped: counted).
 */

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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "prom.h"
#include "util.h"

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static unsigned fsyncs; /* fsync() calls */

int __wrap_fsync(int fd)
{
	fsyncs++;
	return __real_fsync(fd);
}

static char *render_ok(struct sn_prom *p)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(sn_prom_finish(p, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

static void test_render(void **state)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	_cleanup_(freep) char *text = NULL;

	assert_int_equal(sn_prom_new(&p), 0);
	assert_int_equal(sn_prom_family(p, "sdei_nmid_incidents", SN_PROM_COUNTER,
					"Incidents reported, by kind."),
			 0);
	assert_int_equal(sn_prom_sample(p, 3, "kind", "hard-lockup", NULL), 0);
	assert_int_equal(sn_prom_sample(p, 0, "kind", "rcu-stall", NULL), 0);
	assert_int_equal(sn_prom_family(p, "sdei_nmid_source_up", SN_PROM_GAUGE,
					"Whether a source runs."),
			 0);
	assert_int_equal(sn_prom_sample(p, 1, "source", "kmsg", "x", "y", NULL), 0);
	assert_int_equal(sn_prom_family(p, "sdei_nmid_big", SN_PROM_GAUGE, "Big."), 0);
	assert_int_equal(sn_prom_sample(p, UINT64_MAX, NULL), 0);
	text = render_ok(p);
	assert_string_equal(
		text, "# HELP sdei_nmid_incidents_total Incidents reported, by kind.\n"
		      "# TYPE sdei_nmid_incidents_total counter\n"
		      "sdei_nmid_incidents_total{kind=\"hard-lockup\"} 3\n"
		      "sdei_nmid_incidents_total{kind=\"rcu-stall\"} 0\n"
		      "# HELP sdei_nmid_source_up Whether a source runs.\n"
		      "# TYPE sdei_nmid_source_up gauge\n"
		      "sdei_nmid_source_up{source=\"kmsg\",x=\"y\"} 1\n"
		      "# HELP sdei_nmid_big Big.\n"
		      "# TYPE sdei_nmid_big gauge\n"
		      "sdei_nmid_big 18446744073709551615\n");
}

static void test_escaping(void **state)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	_cleanup_(freep) char *text = NULL;

	assert_int_equal(sn_prom_new(&p), 0);
	assert_int_equal(sn_prom_family(p, "a:b_c9", SN_PROM_GAUGE,
					"back\\slash \"quoted\"\nnewline"),
			 0);
	assert_int_equal(
		sn_prom_sample(p, 7, "why", "a \"b\" c\\d\ne", "empty", "", NULL), 0);
	text = render_ok(p);
	/* HELP: \\ and \n only; label values: \\, \" and \n. */
	assert_string_equal(text,
			    "# HELP a:b_c9 back\\\\slash \"quoted\"\\nnewline\n"
			    "# TYPE a:b_c9 gauge\n"
			    "a:b_c9{why=\"a \\\"b\\\" c\\\\d\\ne\",empty=\"\"} 7\n");
}

static void test_names(void **state)
{
	static const char *const good[] = { "a", "_", ":", "a:b", "A_9", "x_total_y" };
	static const char *const bad[] = { "", "9a", "a-b", "a b", "a.b", "é" };
	char longname[SN_PROM_NAME_MAX + 2];

	for (size_t i = 0; i < ELEMENTSOF(good); i++)
		assert_true(sn_prom_metric_name_valid(good[i]));
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_false(sn_prom_metric_name_valid(bad[i]));
		assert_false(sn_prom_label_name_valid(bad[i]));
	}
	assert_false(sn_prom_label_name_valid(":"));
	assert_false(sn_prom_label_name_valid("a:b"));
	assert_false(sn_prom_label_name_valid("__name__"));
	assert_true(sn_prom_label_name_valid("_a"));
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(sn_prom_metric_name_valid(longname));
	longname[SN_PROM_NAME_MAX] = '\0';
	assert_true(sn_prom_metric_name_valid(longname));
}

/* Each misuse: -EINVAL or -EEXIST, sticky, and no text. */
static void expect_error(int (*misuse)(struct sn_prom *p), int error)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	char *text = (char *)"untouched";

	assert_int_equal(sn_prom_new(&p), 0);
	assert_int_equal(misuse(p), error);
	/* Sticky: what comes after does nothing and says the first error. */
	assert_int_equal(sn_prom_family(p, "fine", SN_PROM_GAUGE, "Fine."), error);
	assert_int_equal(sn_prom_sample(p, 1, NULL), error);
	assert_int_equal(sn_prom_finish(p, &text, NULL), error);
	assert_string_equal(text, "untouched");
}

static int sample_first(struct sn_prom *p)
{
	return sn_prom_sample(p, 1, NULL);
}

static int counter_total(struct sn_prom *p)
{
	return sn_prom_family(p, "x_total", SN_PROM_COUNTER, "X.");
}

static int gauge_total(struct sn_prom *p)
{
	return sn_prom_family(p, "x_total", SN_PROM_GAUGE, "X.");
}

static int bad_metric(struct sn_prom *p)
{
	return sn_prom_family(p, "x-y", SN_PROM_GAUGE, "X.");
}

static int twice(struct sn_prom *p)
{
	sn_prom_family(p, "x", SN_PROM_COUNTER, "X.");
	sn_prom_family(p, "y", SN_PROM_GAUGE, "Y.");
	return sn_prom_family(p, "x", SN_PROM_COUNTER, "X again.");
}

static int twice_total(struct sn_prom *p)
{
	/* "x_total" the counter and "x_total" the gauge cannot both be: x_total is. */
	sn_prom_family(p, "x", SN_PROM_COUNTER, "X.");
	return sn_prom_family(p, "x_totalx", SN_PROM_GAUGE, "Fine.") ?:
		       sn_prom_family(p, "x", SN_PROM_COUNTER, "X.");
}

static int bad_label(struct sn_prom *p)
{
	sn_prom_family(p, "x", SN_PROM_GAUGE, "X.");
	return sn_prom_sample(p, 1, "a-b", "v", NULL);
}

static int reserved_label(struct sn_prom *p)
{
	sn_prom_family(p, "x", SN_PROM_GAUGE, "X.");
	return sn_prom_sample(p, 1, "__name__", "v", NULL);
}

static int repeated_label(struct sn_prom *p)
{
	sn_prom_family(p, "x", SN_PROM_GAUGE, "X.");
	return sn_prom_sample(p, 1, "a", "1", "b", "2", "a", "3", NULL);
}

static int missing_value(struct sn_prom *p)
{
	sn_prom_family(p, "x", SN_PROM_GAUGE, "X.");
	return sn_prom_sample(p, 1, "a", NULL);
}

static int bad_type(struct sn_prom *p)
{
	return sn_prom_family(p, "x", (enum sn_prom_type)7, "X.");
}

static void test_errors(void **state)
{
	expect_error(sample_first, -EINVAL);
	expect_error(counter_total, -EINVAL);
	expect_error(gauge_total, -EINVAL);
	expect_error(bad_metric, -EINVAL);
	expect_error(twice, -EEXIST);
	expect_error(twice_total, -EEXIST);
	expect_error(bad_label, -EINVAL);
	expect_error(reserved_label, -EINVAL);
	expect_error(repeated_label, -EINVAL);
	expect_error(missing_value, -EINVAL);
	expect_error(bad_type, -EINVAL);
}

static void test_finish_once(void **state)
{
	_cleanup_(sn_prom_freep) struct sn_prom *p = NULL;
	_cleanup_(freep) char *text = NULL;
	char *again = NULL;

	assert_int_equal(sn_prom_new(&p), 0);
	text = render_ok(p);
	assert_string_equal(text, "");
	assert_int_equal(sn_prom_family(p, "x", SN_PROM_GAUGE, "X."), -EINVAL);
	assert_int_equal(sn_prom_finish(p, &again, NULL), -EINVAL);
	assert_null(again);
}

/* ---- sn_write_file_atomic() ---- */

static char dir[] = "/tmp/test-prom-XXXXXX";

static int setup(void **state)
{
	strcpy(dir, "/tmp/test-prom-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_write_atomic(void **state)
{
	char path[256], tmp[256];
	_cleanup_(freep) char *a = NULL, *b = NULL, *big = NULL;
	struct rlimit old, lim;
	struct stat st;
	mode_t mask;

	snprintf(path, sizeof(path), "%s/sdei-nmi.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.sdei-nmi.prom.tmp", dir);

	/* Created with its mode whatever the umask, replaced whole. */
	mask = umask(0077);
	assert_int_equal(sn_write_file_atomic(path, "one\n", 4, 0644), 0);
	umask(mask);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	a = slurp(path);
	assert_string_equal(a, "one\n");
	assert_false(exists(tmp));
	assert_int_equal(sn_write_file_atomic(path, "two\nlines\n", 10, 0644), 0);
	b = slurp(path);
	assert_string_equal(b, "two\nlines\n");
	assert_false(exists(tmp));

	/* A temp file a crash left behind is overwritten, not appended to. */
	assert_int_equal(sn_write_file_atomic(tmp, "junkjunkjunkjunk", 16, 0644), 0);
	assert_true(exists(tmp));
	assert_int_equal(sn_write_file_atomic(path, "3\n", 2, 0644), 0);
	free(a);
	a = slurp(path);
	assert_string_equal(a, "3\n");
	assert_false(exists(tmp));

	/* A failed write (EFBIG past RLIMIT_FSIZE): the old file stays, no temp file. */
	big = malloc(65536);
	assert_non_null(big);
	memset(big, 'x', 65536);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(sn_write_file_atomic(path, big, 65536, 0644), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	free(a);
	a = slurp(path);
	assert_string_equal(a, "3\n");
	assert_false(exists(tmp));

	/* No directory: -ENOENT; a name that is none: -EINVAL. */
	snprintf(path, sizeof(path), "%s/missing/x.prom", dir);
	assert_int_equal(sn_write_file_atomic(path, "x", 1, 0644), -ENOENT);
	snprintf(path, sizeof(path), "%s/", dir);
	assert_int_equal(sn_write_file_atomic(path, "x", 1, 0644), -EINVAL);
	snprintf(path, sizeof(path), "%s/..", dir);
	assert_int_equal(sn_write_file_atomic(path, "x", 1, 0644), -EINVAL);
}

/* The metrics textfile's write: as atomic for readers, and nothing waits for the disk. */
static void test_write_atomic_no_sync(void **state)
{
	char path[256], tmp[256];
	_cleanup_(freep) char *a = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "%s/m.prom", dir);
	snprintf(tmp, sizeof(tmp), "%s/.m.prom.tmp", dir);
	fsyncs = 0;
	assert_int_equal(sn_write_file_atomic(path, "synced\n", 7, 0644), 0);
	assert_int_equal(fsyncs, 2); /* the file, then the directory */
	fsyncs = 0;
	assert_int_equal(
		sn_write_file_atomic_flags(path, "fast\n", 5, 0644, SN_WRITE_NO_SYNC), 0);
	assert_int_equal(fsyncs, 0);
	a = slurp(path);
	assert_string_equal(a, "fast\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_false(exists(tmp));
	snprintf(path, sizeof(path), "%s/missing/m.prom", dir);
	assert_int_equal(sn_write_file_atomic_flags(path, "x", 1, 0644, SN_WRITE_NO_SYNC),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_finish_once),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_no_sync, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
