/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The human and JSON output of fixed structs, compared byte for byte with the files of
 * tests/fixtures/cli/. After a deliberate change of the output, regenerate them with
 * SN_UPDATE_FIXTURES=1 and review the diff.
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nmi-format.h"
#include "test-msg.h"

static char *read_file(const char *path)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	_cleanup_(freep) char *buf = NULL;
	size_t size = 0;
	FILE *out;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &size);
	assert_non_null(out);
	for (int c; (c = fgetc(f)) != EOF;)
		fputc(c, out);
	assert_int_equal(fclose(out), 0);
	return TAKE_PTR(buf);
}

static void assert_matches_file(const char *name, const char *got)
{
	_cleanup_(freep) char *path = NULL;
	_cleanup_(freep) char *expected = NULL;

	assert_true(asprintf(&path, "%s/cli/%s", FIXTURES_DIR, name) > 0);
	if (getenv("SN_UPDATE_FIXTURES")) {
		_cleanup_(fclosep) FILE *f = fopen(path, "we");

		assert_non_null(f);
		assert_true(fputs(got, f) >= 0);
	}
	expected = read_file(path);
	if (!expected)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (strcmp(expected, got) != 0) {
		print_error("--- %s\n%s--- got\n%s---\n", path, expected, got);
		fail_msg("output differs from %s", path);
	}
}

/* Runs a formatter on a memory stream and returns what it wrote. */
#define CAPTURE(call)                                    \
	({                                               \
		char *_buf = NULL;                       \
		size_t _size = 0;                        \
		FILE *f = open_memstream(&_buf, &_size); \
		assert_non_null(f);                      \
		assert_int_equal(call, 0);               \
		assert_int_equal(fclose(f), 0);          \
		_buf;                                    \
	})

static char *backtrace_json(const struct sn_backtrace *b, bool pretty)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;

	assert_int_equal(sn_backtrace_to_json(b, &j), 0);
	return CAPTURE(sn_json_print(f, j, pretty));
}

static char *status_json(const struct sn_status *s)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;

	assert_int_equal(sn_status_to_json(s, &j), 0);
	return CAPTURE(sn_json_print(f, j, true));
}

static void test_backtrace_reply(void **state)
{
	const struct sn_format_opts o = { .timeout_ms = 500 };
	_cleanup_(freep) char *human =
		CAPTURE(sn_format_backtrace(f, &sample_backtrace_reply, &o));
	_cleanup_(freep) char *json = backtrace_json(&sample_backtrace_reply, true);

	assert_matches_file("backtrace-reply.txt", human);
	assert_matches_file("backtrace-reply.json", json);
}

static void test_backtrace_ntf(void **state)
{
	_cleanup_(freep) char *human =
		CAPTURE(sn_format_backtrace(f, &sample_backtrace_ntf, NULL));
	_cleanup_(freep) char *json = backtrace_json(&sample_backtrace_ntf, false);

	assert_matches_file("backtrace-ntf.txt", human);
	/* monitor --json: one object per line */
	assert_matches_file("backtrace-ntf.json", json);
	assert_ptr_equal(strchr(json, '\n'), json + strlen(json) - 1);
}

/* The IPI fallback of idle CPUs, one without registers; a newer kernel's values. */
static void test_backtrace_ipi(void **state)
{
	const struct sn_format_opts o = { .timeout_ms = 500 };
	_cleanup_(freep) char *human =
		CAPTURE(sn_format_backtrace(f, &sample_backtrace_ipi, &o));
	_cleanup_(freep) char *json = backtrace_json(&sample_backtrace_ipi, true);
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	const cJSON *e;

	assert_matches_file("backtrace-ipi.txt", human);
	assert_matches_file("backtrace-ipi.json", json);

	/* What the lab's nl-idle verdict looks for, and what an unknown value gives. */
	assert_non_null(strstr(human, "CPU 1: captured in 1.20 ms through an IPI "));
	assert_non_null(strstr(human, ", idle task swapper/1 (pid 0)\n"));
	assert_int_equal(sn_backtrace_to_json(&sample_backtrace_ipi, &j), 0);
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "entries"), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "context")),
			    "idle");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "path")), "ipi");
	assert_null(cJSON_GetObjectItem(e, "pstate"));
	assert_null(cJSON_GetObjectItem(e, "daif"));
	assert_null(cJSON_GetObjectItem(e, "sp"));
	e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "entries"), 2);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "context")),
			    "unknown-7");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "path")),
			    "unknown-9");
}

/* Context and path in the header line, one at a time. */
static void test_context_path_text(void **state)
{
	static const struct {
		uint32_t context, path;
		bool has_pstate, has_task;
		const char *want;
	} cases[] = {
		{ 0, 0, false, true, "CPU 4: captured, task sh (pid 9)\n" },
		{ SDEI_NMI_CONTEXT_KERNEL, SDEI_NMI_PATH_SDEI, false, true,
		  "CPU 4: captured, task sh (pid 9)\n" },
		{ SDEI_NMI_CONTEXT_USER, SDEI_NMI_PATH_SDEI, true, true,
		  "CPU 4: captured, interrupts enabled (DAIF: ----), EL0t, task sh (pid 9), "
		  "in user mode\n" },
		{ SDEI_NMI_CONTEXT_IDLE, SDEI_NMI_PATH_SDEI, false, true,
		  "CPU 4: captured, idle task sh (pid 9)\n" },
		{ SDEI_NMI_CONTEXT_IDLE, SDEI_NMI_PATH_SDEI, false, false,
		  "CPU 4: captured, idle\n" },
		{ SDEI_NMI_CONTEXT_IDLE, SDEI_NMI_PATH_IPI, true, false,
		  "CPU 4: captured through an IPI (SDEI masked: deep idle or going "
		  "offline), interrupts enabled (DAIF: ----), EL1h, idle\n" },
		{ SDEI_NMI_CONTEXT_KERNEL, SDEI_NMI_PATH_IPI, false, true,
		  "CPU 4: captured through an IPI (SDEI masked: deep idle or going "
		  "offline), " SN_TEXT_IPI_NO_REGS ", task sh (pid 9)\n" },
		{ SDEI_NMI_CONTEXT_GUEST, SDEI_NMI_PATH_SDEI, true, true,
		  "CPU 4: captured, interrupts enabled (DAIF: ----), EL1h, task sh (pid 9), "
		  "running a KVM guest (the host's registers and stack, after it exited)\n" },
		{ 42, 0, false, true,
		  "CPU 4: captured, task sh (pid 9), unknown context 42\n" },
		{ 0, 3, false, false, "CPU 4: captured through unknown path 3\n" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct sn_entry e = {
			.cpu = 4,
			.delivery = SDEI_NMI_DELIVERY_CAPTURED,
			.context = cases[i].context,
			.path = cases[i].path,
			.has_pstate = cases[i].has_pstate,
			.pstate = cases[i].context == SDEI_NMI_CONTEXT_USER ? 0 : 0x5,
			.comm = cases[i].has_task ? "sh" : NULL,
			.has_pid = cases[i].has_task,
			.pid = 9,
		};
		_cleanup_(freep) char *human = CAPTURE(sn_format_entry(f, &e, NULL));

		assert_string_equal(human, cases[i].want);
	}
}

static void test_deliveries(void **state)
{
	const struct sn_format_opts o = { .timeout_ms = 250, .min_interval_ms = 100 };
	_cleanup_(freep) char *human =
		CAPTURE(sn_format_backtrace(f, &sample_backtrace_deliveries, &o));
	_cleanup_(freep) char *unknown =
		CAPTURE(sn_format_backtrace(f, &sample_backtrace_deliveries, NULL));
	_cleanup_(freep) char *json = backtrace_json(&sample_backtrace_deliveries, true);

	assert_matches_file("deliveries.txt", human);
	assert_matches_file("deliveries-no-opts.txt", unknown);
	assert_matches_file("deliveries.json", json);
}

/* Captured, but the kernel said little: no latency, pstate, task or frames. */
static void test_captured_bare(void **state)
{
	struct sn_entry e = {
		.cpu = 5,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.has_pc = true,
		.pc = UINT64_C(0xffff800080001234),
	};
	_cleanup_(freep) char *human = CAPTURE(sn_format_entry(f, &e, NULL));

	assert_string_equal(human, "CPU 5: captured\n pc : ffff800080001234\n");
}

static void test_status(void **state)
{
	_cleanup_(freep) char *active =
		CAPTURE(sn_format_status(f, &sample_status_active));
	_cleanup_(freep) char *inactive =
		CAPTURE(sn_format_status(f, &sample_status_inactive));
	_cleanup_(freep) char *active_json = status_json(&sample_status_active);
	_cleanup_(freep) char *inactive_json = status_json(&sample_status_inactive);

	assert_matches_file("status-active.txt", active);
	assert_matches_file("status-inactive.txt", inactive);
	assert_matches_file("status-active.json", active_json);
	assert_matches_file("status-inactive.json", inactive_json);
}

static void test_pstate(void **state)
{
	static const struct {
		uint64_t pstate;
		const char *daif, *el;
		bool masked;
	} cases[] = {
		{ 0x600002c5, "D-IF", "EL1h", true },
		{ 0x3c5, "DAIF", "EL1h", true },
		{ 0x60000005, "----", "EL1h", false },
		{ 0x80000000, "----", "EL0t", false },
		{ 0x84, "--I-", "EL1t", true },
		{ 0x49, "---F", "EL2h", true },
		{ 0x300, "DA--", "EL0t", false },
		{ 0x10, "----", "AArch32", false },
		{ UINT64_C(0xffffffff00000000), "----", "EL0t", false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char daif[5], el[8];

		assert_string_equal(sn_daif_string(sn_pstate_daif(cases[i].pstate), daif),
				    cases[i].daif);
		assert_string_equal(sn_pstate_el(cases[i].pstate, el), cases[i].el);
		assert_int_equal(sn_pstate_interrupts_masked(cases[i].pstate),
				 cases[i].masked);
	}
}

static void test_names(void **state)
{
	assert_string_equal(sn_state_to_string(SDEI_NMI_STATE_ACTIVE), "active");
	assert_null(sn_state_to_string(2));
	assert_string_equal(sn_delivery_to_string(SDEI_NMI_DELIVERY_RATE_LIMITED),
			    "rate-limited");
	assert_null(sn_delivery_to_string(0));
	assert_string_equal(sn_trigger_to_string(SDEI_NMI_TRIGGER_KERNEL), "kernel");
	assert_null(sn_trigger_to_string(0));
	assert_string_equal(sn_context_to_string(SDEI_NMI_CONTEXT_KERNEL), "kernel");
	assert_string_equal(sn_context_to_string(SDEI_NMI_CONTEXT_USER), "user");
	assert_string_equal(sn_context_to_string(SDEI_NMI_CONTEXT_IDLE), "idle");
	assert_string_equal(sn_context_to_string(SDEI_NMI_CONTEXT_GUEST), "guest");
	assert_null(sn_context_to_string(0));
	assert_null(sn_context_to_string(5));
	assert_string_equal(sn_path_to_string(SDEI_NMI_PATH_SDEI), "sdei");
	assert_string_equal(sn_path_to_string(SDEI_NMI_PATH_IPI), "ipi");
	assert_null(sn_path_to_string(0));
	assert_null(sn_path_to_string(3));
}

/* A full stream is an error, not a silent truncation. */
static void test_stream_error(void **state)
{
	_cleanup_(fclosep) FILE *f = fopen("/dev/full", "we");

	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(sn_format_backtrace(f, &sample_backtrace_reply, NULL), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backtrace_reply),
		cmocka_unit_test(test_backtrace_ntf),
		cmocka_unit_test(test_backtrace_ipi),
		cmocka_unit_test(test_context_path_text),
		cmocka_unit_test(test_deliveries),
		cmocka_unit_test(test_captured_bare),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_pstate),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_stream_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
