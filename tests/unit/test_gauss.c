/* Unit tests for lib/gauss: the fast Box-Muller gives rng_normal_at's
 * numbers at the same positions, whatever the chunking, and a large draw
 * has the moments, the distribution function and the tails of N(0, 1). */
#include "gauss.h"
#include "unit.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

static const double two_pi = 6.283185307179586476925286766559;

START_TEST(test_elementary_functions)
{
	/* within a few units in the last place of the C library */
	for (double x = 0x1p-54; x < 4; x *= 1.0173) {
		double want = log(x);
		ck_assert_close(gauss_log(x), want, 4 * DBL_EPSILON, 1e-300);
	}
	ck_assert_double_eq(gauss_log(1.0), 0);
	for (int k = 0; k <= 4096; k++) {
		double u = k / 4096.0 + (k < 4096 ? 0x1p-20 : 0), s, c;
		gauss_sincos_2pi(u, &s, &c);
		ck_assert_close(s, sin(two_pi * u), 0, 4 * DBL_EPSILON);
		ck_assert_close(c, cos(two_pi * u), 0, 4 * DBL_EPSILON);
	}
	double s, c;
	gauss_sincos_2pi(0.25, &s, &c);
	ck_assert_double_eq(s, 1);
	ck_assert_double_eq(c, 0);
}
END_TEST

START_TEST(test_matches_rng)
{
	/* the same numbers as rng_normal_at, to rounding, at every offset.
	 * rng.c rounds the angle 2 pi u2 before taking sin and cos (up to
	 * 4.4e-16 of angle, times a radius up to 8.7); gauss.c reduces u2
	 * exactly first, so the two differ by a few 1e-15 at most. */
	enum { N = 20011 };
	static double fast[N], slow[N];
	rng g;
	rng_seed(&g, "gauss", "test");
	for (uint64_t start = 0; start < 5; start++) {
		gauss_normal_at(&g, start + 1000003, fast, N);
		rng_normal_at(&g, start + 1000003, slow, N);
		for (size_t i = 0; i < N; i++)
			ck_assert_close(fast[i], slow[i], 1e-14, 1e-14);
	}
}
END_TEST

START_TEST(test_chunk_independent)
{
	enum { N = 3001 };
	static double whole[N], pieces[N];
	rng g;
	rng_seed(&g, "chunks", "test");
	gauss_normal_at(&g, 7, whole, N);
	size_t at = 0, sizes[] = {1, 2, 3, 1021, 1024, 5, 945};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		gauss_normal_at(&g, 7 + at, pieces + at, sizes[i]);
		at += sizes[i];
	}
	ck_assert_uint_eq(at, N);
	ck_assert_int_eq(memcmp(whole, pieces, sizeof whole), 0);
}
END_TEST

START_TEST(test_extreme_bytes)
{
	/* all-zero words: u1 = 2^-54, the largest radius sqrt(108 ln 2);
	 * all-one words: u1 is held at 1 - 2^-53, radius sqrt(2^-52) and
	 * u2 likewise, angle 2 pi (1 - 2^-53).  Never NaN or inf. */
	unsigned char bytes[32];
	double z[4];
	memset(bytes, 0, 16);
	memset(bytes + 16, 0xff, 16);
	gauss_box_muller(bytes, 2, z);
	ck_assert_close(hypot(z[0], z[1]), sqrt(108 * log(2.0)), 1e-14, 0);
	ck_assert_close(hypot(z[2], z[3]), 0x1p-26, 1e-12, 0);
	ck_assert_close(z[2], 0x1p-26, 1e-12, 0);
	ck_assert(isfinite(z[3]) && fabs(z[3]) < 1e-22);
}
END_TEST

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double normal_cdf(double x)
{
	return 0.5 * erfc(-x / sqrt(2.0));
}

START_TEST(test_statistics)
{
	enum { N = 1 << 20 };
	double *z = malloc(N * sizeof *z);
	ck_assert_ptr_nonnull(z);
	rng g;
	rng_seed(&g, "statistics", "test");
	gauss_normal_at(&g, 0, z, N);
	double sum = 0, sum2 = 0, sum3 = 0, sum4 = 0;
	size_t beyond3 = 0, beyond4 = 0;
	for (size_t i = 0; i < N; i++) {
		double x = z[i], x2 = x * x;
		sum += x;
		sum2 += x2;
		sum3 += x2 * x;
		sum4 += x2 * x2;
		beyond3 += fabs(x) > 3;
		beyond4 += fabs(x) > 4;
	}
	double n = N, mean = sum / n, var = sum2 / n - mean * mean;
	/* five standard errors: mean 1/sqrt(n), variance sqrt(2/n), third
	 * moment sqrt(15/n), fourth sqrt(96/n) */
	ck_assert_close(mean, 0, 0, 5 / sqrt(n));
	ck_assert_close(var, 1, 0, 5 * sqrt(2 / n));
	ck_assert_close(sum3 / n, 0, 0, 5 * sqrt(15 / n));
	ck_assert_close(sum4 / n, 3, 0, 5 * sqrt(96 / n));
	/* tails: P(|z| > 3) = 2.6998e-3, P(|z| > 4) = 6.3342e-5, within five
	 * binomial standard errors */
	double p3 = erfc(3 / sqrt(2.0)), p4 = erfc(4 / sqrt(2.0));
	ck_assert_close(beyond3 / n, p3, 0, 5 * sqrt(p3 / n));
	ck_assert_close(beyond4 / n, p4, 0, 5 * sqrt(p4 / n));
	/* Kolmogorov-Smirnov distance: sup |F_n - Phi| below the 0.1% critical
	 * value 1.95/sqrt(n) */
	qsort(z, N, sizeof *z, compare_doubles);
	double ks = 0;
	for (size_t i = 0; i < N; i++) {
		double phi = normal_cdf(z[i]);
		double above = (i + 1) / n - phi, below = phi - i / n;
		ks = fmax(ks, fmax(above, below));
	}
	ck_assert_msg(ks < 1.95 / sqrt(n), "KS distance %g", ks);
	free(z);
}
END_TEST

static Suite *gauss_suite(void)
{
	Suite *s = suite_create("gauss");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_elementary_functions);
	tcase_add_test(tc, test_matches_rng);
	tcase_add_test(tc, test_chunk_independent);
	tcase_add_test(tc, test_extreme_bytes);
	tcase_add_test(tc, test_statistics);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(gauss_suite)
