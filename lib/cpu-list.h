/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Adds the CPUs of a list such as "0,2-3" to the sorted, duplicate-free array
 * *cpus of *n_cpus elements. Numbers are decimal; ranges are inclusive and ascending.
 * Returns -EINVAL for a malformed list, -E2BIG past max_cpus CPUs in all, -ENOMEM;
 * on error *cpus and *n_cpus are left as they were.
 */
int sn_cpu_list_add(uint32_t **cpus, size_t *n_cpus, const char *list, size_t max_cpus);
