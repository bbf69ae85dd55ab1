/* Unit tests of lib/ou: the OU recursion's algebra, its stationary
 * variance and lag-1 correlation, and the soft update. */
#include "ou.h"
#include "rng.h"
#include "unit.h"

#include <stdlib.h>

START_TEST(test_noise_free_decay)
{
	/* with z = 0 the step is x - mu <- (1 - theta dt)(x - mu) */
	ou_params p = { .theta = 0.15, .sigma = 0.2, .dt = 0.01, .mu = 0.3 };
	double x[2] = { 1.0, -2.0 }, z[2] = { 0.0, 0.0 };
	for (int k = 0; k < 100; k++)
		ou_step(&p, x, z, 2);
	double a100 = pow(ou_decay(&p), 100);
	ck_assert_close(x[0] - p.mu, a100 * (1.0 - p.mu), 1e-12, 0);
	ck_assert_close(x[1] - p.mu, a100 * (-2.0 - p.mu), 1e-12, 0);
}
END_TEST

START_TEST(test_one_step)
{
	/* baselines: x + theta (mu - x) dt + sigma sqrt(dt) z */
	ou_params p = { .theta = 0.15, .sigma = 0.2, .dt = 0.01, .mu = 0.0 };
	double x[1] = { 0.5 }, z[1] = { 1.25 };
	ou_step(&p, x, z, 1);
	ck_assert_close(x[0], 0.5 - 0.15 * 0.5 * 0.01 + 0.2 * 0.1 * 1.25, 1e-15, 0);
}
END_TEST

START_TEST(test_variance_formula)
{
	ou_params p = { .theta = 0.15, .sigma = 0.2, .dt = 0.01, .mu = 0.0 };
	/* b^2 / (1 - a^2) = sigma^2 / (theta (2 - theta dt)) */
	ck_assert_close(ou_stationary_variance(&p), 0.04 / (0.15 * (2.0 - 0.0015)), 1e-14, 0);
	/* tends to the continuous-time sigma^2 / (2 theta) as dt -> 0 */
	p.dt = 1e-7;
	ck_assert_close(ou_stationary_variance(&p), 0.04 / 0.3, 1e-6, 0);
	ck_assert_int_eq(ou_is_stable(&p), 1);
	p.theta = 0.0;
	ck_assert_int_eq(ou_is_stable(&p), 0);
	p.theta = 200.0;
	p.dt = 0.01;
	ck_assert_int_eq(ou_is_stable(&p), 0);
}
END_TEST

/* Run many independent coordinates from the stationary law and measure
 * the variance and the lag-1 correlation over time and coordinates. */
START_TEST(test_stationary_moments)
{
	enum { D = 256, STEPS = 4000, BURN = 200 };
	ou_params p = { .theta = 2.0, .sigma = 0.5, .dt = 0.05, .mu = 1.0 };
	double var = ou_stationary_variance(&p), a = ou_decay(&p);
	rng g;
	rng_seed(&g, "ou-unit-test", "test_ou");
	double *x = malloc(D * sizeof *x), *prev = malloc(D * sizeof *prev), *z = malloc(D * sizeof *z);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(prev);
	ck_assert_ptr_nonnull(z);
	for (int j = 0; j < D; j++)
		x[j] = p.mu;
	double sum = 0, sum2 = 0, cross = 0;
	long n = 0;
	for (int k = 0; k < STEPS; k++) {
		for (int j = 0; j < D; j++)
			prev[j] = x[j];
		rng_normal(&g, z, D);
		ou_step(&p, x, z, D);
		if (k < BURN)
			continue;
		for (int j = 0; j < D; j++) {
			double d = x[j] - p.mu, dp = prev[j] - p.mu;
			sum += d;
			sum2 += d * d;
			cross += d * dp;
			n++;
		}
	}
	double mean = sum / n, second = sum2 / n;
	/* about 7e5 effective samples: a few parts per thousand of noise */
	ck_assert_close(mean, 0.0, 0, 0.01);
	ck_assert_close(second, var, 0.02, 0);
	ck_assert_close(cross / sum2, a, 0, 0.01);
	free(x);
	free(prev);
	free(z);
}
END_TEST

START_TEST(test_soft_update)
{
	double target[4] = { 1, 2, 3, 4 }, online[4] = { -1, 0, 10, 4 };
	ou_soft_update(0.005, target, online, 4);
	for (int j = 0; j < 4; j++) {
		double want = (j + 1.0) * 0.995 + 0.005 * online[j];
		ck_assert_close(target[j], want, 1e-15, 1e-15);
	}
	/* tau 1 copies, tau 0 keeps; an equal pair is a fixed point */
	ou_soft_update(1.0, target, online, 4);
	for (int j = 0; j < 4; j++)
		ck_assert_double_eq(target[j], online[j]);
	double keep[2] = { 7, 8 }, other[2] = { 0, 0 };
	ou_soft_update(0.0, keep, other, 2);
	ck_assert_double_eq(keep[0], 7.0);
	ck_assert_double_eq(keep[1], 8.0);
}
END_TEST

START_TEST(test_soft_update_geometric)
{
	/* k updates toward a fixed online value leave (1 - tau)^k of the gap */
	double target[1] = { 1.0 }, online[1] = { 0.0 };
	for (int k = 0; k < 1000; k++)
		ou_soft_update(0.005, target, online, 1);
	ck_assert_close(target[0], pow(0.995, 1000), 1e-12, 0);
}
END_TEST

static Suite *ou_suite(void)
{
	Suite *s = suite_create("ou");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_noise_free_decay);
	tcase_add_test(tc, test_one_step);
	tcase_add_test(tc, test_variance_formula);
	tcase_add_test(tc, test_stationary_moments);
	tcase_add_test(tc, test_soft_update);
	tcase_add_test(tc, test_soft_update_geometric);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(ou_suite)
