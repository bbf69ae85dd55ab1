/* posenc: the positional encodings of the survey beside RoPE, no I/O.
 *
 * Absolute sinusoidal encodings (Vaswani et al. 2017), T5's bucketed
 * relative positions (Raffel et al. 2020), ALiBi's linear biases (Press et
 * al. 2022) and RoPE's long-range decay bound (Su et al. 2021, section
 * 3.4.3).  The frequencies theta_i = base^(-2i/R) come from lib/rope.c
 * (rope_theta), the one place that formula lives.  Nothing here allocates:
 * callers pass the arrays and the scratch space. */
#ifndef MLPIPE_POSENC_H
#define MLPIPE_POSENC_H

#include <stddef.h>

/* ---- sinusoidal ------------------------------------------------------ */

enum posenc_layout {
	POSENC_INTERLEAVED, /* sin, cos of pair i at 2i, 2i+1 (Vaswani et al.) */
	POSENC_SPLIT        /* all sines, then all cosines (tensor2tensor, fairseq) */
};
enum posenc_spacing {
	POSENC_SPACING_PAPER, /* omega_i = base^(-2i/D) (Vaswani et al. 3.5) */
	POSENC_SPACING_T2T    /* omega_i = base^(-i/(D/2-1)) (tensor2tensor, fairseq) */
};
/* "interleaved", "split", NULL and "paper", "t2t", NULL (for cli_choice). */
extern const char *const posenc_layout_names[];
extern const char *const posenc_spacing_names[];

/* NULL if D, base and spacing are usable, else a message naming the fault
 * by its posenc(1) option (D even and >= 2, >= 4 for t2t; base > 1). */
const char *posenc_sinusoidal_check(size_t dim, double base, enum posenc_spacing spacing);

/* The D/2 angular frequencies omega[0 .. D/2-1] of the spacing. */
void posenc_sinusoidal_freqs(double *omega, size_t dim, double base, enum posenc_spacing spacing);

/* One row of D values for position pos:
 *   sin(pos*omega_i) and cos(pos*omega_i), placed by layout.
 * scratch holds D doubles (unused, may be NULL, for POSENC_SPLIT). */
void posenc_sinusoidal_row(const double *omega, size_t dim, double pos,
	enum posenc_layout layout, double *row, double *scratch);

/* ---- T5 relative-position buckets ------------------------------------ */

/* NULL if the parameters are usable, else a message naming the posenc(1)
 * option.  Each direction gets
 * n = buckets/2 (bidirectional) or n = buckets (causal) buckets, of which
 * n/2 are exact; n/2 must be >= 1 and max_distance must exceed it. */
const char *posenc_t5_check(long num_buckets, int bidirectional, long long max_distance);

/* The bucket of rel_pos = key position - query position, as Hugging Face
 * transformers T5Attention._relative_position_bucket computes it
 * (after Mesh TensorFlow transformer_layers.py), the logarithm included in
 * float32 so that buckets agree at the boundaries.  Causal
 * (bidirectional = 0): every rel_pos > 0 is bucket 0. */
long posenc_t5_bucket(long long rel_pos, int bidirectional, long num_buckets, long long max_distance);

/* ---- ALiBi ----------------------------------------------------------- */

/* Slope m_h of head h (0-based) of n_heads, as get_slopes in Press et
 * al.'s reference code: 2^(-8(h+1)/H) for H a power of two; otherwise the
 * P = 2^floor(log2 H) slopes of P heads, then every other slope of 2P
 * heads (the odd ones, 2^(-4(2k+1)/P)) for the remaining H - P. */
double posenc_alibi_slope(size_t n_heads, size_t h);

/* Row of query i: row[j] = -slope*|i - j| for keys j = 0 .. len-1; when
 * causal, the keys j > i get mask_value instead (normally -inf). */
void posenc_alibi_row(double *row, size_t len, size_t query, double slope,
	int causal, double mask_value);

/* ---- RoPE long-range decay ------------------------------------------- */

/* RoFormer 3.4.3: with theta_k = rope_theta(base, D, k), n = D/2 and
 *   S_j(r) = sum_{k=0}^{j-1} e^{i r theta_k},
 * the bound (1/n) sum_{j=1}^{n} |S_j(r)| on the relative attention at
 * distance r; divided by its value at r = 0, (n+1)/2, when normalize is
 * set (then 1 at r = 0).  scratch holds 2n doubles. */
double posenc_rope_decay(const double *theta, size_t n_pairs, double dist,
	int normalize, double *scratch);

#endif
