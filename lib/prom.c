/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "util.h"

#define TOTAL	   "_total"
#define MAX_LABELS 16 /* per sample */

struct sn_prom {
	FILE *f; /* an open_memstream() of buf */
	char *buf;
	size_t len;
	int error; /* the first one */

	char family[SN_PROM_NAME_MAX + sizeof(TOTAL)]; /* "" before the first */
	char **names;				       /* the families rendered */
	size_t n_names;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_valid(const char *s, bool colon)
{
	size_t n = strlen(s);

	if (n == 0 || n > SN_PROM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(is_alpha(c) || (colon && c == ':') || (i > 0 && sn_is_digit(c))))
			return false;
	}
	return true;
}

bool sn_prom_metric_name_valid(const char *s)
{
	return name_valid(s, true);
}

bool sn_prom_label_name_valid(const char *s)
{
	return name_valid(s, false) && strncmp(s, "__", 2) != 0;
}

int sn_prom_new(struct sn_prom **ret)
{
	struct sn_prom *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->f = open_memstream(&p->buf, &p->len);
	if (!p->f) {
		free(p);
		return -ENOMEM;
	}
	*ret = p;
	return 0;
}

static void reset(struct sn_prom *p)
{
	if (p->f)
		fclose(p->f);
	p->f = NULL;
	free(p->buf);
	p->buf = NULL;
	sn_strv_free(p->names, p->n_names);
	p->names = NULL;
	p->n_names = 0;
	p->family[0] = '\0';
}

struct sn_prom *sn_prom_free(struct sn_prom *p)
{
	if (!p)
		return NULL;
	reset(p);
	free(p);
	return NULL;
}

static int fail(struct sn_prom *p, int error)
{
	if (!p->error)
		p->error = error;
	return p->error;
}

/* Writes s with '\\' and '\n' escaped, and '"' too when quote. */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++)
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (quote && *s == '"')
			fputs("\\\"", f);
		else
			fputc(*s, f);
}

int sn_prom_family(struct sn_prom *p, const char *name, enum sn_prom_type type,
		   const char *help)
{
	char full[sizeof(p->family)];
	size_t n;
	char **names;

	if (p->error)
		return p->error;
	if (!p->f)
		return fail(p, -EINVAL);
	if (!name || !help || !sn_prom_metric_name_valid(name) ||
	    (type != SN_PROM_COUNTER && type != SN_PROM_GAUGE))
		return fail(p, -EINVAL);
	n = strlen(name);
	if (n >= strlen(TOTAL) && strcmp(name + n - strlen(TOTAL), TOTAL) == 0)
		return fail(p, -EINVAL);
	snprintf(full, sizeof(full), "%s%s", name, type == SN_PROM_COUNTER ? TOTAL : "");
	for (size_t i = 0; i < p->n_names; i++)
		if (strcmp(p->names[i], full) == 0)
			return fail(p, -EEXIST);

	names = reallocarray(p->names, p->n_names + 1, sizeof(*names));
	if (!names)
		return fail(p, -ENOMEM);
	p->names = names;
	p->names[p->n_names] = strdup(full);
	if (!p->names[p->n_names])
		return fail(p, -ENOMEM);
	p->n_names++;
	memcpy(p->family, full, sizeof(full));

	fprintf(p->f, "# HELP %s ", full);
	put_escaped(p->f, help, false);
	fprintf(p->f, "\n# TYPE %s %s\n", full,
		type == SN_PROM_COUNTER ? "counter" : "gauge");
	return ferror(p->f) ? fail(p, -ENOMEM) : 0;
}

int sn_prom_sample(struct sn_prom *p, uint64_t value, ...)
{
	const char *labels[MAX_LABELS][2];
	size_t n = 0;
	va_list ap;

	if (p->error)
		return p->error;
	if (!p->f || !p->family[0])
		return fail(p, -EINVAL);

	va_start(ap, value);
	for (;;) {
		const char *k = va_arg(ap, const char *), *v;

		if (!k)
			break;
		v = va_arg(ap, const char *);
		if (n == MAX_LABELS || !v || !sn_prom_label_name_valid(k)) {
			va_end(ap);
			return fail(p, -EINVAL);
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(labels[i][0], k) == 0) {
				va_end(ap);
				return fail(p, -EINVAL);
			}
		labels[n][0] = k;
		labels[n][1] = v;
		n++;
	}
	va_end(ap);

	fputs(p->family, p->f);
	for (size_t i = 0; i < n; i++) {
		fprintf(p->f, "%c%s=\"", i == 0 ? '{' : ',', labels[i][0]);
		put_escaped(p->f, labels[i][1], true);
		fputc('"', p->f);
	}
	fprintf(p->f, "%s %" PRIu64 "\n", n > 0 ? "}" : "", value);
	return ferror(p->f) ? fail(p, -ENOMEM) : 0;
}

int sn_prom_finish(struct sn_prom *p, char **ret, size_t *ret_len)
{
	int r = p->error;

	if (!r && !p->f)
		r = -EINVAL;
	if (!r) {
		int k = fclose(p->f);

		p->f = NULL;
		if (k != 0)
			r = -ENOMEM;
		else {
			*ret = TAKE_PTR(p->buf);
			if (ret_len)
				*ret_len = p->len;
		}
	}
	reset(p);
	(void)fail(p, r ?: -EINVAL); /* done: nothing more renders */
	return r;
}
