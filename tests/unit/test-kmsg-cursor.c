/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kmsg-cursor.h"

#define BOOT  "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define OTHER "6411cf15-f43e-4e12-aca2-53aff449091c"

static char dir[] = "/tmp/test-kmsg-cursor-XXXXXX";
static char path[sizeof(dir) + 16];

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_round_trip(void **state)
{
	uint64_t seq = 7;

	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), -ENOENT);
	assert_int_equal(seq, 7);
	assert_int_equal(sn_kmsg_cursor_write(path, BOOT, 1812), 0);
	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), 0);
	assert_int_equal(seq, 1812);
	/* Replaced whole. */
	assert_int_equal(sn_kmsg_cursor_write(path, BOOT, 0), 0);
	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(sn_kmsg_cursor_write(path, BOOT, UINT64_MAX), 0);
	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), 0);
	assert_true(seq == UINT64_MAX);
}

/* Another boot's cursor numbers other records: not used. */
static void test_other_boot(void **state)
{
	uint64_t seq = 7;

	assert_int_equal(sn_kmsg_cursor_write(path, OTHER, 99), 0);
	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), -ESTALE);
	assert_int_equal(seq, 7);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"sdei-nmi.kmsg-cursor/2 " BOOT " 5\n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " 5",
		"sdei-nmi.kmsg-cursor/1 " BOOT " \n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " 05\n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " -5\n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " 5 6\n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " 18446744073709551616\n",
		"sdei-nmi.kmsg-cursor/1 3F2504E0-4F89-41D3-9A0C-0305E82C3301 5\n",
		"sdei-nmi.kmsg-cursor/1 3f2504e0 5\n",
		"sdei-nmi.kmsg-cursor/1 " BOOT " 5\nsdei-nmi.kmsg-cursor/1 " BOOT " 6\n",
	};
	uint64_t seq = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i]);
		assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), -EBADMSG);
		assert_int_equal(seq, 7);
	}
	/* An embedded NUL. */
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fwrite("sdei-nmi.kmsg-cursor/1 " BOOT " 5\0\n", 1, 62, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sn_kmsg_cursor_read(path, BOOT, &seq), -EBADMSG);
}

static void test_bad_boot_id(void **state)
{
	uint64_t seq;

	assert_int_equal(sn_kmsg_cursor_write(path, "not-a-boot-id", 1), -EINVAL);
	assert_int_equal(sn_kmsg_cursor_write(path, NULL, 1), -EINVAL);
	assert_int_equal(sn_kmsg_cursor_read(path, "", &seq), -EINVAL);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/kmsg.cursor", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_other_boot),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_boot_id),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
