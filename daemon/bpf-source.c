/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf-source.h"
#include "log.h"

#if SDEI_NMI_BPF

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf-event.h"
#include "bpf-pins.h"
#include "bt-caller.h"
#include "kallsyms.h"
#include "stalls.skel.h"

#define BTF_PATH      "/sys/kernel/btf/vmlinux"
#define KALLSYMS_PATH "/proc/kallsyms"

enum {
	PROG_RCU_STALL,
	PROG_HUNG_TASK,
	PROG_BACKTRACE,
	_PROG_MAX,
};

/* What each program attaches to, as the kernel's BTF names it. */
static const struct {
	const char *name; /* the program's */
	const char *what;
	const char *btf_name;
	int btf_kind;
} targets[_PROG_MAX] = {
	[PROG_RCU_STALL] = { "rcu_stall_warning", "tracepoint rcu_stall_warning",
			     "btf_trace_rcu_stall_warning", BTF_KIND_TYPEDEF },
	[PROG_HUNG_TASK] = { "sched_process_hang", "tracepoint sched_process_hang",
			     "btf_trace_sched_process_hang", BTF_KIND_TYPEDEF },
	[PROG_BACKTRACE] = { "backtrace_request", "fentry arch_trigger_cpumask_backtrace",
			     "arch_trigger_cpumask_backtrace", BTF_KIND_FUNC },
};

/* Events waiting for the kernel log's clock (bpf-source.h). */
#define PENDING_MAX 64

struct bpf_source {
	struct manager *manager;
	struct stalls_bpf *skel;
	struct bpf_link *links[_PROG_MAX];
	struct ring_buffer *rb;
	sd_event_source *io, *timer, *clock_wait;
	size_t n_pending;
	struct sn_bpf_event *pending; /* PENDING_MAX */
	struct sn_ksyms *ksyms;
	uint64_t dropped; /* the program's count, last seen */
	uint64_t malformed;
	char why_not[_PROG_MAX]
		    [128]; /* per program: why it does not run; "" if it does */
	char description[192];
};

static struct bpf_program *prog_of(struct stalls_bpf *skel, unsigned i)
{
	switch (i) {
	case PROG_RCU_STALL:
		return skel->progs.rcu_stall_warning;
	case PROG_HUNG_TASK:
		return skel->progs.sched_process_hang;
	default:
		return skel->progs.backtrace_request;
	}
}

__attribute__((format(printf, 2, 0))) static int libbpf_log(enum libbpf_print_level level,
							    const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;

	if (log_get_max_level() < LOG_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_debug("libbpf: %s", buf);
	return 0;
}

struct bpf_source *bpf_source_free(struct bpf_source *s)
{
	if (!s)
		return NULL;
	sd_event_source_disable_unref(s->io);
	sd_event_source_disable_unref(s->timer);
	sd_event_source_disable_unref(s->clock_wait);
	free(s->pending);
	ring_buffer__free(s->rb);
	for (unsigned i = 0; i < _PROG_MAX; i++)
		bpf_link__destroy(s->links[i]);
	stalls_bpf__destroy(s->skel);
	sn_ksyms_free(s->ksyms);
	free(s);
	return NULL;
}

const char *bpf_source_describe(const struct bpf_source *s)
{
	return s->description;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * The timer at the incidents' next deadline (the kernel log's clock, the timer's
 * CLOCK_MONOTONIC): the kernel log may have none running.
 */
static int arm_timer(struct bpf_source *s)
{
	uint64_t d = sn_incidents_next_deadline(s->manager->incidents);
	int r;

	if (!d || !s->manager->live_clock)
		return sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	d = sn_kclock_to_monotonic(&s->manager->kclock, d);
	r = sd_event_source_set_time(s->timer, d >= UINT64_MAX - 1 ? UINT64_MAX - 1 : d);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct bpf_source *s = userdata;
	int r;

	r = manager_tick(s->manager, sn_kclock_to_log(&s->manager->kclock, now_usec()));
	if (r < 0)
		log_warning_errno(r, "Failed to close incidents: %m, ignoring");
	if (arm_timer(s) < 0)
		log_warning("Failed to arm the BPF source's timer, ignoring.");
	return 0;
}

static void log_event(const struct bpf_source *s, const struct sn_bpf_event *ev,
		      const struct sn_incident_signal *sig)
{
	char cpus[128] = "";

	switch (ev->type) {
	case SN_BPF_EVENT_RCU_STALL:
		log_info("BPF: %s RCU stall warning (%s) on CPU %" PRIu32 ".",
			 ev->rcu.rcuname, ev->rcu.msg, ev->cpu);
		break;
	case SN_BPF_EVENT_HUNG_TASK:
		log_info("BPF: hung task %s (pid %" PRIu32 ")%s.", ev->hang.comm,
			 ev->hang.pid, ev->hang.iowait ? " in I/O wait" : "");
		break;
	case SN_BPF_EVENT_BACKTRACE:
		if (sn_cpu_set_format(&ev->backtrace.targets, cpus, sizeof(cpus)) < 0)
			snprintf(cpus, sizeof(cpus), "(many)");
		log_info("BPF: backtrace request from CPU %" PRIu32
			 " for CPUs %s: %s%s%s%s.",
			 ev->cpu, cpus, sn_bt_caller_to_string(sig->trigger->caller),
			 sig->trigger->function[0] ? " (" : "", sig->trigger->function,
			 sig->trigger->function[0] ? ")" : "");
		if (ev->backtrace.stack_error)
			log_debug_errno(ev->backtrace.stack_error,
					"BPF: no stack for the backtrace request: %m");
		/* the stack, for the classifier's table (bt-caller.c) */
		for (size_t i = 0; i < ev->backtrace.n_frames; i++) {
			const struct sn_ksym *k =
				sn_ksyms_lookup(s->ksyms, ev->backtrace.frames[i]);

			log_debug("BPF:   #%zu 0x%016" PRIx64 " %s", i,
				  ev->backtrace.frames[i], k ? k->name : "");
		}
		break;
	}
}

/* An event into the incidents, its time in the kernel log's clock when that is live. */
static void add_event(struct bpf_source *s, struct sn_bpf_event *ev)
{
	struct manager *m = s->manager;
	struct sn_incident_trigger trigger;
	struct sn_incident_signal sig;
	int r;

	if (m->live_clock)
		ev->ts_usec = sn_kclock_to_log(&m->kclock, ev->ts_usec);
	sn_bpf_event_to_signal(ev, s->ksyms, &sig, &trigger);
	log_event(s, ev, &sig);
	r = sn_incidents_add_signal(m->incidents, &sig);
	if (r < 0)
		log_warning_errno(
			r, "Failed to add a BPF event to the incidents: %m, ignoring");
}

/* The events that waited for the kernel log's clock, in their order. */
static void add_pending(struct bpf_source *s)
{
	if (!s->n_pending)
		return;
	if (!s->manager->kclock.known)
		log_debug(
			"BPF: the kernel log's clock is not known yet, taking %zu event(s) "
			"as CLOCK_MONOTONIC.",
			s->n_pending);
	for (size_t i = 0; i < s->n_pending; i++)
		add_event(s, &s->pending[i]);
	s->n_pending = 0;
	(void)sd_event_source_set_enabled(s->clock_wait, SD_EVENT_OFF);
}

static int on_clock_wait(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct bpf_source *s = userdata;

	add_pending(s);
	if (arm_timer(s) < 0)
		log_warning("Failed to arm the BPF source's timer, ignoring.");
	return 0;
}

/* One record of the ring buffer: never stops the consumption (a negative return would).
 */
static int on_record(void *ctx, void *data, size_t size)
{
	struct bpf_source *s = ctx;
	struct manager *m = s->manager;
	struct sn_bpf_event ev;
	int r;

	r = sn_bpf_event_parse(data, size, &ev);
	if (r < 0) {
		s->malformed++;
		log_debug_errno(r, "BPF: dropped a record of %zu bytes: %m", size);
		return 0;
	}
	m->counters.bpf_events++;
	/* live, the kernel log running, its clock not learned yet: wait for it */
	if (m->live_clock && m->kmsg && !m->kclock.known) {
		if (s->n_pending == PENDING_MAX)
			add_pending(s);
		if (s->n_pending == 0 &&
		    (sd_event_source_set_time_relative(s->clock_wait,
						       BPF_SOURCE_CLOCK_WAIT_USEC) < 0 ||
		     sd_event_source_set_enabled(s->clock_wait, SD_EVENT_ONESHOT) < 0))
			log_warning(
				"Failed to arm the BPF source's clock wait, ignoring.");
		s->pending[s->n_pending++] = ev;
		return 0;
	}
	add_pending(s);
	add_event(s, &ev);
	return 0;
}

/* The records the program could not write (ring buffer full). */
static void check_dropped(struct bpf_source *s)
{
	uint64_t d = __atomic_load_n(&s->skel->bss->dropped, __ATOMIC_RELAXED);

	if (d == s->dropped)
		return;
	log_warning("BPF: %" PRIu64 " event(s) lost, the ring buffer was full.",
		    d - s->dropped);
	s->manager->counters.bpf_lost += d - s->dropped;
	s->dropped = d;
}

int bpf_source_drain(struct bpf_source *s)
{
	int r;

	if (!s)
		return 0;
	if (s->manager->kclock.known)
		add_pending(s);
	r = ring_buffer__consume(s->rb);
	check_dropped(s);
	if (r < 0)
		return log_warning_errno(r, "Failed to read the BPF ring buffer: %m");
	if (arm_timer(s) < 0)
		log_warning("Failed to arm the BPF source's timer, ignoring.");
	return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata)
{
	(void)bpf_source_drain(userdata);
	return 0;
}

static void set_why_not(struct bpf_source *s, unsigned i, int error, const char *what)
{
	if (error < 0)
		snprintf(s->why_not[i], sizeof(s->why_not[i]), "%s: %s", what,
			 strerror(-error));
	else
		snprintf(s->why_not[i], sizeof(s->why_not[i]), "%s", what);
}

/* Opens and loads the skeleton with the programs of want; -errno from libbpf. */
static int load(const bool want[_PROG_MAX], struct stalls_bpf **ret)
{
	struct stalls_bpf *skel;
	int r;

	skel = stalls_bpf__open();
	if (!skel)
		return -errno;
	/* the settings, between open and load */
	skel->rodata->capture_stack = want[PROG_BACKTRACE];
	for (unsigned i = 0; i < _PROG_MAX; i++)
		bpf_program__set_autoload(prog_of(skel, i), want[i]);
	r = stalls_bpf__load(skel);
	if (r < 0) {
		stalls_bpf__destroy(skel);
		return r;
	}
	*ret = skel;
	return 0;
}

/*
 * /proc/kallsyms names nothing: the backtrace requests' callers (bt-caller.h) cannot be
 * told apart, so their program is left out. Said at once, as a warning of its own: it
 * costs a feature without failing anything, and the usual cause is the service's
 * sandbox (ProtectKernelTunables= masks the file) or its capabilities (CAP_SYSLOG).
 */
static void kallsyms_lost(struct bpf_source *s, int error, const char *why)
{
	const char *hint = "";

	if (error == -EACCES || error == -EPERM)
		hint = " (masked for this process: a unit's ProtectKernelTunables= or "
		       "InaccessiblePaths= does it)";
	if (error < 0) {
		set_why_not(s, PROG_BACKTRACE, error, "cannot read " KALLSYMS_PATH);
		log_warning_errno(
			error,
			"BPF source: cannot read " KALLSYMS_PATH ": %m%s. The "
			"callers of backtrace requests (SysRq-l, the lockup and "
			"stall detectors) cannot be named: their program is left "
			"out.",
			hint);
		return;
	}
	snprintf(s->why_not[PROG_BACKTRACE], sizeof(s->why_not[PROG_BACKTRACE]),
		 KALLSYMS_PATH " %s, callers unknown", why);
	log_warning("BPF source: " KALLSYMS_PATH " %s. The callers of backtrace requests "
		    "(SysRq-l, the lockup and stall detectors) cannot be named: their "
		    "program is left out.",
		    why);
}

/*
 * Which programs the running kernel has a target for (its BTF), and whether the
 * backtrace requests' callers can be named (kallsyms): what is not is left out.
 */
static int check_targets(struct bpf_source *s, bool want[_PROG_MAX], char *reason,
			 size_t reason_size)
{
	struct btf *vmlinux;
	const char *why;
	int r;

	if (access(BTF_PATH, R_OK) < 0) {
		r = -errno;
		snprintf(reason, reason_size,
			 "no kernel BTF at %s (CONFIG_DEBUG_INFO_BTF): %s", BTF_PATH,
			 strerror(-r));
		return r;
	}
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		r = -errno;
		snprintf(reason, reason_size, "cannot read the kernel BTF at %s: %s",
			 BTF_PATH, strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < _PROG_MAX; i++) {
		want[i] = btf__find_by_name_kind(vmlinux, targets[i].btf_name,
						 targets[i].btf_kind) > 0;
		if (!want[i])
			set_why_not(s, i, 0, "not in the kernel's BTF");
	}
	btf__free(vmlinux);

	if (!want[PROG_BACKTRACE])
		return 0;
	size_t n;
	const char *const *names = sn_bt_caller_symbols(&n);

	r = sn_ksyms_read(KALLSYMS_PATH, names, n, &s->ksyms);
	if (r < 0)
		kallsyms_lost(s, r, NULL);
	else if ((why = sn_ksyms_unusable(s->ksyms)))
		kallsyms_lost(s, 0, why);
	/* unclassified requests would be incidents of their own: leave them out */
	want[PROG_BACKTRACE] = !s->why_not[PROG_BACKTRACE][0];
	return 0;
}

/*
 * Loads what the kernel takes: all the wanted programs at once, or when that fails,
 * each alone to tell which one it refuses, then those together.
 */
static int load_what_loads(struct bpf_source *s, bool want[_PROG_MAX])
{
	unsigned n = 0;
	int r, first;

	for (unsigned i = 0; i < _PROG_MAX; i++)
		n += want[i];
	if (n == 0)
		return -ENOENT;
	first = r = load(want, &s->skel);
	if (r >= 0)
		return 0;
	if (n > 1)
		for (unsigned i = 0; i < _PROG_MAX; i++) {
			bool alone[_PROG_MAX] = {};
			struct stalls_bpf *skel;

			if (!want[i])
				continue;
			alone[i] = true;
			r = load(alone, &skel);
			if (r >= 0) {
				stalls_bpf__destroy(skel);
				continue;
			}
			want[i] = false;
			set_why_not(s, i, r, "refused");
		}
	else
		for (unsigned i = 0; i < _PROG_MAX; i++)
			if (want[i]) {
				want[i] = false;
				set_why_not(s, i, r, "refused");
			}
	for (unsigned i = n = 0; i < _PROG_MAX; i++)
		n += want[i];
	if (n == 0)
		return first;
	return load(want, &s->skel);
}

/* head, then each program's reason: "...: rcu_stall_warning: ...; ...", cut to size. */
static void summarize(const struct bpf_source *s, const char *head, char *reason,
		      size_t reason_size)
{
	size_t at = (size_t)snprintf(reason, reason_size, "%s", head);
	const char *sep = " (";

	for (unsigned i = 0; i < _PROG_MAX && at < reason_size; i++) {
		if (!s->why_not[i][0])
			continue;
		at += (size_t)snprintf(reason + at, reason_size - at, "%s%s: %s", sep,
				       targets[i].name, s->why_not[i]);
		sep = "; ";
	}
	if (at < reason_size && *sep == ';')
		snprintf(reason + at, reason_size - at, ")");
}

/*
 * The pins an earlier sdei-nmid of this boot left (bpf_source_pin()): those of the
 * programs attached now go, which detaches them without turning their hooks off
 * (bpf-pins.h: what waits for every CPU is turning a hook off); the others stay, for
 * manager.c to mention.
 */
static void remove_earlier_pins(struct bpf_source *s, const char *dir)
{
	_cleanup_(closep) int fd = -EBADF;
	const char *names[_PROG_MAX];
	unsigned n = 0, removed = 0;
	int r;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			log_warning_errno(
				-errno, "BPF source: cannot open %s: %m, ignoring", dir);
		return;
	}
	for (unsigned i = 0; i < _PROG_MAX; i++)
		if (s->links[i])
			names[n++] = targets[i].name;
	r = sn_bpf_pins_remove(fd, names, n, &removed, NULL);
	if (removed > 0)
		log_notice("BPF source: removed %u program(s) an earlier sdei-nmid left "
			   "attached in %s: ours run on the same hooks now, so removing "
			   "them turned none off.",
			   removed, dir);
	if (r < 0)
		log_warning_errno(
			r,
			"BPF source: failed to remove the earlier pins in %s: %m, "
			"ignoring",
			dir);
}

int bpf_source_new(struct manager *m, struct bpf_source **ret, char *reason,
		   size_t reason_size)
{
	_cleanup_(bpf_source_freep) struct bpf_source *s = NULL;
	bool want[_PROG_MAX] = {};
	unsigned attached = 0;
	size_t at;
	int r;

	libbpf_set_print(libbpf_log);
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(reason, reason_size, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	s->manager = m;

	r = check_targets(s, want, reason, reason_size);
	if (r < 0)
		return r;
	r = load_what_loads(s, want);
	if (r < 0) {
		summarize(s,
			  r == -EPERM ? "no program loads, CAP_BPF and CAP_PERFMON are "
					"needed" :
					"no program loads",
			  reason, reason_size);
		return r;
	}

	for (unsigned i = 0; i < _PROG_MAX; i++) {
		if (!want[i])
			continue;
		s->links[i] = bpf_program__attach(prog_of(s->skel, i));
		if (!s->links[i]) {
			r = -errno;
			set_why_not(s, i, r, "cannot attach");
			continue;
		}
		attached++;
	}
	if (attached == 0) {
		summarize(s, "no program attaches", reason, reason_size);
		return r < 0 ? r : -ENOENT;
	}

	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_record, s, NULL);
	if (!s->rb) {
		r = -errno;
		snprintf(reason, reason_size, "cannot set up the ring buffer: %s",
			 strerror(-r));
		return r;
	}
	r = sd_event_add_io(m->event, &s->io, ring_buffer__epoll_fd(s->rb), EPOLLIN,
			    on_io, s);
	if (r >= 0)
		/* before the kernel log when both are ready: a signal precedes its lines
		 */
		r = sd_event_source_set_priority(s->io, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_add_time(m->event, &s->timer, CLOCK_MONOTONIC,
				      UINT64_MAX - 1, 0, on_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
	if (r >= 0)
		r = sd_event_add_time_relative(m->event, &s->clock_wait, CLOCK_MONOTONIC,
					       BPF_SOURCE_CLOCK_WAIT_USEC, 0,
					       on_clock_wait, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->clock_wait, SD_EVENT_OFF);
	if (r >= 0 && !(s->pending = calloc(PENDING_MAX, sizeof(*s->pending))))
		r = -ENOMEM;
	if (r < 0) {
		snprintf(reason, reason_size, "cannot watch the ring buffer: %s",
			 strerror(-r));
		return r;
	}

	at = (size_t)snprintf(s->description, sizeof(s->description), "bpf (");
	for (unsigned i = 0, k = 0; i < _PROG_MAX; i++) {
		if (s->links[i])
			at += (size_t)snprintf(s->description + at,
					       sizeof(s->description) - at, "%s%s",
					       k++ ? ", " : "", targets[i].name);
		else
			log_warning("BPF source: %s (%s) not running: %s.",
				    targets[i].name, targets[i].what, s->why_not[i]);
		if (at >= sizeof(s->description))
			break;
	}
	if (at < sizeof(s->description))
		snprintf(s->description + at, sizeof(s->description) - at, ")");
	remove_earlier_pins(s, BPF_SOURCE_PIN_DIR);
	*ret = TAKE_PTR(s);
	return 0;
}

int bpf_source_pin(struct bpf_source *s, const char *dir)
{
	char path[256];
	unsigned pinned = 0;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	for (unsigned i = 0; i < _PROG_MAX; i++) {
		char name[SN_BPF_PIN_NAME_MAX];

		if (!s->links[i])
			continue;
		r = sn_bpf_pin_name(getpid(), targets[i].name, name, sizeof(name));
		if (r < 0)
			return r;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		r = bpf_link__pin(s->links[i], path);
		if (r < 0)
			return r;
		pinned++;
	}
	log_notice("BPF source: %u program(s) left attached, pinned in %s: detaching "
		   "waits for every CPU, and a wedged one never answers. The next start "
		   "removes them once its own programs run (or remove them once the CPU "
		   "is back; they go at reboot).",
		   pinned, dir);
	return 0;
}

#else /* !SDEI_NMI_BPF */

struct bpf_source {
	int unused;
};

int bpf_source_new(struct manager *m, struct bpf_source **ret, char *reason,
		   size_t reason_size)
{
	snprintf(reason, reason_size,
		 "sdei-nmid was built without it (clang, bpftool or libbpf missing)");
	return -EOPNOTSUPP;
}

struct bpf_source *bpf_source_free(struct bpf_source *s)
{
	free(s);
	return NULL;
}

int bpf_source_drain(struct bpf_source *s)
{
	return 0;
}

int bpf_source_pin(struct bpf_source *s, const char *dir)
{
	return -EOPNOTSUPP;
}

const char *bpf_source_describe(const struct bpf_source *s)
{
	return "bpf";
}

#endif
