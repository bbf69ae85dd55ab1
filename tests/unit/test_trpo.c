/* Unit tests of lib/trpo: conjugate gradient against a direct solve, the
 * step against an explicit Fisher matrix, the KL of the step equal to
 * delta, the residuals, and the zero-gradient edge case. */
#include "trpo.h"
#include "unit.h"

#include <string.h>

enum { N = 12, P = 5 };

static double uniform(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

static void random_scores(double *scores, double *adv, size_t n, size_t p, unsigned long long seed)
{
	unsigned long long s = seed;
	for (size_t i = 0; i < n * p; i++)
		scores[i] = 2.0 * uniform(&s) - 1.0;
	for (size_t i = 0; i < n; i++)
		adv[i] = 2.0 * uniform(&s) - 1.0;
}

/* F = (1/n) G^T G + damping I, explicitly. */
static void fisher_matrix(const double *scores, size_t n, size_t p, double damping, double *f)
{
	for (size_t a = 0; a < p; a++)
		for (size_t b = 0; b < p; b++) {
			double s = 0;
			for (size_t i = 0; i < n; i++)
				s += scores[i * p + a] * scores[i * p + b];
			f[a * p + b] = s / (double)n + (a == b ? damping : 0.0);
		}
}

/* Solve A x = b by Gaussian elimination with partial pivoting (A, b
 * overwritten). */
static void direct_solve(double *a, double *b, size_t p, double *x)
{
	for (size_t k = 0; k < p; k++) {
		size_t piv = k;
		for (size_t i = k + 1; i < p; i++)
			if (fabs(a[i * p + k]) > fabs(a[piv * p + k]))
				piv = i;
		for (size_t j = 0; j < p; j++) {
			double t = a[k * p + j];
			a[k * p + j] = a[piv * p + j];
			a[piv * p + j] = t;
		}
		double t = b[k];
		b[k] = b[piv];
		b[piv] = t;
		for (size_t i = k + 1; i < p; i++) {
			double l = a[i * p + k] / a[k * p + k];
			for (size_t j = k; j < p; j++)
				a[i * p + j] -= l * a[k * p + j];
			b[i] -= l * b[k];
		}
	}
	for (size_t k = p; k-- > 0;) {
		double s = b[k];
		for (size_t j = k + 1; j < p; j++)
			s -= a[k * p + j] * x[j];
		x[k] = s / a[k * p + k];
	}
}

static double quad_form(const double *f, const double *v, size_t p)
{
	double s = 0;
	for (size_t a = 0; a < p; a++)
		for (size_t b = 0; b < p; b++)
			s += v[a] * f[a * p + b] * v[b];
	return s;
}

typedef struct dense {
	const double *m;
	size_t p;
} dense;

static void dense_matvec(void *ctx, const double *v, double *out)
{
	const dense *d = ctx;
	for (size_t a = 0; a < d->p; a++) {
		out[a] = 0;
		for (size_t b = 0; b < d->p; b++)
			out[a] += d->m[a * d->p + b] * v[b];
	}
}

START_TEST(defaults_are_spinning_up)
{
	trpo_params p;
	trpo_params_default(&p);
	ck_assert_close(p.delta, 0.01, 0, 0);
	ck_assert_close(p.damping, 0.1, 0, 0);
	ck_assert_uint_eq(p.cg_iters, 10);
}
END_TEST

START_TEST(cg_matches_direct_solve)
{
	double scores[N * P], adv[N], f[P * P], a[P * P], b[P], b2[P], x[P], want[P];
	double res[P + 1], work[3 * P];
	random_scores(scores, adv, N, P, 7);
	fisher_matrix(scores, N, P, 0.1, f);
	for (size_t j = 0; j < P; j++)
		b[j] = adv[j];
	memcpy(a, f, sizeof a);
	memcpy(b2, b, sizeof b);
	direct_solve(a, b2, P, want);
	dense d = { f, P };
	size_t k = trpo_cg(dense_matvec, &d, b, P, P, x, res, work);
	ck_assert_uint_eq(k, P);
	for (size_t j = 0; j < P; j++)
		ck_assert_close(x[j], want[j], 1e-9, 1e-12);
	/* residual starts at |b| and ends near 0 after P steps */
	double bn = 0;
	for (size_t j = 0; j < P; j++)
		bn += b[j] * b[j];
	ck_assert_close(res[0], sqrt(bn), 1e-15, 0);
	ck_assert(res[P] < 1e-10 * res[0]);
}
END_TEST

START_TEST(fisher_product_matches_matrix)
{
	double scores[N * P], adv[N], f[P * P], v[P], got[P], want[P];
	random_scores(scores, adv, N, P, 11);
	fisher_matrix(scores, N, P, 0.3, f);
	for (size_t j = 0; j < P; j++)
		v[j] = adv[j + 3];
	trpo_fisher_product(scores, N, P, 0.3, v, got);
	dense d = { f, P };
	dense_matvec(&d, v, want);
	for (size_t j = 0; j < P; j++)
		ck_assert_close(got[j], want[j], 1e-13, 1e-15);
}
END_TEST

START_TEST(step_matches_direct_solve_and_kl_is_delta)
{
	double scores[N * P], adv[N], f[P * P], a[P * P], g[P], x[P], step[P];
	double res[P + 1], work[TRPO_WORK(P)];
	random_scores(scores, adv, N, P, 2026);
	trpo_params prm = { .delta = 0.02, .damping = 0.1, .cg_iters = P };
	trpo_result r;
	trpo_step(&prm, scores, adv, N, P, step, res, &r, work);
	/* the direct way: x = F^-1 g, s = sqrt(2 delta / x^T F x) x */
	trpo_policy_gradient(scores, adv, N, P, g);
	fisher_matrix(scores, N, P, prm.damping, f);
	memcpy(a, f, sizeof a);
	double g2[P];
	memcpy(g2, g, sizeof g);
	direct_solve(a, g2, P, x);
	double scale = sqrt(2 * prm.delta / quad_form(f, x, P));
	for (size_t j = 0; j < P; j++)
		ck_assert_close(step[j], scale * x[j], 1e-9, 1e-12);
	/* the quadratic KL of the step is delta, measured with F itself */
	ck_assert_close(0.5 * quad_form(f, step, P), prm.delta, 1e-12, 0);
	ck_assert_close(r.predicted_kl, prm.delta, 1e-12, 0);
	/* improvement g.s > 0: F is positive definite */
	double gs = 0;
	for (size_t j = 0; j < P; j++)
		gs += g[j] * step[j];
	ck_assert_close(r.improvement, gs, 1e-14, 0);
	ck_assert(r.improvement > 0);
	ck_assert_uint_eq(r.cg_iters, P);
}
END_TEST

START_TEST(residuals_with_few_iterations)
{
	/* fewer CG iterations than parameters: KL still exactly delta, since
	 * the scale uses the x that CG returned */
	enum { PB = 40, NB = 30 };
	static double scores[NB * PB], adv[NB];
	double step[PB], res[4], work[TRPO_WORK(PB)], f[PB * PB];
	random_scores(scores, adv, NB, PB, 5);
	trpo_params prm;
	trpo_params_default(&prm);
	prm.cg_iters = 3;
	trpo_result r;
	trpo_step(&prm, scores, adv, NB, PB, step, res, &r, work);
	ck_assert_uint_eq(r.cg_iters, 3);
	fisher_matrix(scores, NB, PB, prm.damping, f);
	ck_assert_close(0.5 * quad_form(f, step, PB), prm.delta, 1e-11, 0);
	ck_assert(res[3] < res[0]);
	ck_assert_close(res[0], r.grad_norm, 1e-15, 0);
}
END_TEST

START_TEST(zero_gradient)
{
	double scores[N * P], adv[N], step[P], res[11], work[TRPO_WORK(P)];
	random_scores(scores, adv, N, P, 3);
	memset(adv, 0, sizeof adv);
	trpo_params prm;
	trpo_params_default(&prm);
	trpo_result r;
	trpo_step(&prm, scores, adv, N, P, step, res, &r, work);
	ck_assert_uint_eq(r.cg_iters, 0);
	for (size_t j = 0; j < P; j++)
		ck_assert(step[j] == 0);
	ck_assert(r.predicted_kl == 0 && r.improvement == 0);
	for (size_t k = 0; k <= 10; k++)
		ck_assert(res[k] == 0);
}
END_TEST

static Suite *trpo_suite(void)
{
	Suite *s = suite_create("trpo");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_are_spinning_up);
	tcase_add_test(tc, cg_matches_direct_solve);
	tcase_add_test(tc, fisher_product_matches_matrix);
	tcase_add_test(tc, step_matches_direct_solve_and_kl_is_delta);
	tcase_add_test(tc, residuals_with_few_iterations);
	tcase_add_test(tc, zero_gradient);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(trpo_suite)
