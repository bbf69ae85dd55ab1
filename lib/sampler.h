/* sampler: noise-level grids and the samplers of diffusion models, all in
 * the variance-exploding frame of Karras et al. 2022 (EDM): a state x at
 * noise level sigma is x_0 + sigma n, the denoiser D(x; sigma) estimates
 * x_0, the probability-flow ODE is
 *
 *     dx/dsigma = (x - D(x; sigma)) / sigma
 *
 * and the score is (D(x; sigma) - x) / sigma^2.  Each sampler takes the
 * rows of x from sigmas[0] down the grid (or up it, for an ODE sampler
 * given an increasing grid: DDIM inversion).  Pure math: no I/O.  samp_run
 * allocates its scratch and frees it before returning. */
#ifndef MLPIPE_SAMPLER_H
#define MLPIPE_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

enum samp_grid {
	SAMP_GRID_KARRAS,       /* EDM eq. 5: linear in sigma^(1/rho) */
	SAMP_GRID_EXPONENTIAL,  /* linear in ln sigma */
	SAMP_GRID_VP,           /* EDM's VP discretisation (time linear in t) */
	SAMP_GRID_LINEAR        /* linear in sigma */
};
extern const char *const samp_grid_names[];

/* n_levels noise levels from sigma_max down to sigma_min into out, then a
 * final 0 when final_zero (out holds n_levels + final_zero values).
 * n_levels = 1 gives sigma_max alone.  rho is used by karras only.
 * Returns NULL, or a message naming the bad parameter. */
const char *samp_sigmas(enum samp_grid grid, size_t n_levels, double sigma_min,
	double sigma_max, double rho, int final_zero, double *out);

enum samp_kind {
	SAMP_EULER, SAMP_HEUN, SAMP_EDM, SAMP_EULER_A, SAMP_DPM2, SAMP_DPMPP_2M,
	SAMP_DPMPP_2M_SDE, SAMP_DDIM, SAMP_EM, SAMP_LANGEVIN, SAMP_PC
};
/* "euler", "heun", "edm", "euler-a", "dpm2", "dpmpp-2m", "dpmpp-2m-sde",
 * "ddim", "em", "langevin", "pc"; NULL-terminated */
extern const char *const samp_kind_names[];

typedef struct samp_opts {
	enum samp_kind kind;
	double s_churn, s_tmin, s_tmax, s_noise;  /* EDM Algorithm 2 (0, 0, inf, 1) */
	double eta;            /* euler-a, dpmpp-2m-sde: 1; ddim: 0 */
	double snr;            /* pc: Langevin corrector signal-to-noise (0.16) */
	size_t langevin_steps; /* langevin: steps per level (100); pc: corrector steps (1) */
	double langevin_eps;   /* langevin: step size at the last level (2e-5) */
} samp_opts;

/* The defaults of KIND (the values above). */
void samp_opts_defaults(samp_opts *o, enum samp_kind kind);
/* 1 when the sampler draws noise (edm only with s_churn > 0, ddim only
 * with eta > 0). */
int samp_is_stochastic(const samp_opts *o);
/* 1 when the grid ends in 0 for this sampler (all but langevin). */
int samp_grid_final_zero(enum samp_kind kind);
/* Denoiser evaluations of one run over n_sigmas grid values. */
uint64_t samp_nfe(const samp_opts *o, size_t n_sigmas);

/* D(x; sigma) for n rows of dim: write out, return 0, or -1 on failure. */
typedef int (*samp_denoise_fn)(void *ctx, const double *x, size_t n, size_t dim,
	double sigma, double *out);
/* Called with the initial state (step 0) and after every step of the grid
 * (langevin: after every level), with the noise level reached. */
typedef void (*samp_state_fn)(void *ctx, size_t step, double sigma, const double *x,
	size_t n, size_t dim);

typedef struct samp_run {
	samp_opts opt;
	const double *sigmas;  /* the grid */
	size_t n_sigmas;
	size_t n, dim;         /* rows of x */
	samp_denoise_fn denoise;
	void *denoise_ctx;
	/* noise for the stochastic samplers: draw k (k = 0, 1, ...) of the run
	 * is substream k + 1 of *noise, value j*dim + d for row j; substream 0
	 * is left to the caller (the initial noise).  NULL: deterministic only. */
	const rng *noise;
	samp_state_fn on_state; /* may be NULL */
	void *state_ctx;
	uint64_t nfe;          /* out: denoiser evaluations made */
	uint64_t draws;        /* out: noise draws made */
} samp_run;

enum { SAMP_OK = 0, SAMP_ERR_DENOISER = -1, SAMP_ERR_NOMEM = -2, SAMP_ERR_NOISE = -3 };

/* Run the sampler on x (n x dim, in place).  Returns SAMP_OK or an error:
 * the denoiser failed, scratch could not be allocated, or a stochastic
 * sampler was given no noise source. */
int samp_run_sampler(samp_run *r, double *x);

#endif
