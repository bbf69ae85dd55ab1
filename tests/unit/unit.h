/* Shared scaffolding for the unit tests (libcheck).  Each tests/unit/
 * test_NAME.c defines its suite and ends with UNIT_MAIN(name_suite). */
#ifndef MLPIPE_UNIT_H
#define MLPIPE_UNIT_H

#include <check.h>
#include <math.h>
#include <stdlib.h>

/* |a - b| <= atol + rtol * |b| */
#define ck_assert_close(a, b, rtol, atol) do { \
	double a_ = (a), b_ = (b); \
	ck_assert_msg(fabs(a_ - b_) <= (atol) + (rtol) * fabs(b_), \
		"%s = %.17g, expected %s = %.17g", #a, a_, #b, b_); \
} while (0)

#define UNIT_MAIN(suite_fn) \
	int main(void) { \
		SRunner *sr = srunner_create(suite_fn()); \
		srunner_run_all(sr, CK_ENV); \
		int failed = srunner_ntests_failed(sr); \
		srunner_free(sr); \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS; \
	}

#endif
