/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdei-nmid: turns lockups and stalls into incident reports. main() reads like the
 * list it is: log setup, arguments, the configuration files (the command line
 * overrides them), prerequisites, the manager, READY=1, the loop.
 */

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "otlp-sink.h"

#define DEFAULT_SPOOL  "/var/lib/sdei-nmi/spool"
#define DEFAULT_CURSOR "/var/lib/sdei-nmi/kmsg.cursor"

/* Where the standard search starts instead of / (tests, image builders). */
#define CONFIG_ROOT_ENV "SDEI_NMI_CONFIG_ROOT"

static const char *arg_kmsg = NULL;
static bool arg_from_start = false;
static const char *arg_cursor = NULL; /* NULL: the files', else DEFAULT_CURSOR */
static bool arg_exit_on_eof = false;
static const char *arg_spool = NULL; /* NULL: the files', else DEFAULT_SPOOL */
static const char *arg_root = NULL;  /* NULL: the files', else "/" */
/* NULL: the standard search (config.h) */
static const char *arg_config = NULL;
static bool arg_journal = false;
static const char *arg_metrics = NULL;	/* NULL: the files', else none */
static const char *arg_otlp_url = NULL; /* NULL: the files', else none */
static int arg_bpf = -1;		/* enum sn_config_bpf; -1: the files' */

static void help(void)
{
	printf("sdei-nmid [OPTIONS...]\n\n"
	       "Turns lockups and stalls into incident reports.\n\n"
	       "  -h --help          Show this help\n"
	       "     --version       Show the package version\n"
	       "     --kmsg=PATH     Read the kernel log from PATH (default: /dev/kmsg);\n"
	       "                     a file or a pipe of /dev/kmsg records replays it\n"
	       "     --from-start    Read what the kernel log holds, not only what comes\n"
	       "     --kmsg-cursor=PATH\n"
	       "                     Save where the live log was read to PATH and resume\n"
	       "                     after it when restarted (default: %s;\n"
	       "                     \"none\": always start at the end)\n"
	       "     --exit-on-eof   At the end of a file or pipe, report and exit\n"
	       "     --spool=DIR     Write reports to DIR (default: %s)\n"
	       "     --root=DIR      Read the host's identity under DIR (default: /)\n"
	       "     --journal       Write reports to the journal too\n"
	       "     --metrics-file=PATH\n"
	       "                     Write metrics to PATH, a node_exporter textfile\n"
	       "                     collector file (*.prom)\n"
	       "     --otlp-url=URL  Ship the spool's reports to an OpenTelemetry\n"
	       "                     collector (OTLP/HTTP JSON, e.g.\n"
	       "                     http://localhost:4318/v1/logs); the OTEL_EXPORTER_OTLP_*\n"
	       "                     variables fill in what is not configured\n"
	       "     --bpf=MODE      The BPF source: auto (when the kernel log is live),\n"
	       "                     yes, no (default: auto)\n"
	       "     --config=PATH   Read the configuration from PATH and PATH.d/*.conf\n"
	       "                     only (default: the first %s and all\n"
	       "                     %s.d/*.conf of /etc/sdei-nmi,\n"
	       "                     /run/sdei-nmi, /usr/local/lib/sdei-nmi and\n"
	       "                     /usr/lib/sdei-nmi)\n"
	       "  -v --verbose       Log debug messages\n\n"
	       "See the sdei-nmid(8) man page for details.\n",
	       DEFAULT_CURSOR, DEFAULT_SPOOL, SN_CONFIG_NAME, SN_CONFIG_NAME);
}

enum {
	ARG_VERSION = 0x100,
	ARG_KMSG,
	ARG_FROM_START,
	ARG_EXIT_ON_EOF,
	ARG_SPOOL,
	ARG_ROOT,
	ARG_JOURNAL,
	ARG_CONFIG,
	ARG_KMSG_CURSOR,
	ARG_METRICS,
	ARG_OTLP_URL,
	ARG_BPF,
};

/* 1: go on; 0: done (help, version); -EINVAL: a usage error, already said. */
static int parse_argv(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "kmsg", required_argument, NULL, ARG_KMSG },
		{ "from-start", no_argument, NULL, ARG_FROM_START },
		{ "exit-on-eof", no_argument, NULL, ARG_EXIT_ON_EOF },
		{ "spool", required_argument, NULL, ARG_SPOOL },
		{ "root", required_argument, NULL, ARG_ROOT },
		{ "journal", no_argument, NULL, ARG_JOURNAL },
		{ "config", required_argument, NULL, ARG_CONFIG },
		{ "kmsg-cursor", required_argument, NULL, ARG_KMSG_CURSOR },
		{ "metrics-file", required_argument, NULL, ARG_METRICS },
		{ "otlp-url", required_argument, NULL, ARG_OTLP_URL },
		{ "bpf", required_argument, NULL, ARG_BPF },
		{ "verbose", no_argument, NULL, 'v' },
		{}
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "hv", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("sdei-nmid %s\n", SDEI_NMI_VERSION);
			return 0;
		case ARG_KMSG:
			arg_kmsg = optarg;
			break;
		case ARG_FROM_START:
			arg_from_start = true;
			break;
		case ARG_EXIT_ON_EOF:
			arg_exit_on_eof = true;
			break;
		case ARG_SPOOL:
			arg_spool = optarg;
			break;
		case ARG_ROOT:
			arg_root = optarg;
			break;
		case ARG_JOURNAL:
			arg_journal = true;
			break;
		case ARG_KMSG_CURSOR:
			arg_cursor = optarg;
			break;
		case ARG_CONFIG:
			arg_config = optarg;
			break;
		case ARG_METRICS:
			arg_metrics = optarg;
			break;
		case ARG_OTLP_URL:
			if (!sn_config_otlp_url_valid(optarg)) {
				log_error(
					"--otlp-url=%s: not an http:// or https:// URL; see "
					"--help.",
					optarg);
				return -EINVAL;
			}
			arg_otlp_url = optarg;
			break;
		case ARG_BPF: {
			enum sn_config_bpf b;

			if (sn_config_bpf_from_string(optarg, &b) < 0) {
				log_error(
					"Option --bpf: '%s' is not auto, yes or no; see --help.",
					optarg);
				return -EINVAL;
			}
			arg_bpf = (int)b;
			break;
		}
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case '?':
			if (optopt)
				log_error(
					"Option -%c: unknown or missing its argument; see "
					"--help.",
					optopt);
			else
				log_error(
					"Option %s: unknown or missing its argument; see "
					"--help.",
					argv[optind - 1]);
			return -EINVAL;
		default:
			return -EINVAL;
		}
	if (optind < argc) {
		log_error("Unexpected argument '%s'; sdei-nmid takes options only, see "
			  "--help.",
			  argv[optind]);
		return -EINVAL;
	}
	if ((arg_spool && !*arg_spool) || (arg_root && !*arg_root) ||
	    (arg_kmsg && !*arg_kmsg) || (arg_metrics && !*arg_metrics) ||
	    (arg_cursor && !*arg_cursor) || (arg_config && !*arg_config)) {
		log_error("Empty path given; see --help.");
		return -EINVAL;
	}
	return 1;
}

static const char *cursor_path(const char *p)
{
	return strcmp(p, "none") == 0 ? NULL : p;
}

/*
 * The files, then the command line over them: what the manager runs with. otlp: the
 * OTLP sink's (otlp_sink_settings()), borrowed as the files' strings are.
 */
static void merge_config(const struct sn_config *files,
			 const struct sn_otlp_settings *otlp, struct manager_config *ret)
{
	*ret = (struct manager_config){
		.kmsg_path = arg_kmsg ?: files->kmsg_path,
		.from_start = arg_from_start || files->from_start,
		.cursor_for_files = arg_cursor != NULL,
		.kmsg_cursor = cursor_path(arg_cursor		      ?:
						   files->kmsg_cursor ?:
									DEFAULT_CURSOR),
		.exit_on_eof = arg_exit_on_eof,
		.spool_dir = arg_spool		      ?:
				     files->spool_dir ?:
							DEFAULT_SPOOL,
		.spool_limits = files->spool_limits,
		.root = arg_root	    ?:
				files->root ?:
					      "/",
		.journal = arg_journal || files->journal,
		.metrics_path = arg_metrics ?: files->metrics_textfile,
		.metrics_heartbeat_sec = files->metrics_heartbeat_sec,
		.otlp = *otlp,
		.netlink = files->netlink,
		.netlink_timeout_ms = files->netlink_timeout_ms,
		.limits = {
			.fold_usec = files->fold_window_sec * 1000000,
			.per_minute = files->rate_per_minute,
			.burst = files->rate_burst,
		},
		.bpf = arg_bpf >= 0 ? (enum sn_config_bpf)arg_bpf : files->bpf,
		.kdump_interval_sec = files->kdump_interval_sec,
	};
	/* Never by running the tools (a child per check): dpkg's versions only. */
	sn_kdump_options_init(&ret->kdump);
	ret->kdump.panic_on = files->kdump_panic_on;
	ret->kdump.test_max_age_sec = (uint64_t)files->kdump_test_max_age_days * 86400;
}

/*
 * Reads the files into a fresh struct: --config's, else the standard search. The
 * warnings (unknown keys and sections) and the error, line-numbered, logged.
 */
static int load_config(struct sn_config *ret)
{
	_cleanup_(sn_config_done) struct sn_config files = {};
	_cleanup_(freep) char *error = NULL;
	int r;

	sn_config_init(&files);
	if (arg_config)
		r = sn_config_load(&files, arg_config, &error);
	else
		r = sn_config_load_standard(&files, getenv(CONFIG_ROOT_ENV), &error);
	for (size_t i = 0; i < files.n_warnings; i++)
		log_warning("%s", files.warnings[i]);
	if (r < 0) {
		if (error)
			return log_error_errno(r, "%s", error);
		return log_error_errno(r, "Failed to read the configuration %s: %m",
				       arg_config ?: "files");
	}
	*ret = files;
	files = (struct sn_config){};
	return 0;
}

/*
 * SIGHUP: the files again, the command line over them. A bad file keeps the running
 * configuration. The manager copies what it keeps.
 */
static int reload(struct manager *m, void *userdata)
{
	_cleanup_(sn_config_done) struct sn_config files = {};
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings otlp = {};
	struct manager_config cfg;
	int r;

	r = load_config(&files);
	if (r < 0)
		return r;
	r = otlp_sink_settings(&files, arg_otlp_url, &otlp);
	if (r < 0)
		return r;
	merge_config(&files, &otlp, &cfg);
	return manager_reload(m, &cfg);
}

int main(int argc, char *argv[])
{
	_cleanup_(manager_freep) struct manager *m = NULL;
	_cleanup_(sn_config_done) struct sn_config files = {};
	_cleanup_(sn_otlp_settings_done) struct sn_otlp_settings otlp = {};
	struct manager_config cfg;
	int r;

	log_set_max_level(LOG_INFO);

	r = parse_argv(argc, argv);
	if (r <= 0)
		return r < 0 ? 2 : EXIT_SUCCESS;

	r = load_config(&files);
	if (r < 0)
		return 2;
	r = otlp_sink_settings(&files, arg_otlp_url, &otlp);
	if (r < 0)
		return 2;
	merge_config(&files, &otlp, &cfg);

	/* The manager copies the configuration: the files' strings may go. */
	r = manager_new(&cfg, &m);
	sn_config_done(&files);
	sn_otlp_settings_done(&otlp);
	if (r < 0)
		return EXIT_FAILURE;
	manager_set_reload(m, reload, NULL);
	r = manager_start(m);
	if (r < 0)
		return EXIT_FAILURE;

	/* Without systemd (no $NOTIFY_SOCKET) this does nothing. */
	(void)sd_notify(false, "READY=1");
	manager_update_status(m);
	log_debug("sdei-nmid " SDEI_NMI_VERSION " running.");

	return manager_run(m);
}
