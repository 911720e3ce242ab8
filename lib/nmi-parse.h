/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The replies and notifications of the "sdei-nmi" generic netlink family as plain C
 * structs, and the parsers that fill them. The parsers are pure: they take a buffer and
 * its length, trust nothing in it, allocate the result and touch nothing else, so unit
 * tests and the fuzz harness call them directly.
 *
 * Rules every parser applies (see lib/nmi-parse.c):
 *  - the buffer must be 4-byte aligned, as netlink buffers are (-EINVAL otherwise);
 *  - every attribute must lie within its parent; bytes left over that cannot hold an
 *    attribute header, or an attribute longer than what is left, reject the message;
 *  - u8 is 1 byte, u32 4, uint 4 or 8, flag 0; strings must hold a NUL within their
 *    length and be no longer than the attribute's cap;
 *  - a single-valued attribute given twice rejects the message (no "last one wins");
 *  - attribute types this version does not know are ignored; an enum's value this
 *    version does not know is kept as its number (the formatters name it unknown);
 *  - at most SN_MAX_FRAMES frames per entry, SN_MAX_ENTRIES entries per backtrace and
 *    SN_MAX_CPUS CPUs per status, otherwise -E2BIG;
 *  - a malformed message is rejected whole with -EBADMSG, nothing half-filled escapes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/sdei_nmi.h>

#include "macro.h"

#define SN_MAX_FRAMES  64
#define SN_MAX_ENTRIES 4096
#define SN_MAX_CPUS    4096
#define SN_MAX_COMM    64
#define SN_MAX_SYMBOL  1024
#define SN_MAX_REASON  1024

/* The counters of one CPU; counters the kernel leaves out read as 0. */
struct sn_cpu_stats {
	uint32_t cpu;
	bool online;
	uint64_t signals;
	uint64_t handled;
	uint64_t timeouts;
	uint64_t rate_limited;
	uint64_t last_latency_ns;
};

struct sn_status {
	uint32_t state; /* enum sdei_nmi_state */
	char *reason;	/* NULL when absent */
	bool has_sdei_version;
	uint64_t sdei_version; /* major 62:48, minor 47:32, vendor 31:0 */
	bool has_event;
	uint32_t event;
	bool has_min_interval_ms;
	uint32_t min_interval_ms;
	size_t n_cpus;
	struct sn_cpu_stats *cpus;
};

struct sn_entry {
	uint32_t cpu;
	uint32_t delivery; /* enum sdei_nmi_delivery */
	uint32_t trigger;  /* enum sdei_nmi_trigger, 0 when absent */
	bool has_latency_ns, has_time_ns, has_seq, has_pstate;
	uint64_t latency_ns;
	uint64_t time_ns;
	uint64_t seq;
	uint64_t pstate;
	bool has_pc, has_lr, has_sp;
	uint64_t pc;
	uint64_t lr;
	uint64_t sp;
	uint32_t context; /* enum sdei_nmi_context, 0 when absent */
	uint32_t path;	  /* enum sdei_nmi_path, 0 when absent */
	char *comm;	  /* NULL when absent */
	bool has_pid;
	uint32_t pid;
	char *pc_sym; /* NULL when absent */
	char *lr_sym; /* NULL when absent */
	size_t n_frames;
	char **frames; /* innermost first */
};

struct sn_backtrace {
	uint8_t cmd; /* SDEI_NMI_CMD_BACKTRACE or _BACKTRACE_NTF; 0 for bare attributes */
	size_t n_entries;
	struct sn_entry *entries;
};

struct sn_status *sn_status_free(struct sn_status *s);
struct sn_backtrace *sn_backtrace_free(struct sn_backtrace *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_status *, sn_status_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct sn_backtrace *, sn_backtrace_free);

/* The attributes of a status reply (the genl payload after struct genlmsghdr). */
int sn_parse_status_attrs(const void *buf, size_t len, struct sn_status **ret);
/* The attributes of a backtrace reply or notification. */
int sn_parse_backtrace_attrs(const void *buf, size_t len, struct sn_backtrace **ret);

/*
 * One whole netlink message (struct nlmsghdr, struct genlmsghdr, attributes); len is
 * what the buffer holds, nlmsg_len must fit in it. The family id is not checked here.
 * sn_parse_genl_msg() only checks the headers and points at the command's attributes.
 */
int sn_parse_genl_msg(const void *buf, size_t len, uint8_t *ret_cmd,
		      const void **ret_attrs, size_t *ret_len);
int sn_parse_status_msg(const void *buf, size_t len, struct sn_status **ret);
int sn_parse_backtrace_msg(const void *buf, size_t len, struct sn_backtrace **ret);

/*
 * An NLMSG_ERROR message: *ret_error is its (negative or zero) errno, *ret_msg the
 * kernel's extack message (NLMSGERR_ATTR_MSG) or NULL when it sent none.
 */
int sn_parse_error_msg(const void *buf, size_t len, int *ret_error, char **ret_msg);

/* Captured at EL0: no kernel frames follow. */
static inline bool sn_entry_user(const struct sn_entry *e)
{
	return e->context == SDEI_NMI_CONTEXT_USER;
}

/*
 * Captured by the IPI fallback, for a CPU that had masked SDEI (deep idle, going
 * offline); without pstate, its function ran outside an interrupt and pc and lr are its
 * caller's.
 */
static inline bool sn_entry_via_ipi(const struct sn_entry *e)
{
	return e->path == SDEI_NMI_PATH_IPI;
}

/* SDEI_VERSION fields. */
static inline unsigned sn_sdei_version_major(uint64_t v)
{
	return (v >> 48) & 0x7fff;
}

static inline unsigned sn_sdei_version_minor(uint64_t v)
{
	return (v >> 32) & 0xffff;
}

static inline uint32_t sn_sdei_version_vendor(uint64_t v)
{
	return v & 0xffffffff;
}
