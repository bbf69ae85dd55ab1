/* Unit tests for lib/vmath: exp within one unit in the last place of the
 * C library's over the whole range (glibc's exp is itself within about
 * half a unit), the ends of the range and the special values, the
 * identity e^(a+b) = e^a e^b, log against the C library and exp's inverse,
 * and the array form equal to the scalar one lane by lane. */
#include "vmath.h"
#include "unit.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

/* Doubles in order as integers: the distance is the number of
 * representable values between two doubles of the same sign. */
static int64_t ordinal(double x)
{
	int64_t i;
	memcpy(&i, &x, sizeof i);
	return i < 0 ? INT64_MIN - i : i;
}

static int64_t ulps_apart(double a, double b)
{
	int64_t d = ordinal(a) - ordinal(b);
	return d < 0 ? -d : d;
}

static double uniform(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) * 0x1p-53;
}

START_TEST(exp_against_libm)
{
	/* wide, the log-ratio range of ppo, near 0, tiny */
	static const double width[] = { 1500, 40, 2, 1e-6 };
	uint64_t s = 7;
	for (int i = 0; i < 400000; i++) {
		double x = (uniform(&s) - 0.5) * width[i % 4];
		ck_assert_msg(ulps_apart(vmath_exp(x), exp(x)) <= 1, "exp(%.17g) = %.17g, libm %.17g",
			x, vmath_exp(x), exp(x));
	}
	/* subnormal results, where the second scaling rounds */
	for (double x = -745.1; x < -708.3; x += 0.0137)
		ck_assert_msg(ulps_apart(vmath_exp(x), exp(x)) <= 1, "exp(%.17g)", x);
}
END_TEST

START_TEST(exp_special_values)
{
	ck_assert_double_eq(vmath_exp(0.0), 1.0);
	ck_assert_double_eq(vmath_exp(-0.0), 1.0);
	ck_assert_double_eq(vmath_exp(1e-300), 1.0);
	ck_assert_double_eq(vmath_exp(709.78), exp(709.78));   /* near DBL_MAX */
	ck_assert(isinf(vmath_exp(709.79)) && vmath_exp(709.79) > 0);
	ck_assert(isinf(vmath_exp(1e300)));
	ck_assert(isinf(vmath_exp(INFINITY)));
	ck_assert_double_eq(vmath_exp(-745.13), 0x1p-1074);     /* the least subnormal */
	ck_assert_double_eq(vmath_exp(-745.14), 0.0);
	ck_assert_double_eq(vmath_exp(-1e300), 0.0);
	ck_assert_double_eq(vmath_exp(-INFINITY), 0.0);
	ck_assert(isnan(vmath_exp(NAN)));
	/* half-integers, where x / ln 2 is nowhere near a rounding tie */
	for (int k = -1490; k <= 1418; k++)
		ck_assert(ulps_apart(vmath_exp(k * 0.5), exp(k * 0.5)) <= 1);
}
END_TEST

START_TEST(exp_addition_identity)
{
	/* e^(a+b) = e^a e^b to a few rounding errors; a and b on grids of
	 * 1/8 and 1/1024 so that a + b is exact */
	uint64_t s = 11;
	for (int i = 0; i < 10000; i++) {
		double a = (double)(int)(uniform(&s) * 200 - 100) / 8;
		double b = (double)(int)((uniform(&s) - 0.5) * 4096) / 1024;
		ck_assert_close(vmath_exp(a + b), vmath_exp(a) * vmath_exp(b), 4 * DBL_EPSILON, 0);
	}
}
END_TEST

START_TEST(log_against_libm_and_exp)
{
	for (double x = 0x1p-1020; x < 1e300; x *= 1.37) {
		ck_assert_close(vmath_log(x), log(x), 4 * DBL_EPSILON, 1e-300);
		if (x > 1e-300 && x < 1e300)
			ck_assert_close(vmath_exp(vmath_log(x)), x, 1e-13, 0);
	}
	ck_assert_double_eq(vmath_log(1.0), 0.0);
}
END_TEST

START_TEST(exp_array_equals_scalar)
{
	double x[11];
	for (size_t n = 0; n <= 11; n++) {
		for (size_t i = 0; i < n; i++)
			x[i] = (double)i * 1.7 - 9.3;
		vmath_exp_array(x, n);
		for (size_t i = 0; i < n; i++)
			ck_assert(x[i] == vmath_exp((double)i * 1.7 - 9.3));
	}
}
END_TEST

static Suite *vmath_suite(void)
{
	Suite *s = suite_create("vmath");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, exp_against_libm);
	tcase_add_test(tc, exp_special_values);
	tcase_add_test(tc, exp_addition_identity);
	tcase_add_test(tc, log_against_libm_and_exp);
	tcase_add_test(tc, exp_array_equals_scalar);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(vmath_suite)
