/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * OTLP/HTTP with the JSON encoding, for logs (the OpenTelemetry protocol
 * specification, "OTLP/HTTP"): the ExportLogsServiceRequest that carries one report to
 * a collector (POST to its /v1/logs endpoint, Content-Type application/json, gzip when
 * asked), the verdict on the collector's answer, and its partialSuccess. Pure: no
 * clock, no I/O.
 *
 * The request follows OTLP's JSON rules: lowerCamelCase keys, 64-bit integers
 * (timestamps, intValue) as decimal strings, enums as numbers, fields left out when
 * unset (no traceId or spanId: a report belongs to no trace). One resource, one scope,
 * one log record:
 *
 *   {"resourceLogs": [{
 *     "resource": {"attributes": [   semantic conventions, each when known:
 *       service.name (resource->service_name, else "sdei-nmid"), service.version,
 *       host.name, host.id (the machine-id), host.arch (sn_otlp_host_arch()),
 *       os.type "linux", os.version (the kernel release); then the caller's
 *       attributes (OTEL_RESOURCE_ATTRIBUTES) of keys not set above]},
 *     "scopeLogs": [{
 *       "scope": {"name": "sdei-nmid", "version": ...},
 *       "logRecords": [{
 *         "timeUnixNano": incident.first_seen, "observedTimeUnixNano": last_seen,
 *         "severityNumber", "severityText": by kind (sn_otlp_severity()),
 *         "body": the report as an AnyValue: objects kvlistValue, arrays arrayValue,
 *           strings stringValue, integers intValue (decimal strings), other numbers
 *           doubleValue, booleans boolValue, null an empty AnyValue,
 *         "attributes": [
 *           log.record.uid and sdei_nmi.report.id: the report's id,
 *           sdei_nmi.kind, sdei_nmi.cpus (a CPU list, "0,2-3"), sdei_nmi.cpu_count,
 *           sdei_nmi.detector?, sdei_nmi.folded_count, sdei_nmi.boot_id?,
 *           sdei_nmi.firmware_sdei_version?, sdei_nmi.schema]}]}]}]}
 *
 * Everything comes from the report (which is parsed strictly: sn_report_parse()) and
 * the resource, so every retry of a report sends the same bytes, and its id, also sent
 * as the HTTP header "Idempotency-Key", lets a receiver drop a duplicate.
 *
 * Everything returns 0 or a negative errno; ret_* are written only on success.
 */

#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define SN_OTLP_SERVICE_NAME "sdei-nmid"
/* What a collector's answer is read up to; the rest is ignored. */
#define SN_OTLP_MAX_RESPONSE (64 * 1024)

/* OTLP's SeverityNumber: 9 INFO, 13 WARN, 17 ERROR, 19 ERROR3, 21 FATAL. */
#define SN_OTLP_SEVERITY_INFO	9
#define SN_OTLP_SEVERITY_WARN	13
#define SN_OTLP_SEVERITY_ERROR	17
#define SN_OTLP_SEVERITY_ERROR3 19
#define SN_OTLP_SEVERITY_FATAL	21

/*
 * A report's severity, by kind: hard-lockup FATAL (a CPU stuck with interrupts off),
 * rcu-stall ERROR3 (grace periods stopped: memory is not freed, the system follows),
 * soft-lockup ERROR (a CPU stuck in the kernel), hung-task WARN (a task blocked in D
 * state), other INFO (every CPU's backtrace asked for, SysRq-l most of the time). The
 * number; *ret_text (may be NULL) its short name, "FATAL", "ERROR3", ...
 */
int sn_otlp_severity(enum sn_incident_kind kind, const char **ret_text);

/*
 * host.arch in the semantic conventions for uname's machine: aarch64 -> arm64,
 * x86_64 -> amd64, i?86 -> x86, arm* -> arm32, ppc64* -> ppc64, ppc -> ppc32, s390x,
 * ia64; another as it is; NULL for NULL or "".
 */
const char *sn_otlp_host_arch(const char *machine);

/* A resource attribute, a string. */
struct sn_otlp_attr {
	char *key;
	char *value;
};

struct sn_otlp_resource {
	const char *service_name;	  /* NULL: SN_OTLP_SERVICE_NAME */
	const char *service_version;	  /* NULL: left out (the scope's too) */
	const char *host_arch;		  /* NULL: left out */
	const struct sn_otlp_attr *attrs; /* after ours; a key we set is skipped */
	size_t n_attrs;
};

/*
 * The request for report (len bytes of a serialized report), NUL-terminated (free()).
 * expect_id (may be NULL): the id the report must have (its spool name's), else
 * -EBADMSG. -EBADMSG (or -E2BIG) for a report sn_report_parse() refuses; -ENOMEM.
 */
int sn_otlp_logs_request(const char *report, size_t len, const char *expect_id,
			 const struct sn_otlp_resource *resource, char **ret,
			 size_t *ret_len);

/* The body gzip-compressed (RFC 1952; Content-Encoding: gzip), malloc()ed. */
int sn_otlp_gzip(const void *in, size_t len, void **ret, size_t *ret_len);

/*
 * What becomes of a report after the collector's HTTP status (OTLP/HTTP's "Failures"):
 * a 2xx accepts it (unless its partialSuccess rejects it: sn_otlp_parse_response());
 * 429, 502, 503 and 504 are worth retrying, honouring Retry-After; any other status
 * sets the report aside for good, with a reason.
 */
enum sn_otlp_verdict {
	SN_OTLP_ACCEPTED,
	SN_OTLP_RETRY,
	SN_OTLP_SET_ASIDE,
};

/* Why a report was set aside: counted by reason (the metrics' label). */
enum sn_otlp_aside {
	SN_OTLP_ASIDE_INVALID_REPORT,	 /* "invalid-report": not a valid report */
	SN_OTLP_ASIDE_REJECTED,		 /* "rejected": partialSuccess rejected it */
	SN_OTLP_ASIDE_CLIENT_ERROR,	 /* "client-error": 4xx but 429 */
	SN_OTLP_ASIDE_SERVER_ERROR,	 /* "server-error": 5xx but 502, 503, 504 */
	SN_OTLP_ASIDE_UNEXPECTED_STATUS, /* "unexpected-status": 1xx, 3xx, other */
	_SN_OTLP_ASIDE_MAX,
};

const char *sn_otlp_aside_to_string(enum sn_otlp_aside a);
/* *ret_reason (may be NULL) is written for SN_OTLP_SET_ASIDE only. */
enum sn_otlp_verdict sn_otlp_status_verdict(long status, enum sn_otlp_aside *ret_reason);

/*
 * Reads a collector's 2xx answer (an ExportLogsServiceResponse): *ret_rejected, the
 * records it refused (partialSuccess.rejectedLogRecords, a string or a number; 0 when
 * absent), and *ret_message (may be NULL; its errorMessage, printable ASCII, cut to 256
 * bytes, or NULL; free()). An empty body is a full success. -EBADMSG for a body that is
 * not such JSON.
 */
int sn_otlp_parse_response(const char *body, size_t len, uint64_t *ret_rejected,
			   char **ret_message);
