/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of /dev/kmsg records and console lines. Everything is bounded by the length
 * the caller passes; nothing reads past it or relies on a NUL in the input.
 */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "kmsg.h"
#include "util.h"

/* What the kernel leaves unescaped: printable ASCII other than '\'. */
static bool is_plain(char c)
{
	return (unsigned char)c >= ' ' && (unsigned char)c < 127 && c != '\\';
}

/*
 * A decimal u64 filling [s, end) exactly: no sign, no spaces, no leading zero, no
 * overflow.
 */
static int parse_u64(const char *s, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (s >= end || end - s > 20)
		return -EBADMSG;
	if (*s == '0' && end - s > 1)
		return -EBADMSG;
	for (const char *p = s; p < end; p++) {
		unsigned d;

		if (!sn_is_digit(*p))
			return -EBADMSG;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/*
 * Unescapes [s, end) into out (size bytes, NUL-terminated). Only plain characters and
 * "\xNN" are allowed; "\x00" is refused: the kernel's text holds no NUL.
 */
static int unescape(const char *s, const char *end, char *out, size_t size,
		    size_t *ret_len)
{
	size_t n = 0;

	for (const char *p = s; p < end;) {
		char c;

		if (*p == '\\') {
			int hi, lo;

			if (end - p < 4 || p[1] != 'x')
				return -EBADMSG;
			hi = sn_hex_value(p[2]);
			lo = sn_hex_value(p[3]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EBADMSG;
			c = (char)(hi << 4 | lo);
			p += 4;
		} else if (is_plain(*p)) {
			c = *p++;
		} else {
			return -EBADMSG;
		}
		if (n + 1 >= size)
			return -EBADMSG;
		out[n++] = c;
	}
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

/* ",caller=T123" or ",caller=C1" (printk.c: info_print_ext_header()). */
static int parse_caller(const char *s, const char *end, char *ret_kind, uint32_t *ret_id)
{
	uint64_t id;
	int r;

	if (end - s < 2 || (s[0] != 'T' && s[0] != 'C'))
		return -EBADMSG;
	r = parse_u64(s + 1, end, &id);
	if (r < 0)
		return r;
	if (id > 0x7fffffff)
		return -EBADMSG;
	*ret_kind = s[0];
	*ret_id = (uint32_t)id;
	return 0;
}

static int parse_header(const char *s, const char *end, struct sn_kmsg_record *rec)
{
	const char *field = s;
	bool has_caller = false;
	uint64_t prio = 0;
	int r;

	for (unsigned i = 0;; i++) {
		const char *comma = memchr(field, ',', (size_t)(end - field));
		const char *fend = comma ? comma : end;

		switch (i) {
		case 0:
			r = parse_u64(field, fend, &prio);
			if (r < 0)
				return r;
			if (prio > 2047)
				return -EBADMSG;
			rec->facility = (uint16_t)(prio >> 3);
			rec->level = (uint8_t)(prio & 7);
			break;
		case 1:
			r = parse_u64(field, fend, &rec->seq);
			if (r < 0)
				return r;
			break;
		case 2:
			r = parse_u64(field, fend, &rec->ts_usec);
			if (r < 0)
				return r;
			break;
		case 3:
			if (fend - field != 1 ||
			    (field[0] != '-' && field[0] != 'c' && field[0] != '+'))
				return -EBADMSG;
			rec->flag = field[0];
			break;
		default:
			/* Future fields are ignored; caller= is known, once. */
			if (fend - field > 7 && memcmp(field, "caller=", 7) == 0) {
				if (has_caller)
					return -EBADMSG;
				r = parse_caller(field + 7, fend, &rec->caller_kind,
						 &rec->caller_id);
				if (r < 0)
					return r;
				has_caller = true;
			}
			break;
		}
		if (!comma) {
			if (i < 3)
				return -EBADMSG;
			break;
		}
		field = comma + 1;
	}
	rec->has_caller = has_caller;
	rec->has_prio = true;
	return 0;
}

/* One continuation line [s, end) without its '\n': " KEY=VALUE". */
static int parse_dict_line(const char *s, const char *end, struct sn_kmsg_record *rec,
			   bool *seen_subsystem, bool *seen_device)
{
	char key[SN_KMSG_HEADER_MAX], value[SN_KMSG_RECORD_MAX];
	const char *eq;
	size_t klen, vlen;
	int r;

	if (s >= end || *s != ' ')
		return -EBADMSG;
	s++;
	eq = memchr(s, '=', (size_t)(end - s));
	if (!eq || eq == s || eq + 1 == end)
		return -EBADMSG;
	r = unescape(s, eq, key, sizeof(key), &klen);
	if (r < 0)
		return r;
	r = unescape(eq + 1, end, value, sizeof(value), &vlen);
	if (r < 0)
		return r;

	if (strcmp(key, "SUBSYSTEM") == 0 || strcmp(key, "DEVICE") == 0) {
		bool *seen = key[0] == 'S' ? seen_subsystem : seen_device;
		char *dst = key[0] == 'S' ? rec->subsystem : rec->device;

		if (*seen || vlen >= SN_KMSG_DICT_VALUE_MAX)
			return -EBADMSG;
		memcpy(dst, value, vlen + 1);
		*seen = true;
	}
	return 0;
}

/*
 * A record is mostly its message buffer (SN_KMSG_MESSAGE_MAX bytes): it is cleared and
 * copied up to the message's end only, not whole (that was most of a line's cost).
 */
static void record_clear(struct sn_kmsg_record *rec)
{
	memset(rec, 0, offsetof(struct sn_kmsg_record, message));
	rec->message[0] = '\0';
}

void sn_kmsg_record_copy(struct sn_kmsg_record *dst, const struct sn_kmsg_record *src)
{
	memcpy(dst, src, offsetof(struct sn_kmsg_record, message) + src->message_len + 1);
}

int sn_kmsg_record_parse(const char *buf, size_t len, struct sn_kmsg_record *ret)
{
	struct sn_kmsg_record rec;
	bool seen_subsystem = false, seen_device = false;
	const char *end = buf + len, *semi, *nl, *p;
	unsigned n_dict = 0;
	int r;

	if (!buf || len == 0 || len > SN_KMSG_RECORD_MAX)
		return -EBADMSG;

	semi = memchr(buf, ';',
		      len < SN_KMSG_HEADER_MAX + 1 ? len : SN_KMSG_HEADER_MAX + 1);
	if (!semi)
		return -EBADMSG;
	for (p = buf; p < semi; p++)
		if (!is_plain(*p))
			return -EBADMSG;

	record_clear(&rec);
	r = parse_header(buf, semi, &rec);
	if (r < 0)
		return r;

	nl = memchr(semi + 1, '\n', (size_t)(end - semi - 1));
	if (!nl)
		return -EBADMSG;
	r = unescape(semi + 1, nl, rec.message, sizeof(rec.message), &rec.message_len);
	if (r < 0)
		return r;

	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -EBADMSG;
		if (++n_dict > SN_KMSG_DICT_LINES_MAX)
			return -EBADMSG;
		r = parse_dict_line(p, nl, &rec, &seen_subsystem, &seen_device);
		if (r < 0)
			return r;
	}

	sn_kmsg_record_copy(ret, &rec);
	return 0;
}

int sn_kmsg_console_parse(const char *line, size_t len, uint64_t seq,
			  struct sn_kmsg_record *ret)
{
	struct sn_kmsg_record rec;
	const char *p = line, *end = line + len, *digits;
	uint64_t sec, usec;
	int r;

	if (!line)
		return -EBADMSG;
	if (p < end && end[-1] == '\n')
		end--;
	if (p < end && end[-1] == '\r')
		end--;

	/* "[%5lu.%06lu]" */
	if (p >= end || *p != '[')
		return -EBADMSG;
	p++;
	while (p < end && *p == ' ')
		p++;
	for (digits = p; p < end && sn_is_digit(*p); p++)
		;
	r = parse_u64(digits, p, &sec);
	if (r < 0)
		return r;
	if (p >= end || *p != '.')
		return -EBADMSG;
	digits = ++p;
	for (; p < end && sn_is_digit(*p); p++)
		;
	if (p - digits != 6 || p >= end || *p != ']')
		return -EBADMSG;
	usec = 0;
	for (const char *d = digits; d < p; d++)
		usec = usec * 10 + (uint64_t)(*d - '0');
	p++;
	if (sec > (UINT64_MAX - usec) / 1000000)
		return -EBADMSG;

	record_clear(&rec);
	rec.seq = seq;
	rec.ts_usec = sec * 1000000 + usec;
	rec.flag = '-';

	/* "[%6s]" of "T%u" or "C%u" (printk.c: print_caller()) */
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close)
			return -EBADMSG;
		for (p++; p < close && *p == ' '; p++)
			;
		r = parse_caller(p, close, &rec.caller_kind, &rec.caller_id);
		if (r < 0)
			return r;
		rec.has_caller = true;
		p = close + 1;
	}

	if (p >= end || *p != ' ')
		return -EBADMSG;
	p++;
	if ((size_t)(end - p) >= sizeof(rec.message) ||
	    memchr(p, '\0', (size_t)(end - p)))
		return -EBADMSG;
	memcpy(rec.message, p, (size_t)(end - p));
	rec.message[end - p] = '\0';
	rec.message_len = (size_t)(end - p);

	sn_kmsg_record_copy(ret, &rec);
	return 0;
}

int sn_kmsg_record_split(const char *buf, size_t len, bool eof, size_t *ret_len)
{
	const char *end = buf + len, *p = buf, *nl;

	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return eof && p < end ? -EBADMSG : -EAGAIN;
		p = nl + 1;
		if (p == end) {
			if (!eof)
				return -EAGAIN;
			break;
		}
		if (*p != ' ')
			break;
	}
	*ret_len = (size_t)(p - buf);
	return 0;
}
