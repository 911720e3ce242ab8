/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdei-nmictl: the SDEI NMI service's state, backtraces of chosen CPUs taken through
 * SDEI, and the kernel's own backtraces as they happen; the options, the verbs that talk
 * to the kernel, kdump. Glue only: the netlink client, the parsers and the formatters
 * live in lib/; reports in reports.c, test-incident in test-incident.c.
 *
 * Exit status: 0 when it worked (for backtrace: every CPU asked was captured), 1 when
 * some CPU was not captured, 2 on any error (a recording that could not be written
 * included). kdump: 0 ready, 1 degraded, 2 not ready, 3 on any error.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#ifdef SDEI_NMI_HAVE_CONFIG
#include "config.h"
#endif
#include "cpu-list.h"
#include "kdump.h"
#include "macro.h"
#include "nmi-client.h"
#include "nmi-format.h"
#include "report-format.h"
#include "sdei-nmictl.h"
#include "time-spec.h"
#include "util.h"

/* Tests only: the dump target's free space in bytes, instead of statvfs(). */
#define ENV_FREE_SPACE "SDEI_NMICTL_KDUMP_FREE_SPACE"

#ifndef SDEI_NMI_VERSION
#define SDEI_NMI_VERSION "unknown"
#endif

enum {
	OPT_JSON = 1 << 0,
	OPT_CPUS = 1 << 1,
	OPT_ALL = 1 << 2,
	OPT_TIMEOUT = 1 << 3,
	OPT_RECORD = 1 << 4,
	OPT_SPOOL = 1 << 5,
	OPT_ROOT = 1 << 6,
	OPT_CONFIG = 1 << 7,
	OPT_NOTE = 1 << 8,
	OPT_ARCH = 1 << 9,
	OPT_SINCE = 1 << 10,
	OPT_UNTIL = 1 << 11,
	OPT_KIND = 1 << 12,
	OPT_STATE = 1 << 13,
	OPT_WAIT = 1 << 14,
};

/* Shared with the verbs of the other files (sdei-nmictl.h). */
enum json_mode arg_json = JSON_OFF;
const char *arg_spool = DEFAULT_SPOOL;
bool arg_spool_given;
const char *arg_config;
bool arg_has_since, arg_has_until;
uint64_t arg_since, arg_until;
unsigned arg_kinds, arg_states;
uint64_t arg_wait_usec = 30 * UINT64_C(1000000);

static unsigned arg_given; /* OPT_* seen on the command line */
static bool arg_all;
static uint32_t *arg_cpus;
static size_t arg_n_cpus;
static uint32_t arg_timeout_ms;	    /* 0: the kernel's default */
static const char *arg_record_path; /* --record */
static FILE *arg_record;	    /* open while a verb runs */
static const char *arg_root = "/";
static const char *arg_note;
static enum sn_kdump_arch arg_arch = SN_KDUMP_ARCH_HOST;

static void arg_free(void)
{
	free(arg_cpus);
	if (arg_record)
		fclose(arg_record);
}

int log_error_errno(int r, const char *fmt, ...)
{
	va_list ap;

	r = r < 0 ? -r : r;
	fputs(PROGRAM ": ", stderr);
	errno = r;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -r;
}

static int help(void)
{
	printf("%1$s [OPTIONS...] COMMAND\n"
	       "\n"
	       "Query the SDEI NMI service and take CPU backtraces through SDEI\n"
	       "event 0, which reaches a CPU whatever its interrupt mask.\n"
	       "\n"
	       "Commands:\n"
	       "  status              Show the service's state and per-CPU counters\n"
	       "  backtrace           Backtrace chosen CPUs (needs CAP_NET_ADMIN)\n"
	       "  monitor             Print the kernel's own backtraces as they happen\n"
	       "                      (needs CAP_NET_ADMIN)\n"
	       "  reports [list]      List sdei-nmid's incident reports in the spool\n"
	       "  reports show ID     Show one report (ID or a unique prefix of it)\n"
	       "  test-incident       Send a synthetic incident through sdei-nmid's\n"
	       "                      sinks and wait for its report (needs root)\n"
	       "  kdump               Check whether a crash dump would be taken, and\n"
	       "                      how well (exit 0 ready, 1 degraded, 2 not ready)\n"
	       "  kdump record-test pass|fail\n"
	       "                      Record the result of a capture test\n"
	       "\n"
	       "Options:\n"
	       "  -h --help           Show this help\n"
	       "     --version        Show the version\n"
	       "  -j --json[=MODE]    Print JSON: pretty (indented), short (one line) or\n"
	       "                      off; without MODE as before: pretty, but short for\n"
	       "                      monitor and as spooled for reports show\n"
	       "  -c --cpu=N          Backtrace CPU N (may be repeated)\n"
	       "     --cpus=LIST      Backtrace the CPUs of LIST, e.g. 0,2-3\n"
	       "  -a --all            Backtrace every online CPU\n"
	       "  -t --timeout=MS     Wait at most MS (1-10000) for the CPUs [500]\n"
	       "     --record=FILE    Append the kernel's netlink messages to FILE,\n"
	       "                      as hex (status, backtrace, monitor)\n"
	       "     --spool=DIR      Read reports from DIR [" DEFAULT_SPOOL "]\n"
	       "     --since=TIME     reports list: first seen at TIME or later (as\n"
	       "                      journalctl: 2026-11-02 10:04, @EPOCH, -1h, today)\n"
	       "     --until=TIME     reports list: first seen at TIME or earlier\n"
	       "     --kind=KIND,...  reports list: of these kinds only\n"
	       "     --state=STATE,...\n"
	       "                      reports list: pending, shipped or held only\n"
	       "     --wait=SECONDS   test-incident: wait at most SECONDS for the\n"
	       "                      report [30]\n"
	       "     --root=DIR       kdump: check the system under DIR [/]\n"
	       "     --config=FILE    kdump, test-incident: sdei-nmid's configuration\n"
	       "                      [" DEFAULT_CONFIG "]\n"
	       "     --note=TEXT      kdump record-test: a note kept with the result\n"
	       "     --arch=ARCH      kdump: check for arm64, x86_64 or other [this\n"
	       "                      machine's]\n"
	       "\n"
	       "Exit status: 0 on success, 1 when some CPU was not captured,\n"
	       "2 on error; kdump: 0 ready, 1 degraded, 2 not ready, 3 on error.\n"
	       "See the %1$s(8) man page for details.\n",
	       PROGRAM);
	return 0;
}

static int parse_timeout(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 10000)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

static int parse_json_mode(const char *s, enum json_mode *ret)
{
	if (!s)
		*ret = JSON_DEFAULT;
	else if (strcmp(s, "pretty") == 0)
		*ret = JSON_PRETTY;
	else if (strcmp(s, "short") == 0)
		*ret = JSON_SHORT;
	else if (strcmp(s, "off") == 0)
		*ret = JSON_OFF;
	else
		return -EINVAL;
	return 0;
}

static uint64_t now_realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int parse_time_arg(const char *option, const char *s, uint64_t *ret)
{
	int r = time_spec_parse(s, now_realtime_usec(), ret);

	if (r == -ERANGE)
		return log_error_errno(r, "%s: '%s' is out of range (1970 to 9999)",
				       option, s);
	if (r < 0)
		return log_error_errno(
			r,
			"%s: invalid time '%s' (e.g. \"2026-11-02 10:04\", "
			"\"@1793613845\", \"-1h\", \"today\"; see "
			"systemd.time(7))",
			option, s);
	return 0;
}

static int parse_kinds(const char *s, unsigned *ret)
{
	_cleanup_(freep) char *copy = strdup(s);
	unsigned kinds = 0;
	char *p = copy, *t;

	if (!copy)
		return log_error_errno(ENOMEM, "out of memory");
	while ((t = strsep(&p, ","))) {
		enum sn_incident_kind k;

		if (sn_incident_kind_from_string(t, &k) < 0) {
			fprintf(stderr, PROGRAM ": --kind: unknown kind '%s' (", t);
			for (int i = 1; i < _SN_INCIDENT_KIND_MAX; i++)
				fprintf(stderr, "%s%s", i > 1 ? ", " : "",
					sn_incident_kind_to_string(i));
			fputs(")\n", stderr);
			return -EINVAL;
		}
		kinds |= 1u << k;
	}
	*ret = kinds;
	return 0;
}

/* --wait: whole seconds, 1 to 3600. */
static int parse_wait(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long v;

	if (!sn_is_digit(*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 3600)
		return -ERANGE;
	*ret = (uint64_t)v * 1000000;
	return 0;
}

/* Returns 1 to go on, 0 to exit successfully (--help, --version), < 0 on error. */
static int parse_argv(int argc, char *argv[])
{
	enum {
		ARG_VERSION = 0x100,
		ARG_CPUS,
		ARG_RECORD,
		ARG_SPOOL,
		ARG_ROOT,
		ARG_CONFIG,
		ARG_NOTE,
		ARG_ARCH,
		ARG_JSON,
		ARG_SINCE,
		ARG_UNTIL,
		ARG_KIND,
		ARG_STATE,
		ARG_WAIT,
	};
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "json", optional_argument, NULL, ARG_JSON },
		{ "cpu", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, ARG_CPUS },
		{ "all", no_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "record", required_argument, NULL, ARG_RECORD },
		{ "spool", required_argument, NULL, ARG_SPOOL },
		{ "root", required_argument, NULL, ARG_ROOT },
		{ "config", required_argument, NULL, ARG_CONFIG },
		{ "note", required_argument, NULL, ARG_NOTE },
		{ "arch", required_argument, NULL, ARG_ARCH },
		{ "since", required_argument, NULL, ARG_SINCE },
		{ "until", required_argument, NULL, ARG_UNTIL },
		{ "kind", required_argument, NULL, ARG_KIND },
		{ "state", required_argument, NULL, ARG_STATE },
		{ "wait", required_argument, NULL, ARG_WAIT },
		{}
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "hjc:at:", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			return help();
		case ARG_VERSION:
			printf(PROGRAM " " SDEI_NMI_VERSION "\n");
			return 0;
		case 'j':
			arg_json = JSON_DEFAULT;
			arg_given |= OPT_JSON;
			break;
		case ARG_JSON:
			if (parse_json_mode(optarg, &arg_json) < 0)
				return log_error(
					"invalid --json mode '%s' (pretty, short, "
					"off)",
					optarg);
			arg_given |= OPT_JSON;
			break;
		case 'c':
		case ARG_CPUS:
			r = sn_cpu_list_add(&arg_cpus, &arg_n_cpus, optarg,
					    SN_MAX_ENTRIES);
			if (r == -E2BIG)
				return log_error_errno(
					r, "too many CPUs in '%s' (at most %d)", optarg,
					SN_MAX_ENTRIES);
			if (r < 0)
				return log_error_errno(r, "invalid CPU %s '%s'",
						       c == 'c' ? "number" : "list",
						       optarg);
			arg_given |= OPT_CPUS;
			break;
		case 'a':
			arg_all = true;
			arg_given |= OPT_ALL;
			break;
		case 't':
			r = parse_timeout(optarg, &arg_timeout_ms);
			if (r < 0)
				return log_error_errno(
					r, "invalid timeout '%s' (1 to 10000 ms)",
					optarg);
			arg_given |= OPT_TIMEOUT;
			break;
		case ARG_RECORD:
			arg_record_path = optarg;
			arg_given |= OPT_RECORD;
			break;
		case ARG_SPOOL:
			if (!*optarg)
				return log_error("--spool needs a directory");
			arg_spool = optarg;
			arg_spool_given = true;
			arg_given |= OPT_SPOOL;
			break;
		case ARG_ROOT:
			if (!*optarg)
				return log_error("--root needs a directory");
			arg_root = optarg;
			arg_given |= OPT_ROOT;
			break;
		case ARG_CONFIG:
			if (!*optarg)
				return log_error("--config needs a file");
			arg_config = optarg;
			arg_given |= OPT_CONFIG;
			break;
		case ARG_NOTE:
			arg_note = optarg;
			arg_given |= OPT_NOTE;
			break;
		case ARG_ARCH:
			if (sn_kdump_arch_from_string(optarg, &arg_arch) < 0)
				return log_error(
					"invalid architecture '%s' (arm64, x86_64, "
					"other)",
					optarg);
			arg_given |= OPT_ARCH;
			break;
		case ARG_SINCE:
			r = parse_time_arg("--since", optarg, &arg_since);
			if (r < 0)
				return r;
			arg_has_since = true;
			arg_given |= OPT_SINCE;
			break;
		case ARG_UNTIL:
			r = parse_time_arg("--until", optarg, &arg_until);
			if (r < 0)
				return r;
			arg_has_until = true;
			arg_given |= OPT_UNTIL;
			break;
		case ARG_KIND:
			r = parse_kinds(optarg, &arg_kinds);
			if (r < 0)
				return r;
			arg_given |= OPT_KIND;
			break;
		case ARG_STATE:
			if (report_states_from_string(optarg, &arg_states) < 0)
				return log_error(
					"--state: invalid state list '%s' (pending, "
					"shipped, held)",
					optarg);
			arg_given |= OPT_STATE;
			break;
		case ARG_WAIT:
			if (parse_wait(optarg, &arg_wait_usec) < 0)
				return log_error(
					"invalid --wait '%s' (1 to 3600 seconds)",
					optarg);
			arg_given |= OPT_WAIT;
			break;
		case '?':
			return -EINVAL;
		default:
			return log_error("unhandled option %d", c);
		}
	}
	if (arg_has_since && arg_has_until && arg_since > arg_until)
		return log_error("--since must not be after --until");
	return 1;
}

/* The kernel lacks the family, or netlink talks to something else entirely. */
static int log_open_error(int r)
{
	if (r == -ENOENT || r == -EOPNOTSUPP)
		return log_error_errno(
			r, "the kernel has no sdei-nmi netlink family (not an "
			   "arm64 kernel with the SDEI NMI service patches, "
			   "CONFIG_ARM_SDEI_NMI)");
	return log_error_errno(r, "cannot talk to the kernel over generic netlink: %m");
}

static int log_request_error(struct sn_client *c, int r, const char *what)
{
	const char *msg = sn_client_error_message(c);

	if (r == -EPERM)
		return log_error_errno(r, "%s needs CAP_NET_ADMIN (run as root)", what);
	if (msg)
		return log_error_errno(r, "%s failed: %s (%m)", what, msg);
	return log_error_errno(r, "%s failed: %m", what);
}

/* --record: appended to, created private (it may hold kernel addresses). */
static int record_open(void)
{
	int fd;

	if (!arg_record_path)
		return 0;
	fd = open(arg_record_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
		  0600);
	if (fd < 0)
		return log_error_errno(errno, "cannot open the recording file %s: %m",
				       arg_record_path);
	arg_record = fdopen(fd, "a");
	if (!arg_record) {
		int r = -errno;

		close(fd);
		return log_error_errno(r, "cannot open the recording file %s: %m",
				       arg_record_path);
	}
	return 0;
}

static int log_record_error(int r)
{
	return log_error_errno(r, "cannot write the recording to %s: %m",
			       arg_record_path);
}

/*
 * Ends the recording: a write that failed, or the close, is an error. c is the client
 * that recorded, for the errno of its failed write, or NULL once it is gone.
 */
static int record_close(struct sn_client *c)
{
	FILE *f = TAKE_PTR(arg_record);
	bool failed;
	int r;

	if (!f)
		return 0;
	failed = ferror(f);
	r = c ? sn_client_record(c, NULL) : 0;
	/* The close flushes what a failed write left, again: its errno. */
	if (fclose(f) == EOF && r == 0)
		r = -errno;
	/* Or a failed write the client reported already, to a later request of ours. */
	if (r == 0 && failed)
		r = -EIO;
	return r < 0 ? log_record_error(r) : 0;
}

static int client_open(struct sn_client **ret)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	int r = sn_client_new(&c);

	if (r < 0)
		return log_open_error(r);
	if (arg_record)
		(void)sn_client_record(c, arg_record); /* nothing written yet */
	*ret = TAKE_PTR(c);
	return 0;
}

int print_json(const cJSON *j, bool default_pretty)
{
	int r = sn_json_print(stdout, j, json_pretty(default_pretty));

	return r < 0 ? log_error_errno(r, "cannot write the output: %m") : 0;
}

static int verb_status(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	int r;

	r = client_open(&c);
	if (r < 0)
		return r;
	r = sn_client_status(c, &s);
	if (r < 0)
		return log_request_error(c, r, "status");

	if (!json_on()) {
		r = sn_format_status(stdout, s);
		if (r < 0)
			return log_error_errno(r, "cannot write the output: %m");
	} else {
		r = sn_status_to_json(s, &j);
		if (r < 0)
			return log_error_errno(r, "cannot build the JSON output: %m");
		r = print_json(j, true);
		if (r < 0)
			return r;
	}
	return record_close(c);
}

static const struct sn_entry *find_entry(const struct sn_backtrace *b, uint32_t cpu)
{
	for (size_t i = 0; i < b->n_entries; i++)
		if (b->entries[i].cpu == cpu)
			return &b->entries[i];
	return NULL;
}

/* Whether every CPU asked was captured; prints those missing from the reply. */
static bool backtrace_complete(const struct sn_backtrace *b, bool print)
{
	bool complete = b->n_entries > 0;

	for (size_t i = 0; i < b->n_entries; i++)
		if (b->entries[i].delivery != SDEI_NMI_DELIVERY_CAPTURED)
			complete = false;
	if (arg_all) {
		if (b->n_entries == 0 && print)
			printf("no CPU in the kernel's reply\n");
		return complete;
	}
	for (size_t i = 0; i < arg_n_cpus; i++)
		if (!find_entry(b, arg_cpus[i])) {
			complete = false;
			if (print)
				printf("CPU %" PRIu32
				       ": missing from the kernel's reply\n",
				       arg_cpus[i]);
		}
	return complete;
}

static int verb_backtrace(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	struct sn_format_opts o = {
		.timeout_ms = arg_timeout_ms ?: SN_DEFAULT_TIMEOUT_MS,
	};
	bool complete;
	int r;

	if (arg_all && arg_n_cpus > 0)
		return log_error("--all and --cpu/--cpus exclude each other");
	if (!arg_all && arg_n_cpus == 0)
		return log_error("backtrace needs --cpu N, --cpus LIST or --all");

	r = client_open(&c);
	if (r < 0)
		return r;
	r = sn_client_backtrace(c, arg_cpus, arg_n_cpus, arg_all, arg_timeout_ms, &b);
	if (r < 0)
		return log_request_error(c, r, "backtrace");

	if (json_on()) {
		r = sn_backtrace_to_json(b, &j);
		if (r < 0)
			return log_error_errno(r, "cannot build the JSON output: %m");
		r = print_json(j, true);
		if (r < 0)
			return r;
		complete = backtrace_complete(b, false);
	} else {
		/* The interval a rate-limited CPU fell within is the service's setting.
		 */
		for (size_t i = 0; i < b->n_entries; i++)
			if (b->entries[i].delivery == SDEI_NMI_DELIVERY_RATE_LIMITED) {
				_cleanup_(sn_status_freep) struct sn_status *s = NULL;

				if (sn_client_status(c, &s) >= 0 &&
				    s->has_min_interval_ms)
					o.min_interval_ms = s->min_interval_ms;
				break;
			}
		r = sn_format_backtrace(stdout, b, &o);
		if (r < 0)
			return log_error_errno(r, "cannot write the output: %m");
		complete = backtrace_complete(b, true);
	}
	r = record_close(c);
	if (r < 0)
		return r;

	*ret_exit = complete ? EXIT_SUCCESS : EXIT_INCOMPLETE;
	return 0;
}

static int monitor_handler(struct sn_client *c, int error, const struct sn_backtrace *b,
			   void *userdata)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	int r;

	if (error == -ENOBUFS) {
		log_error_errno(error,
				"notifications lost (the socket overran), ignoring");
		return 0;
	}
	if (error < 0) {
		log_error_errno(error, "malformed notification (%m), ignoring");
		return 0;
	}

	if (json_on()) {
		r = sn_backtrace_to_json(b, &j);
		if (r < 0)
			return log_error_errno(r, "cannot build the JSON output: %m");
		/* --json alone: one object per line, a stream as before */
		r = print_json(j, false);
	} else {
		r = sn_format_backtrace(stdout, b, NULL);
		if (r >= 0 && fputc('\n', stdout) == EOF)
			r = -EIO;
		if (r < 0)
			log_error_errno(r, "cannot write the output: %m");
	}
	if (r < 0)
		return r;
	if (fflush(stdout) == EOF)
		return log_error_errno(errno, "cannot write the output: %m");
	return 0;
}

static int verb_monitor(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(sn_client_freep) struct sn_client *c = NULL;
	_cleanup_(closep) int sfd = -EBADF;
	sigset_t mask;
	int r;

	r = client_open(&c);
	if (r < 0)
		return r;
	r = sn_client_monitor_start(c);
	if (r == -EPERM)
		return log_error_errno(r, "monitor needs CAP_NET_ADMIN (run as root)");
	if (r < 0)
		return log_error_errno(r, "cannot join the monitor group: %m");

	/* SIGINT and SIGTERM end the loop through a signalfd, as an event source. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(errno, "cannot block SIGINT and SIGTERM: %m");
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return log_error_errno(errno, "cannot create a signalfd: %m");

	r = sn_client_monitor_run(c, sfd, monitor_handler, NULL);
	if (r < 0 && arg_record && ferror(arg_record)) {
		/* Ended by the recording's failed write: r is its errno. */
		fclose(TAKE_PTR(arg_record));
		return log_record_error(r);
	}
	if (r < 0)
		return log_error_errno(r, "monitor failed: %m");
	return record_close(c);
}

#ifdef SDEI_NMI_HAVE_CONFIG
int config_load(struct sn_config *c)
{
	_cleanup_(freep) char *error = NULL;
	const char *path = arg_config ?: DEFAULT_CONFIG;
	int r;

	sn_config_init(c);
	r = arg_config ? sn_config_parse_file(c, path, &error) :
			 sn_config_load(c, path, &error);
	if (r == -ENOENT && arg_config)
		r = log_error_errno(r, "cannot read the configuration %s: %m", path);
	else if (r < 0 && r != -ENOENT)
		r = log_error_errno(r, "bad configuration: %s", error ?: path);
	else
		r = 0;
	if (r < 0)
		sn_config_done(c);
	return r;
}
#endif

/* [kdump] of the configuration: --config, else the default file when it exists. */
static int kdump_options(struct sn_kdump_options *o)
{
#ifdef SDEI_NMI_HAVE_CONFIG
	struct sn_config c;
	int r;

	r = config_load(&c);
	if (r < 0)
		return r;
	o->panic_on = c.kdump_panic_on;
	o->test_max_age_sec = (uint64_t)c.kdump_test_max_age_days * 86400;
	sn_config_done(&c);
	return 0;
#else
	if (arg_config)
		return log_error("--config: built without configuration files (inih)");
	return 0;
#endif
}

static int kdump_record(int argc, char *argv[])
{
	bool pass;
	int r;

	if (argc != 3 || (strcmp(argv[2], "pass") && strcmp(argv[2], "fail")))
		return log_error("kdump record-test takes pass or fail");
	pass = strcmp(argv[2], "pass") == 0;
	r = sn_kdump_test_record_write(arg_root, pass, arg_note, 0);
	if (r == -EINVAL && arg_note)
		return log_error("--note must be printable ASCII of at most %d bytes",
				 SN_KDUMP_MAX_NOTE);
	if (r < 0)
		return log_error_errno(r, "cannot record the test under %s: %m",
				       arg_root);
	printf("Recorded a %s capture test in %s%s" SN_KDUMP_TEST_RECORD ".\n",
	       pass ? "passed" : "failed", arg_root,
	       arg_root[strlen(arg_root) - 1] == '/' ? "" : "/");
	return 0;
}

static int verb_kdump(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	struct sn_kdump_options o;
	struct sn_kdump k;
	const char *env;
	int r;

	if (argc > 1 && strcmp(argv[1], "record-test") == 0) {
		if (arg_given & (OPT_JSON | OPT_CONFIG | OPT_ARCH))
			return log_error("kdump record-test does not take %s",
					 arg_given & OPT_JSON ? "--json" :
					 arg_given & OPT_ARCH ? "--arch" :
								"--config");
		return kdump_record(argc, argv);
	}
	if (argc > 1)
		return log_error("unknown kdump command '%s' (record-test pass|fail)",
				 argv[1]);
	if (arg_given & OPT_NOTE)
		return log_error("--note goes with kdump record-test");

	sn_kdump_options_init(&o);
	r = kdump_options(&o);
	if (r < 0)
		return r;
	/* Versions of the tools by running them: this system's only. */
	o.allow_exec = strcmp(arg_root, "/") == 0;
	o.arch = arg_arch;
	env = getenv(ENV_FREE_SPACE);
	if (env) {
		char *end;

		errno = 0;
		o.free_space = strtoull(env, &end, 10);
		if (!sn_is_digit(*env) || *end || errno)
			return log_error("bad %s '%s'", ENV_FREE_SPACE, env);
		o.free_space_set = true;
	}
	r = sn_kdump_read(arg_root, &o, &k);
	if (r < 0)
		return log_error_errno(r, "cannot read %s: %m", arg_root);
	r = sn_kdump_to_json(&k, &j);
	if (r < 0)
		return log_error_errno(r, "cannot build the result: %m");
	if (json_on())
		r = print_json(j, true);
	else {
		fputs("kdump: ", stdout);
		r = sn_report_format_kdump_status(stdout, j);
		if (r >= 0)
			r = putchar('\n') == EOF ? -EIO : 0;
		if (r >= 0)
			r = sn_report_format_kdump_checks(stdout, j, "");
		if (r < 0)
			r = log_error_errno(r, "cannot write the output: %m");
	}
	if (r < 0)
		return r;
	*ret_exit = k.status == SN_KDUMP_READY	  ? EXIT_SUCCESS :
		    k.status == SN_KDUMP_DEGRADED ? EXIT_KDUMP_DEGRADED :
						    EXIT_KDUMP_NOT_READY;
	return 0;
}

struct verb {
	const char *name;
	unsigned options; /* OPT_* the verb takes */
	int max_args;	  /* after the verb's name */
	int (*run)(int argc, char *argv[], int *ret_exit);
};

static const struct verb verbs[] = {
	{ "status", OPT_JSON | OPT_RECORD, 0, verb_status },
	{ "backtrace", OPT_JSON | OPT_CPUS | OPT_ALL | OPT_TIMEOUT | OPT_RECORD, 0,
	  verb_backtrace },
	{ "monitor", OPT_JSON | OPT_RECORD, 0, verb_monitor },
	{ "reports", OPT_JSON | OPT_SPOOL | OPT_SINCE | OPT_UNTIL | OPT_KIND | OPT_STATE,
	  2, verb_reports },
	{ "kdump", OPT_JSON | OPT_ROOT | OPT_CONFIG | OPT_NOTE | OPT_ARCH, 2,
	  verb_kdump },
	{ "test-incident", OPT_JSON | OPT_SPOOL | OPT_CONFIG | OPT_WAIT, 0,
	  verb_test_incident },
};

static const char *option_name(unsigned opt)
{
	switch (opt) {
	case OPT_JSON:
		return "--json";
	case OPT_CPUS:
		return "--cpu/--cpus";
	case OPT_ALL:
		return "--all";
	case OPT_TIMEOUT:
		return "--timeout";
	case OPT_SPOOL:
		return "--spool";
	case OPT_ROOT:
		return "--root";
	case OPT_CONFIG:
		return "--config";
	case OPT_NOTE:
		return "--note";
	case OPT_ARCH:
		return "--arch";
	case OPT_SINCE:
		return "--since";
	case OPT_UNTIL:
		return "--until";
	case OPT_KIND:
		return "--kind";
	case OPT_STATE:
		return "--state";
	case OPT_WAIT:
		return "--wait";
	default:
		return "--record";
	}
}

static int dispatch_verb(int argc, char *argv[], int *ret_exit)
{
	const char *name = optind < argc ? argv[optind] : "status";
	const struct verb *v = NULL;
	unsigned extra;
	int r, k;

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			v = &verbs[i];
	if (!v)
		return log_error("unknown command '%s' (see --help)", name);
	if (optind + 1 + v->max_args < argc)
		return log_error("%s takes %s arguments, got '%s'", name,
				 v->max_args ? "fewer" : "no",
				 argv[optind + 1 + v->max_args]);
	extra = arg_given & ~v->options;
	if (extra)
		return log_error("%s does not take %s", name,
				 option_name(extra & -extra));
	/* Before the kernel is asked anything: a backtrace is not taken for nothing. */
	r = record_open();
	if (r < 0)
		return r;
	r = v->run(argc - optind, argv + optind, ret_exit);
	/* A verb that failed left the recording open: what it lost is said too. */
	k = record_close(NULL);
	return r < 0 ? r : k;
}

/*
 * Whether the verb is kdump, whose errors exit 3 (its 2 is "not ready"): the first
 * argument that is neither an option nor an option's value, looked for before the
 * options are parsed, so that their errors exit 3 too.
 */
static bool verb_is_kdump(int argc, char *argv[])
{
	static const char *const with_value[] = {
		"-c",	   "--cpu",  "--cpus",	 "-t",	   "--timeout", "--record",
		"--spool", "--root", "--config", "--note", "--arch",	"--since",
		"--until", "--kind", "--state",	 "--wait"
	};

	for (int i = 1; i < argc; i++) {
		bool takes = false;

		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc && strcmp(argv[i + 1], "kdump") == 0;
		if (argv[i][0] != '-')
			return strcmp(argv[i], "kdump") == 0;
		for (size_t k = 0; k < ELEMENTSOF(with_value); k++)
			takes = takes || strcmp(argv[i], with_value[k]) == 0;
		i += takes;
	}
	return false;
}

int main(int argc, char *argv[])
{
	int exit_status = EXIT_SUCCESS, error_status, r;

	atexit(arg_free);
	error_status = verb_is_kdump(argc, argv) ? EXIT_KDUMP_ERROR : EXIT_ERROR;
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? error_status : EXIT_SUCCESS;
	r = dispatch_verb(argc, argv, &exit_status);
	return r < 0 ? error_status : exit_status;
}
