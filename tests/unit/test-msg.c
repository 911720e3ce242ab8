/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "test-msg.h"

struct nl_msg *test_msg_new(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc_size(1024 * 1024);

	if (!m)
		return NULL;
	if (!genlmsg_put(m, 0, 7, TEST_FAMILY_ID, 0, 0, cmd, SDEI_NMI_FAMILY_VERSION)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

int test_put_uint(struct nl_msg *m, int type, uint64_t v)
{
	if (v == (uint32_t)v)
		return nla_put_u32(m, type, (uint32_t)v);
	return nla_put(m, type, sizeof(v), &v);
}

static struct nlattr *nest_start(struct nl_msg *m, int type)
{
	return nla_nest_start(m, type | NLA_F_NESTED);
}

int test_put_entry(struct nl_msg *m, const struct sn_entry *e)
{
	struct nlattr *nest = nest_start(m, SDEI_NMI_A_BACKTRACE_ENTRY);
	int r = 0;

	if (!nest)
		return -ENOMEM;
	r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_CPU, e->cpu);
	r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_DELIVERY, e->delivery);
	if (e->trigger)
		r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_TRIGGER, e->trigger);
	if (e->has_latency_ns)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_LATENCY_NS, e->latency_ns);
	if (e->has_time_ns)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_TIME_NS, e->time_ns);
	if (e->has_seq)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_SEQ, e->seq);
	if (e->has_pstate)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_PSTATE, e->pstate);
	if (e->has_pc)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_PC, e->pc);
	if (e->has_lr)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_LR, e->lr);
	if (e->has_sp)
		r |= test_put_uint(m, SDEI_NMI_A_ENTRY_SP, e->sp);
	if (e->context)
		r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_CONTEXT, e->context);
	if (e->path)
		r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_PATH, e->path);
	if (e->comm)
		r |= nla_put_string(m, SDEI_NMI_A_ENTRY_COMM, e->comm);
	if (e->has_pid)
		r |= nla_put_u32(m, SDEI_NMI_A_ENTRY_PID, e->pid);
	if (e->pc_sym)
		r |= nla_put_string(m, SDEI_NMI_A_ENTRY_PC_SYM, e->pc_sym);
	if (e->lr_sym)
		r |= nla_put_string(m, SDEI_NMI_A_ENTRY_LR_SYM, e->lr_sym);
	for (size_t i = 0; i < e->n_frames; i++)
		r |= nla_put_string(m, SDEI_NMI_A_ENTRY_FRAME, e->frames[i]);
	if (r)
		return -ENOMEM;
	return nla_nest_end(m, nest) < 0 ? -ENOMEM : 0;
}

int test_put_status(struct nl_msg *m, const struct sn_status *s)
{
	int r = 0;

	r |= nla_put_u32(m, SDEI_NMI_A_STATUS_STATE, s->state);
	if (s->reason)
		r |= nla_put_string(m, SDEI_NMI_A_STATUS_REASON, s->reason);
	if (s->has_sdei_version)
		r |= test_put_uint(m, SDEI_NMI_A_STATUS_SDEI_VERSION, s->sdei_version);
	if (s->has_event)
		r |= nla_put_u32(m, SDEI_NMI_A_STATUS_EVENT, s->event);
	if (s->has_min_interval_ms)
		r |= nla_put_u32(m, SDEI_NMI_A_STATUS_MIN_INTERVAL_MS,
				 s->min_interval_ms);
	for (size_t i = 0; i < s->n_cpus && r == 0; i++) {
		const struct sn_cpu_stats *c = &s->cpus[i];
		struct nlattr *nest = nest_start(m, SDEI_NMI_A_STATUS_CPU);

		if (!nest)
			return -ENOMEM;
		r |= nla_put_u32(m, SDEI_NMI_A_CPU_STATS_CPU, c->cpu);
		r |= nla_put_u8(m, SDEI_NMI_A_CPU_STATS_ONLINE, c->online);
		r |= test_put_uint(m, SDEI_NMI_A_CPU_STATS_SIGNALS, c->signals);
		r |= test_put_uint(m, SDEI_NMI_A_CPU_STATS_HANDLED, c->handled);
		r |= test_put_uint(m, SDEI_NMI_A_CPU_STATS_TIMEOUTS, c->timeouts);
		r |= test_put_uint(m, SDEI_NMI_A_CPU_STATS_RATE_LIMITED, c->rate_limited);
		r |= test_put_uint(m, SDEI_NMI_A_CPU_STATS_LAST_LATENCY_NS,
				   c->last_latency_ns);
		if (nla_nest_end(m, nest) < 0)
			return -ENOMEM;
	}
	return r ? -ENOMEM : 0;
}

struct nl_msg *test_error_new(int error, const char *extack, bool capped)
{
	/* The request it answers: a backtrace of CPU 99. */
	_cleanup_(nlmsg_freep) struct nl_msg *req = test_msg_new(SDEI_NMI_CMD_BACKTRACE);
	_cleanup_(nlmsg_freep) struct nl_msg *m = nlmsg_alloc_size(4096);
	struct nlmsghdr *rh, *h;
	struct nlmsgerr *e;
	size_t payload;

	if (!req || !m || nla_put_u32(req, SDEI_NMI_A_BACKTRACE_CPU, 99) < 0)
		return NULL;
	rh = nlmsg_hdr(req);
	rh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;

	payload = sizeof(*e) + (capped ? 0 : rh->nlmsg_len - NLMSG_HDRLEN);
	h = nlmsg_put(m, 1234, 7, NLMSG_ERROR, (int)payload,
		      (capped ? NLM_F_CAPPED : 0) | (extack ? NLM_F_ACK_TLVS : 0));
	if (!h)
		return NULL;
	e = nlmsg_data(h);
	e->error = error;
	memcpy(&e->msg, rh, capped ? sizeof(*rh) : rh->nlmsg_len);
	if (extack && nla_put_string(m, NLMSGERR_ATTR_MSG, extack) < 0)
		return NULL;
	return TAKE_PTR(m);
}

const void *test_msg_data(struct nl_msg *m, size_t *ret_len)
{
	struct nlmsghdr *h = nlmsg_hdr(m);

	*ret_len = h->nlmsg_len;
	return h;
}

int test_hex_write(FILE *f, const char *comment, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (const char *c = comment; c && *c;) {
		const char *nl = strchrnul(c, '\n');

		fprintf(f, "# %.*s\n", (int)(nl - c), c);
		c = *nl ? nl + 1 : nl;
	}
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x%s", p[i], (i % 16 == 15 || i + 1 == len) ? "\n" : " ");
	return ferror(f) ? -EIO : 0;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The bytes of a hex file, or with split those of its nth message: messages are
 * separated by comment lines starting with "# " (several in a row are one separator).
 */
static int hex_read(const char *path, bool split, size_t nth, void **ret, size_t *ret_len)
{
	_cleanup_(freep) uint8_t *buf = NULL;
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	size_t len = 0, size = 0, msg = 0;
	bool line_start = true, data = false;
	int c, hi = -1;

	if (!f)
		return -errno;
	while ((c = fgetc(f)) != EOF) {
		int d;

		if (c == '#') {
			c = fgetc(f);
			if (split && line_start && c == ' ' && data) {
				if (hi >= 0)
					return -EINVAL;
				msg++;
				data = false;
			}
			while (c != EOF && c != '\n')
				c = fgetc(f);
			line_start = true;
			continue;
		}
		line_start = c == '\n';
		if (isspace(c))
			continue;
		d = hex_digit(c);
		if (d < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = d;
			continue;
		}
		data = true;
		if (split && msg != nth) {
			hi = -1;
			continue;
		}
		if (len == size) {
			uint8_t *n = realloc(buf, size ? size * 2 : 4096);

			if (!n)
				return -ENOMEM;
			buf = n;
			size = size ? size * 2 : 4096;
		}
		buf[len++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL;
	if (split && len == 0)
		return -ENOENT;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int test_hex_read(const char *path, void **ret, size_t *ret_len)
{
	return hex_read(path, false, 0, ret, ret_len);
}

int test_hex_read_nth(const char *path, size_t n, void **ret, size_t *ret_len)
{
	return hex_read(path, true, n, ret, ret_len);
}

/* Sample data. */

static struct sn_cpu_stats active_cpus[] = {
	{ .cpu = 0, .online = true, .signals = 0, .handled = 0 },
	{ .cpu = 1,
	  .online = false,
	  .signals = 2,
	  .handled = 2,
	  .last_latency_ns = 9800 },
	{ .cpu = 2,
	  .online = true,
	  .signals = 205,
	  .handled = 203,
	  .timeouts = 1,
	  .rate_limited = 1,
	  .last_latency_ns = 710000 },
	{ .cpu = 3,
	  .online = true,
	  .signals = UINT64_C(5000000000),
	  .handled = UINT64_C(5000000000),
	  .last_latency_ns = 12400 },
};

const struct sn_status sample_status_active = {
	.state = SDEI_NMI_STATE_ACTIVE,
	.has_sdei_version = true,
	.sdei_version = UINT64_C(1) << 48, /* 1.0, vendor 0 */
	.has_event = true,
	.event = 0,
	.has_min_interval_ms = true,
	.min_interval_ms = 100,
	.n_cpus = ELEMENTSOF(active_cpus),
	.cpus = active_cpus,
};

static struct sn_cpu_stats inactive_cpus[] = {
	{ .cpu = 0, .online = true },
	{ .cpu = 1, .online = true },
};

const struct sn_status sample_status_inactive = {
	.state = SDEI_NMI_STATE_INACTIVE,
	.reason = "no SDEI firmware interface",
	.has_event = true,
	.event = 0,
	.has_min_interval_ms = true,
	.min_interval_ms = 100,
	.n_cpus = ELEMENTSOF(inactive_cpus),
	.cpus = inactive_cpus,
};

static char *frames_self[] = {
	"sdei_nmi_backtrace_doit+0x88/0x1b0",
	"genl_family_rcv_msg_doit+0xc4/0x128",
	"genl_rcv_msg+0x1f0/0x270",
	"netlink_rcv_skb+0x64/0x138",
	"genl_rcv+0x40/0x60",
	"netlink_unicast+0x2f0/0x358",
	"netlink_sendmsg+0x1d4/0x448",
	"__sys_sendto+0xd4/0x140",
	"__arm64_sys_sendto+0x28/0x40",
	"invoke_syscall+0x48/0x118",
	"el0_svc_common.constprop.0+0x40/0xe8",
	"do_el0_svc+0x20/0x30",
	"el0_svc+0x34/0x120",
	"el0t_64_sync_handler+0x120/0x130",
	"el0t_64_sync+0x190/0x198",
};

static char *frames_wedged[] = {
	"lkdtm_HARDLOCKUP+0x1c/0x30",
	"lkdtm_do_action+0x24/0x40",
	"direct_entry+0x12c/0x150",
	"full_proxy_write+0x60/0xb8",
	"vfs_write+0xd8/0x390",
	"ksys_write+0x70/0x108",
	"__arm64_sys_write+0x20/0x30",
	"invoke_syscall+0x48/0x118",
	"el0_svc_common.constprop.0+0x40/0xe8",
	"do_el0_svc+0x20/0x30",
	"el0_svc+0x34/0x120",
	"el0t_64_sync_handler+0x120/0x130",
	"el0t_64_sync+0x190/0x198",
};

static struct sn_entry reply_entries[] = {
	{
		.cpu = 0,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 12400,
		.has_time_ns = true,
		.time_ns = UINT64_C(52301234567),
		.has_seq = true,
		.seq = 1,
		.has_pstate = true,
		.pstate = 0x60000005, /* EL1h, nothing masked */
		.has_pc = true,
		.pc = UINT64_C(0xffff800080a1b2c8),
		.has_lr = true,
		.lr = UINT64_C(0xffff800080a1b1f0),
		.has_sp = true,
		.sp = UINT64_C(0xffff80008000bd40),
		.context = SDEI_NMI_CONTEXT_KERNEL,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "sdei-nmictl",
		.has_pid = true,
		.pid = 120,
		.pc_sym = "sdei_nmi_backtrace_doit+0x88/0x1b0",
		.lr_sym = "genl_family_rcv_msg_doit+0xc4/0x128",
		.n_frames = ELEMENTSOF(frames_self),
		.frames = frames_self,
	},
	{
		.cpu = 1,
		.delivery = SDEI_NMI_DELIVERY_OFFLINE,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
	},
	{
		.cpu = 2,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 710000,
		.has_time_ns = true,
		.time_ns = UINT64_C(52301947001),
		.has_seq = true,
		.seq = 204,
		.has_pstate = true,
		.pstate = 0x600002c5, /* EL1h, D, I and F masked */
		/* kptr_restrict: no raw pc or lr, the stack pointer is kept */
		.has_sp = true,
		.sp = UINT64_C(0xffff800081234560),
		.context = SDEI_NMI_CONTEXT_KERNEL,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "bash",
		.has_pid = true,
		.pid = 93,
		.pc_sym = "lkdtm_HARDLOCKUP+0x1c/0x30",
		.lr_sym = "lkdtm_do_action+0x24/0x40",
		.n_frames = ELEMENTSOF(frames_wedged),
		.frames = frames_wedged,
	},
	{
		.cpu = 3,
		.delivery = SDEI_NMI_DELIVERY_TIMEOUT,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
	},
};

const struct sn_backtrace sample_backtrace_reply = {
	.cmd = SDEI_NMI_CMD_BACKTRACE,
	.n_entries = ELEMENTSOF(reply_entries),
	.entries = reply_entries,
};

static char *frames_module[] = {
	"spin_with_irqs_off+0x30/0x58 [wedge]",
	"wedge_write+0x44/0x80 [wedge]",
	"full_proxy_write+0x60/0xb8",
	"vfs_write+0xd8/0x390",
};

static struct sn_entry ntf_entries[] = {
	{
		.cpu = 1,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_KERNEL,
		.has_latency_ns = true,
		.latency_ns = 4200,
		.has_time_ns = true,
		.time_ns = UINT64_C(9000000000123), /* past 2^32: 8 bytes on the wire */
		.has_seq = true,
		.seq = 3,
		.has_pstate = true,
		.pstate = 0x80000000, /* EL0t, N set, nothing masked */
		.has_pc = true,
		.pc = UINT64_C(0x0000aaaab1234568),
		.context = SDEI_NMI_CONTEXT_USER,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "busy\033[2Jloop", /* a task may name itself anything */
		.has_pid = true,
		.pid = 4242,
	},
	{
		.cpu = 2,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_KERNEL,
		.has_latency_ns = true,
		.latency_ns = 1250000,
		.has_time_ns = true,
		.time_ns = UINT64_C(9000000000456),
		.has_seq = true,
		.seq = 4,
		.has_pstate = true,
		.pstate = 0x3c5, /* EL1h, everything masked */
		.context = SDEI_NMI_CONTEXT_KERNEL,
		.path = SDEI_NMI_PATH_SDEI,
		.comm = "sh",
		.has_pid = true,
		.pid = 77,
		.pc_sym = "spin_with_irqs_off+0x30/0x58 [wedge]",
		.lr_sym = "wedge_write+0x44/0x80 [wedge]",
		.n_frames = ELEMENTSOF(frames_module),
		.frames = frames_module,
	},
};

const struct sn_backtrace sample_backtrace_ntf = {
	.cmd = SDEI_NMI_CMD_BACKTRACE_NTF,
	.n_entries = ELEMENTSOF(ntf_entries),
	.entries = ntf_entries,
};

static char *frames_idle_irq[] = {
	"cpuidle_enter_state+0xc0/0x420",
	"cpuidle_enter+0x3c/0x58",
	"do_idle+0x208/0x290",
	"cpu_startup_entry+0x40/0x50",
	"secondary_start_kernel+0x130/0x158",
	"__secondary_switched+0xc0/0xc8",
};

static char *frames_idle_queue[] = {
	"__flush_smp_call_function_queue+0x1d4/0x2a8",
	"flush_smp_call_function_queue+0x4c/0x98",
	"do_idle+0x230/0x290",
	"cpu_startup_entry+0x40/0x50",
	"secondary_start_kernel+0x130/0x158",
	"__secondary_switched+0xc0/0xc8",
};

static char *frames_newer[] = {
	"worker_thread+0x1a0/0x2f0",
};

static struct sn_entry ipi_entries[] = {
	{
		.cpu = 1,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 1200000,
		.has_time_ns = true,
		.time_ns = UINT64_C(61200000123),
		.has_seq = true,
		.seq = 7,
		.has_pstate = true,
		.pstate = 0x60000005, /* EL1h, nothing masked: the IPI's interrupt */
		.has_sp = true,
		.sp = UINT64_C(0xffff800080f3be60),
		.context = SDEI_NMI_CONTEXT_IDLE,
		.path = SDEI_NMI_PATH_IPI,
		.comm = "swapper/1",
		.has_pid = true,
		.pid = 0,
		.pc_sym = "cpuidle_enter_state+0xc0/0x420",
		.lr_sym = "cpuidle_enter_state+0xb8/0x420",
		.n_frames = ELEMENTSOF(frames_idle_irq),
		.frames = frames_idle_irq,
	},
	{
		/* Run from the call queue on the way out of idle: no registers. */
		.cpu = 2,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 2350000,
		.has_time_ns = true,
		.time_ns = UINT64_C(61200001345),
		.has_seq = true,
		.seq = 7,
		.context = SDEI_NMI_CONTEXT_IDLE,
		.path = SDEI_NMI_PATH_IPI,
		.comm = "swapper/2",
		.has_pid = true,
		.pid = 0,
		.pc_sym = "__flush_smp_call_function_queue+0x1d4/0x2a8",
		.lr_sym = "flush_smp_call_function_queue+0x4c/0x98",
		.n_frames = ELEMENTSOF(frames_idle_queue),
		.frames = frames_idle_queue,
	},
	{
		/* A newer kernel's context and path. */
		.cpu = 3,
		.delivery = SDEI_NMI_DELIVERY_CAPTURED,
		.trigger = SDEI_NMI_TRIGGER_REQUEST,
		.has_latency_ns = true,
		.latency_ns = 9100,
		.has_time_ns = true,
		.time_ns = UINT64_C(61199991000),
		.has_seq = true,
		.seq = 12,
		.has_pstate = true,
		.pstate = 0x600000c5, /* EL1h, I and F masked */
		.context = 7,
		.path = 9,
		.comm = "kworker/3:0",
		.has_pid = true,
		.pid = 31,
		.pc_sym = "worker_thread+0x1a0/0x2f0",
		.n_frames = ELEMENTSOF(frames_newer),
		.frames = frames_newer,
	},
};

const struct sn_backtrace sample_backtrace_ipi = {
	.cmd = SDEI_NMI_CMD_BACKTRACE,
	.n_entries = ELEMENTSOF(ipi_entries),
	.entries = ipi_entries,
};

static struct sn_entry delivery_entries[] = {
	{ .cpu = 0,
	  .delivery = SDEI_NMI_DELIVERY_RATE_LIMITED,
	  .trigger = SDEI_NMI_TRIGGER_REQUEST },
	{ .cpu = 1,
	  .delivery = SDEI_NMI_DELIVERY_OFFLINE,
	  .trigger = SDEI_NMI_TRIGGER_REQUEST },
	{ .cpu = 2,
	  .delivery = SDEI_NMI_DELIVERY_UNSUPPORTED,
	  .trigger = SDEI_NMI_TRIGGER_REQUEST },
	{ .cpu = 3,
	  .delivery = SDEI_NMI_DELIVERY_TIMEOUT,
	  .trigger = SDEI_NMI_TRIGGER_REQUEST },
	{ .cpu = 4, .delivery = 42, .trigger = 9 },
};

const struct sn_backtrace sample_backtrace_deliveries = {
	.cmd = SDEI_NMI_CMD_BACKTRACE,
	.n_entries = ELEMENTSOF(delivery_entries),
	.entries = delivery_entries,
};
