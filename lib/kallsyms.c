/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /proc/kallsyms, the few functions that matter: see kallsyms.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "util.h"

struct sn_ksyms *sn_ksyms_free(struct sn_ksyms *k)
{
	if (!k)
		return NULL;
	free(k->syms);
	free(k);
	return NULL;
}

/* "ADDRESS TYPE NAME[\t...]": the parts, NAME cut at its end (in place). */
static int parse_line(char *line, uint64_t *ret_addr, char *ret_type, char **ret_name)
{
	uint64_t addr = 0;
	char *p = line, *name;
	size_t n = 0;
	int d;

	for (; (d = sn_hex_value(*p)) >= 0; p++, n++) {
		if (n == 16)
			return -EBADMSG;
		addr = addr << 4 | (uint64_t)d;
	}
	if (n == 0 || p[0] != ' ' || !p[1] || p[1] == ' ' || p[2] != ' ')
		return -EBADMSG;
	*ret_type = p[1];
	name = p + 3;
	n = strcspn(name, "\t\n ");
	if (n == 0)
		return -EBADMSG;
	name[n] = '\0';
	*ret_addr = addr;
	*ret_name = name;
	return 0;
}

static bool is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

int sn_ksyms_parse(FILE *f, const char *const *wanted, size_t n_wanted,
		   struct sn_ksyms **ret)
{
	_cleanup_(sn_ksyms_freep) struct sn_ksyms *k = NULL;
	char line[SN_KSYMS_LINE_MAX];
	bool any_address = false;
	int r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	while (fgets(line, sizeof(line), f)) {
		uint64_t addr;
		char type, *name;
		size_t len = strlen(line);

		if (len + 1 == sizeof(line) && line[len - 1] != '\n')
			return -EBADMSG; /* no kallsyms line is this long */
		k->lines++;
		r = parse_line(line, &addr, &type, &name);
		if (r < 0)
			return r;
		any_address = any_address || addr;
		/* The ends: any symbol above a kept start bounds it. */
		for (size_t i = 0; i < k->n; i++)
			if (addr > k->syms[i].start &&
			    (k->syms[i].end == k->syms[i].start || addr < k->syms[i].end))
				k->syms[i].end = addr;
		if (!is_text(type))
			continue;
		for (size_t w = 0; w < n_wanted; w++) {
			struct sn_ksym *s;

			if (strcmp(name, wanted[w]) != 0)
				continue;
			if (strlen(name) > SN_KSYMS_NAME_MAX)
				return -EBADMSG;
			if (k->n == SN_KSYMS_MAX)
				return -E2BIG;
			s = reallocarray(k->syms, k->n + 1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			k->syms = s;
			/* end == start: not bounded yet (the loop above) */
			k->syms[k->n++] = (struct sn_ksym){ .name = wanted[w],
							    .start = addr,
							    .end = addr };
			break;
		}
	}
	if (ferror(f))
		return -EIO;
	k->hidden = k->lines > 0 && !any_address;
	*ret = TAKE_PTR(k);
	return 0;
}

int sn_ksyms_read(const char *path, const char *const *wanted, size_t n_wanted,
		  struct sn_ksyms **ret)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	return sn_ksyms_parse(f, wanted, n_wanted, ret);
}

const char *sn_ksyms_unusable(const struct sn_ksyms *k)
{
	if (k->lines == 0)
		return "is empty (masked, e.g. by a unit's ProtectKernelTunables= or "
		       "InaccessiblePaths=)";
	if (k->hidden)
		return "shows every address as zero (CAP_SYSLOG missing, or "
		       "kernel.kptr_restrict=2)";
	if (k->n == 0)
		return "names none of the functions the classifier looks for";
	return NULL;
}

const struct sn_ksym *sn_ksyms_lookup(const struct sn_ksyms *k, uint64_t addr)
{
	if (!k || k->hidden)
		return NULL;
	for (size_t i = 0; i < k->n; i++)
		if (addr >= k->syms[i].start && addr < k->syms[i].end)
			return &k->syms[i];
	return NULL;
}
