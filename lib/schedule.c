/* schedule: s(t) and sigma(t) of every family, in double (see schedule.h). */
#include "schedule.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* A guard against absurd step counts: the table is 16 bytes a step. */
#define SCHED_MAX_STEPS ((size_t)100000000)
#define SCHED_PI 3.14159265358979323846

const char *const sched_kind_names[] = { "vp", "ve", "edm", "flow", "ddpm", NULL };
const char *const sched_beta_names[] = { "linear", "scaled-linear", "cosine", NULL };

void sched_set_beta_defaults(sched *s)
{
	if (s->beta_schedule == SCHED_BETA_SCALED_LINEAR) {
		/* Stable Diffusion v1/v2 scheduler_config.json */
		s->beta_start = 0.00085;
		s->beta_end = 0.012;
	} else {
		/* Ho et al. 2020, section 4; diffusers DDPMScheduler defaults */
		s->beta_start = 1e-4;
		s->beta_end = 0.02;
	}
}

void sched_defaults(sched *s, enum sched_kind kind)
{
	*s = (sched){ .kind = kind };
	/* EDM Table 1, "VP": beta_d = 19.9, beta_min = 0.1, eps_t = 1e-5
	 * (score_sde VPSDE beta_0 = 0.1, beta_1 = 20: beta_d = b1 - b0). */
	s->beta_d = 19.9;
	s->beta_min = 0.1;
	s->sigma_data = 0.5;
	s->shift = 1.0;
	s->beta_schedule = SCHED_BETA_LINEAR;
	s->n_steps = 1000;
	s->cosine_s = 0.008;  /* Nichol & Dhariwal 2021, eq. 17 */
	s->max_beta = 0.999;  /* ibid.: "clip beta_t to be no larger than 0.999" */
	sched_set_beta_defaults(s);
	switch (kind) {
	case SCHED_VP:
		s->t_min = 1e-5;
		s->t_max = 1.0;
		break;
	case SCHED_VE:
		/* EDM Table 1, "VE" (score_sde uses 0.01 .. 50) */
		s->sigma_min = 0.02;
		s->sigma_max = 100.0;
		s->t_max = 1.0;
		break;
	case SCHED_EDM:
		/* EDM section 5: sigma in [0.002, 80] */
		s->sigma_min = 0.002;
		s->sigma_max = 80.0;
		s->t_min = s->sigma_min;
		s->t_max = s->sigma_max;
		break;
	case SCHED_FLOW:
		s->t_max = 1.0;
		break;
	case SCHED_DDPM:
		s->t_max = (double)(s->n_steps - 1);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* The family formulas. */

/* EDM Table 1, VP: sigma(t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1). */
static double vp_exponent(double beta_d, double beta_min, double t)
{
	return 0.5 * beta_d * t * t + beta_min * t;
}

double sched_vp_sigma(double beta_d, double beta_min, double t)
{
	return sqrt(expm1(vp_exponent(beta_d, beta_min, t)));
}

/* EDM Table 1, VP sigma^-1: the positive root of
 * beta_d t^2/2 + beta_min t = ln(1 + sigma^2) (NVlabs/edm generate.py
 * vp_sigma_inv). */
double sched_vp_t(double beta_d, double beta_min, double sigma)
{
	double e = log1p(sigma * sigma);
	if (isinf(sigma))
		return INFINITY;
	if (beta_d == 0)
		return e / beta_min;
	return (sqrt(beta_min * beta_min + 2 * beta_d * e) - beta_min) / beta_d;
}

/* score_sde VESDE: sigma(t) = sigma_min (sigma_max/sigma_min)^t. */
double sched_ve_sigma(double sigma_min, double sigma_max, double t)
{
	return sigma_min * pow(sigma_max / sigma_min, t);
}

double sched_ve_t(double sigma_min, double sigma_max, double sigma)
{
	return log(sigma / sigma_min) / log(sigma_max / sigma_min);
}

/* SD3 (Esser et al. 2024, eq. 23), diffusers FlowMatchEulerDiscreteScheduler
 * time_shift: t' = S t / (1 + (S - 1) t). */
double sched_flow_shift(double shift, double t)
{
	return shift * t / (1 + (shift - 1) * t);
}

double sched_flow_unshift(double shift, double t_shifted)
{
	return t_shifted / (shift - (shift - 1) * t_shifted);
}

double sched_abar_of_sigma(double sigma)
{
	if (isinf(sigma))
		return 0;
	return 1 / (1 + sigma * sigma);
}

double sched_sigma_of_abar(double abar)
{
	if (abar <= 0)
		return INFINITY;
	return sqrt((1 - abar) / abar);
}

double sched_edm_c_skip(double sigma, double sigma_data)
{
	if (isinf(sigma))
		return 0;
	return sigma_data * sigma_data / (sigma * sigma + sigma_data * sigma_data);
}

double sched_edm_c_out(double sigma, double sigma_data)
{
	if (isinf(sigma))
		return sigma_data;
	return sigma * sigma_data / hypot(sigma, sigma_data);
}

/* ------------------------------------------------------------------ */
/* DDPM tables. */

static double linspace_at(double a, double b, size_t i, size_t n)
{
	if (n < 2)
		return a;
	return a + (b - a) * ((double)i / (double)(n - 1));
}

/* Nichol & Dhariwal 2021, eq. 17: f(u) = cos(((u + s)/(1 + s)) pi/2)^2. */
static double cosine_alpha_bar(double u, double cosine_s)
{
	double c = cos((u + cosine_s) / (1 + cosine_s) * (SCHED_PI / 2));
	return c * c;
}

void sched_ddpm_betas(enum sched_beta kind, double beta_start, double beta_end,
	double cosine_s, double max_beta, double *beta, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case SCHED_BETA_LINEAR:
			beta[i] = linspace_at(beta_start, beta_end, i, n);
			break;
		case SCHED_BETA_SCALED_LINEAR: {
			/* diffusers "scaled_linear": linspace of square roots, squared */
			double r = linspace_at(sqrt(beta_start), sqrt(beta_end), i, n);
			beta[i] = r * r;
			break;
		}
		case SCHED_BETA_COSINE: {
			/* diffusers betas_for_alpha_bar: beta_i = min(1 -
			 * f((i+1)/T)/f(i/T), max_beta) */
			double f0 = cosine_alpha_bar((double)i / (double)n, cosine_s);
			double f1 = cosine_alpha_bar((double)(i + 1) / (double)n, cosine_s);
			beta[i] = fmin(1 - f1 / f0, max_beta);
			break;
		}
		}
	}
}

void sched_ddpm_abar_from_betas(const double *beta, double *abar, size_t n)
{
	double prod = 1;
	for (size_t i = 0; i < n; i++) {
		prod *= 1 - beta[i];
		abar[i] = prod;
	}
}

/* Lin et al. 2023 ("Common Diffusion Noise Schedules and Sample Steps are
 * Flawed"), Algorithm 1; diffusers rescale_zero_terminal_snr. */
void sched_zero_terminal_snr(double *abar, size_t n)
{
	if (n < 2)
		return;
	double first = sqrt(abar[0]), last = sqrt(abar[n - 1]);
	double scale = first / (first - last);
	for (size_t i = 0; i < n; i++) {
		double r = (sqrt(abar[i]) - last) * scale;
		abar[i] = r * r;
	}
	abar[n - 1] = 0;
}

static double ddpm_log_sigma(double abar)
{
	if (abar <= 0)
		return INFINITY;
	return 0.5 * (log1p(-abar) - log(abar));
}

/* ------------------------------------------------------------------ */

static const char *check_params(const sched *s)
{
	switch (s->kind) {
	case SCHED_VP:
		if (!(s->beta_d >= 0 && s->beta_min >= 0 && s->beta_d + s->beta_min > 0))
			return "beta_d and beta_min must be >= 0, not both 0";
		if (!(s->t_min >= 0 && s->t_min < s->t_max))
			return "the time range must satisfy 0 <= t_min < t_max";
		break;
	case SCHED_VE:
		if (!(s->sigma_min > 0 && s->sigma_max > s->sigma_min && isfinite(s->sigma_max)))
			return "sigma_max must exceed sigma_min > 0";
		break;
	case SCHED_EDM:
		if (!(s->sigma_min >= 0 && s->sigma_max > s->sigma_min && isfinite(s->sigma_max)))
			return "sigma_max must exceed sigma_min >= 0";
		break;
	case SCHED_FLOW:
		if (!(s->shift > 0 && isfinite(s->shift)))
			return "shift must be positive";
		break;
	case SCHED_DDPM:
		if (s->n_steps < 1 || s->n_steps > SCHED_MAX_STEPS)
			return "the number of steps must be in 1 .. 100000000";
		if (s->zero_terminal_snr && s->n_steps < 2)
			return "zero terminal snr needs at least 2 steps";
		if (s->beta_schedule == SCHED_BETA_COSINE) {
			if (!(s->cosine_s >= 0 && s->cosine_s < 1e6))
				return "the cosine offset s must be >= 0";
			if (!(s->max_beta > 0 && s->max_beta <= 1))
				return "max_beta must be in (0, 1]";
		} else if (!(s->beta_start > 0 && s->beta_start < 1 && s->beta_end > 0 && s->beta_end < 1)) {
			return "beta_start and beta_end must be in (0, 1)";
		}
		break;
	}
	if (!(s->sigma_data > 0 && isfinite(s->sigma_data)))
		return "sigma_data must be positive";
	return NULL;
}

const char *sched_init(sched *s)
{
	const char *err = check_params(s);
	if (err)
		return err;
	if (s->kind == SCHED_EDM) {
		s->t_min = s->sigma_min;
		s->t_max = s->sigma_max;
	} else if (s->kind == SCHED_VE || s->kind == SCHED_FLOW) {
		s->t_min = 0;
		s->t_max = 1;
	}
	if (s->kind != SCHED_DDPM)
		return NULL;
	size_t n = s->n_steps;
	s->t_min = 0;
	s->t_max = (double)(n - 1);
	s->abar = malloc(n * sizeof *s->abar);
	s->log_sigma = malloc(n * sizeof *s->log_sigma);
	if (!s->abar || !s->log_sigma) {
		sched_free(s);
		return "out of memory for the ddpm table";
	}
	/* the betas go through log_sigma's storage before it gets its values */
	sched_ddpm_betas(s->beta_schedule, s->beta_start, s->beta_end,
		s->cosine_s, s->max_beta, s->log_sigma, n);
	sched_ddpm_abar_from_betas(s->log_sigma, s->abar, n);
	if (s->zero_terminal_snr)
		sched_zero_terminal_snr(s->abar, n);
	for (size_t i = 0; i < n; i++)
		s->log_sigma[i] = ddpm_log_sigma(s->abar[i]);
	return NULL;
}

void sched_free(sched *s)
{
	free(s->abar);
	free(s->log_sigma);
	s->abar = NULL;
	s->log_sigma = NULL;
}

/* ------------------------------------------------------------------ */
/* Evaluation. */

/* A point of a variance-preserving family from its sigma: s = abar^(1/2),
 * noise = (1 - abar)^(1/2), both finite at sigma = +inf. */
static sched_point vp_point(double t, double sigma)
{
	sched_point p = { .t = t, .sigma = sigma };
	if (isinf(sigma)) {
		p.s = 0;
		p.noise = 1;
	} else {
		double h = hypot(1, sigma);
		p.s = 1 / h;
		p.noise = sigma / h;
	}
	p.abar = p.s * p.s;
	p.log_snr = -2 * log(sigma);
	return p;
}

/* A point of a family with s = 1 (ve, edm). */
static sched_point ve_point(double t, double sigma)
{
	return (sched_point){
		.t = t, .s = 1, .sigma = sigma, .noise = sigma,
		.abar = sched_abar_of_sigma(sigma), .log_snr = -2 * log(sigma),
	};
}

static sched_point vp_at(const sched *s, double t)
{
	/* s(t) = exp(-e/2), noise = sqrt(1 - exp(-e)): no cancellation */
	double e = vp_exponent(s->beta_d, s->beta_min, t);
	sched_point p = { .t = t, .sigma = sqrt(expm1(e)) };
	p.s = exp(-0.5 * e);
	p.noise = sqrt(-expm1(-e));
	p.abar = exp(-e);
	p.log_snr = -log(expm1(e));
	return p;
}

static sched_point flow_at(const sched *s, double t)
{
	double u = sched_flow_shift(s->shift, t); /* x_t = (1-u) x_0 + u eps */
	sched_point p = { .t = t, .s = 1 - u, .noise = u };
	p.sigma = u < 1 ? u / (1 - u) : INFINITY;
	p.abar = (1 - u) * (1 - u) / ((1 - u) * (1 - u) + u * u);
	p.log_snr = 2 * (log(1 - u) - log(u));
	return p;
}

/* k-diffusion DiscreteSchedule.t_to_sigma: ln sigma linear between steps. */
static sched_point ddpm_at(const sched *s, double t)
{
	double last = (double)(s->n_steps - 1);
	double tc = t < 0 ? 0 : t > last ? last : t;
	size_t k = (size_t)tc;
	double w = tc - (double)k;
	if (w == 0) {
		double abar = s->abar[k];
		sched_point p = { .t = t, .abar = abar };
		p.s = sqrt(abar);
		p.noise = sqrt(1 - abar);
		p.sigma = abar > 0 ? p.noise / p.s : INFINITY;
		p.log_snr = -2 * s->log_sigma[k];
		return p;
	}
	double hi = s->log_sigma[k + 1];
	double ls = isinf(hi) ? INFINITY : (1 - w) * s->log_sigma[k] + w * hi;
	return vp_point(t, exp(ls));
}

sched_point sched_at(const sched *s, double t)
{
	switch (s->kind) {
	case SCHED_VP:
		return vp_at(s, t);
	case SCHED_VE:
		return ve_point(t, sched_ve_sigma(s->sigma_min, s->sigma_max, t));
	case SCHED_EDM:
		return ve_point(t, t);
	case SCHED_FLOW:
		return flow_at(s, t);
	case SCHED_DDPM:
		return ddpm_at(s, t);
	}
	return ve_point(t, t);
}

double sched_s(const sched *s, double t)
{
	return sched_at(s, t).s;
}

double sched_sigma(const sched *s, double t)
{
	return sched_at(s, t).sigma;
}

double sched_abar(const sched *s, double t)
{
	return sched_at(s, t).abar;
}

/* k-diffusion DiscreteSchedule.sigma_to_t: the fractional step whose
 * interpolated ln sigma is ln sigma (ln sigma increases with the step). */
static double ddpm_t_of_sigma(const sched *s, double sigma)
{
	const double *ls = s->log_sigma;
	size_t n = s->n_steps;
	double target = log(sigma);
	if (n < 2 || target <= ls[0])
		return 0;
	if (target >= ls[n - 1])
		return (double)(n - 1);
	size_t lo = 0, hi = n - 1; /* ls[lo] < target < ls[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls[mid] <= target)
			lo = mid;
		else
			hi = mid;
	}
	if (isinf(ls[hi]))
		return (double)lo;
	double w = (target - ls[lo]) / (ls[hi] - ls[lo]);
	return (double)lo + w;
}

double sched_t_of_sigma(const sched *s, double sigma)
{
	switch (s->kind) {
	case SCHED_VP:
		return sched_vp_t(s->beta_d, s->beta_min, sigma);
	case SCHED_VE:
		return sched_ve_t(s->sigma_min, s->sigma_max, sigma);
	case SCHED_EDM:
		return sigma;
	case SCHED_FLOW: {
		double u = isinf(sigma) ? 1 : sigma / (1 + sigma);
		return sched_flow_unshift(s->shift, u);
	}
	case SCHED_DDPM:
		return ddpm_t_of_sigma(s, sigma);
	}
	return sigma;
}

/* ------------------------------------------------------------------ */
/* Targets: each is cx x_0 + ce eps at a given point. */

const char *const sched_target_names[] = {
	"eps", "x0", "v", "velocity", "score", "edm", NULL
};

/* sqrt(abar) and sqrt(1 - abar) from sigma, without cancellation. */
static void vp_coeffs(double sigma, double *sqrt_abar, double *sqrt_one_minus)
{
	if (isinf(sigma)) {
		*sqrt_abar = 0;
		*sqrt_one_minus = 1;
		return;
	}
	double h = hypot(1, sigma);
	*sqrt_abar = 1 / h;
	*sqrt_one_minus = sigma / h;
}

/* EDM eq. 8: F = (x_0 - c_skip x_t/s)/c_out with x_t/s = x_0 + sigma eps.
 * Expanding c_skip and c_out (Table 1) gives
 * F = sigma/(sd r) x_0 - sd/r eps, r = sqrt(sigma^2 + sd^2), which stays
 * finite at sigma = 0 (F = -eps) and sigma = inf (F = x_0/sd). */
static void edm_coeffs(double sigma, double sd, double *cx, double *ce)
{
	if (isinf(sigma)) {
		*cx = 1 / sd;
		*ce = 0;
		return;
	}
	double r = hypot(sigma, sd);
	*cx = sigma / (sd * r);
	*ce = -sd / r;
}

int sched_target_coeffs(enum sched_target target, const sched_point *p,
	double sigma_data, double *cx, double *ce)
{
	double sa, sb;
	switch (target) {
	case SCHED_TARGET_EPS:
		*cx = 0;
		*ce = 1;
		return 0;
	case SCHED_TARGET_X0:
		*cx = 1;
		*ce = 0;
		return 0;
	case SCHED_TARGET_V:
		/* Salimans & Ho 2022, section 4; diffusers get_velocity */
		vp_coeffs(p->sigma, &sa, &sb);
		*cx = -sb;
		*ce = sa;
		return 0;
	case SCHED_TARGET_VELOCITY:
		/* Liu et al. 2022; SD3 train_dreambooth_sd3: noise - model_input */
		*cx = -1;
		*ce = 1;
		return 0;
	case SCHED_TARGET_SCORE:
		/* grad log N(x_t; s x_0, (s sigma)^2 I) = -eps/(s sigma) */
		if (!(p->noise > 0))
			return -1;
		*cx = 0;
		*ce = -1 / p->noise;
		return 0;
	case SCHED_TARGET_EDM:
		edm_coeffs(p->sigma, sigma_data, cx, ce);
		return 0;
	}
	return -1;
}

void sched_forward_row(const sched_point *p, const double *x0, const double *eps,
	double *xt, double *target, double cx, double ce, size_t n)
{
	/* s x_0 + (s sigma) eps: EDM eq. 1 with the product s sigma kept
	 * finite where sigma is infinite */
	double a = p->s, b = p->noise;
	for (size_t i = 0; i < n; i++)
		xt[i] = a * x0[i] + b * eps[i];
	if (!target)
		return;
	for (size_t i = 0; i < n; i++)
		target[i] = cx * x0[i] + ce * eps[i];
}

/* ------------------------------------------------------------------ */
/* Training-time distributions. */

double sched_time_uniform(const sched *s, double u)
{
	if (s->kind == SCHED_DDPM) {
		double k = floor(u * (double)s->n_steps);
		return k < s->t_max ? k : s->t_max;
	}
	return s->t_min + u * (s->t_max - s->t_min);
}

double sched_time_edm(const sched *s, double z, double p_mean, double p_std)
{
	double t = sched_t_of_sigma(s, exp(p_mean + p_std * z));
	return s->kind == SCHED_DDPM ? round(t) : t;
}

double sched_time_logit_normal(const sched *s, double z, double mean, double std)
{
	double u = 1 / (1 + exp(-(mean + std * z)));
	return sched_time_uniform(s, u);
}
