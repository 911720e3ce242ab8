/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The manager: sdei-nmid's state around one sd-event loop. It owns the sources (one file
 * each: kmsg-source.c), the incidents (lib/incident.h) and the sinks (the spool, and
 * journald when asked); a source hands it recognizer events, the incidents hand it
 * closed incidents, which become reports (lib/report.h) written to every sink.
 */

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "config.h"
#include "incident.h"
#include "kdump.h"
#include "kclock.h"
#include "macro.h"
#include "otlp-config.h"
#include "report.h"
#include "report-limit.h"
#include "spool.h"

struct kmsg_source;
struct metrics_sink;
struct spool_writer;
struct otlp_sink;
struct nl_source;
struct bpf_source;

/*
 * The sources, each optional: a source that does not run says why (manager_start()
 * logs it, the STATUS line and the metrics show it).
 */
enum manager_source_id {
	MANAGER_SOURCE_KMSG,
	MANAGER_SOURCE_NETLINK,
	MANAGER_SOURCE_BPF,
	_MANAGER_SOURCE_MAX,
};

struct manager_source_state {
	bool up;
	char reason[256]; /* why it does not run; "" while it runs */
};

/*
 * What the daemon counts since it started: the metrics sink exports these, every part
 * of the daemon adds to them here and nowhere else.
 */
struct manager_counters {
	uint64_t incidents[_SN_INCIDENT_KIND_MAX]; /* reported, by kind */
	uint64_t backtraces_requested;		   /* through the netlink family */
	uint64_t backtraces_captured;
	uint64_t backtraces_timed_out;
	uint64_t reports_spooled;	    /* accepted by the spool */
	uint64_t reports_evicted;	    /* evicted from the spool, oldest first */
	uint64_t reports_shipped;	    /* delivered to a remote sink (OTLP) */
	uint64_t reports_failed;	    /* not written to some sink */
	uint64_t reports_evicted_unshipped; /* of reports_evicted: not shipped yet */
	uint64_t otlp_requests_failed;	    /* OTLP requests retried */
	/* OTLP reports set aside, not retried, by reason (lib/otlp.h) */
	uint64_t otlp_set_aside[_SN_OTLP_ASIDE_MAX];
	uint64_t reports_folded; /* held back as repeats or by the rate limit */
	uint64_t bpf_events;	 /* records of the BPF source taken */
	uint64_t bpf_lost;	 /* records the BPF programs could not write */
	/* missing from the kernel log's SEQ: overwritten before they were read */
	uint64_t kmsg_records_lost;
};

/*
 * The spool as the metrics show it: the totals of the spool's index in memory, which
 * the spool writer sends with each answer (spool-writer.h).
 */
struct manager_spool_state {
	bool open;
	uint64_t reports_pending; /* to be pushed */
	uint64_t reports_shipped; /* in shipped/ */
	/* kept, not to be pushed (folded, rate-limited, refused) */
	uint64_t reports_held;
	uint64_t bytes;				 /* of all of them */
	uint64_t oldest_unshipped_realtime_usec; /* the oldest pending one's; 0: none */
	/* a request to the spool writer has waited too long (a disk stall) */
	bool stalled;
};

/* The manager keeps its own copy: manager_config_copy() duplicates every string. */
struct manager_config {
	const char *kmsg_path;	 /* NULL: /dev/kmsg */
	const char *kmsg_cursor; /* the live log's cursor file; NULL: none */
	bool cursor_for_files; /* a file's too (--kmsg-cursor given): resumed after it */
	bool from_start;       /* read what the kernel log holds, not only what comes */
	bool exit_on_eof;      /* a file or pipe: flush and exit at its end */
	const char *spool_dir; /* NULL: no spool */
	struct sn_spool_limits spool_limits; /* zeros: no bounds */
	const char *root;		     /* where the host identity is read from */
	bool journal;			     /* write reports to journald too */
	const char *metrics_path;	     /* NULL: no Prometheus textfile */
	uint32_t metrics_heartbeat_sec;	     /* rewritten at least this often */
	/* The OTLP sink's (daemon/otlp-sink.h); url NULL: none */
	struct sn_otlp_settings otlp;
	bool netlink;			 /* use the sdei-nmi netlink family */
	uint32_t netlink_timeout_ms;	 /* the kernel's wait per request */
	struct sn_limiter_config limits; /* repeats folded, reports a minute */
	enum sn_config_bpf bpf;		 /* the BPF source: auto, yes, no */
	struct sn_kdump_options kdump;	 /* the checks' policy ([kdump]) */
	uint32_t kdump_interval_sec;	 /* checked again every; 0: no timer */
};

/* The directories under the root that the kdump checks' files are in. */
#define MANAGER_KDUMP_WATCHES 4

/* Pending reports of the spool not in the OTLP queue yet (report-sinks.c). */
struct manager_backlog {
	char (*ids)[SN_REPORT_ID_LEN + 1];
	size_t head, n, allocated;
	size_t reading; /* asked of the spool writer, not answered yet */
	bool full;	/* the OTLP queue refused one (bytes): no read until one leaves */
};

struct manager;
/* SIGHUP: reads the configuration again and hands it to manager_reload(). */
typedef int (*manager_reload_t)(struct manager *m, void *userdata);

struct manager {
	struct manager_config cfg;
	sd_event *event;
	sd_event_source *sigterm, *sigint, *sighup;
	manager_reload_t reload;
	void *reload_userdata;
	uint64_t reloads, reload_failures;
	bool reload_failed; /* the last reload */

	struct sn_host host;
	struct sn_incidents *incidents;
	struct spool_writer *writer; /* the spool and the cursor (spool-writer.h) */
	struct manager_backlog backlog;
	struct manager_spool_state spool_state; /* from the spool writer's answers */
	bool exit_pending; /* the loop ends once the spool writer is done */
	int exit_status;
	sd_event_source *exit_timer;
	struct metrics_sink *metrics; /* NULL: not configured, or could not start */
	struct otlp_sink *otlp;	      /* NULL: not configured, or could not start */

	struct kmsg_source *kmsg;
	struct nl_source *netlink;
	struct sn_limiter *limiter;
	/* The last kdump snapshot (report-policy.h): what the metrics show. */
	bool kdump_ready;   /* no check failed */
	bool kdump_checked; /* a snapshot was taken */
	enum sn_kdump_status kdump_status;
	enum sn_kdump_level kdump_levels[_SN_KDUMP_CHECK_MAX];
	/* Checked again: on a timer, and when a file it reads changes (inotify). */
	sd_event_source *kdump_timer;
	sd_event_source *kdump_watches[MANAGER_KDUMP_WATCHES];
	struct bpf_source *bpf;
	struct manager_source_state sources[_MANAGER_SOURCE_MAX];
	unsigned n_sources; /* running */
	struct manager_counters counters;
	bool live_clock;	 /* the kernel log is this boot's, read as it comes */
	struct sn_kclock kclock; /* its clock against CLOCK_MONOTONIC, when live */
	/* a hard lockup or an RCU stall closed: a CPU may not take IPIs (manager_run())
	 */
	bool deaf_cpu;
	bool reported; /* a report since the kernel log cursor was last queued */
	/* the first record of the first report the spool refused or lost: the cursor
	 * stays below it (report-sinks.h); UINT64_MAX: none */
	uint64_t cursor_hold;

	uint64_t reports; /* spooled (with a spool), else written to the journal */
	uint64_t report_failures; /* not written to every sink */
};

int manager_config_copy(const struct manager_config *src, struct manager_config *ret);
void manager_config_done(struct manager_config *c);

int manager_new(const struct manager_config *cfg, struct manager **ret);
struct manager *manager_free(struct manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct manager *, manager_free);

/*
 * Applies a new configuration (SIGHUP): what can change while running does (the
 * journal sink, the spool's bounds, and what the sinks and sources take), what cannot
 * (the kernel log's path, the spool directory, the root) is logged as needing a
 * restart and kept as it was.
 */
int manager_reload(struct manager *m, const struct manager_config *cfg);
void manager_set_reload(struct manager *m, manager_reload_t cb, void *userdata);

/* Starts the sources; -ENODEV when none runs (each one's reason is logged). */
int manager_start(struct manager *m);
/*
 * Runs the loop until SIGTERM, SIGINT or the end of input, then reports what is open;
 * returns the exit status: 0 after a signal, whatever failed before (logged and
 * counted); the end of input's (manager_exit()) otherwise.
 */
int manager_run(struct manager *m);
/* Closes what is open (end of input, shutting down): the reports are written. */
int manager_flush(struct manager *m);

/*
 * Takes the events that other sources hold (the BPF ring buffer): the kernel log source
 * calls it before the records it read, so that a signal precedes the lines it caused.
 */
void manager_drain_signals(struct manager *m);
/* The sources' clock changed (records came, a tick): closes the quiet incidents. */
int manager_tick(struct manager *m, uint64_t now_usec);
/*
 * Ends the loop with status (EXIT_SUCCESS, EXIT_FAILURE): once what is queued for the
 * spool is written (within REPORT_SINKS_FINISH_USEC), then what is queued for OTLP
 * (otlp-sink.h).
 */
void manager_exit(struct manager *m, int status);
/* A spool write was answered: an exit that waited for it goes on. */
void manager_exit_if_done(struct manager *m);
void manager_update_status(struct manager *m);
/* The counters or the sources' states changed: the metrics file follows (coalesced). */
void manager_counters_changed(struct manager *m);
const char *manager_source_to_string(enum manager_source_id id);
/* Records that a source runs (reason NULL) or why it does not, and logs it. */
void manager_source_set(struct manager *m, enum manager_source_id id, int error,
			const char *reason);
