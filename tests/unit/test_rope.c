/* Unit tests for lib/rope: the check values of TOOLS.md (YaRN correction
 * range, get_mscale, Llama 3.1's three bands), golden frequencies from the
 * Hugging Face formulas (tests/bench/rope_peer.py inv-freq, float64), and
 * the properties of a rotation: norms kept, relative positions, inverse,
 * the interleaved/neox permutation, the untouched tail. */
#include "unit.h"
#include "rope.h"

#include <string.h>

/* The float32 rotation of one vector x (dim long) at position pos. */
static void rotate_one(const rope_config *c, enum rope_style style, int inverse,
	double pos, float *x, size_t dim)
{
	size_t n_pairs = c->rot_dim / 2;
	double inv_freq[256], cos_d[256], sin_d[256];
	float cos_k[512], sin_k[512];
	double scale;
	ck_assert_uint_le(c->rot_dim, 512);
	rope_inv_freq(c, inv_freq, &scale);
	rope_angles(inv_freq, n_pairs, pos, scale, cos_d, sin_d);
	rope_kernel_tables_f32(cos_d, sin_d, c->rot_dim, style, scale, inverse, cos_k, sin_k);
	rope_rotate_f32(x, 1, dim, c->rot_dim, style, cos_k, sin_k);
}

/* A deterministic pseudo-random vector in [-1, 1) (xorshift64). */
static void fill(float *x, size_t n, unsigned long long seed)
{
	unsigned long long s = seed * 2654435761ULL + 88172645463325252ULL;
	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
	}
}

static double dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

/* Every scaling with parameters that make it do something. */
static void config_for(rope_config *c, size_t rot_dim, enum rope_scaling s)
{
	rope_config_default(c, rot_dim);
	c->scaling = s;
	c->factor = s == ROPE_SCALE_NONE ? 1.0 : 4.0;
	c->original_max_pos = 64;
	c->seq_len = 200;
	c->base = s == ROPE_SCALE_LLAMA3 ? 500000.0 : 10000.0;
	ck_assert_ptr_null(rope_config_check(c));
}

START_TEST(theta_values)
{
	ck_assert_double_eq(rope_theta(10000, 128, 0), 1.0);
	ck_assert_close(rope_theta(10000, 128, 1), pow(10000, -2.0 / 128), 1e-15, 0);
	ck_assert_close(rope_theta(10000, 8, 2), 0.01, 1e-15, 0);
	ck_assert_close(rope_theta(500000, 128, 63), pow(500000, -126.0 / 128), 1e-15, 0);
}
END_TEST

START_TEST(yarn_corr_range_check_values)
{
	/* TOOLS.md: beta 32/1, truncated */
	double low, high;
	rope_yarn_corr_range(32, 1, 128, 10000, 4096, 1, &low, &high);
	ck_assert_double_eq(low, 20);
	ck_assert_double_eq(high, 46);
	rope_yarn_corr_range(32, 1, 64, 10000, 2048, 1, &low, &high);
	ck_assert_double_eq(low, 8);
	ck_assert_double_eq(high, 21);
	/* without truncation the bounds are the raw correction dims */
	rope_yarn_corr_range(32, 1, 128, 10000, 4096, 0, &low, &high);
	ck_assert_close(low, rope_yarn_corr_dim(32, 128, 10000, 4096), 1e-15, 0);
	ck_assert(low > 20 && low < 21 && high > 45 && high < 46);
	/* clamped to [0, R-1] */
	rope_yarn_corr_range(32, 1, 16, 10000, 1e12, 1, &low, &high);
	ck_assert_double_eq(high, 15);
	rope_yarn_corr_range(32, 1, 16, 10000, 10, 1, &low, &high);
	ck_assert_double_eq(low, 0);
}
END_TEST

START_TEST(yarn_mscale_check_values)
{
	ck_assert_close(rope_yarn_get_mscale(2, 1), 1.0693147, 0, 5e-8);
	ck_assert_close(rope_yarn_get_mscale(8, 1), 1.2079442, 0, 5e-8);
	ck_assert_double_eq(rope_yarn_get_mscale(1, 1), 1.0);
	ck_assert_double_eq(rope_yarn_get_mscale(0.5, 3), 1.0);
	rope_config c;
	rope_config_default(&c, 64);
	c.scaling = ROPE_SCALE_YARN;
	c.factor = 8;
	c.original_max_pos = 4096;
	ck_assert_close(rope_yarn_attention_factor(&c), 1.2079442, 0, 5e-8);
	c.mscale = 0.707;
	/* one of the pair alone does not count (HF: "if mscale and mscale_all_dim") */
	ck_assert_close(rope_yarn_attention_factor(&c), 1.2079442, 0, 5e-8);
	c.mscale_all_dim = 0.707;
	ck_assert_close(rope_yarn_attention_factor(&c), 1.0, 1e-15, 0);
	c.attention_factor = 0.5;
	ck_assert_double_eq(rope_yarn_attention_factor(&c), 0.5);
}
END_TEST

START_TEST(llama31_bands)
{
	/* TOOLS.md: R=128, base 5e5, factor 8, lff 1, hff 4, L0 8192:
	 * pairs 0-28 unchanged, 29-34 blended, 35-63 divided by 8 */
	rope_config c;
	double inv_freq[64], scale;
	rope_config_default(&c, 128);
	c.base = 500000;
	c.scaling = ROPE_SCALE_LLAMA3;
	c.factor = 8;
	c.original_max_pos = 8192;
	ck_assert_ptr_null(rope_config_check(&c));
	rope_inv_freq(&c, inv_freq, &scale);
	ck_assert_double_eq(scale, 1.0);
	for (size_t i = 0; i < 64; i++) {
		double theta = rope_theta(500000, 128, i);
		if (i <= 28) {
			ck_assert_double_eq(inv_freq[i], theta);
		} else if (i >= 35) {
			ck_assert_close(inv_freq[i], theta / 8, 1e-15, 0);
		} else {
			ck_assert_msg(inv_freq[i] < theta * (1 - 1e-9)
				&& inv_freq[i] > theta / 8 * (1 + 1e-9),
				"pair %zu is not blended", i);
		}
	}
}
END_TEST

/* Golden inverse frequencies and attention factors from the HF formulas
 * (tests/bench/rope_peer.py inv-freq R BASE SCALING key=value..., float64). */
static void check_inv_freq(const rope_config *c, const double *want, double want_scale)
{
	double got[64], scale;
	ck_assert_ptr_null(rope_config_check(c));
	rope_inv_freq(c, got, &scale);
	for (size_t i = 0; i < c->rot_dim / 2; i++)
		ck_assert_close(got[i], want[i], 1e-13, 0);
	ck_assert_close(scale, want_scale, 1e-14, 0);
}

START_TEST(hf_golden_linear_ntk_dynamic)
{
	rope_config c;
	rope_config_default(&c, 8);
	c.scaling = ROPE_SCALE_LINEAR;
	c.factor = 4;
	check_inv_freq(&c, (const double[]){ 0.25, 0.025, 0.0025, 0.00025 }, 1);
	c.scaling = ROPE_SCALE_NTK;
	check_inv_freq(&c, (const double[]){ 1, 0.06299605249474366,
		0.0039685026299204991, 0.00025 }, 1);
	c.scaling = ROPE_SCALE_DYNAMIC;
	c.factor = 2;
	c.original_max_pos = 2048;
	c.seq_len = 4096;
	check_inv_freq(&c, (const double[]){ 1, 0.069336127435063469,
		0.0048074985676913613, 0.00033333333333333338 }, 1);
	/* no change while the sequence fits the original context */
	c.seq_len = 1000;
	check_inv_freq(&c, (const double[]){ 1, 0.1, 0.01, 0.001 }, 1);
	c.seq_len = 2048;
	check_inv_freq(&c, (const double[]){ 1, 0.1, 0.01, 0.001 }, 1);
}
END_TEST

START_TEST(hf_golden_yarn)
{
	static const double truncated[16] = {
		1, 0.56234132519034907, 0.31622776601683794, 0.17782794100389226,
		0.10000000000000001, 0.056234132519034905, 0.027387583306815431,
		0.013019545680642114, 0.0059821428571428569, 0.0026108704383837637,
		0.0010446810127341965, 0.00034930488411478848, 6.2500000000000001e-05,
		3.5146332824396819e-05, 1.9764235376052371e-05, 1.1114246312743267e-05
	};
	static const double untruncated[16] = {
		1, 0.56234132519034907, 0.31622776601683794, 0.17782794100389226,
		0.10000000000000001, 0.056234132519034905, 0.027861316864565167,
		0.012898515316182788, 0.0056962144014117934, 0.002327564826746066,
		0.0008164706233662651, 0.0001822297192242749, 6.2500000000000001e-05,
		3.5146332824396819e-05, 1.9764235376052371e-05, 1.1114246312743267e-05
	};
	rope_config c;
	rope_config_default(&c, 32);
	c.scaling = ROPE_SCALE_YARN;
	c.factor = 16;
	c.original_max_pos = 4096;
	check_inv_freq(&c, truncated, 1.2772588722239782);
	c.truncate = 0;
	c.mscale = 0.707;
	c.mscale_all_dim = 1;
	check_inv_freq(&c, untruncated, 0.93639750615302042);
}
END_TEST

START_TEST(hf_golden_llama3)
{
	rope_config c;
	rope_config_default(&c, 16);
	c.base = 500000;
	c.scaling = ROPE_SCALE_LLAMA3;
	c.factor = 8;
	c.original_max_pos = 8192;
	check_inv_freq(&c, (const double[]){ 1, 0.19392274474868576,
		0.037606030930863933, 0.0072926647372171085, 0.00052484616099295468,
		3.4281021959525912e-05, 6.6478698711812362e-06,
		1.2891731721515574e-06 }, 1);
}
END_TEST

START_TEST(config_check_rejects)
{
	rope_config c;
	rope_config_default(&c, 7);
	ck_assert_ptr_nonnull(rope_config_check(&c));
	rope_config_default(&c, 8);
	c.base = 1;
	ck_assert_ptr_nonnull(rope_config_check(&c));
	rope_config_default(&c, 8);
	c.factor = 0;
	ck_assert_ptr_nonnull(rope_config_check(&c));
	c.factor = 2;
	c.scaling = ROPE_SCALE_YARN;
	ck_assert_ptr_nonnull(rope_config_check(&c)); /* no original max pos */
	c.scaling = ROPE_SCALE_DYNAMIC;
	c.original_max_pos = 100;
	ck_assert_ptr_nonnull(rope_config_check(&c)); /* no sequence length */
	c.seq_len = 10;
	ck_assert_ptr_null(rope_config_check(&c));
	c.scaling = ROPE_SCALE_LLAMA3;
	c.low_freq_factor = 4;
	ck_assert_ptr_nonnull(rope_config_check(&c));
}
END_TEST

START_TEST(angles_advance_matches_direct)
{
	rope_config c;
	double inv_freq[32], cos_t[32], sin_t[32], cos_s[32], sin_s[32];
	double cos_d[32], sin_d[32], scale;
	config_for(&c, 64, ROPE_SCALE_YARN);
	rope_inv_freq(&c, inv_freq, &scale);
	/* the direct angle (1e5 + k) * inv_freq is itself rounded to about
	 * 1e-11 rad at this position: compare at 1e-10 */
	rope_angles(inv_freq, 32, 1e5, scale, cos_t, sin_t);
	rope_angles(inv_freq, 32, 1, 1, cos_s, sin_s);
	for (int step = 1; step <= 64; step++) {
		rope_angles_advance(cos_t, sin_t, cos_s, sin_s, 32);
		rope_angles(inv_freq, 32, 1e5 + step, scale, cos_d, sin_d);
		for (size_t i = 0; i < 32; i++) {
			ck_assert_close(cos_t[i], cos_d[i], 0, 1e-10);
			ck_assert_close(sin_t[i], sin_d[i], 0, 1e-10);
		}
	}
}
END_TEST

/* _i: the scaling under test, looped over every one of them */
START_TEST(norm_is_kept)
{
	rope_config c;
	float x[70], y[70];
	double scale, inv_freq[32];
	config_for(&c, 64, (enum rope_scaling)_i);
	rope_inv_freq(&c, inv_freq, &scale);
	for (int style = 0; style < 2; style++) {
		for (int p = 0; p < 50; p++) {
			fill(x, 70, (unsigned long long)p + 1);
			memcpy(y, x, sizeof x);
			rotate_one(&c, (enum rope_style)style, 0, p * 37.25, y, 70);
			double n_x = sqrt(dot(x, x, 64)), n_y = sqrt(dot(y, y, 64));
			ck_assert_close(n_y, scale * n_x, 1e-6, 0);
		}
	}
}
END_TEST

START_TEST(relative_position_identity)
{
	/* <R_m q, R_n k> = <R_{m+s} q, R_{n+s} k> */
	rope_config c;
	float q[64], k[64], q1[64], k1[64], q2[64], k2[64];
	config_for(&c, 64, (enum rope_scaling)_i);
	for (int style = 0; style < 2; style++) {
		for (int t = 0; t < 20; t++) {
			double m = t * 13.0, n = t * 5.0 + 3.0, shift = 1000.0 + t * 77.0;
			fill(q, 64, 100 + (unsigned long long)t);
			fill(k, 64, 200 + (unsigned long long)t);
			memcpy(q1, q, sizeof q);
			memcpy(k1, k, sizeof k);
			memcpy(q2, q, sizeof q);
			memcpy(k2, k, sizeof k);
			rotate_one(&c, (enum rope_style)style, 0, m, q1, 64);
			rotate_one(&c, (enum rope_style)style, 0, n, k1, 64);
			rotate_one(&c, (enum rope_style)style, 0, m + shift, q2, 64);
			rotate_one(&c, (enum rope_style)style, 0, n + shift, k2, 64);
			double bound = sqrt(dot(q1, q1, 64) * dot(k1, k1, 64));
			ck_assert_close(dot(q1, k1, 64), dot(q2, k2, 64), 0, 1e-6 * bound);
		}
	}
}
END_TEST

START_TEST(inverse_undoes)
{
	rope_config c;
	float x[72], y[72];
	config_for(&c, 64, (enum rope_scaling)_i);
	for (int style = 0; style < 2; style++) {
		for (int p = 0; p < 30; p++) {
			fill(x, 72, 300 + (unsigned long long)p);
			memcpy(y, x, sizeof x);
			double pos = p * 1234.5;
			rotate_one(&c, (enum rope_style)style, 0, pos, y, 72);
			rotate_one(&c, (enum rope_style)style, 1, pos, y, 72);
			for (size_t j = 0; j < 72; j++)
				ck_assert_close(y[j], x[j], 0, 1e-6);
		}
	}
}
END_TEST

START_TEST(interleaved_equals_neox_permuted)
{
	/* half[i] = int[2i], half[i+R/2] = int[2i+1] */
	rope_config c;
	enum { D = 40, R = 32, H = R / 2 };
	float x[D], a[D], b[D];
	config_for(&c, R, (enum rope_scaling)_i);
	for (int p = 0; p < 20; p++) {
		fill(x, D, 400 + (unsigned long long)p);
		memcpy(a, x, sizeof x);
		memcpy(b, x, sizeof x);
		for (size_t i = 0; i < H; i++) {
			b[i] = x[2 * i];
			b[i + H] = x[2 * i + 1];
		}
		rotate_one(&c, ROPE_INTERLEAVED, 0, p * 91.0, a, D);
		rotate_one(&c, ROPE_NEOX, 0, p * 91.0, b, D);
		for (size_t i = 0; i < H; i++) {
			ck_assert_float_eq(b[i], a[2 * i]);
			ck_assert_float_eq(b[i + H], a[2 * i + 1]);
		}
		for (size_t j = R; j < D; j++)
			ck_assert_float_eq(a[j], b[j]);
	}
}
END_TEST

START_TEST(tail_untouched)
{
	rope_config c;
	float x[50], y[50];
	config_for(&c, 6, ROPE_SCALE_NONE);
	for (int style = 0; style < 2; style++) {
		fill(x, 50, 7);
		memcpy(y, x, sizeof x);
		rotate_one(&c, (enum rope_style)style, 0, 12345.0, y, 50);
		ck_assert(memcmp(x + 6, y + 6, sizeof(float) * 44) == 0);
		ck_assert(memcmp(x, y, sizeof(float) * 6) != 0);
	}
}
END_TEST

START_TEST(position_zero_is_identity_and_pair_formula)
{
	rope_config c;
	float x[4] = { 1, 2, 3, 4 }, y[4];
	rope_config_default(&c, 4);
	memcpy(y, x, sizeof x);
	rotate_one(&c, ROPE_INTERLEAVED, 0, 0, y, 4);
	ck_assert(memcmp(x, y, sizeof x) == 0);
	/* interleaved, pos 1: pair 0 turns by 1 rad, pair 1 by 0.01 rad */
	rotate_one(&c, ROPE_INTERLEAVED, 0, 1, y, 4);
	ck_assert_close(y[0], cos(1.0) - 2 * sin(1.0), 1e-7, 1e-7);
	ck_assert_close(y[1], 2 * cos(1.0) + sin(1.0), 1e-7, 1e-7);
	ck_assert_close(y[2], 3 * cos(0.01) - 4 * sin(0.01), 1e-7, 1e-7);
	ck_assert_close(y[3], 4 * cos(0.01) + 3 * sin(0.01), 1e-7, 1e-7);
	/* neox, pos 1: pairs (0, 2) and (1, 3) */
	memcpy(y, x, sizeof x);
	rotate_one(&c, ROPE_NEOX, 0, 1, y, 4);
	ck_assert_close(y[0], cos(1.0) - 3 * sin(1.0), 1e-7, 1e-7);
	ck_assert_close(y[2], 3 * cos(1.0) + sin(1.0), 1e-7, 1e-7);
	ck_assert_close(y[1], 2 * cos(0.01) - 4 * sin(0.01), 1e-7, 1e-7);
	ck_assert_close(y[3], 4 * cos(0.01) + 2 * sin(0.01), 1e-7, 1e-7);
}
END_TEST

START_TEST(many_rows_share_tables)
{
	rope_config c;
	enum { D = 24, N = 5 };
	float rows[N * D], one[D];
	double inv_freq[12], cos_d[12], sin_d[12], scale;
	float cos_k[24], sin_k[24];
	config_for(&c, 20, ROPE_SCALE_LINEAR);
	fill(rows, N * D, 9);
	rope_inv_freq(&c, inv_freq, &scale);
	rope_angles(inv_freq, 10, 42, scale, cos_d, sin_d);
	rope_kernel_tables_f32(cos_d, sin_d, 20, ROPE_NEOX, scale, 0, cos_k, sin_k);
	float copy[N * D];
	memcpy(copy, rows, sizeof rows);
	rope_rotate_f32(rows, N, D, 20, ROPE_NEOX, cos_k, sin_k);
	for (size_t r = 0; r < N; r++) {
		memcpy(one, copy + r * D, sizeof one);
		rotate_one(&c, ROPE_NEOX, 0, 42, one, D);
		ck_assert(memcmp(one, rows + r * D, sizeof one) == 0);
	}
}
END_TEST


/* The float32 kernel against the float64 one (the precise path), for odd
 * sizes that exercise the vector loops and their scalar remainders: every
 * output within a few float32 ulps of its pair's norm. */
START_TEST(f32_kernel_matches_f64)
{
	static const size_t rot_dims[] = { 2, 6, 8, 10, 18, 34, 64 };
	for (size_t t = 0; t < sizeof rot_dims / sizeof *rot_dims; t++) {
		size_t R = rot_dims[t], D = R + 3, half = R / 2;
		if (R < 4 && (_i == ROPE_SCALE_NTK || _i == ROPE_SCALE_DYNAMIC))
			continue; /* R/(R-2) needs R >= 4 */
		rope_config c;
		config_for(&c, R, (enum rope_scaling)_i);
		double inv_freq[32], cos_d[32], sin_d[32], cos_k[64], sin_k[64], scale;
		float cos_f[64], sin_f[64], xf[67];
		double xd[67];
		rope_inv_freq(&c, inv_freq, &scale);
		for (int style = 0; style < 2; style++) {
			for (int inverse = 0; inverse < 2; inverse++) {
				fill(xf, D, R * 10 + (size_t)style);
				for (size_t j = 0; j < D; j++)
					xd[j] = xf[j];
				rope_angles(inv_freq, half, 4321.0, scale, cos_d, sin_d);
				rope_kernel_tables(cos_d, sin_d, R, (enum rope_style)style, scale, inverse, cos_k, sin_k);
				rope_kernel_tables_f32(cos_d, sin_d, R, (enum rope_style)style, scale, inverse, cos_f, sin_f);
				rope_rotate_f32(xf, 1, D, R, (enum rope_style)style, cos_f, sin_f);
				rope_rotate_f64(xd, 1, D, R, (enum rope_style)style, cos_k, sin_k);
				for (size_t i = 0; i < half; i++) {
					size_t p = style == ROPE_NEOX ? i : 2 * i;
					size_t q = style == ROPE_NEOX ? i + half : 2 * i + 1;
					double norm = hypot(xd[p], xd[q]);
					ck_assert_close(xf[p], xd[p], 0, 3e-7 * norm);
					ck_assert_close(xf[q], xd[q], 0, 3e-7 * norm);
				}
				for (size_t j = R; j < D; j++)
					ck_assert_double_eq(xf[j], xd[j]);
			}
		}
	}
}
END_TEST

/* The float64 kernel against the closed form of the rotation. */
START_TEST(f64_kernel_closed_form)
{
	rope_config c;
	config_for(&c, 8, ROPE_SCALE_YARN);
	double inv_freq[4], cos_d[4], sin_d[4], cos_k[8], sin_k[8], scale;
	double x[8] = { 1, -2, 3, 0.5, -1, 4, 2, 2 }, y[8];
	rope_inv_freq(&c, inv_freq, &scale);
	double pos = 77.5;
	rope_angles(inv_freq, 4, pos, scale, cos_d, sin_d);
	for (int style = 0; style < 2; style++) {
		memcpy(y, x, sizeof x);
		rope_kernel_tables(cos_d, sin_d, 8, (enum rope_style)style, scale, 0, cos_k, sin_k);
		rope_rotate_f64(y, 1, 8, 8, (enum rope_style)style, cos_k, sin_k);
		for (size_t i = 0; i < 4; i++) {
			size_t p = style == ROPE_NEOX ? i : 2 * i;
			size_t q = style == ROPE_NEOX ? i + 4 : 2 * i + 1;
			double a = pos * inv_freq[i];
			ck_assert_close(y[p], scale * (x[p] * cos(a) - x[q] * sin(a)), 1e-14, 1e-14);
			ck_assert_close(y[q], scale * (x[q] * cos(a) + x[p] * sin(a)), 1e-14, 1e-14);
		}
	}
}
END_TEST

/* The walk gives the tables of rope_angles whatever the order of the
 * positions: steps of one, repeats, jumps, restarts, fractions. */
START_TEST(walk_matches_direct)
{
	static const double positions[] = {
		0, 1, 2, 3, 3, 4, 100, 101, 102, 0, 1, 2.5, 3.5, -7, -6, 1e6, 1e6 + 1
	};
	rope_config c;
	double inv_freq[16], buf[64], cos_d[16], sin_d[16], scale;
	config_for(&c, 32, ROPE_SCALE_LLAMA3);
	rope_inv_freq(&c, inv_freq, &scale);
	rope_walk w;
	rope_walk_init(&w, inv_freq, 16, scale, 0, buf);
	for (size_t k = 0; k < sizeof positions / sizeof *positions; k++) {
		rope_walk_to(&w, positions[k]);
		rope_angles(inv_freq, 16, positions[k], scale, cos_d, sin_d);
		for (size_t i = 0; i < 16; i++) {
			ck_assert_close(w.cos_t[i], cos_d[i], 0, 1e-11);
			ck_assert_close(w.sin_t[i], sin_d[i], 0, 1e-11);
		}
	}
	/* a long run of steps stays anchored */
	for (int k = 0; k < 1000; k++)
		rope_walk_to(&w, 2e6 + k);
	rope_angles(inv_freq, 16, 2e6 + 999, scale, cos_d, sin_d);
	for (size_t i = 0; i < 16; i++)
		ck_assert_close(w.cos_t[i], cos_d[i], 0, 1e-10);
}
END_TEST

/* --precision hf: float32 angles.  At position 100000 the float32 product
 * loses up to about 4e-3 rad (TOOLS.md); small positions agree closely. */
START_TEST(hf_precision_angles)
{
	double inv_freq[32], cos_h[32], sin_h[32], cos_d[32], sin_d[32];
	for (size_t i = 0; i < 32; i++)
		inv_freq[i] = rope_theta(10000, 64, i);
	rope_angles_hf(inv_freq, 32, 3, 1, cos_h, sin_h);
	rope_angles(inv_freq, 32, 3, 1, cos_d, sin_d);
	for (size_t i = 0; i < 32; i++)
		ck_assert_close(cos_h[i], cos_d[i], 0, 1e-6);
	rope_angles_hf(inv_freq, 32, 100000, 1, cos_h, sin_h);
	rope_angles(inv_freq, 32, 100000, 1, cos_d, sin_d);
	double worst = 0;
	for (size_t i = 0; i < 32; i++) {
		/* the angle difference, from the two unit vectors */
		double d = fabs(atan2(sin_h[i] * cos_d[i] - cos_h[i] * sin_d[i],
			cos_h[i] * cos_d[i] + sin_h[i] * sin_d[i]));
		worst = fmax(worst, d);
		/* pair 0: angle 100000 rad, float32 ulp 2^-7: error at most 2^-8 */
		ck_assert(d <= 0.0040);
	}
	ck_assert(worst > 1e-4); /* the rounding is really there */
}
END_TEST

static Suite *rope_suite(void)
{
	Suite *s = suite_create("rope");
	TCase *tc = tcase_create("values");
	tcase_add_test(tc, theta_values);
	tcase_add_test(tc, yarn_corr_range_check_values);
	tcase_add_test(tc, yarn_mscale_check_values);
	tcase_add_test(tc, llama31_bands);
	tcase_add_test(tc, hf_golden_linear_ntk_dynamic);
	tcase_add_test(tc, hf_golden_yarn);
	tcase_add_test(tc, hf_golden_llama3);
	tcase_add_test(tc, config_check_rejects);
	tcase_add_test(tc, angles_advance_matches_direct);
	tcase_add_test(tc, walk_matches_direct);
	tcase_add_test(tc, hf_precision_angles);
	tcase_add_test(tc, f64_kernel_closed_form);
	suite_add_tcase(s, tc);
	TCase *props = tcase_create("properties");
	int n_scalings = ROPE_SCALE_LLAMA3 + 1;
	tcase_add_loop_test(props, norm_is_kept, 0, n_scalings);
	tcase_add_loop_test(props, relative_position_identity, 0, n_scalings);
	tcase_add_loop_test(props, inverse_undoes, 0, n_scalings);
	tcase_add_loop_test(props, interleaved_equals_neox_permuted, 0, n_scalings);
	tcase_add_loop_test(props, f32_kernel_matches_f64, 0, n_scalings);
	tcase_add_test(props, tail_untouched);
	tcase_add_test(props, position_zero_is_identity_and_pair_formula);
	tcase_add_test(props, many_rows_share_tables);
	suite_add_tcase(s, props);
	return s;
}

UNIT_MAIN(rope_suite)
