/* SPDX-License-Identifier: MIT */
/* Runs one Check suite; CK_VERBOSITY, CK_FORK, CK_RUN_CASE apply. */
#ifndef KHO_TEST_SUITE_H
#define KHO_TEST_SUITE_H

#include <check.h>
#include <stdlib.h>

#include "kho/internal.h"   /* the suites test the inside too */

static inline int run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
