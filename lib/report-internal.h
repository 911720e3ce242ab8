/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What report.c (building, writing) shares with report-parse.c (reading). */

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

extern const char *const sn_report_kind_names[];
extern const size_t sn_report_kind_names_n;
extern const char *const sn_report_delivery_names[];
extern const size_t sn_report_delivery_names_n;
extern const char *const sn_report_source_names[];
extern const size_t sn_report_source_names_n;

/* The index of s in names[0..n) (NULL entries skipped); -EINVAL when absent. */
int sn_report_name_lookup(const char *const *names, size_t n, const char *s,
			  unsigned *ret);
/* Whether s is printable ASCII only. */
bool sn_report_text_is_plain(const char *s);

extern const char *const sn_report_sources_names[];
extern const size_t sn_report_sources_names_n;

/* Validity of a value of the host's field f, of a detector's and a function's name. */
bool sn_report_host_value_valid(enum sn_host_field f, const char *v);
bool sn_report_detector_valid(const char *s);
bool sn_report_function_valid(const char *s);
/* The host's field f in h. */
char **sn_report_host_slot(struct sn_host *h, enum sn_host_field f);
/* Whether e has anything of a capture (registers, comm, pid, frames). */
bool sn_report_evidence_has_stack_fields(const struct sn_evidence *e);
/* A zeroed report; NULL without memory. */
struct sn_report *sn_report_alloc(void);
/* Appends a frame to a task's stack (and hashes it again). */
int sn_report_task_add_frame(struct sn_report_task *t, const char *frame);
