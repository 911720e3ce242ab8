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
#include "report-internal.h"

#include "util.h"

#define FNV64_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV64_PRIME  UINT64_C(0x100000001b3)

/* ---- names ---- */

const char *const sn_report_kind_names[] = {
	[SN_INCIDENT_HARD_LOCKUP] = "hard-lockup",
	[SN_INCIDENT_SOFT_LOCKUP] = "soft-lockup",
	[SN_INCIDENT_RCU_STALL] = "rcu-stall",
	[SN_INCIDENT_HUNG_TASK] = "hung-task",
	[SN_INCIDENT_OTHER] = "other",
	[SN_INCIDENT_SYNTHETIC] = "synthetic",
};

const char *const sn_report_delivery_names[] = {
	[SN_EVIDENCE_CAPTURED] = "captured",
	[SN_EVIDENCE_TIMEOUT] = "timeout",
	[SN_EVIDENCE_OFFLINE] = "offline",
	[SN_EVIDENCE_UNSUPPORTED] = "unsupported",
	[SN_EVIDENCE_RATE_LIMITED] = "rate-limited",
	[SN_EVIDENCE_NOT_REQUESTED] = "not-requested",
	[SN_EVIDENCE_UNAVAILABLE] = "unavailable",
	[SN_EVIDENCE_UNKNOWN] = "unknown",
};

const char *const sn_report_source_names[] = {
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

int sn_report_name_lookup(const char *const *names, size_t n, const char *s,
			  unsigned *ret)
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
	return name_of(sn_report_kind_names, ELEMENTSOF(sn_report_kind_names), k);
}

int sn_incident_kind_from_string(const char *s, enum sn_incident_kind *ret)
{
	unsigned v;
	int r = sn_report_name_lookup(sn_report_kind_names,
				      ELEMENTSOF(sn_report_kind_names), s, &v);

	if (r < 0)
		return r;
	*ret = (enum sn_incident_kind)v;
	return 0;
}

const char *sn_evidence_delivery_to_string(enum sn_evidence_delivery d)
{
	return name_of(sn_report_delivery_names, ELEMENTSOF(sn_report_delivery_names), d);
}

const char *sn_stack_source_to_string(enum sn_stack_source s)
{
	return name_of(sn_report_source_names, ELEMENTSOF(sn_report_source_names), s);
}

const char *sn_host_field_to_string(enum sn_host_field f)
{
	return name_of(host_field_names, ELEMENTSOF(host_field_names), f);
}

const size_t sn_report_kind_names_n = ELEMENTSOF(sn_report_kind_names);
const size_t sn_report_delivery_names_n = ELEMENTSOF(sn_report_delivery_names);
const size_t sn_report_source_names_n = ELEMENTSOF(sn_report_source_names);

/* ---- text ---- */

static bool byte_is_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

bool sn_report_text_is_plain(const char *s)
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

/* FNV-1a 128 (offset basis and prime as the FNV specification gives them). */
static unsigned __int128 fnv1a_128(unsigned __int128 h, const void *buf, size_t n)
{
	const unsigned __int128 prime = ((unsigned __int128)1 << 88) | 0x13b;
	const unsigned char *p = buf;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= prime;
	}
	return h;
}

int sn_report_id_from_record(const char *boot_id, uint64_t seq,
			     char ret[static SN_REPORT_ID_LEN + 1])
{
	const unsigned __int128 offset =
		((unsigned __int128)UINT64_C(0x6c62272e07bb0142) << 64) |
		UINT64_C(0x62b821756295c58d);
	unsigned __int128 h;
	char key[128];
	uint8_t b[16];
	int n;

	if (!boot_id || !sn_report_id_valid(boot_id))
		return -EINVAL;
	n = snprintf(key, sizeof(key), "sdei-nmi.report\n%s\n%" PRIu64, boot_id, seq);
	if (n < 0 || (size_t)n >= sizeof(key))
		return -EINVAL;
	h = fnv1a_128(offset, key, (size_t)n);
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)h;
		h >>= 8;
	}
	b[6] = (b[6] & 0x0f) | 0x80; /* version 8 */
	b[8] = (b[8] & 0x3f) | 0x80; /* the RFC's variant */
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

bool sn_report_host_value_valid(enum sn_host_field f, const char *v)
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
	if (!sn_report_host_value_valid(f, buf))
		return -EBADMSG;
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

char **sn_report_host_slot(struct sn_host *h, enum sn_host_field f)
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
	return *sn_report_host_slot((struct sn_host *)h, f);
}

void sn_host_done(struct sn_host *h)
{
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		char **p = sn_report_host_slot(h, f);

		free(*p);
		*p = NULL;
	}
	free(h->root);
	h->root = NULL;
}

int sn_host_read(const char *root, struct sn_host *ret,
		 int ret_errors[_SN_HOST_FIELD_MAX])
{
	struct sn_host h = {};
	int errs[_SN_HOST_FIELD_MAX];

	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		errs[f] = sn_host_read_field(root, f, sn_report_host_slot(&h, f));
		if (errs[f] == -ENOMEM) {
			sn_host_done(&h);
			return -ENOMEM;
		}
	}
	if (root && !(h.root = strdup(root))) {
		sn_host_done(&h);
		return -ENOMEM;
	}
	*ret = h;
	if (ret_errors)
		memcpy(ret_errors, errs, sizeof(errs));
	return 0;
}

int sn_host_copy(const struct sn_host *h, struct sn_host *ret)
{
	struct sn_host c = {};
	char *hostname = NULL;
	int r;

	/* The name of now, when it can be read (see report.h). */
	if (h->root) {
		r = sn_host_read_field(h->root, SN_HOST_HOSTNAME, &hostname);
		if (r == -ENOMEM)
			return r;
	}
	for (unsigned f = 0; f < _SN_HOST_FIELD_MAX; f++) {
		const char *v =
			f == SN_HOST_HOSTNAME && hostname ? hostname : host_get(h, f);

		if (v && text_set(sn_report_host_slot(&c, f), v,
				  SN_REPORT_MAX_HOST_FIELD) < 0) {
			free(hostname);
			sn_host_done(&c);
			return -ENOMEM;
		}
	}
	free(hostname);
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
	sn_report_task_done(&r->task);
	cJSON_Delete(r->kdump);
	free(r);
	return NULL;
}

struct sn_report *sn_report_alloc(void)
{
	return calloc(1, sizeof(struct sn_report));
}

int sn_report_new(enum sn_incident_kind kind, struct sn_report **ret)
{
	_cleanup_(sn_report_freep) struct sn_report *r = NULL;
	int rr;

	if (!sn_incident_kind_to_string(kind))
		return -EINVAL;
	r = sn_report_alloc();
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

bool sn_report_detector_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > SN_REPORT_MAX_DETECTOR)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

int sn_report_set_detector(struct sn_report *r, const char *detector)
{
	char *d;

	if (!sn_report_detector_valid(detector))
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

const char *const sn_report_sources_names[] = { "kmsg", "bpf" };
const size_t sn_report_sources_names_n = ELEMENTSOF(sn_report_sources_names);

bool sn_report_function_valid(const char *s)
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

	if (!sn_bt_caller_to_string(caller) ||
	    (function && !sn_report_function_valid(function)))
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

/* Appends frame (as text) to frames[0..*n), up to SN_REPORT_MAX_FRAMES. */
static int frames_add(char ***frames, size_t *n_frames, const char *frame)
{
	char **n;

	if (*n_frames >= SN_REPORT_MAX_FRAMES)
		return 0;
	n = reallocarray(*frames, *n_frames + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	*frames = n;
	n[*n_frames] = text_dup(frame, SN_REPORT_MAX_TEXT);
	if (!n[*n_frames])
		return -ENOMEM;
	if (n[*n_frames][0] == '\0') {
		free(n[*n_frames]);
		return 0;
	}
	(*n_frames)++;
	return 0;
}

static int evidence_add_frame(struct sn_evidence *e, const char *frame)
{
	return frames_add(&e->frames, &e->n_frames, frame);
}

void sn_report_task_done(struct sn_report_task *t)
{
	free(t->comm);
	for (size_t i = 0; i < t->n_frames; i++)
		free(t->frames[i]);
	free(t->frames);
	*t = (struct sn_report_task){};
}

int sn_report_task_add_frame(struct sn_report_task *t, const char *frame)
{
	int r = frames_add(&t->frames, &t->n_frames, frame);

	t->has_stack_hash = t->n_frames > 0;
	t->stack_hash = t->has_stack_hash ? sn_stack_hash(t->frames, t->n_frames) : 0;
	return r;
}

int sn_report_set_task(struct sn_report *r, const char *comm, uint32_t pid,
		       uint64_t blocked_seconds, bool io_wait,
		       const struct sn_kmsg_backtrace *bt)
{
	_cleanup_(sn_report_task_done) struct sn_report_task t = {
		.pid = pid,
		.blocked_seconds = blocked_seconds,
		.io_wait = io_wait,
	};
	int rr;

	if (!comm || blocked_seconds > SN_JSON_MAX_SAFE_INT)
		return -EINVAL;
	if (text_set(&t.comm, comm, SN_REPORT_MAX_COMM) < 0)
		return -ENOMEM;
	for (size_t i = 0; bt && i < bt->n_frames && i < SN_KMSG_MAX_FRAMES; i++) {
		rr = sn_report_task_add_frame(&t, bt->frames[i].text);
		if (rr < 0)
			return rr;
	}
	sn_report_task_done(&r->task);
	r->task = t;
	t = (struct sn_report_task){};
	r->has_task = true;
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
		e.context = sn_context_to_string(en->context) ? en->context : 0;
		e.path = sn_path_to_string(en->path) ? en->path : 0;
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

bool sn_report_evidence_has_stack_fields(const struct sn_evidence *e)
{
	return e->has_pstate || e->has_pc || e->has_lr || e->has_sp || e->has_pid ||
	       e->comm || e->pc_sym || e->lr_sym || e->n_frames > 0 || e->context ||
	       e->path;
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
	if (sn_report_evidence_has_stack_fields(e) &&
	    (e->delivery != SN_EVIDENCE_CAPTURED ||
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
	if (e->context) {
		s = sn_context_to_string(e->context);
		if (!s)
			return -EINVAL;
		if (!cJSON_AddStringToObject(o, "context", s))
			return -ENOMEM;
	}
	if (e->path) {
		s = sn_path_to_string(e->path);
		if (!s)
			return -EINVAL;
		if (!cJSON_AddStringToObject(o, "path", s))
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

static int task_to_json(cJSON *inc, const struct sn_report *r)
{
	const struct sn_report_task *t = &r->task;
	cJSON *o, *f;
	int rr;

	if (!r->has_task)
		return 0;
	if (!t->comm || t->has_stack_hash != (t->n_frames > 0) ||
	    t->n_frames > SN_REPORT_MAX_FRAMES)
		return -EINVAL;
	o = cJSON_AddObjectToObject(inc, "task");
	if (!o)
		return -ENOMEM;
	if ((rr = add_text(o, "comm", t->comm, SN_REPORT_MAX_COMM)) < 0 ||
	    (rr = add_int(o, "pid", t->pid)) < 0 ||
	    (rr = add_int(o, "blocked_seconds", t->blocked_seconds)) < 0 ||
	    (rr = add_bool(o, "io_wait", t->io_wait)) < 0)
		return rr;
	if (t->n_frames == 0)
		return 0;
	f = cJSON_AddArrayToObject(o, "frames");
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_frames; i++)
		if ((rr = array_add_text(f, t->frames[i], SN_REPORT_MAX_TEXT)) < 0)
			return rr;
	return sn_json_add_hex(o, "stack_hash", t->stack_hash);
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
	for (size_t i = 0; i < ELEMENTSOF(sn_report_sources_names); i++)
		if (sources & (1u << i) &&
		    !cJSON_AddItemToArray(a,
					  cJSON_CreateString(sn_report_sources_names[i])))
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
	if (!caller || (t->function && !sn_report_function_valid(t->function)) ||
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
		if (!sn_report_detector_valid(r->detector))
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
	    (rr = trigger_to_json(inc, r)) < 0 || (rr = task_to_json(inc, r)) < 0)
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
