/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a report back (report.h: sn_report_parse()), strictly. */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdump.h"
#include "nmi-format.h"
#include "report.h"
#include "report-internal.h"
#include "util.h"

/* ---- reading JSON ---- */

/*
 * Checks that j is an object whose keys are all in keys (NULL-terminated), each at most
 * once, and that the first n_required of them are present.
 */
static int check_object(const cJSON *j, const char *const *keys, size_t n_required)
{
	size_t n_keys = 0;
	unsigned seen[32] = {};

	if (!cJSON_IsObject(j))
		return -EBADMSG;
	while (keys[n_keys])
		n_keys++;
	if (n_keys > ELEMENTSOF(seen))
		return -EINVAL;
	for (const cJSON *c = j->child; c; c = c->next) {
		size_t k;

		if (!c->string)
			return -EBADMSG;
		for (k = 0; k < n_keys && strcmp(keys[k], c->string) != 0; k++)
			;
		if (k == n_keys || seen[k]++)
			return -EBADMSG;
	}
	for (size_t k = 0; k < n_required; k++)
		if (!seen[k])
			return -EBADMSG;
	return 0;
}

static const cJSON *member(const cJSON *j, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(j, key);
}

static int get_int(const cJSON *j, uint64_t max, uint64_t *ret)
{
	double d;

	if (!cJSON_IsNumber(j))
		return -EBADMSG;
	d = j->valuedouble;
	if (!isfinite(d) || d < 0 || d != floor(d) || d > (double)max)
		return -EBADMSG;
	*ret = (uint64_t)d;
	return 0;
}

static int get_u32(const cJSON *j, uint32_t *ret)
{
	uint64_t v;
	int r = get_int(j, UINT32_MAX, &v);

	if (r < 0)
		return r;
	*ret = (uint32_t)v;
	return 0;
}

static int get_u64_string(const cJSON *j, uint64_t *ret)
{
	const char *s;
	char *end;
	unsigned long long v;

	if (!cJSON_IsString(j))
		return -EBADMSG;
	s = j->valuestring;
	if (!s[0] || strlen(s) > 20 || strspn(s, "0123456789") != strlen(s) ||
	    (s[0] == '0' && s[1]))
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end)
		return -EBADMSG;
	*ret = v;
	return 0;
}

static int get_hex(const cJSON *j, uint64_t *ret)
{
	const char *s;

	if (!cJSON_IsString(j))
		return -EBADMSG;
	s = j->valuestring;
	if (strlen(s) != 18 || s[0] != '0' || s[1] != 'x')
		return -EBADMSG;
	for (size_t i = 2; i < 18; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -EBADMSG;
	*ret = strtoull(s + 2, NULL, 16);
	return 0;
}

static int get_bool(const cJSON *j, bool *ret)
{
	if (!cJSON_IsBool(j))
		return -EBADMSG;
	*ret = cJSON_IsTrue(j);
	return 0;
}

/* A printable ASCII string of 1 to max bytes (0 allowed when min0), duplicated. */
static int get_text(const cJSON *j, size_t max, bool allow_empty, char **ret)
{
	char *s;

	if (!cJSON_IsString(j))
		return -EBADMSG;
	s = j->valuestring;
	if ((!allow_empty && !s[0]) || strlen(s) > max || !sn_report_text_is_plain(s))
		return -EBADMSG;
	s = strdup(s);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int get_enum(const cJSON *j, const char *const *names, size_t n, unsigned *ret)
{
	if (!cJSON_IsString(j))
		return -EBADMSG;
	return sn_report_name_lookup(names, n, j->valuestring, ret) < 0 ? -EBADMSG : 0;
}

/* A name that name() gives a value of 1 and up (the uapi's enums): that value. */
static int get_uapi_enum(const cJSON *j, const char *(*name)(uint32_t), uint32_t *ret)
{
	if (!cJSON_IsString(j))
		return -EBADMSG;
	for (uint32_t v = 1; name(v); v++)
		if (strcmp(name(v), j->valuestring) == 0) {
			*ret = v;
			return 0;
		}
	return -EBADMSG;
}

static int parse_time(const cJSON *j, struct sn_report_time *ret)
{
	static const char *const keys[] = { "realtime", "monotonic_ns", NULL };
	struct sn_report_time t;
	int r;

	if ((r = check_object(j, keys, 2)) < 0)
		return r;
	if (!cJSON_IsString(member(j, "realtime")) ||
	    sn_parse_realtime(member(j, "realtime")->valuestring, &t.realtime_usec) < 0)
		return -EBADMSG;
	if ((r = get_u64_string(member(j, "monotonic_ns"), &t.monotonic_ns)) < 0)
		return r;
	*ret = t;
	return 0;
}

static int parse_host(const cJSON *j, struct sn_host *h)
{
	static const char *const keys[] = { "hostname",
					    "machine_id",
					    "boot_id",
					    "kernel_release",
					    "firmware_sdei_version",
					    NULL };
	int r;

	if ((r = check_object(j, keys, 0)) < 0)
		return r;
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		const cJSON *v = member(j, sn_host_field_to_string(f));
		char **slot = sn_report_host_slot(h, f);

		if (!v)
			continue;
		r = get_text(v, SN_REPORT_MAX_HOST_FIELD, false, slot);
		if (r < 0)
			return r;
		/* Escaped text may hold spaces ("\x.."); the ids have a strict form. */
		if ((f == SN_HOST_MACHINE_ID || f == SN_HOST_BOOT_ID ||
		     f == SN_HOST_FIRMWARE_VERSION) &&
		    !sn_report_host_value_valid(f, *slot))
			return -EBADMSG;
	}
	return 0;
}

static int parse_pstate(const cJSON *j, uint64_t *ret)
{
	static const char *const keys[] = { "value", "daif", "interrupts_masked", "el",
					    NULL };
	static const char *const daif_keys[] = { "d", "a", "i", "f", NULL };
	const cJSON *d;
	struct sn_daif want, got;
	bool masked;
	uint64_t v;
	char el[8];
	int r;

	if ((r = check_object(j, keys, 4)) < 0 ||
	    (r = get_hex(member(j, "value"), &v)) < 0)
		return r;
	d = member(j, "daif");
	if ((r = check_object(d, daif_keys, 4)) < 0 ||
	    (r = get_bool(member(d, "d"), &got.d)) < 0 ||
	    (r = get_bool(member(d, "a"), &got.a)) < 0 ||
	    (r = get_bool(member(d, "i"), &got.i)) < 0 ||
	    (r = get_bool(member(d, "f"), &got.f)) < 0 ||
	    (r = get_bool(member(j, "interrupts_masked"), &masked)) < 0)
		return r;
	want = sn_pstate_daif(v);
	if (want.d != got.d || want.a != got.a || want.i != got.i || want.f != got.f ||
	    masked != sn_pstate_interrupts_masked(v))
		return -EBADMSG;
	if (!cJSON_IsString(member(j, "el")) ||
	    strcmp(member(j, "el")->valuestring, sn_pstate_el(v, el)) != 0)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* The optional register key of j, as "0x" and 16 hex digits: *has set when there. */
static int opt_hex(const cJSON *j, const char *key, bool *has, uint64_t *ret)
{
	const cJSON *v = member(j, key);
	int r;

	if (!v)
		return 0;
	r = get_hex(v, ret);
	if (r < 0)
		return r;
	*has = true;
	return 0;
}

/* "frames"? and "stack_hash"? of j: both or neither, the hash the frames'. */
static int parse_stack(const cJSON *j, char ***frames, size_t *n_frames, bool *has_hash,
		       uint64_t *hash)
{
	const cJSON *f, *v;
	int r;

	if ((f = member(j, "frames"))) {
		int n = cJSON_GetArraySize(f);

		if (!cJSON_IsArray(f) || n < 1 || n > SN_REPORT_MAX_FRAMES)
			return -EBADMSG;
		*frames = calloc((size_t)n, sizeof(char *));
		if (!*frames)
			return -ENOMEM;
		for (const cJSON *c = f->child; c; c = c->next) {
			r = get_text(c, SN_REPORT_MAX_TEXT, false, &(*frames)[*n_frames]);
			if (r < 0)
				return r;
			(*n_frames)++;
		}
	}
	if ((v = member(j, "stack_hash"))) {
		if ((r = get_hex(v, hash)) < 0)
			return r;
		*has_hash = true;
	}
	if (*has_hash != (*n_frames > 0))
		return -EBADMSG;
	if (*has_hash && *hash != sn_stack_hash(*frames, *n_frames))
		return -EBADMSG;
	return 0;
}

static int parse_task(const cJSON *j, struct sn_report *r)
{
	static const char *const keys[] = { "comm",    "pid",	 "blocked_seconds",
					    "io_wait", "frames", "stack_hash",
					    NULL };
	struct sn_report_task *t = &r->task;
	uint64_t secs;
	int rr;

	if ((rr = check_object(j, keys, 4)) < 0 ||
	    (rr = get_text(member(j, "comm"), SN_REPORT_MAX_COMM, true, &t->comm)) < 0 ||
	    (rr = get_u32(member(j, "pid"), &t->pid)) < 0 ||
	    (rr = get_int(member(j, "blocked_seconds"), SN_JSON_MAX_SAFE_INT, &secs)) <
		    0 ||
	    (rr = get_bool(member(j, "io_wait"), &t->io_wait)) < 0 ||
	    (rr = parse_stack(j, &t->frames, &t->n_frames, &t->has_stack_hash,
			      &t->stack_hash)) < 0)
		return rr;
	t->blocked_seconds = secs;
	r->has_task = true;
	return 0;
}

static int parse_evidence(const cJSON *j, struct sn_evidence *e)
{
	static const char *const keys[] = {
		"cpu",	      "delivery", "reason", "source", "context",    "path",
		"latency_ns", "pc",	  "lr",	    "sp",     "pstate",	    "comm",
		"pid",	      "pc_sym",	  "lr_sym", "frames", "stack_hash", NULL
	};
	const cJSON *v;
	unsigned u;
	int r;

	if ((r = check_object(j, keys, 2)) < 0)
		return r;
	if ((r = get_u32(member(j, "cpu"), &e->cpu)) < 0 ||
	    (r = get_enum(member(j, "delivery"), sn_report_delivery_names,
			  sn_report_delivery_names_n, &u)) < 0)
		return r;
	e->delivery = u;
	if ((v = member(j, "reason")) &&
	    (r = get_text(v, SN_REPORT_MAX_TEXT, false, &e->reason)) < 0)
		return r;
	if ((e->delivery == SN_EVIDENCE_NOT_REQUESTED ||
	     e->delivery == SN_EVIDENCE_UNAVAILABLE) != (e->reason != NULL))
		return -EBADMSG;
	if ((v = member(j, "source"))) {
		if ((r = get_enum(v, sn_report_source_names, sn_report_source_names_n,
				  &u)) < 0)
			return r;
		e->source = u;
	}
	if ((v = member(j, "context")) &&
	    (r = get_uapi_enum(v, sn_context_to_string, &e->context)) < 0)
		return r;
	if ((v = member(j, "path")) &&
	    (r = get_uapi_enum(v, sn_path_to_string, &e->path)) < 0)
		return r;
	if ((v = member(j, "latency_ns"))) {
		if ((r = get_int(v, SN_JSON_MAX_SAFE_INT, &e->latency_ns)) < 0)
			return r;
		e->has_latency_ns = true;
	}
	if ((r = opt_hex(j, "pc", &e->has_pc, &e->pc)) < 0 ||
	    (r = opt_hex(j, "lr", &e->has_lr, &e->lr)) < 0 ||
	    (r = opt_hex(j, "sp", &e->has_sp, &e->sp)) < 0)
		return r;
	if ((v = member(j, "pstate"))) {
		if ((r = parse_pstate(v, &e->pstate)) < 0)
			return r;
		e->has_pstate = true;
	}
	if ((v = member(j, "comm")) &&
	    (r = get_text(v, SN_REPORT_MAX_COMM, true, &e->comm)) < 0)
		return r;
	if ((v = member(j, "pid"))) {
		if ((r = get_u32(v, &e->pid)) < 0)
			return r;
		e->has_pid = true;
	}
	if ((v = member(j, "pc_sym")) &&
	    (r = get_text(v, SN_REPORT_MAX_TEXT, false, &e->pc_sym)) < 0)
		return r;
	if ((v = member(j, "lr_sym")) &&
	    (r = get_text(v, SN_REPORT_MAX_TEXT, false, &e->lr_sym)) < 0)
		return r;
	if ((r = parse_stack(j, &e->frames, &e->n_frames, &e->has_stack_hash,
			     &e->stack_hash)) < 0)
		return r;
	if (sn_report_evidence_has_stack_fields(e) &&
	    (e->delivery != SN_EVIDENCE_CAPTURED || e->source == SN_STACK_NONE))
		return -EBADMSG;
	if (e->source != SN_STACK_NONE && e->delivery != SN_EVIDENCE_CAPTURED)
		return -EBADMSG;
	return 0;
}

/* A CPU list: ascending, unique, each below SN_CPU_SET_MAX. */
static int parse_cpu_list(const cJSON *a, struct sn_cpu_set *ret)
{
	struct sn_cpu_set set = {};
	int64_t last = -1;
	int rr;

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SN_CPU_SET_MAX)
		return -EBADMSG;
	for (const cJSON *c = a->child; c; c = c->next) {
		uint64_t cpu;

		if ((rr = get_int(c, SN_CPU_SET_MAX - 1, &cpu)) < 0)
			return rr;
		if ((int64_t)cpu <= last)
			return -EBADMSG;
		last = (int64_t)cpu;
		sn_cpu_set_add(&set, (uint32_t)cpu);
	}
	*ret = set;
	return 0;
}

static int parse_sources(const cJSON *a, unsigned *ret)
{
	unsigned sources = 0, u;
	int rr;

	if (!cJSON_IsArray(a) || !a->child)
		return -EBADMSG;
	for (const cJSON *c = a->child; c; c = c->next) {
		if ((rr = get_enum(c, sn_report_sources_names, sn_report_sources_names_n,
				   &u)) < 0)
			return rr;
		if (sources & (1u << u) || (sources >> u) > 1)
			return -EBADMSG; /* once each, in order */
		sources |= 1u << u;
	}
	*ret = sources;
	return 0;
}

static int parse_trigger(const cJSON *j, struct sn_report *r)
{
	static const char *const keys[] = { "source",	   "caller",   "requester_cpu",
					    "target_cpus", "function", NULL };
	static const char *const trigger_sources[] = { "bpf" };
	struct sn_cpu_set targets;
	enum sn_bt_caller caller;
	const cJSON *v;
	uint64_t cpu;
	unsigned u;
	int rr;

	if ((rr = check_object(j, keys, 4)) < 0)
		return rr;
	if ((rr = get_enum(member(j, "source"), trigger_sources, 1, &u)) < 0)
		return rr;
	v = member(j, "caller");
	if (!cJSON_IsString(v) || sn_bt_caller_from_string(v->valuestring, &caller) < 0)
		return -EBADMSG;
	if ((rr = get_int(member(j, "requester_cpu"), SN_CPU_SET_MAX - 1, &cpu)) < 0 ||
	    (rr = parse_cpu_list(member(j, "target_cpus"), &targets)) < 0)
		return rr;
	v = member(j, "function");
	if (v && (!cJSON_IsString(v) || !sn_report_function_valid(v->valuestring)))
		return -EBADMSG;
	return sn_report_set_trigger(r, caller, v ? v->valuestring : NULL, (uint32_t)cpu,
				     &targets);
}

static int parse_incident(const cJSON *j, struct sn_report *r)
{
	static const char *const keys[] = { "kind",	 "stalled_cpus", "first_seen",
					    "last_seen", "kmsg_seqs",	 "detector",
					    "sources",	 "trigger",	 "task",
					    NULL };
	const cJSON *a, *v;
	unsigned u;
	int rr;

	if ((rr = check_object(j, keys, 5)) < 0)
		return rr;
	if ((rr = get_enum(member(j, "kind"), sn_report_kind_names,
			   sn_report_kind_names_n, &u)) < 0)
		return rr;
	r->kind = u;
	if ((v = member(j, "detector"))) {
		if (!cJSON_IsString(v) || !sn_report_detector_valid(v->valuestring))
			return -EBADMSG;
		r->detector = strdup(v->valuestring);
		if (!r->detector)
			return -ENOMEM;
	}
	a = member(j, "stalled_cpus");
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SN_CPU_SET_MAX)
		return -EBADMSG;
	for (const cJSON *c = a->child; c; c = c->next) {
		uint64_t cpu;

		if ((rr = get_int(c, SN_CPU_SET_MAX - 1, &cpu)) < 0)
			return rr;
		if (sn_cpu_set_test(&r->stalled, (uint32_t)cpu))
			return -EBADMSG;
		sn_cpu_set_add(&r->stalled, (uint32_t)cpu);
	}
	if ((rr = parse_time(member(j, "first_seen"), &r->first_seen)) < 0 ||
	    (rr = parse_time(member(j, "last_seen"), &r->last_seen)) < 0)
		return rr;
	if (r->last_seen.monotonic_ns < r->first_seen.monotonic_ns)
		return -EBADMSG;
	r->has_seen = true;
	a = member(j, "kmsg_seqs");
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SN_REPORT_MAX_SEQS)
		return -EBADMSG;
	r->kmsg_seqs = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(uint64_t));
	if (!r->kmsg_seqs)
		return -ENOMEM;
	for (const cJSON *c = a->child; c; c = c->next) {
		uint64_t seq;

		if ((rr = get_int(c, SN_JSON_MAX_SAFE_INT, &seq)) < 0)
			return rr;
		if (r->n_kmsg_seqs > 0 && seq <= r->kmsg_seqs[r->n_kmsg_seqs - 1])
			return -EBADMSG; /* ascending, unique */
		r->kmsg_seqs[r->n_kmsg_seqs++] = seq;
	}
	if ((v = member(j, "sources")) && (rr = parse_sources(v, &r->sources)) < 0)
		return rr;
	if ((v = member(j, "trigger")) && (rr = parse_trigger(v, r)) < 0)
		return rr;
	if ((v = member(j, "task")) && (rr = parse_task(v, r)) < 0)
		return rr;
	return 0;
}

static int parse_log(const cJSON *j, struct sn_report *r)
{
	static const char *const keys[] = { "lines", "lines_dropped", NULL };
	const cJSON *a;
	int rr;

	if ((rr = check_object(j, keys, 2)) < 0)
		return rr;
	a = member(j, "lines");
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SN_REPORT_MAX_LOG_LINES)
		return -EBADMSG;
	r->log_lines = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(char *));
	if (!r->log_lines)
		return -ENOMEM;
	for (const cJSON *c = a->child; c; c = c->next) {
		char *l;

		if ((rr = get_text(c, SN_REPORT_MAX_TEXT, true, &l)) < 0)
			return rr;
		r->log_lines[r->n_log_lines++] = l;
		r->log_bytes += strlen(l);
		if (r->log_bytes > SN_REPORT_MAX_LOG_BYTES)
			return -EBADMSG;
	}
	return get_int(member(j, "lines_dropped"), SN_JSON_MAX_SAFE_INT,
		       &r->log_lines_dropped);
}

int sn_report_from_json(const cJSON *j, struct sn_report **ret)
{
	static const char *const keys[] = { "schema",	"id",		"host",
					    "incident", "cpus",		"kernel_log",
					    "kdump",	"folded_count", NULL };
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	const cJSON *v, *a;
	int rr;

	if ((rr = check_object(j, keys, 8)) < 0)
		return rr;
	v = member(j, "schema");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, SN_REPORT_SCHEMA) != 0)
		return -EBADMSG;
	r = sn_report_alloc();
	if (!r)
		return -ENOMEM;
	v = member(j, "id");
	if (!cJSON_IsString(v) || !sn_report_id_valid(v->valuestring))
		return -EBADMSG;
	memcpy(r->id, v->valuestring, SN_REPORT_ID_LEN + 1);
	if ((rr = parse_host(member(j, "host"), &r->host)) < 0 ||
	    (rr = parse_incident(member(j, "incident"), r)) < 0)
		return rr;
	a = member(j, "cpus");
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SN_REPORT_MAX_CPUS)
		return -EBADMSG;
	r->evidence =
		calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof(struct sn_evidence));
	if (!r->evidence)
		return -ENOMEM;
	for (const cJSON *c = a->child; c; c = c->next) {
		/* Counted first, so that a failure frees what the entry holds. */
		r->n_evidence++;
		if ((rr = parse_evidence(c, &r->evidence[r->n_evidence - 1])) < 0)
			return rr;
	}
	if ((rr = parse_log(member(j, "kernel_log"), r)) < 0)
		return rr;
	v = member(j, "kdump");
	if (sn_kdump_json_check(v) < 0)
		return -EBADMSG;
	r->kdump = cJSON_Duplicate(v, true);
	if (!r->kdump)
		return -ENOMEM;
	if ((rr = get_int(member(j, "folded_count"), SN_JSON_MAX_SAFE_INT,
			  &r->folded_count)) < 0)
		return rr;
	*ret = TAKE_PTR(r);
	return 0;
}

int sn_report_parse(const char *buf, size_t len, struct sn_report **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	const char *end = NULL;

	if (len > SN_REPORT_MAX_BYTES)
		return -E2BIG;
	j = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (!j)
		return -EBADMSG;
	/* Nothing but white space after the document (and no NUL inside it). */
	for (; end && end < buf + len; end++)
		if (!strchr(" \t\r\n", *end) || *end == '\0')
			return -EBADMSG;
	return sn_report_from_json(j, ret);
}
