/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/uapi/linux/sdei_nmi.h is a verbatim copy of the kernel's generated header: it
 * must compile on its own, and the values lib/ depends on must be the spec's.
 */

#include <linux/sdei_nmi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

_Static_assert(SDEI_NMI_FAMILY_VERSION == 1, "family version");
_Static_assert(SDEI_NMI_STATE_INACTIVE == 0 && SDEI_NMI_STATE_ACTIVE == 1, "state");
_Static_assert(SDEI_NMI_DELIVERY_CAPTURED == 1 && SDEI_NMI_DELIVERY_RATE_LIMITED == 5,
	       "delivery");
_Static_assert(SDEI_NMI_TRIGGER_REQUEST == 1 && SDEI_NMI_TRIGGER_KERNEL == 2, "trigger");
_Static_assert(SDEI_NMI_CONTEXT_KERNEL == 1 && SDEI_NMI_CONTEXT_USER == 2 &&
		       SDEI_NMI_CONTEXT_IDLE == 3 && SDEI_NMI_CONTEXT_GUEST == 4,
	       "context");
_Static_assert(SDEI_NMI_PATH_SDEI == 1 && SDEI_NMI_PATH_IPI == 2, "path");
_Static_assert(SDEI_NMI_A_CPU_STATS_MAX == 7, "cpu-stats");
_Static_assert(SDEI_NMI_A_STATUS_CPU == 6 && SDEI_NMI_A_STATUS_MAX == 6, "status");
_Static_assert(SDEI_NMI_A_ENTRY_SP == 10 && SDEI_NMI_A_ENTRY_CONTEXT == 11 &&
		       SDEI_NMI_A_ENTRY_PATH == 12 && SDEI_NMI_A_ENTRY_COMM == 13,
	       "entry context, path");
_Static_assert(SDEI_NMI_A_ENTRY_FRAME == 17 && SDEI_NMI_A_ENTRY_MAX == 17, "entry");
_Static_assert(SDEI_NMI_A_BACKTRACE_ENTRY == 4 && SDEI_NMI_A_BACKTRACE_MAX == 4,
	       "backtrace");
_Static_assert(SDEI_NMI_CMD_STATUS == 1 && SDEI_NMI_CMD_BACKTRACE_NTF == 3, "commands");

static void test_names(void **state)
{
	assert_string_equal(SDEI_NMI_FAMILY_NAME, "sdei-nmi");
	assert_string_equal(SDEI_NMI_MCGRP_MONITOR, "monitor");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
