/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sdei-nmictl reports: sdei-nmid's spool read directly (lib/spool.h, lib/report.h, the
 * code that writes it), never the daemon. list filters by time (the file names start
 * with it: nothing else is read for it), state and kind (read from the report).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report-format.h"
#include "sdei-nmictl.h"
#include "spool-view.h"

static const char *const state_names[] = {
	[0] = "pending",
	[1] = "shipped",
	[2] = "held",
};

const char *report_state_to_string(enum report_state s)
{
	for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
		if (s == 1u << i)
			return state_names[i];
	return NULL;
}

int report_states_from_string(const char *s, unsigned *ret)
{
	_cleanup_(freep) char *copy = strdup(s);
	unsigned states = 0;
	char *p = copy, *t;

	if (!copy)
		return -ENOMEM;
	while ((t = strsep(&p, ","))) {
		size_t i;

		for (i = 0; i < ELEMENTSOF(state_names); i++)
			if (strcmp(t, state_names[i]) == 0)
				break;
		if (i == ELEMENTSOF(state_names))
			return -EINVAL; /* an empty one too */
		states |= 1u << i;
	}
	*ret = states;
	return 0;
}

/* The file of a report, for messages: DIR/NAME, DIR/shipped/NAME, DIR/held/NAME. */
static const char *item_path(const struct spool_item *it, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s", arg_spool,
		 it->state == REPORT_SHIPPED ? SN_SPOOL_SHIPPED_DIR "/" :
		 it->state == REPORT_HELD    ? SN_SPOOL_HELD_DIR "/" :
					       "",
		 it->entry.name);
	return buf;
}

/* A spooled report, parsed; the error said, with the file's name. */
static int report_load(struct sn_spool *sp, const struct spool_item *it,
		       struct sn_report **ret, char **ret_json)
{
	_cleanup_(freep) char *buf = NULL;
	char path[4096];
	size_t len;
	int r;

	r = spool_view_read(sp, it, &buf, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read %s: %m",
				       item_path(it, path, sizeof(path)));
	r = sn_report_parse(buf, len, ret);
	if (r < 0)
		return log_error_errno(r, "%s is not a valid report: %m",
				       item_path(it, path, sizeof(path)));
	if (ret_json)
		*ret_json = TAKE_PTR(buf);
	return 0;
}

static bool filtered(void)
{
	return arg_has_since || arg_has_until || arg_kinds || arg_states;
}

/* What the file's name and place tell: its time and its state. */
static bool item_selected(const struct spool_item *it)
{
	if (arg_states && !(arg_states & it->state))
		return false;
	if (arg_has_since && it->entry.realtime_usec < arg_since)
		return false;
	if (arg_has_until && it->entry.realtime_usec > arg_until)
		return false;
	return true;
}

static bool report_selected(const struct sn_report *r)
{
	return !arg_kinds || (arg_kinds & (1u << r->kind));
}

static int reports_list(struct sn_spool *sp, int *ret_exit)
{
	_cleanup_(freep) struct spool_item *items = NULL;
	_cleanup_(cJSON_Deletep) cJSON *arr = NULL;
	size_t n, shown = 0, unreadable = 0;
	int r;

	r = spool_view_list(sp, &items, &n);
	if (r < 0)
		return log_error_errno(r, "cannot list the spool %s: %m", arg_spool);
	if (json_on()) {
		arr = cJSON_CreateArray();
		if (!arr)
			return log_error_errno(ENOMEM, "out of memory");
	}

	for (size_t i = 0; i < n; i++) {
		_cleanup_(sn_report_freep) struct sn_report *rep = NULL;
		const char *state = report_state_to_string(items[i].state);
		cJSON *o = NULL;

		if (!item_selected(&items[i]))
			continue;
		/* One bad file does not hide the others: said, counted, skipped. */
		if (report_load(sp, &items[i], &rep, NULL) < 0) {
			unreadable++;
			continue;
		}
		if (!report_selected(rep))
			continue;
		if (!json_on()) {
			if ((shown++ == 0 && sn_report_format_list_header(stdout) < 0) ||
			    sn_report_format_list_line(stdout, rep, state) < 0)
				return log_error_errno(EIO,
						       "cannot write the output: %m");
			continue;
		}
		shown++;
		r = sn_report_summary_to_json(rep, &o);
		if (r < 0 || !cJSON_AddStringToObject(o, "state", state) ||
		    !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			return log_error_errno(ENOMEM, "out of memory");
		}
	}
	if (json_on()) {
		r = print_json(arr, true);
		if (r < 0)
			return r;
	} else {
		if (shown == 0 && n == unreadable)
			r = printf("No reports in %s.\n", arg_spool);
		else if (shown == 0)
			r = printf("No reports in %s match.\n", arg_spool);
		else if (filtered())
			r = printf("\n%zu of %zu report(s) in %s match.\n", shown,
				   n - unreadable, arg_spool);
		else
			r = printf("\n%zu report(s) in %s.\n", shown, arg_spool);
		if (r < 0)
			return log_error_errno(EIO, "cannot write the output: %m");
	}
	if (unreadable)
		*ret_exit = EXIT_INCOMPLETE;
	return 0;
}

/* The report whose id is prefix or begins with it; ambiguous prefixes are errors. */
static int reports_find(struct sn_spool *sp, const char *prefix, struct spool_item *ret)
{
	_cleanup_(freep) struct spool_item *items = NULL;
	size_t n, len = strlen(prefix), found = SIZE_MAX, matches = 0;
	int r;

	if (len == 0 || len > SN_REPORT_ID_LEN ||
	    strspn(prefix, "0123456789abcdef-") != len)
		return log_error("invalid report id '%s' (an id as 'reports' lists "
				 "it, or a prefix of one)",
				 prefix);
	r = spool_view_list(sp, &items, &n);
	if (r < 0)
		return log_error_errno(r, "cannot list the spool %s: %m", arg_spool);
	for (size_t i = 0; i < n; i++)
		if (strncmp(items[i].entry.id, prefix, len) == 0) {
			matches++;
			found = i;
			if (items[i].entry.id[len] == '\0') {
				matches = 1;
				break;
			}
		}
	if (matches == 0)
		return log_error_errno(ENOENT, "no report %s in %s", prefix, arg_spool);
	if (matches > 1)
		return log_error_errno(ENOTUNIQ,
				       "%zu reports in %s begin with %s; give more of "
				       "the id",
				       matches, arg_spool, prefix);
	*ret = items[found];
	return 0;
}

/* --json: as spooled (the schema describes it), or printed again in the mode asked. */
static int show_json(const char *json)
{
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;

	if (arg_json == JSON_DEFAULT) {
		size_t len = strlen(json);

		if (fputs(json, stdout) < 0 ||
		    ((len == 0 || json[len - 1] != '\n') && putchar('\n') == EOF))
			return log_error_errno(EIO, "cannot write the output: %m");
		return 0;
	}
	j = cJSON_Parse(json);
	if (!j)
		return log_error_errno(ENOMEM, "cannot parse the report again");
	return print_json(j, false);
}

static int reports_show(struct sn_spool *sp, const char *id)
{
	_cleanup_(sn_report_freep) struct sn_report *rep = NULL;
	_cleanup_(freep) char *json = NULL;
	struct spool_item it;
	char path[4096];
	int r;

	r = reports_find(sp, id, &it);
	if (r < 0)
		return r;
	r = report_load(sp, &it, &rep, &json);
	if (r < 0)
		return r;
	if (json_on())
		return show_json(json);
	r = sn_report_format(stdout, rep);
	if (r >= 0 && printf("\nSpool:     %s, %s\n", report_state_to_string(it.state),
			     item_path(&it, path, sizeof(path))) < 0)
		r = -EIO;
	if (r < 0)
		return log_error_errno(r, "cannot write the output: %m");
	return 0;
}

int verb_reports(int argc, char *argv[], int *ret_exit)
{
	_cleanup_(sn_spool_freep) struct sn_spool *sp = NULL;
	const char *sub = argc > 1 ? argv[1] : "list";
	int r;

	if (strcmp(sub, "list") == 0) {
		if (argc > 2)
			return log_error("reports list takes no arguments, got '%s'",
					 argv[2]);
	} else if (strcmp(sub, "show") == 0) {
		if (argc != 3)
			return log_error("reports show takes one report id");
		if (filtered())
			return log_error("--since, --until, --kind and --state go with "
					 "reports list");
	} else
		return log_error("unknown reports command '%s' (list, show ID)", sub);

	r = spool_view_open(arg_spool, &sp);
	if (r < 0)
		return r;
	if (strcmp(sub, "list") == 0)
		return reports_list(sp, ret_exit);
	return reports_show(sp, argv[2]);
}
