/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pins of the BPF source's links (daemon/bpf-source.h): after a hard lockup or an
 * RCU stall, sdei-nmid leaves its programs attached at exit, each link pinned in a
 * bpffs directory as "PID-PROGRAM" (the exiting process's id, the program's name).
 * Pure but for the directory it is given, which may be any directory (tests use
 * regular files in a temporary one).
 *
 * A later sdei-nmid of the same boot (bpffs does not outlive it) removes the pins of
 * the programs it has attached itself: removing a pin drops the last reference to that
 * link, and the kernel detaches the program. What waits for every CPU is turning the
 * hook off (a tracepoint's static key, the function's entry patched back); with the
 * new process's program on the same hook the hook stays on. And the unlink itself does
 * not wait for the release: bpffs drops an inode's object from an RCU callback (its
 * free_inode), which hands the link to a kernel worker. Pins of programs the new
 * process could not attach are left, and counted.
 */

#include <stddef.h>
#include <sys/types.h>

#define SN_BPF_PIN_NAME_MAX 64

/* "PID-PROGRAM" into buf; -ENAMETOOLONG when it does not fit. */
int sn_bpf_pin_name(pid_t pid, const char *program, char *buf, size_t size);

/*
 * Splits a pin's name: the program's name after "PID-" (a decimal PID, no sign, no
 * leading zero), or NULL when name is not a pin's.
 */
const char *sn_bpf_pin_program(const char *name);

/*
 * Removes the pins in the directory dir_fd whose program is one of programs; every
 * other entry (other programs' pins, names that are no pin's, subdirectories) is left
 * and counted in n_left. Goes on past a failed removal (counted as left) and returns
 * the first error, else 0; the counts (either may be NULL) are set in every case but
 * a directory that cannot be read. dir_fd stays open and the caller's.
 */
int sn_bpf_pins_remove(int dir_fd, const char *const *programs, size_t n_programs,
		       unsigned *n_removed, unsigned *n_left);
