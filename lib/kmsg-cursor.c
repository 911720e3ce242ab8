/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kmsg-cursor.h"
#include "macro.h"
#include "util.h"

#define CURSOR_MAGIC "sdei-nmi.kmsg-cursor/1"
#define BOOT_ID_LEN  36

/* A boot_id as the kernel writes it: a UUID, lowercase. */
static bool boot_id_valid(const char *s)
{
	if (!s || strlen(s) != BOOT_ID_LEN)
		return false;
	for (int i = 0; i < BOOT_ID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' :
			   !(sn_is_digit(s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

int sn_kmsg_cursor_read(const char *path, const char *boot_id, uint64_t *ret_seq)
{
	_cleanup_(closep) int fd = -EBADF;
	char buf[128], id[BOOT_ID_LEN + 1];
	const char *p, *digits;
	uint64_t seq = 0;
	ssize_t n;

	if (!boot_id_valid(boot_id))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if ((size_t)n == sizeof(buf) - 1 || strlen(buf) != (size_t)n)
		return -EBADMSG;

	p = buf;
	if (strncmp(p, CURSOR_MAGIC " ", strlen(CURSOR_MAGIC) + 1) != 0)
		return -EBADMSG;
	p += strlen(CURSOR_MAGIC) + 1;
	memcpy(id, p, BOOT_ID_LEN);
	id[BOOT_ID_LEN] = '\0';
	if (strnlen(p, BOOT_ID_LEN) != BOOT_ID_LEN || !boot_id_valid(id) ||
	    p[BOOT_ID_LEN] != ' ')
		return -EBADMSG;
	p += BOOT_ID_LEN + 1;
	for (digits = p; sn_is_digit(*p); p++) {
		if (seq > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EBADMSG;
		seq = seq * 10 + (uint64_t)(*p - '0');
	}
	if (p == digits || (p - digits > 1 && *digits == '0') || strcmp(p, "\n") != 0)
		return -EBADMSG;
	if (strcmp(id, boot_id) != 0)
		return -ESTALE;
	*ret_seq = seq;
	return 0;
}

int sn_kmsg_cursor_write(const char *path, const char *boot_id, uint64_t seq)
{
	char buf[128];
	int n;

	if (!boot_id_valid(boot_id))
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), CURSOR_MAGIC " %s %" PRIu64 "\n", boot_id, seq);
	return sn_write_file_atomic(path, buf, (size_t)n, 0640);
}
