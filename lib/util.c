/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

int sn_format_utc(uint64_t usec, bool compact, char buf[static 28])
{
	/* Wide enough for any int, so that the compiler sees no truncation. */
	char tmp[96];
	time_t t;
	struct tm tm;
	int n;

	if (usec / 1000000 > (uint64_t)253402300799) /* 9999-12-31T23:59:59Z */
		return -ERANGE;
	t = (time_t)(usec / 1000000);
	if (!gmtime_r(&t, &tm))
		return -ERANGE;
	n = snprintf(tmp, sizeof(tmp),
		     compact ? "%04d%02d%02dT%02d%02d%02d.%06uZ" :
			       "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, (unsigned)(usec % 1000000));
	if (n != (compact ? 23 : 27))
		return -ERANGE;
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

void sn_strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sn_json_add_hex(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	return cJSON_AddStringToObject(o, key, buf) ? 0 : -ENOMEM;
}
