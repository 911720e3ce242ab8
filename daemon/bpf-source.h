/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The BPF source: bpf/stalls.bpf.c loaded through its skeleton (open, settings, load,
 * attach), its ring buffer as an sd-event I/O source, each record checked
 * (lib/bpf-event.h) and handed to the incidents as a signal (lib/incident.h, S1-S3),
 * a backtrace request's caller classified against /proc/kallsyms (lib/bt-caller.h).
 * Nothing blocks: the ring buffer is consumed, never polled.
 *
 * Its events are stamped with CLOCK_MONOTONIC (bpf_ktime_get_ns()), the incidents run
 * on the kernel log's clock, which on arm64 is ahead by the time the firmware took
 * (lib/kclock.h, learned from the records the kernel log source reads live). Until that
 * offset is known, events wait, at most BPF_SOURCE_CLOCK_WAIT_USEC, for the first
 * record (which usually follows at once: the kernel prints what made the event); then
 * they go in with what is known, said in the debug log.
 *
 * It runs with what the kernel allows: a program whose tracepoint or function the
 * kernel's BTF lacks, or that it refuses, is left out and said so; the source runs when
 * one program is attached. When none can be, bpf_source_new() fails with the reason.
 */

#include <stddef.h>

#include "macro.h"
#include "manager.h"

struct bpf_source;

#define BPF_SOURCE_CLOCK_WAIT_USEC (2ULL * 1000 * 1000)

/*
 * Loads and attaches. On failure, reason (reason_size bytes) says why in words, the
 * errors included (for manager_source_set() without one).
 */
int bpf_source_new(struct manager *m, struct bpf_source **ret, char *reason,
		   size_t reason_size);
struct bpf_source *bpf_source_free(struct bpf_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bpf_source *, bpf_source_free);

/*
 * Takes what the ring buffer holds now. The kernel log source calls it (through
 * manager_drain_signals()) before the records it read, so that a signal comes before
 * the lines it caused.
 */
int bpf_source_drain(struct bpf_source *s);
const char *bpf_source_describe(const struct bpf_source *s);

/*
 * Leaves the programs attached after the process ends, pinned in dir (a bpffs
 * directory, made if missing) as PID-PROGRAM (lib/bpf-pins.h). Detaching a program
 * toggles a static key or patches kernel text, which waits for every CPU to take an
 * IPI; a CPU wedged with interrupts masked never does, and the process's exit (which
 * closes the links) would spin in the kernel for good. The caller does it when a stall
 * may have left such a CPU.
 *
 * The pins do not pile up: bpffs goes at reboot, and within a boot the next
 * bpf_source_new() removes, once its own programs are attached, the pins of the same
 * programs (their hooks stay on, so nothing waits for a CPU: lib/bpf-pins.h). The pins
 * of a program it could not attach stay, said at start, for the administrator.
 */
#define BPF_SOURCE_PIN_DIR "/sys/fs/bpf/sdei-nmid"
int bpf_source_pin(struct bpf_source *s, const char *dir);
