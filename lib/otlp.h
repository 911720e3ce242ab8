/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * OTLP/HTTP with the JSON encoding, for logs: the ExportLogsServiceRequest that carries
 * one report to an OpenTelemetry collector (POST to its /v1/logs endpoint, Content-Type
 * application/json), and the reading of the collector's answer. Pure: no clock, no I/O.
 *
 * The request follows OTLP's JSON rules: lowerCamelCase keys, 64-bit integers
 * (timestamps, intValue) as decimal strings, enums as numbers, fields left out when
 * unset (no traceId or spanId: a report belongs to no trace). One resource, one scope,
 * one log record:
 *
 *   {"resourceLogs": [{
 *     "resource": {"attributes": [   the report's host, each when known
 *       service.name "sdei-nmid", service.version, host.name, host.id (the machine-id),
 *       os.type "linux", os.version (the kernel release)]},
 *     "scopeLogs": [{
 *       "scope": {"name": "sdei-nmid", "version": ...},
 *       "logRecords": [{
 *         "timeUnixNano": incident.first_seen, "observedTimeUnixNano": last_seen,
 *         "severityNumber": 21 (FATAL), "severityText": "CRITICAL",
 *         "body": {"stringValue": the report, byte for byte as given},
 *         "attributes": [
 *           log.record.uid and sdei_nmi.report.id: the report's id,
 *           sdei_nmi.kind, sdei_nmi.cpus (a CPU list, "0,2-3"), sdei_nmi.cpu_count,
 *           sdei_nmi.detector?, sdei_nmi.folded_count, sdei_nmi.boot_id?,
 *           sdei_nmi.firmware_sdei_version?, sdei_nmi.schema]}]}]}]}
 *
 * Everything comes from the report (which is parsed strictly: sn_report_parse()), so
 * every retry of a report sends the same bytes, and its id, also sent as the HTTP
 * header "Idempotency-Key", lets a receiver drop a duplicate.
 *
 * Everything returns 0 or a negative errno; ret_* are written only on success.
 */

#include <stddef.h>
#include <stdint.h>

#include "report.h"

#define SN_OTLP_SERVICE_NAME   "sdei-nmid"
#define SN_OTLP_SEVERITY_FATAL 21
/* A synthetic incident's: a test of the sinks is no emergency. */
#define SN_OTLP_SEVERITY_INFO 9
/* What a collector's answer is read up to; the rest is ignored. */
#define SN_OTLP_MAX_RESPONSE (64 * 1024)

/*
 * The request for report (len bytes of a serialized report), NUL-terminated (free()).
 * expect_id (may be NULL): the id the report must have (its spool name's), else
 * -EBADMSG. -EBADMSG (or -E2BIG) for a report sn_report_parse() refuses; -ENOMEM.
 */
int sn_otlp_logs_request(const char *report, size_t len, const char *expect_id,
			 const char *service_version, char **ret, size_t *ret_len);

/*
 * Reads a collector's 2xx answer (an ExportLogsServiceResponse): *ret_rejected, the
 * records it refused (partialSuccess.rejectedLogRecords, a string or a number; 0 when
 * absent), and *ret_message (may be NULL; its errorMessage, printable ASCII, cut to 256
 * bytes, or NULL; free()). An empty body is a full success. -EBADMSG for a body that is
 * not such JSON.
 */
int sn_otlp_parse_response(const char *body, size_t len, uint64_t *ret_rejected,
			   char **ret_message);
