/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "config.h"
#include "kdump.h"
#include "macro.h"

struct parse_state {
	struct sn_config *config;
	const char *path;
	FILE *file;
	unsigned line;	     /* of the line inih last read */
	unsigned error_line; /* 0: none yet */
	char *error;	     /* the first error, without "FILE:LINE: " */
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
	};
}

void sn_config_done(struct sn_config *c)
{
	free(c->kmsg_path);
	free(c->kmsg_cursor);
	free(c->spool_dir);
	free(c->root);
	free(c->metrics_textfile);
	free(c->otlp_url);
	for (size_t i = 0; i < c->n_otlp_headers; i++)
		free(c->otlp_headers[i]);
	free(c->otlp_headers);
	c->kmsg_path = c->kmsg_cursor = c->spool_dir = c->root = c->metrics_textfile =
		c->otlp_url = NULL;
	c->otlp_headers = NULL;
	c->n_otlp_headers = 0;
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
 * inih's reader: fgets() that counts lines, so that the handler knows where it is. A
 * line longer than inih's buffer is an error: it would come in pieces.
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
	return p;
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

/* inih's handler: 1 to go on, 0 for an error (already recorded). */
static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parse_state *s = user;
	struct sn_config *c = s->config;
	bool *b = NULL;
	uint64_t n, min = 0, max = 0;
	uint64_t *u64 = NULL;
	uint32_t *u32 = NULL;
	int r;

	if (!*section) {
		fail(s, "key '%s' outside a section", key);
		return 0;
	}

	if (strcmp(section, "kmsg") == 0) {
		if (strcmp(key, "path") == 0 || strcmp(key, "cursor") == 0)
			goto string;
		if (strcmp(key, "from_start") == 0)
			b = &c->from_start;
	} else if (strcmp(section, "spool") == 0) {
		if (strcmp(key, "directory") == 0)
			goto string;
		if (strcmp(key, "max_reports") == 0) {
			max = SN_CONFIG_MAX_REPORTS;
			u64 = &c->spool_limits.max_count;
		} else if (strcmp(key, "max_bytes") == 0) {
			max = SN_CONFIG_MAX_BYTES;
			u64 = &c->spool_limits.max_bytes;
		}
	} else if (strcmp(section, "journal") == 0) {
		if (strcmp(key, "enabled") == 0)
			b = &c->journal;
	} else if (strcmp(section, "host") == 0) {
		if (strcmp(key, "root") == 0)
			goto string;
	} else if (strcmp(section, "metrics") == 0) {
		if (strcmp(key, "textfile") == 0)
			goto string;
	} else if (strcmp(section, "otlp") == 0) {
		if (strcmp(key, "url") == 0 || strcmp(key, "header") == 0)
			goto string;
		if (strcmp(key, "timeout") == 0) {
			min = 1;
			max = SN_CONFIG_MAX_OTLP_TIMEOUT;
			u32 = &c->otlp_timeout_sec;
		} else if (strcmp(key, "compression") == 0) {
			if (sn_config_otlp_compression_from_string(
				    value, &c->otlp_compression) < 0) {
				fail(s, "bad value '%s' for %s in [%s]: not gzip or none",
				     value, key, section);
				return 0;
			}
			return 1;
		}
	} else if (strcmp(section, "netlink") == 0) {
		if (strcmp(key, "enabled") == 0)
			b = &c->netlink;
		else if (strcmp(key, "timeout_ms") == 0) {
			min = 1;
			max = SN_CONFIG_MAX_TIMEOUT;
			u32 = &c->netlink_timeout_ms;
		}
	} else if (strcmp(section, "report") == 0) {
		if (strcmp(key, "fold_window_sec") == 0) {
			max = SN_CONFIG_MAX_FOLD;
			u64 = &c->fold_window_sec;
		} else if (strcmp(key, "rate_limit_per_minute") == 0) {
			max = SN_CONFIG_MAX_RATE;
			u32 = &c->rate_per_minute;
		} else if (strcmp(key, "rate_limit_burst") == 0) {
			max = SN_CONFIG_MAX_RATE;
			u32 = &c->rate_burst;
		}
	} else if (strcmp(section, "kdump") == 0) {
		if (strcmp(key, "interval_sec") == 0) {
			max = SN_CONFIG_MAX_KDUMP_INTERVAL;
			u32 = &c->kdump_interval_sec;
		} else if (strcmp(key, "test_max_age_days") == 0) {
			max = SN_CONFIG_MAX_KDUMP_TEST_AGE;
			u32 = &c->kdump_test_max_age_days;
		} else if (strcmp(key, "panic_on") == 0) {
			if (sn_kdump_panic_on_from_string(value, &c->kdump_panic_on) <
			    0) {
				fail(s,
				     "bad value '%s' for %s in [%s]: not \"none\" or a list of "
				     "hardlockup, softlockup, rcu-stall, hung-task",
				     value, key, section);
				return 0;
			}
			return 1;
		}
	} else if (strcmp(section, "bpf") == 0) {
		if (strcmp(key, "enabled") == 0) {
			if (sn_config_bpf_from_string(value, &c->bpf) < 0) {
				fail(s,
				     "bad value '%s' for %s in [%s]: not auto or a boolean",
				     value, key, section);
				return 0;
			}
			return 1;
		}
	} else {
		fail(s, "unknown section [%s]", section);
		return 0;
	}

	if (b) {
		if (parse_bool(value, b) < 0) {
			fail(s, "bad value '%s' for %s in [%s]: not a boolean", value,
			     key, section);
			return 0;
		}
		return 1;
	}
	if (u64 || u32) {
		r = parse_u64(value, max, &n);
		if (r == -ERANGE || (r == 0 && n < min)) {
			fail(s, "value '%s' for %s in [%s] out of range (%llu-%llu)",
			     value, key, section, (unsigned long long)min,
			     (unsigned long long)max);
			return 0;
		}
		if (r < 0) {
			fail(s, "bad value '%s' for %s in [%s]: not a number", value, key,
			     section);
			return 0;
		}
		if (u64)
			*u64 = n;
		else
			*u32 = (uint32_t)n;
		return 1;
	}
	fail(s, "unknown key '%s' in [%s]", key, section);
	return 0;

string:
	if (!*value) {
		fail(s, "empty value for %s in [%s]", key, section);
		return 0;
	}
	if (strcmp(key, "path") == 0)
		return set_string(s, &c->kmsg_path, value);
	if (strcmp(key, "cursor") == 0)
		return set_string(s, &c->kmsg_cursor, value);
	if (strcmp(key, "directory") == 0)
		return set_string(s, &c->spool_dir, value);
	if (strcmp(key, "textfile") == 0)
		return set_string(s, &c->metrics_textfile, value);
	if (strcmp(key, "url") == 0) {
		if (!sn_config_otlp_url_valid(value)) {
			fail(s,
			     "bad value '%s' for url in [otlp]: not an http:// or https:// URL",
			     value);
			return 0;
		}
		return set_string(s, &c->otlp_url, value);
	}
	if (strcmp(key, "header") == 0)
		return add_header(s, value);
	return set_string(s, &c->root, value);
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

static int compare(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
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

int sn_config_load(struct sn_config *c, const char *path, char **ret_error)
{
	_cleanup_(freep) char *dir = NULL;
	struct dirent **list = NULL;
	int n, r;

	r = sn_config_parse_file(c, path, ret_error);
	if (r < 0 && r != -ENOENT)
		return r;

	if (asprintf(&dir, "%s.d", path) < 0) {
		dir = NULL;
		return -ENOMEM;
	}
	n = scandir(dir, &list, is_conf, compare);
	if (n < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		if (asprintf(ret_error, "%s: %s", dir, strerror(-r)) < 0)
			return -ENOMEM;
		return r;
	}

	r = 0;
	for (int i = 0; i < n && r >= 0; i++) {
		_cleanup_(freep) char *p = NULL;
		struct stat st;

		if (asprintf(&p, "%s/%s", dir, list[i]->d_name) < 0) {
			p = NULL;
			r = -ENOMEM;
			break;
		}
		/* Directories and the like named *.conf are not drop-ins. */
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		r = sn_config_parse_file(c, p, ret_error);
		if (r == -ENOENT) /* removed since scandir() */
			r = 0;
	}
	free_namelist(list, n);
	return r < 0 ? r : 0;
}
