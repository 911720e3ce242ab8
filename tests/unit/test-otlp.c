/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * OTLP/HTTP JSON (lib/otlp.c): the ExportLogsServiceRequest built from the report
 * fixtures, checked field by field against OTLP's JSON encoding (camelCase, int64 as
 * decimal strings, enums as numbers, nothing unset); the same bytes on every call;
 * reports refused; and the collector's answer (partialSuccess) read.
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

#include "otlp.h"

static char *slurp(const char *name, size_t *ret_len)
{
	char path[512];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof(path), "%s/reports/%s", FIXTURES_DIR, name);
	f = fopen(path, "re");
	assert_non_null(f);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	/* The fixtures end in a newline; the spool's files do not. */
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	*ret_len = n;
	return buf;
}

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		fail_msg("no \"%s\"", key);
	return v;
}

static const cJSON *only(const cJSON *a)
{
	assert_true(cJSON_IsArray(a));
	assert_int_equal(cJSON_GetArraySize(a), 1);
	return cJSON_GetArrayItem(a, 0);
}

/* The attribute key's value object ({"stringValue": ..}), or NULL; keys once each. */
static const cJSON *attr(const cJSON *attrs, const char *key)
{
	const cJSON *kv, *found = NULL;

	assert_true(cJSON_IsArray(attrs));
	cJSON_ArrayForEach(kv, attrs)
	{
		const cJSON *k = get(kv, "key"), *v = get(kv, "value");

		assert_true(cJSON_IsString(k));
		assert_true(cJSON_IsObject(v));
		assert_int_equal(cJSON_GetArraySize(kv), 2);
		/* One of the kinds an attribute of ours has, and only that. */
		assert_int_equal(cJSON_GetArraySize(v), 1);
		assert_true(cJSON_GetObjectItemCaseSensitive(v, "stringValue") ||
			    cJSON_GetObjectItemCaseSensitive(v, "intValue"));
		if (strcmp(k->valuestring, key) == 0) {
			assert_null(found);
			found = v;
		}
	}
	return found;
}

static void assert_string_attr(const cJSON *attrs, const char *key, const char *want)
{
	const cJSON *v = attr(attrs, key), *s;

	if (!want) {
		assert_null(v);
		return;
	}
	if (!v)
		fail_msg("no attribute %s", key);
	s = get(v, "stringValue");
	assert_true(cJSON_IsString(s));
	assert_string_equal(s->valuestring, want);
}

/* int64 in OTLP JSON: {"intValue": "<decimal>"}, a string. */
static void assert_int_attr(const cJSON *attrs, const char *key, const char *want)
{
	const cJSON *v = attr(attrs, key), *s;

	if (!v)
		fail_msg("no attribute %s", key);
	s = get(v, "intValue");
	assert_true(cJSON_IsString(s));
	assert_string_equal(s->valuestring, want);
}

static cJSON *build(const char *fixture, char **ret_report, size_t *ret_len)
{
	_cleanup_(freep) char *req = NULL, *again = NULL;
	size_t len, req_len, again_len;
	char *report = slurp(fixture, &len);
	cJSON *j;

	assert_int_equal(sn_otlp_logs_request(report, len, NULL, "0.1.0", &req, &req_len),
			 0);
	assert_int_equal(strlen(req), req_len);
	/* Derived from the report alone: a retry sends the same bytes. */
	assert_int_equal(
		sn_otlp_logs_request(report, len, NULL, "0.1.0", &again, &again_len), 0);
	assert_string_equal(req, again);
	j = cJSON_Parse(req);
	assert_non_null(j);
	*ret_report = report;
	*ret_len = len;
	return j;
}

static void test_hard_lockup(void **state)
{
	_cleanup_(freep) char *report = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	const cJSON *rl, *res, *sl, *scope, *rec, *body, *attrs;
	size_t len;

	j = build("hard-lockup.json", &report, &len);
	assert_int_equal(cJSON_GetArraySize(j), 1);
	rl = only(get(j, "resourceLogs"));
	assert_int_equal(cJSON_GetArraySize(rl), 2); /* resource, scopeLogs */

	res = get(rl, "resource");
	assert_int_equal(cJSON_GetArraySize(res), 1);
	attrs = get(res, "attributes");
	assert_int_equal(cJSON_GetArraySize(attrs), 6);
	assert_string_attr(attrs, "service.name", "sdei-nmid");
	assert_string_attr(attrs, "service.version", "0.1.0");
	assert_string_attr(attrs, "host.name", "arm64-lab");
	assert_string_attr(attrs, "host.id", "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
	assert_string_attr(attrs, "os.type", "linux");
	assert_string_attr(attrs, "os.version", "7.2.0-sdei-nmi+");

	sl = only(get(rl, "scopeLogs"));
	assert_int_equal(cJSON_GetArraySize(sl), 2); /* scope, logRecords */
	scope = get(sl, "scope");
	assert_string_equal(get(scope, "name")->valuestring, "sdei-nmid");
	assert_string_equal(get(scope, "version")->valuestring, "0.1.0");

	rec = only(get(sl, "logRecords"));
	/* No traceId, spanId, flags: unset fields are left out. */
	assert_int_equal(cJSON_GetArraySize(rec), 6);
	/* 2026-11-02T10:04:05.123456Z and 10:04:07.000001Z, as decimal strings. */
	assert_true(cJSON_IsString(get(rec, "timeUnixNano")));
	assert_string_equal(get(rec, "timeUnixNano")->valuestring, "1793613845123456000");
	assert_string_equal(get(rec, "observedTimeUnixNano")->valuestring,
			    "1793613847000001000");
	assert_true(cJSON_IsNumber(get(rec, "severityNumber")));
	assert_int_equal(get(rec, "severityNumber")->valueint, 21);
	assert_string_equal(get(rec, "severityText")->valuestring, "CRITICAL");
	body = get(rec, "body");
	assert_int_equal(cJSON_GetArraySize(body), 1);
	/* The report, byte for byte. */
	assert_string_equal(get(body, "stringValue")->valuestring, report);

	attrs = get(rec, "attributes");
	assert_int_equal(cJSON_GetArraySize(attrs), 10);
	assert_string_attr(attrs, "log.record.uid",
			   "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	assert_string_attr(attrs, "sdei_nmi.report.id",
			   "0d2f5b8e-6a41-4c3e-9f7a-1b2c3d4e5f60");
	assert_string_attr(attrs, "sdei_nmi.kind", "hard-lockup");
	assert_string_attr(attrs, "sdei_nmi.cpus", "2");
	assert_int_attr(attrs, "sdei_nmi.cpu_count", "1");
	assert_string_attr(attrs, "sdei_nmi.detector", "buddy");
	assert_int_attr(attrs, "sdei_nmi.folded_count", "2");
	assert_string_attr(attrs, "sdei_nmi.boot_id",
			   "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
	assert_string_attr(attrs, "sdei_nmi.firmware_sdei_version", "1.1");
	assert_string_attr(attrs, "sdei_nmi.schema", "sdei-nmi.report/1");
}

static void test_partial_host(void **state)
{
	_cleanup_(freep) char *report = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	const cJSON *rl, *rec, *attrs;
	size_t len;

	/* A host known in part, no detector, two CPUs, the epoch. */
	j = build("soft-lockup-unavailable.json", &report, &len);
	rl = only(get(j, "resourceLogs"));
	attrs = get(get(rl, "resource"), "attributes");
	assert_string_attr(attrs, "host.name", "no-sdei");
	assert_string_attr(attrs, "host.id", NULL);
	assert_string_attr(attrs, "os.version", "6.12.0");
	assert_int_equal(cJSON_GetArraySize(attrs), 5);

	rec = only(get(only(get(rl, "scopeLogs")), "logRecords"));
	assert_string_equal(get(rec, "timeUnixNano")->valuestring, "0");
	attrs = get(rec, "attributes");
	assert_string_attr(attrs, "sdei_nmi.kind", "soft-lockup");
	assert_string_attr(attrs, "sdei_nmi.cpus", "0,5");
	assert_int_attr(attrs, "sdei_nmi.cpu_count", "2");
	assert_string_attr(attrs, "sdei_nmi.detector", NULL);
	assert_string_attr(attrs, "sdei_nmi.boot_id", NULL);
	assert_string_attr(attrs, "sdei_nmi.firmware_sdei_version", NULL);
	assert_int_equal(cJSON_GetArraySize(attrs), 7);
}

/* A synthetic incident (sdei-nmictl test-incident) is a test of the sinks: INFO. */
static void test_synthetic(void **state)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	_cleanup_(freep) char *report = NULL, *req = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	struct sn_report_time t = { .realtime_usec = 1793613845123456,
				    .monotonic_ns = 5000000000 };
	const cJSON *rec;
	size_t len, req_len;

	assert_int_equal(sn_report_new(SN_INCIDENT_SYNTHETIC, &r), 0);
	assert_int_equal(sn_report_set_detector(r, "sdei-nmictl"), 0);
	sn_report_seen(r, &t);
	assert_int_equal(sn_report_serialize(r, &report, &len), 0);
	assert_int_equal(sn_otlp_logs_request(report, len, NULL, "0.1.0", &req, &req_len),
			 0);
	j = cJSON_Parse(req);
	assert_non_null(j);
	rec = only(
		get(only(get(only(get(j, "resourceLogs")), "scopeLogs")), "logRecords"));
	assert_int_equal(get(rec, "severityNumber")->valueint, 9);
	assert_string_equal(get(rec, "severityText")->valuestring, "INFO");
	assert_string_attr(get(rec, "attributes"), "sdei_nmi.kind", "synthetic");
	assert_string_attr(get(rec, "attributes"), "sdei_nmi.detector", "sdei-nmictl");
	assert_int_attr(get(rec, "attributes"), "sdei_nmi.cpu_count", "0");
}

static void test_refused(void **state)
{
	_cleanup_(freep) char *report = NULL, *copy = NULL;
	char *req = (char *)"untouched";
	size_t len;

	report = slurp("rcu-stall.json", &len);
	/* The id the spool's name says must be the report's. */
	assert_int_equal(sn_otlp_logs_request(report, len,
					      "7c9e6679-7425-40de-944b-e07fc1f90ae7", "1",
					      &req, NULL),
			 0);
	free(req);
	req = (char *)"untouched";
	assert_int_equal(sn_otlp_logs_request(report, len,
					      "7c9e6679-7425-40de-944b-e07fc1f90ae8", "1",
					      &req, NULL),
			 -EBADMSG);
	/* Cut short, bytes after it, a NUL inside, not a report at all. */
	assert_int_equal(sn_otlp_logs_request(report, len - 1, NULL, "1", &req, NULL),
			 -EBADMSG);
	copy = malloc(len + 8);
	assert_non_null(copy);
	memcpy(copy, report, len);
	memcpy(copy + len, " {}", 3);
	assert_int_equal(sn_otlp_logs_request(copy, len + 3, NULL, "1", &req, NULL),
			 -EBADMSG);
	copy[10] = '\0';
	assert_int_equal(sn_otlp_logs_request(copy, len, NULL, "1", &req, NULL),
			 -EBADMSG);
	assert_int_equal(sn_otlp_logs_request("{}", 2, NULL, "1", &req, NULL), -EBADMSG);
	assert_int_equal(sn_otlp_logs_request("", 0, NULL, "1", &req, NULL), -EBADMSG);
	assert_string_equal(req, "untouched");
}

static void test_response(void **state)
{
	static const struct {
		const char *body;
		int r;
		uint64_t rejected;
		const char *message;
	} cases[] = {
		{ "", 0, 0, NULL },
		{ " \r\n", 0, 0, NULL },
		{ "{}", 0, 0, NULL },
		{ "{\"partialSuccess\":{}}", 0, 0, NULL },
		{ "{\"partialSuccess\":null}", 0, 0, NULL },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":\"1\","
		  "\"errorMessage\":\"too old\"}}",
		  0, 1, "too old" },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":2}}", 0, 2, NULL },
		{ "{\"partialSuccess\":{\"errorMessage\":\"bad\\nline\\u0001\"}}", 0, 0,
		  "bad?line?" },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":-1}}", -EBADMSG, 0, NULL },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":1.5}}", -EBADMSG, 0,
		  NULL },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":\"x\"}}", -EBADMSG, 0,
		  NULL },
		{ "{\"partialSuccess\":{\"rejectedLogRecords\":\"\"}}", -EBADMSG, 0,
		  NULL },
		{ "{\"partialSuccess\":{\"errorMessage\":5}}", -EBADMSG, 0, NULL },
		{ "{\"partialSuccess\":[]}", -EBADMSG, 0, NULL },
		{ "[]", -EBADMSG, 0, NULL },
		{ "not json", -EBADMSG, 0, NULL },
		{ "{\"partialSuccess\":", -EBADMSG, 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t rejected = 99;
		char *message = (char *)"untouched";
		int r;

		r = sn_otlp_parse_response(cases[i].body, strlen(cases[i].body),
					   &rejected, &message);
		if (r != cases[i].r)
			fail_msg("%s: %d, expected %d", cases[i].body, r, cases[i].r);
		if (r < 0) {
			assert_int_equal(rejected, 99);
			assert_string_equal(message, "untouched");
			continue;
		}
		assert_int_equal(rejected, cases[i].rejected);
		if (cases[i].message)
			assert_string_equal(message, cases[i].message);
		else
			assert_null(message);
		free(message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hard_lockup), cmocka_unit_test(test_partial_host),
		cmocka_unit_test(test_synthetic),   cmocka_unit_test(test_refused),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
