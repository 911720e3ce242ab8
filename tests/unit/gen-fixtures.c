/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the netlink fixtures of tests/fixtures/netlink/ into a directory:
 *
 *   gen-fixtures DIR
 *
 * The checked-in files are what this wrote; unit.netlink-fixtures-current regenerates
 * them and compares, so that a change of the builders or the sample data shows.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "test-msg.h"

/* Takes m over. */
static int write_fixture(const char *dir, const char *name, const char *comment,
			 struct nl_msg *m)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = m;
	_cleanup_(freep) char *path = NULL;
	_cleanup_(fclosep) FILE *f = NULL;
	const void *data;
	size_t len;
	int r;

	if (!msg)
		return -ENOMEM;
	if (asprintf(&path, "%s/%s.hex", dir, name) < 0)
		return -ENOMEM;
	f = fopen(path, "we");
	if (!f)
		return -errno;
	data = test_msg_data(msg, &len);
	r = test_hex_write(f, comment, data, len);
	if (r < 0)
		return r;
	return fflush(f) == EOF ? -errno : 0;
}

static struct nl_msg *status_msg(const struct sn_status *s)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_STATUS);

	if (!m || test_put_status(m, s) < 0)
		return NULL;
	return TAKE_PTR(m);
}

static struct nl_msg *backtrace_msg(const struct sn_backtrace *b)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(b->cmd);

	if (!m)
		return NULL;
	for (size_t i = 0; i < b->n_entries; i++)
		if (test_put_entry(m, &b->entries[i]) < 0)
			return NULL;
	return TAKE_PTR(m);
}

/* An entry of CPU 2 whose latency is 3 bytes long. */
static struct nl_msg *bad_uint_msg(void)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	static const uint8_t three[3] = { 0x10, 0x27, 0x00 };
	struct nlattr *nest;

	if (!m)
		return NULL;
	nest = nla_nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY | NLA_F_NESTED);
	if (!nest || nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, 2) < 0 ||
	    nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, SDEI_NMI_DELIVERY_CAPTURED) < 0 ||
	    nla_put(m, SDEI_NMI_A_ENTRY_LATENCY_NS, sizeof(three), three) < 0 ||
	    nla_nest_end(m, nest) < 0)
		return NULL;
	return TAKE_PTR(m);
}

/* A comm of "bash" without its NUL. */
static struct nl_msg *bad_string_msg(void)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	struct nlattr *nest;

	if (!m)
		return NULL;
	nest = nla_nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY | NLA_F_NESTED);
	if (!nest || nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, 2) < 0 ||
	    nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, SDEI_NMI_DELIVERY_CAPTURED) < 0 ||
	    nla_put(m, SDEI_NMI_A_ENTRY_COMM, 4, "bash") < 0 || nla_nest_end(m, nest) < 0)
		return NULL;
	return TAKE_PTR(m);
}

/* The reply of CPUs 0-3, cut 10 bytes short: inside the last entry (CPU 3's). */
static struct nl_msg *truncated_msg(void)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = backtrace_msg(&sample_backtrace_reply);
	_cleanup_(nlmsg_freep) struct nl_msg *cut = nlmsg_alloc_size(1024 * 1024);
	struct nlmsghdr *h, *ch;
	size_t keep;

	if (!m || !cut)
		return NULL;
	h = nlmsg_hdr(m);
	keep = h->nlmsg_len - 10;
	ch = nlmsg_put(cut, h->nlmsg_pid, h->nlmsg_seq, h->nlmsg_type,
		       (int)(keep - NLMSG_HDRLEN), h->nlmsg_flags);
	if (!ch)
		return NULL;
	memcpy(nlmsg_data(ch), nlmsg_data(h), keep - NLMSG_HDRLEN);
	/* nlmsg_put() padded to 4 bytes; the length says where the data ends. */
	ch->nlmsg_len = (uint32_t)keep;
	return TAKE_PTR(cut);
}

int main(int argc, char *argv[])
{
	const char *dir;
	int r = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen-fixtures DIR\n");
		return 2;
	}
	dir = argv[1];

	r |= write_fixture(
		dir, "status-active",
		"SDEI_NMI_CMD_STATUS reply: active, SDEI 1.0, 4 CPUs (test-msg.c "
		"sample_status_active)",
		status_msg(&sample_status_active));
	r |= write_fixture(
		dir, "status-inactive",
		"SDEI_NMI_CMD_STATUS reply: inactive, no SDEI firmware interface",
		status_msg(&sample_status_inactive));
	r |= write_fixture(
		dir, "backtrace-reply",
		"SDEI_NMI_CMD_BACKTRACE reply for CPUs 0-3: 0 captured, 1 offline,\n"
		"2 captured (wedged in lkdtm_HARDLOCKUP, D-IF masked), 3 timeout",
		backtrace_msg(&sample_backtrace_reply));
	r |= write_fixture(
		dir, "backtrace-ntf",
		"SDEI_NMI_CMD_BACKTRACE_NTF: CPU 1 in user mode, CPU 2 in a module; "
		"8-byte uints",
		backtrace_msg(&sample_backtrace_ntf));
	r |= write_fixture(
		dir, "backtrace-ipi",
		"SDEI_NMI_CMD_BACKTRACE reply for CPUs 1-3: 1 idle through the IPI,\n"
		"2 idle through the IPI without registers, 3 unknown context 7 and path 9",
		backtrace_msg(&sample_backtrace_ipi));
	r |= write_fixture(dir, "error-extack",
			   "NLMSG_ERROR -EINVAL, capped, extack \"CPU 99 out of range\"",
			   test_error_new(-EINVAL, "CPU 99 out of range", true));
	r |= write_fixture(dir, "error-eperm",
			   "NLMSG_ERROR -EPERM, request echoed, no TLVs",
			   test_error_new(-EPERM, NULL, false));
	r |= write_fixture(dir, "bad-uint-3-bytes",
			   "malformed: an entry's latency-ns is 3 bytes (uint is 4 or 8)",
			   bad_uint_msg());
	r |= write_fixture(dir, "bad-string-no-nul",
			   "malformed: an entry's comm is \"bash\" without its NUL",
			   bad_string_msg());
	r |= write_fixture(
		dir, "bad-truncated",
		"malformed: backtrace-reply cut 10 bytes short, inside its last entry",
		truncated_msg());
	if (r) {
		fprintf(stderr, "gen-fixtures: cannot write the fixtures to %s\n", dir);
		return 1;
	}
	return 0;
}
