/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sdei-nmid's configuration files (INI, read with inih): a main file and the drop-ins
 * of its PATH.d/ directory (*.conf, in lexical order by strcmp), each applied over what
 * came before. A missing main file or drop-in directory is not an error.
 *
 *   [kmsg]    path=PATH  from_start=BOOL  cursor=PATH|none
 *   [spool]   directory=DIR  max_reports=N  max_bytes=N
 *   [journal] enabled=BOOL
 *   [host]    root=DIR
 *   [metrics] textfile=PATH
 *   [otlp]    url=URL  timeout=SECONDS  header=NAME: VALUE (repeated, accumulated)
 *
 * BOOL: yes/no, true/false, on/off, 1/0. N: decimal, 0 for no bound. SECONDS: decimal,
 * 1 to SN_CONFIG_MAX_OTLP_TIMEOUT. URL: http:// or https://, printable ASCII without
 * spaces. A header: a token (RFC 9110: letters, digits, !#$%&'*+-.^_`|~), ':', a value of
 * printable ASCII, not empty; not one the sink sets itself (Content-Type,
 * Content-Length, Transfer-Encoding, Expect, Idempotency-Key); at most
 * SN_CONFIG_MAX_OTLP_HEADERS of them (inih's line length bounds a header to about 190
 * bytes). An unknown section or key, a bad or empty value, a line inih cannot parse:
 * -EINVAL, and the message "FILE:LINE: what" in *ret_error. Nothing here logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

#define SN_CONFIG_MAX_REPORTS	   1000000u
#define SN_CONFIG_MAX_BYTES	   (UINT64_C(1) << 40) /* 1 TiB */
#define SN_CONFIG_MAX_OTLP_TIMEOUT 300		       /* seconds */
#define SN_CONFIG_MAX_OTLP_HEADERS 16

struct sn_config {
	char *kmsg_path;   /* NULL: not set */
	char *kmsg_cursor; /* NULL: not set; "none": no cursor */
	bool from_start;
	char *spool_dir; /* NULL: not set */
	struct sn_spool_limits spool_limits;
	bool journal;
	char *root;		   /* NULL: not set */
	char *metrics_textfile;	   /* NULL: not set */
	char *otlp_url;		   /* NULL: not set */
	unsigned otlp_timeout_sec; /* 0: not set */
	char **otlp_headers;	   /* "Name: value" */
	size_t n_otlp_headers;
};

/* Whether s is a URL and a header line that [otlp] takes (see above). */
bool sn_config_otlp_url_valid(const char *s);
bool sn_config_otlp_header_valid(const char *s);

/* Frees the strings; the struct itself is the caller's. */
void sn_config_done(struct sn_config *c);

/*
 * Applies one file over c. -ENOENT when it does not exist (c untouched); other errors
 * with their message in *ret_error (allocated), c possibly partly updated.
 */
int sn_config_parse_file(struct sn_config *c, const char *path, char **ret_error);

/* Applies path (when it exists), then path.d/\*.conf in lexical order. */
int sn_config_load(struct sn_config *c, const char *path, char **ret_error);
