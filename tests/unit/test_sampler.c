/* Unit tests for lib/sampler: the grids of the references, the check values
 * of TOOLS.md on Gaussian data (where the probability-flow ODE has a closed
 * form), the measured order of each solver, the law of the samples from a
 * two-component mixture for every sampler, DDIM inversion, NFE counts and
 * reproducible noise. */
#include "denoiser.h"
#include "sampler.h"
#include "unit.h"

#include <string.h>

/* The exact end of the ODE from x_T = 80 on N(0.25, 0.5^2) data, sigma
 * 80 -> 0: x(0) = mu + (x_T - mu) S / sqrt(S^2 + 80^2). */
#define GAUSS_EXACT 0.748427765178

static int gmm_fn(void *ctx, const double *x, size_t n, size_t dim, double sigma, double *out)
{
	(void)dim;
	den_gmm_apply(ctx, x, n, sigma, out);
	return 0;
}

/* Run KIND over a karras grid of STEPS levels 0.002 .. 80 (+ final 0). */
static double *run_on(den_gmm *g, const samp_opts *o, size_t steps, double *x, size_t n,
	const rng *noise, uint64_t *nfe)
{
	size_t n_sig = steps + samp_grid_final_zero(o->kind);
	double *sig = malloc(n_sig * sizeof *sig);
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_KARRAS, steps, 0.002, 80.0, 7.0,
		samp_grid_final_zero(o->kind), sig));
	samp_run r = { .opt = *o, .sigmas = sig, .n_sigmas = n_sig, .n = n, .dim = g->dim,
		.denoise = gmm_fn, .denoise_ctx = g, .noise = noise };
	ck_assert_int_eq(samp_run_sampler(&r, x), SAMP_OK);
	ck_assert_uint_eq(r.nfe, samp_nfe(o, n_sig));
	if (nfe)
		*nfe = r.nfe;
	free(sig);
	return x;
}

static den_gmm gauss_data(void)
{
	den_gmm g;
	double w = 1.0, mu = 0.25, sd = 0.5;
	ck_assert_ptr_null(den_gmm_init(&g, &w, &mu, &sd, 1, 1));
	return g;
}

static double ode_end(enum samp_kind kind, size_t steps)
{
	den_gmm g = gauss_data();
	samp_opts o;
	samp_opts_defaults(&o, kind);
	double x = 80.0;
	run_on(&g, &o, steps, &x, 1, NULL, NULL);
	den_gmm_free(&g);
	return x;
}

START_TEST(test_karras_grid)
{
	/* TOOLS.md: N = 5, rho 7, 0.002 .. 80 (NVlabs/edm generate.py) */
	double s[6];
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_KARRAS, 5, 0.002, 80, 7, 1, s));
	ck_assert_close(s[0], 80, 1e-15, 0);
	ck_assert_close(s[1], 17.527832, 1e-7, 0);
	ck_assert_close(s[2], 2.515219, 1e-6, 0);
	ck_assert_close(s[3], 0.16975276, 1e-7, 0);
	ck_assert_close(s[4], 0.002, 1e-15, 0);
	ck_assert(s[5] == 0.0);
}
END_TEST

START_TEST(test_other_grids)
{
	double s[9];
	/* exponential: a constant ratio */
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_EXPONENTIAL, 8, 0.01, 100, 7, 1, s));
	for (int i = 1; i < 7; i++)
		ck_assert_close(s[i + 1] / s[i], s[1] / s[0], 1e-12, 0);
	ck_assert(s[8] == 0.0);
	/* linear: a constant difference */
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_LINEAR, 8, 1, 15, 7, 0, s));
	for (int i = 0; i < 8; i++)
		ck_assert_close(s[i], 15.0 - 2.0 * i, 1e-14, 1e-14);
	/* vp: the ends as asked, decreasing; sigma_max 152.16697 = VP sigma(1)
	 * with EDM's beta_d 19.9, beta_min 0.1 gives those betas back */
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_VP, 8, 0.002, 80, 7, 0, s));
	ck_assert_close(s[0], 80, 1e-14, 0);
	ck_assert_close(s[7], 0.002, 1e-12, 0);
	for (int i = 0; i < 7; i++)
		ck_assert(s[i + 1] < s[i]);
	double vp_max = sqrt(expm1(0.5 * 19.9 + 0.1)), vp_min = sqrt(expm1(0.5 * 19.9e-6 + 0.1e-3));
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_VP, 3, vp_min, vp_max, 7, 0, s));
	ck_assert_close(vp_max, 152.16697, 1e-7, 0);
	double t = 1.0 + 0.5 * (1e-3 - 1.0);
	ck_assert_close(s[1], sqrt(expm1(0.5 * 19.9 * t * t + 0.1 * t)), 1e-9, 0);
	/* errors */
	ck_assert_ptr_nonnull(samp_sigmas(SAMP_GRID_KARRAS, 0, 0.002, 80, 7, 1, s));
	ck_assert_ptr_nonnull(samp_sigmas(SAMP_GRID_KARRAS, 5, 0.0, 80, 7, 1, s));
	ck_assert_ptr_nonnull(samp_sigmas(SAMP_GRID_KARRAS, 5, 1, 0.5, 7, 1, s));
	ck_assert_ptr_nonnull(samp_sigmas(SAMP_GRID_KARRAS, 5, 0.002, 80, 0, 1, s));
	ck_assert_ptr_nonnull(samp_sigmas(SAMP_GRID_KARRAS, 5, 0.002, INFINITY, 7, 1, s));
}
END_TEST

/* TOOLS.md check values, Gaussian data, x_T = 80. */
START_TEST(test_check_values)
{
	ck_assert_close(ode_end(SAMP_EULER, 18), 0.6717094632, 1e-9, 0);
	ck_assert_close(ode_end(SAMP_HEUN, 18), 0.77597581, 1e-8, 0);
	ck_assert_close(ode_end(SAMP_EULER, 64), 0.7264407074, 1e-9, 0);
	ck_assert_close(ode_end(SAMP_HEUN, 64), 0.7502532364, 1e-9, 0);
	/* edm without churn is heun; ddim with eta 0 is euler */
	ck_assert_close(ode_end(SAMP_EDM, 18), ode_end(SAMP_HEUN, 18), 1e-14, 0);
	ck_assert_close(ode_end(SAMP_DDIM, 18), ode_end(SAMP_EULER, 18), 1e-12, 0);
}
END_TEST

/* The order p of a solver: the error falls 2^p-fold when N doubles.
 * Euler is first order, heun, dpm2 and dpmpp-2m second. */
static double measured_order(enum samp_kind kind)
{
	double e1 = fabs(ode_end(kind, 64) - GAUSS_EXACT);
	double e2 = fabs(ode_end(kind, 128) - GAUSS_EXACT);
	return log2(e1 / e2);
}

START_TEST(test_order_of_convergence)
{
	double euler = measured_order(SAMP_EULER), heun = measured_order(SAMP_HEUN);
	ck_assert_msg(fabs(euler - 1.0) < 0.15, "euler order %g", euler);
	ck_assert_msg(fabs(heun - 2.0) < 0.3, "heun order %g", heun);
	double dpm2 = measured_order(SAMP_DPM2), dpmpp = measured_order(SAMP_DPMPP_2M);
	ck_assert_msg(fabs(dpm2 - 2.0) < 0.3, "dpm2 order %g", dpm2);
	ck_assert_msg(fabs(dpmpp - 2.0) < 0.3, "dpmpp-2m order %g", dpmpp);
	/* and every one of them converges to the exact answer */
	ck_assert_close(ode_end(SAMP_HEUN, 256), GAUSS_EXACT, 2e-4, 0);
	ck_assert_close(ode_end(SAMP_DPMPP_2M, 256), GAUSS_EXACT, 2e-4, 0);
}
END_TEST

START_TEST(test_nfe_counts)
{
	samp_opts o;
	samp_opts_defaults(&o, SAMP_HEUN);
	ck_assert_uint_eq(samp_nfe(&o, 19), 35);  /* 2N - 1 for N = 18 */
	samp_opts_defaults(&o, SAMP_EULER);
	ck_assert_uint_eq(samp_nfe(&o, 19), 18);
	samp_opts_defaults(&o, SAMP_LANGEVIN);
	ck_assert_uint_eq(samp_nfe(&o, 10), 1000);
	samp_opts_defaults(&o, SAMP_PC);
	ck_assert_uint_eq(samp_nfe(&o, 19), 36);
}
END_TEST

/* The mixture 0.3 N(-2, 0.5^2) + 0.7 N(2, 0.5^2): mean 0.8, variance 3.61,
 * 70% of the mass on the right.  Every sampler must reproduce them from
 * 4000 seeded initial states (bounds about 4 standard errors). */
static void check_mixture_law(enum samp_kind kind, size_t steps, double sigma_max)
{
	enum { N = 4000 };
	double w[] = { 0.3, 0.7 }, mu[] = { -2.0, 2.0 }, sd[] = { 0.5, 0.5 };
	den_gmm g;
	ck_assert_ptr_null(den_gmm_init(&g, w, mu, sd, 2, 1));
	samp_opts o;
	samp_opts_defaults(&o, kind);
	if (kind == SAMP_EDM)
		o.s_churn = 40.0;
	rng seed;
	rng_seed(&seed, "mixture", "test-sampler");
	double *x = malloc(N * sizeof *x);
	rng_normal_at(&seed, 0, x, N);
	for (int j = 0; j < N; j++)
		x[j] *= sigma_max;
	rng noise = rng_substream(&seed, 7);
	size_t n_sig = steps + samp_grid_final_zero(kind);
	double *sig = malloc(n_sig * sizeof *sig);
	enum samp_grid grid = kind == SAMP_LANGEVIN ? SAMP_GRID_EXPONENTIAL : SAMP_GRID_KARRAS;
	double sigma_min = kind == SAMP_LANGEVIN ? 0.01 : 0.002;
	ck_assert_ptr_null(samp_sigmas(grid, steps, sigma_min, sigma_max, 7, samp_grid_final_zero(kind), sig));
	samp_run r = { .opt = o, .sigmas = sig, .n_sigmas = n_sig, .n = N, .dim = 1,
		.denoise = gmm_fn, .denoise_ctx = &g, .noise = &noise };
	ck_assert_int_eq(samp_run_sampler(&r, x), SAMP_OK);
	double m = 0, m2 = 0, right = 0;
	for (int j = 0; j < N; j++) {
		m += x[j];
		m2 += x[j] * x[j];
		right += x[j] > 0;
	}
	m /= N;
	double var = m2 / N - m * m;
	right /= N;
	ck_assert_msg(fabs(m - 0.8) < 0.13, "%s: mean %g", samp_kind_names[kind], m);
	ck_assert_msg(fabs(var - 3.61) < 0.3, "%s: variance %g", samp_kind_names[kind], var);
	ck_assert_msg(fabs(right - 0.7) < 0.03, "%s: right mode weight %g", samp_kind_names[kind], right);
	free(x);
	free(sig);
	den_gmm_free(&g);
}

START_TEST(test_mixture_moments_and_modes)
{
	check_mixture_law(SAMP_EULER, 64, 80);
	check_mixture_law(SAMP_HEUN, 32, 80);
	check_mixture_law(SAMP_EDM, 32, 80);
	check_mixture_law(SAMP_EULER_A, 64, 80);
	check_mixture_law(SAMP_DPM2, 32, 80);
	check_mixture_law(SAMP_DPMPP_2M, 32, 80);
	check_mixture_law(SAMP_DPMPP_2M_SDE, 64, 80);
	check_mixture_law(SAMP_DDIM, 64, 80);
	check_mixture_law(SAMP_EM, 200, 80);
	check_mixture_law(SAMP_PC, 64, 80);
	check_mixture_law(SAMP_LANGEVIN, 10, 10);
}
END_TEST

/* DDIM with eta 1 draws noise and still samples the mixture. */
START_TEST(test_ddim_eta_one)
{
	den_gmm g = gauss_data();
	samp_opts o;
	samp_opts_defaults(&o, SAMP_DDIM);
	ck_assert(!samp_is_stochastic(&o));
	o.eta = 1.0;
	ck_assert(samp_is_stochastic(&o));
	/* eta 1 is the ancestral step: same noise, same path as euler-a */
	rng seed;
	rng_seed(&seed, "1", "test-sampler");
	double a[3] = { 80, -40, 10 }, b[3] = { 80, -40, 10 };
	den_gmm_free(&g);
	ck_assert_ptr_null(den_gmm_init(&g, (double[]){ 1 }, (double[]){ 0.25 }, (double[]){ 0.5 }, 1, 1));
	run_on(&g, &o, 18, a, 3, &seed, NULL);
	samp_opts_defaults(&o, SAMP_EULER_A);
	run_on(&g, &o, 18, b, 3, &seed, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_close(a[i], b[i], 1e-9, 1e-9);
	den_gmm_free(&g);
}
END_TEST

/* Encoding runs the ODE up the reversed grid (DDIM inversion); decoding
 * comes back.  2-D mixture, heun, 64 steps. */
START_TEST(test_encode_decode_round_trip)
{
	enum { N = 6, DIM = 2 };
	double w[] = { 0.5, 0.5 }, mu[] = { -1, 1, 1, -1 }, sd[] = { 0.4, 0.4 };
	den_gmm g;
	ck_assert_ptr_null(den_gmm_init(&g, w, mu, sd, 2, DIM));
	double x0[N * DIM] = { -1.2, 0.9, 1.1, -0.7, 0.3, 0.2, -0.5, 1.6, 1.4, -1.3, 0.0, -0.1 };
	double x[N * DIM];
	memcpy(x, x0, sizeof x);
	enum samp_kind kinds[] = { SAMP_HEUN, SAMP_DPMPP_2M, SAMP_DPM2 };
	for (size_t k = 0; k < 3; k++) {
		samp_opts o;
		samp_opts_defaults(&o, kinds[k]);
		double dec[65], enc[64];
		ck_assert_ptr_null(samp_sigmas(SAMP_GRID_KARRAS, 64, 0.002, 80, 7, 1, dec));
		for (int i = 0; i < 64; i++)
			enc[i] = dec[63 - i];
		memcpy(x, x0, sizeof x);
		samp_run r = { .opt = o, .sigmas = enc, .n_sigmas = 64, .n = N, .dim = DIM,
			.denoise = gmm_fn, .denoise_ctx = &g };
		ck_assert_int_eq(samp_run_sampler(&r, x), SAMP_OK);
		double norm = 0;
		for (int i = 0; i < N * DIM; i++)
			norm += x[i] * x[i];
		ck_assert_msg(sqrt(norm / N) > 20, "encoded rows are at the scale of sigma_max");
		r.sigmas = dec;
		r.n_sigmas = 65;
		ck_assert_int_eq(samp_run_sampler(&r, x), SAMP_OK);
		for (int i = 0; i < N * DIM; i++)
			ck_assert_msg(fabs(x[i] - x0[i]) < (kinds[k] == SAMP_HEUN ? 3e-3 : 1e-2), "%s: value %d: %g vs %g",
				samp_kind_names[kinds[k]], i, x[i], x0[i]);
	}
	den_gmm_free(&g);
}
END_TEST

/* Same seed, same samples; another seed, others; and a row's path does not
 * depend on how many rows run with it. */
START_TEST(test_reproducible_noise)
{
	enum samp_kind kinds[] = { SAMP_EDM, SAMP_EULER_A, SAMP_DPMPP_2M_SDE, SAMP_EM, SAMP_PC,
		SAMP_LANGEVIN };
	den_gmm g = gauss_data();
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		samp_opts o;
		samp_opts_defaults(&o, kinds[k]);
		o.s_churn = 10;
		if (kinds[k] == SAMP_LANGEVIN)
			o.langevin_steps = 5;
		rng s1, s2;
		rng_seed(&s1, "42", "test-sampler");
		rng_seed(&s2, "43", "test-sampler");
		double a[4] = { 80, 10, -30, 5 }, b[4] = { 80, 10, -30, 5 };
		double c[4] = { 80, 10, -30, 5 }, d[4] = { 80, 10, -30, 5 };
		size_t steps = kinds[k] == SAMP_LANGEVIN ? 5 : 12;
		run_on(&g, &o, steps, a, 4, &s1, NULL);
		run_on(&g, &o, steps, b, 4, &s1, NULL);
		run_on(&g, &o, steps, c, 4, &s2, NULL);
		/* pc's step size depends on the batch (score_sde); the rest
		 * give a row the same path in a smaller batch */
		run_on(&g, &o, steps, d, kinds[k] == SAMP_PC ? 4 : 2, &s1, NULL);
		for (int i = 0; i < 4; i++)
			ck_assert(a[i] == b[i]);
		ck_assert_msg(a[0] != c[0] && a[1] != c[1], "%s ignores the seed", samp_kind_names[kinds[k]]);
		ck_assert(d[0] == a[0] && d[1] == a[1]);
		/* without a noise source a stochastic sampler refuses to run */
		samp_run r = { .opt = o, .sigmas = (double[]){ 1, 0 }, .n_sigmas = 2, .n = 1,
			.dim = 1, .denoise = gmm_fn, .denoise_ctx = &g };
		ck_assert_int_eq(samp_run_sampler(&r, a), SAMP_ERR_NOISE);
	}
	den_gmm_free(&g);
}
END_TEST

static int data_fn(void *ctx, const double *x, size_t n, size_t dim, double sigma, double *out)
{
	(void)dim;
	den_data_apply(ctx, x, n, sigma, out);
	return 0;
}

/* The ideal denoiser of a data set memorises it: every sampler whose last
 * step lands on D ends exactly on the points, and each point is reached. */
START_TEST(test_data_samples_are_points)
{
	enum { N = 64 };
	const double pts[] = { 0, 0, 1, 0, 0, 1, 3, 3 };
	den_data dd;
	ck_assert_int_eq(den_data_init(&dd, pts, 4, 2), 0);
	enum samp_kind kinds[] = { SAMP_EULER, SAMP_HEUN, SAMP_DPM2, SAMP_DPMPP_2M, SAMP_EULER_A,
		SAMP_DPMPP_2M_SDE, SAMP_DDIM, SAMP_PC };
	rng seed;
	rng_seed(&seed, "points", "test-sampler");
	for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
		double x[2 * N], sig[19];
		rng_normal_at(&seed, 0, x, 2 * N);
		for (int i = 0; i < 2 * N; i++)
			x[i] *= 80;
		ck_assert_ptr_null(samp_sigmas(SAMP_GRID_KARRAS, 18, 0.002, 80, 7, 1, sig));
		samp_opts o;
		samp_opts_defaults(&o, kinds[k]);
		rng noise = rng_substream(&seed, 1);
		samp_run r = { .opt = o, .sigmas = sig, .n_sigmas = 19, .n = N, .dim = 2,
			.denoise = data_fn, .denoise_ctx = &dd, .noise = &noise };
		ck_assert_int_eq(samp_run_sampler(&r, x), SAMP_OK);
		int hits[4] = { 0 };
		for (int j = 0; j < N; j++) {
			int found = -1;
			for (int p = 0; p < 4; p++)
				if (x[2 * j] == pts[2 * p] && x[2 * j + 1] == pts[2 * p + 1])
					found = p;
			ck_assert_msg(found >= 0, "%s: row %d = (%.17g, %.17g) is not a point",
				samp_kind_names[kinds[k]], j, x[2 * j], x[2 * j + 1]);
			hits[found]++;
		}
		for (int p = 0; p < 4; p++)
			ck_assert_msg(hits[p] > 0, "%s never reaches point %d", samp_kind_names[kinds[k]], p);
	}
	den_data_free(&dd);
}
END_TEST

static int failing_fn(void *ctx, const double *x, size_t n, size_t dim, double sigma, double *out)
{
	(void)ctx, (void)x, (void)n, (void)dim, (void)sigma, (void)out;
	return -1;
}

static void count_states(void *ctx, size_t step, double sigma, const double *x, size_t n, size_t dim)
{
	(void)sigma, (void)x, (void)n, (void)dim;
	size_t *seen = ctx;
	ck_assert_uint_eq(step, *seen);
	(*seen)++;
}

START_TEST(test_states_and_failures)
{
	den_gmm g = gauss_data();
	double sig[19], x = 80;
	ck_assert_ptr_null(samp_sigmas(SAMP_GRID_KARRAS, 18, 0.002, 80, 7, 1, sig));
	size_t seen = 0;
	samp_opts o;
	samp_opts_defaults(&o, SAMP_HEUN);
	samp_run r = { .opt = o, .sigmas = sig, .n_sigmas = 19, .n = 1, .dim = 1,
		.denoise = gmm_fn, .denoise_ctx = &g, .on_state = count_states, .state_ctx = &seen };
	ck_assert_int_eq(samp_run_sampler(&r, &x), SAMP_OK);
	ck_assert_uint_eq(seen, 19);   /* x_T and the 18 steps */
	ck_assert_uint_eq(r.nfe, 35);
	r.denoise = failing_fn;
	r.on_state = NULL;
	ck_assert_int_eq(samp_run_sampler(&r, &x), SAMP_ERR_DENOISER);
	den_gmm_free(&g);
}
END_TEST

static Suite *sampler_suite(void)
{
	Suite *s = suite_create("sampler");
	TCase *tc = tcase_create("sampler");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_karras_grid);
	tcase_add_test(tc, test_other_grids);
	tcase_add_test(tc, test_check_values);
	tcase_add_test(tc, test_order_of_convergence);
	tcase_add_test(tc, test_nfe_counts);
	tcase_add_test(tc, test_mixture_moments_and_modes);
	tcase_add_test(tc, test_ddim_eta_one);
	tcase_add_test(tc, test_encode_decode_round_trip);
	tcase_add_test(tc, test_reproducible_noise);
	tcase_add_test(tc, test_states_and_failures);
	tcase_add_test(tc, test_data_samples_are_points);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(sampler_suite)
