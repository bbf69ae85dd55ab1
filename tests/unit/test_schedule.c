/* Unit tests for lib/schedule: the check values of TOOLS.md, the unified
 * form x_t = s(t) (x_0 + sigma(t) eps) for every family, the inverses, the
 * targets (x_0 recovered from x_t and each target), zero terminal SNR. */
#include "schedule.h"
#include "unit.h"

#include <float.h>

enum { N_KINDS = 5 };
static const double pi = 3.14159265358979323846;

static sched make(enum sched_kind kind)
{
	sched s;
	sched_defaults(&s, kind);
	ck_assert_ptr_null(sched_init(&s));
	return s;
}

/* The schedules the property tests run over: every family, and flow with
 * the SD3 shift, ddpm with each beta schedule and zero terminal SNR. */
enum { N_VARIANTS = 9 };
static sched make_variant(int i)
{
	sched s;
	if (i < N_KINDS)
		return make((enum sched_kind)i);
	if (i == 5) {
		sched_defaults(&s, SCHED_FLOW);
		s.shift = 3.0;
	} else {
		sched_defaults(&s, SCHED_DDPM);
		s.beta_schedule = i == 6 ? SCHED_BETA_SCALED_LINEAR : SCHED_BETA_COSINE;
		sched_set_beta_defaults(&s);
		s.zero_terminal_snr = i == 8;
	}
	ck_assert_ptr_null(sched_init(&s));
	return s;
}

/* A time at fraction f of the schedule's range. */
static double time_at(const sched *s, double f)
{
	return s->t_min + f * (s->t_max - s->t_min);
}

START_TEST(test_ddpm_linear_check_values)
{
	/* TOOLS.md: abar[0] = 0.9999, abar[499] = 0.078587243,
	 * abar[999] = 4.0358298e-5 (torch.cumprod in float64 agrees). */
	sched s = make(SCHED_DDPM);
	ck_assert_close(s.abar[0], 0.9999, 1e-15, 0);
	ck_assert_close(s.abar[499], 0.078587243, 1e-8, 0);
	ck_assert_close(s.abar[999], 4.0358298e-5, 1e-7, 0);
	ck_assert_close(sched_s(&s, 499), sqrt(0.078587243), 1e-8, 0);
	sched_free(&s);
}
END_TEST

START_TEST(test_ddpm_betas)
{
	enum { T = 1000 };
	static double beta[T];
	/* the cosine schedule clips its last beta at 0.999 (Nichol & Dhariwal) */
	sched_ddpm_betas(SCHED_BETA_COSINE, 0, 0, 0.008, 0.999, beta, T);
	ck_assert_double_eq(beta[T - 1], 0.999);
	ck_assert(beta[T - 2] < 0.999);
	/* and its abar follows cos^2 exactly before the clip */
	static double abar[T];
	sched_ddpm_abar_from_betas(beta, abar, T);
	double f0 = pow(cos(0.008 / 1.008 * pi / 2), 2);
	double f500 = pow(cos((0.5 + 0.008) / 1.008 * pi / 2), 2);
	ck_assert_close(abar[499], f500 / f0, 1e-12, 0);
	/* scaled-linear: square roots evenly spaced, ends at the given betas */
	sched_ddpm_betas(SCHED_BETA_SCALED_LINEAR, 0.00085, 0.012, 0, 0, beta, T);
	ck_assert_close(beta[0], 0.00085, 1e-15, 0);
	ck_assert_close(beta[T - 1], 0.012, 1e-15, 0);
	double mid = (sqrt(0.00085) + sqrt(0.012)) / 2;
	ck_assert_close(sqrt(beta[499]) + sqrt(beta[500]), 2 * mid, 1e-14, 0);
	/* a single step takes beta_start */
	sched_ddpm_betas(SCHED_BETA_LINEAR, 1e-4, 0.02, 0, 0, beta, 1);
	ck_assert_double_eq(beta[0], 1e-4);
}
END_TEST

START_TEST(test_vp_check_values)
{
	/* TOOLS.md: VP sigma(1) = 152.16697 */
	sched s = make(SCHED_VP);
	ck_assert_close(sched_sigma(&s, 1), 152.16697, 1e-7, 0);
	ck_assert_close(sched_vp_sigma(19.9, 0.1, 1), 152.16697, 1e-7, 0);
	/* score_sde VPSDE.marginal_prob: mean coefficient
	 * exp(-t^2 (b1-b0)/4 - t b0/2), std sqrt(1 - mean^2), b0 0.1, b1 20
	 * (1 - mean^2 written with expm1, which score_sde does not need in
	 * float32 but a 1e-14 comparison does) */
	for (double t = 1e-5; t <= 1; t += 0.0625) {
		double log_mean = -0.25 * t * t * 19.9 - 0.5 * t * 0.1;
		sched_point p = sched_at(&s, t);
		ck_assert_close(p.s, exp(log_mean), 1e-14, 0);
		ck_assert_close(p.noise, sqrt(-expm1(2 * log_mean)), 1e-14, 0);
	}
}
END_TEST

START_TEST(test_ve_edm_flow_values)
{
	sched ve = make(SCHED_VE), edm = make(SCHED_EDM), flow = make(SCHED_FLOW);
	ck_assert_close(sched_sigma(&ve, 0), 0.02, 1e-15, 0);
	ck_assert_close(sched_sigma(&ve, 1), 100, 1e-14, 0);
	ck_assert_close(sched_sigma(&ve, 0.5), sqrt(0.02 * 100), 1e-14, 0);
	ck_assert_double_eq(sched_s(&ve, 0.3), 1);
	ck_assert_double_eq(edm.t_min, 0.002);
	ck_assert_double_eq(edm.t_max, 80);
	ck_assert_double_eq(sched_sigma(&edm, 3.5), 3.5);
	/* flow: x_t = (1-t) x_0 + t eps */
	sched_point p = sched_at(&flow, 0.25);
	ck_assert_close(p.s, 0.75, 1e-16, 0);
	ck_assert_close(p.noise, 0.25, 1e-16, 0);
	ck_assert_close(p.sigma, 1.0 / 3, 1e-15, 0);
	/* SD3 shift 3 moves t = 0.5 to 0.75 */
	ck_assert_close(sched_flow_shift(3, 0.5), 0.75, 1e-16, 0);
	ck_assert_close(sched_flow_unshift(3, 0.75), 0.5, 1e-16, 0);
	ck_assert_double_eq(sched_flow_shift(1, 0.3), 0.3);
}
END_TEST

START_TEST(test_flow_end_points)
{
	/* t = 1 is pure noise: s = 0, sigma = inf, no NaN anywhere */
	sched flow = make(SCHED_FLOW);
	sched_point p = sched_at(&flow, 1);
	ck_assert_double_eq(p.s, 0);
	ck_assert(isinf(p.sigma) && p.sigma > 0);
	ck_assert_double_eq(p.noise, 1);
	ck_assert_double_eq(p.abar, 0);
	ck_assert(isinf(p.log_snr) && p.log_snr < 0);
	ck_assert_double_eq(sched_t_of_sigma(&flow, INFINITY), 1);
	p = sched_at(&flow, 0);
	ck_assert_double_eq(p.s, 1);
	ck_assert_double_eq(p.sigma, 0);
	ck_assert(isinf(p.log_snr) && p.log_snr > 0);
}
END_TEST

/* Every family: the point's fields agree with each other and with the
 * unified form; sigma increases with t. */
START_TEST(test_unified_form)
{
	sched s = make_variant(_i);
	double prev_sigma = -1;
	for (int k = 0; k <= 64; k++) {
		double t = time_at(&s, k / 64.0);
		if (s.kind == SCHED_DDPM)
			t = round(t);
		sched_point p = sched_at(&s, t);
		ck_assert_double_eq(p.s, sched_s(&s, t));
		ck_assert_double_eq(p.sigma, sched_sigma(&s, t));
		ck_assert_double_eq(p.abar, sched_abar(&s, t));
		ck_assert(p.sigma >= prev_sigma);
		prev_sigma = p.sigma;
		ck_assert(p.s >= 0 && p.s <= 1);
		ck_assert(!isnan(p.noise) && !isnan(p.abar) && !isnan(p.log_snr));
		if (isinf(p.sigma))
			continue;
		ck_assert_close(p.noise, p.s * p.sigma, 1e-14, 1e-300);
		ck_assert_close(p.abar, 1 / (1 + p.sigma * p.sigma), 1e-13, 1e-300);
		if (p.sigma > 0)
			ck_assert_close(p.log_snr, -2 * log(p.sigma), 1e-12, 1e-12);
		/* x_t = s (x_0 + sigma eps) = s x_0 + noise eps */
		double x0 = 0.7, eps = -1.3;
		ck_assert_close(p.s * (x0 + p.sigma * eps), p.s * x0 + p.noise * eps, 1e-13, 1e-13);
		/* variance preserving families: s^2 + noise^2 = 1 */
		if (s.kind == SCHED_VP || s.kind == SCHED_DDPM)
			ck_assert_close(p.s * p.s + p.noise * p.noise, 1, 1e-14, 0);
		if (s.kind == SCHED_FLOW)
			ck_assert_close(p.s + p.noise, 1, 1e-15, 0);
	}
	sched_free(&s);
}
END_TEST

/* t(sigma(t)) = t for every family. */
START_TEST(test_inverse)
{
	sched s = make_variant(_i);
	for (int k = 0; k <= 50; k++) {
		double t = time_at(&s, k / 50.0);
		double sigma = sched_sigma(&s, t);
		if (isinf(sigma))
			continue;
		if (sigma == 0) /* flow at t = 0 */
			continue;
		double back = sched_t_of_sigma(&s, sigma);
		ck_assert_close(back, t, 1e-9, 1e-9);
	}
	sched_free(&s);
}
END_TEST

START_TEST(test_ddpm_interpolation)
{
	/* k-diffusion DiscreteSchedule: ln sigma linear between steps, so
	 * half way sigma is the geometric mean */
	sched s = make(SCHED_DDPM);
	double a = sched_sigma(&s, 10), b = sched_sigma(&s, 11);
	ck_assert_close(sched_sigma(&s, 10.5), sqrt(a * b), 1e-13, 0);
	ck_assert_close(sched_t_of_sigma(&s, sqrt(a * b)), 10.5, 1e-10, 0);
	/* clamped outside the table */
	ck_assert_double_eq(sched_t_of_sigma(&s, 1e-9), 0);
	ck_assert_double_eq(sched_t_of_sigma(&s, 1e9), 999);
	ck_assert_double_eq(sched_sigma(&s, -3), sched_sigma(&s, 0));
	sched_free(&s);
}
END_TEST

START_TEST(test_zero_terminal_snr)
{
	/* Lin et al. 2023: the last abar is exactly 0, the first unchanged,
	 * and sqrt(abar) is an affine function of the original sqrt(abar) */
	sched plain = make(SCHED_DDPM), z;
	sched_defaults(&z, SCHED_DDPM);
	z.zero_terminal_snr = 1;
	ck_assert_ptr_null(sched_init(&z));
	ck_assert_double_eq(z.abar[999], 0);
	ck_assert_close(z.abar[0], plain.abar[0], 1e-15, 0);
	double a0 = sqrt(plain.abar[0]), aT = sqrt(plain.abar[999]);
	for (int k = 0; k < 1000; k += 37)
		ck_assert_close(sqrt(z.abar[k]), (sqrt(plain.abar[k]) - aT) * a0 / (a0 - aT), 1e-13, 1e-15);
	/* sigma = inf handled: no NaN, the noise coefficient is 1 */
	sched_point p = sched_at(&z, 999);
	ck_assert(isinf(p.sigma));
	ck_assert_double_eq(p.s, 0);
	ck_assert_double_eq(p.noise, 1);
	ck_assert(isinf(p.log_snr) && p.log_snr < 0);
	p = sched_at(&z, 998.5);
	ck_assert(isinf(p.sigma) && p.noise == 1 && p.s == 0);
	ck_assert_double_eq(sched_t_of_sigma(&z, INFINITY), 999);
	ck_assert_double_eq(sched_abar_of_sigma(INFINITY), 0);
	ck_assert(isinf(sched_sigma_of_abar(0)));
	/* every target is finite at infinite sigma */
	for (int tg = SCHED_TARGET_EPS; tg <= SCHED_TARGET_EDM; tg++) {
		double cx, ce;
		ck_assert_int_eq(sched_target_coeffs((enum sched_target)tg, &p, 0.5, &cx, &ce), 0);
		ck_assert(isfinite(cx) && isfinite(ce));
	}
	sched_free(&z);
	sched_free(&plain);
}
END_TEST

START_TEST(test_edm_preconditioning)
{
	/* EDM Table 1: at sigma = sigma_data, c_skip = 1/2 and
	 * c_out = sigma_data / sqrt(2); c_skip^2 sd^2 + c_out^2 = sd^2 c_skip */
	ck_assert_close(sched_edm_c_skip(0.5, 0.5), 0.5, 1e-16, 0);
	ck_assert_close(sched_edm_c_out(0.5, 0.5), 0.5 / sqrt(2), 1e-16, 0);
	ck_assert_double_eq(sched_edm_c_skip(0, 0.5), 1);
	ck_assert_double_eq(sched_edm_c_out(0, 0.5), 0);
	for (double sigma = 0.002; sigma < 100; sigma *= 3) {
		double cs = sched_edm_c_skip(sigma, 0.5), co = sched_edm_c_out(sigma, 0.5);
		/* the network's target has unit variance: (1-c_skip)^2 sd^2 +
		 * c_skip^2 sigma^2 = c_out^2 */
		ck_assert_close(pow(1 - cs, 2) * 0.25 + cs * cs * sigma * sigma, co * co, 1e-12, 0);
	}
}
END_TEST

/* x_0 from x_t and each target, each by its own textbook formula. */
static double recover_x0(enum sched_target tg, const sched_point *p, double sd,
	double xt, double target)
{
	double vp_x, sa, sb;
	switch (tg) {
	case SCHED_TARGET_EPS: /* DDPM eq. 15 (VE-scaled) */
		return (xt - p->noise * target) / p->s;
	case SCHED_TARGET_X0:
		return target;
	case SCHED_TARGET_V: /* Salimans & Ho 2022: x = alpha z - sigma v */
		sa = 1 / sqrt(1 + p->sigma * p->sigma);
		sb = p->sigma * sa;
		vp_x = xt / p->s * sa; /* x_t in the variance-preserving frame */
		return sa * vp_x - sb * target;
	case SCHED_TARGET_VELOCITY: /* x_t = x_0 + noise (v + x_0) - (1-s) x_0 */
		return (xt - p->noise * target) / (p->s + p->noise);
	case SCHED_TARGET_SCORE: /* Tweedie: x_0 = (x_t + (s sigma)^2 score)/s */
		return (xt + p->noise * p->noise * target) / p->s;
	case SCHED_TARGET_EDM: /* EDM eq. 7: D = c_skip x + c_out F */
		return sched_edm_c_skip(p->sigma, sd) * xt / p->s +
			sched_edm_c_out(p->sigma, sd) * target;
	}
	return NAN;
}

START_TEST(test_target_identities)
{
	sched s = make_variant(_i);
	const double sd = 0.5;
	const double x0[3] = {0.8, -2.5, 0.01}, eps[3] = {-1.1, 0.3, 2.2};
	for (int k = 1; k < 20; k++) {
		double t = time_at(&s, k / 20.0);
		sched_point p = sched_at(&s, t);
		for (int tg = SCHED_TARGET_EPS; tg <= SCHED_TARGET_EDM; tg++) {
			double cx, ce;
			ck_assert_int_eq(sched_target_coeffs((enum sched_target)tg, &p, sd, &cx, &ce), 0);
			double xt[3], target[3];
			sched_forward_row(&p, x0, eps, xt, target, cx, ce, 3);
			for (int j = 0; j < 3; j++) {
				/* x_t = s (x_0 + sigma eps) with the same eps */
				if (isfinite(p.sigma))
					ck_assert_close(xt[j], p.s * (x0[j] + p.sigma * eps[j]), 1e-12, 1e-12);
				double back = recover_x0((enum sched_target)tg, &p, sd, xt[j], target[j]);
				/* rounding grows as s shrinks: x_0 = (x_t - ...)/s */
				double scale = (fabs(xt[j]) + fabs(p.noise * target[j]) + 1) / p.s;
				ck_assert_close(back, x0[j], 0, 16 * DBL_EPSILON * scale);
			}
		}
	}
	sched_free(&s);
}
END_TEST

START_TEST(test_target_definitions)
{
	/* the v target is diffusers get_velocity: sqrt(abar) eps -
	 * sqrt(1-abar) x_0; velocity is eps - x_0; score is -eps/(s sigma) */
	sched s = make(SCHED_DDPM);
	sched_point p = sched_at(&s, 400);
	double cx, ce;
	sched_target_coeffs(SCHED_TARGET_V, &p, 0.5, &cx, &ce);
	ck_assert_close(ce, sqrt(s.abar[400]), 1e-14, 0);
	ck_assert_close(cx, -sqrt(1 - s.abar[400]), 1e-14, 0);
	sched_target_coeffs(SCHED_TARGET_SCORE, &p, 0.5, &cx, &ce);
	ck_assert_close(ce, -1 / sqrt(1 - s.abar[400]), 1e-14, 0);
	ck_assert_double_eq(cx, 0);
	sched_target_coeffs(SCHED_TARGET_VELOCITY, &p, 0.5, &cx, &ce);
	ck_assert(cx == -1 && ce == 1);
	/* the score is undefined where there is no noise */
	sched flow = make(SCHED_FLOW);
	p = sched_at(&flow, 0);
	ck_assert_int_eq(sched_target_coeffs(SCHED_TARGET_SCORE, &p, 0.5, &cx, &ce), -1);
	/* EDM target at sigma = sigma_data: c_skip = 1/2, c_out = sd/sqrt(2),
	 * F = (x_0/sd - eps)/sqrt(2); at sigma = 0 it is -eps */
	sched edm = make(SCHED_EDM);
	p = sched_at(&edm, 0.5);
	sched_target_coeffs(SCHED_TARGET_EDM, &p, 0.5, &cx, &ce);
	ck_assert_close(cx, 1 / (0.5 * sqrt(2)), 1e-15, 0);
	ck_assert_close(ce, -1 / sqrt(2), 1e-15, 0);
	p = sched_at(&edm, 0);
	sched_target_coeffs(SCHED_TARGET_EDM, &p, 0.5, &cx, &ce);
	ck_assert(cx == 0 && ce == -1);
	sched_free(&s);
}
END_TEST

START_TEST(test_time_distributions)
{
	sched edm = make(SCHED_EDM), flow = make(SCHED_FLOW), ddpm = make(SCHED_DDPM);
	/* uniform over the range; ddpm a uniform integer step 0 .. T-1 */
	ck_assert_close(sched_time_uniform(&edm, 0.5), (0.002 + 80) / 2, 1e-15, 0);
	ck_assert_double_eq(sched_time_uniform(&ddpm, 0.0004), 0);
	ck_assert_double_eq(sched_time_uniform(&ddpm, 0.5), 500);
	ck_assert_double_eq(sched_time_uniform(&ddpm, 1 - 0x1p-54), 999);
	/* EDM: z = 0 is the median, sigma = exp(P_mean) */
	ck_assert_close(sched_time_edm(&edm, 0, -1.2, 1.2), exp(-1.2), 1e-15, 0);
	ck_assert_close(sched_time_edm(&edm, 1, -1.2, 1.2), exp(0.0), 1e-15, 0);
	double k = sched_time_edm(&ddpm, 0.3, -1.2, 1.2);
	ck_assert_double_eq(k, round(k));
	ck_assert_close(sched_sigma(&ddpm, k), exp(-1.2 + 0.36), 0.01, 0);
	/* logit-normal: z = 0 is t = 1/2; sigmoid(1) = 0.7310585786 */
	ck_assert_close(sched_time_logit_normal(&flow, 0, 0, 1), 0.5, 1e-16, 0);
	ck_assert_close(sched_time_logit_normal(&flow, 1, 0, 1), 0.7310585786300049, 1e-15, 0);
	sched_free(&ddpm);
}
END_TEST

START_TEST(test_bad_parameters)
{
	sched s;
	sched_defaults(&s, SCHED_VE);
	s.sigma_min = 0;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_EDM);
	s.sigma_max = 0.001;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_FLOW);
	s.shift = 0;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_DDPM);
	s.n_steps = 0;
	ck_assert_ptr_nonnull(sched_init(&s));
	s.n_steps = 1;
	s.zero_terminal_snr = 1;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_DDPM);
	s.beta_end = 1.5;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_DDPM);
	s.n_steps = (size_t)1 << 40;
	ck_assert_ptr_nonnull(sched_init(&s));
	sched_defaults(&s, SCHED_VP);
	s.beta_d = 0;
	s.beta_min = 0;
	ck_assert_ptr_nonnull(sched_init(&s));
	/* a one-step ddpm is legal */
	sched_defaults(&s, SCHED_DDPM);
	s.n_steps = 1;
	ck_assert_ptr_null(sched_init(&s));
	ck_assert_close(sched_s(&s, 0), sqrt(1 - 1e-4), 1e-15, 0);
	sched_free(&s);
	sched_free(&s); /* idempotent */
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(sched_kind_names[SCHED_FLOW], "flow");
	ck_assert_str_eq(sched_beta_names[SCHED_BETA_SCALED_LINEAR], "scaled-linear");
	ck_assert_str_eq(sched_target_names[SCHED_TARGET_EDM], "edm");
	ck_assert_ptr_null(sched_target_names[SCHED_TARGET_EDM + 1]);
}
END_TEST

static Suite *schedule_suite(void)
{
	Suite *s = suite_create("schedule");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_ddpm_linear_check_values);
	tcase_add_test(tc, test_ddpm_betas);
	tcase_add_test(tc, test_vp_check_values);
	tcase_add_test(tc, test_ve_edm_flow_values);
	tcase_add_test(tc, test_flow_end_points);
	tcase_add_loop_test(tc, test_unified_form, 0, N_VARIANTS);
	tcase_add_loop_test(tc, test_inverse, 0, N_VARIANTS);
	tcase_add_test(tc, test_ddpm_interpolation);
	tcase_add_test(tc, test_zero_terminal_snr);
	tcase_add_test(tc, test_edm_preconditioning);
	tcase_add_loop_test(tc, test_target_identities, 0, N_VARIANTS);
	tcase_add_test(tc, test_target_definitions);
	tcase_add_test(tc, test_time_distributions);
	tcase_add_test(tc, test_bad_parameters);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(schedule_suite)
