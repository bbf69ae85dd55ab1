/* posenc: sinusoidal encodings, T5 buckets, ALiBi biases, RoPE decay.
 * The formulas are explained in man/man7/positional-encoding.7. */
#include "posenc.h"

#include <math.h>

#include "rope.h"

const char *const posenc_layout_names[] = {"interleaved", "split", NULL};
const char *const posenc_spacing_names[] = {"paper", "t2t", NULL};

/* ---- sinusoidal ------------------------------------------------------ */

const char *posenc_sinusoidal_check(size_t dim, double base, enum posenc_spacing spacing)
{
	if (dim < 2 || dim % 2 != 0)
		return "--dim must be even and at least 2";
	if (spacing == POSENC_SPACING_T2T && dim < 4)
		return "--spacing t2t needs --dim 4 or more";
	if (!(base > 1.0) || !isfinite(base))
		return "--base must be a finite number greater than 1";
	return NULL;
}

void posenc_sinusoidal_freqs(double *omega, size_t dim, double base, enum posenc_spacing spacing)
{
	size_t n_pairs = dim / 2;
	/* Vaswani et al. 3.5: 1/base^(2i/D) is RoPE's theta_i with R = D.
	 * tensor2tensor get_timing_signal_1d and fairseq
	 * SinusoidalPositionalEmbedding.get_embedding space the D/2 frequencies
	 * geometrically from 1 down to exactly 1/base:
	 * exp(-i*ln(base)/(D/2-1)) = base^(-2i/(D-2)), theta_i with R = D-2. */
	size_t rot_dim = spacing == POSENC_SPACING_T2T ? dim - 2 : dim;
	for (size_t i = 0; i < n_pairs; i++)
		omega[i] = rope_theta(base, rot_dim, i);
}

void posenc_sinusoidal_row(const double *omega, size_t dim, double pos,
	enum posenc_layout layout, double *row, double *scratch)
{
	size_t n_pairs = dim / 2;
	if (layout == POSENC_SPLIT) {
		/* sines in row[0 .. n-1], cosines in row[n .. 2n-1] */
		rope_angles(omega, n_pairs, pos, 1.0, row + n_pairs, row);
		return;
	}
	double *cos_t = scratch, *sin_t = scratch + n_pairs;
	rope_angles(omega, n_pairs, pos, 1.0, cos_t, sin_t);
	for (size_t i = 0; i < n_pairs; i++) {
		row[2 * i] = sin_t[i];
		row[2 * i + 1] = cos_t[i];
	}
}

/* ---- T5 relative-position buckets ------------------------------------ */

/* Buckets of one direction, and the exact ones among them. */
static long t5_half(long num_buckets, int bidirectional)
{
	return bidirectional ? num_buckets / 2 : num_buckets;
}

const char *posenc_t5_check(long num_buckets, int bidirectional, long long max_distance)
{
	long max_exact = t5_half(num_buckets, bidirectional) / 2;
	if (max_exact < 1)
		return bidirectional ? "--buckets must be at least 4 (2 with --causal)"
				     : "--buckets must be at least 2";
	if (max_distance <= max_exact)
		return "--max-distance must exceed the exact buckets, a quarter of --buckets (a half with --causal)";
	return NULL;
}

long posenc_t5_bucket(long long rel_pos, int bidirectional, long num_buckets, long long max_distance)
{
	/* Hugging Face transformers, models/t5/modeling_t5.py,
	 * T5Attention._relative_position_bucket. */
	long bucket = 0;
	long n = t5_half(num_buckets, bidirectional);
	unsigned long long dist;
	if (bidirectional) {
		if (rel_pos > 0)
			bucket += n;
		dist = rel_pos < 0 ? 0ULL - (unsigned long long)rel_pos : (unsigned long long)rel_pos;
	} else {
		dist = rel_pos < 0 ? 0ULL - (unsigned long long)rel_pos : 0;
	}
	long max_exact = n / 2;
	if (dist < (unsigned long long)max_exact)
		return bucket + (long)dist;
	/* The logarithmic half, in float32 as the reference evaluates it:
	 * log(dist.float() / max_exact) / math.log(max_distance / max_exact)
	 * * (n - max_exact), truncated toward zero.  Each step is stored in a
	 * float so that C11 rounds it as torch does (evaluated in double, 3 of
	 * 1.6e8 buckets checked against torch differ by one). */
	float ratio = (float)dist / (float)max_exact;
	float log_span = (float)log((double)max_distance / (double)max_exact);
	float scaled = logf(ratio) / log_span;
	scaled = scaled * (float)(n - max_exact);
	long large = max_exact + (long)scaled;
	if (large > n - 1)
		large = n - 1;
	return bucket + large;
}

/* ---- ALiBi ----------------------------------------------------------- */

double posenc_alibi_slope(size_t n_heads, size_t h)
{
	/* Press et al., attention_with_linear_biases, fairseq/models/
	 * transformer.py get_slopes: get_slopes_power_of_2(P) is the geometric
	 * sequence start^(k), k = 1..P, with start = 2^(-8/P); for H not a
	 * power of two, P = 2^floor(log2 H) and the rest come from
	 * get_slopes(2P)[0::2], the exponents -8(2k+1)/(2P). */
	size_t pow2 = 1;
	while (pow2 <= n_heads / 2)
		pow2 *= 2;
	if (h < pow2)
		return exp2(-8.0 * (double)(h + 1) / (double)pow2);
	size_t k = h - pow2;
	return exp2(-8.0 * (double)(2 * k + 1) / (double)(2 * pow2));
}

void posenc_alibi_row(double *row, size_t len, size_t query, double slope,
	int causal, double mask_value)
{
	for (size_t j = 0; j < len; j++) {
		if (causal && j > query) {
			row[j] = mask_value;
			continue;
		}
		size_t dist = j > query ? j - query : query - j;
		row[j] = 0.0 - slope * (double)dist; /* +0, not -0, at j = i */
	}
}

/* ---- RoPE long-range decay ------------------------------------------- */

double posenc_rope_decay(const double *theta, size_t n_pairs, double dist,
	int normalize, double *scratch)
{
	/* RoFormer (Su et al. 2021) 3.4.3, Abel summation: the partial sums
	 * S_j of the unit phasors e^{i r theta_k} bound the relative score. */
	double *cos_t = scratch, *sin_t = scratch + n_pairs;
	rope_angles(theta, n_pairs, dist, 1.0, cos_t, sin_t);
	double re = 0.0, im = 0.0, total = 0.0;
	for (size_t k = 0; k < n_pairs; k++) {
		re += cos_t[k];
		im += sin_t[k];
		total += hypot(re, im); /* |S_{k+1}| */
	}
	double mean = total / (double)n_pairs;
	/* at r = 0, |S_j| = j and the mean is (n+1)/2 */
	return normalize ? mean / (((double)n_pairs + 1.0) / 2.0) : mean;
}
