/* rope: rotary position embedding, the math (see rope.h).
 *
 * References:
 *   RoFormer (Su et al. 2021), eq. (34): theta_i = 10000^(-2(i-1)/d).
 *   Hugging Face transformers, src/transformers/modeling_rope_utils.py (v5):
 *   _compute_default_rope_parameters, _compute_linear_scaling_rope_parameters,
 *   _compute_dynamic_ntk_parameters, _compute_yarn_parameters (with
 *   find_correction_dim, find_correction_range, linear_ramp_factor,
 *   get_mscale) and _compute_llama3_parameters. */
#include "rope.h"

#include <math.h>
#include <string.h>

/* pi to double precision (M_PI is not in C11) */
static const double rope_pi = 3.14159265358979323846;

const char *const rope_scaling_names[] = {
	"none", "linear", "ntk", "dynamic", "yarn", "llama3", NULL
};
const char *const rope_style_names[] = { "interleaved", "neox", NULL };

double rope_theta(double base, size_t rot_dim, size_t i)
{
	/* HF _compute_default_rope_parameters:
	 * 1 / base^(arange(0, dim, 2) / dim) */
	return pow(base, -(double)(2 * i) / (double)rot_dim);
}

void rope_angles(const double *inv_freq, size_t n_pairs, double pos,
	double scale, double *cos_out, double *sin_out)
{
	for (size_t i = 0; i < n_pairs; i++) {
		double angle = pos * inv_freq[i];
		cos_out[i] = scale * cos(angle);
		sin_out[i] = scale * sin(angle);
	}
}

void rope_angles_advance(double *cos_t, double *sin_t, const double *cos_step,
	const double *sin_step, size_t n_pairs)
{
	for (size_t i = 0; i < n_pairs; i++) {
		double c = cos_t[i], s = sin_t[i];
		cos_t[i] = c * cos_step[i] - s * sin_step[i];
		sin_t[i] = s * cos_step[i] + c * sin_step[i];
	}
}

void rope_angles_hf(const double *inv_freq, size_t n_pairs, double pos,
	double scale, double *cos_out, double *sin_out)
{
	/* HF LlamaRotaryEmbedding.forward: freqs = inv_freq.float() @
	 * position_ids.float(); cos = emb.cos() * attention_scaling, all in
	 * float32 (autocast disabled) */
	float pos_f = (float)pos, scale_f = (float)scale;
	for (size_t i = 0; i < n_pairs; i++) {
		float angle = pos_f * (float)inv_freq[i];
		cos_out[i] = (double)((float)cos((double)angle) * scale_f);
		sin_out[i] = (double)((float)sin((double)angle) * scale_f);
	}
}

void rope_walk_init(rope_walk *w, const double *inv_freq, size_t n_pairs,
	double scale, int hf_precision, double *buf)
{
	w->inv_freq = inv_freq;
	w->n_pairs = n_pairs;
	w->scale = scale;
	w->hf_precision = hf_precision;
	w->cos_t = buf;
	w->sin_t = buf + n_pairs;
	w->cos_step = buf + 2 * n_pairs;
	w->sin_step = buf + 3 * n_pairs;
	rope_angles(inv_freq, n_pairs, 1.0, 1.0, w->cos_step, w->sin_step);
	w->pos = 0;
	w->valid = 0;
	w->steps = 0;
}

void rope_walk_to(rope_walk *w, double pos)
{
	if (w->valid && pos == w->pos)
		return;
	if (w->hf_precision) {
		rope_angles_hf(w->inv_freq, w->n_pairs, pos, w->scale, w->cos_t, w->sin_t);
	} else if (w->valid && pos == w->pos + 1.0 && w->steps < ROPE_WALK_ANCHOR) {
		rope_angles_advance(w->cos_t, w->sin_t, w->cos_step, w->sin_step, w->n_pairs);
		w->steps++;
	} else {
		rope_angles(w->inv_freq, w->n_pairs, pos, w->scale, w->cos_t, w->sin_t);
		w->steps = 0;
	}
	w->pos = pos;
	w->valid = 1;
}

void rope_config_default(rope_config *c, size_t rot_dim)
{
	memset(c, 0, sizeof *c);
	c->base = 10000.0;
	c->rot_dim = rot_dim;
	c->scaling = ROPE_SCALE_NONE;
	c->factor = 1.0;
	c->original_max_pos = NAN;
	c->beta_fast = 32.0;
	c->beta_slow = 1.0;
	c->mscale = NAN;
	c->mscale_all_dim = NAN;
	c->attention_factor = NAN;
	c->low_freq_factor = 1.0;
	c->high_freq_factor = 4.0;
	c->truncate = 1;
	c->seq_len = NAN;
}

const char *rope_config_check(const rope_config *c)
{
	if (c->rot_dim < 2 || c->rot_dim % 2 != 0)
		return "rotary dimension must be even and at least 2";
	if (!(c->base > 1.0) || !isfinite(c->base))
		return "base must be a finite number greater than 1";
	if (!(c->factor > 0.0) || !isfinite(c->factor))
		return "factor must be a positive number";
	switch (c->scaling) {
	case ROPE_SCALE_NONE:
	case ROPE_SCALE_LINEAR:
		return NULL;
	case ROPE_SCALE_NTK:
		if (c->rot_dim < 4)
			return "ntk scaling needs a rotary dimension of at least 4";
		return NULL;
	case ROPE_SCALE_DYNAMIC:
		if (c->rot_dim < 4)
			return "dynamic scaling needs a rotary dimension of at least 4";
		if (!(c->original_max_pos >= 1.0))
			return "dynamic scaling needs the original maximum position";
		if (!(c->seq_len > 0.0))
			return "dynamic scaling needs the sequence length";
		return NULL;
	case ROPE_SCALE_YARN:
		if (!(c->original_max_pos >= 1.0))
			return "yarn scaling needs the original maximum position";
		if (!(c->beta_fast > 0.0) || !(c->beta_slow > 0.0))
			return "yarn beta_fast and beta_slow must be positive";
		return NULL;
	case ROPE_SCALE_LLAMA3:
		if (!(c->original_max_pos >= 1.0))
			return "llama3 scaling needs the original maximum position";
		if (!(c->high_freq_factor > c->low_freq_factor) || !(c->low_freq_factor > 0.0))
			return "llama3 needs 0 < low_freq_factor < high_freq_factor";
		return NULL;
	}
	return "unknown scaling";
}

double rope_yarn_get_mscale(double scale, double mscale)
{
	/* HF _compute_yarn_parameters.get_mscale */
	if (scale <= 1.0)
		return 1.0;
	return 0.1 * mscale * log(scale) + 1.0;
}

double rope_yarn_corr_dim(double num_rotations, size_t rot_dim, double base,
	double max_pos)
{
	/* HF find_correction_dim: the pair whose wavelength fits num_rotations
	 * times into max_pos */
	return (double)rot_dim * log(max_pos / (num_rotations * 2.0 * rope_pi))
		/ (2.0 * log(base));
}

void rope_yarn_corr_range(double beta_fast, double beta_slow, size_t rot_dim,
	double base, double max_pos, int truncate, double *low, double *high)
{
	/* HF find_correction_range */
	double lo = rope_yarn_corr_dim(beta_fast, rot_dim, base, max_pos);
	double hi = rope_yarn_corr_dim(beta_slow, rot_dim, base, max_pos);
	if (truncate) {
		lo = floor(lo);
		hi = ceil(hi);
	}
	*low = fmax(lo, 0.0);
	*high = fmin(hi, (double)rot_dim - 1.0);
}

double rope_yarn_attention_factor(const rope_config *c)
{
	/* HF _compute_yarn_parameters: an explicit attention_factor wins; then
	 * the DeepSeek ratio when both mscale and mscale_all_dim are given
	 * (Python truthiness: 0 counts as not given); else get_mscale(factor). */
	if (!isnan(c->attention_factor))
		return c->attention_factor;
	int have_m = !isnan(c->mscale) && c->mscale != 0.0;
	int have_all = !isnan(c->mscale_all_dim) && c->mscale_all_dim != 0.0;
	if (have_m && have_all)
		return rope_yarn_get_mscale(c->factor, c->mscale)
			/ rope_yarn_get_mscale(c->factor, c->mscale_all_dim);
	return rope_yarn_get_mscale(c->factor, 1.0);
}

double rope_dynamic_base(double base, size_t rot_dim, double factor,
	double original_max_pos, double seq_len)
{
	/* HF _compute_dynamic_ntk_parameters; for L <= L0 the bracket is 1 and
	 * the base is unchanged, which we return exactly */
	double len = fmax(seq_len, original_max_pos);
	if (len <= original_max_pos)
		return base;
	double r = (double)rot_dim;
	return base * pow(factor * len / original_max_pos - (factor - 1.0), r / (r - 2.0));
}

static void yarn_inv_freq(const rope_config *c, double *inv_freq)
{
	size_t n_pairs = c->rot_dim / 2;
	double low, high;
	rope_yarn_corr_range(c->beta_fast, c->beta_slow, c->rot_dim, c->base,
		c->original_max_pos, c->truncate, &low, &high);
	if (low == high)
		high += 0.001; /* HF linear_ramp_factor: avoid a zero division */
	for (size_t i = 0; i < n_pairs; i++) {
		double ramp = fmin(fmax(((double)i - low) / (high - low), 0.0), 1.0);
		double extrapolated = rope_theta(c->base, c->rot_dim, i);
		double interpolated = extrapolated / c->factor;
		/* inv_freq_extrapolation_factor = 1 - ramp */
		inv_freq[i] = interpolated * ramp + extrapolated * (1.0 - ramp);
	}
}

static void llama3_inv_freq(const rope_config *c, double *inv_freq)
{
	size_t n_pairs = c->rot_dim / 2;
	double l0 = c->original_max_pos;
	double lff = c->low_freq_factor, hff = c->high_freq_factor;
	double low_freq_wavelen = l0 / lff, high_freq_wavelen = l0 / hff;
	for (size_t i = 0; i < n_pairs; i++) {
		double theta = rope_theta(c->base, c->rot_dim, i);
		double wavelen = 2.0 * rope_pi / theta;
		if (wavelen > low_freq_wavelen) {
			inv_freq[i] = theta / c->factor;
		} else if (wavelen < high_freq_wavelen) {
			inv_freq[i] = theta;
		} else {
			double smooth = (l0 / wavelen - lff) / (hff - lff);
			inv_freq[i] = (1.0 - smooth) * theta / c->factor + smooth * theta;
		}
	}
}

void rope_inv_freq(const rope_config *c, double *inv_freq, double *attention_factor)
{
	size_t n_pairs = c->rot_dim / 2;
	double base = c->base, r = (double)c->rot_dim;
	*attention_factor = 1.0;
	switch (c->scaling) {
	case ROPE_SCALE_YARN:
		yarn_inv_freq(c, inv_freq);
		*attention_factor = rope_yarn_attention_factor(c);
		return;
	case ROPE_SCALE_LLAMA3:
		llama3_inv_freq(c, inv_freq);
		return;
	case ROPE_SCALE_NTK:
		/* NTK-aware scaled RoPE (bloc97, 2023): base' = base * a^(R/(R-2)) */
		base = base * pow(c->factor, r / (r - 2.0));
		break;
	case ROPE_SCALE_DYNAMIC:
		base = rope_dynamic_base(base, c->rot_dim, c->factor,
			c->original_max_pos, c->seq_len);
		break;
	case ROPE_SCALE_NONE:
	case ROPE_SCALE_LINEAR:
		break;
	}
	for (size_t i = 0; i < n_pairs; i++) {
		inv_freq[i] = rope_theta(base, c->rot_dim, i);
		if (c->scaling == ROPE_SCALE_LINEAR)
			inv_freq[i] /= c->factor;
	}
}

/* One pair's entries of the kernel tables: the positions of its two
 * members and their cos/sin with the sign of the sine folded in.  The
 * inverse of scale * R(a) is R(-a) / scale = R(a)^T / scale: the same
 * tables divided by scale^2 with the sine negated. */
typedef struct kernel_pair {
	size_t first, second;
	double c, s;
} kernel_pair;

static kernel_pair kernel_entry(const double *cos_d, const double *sin_d,
	size_t i, size_t half, enum rope_style style, double scale, int inverse)
{
	double k = inverse ? 1.0 / (scale * scale) : 1.0;
	kernel_pair p;
	p.first = style == ROPE_NEOX ? i : 2 * i;
	p.second = style == ROPE_NEOX ? i + half : 2 * i + 1;
	p.c = k * cos_d[i];
	p.s = (inverse ? -k : k) * sin_d[i];
	return p;
}

void rope_kernel_tables(const double *cos_d, const double *sin_d,
	size_t rot_dim, enum rope_style style, double scale, int inverse,
	double *cos_k, double *sin_k)
{
	size_t half = rot_dim / 2;
	for (size_t i = 0; i < half; i++) {
		kernel_pair p = kernel_entry(cos_d, sin_d, i, half, style, scale, inverse);
		cos_k[p.first] = p.c;
		cos_k[p.second] = p.c;
		sin_k[p.first] = -p.s;
		sin_k[p.second] = p.s;
	}
}

void rope_kernel_tables_f32(const double *cos_d, const double *sin_d,
	size_t rot_dim, enum rope_style style, double scale, int inverse,
	float *cos_k, float *sin_k)
{
	size_t half = rot_dim / 2;
	for (size_t i = 0; i < half; i++) {
		kernel_pair p = kernel_entry(cos_d, sin_d, i, half, style, scale, inverse);
		cos_k[p.first] = (float)p.c;
		cos_k[p.second] = (float)p.c;
		sin_k[p.first] = (float)-p.s;
		sin_k[p.second] = (float)p.s;
	}
}

/* The kernels.  Each member of a pair becomes
 * out[j] = x[j]*cos_k[j] + x[partner(j)]*sin_k[j], the sign of the sine
 * folded into sin_k:
 *   interleaved: pairs (2i, 2i+1) (RoFormer eq. 34), partner(j) = j^1;
 *   neox: pairs (i, i+R/2), HF modeling_llama.py apply_rotary_pos_emb,
 *   q*cos + rotate_half(q)*sin.
 * float32 rows are rotated in float32 arithmetic, as Hugging Face does for
 * float32 tensors, with tables computed in double and rounded once; the
 * error is a few float32 ulps of the pair's norm.  The float loops use
 * GCC/Clang vector extensions, four lanes, so that they vectorise at -O2
 * whatever the cost model; scalar loops finish the rest. */
#if defined(__GNUC__) || defined(__clang__)
#define ROPE_VECTOR 1
typedef float rope_v4f __attribute__((vector_size(16)));
#if defined(__clang__) || __GNUC__ >= 12
#define ROPE_SWAP_PAIRS(v) __builtin_shufflevector((v), (v), 1, 0, 3, 2)
#else
typedef int rope_v4i __attribute__((vector_size(16)));
#define ROPE_SWAP_PAIRS(v) __builtin_shuffle((v), (rope_v4i){ 1, 0, 3, 2 })
#endif
#else
#define ROPE_VECTOR 0
#endif

static void rotate_interleaved_f32(float *x, size_t rot_dim, const float *cos_k,
	const float *sin_k)
{
	size_t j = 0;
#if ROPE_VECTOR
	for (; j + 4 <= rot_dim; j += 4) {
		rope_v4f v, c, s;
		memcpy(&v, x + j, sizeof v);
		memcpy(&c, cos_k + j, sizeof c);
		memcpy(&s, sin_k + j, sizeof s);
		rope_v4f out = v * c + ROPE_SWAP_PAIRS(v) * s;
		memcpy(x + j, &out, sizeof out);
	}
#endif
	for (; j < rot_dim; j += 2) {
		float a = x[j], b = x[j + 1];
		x[j] = a * cos_k[j] + b * sin_k[j];
		x[j + 1] = b * cos_k[j + 1] + a * sin_k[j + 1];
	}
}

static void rotate_neox_f32(float *x, size_t rot_dim, const float *cos_k,
	const float *sin_k)
{
	size_t half = rot_dim / 2, i = 0;
	float *hi = x + half;
	const float *cos_hi = cos_k + half, *sin_hi = sin_k + half;
#if ROPE_VECTOR
	for (; i + 4 <= half; i += 4) {
		rope_v4f a, b, cl, sl, ch, sh;
		memcpy(&a, x + i, sizeof a);
		memcpy(&b, hi + i, sizeof b);
		memcpy(&cl, cos_k + i, sizeof cl);
		memcpy(&sl, sin_k + i, sizeof sl);
		memcpy(&ch, cos_hi + i, sizeof ch);
		memcpy(&sh, sin_hi + i, sizeof sh);
		rope_v4f lo_out = a * cl + b * sl, hi_out = b * ch + a * sh;
		memcpy(x + i, &lo_out, sizeof lo_out);
		memcpy(hi + i, &hi_out, sizeof hi_out);
	}
#endif
	for (; i < half; i++) {
		float a = x[i], b = hi[i];
		x[i] = a * cos_k[i] + b * sin_k[i];
		hi[i] = b * cos_hi[i] + a * sin_hi[i];
	}
}

void rope_rotate_f32(float *rows, size_t n_rows, size_t dim, size_t rot_dim,
	enum rope_style style, const float *cos_k, const float *sin_k)
{
	for (size_t r = 0; r < n_rows; r++) {
		if (style == ROPE_NEOX)
			rotate_neox_f32(rows + r * dim, rot_dim, cos_k, sin_k);
		else
			rotate_interleaved_f32(rows + r * dim, rot_dim, cos_k, sin_k);
	}
}

/* float64 rows: plain double loops (the precise path, also the reference
 * the unit tests hold the float kernel to). */
void rope_rotate_f64(double *rows, size_t n_rows, size_t dim, size_t rot_dim,
	enum rope_style style, const double *cos_k, const double *sin_k)
{
	size_t half = rot_dim / 2;
	for (size_t r = 0; r < n_rows; r++) {
		double *x = rows + r * dim;
		for (size_t i = 0; i < half; i++) {
			size_t first = style == ROPE_NEOX ? i : 2 * i;
			size_t second = style == ROPE_NEOX ? i + half : 2 * i + 1;
			double a = x[first], b = x[second];
			x[first] = a * cos_k[first] + b * sin_k[first];
			x[second] = b * cos_k[second] + a * sin_k[second];
		}
	}
}
