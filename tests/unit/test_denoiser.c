/* Unit tests for lib/denoiser: the blocked kernel agrees with the textbook
 * formula, stays exact at tiny sigma, has the limits and symmetries of a
 * posterior mean, and the mixture denoiser has its closed forms. */
#include "denoiser.h"
#include "unit.h"

#include <float.h>
#include <string.h>

/* A deterministic, irregular sequence in (-1, 1) (no rng needed). */
static double wiggle(size_t i)
{
	return sin(12.9898 * (double)i + 78.233 * sin(0.37 * (double)i));
}

/* D(x; sigma) by the definition, in long double, with direct differences:
 * the reference the kernel must reproduce. */
static void reference_denoise(const double *y, size_t n_points, size_t dim, const double *x,
	double sigma, double *out)
{
	long double best = -INFINITY, total = 0;
	long double *l = malloc(n_points * sizeof *l);
	for (size_t i = 0; i < n_points; i++) {
		long double d2 = 0;
		for (size_t d = 0; d < dim; d++) {
			long double t = (long double)x[d] - y[i * dim + d];
			d2 += t * t;
		}
		l[i] = -d2 / (2.0L * sigma * sigma);
		if (l[i] > best)
			best = l[i];
	}
	for (size_t d = 0; d < dim; d++)
		out[d] = 0;
	long double *acc = calloc(dim, sizeof *acc);
	for (size_t i = 0; i < n_points; i++) {
		long double w = expl(l[i] - best);
		total += w;
		for (size_t d = 0; d < dim; d++)
			acc[d] += w * y[i * dim + d];
	}
	for (size_t d = 0; d < dim; d++)
		out[d] = (double)(acc[d] / total);
	free(acc);
	free(l);
}

START_TEST(test_exp_matches_libm)
{
	double worst = 0;
	for (int i = 0; i <= 200000; i++) {
		double x = -708.0 * i / 200000.0;
		double got = den_exp_nonpos(x), want = exp(x);
		double rel = fabs(got - want) / want;
		if (rel > worst)
			worst = rel;
	}
	ck_assert_msg(worst < 4 * DBL_EPSILON, "worst relative error %g", worst);
	ck_assert(den_exp_nonpos(0.0) == 1.0);
	ck_assert(den_exp_nonpos(-709.0) == 0.0);
	ck_assert(den_exp_nonpos(-1e300) == 0.0);
	ck_assert(den_exp_nonpos(-INFINITY) == 0.0);
}
END_TEST

/* The kernel against the definition, for sizes that do and do not fill
 * the blocks and tiles, and sigmas from 80 down to where the exponents
 * reach 1e5. */
static void check_against_reference(size_t n_points, size_t dim, size_t n, double offset)
{
	double *y = malloc(n_points * dim * sizeof *y), *x = malloc(n * dim * sizeof *x);
	double *got = malloc(n * dim * sizeof *got), *want = malloc(dim * sizeof *want);
	for (size_t i = 0; i < n_points * dim; i++)
		y[i] = offset + 2.0 * wiggle(i);
	const double sigmas[] = { 80.0, 3.0, 0.5, 0.05, 0.002 };
	den_data dd;
	ck_assert_int_eq(den_data_init(&dd, y, n_points, dim), 0);
	for (size_t k = 0; k < sizeof sigmas / sizeof *sigmas; k++) {
		double sigma = sigmas[k];
		/* rows near data points, and rows far away */
		for (size_t j = 0; j < n * dim; j++) {
			size_t row = j / dim, d = j % dim;
			x[j] = y[((row * 7) % n_points) * dim + d] + sigma * wiggle(1000 + j) * (row % 3 + 0.5);
		}
		den_data_apply(&dd, x, n, sigma, got);
		for (size_t j = 0; j < n; j++) {
			reference_denoise(y, n_points, dim, x + j * dim, sigma, want);
			for (size_t d = 0; d < dim; d++)
				ck_assert_msg(fabs(got[j * dim + d] - want[d]) <= 1e-9 * (1 + fabs(want[d])),
					"N=%zu dim=%zu sigma=%g row %zu: %.17g vs %.17g", n_points, dim,
					sigma, j, got[j * dim + d], want[d]);
		}
	}
	den_data_free(&dd);
	free(y);
	free(x);
	free(got);
	free(want);
}

START_TEST(test_data_matches_definition)
{
	check_against_reference(1, 1, 3, 0.0);
	check_against_reference(7, 3, 9, 0.0);
	check_against_reference(64, 16, 8, 0.0);
	check_against_reference(101, 5, 13, 0.0);
	/* data far from the origin: the centring keeps the digits */
	check_against_reference(37, 4, 11, 1e4);
}
END_TEST

/* At sigma = 0.001 between two points 1 apart the exponents are 5e5: a
 * softmax without log-sum-exp gives 0/0.  Halfway, the weights are equal. */
START_TEST(test_tiny_sigma_is_exact)
{
	double y[] = { 0.0, 0.0, 1.0, 0.0, 5.0, 5.0 };
	double x[] = { 0.5, 0.0, 0.9, 0.0, 0.1, 1e-4 }, out[6];
	den_data dd;
	ck_assert_int_eq(den_data_init(&dd, y, 3, 2), 0);
	den_data_apply(&dd, x, 3, 1e-3, out);
	ck_assert_close(out[0], 0.5, 1e-12, 1e-12);
	ck_assert_close(out[1], 0.0, 0, 1e-12);
	ck_assert_close(out[2], 1.0, 1e-12, 1e-12);
	ck_assert_close(out[4], 0.0, 0, 1e-12);
	ck_assert_close(out[5], 0.0, 0, 1e-12);
	den_data_free(&dd);
}
END_TEST

START_TEST(test_sigma_zero_is_nearest)
{
	double y[] = { 0.0, 2.0, 4.0 };
	double x[] = { 1.9, 3.0, -7.0, 100.0 }, out[4];
	den_data dd;
	ck_assert_int_eq(den_data_init(&dd, y, 3, 1), 0);
	den_data_apply(&dd, x, 4, 0.0, out);
	ck_assert_close(out[0], 2.0, 0, 1e-15);
	ck_assert_close(out[1], 3.0, 0, 1e-15);  /* a tie: the two share */
	ck_assert_close(out[2], 0.0, 0, 1e-15);
	ck_assert_close(out[3], 4.0, 0, 1e-15);
	den_data_free(&dd);
}
END_TEST

/* As sigma grows the posterior forgets x: D -> the mean of the data. */
START_TEST(test_large_sigma_gives_mean)
{
	double y[] = { 1.0, -1.0, 3.0, 2.0, -4.0, 5.0 }, x[] = { 0.3, -0.2 }, out[2];
	den_data dd;
	ck_assert_int_eq(den_data_init(&dd, y, 3, 2), 0);
	den_data_apply(&dd, x, 1, 1e7, out);
	ck_assert_close(out[0], 0.0, 0, 1e-9);
	ck_assert_close(out[1], 2.0, 1e-9, 1e-9);
	den_data_free(&dd);
}
END_TEST

/* Shifting the data and the query by c shifts D by c; permuting the points
 * changes nothing. */
START_TEST(test_equivariance)
{
	enum { N = 19, DIM = 3 };
	double y[N * DIM], ys[N * DIM], yp[N * DIM], x[2 * DIM], xs[2 * DIM];
	double a[2 * DIM], b[2 * DIM], c[2 * DIM];
	const double shift[DIM] = { 3.5, -100.0, 0.25 };
	for (int i = 0; i < N * DIM; i++) {
		y[i] = wiggle(i);
		ys[i] = y[i] + shift[i % DIM];
	}
	for (int i = 0; i < N; i++)
		memcpy(yp + i * DIM, y + ((i * 5) % N) * DIM, DIM * sizeof *y);
	for (int i = 0; i < 2 * DIM; i++) {
		x[i] = 0.7 * wiggle(500 + i);
		xs[i] = x[i] + shift[i % DIM];
	}
	den_data d1, d2, d3;
	ck_assert_int_eq(den_data_init(&d1, y, N, DIM), 0);
	ck_assert_int_eq(den_data_init(&d2, ys, N, DIM), 0);
	ck_assert_int_eq(den_data_init(&d3, yp, N, DIM), 0);
	den_data_apply(&d1, x, 2, 0.3, a);
	den_data_apply(&d2, xs, 2, 0.3, b);
	den_data_apply(&d3, x, 2, 0.3, c);
	for (int i = 0; i < 2 * DIM; i++) {
		ck_assert_close(b[i], a[i] + shift[i % DIM], 1e-12, 1e-12);
		ck_assert_close(c[i], a[i], 1e-12, 1e-12);
	}
	den_data_free(&d1);
	den_data_free(&d2);
	den_data_free(&d3);
}
END_TEST

START_TEST(test_data_init_rejects)
{
	den_data dd;
	double y[1] = { 0 };
	ck_assert_int_eq(den_data_init(&dd, y, 0, 1), -1);
	ck_assert_int_eq(den_data_init(&dd, y, 1, 0), -1);
	ck_assert_int_eq(den_data_init(&dd, y, SIZE_MAX / 2, SIZE_MAX / 2), -1);
}
END_TEST

/* One Gaussian N(mu, S^2): D = (S^2 x + sigma^2 mu) / (S^2 + sigma^2). */
START_TEST(test_gmm_single_gaussian)
{
	double w = 2.0, mu[] = { 0.25, -1.0 }, sd = 0.5, x[] = { 80.0, 3.0 }, out[2];
	den_gmm g;
	ck_assert_ptr_null(den_gmm_init(&g, &w, mu, &sd, 1, 2));
	for (double sigma = 0.001; sigma < 1000; sigma *= 3.7) {
		den_gmm_apply(&g, x, 1, sigma, out);
		for (int d = 0; d < 2; d++)
			ck_assert_close(out[d], (0.25 * x[d] + sigma * sigma * mu[d]) / (0.25 + sigma * sigma),
				1e-14, 1e-14);
	}
	den_gmm_free(&g);
}
END_TEST

/* Components of zero width are points: the mixture denoiser with equal
 * weights is then the data-set denoiser of the means. */
START_TEST(test_gmm_points_equal_data)
{
	enum { K = 9, DIM = 2 };
	double w[K], mu[K * DIM], sd[K], x[4 * DIM], a[4 * DIM], b[4 * DIM];
	for (int k = 0; k < K; k++) {
		w[k] = 1.0;
		sd[k] = 0.0;
	}
	for (int i = 0; i < K * DIM; i++)
		mu[i] = 3.0 * wiggle(i);
	for (int i = 0; i < 4 * DIM; i++)
		x[i] = 2.0 * wiggle(77 + i);
	den_gmm g;
	den_data dd;
	ck_assert_ptr_null(den_gmm_init(&g, w, mu, sd, K, DIM));
	ck_assert_int_eq(den_data_init(&dd, mu, K, DIM), 0);
	for (double sigma = 0.01; sigma < 200; sigma *= 4) {
		den_gmm_apply(&g, x, 4, sigma, a);
		den_data_apply(&dd, x, 4, sigma, b);
		for (int i = 0; i < 4 * DIM; i++)
			ck_assert_close(a[i], b[i], 1e-10, 1e-10);
	}
	den_gmm_free(&g);
	den_data_free(&dd);
}
END_TEST

/* Far between two components at small sigma the log-sum-exp still gives
 * finite responsibilities: D is one mean or the other, never NaN. */
START_TEST(test_gmm_tiny_sigma)
{
	double w[] = { 0.5, 0.5 }, mu[] = { -3.0, 3.0 }, sd[] = { 0.0, 0.0 };
	double x[] = { -0.5, 0.5, 0.0 }, out[3];
	den_gmm g;
	ck_assert_ptr_null(den_gmm_init(&g, w, mu, sd, 2, 1));
	den_gmm_apply(&g, x, 3, 1e-3, out);
	ck_assert_close(out[0], -3.0, 1e-15, 0);
	ck_assert_close(out[1], 3.0, 1e-15, 0);
	ck_assert_close(out[2], 0.0, 0, 1e-15);
	den_gmm_apply(&g, x, 3, 0.0, out);  /* only point masses: the nearest */
	ck_assert_close(out[0], -3.0, 1e-15, 0);
	den_gmm_free(&g);
}
END_TEST

START_TEST(test_gmm_rejects_and_moments)
{
	den_gmm g;
	double mu[] = { -2.0, 2.0 }, sd[] = { 0.5, 0.5 };
	double neg[] = { -1.0, 2.0 }, zero[] = { 0.0, 0.0 }, ok[] = { 3.0, 7.0 };
	double bad_sd[] = { 0.5, -1.0 }, bad_mu[] = { NAN, 0.0 };
	ck_assert_ptr_nonnull(den_gmm_init(&g, neg, mu, sd, 2, 1));
	ck_assert_ptr_nonnull(den_gmm_init(&g, zero, mu, sd, 2, 1));
	ck_assert_ptr_nonnull(den_gmm_init(&g, ok, mu, bad_sd, 2, 1));
	ck_assert_ptr_nonnull(den_gmm_init(&g, ok, bad_mu, sd, 2, 1));
	ck_assert_ptr_nonnull(den_gmm_init(&g, ok, mu, sd, 0, 1));
	ck_assert_ptr_null(den_gmm_init(&g, ok, mu, sd, 2, 1));
	double m, v;
	den_gmm_moments(&g, &m, &v);
	ck_assert_close(m, 0.8, 1e-15, 1e-15);
	ck_assert_close(v, 0.25 + 4.0 - 0.64, 1e-14, 1e-14);
	den_gmm_free(&g);
}
END_TEST

static Suite *denoiser_suite(void)
{
	Suite *s = suite_create("denoiser");
	TCase *tc = tcase_create("denoiser");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_exp_matches_libm);
	tcase_add_test(tc, test_data_matches_definition);
	tcase_add_test(tc, test_tiny_sigma_is_exact);
	tcase_add_test(tc, test_sigma_zero_is_nearest);
	tcase_add_test(tc, test_large_sigma_gives_mean);
	tcase_add_test(tc, test_equivariance);
	tcase_add_test(tc, test_data_init_rejects);
	tcase_add_test(tc, test_gmm_single_gaussian);
	tcase_add_test(tc, test_gmm_points_equal_data);
	tcase_add_test(tc, test_gmm_tiny_sigma);
	tcase_add_test(tc, test_gmm_rejects_and_moments);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(denoiser_suite)
