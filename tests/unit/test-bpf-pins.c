/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BPF source's pins (lib/bpf-pins.c) without bpffs: a temporary directory whose
 * regular files stand in for the pins an earlier sdei-nmid left. The same removal runs
 * on bpffs in tests/daemon/test-bpf-pins.sh, where the host allows it (root, BPF).
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf-pins.h"
#include "macro.h"

static void test_names(void **state)
{
	char buf[SN_BPF_PIN_NAME_MAX];

	assert_int_equal(sn_bpf_pin_name(4242, "rcu_stall_warning", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "4242-rcu_stall_warning");
	assert_string_equal(sn_bpf_pin_program(buf), "rcu_stall_warning");
	assert_int_equal(sn_bpf_pin_name(4242, "rcu_stall_warning", buf, 10),
			 -ENAMETOOLONG);

	assert_string_equal(sn_bpf_pin_program("1-a-b"), "a-b");
	assert_null(sn_bpf_pin_program("rcu_stall_warning"));
	assert_null(sn_bpf_pin_program("-rcu_stall_warning"));
	assert_null(sn_bpf_pin_program("42-"));
	assert_null(sn_bpf_pin_program("042-x"));
	assert_null(sn_bpf_pin_program("+42-x"));
	assert_null(sn_bpf_pin_program("12345678901-x"));
	assert_null(sn_bpf_pin_program("42x-y"));
}

static void touch(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	close(fd);
}

static bool exists(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Two earlier runs' pins: those of the programs running now go, the rest stays. */
static void test_remove(void **state)
{
	char dir[] = "/tmp/test-bpf-pins-XXXXXX";
	const char *running[] = { "rcu_stall_warning", "sched_process_hang" };
	_cleanup_(closep) int dfd = -EBADF;
	unsigned removed = 99, left = 99;

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	touch(dfd, "100-rcu_stall_warning");
	touch(dfd, "100-sched_process_hang");
	touch(dfd, "100-backtrace_request"); /* not attached now: its hook must stay on */
	touch(dfd, "230-rcu_stall_warning");
	touch(dfd, "230-sched_process_hang");
	touch(dfd, "notes"); /* no pin's name */
	assert_int_equal(mkdirat(dfd, "7-rcu_stall_warning", 0700), 0); /* a directory */

	assert_int_equal(
		sn_bpf_pins_remove(dfd, running, ELEMENTSOF(running), &removed, &left),
		0);
	assert_int_equal(removed, 4);
	assert_int_equal(left, 3);
	assert_false(exists(dfd, "100-rcu_stall_warning"));
	assert_false(exists(dfd, "100-sched_process_hang"));
	assert_false(exists(dfd, "230-rcu_stall_warning"));
	assert_false(exists(dfd, "230-sched_process_hang"));
	assert_true(exists(dfd, "100-backtrace_request"));
	assert_true(exists(dfd, "notes"));
	assert_true(exists(dfd, "7-rcu_stall_warning"));

	/* Again: nothing more to remove; nothing running now removes nothing. */
	assert_int_equal(
		sn_bpf_pins_remove(dfd, running, ELEMENTSOF(running), &removed, &left),
		0);
	assert_int_equal(removed, 0);
	assert_int_equal(left, 3);
	assert_int_equal(sn_bpf_pins_remove(dfd, NULL, 0, &removed, &left), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(left, 3);
	/* dir_fd is still the caller's */
	assert_true(fcntl(dfd, F_GETFD) >= 0);

	assert_int_equal(unlinkat(dfd, "100-backtrace_request", 0), 0);
	assert_int_equal(unlinkat(dfd, "notes", 0), 0);
	assert_int_equal(unlinkat(dfd, "7-rcu_stall_warning", AT_REMOVEDIR), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Not a directory: its error, nothing counted. */
static void test_not_a_directory(void **state)
{
	_cleanup_(closep) int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	const char *running[] = { "rcu_stall_warning" };
	unsigned removed = 99;

	assert_true(fd >= 0);
	assert_int_equal(sn_bpf_pins_remove(fd, running, 1, &removed, NULL), -ENOTDIR);
	assert_int_equal(removed, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_not_a_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
