/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "spool-view.h"
#include "util.h"

int spool_view_open(const char *path, struct sn_spool **ret)
{
	int r = sn_spool_open_existing(path, ret);

	if (r == -ENOENT)
		return log_error_errno(r,
				       "no spool at %s (sdei-nmid has not written a "
				       "report there yet, or see --spool)",
				       path);
	if (r == -EACCES || r == -EPERM)
		return log_error_errno(r, "cannot read the spool %s: %m (run as root)",
				       path);
	if (r < 0)
		return log_error_errno(r, "cannot open the spool %s: %m", path);
	return 0;
}

static enum report_state state_of(enum sn_spool_state st)
{
	return st == SN_SPOOL_SHIPPED ? REPORT_SHIPPED :
	       st == SN_SPOOL_HELD    ? REPORT_HELD :
					REPORT_PENDING;
}

int spool_view_list(struct sn_spool *sp, struct spool_item **ret, size_t *ret_n)
{
	_cleanup_(freep) struct sn_spool_entry *e = NULL;
	struct spool_item *v;
	size_t n;
	int r;

	r = sn_spool_list(sp, &e, &n); /* the spool as it is now */
	if (r < 0)
		return r;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct spool_item){ .entry = e[i],
					    .state = state_of(e[i].state) };
	*ret = v;
	*ret_n = n;
	return 0;
}

int spool_view_read(struct sn_spool *sp, const struct spool_item *it, char **ret,
		    size_t *ret_len)
{
	return sn_spool_read(sp, it->entry.id, ret, ret_len);
}
