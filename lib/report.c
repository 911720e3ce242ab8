/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "kdump.h"
#include "nmi-format.h"
#include "report.h"
#include "util.h"

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

/* ---- names ---- */

static const char *const kind_names[] = {
	[SN_INCIDENT_HARD_LOCKUP] = "hard-lockup",
	[SN_INCIDENT_SOFT_LOCKUP] = "soft-lockup",
	[SN_INCIDENT_RCU_STALL] = "rcu-stall",
	[SN_INCIDENT_HUNG_TASK] = "hung-task",
	[SN_INCIDENT_OTHER] = "other",
	[SN_INCIDENT_SYNTHETIC] = "synthetic",
};

static const char *const delivery_names[] = {
	[SN_EVIDENCE_CAPTURED] = "captured",
	[SN_EVIDENCE_TIMEOUT] = "timeout",
	[SN_EVIDENCE_OFFLINE] = "offline",
	[SN_EVIDENCE_UNSUPPORTED] = "unsupported",
	[SN_EVIDENCE_RATE_LIMITED] = "rate-limited",
	[SN_EVIDENCE_NOT_REQUESTED] = "not-requested",
	[SN_EVIDENCE_UNAVAILABLE] = "unavailable",
	[SN_EVIDENCE_UNKNOWN] = "unknown",
};

static const char *const source_names[] = {
	[SN_STACK_NETLINK_REQUEST] = "netlink-request",
	[SN_STACK_NETLINK_MONITOR] = "netlink-monitor",
	[SN_STACK_KMSG] = "kmsg",
};

static const char *const host_field_names[] = {
	[SN_HOST_HOSTNAME] = "hostname",
	[SN_HOST_MACHINE_ID] = "machine_id",
	[SN_HOST_BOOT_ID] = "boot_id",
	[SN_HOST_KERNEL_RELEASE] = "kernel_release",
	[SN_HOST_FIRMWARE_VERSION] = "firmware_sdei_version",
};

static const char *const host_field_paths[] = {
	[SN_HOST_HOSTNAME] = "proc/sys/kernel/hostname",
	[SN_HOST_MACHINE_ID] = "etc/machine-id",
	[SN_HOST_BOOT_ID] = "proc/sys/kernel/random/boot_id",
	[SN_HOST_KERNEL_RELEASE] = "proc/sys/kernel/osrelease",
	[SN_HOST_FIRMWARE_VERSION] = "sys/kernel/sdei_nmi/firmware_version",
};

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : NULL;
}

static int name_lookup(const char *const *names, size_t n, const char *s, unsigned *ret)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0) {
			*ret = (unsigned)i;
			return 0;
		}
	return -EINVAL;
}

const char *sn_incident_kind_to_string(enum sn_incident_kind k)
{
	return name_of(kind_names, ELEMENTSOF(kind_names), k);
}

int sn_incident_kind_from_string(const char *s, enum sn_incident_kind *ret)
{
	unsigned v;
	int r = name_lookup(kind_names, ELEMENTSOF(kind_names), s, &v);

	if (r < 0)
		return r;
	*ret = (enum sn_incident_kind)v;
	return 0;
}

const char *sn_evidence_delivery_to_string(enum sn_evidence_delivery d)
{
	return name_of(delivery_names, ELEMENTSOF(delivery_names), d);
}

const char *sn_stack_source_to_string(enum sn_stack_source s)
{
	return name_of(source_names, ELEMENTSOF(source_names), s);
}

const char *sn_host_field_to_string(enum sn_host_field f)
{
	return name_of(host_field_names, ELEMENTSOF(host_field_names), f);
}

/* ---- text ---- */

static bool byte_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

static bool text_is_plain(const char *s)
{
	for (; *s; s++)
		if (!byte_is_plain((unsigned char)*s))
			return false;
	return true;
}

/* s with bytes outside printable ASCII as \xNN, cut to max bytes between escapes. */
static char *text_dup(const char *s, size_t max)
{
	size_t n = 0;
	char *out, *q;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t w = byte_is_plain(*p) ? 1 : 4;

		if (n + w > max)
			break;
		n += w;
	}
	out = malloc(n + 1);
	if (!out)
		return NULL;
	q = out;
	for (const unsigned char *p = (const unsigned char *)s; (size_t)(q - out) < n;
	     p++)
		if (byte_is_plain(*p))
			*q++ = (char)*p;
		else
			q += sprintf(q, "\\x%02x", *p);
	*q = '\0';
	return out;
}

static int text_set(char **dst, const char *s, size_t max)
{
	char *t = NULL;

	if (s) {
		t = text_dup(s, max);
		if (!t)
			return -ENOMEM;
	}
	free(*dst);
	*dst = t;
	return 0;
}

/* ---- stack hash ---- */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_bare_address(const char *s, size_t len)
{
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

static size_t append(char *buf, size_t size, size_t at, const char *s, size_t len)
{
	size_t room = at + 1 < size ? size - 1 - at : 0;

	if (len > room)
		len = room;
	memcpy(buf + at, s, len);
	return at + len;
}

size_t sn_stack_frame_normalize(const char *frame, char *buf, size_t size)
{
	const char *sym, *mod = NULL;
	size_t sym_len, mod_len = 0, n = 0;

	if (size == 0)
		return 0;
	while (*frame == ' ')
		frame++;
	sym = frame;
	sym_len = strcspn(sym, "+ ");
	if (sym_len == 0 || is_bare_address(sym, sym_len)) {
		sym = "?";
		sym_len = 1;
	}
	mod = strchr(frame + sym_len, '[');
	if (mod) {
		mod++;
		mod_len = strcspn(mod, " ]");
	}
	n = append(buf, size, n, sym, sym_len);
	if (mod_len > 0) {
		n = append(buf, size, n, " [", 2);
		n = append(buf, size, n, mod, mod_len);
		n = append(buf, size, n, "]", 1);
	}
	buf[n] = '\0';
	return n;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint64_t sn_stack_hash(char *const *frames, size_t n_frames)
{
	uint64_t h = FNV64_OFFSET;
	char buf[SN_REPORT_MAX_TEXT + 1];

	for (size_t i = 0; i < n_frames; i++) {
		size_t n = sn_stack_frame_normalize(frames[i], buf, sizeof(buf));

		h = fnv1a(h, buf, n);
		h = fnv1a(h, "\n", 1);
	}
	return h;
}

/* ---- ids and times ---- */

int sn_report_id_new(char ret[static SN_REPORT_ID_LEN + 1])
{
	uint8_t b[16];
	ssize_t n;

	n = getrandom(b, sizeof(b), GRND_INSECURE);
	if (n < 0 && errno == EINVAL) /* before Linux 5.6 */
		n = getrandom(b, sizeof(b), 0);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(ret, SN_REPORT_ID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
	return 0;
}

static bool uuid_valid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
			   !((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

bool sn_report_id_valid(const char *id)
{
	return id && uuid_valid(id);
}

int sn_format_realtime(uint64_t usec, char buf[static 32])
{
	return sn_format_utc(usec, false, buf);
}

int sn_parse_realtime(const char *s, uint64_t *ret_usec)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	struct tm tm = {};
	unsigned us;
	char check[32];
	time_t t;
	uint64_t v;

	if (strlen(s) != sizeof(form) - 1)
		return -EINVAL;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return -EINVAL;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6uZ", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7)
		return -EINVAL;
	if (tm.tm_year < 1970)
		return -ERANGE;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	if (t == (time_t)-1 || t < 0)
		return -ERANGE;
	v = (uint64_t)t * 1000000 + us;
	/* Normalized by timegm(): "02-30" comes back as another date. */
	if (sn_format_realtime(v, check) < 0 || strcmp(check, s) != 0)
		return -EINVAL;
	*ret_usec = v;
	return 0;
}

/* ---- host identity ---- */

static bool host_value_valid(enum sn_host_field f, const char *v)
{
	size_t len = strlen(v);

	switch (f) {
	case SN_HOST_MACHINE_ID:
		if (len != 32)
			return false;
		for (size_t i = 0; i < len; i++)
			if (!((v[i] >= '0' && v[i] <= '9') ||
			      (v[i] >= 'a' && v[i] <= 'f')))
				return false;
		return true;
	case SN_HOST_BOOT_ID:
		return uuid_valid(v);
	case SN_HOST_FIRMWARE_VERSION: {
		size_t a = strspn(v, "0123456789");

		if (a == 0 || a > 5 || v[a] != '.')
			return false;
		v += a + 1;
		a = strspn(v, "0123456789");
		return a > 0 && a <= 5 && v[a] == '\0';
	}
	default:
		if (len == 0 || len > SN_REPORT_MAX_HOST_FIELD)
			return false;
		for (size_t i = 0; i < len; i++)
			if (!(v[i] > 0x20 && v[i] < 0x7f))
				return false;
		return true;
	}
}

int sn_host_read_field(const char *root, enum sn_host_field f, char **ret)
{
	_cleanup_(closep) int dfd = -EBADF, fd = -EBADF;
	char buf[SN_REPORT_MAX_HOST_FIELD + 2];
	size_t len;
	int k;

	if ((unsigned)f >= _SN_HOST_FIELD_MAX || !root)
		return -EINVAL;
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = openat(dfd, host_field_paths[f],
		    O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/* Until EOF; more than a line's worth is not of the form. */
	k = sn_read_fd(fd, buf, sizeof(buf), &len);
	if (k == -EFBIG)
		return -EBADMSG;
	if (k < 0)
		return k;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len == 0)
		return -ENOMEDIUM;
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len))
		return -EBADMSG;
	buf[len] = '\0';
	if (f == SN_HOST_MACHINE_ID && strcmp(buf, "uninitialized") == 0)
		return -ENOMEDIUM;
	if (!host_value_valid(f, buf))
		return -EBADMSG;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

static char **host_slot(struct sn_host *h, enum sn_host_field f)
{
	switch (f) {
	case SN_HOST_HOSTNAME:
		return &h->hostname;
	case SN_HOST_MACHINE_ID:
		return &h->machine_id;
	case SN_HOST_BOOT_ID:
		return &h->boot_id;
	case SN_HOST_KERNEL_RELEASE:
		return &h->kernel_release;
	case SN_HOST_FIRMWARE_VERSION:
		return &h->firmware_version;
	default:
		return NULL;
	}
}

static const char *host_get(const struct sn_host *h, enum sn_host_field f)
{
	return *host_slot((struct sn_host *)h, f);
}

void sn_host_done(struct sn_host *h)
{
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		char **p = host_slot(h, f);

		free(*p);
		*p = NULL;
	}
}

int sn_host_read(const char *root, struct sn_host *ret,
		 int ret_errors[_SN_HOST_FIELD_MAX])
{
	struct sn_host h = {};
	int errs[_SN_HOST_FIELD_MAX];

	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		errs[f] = sn_host_read_field(root, f, host_slot(&h, f));
		if (errs[f] == -ENOMEM) {
			sn_host_done(&h);
			return -ENOMEM;
		}
	}
	*ret = h;
	if (ret_errors)
		memcpy(ret_errors, errs, sizeof(errs));
	return 0;
}

int sn_host_copy(const struct sn_host *h, struct sn_host *ret)
{
	struct sn_host c = {};

	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		const char *v = host_get(h, f);

		if (v && text_set(host_slot(&c, f), v, SN_REPORT_MAX_HOST_FIELD) < 0) {
			sn_host_done(&c);
			return -ENOMEM;
		}
	}
	*ret = c;
	return 0;
}

/* ---- building ---- */

void sn_evidence_done(struct sn_evidence *e)
{
	free(e->reason);
	free(e->comm);
	free(e->pc_sym);
	free(e->lr_sym);
	sn_strv_free(e->frames, e->n_frames);
	*e = (struct sn_evidence){};
}

struct sn_report *sn_report_free(struct sn_report *r)
{
	if (!r)
		return NULL;
	sn_host_done(&r->host);
	free(r->detector);
	free(r->trigger.function);
	free(r->kmsg_seqs);
	for (size_t i = 0; i < r->n_evidence; i++)
		sn_evidence_done(&r->evidence[i]);
	free(r->evidence);
	for (size_t i = 0; i < r->n_log_lines; i++)
		free(r->log_lines[i]);
	free(r->log_lines);
	cJSON_Delete(r->kdump);
	free(r);
	return NULL;
}

static struct sn_report *report_alloc(void)
{
	return calloc(1, sizeof(struct sn_report));
}

int sn_report_new(enum sn_incident_kind kind, struct sn_report **ret)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	int rr;

	if (!sn_incident_kind_to_string(kind))
		return -EINVAL;
	r = report_alloc();
	if (!r)
		return -ENOMEM;
	r->kind = kind;
	rr = sn_report_id_new(r->id);
	if (rr < 0)
		return rr;
	r->kdump = cJSON_CreateObject();
	if (!r->kdump || !cJSON_AddFalseToObject(r->kdump, "checked"))
		return -ENOMEM;
	*ret = TAKE_PTR(r);
	return 0;
}

int sn_report_set_host(struct sn_report *r, const struct sn_host *h)
{
	struct sn_host c;
	int rr = sn_host_copy(h, &c);

	if (rr < 0)
		return rr;
	sn_host_done(&r->host);
	r->host = c;
	return 0;
}

static bool detector_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SN_REPORT_MAX_DETECTOR)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

int sn_report_set_detector(struct sn_report *r, const char *detector)
{
	char *d;

	if (!detector_valid(detector))
		return -EINVAL;
	d = strdup(detector);
	if (!d)
		return -ENOMEM;
	free(r->detector);
	r->detector = d;
	return 0;
}

int sn_report_add_stalled_cpu(struct sn_report *r, uint32_t cpu)
{
	return sn_cpu_set_add(&r->stalled, cpu);
}

static const char *const report_source_names[] = { "kmsg", "bpf" };

static bool function_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SN_REPORT_MAX_FUNCTION)
		return false;
	return strspn(s,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.") ==
	       len;
}

int sn_report_set_trigger(struct sn_report *r, enum sn_bt_caller caller,
			  const char *function, uint32_t requester_cpu,
			  const struct sn_cpu_set *targets)
{
	char *f = NULL;

	if (!sn_bt_caller_to_string(caller) || (function && !function_valid(function)))
		return -EINVAL;
	if (requester_cpu >= SN_CPU_SET_MAX)
		return -ERANGE;
	if (function && !(f = strdup(function)))
		return -ENOMEM;
	free(r->trigger.function);
	r->trigger = (struct sn_report_trigger){ .caller = caller,
						 .function = f,
						 .requester_cpu = requester_cpu,
						 .targets = *targets };
	r->has_trigger = true;
	return 0;
}

void sn_report_seen(struct sn_report *r, const struct sn_report_time *t)
{
	if (!r->has_seen) {
		r->first_seen = r->last_seen = *t;
		r->has_seen = true;
		return;
	}
	if (t->monotonic_ns < r->first_seen.monotonic_ns)
		r->first_seen = *t;
	if (t->monotonic_ns > r->last_seen.monotonic_ns)
		r->last_seen = *t;
}

int sn_report_add_kmsg_seq(struct sn_report *r, uint64_t seq)
{
	size_t i;
	uint64_t *n;

	if (seq > SN_JSON_MAX_SAFE_INT)
		return -ERANGE;
	for (i = 0; i < r->n_kmsg_seqs && r->kmsg_seqs[i] < seq; i++)
		;
	if (i < r->n_kmsg_seqs && r->kmsg_seqs[i] == seq)
		return 0;
	if (r->n_kmsg_seqs >= SN_REPORT_MAX_SEQS)
		return -E2BIG;
	n = reallocarray(r->kmsg_seqs, r->n_kmsg_seqs + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->kmsg_seqs = n;
	memmove(n + i + 1, n + i, (r->n_kmsg_seqs - i) * sizeof(*n));
	n[i] = seq;
	r->n_kmsg_seqs++;
	return 0;
}

/* Appends e (taking what it owns, on success only). */
static int evidence_push(struct sn_report *r, struct sn_evidence *e)
{
	struct sn_evidence *n;

	if (r->n_evidence >= SN_REPORT_MAX_CPUS)
		return -E2BIG;
	n = reallocarray(r->evidence, r->n_evidence + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->evidence = n;
	n[r->n_evidence++] = *e;
	*e = (struct sn_evidence){};
	return 0;
}

static int evidence_add_frame(struct sn_evidence *e, const char *frame)
{
	char **n;

	if (e->n_frames >= SN_REPORT_MAX_FRAMES)
		return 0;
	n = reallocarray(e->frames, e->n_frames + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	e->frames = n;
	n[e->n_frames] = text_dup(frame, SN_REPORT_MAX_TEXT);
	if (!n[e->n_frames])
		return -ENOMEM;
	if (n[e->n_frames][0] == '\0') {
		free(n[e->n_frames]);
		return 0;
	}
	e->n_frames++;
	return 0;
}

static void evidence_hash(struct sn_evidence *e)
{
	e->has_stack_hash = e->n_frames > 0;
	e->stack_hash = e->has_stack_hash ? sn_stack_hash(e->frames, e->n_frames) : 0;
}

int sn_evidence_from_entry(const struct sn_entry *en, enum sn_stack_source source,
			   struct sn_evidence *ret)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = {};
	int rr;

	if (source != SN_STACK_NETLINK_REQUEST && source != SN_STACK_NETLINK_MONITOR)
		return -EINVAL;
	e.cpu = en->cpu;
	e.delivery = en->delivery >= SDEI_NMI_DELIVERY_CAPTURED &&
				     en->delivery <= SDEI_NMI_DELIVERY_RATE_LIMITED ?
			     (enum sn_evidence_delivery)en->delivery :
			     SN_EVIDENCE_UNKNOWN;
	if (en->has_latency_ns && en->latency_ns <= SN_JSON_MAX_SAFE_INT) {
		e.has_latency_ns = true;
		e.latency_ns = en->latency_ns;
	}
	if (e.delivery == SN_EVIDENCE_CAPTURED) {
		e.source = source;
		e.has_pstate = en->has_pstate;
		e.pstate = en->pstate;
		e.has_pc = en->has_pc;
		e.pc = en->pc;
		e.has_lr = en->has_lr;
		e.lr = en->lr;
		e.has_sp = en->has_sp;
		e.sp = en->sp;
		e.has_pid = en->has_pid;
		e.pid = en->pid;
		if (text_set(&e.comm, en->comm, SN_REPORT_MAX_COMM) < 0 ||
		    text_set(&e.pc_sym, en->pc_sym, SN_REPORT_MAX_TEXT) < 0 ||
		    text_set(&e.lr_sym, en->lr_sym, SN_REPORT_MAX_TEXT) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < en->n_frames; i++) {
			rr = evidence_add_frame(&e, en->frames[i]);
			if (rr < 0)
				return rr;
		}
		evidence_hash(&e);
	}
	*ret = e;
	e = (struct sn_evidence){};
	return 0;
}

int sn_evidence_missing(uint32_t cpu, enum sn_evidence_delivery delivery,
			const char *reason, struct sn_evidence *ret)
{
	struct sn_evidence e = { .cpu = cpu, .delivery = delivery };

	if (delivery != SN_EVIDENCE_NOT_REQUESTED && delivery != SN_EVIDENCE_UNAVAILABLE)
		return -EINVAL;
	if (!reason || !reason[0])
		return -EINVAL;
	if (text_set(&e.reason, reason, SN_REPORT_MAX_TEXT) < 0)
		return -ENOMEM;
	*ret = e;
	return 0;
}

int sn_evidence_copy(const struct sn_evidence *src, struct sn_evidence *ret)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = *src;

	e.reason = e.comm = e.pc_sym = e.lr_sym = NULL;
	e.frames = NULL;
	e.n_frames = 0;
	if (text_set(&e.reason, src->reason, SN_REPORT_MAX_TEXT) < 0 ||
	    text_set(&e.comm, src->comm, SN_REPORT_MAX_COMM) < 0 ||
	    text_set(&e.pc_sym, src->pc_sym, SN_REPORT_MAX_TEXT) < 0 ||
	    text_set(&e.lr_sym, src->lr_sym, SN_REPORT_MAX_TEXT) < 0)
		return -ENOMEM;
	if (src->n_frames > 0) {
		e.frames = calloc(src->n_frames, sizeof(char *));
		if (!e.frames)
			return -ENOMEM;
		for (; e.n_frames < src->n_frames; e.n_frames++) {
			e.frames[e.n_frames] = strdup(src->frames[e.n_frames]);
			if (!e.frames[e.n_frames])
				return -ENOMEM;
		}
	}
	*ret = e;
	e = (struct sn_evidence){};
	return 0;
}

int sn_report_add_evidence(struct sn_report *r, const struct sn_evidence *src)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = {};
	int rr;

	if (!sn_evidence_delivery_to_string(src->delivery))
		return -EINVAL;
	rr = sn_evidence_copy(src, &e);
	if (rr < 0)
		return rr;
	return evidence_push(r, &e);
}

int sn_report_add_entry(struct sn_report *r, const struct sn_entry *en,
			enum sn_stack_source source)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = {};
	int rr;

	rr = sn_evidence_from_entry(en, source, &e);
	if (rr < 0)
		return rr;
	return evidence_push(r, &e);
}

int sn_report_add_kmsg_backtrace(struct sn_report *r, const struct sn_kmsg_backtrace *bt)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = {};
	int rr;

	e.cpu = bt->cpu;
	e.delivery = SN_EVIDENCE_CAPTURED;
	e.source = SN_STACK_KMSG;
	e.has_pstate = bt->has_pstate;
	e.pstate = bt->pstate;
	e.has_pc = bt->has_pc;
	e.pc = bt->pc;
	e.has_lr = bt->has_lr;
	e.lr = bt->lr;
	e.has_sp = bt->has_sp;
	e.sp = bt->sp;
	e.has_pid = bt->has_pid;
	e.pid = bt->pid;
	if ((bt->comm[0] && text_set(&e.comm, bt->comm, SN_REPORT_MAX_COMM) < 0) ||
	    (bt->pc_sym[0] && text_set(&e.pc_sym, bt->pc_sym, SN_REPORT_MAX_TEXT) < 0) ||
	    (bt->lr_sym[0] && text_set(&e.lr_sym, bt->lr_sym, SN_REPORT_MAX_TEXT) < 0))
		return -ENOMEM;
	for (size_t i = 0; i < bt->n_frames && i < SN_KMSG_MAX_FRAMES; i++) {
		rr = evidence_add_frame(&e, bt->frames[i].text);
		if (rr < 0)
			return rr;
	}
	evidence_hash(&e);
	return evidence_push(r, &e);
}

int sn_report_add_missing(struct sn_report *r, uint32_t cpu,
			  enum sn_evidence_delivery delivery, const char *reason)
{
	_cleanup_(sn_evidence_done) struct sn_evidence e = {};
	int rr;

	rr = sn_evidence_missing(cpu, delivery, reason, &e);
	if (rr < 0)
		return rr;
	return evidence_push(r, &e);
}

int sn_report_add_log_line(struct sn_report *r, const char *line)
{
	_cleanup_(freep) char *l = text_dup(line, SN_REPORT_MAX_TEXT);
	size_t len;
	char **n;

	if (!l)
		return -ENOMEM;
	len = strlen(l);
	if (r->n_log_lines >= SN_REPORT_MAX_LOG_LINES ||
	    r->log_bytes + len > SN_REPORT_MAX_LOG_BYTES) {
		r->log_lines_dropped++;
		return -E2BIG;
	}
	n = reallocarray(r->log_lines, r->n_log_lines + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->log_lines = n;
	n[r->n_log_lines++] = TAKE_PTR(l);
	r->log_bytes += len;
	return 0;
}

int sn_report_set_kdump(struct sn_report *r, cJSON *kdump)
{
	if (!cJSON_IsObject(kdump))
		return -EINVAL;
	cJSON_Delete(r->kdump);
	r->kdump = kdump;
	return 0;
}

/* ---- writing JSON ---- */

static int add_int(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	if (v > SN_JSON_MAX_SAFE_INT)
		return -ERANGE;
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_AddRawToObject(o, key, buf) ? 0 : -ENOMEM;
}

static int add_u64_string(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_AddStringToObject(o, key, buf) ? 0 : -ENOMEM;
}

static int add_text(cJSON *o, const char *key, const char *s, size_t max)
{
	_cleanup_(freep) char *t = text_dup(s, max);

	if (!t)
		return -ENOMEM;
	return cJSON_AddStringToObject(o, key, t) ? 0 : -ENOMEM;
}

static int add_bool(cJSON *o, const char *key, bool b)
{
	return cJSON_AddBoolToObject(o, key, b) ? 0 : -ENOMEM;
}

static int add_time(cJSON *o, const char *key, const struct sn_report_time *t)
{
	cJSON *s = cJSON_AddObjectToObject(o, key);
	char buf[32];
	int r;

	if (!s)
		return -ENOMEM;
	r = sn_format_realtime(t->realtime_usec, buf);
	if (r < 0)
		return r;
	if (!cJSON_AddStringToObject(s, "realtime", buf))
		return -ENOMEM;
	return add_u64_string(s, "monotonic_ns", t->monotonic_ns);
}

static int array_add_int(cJSON *a, uint64_t v)
{
	char buf[24];
	cJSON *n;

	if (v > SN_JSON_MAX_SAFE_INT)
		return -ERANGE;
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	n = cJSON_CreateRaw(buf);
	if (!n || !cJSON_AddItemToArray(a, n)) {
		cJSON_Delete(n);
		return -ENOMEM;
	}
	return 0;
}

static int array_add_text(cJSON *a, const char *s, size_t max)
{
	_cleanup_(freep) char *t = text_dup(s, max);
	cJSON *n;

	if (!t)
		return -ENOMEM;
	n = cJSON_CreateString(t);
	if (!n || !cJSON_AddItemToArray(a, n)) {
		cJSON_Delete(n);
		return -ENOMEM;
	}
	return 0;
}

static int pstate_to_json(cJSON *o, uint64_t pstate)
{
	cJSON *p = cJSON_AddObjectToObject(o, "pstate"), *d;
	struct sn_daif daif = sn_pstate_daif(pstate);
	char el[8];
	int r;

	if (!p)
		return -ENOMEM;
	r = sn_json_add_hex(p, "value", pstate);
	if (r < 0)
		return r;
	d = cJSON_AddObjectToObject(p, "daif");
	if (!d || add_bool(d, "d", daif.d) < 0 || add_bool(d, "a", daif.a) < 0 ||
	    add_bool(d, "i", daif.i) < 0 || add_bool(d, "f", daif.f) < 0 ||
	    add_bool(p, "interrupts_masked", sn_pstate_interrupts_masked(pstate)) < 0 ||
	    !cJSON_AddStringToObject(p, "el", sn_pstate_el(pstate, el)))
		return -ENOMEM;
	return 0;
}

static bool evidence_has_stack_fields(const struct sn_evidence *e)
{
	return e->has_pstate || e->has_pc || e->has_lr || e->has_sp || e->has_pid ||
	       e->comm || e->pc_sym || e->lr_sym || e->n_frames > 0;
}

static int evidence_to_json(const struct sn_evidence *e, cJSON *a)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	const char *s;
	int r;

	if (!o)
		return -ENOMEM;
	s = sn_evidence_delivery_to_string(e->delivery);
	if (!s)
		return -EINVAL;
	/* Why there is no backtrace: required for these two, never elsewhere. */
	if ((e->delivery == SN_EVIDENCE_NOT_REQUESTED ||
	     e->delivery == SN_EVIDENCE_UNAVAILABLE) != (e->reason != NULL))
		return -EINVAL;
	if (evidence_has_stack_fields(e) && (e->delivery != SN_EVIDENCE_CAPTURED ||
					     !sn_stack_source_to_string(e->source)))
		return -EINVAL;
	if (e->has_stack_hash != (e->n_frames > 0))
		return -EINVAL;
	if ((r = add_int(o, "cpu", e->cpu)) < 0)
		return r;
	if (!cJSON_AddStringToObject(o, "delivery", s))
		return -ENOMEM;
	if (e->reason && (r = add_text(o, "reason", e->reason, SN_REPORT_MAX_TEXT)) < 0)
		return r;
	if (e->source != SN_STACK_NONE) {
		s = sn_stack_source_to_string(e->source);
		if (!s || e->delivery != SN_EVIDENCE_CAPTURED)
			return -EINVAL;
		if (!cJSON_AddStringToObject(o, "source", s))
			return -ENOMEM;
	}
	if (e->has_latency_ns && (r = add_int(o, "latency_ns", e->latency_ns)) < 0)
		return r;
	if (e->has_pc && (r = sn_json_add_hex(o, "pc", e->pc)) < 0)
		return r;
	if (e->has_lr && (r = sn_json_add_hex(o, "lr", e->lr)) < 0)
		return r;
	if (e->has_sp && (r = sn_json_add_hex(o, "sp", e->sp)) < 0)
		return r;
	if (e->has_pstate && (r = pstate_to_json(o, e->pstate)) < 0)
		return r;
	if (e->comm && (r = add_text(o, "comm", e->comm, SN_REPORT_MAX_COMM)) < 0)
		return r;
	if (e->has_pid && (r = add_int(o, "pid", e->pid)) < 0)
		return r;
	if (e->pc_sym && (r = add_text(o, "pc_sym", e->pc_sym, SN_REPORT_MAX_TEXT)) < 0)
		return r;
	if (e->lr_sym && (r = add_text(o, "lr_sym", e->lr_sym, SN_REPORT_MAX_TEXT)) < 0)
		return r;
	if (e->n_frames > 0) {
		cJSON *f = cJSON_AddArrayToObject(o, "frames");

		if (!f || e->n_frames > SN_REPORT_MAX_FRAMES)
			return f ? -EINVAL : -ENOMEM;
		for (size_t i = 0; i < e->n_frames; i++) {
			if (!e->frames[i][0])
				return -EINVAL;
			r = array_add_text(f, e->frames[i], SN_REPORT_MAX_TEXT);
			if (r < 0)
				return r;
		}
		if ((r = sn_json_add_hex(o, "stack_hash", e->stack_hash)) < 0)
			return r;
	}
	if (!cJSON_AddItemToArray(a, o))
		return -ENOMEM;
	TAKE_PTR(o);
	return 0;
}

static int sources_to_json(cJSON *inc, unsigned sources)
{
	cJSON *a;

	if (!sources)
		return 0;
	if (sources & ~(unsigned)_SN_REPORT_SOURCE_ALL)
		return -EINVAL;
	a = cJSON_AddArrayToObject(inc, "sources");
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(report_source_names); i++)
		if (sources & (1u << i) &&
		    !cJSON_AddItemToArray(a, cJSON_CreateString(report_source_names[i])))
			return -ENOMEM;
	return 0;
}

static int trigger_to_json(cJSON *inc, const struct sn_report *r)
{
	const struct sn_report_trigger *t = &r->trigger;
	const char *caller = sn_bt_caller_to_string(t->caller);
	cJSON *o, *a;
	int cpu, rr;

	if (!r->has_trigger)
		return 0;
	if (!caller || (t->function && !function_valid(t->function)) ||
	    t->requester_cpu >= SN_CPU_SET_MAX)
		return -EINVAL;
	o = cJSON_AddObjectToObject(inc, "trigger");
	if (!o || !cJSON_AddStringToObject(o, "source", "bpf") ||
	    !cJSON_AddStringToObject(o, "caller", caller))
		return -ENOMEM;
	if (t->function && !cJSON_AddStringToObject(o, "function", t->function))
		return -ENOMEM;
	if ((rr = add_int(o, "requester_cpu", t->requester_cpu)) < 0)
		return rr;
	a = cJSON_AddArrayToObject(o, "target_cpus");
	if (!a)
		return -ENOMEM;
	for_each_cpu (cpu, &t->targets)
		if ((rr = array_add_int(a, (uint64_t)cpu)) < 0)
			return rr;
	return 0;
}

int sn_report_to_json(const struct sn_report *r, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	cJSON *h, *inc, *a, *log, *kd;
	const char *kind = sn_incident_kind_to_string(r->kind);
	int cpu, rr;

	if (!o)
		return -ENOMEM;
	if (!kind || !r->has_seen || !sn_report_id_valid(r->id) ||
	    !cJSON_IsObject(r->kdump))
		return -EINVAL;
	if (r->n_evidence > SN_REPORT_MAX_CPUS || r->n_kmsg_seqs > SN_REPORT_MAX_SEQS ||
	    r->n_log_lines > SN_REPORT_MAX_LOG_LINES)
		return -EINVAL;
	if (!cJSON_AddStringToObject(o, "schema", SN_REPORT_SCHEMA) ||
	    !cJSON_AddStringToObject(o, "id", r->id))
		return -ENOMEM;

	h = cJSON_AddObjectToObject(o, "host");
	if (!h)
		return -ENOMEM;
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		const char *v = host_get(&r->host, f);

		if (!v)
			continue;
		rr = add_text(h, sn_host_field_to_string(f), v, SN_REPORT_MAX_HOST_FIELD);
		if (rr < 0)
			return rr;
	}

	inc = cJSON_AddObjectToObject(o, "incident");
	if (!inc || !cJSON_AddStringToObject(inc, "kind", kind))
		return -ENOMEM;
	if (r->detector) {
		if (!detector_valid(r->detector))
			return -EINVAL;
		if (!cJSON_AddStringToObject(inc, "detector", r->detector))
			return -ENOMEM;
	}
	a = cJSON_AddArrayToObject(inc, "stalled_cpus");
	if (!a)
		return -ENOMEM;
	for_each_cpu (cpu, &r->stalled)
		if ((rr = array_add_int(a, (uint64_t)cpu)) < 0)
			return rr;
	if ((rr = add_time(inc, "first_seen", &r->first_seen)) < 0 ||
	    (rr = add_time(inc, "last_seen", &r->last_seen)) < 0)
		return rr;
	a = cJSON_AddArrayToObject(inc, "kmsg_seqs");
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_kmsg_seqs; i++)
		if ((rr = array_add_int(a, r->kmsg_seqs[i])) < 0)
			return rr;
	if ((rr = sources_to_json(inc, r->sources)) < 0 ||
	    (rr = trigger_to_json(inc, r)) < 0)
		return rr;

	a = cJSON_AddArrayToObject(o, "cpus");
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_evidence; i++)
		if ((rr = evidence_to_json(&r->evidence[i], a)) < 0)
			return rr;

	log = cJSON_AddObjectToObject(o, "kernel_log");
	a = log ? cJSON_AddArrayToObject(log, "lines") : NULL;
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_log_lines; i++)
		if ((rr = array_add_text(a, r->log_lines[i], SN_REPORT_MAX_TEXT)) < 0)
			return rr;
	if ((rr = add_int(log, "lines_dropped", r->log_lines_dropped)) < 0)
		return rr;

	kd = cJSON_Duplicate(r->kdump, true);
	if (!kd)
		return -ENOMEM;
	if (!cJSON_AddItemToObject(o, "kdump", kd)) {
		cJSON_Delete(kd);
		return -ENOMEM;
	}
	if ((rr = add_int(o, "folded_count", r->folded_count)) < 0)
		return rr;
	*ret = TAKE_PTR(o);
	return 0;
}

int sn_report_serialize(const struct sn_report *r, char **ret, size_t *ret_len)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	_cleanup_(cJSON_freep) char *s = NULL;
	char *copy;
	size_t len;
	int rr;

	rr = sn_report_to_json(r, &j);
	if (rr < 0)
		return rr;
	s = cJSON_PrintUnformatted(j);
	if (!s)
		return -ENOMEM;
	len = strlen(s);
	if (len > SN_REPORT_MAX_BYTES)
		return -E2BIG;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	if (ret_len)
		*ret_len = len;
	return 0;
}

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
	if ((!allow_empty && !s[0]) || strlen(s) > max || !text_is_plain(s))
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
	return name_lookup(names, n, j->valuestring, ret) < 0 ? -EBADMSG : 0;
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
		char **slot = host_slot(h, f);

		if (!v)
			continue;
		r = get_text(v, SN_REPORT_MAX_HOST_FIELD, false, slot);
		if (r < 0)
			return r;
		/* Escaped text may hold spaces ("\x.."); the ids have a strict form. */
		if ((f == SN_HOST_MACHINE_ID || f == SN_HOST_BOOT_ID ||
		     f == SN_HOST_FIRMWARE_VERSION) &&
		    !host_value_valid(f, *slot))
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

static int parse_evidence(const cJSON *j, struct sn_evidence *e)
{
	static const char *const keys[] = {
		"cpu",	  "delivery", "reason",	    "source", "latency_ns", "pc",
		"lr",	  "sp",	      "pstate",	    "comm",   "pid",	    "pc_sym",
		"lr_sym", "frames",   "stack_hash", NULL
	};
	const cJSON *v, *f;
	unsigned u;
	int r;

	if ((r = check_object(j, keys, 2)) < 0)
		return r;
	if ((r = get_u32(member(j, "cpu"), &e->cpu)) < 0 ||
	    (r = get_enum(member(j, "delivery"), delivery_names,
			  ELEMENTSOF(delivery_names), &u)) < 0)
		return r;
	e->delivery = u;
	if ((v = member(j, "reason")) &&
	    (r = get_text(v, SN_REPORT_MAX_TEXT, false, &e->reason)) < 0)
		return r;
	if ((e->delivery == SN_EVIDENCE_NOT_REQUESTED ||
	     e->delivery == SN_EVIDENCE_UNAVAILABLE) != (e->reason != NULL))
		return -EBADMSG;
	if ((v = member(j, "source"))) {
		if ((r = get_enum(v, source_names, ELEMENTSOF(source_names), &u)) < 0)
			return r;
		e->source = u;
	}
	if ((v = member(j, "latency_ns"))) {
		if ((r = get_int(v, SN_JSON_MAX_SAFE_INT, &e->latency_ns)) < 0)
			return r;
		e->has_latency_ns = true;
	}
	if ((v = member(j, "pc"))) {
		if ((r = get_hex(v, &e->pc)) < 0)
			return r;
		e->has_pc = true;
	}
	if ((v = member(j, "lr"))) {
		if ((r = get_hex(v, &e->lr)) < 0)
			return r;
		e->has_lr = true;
	}
	if ((v = member(j, "sp"))) {
		if ((r = get_hex(v, &e->sp)) < 0)
			return r;
		e->has_sp = true;
	}
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
	if ((f = member(j, "frames"))) {
		int n = cJSON_GetArraySize(f);

		if (!cJSON_IsArray(f) || n < 1 || n > SN_REPORT_MAX_FRAMES)
			return -EBADMSG;
		e->frames = calloc((size_t)n, sizeof(char *));
		if (!e->frames)
			return -ENOMEM;
		for (const cJSON *c = f->child; c; c = c->next) {
			r = get_text(c, SN_REPORT_MAX_TEXT, false,
				     &e->frames[e->n_frames]);
			if (r < 0)
				return r;
			e->n_frames++;
		}
	}
	if ((v = member(j, "stack_hash"))) {
		if ((r = get_hex(v, &e->stack_hash)) < 0)
			return r;
		e->has_stack_hash = true;
	}
	if (e->has_stack_hash != (e->n_frames > 0))
		return -EBADMSG;
	if (e->has_stack_hash && e->stack_hash != sn_stack_hash(e->frames, e->n_frames))
		return -EBADMSG;
	if (evidence_has_stack_fields(e) &&
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
		if ((rr = get_enum(c, report_source_names,
				   ELEMENTSOF(report_source_names), &u)) < 0)
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
	if (v && (!cJSON_IsString(v) || !function_valid(v->valuestring)))
		return -EBADMSG;
	return sn_report_set_trigger(r, caller, v ? v->valuestring : NULL, (uint32_t)cpu,
				     &targets);
}

static int parse_incident(const cJSON *j, struct sn_report *r)
{
	static const char *const keys[] = { "kind",	 "stalled_cpus", "first_seen",
					    "last_seen", "kmsg_seqs",	 "detector",
					    "sources",	 "trigger",	 NULL };
	const cJSON *a, *v;
	unsigned u;
	int rr;

	if ((rr = check_object(j, keys, 5)) < 0)
		return rr;
	if ((rr = get_enum(member(j, "kind"), kind_names, ELEMENTSOF(kind_names), &u)) <
	    0)
		return rr;
	r->kind = u;
	if ((v = member(j, "detector"))) {
		if (!cJSON_IsString(v) || !detector_valid(v->valuestring))
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
	r = report_alloc();
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
