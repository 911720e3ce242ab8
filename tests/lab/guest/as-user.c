// SPDX-License-Identifier: GPL-2.0
/*
 * as-user UID COMMAND [ARG...]: run COMMAND as UID (and the same GID), with no
 * supplementary groups and no capabilities. The lab's busybox has no su that
 * works without a user database.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long uid;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: as-user UID COMMAND [ARG...]\n");
		return 2;
	}
	uid = strtoul(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || uid == 0 || uid > 65535) {
		fprintf(stderr, "as-user: bad uid '%s' (1-65535)\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0) {
		perror("as-user");
		return 2;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "as-user: still able to become root\n");
		return 2;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "as-user: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
