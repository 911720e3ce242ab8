/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Ownership helpers: variables declared _cleanup_(f) are released by f(&var) when they
 * go out of scope; TAKE_PTR() hands the value over and leaves NULL behind.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _pure_	       __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Returns the value of *p and sets *p to NULL (or zero), in one expression. */
#define TAKE_GENERIC(var, type, nullvalue)    \
	({                                    \
		type *_pvar_ = &(var);        \
		type _var_ = *_pvar_;         \
		type _nullvalue_ = nullvalue; \
		*_pvar_ = _nullvalue_;        \
		_var_;                        \
	})
#define TAKE_PTR_TYPE(ptr, type) TAKE_GENERIC(ptr, type, NULL)
#define TAKE_PTR(ptr)		 TAKE_PTR_TYPE(ptr, typeof(ptr))

#define SWAP_TWO(x, y)                   \
	do {                             \
		typeof(x) _swap_tmp = x; \
		x = y;                   \
		y = _swap_tmp;           \
	} while (0)
#define TAKE_FD(fd) TAKE_GENERIC(fd, int, -EBADF)

/* Defines name##p(type *p), which calls func(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
	static inline void func##p(type *p)     \
	{                                       \
		if (*p)                         \
			func(*p);               \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Closes fd if open; always -EBADF, for "fd = safe_close(fd)". */
static inline int safe_close(int fd)
{
	if (fd >= 0)
		close(fd);
	return -EBADF;
}

#define _noreturn_ __attribute__((__noreturn__))

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_sock *, nl_socket_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_msg *, nlmsg_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct nl_cb *, nl_cb_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);

/* cJSON_Print() and friends return memory from cJSON's allocator. */
static inline void cJSON_freep(char **p)
{
	if (*p)
		cJSON_free(*p);
}
