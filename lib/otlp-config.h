/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The OTLP sink's settings and where they come from: the configuration files' [otlp]
 * (lib/config.h), systemd credentials ($CREDENTIALS_DIRECTORY) and OpenTelemetry's
 * standard environment variables ("OpenTelemetry Protocol Exporter" in the
 * specification). Pure but for sn_otlp_settings_from_credentials(), which reads the
 * credentials directory; nothing here logs: what the environment gets wrong goes to
 * the caller's warn().
 *
 * The environment (an empty variable is unset; the per-signal variable, _LOGS_, wins
 * over the generic one whatever their values):
 *
 *   OTEL_EXPORTER_OTLP_LOGS_ENDPOINT  the logs URL, as it is
 *   OTEL_EXPORTER_OTLP_ENDPOINT       a base URL: "v1/logs" appended (after a '/')
 *   OTEL_EXPORTER_OTLP_[LOGS_]HEADERS  "key=value,key2=value2" (W3C Baggage without
 *                                      properties), both percent-decoded, spaces trimmed
 *   OTEL_EXPORTER_OTLP_[LOGS_]TIMEOUT  milliseconds, 1 to SN_OTLP_MAX_TIMEOUT_MS
 *   OTEL_EXPORTER_OTLP_[LOGS_]COMPRESSION  gzip or none
 *   OTEL_EXPORTER_OTLP_[LOGS_]CERTIFICATE  the CA file (PEM) that the collector's
 *                                          certificate must chain to
 *   OTEL_EXPORTER_OTLP_[LOGS_]CLIENT_CERTIFICATE, _CLIENT_KEY  mTLS (PEM files)
 *   OTEL_EXPORTER_OTLP_[LOGS_]PROTOCOL  only http/json is sent: http/protobuf and grpc
 *                                       are warned about and ignored
 *   OTEL_SERVICE_NAME                 service.name
 *   OTEL_RESOURCE_ATTRIBUTES          "key=value,..." as the headers; service.name
 *                                     there when OTEL_SERVICE_NAME is unset
 *
 * A variable with a bad value is warned about and ignored (the whole of a list: a
 * header set or resource attributes in part would be worse than none).
 *
 * Credentials, files in the directory: otlp-headers ("Name: value" lines, as the
 * configuration's header=; blank lines and '#' comments skipped), otlp-ca,
 * otlp-client-certificate, otlp-client-key (PEM files, taken by path).
 *
 * Precedence (sn_otlp_settings_merge()): what sdei-nmid is told explicitly wins, the
 * environment fills in what it leaves unset: the command line, then the files, then the
 * credentials, then the environment. Headers add up: a lower layer's header is dropped
 * when a higher one sets that name.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "otlp.h"

#define SN_OTLP_DEFAULT_TIMEOUT_MS 10000
#define SN_OTLP_MAX_TIMEOUT_MS	   (SN_CONFIG_MAX_OTLP_TIMEOUT * 1000)
/* A list (headers, resource attributes) at most this long, in entries and bytes. */
#define SN_OTLP_MAX_LIST     64
#define SN_OTLP_MAX_LIST_LEN 8192

/* The credentials' names (LoadCredential= in sdei-nmid.service). */
#define SN_OTLP_CRED_HEADERS		"otlp-headers"
#define SN_OTLP_CRED_CA			"otlp-ca"
#define SN_OTLP_CRED_CLIENT_CERTIFICATE "otlp-client-certificate"
#define SN_OTLP_CRED_CLIENT_KEY		"otlp-client-key"

struct sn_otlp_settings {
	char *url;	     /* the logs endpoint; NULL: unset (no sink) */
	uint64_t timeout_ms; /* 0: unset (SN_OTLP_DEFAULT_TIMEOUT_MS) */
	char **headers;	     /* "Name: value" (sn_config_otlp_header_valid()) */
	size_t n_headers;
	enum sn_config_otlp_compression compression;
	char *ca_file;		       /* NULL: the system's CAs */
	char *client_certificate;      /* NULL: none */
	char *client_key;	       /* NULL: none */
	char *service_name;	       /* NULL: SN_OTLP_SERVICE_NAME */
	struct sn_otlp_attr *resource; /* OTEL_RESOURCE_ATTRIBUTES */
	size_t n_resource;
};

void sn_otlp_settings_done(struct sn_otlp_settings *s);
int sn_otlp_settings_copy(const struct sn_otlp_settings *src,
			  struct sn_otlp_settings *ret);
bool sn_otlp_settings_equal(const struct sn_otlp_settings *a,
			    const struct sn_otlp_settings *b);

/* OTEL_EXPORTER_OTLP_ENDPOINT's base made the logs endpoint; -EINVAL for a base that
 * is not an http:// or https:// URL (sn_config_otlp_url_valid()). */
int sn_otlp_logs_endpoint(const char *base, char **ret);

/*
 * "key=value,key2=value2" (W3C Baggage members without properties): both sides
 * percent-decoded (%XX), spaces and tabs around them trimmed, empty members skipped; a
 * later key replaces an earlier one. -EINVAL for a member without '=' or a key, a bad
 * %-escape, a control character or a NUL decoded, more than SN_OTLP_MAX_LIST members
 * or a list longer than SN_OTLP_MAX_LIST_LEN.
 */
int sn_otlp_parse_key_values(const char *list, struct sn_otlp_attr **ret, size_t *ret_n);
void sn_otlp_attrs_free(struct sn_otlp_attr *a, size_t n);

/*
 * The otlp-headers credential: "Name: value" lines (CRLF taken as LF), blank ones and
 * '#' comments skipped. -EINVAL for a line sn_config_otlp_header_valid() refuses (its
 * number, from 1, in *ret_line), more than SN_CONFIG_MAX_OTLP_HEADERS headers or a NUL.
 */
int sn_otlp_parse_header_lines(const char *text, size_t len, char ***ret, size_t *ret_n,
			       unsigned *ret_line);

/* Looks a variable up: NULL when unset. */
typedef const char *(*sn_otlp_getenv_t)(const char *name, void *userdata);
/* A variable's bad value: message names it and says what is done instead. */
typedef void (*sn_otlp_warn_t)(const char *message, void *userdata);

/* The environment's settings (see above); -ENOMEM only. */
int sn_otlp_settings_from_env(sn_otlp_getenv_t get, sn_otlp_warn_t warn, void *userdata,
			      struct sn_otlp_settings *ret);

/* The files' [otlp]: url, timeout, header, compression. */
int sn_otlp_settings_from_config(const struct sn_config *c, struct sn_otlp_settings *ret);

/*
 * The credentials in dir (NULL: none): otlp-headers read and parsed, the others taken
 * by path when they exist. -EINVAL (a bad otlp-headers) and other errors with their
 * message in *ret_error.
 */
int sn_otlp_settings_from_credentials(const char *dir, struct sn_otlp_settings *ret,
				      char **ret_error);

/* layers[0] first: each setting from the first layer that sets it, headers as above. */
int sn_otlp_settings_merge(const struct sn_otlp_settings *const *layers, size_t n,
			   struct sn_otlp_settings *ret);
