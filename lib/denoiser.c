/* denoiser: the ideal denoisers of a data set and of an isotropic Gaussian
 * mixture (see denoiser.h for the formulas). */
#include "denoiser.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Weights below exp(-DEN_CUT_BASE) / N of the largest are left out: their
 * sum is under 2^-60 of the total, below double rounding. */
#define DEN_CUT_BASE 42.0
/* Half squared norm of a padding lane: its logit is -inf, its weight 0,
 * and it is never the largest unless every real logit overflowed to -inf
 * too (then the result is NaN, which the caller reports). */
#define DEN_PAD INFINITY

/* The hot loops are compiled for the baseline and, where GCC can dispatch
 * at load time (ifunc), for AVX2+FMA and AVX-512 too: the Makefile builds
 * for the x86-64 baseline, whose 2-lane SSE2 would halve the throughput. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
	&& !defined(__SANITIZE_ADDRESS__)
#define DEN_CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define DEN_CLONES
#endif

static int mul_overflows(size_t a, size_t b, size_t *out)
{
	if (a != 0 && b > SIZE_MAX / a)
		return 1;
	*out = a * b;
	return 0;
}

/* The kernels are written with GCC's vector extensions (also clang's): a
 * den_vec holds the DEN_BLOCK lanes of one block of points.  The compiler
 * maps it to 4 SSE2, 2 AVX or 1 AVX-512 registers; the lane order, and so
 * every rounding, is the same on all of them. */
/* den_vec never crosses a non-inline call, so its calling convention does
 * not matter; GCC and clang would warn that it changes with AVX-512. */
#if defined(__clang__)
#if __has_warning("-Wpsabi")
#pragma clang diagnostic ignored "-Wpsabi"
#endif
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
typedef double den_vec __attribute__((vector_size(8 * DEN_BLOCK)));
typedef uint64_t den_uvec __attribute__((vector_size(8 * DEN_BLOCK)));
typedef int64_t den_mask __attribute__((vector_size(8 * DEN_BLOCK)));

static inline __attribute__((always_inline)) den_vec vec_load(const double *p)
{
	den_vec v;
	memcpy(&v, p, sizeof v);
	return v;
}

/* (helpers take vectors by pointer: GCC notes that passing 64-byte
 * vectors by value changed ABI, even for calls that are inlined) */
static inline __attribute__((always_inline)) void vec_store(double *p, const den_vec *v)
{
	memcpy(p, v, sizeof *v);
}

static inline __attribute__((always_inline)) den_vec vec_splat(double x)
{
	den_vec v;
	for (int p = 0; p < DEN_BLOCK; p++)
		v[p] = x;
	return v;
}

/* where mask: a, else b */
#define VEC_SELECT(mask, a, b) \
	((den_vec)(((den_mask)(a) & (mask)) | ((den_mask)(b) & ~(mask))))

/* exp(x) for x <= 0, lane by lane: Cody-Waite reduction x = k ln2 + r,
 * |r| <= ln2/2, the degree-12 Taylor polynomial of e^r (truncation below
 * 2e-16) and 2^k built in the exponent bits: the usual vector-libm
 * construction (SLEEF xexp, fdlibm e_exp.c for the split of ln2).  Lanes
 * below -708, where exp is subnormal, give exactly 0.  lib/vmath's
 * vmath_exp4 covers every x but divides (fdlibm's rational form): with it
 * the whole denoiser takes twice as long at large sigma, so the softmax
 * keeps this division-free form for its x <= 0. */
static inline __attribute__((always_inline)) den_vec vec_exp_nonpos(const den_vec *xp)
{
	den_vec x = *xp;
	const double log2e = 1.4426950408889634;
	const double ln2_hi = 6.93147180369123816490e-01;
	const double ln2_lo = 1.90821492927058770002e-10;
	const double shifter = 6755399441055744.0;          /* 1.5 * 2^52 */
	den_mask tiny = x < -708.0;
	den_vec xc = VEC_SELECT(tiny, vec_splat(-708.0), x);
	den_vec kf = xc * log2e + shifter;                 /* round to nearest */
	den_uvec kbits = (den_uvec)kf;                     /* k in the low bits */
	kf -= shifter;
	den_vec r = (xc - kf * ln2_hi) - kf * ln2_lo;
	/* Estrin's scheme: a shallow tree instead of a Horner chain of 12,
	 * so that blocks overlap in the pipeline */
	den_vec r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
	den_vec p01 = 1.0 + r, p23 = 1.0 / 2 + r * (1.0 / 6);
	den_vec p45 = 1.0 / 24 + r * (1.0 / 120), p67 = 1.0 / 720 + r * (1.0 / 5040);
	den_vec p89 = 1.0 / 40320 + r * (1.0 / 362880);
	den_vec pab = 1.0 / 3628800 + r * (1.0 / 39916800);
	den_vec p0_3 = p01 + r2 * p23, p4_7 = p45 + r2 * p67;
	den_vec p8_12 = (p89 + r2 * pab) + r4 * (1.0 / 479001600);
	den_vec p = (p0_3 + r4 * p4_7) + r8 * p8_12;
	den_vec scale = (den_vec)((kbits + 1023u) << 52);
	return VEC_SELECT(tiny, vec_splat(0.0), p * scale);
}

double den_exp_nonpos(double x)
{
	den_vec v = vec_splat(x);
	return vec_exp_nonpos(&v)[0];
}

/* ---- data set ---------------------------------------------------------- */

void den_data_free(den_data *dd)
{
	free(dd->center);
	free(dd->packed);
	free(dd->half_sqnorm);
	free(dd->logit);
	free(dd->xc);
	free(dd->acc);
	free(dd->keep);
	memset(dd, 0, sizeof *dd);
}

int den_data_init(den_data *dd, const double *points, size_t n_points, size_t dim)
{
	memset(dd, 0, sizeof *dd);
	if (n_points == 0 || dim == 0)
		return -1;
	size_t n_blocks = n_points / DEN_BLOCK + (n_points % DEN_BLOCK != 0);
	size_t lanes, packed_len, tile_len, acc_len;
	if (mul_overflows(n_blocks, DEN_BLOCK, &lanes)
		|| mul_overflows(lanes, dim, &packed_len)
		|| mul_overflows(lanes, DEN_TILE, &tile_len)
		|| mul_overflows(dim, DEN_TILE, &acc_len)
		|| packed_len > SIZE_MAX / sizeof(double)
		|| tile_len > SIZE_MAX / sizeof(double))
		return -1;
	dd->n_points = n_points;
	dd->dim = dim;
	dd->n_blocks = n_blocks;
	dd->center = calloc(dim, sizeof(double));
	dd->packed = calloc(packed_len, sizeof(double));
	dd->half_sqnorm = calloc(lanes, sizeof(double));
	dd->logit = calloc(tile_len, sizeof(double));
	dd->xc = calloc(dim * DEN_TILE, sizeof(double));
	dd->acc = calloc(acc_len, sizeof(double));
	dd->keep = calloc(n_blocks, sizeof(int));
	if (!dd->center || !dd->packed || !dd->half_sqnorm || !dd->logit || !dd->xc
		|| !dd->acc || !dd->keep) {
		den_data_free(dd);
		return -1;
	}
	/* Centre the points: the denoiser is translation-equivariant, and the
	 * inner-product form of |x - y|^2 below loses digits in proportion to
	 * |x| |y|, so the offset of the data must not count. */
	for (size_t i = 0; i < n_points; i++)
		for (size_t d = 0; d < dim; d++)
			dd->center[d] += points[i * dim + d];
	for (size_t d = 0; d < dim; d++)
		dd->center[d] /= (double)n_points;
	for (size_t i = 0; i < lanes; i++) {
		size_t b = i / DEN_BLOCK, p = i % DEN_BLOCK;
		double sq = 0.0;
		for (size_t d = 0; d < dim; d++) {
			double v = i < n_points ? points[i * dim + d] - dd->center[d] : 0.0;
			dd->packed[(b * dim + d) * DEN_BLOCK + p] = v;
			sq += v * v;
		}
		dd->half_sqnorm[i] = i < n_points ? 0.5 * sq : DEN_PAD;
	}
	return 0;
}

/* u[s][i] = x_s . y_i - |y_i|^2 / 2 for a tile of DEN_TILE centred rows:
 * -|x_s - y_i|^2 / 2 up to a constant of the row, which the softmax drops.
 * A register tile of DEN_TILE rows x DEN_BLOCK points; one pass over the
 * packed points per tile. */
DEN_CLONES
static void tile_logits(const double *restrict packed, const double *restrict half_sqnorm,
	size_t n_blocks, size_t dim, const double *restrict xc, double *restrict logit)
{
	size_t lanes = n_blocks * DEN_BLOCK;
	for (size_t b = 0; b < n_blocks; b++) {
		const double *yb = packed + b * dim * DEN_BLOCK;
		den_vec acc[DEN_TILE];
		_Pragma("GCC unroll 8")
		for (int s = 0; s < DEN_TILE; s++)
			acc[s] = vec_splat(0.0);
		for (size_t d = 0; d < dim; d++) {
			den_vec y = vec_load(yb + d * DEN_BLOCK);
			_Pragma("GCC unroll 8")
			for (int s = 0; s < DEN_TILE; s++)
				acc[s] += xc[s * dim + d] * y;
		}
		den_vec h = vec_load(half_sqnorm + b * DEN_BLOCK);
		_Pragma("GCC unroll 8")
		for (int s = 0; s < DEN_TILE; s++)
			{
			den_vec u = acc[s] - h;
			vec_store(logit + s * lanes + b * DEN_BLOCK, &u);
		}
	}
}

static inline __attribute__((always_inline)) double vec_hmax(const den_vec *v)
{
	double best = (*v)[0];
	for (int p = 1; p < DEN_BLOCK; p++)
		best = (*v)[p] > best ? (*v)[p] : best;
	return best;
}

static inline __attribute__((always_inline)) double vec_hsum(const den_vec *v)
{
	double sum = (*v)[0];
	for (int p = 1; p < DEN_BLOCK; p++)
		sum += (*v)[p];
	return sum;
}

/* One row, in place: u_i -> w_i = exp((u_i - max u) / sigma^2), or for
 * hard (sigma = 0) 1 at the maximum and 0 elsewhere.  Blocks whose every
 * weight is below the cut are set to 0 and not marked in keep.  Returns
 * the sum of the weights. */
DEN_CLONES
static double row_weights(double *restrict u, size_t n_blocks, double inv_s2, double cut,
	int hard, int *restrict keep)
{
	den_vec m = vec_load(u);
	for (size_t b = 1; b < n_blocks; b++) {
		den_vec v = vec_load(u + b * DEN_BLOCK);
		m = VEC_SELECT(v > m, v, m);
	}
	double top = vec_hmax(&m);
	double floor_u = hard ? top : top - cut / inv_s2;
	den_vec wsum = vec_splat(0.0);
	for (size_t b = 0; b < n_blocks; b++) {
		den_vec v = vec_load(u + b * DEN_BLOCK), w;
		den_mask above = v >= floor_u;
		int any = 0;
		for (int p = 0; p < DEN_BLOCK; p++)
			any |= above[p] != 0;
		if (!any) {
			den_vec zero = vec_splat(0.0);
			vec_store(u + b * DEN_BLOCK, &zero);
			continue;
		}
		keep[b] = 1;
		if (hard)
			w = VEC_SELECT(v >= top, vec_splat(1.0), vec_splat(0.0));
		else
			{
			den_vec z = (v - top) * inv_s2;
			w = vec_exp_nonpos(&z);
		}
		wsum += w;
		vec_store(u + b * DEN_BLOCK, &w);
	}
	return vec_hsum(&wsum);
}

/* out[s][d0 + c] += sum_i w[s][i] y_i[d0 + c] / total[s] for chunk (1 or 2)
 * coordinates from d0: a register tile of DEN_TILE rows x chunk
 * coordinates, one sweep of those coordinates of the kept blocks. */
static inline __attribute__((always_inline)) void wsum_chunk(const double *restrict packed,
	size_t n_blocks, size_t dim, size_t d0, const double *restrict w,
	const int *restrict keep, const double *restrict total, double *restrict out,
	const int chunk)
{
	size_t lanes = n_blocks * DEN_BLOCK;
	den_vec acc[DEN_TILE][2];
	_Pragma("GCC unroll 8")
	for (int s = 0; s < DEN_TILE; s++)
		acc[s][0] = acc[s][1] = vec_splat(0.0);
	for (size_t b = 0; b < n_blocks; b++) {
		if (!keep[b])
			continue;
		const double *yb = packed + (b * dim + d0) * DEN_BLOCK;
		den_vec y0 = vec_load(yb), y1 = chunk == 2 ? vec_load(yb + DEN_BLOCK) : y0;
		_Pragma("GCC unroll 8")
		for (int s = 0; s < DEN_TILE; s++) {
			den_vec ws = vec_load(w + s * lanes + b * DEN_BLOCK);
			acc[s][0] += ws * y0;
			if (chunk == 2)
				acc[s][1] += ws * y1;
		}
	}
	for (int s = 0; s < DEN_TILE; s++)
		for (int c = 0; c < chunk; c++)
			out[s * dim + d0 + c] += vec_hsum(&acc[s][c]) / total[s];
}

DEN_CLONES
static void tile_wsum2(const double *restrict packed, size_t n_blocks, size_t dim, size_t d0,
	const double *restrict w, const int *restrict keep, const double *restrict total,
	double *restrict out)
{
	wsum_chunk(packed, n_blocks, dim, d0, w, keep, total, out, 2);
}

DEN_CLONES
static void tile_wsum1(const double *restrict packed, size_t n_blocks, size_t dim, size_t d0,
	const double *restrict w, const int *restrict keep, const double *restrict total,
	double *restrict out)
{
	wsum_chunk(packed, n_blocks, dim, d0, w, keep, total, out, 1);
}

void den_data_apply(den_data *dd, const double *x, size_t n, double sigma, double *out)
{
	size_t dim = dd->dim, lanes = dd->n_blocks * DEN_BLOCK;
	double inv_s2 = 1.0 / (sigma * sigma);
	int hard = !(inv_s2 < 1e300);   /* sigma = 0, or so small it underflows */
	double cut = DEN_CUT_BASE + log((double)dd->n_points);
	double total[DEN_TILE];
	for (size_t j0 = 0; j0 < n; j0 += DEN_TILE) {
		size_t rows = n - j0 < DEN_TILE ? n - j0 : DEN_TILE;
		for (size_t s = 0; s < DEN_TILE; s++)
			for (size_t d = 0; d < dim; d++)
				dd->xc[s * dim + d] = s < rows ? x[(j0 + s) * dim + d] - dd->center[d] : 0.0;
		tile_logits(dd->packed, dd->half_sqnorm, dd->n_blocks, dim, dd->xc, dd->logit);
		memset(dd->keep, 0, dd->n_blocks * sizeof *dd->keep);
		for (size_t s = 0; s < DEN_TILE; s++)
			total[s] = row_weights(dd->logit + s * lanes, dd->n_blocks, inv_s2, cut,
				hard, dd->keep);
		/* the weighted sums go to a scratch tile, the rows that exist to out */
		for (size_t s = 0; s < DEN_TILE; s++)
			memcpy(dd->acc + s * dim, dd->center, dim * sizeof(double));
		size_t d0 = 0;
		for (; d0 + 2 <= dim; d0 += 2)
			tile_wsum2(dd->packed, dd->n_blocks, dim, d0, dd->logit, dd->keep, total,
				dd->acc);
		if (d0 < dim)
			tile_wsum1(dd->packed, dd->n_blocks, dim, d0, dd->logit, dd->keep, total,
				dd->acc);
		memcpy(out + j0 * dim, dd->acc, rows * dim * sizeof(double));
	}
}

/* ---- isotropic Gaussian mixture ---------------------------------------- */

void den_gmm_free(den_gmm *g)
{
	free(g->log_weight);
	free(g->mean);
	free(g->var);
	free(g->logit);
	memset(g, 0, sizeof *g);
}

const char *den_gmm_init(den_gmm *g, const double *weights, const double *means,
	const double *stds, size_t n_comp, size_t dim)
{
	memset(g, 0, sizeof *g);
	if (n_comp == 0)
		return "the mixture has no components";
	if (dim == 0)
		return "the means have no coordinates";
	double total = 0.0;
	for (size_t k = 0; k < n_comp; k++) {
		if (!isfinite(weights[k]) || weights[k] < 0.0)
			return "weights must be finite and >= 0";
		if (!isfinite(stds[k]) || stds[k] < 0.0)
			return "stds must be finite and >= 0";
		total += weights[k];
	}
	if (!(total > 0.0) || !isfinite(total))
		return "weights must have a positive finite sum";
	size_t mean_len;
	if (mul_overflows(n_comp, dim, &mean_len) || mean_len > SIZE_MAX / sizeof(double))
		return "the mixture is too large";
	for (size_t i = 0; i < mean_len; i++)
		if (!isfinite(means[i]))
			return "means must be finite";
	g->log_weight = malloc(n_comp * sizeof(double));
	g->mean = malloc(mean_len * sizeof(double));
	g->var = malloc(n_comp * sizeof(double));
	g->logit = malloc(n_comp * sizeof(double));
	if (!g->log_weight || !g->mean || !g->var || !g->logit) {
		den_gmm_free(g);
		return "out of memory";
	}
	g->n_comp = n_comp;
	g->dim = dim;
	memcpy(g->mean, means, mean_len * sizeof(double));
	for (size_t k = 0; k < n_comp; k++) {
		g->log_weight[k] = log(weights[k] / total);  /* -inf for weight 0 */
		g->var[k] = stds[k] * stds[k];
	}
	return NULL;
}

/* One row: responsibilities r_k by log-sum-exp, then the mixture of the
 * per-component posterior means (S^2 x + sigma^2 mu)/(S^2 + sigma^2).
 * A component with S = 0 at sigma = 0 is a point mass: its own mean. */
static void gmm_row(den_gmm *g, const double *x, double sigma, double *out)
{
	size_t dim = g->dim;
	double s2 = sigma * sigma, best = -INFINITY, nearest_dist2 = INFINITY;
	size_t nearest = 0;
	for (size_t k = 0; k < g->n_comp; k++) {
		const double *mu = g->mean + k * dim;
		double v = g->var[k] + s2, dist2 = 0.0;
		for (size_t d = 0; d < dim; d++)
			dist2 += (x[d] - mu[d]) * (x[d] - mu[d]);
		if (dist2 < nearest_dist2) {
			nearest_dist2 = dist2;
			nearest = k;
		}
		double l;
		if (v > 0.0)
			l = g->log_weight[k] - 0.5 * (double)dim * log(v) - dist2 / (2.0 * v);
		else   /* a point mass seen without noise: only an exact hit counts */
			l = dist2 == 0.0 ? INFINITY : -INFINITY;
		g->logit[k] = l;
		best = l > best ? l : best;
	}
	if (best == -INFINITY)  /* only point masses, sigma = 0: the nearest */
		g->logit[nearest] = best = 0.0;
	double total = 0.0;
	for (size_t k = 0; k < g->n_comp; k++) {
		double l = g->logit[k];
		double r = best == INFINITY ? (l == INFINITY) : (l == -INFINITY ? 0.0 : exp(l - best));
		g->logit[k] = r;
		total += r;
	}
	memset(out, 0, dim * sizeof *out);
	for (size_t k = 0; k < g->n_comp; k++) {
		double r = g->logit[k] / total;
		if (r == 0.0)
			continue;
		const double *mu = g->mean + k * dim;
		double v = g->var[k] + s2;
		double a = v > 0.0 ? g->var[k] / v : 0.0, c = v > 0.0 ? s2 / v : 1.0;
		for (size_t d = 0; d < dim; d++)
			out[d] += r * (a * x[d] + c * mu[d]);
	}
}

void den_gmm_apply(den_gmm *g, const double *x, size_t n, double sigma, double *out)
{
	for (size_t j = 0; j < n; j++)
		gmm_row(g, x + j * g->dim, sigma, out + j * g->dim);
}

void den_gmm_moments(const den_gmm *g, double *mean, double *var)
{
	size_t dim = g->dim;
	for (size_t d = 0; d < dim; d++) {
		double m1 = 0.0, m2 = 0.0;
		for (size_t k = 0; k < g->n_comp; k++) {
			double pk = exp(g->log_weight[k]), mu = g->mean[k * dim + d];
			m1 += pk * mu;
			m2 += pk * (g->var[k] + mu * mu);
		}
		mean[d] = m1;
		var[d] = m2 - m1 * m1;
	}
}
