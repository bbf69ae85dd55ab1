/* schedule: the noise schedules of diffusion and flow models, written in the
 * unified form of Karras et al. 2022 (EDM, eq. 1 and Table 1):
 *
 *     x_t = s(t) * (x_0 + sigma(t) * eps),   eps ~ N(0, I)
 *
 * so that every family is a pair of functions s(t), sigma(t).  Derived
 * quantities, the same for every family:
 *
 *     abar(t)    = 1 / (1 + sigma^2)     the variance-preserving signal
 *                                        fraction (DDPM's alpha-bar; equal to
 *                                        s^2 for vp and ddpm)
 *     SNR(t)     = 1 / sigma^2,  log-SNR = -2 ln sigma
 *     noise(t)   = s * sigma             the coefficient of eps in x_t, finite
 *                                        even where sigma is +inf (s = 0)
 *
 * Pure math: no I/O.  sched_init allocates the DDPM table (sched_free
 * releases it); nothing else allocates.  Everything is double precision. */
#ifndef MLPIPE_SCHEDULE_H
#define MLPIPE_SCHEDULE_H

#include <stddef.h>

enum sched_kind {
	SCHED_VP,   /* EDM "VP": sigma = sqrt(exp(bd t^2/2 + bm t) - 1) */
	SCHED_VE,   /* score_sde VE: sigma = smin (smax/smin)^t, s = 1 */
	SCHED_EDM,  /* Karras et al.: sigma = t, s = 1 */
	SCHED_FLOW, /* rectified flow / SD3: x_t = (1-t) x_0 + t eps */
	SCHED_DDPM  /* discrete DDPM: s = sqrt(abar_k), k = 0 .. T-1 */
};

enum sched_beta {
	SCHED_BETA_LINEAR,        /* Ho et al. 2020: linspace(b0, b1, T) */
	SCHED_BETA_SCALED_LINEAR, /* Stable Diffusion: linspace(sqrt b0, sqrt b1, T)^2 */
	SCHED_BETA_COSINE         /* Nichol & Dhariwal 2021, clipped at max_beta */
};

typedef struct sched {
	enum sched_kind kind;
	/* Time range of the family: vp [1e-5, 1], ve [0, 1], edm
	 * [sigma_min, sigma_max], flow [0, 1], ddpm [0, T-1]. */
	double t_min, t_max;
	/* vp: beta_d (19.9) and beta_min (0.1), EDM's parameters */
	double beta_d, beta_min;
	/* ve: 0.02 .. 100; edm: 0.002 .. 80 */
	double sigma_min, sigma_max;
	double sigma_data;        /* EDM preconditioning (0.5) */
	double shift;             /* flow: t' = S t / (1 + (S-1) t) (1: none) */
	/* ddpm */
	enum sched_beta beta_schedule;
	size_t n_steps;           /* T (1000) */
	double beta_start, beta_end; /* linear 1e-4 .. 0.02 */
	double cosine_s;          /* 0.008 */
	double max_beta;          /* 0.999 */
	int zero_terminal_snr;    /* Lin et al. 2023 rescaling */
	double *abar;             /* n_steps values, set by sched_init */
	double *log_sigma;        /* n_steps values, ln sqrt((1-abar)/abar) */
} sched;

/* The values of one time, all consistent with each other. */
typedef struct sched_point {
	double t;       /* time (ddpm: step index) */
	double s;       /* scale s(t): the coefficient of x_0 in x_t */
	double sigma;   /* noise level; +inf at zero terminal SNR or flow t = 1 */
	double noise;   /* s * sigma: the coefficient of eps in x_t */
	double abar;    /* 1 / (1 + sigma^2) */
	double log_snr; /* -2 ln sigma */
} sched_point;

/* Names used on the command line: "vp", "ve", "edm", "flow", "ddpm" and
 * "linear", "scaled-linear", "cosine"; NULL-terminated. */
extern const char *const sched_kind_names[];
extern const char *const sched_beta_names[];

/* Fill *s with the defaults of KIND (TOOLS.md, the table of schedules).
 * For ddpm the default betas are linear; call sched_set_beta_defaults after
 * changing beta_schedule to get that schedule's beta range. */
void sched_defaults(sched *s, enum sched_kind kind);
/* Set beta_start/beta_end to the defaults of s->beta_schedule. */
void sched_set_beta_defaults(sched *s);
/* Check the parameters and, for ddpm, compute the abar table.  Returns NULL
 * on success or a message naming the bad parameter ("sigma_max must exceed
 * sigma_min").  Allocation failure is reported the same way. */
const char *sched_init(sched *s);
void sched_free(sched *s);

/* The family's functions at time t (ddpm: a step index; between integer
 * steps ln sigma is interpolated linearly, as k-diffusion's
 * DiscreteSchedule does). */
double sched_s(const sched *s, double t);
double sched_sigma(const sched *s, double t);
double sched_abar(const sched *s, double t);
sched_point sched_at(const sched *s, double t);
/* The inverse: the time whose sigma(t) is sigma (sigma >= 0, may be +inf).
 * ddpm returns a fractional step in [0, T-1], clamped at the ends. */
double sched_t_of_sigma(const sched *s, double sigma);
/* The flow time warp and its inverse (identity when shift is 1). */
double sched_flow_shift(double shift, double t);
double sched_flow_unshift(double shift, double t_shifted);

/* The family formulas as plain functions, for callers that hold only the
 * parameters (sample-ode's VP sigma grid, EDM Table 1). */
double sched_vp_sigma(double beta_d, double beta_min, double t);
double sched_vp_t(double beta_d, double beta_min, double sigma);
double sched_ve_sigma(double sigma_min, double sigma_max, double t);
double sched_ve_t(double sigma_min, double sigma_max, double sigma);

/* Conversions between the VP and VE views of one noise level:
 * abar = 1/(1+sigma^2), sigma = sqrt((1-abar)/abar) (+inf at abar = 0). */
double sched_abar_of_sigma(double sigma);
double sched_sigma_of_abar(double abar);

/* DDPM: the betas of a schedule into beta[0 .. n-1] (before any zero
 * terminal SNR rescaling), and the abar table from them (cumulative product
 * of 1 - beta).  Used by sched_init; public for the tests and sample-ode. */
void sched_ddpm_betas(enum sched_beta kind, double beta_start, double beta_end,
	double cosine_s, double max_beta, double *beta, size_t n);
void sched_ddpm_abar_from_betas(const double *beta, double *abar, size_t n);
/* Lin et al. 2023, Algorithm 1: shift and scale sqrt(abar) so that the last
 * is 0 and the first is unchanged (n >= 2). */
void sched_zero_terminal_snr(double *abar, size_t n);

/* Training targets.  Each is a fixed linear combination of x_0 and eps at
 * a given time, target = cx x_0 + ce eps:
 *   eps       the noise (DDPM's epsilon-prediction)
 *   x0        the clean data
 *   v         sqrt(abar) eps - sqrt(1-abar) x_0 (Salimans & Ho 2022;
 *             diffusers get_velocity), abar the VP-equivalent 1/(1+sigma^2)
 *   velocity  eps - x_0 (rectified flow, SD3: d x_t/dt for the flow family)
 *   score     -eps / (s sigma), the score of the conditional p(x_t | x_0)
 *   edm       (x_0 - c_skip x_t/s) / c_out (EDM eq. 8, the F_theta target)
 */
enum sched_target {
	SCHED_TARGET_EPS, SCHED_TARGET_X0, SCHED_TARGET_V,
	SCHED_TARGET_VELOCITY, SCHED_TARGET_SCORE, SCHED_TARGET_EDM
};
extern const char *const sched_target_names[];
/* The coefficients of TARGET at point P.  Returns 0, or -1 when the target
 * is undefined there (score at sigma = 0). */
int sched_target_coeffs(enum sched_target target, const sched_point *p,
	double sigma_data, double *cx, double *ce);

/* One row of the forward process: xt[i] = a x0[i] + b eps[i] with
 * a = p->s, b = p->noise (finite where sigma is not), and, when target is
 * not NULL, target[i] = cx x0[i] + ce eps[i]. */
void sched_forward_row(const sched_point *p, const double *x0, const double *eps,
	double *xt, double *target, double cx, double ce, size_t n);

/* Training-time distributions, from a uniform u in (0, 1) or a standard
 * normal z:
 *   uniform       t = t_min + u (t_max - t_min); ddpm: step floor(u T), the
 *                 uniform integer of diffusers' torch.randint(0, T)
 *   edm           ln sigma = P_mean + P_std z (EDM Table 1, training), then
 *                 t = t(sigma) (ddpm: the nearest step)
 *   logit-normal  u = sigmoid(m + s z) (SD3 section 3.1), then as uniform */
double sched_time_uniform(const sched *s, double u);
double sched_time_edm(const sched *s, double z, double p_mean, double p_std);
double sched_time_logit_normal(const sched *s, double z, double mean, double std);

/* EDM preconditioning (Karras et al. 2022, Table 1):
 * c_skip = sd^2/(sigma^2+sd^2), c_out = sigma sd / sqrt(sigma^2+sd^2). */
double sched_edm_c_skip(double sigma, double sigma_data);
double sched_edm_c_out(double sigma, double sigma_data);

#endif
