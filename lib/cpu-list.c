/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cpu-list.h"
#include "macro.h"

static int parse_number(const char **p, uint32_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v >= UINT32_MAX)
			return -EINVAL;
	}
	*p = s;
	*ret = (uint32_t)v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sorts and drops duplicates; returns the new count. */
static size_t sort_unique(uint32_t *set, size_t n)
{
	size_t u = 0;

	qsort(set, n, sizeof(*set), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || set[u - 1] != set[i])
			set[u++] = set[i];
	return u;
}

int sn_cpu_list_add(uint32_t **cpus, size_t *n_cpus, const char *list, size_t max_cpus)
{
	_cleanup_(freep) uint32_t *set = NULL;
	size_t n = *n_cpus;
	const char *p = list;
	int r;

	if (!list || !*list || max_cpus == 0)
		return -EINVAL;
	if (n > max_cpus)
		return -E2BIG;

	set = malloc(max_cpus * sizeof(*set));
	if (!set)
		return -ENOMEM;
	if (n > 0)
		memcpy(set, *cpus, n * sizeof(*set));

	for (;;) {
		uint32_t first, last;

		r = parse_number(&p, &first);
		if (r < 0)
			return r;
		last = first;
		if (*p == '-') {
			p++;
			r = parse_number(&p, &last);
			if (r < 0)
				return r;
			if (last < first)
				return -EINVAL;
		}
		if ((uint64_t)last - first + 1 > max_cpus)
			return -E2BIG;
		for (uint64_t c = first; c <= last; c++) {
			uint32_t cpu = (uint32_t)c;

			/* Full: drop duplicates, then only CPUs already there may come.
			 */
			if (n >= max_cpus) {
				n = sort_unique(set, n);
				if (n >= max_cpus) {
					if (bsearch(&cpu, set, n, sizeof(*set), cmp_u32))
						continue;
					return -E2BIG;
				}
			}
			set[n++] = cpu;
		}
		if (*p == '\0')
			break;
		if (*p != ',')
			return -EINVAL;
		p++;
	}

	n = sort_unique(set, n);
	free(*cpus);
	*cpus = TAKE_PTR(set);
	*n_cpus = n;
	return 0;
}
