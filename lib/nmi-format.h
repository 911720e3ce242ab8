/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Human and JSON renderings of the sdei-nmi structs. Pure: they write to the FILE* or
 * build the cJSON tree they are given and nothing else, so tests compare their output
 * with files. sdei-nmictl uses the same functions for one-shot replies and for the
 * notifications it monitors.
 */

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "nmi-parse.h"

/* The kernel's default when a request names no timeout. */
#define SN_DEFAULT_TIMEOUT_MS 500

struct sn_format_opts {
	uint32_t timeout_ms;	  /* the request's timeout, 0 when unknown */
	uint32_t min_interval_ms; /* the service's minimum interval, 0 when unknown */
};

/* PSTATE (SPSR_EL1 layout): D, A, I, F masks in bits 9:6, mode in bits 4:0. */
struct sn_daif {
	bool d, a, i, f;
};

struct sn_daif sn_pstate_daif(uint64_t pstate);
/* IRQs or FIQs masked: nothing but an NMI (here: SDEI) reaches the CPU. */
bool sn_pstate_interrupts_masked(uint64_t pstate);
/* "EL1h", "EL0t", ... or "AArch32" for a 32-bit context; buf holds 8 bytes. */
const char *sn_pstate_el(uint64_t pstate, char buf[static 8]);
/* "D-IF": the letter when the mask is set, '-' when clear; buf holds 5 bytes. */
const char *sn_daif_string(struct sn_daif daif, char buf[static 5]);

/* s with bytes other than printable ASCII as \xNN (untrusted text on a terminal). */
void sn_fputs_escaped(FILE *f, const char *s);
/* "4.2 us" below 100 us, else "1.23 ms"; buf holds 32 bytes. */
const char *sn_format_ns(uint64_t ns, char buf[static 32]);

/* pc and lr (symbolized when known, else hex) and sp, one per line after indent. */
struct sn_regs_view {
	const char *pc_sym, *lr_sym; /* NULL when unknown */
	bool has_pc, has_lr, has_sp;
	uint64_t pc, lr, sp;
};
void sn_format_regs(FILE *f, const char *indent, const struct sn_regs_view *v);
/* One frame per line after indent, escaped. */
void sn_format_frames(FILE *f, const char *indent, char *const *frames, size_t n);

/* Names as in the YAML spec; NULL for values this version does not know. */
const char *sn_state_to_string(uint32_t state);
const char *sn_delivery_to_string(uint32_t delivery);
const char *sn_trigger_to_string(uint32_t trigger);
/* "kernel", "user", "idle", "guest" */
const char *sn_context_to_string(uint32_t context);
const char *sn_path_to_string(uint32_t path);	    /* "sdei", "ipi" */

/*
 * How a capture was taken, as the header line says it: nothing for the SDEI path (or
 * none given), " through an IPI (SDEI masked: deep idle or going offline)" for the IPI
 * fallback, " through unknown path N" otherwise.
 */
void sn_format_path(FILE *f, uint32_t path);
/* What the header says of an IPI capture without pstate, after ", ". */
#define SN_TEXT_IPI_NO_REGS                                                     \
	"no registers (the IPI's function ran outside an interrupt; pc and lr " \
	"are its caller's)"

/* What is said of a CPU that the event found in a KVM guest, after ", ". */
#define SN_TEXT_GUEST "running a KVM guest (the host's registers and stack, after it exited)"

/*
 * One CPU's block: a header line with the delivery status, for captured CPUs followed
 * by pc, lr, sp and the call trace. The header of a captured CPU says how it was taken
 * (sn_format_path()), its PSTATE decoded, its task ("idle task" for the CPU's idle
 * task; ", in user mode" at EL0; SN_TEXT_GUEST in a KVM guest) and ", asked by the kernel" when the kernel was.
 * Returns 0 or -EIO when the stream failed.
 */
int sn_format_entry(FILE *f, const struct sn_entry *e, const struct sn_format_opts *o);
int sn_format_backtrace(FILE *f, const struct sn_backtrace *b,
			const struct sn_format_opts *o);
int sn_format_status(FILE *f, const struct sn_status *s);

/*
 * JSON trees (see cli/sdei-nmictl-*.schema.json); -ENOMEM on allocation failure. A
 * captured entry's "context" and "path" are the enum's names, "unknown-N" for a value
 * this version does not know, and absent when the kernel gave none.
 */
int sn_entry_to_json(const struct sn_entry *e, cJSON **ret);
int sn_backtrace_to_json(const struct sn_backtrace *b, cJSON **ret);
int sn_status_to_json(const struct sn_status *s, cJSON **ret);
/* Prints j and a newline: indented, or on one line for streams. */
int sn_json_print(FILE *f, const cJSON *j, bool pretty);
