/* denoiser: exact denoisers D(x; sigma) = E[x_0 | x_0 + sigma n = x] for
 * the samplers of sample-ode (Karras et al. 2022, EDM, section 2).
 *
 *   data set  y_1 .. y_N:   D = sum_i w_i y_i,
 *                           w = softmax_i(-|x - y_i|^2 / (2 sigma^2))
 *   isotropic mixture       D = sum_k r_k (S_k^2 x + sigma^2 mu_k)/(S_k^2 + sigma^2)
 *     (pi_k, mu_k, S_k):    r = softmax_k(ln pi_k - d/2 ln(S_k^2+sigma^2)
 *                                         - |x - mu_k|^2 / (2 (S_k^2+sigma^2)))
 *
 * Both work on n rows at once and in double precision.  The softmaxes are
 * taken in log-sum-exp form, so they stay exact at small sigma where the
 * exponents reach 1e5 and exp() of them alone would underflow to 0/0.
 * Pure math: no I/O; den_data_init and den_gmm_init allocate, nothing else
 * does. */
#ifndef MLPIPE_DENOISER_H
#define MLPIPE_DENOISER_H

#include <stddef.h>

/* The ideal denoiser of a finite data set (the empirical distribution). */
typedef struct den_data {
	size_t n_points, dim;
	size_t n_blocks;       /* ceil(n_points / DEN_BLOCK) */
	double *center;        /* dim: the mean of the points */
	double *packed;        /* n_blocks x dim x DEN_BLOCK centred coordinates */
	double *half_sqnorm;   /* n_blocks x DEN_BLOCK: |y_i - center|^2 / 2;
	                          padding lanes hold +inf so their weight is 0 */
	double *logit;         /* DEN_TILE x n_blocks x DEN_BLOCK scratch */
	double *xc;            /* DEN_TILE x dim scratch: centred samples */
	double *acc;           /* DEN_TILE x dim scratch: the output tile */
	int *keep;             /* n_blocks scratch: blocks with weight */
} den_data;

/* Points per block (the vector lanes of the kernel) and samples per tile. */
#define DEN_BLOCK 8
#define DEN_TILE 8

/* Copy n_points x dim points (row-major) into the kernel's layout.
 * Returns 0, or -1 when the sizes overflow or memory runs out. */
int den_data_init(den_data *dd, const double *points, size_t n_points, size_t dim);
void den_data_free(den_data *dd);
/* out[j] = D(x[j]; sigma) for n rows x (n x dim).  sigma = 0 gives the
 * nearest point (the limit; ties share the weight equally). */
void den_data_apply(den_data *dd, const double *x, size_t n, double sigma, double *out);

/* An isotropic Gaussian mixture: weights pi_k (normalised by init), means
 * mu_k (k x dim), standard deviations S_k >= 0. */
typedef struct den_gmm {
	size_t n_comp, dim;
	double *log_weight;    /* ln pi_k, normalised */
	double *mean;          /* n_comp x dim */
	double *var;           /* S_k^2 */
	double *logit;         /* n_comp scratch */
} den_gmm;

/* Copy the parameters; weights need only be >= 0 with a positive sum.
 * Returns NULL, or a message naming the bad parameter. */
const char *den_gmm_init(den_gmm *g, const double *weights, const double *means,
	const double *stds, size_t n_comp, size_t dim);
void den_gmm_free(den_gmm *g);
void den_gmm_apply(den_gmm *g, const double *x, size_t n, double sigma, double *out);

/* Moments of the mixture (for tests and --stats): the mean (dim) and the
 * per-coordinate variance (dim). */
void den_gmm_moments(const den_gmm *g, double *mean, double *var);

/* exp(x) for x <= 0, branch-free so that loops over it vectorise; within
 * 2 ulp of exp() and exactly 0 below -708 (where exp is subnormal). */
double den_exp_nonpos(double x);

#endif
