/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kdump readiness: see kdump.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdump.h"
#include "macro.h"
#include "util.h"

#define PATH_LOADED_NEW	 "sys/kernel/kexec/crash_loaded"
#define PATH_LOADED	 "sys/kernel/kexec_crash_loaded"
#define PATH_SIZE_NEW	 "sys/kernel/kexec/crash_size"
#define PATH_SIZE	 "sys/kernel/kexec_crash_size"
#define PATH_CMDLINE	 "proc/cmdline"
#define PATH_IOMEM	 "proc/iomem"
#define PATH_MEMINFO	 "proc/meminfo"
#define PATH_SYSCTL	 "proc/sys/kernel/"
#define PATH_SDEI_STATE	 "sys/kernel/sdei_nmi/state"
#define PATH_SDEI_REASON "sys/kernel/sdei_nmi/reason"
#define PATH_DPKG	 "var/lib/dpkg/status"
#define PATH_DEBIAN	 "etc/default/kdump-tools"
#define PATH_KDUMP_CONF	 "etc/kdump.conf"
#define PATH_SYSCONFIG	 "etc/sysconfig/kdump"

#define MIB (UINT64_C(1) << 20)

/* The capture kernel's base need (kdump.h), and Debian's defaults (kdump-config). */
#define BASE_NEED	     (128 * MIB)
#define BASE_NEED_LARGE_PAGE (256 * MIB)
#define DEBIAN_COREDIR	     "/var/crash"
#define DEBIAN_MAKEDUMP_ARGS "-F -c -d 31"
#define DEBIAN_APPEND                                                            \
	"reset_devices systemd.unit=kdump-tools-dump.service nr_cpus=1 irqpoll " \
	"usbcore.nousb"
#define RHEL_PATH      "/var/crash"
#define RHEL_COLLECTOR "makedumpfile -l --message-level 7 -d 31"

#define MAX_VALUE	 32	     /* a sysfs value: one line */
#define MAX_CONFIG	 (64 * 1024) /* bytes of a configuration file */
#define MAX_CONFIG_VALUE 255
#define MAX_KEXEC_CMD	 4095 /* bytes of kdump-config's record of its kexec command */
#define MAX_MEMINFO	 (16 * 1024)
#define MAX_VERSION	 63
#define MAX_DPKG_LINES	 (16 * 1024 * 1024)
#define EXEC_TIMEOUT_MS	 2000

static const char *const check_names[_SN_KDUMP_CHECK_MAX] = {
	[SN_KDUMP_CHECK_RESERVATION] = "reservation",
	[SN_KDUMP_CHECK_LOADED] = "loaded",
	[SN_KDUMP_CHECK_TOOLS] = "tools",
	[SN_KDUMP_CHECK_DUMP_CONFIG] = "dump-config",
	[SN_KDUMP_CHECK_PANIC] = "panic",
	[SN_KDUMP_CHECK_CAPTURE_CMDLINE] = "capture-cmdline",
	[SN_KDUMP_CHECK_SDEI_STOP] = "sdei-stop",
	[SN_KDUMP_CHECK_LAST_TEST] = "last-test",
};

static const char *const level_names[_SN_KDUMP_LEVEL_MAX] = { "ok", "warn", "fail" };
static const char *const status_names[_SN_KDUMP_STATUS_MAX] = { "ready", "degraded",
								"not-ready" };
static const char *const arch_names[_SN_KDUMP_ARCH_MAX] = { "host", "arm64", "x86_64",
							    "other" };

/* The panic policy's names, by bit, and the sysctl of each. */
static const char *const panic_names[] = { "hardlockup", "softlockup", "rcu-stall",
					   "hung-task" };
static const char *const panic_sysctls[] = { "hardlockup_panic", "softlockup_panic",
					     "panic_on_rcu_stall", "hung_task_panic" };

const char *sn_kdump_check_id_to_string(enum sn_kdump_check_id id)
{
	return (unsigned)id < _SN_KDUMP_CHECK_MAX ? check_names[id] : NULL;
}

const char *sn_kdump_level_to_string(enum sn_kdump_level l)
{
	return (unsigned)l < _SN_KDUMP_LEVEL_MAX ? level_names[l] : NULL;
}

const char *sn_kdump_status_to_string(enum sn_kdump_status s)
{
	return (unsigned)s < _SN_KDUMP_STATUS_MAX ? status_names[s] : NULL;
}

const char *sn_kdump_arch_to_string(enum sn_kdump_arch a)
{
	return a > SN_KDUMP_ARCH_HOST && (unsigned)a < _SN_KDUMP_ARCH_MAX ?
		       arch_names[a] :
		       NULL;
}

int sn_kdump_arch_from_string(const char *s, enum sn_kdump_arch *ret)
{
	if (strcmp(s, "arm64") == 0 || strcmp(s, "aarch64") == 0)
		*ret = SN_KDUMP_ARCH_ARM64;
	else if (strcmp(s, "x86_64") == 0)
		*ret = SN_KDUMP_ARCH_X86_64;
	else if (strcmp(s, "other") == 0)
		*ret = SN_KDUMP_ARCH_OTHER;
	else
		return -EINVAL;
	return 0;
}

int sn_kdump_panic_on_from_string(const char *s, unsigned *ret)
{
	unsigned mask = 0;

	if (strcmp(s, "none") == 0) {
		*ret = 0;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(s, ","), i;

		for (i = 0; i < ELEMENTSOF(panic_names); i++)
			if (strlen(panic_names[i]) == n &&
			    strncmp(s, panic_names[i], n) == 0)
				break;
		if (i == ELEMENTSOF(panic_names) || mask & (1u << i))
			return -EINVAL;
		mask |= 1u << i;
		if (!s[n])
			break;
		s += n + 1;
	}
	*ret = mask;
	return 0;
}

int sn_kdump_panic_on_to_string(unsigned mask, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0 || mask & ~SN_KDUMP_PANIC_ALL)
		return -EINVAL;
	buf[0] = '\0';
	if (!mask)
		return snprintf(buf, size, "none") < (int)size ? 0 : -ENOBUFS;
	for (size_t i = 0; i < ELEMENTSOF(panic_names); i++) {
		int n;

		if (!(mask & (1u << i)))
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? "," : "",
			     panic_names[i]);
		if (n < 0 || (size_t)n >= size - len)
			return -ENOBUFS;
		len += (size_t)n;
	}
	return 0;
}

void sn_kdump_options_init(struct sn_kdump_options *o)
{
	*o = (struct sn_kdump_options){
		.panic_on = SN_KDUMP_PANIC_HARDLOCKUP,
		.test_max_age_sec = SN_KDUMP_TEST_MAX_AGE_SEC,
	};
}

/* What the checks share while they run. */
struct ctx {
	int dfd;
	const char *root;
	struct sn_kdump_options o;
	struct sn_kdump *k;
	bool meminfo_ok;
	uint64_t mem_total, mem_free, cached, buffers, anon, shmem; /* bytes */
	bool sdei_active; /* arm64 and sys/kernel/sdei_nmi/state "active" */
	/* The capture kernel's command line from the dump configuration. */
	enum { APPEND_UNKNOWN, APPEND_DEBIAN_DEFAULT, APPEND_SET } append_kind;
	char append[MAX_KEXEC_CMD + 1]; /* or the whole command line, as loaded */
	char append_from[96];		/* where it came from, for the reason */
};

static void note_error(struct ctx *c, const char *path, int r)
{
	struct sn_kdump *k = c->k;

	if (r != -EACCES && r != -EPERM)
		return;
	for (size_t i = 0; i < k->n_denied; i++)
		if (strcmp(k->denied[i], path) == 0)
			return;
	if (k->n_denied == SN_KDUMP_MAX_DENIED)
		return;
	snprintf(k->denied[k->n_denied++], SN_KDUMP_MAX_PATH + 1, "/%s", path);
}

static void set_check(struct sn_kdump_check *ch, enum sn_kdump_level level,
		      const char *remedy, const char *fmt, ...) _printf_(4, 5);

static void set_check(struct sn_kdump_check *ch, enum sn_kdump_level level,
		      const char *remedy, const char *fmt, ...)
{
	va_list ap;

	ch->level = level;
	va_start(ap, fmt);
	vsnprintf(ch->reason, sizeof(ch->reason), fmt, ap);
	va_end(ap);
	snprintf(ch->remedy, sizeof(ch->remedy), "%s",
		 level == SN_KDUMP_OK ? "" : remedy);
}

/*
 * Reads the whole file at path under dfd into buf (size bytes, NUL-terminated); -EFBIG
 * when it holds size bytes or more; -EBADMSG when it holds a NUL.
 */
static int read_small(int dfd, const char *path, char *buf, size_t size, size_t *ret_len)
{
	_cleanup_(closep) int fd = -EBADF;
	size_t len;
	int r;

	fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = sn_read_fd(fd, buf, size, &len);
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	*ret_len = len;
	return 0;
}

static int read_tracked(struct ctx *c, const char *path, char *buf, size_t size,
			size_t *ret_len)
{
	int r = read_small(c->dfd, path, buf, size, ret_len);

	note_error(c, path, r);
	return r;
}

/* A decimal number on one line, as sysfs writes them. */
static int read_u64(struct ctx *c, const char *path, uint64_t *ret)
{
	char buf[MAX_VALUE + 1], *end;
	unsigned long long v;
	size_t len;
	int r;

	r = read_tracked(c, path, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len == 0 || !sn_is_digit(buf[0]) || (buf[0] == '0' && len > 1))
		return -EBADMSG;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end || errno == ERANGE)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* The newer path first (sys/kernel/kexec/, Linux 6.x), then the older. */
static int read_u64_either(struct ctx *c, const char *path_new, const char *path,
			   uint64_t *ret, const char **ret_path)
{
	int r = read_u64(c, path_new, ret);

	*ret_path = path_new;
	if (r != -ENOENT && r != -ENOTDIR)
		return r;
	*ret_path = path;
	return read_u64(c, path, ret);
}

/* The first line of a small text file, printable ASCII, without its newline. */
static int read_line(struct ctx *c, const char *path, char *buf, size_t size)
{
	size_t len;
	int r;

	r = read_tracked(c, path, buf, size, &len);
	if (r < 0)
		return r;
	buf[strcspn(buf, "\n")] = '\0';
	for (const char *p = buf; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return -EBADMSG;
	return 0;
}

/* The crashkernel= parameters of the command line. */
static int read_cmdline(struct ctx *c)
{
	char buf[SN_KDUMP_MAX_CMDLINE + 1];
	struct sn_kdump *k = c->k;
	const char *p;
	size_t len;
	int r;

	r = read_tracked(c, PATH_CMDLINE, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < len; i++)
		if ((buf[i] < 0x20 || buf[i] > 0x7e) && buf[i] != '\n' && buf[i] != '\t')
			return -EBADMSG;
	for (p = buf; *p;) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n > strlen("crashkernel=") && strncmp(p, "crashkernel=", 12) == 0 &&
		    k->n_params < SN_KDUMP_MAX_PARAMS) {
			size_t v = n - 12;

			if (v > SN_KDUMP_MAX_PARAM)
				v = SN_KDUMP_MAX_PARAM;
			memcpy(k->params[k->n_params], p + 12, v);
			k->params[k->n_params][v] = '\0';
			k->n_params++;
		}
		p += n;
	}
	return 0;
}

/* "%x-%x : name" after an indent of spaces; -EBADMSG otherwise. */
static int parse_iomem_line(const char *line, uint64_t *ret_start, uint64_t *ret_end,
			    const char **ret_name)
{
	const char *p = line + strspn(line, " ");
	uint64_t v[2];

	for (int i = 0; i < 2; i++) {
		size_t n = 0;

		v[i] = 0;
		for (; sn_hex_value(p[n]) >= 0; n++) {
			if (n == 16)
				return -EBADMSG;
			v[i] = v[i] << 4 | (uint64_t)sn_hex_value(p[n]);
		}
		if (n == 0)
			return -EBADMSG;
		p += n;
		if (*p++ != (i == 0 ? '-' : ' '))
			return -EBADMSG;
	}
	if (p[0] != ':' || p[1] != ' ' || !p[2])
		return -EBADMSG;
	*ret_start = v[0];
	*ret_end = v[1];
	*ret_name = p + 2;
	return 0;
}

static int read_iomem_file(int dfd, struct sn_kdump *k)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t cap = 0, lines = 0, n_ranges = 0;
	bool visible = false;
	uint64_t ram = 0, crash = 0;
	ssize_t n;
	int fd;

	fd = openat(dfd, PATH_IOMEM, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -errno;
	}
	errno = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		uint64_t start, end;
		const char *name;

		if (++lines > SN_KDUMP_MAX_IOMEM_LINES)
			return -EFBIG;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (strlen(line) != (size_t)n)
			return -EBADMSG;
		if (parse_iomem_line(line, &start, &end, &name) < 0 || end < start)
			return -EBADMSG;
		if (line[0] != ' ' && strcmp(name, "System RAM") == 0 && (start || end))
			ram += end - start + 1;
		if (strncmp(name, "Crash kernel", 12) != 0)
			continue;
		if (n_ranges < SN_KDUMP_MAX_RANGES)
			k->ranges[n_ranges++] = (struct sn_kdump_range){ start, end };
		visible = visible || start || end;
		if (start || end)
			crash += end - start + 1;
	}
	if (ferror(f))
		return errno > 0 ? -errno : -EIO;
	k->dumped_ram = ram > crash ? ram - crash : 0;
	k->n_ranges = n_ranges;
	k->ranges_hidden = n_ranges > 0 && !visible;
	return 0;
}

static int read_iomem(struct ctx *c)
{
	int r = read_iomem_file(c->dfd, c->k);

	note_error(c, PATH_IOMEM, r);
	return r;
}

/* MemTotal and the parts of it the dump size rule takes (kdump.h), in bytes. */
static int read_meminfo(struct ctx *c)
{
	static const char *const keys[] = { "MemTotal:", "MemFree:",   "Cached:",
					    "Buffers:",	 "AnonPages:", "Shmem:" };
	uint64_t *fields[] = { &c->mem_total, &c->mem_free, &c->cached,
			       &c->buffers,   &c->anon,	    &c->shmem };
	char buf[MAX_MEMINFO + 1];
	unsigned seen = 0;
	size_t len;
	int r;

	r = read_tracked(c, PATH_MEMINFO, buf, sizeof(buf), &len);
	if (r < 0)
		return r;
	for (char *p = buf; *p;) {
		char *eol = p + strcspn(p, "\n");
		char save = *eol;

		*eol = '\0';
		for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
			size_t n = strlen(keys[i]);
			unsigned long long v;
			char *end;

			if (strncmp(p, keys[i], n) != 0)
				continue;
			errno = 0;
			v = strtoull(p + n, &end, 10);
			if (end == p + n || errno == ERANGE || strcmp(end, " kB") != 0 ||
			    v > UINT64_MAX / 1024)
				return -EBADMSG;
			*fields[i] = v * 1024;
			seen |= 1u << i;
		}
		*eol = save;
		p = save ? eol + 1 : eol;
	}
	if (!(seen & 1))
		return -EBADMSG;
	c->meminfo_ok = true;
	return 0;
}

static uint64_t mib_up(uint64_t bytes)
{
	return bytes / MIB + (bytes % MIB != 0);
}

/* ---- reservation, loaded ---- */

static uint64_t estimate_need(const struct ctx *c, uint64_t *ret_base)
{
	uint64_t base = c->k->arch == SN_KDUMP_ARCH_ARM64 && c->o.page_size > 4096 ?
				BASE_NEED_LARGE_PAGE :
				BASE_NEED;
	uint64_t bitmap = 0;

	if (c->meminfo_ok)
		bitmap = 2 * ((c->mem_total / c->o.page_size + 7) / 8);
	*ret_base = base;
	return base + bitmap;
}

static void check_reservation(struct ctx *c, const char *size_path)
{
	struct sn_kdump *k = c->k;
	struct sn_kdump_check *ch = &k->checks[SN_KDUMP_CHECK_RESERVATION];
	char params[SN_KDUMP_MAX_PARAMS * (SN_KDUMP_MAX_PARAM + 14) + 1] = "";
	char remedy[SN_KDUMP_MAX_TEXT + 1];
	uint64_t need, base, reserved = 0, iomem = 0;
	bool known = false;

	for (size_t i = 0; i < k->n_params; i++) {
		size_t len = strlen(params);

		snprintf(params + len, sizeof(params) - len, "%scrashkernel=%s",
			 i ? " " : "", k->params[i]);
	}
	need = estimate_need(c, &base);
	snprintf(remedy, sizeof(remedy),
		 "reserve at least %" PRIu64 " MiB: crashkernel=%" PRIu64
		 "M on the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, "
		 "update-grub), then reboot",
		 mib_up(need), mib_up(need));

	if (!k->iomem_error && !k->ranges_hidden && k->n_ranges > 0) {
		for (size_t i = 0; i < k->n_ranges; i++)
			iomem += k->ranges[i].end - k->ranges[i].start + 1;
		reserved = iomem;
		known = true;
	} else if (!k->size_error) {
		reserved = k->size;
		known = true;
	}

	if (!known) {
		if (k->n_ranges > 0 || k->n_params > 0)
			set_check(
				ch, SN_KDUMP_WARN,
				"run as root to read /" PATH_IOMEM "'s addresses",
				"a reservation is there (%s%s\"Crash kernel\" x%zu in /%s) "
				"but its size cannot be read: /%s: %s",
				params, *params ? ", " : "", k->n_ranges, PATH_IOMEM,
				size_path, strerror(-k->size_error));
		else
			set_check(
				ch, SN_KDUMP_FAIL, remedy,
				"nothing reserved for a capture kernel as far as can be "
				"read (/%s: %s; no crashkernel=, no \"Crash kernel\" "
				"range)",
				size_path, strerror(-k->size_error));
		return;
	}
	if (reserved == 0) {
		if (k->n_params > 0)
			set_check(ch, SN_KDUMP_FAIL, remedy,
				  "%s is given but nothing is reserved (/%s is 0): the "
				  "kernel could not reserve it, see its log",
				  params, size_path);
		else
			set_check(ch, SN_KDUMP_FAIL, remedy,
				  "nothing reserved for a capture kernel (/%s is 0, no "
				  "crashkernel= on the command line)",
				  size_path);
		return;
	}
	if (reserved < need) {
		set_check(ch, SN_KDUMP_WARN, remedy,
			  "%" PRIu64
			  " MiB reserved (%s) is below the estimate of %" PRIu64
			  " MiB (%" PRIu64 " MiB + page bitmaps%s)",
			  reserved / MIB,
			  *params ? params : "no crashkernel=", mib_up(need), base / MIB,
			  c->meminfo_ok ? "" : "; MemTotal unknown");
		return;
	}
	set_check(ch, SN_KDUMP_OK, "",
		  "%" PRIu64 " MiB reserved (%s%s), estimate %" PRIu64 " MiB (%" PRIu64
		  " MiB + page bitmaps%s)",
		  reserved / MIB,
		  *params ? params : "no crashkernel=", iomem ? ", from /proc/iomem" : "",
		  mib_up(need), base / MIB, c->meminfo_ok ? "" : "; MemTotal unknown");
}

static void check_loaded(struct ctx *c, const char *loaded_path)
{
	struct sn_kdump *k = c->k;
	struct sn_kdump_check *ch = &k->checks[SN_KDUMP_CHECK_LOADED];
	const char *remedy = "load it: kdump-config load (Debian kdump-tools), kdumpctl "
			     "start (kexec-tools on RHEL), or kexec -p KERNEL "
			     "--initrd=INITRD --append=\"... nr_cpus=1\"; enable the "
			     "service so that it loads at boot";

	if (k->loaded_error == -ENOENT)
		set_check(
			ch, SN_KDUMP_FAIL,
			"boot a kernel built with CONFIG_CRASH_DUMP (CONFIG_KEXEC_CORE)",
			"this kernel has no crash dump support (no /%s)", PATH_LOADED);
	else if (k->loaded_error)
		set_check(ch, k->loaded_error == -EACCES ? SN_KDUMP_WARN : SN_KDUMP_FAIL,
			  "run as root", "cannot read /%s: %s", loaded_path,
			  strerror(-k->loaded_error));
	else if (!k->loaded)
		set_check(ch, SN_KDUMP_FAIL, remedy,
			  "no capture kernel is loaded (/%s is 0)", loaded_path);
	else
		set_check(ch, SN_KDUMP_OK, "", "a capture kernel is loaded (/%s is 1)",
			  loaded_path);
}

/* ---- tools ---- */

struct tool {
	const char *name;
	const char *package;	 /* Debian's */
	const char *version_arg; /* "--version"; makedumpfile's is -v */
	char path[40];		 /* "/usr/sbin/kexec"; "" when not found */
	char version[MAX_VERSION + 1];
};

static bool executable_at(struct ctx *c, const char *rel)
{
	struct stat st;

	if (fstatat(c->dfd, rel, &st, 0) < 0) {
		note_error(c, rel, -errno);
		return false;
	}
	return S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* The installed version of each package from dpkg's status file; -ENOENT without. */
static int dpkg_versions(struct ctx *c, struct tool *tools, size_t n_tools)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	char package[64] = "", version[MAX_VERSION + 1] = "";
	bool installed = false;
	size_t cap = 0, lines = 0;
	ssize_t n;
	int fd;

	fd = openat(c->dfd, PATH_DPKG, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		note_error(c, PATH_DPKG, -errno);
		return -errno;
	}
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -errno;
	}
	for (;;) {
		n = getline(&line, &cap, f);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n <= 0) { /* the end of a stanza, or of the file */
			for (size_t i = 0; i < n_tools && installed && *version; i++)
				if (strcmp(package, tools[i].package) == 0)
					snprintf(tools[i].version,
						 sizeof(tools[i].version), "%s", version);
			package[0] = version[0] = '\0';
			installed = false;
			if (n < 0)
				break;
			continue;
		}
		if (++lines > MAX_DPKG_LINES)
			return -EFBIG;
		if (strncmp(line, "Package: ", 9) == 0)
			snprintf(package, sizeof(package), "%s", line + 9);
		else if (strncmp(line, "Version: ", 9) == 0 &&
			 strlen(line + 9) <= MAX_VERSION)
			snprintf(version, sizeof(version), "%s", line + 9);
		else if (strncmp(line, "Status: ", 8) == 0)
			installed = n > 10 && strcmp(line + n - 10, " installed") == 0;
	}
	return ferror(f) ? -EIO : 0;
}

/* "PROG ARG"'s first line, run without a shell, at most EXEC_TIMEOUT_MS. */
static int exec_version(const char *path, const char *arg, char *buf, size_t size)
{
	char *const argv[] = { (char *)path, (char *)arg, NULL };
	char *const envp[] = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			       (char *)"LC_ALL=C", NULL };
	char out[256];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	_cleanup_(closep) int rfd = -EBADF;
	size_t len = 0;
	struct timespec start, now;
	int p[2], r, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	rfd = p[0];
	/* A group of its own: a timeout kills what it started too. */
	r = posix_spawnattr_init(&attr);
	if (r != 0) {
		close(p[1]);
		return -r;
	}
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0) {
		posix_spawnattr_destroy(&attr);
		close(p[1]);
		return -r;
	}
	r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	if (r == 0)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (r == 0)
		r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	if (r == 0)
		r = posix_spawn(&pid, path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(p[1]);
	if (r != 0)
		return -r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = { .fd = rfd, .events = POLLIN };
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = EXEC_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 +
					  (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			break;
		}
		if (r == 0)
			continue;
		n = read(rfd, out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(out) - 1) {
			r = 0;
			break;
		}
	}
	if (r < 0)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	for (char *q = out; *q; q++)
		if (*q < 0x20 || *q > 0x7e)
			*q = '?';
	if (!out[0])
		return -ENODATA;
	snprintf(buf, size, "%.*s", MAX_VERSION, out);
	return 0;
}

static void check_tools(struct ctx *c)
{
	static const char *const dirs[] = { "usr/sbin/", "sbin/", "usr/bin/", "bin/" };
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_TOOLS];
	struct tool tools[] = {
		{ .name = "kexec", .package = "kexec-tools", .version_arg = "--version" },
		{ .name = "makedumpfile",
		  .package = "makedumpfile",
		  .version_arg = "-v" },
	};
	char text[2][SN_KDUMP_MAX_TEXT / 2];
	const char *missing[2];
	size_t n_missing = 0;
	bool dpkg;

	for (size_t i = 0; i < ELEMENTSOF(tools); i++)
		for (size_t d = 0; d < ELEMENTSOF(dirs) && !tools[i].path[0]; d++) {
			char rel[32];

			snprintf(rel, sizeof(rel), "%s%s", dirs[d], tools[i].name);
			if (executable_at(c, rel))
				snprintf(tools[i].path, sizeof(tools[i].path), "/%s",
					 rel);
		}
	dpkg = dpkg_versions(c, tools, ELEMENTSOF(tools)) == 0;
	for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
		struct tool *t = &tools[i];

		if (!t->path[0]) {
			missing[n_missing++] = t->name;
			continue;
		}
		if (!t->version[0] && !dpkg && c->o.allow_exec &&
		    strcmp(c->root, "/") == 0)
			(void)exec_version(t->path, t->version_arg, t->version,
					   sizeof(t->version));
		snprintf(text[i], sizeof(text[i]), "%s %s (%s)", t->name, t->path,
			 t->version[0] ? t->version : "version unknown");
	}
	if (n_missing)
		set_check(ch, SN_KDUMP_FAIL,
			  "install them: apt-get install kexec-tools makedumpfile (or "
			  "kdump-tools, which brings both); dnf install kexec-tools",
			  "%s%s%s not found under /usr/sbin, /sbin, /usr/bin, /bin%s%s",
			  missing[0], n_missing > 1 ? " and " : "",
			  n_missing > 1 ? missing[1] : "", n_missing == 1 ? "; " : "",
			  n_missing == 1 ? text[tools[0].path[0] ? 0 : 1] : "");
	else
		set_check(ch, SN_KDUMP_OK, "", "%s; %s", text[0], text[1]);
}

/* ---- dump-config ---- */

/* A shell variable that a KEY=value file may set. */
struct shvar {
	const char *name;
	bool set;
	char value[MAX_CONFIG_VALUE + 1];
};

/*
 * One value of a shell assignment: unquoted, "double" (\", \\, \$, \` escapes) or
 * 'single' quoted parts, until unquoted white space; then nothing but a comment.
 * Expansions ($, `) are refused: they are not evaluated here.
 */
static int parse_shell_value(const char *p, char *out, size_t size, const char **ret_err)
{
	size_t len = 0;

	while (*p && *p != ' ' && *p != '\t') {
		char ch = *p++;

		if (ch == '\'') {
			while (*p && *p != '\'') {
				if (len + 1 >= size)
					return *ret_err = "value too long", -EBADMSG;
				out[len++] = *p++;
			}
			if (*p++ != '\'')
				return *ret_err = "unterminated quote", -EBADMSG;
			continue;
		}
		if (ch == '"') {
			while (*p && *p != '"') {
				ch = *p++;
				if (ch == '\\' && *p && strchr("\"\\$`", *p))
					ch = *p++;
				else if (ch == '$' || ch == '`')
					return *ret_err =
						       "shell expansion (not evaluated)",
					       -EBADMSG;
				if (len + 1 >= size)
					return *ret_err = "value too long", -EBADMSG;
				out[len++] = ch;
			}
			if (*p++ != '"')
				return *ret_err = "unterminated quote", -EBADMSG;
			continue;
		}
		if (ch == '\\' && *p)
			ch = *p++;
		else if (ch == '$' || ch == '`')
			return *ret_err = "shell expansion (not evaluated)", -EBADMSG;
		else if (strchr(";&|<>()", ch))
			return *ret_err = "shell syntax other than KEY=value", -EBADMSG;
		if (len + 1 >= size)
			return *ret_err = "value too long", -EBADMSG;
		out[len++] = ch;
	}
	out[len] = '\0';
	p += strspn(p, " \t");
	if (*p && *p != '#')
		return *ret_err = "more than one word (quote the value)", -EBADMSG;
	return 0;
}

/*
 * Reads a shell-style KEY=value file into vars (the others are ignored). -ENOENT and
 * such; -EBADMSG with the line and what is wrong in *ret_line, *ret_err.
 */
static int parse_shell_file(struct ctx *c, const char *path, struct shvar *vars,
			    size_t n_vars, unsigned *ret_line, const char **ret_err)
{
	char buf[MAX_CONFIG + 1];
	unsigned lineno = 0;
	size_t len;
	int r;

	r = read_tracked(c, path, buf, sizeof(buf), &len);
	if (r == -EBADMSG)
		*ret_line = 0, *ret_err = "holds a NUL byte";
	else if (r == -EFBIG)
		*ret_line = 0, *ret_err = "larger than 64 KiB";
	if (r < 0)
		return r;
	for (char *p = buf; *p;) {
		char *eol = p + strcspn(p, "\n"), *name;
		char value[MAX_CONFIG_VALUE + 1];
		size_t n;

		lineno++;
		*ret_line = lineno;
		if (*eol)
			*eol++ = '\0';
		for (const char *q = p; *q; q++)
			if ((*q < 0x20 || *q > 0x7e) && *q != '\t')
				return *ret_err = "a byte that is not printable ASCII",
				       -EBADMSG;
		p += strspn(p, " \t");
		if (!*p || *p == '#') {
			p = eol;
			continue;
		}
		if (strncmp(p, "export ", 7) == 0)
			p += 7 + strspn(p + 7, " \t");
		name = p;
		n = strspn(
			p,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789");
		if (n == 0 || sn_is_digit(*p) || p[n] != '=')
			return *ret_err = "not KEY=value", -EBADMSG;
		p[n] = '\0';
		r = parse_shell_value(p + n + 1, value, sizeof(value), ret_err);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n_vars; i++)
			if (strcmp(vars[i].name, name) == 0) {
				vars[i].set = true;
				memcpy(vars[i].value, value, sizeof(value));
			}
		p = eol;
	}
	return 0;
}

/* The collector's arguments: dump level (-d N, -dN, --dump-level[=]N), compression. */
static void parse_collector(const char *args, int *ret_level, bool *ret_compressed)
{
	char buf[MAX_CONFIG_VALUE + 1], *save = NULL, *tok;
	bool want_level = false;

	*ret_level = 0;
	*ret_compressed = false;
	snprintf(buf, sizeof(buf), "%s", args);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (want_level) {
			*ret_level = atoi(tok) & 31;
			want_level = false;
			continue;
		}
		if (strcmp(tok, "--dump-level") == 0) {
			want_level = true;
			continue;
		}
		if (strncmp(tok, "--dump-level=", 13) == 0) {
			*ret_level = atoi(tok + 13) & 31;
			continue;
		}
		if (tok[0] != '-' || tok[1] == '-')
			continue;
		for (const char *q = tok + 1; *q; q++) {
			if (strchr("clpz", *q))
				*ret_compressed = true;
			if (*q == 'd') {
				if (q[1])
					*ret_level = atoi(q + 1) & 31;
				else
					want_level = true;
				break;
			}
		}
	}
}

/* The dump's size, an upper bound (kdump.h). */
static uint64_t expected_dump(const struct ctx *c, int level)
{
	uint64_t drop = 0, all = c->mem_total;

	if (level & 16)
		drop += c->mem_free;
	if ((level & 6) == 6) {
		uint64_t cache = c->cached + c->buffers;

		drop += cache > c->shmem ? cache - c->shmem : 0;
	}
	if (level & 8)
		drop += c->anon;
	/*
	 * The dump covers all of System RAM but the capture kernel's: more than MemTotal,
	 * which leaves out what the kernel reserved at boot (its image, the page
	 * structures), all of it in the dump. MemTotal when the addresses are hidden.
	 */
	if (c->k->dumped_ram > all)
		all = c->k->dumped_ram;
	return drop < all ? all - drop : 0;
}

/* Free bytes of the file system of dir under the root, or of its nearest parent. */
static int free_space(struct ctx *c, const char *dir, uint64_t *ret, char *used,
		      size_t used_size)
{
	char rel[MAX_CONFIG_VALUE + 1];
	struct statvfs sv;

	if (c->o.free_space_set) {
		*ret = c->o.free_space;
		snprintf(used, used_size, "%s", dir);
		return 0;
	}
	snprintf(rel, sizeof(rel), "%s", dir + strspn(dir, "/"));
	for (;;) {
		_cleanup_(closep) int fd = -EBADF;
		char *slash;

		fd = *rel ? openat(c->dfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC) :
			    fcntl(c->dfd, F_DUPFD_CLOEXEC, 3);
		if (fd >= 0) {
			if (fstatvfs(fd, &sv) < 0)
				return -errno;
			*ret = (uint64_t)sv.f_bavail * sv.f_frsize;
			snprintf(used, used_size, "/%s", rel);
			return 0;
		}
		if (errno != ENOENT || !*rel)
			return -errno;
		slash = strrchr(rel, '/');
		if (slash)
			*slash = '\0';
		else
			rel[0] = '\0';
	}
}

static bool path_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *q = p; (q = strstr(q, "..")); q += 2)
		if ((q == p || q[-1] == '/') && (q[2] == '/' || !q[2]))
			return false;
	return true;
}

/* Local target: free space against the expected size. */
static void judge_space(struct ctx *c, struct sn_kdump_check *ch, const char *what,
			const char *dir, int level, bool compressed)
{
	char used[MAX_CONFIG_VALUE + 2];
	uint64_t avail = 0, expect;
	int r;

	if (!path_ok(dir)) {
		set_check(
			ch, SN_KDUMP_WARN, "give the dump directory as an absolute path",
			"%s; dump directory '%.64s' is not an absolute path without '..'",
			what, dir);
		return;
	}
	if (!c->meminfo_ok) {
		set_check(ch, SN_KDUMP_WARN, "check the free space of the dump directory",
			  "%s; dump size unknown (/%s unreadable)", what, PATH_MEMINFO);
		return;
	}
	r = free_space(c, dir, &avail, used, sizeof(used));
	if (r < 0) {
		set_check(ch, SN_KDUMP_WARN, "check the free space of the dump directory",
			  "%s; free space of %.64s not measured: %s", what, dir,
			  strerror(-r));
		return;
	}
	expect = expected_dump(c, level);
	if (avail >= expect)
		set_check(ch, SN_KDUMP_OK, "",
			  "%s; %" PRIu64 " MiB free on %.64s, dump at most %" PRIu64
			  " MiB uncompressed",
			  what, avail / MIB, used, mib_up(expect));
	else
		set_check(ch, compressed ? SN_KDUMP_WARN : SN_KDUMP_FAIL,
			  compressed ?
				  "free space, or move the dump to a larger file system "
				  "(the compressed dump is usually far smaller)" :
				  "free space, compress (makedumpfile -c, -l or -z) or "
				  "raise the dump level (-d 31)",
			  "%s; %" PRIu64 " MiB free on %.64s < dump of at most %" PRIu64
			  " MiB uncompressed",
			  what, avail / MIB, used, mib_up(expect));
}

/*
 * kdump-config keeps the command that loaded the capture kernel in
 * $KDUMP_COREDIR/kexec_cmd; its --command-line="..." is what the capture kernel got,
 * a better witness than the configuration, which may have changed since the load.
 */
static void read_loaded_cmdline(struct ctx *c, const char *coredir)
{
	static const char opt[] = "--command-line=\"";
	char rel[MAX_CONFIG_VALUE + 16], buf[MAX_KEXEC_CMD + 1];
	const char *p, *q;
	size_t len;

	if (!path_ok(coredir))
		return;
	snprintf(rel, sizeof(rel), "%s/kexec_cmd", coredir + strspn(coredir, "/"));
	if (read_tracked(c, rel, buf, sizeof(buf), &len) < 0)
		return;
	p = strstr(buf, opt);
	if (!p)
		return;
	p += strlen(opt);
	q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= sizeof(c->append))
		return;
	c->append_kind = APPEND_SET;
	snprintf(c->append, sizeof(c->append), "%.*s", (int)(q - p), p);
	snprintf(c->append_from, sizeof(c->append_from),
		 "the loaded command line (/%.64s)", rel);
}

static void check_debian(struct ctx *c, struct sn_kdump_check *ch)
{
	struct shvar v[] = { { .name = "USE_KDUMP" },
			     { .name = "KDUMP_COREDIR" },
			     { .name = "MAKEDUMP_ARGS" },
			     { .name = "KDUMP_CMDLINE_APPEND" },
			     { .name = "SSH" },
			     { .name = "NFS" },
			     { .name = "FTP" } };
	char what[SN_KDUMP_MAX_TEXT + 1];
	const char *err = "", *args, *coredir;
	unsigned line = 0;
	bool compressed;
	int r, level;

	r = parse_shell_file(c, PATH_DEBIAN, v, ELEMENTSOF(v), &line, &err);
	if (r == -EBADMSG || r == -EFBIG) {
		set_check(ch, SN_KDUMP_WARN, "fix the file: KEY=value lines and comments",
			  "/%s:%u: %s", PATH_DEBIAN, line, err);
		return;
	}
	if (r < 0) {
		set_check(ch, SN_KDUMP_WARN, "run as root", "cannot read /%s: %s",
			  PATH_DEBIAN, strerror(-r));
		return;
	}
	if (v[3].set) {
		c->append_kind = APPEND_SET;
		snprintf(c->append, sizeof(c->append), "%s", v[3].value);
	} else
		c->append_kind = APPEND_DEBIAN_DEFAULT;
	snprintf(c->append_from, sizeof(c->append_from), "KDUMP_CMDLINE_APPEND");
	read_loaded_cmdline(c, v[1].set ? v[1].value : DEBIAN_COREDIR);

	if (!v[0].set || strcmp(v[0].value, "0") == 0 || !v[0].value[0]) {
		set_check(ch, SN_KDUMP_FAIL,
			  "set USE_KDUMP=1 in /" PATH_DEBIAN ", then kdump-config load",
			  "kdump-tools is off: USE_KDUMP is %s in /%s",
			  v[0].set ? "0" : "not set", PATH_DEBIAN);
		return;
	}
	args = v[2].set ? v[2].value : DEBIAN_MAKEDUMP_ARGS;
	coredir = v[1].set ? v[1].value : DEBIAN_COREDIR;
	parse_collector(args, &level, &compressed);
	for (int i = 4; i < 7; i++)
		if (v[i].set && v[i].value[0]) {
			set_check(
				ch, SN_KDUMP_OK, "",
				"kdump-tools: %s target %.64s, makedumpfile %.48s (dump "
				"level %d); free space on the remote target not measured",
				v[i].name, v[i].value, args, level);
			return;
		}
	snprintf(what, sizeof(what),
		 "kdump-tools: %.64s, makedumpfile %.48s (dump level %d)", coredir, args,
		 level);
	judge_space(c, ch, what, coredir, level, compressed);
}

/* etc/kdump.conf: "directive value" lines. */
static void check_kdumpctl(struct ctx *c, struct sn_kdump_check *ch)
{
	static const char *const fs_types[] = { "ext2", "ext3",	 "ext4",
						"xfs",	"btrfs", "minix" };
	/* _REMOVE takes from the first kernel's command line, not from _APPEND. */
	struct shvar sv[] = { { .name = "KDUMP_COMMANDLINE_APPEND" } };
	char buf[MAX_CONFIG + 1], path[MAX_CONFIG_VALUE + 1] = RHEL_PATH;
	char collector[MAX_CONFIG_VALUE + 1] = RHEL_COLLECTOR, target[80] = "";
	char what[SN_KDUMP_MAX_TEXT + 1];
	bool remote = false, compressed;
	const char *err = "";
	unsigned lineno = 0, line = 0;
	size_t len;
	int r, level;

	r = parse_shell_file(c, PATH_SYSCONFIG, sv, ELEMENTSOF(sv), &line, &err);
	if (r == 0 && sv[0].set) {
		c->append_kind = APPEND_SET;
		snprintf(c->append, sizeof(c->append), "%s", sv[0].value);
		snprintf(c->append_from, sizeof(c->append_from),
			 "KDUMP_COMMANDLINE_APPEND");
	}

	r = read_tracked(c, PATH_KDUMP_CONF, buf, sizeof(buf), &len);
	if (r < 0) {
		set_check(ch, SN_KDUMP_WARN,
			  r == -EACCES ? "run as root" : "fix /" PATH_KDUMP_CONF,
			  "cannot read /%s: %s", PATH_KDUMP_CONF,
			  r == -EBADMSG ? "holds a NUL byte" : strerror(-r));
		return;
	}
	for (char *p = buf; *p;) {
		char *eol = p + strcspn(p, "\n"), *key, *val;
		size_t n;

		lineno++;
		if (*eol)
			*eol++ = '\0';
		for (const char *q = p; *q; q++)
			if ((*q < 0x20 || *q > 0x7e) && *q != '\t') {
				set_check(ch, SN_KDUMP_WARN, "fix /" PATH_KDUMP_CONF,
					  "/%s:%u: a byte that is not printable ASCII",
					  PATH_KDUMP_CONF, lineno);
				return;
			}
		p += strspn(p, " \t");
		if (!*p || *p == '#') {
			p = eol;
			continue;
		}
		key = p;
		n = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
		if (n == 0 || (p[n] != ' ' && p[n] != '\t')) {
			set_check(ch, SN_KDUMP_WARN, "fix /" PATH_KDUMP_CONF,
				  "/%s:%u: not \"directive value\"", PATH_KDUMP_CONF,
				  lineno);
			return;
		}
		p[n] = '\0';
		val = p + n + 1;
		val += strspn(val, " \t");
		n = strlen(val);
		while (n && (val[n - 1] == ' ' || val[n - 1] == '\t'))
			val[--n] = '\0';
		if (n == 0 || n > MAX_CONFIG_VALUE) {
			set_check(ch, SN_KDUMP_WARN, "fix /" PATH_KDUMP_CONF,
				  "/%s:%u: %s value for %s", PATH_KDUMP_CONF, lineno,
				  n ? "too long a" : "no", key);
			return;
		}
		if (strcmp(key, "path") == 0)
			snprintf(path, sizeof(path), "%s", val);
		else if (strcmp(key, "core_collector") == 0)
			snprintf(collector, sizeof(collector), "%s", val);
		else if (strcmp(key, "nfs") == 0 || strcmp(key, "ssh") == 0) {
			snprintf(target, sizeof(target), "%s %.60s", key, val);
			remote = true;
		} else if (strcmp(key, "raw") == 0)
			snprintf(target, sizeof(target), "raw %.60s", val);
		else
			for (size_t i = 0; i < ELEMENTSOF(fs_types); i++)
				if (strcmp(key, fs_types[i]) == 0)
					snprintf(target, sizeof(target), "%s %.60s", key,
						 val);
		p = eol;
	}
	if (strncmp(collector, "makedumpfile", 12) == 0)
		parse_collector(collector + 12, &level, &compressed);
	else
		level = 0, compressed = false;
	if (*target) {
		set_check(ch, SN_KDUMP_OK, "",
			  "kdumpctl: target %s, path %.48s, %.48s (dump level %d); free "
			  "space %s not measured",
			  target, path, collector, level,
			  remote ? "on the remote target" : "on the target device");
		return;
	}
	snprintf(what, sizeof(what), "kdumpctl: %.64s, %.64s (dump level %d)", path,
		 collector, level);
	judge_space(c, ch, what, path, level, compressed);
}

static void check_dump_config(struct ctx *c)
{
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_DUMP_CONFIG];
	struct stat st;

	if (fstatat(c->dfd, PATH_DEBIAN, &st, 0) == 0 || errno != ENOENT)
		check_debian(c, ch);
	else if (fstatat(c->dfd, PATH_KDUMP_CONF, &st, 0) == 0 || errno != ENOENT)
		check_kdumpctl(c, ch);
	else
		set_check(ch, SN_KDUMP_WARN,
			  "install and configure kdump-tools (Debian) or kexec-tools' "
			  "kdumpctl (RHEL)",
			  "no kdump-tools or kdumpctl configuration (/%s, /%s)",
			  PATH_DEBIAN, PATH_KDUMP_CONF);
}

/* ---- panic, capture-cmdline, sdei-stop ---- */

static void check_panic(struct ctx *c)
{
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_PANIC];
	char missing[160] = "", remedy[SN_KDUMP_MAX_TEXT + 1] = "", policy[64];
	char timeout[64];
	uint64_t v;
	int r;

	(void)sn_kdump_panic_on_to_string(c->o.panic_on, policy, sizeof(policy));
	for (size_t i = 0; i < ELEMENTSOF(panic_sysctls); i++) {
		char path[64];
		size_t len = strlen(missing), rlen = strlen(remedy);

		if (!(c->o.panic_on & (1u << i)))
			continue;
		snprintf(path, sizeof(path), PATH_SYSCTL "%s", panic_sysctls[i]);
		r = read_u64(c, path, &v);
		if (r == 0 && v != 0)
			continue;
		snprintf(missing + len, sizeof(missing) - len, "%skernel.%s %s",
			 len ? ", " : "", panic_sysctls[i],
			 r == 0	      ? "is 0" :
			 r == -ENOENT ? "is missing" :
					"unreadable");
		snprintf(remedy + rlen, sizeof(remedy) - rlen, "%skernel.%s=1",
			 rlen ? " " : "sysctl -w ", panic_sysctls[i]);
	}
	r = read_u64(c, PATH_SYSCTL "panic", &v);
	if (r == 0 && v == 0)
		snprintf(timeout, sizeof(timeout),
			 "kernel.panic=0 is fine with a capture kernel loaded");
	else if (r == 0)
		snprintf(timeout, sizeof(timeout), "kernel.panic=%" PRIu64, v);
	else
		snprintf(timeout, sizeof(timeout), "kernel.panic unreadable");
	if (*missing) {
		size_t rlen = strlen(remedy);

		snprintf(remedy + rlen, sizeof(remedy) - rlen,
			 " (and in /etc/sysctl.d/ to keep it); a missing one needs its "
			 "detector in the kernel");
		set_check(ch, SN_KDUMP_WARN, remedy, "policy %s: %s; %s", policy, missing,
			  timeout);
	} else
		set_check(ch, SN_KDUMP_OK, "", "policy %s: the stalls panic; %s", policy,
			  timeout);
}

/* Whether the command line has nr_cpus=1 or maxcpus=1. */
static bool has_one_cpu(const char *cmdline)
{
	static const char *const words[] = { "nr_cpus=1", "maxcpus=1" };

	for (size_t i = 0; i < ELEMENTSOF(words); i++) {
		size_t n = strlen(words[i]);

		for (const char *p = cmdline; (p = strstr(p, words[i])); p += n)
			if ((p == cmdline || p[-1] == ' ' || p[-1] == '\t') &&
			    (!p[n] || p[n] == ' ' || p[n] == '\t'))
				return true;
	}
	return false;
}

static void check_capture_cmdline(struct ctx *c)
{
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_CAPTURE_CMDLINE];
	const char *remedy =
		"add nr_cpus=1 to the capture kernel's command line "
		"(KDUMP_CMDLINE_APPEND in /etc/default/kdump-tools, or "
		"KDUMP_COMMANDLINE_APPEND in /etc/sysconfig/kdump), then reload";

	if (c->k->arch != SN_KDUMP_ARCH_ARM64) {
		set_check(ch, SN_KDUMP_OK, "", "not needed: no SDEI stops on %s",
			  sn_kdump_arch_to_string(c->k->arch));
		return;
	}
	if (!c->sdei_active) {
		set_check(
			ch, SN_KDUMP_OK, "",
			"not needed: the SDEI NMI service is not active, no CPU is parked "
			"by a stop");
		return;
	}
	switch (c->append_kind) {
	case APPEND_UNKNOWN:
		set_check(
			ch, SN_KDUMP_WARN, remedy,
			"unknown: no configuration gives the capture kernel's command "
			"line; CPUs parked by an SDEI stop cannot be brought back, it needs "
			"nr_cpus=1");
		break;
	case APPEND_DEBIAN_DEFAULT:
		set_check(
			ch, SN_KDUMP_OK, "",
			"KDUMP_CMDLINE_APPEND unset: kdump-tools' default has nr_cpus=1");
		break;
	case APPEND_SET:
		if (has_one_cpu(c->append))
			set_check(ch, SN_KDUMP_OK, "", "%s has nr_cpus=1: \"%.120s\"",
				  c->append_from, c->append);
		else
			set_check(
				ch, SN_KDUMP_WARN, remedy,
				"%s lacks nr_cpus=1 (\"%.100s\"): CPUs parked by an SDEI "
				"stop cannot be brought back with CPU_ON",
				c->append_from, c->append);
		break;
	}
}

static void check_sdei_stop(struct ctx *c, int state_error, const char *state)
{
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_SDEI_STOP];
	const char *why = "a CPU wedged with interrupts masked is not stopped: its "
			  "registers will be missing from the dump";
	char reason[SN_KDUMP_MAX_TEXT / 2];

	if (c->k->arch == SN_KDUMP_ARCH_X86_64) {
		set_check(ch, SN_KDUMP_OK, "", "the NMI stop is built in (x86_64)");
		return;
	}
	if (c->k->arch != SN_KDUMP_ARCH_ARM64) {
		set_check(ch, SN_KDUMP_OK, "", "not checked on this architecture");
		return;
	}
	if (state_error == -ENOENT) {
		set_check(ch, SN_KDUMP_WARN,
			  "boot a kernel with the SDEI NMI series (CONFIG_ARM_SDEI_NMI)",
			  "no /sys/kernel/sdei_nmi: %s", why);
		return;
	}
	if (state_error) {
		set_check(ch, SN_KDUMP_WARN, "run as root", "cannot read /%s: %s",
			  PATH_SDEI_STATE, strerror(-state_error));
		return;
	}
	if (c->sdei_active) {
		set_check(
			ch, SN_KDUMP_OK, "",
			"the SDEI NMI service is active: stops reach CPUs with interrupts "
			"masked");
		return;
	}
	if (read_line(c, PATH_SDEI_REASON, reason, sizeof(reason)) < 0 || !reason[0])
		snprintf(reason, sizeof(reason), "no reason given");
	set_check(ch, SN_KDUMP_WARN,
		  "see sdei-nmictl status; the service needs SDEI firmware (SDEI_SIGNAL)",
		  "the SDEI NMI service is %.16s (%s): %s", state, reason, why);
}

/* ---- last-test ---- */

/* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" as usec since the epoch. */
static int parse_utc(const char *s, uint64_t *ret)
{
	static const unsigned widths[] = { 4, 2, 2, 2, 2, 2 };
	struct tm tm = {};
	unsigned v[6];
	const char *seps = "--T::";
	time_t t;
	size_t pos = 0, frac = 0;
	uint64_t usec = 0;

	for (size_t i = 0; i < 6; i++) {
		v[i] = 0;
		for (unsigned w = 0; w < widths[i]; w++, pos++) {
			if (!sn_is_digit(s[pos]))
				return -EBADMSG;
			v[i] = v[i] * 10 + (unsigned)(s[pos] - '0');
		}
		if (i < 5 && s[pos++] != seps[i])
			return -EBADMSG;
	}
	if (s[pos] == '.') {
		for (pos++; sn_is_digit(s[pos]) && frac < 6; pos++, frac++)
			usec = usec * 10 + (uint64_t)(s[pos] - '0');
		if (frac == 0)
			return -EBADMSG;
		for (; frac < 6; frac++)
			usec *= 10;
	}
	if (s[pos] != 'Z' || s[pos + 1])
		return -EBADMSG;
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -EBADMSG;
	tm.tm_year = (int)v[0] - 1900;
	tm.tm_mon = (int)v[1] - 1;
	tm.tm_mday = (int)v[2];
	tm.tm_hour = (int)v[3];
	tm.tm_min = (int)v[4];
	tm.tm_sec = (int)v[5];
	t = timegm(&tm);
	if (t < 0)
		return -EBADMSG;
	*ret = (uint64_t)t * 1000000 + usec;
	return 0;
}

static bool printable(const char *s, size_t max)
{
	if (strlen(s) > max)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static uint64_t now_usec(const struct ctx *c)
{
	struct timespec ts;

	if (c->o.now_usec)
		return c->o.now_usec;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void check_last_test(struct ctx *c)
{
	struct sn_kdump_check *ch = &c->k->checks[SN_KDUMP_CHECK_LAST_TEST];
	const char *remedy = "test the capture path on a host that may crash (echo c > "
			     "/proc/sysrq-trigger), then sdei-nmictl kdump record-test "
			     "pass|fail";
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	const cJSON *time_j, *result, *note;
	char buf[4096], when[28], age[48];
	uint64_t t, now, days;
	size_t len;
	int r;

	r = read_tracked(c, SN_KDUMP_TEST_RECORD, buf, sizeof(buf), &len);
	if (r == -ENOENT) {
		set_check(ch, SN_KDUMP_OK, "", "no capture test recorded (/%s)",
			  SN_KDUMP_TEST_RECORD);
		return;
	}
	if (r < 0) {
		set_check(ch, SN_KDUMP_WARN, r == -EACCES ? "run as root" : remedy,
			  "cannot read /%s: %s", SN_KDUMP_TEST_RECORD, strerror(-r));
		return;
	}
	j = cJSON_ParseWithLength(buf, len);
	time_j = cJSON_GetObjectItemCaseSensitive(j, "time");
	result = cJSON_GetObjectItemCaseSensitive(j, "result");
	note = cJSON_GetObjectItemCaseSensitive(j, "note");
	if (!cJSON_IsObject(j) || !cJSON_IsString(time_j) || !cJSON_IsString(result) ||
	    (strcmp(result->valuestring, "pass") &&
	     strcmp(result->valuestring, "fail")) ||
	    (note && (!cJSON_IsString(note) ||
		      !printable(note->valuestring, SN_KDUMP_MAX_NOTE))) ||
	    parse_utc(time_j->valuestring, &t) < 0) {
		set_check(ch, SN_KDUMP_WARN, remedy,
			  "/%s is not a test record ({\"time\", \"result\", \"note\"})",
			  SN_KDUMP_TEST_RECORD);
		return;
	}
	now = now_usec(c);
	days = now > t ? (now - t) / (86400ull * 1000000) : 0;
	if (sn_format_utc(t, false, when) < 0)
		snprintf(when, sizeof(when), "?");
	when[19] = '\0'; /* to the second */
	snprintf(age, sizeof(age), "%" PRIu64 " day%s ago", days, days == 1 ? "" : "s");
	if (strcmp(result->valuestring, "fail") == 0)
		set_check(ch, SN_KDUMP_FAIL, remedy,
			  "the last capture test failed, %sZ (%s)%s%.100s", when, age,
			  note ? ": " : "", note ? note->valuestring : "");
	else if (c->o.test_max_age_sec && now > t &&
		 (now - t) / 1000000 > c->o.test_max_age_sec)
		set_check(ch, SN_KDUMP_WARN, remedy,
			  "the last capture test passed %sZ, %s: older than %" PRIu64
			  " days%s%.80s",
			  when, age, c->o.test_max_age_sec / 86400, note ? ": " : "",
			  note ? note->valuestring : "");
	else
		set_check(ch, SN_KDUMP_OK, "",
			  "the last capture test passed %sZ (%s)%s%.100s", when, age,
			  note ? ": " : "", note ? note->valuestring : "");
}

/* ---- the whole ---- */

static enum sn_kdump_arch host_arch(void)
{
	struct utsname u;
	enum sn_kdump_arch a;

	if (uname(&u) < 0 || sn_kdump_arch_from_string(u.machine, &a) < 0)
		return SN_KDUMP_ARCH_OTHER;
	return a;
}

int sn_kdump_read(const char *root, const struct sn_kdump_options *opts,
		  struct sn_kdump *ret)
{
	_cleanup_(closep) int dfd = -EBADF;
	struct sn_kdump k = {};
	struct ctx c = { .k = &k, .root = root };
	const char *loaded_path, *size_path;
	char state[32] = "";
	int state_error;
	uint64_t v;

	if (!root)
		return -EINVAL;
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	c.dfd = dfd;
	if (opts)
		c.o = *opts;
	else
		sn_kdump_options_init(&c.o);
	if (c.o.page_size == 0) {
		long ps = sysconf(_SC_PAGESIZE);

		c.o.page_size = ps > 0 ? (unsigned)ps : 4096;
	}
	k.arch = c.o.arch == SN_KDUMP_ARCH_HOST ||
				 (unsigned)c.o.arch >= _SN_KDUMP_ARCH_MAX ?
			 host_arch() :
			 c.o.arch;

	k.loaded_error =
		read_u64_either(&c, PATH_LOADED_NEW, PATH_LOADED, &v, &loaded_path);
	if (k.loaded_error == 0 && v > 1)
		k.loaded_error = -EBADMSG;
	k.loaded = k.loaded_error == 0 && v == 1;
	k.size_error = read_u64_either(&c, PATH_SIZE_NEW, PATH_SIZE, &k.size, &size_path);
	k.cmdline_error = read_cmdline(&c);
	k.iomem_error = read_iomem(&c);
	(void)read_meminfo(&c);
	state_error = k.arch == SN_KDUMP_ARCH_ARM64 ?
			      read_line(&c, PATH_SDEI_STATE, state, sizeof(state)) :
			      -ENOENT;
	c.sdei_active = state_error == 0 && strcmp(state, "active") == 0;

	check_reservation(&c, size_path);
	check_loaded(&c, loaded_path);
	check_tools(&c);
	check_dump_config(&c);
	check_panic(&c);
	check_capture_cmdline(&c);
	check_sdei_stop(&c, state_error, state);
	check_last_test(&c);

	k.status = SN_KDUMP_READY;
	for (size_t i = 0; i < _SN_KDUMP_CHECK_MAX; i++) {
		const struct sn_kdump_check *ch = &k.checks[i];

		if (ch->level == SN_KDUMP_FAIL)
			k.status = SN_KDUMP_NOT_READY;
		else if (ch->level == SN_KDUMP_WARN && k.status == SN_KDUMP_READY)
			k.status = SN_KDUMP_DEGRADED;
		if (ch->level != SN_KDUMP_OK && k.n_reasons < SN_KDUMP_MAX_REASONS)
			snprintf(k.reasons[k.n_reasons++], SN_KDUMP_MAX_REASON + 1,
				 "%s: %s", check_names[i], ch->reason);
	}
	k.ready = k.status != SN_KDUMP_NOT_READY;
	*ret = k;
	return 0;
}

int sn_kdump_test_record_write(const char *root, bool pass, const char *note,
			       uint64_t now_usec_arg)
{
	_cleanup_(cJSON_Deletep) cJSON *o = NULL;
	_cleanup_(freep) char *text = NULL, *path = NULL;
	char when[28];
	struct timespec ts;
	size_t n;
	int r;

	if (!root || (note && !printable(note, SN_KDUMP_MAX_NOTE)))
		return -EINVAL;
	if (!now_usec_arg) {
		clock_gettime(CLOCK_REALTIME, &ts);
		now_usec_arg =
			(uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	r = sn_format_utc(now_usec_arg, false, when);
	if (r < 0)
		return r;
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "time", when) ||
	    !cJSON_AddStringToObject(o, "result", pass ? "pass" : "fail") ||
	    (note && !cJSON_AddStringToObject(o, "note", note)))
		return -ENOMEM;
	text = cJSON_PrintUnformatted(o);
	if (!text || asprintf(&path, "%s/%s", root, SN_KDUMP_TEST_RECORD) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	/* The directories on the way: var/lib/sdei-nmi. */
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		r = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
		*p = '/';
		if (r < 0)
			return r;
	}
	n = strlen(text);
	text[n] = '\n';
	r = sn_write_file_atomic(path, text, n + 1, 0644);
	text[n] = '\0';
	return r;
}

/* ---- JSON ---- */

/* n strings of a 2D array: base, base + stride, ... */
static int add_text_array(cJSON *o, const char *key, const char *base, size_t n,
			  size_t stride)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(base + i * stride)))
			return -ENOMEM;
	return 0;
}

int sn_kdump_to_json(const struct sn_kdump *k, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	const char *arch = sn_kdump_arch_to_string(k->arch);
	cJSON *a;
	char buf[24];
	int r;

	if (!o || !cJSON_AddTrueToObject(o, "checked") ||
	    !cJSON_AddBoolToObject(o, "ready", k->ready))
		return -ENOMEM;
	if (arch) { /* a snapshot of sn_kdump_read(), not one of old */
		if (!sn_kdump_status_to_string(k->status))
			return -EINVAL;
		if (!cJSON_AddStringToObject(o, "status",
					     sn_kdump_status_to_string(k->status)) ||
		    !cJSON_AddStringToObject(o, "arch", arch))
			return -ENOMEM;
		a = cJSON_AddArrayToObject(o, "checks");
		if (!a)
			return -ENOMEM;
		for (size_t i = 0; i < _SN_KDUMP_CHECK_MAX; i++) {
			const struct sn_kdump_check *ch = &k->checks[i];
			cJSON *e = cJSON_CreateObject();

			if (!e || !cJSON_AddItemToArray(a, e))
				return cJSON_Delete(e), -ENOMEM;
			if (!sn_kdump_level_to_string(ch->level))
				return -EINVAL;
			if (!cJSON_AddStringToObject(e, "id", check_names[i]) ||
			    !cJSON_AddStringToObject(
				    e, "level", sn_kdump_level_to_string(ch->level)) ||
			    !cJSON_AddStringToObject(e, "reason",
						     ch->reason[0] ? ch->reason : "?") ||
			    (ch->remedy[0] &&
			     !cJSON_AddStringToObject(e, "remedy", ch->remedy)))
				return -ENOMEM;
		}
	}
	r = add_text_array(o, "reasons", k->reasons[0],
			   k->n_reasons < SN_KDUMP_MAX_REASONS ? k->n_reasons :
								 SN_KDUMP_MAX_REASONS,
			   sizeof(k->reasons[0]));
	if (r < 0)
		return r;
	if (k->n_denied) {
		r = add_text_array(o, "denied", k->denied[0],
				   k->n_denied < SN_KDUMP_MAX_DENIED ?
					   k->n_denied :
					   SN_KDUMP_MAX_DENIED,
				   sizeof(k->denied[0]));
		if (r < 0)
			return r;
	}
	if (!k->loaded_error && !cJSON_AddBoolToObject(o, "crash_loaded", k->loaded))
		return -ENOMEM;
	if (!k->size_error) {
		/* At most 2^53 - 1 as a JSON integer (I-JSON); no machine reserves more.
		 */
		if (k->size > (UINT64_C(1) << 53) - 1)
			return -ERANGE;
		snprintf(buf, sizeof(buf), "%" PRIu64, k->size);
		if (!cJSON_AddRawToObject(o, "crash_size", buf))
			return -ENOMEM;
	}
	if (!k->cmdline_error) {
		r = add_text_array(o, "crashkernel", k->params[0],
				   k->n_params < SN_KDUMP_MAX_PARAMS ?
					   k->n_params :
					   SN_KDUMP_MAX_PARAMS,
				   sizeof(k->params[0]));
		if (r < 0)
			return r;
	}
	if (!k->iomem_error) {
		snprintf(buf, sizeof(buf), "%zu", k->n_ranges);
		if (!cJSON_AddRawToObject(o, "iomem_crash_kernel", buf))
			return -ENOMEM;
		if (k->n_ranges > 0 && !k->ranges_hidden) {
			a = cJSON_AddArrayToObject(o, "iomem_crash_kernel_ranges");
			if (!a)
				return -ENOMEM;
			for (size_t i = 0; i < k->n_ranges && i < SN_KDUMP_MAX_RANGES;
			     i++) {
				cJSON *e = cJSON_CreateObject();

				if (!e || !cJSON_AddItemToArray(a, e))
					return cJSON_Delete(e), -ENOMEM;
				r = sn_json_add_hex(e, "start", k->ranges[i].start);
				if (r >= 0)
					r = sn_json_add_hex(e, "end", k->ranges[i].end);
				if (r < 0)
					return r;
			}
		}
	}
	*ret = TAKE_PTR(o);
	return 0;
}

static bool json_text(const cJSON *j, size_t max)
{
	if (!cJSON_IsString(j))
		return false;
	return j->valuestring[0] && printable(j->valuestring, max);
}

static bool json_count(const cJSON *j)
{
	return cJSON_IsNumber(j) && j->valuedouble >= 0 &&
	       j->valuedouble <= 9007199254740991.0 &&
	       j->valuedouble == (double)(uint64_t)j->valuedouble;
}

static bool json_hex(const cJSON *j)
{
	const char *s;

	if (!cJSON_IsString(j))
		return false;
	s = j->valuestring;
	if (strlen(s) != 18 || s[0] != '0' || s[1] != 'x')
		return false;
	for (size_t i = 2; i < 18; i++)
		if (!(sn_is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool json_text_array(const cJSON *j, int max_items, size_t max_len)
{
	if (!cJSON_IsArray(j) || cJSON_GetArraySize(j) > max_items)
		return false;
	for (const cJSON *c = j->child; c; c = c->next)
		if (!json_text(c, max_len))
			return false;
	return true;
}

static bool json_range(const cJSON *j)
{
	size_t n = 0;

	if (!cJSON_IsObject(j))
		return false;
	for (const cJSON *c = j->child; c; c = c->next, n++)
		if (!c->string ||
		    (strcmp(c->string, "start") != 0 && strcmp(c->string, "end") != 0) ||
		    !json_hex(c))
			return false;
	return n == 2 && cJSON_GetObjectItemCaseSensitive(j, "start") &&
	       cJSON_GetObjectItemCaseSensitive(j, "end");
}

static bool json_enum(const cJSON *j, const char *const *names, size_t n)
{
	if (!cJSON_IsString(j))
		return false;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(j->valuestring, names[i]) == 0)
			return true;
	return false;
}

/*
 * One check: id (lower case letters and '-', for checks of later versions too), level,
 * reason, remedy (optional).
 */
static bool json_check_entry(const cJSON *j)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	const cJSON *remedy = cJSON_GetObjectItemCaseSensitive(j, "remedy");
	size_t n = 0;

	if (!cJSON_IsObject(j))
		return false;
	for (const cJSON *c = j->child; c; c = c->next, n++)
		if (!c->string ||
		    (strcmp(c->string, "id") && strcmp(c->string, "level") &&
		     strcmp(c->string, "reason") && strcmp(c->string, "remedy")))
			return false;
	if (!json_text(id, 32) ||
	    strspn(id->valuestring, "abcdefghijklmnopqrstuvwxyz-") !=
		    strlen(id->valuestring) ||
	    !json_enum(cJSON_GetObjectItemCaseSensitive(j, "level"), level_names,
		       _SN_KDUMP_LEVEL_MAX) ||
	    !json_text(cJSON_GetObjectItemCaseSensitive(j, "reason"),
		       SN_KDUMP_MAX_TEXT) ||
	    (remedy && !json_text(remedy, SN_KDUMP_MAX_TEXT)))
		return false;
	return n == (remedy ? 4u : 3u);
}

int sn_kdump_json_check(const cJSON *j)
{
	static const char *const keys[] = { "checked",
					    "ready",
					    "reasons",
					    "crash_loaded",
					    "crash_size",
					    "crashkernel",
					    "iomem_crash_kernel",
					    "iomem_crash_kernel_ranges",
					    "status",
					    "arch",
					    "checks",
					    "denied" };
	unsigned seen = 0;
	const cJSON *v;

	if (!cJSON_IsObject(j))
		return -EBADMSG;
	for (const cJSON *c = j->child; c; c = c->next) {
		size_t k;

		for (k = 0;
		     k < ELEMENTSOF(keys) && (!c->string || strcmp(c->string, keys[k]));
		     k++)
			;
		if (k == ELEMENTSOF(keys) || seen & (1u << k))
			return -EBADMSG;
		seen |= 1u << k;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "checked");
	if (!cJSON_IsBool(v))
		return -EBADMSG;
	if (cJSON_IsFalse(v))
		return seen == 1 ? 0 : -EBADMSG;
	if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(j, "ready")) ||
	    !json_text_array(cJSON_GetObjectItemCaseSensitive(j, "reasons"),
			     SN_KDUMP_MAX_REASONS, SN_KDUMP_MAX_REASON))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "status")) &&
	    !json_enum(v, status_names, _SN_KDUMP_STATUS_MAX))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "arch")) &&
	    (!json_enum(v, arch_names, _SN_KDUMP_ARCH_MAX) ||
	     strcmp(v->valuestring, "host") == 0))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "checks"))) {
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 32)
			return -EBADMSG;
		for (const cJSON *c = v->child; c; c = c->next)
			if (!json_check_entry(c))
				return -EBADMSG;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "denied")) &&
	    !json_text_array(v, SN_KDUMP_MAX_DENIED, SN_KDUMP_MAX_PATH + 1))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "crash_loaded")) && !cJSON_IsBool(v))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "crash_size")) && !json_count(v))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "crashkernel")) &&
	    !json_text_array(v, SN_KDUMP_MAX_PARAMS, SN_KDUMP_MAX_PARAM))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "iomem_crash_kernel")) &&
	    !json_count(v))
		return -EBADMSG;
	if ((v = cJSON_GetObjectItemCaseSensitive(j, "iomem_crash_kernel_ranges"))) {
		int n = cJSON_GetArraySize(v);

		if (!cJSON_IsArray(v) || n < 1 || n > SN_KDUMP_MAX_RANGES)
			return -EBADMSG;
		for (const cJSON *c = v->child; c; c = c->next)
			if (!json_range(c))
				return -EBADMSG;
	}
	return 0;
}
