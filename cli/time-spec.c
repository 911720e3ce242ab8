/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* journalctl's points in time, the common part: the grammar is in time-spec.h. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "time-spec.h"
#include "util.h"

#define USEC_PER_SEC   UINT64_C(1000000)
#define USEC_PER_MIN   (60 * USEC_PER_SEC)
#define USEC_PER_HOUR  (60 * USEC_PER_MIN)
#define USEC_PER_DAY   (24 * USEC_PER_HOUR)
#define USEC_PER_WEEK  (7 * USEC_PER_DAY)
#define USEC_PER_MONTH (2629800 * USEC_PER_SEC)	 /* systemd's: 30.44 days */
#define USEC_PER_YEAR  (31557600 * USEC_PER_SEC) /* 365.25 days */
/* 10000-01-01T00:00:00Z: what sn_format_utc() can write ends before. */
#define USEC_END (UINT64_C(253402300800) * USEC_PER_SEC)
/* The longest absolute form, "YYYY-MM-DD HH:MM:SS.ffffff UTC", with room. */
#define SPEC_MAX 64

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* min to max decimal digits as a number; -EINVAL when fewer or more come. */
static int eat_number(const char **p, size_t min, size_t max, uint64_t *ret)
{
	uint64_t v = 0;
	size_t n = 0;

	for (; sn_is_digit(**p); (*p)++, n++) {
		if (n == max)
			return -EINVAL;
		v = v * 10 + (uint64_t)(**p - '0');
	}
	if (n < min)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* ".f" to ".ffffff" when it comes, as microseconds (millionths); 0 otherwise. */
static int eat_fraction(const char **p, uint64_t *ret)
{
	const char *s;
	uint64_t v;
	int r;

	*ret = 0;
	if (**p != '.')
		return 0;
	(*p)++;
	s = *p;
	r = eat_number(p, 1, 6, &v);
	if (r < 0)
		return r;
	for (size_t n = (size_t)(*p - s); n < 6; n++)
		v *= 10;
	*ret = v;
	return 0;
}

static void skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* The unit at *p, longest name first; 0 when none (a bare number is seconds). */
static uint64_t eat_unit(const char **p)
{
	static const struct {
		const char *name;
		uint64_t usec;
	} units[] = {
		{ "seconds", USEC_PER_SEC },
		{ "second", USEC_PER_SEC },
		{ "minutes", USEC_PER_MIN },
		{ "minute", USEC_PER_MIN },
		{ "months", USEC_PER_MONTH },
		{ "month", USEC_PER_MONTH },
		{ "hours", USEC_PER_HOUR },
		{ "hour", USEC_PER_HOUR },
		{ "weeks", USEC_PER_WEEK },
		{ "week", USEC_PER_WEEK },
		{ "years", USEC_PER_YEAR },
		{ "year", USEC_PER_YEAR },
		{ "days", USEC_PER_DAY },
		{ "day", USEC_PER_DAY },
		{ "msec", 1000 },
		{ "usec", 1 },
		{ "sec", USEC_PER_SEC },
		{ "min", USEC_PER_MIN },
		{ "hr", USEC_PER_HOUR },
		{ "ms", 1000 },
		{ "us", 1 },
		{ "s", USEC_PER_SEC },
		{ "m", USEC_PER_MIN },
		{ "h", USEC_PER_HOUR },
		{ "d", USEC_PER_DAY },
		{ "w", USEC_PER_WEEK },
		{ "M", USEC_PER_MONTH },
		{ "y", USEC_PER_YEAR },
	};

	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		size_t n = strlen(units[i].name);

		if (strncmp(*p, units[i].name, n) == 0 && !is_alpha((*p)[n])) {
			*p += n;
			return units[i].usec;
		}
	}
	return 0;
}

int time_span_parse(const char *s, uint64_t *ret_usec)
{
	const char *p = s;
	uint64_t total = 0;

	skip_spaces(&p);
	if (!*p)
		return -EINVAL;
	while (*p) {
		uint64_t n, frac, unit, v;
		int r;

		/* 19 digits: below 2^64, whatever they are */
		r = eat_number(&p, 1, 19, &n);
		if (r < 0)
			return r;
		r = eat_fraction(&p, &frac);
		if (r < 0)
			return r;
		skip_spaces(&p);
		unit = eat_unit(&p);
		if (!unit) {
			if (is_alpha(*p))
				return -EINVAL;
			unit = USEC_PER_SEC;
		}
		if (n > UINT64_MAX / unit)
			return -ERANGE;
		v = n * unit + frac * (unit / 1000) / 1000;
		if (v < n * unit || total > UINT64_MAX - v)
			return -ERANGE;
		total += v;
		skip_spaces(&p);
	}
	*ret_usec = total;
	return 0;
}

static bool leap_year(uint64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(uint64_t y, uint64_t m)
{
	static const unsigned days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* seconds since the epoch, and a fraction in microseconds, as a point; -ERANGE. */
static int to_usec(time_t t, uint64_t frac, uint64_t *ret)
{
	if (t < 0 || (uint64_t)t >= USEC_END / USEC_PER_SEC)
		return -ERANGE;
	*ret = (uint64_t)t * USEC_PER_SEC + frac;
	return 0;
}

/* 00:00:00 local time, days after (or before) the day of now. */
static int local_midnight(uint64_t now_usec, int days, uint64_t *ret)
{
	time_t t = (time_t)(now_usec / USEC_PER_SEC);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return -ERANGE;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return -ERANGE;
	return to_usec(t, 0, ret);
}

/* "HH:MM[:SS[.f]]", to the end of the string. */
static int eat_clock(const char **p, struct tm *tm, uint64_t *ret_frac)
{
	uint64_t h, m, sec = 0;
	int r;

	r = eat_number(p, 1, 2, &h);
	if (r < 0 || **p != ':')
		return -EINVAL;
	(*p)++;
	r = eat_number(p, 2, 2, &m);
	if (r < 0)
		return r;
	*ret_frac = 0;
	if (**p == ':') {
		(*p)++;
		r = eat_number(p, 2, 2, &sec);
		if (r < 0)
			return r;
		r = eat_fraction(p, ret_frac);
		if (r < 0)
			return r;
	}
	if (**p || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	tm->tm_hour = (int)h;
	tm->tm_min = (int)m;
	tm->tm_sec = (int)sec;
	return 0;
}

static int parse_absolute(const char *s, uint64_t now_usec, uint64_t *ret)
{
	char buf[SPEC_MAX];
	const char *p = buf;
	size_t len = strlen(s);
	bool utc = false;
	struct tm tm = {};
	uint64_t frac = 0;
	time_t t;
	int r;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len + 1);
	if (len > 4 && strcmp(buf + len - 4, " UTC") == 0) {
		buf[len - 4] = '\0';
		utc = true;
	} else if (len > 1 && buf[len - 1] == 'Z') {
		buf[len - 1] = '\0';
		utc = true;
	}

	if (sn_is_digit(p[0]) && sn_is_digit(p[1]) && sn_is_digit(p[2]) &&
	    sn_is_digit(p[3]) && p[4] == '-') {
		uint64_t y, mon, d;

		if (eat_number(&p, 4, 4, &y) < 0 || *p++ != '-' ||
		    eat_number(&p, 1, 2, &mon) < 0 || *p++ != '-' ||
		    eat_number(&p, 1, 2, &d) < 0)
			return -EINVAL;
		if (mon < 1 || mon > 12 || d < 1 || d > days_in_month(y, mon))
			return -EINVAL;
		tm.tm_year = (int)y - 1900;
		tm.tm_mon = (int)mon - 1;
		tm.tm_mday = (int)d;
		if (*p == ' ' || *p == 'T') {
			p++;
			r = eat_clock(&p, &tm, &frac);
			if (r < 0)
				return r;
		} else if (*p)
			return -EINVAL;
	} else {
		/* A time of day alone: today's, in the zone it is given in. */
		time_t now = (time_t)(now_usec / USEC_PER_SEC);
		struct tm today;

		if (!(utc ? gmtime_r(&now, &today) : localtime_r(&now, &today)))
			return -ERANGE;
		r = eat_clock(&p, &tm, &frac);
		if (r < 0)
			return r;
		tm.tm_year = today.tm_year;
		tm.tm_mon = today.tm_mon;
		tm.tm_mday = today.tm_mday;
	}
	tm.tm_isdst = -1;
	t = utc ? timegm(&tm) : mktime(&tm);
	/* -1 is also 1969-12-31T23:59:59Z, before the epoch all the same */
	if (t == (time_t)-1)
		return -ERANGE;
	return to_usec(t, frac, ret);
}

/* "@SECONDS[.f]" */
static int parse_epoch(const char *s, uint64_t *ret)
{
	uint64_t sec, frac;
	int r;

	r = eat_number(&s, 1, 12, &sec);
	if (r < 0)
		return r;
	r = eat_fraction(&s, &frac);
	if (r < 0)
		return r;
	if (*s)
		return -EINVAL;
	return to_usec((time_t)sec, frac, ret);
}

/* now_usec plus (sign 1) or minus (-1) the span s, or a copy of s up to len. */
static int parse_relative(const char *s, size_t len, int sign, uint64_t now_usec,
			  uint64_t *ret)
{
	char buf[SPEC_MAX];
	uint64_t span;
	int r;

	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	r = time_span_parse(buf, &span);
	if (r < 0)
		return r;
	if (sign < 0) {
		if (span > now_usec)
			return -ERANGE;
		*ret = now_usec - span;
		return 0;
	}
	if (span >= USEC_END || now_usec >= USEC_END - span)
		return -ERANGE;
	*ret = now_usec + span;
	return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && strcmp(s + len - n, suffix) == 0;
}

int time_spec_parse(const char *s, uint64_t now_usec, uint64_t *ret_usec)
{
	size_t len;

	if (!s || !ret_usec)
		return -EINVAL;
	len = strlen(s);
	if (strcmp(s, "now") == 0) {
		*ret_usec = now_usec;
		return 0;
	}
	if (strcmp(s, "today") == 0)
		return local_midnight(now_usec, 0, ret_usec);
	if (strcmp(s, "yesterday") == 0)
		return local_midnight(now_usec, -1, ret_usec);
	if (strcmp(s, "tomorrow") == 0)
		return local_midnight(now_usec, 1, ret_usec);
	if (s[0] == '@')
		return parse_epoch(s + 1, ret_usec);
	if (s[0] == '+' || s[0] == '-')
		return parse_relative(s + 1, len - 1, s[0] == '-' ? -1 : 1, now_usec,
				      ret_usec);
	if (ends_with(s, len, " ago"))
		return parse_relative(s, len - 4, -1, now_usec, ret_usec);
	if (ends_with(s, len, " left"))
		return parse_relative(s, len - 5, 1, now_usec, ret_usec);
	return parse_absolute(s, now_usec, ret_usec);
}
