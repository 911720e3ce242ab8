/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Builds sdei-nmi messages with libnl the way the kernel does (nla_put_uint picks 4 or
 * 8 bytes, nests carry NLA_F_NESTED, strings their NUL), from the same structs the
 * parsers fill, plus the sample data the parser, format and fixture tests share.
 */

#include <stdio.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "nmi-parse.h"

/* A fixed family id: the kernel's is dynamic, the parsers do not look at it. */
#define TEST_FAMILY_ID 0x1d

struct nl_msg *test_msg_new(uint8_t cmd);
/* Like the kernel's nla_put_uint(): 4 bytes when the value fits, 8 otherwise. */
int test_put_uint(struct nl_msg *m, int type, uint64_t v);
int test_put_entry(struct nl_msg *m, const struct sn_entry *e);
int test_put_status(struct nl_msg *m, const struct sn_status *s);
/* An NLMSG_ERROR for a request of family TEST_FAMILY_ID, with an extack message. */
struct nl_msg *test_error_new(int error, const char *extack, bool capped);

/* The message's bytes: nlmsg_hdr(m) and its nlmsg_len. */
const void *test_msg_data(struct nl_msg *m, size_t *ret_len);

/* Sample data, as a patched kernel would report it in the lab. */
extern const struct sn_status sample_status_active;
extern const struct sn_status sample_status_inactive;
/* CPUs 0-3 of a "backtrace --cpus 0-3": 0 captured, 1 offline, 2 wedged, 3 timeout. */
extern const struct sn_backtrace sample_backtrace_reply;
/* A sysrq-l on CPU 0 answered through SDEI by CPUs 1 (user mode) and 2. */
extern const struct sn_backtrace sample_backtrace_ntf;
/*
 * CPUs 1-3 of an idle machine: 1 and 2 idle in a power-down state, which masks SDEI,
 * and captured through the IPI fallback, 2 outside an interrupt (no pstate, no sp);
 * 3 from a newer kernel, with a context (7) and a path (9) this version does not know.
 */
extern const struct sn_backtrace sample_backtrace_ipi;
/* One entry per delivery status, the unknown one included. */
extern const struct sn_backtrace sample_backtrace_deliveries;

/* Hex fixture files: bytes as hex pairs, whitespace between, '#' to end of line. */
int test_hex_write(FILE *f, const char *comment, const void *buf, size_t len);
int test_hex_read(const char *path, void **ret, size_t *ret_len);
/*
 * The nth message (from 0) of a hex file holding several, as sn_client_record() writes
 * them: a message ends where a comment line starting with "# " follows its bytes.
 * -ENOENT when the file has fewer messages.
 */
int test_hex_read_nth(const char *path, size_t n, void **ret, size_t *ret_len);
