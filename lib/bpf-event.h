/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The records of bpf/stalls.bpf.c's ring buffer (bpf/stalls.h), checked and turned into
 * the daemon's terms. Pure. A record is trusted no more than a file: its size must be
 * its type's, its strings NUL-terminated within their fields, its CPUs below
 * SN_CPU_SET_MAX, its lengths within their arrays; anything else is -EBADMSG (an unknown
 * type: -EPROTO, a newer program than this reader).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu-set.h"
#include "incident.h"
#include "kallsyms.h"
#include "stalls.h"

enum sn_bpf_event_type {
	SN_BPF_EVENT_RCU_STALL = STALLS_EVENT_RCU_STALL,
	SN_BPF_EVENT_HUNG_TASK = STALLS_EVENT_HUNG_TASK,
	SN_BPF_EVENT_BACKTRACE = STALLS_EVENT_BACKTRACE,
};

/* What rcu_stall_warning's msg says. */
enum sn_bpf_rcu_kind {
	SN_BPF_RCU_UNKNOWN = 0,
	SN_BPF_RCU_OTHER_CPU, /* "StallDetected": the tick saw other CPUs stall */
	SN_BPF_RCU_SELF,      /* "SelfDetected": the CPU that ran it is the stalled one */
	SN_BPF_RCU_EXPEDITED, /* "ExpeditedStall" */
};

struct sn_bpf_event {
	enum sn_bpf_event_type type;
	uint32_t cpu; /* that ran the program */
	uint64_t ts_usec;
	uint32_t pid, tgid;
	char comm[STALLS_COMM_LEN];
	union {
		struct {
			enum sn_bpf_rcu_kind kind;
			char rcuname[STALLS_NAME_LEN];
			char msg[STALLS_NAME_LEN];
		} rcu;
		struct {
			uint32_t pid, tgid;
			char comm[STALLS_COMM_LEN];
			uint32_t state;
			bool iowait;
		} hang;
		struct {
			int32_t exclude_cpu;
			struct sn_cpu_set targets; /* the mask without exclude_cpu */
			int stack_error;	   /* bpf_get_stack()'s -errno, or 0 */
			size_t n_frames;
			uint64_t frames[STALLS_MAX_FRAMES]; /* innermost first */
		} backtrace;
	};
};

const char *sn_bpf_event_type_to_string(enum sn_bpf_event_type t);
const char *sn_bpf_rcu_kind_to_string(enum sn_bpf_rcu_kind k);

int sn_bpf_event_parse(const void *data, size_t size, struct sn_bpf_event *ret);

/*
 * The event as input to the incidents: its kind, CPUs (an RCU stall seen by another
 * CPU names none; a self-detected one names the CPU that ran the program; a backtrace
 * request names its targets, or for a soft lockup the requester, which is the stalled
 * one), detector, and for a backtrace request the trigger: its caller classified by ksyms
 * (bt-caller.h; NULL: no symbols). trigger_buf holds the trigger (sig points to it).
 */
void sn_bpf_event_to_signal(const struct sn_bpf_event *ev, const struct sn_ksyms *ksyms,
			    struct sn_incident_signal *ret_sig,
			    struct sn_incident_trigger *trigger_buf);
