/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kdump readiness (lib/kdump.c) against the fixture roots of tests/fixtures/kdump/:
 * ready, not loaded (addresses hidden as without CAP_SYS_ADMIN), nothing reserved,
 * files missing, files malformed; and the report's JSON object of each.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kdump.h"
#include "macro.h"

static struct sn_kdump read_case(const char *name)
{
	char path[512];
	struct sn_kdump k;

	snprintf(path, sizeof(path), "%s/kdump/%s", FIXTURES_DIR, name);
	assert_int_equal(sn_kdump_read(path, &k), 0);
	return k;
}

static char *to_json(const struct sn_kdump *k)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	char *s;

	assert_int_equal(sn_kdump_to_json(k, &j), 0);
	s = cJSON_PrintUnformatted(j);
	assert_non_null(s);
	return s;
}

static bool has_reason(const struct sn_kdump *k, const char *prefix)
{
	for (size_t i = 0; i < k->n_reasons; i++)
		if (strncmp(k->reasons[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static void test_ready(void **state)
{
	struct sn_kdump k = read_case("ready");
	_cleanup_(cJSON_freep) char *j = NULL;

	assert_true(k.ready);
	assert_int_equal(k.n_reasons, 0);
	assert_true(k.loaded);
	assert_int_equal(k.size, 268435456);
	assert_int_equal(k.n_params, 1);
	assert_string_equal(k.params[0], "256M");
	assert_int_equal(k.n_ranges, 1);
	assert_false(k.ranges_hidden);
	assert_int_equal(k.ranges[0].start, 0xb0000000);
	assert_int_equal(k.ranges[0].end, 0xbfffffff);

	j = to_json(&k);
	assert_string_equal(
		j,
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"crash_loaded\":true,"
		"\"crash_size\":268435456,\"crashkernel\":[\"256M\"],"
		"\"iomem_crash_kernel\":1,\"iomem_crash_kernel_ranges\":[{\"start\":"
		"\"0x00000000b0000000\",\"end\":\"0x00000000bfffffff\"}]}");
}

/* Reserved (high and low), not loaded; /proc/iomem as an unprivileged reader sees it. */
static void test_not_loaded(void **state)
{
	struct sn_kdump k = read_case("not-loaded");
	_cleanup_(cJSON_freep) char *j = NULL;

	assert_false(k.ready);
	assert_int_equal(k.n_reasons, 1);
	assert_string_equal(
		k.reasons[0],
		"no crash kernel is loaded (/sys/kernel/kexec_crash_loaded is 0)");
	assert_int_equal(k.n_params, 2);
	assert_string_equal(k.params[0], "512M,high");
	assert_string_equal(k.params[1], "64M,low");
	assert_int_equal(k.n_ranges, 2);
	assert_true(k.ranges_hidden);

	j = to_json(&k);
	assert_string_equal(
		j,
		"{\"checked\":true,\"ready\":false,\"reasons\":[\"no crash kernel is "
		"loaded (/sys/kernel/kexec_crash_loaded is 0)\"],\"crash_loaded\":false,"
		"\"crash_size\":536870912,\"crashkernel\":[\"512M,high\",\"64M,low\"],"
		"\"iomem_crash_kernel\":2}");
}

static void test_none(void **state)
{
	struct sn_kdump k = read_case("none");

	assert_false(k.ready);
	assert_int_equal(k.n_reasons, 4);
	assert_true(has_reason(&k, "no crash kernel is loaded"));
	assert_true(has_reason(&k, "no memory is reserved for a crash kernel"));
	assert_true(has_reason(&k, "no crashkernel= on the kernel command line"));
	assert_true(has_reason(&k, "no \"Crash kernel\" range in /proc/iomem"));
	assert_int_equal(k.n_params, 0);
	assert_int_equal(k.n_ranges, 0);
}

/* No kexec in this kernel (or no /proc, /sys): every file's error is a reason. */
static void test_missing(void **state)
{
	struct sn_kdump k = read_case("missing");
	_cleanup_(cJSON_freep) char *j = NULL;

	assert_false(k.ready);
	assert_int_equal(k.loaded_error, -ENOENT);
	assert_int_equal(k.size_error, -ENOENT);
	assert_int_equal(k.cmdline_error, -ENOENT);
	assert_int_equal(k.iomem_error, -ENOENT);
	assert_int_equal(k.n_reasons, 4);
	assert_string_equal(
		k.reasons[0],
		"cannot read /sys/kernel/kexec_crash_loaded: No such file or directory");
	j = to_json(&k);
	assert_null(strstr(j, "\"crash_loaded\""));
	assert_null(strstr(j, "\"crash_size\""));
	assert_null(strstr(j, "\"crashkernel\""));
	assert_null(strstr(j, "\"iomem_crash_kernel"));
}

/* Out of range, a leading zero, a control byte, an iomem line not of the form. */
static void test_bad(void **state)
{
	struct sn_kdump k = read_case("bad");
	struct sn_kdump z;

	assert_false(k.ready);
	assert_int_equal(k.loaded_error, -EBADMSG);
	assert_int_equal(k.size_error, -EBADMSG);
	assert_int_equal(k.cmdline_error, -EBADMSG);
	assert_int_equal(k.iomem_error, -EBADMSG);
	assert_int_equal(k.n_reasons, 4);
	assert_true(has_reason(&k, "cannot read /proc/iomem: Bad message"));

	assert_int_equal(sn_kdump_read(NULL, &z), -EINVAL);
	assert_int_equal(sn_kdump_read(FIXTURES_DIR "/kdump/no-such-root", &z), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready), cmocka_unit_test(test_not_loaded),
		cmocka_unit_test(test_none),  cmocka_unit_test(test_missing),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
