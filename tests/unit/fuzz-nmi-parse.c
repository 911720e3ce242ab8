/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the parsers: the first byte picks one, the rest is its input,
 * copied to an aligned buffer as netlink buffers are. Seeds: the fixtures of
 * tests/fixtures/netlink/ as binary with a selector byte in front (see
 * tests/unit/CMakeLists.txt).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nmi-format.h"
#include "nmi-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise_backtrace(const struct sn_backtrace *b)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	_cleanup_(fclosep) FILE *f = fopen("/dev/null", "we");

	/* What the CLI does with what the parser accepted. */
	if (f)
		(void)sn_format_backtrace(f, b, NULL);
	if (sn_backtrace_to_json(b, &j) >= 0 && f)
		(void)sn_json_print(f, j, false);
}

static void exercise_status(const struct sn_status *s)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	_cleanup_(fclosep) FILE *f = fopen("/dev/null", "we");

	if (f)
		(void)sn_format_status(f, s);
	if (sn_status_to_json(s, &j) >= 0 && f)
		(void)sn_json_print(f, j, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	_cleanup_(freep) char *msg = NULL;
	_cleanup_(freep) uint8_t *buf = NULL;
	int error;

	if (size < 1)
		return 0;
	/* Exactly the input's size, so that reads past it are caught. */
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);

	switch (data[0] % 5) {
	case 0:
		if (sn_parse_backtrace_msg(buf, size - 1, &b) >= 0)
			exercise_backtrace(b);
		break;
	case 1:
		if (sn_parse_status_msg(buf, size - 1, &s) >= 0)
			exercise_status(s);
		break;
	case 2:
		if (sn_parse_backtrace_attrs(buf, size - 1, &b) >= 0)
			exercise_backtrace(b);
		break;
	case 3:
		if (sn_parse_status_attrs(buf, size - 1, &s) >= 0)
			exercise_status(s);
		break;
	default:
		(void)sn_parse_error_msg(buf, size - 1, &error, &msg);
		break;
	}
	return 0;
}
