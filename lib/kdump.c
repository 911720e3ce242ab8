/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kdump readiness: see kdump.h. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdump.h"
#include "macro.h"
#include "util.h"

#define PATH_LOADED  "sys/kernel/kexec_crash_loaded"
#define PATH_SIZE    "sys/kernel/kexec_crash_size"
#define PATH_CMDLINE "proc/cmdline"
#define PATH_IOMEM   "proc/iomem"

/* A sysfs value: one line of at most 32 bytes. */
#define MAX_VALUE 32

/*
 * Reads the whole file at path under dfd into buf (size bytes, NUL-terminated); -EFBIG
 * when it holds size bytes or more.
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

/* A decimal number on one line, as sysfs writes them. */
static int read_u64(int dfd, const char *path, uint64_t *ret)
{
	char buf[MAX_VALUE + 1], *end;
	unsigned long long v;
	size_t len;
	int r;

	r = read_small(dfd, path, buf, sizeof(buf), &len);
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

/* The crashkernel= parameters of the command line. */
static int read_cmdline(int dfd, struct sn_kdump *k)
{
	char buf[SN_KDUMP_MAX_CMDLINE + 1];
	const char *p;
	size_t len;
	int r;

	r = read_small(dfd, PATH_CMDLINE, buf, sizeof(buf), &len);
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

static int read_iomem(int dfd, struct sn_kdump *k)
{
	_cleanup_(fclosep) FILE *f = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t cap = 0, lines = 0, n_ranges = 0;
	bool visible = false;
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
		if (strncmp(name, "Crash kernel", 12) != 0)
			continue;
		if (n_ranges < SN_KDUMP_MAX_RANGES)
			k->ranges[n_ranges++] = (struct sn_kdump_range){ start, end };
		visible = visible || start || end;
	}
	if (ferror(f))
		return errno > 0 ? -errno : -EIO;
	k->n_ranges = n_ranges;
	k->ranges_hidden = n_ranges > 0 && !visible;
	return 0;
}

static void add_reason(struct sn_kdump *k, const char *fmt, ...) _printf_(2, 3);

static void add_reason(struct sn_kdump *k, const char *fmt, ...)
{
	va_list ap;

	if (k->n_reasons == SN_KDUMP_MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(k->reasons[k->n_reasons++], SN_KDUMP_MAX_REASON + 1, fmt, ap);
	va_end(ap);
}

int sn_kdump_read(const char *root, struct sn_kdump *ret)
{
	_cleanup_(closep) int dfd = -EBADF;
	struct sn_kdump k = {};
	uint64_t v;

	if (!root)
		return -EINVAL;
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;

	k.loaded_error = read_u64(dfd, PATH_LOADED, &v);
	if (k.loaded_error == 0 && v > 1)
		k.loaded_error = -EBADMSG;
	k.loaded = k.loaded_error == 0 && v == 1;
	k.size_error = read_u64(dfd, PATH_SIZE, &k.size);
	k.cmdline_error = read_cmdline(dfd, &k);
	k.iomem_error = read_iomem(dfd, &k);

	k.ready = k.loaded;
	if (!k.ready) {
		if (k.loaded_error)
			add_reason(&k, "cannot read /%s: %s", PATH_LOADED,
				   strerror(-k.loaded_error));
		else
			add_reason(&k, "no crash kernel is loaded (/%s is 0)",
				   PATH_LOADED);
		if (k.size_error)
			add_reason(&k, "cannot read /%s: %s", PATH_SIZE,
				   strerror(-k.size_error));
		else if (k.size == 0)
			add_reason(&k,
				   "no memory is reserved for a crash kernel (/%s is 0)",
				   PATH_SIZE);
		if (k.cmdline_error)
			add_reason(&k, "cannot read /%s: %s", PATH_CMDLINE,
				   strerror(-k.cmdline_error));
		else if (k.n_params == 0)
			add_reason(&k, "no crashkernel= on the kernel command line");
		if (k.iomem_error)
			add_reason(&k, "cannot read /%s: %s", PATH_IOMEM,
				   strerror(-k.iomem_error));
		else if (k.n_ranges == 0)
			add_reason(&k, "no \"Crash kernel\" range in /%s", PATH_IOMEM);
	}
	*ret = k;
	return 0;
}

int sn_kdump_to_json(const struct sn_kdump *k, cJSON **ret)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	cJSON *a;
	char buf[24];
	int r;

	if (!o || !cJSON_AddTrueToObject(o, "checked") ||
	    !cJSON_AddBoolToObject(o, "ready", k->ready))
		return -ENOMEM;
	a = cJSON_AddArrayToObject(o, "reasons");
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < k->n_reasons && i < SN_KDUMP_MAX_REASONS; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(k->reasons[i])))
			return -ENOMEM;
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
		a = cJSON_AddArrayToObject(o, "crashkernel");
		if (!a)
			return -ENOMEM;
		for (size_t i = 0; i < k->n_params && i < SN_KDUMP_MAX_PARAMS; i++)
			if (!cJSON_AddItemToArray(a, cJSON_CreateString(k->params[i])))
				return -ENOMEM;
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
	const char *s;

	if (!cJSON_IsString(j))
		return false;
	s = j->valuestring;
	if (!s[0] || strlen(s) > max)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
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

int sn_kdump_json_check(const cJSON *j)
{
	static const char *const keys[] = { "checked",
					    "ready",
					    "reasons",
					    "crash_loaded",
					    "crash_size",
					    "crashkernel",
					    "iomem_crash_kernel",
					    "iomem_crash_kernel_ranges" };
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
