/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "otlp.h"
#include "util.h"

#define MAX_MESSAGE 256
/* A report is a few levels deep; anything deeper is not one. */
#define MAX_DEPTH 32

static const struct {
	int number;
	const char *text;
} severities[_SN_INCIDENT_KIND_MAX] = {
	[SN_INCIDENT_HARD_LOCKUP] = { SN_OTLP_SEVERITY_FATAL, "FATAL" },
	[SN_INCIDENT_RCU_STALL] = { SN_OTLP_SEVERITY_ERROR3, "ERROR3" },
	[SN_INCIDENT_SOFT_LOCKUP] = { SN_OTLP_SEVERITY_ERROR, "ERROR" },
	[SN_INCIDENT_HUNG_TASK] = { SN_OTLP_SEVERITY_WARN, "WARN" },
	[SN_INCIDENT_OTHER] = { SN_OTLP_SEVERITY_INFO, "INFO" },
	/* an operator's test of the sinks: no emergency */
	[SN_INCIDENT_SYNTHETIC] = { SN_OTLP_SEVERITY_INFO, "INFO" },
};

int sn_otlp_severity(enum sn_incident_kind kind, const char **ret_text)
{
	if ((unsigned)kind >= _SN_INCIDENT_KIND_MAX || !severities[kind].text)
		kind = SN_INCIDENT_OTHER;
	if (ret_text)
		*ret_text = severities[kind].text;
	return severities[kind].number;
}

const char *sn_otlp_host_arch(const char *machine)
{
	static const struct {
		const char *prefix, *arch;
		bool exact;
	} map[] = {
		{ "x86_64", "amd64", true },  { "amd64", "amd64", true },
		{ "aarch64", "arm64", true }, { "arm64", "arm64", true },
		{ "ppc64", "ppc64", false },  { "ppc", "ppc32", true },
		{ "s390x", "s390x", true },   { "ia64", "ia64", true },
		{ "arm", "arm32", false },
	};

	if (!machine || !*machine)
		return NULL;
	if (strlen(machine) == 4 && machine[0] == 'i' && machine[1] >= '3' &&
	    machine[1] <= '6' && strcmp(machine + 2, "86") == 0)
		return "x86";
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (map[i].exact ?
			    strcmp(machine, map[i].prefix) == 0 :
			    strncmp(machine, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].arch;
	return machine;
}

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

/* Whether the attributes have key already. */
static bool has_attr(const cJSON *attrs, const char *key)
{
	const cJSON *kv;

	cJSON_ArrayForEach(kv, attrs)
	{
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");

		if (cJSON_IsString(k) && strcmp(k->valuestring, key) == 0)
			return true;
	}
	return false;
}

static int resource(cJSON *rl, const struct sn_report *r,
		    const struct sn_otlp_resource *res)
{
	cJSON *o, *attrs;
	int k = 0;

	o = cJSON_AddObjectToObject(rl, "resource");
	attrs = o ? cJSON_AddArrayToObject(o, "attributes") : NULL;
	if (!attrs)
		return -ENOMEM;
	if (k >= 0)
		k = add_string(attrs, "service.name",
			       res->service_name ?: SN_OTLP_SERVICE_NAME);
	if (k >= 0)
		k = add_string(attrs, "service.version", res->service_version);
	if (k >= 0)
		k = add_string(attrs, "host.name", r->host.hostname);
	if (k >= 0)
		k = add_string(attrs, "host.id", r->host.machine_id);
	if (k >= 0)
		k = add_string(attrs, "host.arch", res->host_arch);
	if (k >= 0)
		k = add_string(attrs, "os.type", "linux");
	if (k >= 0)
		k = add_string(attrs, "os.version", r->host.kernel_release);
	/* The caller's, where we have nothing to say (ours are the report's facts). */
	for (size_t i = 0; k >= 0 && i < res->n_attrs; i++)
		if (!has_attr(attrs, res->attrs[i].key))
			k = add_string(attrs, res->attrs[i].key, res->attrs[i].value);
	return k;
}

static int any_value(const cJSON *j, unsigned depth, cJSON **ret);

/* {"values": [...]} of a kvlistValue (keys) or an arrayValue (no keys). */
static int any_values(const cJSON *j, unsigned depth, bool keys, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *list = cJSON_CreateObject();
	cJSON *values = NULL;
	const cJSON *e;
	int k;

	if (!list)
		return -ENOMEM;
	cJSON_ArrayForEach(e, j)
	{
		cJSON *v, *item;

		if (!values && !(values = cJSON_AddArrayToObject(list, "values")))
			return -ENOMEM;
		k = any_value(e, depth + 1, &v);
		if (k < 0)
			return k;
		if (!keys)
			item = v;
		else {
			item = cJSON_CreateObject();
			if (!item || !cJSON_AddStringToObject(item, "key", e->string) ||
			    !cJSON_AddItemToObject(item, "value", v)) {
				cJSON_Delete(item);
				cJSON_Delete(v);
				return -ENOMEM;
			}
		}
		if (!cJSON_AddItemToArray(values, item)) {
			cJSON_Delete(item);
			return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(list);
	return 0;
}

/* The AnyValue of a JSON value; the report's integers are exact (at most 2^53 - 1). */
static int any_value(const cJSON *j, unsigned depth, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *v = cJSON_CreateObject();
	cJSON *inner = NULL;
	const char *kind = NULL;
	int k;

	if (!v)
		return -ENOMEM;
	if (depth > MAX_DEPTH)
		return -EBADMSG;
	if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
		k = any_values(j, depth, cJSON_IsObject(j), &inner);
		if (k < 0)
			return k;
		kind = cJSON_IsObject(j) ? "kvlistValue" : "arrayValue";
	} else if (cJSON_IsString(j)) {
		inner = cJSON_CreateString(j->valuestring);
		kind = "stringValue";
	} else if (cJSON_IsBool(j)) {
		inner = cJSON_CreateBool(cJSON_IsTrue(j));
		kind = "boolValue";
	} else if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;

		if (d >= -(double)SN_JSON_MAX_SAFE_INT &&
		    d <= (double)SN_JSON_MAX_SAFE_INT && d == (double)(int64_t)d) {
			char buf[24];

			snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)d);
			inner = cJSON_CreateString(buf);
			kind = "intValue";
		} else {
			inner = cJSON_CreateNumber(d);
			kind = "doubleValue";
		}
	} else if (!cJSON_IsNull(j))
		return -EBADMSG;
	/* null: an AnyValue with nothing set */
	if (kind && (!inner || !cJSON_AddItemToObject(v, kind, inner))) {
		cJSON_Delete(inner);
		return -ENOMEM;
	}
	*ret = TAKE_PTR(v);
	return 0;
}

static int log_record(cJSON *records, const struct sn_report *r, const cJSON *report)
{
	char cpus[SN_CPU_SET_MAX * 6];
	cJSON *rec, *body, *attrs;
	const char *severity_text;
	int k, severity;

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
	severity = sn_otlp_severity(r->kind, &severity_text);
	if (!cJSON_AddNumberToObject(rec, "severityNumber", severity) ||
	    !cJSON_AddStringToObject(rec, "severityText", severity_text))
		return -ENOMEM;
	k = any_value(report, 0, &body);
	if (k < 0)
		return k;
	if (!cJSON_AddItemToObject(rec, "body", body)) {
		cJSON_Delete(body);
		return -ENOMEM;
	}

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
			 const struct sn_otlp_resource *resource_, char **ret,
			 size_t *ret_len)
{
	static const struct sn_otlp_resource none = {};
	const struct sn_otlp_resource *res = resource_ ?: &none;
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	_cleanup_(cJSON_Deletep) cJSON *root = NULL, *doc = NULL;
	_cleanup_(freep) char *text = NULL;
	cJSON *rls, *rl, *sls, *sl, *scope, *records;
	char *out;
	int k;

	/* The report's text must be that and nothing more (no NUL). */
	if (memchr(report, '\0', len))
		return -EBADMSG;
	k = sn_report_parse(report, len, &r);
	if (k < 0)
		return k;
	if (expect_id && strcmp(r->id, expect_id) != 0)
		return -EBADMSG;
	/* sn_report_parse() read it, strictly: the same JSON, now as a tree to mirror. */
	doc = cJSON_ParseWithLength(report, len);
	if (!cJSON_IsObject(doc))
		return -EBADMSG;

	root = cJSON_CreateObject();
	rls = root ? cJSON_AddArrayToObject(root, "resourceLogs") : NULL;
	rl = cJSON_CreateObject();
	if (!rls || !rl || !cJSON_AddItemToArray(rls, rl)) {
		cJSON_Delete(rl);
		return -ENOMEM;
	}
	k = resource(rl, r, res);
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
	    (res->service_version &&
	     !cJSON_AddStringToObject(scope, "version", res->service_version)))
		return -ENOMEM;
	records = cJSON_AddArrayToObject(sl, "logRecords");
	if (!records)
		return -ENOMEM;
	k = log_record(records, r, doc);
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

int sn_otlp_gzip(const void *in, size_t len, void **ret, size_t *ret_len)
{
	_cleanup_(freep) void *out = NULL;
	z_stream z = {};
	uLong bound, n;
	int k;

	if (len > UINT32_MAX)
		return -E2BIG;
	/* windowBits 15 + 16: a gzip header and trailer rather than zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&z, (uLong)len);
	out = malloc(bound);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	k = deflate(&z, Z_FINISH);
	n = z.total_out;
	deflateEnd(&z);
	if (k != Z_STREAM_END)
		return -ENOMEM;
	*ret = TAKE_PTR(out);
	*ret_len = n;
	return 0;
}

static const char *const aside_names[_SN_OTLP_ASIDE_MAX] = {
	[SN_OTLP_ASIDE_INVALID_REPORT] = "invalid-report",
	[SN_OTLP_ASIDE_REJECTED] = "rejected",
	[SN_OTLP_ASIDE_CLIENT_ERROR] = "client-error",
	[SN_OTLP_ASIDE_SERVER_ERROR] = "server-error",
	[SN_OTLP_ASIDE_UNEXPECTED_STATUS] = "unexpected-status",
};

const char *sn_otlp_aside_to_string(enum sn_otlp_aside a)
{
	return (unsigned)a < _SN_OTLP_ASIDE_MAX ? aside_names[a] : NULL;
}

enum sn_otlp_verdict sn_otlp_status_verdict(long status, enum sn_otlp_aside *ret_reason)
{
	enum sn_otlp_aside reason;

	if (status >= 200 && status < 300)
		return SN_OTLP_ACCEPTED;
	if (status == 429 || status == 502 || status == 503 || status == 504)
		return SN_OTLP_RETRY;
	if (status >= 400 && status < 500)
		reason = SN_OTLP_ASIDE_CLIENT_ERROR;
	else if (status >= 500 && status < 600)
		reason = SN_OTLP_ASIDE_SERVER_ERROR;
	else
		reason = SN_OTLP_ASIDE_UNEXPECTED_STATUS;
	if (ret_reason)
		*ret_reason = reason;
	return SN_OTLP_SET_ASIDE;
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
