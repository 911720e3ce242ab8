/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A fixed-size CPU bitmap (CPUs 0 to SN_CPU_SET_MAX - 1, 512 bytes): what the kernel log
 * names as CPU lists ("%*pbl": "0,2-3") or one CPU per line. No allocation.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN_CPU_SET_MAX 4096

struct sn_cpu_set {
	uint64_t bits[SN_CPU_SET_MAX / 64];
};

/* Adds cpu; -ERANGE when cpu >= SN_CPU_SET_MAX. */
int sn_cpu_set_add(struct sn_cpu_set *s, uint32_t cpu);
/* Removes cpu (nothing when it is not there or out of range). */
void sn_cpu_set_del(struct sn_cpu_set *s, uint32_t cpu);
bool sn_cpu_set_test(const struct sn_cpu_set *s, uint32_t cpu);
unsigned sn_cpu_set_count(const struct sn_cpu_set *s);
bool sn_cpu_set_empty(const struct sn_cpu_set *s);
/* The first CPU >= from in s, or -ENOENT. */
int sn_cpu_set_next(const struct sn_cpu_set *s, uint32_t from);

#define for_each_cpu(cpu, s)                              \
	for ((cpu) = sn_cpu_set_next((s), 0); (cpu) >= 0; \
	     (cpu) = sn_cpu_set_next((s), (cpu) + 1))

/*
 * Parses the len bytes at list as the kernel's "%*pbl" CPU list ("0", "1-3", "0,2-5"):
 * decimal numbers without sign or leading zeros, inclusive ascending ranges, no spaces,
 * not empty. -EINVAL when malformed, -ERANGE for a CPU >= SN_CPU_SET_MAX; *ret is
 * written only on success.
 */
int sn_cpu_set_parse(const char *list, size_t len, struct sn_cpu_set *ret);

/* Writes s as a CPU list ("0,2-3", "" when empty); -ENOBUFS when size is too small. */
int sn_cpu_set_format(const struct sn_cpu_set *s, char *buf, size_t size);
