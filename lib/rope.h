/* rope: rotary position embedding (RoFormer, Su et al. 2021), no I/O.
 *
 * The frequencies theta_i = base^(-2i/R), their scalings (linear, NTK-aware,
 * dynamic NTK, YaRN, Llama 3) as Hugging Face transformers computes them in
 * src/transformers/modeling_rope_utils.py (v5), the per-position cos/sin
 * tables, and the rotation kernels for the two pair layouts.  Everything is
 * computed in double; the kernels stream float32 rows. */
#ifndef MLPIPE_ROPE_H
#define MLPIPE_ROPE_H

#include <stddef.h>

/* The base frequency of pair i of a rotary dimension R:
 * theta_i = base^(-2i/R), i = 0 .. R/2-1.  The one place this formula lives
 * (posenc reuses it). */
double rope_theta(double base, size_t rot_dim, size_t i);

/* The rotation angle of pair i at position pos: pos * inv_freq[i].  Fills
 * cos_out[i] = scale * cos(angle), sin_out[i] = scale * sin(angle) for
 * i = 0 .. n_pairs-1, where scale is the attention factor (1 without
 * scaling). */
void rope_angles(const double *inv_freq, size_t n_pairs, double pos,
	double scale, double *cos_out, double *sin_out);

enum rope_style {
	ROPE_INTERLEAVED, /* pairs (2i, 2i+1): RoFormer, Meta LLaMA, ggml mode 0 */
	ROPE_NEOX         /* pairs (i, i+R/2): GPT-NeoX, HF rotate_half */
};

enum rope_scaling {
	ROPE_SCALE_NONE,
	ROPE_SCALE_LINEAR,
	ROPE_SCALE_NTK,
	ROPE_SCALE_DYNAMIC,
	ROPE_SCALE_YARN,
	ROPE_SCALE_LLAMA3
};

/* Names in the order of enum rope_scaling, NULL-terminated (for
 * cli_choice): "none", "linear", "ntk", "dynamic", "yarn", "llama3". */
extern const char *const rope_scaling_names[];
/* "interleaved", "neox", NULL. */
extern const char *const rope_style_names[];

/* The parameters of a frequency scaling, named as in Hugging Face's
 * rope_parameters.  A double that is NaN means "not given" where the
 * comment says so. */
typedef struct rope_config {
	double base;              /* rope_theta, default 10000 */
	size_t rot_dim;           /* R: rotary dimension, even, >= 2 */
	enum rope_scaling scaling;
	double factor;            /* > 0; default 1 */
	double original_max_pos;  /* L0 (original_max_position_embeddings) */
	double beta_fast;         /* YaRN, default 32 */
	double beta_slow;         /* YaRN, default 1 */
	double mscale;            /* YaRN, NaN = not given */
	double mscale_all_dim;    /* YaRN, NaN = not given */
	double attention_factor;  /* YaRN, NaN = not given */
	double low_freq_factor;   /* llama3, default 1 */
	double high_freq_factor;  /* llama3, default 4 */
	int truncate;             /* YaRN: floor/ceil the correction range (1) */
	double seq_len;           /* dynamic: the sequence length (max pos + 1) */
} rope_config;

/* Fill C with the defaults above for rotary dimension R (no scaling). */
void rope_config_default(rope_config *c, size_t rot_dim);

/* Check C: returns NULL if usable, else a static message naming the
 * problem ("--factor must be > 0 ..."). */
const char *rope_config_check(const rope_config *c);

/* The scaled inverse frequencies inv_freq[0 .. R/2-1] and the attention
 * factor (which multiplies cos and sin) for configuration C.  For dynamic
 * scaling c->seq_len is used (HF _compute_dynamic_ntk_parameters). */
void rope_inv_freq(const rope_config *c, double *inv_freq, double *attention_factor);

/* YaRN helpers (HF _compute_yarn_parameters). */
/* get_mscale(s, m) = 1 if s <= 1 else 0.1*m*ln(s) + 1. */
double rope_yarn_get_mscale(double scale, double mscale);
/* The dimension at which a wavelength completes num_rotations turns within
 * max_pos: R*ln(max_pos/(num_rotations*2*pi)) / (2*ln(base)). */
double rope_yarn_corr_dim(double num_rotations, size_t rot_dim, double base,
	double max_pos);
/* low/high correction range, floored/ceiled if truncate, clamped to
 * [0, R-1]. */
void rope_yarn_corr_range(double beta_fast, double beta_slow, size_t rot_dim,
	double base, double max_pos, int truncate, double *low, double *high);
/* The attention factor YaRN applies (attention_factor if given, else from
 * mscale/mscale_all_dim, else get_mscale(factor)). */
double rope_yarn_attention_factor(const rope_config *c);

/* Dynamic NTK: the base for a sequence of length seq_len
 * (base * ((factor*L/L0) - (factor-1))^(R/(R-2)), L = max(seq_len, L0)). */
double rope_dynamic_base(double base, size_t rot_dim, double factor,
	double original_max_pos, double seq_len);

/* Advance tables by one position: with (cos_step[i], sin_step[i]) the
 * cos/sin of inv_freq[i] (unscaled), (cos_t, sin_t) at position p become
 * those at p+1 by the angle-addition formulas.  Cheap, exact to a few ulps
 * over a few dozen steps; callers re-anchor with rope_angles. */
void rope_angles_advance(double *cos_t, double *sin_t, const double *cos_step,
	const double *sin_step, size_t n_pairs);

/* HF float32 angles (--precision hf): transformers forms inv_freq, the
 * position and their product in float32 and takes cos/sin in float32
 * (LlamaRotaryEmbedding.forward), then multiplies by the attention factor
 * in float32.  Same outputs as rope_angles, with those roundings. */
void rope_angles_hf(const double *inv_freq, size_t n_pairs, double pos,
	double scale, double *cos_out, double *sin_out);

/* A walk along the positions of a stream: the cos/sin tables of the
 * current position, moved to the next one by rope_angles_advance when it is
 * pos + 1 (re-anchored exactly every ROPE_WALK_ANCHOR steps), computed
 * afresh otherwise, kept when the position repeats.  The caller owns the
 * memory: buf holds 4 * n_pairs doubles. */
enum { ROPE_WALK_ANCHOR = 32 };
typedef struct rope_walk {
	const double *inv_freq;
	size_t n_pairs;
	double scale;
	int hf_precision;     /* use rope_angles_hf, no stepping */
	double *cos_t, *sin_t;       /* tables at pos (scale folded in) */
	double *cos_step, *sin_step; /* cos/sin of inv_freq, unscaled */
	double pos;
	int valid;
	unsigned steps;              /* steps since the last exact anchor */
} rope_walk;

void rope_walk_init(rope_walk *w, const double *inv_freq, size_t n_pairs,
	double scale, int hf_precision, double *buf);
/* Make w->cos_t, w->sin_t the tables of position pos. */
void rope_walk_to(rope_walk *w, double pos);

/* Build the kernel tables of one position (each rot_dim long) from the
 * double tables cos_d/sin_d (n_pairs = rot_dim/2 values, scale already
 * folded in).  The kernel computes out[j] = x[j]*cos_k[j] +
 * x[partner(j)]*sin_k[j], so sin_k carries the sign: -sin for the first
 * member of a pair, +sin for the second.  inverse builds the inverse map,
 * the transposed rotation divided by scale: cos/scale^2 and the opposite
 * signs. */
void rope_kernel_tables(const double *cos_d, const double *sin_d,
	size_t rot_dim, enum rope_style style, double scale, int inverse,
	double *cos_k, double *sin_k);
/* The same, rounded once to float32, for rope_rotate_f32. */
void rope_kernel_tables_f32(const double *cos_d, const double *sin_d,
	size_t rot_dim, enum rope_style style, double scale, int inverse,
	float *cos_k, float *sin_k);

/* Rotate n_rows rows of length dim in place with the kernel tables of one
 * position (shared by all n_rows, e.g. the heads of a token); dims
 * rot_dim .. dim-1 are untouched.  rot_dim is even, <= dim.  The float32
 * kernel computes in float32 (as Hugging Face does on float32 tensors) and
 * is vectorised; the float64 one computes in double. */
void rope_rotate_f32(float *rows, size_t n_rows, size_t dim, size_t rot_dim,
	enum rope_style style, const float *cos_k, const float *sin_k);
void rope_rotate_f64(double *rows, size_t n_rows, size_t dim, size_t rot_dim,
	enum rope_style style, const double *cos_k, const double *sin_k);

#endif
