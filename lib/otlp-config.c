/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otlp-config.h"
#include "util.h"

/* The otlp-headers credential: at most 16 lines of a few hundred bytes. */
#define MAX_CREDENTIAL (64 * 1024)

void sn_otlp_attrs_free(struct sn_otlp_attr *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		free(a[i].key);
		free(a[i].value);
	}
	free(a);
}

void sn_otlp_settings_done(struct sn_otlp_settings *s)
{
	free(s->url);
	sn_strv_free(s->headers, s->n_headers);
	free(s->ca_file);
	free(s->client_certificate);
	free(s->client_key);
	free(s->service_name);
	sn_otlp_attrs_free(s->resource, s->n_resource);
	*s = (struct sn_otlp_settings){};
}

static int strdup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	if (s && !(*ret = strdup(s)))
		return -ENOMEM;
	return 0;
}

static int strv_append(char ***v, size_t *n, const char *s)
{
	char **w = reallocarray(*v, *n + 1, sizeof(char *));

	if (!w)
		return -ENOMEM;
	*v = w;
	if (!(w[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* Sets key to value in a, replacing an earlier one; copies both. */
static int attr_set(struct sn_otlp_attr **a, size_t *n, const char *key,
		    const char *value)
{
	struct sn_otlp_attr *b;
	char *v = strdup(value);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*a)[i].key, key) == 0) {
			free((*a)[i].value);
			(*a)[i].value = v;
			return 0;
		}
	b = reallocarray(*a, *n + 1, sizeof(*b));
	if (!b) {
		free(v);
		return -ENOMEM;
	}
	*a = b;
	b[*n] = (struct sn_otlp_attr){ .key = strdup(key), .value = v };
	if (!b[*n].key) {
		free(v);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

int sn_otlp_settings_copy(const struct sn_otlp_settings *src,
			  struct sn_otlp_settings *ret)
{
	struct sn_otlp_settings c = {
		.timeout_ms = src->timeout_ms,
		.compression = src->compression,
	};
	int k = 0;

	if (k >= 0)
		k = strdup_or_null(src->url, &c.url);
	if (k >= 0)
		k = strdup_or_null(src->ca_file, &c.ca_file);
	if (k >= 0)
		k = strdup_or_null(src->client_certificate, &c.client_certificate);
	if (k >= 0)
		k = strdup_or_null(src->client_key, &c.client_key);
	if (k >= 0)
		k = strdup_or_null(src->service_name, &c.service_name);
	for (size_t i = 0; k >= 0 && i < src->n_headers; i++)
		k = strv_append(&c.headers, &c.n_headers, src->headers[i]);
	for (size_t i = 0; k >= 0 && i < src->n_resource; i++)
		k = attr_set(&c.resource, &c.n_resource, src->resource[i].key,
			     src->resource[i].value);
	if (k < 0) {
		sn_otlp_settings_done(&c);
		return k;
	}
	*ret = c;
	return 0;
}

static bool str_equal(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

bool sn_otlp_settings_equal(const struct sn_otlp_settings *a,
			    const struct sn_otlp_settings *b)
{
	if (!str_equal(a->url, b->url) || a->timeout_ms != b->timeout_ms ||
	    a->compression != b->compression || !str_equal(a->ca_file, b->ca_file) ||
	    !str_equal(a->client_certificate, b->client_certificate) ||
	    !str_equal(a->client_key, b->client_key) ||
	    !str_equal(a->service_name, b->service_name) ||
	    a->n_headers != b->n_headers || a->n_resource != b->n_resource)
		return false;
	for (size_t i = 0; i < a->n_headers; i++)
		if (strcmp(a->headers[i], b->headers[i]) != 0)
			return false;
	for (size_t i = 0; i < a->n_resource; i++)
		if (strcmp(a->resource[i].key, b->resource[i].key) != 0 ||
		    strcmp(a->resource[i].value, b->resource[i].value) != 0)
			return false;
	return true;
}

int sn_otlp_logs_endpoint(const char *base, char **ret)
{
	const char *host, *path;
	char *url;

	if (!sn_config_otlp_url_valid(base))
		return -EINVAL;
	/* The path: after the scheme's "//" and the authority. */
	host = strstr(base, "://") + 3;
	path = host + strcspn(host, "/?#");
	if (*path == '?' || *path == '#')
		return -EINVAL; /* a query or fragment has no place in a base */
	if (asprintf(&url, "%s%sv1/logs", base,
		     *path && path[strlen(path) - 1] == '/' ? "" : "/") < 0)
		return -ENOMEM;
	*ret = url;
	return 0;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* [s, s + n) trimmed and percent-decoded into a new string; -EINVAL for a bad escape
 * or a decoded control character (a NUL among them). */
static int decode(const char *s, size_t n, char **ret)
{
	char *out, *o;

	while (n > 0 && is_ows(*s))
		s++, n--;
	while (n > 0 && is_ows(s[n - 1]))
		n--;
	out = o = malloc(n + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? sn_hex_value(s[i + 1]) : -1;
			int lo = i + 2 < n ? sn_hex_value(s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				free(out);
				return -EINVAL;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return -EINVAL;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	*ret = out;
	return 0;
}

int sn_otlp_parse_key_values(const char *list, struct sn_otlp_attr **ret, size_t *ret_n)
{
	struct sn_otlp_attr *a = NULL;
	size_t n = 0, members = 0;
	const char *p = list;
	int k = 0;

	if (strlen(list) > SN_OTLP_MAX_LIST_LEN)
		return -EINVAL;
	while (k >= 0 && *p) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		_cleanup_(freep) char *key = NULL, *value = NULL;
		size_t blank = 0;

		while (blank < len && is_ows(p[blank]))
			blank++;
		if (blank < len) {
			if (!eq || ++members > SN_OTLP_MAX_LIST)
				k = -EINVAL;
			if (k >= 0)
				k = decode(p, (size_t)(eq - p), &key);
			if (k >= 0 && !*key)
				k = -EINVAL;
			if (k >= 0)
				k = decode(eq + 1, len - (size_t)(eq - p) - 1, &value);
			if (k >= 0)
				k = attr_set(&a, &n, key, value);
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (k < 0) {
		sn_otlp_attrs_free(a, n);
		return k;
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

int sn_otlp_parse_header_lines(const char *text, size_t len, char ***ret, size_t *ret_n,
			       unsigned *ret_line)
{
	char **v = NULL;
	size_t n = 0;
	unsigned line = 0;
	int k = 0;

	if (memchr(text, '\0', len))
		return -EINVAL;
	for (size_t i = 0; k >= 0 && i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len, l = end - i;
		_cleanup_(freep) char *s = NULL;

		line++;
		if (l > 0 && text[i + l - 1] == '\r')
			l--;
		s = strndup(text + i, l);
		if (!s)
			k = -ENOMEM;
		i = end + 1;
		if (k < 0 || !*s || *s == '#')
			continue;
		if (!sn_config_otlp_header_valid(s) || n >= SN_CONFIG_MAX_OTLP_HEADERS) {
			if (ret_line)
				*ret_line = line;
			k = -EINVAL;
		} else
			k = strv_append(&v, &n, s);
	}
	if (k < 0) {
		sn_strv_free(v, n);
		return k;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* ---- the environment ---- */

struct env {
	sn_otlp_getenv_t get;
	sn_otlp_warn_t warn;
	void *userdata;
};

/* OTEL_EXPORTER_OTLP_LOGS_<what>, else OTEL_EXPORTER_OTLP_<what>: the value and its
 * name; empty is unset. */
static const char *signal_var(const struct env *e, const char *what, char name[static 64])
{
	const char *v;

	snprintf(name, 64, "OTEL_EXPORTER_OTLP_LOGS_%s", what);
	v = e->get(name, e->userdata);
	if (v && *v)
		return v;
	snprintf(name, 64, "OTEL_EXPORTER_OTLP_%s", what);
	v = e->get(name, e->userdata);
	return v && *v ? v : NULL;
}

static void warn(const struct env *e, const char *fmt, ...) _printf_(2, 3);
static void warn(const struct env *e, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (e->warn)
		e->warn(buf, e->userdata);
}

static int env_endpoint(const struct env *e, struct sn_otlp_settings *s)
{
	const char *v;
	int k;

	v = e->get("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", e->userdata);
	if (v && *v) {
		if (sn_config_otlp_url_valid(v))
			return strdup_or_null(v, &s->url);
		warn(e,
		     "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=%.200s is not an http:// or "
		     "https:// URL, ignoring",
		     v);
		return 0;
	}
	v = e->get("OTEL_EXPORTER_OTLP_ENDPOINT", e->userdata);
	if (!v || !*v)
		return 0;
	k = sn_otlp_logs_endpoint(v, &s->url);
	if (k == -EINVAL)
		warn(e,
		     "OTEL_EXPORTER_OTLP_ENDPOINT=%.200s is not an http:// or https:// "
		     "base URL, ignoring",
		     v);
	return k == -EINVAL ? 0 : k;
}

static int env_headers(const struct env *e, struct sn_otlp_settings *s)
{
	struct sn_otlp_attr *a = NULL;
	char name[64];
	const char *v = signal_var(e, "HEADERS", name);
	size_t n = 0;
	int k;

	if (!v)
		return 0;
	k = sn_otlp_parse_key_values(v, &a, &n);
	for (size_t i = 0; k >= 0 && i < n; i++) {
		_cleanup_(freep) char *h = NULL;

		if (asprintf(&h, "%s: %s", a[i].key, a[i].value) < 0)
			k = -ENOMEM;
		else if (!sn_config_otlp_header_valid(h) ||
			 i >= SN_CONFIG_MAX_OTLP_HEADERS)
			k = -EINVAL;
		else
			k = strv_append(&s->headers, &s->n_headers, h);
	}
	sn_otlp_attrs_free(a, n);
	if (k == -EINVAL) {
		/* Not the value: it may hold a secret. */
		warn(e,
		     "%s is not a list of name=value (percent-encoded) with names and "
		     "values an HTTP header can have (at most %u, none the sink sets "
		     "itself), ignoring all of it",
		     name, SN_CONFIG_MAX_OTLP_HEADERS);
		sn_strv_free(s->headers, s->n_headers);
		s->headers = NULL;
		s->n_headers = 0;
		return 0;
	}
	return k;
}

static void env_timeout(const struct env *e, struct sn_otlp_settings *s)
{
	char name[64];
	const char *v = signal_var(e, "TIMEOUT", name);
	uint64_t ms = 0;
	const char *p;

	if (!v)
		return;
	for (p = v; sn_is_digit(*p) && ms <= SN_OTLP_MAX_TIMEOUT_MS; p++)
		ms = ms * 10 + (uint64_t)(*p - '0');
	if (*p || ms < 1 || ms > SN_OTLP_MAX_TIMEOUT_MS) {
		warn(e, "%s=%.40s is not a number of milliseconds from 1 to %u, ignoring",
		     name, v, SN_OTLP_MAX_TIMEOUT_MS);
		return;
	}
	s->timeout_ms = ms;
}

static void env_compression(const struct env *e, struct sn_otlp_settings *s)
{
	char name[64];
	const char *v = signal_var(e, "COMPRESSION", name);

	if (v && sn_config_otlp_compression_from_string(v, &s->compression) < 0)
		warn(e, "%s=%.40s is not gzip or none, ignoring", name, v);
}

static void env_protocol(const struct env *e)
{
	char name[64];
	const char *v = signal_var(e, "PROTOCOL", name);

	if (!v || strcmp(v, "http/json") == 0)
		return;
	if (strcmp(v, "http/protobuf") == 0 || strcmp(v, "grpc") == 0)
		warn(e,
		     "%s=%s is not supported: sdei-nmid sends OTLP/HTTP with the JSON "
		     "encoding (http/json) only, to the same endpoint",
		     name, v);
	else
		warn(e, "%s=%.40s is not a protocol (http/json), ignoring", name, v);
}

static int env_resource(const struct env *e, struct sn_otlp_settings *s)
{
	const char *v = e->get("OTEL_SERVICE_NAME", e->userdata);
	int k;

	if (v && *v) {
		k = strdup_or_null(v, &s->service_name);
		if (k < 0)
			return k;
	}
	v = e->get("OTEL_RESOURCE_ATTRIBUTES", e->userdata);
	if (!v || !*v)
		return 0;
	k = sn_otlp_parse_key_values(v, &s->resource, &s->n_resource);
	if (k == -EINVAL) {
		warn(e,
		     "OTEL_RESOURCE_ATTRIBUTES=%.200s is not a list of key=value "
		     "(percent-encoded), ignoring all of it",
		     v);
		return 0;
	}
	if (k < 0)
		return k;
	for (size_t i = 0; !s->service_name && i < s->n_resource; i++)
		if (strcmp(s->resource[i].key, "service.name") == 0 &&
		    *s->resource[i].value)
			return strdup_or_null(s->resource[i].value, &s->service_name);
	return 0;
}

int sn_otlp_settings_from_env(sn_otlp_getenv_t get, sn_otlp_warn_t warn_, void *userdata,
			      struct sn_otlp_settings *ret)
{
	const struct env e = { .get = get, .warn = warn_, .userdata = userdata };
	struct sn_otlp_settings s = {};
	static const struct {
		const char *what;
		size_t offset;
	} files[] = {
		{ "CERTIFICATE", offsetof(struct sn_otlp_settings, ca_file) },
		{ "CLIENT_CERTIFICATE",
		  offsetof(struct sn_otlp_settings, client_certificate) },
		{ "CLIENT_KEY", offsetof(struct sn_otlp_settings, client_key) },
	};
	int k;

	k = env_endpoint(&e, &s);
	if (k >= 0)
		k = env_headers(&e, &s);
	env_timeout(&e, &s);
	env_compression(&e, &s);
	env_protocol(&e);
	for (size_t i = 0; k >= 0 && i < ELEMENTSOF(files); i++) {
		char name[64];

		k = strdup_or_null(signal_var(&e, files[i].what, name),
				   (char **)((char *)&s + files[i].offset));
	}
	if (k >= 0)
		k = env_resource(&e, &s);
	if (k < 0) {
		sn_otlp_settings_done(&s);
		return k;
	}
	*ret = s;
	return 0;
}

int sn_otlp_settings_from_config(const struct sn_config *c, struct sn_otlp_settings *ret)
{
	struct sn_otlp_settings s = {
		.timeout_ms = (uint64_t)c->otlp_timeout_sec * 1000,
		.compression = c->otlp_compression,
	};
	int k;

	k = strdup_or_null(c->otlp_url, &s.url);
	for (size_t i = 0; k >= 0 && i < c->n_otlp_headers; i++)
		k = strv_append(&s.headers, &s.n_headers, c->otlp_headers[i]);
	if (k < 0) {
		sn_otlp_settings_done(&s);
		return k;
	}
	*ret = s;
	return 0;
}

/* dir/name when it exists: 1, and its path in *ret; 0 when not. */
static int credential_path(const char *dir, const char *name, char **ret,
			   char **ret_error)
{
	_cleanup_(freep) char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (stat(path, &st) < 0) {
		int k = -errno;

		if (k == -ENOENT)
			return 0;
		if (asprintf(ret_error, "%s: %s", path, strerror(-k)) < 0)
			return -ENOMEM;
		return k;
	}
	*ret = TAKE_PTR(path);
	return 1;
}

int sn_otlp_settings_from_credentials(const char *dir, struct sn_otlp_settings *ret,
				      char **ret_error)
{
	struct sn_otlp_settings s = {};
	_cleanup_(freep) char *headers = NULL, *text = NULL;
	_cleanup_(closep) int fd = -EBADF;
	size_t len;
	unsigned line = 0;
	int k = 0;

	if (dir && *dir) {
		k = credential_path(dir, SN_OTLP_CRED_HEADERS, &headers, ret_error);
		if (k >= 0)
			k = credential_path(dir, SN_OTLP_CRED_CA, &s.ca_file, ret_error);
		if (k >= 0)
			k = credential_path(dir, SN_OTLP_CRED_CLIENT_CERTIFICATE,
					    &s.client_certificate, ret_error);
		if (k >= 0)
			k = credential_path(dir, SN_OTLP_CRED_CLIENT_KEY, &s.client_key,
					    ret_error);
	}
	if (k >= 0 && headers) {
		fd = open(headers, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		text = fd >= 0 ? malloc(MAX_CREDENTIAL) : NULL;
		k = fd < 0 ? -errno : !text ? -ENOMEM : 0;
		if (k >= 0)
			k = sn_read_fd(fd, text, MAX_CREDENTIAL, &len);
		if (k >= 0)
			k = sn_otlp_parse_header_lines(text, len, &s.headers,
						       &s.n_headers, &line);
		if (k == -EINVAL && line > 0 &&
		    asprintf(
			    ret_error,
			    "%s:%u: not 'Name: value' for a header the sink does not set "
			    "itself, or more than %u headers",
			    headers, line, SN_CONFIG_MAX_OTLP_HEADERS) < 0)
			k = -ENOMEM;
		else if (k == -EINVAL && line == 0 &&
			 asprintf(ret_error, "%s: a NUL in the file", headers) < 0)
			k = -ENOMEM;
		else if (k < 0 && k != -EINVAL && k != -ENOMEM &&
			 asprintf(ret_error, "%s: %s", headers,
				  k == -EFBIG ? "larger than 64 KiB" : strerror(-k)) < 0)
			k = -ENOMEM;
	}
	if (k < 0) {
		sn_otlp_settings_done(&s);
		return k;
	}
	*ret = s;
	return 0;
}

/* The header's name, "Name" of "Name: value": its length. */
static size_t header_name_len(const char *h)
{
	return strcspn(h, ":");
}

static bool header_set_above(const struct sn_otlp_settings *const *layers, size_t upto,
			     const char *h)
{
	size_t n = header_name_len(h);

	for (size_t l = 0; l < upto; l++)
		for (size_t i = 0; i < layers[l]->n_headers; i++)
			if (header_name_len(layers[l]->headers[i]) == n &&
			    strncasecmp(layers[l]->headers[i], h, n) == 0)
				return true;
	return false;
}

int sn_otlp_settings_merge(const struct sn_otlp_settings *const *layers, size_t n,
			   struct sn_otlp_settings *ret)
{
	struct sn_otlp_settings s = {};
	int k = 0;

	for (size_t l = 0; k >= 0 && l < n; l++) {
		const struct sn_otlp_settings *x = layers[l];

		if (!s.url && x->url)
			k = strdup_or_null(x->url, &s.url);
		if (k >= 0 && !s.ca_file && x->ca_file)
			k = strdup_or_null(x->ca_file, &s.ca_file);
		if (k >= 0 && !s.client_certificate && x->client_certificate)
			k = strdup_or_null(x->client_certificate, &s.client_certificate);
		if (k >= 0 && !s.client_key && x->client_key)
			k = strdup_or_null(x->client_key, &s.client_key);
		if (k >= 0 && !s.service_name && x->service_name)
			k = strdup_or_null(x->service_name, &s.service_name);
		if (!s.timeout_ms)
			s.timeout_ms = x->timeout_ms;
		if (!s.compression)
			s.compression = x->compression;
		for (size_t i = 0; k >= 0 && i < x->n_headers; i++)
			if (!header_set_above(layers, l, x->headers[i]))
				k = strv_append(&s.headers, &s.n_headers, x->headers[i]);
		/* A key a higher layer set stays as that layer set it. */
		for (size_t i = 0; k >= 0 && i < x->n_resource; i++) {
			bool seen = false;

			for (size_t j = 0; j < s.n_resource && !seen; j++)
				seen = strcmp(s.resource[j].key, x->resource[i].key) == 0;
			if (!seen)
				k = attr_set(&s.resource, &s.n_resource,
					     x->resource[i].key, x->resource[i].value);
		}
	}
	if (k < 0) {
		sn_otlp_settings_done(&s);
		return k;
	}
	*ret = s;
	return 0;
}
