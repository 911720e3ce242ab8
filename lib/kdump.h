/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * kdump readiness: whether a crash kernel would take a dump if this kernel panicked
 * now, and if not, why. A snapshot of four files read under a root directory ("/" on
 * a live system, a fixture tree in tests):
 *
 *   sys/kernel/kexec_crash_loaded   "1" when a crash kernel is loaded (kexec -p)
 *   sys/kernel/kexec_crash_size     bytes reserved for it (crashkernel=)
 *   proc/cmdline                    the crashkernel= parameters
 *   proc/iomem                      the "Crash kernel" ranges (addresses read as 0
 *                                   without CAP_SYS_ADMIN)
 *
 * Ready means a crash kernel is loaded: the kernel refuses to load one without the
 * reservation, so the other three only say why one is not. Each file that cannot be
 * read or does not hold what it should is a reason of its own, with its error.
 *
 * Pure but for the reads; fixed memory (no allocation, nothing to free); nothing logs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define SN_KDUMP_MAX_PARAMS	 4  /* crashkernel= parameters kept */
#define SN_KDUMP_MAX_PARAM	 64 /* bytes of one's value */
#define SN_KDUMP_MAX_RANGES	 4  /* "Crash kernel" ranges kept */
#define SN_KDUMP_MAX_REASONS	 5
#define SN_KDUMP_MAX_REASON	 160
#define SN_KDUMP_MAX_CMDLINE	 4096	     /* bytes of /proc/cmdline */
#define SN_KDUMP_MAX_IOMEM_LINES (64 * 1024) /* lines of /proc/iomem */

struct sn_kdump_range {
	uint64_t start, end; /* inclusive, as /proc/iomem shows them */
};

struct sn_kdump {
	bool ready;
	int loaded_error; /* 0, or why kexec_crash_loaded could not be read */
	bool loaded;
	int size_error; /* 0, or why kexec_crash_size could not be read */
	uint64_t size;	/* bytes */
	int cmdline_error;
	size_t n_params; /* crashkernel= parameters, in order; more are not kept */
	char params[SN_KDUMP_MAX_PARAMS][SN_KDUMP_MAX_PARAM + 1];
	int iomem_error;
	size_t n_ranges; /* "Crash kernel" ranges, "Crash kernel (low)" included */
	struct sn_kdump_range ranges[SN_KDUMP_MAX_RANGES];
	bool ranges_hidden; /* every range read as 0-0: the reader may not see addresses
			     */
	size_t n_reasons;   /* why not ready; none when ready */
	char reasons[SN_KDUMP_MAX_REASONS][SN_KDUMP_MAX_REASON + 1];
};

/*
 * Reads the snapshot under root. Returns 0 with what it could read (each file's error
 * in its *_error: -ENOENT and the like from opening or reading, -EBADMSG for content
 * that is not of its form, -EFBIG past the bounds above); -EINVAL for a NULL root,
 * or the error of opening root itself.
 */
int sn_kdump_read(const char *root, struct sn_kdump *ret);

/*
 * The snapshot as the report's "kdump" object (daemon/sdei-nmid-report.schema.json):
 *
 *   {"checked": true, "ready": bool, "reasons": [text, ...],
 *    "crash_loaded": bool, "crash_size": n, "crashkernel": [text, ...],
 *    "iomem_crash_kernel": n,
 *    "iomem_crash_kernel_ranges": [{"start": "0x..", "end": "0x.."}, ...]}
 *
 * A field whose file could not be read is left out (its reason says why); the ranges
 * are left out when hidden (iomem_crash_kernel, their number, is there).
 */
int sn_kdump_to_json(const struct sn_kdump *k, cJSON **ret);

/*
 * Whether j is such an object, or {"checked": false} (no snapshot taken): known keys,
 * each once, of their types and within the bounds above, printable ASCII text. 0 or
 * -EBADMSG. The report's parser checks its "kdump" with it.
 */
int sn_kdump_json_check(const cJSON *j);
