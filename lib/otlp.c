/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otlp.h"
#include "util.h"

#define MAX_MESSAGE 256

/* {"key": key, "value": {kind: value}} appended to the array a; takes value. */
static int add_attr(cJSON *a, const char *key, const char *kind, cJSON *value)
{
	cJSON *kv = cJSON_CreateObject(), *v = cJSON_CreateObject();

	if (!value || !kv || !v || !cJSON_AddItemToObject(v, kind, value)) {
		cJSON_Delete(value);
		cJSON_Delete(kv);
		cJSON_Delete(v);
		return -ENOMEM;
	}
	/* value is v's now */
	if (!cJSON_AddStringToObject(kv, "key", key) ||
	    !cJSON_AddItemToObject(kv, "value", v)) {
		cJSON_Delete(kv);
		cJSON_Delete(v);
		return -ENOMEM;
	}
	if (!cJSON_AddItemToArray(a, kv)) {
		cJSON_Delete(kv);
		return -ENOMEM;
	}
	return 0;
}

static int add_string(cJSON *a, const char *key, const char *s)
{
	return s ? add_attr(a, key, "stringValue", cJSON_CreateString(s)) : 0;
}

/* OTLP's int64: a decimal string. */
static int add_int(cJSON *a, const char *key, uint64_t n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	return add_attr(a, key, "intValue", cJSON_CreateString(buf));
}

static int add_u64_string(cJSON *o, const char *key, uint64_t n)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	return cJSON_AddStringToObject(o, key, buf) ? 0 : -ENOMEM;
}

static int resource(cJSON *rl, const struct sn_report *r, const char *version)
{
	cJSON *res, *attrs;
	int k = 0;

	res = cJSON_AddObjectToObject(rl, "resource");
	attrs = res ? cJSON_AddArrayToObject(res, "attributes") : NULL;
	if (!attrs)
		return -ENOMEM;
	if (k >= 0)
		k = add_string(attrs, "service.name", SN_OTLP_SERVICE_NAME);
	if (k >= 0)
		k = add_string(attrs, "service.version", version);
	if (k >= 0)
		k = add_string(attrs, "host.name", r->host.hostname);
	if (k >= 0)
		k = add_string(attrs, "host.id", r->host.machine_id);
	if (k >= 0)
		k = add_string(attrs, "os.type", "linux");
	if (k >= 0)
		k = add_string(attrs, "os.version", r->host.kernel_release);
	return k;
}

static int log_record(cJSON *records, const struct sn_report *r, const char *report)
{
	char cpus[SN_CPU_SET_MAX * 6];
	cJSON *rec, *body, *attrs;
	bool test = r->kind == SN_INCIDENT_SYNTHETIC; /* of the sinks: no emergency */
	int k;

	rec = cJSON_CreateObject();
	if (!rec || !cJSON_AddItemToArray(records, rec)) {
		cJSON_Delete(rec);
		return -ENOMEM;
	}
	k = add_u64_string(rec, "timeUnixNano", r->first_seen.realtime_usec * 1000);
	if (k >= 0)
		k = add_u64_string(rec, "observedTimeUnixNano",
				   r->last_seen.realtime_usec * 1000);
	if (k < 0)
		return k;
	if (!cJSON_AddNumberToObject(rec, "severityNumber",
				     test ? SN_OTLP_SEVERITY_INFO :
					    SN_OTLP_SEVERITY_FATAL) ||
	    !cJSON_AddStringToObject(rec, "severityText", test ? "INFO" : "CRITICAL"))
		return -ENOMEM;
	body = cJSON_AddObjectToObject(rec, "body");
	if (!body || !cJSON_AddStringToObject(body, "stringValue", report))
		return -ENOMEM;

	k = sn_cpu_set_format(&r->stalled, cpus, sizeof(cpus));
	if (k < 0)
		return k;
	attrs = cJSON_AddArrayToObject(rec, "attributes");
	if (!attrs)
		return -ENOMEM;
	k = add_string(attrs, "log.record.uid", r->id);
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.report.id", r->id);
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.kind",
			       sn_incident_kind_to_string(r->kind));
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.cpus", cpus);
	if (k >= 0)
		k = add_int(attrs, "sdei_nmi.cpu_count", sn_cpu_set_count(&r->stalled));
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.detector", r->detector);
	if (k >= 0)
		k = add_int(attrs, "sdei_nmi.folded_count", r->folded_count);
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.boot_id", r->host.boot_id);
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.firmware_sdei_version",
			       r->host.firmware_version);
	if (k >= 0)
		k = add_string(attrs, "sdei_nmi.schema", SN_REPORT_SCHEMA);
	return k;
}

int sn_otlp_logs_request(const char *report, size_t len, const char *expect_id,
			 const char *service_version, char **ret, size_t *ret_len)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	_cleanup_(cJSON_Deletep) cJSON *root = NULL;
	_cleanup_(freep) char *body = NULL, *text = NULL;
	cJSON *rls, *rl, *sls, *sl, *scope, *records;
	char *out;
	int k;

	/* The body is the report's text: it must be that and nothing more (no NUL). */
	if (memchr(report, '\0', len))
		return -EBADMSG;
	k = sn_report_parse(report, len, &r);
	if (k < 0)
		return k;
	if (expect_id && strcmp(r->id, expect_id) != 0)
		return -EBADMSG;
	body = strndup(report, len);
	if (!body)
		return -ENOMEM;

	root = cJSON_CreateObject();
	rls = root ? cJSON_AddArrayToObject(root, "resourceLogs") : NULL;
	rl = cJSON_CreateObject();
	if (!rls || !rl || !cJSON_AddItemToArray(rls, rl)) {
		cJSON_Delete(rl);
		return -ENOMEM;
	}
	k = resource(rl, r, service_version);
	if (k < 0)
		return k;
	sls = cJSON_AddArrayToObject(rl, "scopeLogs");
	sl = cJSON_CreateObject();
	if (!sls || !sl || !cJSON_AddItemToArray(sls, sl)) {
		cJSON_Delete(sl);
		return -ENOMEM;
	}
	scope = cJSON_AddObjectToObject(sl, "scope");
	if (!scope || !cJSON_AddStringToObject(scope, "name", SN_OTLP_SERVICE_NAME) ||
	    (service_version &&
	     !cJSON_AddStringToObject(scope, "version", service_version)))
		return -ENOMEM;
	records = cJSON_AddArrayToObject(sl, "logRecords");
	if (!records)
		return -ENOMEM;
	k = log_record(records, r, body);
	if (k < 0)
		return k;

	out = cJSON_PrintUnformatted(root);
	if (!out)
		return -ENOMEM;
	/* cJSON_free() it, while the caller free()s: a copy. */
	text = strdup(out);
	cJSON_free(out);
	if (!text)
		return -ENOMEM;
	if (ret_len)
		*ret_len = strlen(text);
	*ret = TAKE_PTR(text);
	return 0;
}

/* A uint64 as OTLP's JSON writes it: a decimal string, or a number. */
static int get_u64(const cJSON *v, uint64_t *ret)
{
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble < 0 || v->valuedouble > (double)SN_JSON_MAX_SAFE_INT ||
		    v->valuedouble != (double)(uint64_t)v->valuedouble)
			return -EBADMSG;
		*ret = (uint64_t)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		uint64_t n = 0;

		if (!*s || strlen(s) > 19)
			return -EBADMSG;
		for (; *s; s++) {
			if (!sn_is_digit(*s))
				return -EBADMSG;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		*ret = n;
		return 0;
	}
	return -EBADMSG;
}

int sn_otlp_parse_response(const char *body, size_t len, uint64_t *ret_rejected,
			   char **ret_message)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	_cleanup_(freep) char *message = NULL;
	const cJSON *ps, *v;
	uint64_t rejected = 0;
	size_t i = 0;

	while (i < len &&
	       (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i == len) {
		*ret_rejected = 0;
		if (ret_message)
			*ret_message = NULL;
		return 0;
	}
	if (len > SN_OTLP_MAX_RESPONSE)
		return -EBADMSG;
	j = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(j))
		return -EBADMSG;
	ps = cJSON_GetObjectItemCaseSensitive(j, "partialSuccess");
	if (ps && !cJSON_IsNull(ps)) {
		if (!cJSON_IsObject(ps))
			return -EBADMSG;
		v = cJSON_GetObjectItemCaseSensitive(ps, "rejectedLogRecords");
		if (v && get_u64(v, &rejected) < 0)
			return -EBADMSG;
		v = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
		if (v && !cJSON_IsString(v))
			return -EBADMSG;
		if (v && *v->valuestring) {
			size_t n = strnlen(v->valuestring, MAX_MESSAGE);

			message = strndup(v->valuestring, n);
			if (!message)
				return -ENOMEM;
			for (char *p = message; *p; p++)
				if (*p < 0x20 || *p > 0x7e)
					*p = '?';
		}
	}
	*ret_rejected = rejected;
	if (ret_message)
		*ret_message = TAKE_PTR(message);
	return 0;
}
