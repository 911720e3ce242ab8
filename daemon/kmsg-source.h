/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kernel log source: lib/kmsg-reader as an sd-event source, feeding the recognizer
 * (lib/kmsg-events) and the incidents. /dev/kmsg and pipes are I/O sources; a regular
 * file (tests, replays), which epoll refuses, is read by a deferred source. A timer ticks
 * the recognizer and the incidents at their next deadline when the log is live (the
 * log's clock converted to CLOCK_MONOTONIC's by lib/kclock.h, learned from the records
 * as they come); a file or pipe's time is its records' own, and its end, with
 * --exit-on-eof, flushes and ends the loop.
 */

#include "macro.h"
#include "manager.h"

struct kmsg_source;

/* Opens and registers the source; the caller logs why it could not. */
int kmsg_source_new(struct manager *m, const char *path, bool from_start,
		    bool exit_on_eof, struct kmsg_source **ret);
struct kmsg_source *kmsg_source_free(struct kmsg_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmsg_source *, kmsg_source_free);

/* Emits what the recognizer holds open (end of input, shutting down). */
int kmsg_source_flush(struct kmsg_source *s);
const char *kmsg_source_describe(const struct kmsg_source *s);
/* Saves the cursor if everything read is accounted for (shutting down, after a flush). */
void kmsg_source_save_cursor(struct kmsg_source *s);
