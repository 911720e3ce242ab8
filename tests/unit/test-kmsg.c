/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /dev/kmsg record parser, the console line parser, the stream splitter and the CPU
 * sets: valid, escaped, continuation, malformed and truncated input.
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

#include "cpu-set.h"
#include "kmsg.h"
#include "macro.h"

static struct sn_kmsg_record rec;

static int parse(const char *s)
{
	return sn_kmsg_record_parse(s, strlen(s), &rec);
}

static void test_record_valid(void **state)
{
	assert_int_equal(parse("6,339,5140900,-;NET: Registered protocol family 10\n"),
			 0);
	assert_true(rec.has_prio);
	assert_int_equal(rec.facility, 0);
	assert_int_equal(rec.level, 6);
	assert_int_equal(rec.seq, 339);
	assert_int_equal(rec.ts_usec, 5140900);
	assert_int_equal(rec.flag, '-');
	assert_false(rec.has_caller);
	assert_string_equal(rec.message, "NET: Registered protocol family 10");
	assert_int_equal(rec.message_len, strlen(rec.message));
	assert_string_equal(rec.subsystem, "");
	assert_string_equal(rec.device, "");

	/* A writer's record: facility 3 (LOG_DAEMON), level 6. */
	assert_int_equal(parse("30,340,5690716,-;udevd[80]: starting version 181\n"), 0);
	assert_int_equal(rec.facility, 3);
	assert_int_equal(rec.level, 6);

	/* Bounds. */
	assert_int_equal(parse("2047,18446744073709551615,18446744073709551615,c;x\n"),
			 0);
	assert_int_equal(rec.facility, 255);
	assert_int_equal(rec.level, 7);
	assert_true(rec.seq == UINT64_MAX);
	assert_true(rec.ts_usec == UINT64_MAX);
	assert_int_equal(rec.flag, 'c');
	assert_int_equal(parse("0,0,0,+;\n"), 0);
	assert_int_equal(rec.flag, '+');
	assert_string_equal(rec.message, "");
}

static void test_record_fields(void **state)
{
	/* CONFIG_PRINTK_CALLER */
	assert_int_equal(parse("4,1011,60124000,-,caller=C1;NMI backtrace for cpu 1\n"),
			 0);
	assert_true(rec.has_caller);
	assert_int_equal(rec.caller_kind, 'C');
	assert_int_equal(rec.caller_id, 1);
	assert_int_equal(parse("6,1,2,-,caller=T2147483647;x\n"), 0);
	assert_int_equal(rec.caller_kind, 'T');
	assert_int_equal(rec.caller_id, 2147483647);

	/* Future fields are ignored, before or after the caller. */
	assert_int_equal(parse("6,1,2,-,future=1,caller=T5,,x;msg\n"), 0);
	assert_int_equal(rec.caller_id, 5);
	assert_string_equal(rec.message, "msg");
}

static void test_record_escapes(void **state)
{
	assert_int_equal(parse("3,1,2,-;rcu: \\x092-...0: (1 GPs behind)\n"), 0);
	assert_string_equal(rec.message, "rcu: \t2-...0: (1 GPs behind)");
	assert_int_equal(parse("6,1,2,-;a\\x5cb \\xe2\\x82\\xAC\\x7f\n"), 0);
	assert_string_equal(rec.message, "a\\b \xe2\x82\xac\x7f");
	/* An embedded newline stays in the message (the recognizer splits it). */
	assert_int_equal(parse("6,1,2,-;one\\x0atwo\n"), 0);
	assert_string_equal(rec.message, "one\ntwo");
	assert_int_equal(rec.message_len, 7);
}

static void test_record_continuation(void **state)
{
	/* Documentation/ABI/testing/dev-kmsg's example. */
	assert_int_equal(
		parse("7,160,424069,-;pci_root PNP0A03:00: host bridge window [io  "
		      "0x0000-0x0cf7] (ignored)\n"
		      " SUBSYSTEM=acpi\n"
		      " DEVICE=+acpi:PNP0A03:00\n"),
		0);
	assert_int_equal(rec.level, 7);
	assert_string_equal(
		rec.message,
		"pci_root PNP0A03:00: host bridge window [io  0x0000-0x0cf7] (ignored)");
	assert_string_equal(rec.subsystem, "acpi");
	assert_string_equal(rec.device, "+acpi:PNP0A03:00");

	/* Escaped values, unknown keys (older kernels' dictionaries) ignored. */
	assert_int_equal(parse("6,1,2,-;m\n DEVICE=+net:eth\\x200\n OTHER=1\n"), 0);
	assert_string_equal(rec.device, "+net:eth 0");
	assert_string_equal(rec.subsystem, "");
}

static void test_record_malformed(void **state)
{
	char big[SN_KMSG_RECORD_MAX + 16], longhdr[SN_KMSG_HEADER_MAX + 32];
	static const char *const bad[] = {
		"",
		"\n",
		";msg\n",
		"6,1,2;msg\n",			     /* no flags */
		"6,1,2,-msg\n",			     /* no ';' */
		"6,1,2,x;msg\n",		     /* unknown flag */
		"6,1,2,--;msg\n",		     /* two */
		"6,1,2,;msg\n",			     /* none */
		"-6,1,2,-;msg\n",		     /* sign */
		"+6,1,2,-;msg\n",		     /* sign */
		" 6,1,2,-;msg\n",		     /* space */
		"6 ,1,2,-;msg\n",		     /* space */
		"06,1,2,-;msg\n",		     /* leading zero */
		"6,,2,-;msg\n",			     /* empty */
		"0x6,1,2,-;msg\n",		     /* not decimal */
		"2048,1,2,-;msg\n",		     /* facility over 8 bits */
		"6,18446744073709551616,2,-;msg\n",  /* overflow */
		"6,123456789012345678901,2,-;msg\n", /* 21 digits */
		"6,1,2,-;msg",			     /* truncated: no '\n' */
		"6,1,2,-;a\\x0\n",		     /* short escape */
		"6,1,2,-;a\\\n",		     /* lone backslash */
		"6,1,2,-;a\\n\n",		     /* not \x */
		"6,1,2,-;a\\xg0\n",		     /* not hex */
		"6,1,2,-;a\\x00b\n",		     /* NUL */
		"6,1,2,-;a\tb\n",		     /* unescaped control */
		"6,1,2,-;a\x80"
		"b\n",					   /* unescaped high byte */
		"6,1,2,-;a\\b\n",			   /* unescaped backslash */
		"6,1,2,-;m\n SUBSYSTEM\n",		   /* no '=' */
		"6,1,2,-;m\n =v\n",			   /* no key */
		"6,1,2,-;m\n K=\n",			   /* no value */
		"6,1,2,-;m\nK=v\n",			   /* no leading space */
		"6,1,2,-;m\n K=v",			   /* truncated continuation */
		"6,1,2,-;m\n K=\\x0\n",			   /* bad escape */
		"6,1,2,-;m\n K=a\tb\n",			   /* control */
		"6,1,2,-;m\n SUBSYSTEM=a\n SUBSYSTEM=b\n", /* twice */
		"6,1,2,-;m\n\n",			   /* empty line */
		"6,1,2,-,caller=X1;m\n",
		"6,1,2,-,caller=T;m\n",
		"6,1,2,-,caller=T01;m\n",
		"6,1,2,-,caller=T2147483648;m\n",
		"6,1,2,-,caller=T1,caller=T2;m\n",
		"6,1,2\\,-;m\n",
		"6,1,2,\x01;m\n",
	};

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		/* *ret is left alone. */
		memset(&rec, 0xa5, sizeof(rec));
		if (sn_kmsg_record_parse(bad[i], strlen(bad[i]), &rec) != -EBADMSG)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_true(rec.seq == 0xa5a5a5a5a5a5a5a5);
	}
	assert_int_equal(sn_kmsg_record_parse(NULL, 0, &rec), -EBADMSG);

	/* An empty future field is a field. */
	assert_int_equal(parse("6,1,2,-,;msg\n"), 0);

	/* A value over SN_KMSG_DICT_VALUE_MAX - 1; exactly that fits. */
	memset(big, 'd', sizeof(big));
	memcpy(big, "6,1,2,-;m\n DEVICE=", 18);
	strcpy(big + 18 + SN_KMSG_DICT_VALUE_MAX - 1, "\n");
	assert_int_equal(parse(big), 0);
	strcpy(big + 18 + SN_KMSG_DICT_VALUE_MAX, "\n");
	assert_int_equal(parse(big), -EBADMSG);

	/* Too many continuation lines. */
	strcpy(big, "6,1,2,-;m\n");
	for (int i = 0; i < SN_KMSG_DICT_LINES_MAX; i++)
		strcat(big, " K=v\n");
	assert_int_equal(parse(big), 0);
	strcat(big, " K=v\n");
	assert_int_equal(parse(big), -EBADMSG);

	/* A prefix longer than SN_KMSG_HEADER_MAX. */
	memset(longhdr, 'f', sizeof(longhdr));
	memcpy(longhdr, "6,1,2,-,", 8);
	strcpy(longhdr + SN_KMSG_HEADER_MAX + 1, ";m\n");
	assert_int_equal(parse(longhdr), -EBADMSG);
	strcpy(longhdr + SN_KMSG_HEADER_MAX - 1, ";m\n");
	assert_int_equal(parse(longhdr), 0);

	/* A record longer than SN_KMSG_RECORD_MAX. */
	memset(big, 'm', sizeof(big));
	memcpy(big, "6,1,2,-;", 8);
	big[SN_KMSG_RECORD_MAX] = '\n';
	assert_int_equal(sn_kmsg_record_parse(big, SN_KMSG_RECORD_MAX + 1, &rec),
			 -EBADMSG);
	big[SN_KMSG_RECORD_MAX - 1] = '\n';
	assert_int_equal(sn_kmsg_record_parse(big, SN_KMSG_RECORD_MAX, &rec), 0);
	assert_int_equal(rec.message_len, SN_KMSG_RECORD_MAX - 9);
}

static void test_record_truncated(void **state)
{
	static const char full[] = "4,1011,60124000,-,caller=C1;NMI backtrace for cpu 1\n"
				   " SUBSYSTEM=x\n";

	/* Every strict prefix is refused, except the one that ends a line before a
	 * continuation line (a whole record by itself). */
	for (size_t n = 0; n < strlen(full); n++) {
		int r = sn_kmsg_record_parse(full, n, &rec);

		if (n > 0 && full[n - 1] == '\n')
			assert_int_equal(r, 0);
		else
			assert_int_equal(r, -EBADMSG);
	}
	assert_int_equal(sn_kmsg_record_parse(full, strlen(full), &rec), 0);
	assert_string_equal(rec.subsystem, "x");
}

static int console(const char *s, uint64_t seq)
{
	return sn_kmsg_console_parse(s, strlen(s), seq, &rec);
}

static void test_console(void **state)
{
	static const char *const bad[] = {
		"",
		"LAB: kmsg-begin",
		"NOTICE:  Booting Trusted Firmware",
		"[5.01] x",
		"[    5.0105160] x",
		"[    5.01051] x",
		"[    5.010516]x",
		"[    5.010516]",
		"[    5.010516",
		"[ -5.000000] x",
		"[    .000000] x",
		"[    05.000000] x",
		"[    5,010516] x",
		"[    5.010516][ X1] x",
		"[    5.010516][    T1 x",
		"[    5.010516][] x",
		"[99999999999999999999.000000] x",
	};

	assert_int_equal(
		console("[    5.010516] watchdog: CPU1: Watchdog detected hard LOCKUP "
			"on cpu 2\n",
			7),
		0);
	assert_int_equal(rec.seq, 7);
	assert_int_equal(rec.ts_usec, 5010516);
	assert_false(rec.has_prio);
	assert_false(rec.has_caller);
	assert_int_equal(rec.flag, '-');
	assert_string_equal(rec.message,
			    "watchdog: CPU1: Watchdog detected hard LOCKUP on cpu 2");

	assert_int_equal(console("[    5.013759]  lkdtm_HARDLOCKUP+0x8/0x24 (P)\r\n", 1),
			 0);
	assert_string_equal(rec.message, " lkdtm_HARDLOCKUP+0x8/0x24 (P)");
	assert_int_equal(console("[    0.000000] rcu: \tRCU restricting CPUs", 1), 0);
	assert_string_equal(rec.message, "rcu: \tRCU restricting CPUs");
	assert_int_equal(console("[12345678.000001] x", 1), 0);
	assert_int_equal(rec.ts_usec, 12345678000001);
	assert_int_equal(console("[    0.521447] ", 1), 0);
	assert_string_equal(rec.message, "");
	assert_int_equal(console("[    5.010516][    T1] text", 1), 0);
	assert_true(rec.has_caller);
	assert_int_equal(rec.caller_kind, 'T');
	assert_int_equal(rec.caller_id, 1);
	assert_string_equal(rec.message, "text");
	assert_int_equal(console("[    5.010516][    C3] text", 1), 0);
	assert_int_equal(rec.caller_kind, 'C');
	assert_int_equal(rec.caller_id, 3);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		rec.seq = 42;
		if (console(bad[i], 1) != -EBADMSG)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_int_equal(rec.seq, 42);
	}
	assert_int_equal(sn_kmsg_console_parse("[    1.000000] a\0b", 18, 1, &rec),
			 -EBADMSG);
}

static int split(const char *s, bool eof, size_t *ret_len)
{
	return sn_kmsg_record_split(s, strlen(s), eof, ret_len);
}

static void test_split(void **state)
{
	size_t n = 0;

	assert_int_equal(split("6,1,2,-;a\n6,2,2,-;b\n", false, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(
		split("6,1,2,-;a\n SUBSYSTEM=x\n DEVICE=y\n6,2,2,-;b\n", false, &n), 0);
	assert_int_equal(n, 33);
	/* A last '\n' may still be followed by a continuation line. */
	assert_int_equal(split("6,1,2,-;a\n", false, &n), -EAGAIN);
	assert_int_equal(split("6,1,2,-;a\n", true, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(split("6,1,2,-;a\n SUB", false, &n), -EAGAIN);
	assert_int_equal(split("6,1,2,-;a\n SUB", true, &n), -EBADMSG);
	assert_int_equal(split("6,1,2,-;a", false, &n), -EAGAIN);
	assert_int_equal(split("6,1,2,-;a", true, &n), -EBADMSG);
	assert_int_equal(split("", false, &n), -EAGAIN);
	assert_int_equal(split("", true, &n), -EAGAIN);
	/* Garbage is split too; the parser refuses it. */
	assert_int_equal(split("\nx\n", false, &n), 0);
	assert_int_equal(n, 1);
}

static void test_cpu_set(void **state)
{
	struct sn_cpu_set s = {}, t;
	char buf[64];
	int cpu, n = 0;
	static const char *const bad[] = { "",	 ",",  "1,", ",1", "3-1",  "a",	  "-1",
					   "1-", "01", "1 ", " 1", "1,,2", "0x1", "+1" };

	assert_int_equal(sn_cpu_set_parse("0,2-5,4095", 10, &s), 0);
	assert_int_equal(sn_cpu_set_count(&s), 6);
	assert_true(sn_cpu_set_test(&s, 0));
	assert_false(sn_cpu_set_test(&s, 1));
	assert_true(sn_cpu_set_test(&s, 4095));
	assert_false(sn_cpu_set_test(&s, 4096));
	assert_int_equal(sn_cpu_set_next(&s, 1), 2);
	assert_int_equal(sn_cpu_set_next(&s, 6), 4095);
	assert_int_equal(sn_cpu_set_next(&s, 4096), -ENOENT);
	for_each_cpu (cpu, &s)
		n++;
	assert_int_equal(n, 6);
	assert_int_equal(sn_cpu_set_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0,2-5,4095");
	assert_int_equal(sn_cpu_set_format(&s, buf, 6), -ENOBUFS);
	assert_string_equal(buf, "");

	/* Only the given length counts. */
	assert_int_equal(sn_cpu_set_parse("1-3:", 3, &t), 0);
	assert_int_equal(sn_cpu_set_count(&t), 3);

	t = s;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		if (sn_cpu_set_parse(bad[i], strlen(bad[i]), &t) != -EINVAL)
			fail_msg("accepted: \"%s\"", bad[i]);
		assert_memory_equal(&t, &s, sizeof(s));
	}
	assert_int_equal(sn_cpu_set_parse("4096", 4, &t), -ERANGE);
	assert_int_equal(sn_cpu_set_parse("0-99999999999", 13, &t), -ERANGE);
	assert_int_equal(sn_cpu_set_add(&t, 4096), -ERANGE);
	t = s;
	sn_cpu_set_del(&t, 3);
	sn_cpu_set_del(&t, 1);	  /* not there */
	sn_cpu_set_del(&t, 4096); /* out of range */
	assert_int_equal(sn_cpu_set_format(&t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0,2,4-5,4095");

	s = (struct sn_cpu_set){};
	assert_true(sn_cpu_set_empty(&s));
	assert_int_equal(sn_cpu_set_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(sn_cpu_set_parse("0-4095", 6, &s), 0);
	assert_int_equal(sn_cpu_set_count(&s), 4096);
	assert_int_equal(sn_cpu_set_format(&s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-4095");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_valid),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_record_escapes),
		cmocka_unit_test(test_record_continuation),
		cmocka_unit_test(test_record_malformed),
		cmocka_unit_test(test_record_truncated),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_cpu_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
