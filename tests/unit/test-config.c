/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The daemon's configuration files (lib/config.c): a valid file, drop-ins applied in
 * lexical order after the main file, each kind of error with its file and line, and a
 * missing file. Fixtures are written to a temporary directory.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "kdump.h"
#include "macro.h"

static char tmpdir[] = "/tmp/test-config-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char *path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void test_valid(void **state)
{
	struct sn_config c = {};
	char *error = NULL;

	write_file("valid.conf",
		   "# a comment\n"
		   "; another\n"
		   "[kmsg]\n"
		   "path = /tmp/kmsg\n"
		   "from_start = yes\n"
		   "\n"
		   "[spool]\n"
		   "directory=/var/spool/x\n"
		   "max_reports=100\n"
		   "max_bytes=1048576\n"
		   "[journal]\n"
		   "enabled=true\n"
		   "[host]\n"
		   "root=/srv/root\n"
		   "[metrics]\n"
		   "textfile=/var/lib/prometheus/node-exporter/sdei-nmi.prom\n"
		   "[otlp]\n"
		   "url=https://collector.example:4318/v1/logs\n"
		   "timeout=30\n"
		   "header=Authorization: Bearer abc.def\n"
		   "header=X-Scope-OrgID:\tfleet-1\n"
		   "compression=gzip\n"
		   "[bpf]\n"
		   "enabled=no\n");
	assert_int_equal(sn_config_load(&c, path_of("valid.conf"), &error), 0);
	assert_null(error);
	assert_string_equal(c.kmsg_path, "/tmp/kmsg");
	assert_true(c.from_start);
	assert_string_equal(c.spool_dir, "/var/spool/x");
	assert_int_equal(c.spool_limits.max_count, 100);
	assert_int_equal(c.spool_limits.max_bytes, 1048576);
	assert_true(c.journal);
	assert_string_equal(c.root, "/srv/root");
	assert_string_equal(c.metrics_textfile,
			    "/var/lib/prometheus/node-exporter/sdei-nmi.prom");
	assert_string_equal(c.otlp_url, "https://collector.example:4318/v1/logs");
	assert_int_equal(c.otlp_timeout_sec, 30);
	assert_int_equal(c.n_otlp_headers, 2);
	assert_string_equal(c.otlp_headers[0], "Authorization: Bearer abc.def");
	assert_string_equal(c.otlp_headers[1], "X-Scope-OrgID:\tfleet-1");
	assert_int_equal(c.otlp_compression, SN_CONFIG_OTLP_COMPRESSION_GZIP);
	assert_int_equal(c.bpf, SN_CONFIG_BPF_NO);
	sn_config_done(&c);
	assert_null(c.otlp_headers);
	assert_int_equal(c.n_otlp_headers, 0);
}

static void check_error(const char *name, const char *text, const char *expected);

static void test_otlp_values(void **state)
{
	static const char *const good_urls[] = { "http://localhost:4318/v1/logs",
						 "https://c.example/v1/logs",
						 "http://[::1]:80" };
	static const char *const bad_urls[] = { "",
						"ftp://x/",
						"http://",
						"http:///v1/logs",
						"https://a b/",
						"localhost:4318",
						"HTTP://x/",
						"http://x/\x7f" };
	static const char *const good_headers[] = { "A: b", "X-Token:v",
						    "a!#$%&'*+-.^_`|~:x",
						    "Authorization: Bearer x y" };
	static const char *const bad_headers[] = {
		"",
		":v",
		"A b: c",
		"A:",
		"A:   ",
		"A",
		"A: b\x01",
		"Content-Type: x",
		"Content-Encoding: gzip",
		"content-length: 1",
		"EXPECT: x",
		"Idempotency-Key: 1",
		"Transfer-Encoding: chunked",
	};

	for (size_t i = 0; i < sizeof(good_urls) / sizeof(*good_urls); i++)
		assert_true(sn_config_otlp_url_valid(good_urls[i]));
	for (size_t i = 0; i < sizeof(bad_urls) / sizeof(*bad_urls); i++)
		if (sn_config_otlp_url_valid(bad_urls[i]))
			fail_msg("URL '%s' taken", bad_urls[i]);
	for (size_t i = 0; i < sizeof(good_headers) / sizeof(*good_headers); i++)
		assert_true(sn_config_otlp_header_valid(good_headers[i]));
	for (size_t i = 0; i < sizeof(bad_headers) / sizeof(*bad_headers); i++)
		if (sn_config_otlp_header_valid(bad_headers[i]))
			fail_msg("header '%s' taken", bad_headers[i]);
}

static void test_otlp_headers_accumulate(void **state)
{
	struct sn_config c = {};
	char *error = NULL;
	char dir[256], text[2048] = "[otlp]\n";

	/* Headers add up across the main file and its drop-ins; the URL is replaced. */
	write_file("h.conf", "[otlp]\nurl=http://a/\nheader=A: 1\n");
	snprintf(dir, sizeof(dir), "%s/h.conf.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file("h.conf.d/1.conf", "[otlp]\nurl=http://b/\nheader=B: 2\n");
	assert_int_equal(sn_config_load(&c, path_of("h.conf"), &error), 0);
	assert_string_equal(c.otlp_url, "http://b/");
	assert_int_equal(c.n_otlp_headers, 2);
	assert_string_equal(c.otlp_headers[0], "A: 1");
	assert_string_equal(c.otlp_headers[1], "B: 2");
	sn_config_done(&c);

	/* At most SN_CONFIG_MAX_OTLP_HEADERS. */
	for (unsigned i = 0; i <= SN_CONFIG_MAX_OTLP_HEADERS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "header=H%u: v\n", i);
	check_error("many.conf", text, "many.conf:18: more than 16 headers in [otlp]");
}

/* The defaults, and the [netlink] and [report] keys over them. */
static void test_netlink_report(void **state)
{
	struct sn_config c;
	char *error = NULL;

	sn_config_init(&c);
	assert_true(c.netlink);
	assert_int_equal(c.netlink_timeout_ms, SN_CONFIG_TIMEOUT_MS);
	assert_int_equal(c.fold_window_sec, SN_CONFIG_FOLD_WINDOW_SEC);
	assert_int_equal(c.rate_per_minute, SN_CONFIG_RATE_PER_MINUTE);
	assert_int_equal(c.rate_burst, SN_CONFIG_RATE_BURST);
	write_file("nl.conf", "[netlink]\n"
			      "enabled=no\n"
			      "timeout_ms=10000\n"
			      "[report]\n"
			      "fold_window_sec=0\n"
			      "rate_limit_per_minute=60\n"
			      "rate_limit_burst=1\n");
	assert_int_equal(sn_config_load(&c, path_of("nl.conf"), &error), 0);
	assert_null(error);
	assert_false(c.netlink);
	assert_int_equal(c.netlink_timeout_ms, 10000);
	assert_int_equal(c.fold_window_sec, 0);
	assert_int_equal(c.rate_per_minute, 60);
	assert_int_equal(c.rate_burst, 1);
	sn_config_done(&c);
}

static void test_bpf(void **state)
{
	static const struct {
		const char *value;
		enum sn_config_bpf want;
	} good[] = {
		{ "auto", SN_CONFIG_BPF_AUTO }, { "AUTO", SN_CONFIG_BPF_AUTO },
		{ "yes", SN_CONFIG_BPF_YES },	{ "on", SN_CONFIG_BPF_YES },
		{ "0", SN_CONFIG_BPF_NO },	{ "false", SN_CONFIG_BPF_NO },
	};
	enum sn_config_bpf b;

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		assert_int_equal(sn_config_bpf_from_string(good[i].value, &b), 0);
		assert_int_equal(b, good[i].want);
	}
	assert_int_equal(sn_config_bpf_from_string("sometimes", &b), -EINVAL);
	assert_int_equal(sn_config_bpf_from_string("", &b), -EINVAL);
	assert_string_equal(sn_config_bpf_to_string(SN_CONFIG_BPF_AUTO), "auto");
	assert_string_equal(sn_config_bpf_to_string(SN_CONFIG_BPF_NO), "no");
	assert_null(sn_config_bpf_to_string(3));
}

/* [kdump]: the defaults, then each key. */
static void test_kdump(void **state)
{
	_cleanup_(freep) char *error = NULL;
	struct sn_config c;

	sn_config_init(&c);
	assert_int_equal(c.kdump_interval_sec, 60);
	assert_int_equal(c.kdump_panic_on, SN_KDUMP_PANIC_HARDLOCKUP);
	assert_int_equal(c.kdump_test_max_age_days, 90);
	write_file("kdump.conf",
		   "[kdump]\ninterval_sec=0\npanic_on=rcu-stall,hardlockup\n"
		   "test_max_age_days=30\n");
	assert_int_equal(sn_config_parse_file(&c, path_of("kdump.conf"), &error), 0);
	assert_int_equal(c.kdump_interval_sec, 0);
	assert_int_equal(c.kdump_panic_on,
			 SN_KDUMP_PANIC_HARDLOCKUP | SN_KDUMP_PANIC_RCU_STALL);
	assert_int_equal(c.kdump_test_max_age_days, 30);
	write_file("kdump.conf", "[kdump]\npanic_on=none\n");
	assert_int_equal(sn_config_parse_file(&c, path_of("kdump.conf"), &error), 0);
	assert_int_equal(c.kdump_panic_on, 0);
	sn_config_done(&c);
	unlink(path_of("kdump.conf"));
}

static void test_dropins(void **state)
{
	struct sn_config c = { .journal = true };
	char *error = NULL;
	char dir[256];

	write_file("main.conf",
		   "[spool]\nmax_reports=10\nmax_bytes=20\n[kmsg]\npath=/a\n");
	snprintf(dir, sizeof(dir), "%s/main.conf.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	/* Lexical order: 10-a before 20-b before 9-c; only *.conf. */
	write_file("main.conf.d/20-b.conf", "[spool]\nmax_reports=2\n[kmsg]\npath=/b\n");
	write_file("main.conf.d/10-a.conf", "[spool]\nmax_reports=1\nmax_bytes=30\n");
	write_file("main.conf.d/9-c.conf", "[kmsg]\npath=/c\n[journal]\nenabled=off\n");
	write_file("main.conf.d/99-ignored.conf.bak", "[nonsense]\n");
	snprintf(dir, sizeof(dir), "%s/main.conf.d/50-dir.conf", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);

	assert_int_equal(sn_config_load(&c, path_of("main.conf"), &error), 0);
	assert_null(error);
	assert_int_equal(c.spool_limits.max_count, 2);
	assert_int_equal(c.spool_limits.max_bytes, 30);
	assert_string_equal(c.kmsg_path, "/c");
	assert_false(c.journal);
	assert_null(c.spool_dir);
	sn_config_done(&c);
}

static void test_missing(void **state)
{
	struct sn_config c = { .from_start = true };
	char *error = NULL;
	char dir[256];

	/* Nothing at all: the defaults stay. */
	assert_int_equal(sn_config_load(&c, path_of("none.conf"), &error), 0);
	assert_null(error);
	assert_true(c.from_start);
	assert_null(c.kmsg_path);
	assert_int_equal(sn_config_parse_file(&c, path_of("none.conf"), &error), -ENOENT);
	assert_null(error);

	/* No main file, but drop-ins: they apply. */
	snprintf(dir, sizeof(dir), "%s/only-dropins.conf.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file("only-dropins.conf.d/a.conf", "[host]\nroot=/r\n");
	assert_int_equal(sn_config_load(&c, path_of("only-dropins.conf"), &error), 0);
	assert_string_equal(c.root, "/r");
	sn_config_done(&c);
}

/* Each bad file: its text and the exact message expected after "DIR/". */
static void check_error(const char *name, const char *text, const char *expected)
{
	struct sn_config c = {};
	char *error = NULL;
	char want[512];

	write_file(name, text);
	assert_int_equal(sn_config_load(&c, path_of(name), &error), -EINVAL);
	assert_non_null(error);
	snprintf(want, sizeof(want), "%s/%s", tmpdir, expected);
	assert_string_equal(error, want);
	free(error);
	sn_config_done(&c);
}

static void test_errors(void **state)
{
	check_error("timeout.conf", "[netlink]\ntimeout_ms=0\n",
		    "timeout.conf:2: value '0' for timeout_ms in [netlink] out of range "
		    "(1-10000)");
	check_error(
		"rate.conf", "[report]\nrate_limit_per_minute=many\n",
		"rate.conf:2: bad value 'many' for rate_limit_per_minute in [report]: "
		"not a number");
	check_error(
		"bool.conf", "[journal]\nenabled=maybe\n",
		"bool.conf:2: bad value 'maybe' for enabled in [journal]: not a boolean");
	check_error(
		"bpf.conf", "[bpf]\nenabled=maybe\n",
		"bpf.conf:2: bad value 'maybe' for enabled in [bpf]: not auto or a boolean");
	check_error(
		"kdump-panic.conf", "[kdump]\npanic_on=hardlockup,oops\n",
		"kdump-panic.conf:2: bad value 'hardlockup,oops' for panic_on in "
		"[kdump]: not \"none\" or a list of hardlockup, softlockup, rcu-stall, "
		"hung-task");
	check_error(
		"kdump-interval.conf", "[kdump]\ninterval_sec=86401\n",
		"kdump-interval.conf:2: value '86401' for interval_sec in [kdump] out "
		"of range (0-86400)");
	check_error(
		"number.conf", "[spool]\nmax_bytes=12k\n",
		"number.conf:2: bad value '12k' for max_bytes in [spool]: not a number");
	check_error(
		"negative.conf", "[spool]\nmax_reports=-1\n",
		"negative.conf:2: bad value '-1' for max_reports in [spool]: not a number");
	check_error(
		"range.conf", "[spool]\nmax_reports=1000001\n",
		"range.conf:2: value '1000001' for max_reports in [spool] out of range "
		"(0-1000000)");
	check_error(
		"overflow.conf", "[spool]\n\nmax_bytes=99999999999999999999999\n",
		"overflow.conf:3: value '99999999999999999999999' for max_bytes in [spool] "
		"out of range (0-1099511627776)");
	check_error("syntax.conf", "[kmsg]\nfrom_start\n", "syntax.conf:2: syntax error");
	check_error(
		"url.conf", "[otlp]\nurl=localhost:4318\n",
		"url.conf:2: bad value 'localhost:4318' for url in [otlp]: not an http:// or "
		"https:// URL");
	check_error(
		"header.conf", "[otlp]\nheader=Content-Type: text/plain\n",
		"header.conf:2: bad value 'Content-Type: text/plain' for header in [otlp]: "
		"not 'Name: value'");
	check_error(
		"timeout.conf", "[otlp]\ntimeout=0\n",
		"timeout.conf:2: value '0' for timeout in [otlp] out of range (1-300)");
	check_error(
		"timeout2.conf", "[otlp]\ntimeout=301\n",
		"timeout2.conf:2: value '301' for timeout in [otlp] out of range (1-300)");
	check_error(
		"compression.conf", "[otlp]\ncompression=zstd\n",
		"compression.conf:2: bad value 'zstd' for compression in [otlp]: not gzip "
		"or none");
	check_error("bracket.conf", "[kmsg\n", "bracket.conf:1: syntax error");
	/* The first error is the one reported. */
	check_error("first.conf", "[kmsg]\nnope\n[x]\n", "first.conf:2: syntax error");
	/* An unknown section is no error: the syntax error after it is. */
	check_error("first2.conf", "[x]\nfoo=1\n[kmsg]\nnope\n",
		    "first2.conf:4: syntax error");
	/* A malformed value of a known key stays an error, in any section. */
	check_error(
		"heartbeat.conf", "[metrics]\nheartbeat_sec=0\n",
		"heartbeat.conf:2: value '0' for heartbeat_sec in [metrics] out of range "
		"(1-3600)");
}

static void test_long_line(void **state)
{
	char text[400];

	snprintf(text, sizeof(text), "[kmsg]\npath=/%0300d\n", 0);
	check_error("long.conf", text, "long.conf:2: line longer than 198 characters");
}

static void test_dropin_error(void **state)
{
	struct sn_config c = {};
	char *error = NULL;
	char dir[256], want[512];

	write_file("bad-dropin.conf", "[kmsg]\npath=/a\n");
	snprintf(dir, sizeof(dir), "%s/bad-dropin.conf.d", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	write_file("bad-dropin.conf.d/1.conf", "[kmsg]\npath=/b\n");
	write_file("bad-dropin.conf.d/2.conf", "[kmsg]\n\nfrom_start=2\n");
	assert_int_equal(sn_config_load(&c, path_of("bad-dropin.conf"), &error), -EINVAL);
	snprintf(
		want, sizeof(want),
		"%s/bad-dropin.conf.d/2.conf:3: bad value '2' for from_start in [kmsg]: not "
		"a boolean",
		tmpdir);
	assert_string_equal(error, want);
	free(error);
	sn_config_done(&c);
}

/* mkdir -p of a path under tmpdir. */
static void mkdirs(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	for (char *p = path + strlen(tmpdir) + 1;; p++)
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0700) < 0)
				assert_int_equal(errno, EEXIST);
			if (!c)
				break;
			*p = c;
		}
}

static void expect_warning(const struct sn_config *c, size_t i, const char *want)
{
	char full[512];

	snprintf(full, sizeof(full), "%s/%s", tmpdir, want);
	assert_true(i < c->n_warnings);
	assert_string_equal(c->warnings[i], full);
}

/*
 * An unknown section or key, or a key outside a section: a warning with its file and
 * line, the line ignored, the rest of the file and the drop-ins applied.
 */
static void test_unknown_warned(void **state)
{
	_cleanup_(freep) char *error = NULL;
	struct sn_config c;

	sn_config_init(&c);
	write_file("unknown.conf", "stray=1\n"
				   "[spool]\n"
				   "max_reports=5\n"
				   "compress=zstd\n"
				   "\n"
				   "[future]\n"
				   "a=1\n"
				   "b=2\n"
				   "[future]\n"
				   "c=3\n"
				   "[metrics]\n"
				   "textfile=/m.prom\n"
				   "heartbeat_sec=5\n");
	mkdirs("unknown.conf.d");
	write_file("unknown.conf.d/1.conf", "[kmsg]\nfollow=yes\npath=/k\n");
	assert_int_equal(sn_config_load(&c, path_of("unknown.conf"), &error), 0);
	assert_null(error);
	assert_int_equal(c.spool_limits.max_count, 5);
	assert_string_equal(c.metrics_textfile, "/m.prom");
	assert_int_equal(c.metrics_heartbeat_sec, 5);
	assert_string_equal(c.kmsg_path, "/k");
	assert_int_equal(c.n_warnings, 5);
	expect_warning(&c, 0, "unknown.conf:1: key 'stray' outside a section, ignoring");
	expect_warning(&c, 1,
		       "unknown.conf:4: unknown key 'compress' in [spool], ignoring");
	/* Once per section line, at that line. */
	expect_warning(&c, 2, "unknown.conf:6: unknown section [future], ignoring");
	expect_warning(&c, 3, "unknown.conf:9: unknown section [future], ignoring");
	expect_warning(
		&c, 4,
		"unknown.conf.d/1.conf:2: unknown key 'follow' in [kmsg], ignoring");
	sn_config_done(&c);
	assert_null(c.warnings);
	assert_int_equal(c.n_warnings, 0);
}

/* Warnings are bounded: the last one kept says that more were left out. */
static void test_warnings_bounded(void **state)
{
	_cleanup_(freep) char *error = NULL;
	char text[4096] = "[spool]\n";
	struct sn_config c;

	sn_config_init(&c);
	for (unsigned i = 0; i < 2 * SN_CONFIG_MAX_WARNINGS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "k%u=1\n", i);
	strcat(text, "max_reports=3\n");
	write_file("many-warnings.conf", text);
	assert_int_equal(sn_config_parse_file(&c, path_of("many-warnings.conf"), &error),
			 0);
	assert_int_equal(c.spool_limits.max_count, 3);
	assert_int_equal(c.n_warnings, SN_CONFIG_MAX_WARNINGS);
	expect_warning(&c, 0,
		       "many-warnings.conf:2: unknown key 'k0' in [spool], ignoring");
	expect_warning(&c, SN_CONFIG_MAX_WARNINGS - 1,
		       "many-warnings.conf:65: more warnings, not shown");
	sn_config_done(&c);
}

/*
 * An empty value resets: a list to empty (then appended to again), any other key to
 * its default, so that a drop-in undoes what came before.
 */
static void test_empty_resets(void **state)
{
	_cleanup_(freep) char *error = NULL;
	struct sn_config c;

	sn_config_init(&c);
	write_file("reset.conf", "[otlp]\n"
				 "url=http://a/\n"
				 "header=A: 1\n"
				 "header=B: 2\n"
				 "timeout=5\n"
				 "[metrics]\n"
				 "textfile=/m.prom\n"
				 "heartbeat_sec=5\n"
				 "[netlink]\n"
				 "timeout_ms=9\n"
				 "enabled=no\n"
				 "[kdump]\n"
				 "panic_on=none\n"
				 "[bpf]\n"
				 "enabled=no\n"
				 "[spool]\n"
				 "max_reports=7\n"
				 "max_bytes=8\n"
				 "[kmsg]\n"
				 "cursor=none\n");
	mkdirs("reset.conf.d");
	write_file("reset.conf.d/50-reset.conf", "[otlp]\n"
						 "header=\n"
						 "header=C: 3\n"
						 "url=\n"
						 "timeout=\n"
						 "[metrics]\n"
						 "textfile=\n"
						 "heartbeat_sec=\n"
						 "[netlink]\n"
						 "timeout_ms=\n"
						 "enabled=\n"
						 "[kdump]\n"
						 "panic_on=\n"
						 "[bpf]\n"
						 "enabled=\n"
						 "[spool]\n"
						 "max_reports=\n"
						 "max_bytes=\n"
						 "[kmsg]\n"
						 "cursor=\n");
	assert_int_equal(sn_config_load(&c, path_of("reset.conf"), &error), 0);
	assert_null(error);
	assert_int_equal(c.n_warnings, 0);
	assert_int_equal(c.n_otlp_headers, 1);
	assert_string_equal(c.otlp_headers[0], "C: 3");
	assert_null(c.otlp_url);
	assert_int_equal(c.otlp_timeout_sec, 0);
	assert_null(c.metrics_textfile);
	assert_int_equal(c.metrics_heartbeat_sec, SN_CONFIG_METRICS_HEARTBEAT_SEC);
	assert_int_equal(c.netlink_timeout_ms, SN_CONFIG_TIMEOUT_MS);
	assert_true(c.netlink);
	assert_int_equal(c.kdump_panic_on, SN_KDUMP_PANIC_HARDLOCKUP);
	assert_int_equal(c.bpf, SN_CONFIG_BPF_AUTO);
	/* the spool's bounds by default: as systemd-coredump's (lib/spool.h) */
	assert_int_equal(c.spool_limits.max_count, SN_SPOOL_DEFAULT_MAX_COUNT);
	assert_int_equal(c.spool_limits.max_bytes, SN_SPOOL_LIMIT_AUTO);
	assert_int_equal(c.spool_limits.keep_free, SN_SPOOL_LIMIT_AUTO);
	assert_int_equal(c.spool_limits.shipped_max_age_sec,
			 SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE);
	assert_null(c.kmsg_cursor);
	sn_config_done(&c);

	/* Within one file too; and a list emptied stays empty. */
	sn_config_init(&c);
	write_file("reset2.conf", "[otlp]\nheader=A: 1\nheader=\n");
	assert_int_equal(sn_config_parse_file(&c, path_of("reset2.conf"), &error), 0);
	assert_int_equal(c.n_otlp_headers, 0);
	assert_null(c.otlp_headers);
	sn_config_done(&c);
}

static void symlink_null(const char *rel)
{
	assert_int_equal(symlink("/dev/null", path_of(rel)), 0);
}

/*
 * The standard search (systemd's precedence): the first main file found among /etc,
 * /run, /usr/local/lib, /usr/lib; the drop-ins of all four, one in a directory of
 * higher precedence masking the one of the same name below (a symlink to /dev/null
 * masks and adds nothing; a directory named *.conf masks nothing), all applied by
 * file name whatever their directory.
 */
static void test_standard_dirs(void **state)
{
	_cleanup_(freep) char *error = NULL;
	char root[256];
	struct sn_config c;

	mkdirs("std/etc/sdei-nmi/sdei-nmid.conf.d");
	mkdirs("std/run/sdei-nmi/sdei-nmid.conf.d");
	mkdirs("std/usr/local/lib/sdei-nmi/sdei-nmid.conf.d");
	mkdirs("std/usr/lib/sdei-nmi/sdei-nmid.conf.d");
#define ETC  "std/etc/sdei-nmi/"
#define RUN  "std/run/sdei-nmi/"
#define LOC  "std/usr/local/lib/sdei-nmi/"
#define USR  "std/usr/lib/sdei-nmi/"
#define DROP "sdei-nmid.conf.d/"
	/* The main file in /etc hides the vendor's: max_reports stays 0. */
	write_file(USR "sdei-nmid.conf",
		   "[spool]\nmax_reports=1\n[kmsg]\npath=/vendor\n");
	write_file(ETC "sdei-nmid.conf", "[kmsg]\npath=/etc\n");
	write_file(ETC DROP "05-early.conf", "[spool]\nmax_bytes=50\n");
	write_file(USR DROP "10-vendor.conf",
		   "[spool]\nmax_bytes=100\n[otlp]\nheader=V: 1\n");
	write_file(RUN DROP "20-runtime.conf", "[spool]\nmax_bytes=200\n");
	write_file(LOC DROP "30-local.conf", "[otlp]\nheader=\nheader=L: 2\n");
	write_file(USR DROP "40-masked.conf", "[netlink]\nenabled=no\n");
	symlink_null(RUN DROP "40-masked.conf");
	write_file(USR DROP "50-override.conf", "[journal]\nenabled=yes\n");
	write_file(ETC DROP "50-override.conf", "[host]\nroot=/etc-override\n");
	mkdirs(RUN DROP "60-dir.conf");
	write_file(USR DROP "60-dir.conf", "[report]\nfold_window_sec=1\n");
	write_file(USR DROP "99-last.conf",
		   "[kmsg]\nfrom_start=yes\n[spool]\nmax_bytes=300\n");
	write_file(ETC DROP "70-not-a-dropin.conf.bak", "[nonsense\n");

	snprintf(root, sizeof(root), "%s/std", tmpdir);
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), 0);
	assert_null(error);
	assert_string_equal(c.kmsg_path, "/etc");
	assert_int_equal(c.spool_limits.max_count, SN_SPOOL_DEFAULT_MAX_COUNT);
	assert_int_equal(c.spool_limits.max_bytes, 300);
	assert_false(c.journal);
	assert_string_equal(c.root, "/etc-override");
	assert_int_equal(c.n_otlp_headers, 1);
	assert_string_equal(c.otlp_headers[0], "L: 2");
	assert_true(c.netlink);
	assert_int_equal(c.fold_window_sec, 1);
	assert_true(c.from_start);
	sn_config_done(&c);

	/* 99-last.conf masked from /etc: 20-runtime.conf's value is the last. */
	symlink_null(ETC DROP "99-last.conf");
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), 0);
	assert_int_equal(c.spool_limits.max_bytes, 200);
	assert_false(c.from_start);
	sn_config_done(&c);

	/* Without the main file in /etc, the next one found: /usr/lib's. */
	unlink(path_of(ETC "sdei-nmid.conf"));
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), 0);
	assert_string_equal(c.kmsg_path, "/vendor");
	assert_int_equal(c.spool_limits.max_count, 1);
	sn_config_done(&c);

	/* /dev/null in /run masks it: no main file read. */
	symlink_null(RUN "sdei-nmid.conf");
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), 0);
	assert_null(c.kmsg_path);
	assert_int_equal(c.spool_limits.max_count, SN_SPOOL_DEFAULT_MAX_COUNT);
	sn_config_done(&c);

	/* A bad drop-in in any directory: the error names it. */
	write_file(LOC DROP "45-bad.conf", "[spool]\nmax_bytes=lots\n");
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), -EINVAL);
	assert_non_null(error);
	assert_non_null(strstr(error, "/std/usr/local/lib/sdei-nmi/sdei-nmid.conf.d/"
				      "45-bad.conf:2: bad value 'lots' for max_bytes"));
	sn_config_done(&c);

	/* Nothing anywhere: the defaults, no error. */
	snprintf(root, sizeof(root), "%s/nothing-here", tmpdir);
	sn_config_init(&c);
	assert_int_equal(sn_config_load_standard(&c, root, &error), 0);
	assert_int_equal(c.netlink_timeout_ms, SN_CONFIG_TIMEOUT_MS);
	sn_config_done(&c);
#undef ETC
#undef RUN
#undef LOC
#undef USR
#undef DROP
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_bpf),
		cmocka_unit_test(test_kdump),
		cmocka_unit_test(test_dropins),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_dropin_error),
		cmocka_unit_test(test_otlp_values),
		cmocka_unit_test(test_otlp_headers_accumulate),
		cmocka_unit_test(test_netlink_report),
		cmocka_unit_test(test_unknown_warned),
		cmocka_unit_test(test_warnings_bounded),
		cmocka_unit_test(test_empty_resets),
		cmocka_unit_test(test_standard_dirs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
