/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * OTLP/HTTP JSON (lib/otlp.c): the ExportLogsServiceRequest built from the report
 * fixtures, checked field by field against OTLP's JSON encoding (camelCase, int64 as
 * decimal strings, enums as numbers, nothing unset); the body a kvlistValue that is the
 * report; the severity by kind; the resource's semantic conventions and the user's
 * attributes; the same bytes on every call; reports refused; gzip; the verdict on a
 * status; and the collector's answer (partialSuccess) read.
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
#include <zlib.h>

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
		/* Every key once, the resource's and the record's. */
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

static const struct sn_otlp_resource resource = {
	.service_version = "0.1.0",
	.host_arch = "arm64",
};

/*
 * The JSON an AnyValue stands for, strictly: one kind set (none: null), intValue a
 * decimal string, kvlistValue and arrayValue {"values": [...]} or {} when empty.
 */
static cJSON *from_any_value(const cJSON *v)
{
	const cJSON *x, *values, *e;
	cJSON *out;

	assert_true(cJSON_IsObject(v));
	if (cJSON_GetArraySize(v) == 0)
		return cJSON_CreateNull();
	assert_int_equal(cJSON_GetArraySize(v), 1);
	x = v->child;
	if (strcmp(x->string, "stringValue") == 0) {
		assert_true(cJSON_IsString(x));
		return cJSON_CreateString(x->valuestring);
	}
	if (strcmp(x->string, "intValue") == 0) {
		char *end;
		long long n;

		assert_true(cJSON_IsString(x));
		n = strtoll(x->valuestring, &end, 10);
		assert_true(*x->valuestring && !*end);
		return cJSON_CreateNumber((double)n);
	}
	if (strcmp(x->string, "boolValue") == 0) {
		assert_true(cJSON_IsBool(x));
		return cJSON_CreateBool(cJSON_IsTrue(x));
	}
	if (strcmp(x->string, "doubleValue") == 0) {
		assert_true(cJSON_IsNumber(x));
		return cJSON_CreateNumber(x->valuedouble);
	}
	assert_true(strcmp(x->string, "kvlistValue") == 0 ||
		    strcmp(x->string, "arrayValue") == 0);
	assert_true(cJSON_IsObject(x));
	assert_true(cJSON_GetArraySize(x) <= 1);
	values = cJSON_GetObjectItemCaseSensitive(x, "values");
	assert_true(!values || (cJSON_IsArray(values) && cJSON_GetArraySize(values) > 0));
	if (strcmp(x->string, "arrayValue") == 0) {
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(e, values)
			assert_true(cJSON_AddItemToArray(out, from_any_value(e)));
		return out;
	}
	out = cJSON_CreateObject();
	cJSON_ArrayForEach(e, values)
	{
		assert_int_equal(cJSON_GetArraySize(e), 2);
		assert_true(cJSON_IsString(get(e, "key")));
		assert_null(cJSON_GetObjectItemCaseSensitive(out,
							     get(e, "key")->valuestring));
		assert_true(cJSON_AddItemToObject(out, get(e, "key")->valuestring,
						  from_any_value(get(e, "value"))));
	}
	return out;
}

/* The body is the report, value for value, in its order. */
static void assert_body_is(const cJSON *body, const char *report)
{
	_cleanup_(cJSON_Deletep) cJSON *want = cJSON_Parse(report), *got = NULL;
	_cleanup_(cJSON_freep) char *a = NULL, *b = NULL;

	assert_non_null(want);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(body, "kvlistValue"));
	got = from_any_value(body);
	a = cJSON_PrintUnformatted(want);
	b = cJSON_PrintUnformatted(got);
	assert_string_equal(b, a);
}

static cJSON *build_with(const char *fixture, const struct sn_otlp_resource *res,
			 char **ret_report, size_t *ret_len)
{
	_cleanup_(freep) char *req = NULL, *again = NULL;
	size_t len, req_len, again_len;
	char *report = slurp(fixture, &len);
	cJSON *j;

	assert_int_equal(sn_otlp_logs_request(report, len, NULL, res, &req, &req_len), 0);
	assert_int_equal(strlen(req), req_len);
	/* Derived from the report alone: a retry sends the same bytes. */
	assert_int_equal(sn_otlp_logs_request(report, len, NULL, res, &again, &again_len),
			 0);
	assert_string_equal(req, again);
	j = cJSON_Parse(req);
	assert_non_null(j);
	*ret_report = report;
	*ret_len = len;
	return j;
}

static cJSON *build(const char *fixture, char **ret_report, size_t *ret_len)
{
	return build_with(fixture, &resource, ret_report, ret_len);
}

static void test_hard_lockup(void **state)
{
	_cleanup_(cJSON_freep) char *text = NULL;
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
	assert_int_equal(cJSON_GetArraySize(attrs), 7);
	assert_string_attr(attrs, "service.name", "sdei-nmid");
	assert_string_attr(attrs, "service.version", "0.1.0");
	assert_string_attr(attrs, "host.name", "arm64-lab");
	assert_string_attr(attrs, "host.id", "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
	assert_string_attr(attrs, "host.arch", "arm64");
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
	assert_string_equal(get(rec, "severityText")->valuestring, "FATAL");
	body = get(rec, "body");
	/* The report, structured: a kvlistValue, not a string. */
	assert_int_equal(cJSON_GetArraySize(body), 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(body, "stringValue"));
	assert_body_is(body, report);
	/* Integers are intValue strings, booleans boolValue. */
	text = cJSON_PrintUnformatted(body);
	assert_non_null(strstr(
		text, "{\"key\":\"folded_count\",\"value\":{\"intValue\":\"2\"}}"));
	assert_non_null(
		strstr(text, "{\"key\":\"ready\",\"value\":{\"boolValue\":false}}"));

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
	assert_int_equal(cJSON_GetArraySize(attrs), 6);

	rec = only(get(only(get(rl, "scopeLogs")), "logRecords"));
	assert_string_equal(get(rec, "timeUnixNano")->valuestring, "0");
	assert_int_equal(get(rec, "severityNumber")->valueint, 17);
	assert_string_equal(get(rec, "severityText")->valuestring, "ERROR");
	assert_body_is(get(rec, "body"), report);
	attrs = get(rec, "attributes");
	assert_string_attr(attrs, "sdei_nmi.kind", "soft-lockup");
	assert_string_attr(attrs, "sdei_nmi.cpus", "0,5");
	assert_int_attr(attrs, "sdei_nmi.cpu_count", "2");
	assert_string_attr(attrs, "sdei_nmi.detector", NULL);
	assert_string_attr(attrs, "sdei_nmi.boot_id", NULL);
	assert_string_attr(attrs, "sdei_nmi.firmware_sdei_version", NULL);
	assert_int_equal(cJSON_GetArraySize(attrs), 7);
}

/* The severity follows the kind. */
static void test_severity(void **state)
{
	static const struct {
		const char *fixture;
		int number;
		const char *text;
	} cases[] = {
		{ "hard-lockup.json", 21, "FATAL" },
		{ "rcu-stall.json", 19, "ERROR3" },
		{ "soft-lockup-unavailable.json", 17, "ERROR" },
		{ "sysrq-bpf.json", 9, "INFO" },
	};
	const char *text = NULL;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(freep) char *report = NULL;
		_cleanup_(cJSON_Deletep) cJSON *j = NULL;
		const cJSON *rec;
		size_t len;

		j = build(cases[i].fixture, &report, &len);
		rec = only(get(only(get(only(get(j, "resourceLogs")), "scopeLogs")),
			       "logRecords"));
		assert_int_equal(get(rec, "severityNumber")->valueint, cases[i].number);
		assert_string_equal(get(rec, "severityText")->valuestring, cases[i].text);
		assert_body_is(get(rec, "body"), report);
	}
	assert_int_equal(sn_otlp_severity(SN_INCIDENT_HUNG_TASK, &text), 13);
	assert_string_equal(text, "WARN");
	assert_int_equal(sn_otlp_severity(SN_INCIDENT_OTHER, NULL), 9);
	/* an operator's test of the sinks (sdei-nmictl test-incident): INFO */
	assert_int_equal(sn_otlp_severity(SN_INCIDENT_SYNTHETIC, &text), 9);
	assert_string_equal(text, "INFO");
	assert_int_equal(sn_otlp_severity(_SN_INCIDENT_KIND_MAX, &text), 9);
}

/* service.name from the settings, the user's attributes after ours, ours winning. */
static void test_resource(void **state)
{
	struct sn_otlp_attr attrs[] = {
		{ (char *)"deployment.environment", (char *)"prod" },
		{ (char *)"host.name", (char *)"not-the-report's" },
		{ (char *)"service.name", (char *)"not-this-one" },
		{ (char *)"host.id", (char *)"filled-in" },
	};
	const struct sn_otlp_resource res = {
		.service_name = "fleet-nmid",
		.attrs = attrs,
		.n_attrs = ELEMENTSOF(attrs),
	};
	_cleanup_(freep) char *report = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL, *k = NULL;
	const cJSON *rl, *a;
	size_t len;

	j = build_with("hard-lockup.json", &res, &report, &len);
	rl = only(get(j, "resourceLogs"));
	a = get(get(rl, "resource"), "attributes");
	assert_string_attr(a, "service.name", "fleet-nmid");
	assert_string_attr(a, "host.name", "arm64-lab");
	assert_string_attr(a, "host.id", "b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5");
	assert_string_attr(a, "deployment.environment", "prod");
	/* no version, no arch: left out, the scope's version too */
	assert_string_attr(a, "service.version", NULL);
	assert_string_attr(a, "host.arch", NULL);
	assert_int_equal(cJSON_GetArraySize(a), 6);
	assert_null(cJSON_GetObjectItemCaseSensitive(
		get(only(get(rl, "scopeLogs")), "scope"), "version"));
	free(report);

	/* A report without a host.id: the user's fills it. */
	k = build_with("soft-lockup-unavailable.json", &res, &report, &len);
	a = get(get(only(get(k, "resourceLogs")), "resource"), "attributes");
	assert_string_attr(a, "host.id", "filled-in");
	assert_string_attr(a, "host.name", "no-sdei");
}

static void test_host_arch(void **state)
{
	static const char *const cases[][2] = {
		{ "aarch64", "arm64" }, { "x86_64", "amd64" }, { "i686", "x86" },
		{ "i386", "x86" },	{ "armv7l", "arm32" }, { "ppc64le", "ppc64" },
		{ "ppc", "ppc32" },	{ "s390x", "s390x" },  { "riscv64", "riscv64" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		assert_string_equal(sn_otlp_host_arch(cases[i][0]), cases[i][1]);
	assert_null(sn_otlp_host_arch(""));
	assert_null(sn_otlp_host_arch(NULL));
}

/* OTLP/HTTP: retry 429, 502, 503, 504 only; a 2xx is accepted; anything else set aside.
 */
static void test_verdict(void **state)
{
	static const struct {
		long status;
		enum sn_otlp_verdict v;
		enum sn_otlp_aside why;
	} cases[] = {
		{ 200, SN_OTLP_ACCEPTED, 0 },
		{ 202, SN_OTLP_ACCEPTED, 0 },
		{ 429, SN_OTLP_RETRY, 0 },
		{ 502, SN_OTLP_RETRY, 0 },
		{ 503, SN_OTLP_RETRY, 0 },
		{ 504, SN_OTLP_RETRY, 0 },
		{ 400, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_CLIENT_ERROR },
		{ 401, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_CLIENT_ERROR },
		{ 404, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_CLIENT_ERROR },
		{ 408, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_CLIENT_ERROR },
		{ 413, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_CLIENT_ERROR },
		{ 500, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_SERVER_ERROR },
		{ 501, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_SERVER_ERROR },
		{ 505, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_SERVER_ERROR },
		{ 301, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_UNEXPECTED_STATUS },
		{ 100, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_UNEXPECTED_STATUS },
		{ 0, SN_OTLP_SET_ASIDE, SN_OTLP_ASIDE_UNEXPECTED_STATUS },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		enum sn_otlp_aside why = _SN_OTLP_ASIDE_MAX;

		if (sn_otlp_status_verdict(cases[i].status, &why) != cases[i].v)
			fail_msg("HTTP %ld: not the verdict expected", cases[i].status);
		if (cases[i].v == SN_OTLP_SET_ASIDE)
			assert_int_equal(why, cases[i].why);
		else
			assert_int_equal(why, _SN_OTLP_ASIDE_MAX);
	}
	assert_string_equal(sn_otlp_aside_to_string(SN_OTLP_ASIDE_INVALID_REPORT),
			    "invalid-report");
	assert_string_equal(sn_otlp_aside_to_string(SN_OTLP_ASIDE_REJECTED), "rejected");
	assert_string_equal(sn_otlp_aside_to_string(SN_OTLP_ASIDE_CLIENT_ERROR),
			    "client-error");
	assert_string_equal(sn_otlp_aside_to_string(SN_OTLP_ASIDE_SERVER_ERROR),
			    "server-error");
	assert_string_equal(sn_otlp_aside_to_string(SN_OTLP_ASIDE_UNEXPECTED_STATUS),
			    "unexpected-status");
	assert_null(sn_otlp_aside_to_string(_SN_OTLP_ASIDE_MAX));
}

/* gzip (RFC 1952) that zlib's inflate reads back. */
static void test_gzip(void **state)
{
	_cleanup_(freep) char *report = NULL, *req = NULL, *back = NULL;
	_cleanup_(freep) void *gz = NULL;
	size_t len, req_len, gz_len;
	z_stream z = {};

	report = slurp("hard-lockup.json", &len);
	assert_int_equal(
		sn_otlp_logs_request(report, len, NULL, &resource, &req, &req_len), 0);
	assert_int_equal(sn_otlp_gzip(req, req_len, &gz, &gz_len), 0);
	assert_true(gz_len < req_len);
	/* the gzip magic, deflate */
	assert_int_equal(((unsigned char *)gz)[0], 0x1f);
	assert_int_equal(((unsigned char *)gz)[1], 0x8b);
	assert_int_equal(((unsigned char *)gz)[2], 8);
	back = malloc(req_len + 1);
	assert_non_null(back);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = gz;
	z.avail_in = (uInt)gz_len;
	z.next_out = (Bytef *)back;
	z.avail_out = (uInt)req_len + 1;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, req_len);
	inflateEnd(&z);
	assert_memory_equal(back, req, req_len);
}

static void test_refused(void **state)
{
	_cleanup_(freep) char *report = NULL, *copy = NULL;
	char *req = (char *)"untouched";
	size_t len;

	report = slurp("rcu-stall.json", &len);
	/* The id the spool's name says must be the report's. */
	assert_int_equal(sn_otlp_logs_request(report, len,
					      "7c9e6679-7425-40de-944b-e07fc1f90ae7",
					      NULL, &req, NULL),
			 0);
	free(req);
	req = (char *)"untouched";
	assert_int_equal(sn_otlp_logs_request(report, len,
					      "7c9e6679-7425-40de-944b-e07fc1f90ae8",
					      NULL, &req, NULL),
			 -EBADMSG);
	/* Cut short, bytes after it, a NUL inside, not a report at all. */
	assert_int_equal(sn_otlp_logs_request(report, len - 1, NULL, NULL, &req, NULL),
			 -EBADMSG);
	copy = malloc(len + 8);
	assert_non_null(copy);
	memcpy(copy, report, len);
	memcpy(copy + len, " {}", 3);
	assert_int_equal(sn_otlp_logs_request(copy, len + 3, NULL, NULL, &req, NULL),
			 -EBADMSG);
	copy[10] = '\0';
	assert_int_equal(sn_otlp_logs_request(copy, len, NULL, NULL, &req, NULL),
			 -EBADMSG);
	assert_int_equal(sn_otlp_logs_request("{}", 2, NULL, NULL, &req, NULL), -EBADMSG);
	assert_int_equal(sn_otlp_logs_request("", 0, NULL, NULL, &req, NULL), -EBADMSG);
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
		cmocka_unit_test(test_severity),    cmocka_unit_test(test_resource),
		cmocka_unit_test(test_host_arch),   cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_gzip),	    cmocka_unit_test(test_refused),
		cmocka_unit_test(test_response),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
