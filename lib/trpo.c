/* trpo: conjugate gradient on the empirical Fisher and the step scaled to
 * the KL bound.  See trpo.h and trpo-step(1). */
#include "trpo.h"

#include <math.h>
#include <string.h>

void trpo_params_default(trpo_params *p)
{
	/* Spinning Up trpo.py: delta=0.01, damping_coeff=0.1, cg_iters=10 */
	p->delta = 0.01;
	p->damping = 0.1;
	p->cg_iters = 10;
}

static double dot(const double *a, const double *b, size_t p)
{
	double s = 0;
	for (size_t j = 0; j < p; j++)
		s += a[j] * b[j];
	return s;
}

static void axpy(double alpha, const double *x, double *y, size_t p)
{
	for (size_t j = 0; j < p; j++)
		y[j] += alpha * x[j];
}

void trpo_policy_gradient(const double *scores, const double *adv, size_t n,
	size_t p, double *g)
{
	memset(g, 0, p * sizeof *g);
	for (size_t i = 0; i < n; i++)
		axpy(adv[i], scores + i * p, g, p);
	for (size_t j = 0; n && j < p; j++)
		g[j] /= (double)n;
}

void trpo_fisher_product(const double *scores, size_t n, size_t p,
	double damping, const double *v, double *out)
{
	memset(out, 0, p * sizeof *out);
	for (size_t i = 0; i < n; i++) {
		const double *gi = scores + i * p;
		axpy(dot(gi, v, p), gi, out, p);
	}
	for (size_t j = 0; j < p; j++)
		out[j] = (n ? out[j] / (double)n : 0.0) + damping * v[j];
}

size_t trpo_cg(trpo_matvec matvec, void *ctx, const double *b, size_t p,
	size_t iters, double *x, double *residuals, double *work)
{
	double *r = work, *dir = work + p, *a_dir = work + 2 * p;
	memset(x, 0, p * sizeof *x);
	memcpy(r, b, p * sizeof *r);
	memcpy(dir, b, p * sizeof *dir);
	double rr = dot(r, r, p);
	residuals[0] = sqrt(rr);
	size_t k = 0;
	while (k < iters && rr > 0) {
		matvec(ctx, dir, a_dir);
		double curvature = dot(dir, a_dir, p);
		if (!(curvature > 0))
			break;
		double alpha = rr / curvature;
		axpy(alpha, dir, x, p);
		axpy(-alpha, a_dir, r, p);
		double rr_new = dot(r, r, p);
		for (size_t j = 0; j < p; j++)
			dir[j] = r[j] + (rr_new / rr) * dir[j];
		rr = rr_new;
		residuals[++k] = sqrt(rr);
	}
	for (size_t j = k + 1; j <= iters; j++)
		residuals[j] = residuals[k];
	return k;
}

typedef struct fisher_ctx {
	const double *scores;
	size_t n, p;
	double damping;
} fisher_ctx;

static void fisher_matvec(void *ctx, const double *v, double *out)
{
	const fisher_ctx *f = ctx;
	trpo_fisher_product(f->scores, f->n, f->p, f->damping, v, out);
}

void trpo_step(const trpo_params *params, const double *scores,
	const double *adv, size_t n, size_t p, double *step, double *residuals,
	trpo_result *res, double *work)
{
	double *g = work, *fx = work + p, *cg_work = work + 2 * p;
	fisher_ctx f = { scores, n, p, params->damping };
	*res = (trpo_result){ 0 };
	trpo_policy_gradient(scores, adv, n, p, g);
	res->grad_norm = sqrt(dot(g, g, p));
	res->cg_iters = trpo_cg(fisher_matvec, &f, g, p, params->cg_iters, step,
		residuals, cg_work);
	fisher_matvec(&f, step, fx);
	res->xFx = dot(step, fx, p);
	/* Spinning Up: alpha = sqrt(2 delta / (x.Hx + EPS)); here exactly, and
	 * a zero step when there is no gradient */
	res->scale = res->xFx > 0 ? sqrt(2 * params->delta / res->xFx) : 0.0;
	for (size_t j = 0; j < p; j++)
		step[j] *= res->scale;
	res->improvement = dot(g, step, p);
	res->predicted_kl = 0.5 * res->scale * res->scale * res->xFx;
}
