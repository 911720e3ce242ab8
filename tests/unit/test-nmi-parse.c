/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parsers against messages built with libnl as the kernel builds them, against
 * malformed variants, and against the checked-in fixtures of tests/fixtures/netlink/.
 */

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nmi-client.h"
#include "test-assert.h"
#include "test-msg.h"

static struct nl_msg *backtrace_msg(const struct sn_backtrace *b)
{
	struct nl_msg *m = test_msg_new(b->cmd);

	assert_non_null(m);
	for (size_t i = 0; i < b->n_entries; i++)
		assert_int_equal(test_put_entry(m, &b->entries[i]), 0);
	return m;
}

static int parse_backtrace(struct nl_msg *m, struct sn_backtrace **ret)
{
	size_t len;
	const void *data = test_msg_data(m, &len);

	return sn_parse_backtrace_msg(data, len, ret);
}

/* The genl payload of m: its attributes. */
static void *msg_attrs(struct nl_msg *m, size_t *ret_len)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	*ret_len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	return (uint8_t *)h + NLMSG_HDRLEN + GENL_HDRLEN;
}

static void test_status_roundtrip(void **state)
{
	const struct sn_status *samples[] = { &sample_status_active,
					      &sample_status_inactive };

	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m =
			test_msg_new(SDEI_NMI_CMD_STATUS);
		_cleanup_(sn_status_freep) struct sn_status *s = NULL;
		const void *data;
		size_t len;

		assert_non_null(m);
		assert_int_equal(test_put_status(m, samples[i]), 0);
		data = test_msg_data(m, &len);
		assert_int_equal(sn_parse_status_msg(data, len, &s), 0);
		assert_status_equal(s, samples[i]);
	}
}

static void test_status_sdei_version_fields(void **state)
{
	uint64_t v = (UINT64_C(1) << 48) | (UINT64_C(1) << 32) | 0x41;

	assert_int_equal(sn_sdei_version_major(v), 1);
	assert_int_equal(sn_sdei_version_minor(v), 1);
	assert_int_equal(sn_sdei_version_vendor(v), 0x41);
}

static void test_backtrace_roundtrip(void **state)
{
	const struct sn_backtrace *samples[] = { &sample_backtrace_reply,
						 &sample_backtrace_ntf,
						 &sample_backtrace_ipi,
						 &sample_backtrace_deliveries };

	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m = backtrace_msg(samples[i]);
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		assert_int_equal(parse_backtrace(m, &b), 0);
		assert_backtrace_equal(b, samples[i]);
	}
}

/* 64 CPUs with 32 frames each and 8-byte values: well past one page. */
static void test_backtrace_large(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	char *frames[32];
	char names[32][64];
	size_t len;

	for (size_t i = 0; i < 32; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "function_number_%zu+0x%zx/0x200 [module]", i, i * 4);
		frames[i] = names[i];
	}
	for (uint32_t cpu = 0; cpu < 64; cpu++) {
		struct sn_entry e = {
			.cpu = cpu,
			.delivery = SDEI_NMI_DELIVERY_CAPTURED,
			.trigger = SDEI_NMI_TRIGGER_REQUEST,
			.has_time_ns = true,
			.time_ns = UINT64_C(0x123456789abc) + cpu,
			.has_pc = true,
			.pc = UINT64_C(0xffff800080000000) + cpu,
			.comm = "swapper/63",
			.n_frames = 32,
			.frames = frames,
		};

		assert_int_equal(test_put_entry(m, &e), 0);
	}
	test_msg_data(m, &len);
	assert_true(len > 64 * 1024);

	assert_int_equal(parse_backtrace(m, &b), 0);
	assert_int_equal(b->n_entries, 64);
	assert_int_equal(b->entries[63].cpu, 63);
	assert_int_equal(b->entries[63].time_ns, UINT64_C(0x123456789abc) + 63);
	assert_int_equal(b->entries[63].pc, UINT64_C(0xffff800080000000) + 63);
	assert_int_equal(b->entries[63].n_frames, 32);
	assert_string_equal(b->entries[63].frames[31], names[31]);
}

/* An entry holding whatever extra is given, TIMES times, after cpu and delivery. */
static struct nl_msg *entry_msg_times(int type, const void *data, int len, int times)
{
	struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	struct nlattr *nest;

	assert_non_null(m);
	nest = nla_nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY | NLA_F_NESTED);
	assert_non_null(nest);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, 2), 0);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, 1), 0);
	for (int i = 0; type > 0 && i < times; i++)
		assert_int_equal(nla_put(m, type, len, data), 0);
	assert_int_equal(nla_nest_end(m, nest), 0);
	return m;
}

static struct nl_msg *entry_msg(int type, const void *data, int len)
{
	return entry_msg_times(type, data, len, 1);
}

static int parse_entry_with(int type, const void *data, int len)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = entry_msg(type, data, len);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	int r = parse_backtrace(m, &b);

	if (r == 0)
		assert_int_equal(b->n_entries, 1);
	else
		assert_null(b);
	return r;
}

static void test_uint_sizes(void **state)
{
	uint64_t v8 = UINT64_C(0x1122334455667788);
	uint32_t v4 = 0x11223344;
	uint8_t bytes[12] = {};

	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_LATENCY_NS, &v4, 4), 0);
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_LATENCY_NS, &v8, 8), 0);
	for (int len = 0; len <= (int)sizeof(bytes); len++)
		if (len != 4 && len != 8)
			assert_int_equal(
				parse_entry_with(SDEI_NMI_A_ENTRY_SEQ, bytes, len),
				-EBADMSG);
}

static void test_fixed_sizes(void **state)
{
	uint8_t bytes[8] = {};

	/* u32 is 4 bytes; context and path too (the flag "user" they replaced was 0). */
	static const int u32s[] = { SDEI_NMI_A_ENTRY_PID, SDEI_NMI_A_ENTRY_CONTEXT,
				    SDEI_NMI_A_ENTRY_PATH };

	for (size_t i = 0; i < ELEMENTSOF(u32s); i++) {
		assert_int_equal(parse_entry_with(u32s[i], bytes, 4), 0);
		assert_int_equal(parse_entry_with(u32s[i], bytes, 0), -EBADMSG);
		assert_int_equal(parse_entry_with(u32s[i], bytes, 1), -EBADMSG);
		assert_int_equal(parse_entry_with(u32s[i], bytes, 2), -EBADMSG);
		assert_int_equal(parse_entry_with(u32s[i], bytes, 8), -EBADMSG);
	}
}

/* The value of an entry that has only cpu, delivery and attribute type with v. */
static struct sn_entry *parse_entry_u32(int type, uint32_t v, struct sn_backtrace **b)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = entry_msg(type, &v, sizeof(v));

	assert_int_equal(parse_backtrace(m, b), 0);
	assert_int_equal((*b)->n_entries, 1);
	return &(*b)->entries[0];
}

static void test_context_path(void **state)
{
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *none = NULL;
	const struct sn_entry *e;

	/* Absent: 0. */
	e = parse_entry_u32(0, 0, &none);
	assert_int_equal(e->context, 0);
	assert_int_equal(e->path, 0);
	assert_false(sn_entry_user(e));
	assert_false(sn_entry_via_ipi(e));

	for (uint32_t v = 1; v <= SDEI_NMI_CONTEXT_GUEST; v++) {
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		e = parse_entry_u32(SDEI_NMI_A_ENTRY_CONTEXT, v, &b);
		assert_int_equal(e->context, v);
		assert_int_equal(e->path, 0);
		assert_int_equal(sn_entry_user(e), v == SDEI_NMI_CONTEXT_USER);
	}
	for (uint32_t v = 1; v <= 2; v++) {
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		e = parse_entry_u32(SDEI_NMI_A_ENTRY_PATH, v, &b);
		assert_int_equal(e->path, v);
		assert_int_equal(e->context, 0);
		assert_int_equal(sn_entry_via_ipi(e), v == SDEI_NMI_PATH_IPI);
	}
	/* Values this version does not know are kept, whatever their size. */
	{
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *c = NULL;

		e = parse_entry_u32(SDEI_NMI_A_ENTRY_CONTEXT, UINT32_MAX, &b);
		assert_int_equal(e->context, UINT32_MAX);
		assert_false(sn_entry_user(e));
		e = parse_entry_u32(SDEI_NMI_A_ENTRY_PATH, 9, &c);
		assert_int_equal(e->path, 9);
		assert_false(sn_entry_via_ipi(e));
	}
	/* Given twice: rejected, as every single-valued attribute is. */
	{
		const uint32_t ipi = SDEI_NMI_PATH_IPI;
		_cleanup_(nlmsg_freep) struct nl_msg *m =
			entry_msg_times(SDEI_NMI_A_ENTRY_PATH, &ipi, sizeof(ipi), 2);
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		assert_int_equal(parse_backtrace(m, &b), -EBADMSG);
		assert_null(b);
	}
}

/* A capture of the IPI fallback without registers: no pstate, no sp, and that is all. */
static void test_ipi_without_registers(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = backtrace_msg(&sample_backtrace_ipi);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	const struct sn_entry *e;

	assert_int_equal(parse_backtrace(m, &b), 0);
	assert_int_equal(b->n_entries, 3);
	e = &b->entries[1];
	assert_int_equal(e->cpu, 2);
	assert_int_equal(e->delivery, SDEI_NMI_DELIVERY_CAPTURED);
	assert_int_equal(e->context, SDEI_NMI_CONTEXT_IDLE);
	assert_int_equal(e->path, SDEI_NMI_PATH_IPI);
	assert_true(sn_entry_via_ipi(e));
	assert_false(e->has_pstate);
	assert_false(e->has_sp);
	assert_string_equal(e->pc_sym, "__flush_smp_call_function_queue+0x1d4/0x2a8");
	assert_int_equal(e->n_frames, 6);
}

static void test_strings(void **state)
{
	char comm[SN_MAX_COMM + 1];

	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, "bash", 5), 0);
	/* Without its NUL, or empty. */
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, "bash", 4), -EBADMSG);
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, "", 0), -EBADMSG);
	/* A NUL inside: the string ends there. */
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, "ba\0sh", 5), 0);
	/* Longer than the cap. */
	memset(comm, 'x', sizeof(comm));
	comm[SN_MAX_COMM - 1] = '\0';
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, comm, SN_MAX_COMM), 0);
	comm[SN_MAX_COMM] = '\0';
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_COMM, comm, SN_MAX_COMM + 1),
			 -EBADMSG);
	assert_int_equal(parse_entry_with(SDEI_NMI_A_ENTRY_FRAME, "f+0x1/0x2", 9),
			 -EBADMSG);
}

static void test_string_nul_inside(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m =
		entry_msg(SDEI_NMI_A_ENTRY_COMM, "ba\0sh", 5);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

	assert_int_equal(parse_backtrace(m, &b), 0);
	assert_string_equal(b->entries[0].comm, "ba");
}

static void test_unknown_attributes_ignored(void **state)
{
	static const uint8_t junk[5] = { 1, 2, 3, 4, 5 };
	_cleanup_(nlmsg_freep) struct nl_msg *m = entry_msg(200, junk, sizeof(junk));
	_cleanup_(nlmsg_freep) struct nl_msg *s = test_msg_new(SDEI_NMI_CMD_STATUS);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *st = NULL;
	const void *data;
	size_t len;

	assert_int_equal(parse_backtrace(m, &b), 0);
	assert_int_equal(b->entries[0].cpu, 2);

	/* Top level too, and type 0, and the request attributes in a reply. */
	assert_non_null(s);
	assert_int_equal(nla_put(s, 0, 3, junk), 0);
	assert_int_equal(nla_put_u32(s, SDEI_NMI_A_STATUS_STATE, 1), 0);
	assert_int_equal(nla_put(s, SDEI_NMI_A_STATUS_MAX + 1, 5, junk), 0);
	data = test_msg_data(s, &len);
	assert_int_equal(sn_parse_status_msg(data, len, &st), 0);
	assert_int_equal(st->state, SDEI_NMI_STATE_ACTIVE);
	assert_int_equal(st->n_cpus, 0);
}

static void test_duplicates_rejected(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(nlmsg_freep) struct nl_msg *s = test_msg_new(SDEI_NMI_CMD_STATUS);
	_cleanup_(sn_status_freep) struct sn_status *st = NULL;
	struct nlattr *nest;
	const void *data;
	size_t len;

	assert_non_null(m);
	nest = nla_nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, 2), 0);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, 3), 0);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, 1), 0);
	assert_int_equal(nla_nest_end(m, nest), 0);
	assert_int_equal(parse_backtrace(m, &b), -EBADMSG);
	assert_null(b);

	assert_non_null(s);
	assert_int_equal(nla_put_u32(s, SDEI_NMI_A_STATUS_STATE, 1), 0);
	assert_int_equal(nla_put_u32(s, SDEI_NMI_A_STATUS_STATE, 0), 0);
	data = test_msg_data(s, &len);
	assert_int_equal(sn_parse_status_msg(data, len, &st), -EBADMSG);
	assert_null(st);
}

static void test_missing_required(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(nlmsg_freep) struct nl_msg *m2 = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(nlmsg_freep) struct nl_msg *s = test_msg_new(SDEI_NMI_CMD_STATUS);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *st = NULL;
	struct nlattr *nest;
	const void *data;
	size_t len;

	/* An entry without its cpu. */
	nest = nla_nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY | NLA_F_NESTED);
	assert_int_equal(nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, 1), 0);
	assert_int_equal(nla_put_string(m, SDEI_NMI_A_ENTRY_COMM, "bash"), 0);
	assert_int_equal(nla_nest_end(m, nest), 0);
	assert_int_equal(parse_backtrace(m, &b), -EBADMSG);

	/* Without its delivery. */
	nest = nla_nest_start(m2, SDEI_NMI_A_BACKTRACE_ENTRY | NLA_F_NESTED);
	assert_int_equal(nla_put_u32(m2, SDEI_NMI_A_ENTRY_CPU, 1), 0);
	assert_int_equal(nla_nest_end(m2, nest), 0);
	assert_int_equal(parse_backtrace(m2, &b), -EBADMSG);

	/* A CPU of the status without its number. */
	assert_int_equal(nla_put_u32(s, SDEI_NMI_A_STATUS_STATE, 1), 0);
	nest = nla_nest_start(s, SDEI_NMI_A_STATUS_CPU | NLA_F_NESTED);
	assert_int_equal(nla_put_u8(s, SDEI_NMI_A_CPU_STATS_ONLINE, 1), 0);
	assert_int_equal(nla_nest_end(s, nest), 0);
	data = test_msg_data(s, &len);
	assert_int_equal(sn_parse_status_msg(data, len, &st), -EBADMSG);
	assert_null(b);
	assert_null(st);
}

static void test_too_many_frames(void **state)
{
	char *frames[SN_MAX_FRAMES + 1];
	struct sn_entry e = {
		.cpu = 0,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.frames = frames,
	};

	for (size_t i = 0; i < ELEMENTSOF(frames); i++)
		frames[i] = "recurse+0x10/0x20";

	for (size_t n = SN_MAX_FRAMES; n <= SN_MAX_FRAMES + 1; n++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m =
			test_msg_new(SDEI_NMI_CMD_BACKTRACE);
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		e.n_frames = n;
		assert_int_equal(test_put_entry(m, &e), 0);
		assert_int_equal(parse_backtrace(m, &b), n > SN_MAX_FRAMES ? -E2BIG : 0);
		if (b)
			assert_int_equal(b->entries[0].n_frames, SN_MAX_FRAMES);
	}
}

static void test_too_many_entries(void **state)
{
	for (size_t n = SN_MAX_ENTRIES; n <= SN_MAX_ENTRIES + 1; n++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m =
			test_msg_new(SDEI_NMI_CMD_BACKTRACE);
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;

		for (size_t i = 0; i < n; i++) {
			struct sn_entry e = { .cpu = (uint32_t)i,
					      .delivery = SDEI_NMI_DELIVERY_OFFLINE };

			assert_int_equal(test_put_entry(m, &e), 0);
		}
		assert_int_equal(parse_backtrace(m, &b), n > SN_MAX_ENTRIES ? -E2BIG : 0);
		if (b)
			assert_int_equal(b->n_entries, SN_MAX_ENTRIES);
	}
}

static void test_truncated(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = backtrace_msg(&sample_backtrace_reply);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	size_t len, attrs_len;
	const void *data = test_msg_data(m, &len);
	uint8_t *attrs = msg_attrs(m, &attrs_len);

	/* The buffer shorter than nlmsg_len says. */
	for (size_t cut = 1; cut < len; cut += 7)
		assert_int_equal(sn_parse_backtrace_msg(data, len - cut, &b), -EBADMSG);

	/* The attributes cut anywhere that is not between two entries. */
	for (size_t cut = 1; cut < attrs_len; cut++) {
		int r = sn_parse_backtrace_attrs(attrs, attrs_len - cut, &b);

		if (r == 0) {
			/* Only at an entry boundary, with fewer entries. */
			assert_true(b->n_entries < sample_backtrace_reply.n_entries);
			b = sn_backtrace_free(b);
		} else
			assert_int_equal(r, -EBADMSG);
	}

	/* An attribute header claiming more than its message holds. */
	((struct nlattr *)attrs)->nla_len = (uint16_t)(attrs_len + 4);
	assert_int_equal(sn_parse_backtrace_attrs(attrs, attrs_len, &b), -EBADMSG);
	/* Or less than a header. */
	((struct nlattr *)attrs)->nla_len = 2;
	assert_int_equal(sn_parse_backtrace_attrs(attrs, attrs_len, &b), -EBADMSG);
	assert_null(b);
}

static void test_nested_bad_length(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m =
		entry_msg(SDEI_NMI_A_ENTRY_COMM, "bash", 5);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	size_t attrs_len;
	uint8_t *attrs = msg_attrs(m, &attrs_len);
	struct nlattr *nest = (struct nlattr *)attrs;
	struct nlattr *inner = (struct nlattr *)(attrs + NLA_HDRLEN);

	/* The first inner attribute (cpu) runs past the end of its nest. */
	inner->nla_len = nest->nla_len;
	assert_int_equal(sn_parse_backtrace_attrs(attrs, attrs_len, &b), -EBADMSG);
	inner->nla_len = NLA_HDRLEN + 4;

	/* The nest shorter than its content: its last attribute is cut. */
	nest->nla_len -= 10;
	assert_int_equal(sn_parse_backtrace_attrs(attrs, attrs_len, &b), -EBADMSG);
	assert_null(b);
}

static void test_empty(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	struct nlmsghdr h = {
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = TEST_FAMILY_ID,
	};
	const void *data;
	size_t len;

	/* A backtrace with no entry parses (the caller decides what it means). */
	assert_int_equal(parse_backtrace(m, &b), 0);
	assert_int_equal(b->n_entries, 0);
	assert_int_equal(b->cmd, SDEI_NMI_CMD_BACKTRACE);

	/* A status without its state does not. */
	data = test_msg_data(m, &len);
	assert_int_equal(sn_parse_status_msg(data, len, &s), -EBADMSG);
	assert_int_equal(sn_parse_status_attrs(NULL, 0, &s), -EBADMSG);

	/* No genl header, no bytes at all, a control message type. */
	b = sn_backtrace_free(b);
	assert_int_equal(sn_parse_backtrace_msg(&h, sizeof(h), &b), -EBADMSG);
	assert_int_equal(sn_parse_backtrace_msg(&h, 0, &b), -EBADMSG);
	h.nlmsg_type = NLMSG_DONE;
	h.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN;
	{
		uint32_t buf[8] = {};

		memcpy(buf, &h, sizeof(h));
		assert_int_equal(sn_parse_backtrace_msg(buf, sizeof(buf), &b), -EBADMSG);
	}
	assert_null(b);
	assert_null(s);
}

static void test_misaligned(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = backtrace_msg(&sample_backtrace_reply);
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(freep) uint8_t *copy = NULL;
	size_t len;
	const void *data = test_msg_data(m, &len);

	copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy + 1, data, len);
	assert_int_equal(sn_parse_backtrace_msg(copy + 1, len, &b), -EINVAL);
	assert_null(b);
}

static void test_error_messages(void **state)
{
	static const struct {
		int error;
		const char *extack;
		bool capped;
	} cases[] = {
		{ -EINVAL, "CPU 99 out of range", true },
		{ -EINVAL, "CPU 99 out of range", false },
		{ -EPERM, NULL, false },
		{ -EBUSY, NULL, true },
		{ 0, NULL, true },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(nlmsg_freep) struct nl_msg *m =
			test_error_new(cases[i].error, cases[i].extack, cases[i].capped);
		_cleanup_(freep) char *msg = NULL;
		const void *data;
		size_t len;
		int error = 1;

		assert_non_null(m);
		data = test_msg_data(m, &len);
		assert_int_equal(sn_parse_error_msg(data, len, &error, &msg), 0);
		assert_int_equal(error, cases[i].error);
		assert_str_or_null(msg, cases[i].extack);
	}
}

static void test_error_malformed(void **state)
{
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_error_new(-EINVAL, "bad", false);
	_cleanup_(freep) char *msg = NULL;
	struct nlmsghdr *h = nlmsg_hdr(m);
	struct nlmsgerr *e = nlmsg_data(h);
	size_t len = h->nlmsg_len;
	int error = 1;

	/* The echoed request claims more than the message holds. */
	e->msg.nlmsg_len = h->nlmsg_len + 100;
	assert_int_equal(sn_parse_error_msg(h, len, &error, &msg), -EBADMSG);
	e->msg.nlmsg_len = 2;
	assert_int_equal(sn_parse_error_msg(h, len, &error, &msg), -EBADMSG);

	/* Too short for struct nlmsgerr; not an error message; a positive errno. */
	assert_int_equal(sn_parse_error_msg(h, NLMSG_HDRLEN + 4, &error, &msg), -EBADMSG);
	h->nlmsg_type = TEST_FAMILY_ID;
	assert_int_equal(sn_parse_error_msg(h, len, &error, &msg), -EBADMSG);
	h->nlmsg_type = NLMSG_ERROR;
	e->error = 5;
	assert_int_equal(sn_parse_error_msg(h, len, &error, &msg), -EBADMSG);
	assert_int_equal(error, 1);
	assert_null(msg);
}

static void load_fixture(const char *name, void **ret, size_t *ret_len)
{
	_cleanup_(freep) char *path = NULL;

	assert_true(asprintf(&path, "%s/netlink/%s.hex", FIXTURES_DIR, name) > 0);
	assert_int_equal(test_hex_read(path, ret, ret_len), 0);
}

static void test_fixtures(void **state)
{
	static const struct {
		const char *name;
		const struct sn_backtrace *expect;
		int r;
	} backtraces[] = {
		{ "backtrace-reply", &sample_backtrace_reply, 0 },
		{ "backtrace-ntf", &sample_backtrace_ntf, 0 },
		{ "bad-uint-3-bytes", NULL, -EBADMSG },
		{ "bad-string-no-nul", NULL, -EBADMSG },
		{ "bad-truncated", NULL, -EBADMSG },
	};
	static const struct {
		const char *name;
		const struct sn_status *expect;
	} statuses[] = {
		{ "status-active", &sample_status_active },
		{ "status-inactive", &sample_status_inactive },
	};

	for (size_t i = 0; i < ELEMENTSOF(backtraces); i++) {
		_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
		_cleanup_(freep) void *buf = NULL;
		size_t len;

		load_fixture(backtraces[i].name, &buf, &len);
		assert_int_equal(sn_parse_backtrace_msg(buf, len, &b), backtraces[i].r);
		if (backtraces[i].expect)
			assert_backtrace_equal(b, backtraces[i].expect);
	}
	for (size_t i = 0; i < ELEMENTSOF(statuses); i++) {
		_cleanup_(sn_status_freep) struct sn_status *s = NULL;
		_cleanup_(freep) void *buf = NULL;
		size_t len;

		load_fixture(statuses[i].name, &buf, &len);
		assert_int_equal(sn_parse_status_msg(buf, len, &s), 0);
		assert_status_equal(s, statuses[i].expect);
	}
	{
		_cleanup_(freep) void *buf = NULL;
		_cleanup_(freep) char *msg = NULL;
		size_t len;
		int error;

		load_fixture("error-extack", &buf, &len);
		assert_int_equal(sn_parse_error_msg(buf, len, &error, &msg), 0);
		assert_int_equal(error, -EINVAL);
		assert_string_equal(msg, "CPU 99 out of range");
	}
	{
		/* One message under two comment lines: the whole file is message 0. */
		_cleanup_(freep) void *all = NULL;
		_cleanup_(freep) void *first = NULL;
		_cleanup_(freep) char *path = NULL;
		size_t len, first_len;
		void *none;

		assert_true(asprintf(&path, "%s/netlink/backtrace-reply.hex",
				     FIXTURES_DIR) > 0);
		assert_int_equal(test_hex_read(path, &all, &len), 0);
		assert_int_equal(test_hex_read_nth(path, 0, &first, &first_len), 0);
		assert_int_equal(first_len, len);
		assert_memory_equal(first, all, len);
		assert_int_equal(test_hex_read_nth(path, 1, &none, &len), -ENOENT);
	}
}

/*
 * Replies recorded from the lab's patched kernel (4 CPUs, SDEI 1.x firmware) with
 * sdei-nmictl --record into a new file, so that message 0 is the reply and message 1
 * its ack: "status --record recorded-status.hex", and with CPU 2 wedged (wedge_cpu 2 of
 * tests/lab/guest/lib.sh) "backtrace --cpu 2 --record recorded-backtrace-cpu2.hex".
 */
static void load_recorded(const char *name, void **ret, size_t *ret_len)
{
	char path[PATH_MAX]; /* not allocated: a failed assertion longjmps */
	int r;

	assert_true(snprintf(path, sizeof(path), "%s/netlink/%s", FIXTURES_DIR, name) <
		    (int)sizeof(path));
	r = test_hex_read_nth(path, 0, ret, ret_len);
	if (r < 0)
		fail_msg("cannot read the reply recorded from the lab kernel, %s: %s",
			 path, strerror(-r));
}

static void test_recorded_fixtures(void **state)
{
	_cleanup_(sn_backtrace_freep) struct sn_backtrace *b = NULL;
	_cleanup_(sn_status_freep) struct sn_status *s = NULL;
	_cleanup_(freep) void *bt_buf = NULL;
	_cleanup_(freep) void *st_buf = NULL;
	const struct sn_entry *e;
	size_t len;
	bool lkdtm = false;
	int r;

	load_recorded("recorded-backtrace-cpu2.hex", &bt_buf, &len);
	r = sn_parse_backtrace_msg(bt_buf, len, &b);
	if (r < 0) {
		/* fail_msg() longjmps past the cleanup. */
		free(TAKE_PTR(bt_buf));
		fail_msg(
			"recorded-backtrace-cpu2.hex does not parse (%s): recorded from a "
			"kernel with another numbering of the entry attributes? Record it "
			"again from the lab's nl-backtrace log "
			"(tests/unit/record-fixtures.sh)",
			strerror(-r));
	}
	assert_int_equal(b->cmd, SDEI_NMI_CMD_BACKTRACE);
	assert_int_equal(b->n_entries, 1);
	e = &b->entries[0];
	assert_int_equal(e->cpu, 2);
	assert_int_equal(e->delivery, SDEI_NMI_DELIVERY_CAPTURED);
	assert_int_equal(e->trigger, SDEI_NMI_TRIGGER_REQUEST);
	for (size_t i = 0; i < e->n_frames; i++)
		if (strncmp(e->frames[i], "lkdtm_HARDLOCKUP+", 17) == 0)
			lkdtm = true;
	assert_true(lkdtm);
	/* Wedged with interrupts masked: PSTATE.I (bit 7). */
	assert_true(e->has_pstate);
	assert_true(e->pstate & (UINT64_C(1) << 7));
	assert_non_null(e->comm);
	assert_true(e->comm[0] != '\0');
	/* A task spinning in the kernel, taken by the SDEI event despite the mask. */
	assert_int_equal(e->context, SDEI_NMI_CONTEXT_KERNEL);
	assert_int_equal(e->path, SDEI_NMI_PATH_SDEI);

	load_recorded("recorded-status.hex", &st_buf, &len);
	assert_int_equal(sn_parse_status_msg(st_buf, len, &s), 0);
	assert_int_equal(s->state, SDEI_NMI_STATE_ACTIVE);
	assert_true(s->has_event);
	assert_int_equal(s->event, 0);
	assert_int_equal(s->n_cpus, 4);
	assert_true(s->has_sdei_version);
	assert_int_equal(sn_sdei_version_major(s->sdei_version), 1);
}

/* The request the client sends: parsed back as the kernel's policy would see it. */
static void test_backtrace_request(void **state)
{
	static const uint32_t cpus[] = { 0, 2, 3 };
	_cleanup_(nlmsg_freep) struct nl_msg *m = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(nlmsg_freep) struct nl_msg *all = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	struct nlattr *a;
	size_t len, n = 0;
	void *attrs;
	int rem;

	assert_int_equal(sn_request_backtrace_put(m, cpus, ELEMENTSOF(cpus), false, 250),
			 0);
	attrs = msg_attrs(m, &len);
	nla_for_each_attr(a, (struct nlattr *)attrs, (int)len, rem)
	{
		if (nla_type(a) == SDEI_NMI_A_BACKTRACE_CPU)
			assert_int_equal(nla_get_u32(a), cpus[n++]);
		else {
			assert_int_equal(nla_type(a), SDEI_NMI_A_BACKTRACE_TIMEOUT_MS);
			assert_int_equal(nla_get_u32(a), 250);
		}
	}
	assert_int_equal(n, ELEMENTSOF(cpus));

	assert_int_equal(sn_request_backtrace_put(all, NULL, 0, true, 0), 0);
	attrs = msg_attrs(all, &len);
	assert_int_equal(len, NLA_HDRLEN);
	assert_int_equal(nla_type(attrs), SDEI_NMI_A_BACKTRACE_ALL);

	assert_int_equal(sn_request_backtrace_put(all, NULL, 0, false, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_roundtrip),
		cmocka_unit_test(test_status_sdei_version_fields),
		cmocka_unit_test(test_backtrace_roundtrip),
		cmocka_unit_test(test_backtrace_large),
		cmocka_unit_test(test_uint_sizes),
		cmocka_unit_test(test_fixed_sizes),
		cmocka_unit_test(test_context_path),
		cmocka_unit_test(test_ipi_without_registers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_nul_inside),
		cmocka_unit_test(test_unknown_attributes_ignored),
		cmocka_unit_test(test_duplicates_rejected),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_too_many_frames),
		cmocka_unit_test(test_too_many_entries),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_nested_bad_length),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_misaligned),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_error_malformed),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_recorded_fixtures),
		cmocka_unit_test(test_backtrace_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
