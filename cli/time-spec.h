/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Points in time as journalctl's --since= and --until= take them (systemd.time(7)), the
 * part of its grammar an operator types; libsystemd does not export its parser. Pure:
 * the caller passes the present, the local time zone is TZ's (localtime_r(), mktime()).
 *
 *   now, today, yesterday, tomorrow          the last three at 00:00:00 local time
 *   @SECONDS[.FRACTION]                      since the epoch, UTC
 *   YYYY-MM-DD[( |T)HH:MM[:SS[.FRACTION]]]   local time; 00:00:00 when only a date
 *   HH:MM[:SS[.FRACTION]]                    today, local time
 *     ... followed by " UTC" or "Z" for UTC
 *   +SPAN, SPAN left                         the present plus SPAN
 *   -SPAN, SPAN ago                          the present minus SPAN
 *
 * SPAN: one or more NUMBER[.FRACTION][ ]UNIT, with or without spaces between them
 * ("1h 30min", "1h30min", "2.5d"); a NUMBER without a unit is seconds. UNIT: usec, us,
 * msec, ms, seconds, second, sec, s, minutes, minute, min, m, hours, hour, hr, h, days,
 * day, d, weeks, week, w, months, month, M (30.44 days), years, year, y (365.25 days),
 * as systemd counts them. A FRACTION has at most 6 digits.
 */

#include <stdint.h>

/*
 * The point s names, in microseconds since the epoch, now_usec being the present.
 * -EINVAL for what the grammar does not take (a field out of its range, February 30th
 * included), -ERANGE for a point before the epoch or past year 9999.
 */
int time_spec_parse(const char *s, uint64_t now_usec, uint64_t *ret_usec);

/* A SPAN alone (above), in microseconds. -EINVAL, -ERANGE on overflow. */
int time_span_parse(const char *s, uint64_t *ret_usec);
