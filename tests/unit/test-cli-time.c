/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sdei-nmictl --since= and --until= (cli/time-spec.c): UTC, and a zone with DST. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "macro.h"
#include "time-spec.h"

#define SEC  UINT64_C(1000000)
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)

/* 2026-11-02T10:04:05.123456Z */
#define NOW (UINT64_C(1793613845) * SEC + 123456)
/* 2026-11-02T00:00:00Z */
#define MIDNIGHT (UINT64_C(1793577600) * SEC)

/* Central Europe, without tzdata: UTC+1, UTC+2 from March's last Sunday to October's. */
#define TZ_CET "CET-1CEST,M3.5.0,M10.5.0/3"

static void set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static uint64_t parse_ok(const char *s, uint64_t now)
{
	uint64_t t = 0;
	int r = time_spec_parse(s, now, &t);

	if (r != 0)
		fail_msg("'%s': %d", s, r);
	return t;
}

static void assert_parse(const char *s, uint64_t expect)
{
	uint64_t t = parse_ok(s, NOW);

	if (t != expect)
		fail_msg("'%s': %llu, expected %llu", s, (unsigned long long)t,
			 (unsigned long long)expect);
}

static void assert_refused(const char *s, int expect)
{
	uint64_t t = 42;
	int r = time_spec_parse(s, NOW, &t);

	if (r != expect)
		fail_msg("'%s': %d, expected %d", s, r, expect);
	assert_int_equal(t, 42); /* untouched */
}

static void test_words(void **state)
{
	set_tz("UTC");
	assert_parse("now", NOW);
	assert_parse("today", MIDNIGHT);
	assert_parse("yesterday", MIDNIGHT - DAY);
	assert_parse("tomorrow", MIDNIGHT + DAY);
}

static void test_epoch(void **state)
{
	assert_parse("@0", 0);
	assert_parse("@1793613845", NOW - 123456);
	assert_parse("@1793613845.5", NOW - 123456 + 500000);
	assert_parse("@1793613845.123456", NOW);
}

static void test_absolute_utc(void **state)
{
	set_tz("UTC");
	assert_parse("2026-11-02", MIDNIGHT);
	assert_parse("2026-11-02 10:04", NOW - 5 * SEC - 123456);
	assert_parse("2026-11-02 10:04:05", NOW - 123456);
	assert_parse("2026-11-02 10:04:05.123456", NOW);
	assert_parse("2026-11-02T10:04:05.123456Z", NOW);
	assert_parse("2026-11-2 9:04", NOW - HOUR - 5 * SEC - 123456);
	assert_parse("10:04:05", NOW - 123456);
	assert_parse("00:00", MIDNIGHT);
	assert_parse("2024-02-29", UINT64_C(1709164800) * SEC);
	assert_parse("1970-01-01 00:00:00 UTC", 0);
}

static void test_absolute_local(void **state)
{
	set_tz(TZ_CET);
	/* Winter: UTC+1; the explicit UTC forms are not moved. */
	assert_parse("2026-11-02 11:04:05", NOW - 123456);
	assert_parse("2026-11-02 10:04:05 UTC", NOW - 123456);
	assert_parse("2026-11-02T10:04:05Z", NOW - 123456);
	assert_parse("2026-11-02", MIDNIGHT - HOUR);
	/* Summer: UTC+2. */
	assert_parse("2026-07-01 12:00", UINT64_C(1782900000) * SEC);
	/* Today is the local day: 23:30Z on November 2nd is 00:30 on the 3rd. */
	assert_int_equal(parse_ok("today", MIDNIGHT + 23 * HOUR + 30 * MIN),
			 MIDNIGHT + 23 * HOUR);
	assert_int_equal(parse_ok("yesterday", MIDNIGHT + 23 * HOUR + 30 * MIN),
			 MIDNIGHT - HOUR);
	assert_int_equal(parse_ok("00:15", MIDNIGHT + 23 * HOUR + 30 * MIN),
			 MIDNIGHT + 23 * HOUR + 15 * MIN);
	/* ... and the time of day alone in UTC is UTC's day. */
	assert_int_equal(parse_ok("00:15 UTC", MIDNIGHT + 23 * HOUR + 30 * MIN),
			 MIDNIGHT + 15 * MIN);
	/* Before the epoch in this zone. */
	assert_refused("1970-01-01 00:30", -ERANGE);
	set_tz("UTC");
}

static void test_relative(void **state)
{
	assert_parse("-1h", NOW - HOUR);
	assert_parse("-30min", NOW - 30 * MIN);
	assert_parse("+1d", NOW + DAY);
	assert_parse("1h 30min ago", NOW - 90 * MIN);
	assert_parse("1h30min ago", NOW - 90 * MIN);
	assert_parse("2 hours left", NOW + 2 * HOUR);
	assert_parse("2.5d ago", NOW - 60 * HOUR);
	assert_parse("-5", NOW - 5 * SEC);
	assert_parse("-1.5ms", NOW - 1500);
	assert_parse("-10us", NOW - 10);
	assert_parse("-1w", NOW - 7 * DAY);
	assert_parse("-1M", NOW - UINT64_C(2629800) * SEC);
	assert_parse("-1y", NOW - UINT64_C(31557600) * SEC);
	assert_parse("-1 minute 2 seconds", NOW - 62 * SEC);
	assert_parse("-0s", NOW);
}

static void test_span(void **state)
{
	uint64_t t;

	assert_int_equal(time_span_parse("1h30min", &t), 0);
	assert_int_equal(t, 90 * MIN);
	assert_int_equal(time_span_parse("5", &t), 0);
	assert_int_equal(t, 5 * SEC);
	assert_int_equal(time_span_parse("", &t), -EINVAL);
	assert_int_equal(time_span_parse("h", &t), -EINVAL);
	assert_int_equal(time_span_parse("5mins", &t), -EINVAL);
	assert_int_equal(time_span_parse("99999999999999999y", &t), -ERANGE);
	assert_int_equal(time_span_parse("9999999999999999999", &t), -ERANGE);
	assert_int_equal(time_span_parse("99999999999999999999", &t), -EINVAL);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"Now",
		"yesterdays",
		"@",
		"@-1",
		"@1e5",
		"@1.",
		"@1.1234567",
		"@1 ",
		"2026-13-01",
		"2026-00-10",
		"2026-02-29",
		"2026-04-31",
		"2026-11-00",
		"2026-11-02 24:00",
		"2026-11-02 10:60",
		"2026-11-02 10:04:60",
		"2026-11-02 10",
		"2026-11-02 10:4",
		"2026-11-02 10:04:05.1234567",
		"2026-11-02x",
		"2026-11-02  10:04",
		"26-11-02",
		"10000-01-01",
		"2026/11/02",
		"-",
		"+",
		"-1x",
		"-h",
		"ago",
		" ago",
		"1h ago ago",
		"-1h ago",
		"-1h-1h",
		"5 min left over",
		"2026-11-02 10:04 CET",
		"Z",
	};

	set_tz("UTC");
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		assert_refused(bad[i], -EINVAL);
	assert_refused("1969-12-31", -ERANGE);
	assert_refused("-100y", -ERANGE);
	assert_refused("+8000y", -ERANGE);
	assert_refused("@999999999999", -ERANGE);
	assert_refused(NULL, -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_absolute_utc),
		cmocka_unit_test(test_absolute_local),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_refused),
	};

	set_tz("UTC");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
