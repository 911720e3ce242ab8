/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cpu-set.h"

int sn_cpu_set_add(struct sn_cpu_set *s, uint32_t cpu)
{
	if (cpu >= SN_CPU_SET_MAX)
		return -ERANGE;
	s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
	return 0;
}

void sn_cpu_set_del(struct sn_cpu_set *s, uint32_t cpu)
{
	if (cpu < SN_CPU_SET_MAX)
		s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool sn_cpu_set_test(const struct sn_cpu_set *s, uint32_t cpu)
{
	if (cpu >= SN_CPU_SET_MAX)
		return false;
	return s->bits[cpu / 64] & (UINT64_C(1) << (cpu % 64));
}

unsigned sn_cpu_set_count(const struct sn_cpu_set *s)
{
	unsigned n = 0;

	for (size_t i = 0; i < SN_CPU_SET_MAX / 64; i++)
		n += (unsigned)__builtin_popcountll(s->bits[i]);
	return n;
}

bool sn_cpu_set_empty(const struct sn_cpu_set *s)
{
	for (size_t i = 0; i < SN_CPU_SET_MAX / 64; i++)
		if (s->bits[i])
			return false;
	return true;
}

int sn_cpu_set_next(const struct sn_cpu_set *s, uint32_t from)
{
	for (uint32_t i = from / 64; from < SN_CPU_SET_MAX && i < SN_CPU_SET_MAX / 64;
	     i++) {
		uint64_t w = s->bits[i];

		if (i == from / 64)
			w &= ~UINT64_C(0) << (from % 64);
		if (w)
			return (int)(i * 64 + (uint32_t)__builtin_ctzll(w));
	}
	return -ENOENT;
}

/* A decimal CPU number: no sign, no leading zero, below SN_CPU_SET_MAX. */
static int parse_cpu(const char **p, const char *end, uint32_t *ret)
{
	const char *s = *p;
	uint32_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	if (*s == '0' && s + 1 < end && s[1] >= '0' && s[1] <= '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint32_t)(*s - '0');
		if (v >= SN_CPU_SET_MAX)
			return -ERANGE;
	}
	*p = s;
	*ret = v;
	return 0;
}

int sn_cpu_set_parse(const char *list, size_t len, struct sn_cpu_set *ret)
{
	struct sn_cpu_set s = {};
	const char *p = list, *end = list + len;
	int r;

	if (!list || len == 0)
		return -EINVAL;

	for (;;) {
		uint32_t first, last;

		r = parse_cpu(&p, end, &first);
		if (r < 0)
			return r;
		last = first;
		if (p < end && *p == '-') {
			p++;
			r = parse_cpu(&p, end, &last);
			if (r < 0)
				return r;
			if (last < first)
				return -EINVAL;
		}
		for (uint32_t c = first; c <= last; c++)
			(void)sn_cpu_set_add(&s, c);
		if (p == end)
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}

	*ret = s;
	return 0;
}

int sn_cpu_set_format(const struct sn_cpu_set *s, char *buf, size_t size)
{
	size_t len = 0;
	int cpu;

	if (size == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (cpu = sn_cpu_set_next(s, 0); cpu >= 0;) {
		int last = cpu, n;

		while (last + 1 < SN_CPU_SET_MAX &&
		       sn_cpu_set_test(s, (uint32_t)last + 1))
			last++;
		if (last == cpu)
			n = snprintf(buf + len, size - len, "%s%d", len ? "," : "", cpu);
		else
			n = snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "",
				     cpu, last);
		if (n < 0 || (size_t)n >= size - len) {
			buf[0] = '\0';
			return -ENOBUFS;
		}
		len += (size_t)n;
		cpu = sn_cpu_set_next(s, (uint32_t)last + 1);
	}
	return 0;
}
