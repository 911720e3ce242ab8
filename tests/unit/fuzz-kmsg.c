/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness for the kernel log: the input is a stream of /dev/kmsg records,
 * split and parsed as the reader does and fed to the recognizer, and the same bytes as
 * console lines fed to a second recognizer. Seeds: tests/fixtures/kmsg/ (see
 * tests/unit/CMakeLists.txt).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kmsg-events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a handler would read of every event. */
static int consume(const struct sn_kmsg_event *ev, void *userdata)
{
	size_t *sum = userdata;

	*sum += ev->seq;
	if (ev->type == SN_KMSG_EVENT_BACKTRACE)
		for (size_t i = 0; i < ev->backtrace->n_frames; i++)
			*sum += strlen(ev->backtrace->frames[i].text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sn_kmsg_events_config cfg = { .block_max_records = 16 };
	_cleanup_(sn_kmsg_events_freep) struct sn_kmsg_events *records = NULL,
							      *console = NULL;
	static struct sn_kmsg_record rec;
	const char *buf = (const char *)data;
	size_t sum = 0, off = 0, len;
	uint64_t line = 0;

	if (sn_kmsg_events_new(&cfg, consume, &sum, &records) < 0 ||
	    sn_kmsg_events_new(NULL, consume, &sum, &console) < 0)
		return 0;

	while (off < size &&
	       sn_kmsg_record_split(buf + off, size - off, true, &len) == 0) {
		if (sn_kmsg_record_parse(buf + off, len, &rec) == 0) {
			(void)sn_kmsg_events_feed(records, &rec);
			(void)sn_kmsg_events_tick(records, rec.ts_usec);
		}
		off += len;
	}
	(void)sn_kmsg_events_flush(records);

	for (const char *p = buf, *end = buf + size, *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (sn_kmsg_console_parse(p, (size_t)(nl - p), ++line, &rec) == 0)
			(void)sn_kmsg_events_feed(console, &rec);
	}
	(void)sn_kmsg_events_flush(console);
	return 0;
}
