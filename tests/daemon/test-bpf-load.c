/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The BPF object (bpf/stalls.bpf.c, through the skeleton the build made) against this
 * host's kernel: each program alone is opened, relocated (CO-RE) to the running
 * kernel's BTF, verified, loaded and attached, and the ring buffer is set up and read.
 *
 * Needs root and /sys/kernel/btf/vmlinux, else exits 77 (skipped) saying which. A
 * program whose tracepoint or function this kernel lacks is skipped (said). A kernel
 * that refuses the fentry program's real target as root (EPERM: a security policy of
 * the host, not the verifier) gets the program verified against a stand-in function of
 * at least two arguments instead, and says so; any other refusal fails the test.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "stalls.skel.h"

static char last_log[4096];

__attribute__((format(printf, 2, 0))) static int print(enum libbpf_print_level level,
						       const char *fmt, va_list ap)
{
	size_t n = strlen(last_log);

	/* keep the tail of what libbpf said, for a failure's message */
	if (level == LIBBPF_DEBUG)
		return 0;
	if (n > sizeof(last_log) / 2) {
		memmove(last_log, last_log + n / 2, n - n / 2 + 1);
		n -= n / 2;
	}
	vsnprintf(last_log + n, sizeof(last_log) - n, fmt, ap);
	return 0;
}

static struct bpf_program *prog_of(struct stalls_bpf *skel, int i)
{
	return i == 0 ? skel->progs.rcu_stall_warning :
	       i == 1 ? skel->progs.sched_process_hang :
			skel->progs.backtrace_request;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(*(unsigned *)ctx)++;
	return 0;
}

/* Opens the skeleton with program i alone, attached to target (NULL: its own). */
static int try_load(int i, const char *target, bool attach)
{
	struct stalls_bpf *skel = stalls_bpf__open();
	struct bpf_link *link = NULL;
	struct ring_buffer *rb = NULL;
	unsigned records = 0;
	int r;

	if (!skel)
		return -errno;
	for (int j = 0; j < 3; j++)
		bpf_program__set_autoload(prog_of(skel, j), j == i);
	if (target &&
	    (r = bpf_program__set_attach_target(prog_of(skel, i), 0, target)) < 0)
		goto out;
	last_log[0] = '\0';
	r = stalls_bpf__load(skel);
	if (r < 0 || !attach)
		goto out;
	link = bpf_program__attach(prog_of(skel, i));
	if (!link) {
		r = -errno;
		goto out;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, &records, NULL);
	if (!rb) {
		r = -errno;
		goto out;
	}
	r = ring_buffer__consume(rb);
	if (r >= 0)
		r = 0;
out:
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	stalls_bpf__destroy(skel);
	return r;
}

int main(void)
{
	static const struct {
		const char *name, *btf_name;
		int kind;
	} progs[3] = {
		{ "rcu_stall_warning", "btf_trace_rcu_stall_warning", BTF_KIND_TYPEDEF },
		{ "sched_process_hang", "btf_trace_sched_process_hang",
		  BTF_KIND_TYPEDEF },
		{ "backtrace_request", "arch_trigger_cpumask_backtrace", BTF_KIND_FUNC },
	};
	static const char *const stand_ins[] = { "do_sys_openat2", "vfs_read",
						 "vfs_write", "do_nanosleep" };
	int failed = 0, verified = 0;
	struct btf *vmlinux;

	if (geteuid() != 0) {
		printf("SKIP: not root: the BPF object is not loaded on this host\n");
		return 77;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) < 0) {
		printf("SKIP: no /sys/kernel/btf/vmlinux: the kernel has no BTF\n");
		return 77;
	}
	libbpf_set_print(print);
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		printf("FAIL: cannot read the kernel's BTF: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		int r;

		if (btf__find_by_name_kind(vmlinux, progs[i].btf_name, progs[i].kind) <
		    0) {
			printf("SKIP: %s: %s is not in this kernel's BTF\n",
			       progs[i].name, progs[i].btf_name);
			continue;
		}
		r = try_load(i, NULL, true);
		if (r == 0) {
			printf("PASS: %s: loaded, attached to %s, ring buffer read\n",
			       progs[i].name, progs[i].btf_name);
			verified++;
			continue;
		}
		if (r != -EPERM || progs[i].kind != BTF_KIND_FUNC) {
			printf("FAIL: %s: %s\n%s", progs[i].name, strerror(-r), last_log);
			failed = 1;
			continue;
		}
		printf("NOTE: %s: this host refuses fentry on %s to root (%s): a policy "
		       "of the host's, not the verifier's\n",
		       progs[i].name, progs[i].btf_name, strerror(-r));
		r = -ENOENT;
		for (size_t s = 0; s < sizeof(stand_ins) / sizeof(*stand_ins) && r < 0;
		     s++) {
			if (btf__find_by_name_kind(vmlinux, stand_ins[s], BTF_KIND_FUNC) <
			    0)
				continue;
			r = try_load(i, stand_ins[s], false);
			if (r == 0)
				printf("PASS: %s: verified and loaded against the stand-in %s\n",
				       progs[i].name, stand_ins[s]);
			else
				printf("NOTE: %s: stand-in %s: %s\n", progs[i].name,
				       stand_ins[s], strerror(-r));
		}
		if (r == 0)
			verified++;
		else
			printf("SKIP: %s: no stand-in function could be used either\n",
			       progs[i].name);
	}
	btf__free(vmlinux);
	if (failed)
		return 1;
	if (!verified) {
		printf("SKIP: no program could be checked on this host\n");
		return 77;
	}
	return 0;
}
