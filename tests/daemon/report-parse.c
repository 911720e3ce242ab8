/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * report-parse FILE...: reads each report back with sn_report_parse() (the strict
 * reader) and prints "<kind> <stalled CPUs> <folded_count>" per file; exit 1 when one
 * does not parse.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "report.h"

int main(int argc, char *argv[])
{
	int ret = EXIT_SUCCESS;

	for (int i = 1; i < argc; i++) {
		_cleanup_(sn_report_freep) struct sn_report *r = NULL;
		_cleanup_(fclosep) FILE *f = NULL;
		_cleanup_(freep) char *buf = NULL;
		char cpus[256];
		size_t cap = 0;
		ssize_t n;
		int k;

		f = fopen(argv[i], "re");
		if (!f) {
			fprintf(stderr, "%s: %m\n", argv[i]);
			ret = EXIT_FAILURE;
			continue;
		}
		n = getdelim(&buf, &cap, '\0', f);
		if (n <= 0) {
			fprintf(stderr, "%s: empty or unreadable\n", argv[i]);
			ret = EXIT_FAILURE;
			continue;
		}
		k = sn_report_parse(buf, (size_t)n, &r);
		if (k < 0) {
			fprintf(stderr, "%s: does not parse: %s\n", argv[i],
				strerror(-k));
			ret = EXIT_FAILURE;
			continue;
		}
		if (sn_cpu_set_format(&r->stalled, cpus, sizeof(cpus)) < 0)
			snprintf(cpus, sizeof(cpus), "?");
		printf("%s %s %" PRIu64 "\n", sn_incident_kind_to_string(r->kind), cpus,
		       r->folded_count);
	}
	return ret;
}
