/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One record of the kernel log as read(2) returns it from /dev/kmsg
 * (Documentation/ABI/testing/dev-kmsg, kernel/printk/printk.c: info_print_ext_header(),
 * msg_add_ext_text(), msg_add_dict_text()):
 *
 *   PRIO,SEQ,TS_USEC,FLAGS[,FIELD...];MESSAGE\n
 *    KEY=VALUE\n                                  (zero or more continuation lines)
 *
 * and the same record as the console prints it ("[    5.010516] MESSAGE", with
 * CONFIG_PRINTK_CALLER "[    5.010516][    T1] MESSAGE"), so that serial logs feed
 * the same recognizer (kmsg-events.h) as /dev/kmsg does.
 *
 * The parsers are pure and trust nothing (see lib/kmsg.c for every rule); a malformed
 * or overlong record is -EBADMSG and *ret is written only on success.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The largest record read(2) may return: the kernel's CONSOLE_EXT_LOG_MAX of old
 * kernels (7.x prints at most PRINTK_MESSAGE_MAX, 2048 bytes). Also the cap on the
 * unescaped message, NUL included.
 */
#define SN_KMSG_RECORD_MAX  8192
#define SN_KMSG_MESSAGE_MAX SN_KMSG_RECORD_MAX
/* The prefix before ';' (PRIO,SEQ,TS_USEC,FLAGS and any future fields). */
#define SN_KMSG_HEADER_MAX 256
/* SUBSYSTEM= and DEVICE= values, NUL included (the kernel's are 16 and 48 bytes). */
#define SN_KMSG_DICT_VALUE_MAX 64
/* Continuation lines per record; the kernel writes at most two. */
#define SN_KMSG_DICT_LINES_MAX 16

struct sn_kmsg_record {
	uint64_t seq;
	uint64_t ts_usec;  /* the kernel's local clock, like CLOCK_MONOTONIC */
	bool has_prio;	   /* false for console lines, which do not show it */
	uint8_t level;	   /* PRIO & 7: LOG_EMERG (0) to LOG_DEBUG (7) */
	uint16_t facility; /* PRIO >> 3: 0 for the kernel, 1 (LOG_USER) for writers */
	char flag;	  /* '-'; 'c' a fragment of a line; '+' (old kernels) continues */
	bool has_caller;  /* CONFIG_PRINTK_CALLER: ",caller=T123" or ",caller=C1" */
	char caller_kind; /* 'T': a task, caller_id its pid; 'C': a CPU outside task
			     context */
	uint32_t caller_id;
	char subsystem[SN_KMSG_DICT_VALUE_MAX]; /* " SUBSYSTEM=", "" when absent */
	char device[SN_KMSG_DICT_VALUE_MAX];	/* " DEVICE=", "" when absent */
	size_t message_len;			/* strlen(message) */
	char message[SN_KMSG_MESSAGE_MAX];	/* unescaped, NUL-terminated */
};

/*
 * Copies a record: its fields and its message up to the NUL, not the whole buffer
 * (a record is mostly its SN_KMSG_MESSAGE_MAX bytes of message).
 */
void sn_kmsg_record_copy(struct sn_kmsg_record *dst, const struct sn_kmsg_record *src);

/*
 * Parses one record of len bytes (what one read(2) of /dev/kmsg returned). Rules:
 *  - PRIO, SEQ and TS_USEC are decimal without sign, spaces or leading zeros, at most
 *    20 digits and no overflow; PRIO <= 2047 (facility 8 bits, level 3 bits);
 *  - FLAGS is exactly one of '-', 'c', '+';
 *  - further fields before ';' are ignored unless "caller=T<n>" or "caller=C<n>"; the
 *    whole prefix is at most SN_KMSG_HEADER_MAX bytes and printable;
 *  - MESSAGE ends with '\n'; it holds printable ASCII and "\xNN" escapes (two hex
 *    digits) only, as the kernel escapes every byte < 0x20, >= 0x7f and '\'; an
 *    escaped NUL is refused;
 *  - continuation lines are " KEY=VALUE\n" with the same escaping, a non-empty key
 *    and value; SUBSYSTEM and DEVICE are kept (at most once each, values shorter than
 *    SN_KMSG_DICT_VALUE_MAX), other keys are ignored; at most SN_KMSG_DICT_LINES_MAX;
 *  - nothing may follow the last '\n'.
 * Anything else, a truncated record included, is -EBADMSG.
 */
int sn_kmsg_record_parse(const char *buf, size_t len, struct sn_kmsg_record *ret);

/*
 * One line of console output, "[%5lu.%06lu] MESSAGE", optionally with the caller
 * "[%6s]" (T<pid> or C<cpu>) between the time and the space; a trailing "\n" or "\r\n"
 * is allowed. The console shows neither PRIO nor SEQ: has_prio is false, flag '-' and
 * seq what the caller passes (a line counter). The text is taken as is (the console
 * does not escape) but may not hold NUL or be SN_KMSG_MESSAGE_MAX bytes or longer.
 * A line without the time prefix is -EBADMSG.
 */
int sn_kmsg_console_parse(const char *line, size_t len, uint64_t seq,
			  struct sn_kmsg_record *ret);

/*
 * Splits a byte stream of records (a file or a pipe holding what /dev/kmsg returned,
 * one record after the other): the first record of buf ends after a '\n' that is not
 * followed by ' ' (a continuation line). *ret_len is its length, '\n' included.
 * -EAGAIN: buf does not hold a whole record yet (a continuation line may follow the
 * last '\n' unless eof says that nothing follows). -EBADMSG: eof and buf ends with
 * bytes that no '\n' terminates. Records are not parsed here.
 */
int sn_kmsg_record_split(const char *buf, size_t len, bool eof, size_t *ret_len);
