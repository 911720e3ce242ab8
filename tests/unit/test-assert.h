/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cmocka assertions on the parsers' structs, field by field, for the unit tests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nmi-parse.h"

static inline void assert_str_or_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static inline void assert_entry_equal(const struct sn_entry *a, const struct sn_entry *b)
{
	assert_int_equal(a->cpu, b->cpu);
	assert_int_equal(a->delivery, b->delivery);
	assert_int_equal(a->trigger, b->trigger);
	assert_int_equal(a->has_latency_ns, b->has_latency_ns);
	assert_int_equal(a->latency_ns, b->latency_ns);
	assert_int_equal(a->has_time_ns, b->has_time_ns);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->has_seq, b->has_seq);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->has_pstate, b->has_pstate);
	assert_int_equal(a->pstate, b->pstate);
	assert_int_equal(a->has_pc, b->has_pc);
	assert_int_equal(a->pc, b->pc);
	assert_int_equal(a->has_lr, b->has_lr);
	assert_int_equal(a->lr, b->lr);
	assert_int_equal(a->has_sp, b->has_sp);
	assert_int_equal(a->sp, b->sp);
	assert_int_equal(a->context, b->context);
	assert_int_equal(a->path, b->path);
	assert_int_equal(a->has_pid, b->has_pid);
	assert_int_equal(a->pid, b->pid);
	assert_str_or_null(a->comm, b->comm);
	assert_str_or_null(a->pc_sym, b->pc_sym);
	assert_str_or_null(a->lr_sym, b->lr_sym);
	assert_int_equal(a->n_frames, b->n_frames);
	for (size_t i = 0; i < a->n_frames; i++)
		assert_string_equal(a->frames[i], b->frames[i]);
}

static inline void assert_backtrace_equal(const struct sn_backtrace *a,
					  const struct sn_backtrace *b)
{
	assert_int_equal(a->cmd, b->cmd);
	assert_int_equal(a->n_entries, b->n_entries);
	for (size_t i = 0; i < a->n_entries; i++)
		assert_entry_equal(&a->entries[i], &b->entries[i]);
}

static inline void assert_status_equal(const struct sn_status *a,
				       const struct sn_status *b)
{
	assert_int_equal(a->state, b->state);
	assert_str_or_null(a->reason, b->reason);
	assert_int_equal(a->has_sdei_version, b->has_sdei_version);
	assert_int_equal(a->sdei_version, b->sdei_version);
	assert_int_equal(a->has_event, b->has_event);
	assert_int_equal(a->event, b->event);
	assert_int_equal(a->has_min_interval_ms, b->has_min_interval_ms);
	assert_int_equal(a->min_interval_ms, b->min_interval_ms);
	assert_int_equal(a->n_cpus, b->n_cpus);
	for (size_t i = 0; i < a->n_cpus; i++)
		assert_memory_equal(&a->cpus[i], &b->cpus[i], sizeof(a->cpus[i]));
}
