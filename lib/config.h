/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sdei-nmid's configuration files (INI, read with inih), the way systemd reads its own
 * (systemd's "Configuration Directories and Precedence"):
 *
 *  - sn_config_load_standard(): the main file NAME is the first found in the search
 *    directories (/etc/sdei-nmi, /run/sdei-nmi, /usr/local/lib/sdei-nmi,
 *    /usr/lib/sdei-nmi; highest precedence first), then the drop-ins NAME.d/\*.conf of
 *    all of them: a drop-in in a directory of higher precedence masks one of the same
 *    file name in a lower one (an empty file or a symlink to /dev/null masks and adds
 *    nothing), and all are applied in the order of their file names (strcmp), whatever
 *    their directory, each over what came before;
 *  - sn_config_load(PATH) (--config): PATH, then PATH.d/\*.conf, nothing else.
 *
 * A missing main file or drop-in directory is not an error.
 *
 *   [kmsg]    path=PATH  from_start=BOOL  cursor=PATH|none
 *   [spool]   directory=DIR  max_reports=N  max_bytes=N  keep_free=N
 *             shipped_max_age_sec=N
 *   [journal] enabled=BOOL
 *   [host]    root=DIR
 *   [metrics] textfile=PATH  heartbeat_sec=N
 *   [otlp]    url=URL  timeout=SECONDS  header=NAME: VALUE (a list)
 *             compression=gzip|none
 *   [netlink] enabled=BOOL  timeout_ms=N
 *   [report]  fold_window_sec=N  rate_limit_per_minute=N  rate_limit_burst=N
 *   [bpf]     enabled=auto|BOOL
 *   [kdump]   interval_sec=N  panic_on=LIST|none  test_max_age_days=N
 *
 * LIST: hardlockup, softlockup, rcu-stall, hung-task, comma-separated, each once (the
 * stalls that must panic: lib/kdump.h's panic check). [kdump] interval_sec 0: no timer
 * (checked at start and with each report only); test_max_age_days 0: any age.
 * [metrics] heartbeat_sec: the textfile is rewritten at least this often, 1 to
 * SN_CONFIG_MAX_METRICS_HEARTBEAT.
 * BOOL: yes/no, true/false, on/off, 1/0. N: decimal; for the bounds, 0 for none.
 * SECONDS: decimal, 1 to SN_CONFIG_MAX_OTLP_TIMEOUT. URL: http:// or https://, printable
 * ASCII without spaces. A header: a token (RFC 9110: letters, digits, !#$%&'*+-.^_`|~),
 * ':', a value of printable ASCII, not empty; not one the sink sets itself
 * (Content-Type, Content-Encoding, Content-Length, Transfer-Encoding, Expect,
 * Idempotency-Key); at most
 * SN_CONFIG_MAX_OTLP_HEADERS of them (inih's line length bounds a header to about 190
 * bytes). header= lines add up across the files; each appends to the list.
 *
 * An empty value (key=) resets the key to its default, and a list to empty, so that a
 * drop-in can undo what an earlier file set (systemd's "an empty assignment resets").
 *
 * Warnings, the line ignored and the files read on (so that a configuration rolled out
 * ahead of the binary does not stop it): an unknown section (once per section line), an
 * unknown key, a key outside a section. They are kept in c->warnings as
 * "FILE:LINE: what, ignoring" for the caller to log (at most SN_CONFIG_MAX_WARNINGS,
 * then one that says how many more).
 * Errors, -EINVAL and the message "FILE:LINE: what" in *ret_error: a bad value of a
 * known key (not a number, out of range, not a boolean, a bad URL or header), a line
 * inih cannot parse, a line too long. Nothing here logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define SN_CONFIG_MAX_REPORTS		1000000u
#define SN_CONFIG_MAX_BYTES		(UINT64_C(1) << 40) /* 1 TiB */
#define SN_CONFIG_MAX_SHIPPED_AGE	(UINT64_C(10) * 365 * 24 * 3600) /* 10 years */
#define SN_CONFIG_MAX_OTLP_TIMEOUT	300		    /* seconds */
#define SN_CONFIG_MAX_OTLP_HEADERS	16
#define SN_CONFIG_MAX_TIMEOUT		10000u		 /* ms: the kernel's bound */
#define SN_CONFIG_MAX_FOLD		(7u * 24 * 3600) /* s: a week */
#define SN_CONFIG_MAX_RATE		1000000u
#define SN_CONFIG_MAX_KDUMP_INTERVAL	86400u /* s: a day */
#define SN_CONFIG_MAX_KDUMP_TEST_AGE	36500u /* days */
#define SN_CONFIG_MAX_METRICS_HEARTBEAT 3600u  /* s */
#define SN_CONFIG_MAX_WARNINGS		64

/* The defaults of what sn_config_init() sets. */
#define SN_CONFIG_TIMEOUT_MS		  500
#define SN_CONFIG_FOLD_WINDOW_SEC	  300
#define SN_CONFIG_RATE_PER_MINUTE	  10
#define SN_CONFIG_RATE_BURST		  10
#define SN_CONFIG_KDUMP_INTERVAL_SEC	  60
#define SN_CONFIG_KDUMP_TEST_MAX_AGE_DAYS 90
#define SN_CONFIG_METRICS_HEARTBEAT_SEC	  60

/* The main file's name, and the search directories, highest precedence first. */
#define SN_CONFIG_NAME "sdei-nmid.conf"
#define SN_CONFIG_DIRS \
	"/etc/sdei-nmi", "/run/sdei-nmi", "/usr/local/lib/sdei-nmi", "/usr/lib/sdei-nmi"

/*
 * The BPF source: auto runs it unless the kernel log is a replay (a file or pipe), since
 * its events carry this boot's clock; yes runs it whatever the log; no never.
 */
enum sn_config_bpf {
	SN_CONFIG_BPF_AUTO = 0,
	SN_CONFIG_BPF_YES,
	SN_CONFIG_BPF_NO,
};

/* [otlp] compression: the request body gzip-compressed or not (lib/otlp-config.h). */
enum sn_config_otlp_compression {
	SN_CONFIG_OTLP_COMPRESSION_UNSET = 0,
	SN_CONFIG_OTLP_COMPRESSION_NONE,
	SN_CONFIG_OTLP_COMPRESSION_GZIP,
};

/* "gzip" or "none"; -EINVAL otherwise. */
int sn_config_otlp_compression_from_string(const char *s,
					   enum sn_config_otlp_compression *ret);

const char *sn_config_bpf_to_string(enum sn_config_bpf b);
/* "auto" or a BOOL; -EINVAL otherwise. */
int sn_config_bpf_from_string(const char *s, enum sn_config_bpf *ret);

struct sn_config {
	char *kmsg_path;   /* NULL: not set */
	char *kmsg_cursor; /* NULL: not set; "none": no cursor */
	bool from_start;
	char *spool_dir; /* NULL: not set */
	struct sn_spool_limits spool_limits;
	bool journal;
	char *root;			/* NULL: not set */
	char *metrics_textfile;		/* NULL: not set */
	uint32_t metrics_heartbeat_sec; /* rewritten at least this often */
	char *otlp_url;			/* NULL: not set */
	unsigned otlp_timeout_sec;	/* 0: not set */
	char **otlp_headers;		/* "Name: value" */
	size_t n_otlp_headers;
	enum sn_config_otlp_compression otlp_compression; /* UNSET: not set */
	bool netlink;					  /* [netlink] enabled */
	uint32_t netlink_timeout_ms; /* the kernel's wait per request, 1-10000 */
	uint64_t fold_window_sec;    /* [report]: 0 folds nothing */
	uint32_t rate_per_minute;    /* 0: no rate limit */
	uint32_t rate_burst;	     /* 0: rate_per_minute */
	enum sn_config_bpf bpf;
	uint32_t kdump_interval_sec;	  /* 0: no timer */
	unsigned kdump_panic_on;	  /* SN_KDUMP_PANIC_* */
	uint32_t kdump_test_max_age_days; /* 0: any age */

	/* "FILE:LINE: what, ignoring", for the caller to log; sn_config_done() frees */
	char **warnings;
	size_t n_warnings;
};

/* Whether s is a URL and a header line that [otlp] takes (see above). */
bool sn_config_otlp_url_valid(const char *s);
bool sn_config_otlp_header_valid(const char *s);

/* The defaults: netlink on, SN_CONFIG_* above, the rest zero or NULL. */
void sn_config_init(struct sn_config *c);

/* Frees the strings and the warnings; the struct itself is the caller's. */
void sn_config_done(struct sn_config *c);

/*
 * Applies one file over c. -ENOENT when it does not exist (c untouched); other errors
 * with their message in *ret_error (allocated), c possibly partly updated.
 */
int sn_config_parse_file(struct sn_config *c, const char *path, char **ret_error);

/* Applies path (when it exists), then path.d/\*.conf in lexical order. */
int sn_config_load(struct sn_config *c, const char *path, char **ret_error);

/*
 * The search above: name (SN_CONFIG_NAME) in dirs[0..n_dirs), highest precedence
 * first; the first main file found, then every dirs[i]/name.d/\*.conf, masked by name
 * and sorted by name.
 */
int sn_config_load_dirs(struct sn_config *c, const char *const *dirs, size_t n_dirs,
			const char *name, char **ret_error);

/*
 * sn_config_load_dirs() on SN_CONFIG_DIRS under root (NULL or "/": as they are; tests
 * and image builders give another).
 */
int sn_config_load_standard(struct sn_config *c, const char *root, char **ret_error);
