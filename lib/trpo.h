/* trpo: the natural-gradient step of Trust Region Policy Optimization
 * (Schulman et al. 2015, Appendix C) from per-sample score vectors.
 *
 * With g_i = grad log pi(a_i|s_i) (N rows of P) and advantages A_i:
 *   g   = (1/N) sum_i A_i g_i                      the policy gradient
 *   F v = (1/N) sum_i g_i (g_i . v) + damping v    empirical Fisher product
 *   x   = CG(F, g)                                 x ~ F^-1 g
 *   s   = sqrt(2 delta / (x^T F x)) x              0.5 s^T F s = delta
 * Defaults as Spinning Up's TRPO (delta 0.01, damping 0.1, 10 CG
 * iterations).  The caller owns every buffer; no I/O, no allocation. */
#ifndef MLPIPE_TRPO_H
#define MLPIPE_TRPO_H

#include <stddef.h>

typedef struct trpo_params {
	double delta;      /* KL bound of the step */
	double damping;    /* added to the Fisher's diagonal */
	size_t cg_iters;   /* conjugate-gradient iterations */
} trpo_params;

void trpo_params_default(trpo_params *p);

/* g = (1/n) sum_i adv[i] scores[i] (scores: n rows of p). */
void trpo_policy_gradient(const double *scores, const double *adv, size_t n,
	size_t p, double *g);
/* out = (1/n) sum_i scores[i] (scores[i] . v) + damping v. */
void trpo_fisher_product(const double *scores, size_t n, size_t p,
	double damping, const double *v, double *out);

/* out = A v for a symmetric positive definite A of size p. */
typedef void (*trpo_matvec)(void *ctx, const double *v, double *out);

/* Conjugate gradient from x = 0 for A x = b (Spinning Up trpo.py cg;
 * Nocedal & Wright Algorithm 5.2).  residuals[k] (iters + 1 entries) gets
 * |r_k| = |b - A x_k| as the recursion carries it; work holds 3 p doubles.
 * Stops early when the residual is exactly 0 or the curvature p.Ap is not
 * positive.  Returns the number of iterations run. */
size_t trpo_cg(trpo_matvec matvec, void *ctx, const double *b, size_t p,
	size_t iters, double *x, double *residuals, double *work);

typedef struct trpo_result {
	size_t cg_iters;        /* iterations run */
	double grad_norm;       /* |g| */
	double xFx;             /* x^T F x */
	double scale;           /* sqrt(2 delta / x^T F x), 0 when g = 0 */
	double improvement;     /* g . s: the surrogate's predicted gain */
	double predicted_kl;    /* 0.5 s^T F s (delta unless g = 0) */
} trpo_result;

/* Doubles of work trpo_step needs for p parameters. */
#define TRPO_WORK(p) (5 * (p))

/* The step s (p doubles).  residuals: params->cg_iters + 1 doubles. */
void trpo_step(const trpo_params *params, const double *scores,
	const double *adv, size_t n, size_t p, double *step, double *residuals,
	trpo_result *res, double *work);

#endif
