/* sampler: noise-level grids and samplers in the EDM (variance-exploding)
 * frame; see sampler.h. */
#include "sampler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

const char *const samp_grid_names[] = { "karras", "exponential", "vp", "linear", NULL };
const char *const samp_kind_names[] = {
	"euler", "heun", "edm", "euler-a", "dpm2", "dpmpp-2m", "dpmpp-2m-sde", "ddim",
	"em", "langevin", "pc", NULL
};

/* EDM's VP discretisation ends at t = epsilon_s (NVlabs/edm generate.py,
 * ablation_sampler). */
#define SAMP_VP_EPSILON_S 1e-3

/* ---- grids --------------------------------------------------------------- */

const char *samp_sigmas(enum samp_grid grid, size_t n_levels, double sigma_min,
	double sigma_max, double rho, int final_zero, double *out)
{
	if (n_levels == 0)
		return "the grid needs at least 1 level";
	if (!(sigma_min > 0.0) || !isfinite(sigma_min))
		return "sigma_min must be positive and finite";
	if (!isfinite(sigma_max) || !(sigma_max >= sigma_min))
		return "sigma_max must be finite and at least sigma_min";
	if (grid == SAMP_GRID_KARRAS && (!(rho > 0.0) || !isfinite(rho)))
		return "rho must be positive and finite";
	/* EDM generate.py: choose the VP beta_d, beta_min whose sigma(1) is
	 * sigma_max and sigma(epsilon_s) is sigma_min, then t linear 1 -> eps */
	double e = SAMP_VP_EPSILON_S;
	double log_max = log1p(sigma_max * sigma_max), log_min = log1p(sigma_min * sigma_min);
	double beta_d = 2.0 * (log_min / e - log_max) / (e - 1.0);
	double beta_min = log_max - 0.5 * beta_d;
	for (size_t i = 0; i < n_levels; i++) {
		double f = n_levels == 1 ? 0.0 : (double)i / (double)(n_levels - 1);
		double s;
		switch (grid) {
		case SAMP_GRID_KARRAS: {  /* EDM eq. 5; k-diffusion get_sigmas_karras */
			double a = pow(sigma_max, 1.0 / rho), b = pow(sigma_min, 1.0 / rho);
			s = pow(a + f * (b - a), rho);
			break;
		}
		case SAMP_GRID_EXPONENTIAL:  /* k-diffusion get_sigmas_exponential */
			s = exp(log(sigma_max) + f * (log(sigma_min) - log(sigma_max)));
			break;
		case SAMP_GRID_VP:
			s = sched_vp_sigma(beta_d, beta_min, 1.0 + f * (e - 1.0));
			break;
		default:
			s = sigma_max + f * (sigma_min - sigma_max);
			break;
		}
		out[i] = s;
	}
	/* the ends exactly as asked, whatever pow and exp rounded to */
	out[0] = sigma_max;
	if (n_levels > 1)
		out[n_levels - 1] = sigma_min;
	if (final_zero)
		out[n_levels] = 0.0;
	return NULL;
}

/* ---- options ------------------------------------------------------------- */

void samp_opts_defaults(samp_opts *o, enum samp_kind kind)
{
	memset(o, 0, sizeof *o);
	o->kind = kind;
	o->s_churn = 0.0;      /* EDM generate.py / k-diffusion defaults */
	o->s_tmin = 0.0;
	o->s_tmax = INFINITY;
	o->s_noise = 1.0;
	o->eta = kind == SAMP_DDIM ? 0.0 : 1.0;
	o->snr = 0.16;         /* score_sde configs: sampling.snr */
	o->langevin_steps = kind == SAMP_LANGEVIN ? 100 : 1;  /* ncsn T; score_sde n_steps_each */
	o->langevin_eps = 2e-5;  /* ncsn step_lr */
}

int samp_is_stochastic(const samp_opts *o)
{
	switch (o->kind) {
	case SAMP_EDM:
		return o->s_churn > 0.0;
	case SAMP_DDIM:
	case SAMP_EULER_A:
	case SAMP_DPMPP_2M_SDE:
		return o->eta > 0.0;
	case SAMP_EM:
	case SAMP_LANGEVIN:
	case SAMP_PC:
		return 1;
	default:
		return 0;
	}
}

int samp_grid_final_zero(enum samp_kind kind)
{
	return kind != SAMP_LANGEVIN;
}

uint64_t samp_nfe(const samp_opts *o, size_t n_sigmas)
{
	uint64_t steps = n_sigmas > 0 ? n_sigmas - 1 : 0;
	switch (o->kind) {
	case SAMP_HEUN:
	case SAMP_EDM:
	case SAMP_DPM2:
		/* two evaluations a step, one for a last step to sigma = 0 */
		return steps == 0 ? 0 : 2 * steps - 1;
	case SAMP_LANGEVIN:
		return (uint64_t)n_sigmas * o->langevin_steps;
	case SAMP_PC:
		return steps * (1 + (uint64_t)o->langevin_steps);
	default:
		return steps;
	}
}

/* ---- shared pieces ------------------------------------------------------- */

typedef struct samp_work {
	samp_run *r;
	size_t len;       /* n * dim */
	double *den;      /* D(x; sigma) */
	double *d;        /* dx/dsigma */
	double *x2;       /* a second state (Heun's predictor, a midpoint) */
	double *old_den;  /* the previous step's D (multistep) */
	double *z;        /* noise */
} samp_work;

static int denoise(samp_work *w, const double *x, double sigma, double *out)
{
	samp_run *r = w->r;
	r->nfe++;
	return r->denoise(r->denoise_ctx, x, r->n, r->dim, sigma, out) == 0 ? SAMP_OK
		: SAMP_ERR_DENOISER;
}

/* w->z = standard normals of the run's next draw (sampler.h, "noise") */
static void draw_noise(samp_work *w)
{
	samp_run *r = w->r;
	rng sub = rng_substream(r->noise, (uint32_t)(r->draws + 1));
	r->draws++;
	rng_normal_at(&sub, 0, w->z, w->len);
}

static void report(samp_work *w, size_t step, double sigma, const double *x)
{
	samp_run *r = w->r;
	if (r->on_state)
		r->on_state(r->state_ctx, step, sigma, x, r->n, r->dim);
}

/* d = (x - D) / sigma: k-diffusion to_d */
static void ode_slope(size_t len, const double *x, const double *den, double sigma, double *d)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (x[i] - den[i]) / sigma;
}

/* A step to sigma = 0 of the ODE, x + (0 - sigma) (x - D) / sigma, is D:
 * taken exactly, so that samples of a data set are its points. */
static void land(samp_work *w, double *x)
{
	memcpy(x, w->den, w->len * sizeof *x);
}

/* x += a * v */
static void axpy(size_t len, double a, const double *v, double *x)
{
	for (size_t i = 0; i < len; i++)
		x[i] += a * v[i];
}

/* ---- the ODE samplers --------------------------------------------------- */

/* euler, heun (EDM Algorithm 1) and edm (Algorithm 2): one step from
 * sigma to sigma_next, with churn for edm.  A step to sigma = 0 is Euler
 * (Algorithm 1, line 6: the correction needs D at sigma_next > 0). */
static int step_heun(samp_work *w, double *x, double sigma, double sigma_next, int second_order,
	double gamma)
{
	samp_run *r = w->r;
	size_t len = w->len;
	double sigma_hat = sigma * (1.0 + gamma);
	if (gamma > 0.0) {
		/* Algorithm 2, lines 4-5: raise the noise to sigma_hat */
		draw_noise(w);
		axpy(len, sqrt(sigma_hat * sigma_hat - sigma * sigma) * r->opt.s_noise, w->z, x);
	}
	int rc = denoise(w, x, sigma_hat, w->den);
	if (rc)
		return rc;
	ode_slope(len, x, w->den, sigma_hat, w->d);
	double h = sigma_next - sigma_hat;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	if (!second_order) {
		axpy(len, h, w->d, x);
		return SAMP_OK;
	}
	for (size_t i = 0; i < len; i++)
		w->x2[i] = x[i] + h * w->d[i];
	if ((rc = denoise(w, w->x2, sigma_next, w->den)))
		return rc;
	/* Algorithm 1, line 8: the trapezoid of the two slopes */
	for (size_t i = 0; i < len; i++) {
		double d2 = (w->x2[i] - w->den[i]) / sigma_next;
		x[i] += h * 0.5 * (w->d[i] + d2);
	}
	return SAMP_OK;
}

/* k-diffusion sample_dpm_2: a midpoint step at the geometric mean of the
 * two sigmas; Euler for a last step to 0. */
static int step_dpm2(samp_work *w, double *x, double sigma, double sigma_next)
{
	size_t len = w->len;
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	ode_slope(len, x, w->den, sigma, w->d);
	double sigma_mid = exp(0.5 * (log(sigma) + log(sigma_next)));
	for (size_t i = 0; i < len; i++)
		w->x2[i] = x[i] + (sigma_mid - sigma) * w->d[i];
	if ((rc = denoise(w, w->x2, sigma_mid, w->den)))
		return rc;
	for (size_t i = 0; i < len; i++)
		x[i] += (sigma_next - sigma) * (w->x2[i] - w->den[i]) / sigma_mid;
	return SAMP_OK;
}

/* k-diffusion sample_dpmpp_2m (Lu et al. 2022, DPM-Solver++(2M)) in
 * lambda = -ln sigma: first order on the first step and on a last step to
 * 0, else the two-step extrapolation of D.  h_last = 0 marks "no previous". */
static int step_dpmpp_2m(samp_work *w, double *x, double sigma, double sigma_next,
	double *h_last)
{
	size_t len = w->len;
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	double h = log(sigma) - log(sigma_next);   /* t_next - t with t = -ln sigma */
	double ratio = sigma_next / sigma, coef = -expm1(-h);
	if (*h_last == 0.0) {
		for (size_t i = 0; i < len; i++)
			x[i] = ratio * x[i] + coef * w->den[i];
	} else {
		double inv_2r = 0.5 * h / *h_last;  /* 1 / (2 r), r = h_last / h */
		for (size_t i = 0; i < len; i++) {
			double dd = (1.0 + inv_2r) * w->den[i] - inv_2r * w->old_den[i];
			x[i] = ratio * x[i] + coef * dd;
		}
	}
	memcpy(w->old_den, w->den, len * sizeof *x);
	*h_last = h;
	return SAMP_OK;
}

/* ---- the stochastic samplers -------------------------------------------- */

/* k-diffusion get_ancestral_step: sigma_up = min(s_to, eta sqrt(s_to^2
 * (s_from^2 - s_to^2) / s_from^2)), sigma_down = sqrt(s_to^2 - sigma_up^2) */
static void ancestral_step(double s_from, double s_to, double eta, double *down, double *up)
{
	double u = eta * sqrt(s_to * s_to * (s_from * s_from - s_to * s_to) / (s_from * s_from));
	*up = u < s_to ? u : s_to;
	double d2 = s_to * s_to - *up * *up;
	*down = d2 > 0.0 ? sqrt(d2) : 0.0;
}

/* k-diffusion sample_euler_ancestral */
static int step_euler_a(samp_work *w, double *x, double sigma, double sigma_next)
{
	samp_run *r = w->r;
	size_t len = w->len;
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	double down, up;
	ancestral_step(sigma, sigma_next, r->opt.eta, &down, &up);
	ode_slope(len, x, w->den, sigma, w->d);
	axpy(len, down - sigma, w->d, x);
	if (up > 0.0) {
		draw_noise(w);
		axpy(len, up * r->opt.s_noise, w->z, x);
	}
	return SAMP_OK;
}

/* k-diffusion sample_dpmpp_2m_sde, midpoint variant: the exponential
 * integrator of the SDE with eta h of the step's log-SNR spent on noise. */
static int step_dpmpp_2m_sde(samp_work *w, double *x, double sigma, double sigma_next,
	double *h_last)
{
	samp_run *r = w->r;
	size_t len = w->len;
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	double h = log(sigma) - log(sigma_next), eta_h = r->opt.eta * h;
	double decay = sigma_next / sigma * exp(-eta_h);
	double coef = -expm1(-h - eta_h);
	for (size_t i = 0; i < len; i++)
		x[i] = decay * x[i] + coef * w->den[i];
	if (*h_last != 0.0) {
		double half_over_r = 0.5 * coef * h / *h_last;
		for (size_t i = 0; i < len; i++)
			x[i] += half_over_r * (w->den[i] - w->old_den[i]);
	}
	if (r->opt.eta > 0.0) {
		draw_noise(w);
		axpy(len, sigma_next * sqrt(-expm1(-2.0 * eta_h)) * r->opt.s_noise, w->z, x);
	}
	memcpy(w->old_den, w->den, len * sizeof *x);
	*h_last = h;
	return SAMP_OK;
}

/* DDIM (Song et al. 2021, eq. 12) in the VP frame, abar = 1/(1+sigma^2):
 *   x'_prev = sqrt(abar_p) x0 + sqrt(1 - abar_p - s_t^2) eps + s_t z,
 *   s_t = eta sqrt((1-abar_p)/(1-abar_t)) sqrt(1 - abar_t/abar_p),
 * with x0 = D, eps = (x - D)/sigma and x' = sqrt(abar) x.  The complements
 * are formed as 1 - abar = sigma^2 abar, without cancellation. */
static int step_ddim(samp_work *w, double *x, double sigma, double sigma_next)
{
	samp_run *r = w->r;
	size_t len = w->len;
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	double abar_t = sched_abar_of_sigma(sigma), abar_p = sched_abar_of_sigma(sigma_next);
	double comp_t = sigma * sigma * abar_t, comp_p = sigma_next * sigma_next * abar_p;
	double ratio_t_p = abar_t / abar_p;
	double s_t = 0.0;
	if (r->opt.eta > 0.0 && ratio_t_p < 1.0)
		s_t = r->opt.eta * sqrt(comp_p / comp_t) * sqrt(1.0 - ratio_t_p);
	double eps_var = comp_p - s_t * s_t;   /* 1 - abar_p - s_t^2 */
	double c_x0 = sqrt(abar_p), c_eps = sqrt(eps_var > 0.0 ? eps_var : 0.0);
	double back = 1.0 / sqrt(abar_p);  /* VP -> VE */
	for (size_t i = 0; i < len; i++) {
		double eps = (x[i] - w->den[i]) / sigma;
		x[i] = back * (c_x0 * w->den[i] + c_eps * eps);
	}
	if (s_t > 0.0) {
		draw_noise(w);
		axpy(len, back * s_t, w->z, x);
	}
	return SAMP_OK;
}

/* score(x; sigma) = (D - x) / sigma^2 into w->d */
static int score(samp_work *w, const double *x, double sigma)
{
	int rc = denoise(w, x, sigma, w->den);
	if (rc)
		return rc;
	double inv = 1.0 / (sigma * sigma);
	for (size_t i = 0; i < w->len; i++)
		w->d[i] = (w->den[i] - x[i]) * inv;
	return SAMP_OK;
}

/* Euler-Maruyama on the reverse VE SDE dx = -2 sigma sigma' score dt +
 * sqrt(2 sigma sigma') dw, coefficients at the start of the step:
 * dt g^2 = 2 sigma (sigma - sigma_next).  The last step, to sigma = 0,
 * adds no noise (score_sde's "noise removal"). */
static int step_em(samp_work *w, double *x, double sigma, double sigma_next)
{
	int rc = score(w, x, sigma);
	if (rc)
		return rc;
	double g2dt = 2.0 * sigma * (sigma - sigma_next);
	axpy(w->len, g2dt, w->d, x);
	if (sigma_next > 0.0) {
		draw_noise(w);
		axpy(w->len, sqrt(g2dt), w->z, x);
	}
	return SAMP_OK;
}

/* score_sde ReverseDiffusionPredictor for the VE SDE: the discretised
 * reverse chain x += (sigma^2 - sigma_next^2) score + sqrt(...) z; the
 * last step, without noise, lands on D. */
static int step_reverse_diffusion(samp_work *w, double *x, double sigma, double sigma_next)
{
	int rc = score(w, x, sigma);
	if (rc)
		return rc;
	if (sigma_next == 0.0) {
		land(w, x);
		return SAMP_OK;
	}
	double g2 = sigma * sigma - sigma_next * sigma_next;
	axpy(w->len, g2, w->d, x);
	draw_noise(w);
	axpy(w->len, sqrt(g2), w->z, x);
	return SAMP_OK;
}

/* score_sde LangevinCorrector: step = 2 (snr |z| / |score|)^2 (alpha = 1 for
 * VE), x += step score + sqrt(2 step) z, where |z| and |score| are the
 * row norms averaged over the batch, as score_sde does: one row's norms
 * are too noisy in few dimensions, so the step depends on all the rows. */
static int step_langevin_corrector(samp_work *w, double *x, double sigma)
{
	samp_run *r = w->r;
	size_t dim = r->dim;
	int rc = score(w, x, sigma);
	if (rc)
		return rc;
	draw_noise(w);
	double grad_norm = 0.0, noise_norm = 0.0;
	for (size_t j = 0; j < r->n; j++) {
		double g2 = 0.0, z2 = 0.0;
		for (size_t d = 0; d < dim; d++) {
			g2 += w->d[j * dim + d] * w->d[j * dim + d];
			z2 += w->z[j * dim + d] * w->z[j * dim + d];
		}
		grad_norm += sqrt(g2);
		noise_norm += sqrt(z2);
	}
	double ratio = grad_norm > 0.0 ? r->opt.snr * noise_norm / grad_norm : 0.0;
	double step = 2.0 * ratio * ratio, noise = sqrt(2.0 * step);
	for (size_t k = 0; k < w->len; k++)
		x[k] += step * w->d[k] + noise * w->z[k];
	return SAMP_OK;
}

/* Annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1; ncsn
 * anneal_Langevin_dynamics): at level i, T steps of size
 * alpha_i = eps (sigma_i / sigma_L)^2, x += alpha score + sqrt(2 alpha) z. */
static int run_langevin(samp_work *w, double *x)
{
	samp_run *r = w->r;
	double sigma_last = r->sigmas[r->n_sigmas - 1];
	for (size_t i = 0; i < r->n_sigmas; i++) {
		double sigma = r->sigmas[i];
		double alpha = r->opt.langevin_eps * (sigma / sigma_last) * (sigma / sigma_last);
		for (size_t t = 0; t < r->opt.langevin_steps; t++) {
			int rc = score(w, x, sigma);
			if (rc)
				return rc;
			draw_noise(w);
			for (size_t k = 0; k < w->len; k++)
				x[k] += alpha * w->d[k] + sqrt(2.0 * alpha) * w->z[k];
		}
		report(w, i + 1, sigma, x);
	}
	return SAMP_OK;
}

/* ---- the driver ---------------------------------------------------------- */

static int run_steps(samp_work *w, double *x)
{
	samp_run *r = w->r;
	const samp_opts *o = &r->opt;
	size_t n_steps = r->n_sigmas - 1;
	double h_last = 0.0;
	for (size_t i = 0; i < n_steps; i++) {
		double s = r->sigmas[i], s_next = r->sigmas[i + 1];
		int rc;
		switch (o->kind) {
		case SAMP_EULER:
			rc = step_heun(w, x, s, s_next, 0, 0.0);
			break;
		case SAMP_HEUN:
			rc = step_heun(w, x, s, s_next, 1, 0.0);
			break;
		case SAMP_EDM: {
			/* Algorithm 2, line 3: churn only inside [S_tmin, S_tmax] */
			double gamma = 0.0;
			if (s >= o->s_tmin && s <= o->s_tmax) {
				gamma = o->s_churn / (double)n_steps;
				double cap = sqrt(2.0) - 1.0;
				gamma = gamma < cap ? gamma : cap;
			}
			rc = step_heun(w, x, s, s_next, 1, gamma);
			break;
		}
		case SAMP_EULER_A:
			rc = step_euler_a(w, x, s, s_next);
			break;
		case SAMP_DPM2:
			rc = step_dpm2(w, x, s, s_next);
			break;
		case SAMP_DPMPP_2M:
			rc = step_dpmpp_2m(w, x, s, s_next, &h_last);
			break;
		case SAMP_DPMPP_2M_SDE:
			rc = step_dpmpp_2m_sde(w, x, s, s_next, &h_last);
			break;
		case SAMP_DDIM:
			rc = step_ddim(w, x, s, s_next);
			break;
		case SAMP_EM:
			rc = step_em(w, x, s, s_next);
			break;
		case SAMP_PC:
			/* score_sde pc_sampler: the corrector, then the predictor */
			rc = SAMP_OK;
			for (size_t k = 0; k < o->langevin_steps && rc == SAMP_OK; k++)
				rc = step_langevin_corrector(w, x, s);
			if (rc == SAMP_OK)
				rc = step_reverse_diffusion(w, x, s, s_next);
			break;
		default:
			rc = SAMP_OK;
			break;
		}
		if (rc)
			return rc;
		report(w, i + 1, s_next, x);
	}
	return SAMP_OK;
}

int samp_run_sampler(samp_run *r, double *x)
{
	r->nfe = 0;
	r->draws = 0;
	if (samp_is_stochastic(&r->opt) && !r->noise)
		return SAMP_ERR_NOISE;
	samp_work w = { .r = r, .len = r->n * r->dim };
	if (r->n_sigmas == 0 || w.len == 0)
		return SAMP_OK;
	if (w.len / r->dim != r->n || w.len > SIZE_MAX / 5 / sizeof(double))
		return SAMP_ERR_NOMEM;
	double *block = calloc(5 * w.len, sizeof(double));
	if (!block)
		return SAMP_ERR_NOMEM;
	w.den = block;
	w.d = block + w.len;
	w.x2 = block + 2 * w.len;
	w.old_den = block + 3 * w.len;
	w.z = block + 4 * w.len;
	report(&w, 0, r->sigmas[0], x);
	int rc = r->opt.kind == SAMP_LANGEVIN ? run_langevin(&w, x) : run_steps(&w, x);
	free(block);
	return rc;
}
