/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kdump readiness (lib/kdump.c) against the fixture roots of tests/fixtures/kdump/:
 * each check's levels (Debian arm64 ready, without nr_cpus=1, RHEL x86 with the newer
 * sysfs layout, not loaded, nothing or too little reserved, a full disk, kdump off,
 * malformed configurations, none, the SDEI service inactive, the last capture test
 * failed, old, passed), the options (architecture, page size, panic policy, test age,
 * free space), the test record written and read back, and the report's JSON object,
 * old and new. The variants share the base tree debian-arm64-ready through symlinks.
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

#include "kdump.h"
#include "macro.h"

#define GIB (UINT64_C(1) << 30)
#define MIB (UINT64_C(1) << 20)
/* 2026-11-22T12:00:00Z */
#define NOW_USEC (UINT64_C(1795348800) * 1000000)

static struct sn_kdump_options test_options(void)
{
	struct sn_kdump_options o;

	sn_kdump_options_init(&o);
	o.arch = SN_KDUMP_ARCH_ARM64;
	o.page_size = 4096;
	o.now_usec = NOW_USEC;
	o.free_space_set = true; /* the fixture's own is this host's */
	o.free_space = 10 * GIB;
	return o;
}

static struct sn_kdump read_with(const char *name, const struct sn_kdump_options *o)
{
	char path[512];
	struct sn_kdump k;

	snprintf(path, sizeof(path), "%s/kdump/%s", FIXTURES_DIR, name);
	assert_int_equal(sn_kdump_read(path, o, &k), 0);
	return k;
}

static struct sn_kdump read_case(const char *name)
{
	struct sn_kdump_options o = test_options();

	return read_with(name, &o);
}

static const struct sn_kdump_check *check(const struct sn_kdump *k,
					  enum sn_kdump_check_id id)
{
	return &k->checks[id];
}

/* The check's level, and its reason holds text. */
static void expect(const struct sn_kdump *k, enum sn_kdump_check_id id,
		   enum sn_kdump_level level, const char *text)
{
	const struct sn_kdump_check *c = check(k, id);

	if (c->level != level || !strstr(c->reason, text)) {
		print_error("%s: %s \"%s\", expected %s with \"%s\"\n",
			    sn_kdump_check_id_to_string(id),
			    sn_kdump_level_to_string(c->level), c->reason,
			    sn_kdump_level_to_string(level), text);
		fail();
	}
	/* A remedy exactly when not ok. */
	assert_true(level == SN_KDUMP_OK ? !c->remedy[0] : !!c->remedy[0]);
}

static char *to_json(const struct sn_kdump *k)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	char *s;

	assert_int_equal(sn_kdump_to_json(k, &j), 0);
	s = cJSON_PrintUnformatted(j);
	assert_non_null(s);
	/* As the report's parser sees it (numbers are raw text until printed). */
	cJSON_Delete(j);
	j = cJSON_Parse(s);
	assert_int_equal(sn_kdump_json_check(j), 0);
	return s;
}

static void test_debian_arm64_ready(void **state)
{
	struct sn_kdump k = read_case("debian-arm64-ready");
	_cleanup_(freep) char *j = NULL;

	assert_int_equal(k.status, SN_KDUMP_READY);
	assert_true(k.ready);
	assert_int_equal(k.n_reasons, 0);
	assert_int_equal(k.arch, SN_KDUMP_ARCH_ARM64);
	/* 128 MiB + 2 bitmaps of 2 GiB / 4 KiB / 8 = 128.125 MiB, rounded up. */
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_OK,
	       "512 MiB reserved (crashkernel=512M, from /proc/iomem), estimate 129 MiB");
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_OK,
	       "a capture kernel is loaded (/sys/kernel/kexec_crash_loaded is 1)");
	/* The installed stanza's version, not the removed one's. */
	expect(&k, SN_KDUMP_CHECK_TOOLS, SN_KDUMP_OK,
	       "kexec /usr/sbin/kexec (1:2.0.27-1); makedumpfile /usr/sbin/makedumpfile "
	       "(1:1.7.5-1)");
	/* 2097152 - 1500000 free - (300000 + 10000 - 10000) cache - 200000 anon kB. */
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_OK,
	       "kdump-tools: /var/crash, makedumpfile -c -d 31 (dump level 31); 10240 MiB "
	       "free on /var/crash, dump at most 95 MiB uncompressed");
	expect(&k, SN_KDUMP_CHECK_PANIC, SN_KDUMP_OK,
	       "policy hardlockup: the stalls panic; kernel.panic=0 is fine");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK,
	       "KDUMP_CMDLINE_APPEND has nr_cpus=1: \"reset_devices "
	       "systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll\"");
	expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_OK, "service is active");
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_OK, "no capture test recorded");
	assert_int_equal(k.n_denied, 0);

	j = to_json(&k);
	assert_non_null(strstr(j,
			       "{\"checked\":true,\"ready\":true,\"status\":\"ready\","
			       "\"arch\":\"arm64\",\"checks\":[{\"id\":\"reservation\","
			       "\"level\":\"ok\",\"reason\":\"512 MiB reserved"));
	assert_non_null(strstr(j, "\"reasons\":[],\"crash_loaded\":true,"
				  "\"crash_size\":536870912,\"crashkernel\":[\"512M\"],"
				  "\"iomem_crash_kernel\":1,"));
	assert_null(strstr(j, "\"remedy\""));
}

/* 64 KiB pages on arm64: 256 MiB + bitmaps. */
static void test_large_pages(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;

	o.page_size = 65536;
	k = read_with("debian-arm64-ready", &o);
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_OK, "estimate 257 MiB (256 MiB");
	k = read_with("small-reservation", &o);
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_WARN,
	       "64 MiB reserved (crashkernel=64M) is below the estimate of 257 MiB");
	/* x86 with large pages does not exist; the base stays 128 MiB elsewhere. */
	o.arch = SN_KDUMP_ARCH_X86_64;
	k = read_with("small-reservation", &o);
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_WARN, "estimate of 129 MiB");
}

static void test_no_nrcpus(void **state)
{
	struct sn_kdump k = read_case("debian-arm64-no-nrcpus");

	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
	assert_true(k.ready);
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_WARN,
	       "KDUMP_CMDLINE_APPEND lacks nr_cpus=1 (\"reset_devices irqpoll\")");
	assert_non_null(strstr(check(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE)->remedy,
			       "add nr_cpus=1"));
	assert_int_equal(k.n_reasons, 1);
	assert_string_equal(k.reasons[0],
			    "capture-cmdline: KDUMP_CMDLINE_APPEND lacks nr_cpus=1 "
			    "(\"reset_devices irqpoll\"): CPUs parked by an SDEI stop "
			    "cannot be brought back with CPU_ON");
	/* On x86 nothing is parked by SDEI: not needed. */
	{
		struct sn_kdump_options o = test_options();

		o.arch = SN_KDUMP_ARCH_X86_64;
		k = read_with("debian-arm64-no-nrcpus", &o);
		expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK,
		       "not needed: no SDEI stops on x86_64");
		expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_OK,
		       "the NMI stop is built in");
		assert_int_equal(k.status, SN_KDUMP_READY);
	}
}

/*
 * kdump-config's record of the kexec command it loaded the capture kernel with
 * (KDUMP_COREDIR/kexec_cmd) says what the capture kernel got: it wins over the
 * configuration, which may have changed since (stale-load: configured with nr_cpus=1,
 * loaded without).
 */
static void test_loaded_cmdline(void **state)
{
	struct sn_kdump k;

	(void)state;
	k = read_case("loaded-cmdline");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK,
	       "the loaded command line (/var/crash/kexec_cmd) has nr_cpus=1: "
	       "\"BOOT_IMAGE=");
	assert_int_equal(k.status, SN_KDUMP_READY);
	k = read_case("stale-load");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_WARN,
	       "the loaded command line (/var/crash/kexec_cmd) lacks nr_cpus=1");
	assert_non_null(
		strstr(check(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE)->remedy, "then reload"));
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
}

static void test_rhel_x86(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;

	o.arch = SN_KDUMP_ARCH_X86_64;
	k = read_with("rhel-x86", &o);
	assert_int_equal(k.status, SN_KDUMP_READY);
	/* The newer layout (sys/kernel/kexec/); addresses hidden: the size file. */
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_OK,
	       "192 MiB reserved (crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M), "
	       "estimate 129 MiB");
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_OK,
	       "/sys/kernel/kexec/crash_loaded is 1");
	assert_true(k.ranges_hidden);
	assert_int_equal(k.size, 201326592);
	/* No dpkg, no exec under a fixture root. */
	expect(&k, SN_KDUMP_CHECK_TOOLS, SN_KDUMP_OK,
	       "kexec /usr/sbin/kexec (version unknown)");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_OK,
	       "kdumpctl: /var/crash, makedumpfile -l --message-level 7 -d 31 (dump level "
	       "31); 10240 MiB free");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK, "not needed");
	expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_OK, "the NMI stop is built in");

	/* The same tree taken for arm64: no SDEI service, its command line is known. */
	o.arch = SN_KDUMP_ARCH_ARM64;
	k = read_with("rhel-x86", &o);
	expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_WARN, "no /sys/kernel/sdei_nmi");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK, "not needed");
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
}

/* The fixtures of old: what the report's fields come from is as it was. */
static void test_ready_of_old(void **state)
{
	struct sn_kdump k = read_case("ready");

	assert_true(k.loaded);
	assert_int_equal(k.size, 268435456);
	assert_int_equal(k.n_params, 1);
	assert_string_equal(k.params[0], "256M");
	assert_int_equal(k.n_ranges, 1);
	assert_false(k.ranges_hidden);
	assert_int_equal(k.ranges[0].start, 0xb0000000);
	assert_int_equal(k.ranges[0].end, 0xbfffffff);
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_OK, "loaded");
	/* No meminfo: the base alone. */
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_OK,
	       "256 MiB reserved (crashkernel=256M, from /proc/iomem), estimate 128 MiB "
	       "(128 MiB + page bitmaps; MemTotal unknown)");
	expect(&k, SN_KDUMP_CHECK_TOOLS, SN_KDUMP_FAIL,
	       "kexec and makedumpfile not found under /usr/sbin, /sbin, /usr/bin, /bin");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_WARN,
	       "no kdump-tools or kdumpctl configuration");
	expect(&k, SN_KDUMP_CHECK_PANIC, SN_KDUMP_WARN,
	       "policy hardlockup: kernel.hardlockup_panic is missing; kernel.panic "
	       "unreadable");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK, "not needed");
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);
	assert_false(k.ready);
}

/* Reserved (high and low), not loaded; /proc/iomem as an unprivileged reader sees it. */
static void test_not_loaded(void **state)
{
	struct sn_kdump k = read_case("not-loaded");
	_cleanup_(freep) char *j = NULL;

	assert_false(k.ready);
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_FAIL,
	       "no capture kernel is loaded (/sys/kernel/kexec_crash_loaded is 0)");
	assert_non_null(
		strstr(check(&k, SN_KDUMP_CHECK_LOADED)->remedy, "kdump-config load"));
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_OK,
	       "512 MiB reserved (crashkernel=512M,high crashkernel=64M,low)");
	assert_int_equal(k.n_params, 2);
	assert_int_equal(k.n_ranges, 2);
	assert_true(k.ranges_hidden);
	assert_string_equal(k.reasons[0], "loaded: no capture kernel is loaded "
					  "(/sys/kernel/kexec_crash_loaded is 0)");

	j = to_json(&k);
	assert_non_null(strstr(j, "\"crash_loaded\":false,\"crash_size\":536870912,"
				  "\"crashkernel\":[\"512M,high\",\"64M,low\"],"
				  "\"iomem_crash_kernel\":2}"));
}

static void test_no_reservation(void **state)
{
	struct sn_kdump k = read_case("no-reservation");

	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_FAIL,
	       "nothing reserved for a capture kernel (/sys/kernel/kexec_crash_size is "
	       "0, no crashkernel= on the command line)");
	assert_non_null(strstr(check(&k, SN_KDUMP_CHECK_RESERVATION)->remedy,
			       "reserve at least 128 MiB: crashkernel=128M"));
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);
}

static void test_small_reservation(void **state)
{
	struct sn_kdump k = read_case("small-reservation");

	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_WARN,
	       "64 MiB reserved (crashkernel=64M) is below the estimate of 129 MiB "
	       "(128 MiB + page bitmaps)");
	assert_non_null(strstr(check(&k, SN_KDUMP_CHECK_RESERVATION)->remedy,
			       "crashkernel=129M"));
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
}

static void test_disk_full(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;

	o.free_space = 10 * MIB;
	/* Uncompressed (-E): it does not fit. */
	k = read_with("disk-full", &o);
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_FAIL,
	       "makedumpfile -E -d 31 (dump level 31); 10 MiB free on /var/crash < dump "
	       "of at most 95 MiB uncompressed");
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);
	/* Compressed (-c): may fit. */
	k = read_with("debian-arm64-ready", &o);
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_WARN,
	       "10 MiB free on /var/crash <");
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
	/* Exactly enough. */
	o.free_space = 97152 * 1024;
	k = read_with("disk-full", &o);
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_OK, "94 MiB free");
	/* The real statvfs of the fixture's directory: some number, ok or not. */
	o.free_space_set = false;
	k = read_with("debian-arm64-ready", &o);
	assert_non_null(strstr(check(&k, SN_KDUMP_CHECK_DUMP_CONFIG)->reason,
			       " MiB free on /var/crash"));
}

/*
 * The dump covers System RAM outside the reservation (1.5 GiB here), MemTotal leaves out
 * what the kernel reserved at boot: the bound starts from the larger.
 */
static void test_boot_reserved(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;

	(void)state;
	k = read_with("boot-reserved", &o);
	assert_int_equal(k.dumped_ram, 1536 * MIB);
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_OK,
	       "dump at most 267 MiB uncompressed");
	/* No reservation: all of System RAM. */
	k = read_with("no-reservation", &o);
	assert_int_equal(k.dumped_ram, 4096 * MIB);
	/* Addresses hidden (read without CAP_SYS_ADMIN): unknown, MemTotal rules. */
	k = read_with("rhel-x86", &o);
	assert_int_equal(k.dumped_ram, 0);
}

static void test_config_errors(void **state)
{
	struct sn_kdump k;

	k = read_case("use-kdump-off");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_FAIL,
	       "kdump-tools is off: USE_KDUMP is 0 in /etc/default/kdump-tools");
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);

	k = read_case("malformed-debian");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_WARN,
	       "/etc/default/kdump-tools:2: shell expansion (not evaluated)");

	k = read_case("malformed-kdump-conf");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_WARN,
	       "/etc/kdump.conf:2: not \"directive value\"");
	/* kdumpctl without etc/sysconfig/kdump: the command line is unknown. */
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_WARN, "unknown");

	k = read_case("no-config");
	expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, SN_KDUMP_WARN,
	       "no kdump-tools or kdumpctl configuration");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_WARN, "unknown");
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
}

/* The shell-style parser on a file written here: what it takes and refuses. */
static void test_shell_syntax(void **state)
{
	static const struct {
		const char *text;
		enum sn_kdump_level level;
		const char *reason;
	} cases[] = {
		{ "USE_KDUMP=1\nKDUMP_COREDIR=/var/crash # comment\n", SN_KDUMP_OK,
		  "kdump-tools: /var/crash, makedumpfile -F -c -d 31" },
		{ "USE_KDUMP=1\nMAKEDUMP_ARGS='-c  -d 17' \n", SN_KDUMP_OK,
		  "makedumpfile -c  -d 17 (dump level 17)" },
		{ "  export USE_KDUMP=\"1\"\nMAKEDUMP_ARGS=-d\\ 1\n", SN_KDUMP_OK,
		  "(dump level 1)" },
		{ "USE_KDUMP=1\nSSH=\"kdump@dumps.example\"\n", SN_KDUMP_OK,
		  "SSH target kdump@dumps.example" },
		{ "USE_KDUMP=1\nNFS=\"nfs:/crash\"\n", SN_KDUMP_OK,
		  "free space on the remote target not measured" },
		{ "USE_KDUMP=\n", SN_KDUMP_FAIL, "USE_KDUMP is 0" },
		{ "# only a comment\n", SN_KDUMP_FAIL, "USE_KDUMP is not set" },
		{ "USE_KDUMP=1\nKDUMP_COREDIR=var/crash\n", SN_KDUMP_WARN,
		  "'var/crash' is not an absolute path" },
		{ "USE_KDUMP=1\nKDUMP_COREDIR=/var/../etc\n", SN_KDUMP_WARN,
		  "without '..'" },
		{ "USE_KDUMP=1\nKDUMP_COREDIR=\"/var/crash\n", SN_KDUMP_WARN,
		  ":2: unterminated quote" },
		{ "USE_KDUMP=1 2\n", SN_KDUMP_WARN, ":1: more than one word" },
		{ "if true; then\n", SN_KDUMP_WARN, ":1: not KEY=value" },
		{ "USE_KDUMP=1; rm -rf /\n", SN_KDUMP_WARN, ":1: shell syntax" },
		{ "X=`id`\n", SN_KDUMP_WARN, ":1: shell expansion" },
		{ "X=\"\xff\"\n", SN_KDUMP_WARN, ":1: a byte that is not printable" },
		{ "1X=2\n", SN_KDUMP_WARN, ":1: not KEY=value" },
	};
	char root[] = "/tmp/test-kdump-XXXXXX", path[128];
	struct sn_kdump_options o = test_options();

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/etc", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/default", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/default/kdump-tools", root);
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		FILE *f = fopen(path, "we");
		struct sn_kdump k;

		assert_non_null(f);
		fputs(cases[i].text, f);
		assert_int_equal(fclose(f), 0);
		/* meminfo is missing here: the free space cannot be judged. */
		assert_int_equal(sn_kdump_read(root, &o, &k), 0);
		if (cases[i].level == SN_KDUMP_OK &&
		    check(&k, SN_KDUMP_CHECK_DUMP_CONFIG)->level == SN_KDUMP_WARN &&
		    strstr(check(&k, SN_KDUMP_CHECK_DUMP_CONFIG)->reason,
			   "dump size unknown")) {
			assert_non_null(
				strstr(check(&k, SN_KDUMP_CHECK_DUMP_CONFIG)->reason,
				       cases[i].reason));
			continue;
		}
		expect(&k, SN_KDUMP_CHECK_DUMP_CONFIG, cases[i].level, cases[i].reason);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc/default", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/etc", root);
	rmdir(path);
	assert_int_equal(rmdir(root), 0);
}

static void test_panic_policy(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;
	unsigned mask;
	char buf[64];

	assert_int_equal(sn_kdump_panic_on_from_string("hardlockup,rcu-stall", &mask), 0);
	assert_int_equal(mask, SN_KDUMP_PANIC_HARDLOCKUP | SN_KDUMP_PANIC_RCU_STALL);
	assert_int_equal(sn_kdump_panic_on_from_string("none", &mask), 0);
	assert_int_equal(mask, 0);
	assert_int_equal(sn_kdump_panic_on_from_string("hung-task,softlockup", &mask), 0);
	assert_int_equal(sn_kdump_panic_on_to_string(mask, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "softlockup,hung-task");
	assert_int_equal(sn_kdump_panic_on_to_string(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(sn_kdump_panic_on_to_string(SN_KDUMP_PANIC_ALL, buf, 8),
			 -ENOBUFS);
	assert_int_equal(sn_kdump_panic_on_from_string("", &mask), -EINVAL);
	assert_int_equal(sn_kdump_panic_on_from_string("hardlockup,", &mask), -EINVAL);
	assert_int_equal(sn_kdump_panic_on_from_string("hardlockup,hardlockup", &mask),
			 -EINVAL);
	assert_int_equal(sn_kdump_panic_on_from_string("oops", &mask), -EINVAL);

	o.panic_on = SN_KDUMP_PANIC_ALL;
	k = read_with("debian-arm64-ready", &o);
	expect(&k, SN_KDUMP_CHECK_PANIC, SN_KDUMP_WARN,
	       "policy hardlockup,softlockup,rcu-stall,hung-task: kernel.softlockup_panic "
	       "is 0, kernel.panic_on_rcu_stall is 0, kernel.hung_task_panic is 0");
	assert_non_null(strstr(check(&k, SN_KDUMP_CHECK_PANIC)->remedy,
			       "sysctl -w kernel.softlockup_panic=1 "
			       "kernel.panic_on_rcu_stall=1 kernel.hung_task_panic=1"));
	o.panic_on = 0;
	k = read_with("debian-arm64-ready", &o);
	expect(&k, SN_KDUMP_CHECK_PANIC, SN_KDUMP_OK, "policy none");
}

static void test_sdei_inactive(void **state)
{
	struct sn_kdump k = read_case("sdei-inactive");

	expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_WARN,
	       "the SDEI NMI service is inactive (no SDEI firmware interface): a CPU "
	       "wedged with interrupts masked is not stopped");
	expect(&k, SN_KDUMP_CHECK_CAPTURE_CMDLINE, SN_KDUMP_OK,
	       "not needed: the SDEI NMI service is not active");
	assert_int_equal(k.status, SN_KDUMP_DEGRADED);
}

static void test_last_test(void **state)
{
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;

	k = read_case("last-test-fail");
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_FAIL,
	       "the last capture test failed, 2026-11-20T09:30:00Z (2 days ago): capture "
	       "kernel hung after the SDEI stop");
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);

	k = read_case("last-test-old");
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_WARN,
	       "the last capture test passed 2025-01-15T08:00:00Z, 676 days ago: older "
	       "than 90 days: lab sysrq-c");
	o.test_max_age_sec = 0;
	k = read_with("last-test-old", &o);
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_OK, "676 days ago");

	k = read_case("last-test-pass");
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_OK,
	       "the last capture test passed 2026-11-20T09:30:00Z (2 days ago)");
	assert_int_equal(k.status, SN_KDUMP_READY);
}

/* Written, then read back; a record that is not one. */
static void test_record(void **state)
{
	static const char *const bad[] = {
		"",
		"{}",
		"[]",
		"{\"time\":\"2026-11-20T09:30:00Z\",\"result\":\"maybe\"}",
		"{\"time\":\"2026-13-20T09:30:00Z\",\"result\":\"pass\"}",
		"{\"time\":\"2026-11-20 09:30:00Z\",\"result\":\"pass\"}",
		"{\"time\":\"2026-11-20T09:30:00Z\",\"result\":\"pass\",\"note\":7}",
	};
	char root[] = "/tmp/test-kdump-XXXXXX", path[160];
	struct sn_kdump_options o = test_options();
	struct sn_kdump k;
	char note[SN_KDUMP_MAX_NOTE + 2];

	assert_non_null(mkdtemp(root));
	assert_int_equal(sn_kdump_test_record_write(root, true, "lab run 7",
						    NOW_USEC - 3600 * UINT64_C(1000000)),
			 0);
	assert_int_equal(sn_kdump_read(root, &o, &k), 0);
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_OK,
	       "the last capture test passed 2026-11-22T11:00:00Z (0 days ago): lab run 7");
	assert_int_equal(sn_kdump_test_record_write(root, false, NULL, NOW_USEC), 0);
	assert_int_equal(sn_kdump_read(root, &o, &k), 0);
	expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_FAIL,
	       "the last capture test failed, 2026-11-22T12:00:00Z (0 days ago)");

	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	assert_int_equal(sn_kdump_test_record_write(root, true, note, 0), -EINVAL);
	assert_int_equal(sn_kdump_test_record_write(root, true, "tab\there", 0), -EINVAL);

	snprintf(path, sizeof(path), "%s/" SN_KDUMP_TEST_RECORD, root);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		FILE *f = fopen(path, "we");

		assert_non_null(f);
		fputs(bad[i], f);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(sn_kdump_read(root, &o, &k), 0);
		expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_WARN,
		       "is not a test record");
	}

	/* Without the privilege to read it (as root, it can always be read). */
	if (geteuid() != 0) {
		assert_int_equal(chmod(path, 0), 0);
		assert_int_equal(sn_kdump_read(root, &o, &k), 0);
		expect(&k, SN_KDUMP_CHECK_LAST_TEST, SN_KDUMP_WARN, "Permission denied");
		assert_int_equal(k.n_denied, 1);
		assert_string_equal(k.denied[0], "/" SN_KDUMP_TEST_RECORD);
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/var/lib/sdei-nmi", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/var/lib", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/var", root);
	rmdir(path);
	assert_int_equal(rmdir(root), 0);
}

/* Files missing; the root itself. */
static void test_missing(void **state)
{
	struct sn_kdump k = read_case("missing");
	struct sn_kdump z;
	_cleanup_(freep) char *j = NULL;

	assert_int_equal(k.loaded_error, -ENOENT);
	assert_int_equal(k.size_error, -ENOENT);
	assert_int_equal(k.cmdline_error, -ENOENT);
	assert_int_equal(k.iomem_error, -ENOENT);
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_FAIL, "no crash dump support");
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_FAIL, "nothing reserved");
	expect(&k, SN_KDUMP_CHECK_SDEI_STOP, SN_KDUMP_WARN, "no /sys/kernel/sdei_nmi");
	assert_int_equal(k.status, SN_KDUMP_NOT_READY);
	j = to_json(&k);
	/* The values that could not be read are left out. */
	assert_null(strstr(j, "\"crash_loaded\""));
	assert_null(strstr(j, "\"crash_size\""));
	assert_null(strstr(j, "\"crashkernel\""));
	assert_null(strstr(j, "\"iomem_crash_kernel"));

	assert_int_equal(sn_kdump_read(NULL, NULL, &z), -EINVAL);
	assert_int_equal(sn_kdump_read(FIXTURES_DIR "/kdump/no-such-root", NULL, &z),
			 -ENOENT);
}

static void test_bad(void **state)
{
	struct sn_kdump k = read_case("bad");

	assert_false(k.ready);
	assert_int_equal(k.loaded_error, -EBADMSG);
	assert_int_equal(k.size_error, -EBADMSG);
	assert_int_equal(k.cmdline_error, -EBADMSG);
	assert_int_equal(k.iomem_error, -EBADMSG);
	expect(&k, SN_KDUMP_CHECK_LOADED, SN_KDUMP_FAIL,
	       "cannot read /sys/kernel/kexec_crash_loaded: Bad message");
	expect(&k, SN_KDUMP_CHECK_RESERVATION, SN_KDUMP_FAIL, "Bad message");
}

/* The report's object: old reports (before the checks) parse; what is refused. */
static void test_json(void **state)
{
	static const char *const good[] = {
		"{\"checked\":false}",
		/* As sdei-nmid wrote it before the checks. */
		"{\"checked\":true,\"ready\":false,\"reasons\":[\"no crash kernel is "
		"loaded\"],\"crash_loaded\":false,\"crash_size\":268435456,\"crashkernel\":"
		"[\"256M\"],\"iomem_crash_kernel\":1,\"iomem_crash_kernel_ranges\":[{"
		"\"start\":\"0x00000000b0000000\",\"end\":\"0x00000000bfffffff\"}]}",
		"{\"checked\":true,\"ready\":true,\"status\":\"ready\",\"arch\":\"x86_64\","
		"\"checks\":[{\"id\":\"a-later-check\",\"level\":\"ok\",\"reason\":\"r\"}],"
		"\"reasons\":[],\"denied\":[\"/proc/iomem\"]}",
	};
	static const char *const bad[] = {
		"{\"checked\":false,\"ready\":true}",
		"{\"checked\":true,\"ready\":true}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"status\":\"fine\"}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"arch\":\"host\"}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":{}}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":[{\"id\":\"x\","
		"\"level\":\"bad\",\"reason\":\"r\"}]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":[{\"id\":\"X\","
		"\"level\":\"ok\",\"reason\":\"r\"}]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":[{\"id\":\"x\","
		"\"level\":\"ok\",\"reason\":\"\"}]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":[{\"id\":\"x\","
		"\"level\":\"ok\",\"reason\":\"r\",\"more\":1}]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"checks\":[{\"id\":\"x\","
		"\"level\":\"ok\"}]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"denied\":[\"\\n\"]}",
		"{\"checked\":true,\"ready\":true,\"reasons\":[],\"status\":\"ready\","
		"\"status\":\"ready\"}",
	};

	for (size_t i = 0; i < ELEMENTSOF(good); i++) {
		_cleanup_(cJSON_Deletep) cJSON *j = cJSON_Parse(good[i]);

		assert_non_null(j);
		if (sn_kdump_json_check(j) != 0)
			fail_msg("refused: %s", good[i]);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(cJSON_Deletep) cJSON *j = cJSON_Parse(bad[i]);

		assert_non_null(j);
		if (sn_kdump_json_check(j) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_arm64_ready),
		cmocka_unit_test(test_large_pages),
		cmocka_unit_test(test_no_nrcpus),
		cmocka_unit_test(test_rhel_x86),
		cmocka_unit_test(test_ready_of_old),
		cmocka_unit_test(test_not_loaded),
		cmocka_unit_test(test_no_reservation),
		cmocka_unit_test(test_small_reservation),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_loaded_cmdline),
		cmocka_unit_test(test_boot_reserved),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_shell_syntax),
		cmocka_unit_test(test_panic_policy),
		cmocka_unit_test(test_sdei_inactive),
		cmocka_unit_test(test_last_test),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
