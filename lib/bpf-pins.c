/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BPF source's pins: see bpf-pins.h. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpf-pins.h"
#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

int sn_bpf_pin_name(pid_t pid, const char *program, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%d-%s", (int)pid, program);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

const char *sn_bpf_pin_program(const char *name)
{
	size_t n = strspn(name, "0123456789");

	if (n == 0 || n > 10 || name[0] == '0' || name[n] != '-' || !name[n + 1])
		return NULL;
	return name + n + 1;
}

static bool wanted(const char *program, const char *const *programs, size_t n_programs)
{
	for (size_t i = 0; i < n_programs; i++)
		if (strcmp(program, programs[i]) == 0)
			return true;
	return false;
}

int sn_bpf_pins_remove(int dir_fd, const char *const *programs, size_t n_programs,
		       unsigned *n_removed, unsigned *n_left)
{
	_cleanup_(closedirp) DIR *d = NULL;
	unsigned removed = 0, left = 0;
	int fd, r = 0;

	fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		return r;
	}
	/* the duplicate shares dir_fd's position: from the start, whatever read it before
	 */
	rewinddir(d);
	for (struct dirent *e; (errno = 0, e = readdir(d));) {
		const char *program;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		program = sn_bpf_pin_program(e->d_name);
		if (e->d_type == DT_DIR || !program ||
		    !wanted(program, programs, n_programs)) {
			left++;
			continue;
		}
		if (unlinkat(dir_fd, e->d_name, 0) < 0) {
			if (r == 0)
				r = -errno;
			left++;
			continue;
		}
		removed++;
	}
	if (errno != 0 && r == 0)
		r = -errno;
	if (n_removed)
		*n_removed = removed;
	if (n_left)
		*n_left = left;
	return r;
}
