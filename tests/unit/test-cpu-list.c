/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "cpu-list.h"
#include "macro.h"

static void assert_list(const char *list, const uint32_t *expect, size_t n_expect)
{
	_cleanup_(freep) uint32_t *cpus = NULL;
	size_t n = 0;

	assert_int_equal(sn_cpu_list_add(&cpus, &n, list, 4096), 0);
	assert_int_equal(n, n_expect);
	assert_memory_equal(cpus, expect, n * sizeof(*cpus));
}

static void test_valid(void **state)
{
	assert_list("0", (uint32_t[]){ 0 }, 1);
	assert_list("0,2-3", (uint32_t[]){ 0, 2, 3 }, 3);
	assert_list("3,1,2", (uint32_t[]){ 1, 2, 3 }, 3);
	assert_list("2-2,2,1-3", (uint32_t[]){ 1, 2, 3 }, 3);
	assert_list("4094", (uint32_t[]){ 4094 }, 1);
	assert_list("4294967294", (uint32_t[]){ 4294967294u }, 1);
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		",",
		"1,",
		",1",
		"3-1",
		"a",
		"-1",
		"1-",
		"-",
		" 1",
		"1 ",
		"+1",
		"1,,2",
		"0x1",
		"1-2-3",
		"4294967295",
		"99999999999999999999",
	};
	_cleanup_(freep) uint32_t *cpus = NULL;
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(sn_cpu_list_add(&cpus, &n, bad[i], 4096), -EINVAL);
		assert_null(cpus);
		assert_int_equal(n, 0);
	}
	assert_int_equal(sn_cpu_list_add(&cpus, &n, NULL, 4096), -EINVAL);
}

static void test_merge(void **state)
{
	_cleanup_(freep) uint32_t *cpus = NULL;
	size_t n = 0;

	assert_int_equal(sn_cpu_list_add(&cpus, &n, "5", 8), 0);
	assert_int_equal(sn_cpu_list_add(&cpus, &n, "0-2,5", 8), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(cpus, ((uint32_t[]){ 0, 1, 2, 5 }), 4 * sizeof(*cpus));

	/* Errors leave the set as it was. */
	assert_int_equal(sn_cpu_list_add(&cpus, &n, "7,x", 8), -EINVAL);
	assert_int_equal(n, 4);
	assert_int_equal(cpus[3], 5);
}

static void test_bounds(void **state)
{
	_cleanup_(freep) uint32_t *cpus = NULL;
	size_t n = 0;

	assert_int_equal(sn_cpu_list_add(&cpus, &n, "0-7", 8), 0);
	assert_int_equal(n, 8);
	/* Full, but duplicates still come. */
	assert_int_equal(sn_cpu_list_add(&cpus, &n, "0-7,3", 8), 0);
	assert_int_equal(n, 8);
	assert_int_equal(sn_cpu_list_add(&cpus, &n, "8", 8), -E2BIG);
	assert_int_equal(n, 8);
	assert_int_equal(sn_cpu_list_add(&cpus, &n, "0-4294967294", 4096), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
