/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What the parts of sdei-nmictl share: the options as parsed (sdei-nmictl.c), errors
 * said in one line, JSON written in the mode asked. Each verb of its own file (reports.c,
 * test-incident.c) is declared here.
 */

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "macro.h"
#include "report.h"

#define PROGRAM	       "sdei-nmictl"
#define DEFAULT_SPOOL  "/var/lib/sdei-nmi/spool"
#define DEFAULT_CONFIG "/etc/sdei-nmi/sdei-nmid.conf"

enum {
	EXIT_INCOMPLETE = 1, /* some CPU asked was not captured; some report unreadable */
	EXIT_ERROR = 2,
	/* kdump */
	EXIT_KDUMP_DEGRADED = 1,
	EXIT_KDUMP_NOT_READY = 2,
	EXIT_KDUMP_ERROR = 3,
};

/*
 * --json=MODE as systemd's tools take it; a bare --json (or -j) keeps what it meant
 * before MODE existed: the command's own form (json_pretty()).
 */
enum json_mode {
	JSON_OFF = 0,
	JSON_SHORT,   /* one line per document */
	JSON_PRETTY,  /* indented */
	JSON_DEFAULT, /* --json alone */
};

/* The incident reports' states in the spool: not shipped yet, shipped, held back. */
enum report_state {
	REPORT_PENDING = 1 << 0,
	REPORT_SHIPPED = 1 << 1,
	REPORT_HELD = 1 << 2,
	_REPORT_STATE_ALL = (1 << 3) - 1,
};

extern enum json_mode arg_json;
extern const char *arg_spool;
extern bool arg_spool_given;
extern const char *arg_config; /* NULL: DEFAULT_CONFIG when it exists */
/* reports list */
extern bool arg_has_since, arg_has_until;
extern uint64_t arg_since, arg_until; /* realtime microseconds, inclusive */
extern unsigned arg_kinds;	      /* 1 << enum sn_incident_kind; 0: all */
extern unsigned arg_states;	      /* enum report_state; 0: all */
/* test-incident */
extern uint64_t arg_wait_usec;

_printf_(2, 3) int log_error_errno(int r, const char *fmt, ...);
#define log_error(...) log_error_errno(EINVAL, __VA_ARGS__)

/* Whether JSON is asked for; whether it is indented, default_pretty for --json alone. */
static inline bool json_on(void)
{
	return arg_json != JSON_OFF;
}

static inline bool json_pretty(bool default_pretty)
{
	return arg_json == JSON_PRETTY || (arg_json == JSON_DEFAULT && default_pretty);
}

/* One document on stdout, in the mode asked; an error said. */
int print_json(const cJSON *j, bool default_pretty);

const char *report_state_to_string(enum report_state s);
int report_states_from_string(const char *s, unsigned *ret);

#ifdef SDEI_NMI_HAVE_CONFIG
struct sn_config;
/*
 * sdei-nmid's configuration: --config, else the default file and its drop-ins when they
 * exist (defaults otherwise); sn_config_done() it. Errors said.
 */
int config_load(struct sn_config *c);
#endif

int verb_reports(int argc, char *argv[], int *ret_exit);
int verb_test_incident(int argc, char *argv[], int *ret_exit);
