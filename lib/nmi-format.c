/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nmi-format.h"
#include "util.h"

#define PSTATE_D    (UINT64_C(1) << 9)
#define PSTATE_A    (UINT64_C(1) << 8)
#define PSTATE_I    (UINT64_C(1) << 7)
#define PSTATE_F    (UINT64_C(1) << 6)
#define PSTATE_RW32 (UINT64_C(1) << 4) /* M[4]: the context was AArch32 */

struct sn_daif sn_pstate_daif(uint64_t pstate)
{
	return (struct sn_daif){
		.d = pstate & PSTATE_D,
		.a = pstate & PSTATE_A,
		.i = pstate & PSTATE_I,
		.f = pstate & PSTATE_F,
	};
}

bool sn_pstate_interrupts_masked(uint64_t pstate)
{
	return pstate & (PSTATE_I | PSTATE_F);
}

const char *sn_pstate_el(uint64_t pstate, char buf[static 8])
{
	if (pstate & PSTATE_RW32)
		return strcpy(buf, "AArch32");
	/* M[3:2] is the exception level, M[0] the stack pointer: SP_EL0 (t) or SP_ELx
	 * (h). */
	snprintf(buf, 8, "EL%u%c", (unsigned)(pstate >> 2) & 3, pstate & 1 ? 'h' : 't');
	return buf;
}

const char *sn_daif_string(struct sn_daif daif, char buf[static 5])
{
	buf[0] = daif.d ? 'D' : '-';
	buf[1] = daif.a ? 'A' : '-';
	buf[2] = daif.i ? 'I' : '-';
	buf[3] = daif.f ? 'F' : '-';
	buf[4] = '\0';
	return buf;
}

const char *sn_state_to_string(uint32_t state)
{
	switch (state) {
	case SDEI_NMI_STATE_INACTIVE:
		return "inactive";
	case SDEI_NMI_STATE_ACTIVE:
		return "active";
	default:
		return NULL;
	}
}

const char *sn_delivery_to_string(uint32_t delivery)
{
	switch (delivery) {
	case SDEI_NMI_DELIVERY_CAPTURED:
		return "captured";
	case SDEI_NMI_DELIVERY_TIMEOUT:
		return "timeout";
	case SDEI_NMI_DELIVERY_OFFLINE:
		return "offline";
	case SDEI_NMI_DELIVERY_UNSUPPORTED:
		return "unsupported";
	case SDEI_NMI_DELIVERY_RATE_LIMITED:
		return "rate-limited";
	default:
		return NULL;
	}
}

const char *sn_trigger_to_string(uint32_t trigger)
{
	switch (trigger) {
	case SDEI_NMI_TRIGGER_REQUEST:
		return "request";
	case SDEI_NMI_TRIGGER_KERNEL:
		return "kernel";
	default:
		return NULL;
	}
}

const char *sn_context_to_string(uint32_t context)
{
	switch (context) {
	case SDEI_NMI_CONTEXT_KERNEL:
		return "kernel";
	case SDEI_NMI_CONTEXT_USER:
		return "user";
	case SDEI_NMI_CONTEXT_IDLE:
		return "idle";
	case SDEI_NMI_CONTEXT_GUEST:
		return "guest";
	default:
		return NULL;
	}
}

const char *sn_path_to_string(uint32_t path)
{
	switch (path) {
	case SDEI_NMI_PATH_SDEI:
		return "sdei";
	case SDEI_NMI_PATH_IPI:
		return "ipi";
	default:
		return NULL;
	}
}

/* Kernel strings may hold any byte (a task names itself): the rest becomes \xNN. */
static bool byte_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

void sn_fputs_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (byte_is_plain(*p))
			fputc(*p, f);
		else
			fprintf(f, "\\x%02x", *p);
}

static char *strdup_escaped(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 1), *q = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (byte_is_plain(*p))
			*q++ = (char)*p;
		else
			q += sprintf(q, "\\x%02x", *p);
	*q = '\0';
	return out;
}

/* 710000 -> "0.71 ms", 4200 -> "4.2 us". */
const char *sn_format_ns(uint64_t ns, char buf[static 32])
{
	if (ns < 100000)
		snprintf(buf, 32, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, 32, "%.2f ms", (double)ns / 1e6);
	return buf;
}

static int stream_status(FILE *f)
{
	return ferror(f) ? -EIO : 0;
}

static void format_not_captured(FILE *f, const struct sn_entry *e,
				const struct sn_format_opts *o)
{
	fprintf(f, "CPU %" PRIu32 ": ", e->cpu);
	switch (e->delivery) {
	case SDEI_NMI_DELIVERY_TIMEOUT:
		if (o && o->timeout_ms)
			fprintf(f, "timeout (no answer within %" PRIu32 " ms)\n",
				o->timeout_ms);
		else
			fputs("timeout (no answer in time)\n", f);
		break;
	case SDEI_NMI_DELIVERY_OFFLINE:
		fputs("offline\n", f);
		break;
	case SDEI_NMI_DELIVERY_UNSUPPORTED:
		fputs("unsupported (service inactive, "
		      "or firmware refused to signal it)\n",
		      f);
		break;
	case SDEI_NMI_DELIVERY_RATE_LIMITED:
		if (o && o->min_interval_ms)
			fprintf(f, "rate-limited (asked again within %" PRIu32 " ms)\n",
				o->min_interval_ms);
		else
			fputs("rate-limited (asked again too soon)\n", f);
		break;
	default:
		fprintf(f, "unknown delivery status %" PRIu32 "\n", e->delivery);
		break;
	}
}

static void format_reg(FILE *f, const char *indent, const char *name, const char *sym,
		       bool has, uint64_t v)
{
	if (!sym && !has)
		return;
	fprintf(f, "%s%s : ", indent, name);
	if (sym)
		sn_fputs_escaped(f, sym);
	else
		fprintf(f, "%016" PRIx64, v);
	fputc('\n', f);
}

void sn_format_regs(FILE *f, const char *indent, const struct sn_regs_view *v)
{
	format_reg(f, indent, "pc", v->pc_sym, v->has_pc, v->pc);
	format_reg(f, indent, "lr", v->lr_sym, v->has_lr, v->lr);
	if (v->has_sp)
		fprintf(f, "%ssp : %016" PRIx64 "\n", indent, v->sp);
}

void sn_format_frames(FILE *f, const char *indent, char *const *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(indent, f);
		sn_fputs_escaped(f, frames[i]);
		fputc('\n', f);
	}
}

void sn_format_path(FILE *f, uint32_t path)
{
	switch (path) {
	case 0:
	case SDEI_NMI_PATH_SDEI:
		break;
	case SDEI_NMI_PATH_IPI:
		fputs(" through an IPI (SDEI masked: deep idle or going offline)", f);
		break;
	default:
		fprintf(f, " through unknown path %" PRIu32, path);
		break;
	}
}

int sn_format_entry(FILE *f, const struct sn_entry *e, const struct sn_format_opts *o)
{
	char buf[32];

	if (e->delivery != SDEI_NMI_DELIVERY_CAPTURED) {
		format_not_captured(f, e, o);
		return stream_status(f);
	}

	fprintf(f, "CPU %" PRIu32 ": captured", e->cpu);
	if (e->has_latency_ns)
		fprintf(f, " in %s", sn_format_ns(e->latency_ns, buf));
	sn_format_path(f, e->path);
	if (e->has_pstate) {
		char daif[5], el[8];

		fprintf(f, ", interrupts %s (DAIF: %s), %s",
			sn_pstate_interrupts_masked(e->pstate) ? "masked" : "enabled",
			sn_daif_string(sn_pstate_daif(e->pstate), daif),
			sn_pstate_el(e->pstate, el));
	} else if (sn_entry_via_ipi(e))
		fputs(", " SN_TEXT_IPI_NO_REGS, f);
	if (e->comm || e->has_pid) {
		fputs(e->context == SDEI_NMI_CONTEXT_IDLE ? ", idle task " : ", task ",
		      f);
		sn_fputs_escaped(f, e->comm ?: "?");
		if (e->has_pid)
			fprintf(f, " (pid %" PRIu32 ")", e->pid);
	} else if (e->context == SDEI_NMI_CONTEXT_IDLE)
		fputs(", idle", f);
	if (sn_entry_user(e))
		fputs(", in user mode", f);
	else if (e->context == SDEI_NMI_CONTEXT_GUEST)
		fputs(", " SN_TEXT_GUEST, f);
	else if (e->context != 0 && !sn_context_to_string(e->context))
		fprintf(f, ", unknown context %" PRIu32, e->context);
	if (e->trigger == SDEI_NMI_TRIGGER_KERNEL)
		fputs(", asked by the kernel", f);
	fputc('\n', f);

	sn_format_regs(f, " ",
		       &(struct sn_regs_view){ .pc_sym = e->pc_sym,
					       .has_pc = e->has_pc,
					       .pc = e->pc,
					       .lr_sym = e->lr_sym,
					       .has_lr = e->has_lr,
					       .lr = e->lr,
					       .has_sp = e->has_sp,
					       .sp = e->sp });
	if (e->n_frames > 0) {
		fputs(" Call trace:\n", f);
		sn_format_frames(f, "  ", e->frames, e->n_frames);
	}
	return stream_status(f);
}

int sn_format_backtrace(FILE *f, const struct sn_backtrace *b,
			const struct sn_format_opts *o)
{
	for (size_t i = 0; i < b->n_entries; i++) {
		int r = sn_format_entry(f, &b->entries[i], o);

		if (r < 0)
			return r;
	}
	return stream_status(f);
}

int sn_format_status(FILE *f, const struct sn_status *s)
{
	const char *state = sn_state_to_string(s->state);
	char buf[32];

	if (state)
		fprintf(f, "State: %s", state);
	else
		fprintf(f, "State: unknown (%" PRIu32 ")", s->state);
	if (s->reason) {
		fputs(" (", f);
		sn_fputs_escaped(f, s->reason);
		fputc(')', f);
	}
	fputc('\n', f);

	if (s->has_sdei_version)
		fprintf(f, "SDEI version: %u.%u, vendor 0x%08" PRIx32 "\n",
			sn_sdei_version_major(s->sdei_version),
			sn_sdei_version_minor(s->sdei_version),
			sn_sdei_version_vendor(s->sdei_version));
	else
		fputs("SDEI version: none (no SDEI firmware)\n", f);
	if (s->has_event)
		fprintf(f, "Event: %" PRIu32 "\n", s->event);
	if (s->has_min_interval_ms)
		fprintf(f, "Minimum interval: %" PRIu32 " ms\n", s->min_interval_ms);

	if (s->n_cpus > 0) {
		fprintf(f, "\n%4s %-6s %10s %10s %8s %12s %12s\n", "CPU", "ONLINE",
			"SIGNALS", "HANDLED", "TIMEOUTS", "RATE-LIMITED", "LAST-LATENCY");
		for (size_t i = 0; i < s->n_cpus; i++) {
			const struct sn_cpu_stats *c = &s->cpus[i];

			fprintf(f,
				"%4" PRIu32 " %-6s %10" PRIu64 " %10" PRIu64 " %8" PRIu64
				" %12" PRIu64 " %12s\n",
				c->cpu, c->online ? "yes" : "no", c->signals, c->handled,
				c->timeouts, c->rate_limited,
				c->handled ? sn_format_ns(c->last_latency_ns, buf) : "-");
		}
	}
	return stream_status(f);
}

/* JSON numbers as exact decimal text: cJSON's doubles would round 64-bit values. */
static int json_add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_AddRawToObject(o, key, buf) ? 0 : -ENOMEM;
}

static int json_add_string(cJSON *o, const char *key, const char *s)
{
	_cleanup_(freep) char *e = strdup_escaped(s);

	if (!e)
		return -ENOMEM;
	return cJSON_AddStringToObject(o, key, e) ? 0 : -ENOMEM;
}

static int json_add_bool(cJSON *o, const char *key, bool b)
{
	return cJSON_AddBoolToObject(o, key, b) ? 0 : -ENOMEM;
}

/* An enum attribute by its name, "unknown-<value>" for one this version does not know. */
static int json_add_enum(cJSON *o, const char *key, const char *name, uint32_t v)
{
	char buf[24];

	if (!name) {
		snprintf(buf, sizeof(buf), "unknown-%" PRIu32, v);
		name = buf;
	}
	return cJSON_AddStringToObject(o, key, name) ? 0 : -ENOMEM;
}

static int entry_capture_to_json(const struct sn_entry *e, cJSON *o)
{
	int r;

	if (e->has_pstate) {
		struct sn_daif daif = sn_pstate_daif(e->pstate);
		cJSON *d;
		char el[8];

		r = json_add_u64(o, "pstate", e->pstate);
		if (r < 0)
			return r;
		d = cJSON_AddObjectToObject(o, "daif");
		if (!d)
			return -ENOMEM;
		if (json_add_bool(d, "d", daif.d) < 0 ||
		    json_add_bool(d, "a", daif.a) < 0 ||
		    json_add_bool(d, "i", daif.i) < 0 ||
		    json_add_bool(d, "f", daif.f) < 0)
			return -ENOMEM;
		r = json_add_bool(o, "interrupts_masked",
				  sn_pstate_interrupts_masked(e->pstate));
		if (r < 0)
			return r;
		r = json_add_string(o, "el", sn_pstate_el(e->pstate, el));
		if (r < 0)
			return r;
	}
	if (e->context) {
		r = json_add_enum(o, "context", sn_context_to_string(e->context),
				  e->context);
		if (r < 0)
			return r;
	}
	if (e->path) {
		r = json_add_enum(o, "path", sn_path_to_string(e->path), e->path);
		if (r < 0)
			return r;
	}
	if (e->comm) {
		r = json_add_string(o, "comm", e->comm);
		if (r < 0)
			return r;
	}
	if (e->has_pid) {
		r = json_add_u64(o, "pid", e->pid);
		if (r < 0)
			return r;
	}
	if (e->has_pc) {
		r = sn_json_add_hex(o, "pc", e->pc);
		if (r < 0)
			return r;
	}
	if (e->has_lr) {
		r = sn_json_add_hex(o, "lr", e->lr);
		if (r < 0)
			return r;
	}
	if (e->has_sp) {
		r = sn_json_add_hex(o, "sp", e->sp);
		if (r < 0)
			return r;
	}
	if (e->pc_sym) {
		r = json_add_string(o, "pc_sym", e->pc_sym);
		if (r < 0)
			return r;
	}
	if (e->lr_sym) {
		r = json_add_string(o, "lr_sym", e->lr_sym);
		if (r < 0)
			return r;
	}
	return 0;
}

int sn_entry_to_json(const struct sn_entry *e, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	const char *s;
	cJSON *frames;
	int r;

	if (!o)
		return -ENOMEM;
	r = json_add_u64(o, "cpu", e->cpu);
	if (r < 0)
		return r;
	s = sn_delivery_to_string(e->delivery);
	if (!cJSON_AddStringToObject(o, "delivery", s ?: "unknown"))
		return -ENOMEM;
	s = sn_trigger_to_string(e->trigger);
	if (!cJSON_AddStringToObject(o, "trigger", s ?: "unknown"))
		return -ENOMEM;
	if (e->has_latency_ns) {
		r = json_add_u64(o, "latency_ns", e->latency_ns);
		if (r < 0)
			return r;
	}
	if (e->has_time_ns) {
		r = json_add_u64(o, "time_ns", e->time_ns);
		if (r < 0)
			return r;
	}
	if (e->has_seq) {
		r = json_add_u64(o, "seq", e->seq);
		if (r < 0)
			return r;
	}

	if (e->delivery == SDEI_NMI_DELIVERY_CAPTURED) {
		r = entry_capture_to_json(e, o);
		if (r < 0)
			return r;
		frames = cJSON_AddArrayToObject(o, "frames");
		if (!frames)
			return -ENOMEM;
		for (size_t i = 0; i < e->n_frames; i++) {
			_cleanup_(freep) char *esc = strdup_escaped(e->frames[i]);
			cJSON *fr;

			if (!esc)
				return -ENOMEM;
			fr = cJSON_CreateString(esc);
			if (!fr || !cJSON_AddItemToArray(frames, fr)) {
				cJSON_Delete(fr);
				return -ENOMEM;
			}
		}
	}

	*ret = TAKE_PTR(o);
	return 0;
}

int sn_backtrace_to_json(const struct sn_backtrace *b, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	cJSON *entries;
	int r;

	if (!o)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(
		    o, "kind",
		    b->cmd == SDEI_NMI_CMD_BACKTRACE_NTF ? "backtrace-ntf" : "backtrace"))
		return -ENOMEM;
	entries = cJSON_AddArrayToObject(o, "entries");
	if (!entries)
		return -ENOMEM;
	for (size_t i = 0; i < b->n_entries; i++) {
		cJSON *e;

		r = sn_entry_to_json(&b->entries[i], &e);
		if (r < 0)
			return r;
		if (!cJSON_AddItemToArray(entries, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
	}

	*ret = TAKE_PTR(o);
	return 0;
}

static int cpu_stats_to_json(const struct sn_cpu_stats *c, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();

	if (!o)
		return -ENOMEM;
	if (json_add_u64(o, "cpu", c->cpu) < 0 ||
	    json_add_bool(o, "online", c->online) < 0 ||
	    json_add_u64(o, "signals", c->signals) < 0 ||
	    json_add_u64(o, "handled", c->handled) < 0 ||
	    json_add_u64(o, "timeouts", c->timeouts) < 0 ||
	    json_add_u64(o, "rate_limited", c->rate_limited) < 0 ||
	    json_add_u64(o, "last_latency_ns", c->last_latency_ns) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(o);
	return 0;
}

int sn_status_to_json(const struct sn_status *s, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	const char *state = sn_state_to_string(s->state);
	cJSON *cpus;
	int r;

	if (!o)
		return -ENOMEM;
	if (!cJSON_AddStringToObject(o, "state", state ?: "unknown"))
		return -ENOMEM;
	if (s->reason) {
		r = json_add_string(o, "reason", s->reason);
		if (r < 0)
			return r;
	}
	if (s->has_sdei_version) {
		cJSON *v = cJSON_AddObjectToObject(o, "sdei_version");

		if (!v ||
		    json_add_u64(v, "major", sn_sdei_version_major(s->sdei_version)) <
			    0 ||
		    json_add_u64(v, "minor", sn_sdei_version_minor(s->sdei_version)) <
			    0 ||
		    json_add_u64(v, "vendor", sn_sdei_version_vendor(s->sdei_version)) <
			    0)
			return -ENOMEM;
	}
	if (s->has_event) {
		r = json_add_u64(o, "event", s->event);
		if (r < 0)
			return r;
	}
	if (s->has_min_interval_ms) {
		r = json_add_u64(o, "min_interval_ms", s->min_interval_ms);
		if (r < 0)
			return r;
	}
	cpus = cJSON_AddArrayToObject(o, "cpus");
	if (!cpus)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_cpus; i++) {
		cJSON *c;

		r = cpu_stats_to_json(&s->cpus[i], &c);
		if (r < 0)
			return r;
		if (!cJSON_AddItemToArray(cpus, c)) {
			cJSON_Delete(c);
			return -ENOMEM;
		}
	}

	*ret = TAKE_PTR(o);
	return 0;
}

int sn_json_print(FILE *f, const cJSON *j, bool pretty)
{
	_cleanup_(cJSON_freep) char *s =
		pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);

	if (!s)
		return -ENOMEM;
	fputs(s, f);
	fputc('\n', f);
	return stream_status(f);
}
