/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The OTLP sink's settings (lib/otlp-config.c): OpenTelemetry's environment variables
 * (the endpoint with /v1/logs appended, per-signal over generic, baggage-style lists
 * percent-decoded, milliseconds, gzip, TLS files, the protocol, the resource), what a
 * bad value does (warned, ignored, no secret in the warning), the credentials
 * directory, and the precedence of the command line, the files, the credentials and
 * the environment.
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

#include "otlp-config.h"
#include "util.h"

/* ---- a fake environment: NULL-terminated name, value pairs ---- */

struct fake_env {
	const char *const *vars;
	char warnings[8][512];
	size_t n_warnings;
};

static const char *fake_get(const char *name, void *userdata)
{
	struct fake_env *e = userdata;

	for (size_t i = 0; e->vars[i]; i += 2)
		if (strcmp(e->vars[i], name) == 0)
			return e->vars[i + 1];
	return NULL;
}

static void fake_warn(const char *message, void *userdata)
{
	struct fake_env *e = userdata;

	assert_true(e->n_warnings < ELEMENTSOF(e->warnings));
	snprintf(e->warnings[e->n_warnings++], sizeof(e->warnings[0]), "%s", message);
}

static void from_env(struct fake_env *e, struct sn_otlp_settings *s)
{
	assert_int_equal(sn_otlp_settings_from_env(fake_get, fake_warn, e, s), 0);
}

static const char *attr_value(const struct sn_otlp_settings *s, const char *key)
{
	for (size_t i = 0; i < s->n_resource; i++)
		if (strcmp(s->resource[i].key, key) == 0)
			return s->resource[i].value;
	return NULL;
}

static void test_logs_endpoint(void **state)
{
	static const char *const cases[][2] = {
		{ "http://collector:4318", "http://collector:4318/v1/logs" },
		{ "http://collector:4318/", "http://collector:4318/v1/logs" },
		{ "https://otel.example/base", "https://otel.example/base/v1/logs" },
		{ "https://otel.example/base/", "https://otel.example/base/v1/logs" },
	};
	static const char *const bad[] = { "collector:4318", "ftp://c/",
					   "http://c:4318?a=1", "http://c#x",
					   "http:// c" };

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(freep) char *url = NULL;

		assert_int_equal(sn_otlp_logs_endpoint(cases[i][0], &url), 0);
		assert_string_equal(url, cases[i][1]);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *url = (char *)"untouched";

		if (sn_otlp_logs_endpoint(bad[i], &url) != -EINVAL)
			fail_msg("%s taken", bad[i]);
		assert_string_equal(url, "untouched");
	}
}

static void test_key_values(void **state)
{
	static const char *const bad[] = {
		"a",	"=1",	 "a=1,b",  "a=%zz",    "a=%",
		"a=%4", "a=%0a", "a=%00b", "a=x\tb=%", "k\x01=1",
	};
	struct sn_otlp_attr *a = NULL;
	size_t n = 99;
	char many[1024] = "";

	assert_int_equal(sn_otlp_parse_key_values(" a = 1 , ,b=%20x%2C%3d ,", &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].key, "a");
	assert_string_equal(a[0].value, "1");
	assert_string_equal(a[1].key, "b");
	/* Trimmed before decoding: an encoded space stays. */
	assert_string_equal(a[1].value, " x,=");
	sn_otlp_attrs_free(a, n);

	/* A later key replaces an earlier one; an empty value is a value. */
	assert_int_equal(sn_otlp_parse_key_values("k=1,e=,k=2", &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].value, "2");
	assert_string_equal(a[1].value, "");
	sn_otlp_attrs_free(a, n);

	assert_int_equal(sn_otlp_parse_key_values("", &a, &n), 0);
	assert_int_equal(n, 0);
	sn_otlp_attrs_free(a, n);

	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		a = (struct sn_otlp_attr *)1;
		if (sn_otlp_parse_key_values(bad[i], &a, &n) != -EINVAL)
			fail_msg("'%s' taken", bad[i]);
		assert_ptr_equal(a, (struct sn_otlp_attr *)1);
	}
	for (unsigned i = 0; i <= SN_OTLP_MAX_LIST; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "k%u=v,", i);
	assert_int_equal(sn_otlp_parse_key_values(many, &a, &n), -EINVAL);
}

static void test_header_lines(void **state)
{
	static const char text[] = "# the collector's token\r\n"
				   "Authorization: Bearer abc\r\n"
				   "\n"
				   "X-Scope-OrgID:\tfleet-1";
	char **h = NULL;
	size_t n = 0;
	unsigned line = 0;
	char many[2048] = "";

	assert_int_equal(sn_otlp_parse_header_lines(text, strlen(text), &h, &n, &line),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(h[0], "Authorization: Bearer abc");
	assert_string_equal(h[1], "X-Scope-OrgID:\tfleet-1");
	sn_strv_free(h, n);

	assert_int_equal(
		sn_otlp_parse_header_lines("A: 1\nno colon\n", 14, &h, &n, &line),
		-EINVAL);
	assert_int_equal(line, 2);
	assert_int_equal(
		sn_otlp_parse_header_lines("Content-Encoding: br\n", 21, &h, &n, &line),
		-EINVAL);
	assert_int_equal(line, 1);
	assert_int_equal(sn_otlp_parse_header_lines("A: 1\0", 5, &h, &n, &line), -EINVAL);
	for (unsigned i = 0; i <= SN_CONFIG_MAX_OTLP_HEADERS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "X-%u: v\n",
			 i);
	assert_int_equal(sn_otlp_parse_header_lines(many, strlen(many), &h, &n, &line),
			 -EINVAL);
	assert_int_equal(line, SN_CONFIG_MAX_OTLP_HEADERS + 1);
}

/* The generic variables alone. */
static void test_env_generic(void **state)
{
	static const char *const vars[] = {
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"http://collector:4318",
		"OTEL_EXPORTER_OTLP_HEADERS",
		"Authorization=Bearer%20abc, X-Scope-OrgID=a%2Cb",
		"OTEL_EXPORTER_OTLP_TIMEOUT",
		"2500",
		"OTEL_EXPORTER_OTLP_COMPRESSION",
		"gzip",
		"OTEL_EXPORTER_OTLP_CERTIFICATE",
		"/etc/ca.pem",
		"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
		"/etc/client.pem",
		"OTEL_EXPORTER_OTLP_CLIENT_KEY",
		"/etc/client.key",
		"OTEL_EXPORTER_OTLP_PROTOCOL",
		"http/json",
		"OTEL_RESOURCE_ATTRIBUTES",
		"service.name=fleet,deployment.environment=prod%2Ceu",
		NULL,
	};
	struct fake_env e = { .vars = vars };
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {};

	from_env(&e, &s);
	assert_int_equal(e.n_warnings, 0);
	assert_string_equal(s.url, "http://collector:4318/v1/logs");
	assert_int_equal(s.n_headers, 2);
	assert_string_equal(s.headers[0], "Authorization: Bearer abc");
	assert_string_equal(s.headers[1], "X-Scope-OrgID: a,b");
	assert_int_equal(s.timeout_ms, 2500);
	assert_int_equal(s.compression, SN_CONFIG_OTLP_COMPRESSION_GZIP);
	assert_string_equal(s.ca_file, "/etc/ca.pem");
	assert_string_equal(s.client_certificate, "/etc/client.pem");
	assert_string_equal(s.client_key, "/etc/client.key");
	/* service.name from the attributes, OTEL_SERVICE_NAME being unset */
	assert_string_equal(s.service_name, "fleet");
	assert_int_equal(s.n_resource, 2);
	assert_string_equal(attr_value(&s, "deployment.environment"), "prod,eu");
}

/* The per-signal variables win, whatever the generic ones say; empty is unset. */
static void test_env_per_signal(void **state)
{
	static const char *const vars[] = {
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
		"http://logs:4318/custom/path",
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"http://generic:4318",
		"OTEL_EXPORTER_OTLP_LOGS_HEADERS",
		"X-Logs=1",
		"OTEL_EXPORTER_OTLP_HEADERS",
		"X-Generic=1",
		"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
		"100",
		"OTEL_EXPORTER_OTLP_TIMEOUT",
		"200",
		"OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
		"none",
		"OTEL_EXPORTER_OTLP_COMPRESSION",
		"gzip",
		"OTEL_EXPORTER_OTLP_LOGS_CERTIFICATE",
		"/logs-ca.pem",
		"OTEL_EXPORTER_OTLP_CERTIFICATE",
		"/ca.pem",
		"OTEL_EXPORTER_OTLP_LOGS_CLIENT_KEY",
		"",
		"OTEL_EXPORTER_OTLP_CLIENT_KEY",
		"/generic.key",
		"OTEL_EXPORTER_OTLP_LOGS_PROTOCOL",
		"http/json",
		"OTEL_EXPORTER_OTLP_PROTOCOL",
		"grpc",
		"OTEL_SERVICE_NAME",
		"named",
		"OTEL_RESOURCE_ATTRIBUTES",
		"service.name=other",
		NULL,
	};
	static const char *const empty_vars[] = {
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
		"",
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"https://generic/",
		"OTEL_SERVICE_NAME",
		"",
		NULL,
	};
	struct fake_env e = { .vars = vars }, e2 = { .vars = empty_vars };
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {}, s2 = {};

	from_env(&e, &s);
	assert_int_equal(e.n_warnings, 0); /* grpc is the generic one's: not used */
	assert_string_equal(s.url, "http://logs:4318/custom/path");
	assert_int_equal(s.n_headers, 1);
	assert_string_equal(s.headers[0], "X-Logs: 1");
	assert_int_equal(s.timeout_ms, 100);
	assert_int_equal(s.compression, SN_CONFIG_OTLP_COMPRESSION_NONE);
	assert_string_equal(s.ca_file, "/logs-ca.pem");
	assert_string_equal(s.client_key, "/generic.key");
	assert_string_equal(s.service_name, "named");

	from_env(&e2, &s2);
	assert_int_equal(e2.n_warnings, 0);
	assert_string_equal(s2.url, "https://generic/v1/logs");
	assert_null(s2.service_name);
	assert_int_equal(s2.timeout_ms, 0);
}

/* Bad values: each warned about, naming its variable, and ignored. */
static void test_env_bad(void **state)
{
	static const char *const vars[] = {
		"OTEL_EXPORTER_OTLP_ENDPOINT",
		"collector:4318",
		"OTEL_EXPORTER_OTLP_HEADERS",
		"Authorization=Bearer%20s3cret,broken",
		"OTEL_EXPORTER_OTLP_TIMEOUT",
		"10s",
		"OTEL_EXPORTER_OTLP_COMPRESSION",
		"zstd",
		"OTEL_EXPORTER_OTLP_PROTOCOL",
		"http/protobuf",
		"OTEL_RESOURCE_ATTRIBUTES",
		"k=v,novalue",
		NULL,
	};
	static const char *const more[] = {
		"OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
		"localhost:4318/v1/logs",
		"OTEL_EXPORTER_OTLP_LOGS_TIMEOUT",
		"300001",
		"OTEL_EXPORTER_OTLP_HEADERS",
		"Content-Type=text/plain",
		NULL,
	};
	static const char *const names[] = {
		"OTEL_EXPORTER_OTLP_ENDPOINT=",
		"OTEL_EXPORTER_OTLP_HEADERS ",
		"OTEL_EXPORTER_OTLP_TIMEOUT=",
		"OTEL_EXPORTER_OTLP_COMPRESSION=",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf is not supported",
		"OTEL_RESOURCE_ATTRIBUTES=",
	};
	struct fake_env e = { .vars = vars }, e2 = { .vars = more };
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {}, s2 = {};

	from_env(&e, &s);
	assert_int_equal(e.n_warnings, ELEMENTSOF(names));
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		if (!strstr(e.warnings[i], names[i]))
			fail_msg("warning %zu: '%s', expected '%s'", i, e.warnings[i],
				 names[i]);
		/* The headers' value may be a secret: never in a log. */
		assert_null(strstr(e.warnings[i], "s3cret"));
	}
	assert_null(s.url);
	assert_int_equal(s.n_headers, 0);
	assert_int_equal(s.timeout_ms, 0);
	assert_int_equal(s.compression, SN_CONFIG_OTLP_COMPRESSION_UNSET);
	assert_int_equal(s.n_resource, 0);

	from_env(&e2, &s2);
	assert_int_equal(e2.n_warnings, 3);
	assert_null(s2.url);
	assert_int_equal(s2.timeout_ms, 0);
	assert_int_equal(s2.n_headers, 0);
}

static void test_from_config(void **state)
{
	char *headers[] = { (char *)"Authorization: Bearer f", (char *)"X-A: 1" };
	struct sn_config c = {
		.otlp_url = (char *)"https://c/v1/logs",
		.otlp_timeout_sec = 30,
		.otlp_headers = headers,
		.n_otlp_headers = 2,
		.otlp_compression = SN_CONFIG_OTLP_COMPRESSION_GZIP,
	};
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {};

	assert_int_equal(sn_otlp_settings_from_config(&c, &s), 0);
	assert_string_equal(s.url, "https://c/v1/logs");
	assert_int_equal(s.timeout_ms, 30000);
	assert_int_equal(s.n_headers, 2);
	assert_string_equal(s.headers[1], "X-A: 1");
	assert_int_equal(s.compression, SN_CONFIG_OTLP_COMPRESSION_GZIP);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_credentials(void **state)
{
	char dir[] = "/tmp/test-otlp-config.XXXXXX", path[512];
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {}, none = {};
	_cleanup_(freep) char *error = NULL;
	struct sn_otlp_settings untouched = { .url = (char *)"u" };

	assert_non_null(mkdtemp(dir));
	/* None: nothing set. */
	assert_int_equal(sn_otlp_settings_from_credentials(dir, &none, &error), 0);
	assert_null(none.ca_file);
	assert_int_equal(none.n_headers, 0);
	assert_int_equal(sn_otlp_settings_from_credentials(NULL, &none, &error), 0);

	snprintf(path, sizeof(path), "%s/otlp-headers", dir);
	write_file(path, "Authorization: Bearer cred\n# no more\n");
	snprintf(path, sizeof(path), "%s/otlp-ca", dir);
	write_file(path, "-----BEGIN CERTIFICATE-----\n");
	snprintf(path, sizeof(path), "%s/otlp-client-key", dir);
	write_file(path, "-----BEGIN PRIVATE KEY-----\n");
	assert_int_equal(sn_otlp_settings_from_credentials(dir, &s, &error), 0);
	assert_null(error);
	assert_int_equal(s.n_headers, 1);
	assert_string_equal(s.headers[0], "Authorization: Bearer cred");
	snprintf(path, sizeof(path), "%s/otlp-ca", dir);
	assert_string_equal(s.ca_file, path);
	snprintf(path, sizeof(path), "%s/otlp-client-key", dir);
	assert_string_equal(s.client_key, path);
	assert_null(s.client_certificate);
	assert_null(s.url);

	/* A bad header line: its file and line said. */
	snprintf(path, sizeof(path), "%s/otlp-headers", dir);
	write_file(path, "A: 1\nAuthorization Bearer x\n");
	assert_int_equal(sn_otlp_settings_from_credentials(dir, &untouched, &error),
			 -EINVAL);
	assert_string_equal(untouched.url, "u");
	assert_non_null(error);
	assert_non_null(strstr(error, "otlp-headers:2: not 'Name: value'"));
	assert_null(strstr(error, "Bearer"));

	unlink(path);
	snprintf(path, sizeof(path), "%s/otlp-ca", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/otlp-client-key", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* The command line, the files, the credentials, the environment: first set wins;
 * headers add up, a name set above drops the ones below. */
static void test_merge(void **state)
{
	char *file_headers[] = { (char *)"Authorization: Bearer file", (char *)"X-F: 1" };
	char *cred_headers[] = { (char *)"authorization: Bearer cred", (char *)"X-C: 1" };
	char *env_headers[] = { (char *)"X-E: 1", (char *)"x-f: env" };
	struct sn_otlp_attr env_attrs[] = {
		{ (char *)"deployment.environment", (char *)"prod" },
	};
	const struct sn_otlp_settings cmdline = {
		.url = (char *)"http://cmdline/v1/logs"
	};
	const struct sn_otlp_settings file = {
		.url = (char *)"http://file/v1/logs",
		.timeout_ms = 30000,
		.headers = file_headers,
		.n_headers = 2,
		.compression = SN_CONFIG_OTLP_COMPRESSION_NONE,
	};
	const struct sn_otlp_settings cred = {
		.headers = cred_headers,
		.n_headers = 2,
		.ca_file = (char *)"/run/credentials/sdei-nmid.service/otlp-ca",
		.client_key = (char *)"/cred.key",
	};
	const struct sn_otlp_settings env = {
		.url = (char *)"http://env/v1/logs",
		.timeout_ms = 5,
		.headers = env_headers,
		.n_headers = 2,
		.compression = SN_CONFIG_OTLP_COMPRESSION_GZIP,
		.ca_file = (char *)"/env-ca.pem",
		.client_key = (char *)"/env.key",
		.client_certificate = (char *)"/env.pem",
		.service_name = (char *)"svc",
		.resource = env_attrs,
		.n_resource = 1,
	};
	static const char *const want_headers[] = {
		"Authorization: Bearer file",
		"X-F: 1",
		"X-C: 1",
		"X-E: 1",
	};
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings s = {}, only_env = {},
								 copy = {};

	assert_int_equal(sn_otlp_settings_merge(
				 (const struct sn_otlp_settings *const[]){
					 &cmdline, &file, &cred, &env },
				 4, &s),
			 0);
	assert_string_equal(s.url, "http://cmdline/v1/logs");
	assert_int_equal(s.timeout_ms, 30000);
	assert_int_equal(s.compression, SN_CONFIG_OTLP_COMPRESSION_NONE);
	assert_string_equal(s.ca_file, "/run/credentials/sdei-nmid.service/otlp-ca");
	assert_string_equal(s.client_key, "/cred.key");
	assert_string_equal(s.client_certificate, "/env.pem");
	assert_string_equal(s.service_name, "svc");
	assert_int_equal(s.n_headers, ELEMENTSOF(want_headers));
	for (size_t i = 0; i < ELEMENTSOF(want_headers); i++)
		assert_string_equal(s.headers[i], want_headers[i]);
	assert_int_equal(s.n_resource, 1);
	assert_string_equal(s.resource[0].value, "prod");

	/* Nothing explicit: the environment's. */
	assert_int_equal(sn_otlp_settings_merge(
				 (const struct sn_otlp_settings *const[]){
					 &(struct sn_otlp_settings){}, &env },
				 2, &only_env),
			 0);
	assert_string_equal(only_env.url, "http://env/v1/logs");
	assert_int_equal(only_env.timeout_ms, 5);
	assert_int_equal(only_env.n_headers, 2);
	assert_int_equal(only_env.compression, SN_CONFIG_OTLP_COMPRESSION_GZIP);

	/* A copy is equal; a change is seen (a reload makes the sink again). */
	assert_int_equal(sn_otlp_settings_copy(&s, &copy), 0);
	assert_true(sn_otlp_settings_equal(&s, &copy));
	assert_false(sn_otlp_settings_equal(&s, &only_env));
	free(copy.headers[3]);
	copy.headers[3] = strdup("X-E: 2");
	assert_false(sn_otlp_settings_equal(&s, &copy));
	copy.compression = SN_CONFIG_OTLP_COMPRESSION_GZIP;
	free(copy.headers[3]);
	copy.headers[3] = strdup("X-E: 1");
	assert_false(sn_otlp_settings_equal(&s, &copy));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logs_endpoint),  cmocka_unit_test(test_key_values),
		cmocka_unit_test(test_header_lines),   cmocka_unit_test(test_env_generic),
		cmocka_unit_test(test_env_per_signal), cmocka_unit_test(test_env_bad),
		cmocka_unit_test(test_from_config),    cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
