/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <ini.h>

#include "config.h"
#include "kdump.h"
#include "macro.h"
#include "util.h"

struct parse_state {
	struct sn_config *config;
	const char *path;
	FILE *file;
	unsigned line;		 /* of the line inih last read */
	unsigned section_line;	 /* of the last "[section]" line read */
	unsigned warned_section; /* the section_line of the last unknown one said */
	char warned_name[64];	 /* and its name (inih: at most 50 bytes) */
	unsigned error_line;	 /* 0: none yet */
	char *error;		 /* the first error, without "FILE:LINE: " */
};

void sn_config_init(struct sn_config *c)
{
	*c = (struct sn_config){
		.netlink = true,
		.netlink_timeout_ms = SN_CONFIG_TIMEOUT_MS,
		.fold_window_sec = SN_CONFIG_FOLD_WINDOW_SEC,
		.rate_per_minute = SN_CONFIG_RATE_PER_MINUTE,
		.rate_burst = SN_CONFIG_RATE_BURST,
		.kdump_interval_sec = SN_CONFIG_KDUMP_INTERVAL_SEC,
		.kdump_panic_on = SN_KDUMP_PANIC_HARDLOCKUP,
		.kdump_test_max_age_days = SN_CONFIG_KDUMP_TEST_MAX_AGE_DAYS,
		.metrics_heartbeat_sec = SN_CONFIG_METRICS_HEARTBEAT_SEC,
		/* bounded, as systemd-coredump's MaxUse= and KeepFree= (lib/spool.h) */
		.spool_limits = { .max_count = SN_SPOOL_DEFAULT_MAX_COUNT,
				  .max_bytes = SN_SPOOL_LIMIT_AUTO,
				  .keep_free = SN_SPOOL_LIMIT_AUTO,
				  .shipped_max_age_sec = SN_SPOOL_DEFAULT_SHIPPED_MAX_AGE },
	};
}

static void headers_clear(struct sn_config *c)
{
	sn_strv_free(c->otlp_headers, c->n_otlp_headers);
	c->otlp_headers = NULL;
	c->n_otlp_headers = 0;
}

void sn_config_done(struct sn_config *c)
{
	free(c->kmsg_path);
	free(c->kmsg_cursor);
	free(c->spool_dir);
	free(c->root);
	free(c->metrics_textfile);
	free(c->otlp_url);
	headers_clear(c);
	sn_strv_free(c->warnings, c->n_warnings);
	c->kmsg_path = c->kmsg_cursor = c->spool_dir = c->root = c->metrics_textfile =
		c->otlp_url = NULL;
	c->warnings = NULL;
	c->n_warnings = 0;
}

int sn_config_otlp_compression_from_string(const char *s,
					   enum sn_config_otlp_compression *ret)
{
	if (strcmp(s, "gzip") == 0)
		*ret = SN_CONFIG_OTLP_COMPRESSION_GZIP;
	else if (strcmp(s, "none") == 0)
		*ret = SN_CONFIG_OTLP_COMPRESSION_NONE;
	else
		return -EINVAL;
	return 0;
}

bool sn_config_otlp_url_valid(const char *s)
{
	const char *rest;

	if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else
		return false;
	if (!*rest || *rest == '/')
		return false; /* no host */
	for (; *s; s++)
		if (*s <= ' ' || *s > '~')
			return false;
	return true;
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool sn_config_otlp_header_valid(const char *s)
{
	/* What the OTLP sink sets itself. */
	static const char *const reserved[] = { "content-type",	  "content-encoding",
						"content-length", "transfer-encoding",
						"expect",	  "idempotency-key" };
	const char *p = s;
	bool value = false;

	while (is_tchar(*p))
		p++;
	if (p == s || *p != ':')
		return false;
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
		if (strlen(reserved[i]) == (size_t)(p - s) &&
		    strncasecmp(s, reserved[i], (size_t)(p - s)) == 0)
			return false;
	for (p++; *p; p++) {
		if ((*p < ' ' || *p > '~') && *p != '\t')
			return false;
		value = value || (*p != ' ' && *p != '\t');
	}
	return value;
}

/*
 * inih's reader: fgets() that counts lines, so that the handler knows where it is, and
 * notes where each section starts. A line longer than inih's buffer is an error: it
 * would come in pieces.
 */
static void fail(struct parse_state *s, const char *fmt, ...) _printf_(2, 3);

static char *reader(char *str, int num, void *stream)
{
	struct parse_state *s = stream;
	char *p = fgets(str, num, s->file);
	size_t n;

	if (!p)
		return NULL;
	s->line++;
	n = strlen(p);
	if (n + 1 == (size_t)num && p[n - 1] != '\n' && !feof(s->file)) {
		fail(s, "line longer than %d characters", num - 2);
		return NULL;
	}
	p += strspn(p, " \t");
	if (*p == '[')
		s->section_line = s->line;
	return str;
}

static void fail(struct parse_state *s, const char *fmt, ...)
{
	va_list ap;

	if (s->error_line)
		return; /* the first one is what is reported */
	va_start(ap, fmt);
	if (vasprintf(&s->error, fmt, ap) < 0)
		s->error = NULL;
	va_end(ap);
	s->error_line = s->line;
}

/* A warning at line: kept in the configuration for the caller to log. */
static void warn(struct parse_state *s, unsigned line, const char *fmt, ...)
	_printf_(3, 4);

static void warn(struct parse_state *s, unsigned line, const char *fmt, ...)
{
	struct sn_config *c = s->config;
	_cleanup_(freep) char *what = NULL;
	char *w, **v;
	va_list ap;
	int k;

	if (c->n_warnings >= SN_CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	k = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (k < 0) {
		what = NULL;
		return; /* out of memory: a warning is what may go */
	}
	if (c->n_warnings + 1 == SN_CONFIG_MAX_WARNINGS)
		k = asprintf(&w, "%s:%u: more warnings, not shown", s->path, line);
	else
		k = asprintf(&w, "%s:%u: %s", s->path, line, what);
	if (k < 0)
		return;
	v = reallocarray(c->warnings, c->n_warnings + 1, sizeof(*v));
	if (!v) {
		free(w);
		return;
	}
	c->warnings = v;
	v[c->n_warnings++] = w;
}

static int parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sn_config_bpf_to_string(enum sn_config_bpf b)
{
	static const char *const names[] = { "auto", "yes", "no" };

	return (unsigned)b < ELEMENTSOF(names) ? names[b] : NULL;
}

int sn_config_bpf_from_string(const char *s, enum sn_config_bpf *ret)
{
	bool b;

	if (strcasecmp(s, "auto") == 0) {
		*ret = SN_CONFIG_BPF_AUTO;
		return 0;
	}
	if (parse_bool(s, &b) < 0)
		return -EINVAL;
	*ret = b ? SN_CONFIG_BPF_YES : SN_CONFIG_BPF_NO;
	return 0;
}

/* Decimal digits only; -ERANGE above max. */
static int parse_u64(const char *v, uint64_t max, uint64_t *ret)
{
	unsigned long long n;
	char *end;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || n > max)
		return -ERANGE;
	*ret = n;
	return 0;
}

enum key_type {
	KEY_BOOL,
	KEY_U32,
	KEY_U64,
	KEY_SIZE,
	KEY_STRING,
	KEY_URL,
	KEY_HEADER, /* a list: each line appends */
	KEY_BPF,
	KEY_PANIC_ON,
	KEY_COMPRESSION,
};

struct key {
	const char *section, *name;
	enum key_type type;
	size_t offset; /* in struct sn_config */
	uint64_t min, max;
};

#define FIELD(f) offsetof(struct sn_config, f)

/* Every key, by section. */
static const struct key keys[] = {
	{ "kmsg", "path", KEY_STRING, FIELD(kmsg_path), 0, 0 },
	{ "kmsg", "from_start", KEY_BOOL, FIELD(from_start), 0, 0 },
	{ "kmsg", "cursor", KEY_STRING, FIELD(kmsg_cursor), 0, 0 },
	{ "spool", "directory", KEY_STRING, FIELD(spool_dir), 0, 0 },
	{ "spool", "max_reports", KEY_SIZE, FIELD(spool_limits.max_count), 0,
	  SN_CONFIG_MAX_REPORTS },
	{ "spool", "max_bytes", KEY_U64, FIELD(spool_limits.max_bytes), 0,
	  SN_CONFIG_MAX_BYTES },
	{ "spool", "keep_free", KEY_U64, FIELD(spool_limits.keep_free), 0,
	  SN_CONFIG_MAX_BYTES },
	{ "spool", "shipped_max_age_sec", KEY_U64, FIELD(spool_limits.shipped_max_age_sec),
	  0, SN_CONFIG_MAX_SHIPPED_AGE },
	{ "journal", "enabled", KEY_BOOL, FIELD(journal), 0, 0 },
	{ "host", "root", KEY_STRING, FIELD(root), 0, 0 },
	{ "metrics", "textfile", KEY_STRING, FIELD(metrics_textfile), 0, 0 },
	{ "metrics", "heartbeat_sec", KEY_U32, FIELD(metrics_heartbeat_sec), 1,
	  SN_CONFIG_MAX_METRICS_HEARTBEAT },
	{ "otlp", "url", KEY_URL, FIELD(otlp_url), 0, 0 },
	{ "otlp", "header", KEY_HEADER, FIELD(otlp_headers), 0, 0 },
	{ "otlp", "compression", KEY_COMPRESSION, FIELD(otlp_compression), 0, 0 },
	{ "otlp", "timeout", KEY_U32, FIELD(otlp_timeout_sec), 1,
	  SN_CONFIG_MAX_OTLP_TIMEOUT },
	{ "netlink", "enabled", KEY_BOOL, FIELD(netlink), 0, 0 },
	{ "netlink", "timeout_ms", KEY_U32, FIELD(netlink_timeout_ms), 1,
	  SN_CONFIG_MAX_TIMEOUT },
	{ "report", "fold_window_sec", KEY_U64, FIELD(fold_window_sec), 0,
	  SN_CONFIG_MAX_FOLD },
	{ "report", "rate_limit_per_minute", KEY_U32, FIELD(rate_per_minute), 0,
	  SN_CONFIG_MAX_RATE },
	{ "report", "rate_limit_burst", KEY_U32, FIELD(rate_burst), 0,
	  SN_CONFIG_MAX_RATE },
	{ "bpf", "enabled", KEY_BPF, FIELD(bpf), 0, 0 },
	{ "kdump", "interval_sec", KEY_U32, FIELD(kdump_interval_sec), 0,
	  SN_CONFIG_MAX_KDUMP_INTERVAL },
	{ "kdump", "panic_on", KEY_PANIC_ON, FIELD(kdump_panic_on), 0, 0 },
	{ "kdump", "test_max_age_days", KEY_U32, FIELD(kdump_test_max_age_days), 0,
	  SN_CONFIG_MAX_KDUMP_TEST_AGE },
};

_Static_assert(sizeof(((struct sn_config *)0)->otlp_timeout_sec) == sizeof(uint32_t),
	       "otlp_timeout_sec is a KEY_U32");
_Static_assert(sizeof(((struct sn_config *)0)->kdump_panic_on) == sizeof(unsigned),
	       "kdump_panic_on is an unsigned");

static size_t key_size(enum key_type t)
{
	switch (t) {
	case KEY_BOOL:
		return sizeof(bool);
	case KEY_U32:
		return sizeof(uint32_t);
	case KEY_U64:
		return sizeof(uint64_t);
	case KEY_SIZE:
		return sizeof(size_t);
	case KEY_BPF:
		return sizeof(enum sn_config_bpf);
	case KEY_PANIC_ON:
		return sizeof(unsigned);
	case KEY_COMPRESSION:
		return sizeof(enum sn_config_otlp_compression);
	default:
		return 0; /* strings and the list: freed, not copied */
	}
}

/* An empty value: the key's default (sn_config_init()), a list emptied. */
static void reset(struct sn_config *c, const struct key *k)
{
	char *field = (char *)c + k->offset;
	struct sn_config defaults;

	switch (k->type) {
	case KEY_STRING:
	case KEY_URL:
		free(*(char **)field);
		*(char **)field = NULL;
		return;
	case KEY_HEADER:
		headers_clear(c);
		return;
	default:
		sn_config_init(&defaults);
		memcpy(field, (const char *)&defaults + k->offset, key_size(k->type));
	}
}

static int set_string(struct parse_state *s, char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy) {
		fail(s, "out of memory");
		return 0;
	}
	free(*field);
	*field = copy;
	return 1;
}

static int add_header(struct parse_state *s, const char *value)
{
	struct sn_config *c = s->config;
	char **v;

	if (!sn_config_otlp_header_valid(value)) {
		fail(s, "bad value '%s' for header in [otlp]: not 'Name: value'", value);
		return 0;
	}
	if (c->n_otlp_headers >= SN_CONFIG_MAX_OTLP_HEADERS) {
		fail(s, "more than %u headers in [otlp]", SN_CONFIG_MAX_OTLP_HEADERS);
		return 0;
	}
	v = reallocarray(c->otlp_headers, c->n_otlp_headers + 1, sizeof(*v));
	if (!v) {
		fail(s, "out of memory");
		return 0;
	}
	c->otlp_headers = v;
	v[c->n_otlp_headers] = strdup(value);
	if (!v[c->n_otlp_headers]) {
		fail(s, "out of memory");
		return 0;
	}
	c->n_otlp_headers++;
	return 1;
}

static int set_number(struct parse_state *s, const struct key *k, const char *value)
{
	char *field = (char *)s->config + k->offset;
	uint64_t n;
	int r;

	r = parse_u64(value, k->max, &n);
	if (r == -ERANGE || (r == 0 && n < k->min)) {
		fail(s, "value '%s' for %s in [%s] out of range (%llu-%llu)", value,
		     k->name, k->section, (unsigned long long)k->min,
		     (unsigned long long)k->max);
		return 0;
	}
	if (r < 0) {
		fail(s, "bad value '%s' for %s in [%s]: not a number", value, k->name,
		     k->section);
		return 0;
	}
	if (k->type == KEY_U32)
		*(uint32_t *)field = (uint32_t)n;
	else if (k->type == KEY_SIZE)
		*(size_t *)field = (size_t)n;
	else
		*(uint64_t *)field = n;
	return 1;
}

static const struct key *find_key(const char *section, const char *name,
				  bool *ret_section_known)
{
	*ret_section_known = false;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		*ret_section_known = true;
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	}
	return NULL;
}

/* inih's handler: 1 to go on, 0 for an error (already recorded). */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *s = user;
	struct sn_config *c = s->config;
	const struct key *k;
	char *field;
	bool known;

	/* Unknown: said and ignored, so that a newer file does not stop an older binary.
	 */
	if (!*section) {
		warn(s, s->line, "key '%s' outside a section, ignoring", name);
		return 1;
	}
	k = find_key(section, name, &known);
	if (!k) {
		if (known)
			warn(s, s->line, "unknown key '%s' in [%s], ignoring", name,
			     section);
		else if (s->warned_section != s->section_line ||
			 strcmp(s->warned_name, section) != 0) {
			warn(s, s->section_line, "unknown section [%s], ignoring",
			     section);
			s->warned_section = s->section_line;
			snprintf(s->warned_name, sizeof(s->warned_name), "%s", section);
		}
		return 1;
	}
	if (!*value) {
		reset(c, k);
		return 1;
	}

	field = (char *)c + k->offset;
	switch (k->type) {
	case KEY_BOOL:
		if (parse_bool(value, (bool *)field) < 0) {
			fail(s, "bad value '%s' for %s in [%s]: not a boolean", value,
			     name, section);
			return 0;
		}
		return 1;
	case KEY_U32:
	case KEY_U64:
	case KEY_SIZE:
		return set_number(s, k, value);
	case KEY_STRING:
		return set_string(s, (char **)field, value);
	case KEY_URL:
		if (!sn_config_otlp_url_valid(value)) {
			fail(s,
			     "bad value '%s' for %s in [%s]: not an http:// or https:// URL",
			     value, name, section);
			return 0;
		}
		return set_string(s, (char **)field, value);
	case KEY_HEADER:
		return add_header(s, value);
	case KEY_BPF:
		if (sn_config_bpf_from_string(value, (enum sn_config_bpf *)field) < 0) {
			fail(s, "bad value '%s' for %s in [%s]: not auto or a boolean",
			     value, name, section);
			return 0;
		}
		return 1;
	case KEY_COMPRESSION:
		if (sn_config_otlp_compression_from_string(
			    value, (enum sn_config_otlp_compression *)field) < 0) {
			fail(s, "bad value '%s' for %s in [%s]: not gzip or none", value,
			     name, section);
			return 0;
		}
		return 1;
	case KEY_PANIC_ON:
		if (sn_kdump_panic_on_from_string(value, (unsigned *)field) < 0) {
			fail(s,
			     "bad value '%s' for %s in [%s]: not \"none\" or a list of "
			     "hardlockup, softlockup, rcu-stall, hung-task",
			     value, name, section);
			return 0;
		}
		return 1;
	}
	fail(s, "internal error: key '%s' in [%s]", name, section);
	return 0;
}

int sn_config_parse_file(struct sn_config *c, const char *path, char **ret_error)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *error = NULL;
	struct parse_state s = { .config = c, .path = path };
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		if (r != -ENOENT && asprintf(ret_error, "%s: %s", path, strerror(-r)) < 0)
			return -ENOMEM;
		return r;
	}
	s.file = f;

	r = ini_parse_stream(reader, &s, handler, &s);
	error = s.error;
	if (r < 0) /* only with INI_USE_STACK=0: out of memory */
		return -ENOMEM;
	if (r == 0 && !s.error_line)
		return 0;
	if (s.error_line && (r == 0 || s.error_line <= (unsigned)r))
		r = asprintf(ret_error, "%s:%u: %s", path, s.error_line,
			     error ?: "out of memory");
	else /* inih's own error (no '=', no ']'), before any of ours */
		r = asprintf(ret_error, "%s:%d: syntax error", path, r);
	return r < 0 ? -ENOMEM : -EINVAL;
}

/* The drop-ins found so far: each name once, from the directory that has it first. */
struct dropins {
	char **names, **paths;
	size_t n;
};

static void dropins_done(struct dropins *d)
{
	sn_strv_free(d->names, d->n);
	sn_strv_free(d->paths, d->n);
	*d = (struct dropins){};
}

static int is_conf(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static void free_namelist(struct dirent **list, int n)
{
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static bool dropins_have(const struct dropins *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->names[i], name) == 0)
			return true;
	return false;
}

/*
 * A drop-in is a regular file, or /dev/null (a mask: it adds nothing but hides the
 * file of the same name in the directories after). Anything else named *.conf (a
 * directory, a dangling link) is no drop-in and hides nothing.
 */
static bool is_dropin(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	return S_ISREG(st.st_mode) ||
	       (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3));
}

/* Adds dir's *.conf not there yet. A missing directory adds nothing. */
static int dropins_add_dir(struct dropins *d, const char *dir, char **ret_error)
{
	struct dirent **list = NULL;
	int n, r = 0;

	n = scandir(dir, &list, is_conf, alphasort);
	if (n < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ENOTDIR)
			return 0;
		if (asprintf(ret_error, "%s: %s", dir, strerror(-r)) < 0)
			return -ENOMEM;
		return r;
	}
	for (int i = 0; i < n && r >= 0; i++) {
		_cleanup_(freep) char *path = NULL, *name = NULL;
		char **names, **paths;

		if (dropins_have(d, list[i]->d_name))
			continue; /* masked by a directory of higher precedence */
		if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
			path = NULL;
			r = -ENOMEM;
			break;
		}
		if (!is_dropin(path))
			continue;
		name = strdup(list[i]->d_name);
		names = reallocarray(d->names, d->n + 1, sizeof(*names));
		if (names)
			d->names = names;
		paths = reallocarray(d->paths, d->n + 1, sizeof(*paths));
		if (paths)
			d->paths = paths;
		if (!name || !names || !paths) {
			r = -ENOMEM;
			break;
		}
		d->names[d->n] = TAKE_PTR(name);
		d->paths[d->n] = TAKE_PTR(path);
		d->n++;
	}
	free_namelist(list, n);
	return r;
}

/* Applies the drop-ins in the order of their names, whatever their directory. */
static int dropins_apply(struct sn_config *c, struct dropins *d, char **ret_error)
{
	/* Few files: an insertion sort of both arrays together. */
	for (size_t i = 1; i < d->n; i++)
		for (size_t j = i; j > 0 && strcmp(d->names[j - 1], d->names[j]) > 0;
		     j--) {
			SWAP_TWO(d->names[j - 1], d->names[j]);
			SWAP_TWO(d->paths[j - 1], d->paths[j]);
		}
	for (size_t i = 0; i < d->n; i++) {
		int r = sn_config_parse_file(c, d->paths[i], ret_error);

		if (r < 0 && r != -ENOENT) /* -ENOENT: removed since it was listed */
			return r;
	}
	return 0;
}

int sn_config_load(struct sn_config *c, const char *path, char **ret_error)
{
	_cleanup_(dropins_done) struct dropins d = {};
	_cleanup_(freep) char *dir = NULL;
	int r;

	r = sn_config_parse_file(c, path, ret_error);
	if (r < 0 && r != -ENOENT)
		return r;
	if (asprintf(&dir, "%s.d", path) < 0) {
		dir = NULL;
		return -ENOMEM;
	}
	r = dropins_add_dir(&d, dir, ret_error);
	if (r < 0)
		return r;
	return dropins_apply(c, &d, ret_error);
}

int sn_config_load_dirs(struct sn_config *c, const char *const *dirs, size_t n_dirs,
			const char *name, char **ret_error)
{
	_cleanup_(dropins_done) struct dropins d = {};
	int r;

	/* The main file: the first found; one in /etc hides the vendor's in /usr/lib. */
	for (size_t i = 0; i < n_dirs; i++) {
		_cleanup_(freep) char *path = NULL;

		if (asprintf(&path, "%s/%s", dirs[i], name) < 0) {
			path = NULL;
			return -ENOMEM;
		}
		r = sn_config_parse_file(c, path, ret_error);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		break;
	}
	for (size_t i = 0; i < n_dirs; i++) {
		_cleanup_(freep) char *dir = NULL;

		if (asprintf(&dir, "%s/%s.d", dirs[i], name) < 0) {
			dir = NULL;
			return -ENOMEM;
		}
		r = dropins_add_dir(&d, dir, ret_error);
		if (r < 0)
			return r;
	}
	return dropins_apply(c, &d, ret_error);
}

int sn_config_load_standard(struct sn_config *c, const char *root, char **ret_error)
{
	static const char *const standard[] = { SN_CONFIG_DIRS };
	char *dirs[ELEMENTSOF(standard)] = {};
	int r = 0;

	if (!root || !*root || strcmp(root, "/") == 0)
		return sn_config_load_dirs(c, standard, ELEMENTSOF(standard),
					   SN_CONFIG_NAME, ret_error);
	for (size_t i = 0; i < ELEMENTSOF(standard) && r >= 0; i++)
		if (asprintf(&dirs[i], "%s%s", root, standard[i]) < 0) {
			dirs[i] = NULL;
			r = -ENOMEM;
		}
	if (r >= 0)
		r = sn_config_load_dirs(c, (const char *const *)dirs, ELEMENTSOF(dirs),
					SN_CONFIG_NAME, ret_error);
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		free(dirs[i]);
	return r;
}
