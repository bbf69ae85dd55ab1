/* Unit tests of lib/posenc: TOOLS.md check values, reference-code golden
 * values, and the invariants that make each encoding what it is. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "posenc.h"
#include "unit.h"

/* ---- sinusoidal ------------------------------------------------------ */

/* TOOLS.md: D = 8, p = 1, base 10000: omega_i = 10^-i. */
START_TEST(sinusoidal_check_value)
{
	const double want[8] = {0.8414710, 0.5403023, 0.0998334, 0.9950042,
		0.0099998, 0.9999500, 0.0010000, 0.9999995};
	double omega[4], row[8], scratch[8];
	posenc_sinusoidal_freqs(omega, 8, 10000.0, POSENC_SPACING_PAPER);
	posenc_sinusoidal_row(omega, 8, 1.0, POSENC_INTERLEAVED, row, scratch);
	for (int j = 0; j < 8; j++)
		ck_assert_close(row[j], want[j], 0, 5e-8);
}
END_TEST

/* Each (sin, cos) pair lies on the unit circle, at every position. */
START_TEST(sinusoidal_pairs_unit_norm)
{
	enum { D = 64 };
	double omega[D / 2], row[D], scratch[D];
	for (int spacing = 0; spacing < 2; spacing++) {
		posenc_sinusoidal_freqs(omega, D, 10000.0, spacing);
		for (double p = 0; p < 5000; p += 37.5) {
			posenc_sinusoidal_row(omega, D, p, POSENC_INTERLEAVED, row, scratch);
			for (int i = 0; i < D / 2; i++)
				ck_assert_close(hypot(row[2 * i], row[2 * i + 1]), 1.0, 0, 1e-15);
		}
	}
}
END_TEST

/* Vaswani et al. 3.5: PE(p + k) is a linear function of PE(p); each pair
 * turns by k*omega_i: (sin, cos)(a + b) = rotation of (sin, cos)(a). */
START_TEST(sinusoidal_shift_is_rotation)
{
	enum { D = 16 };
	double omega[D / 2], at_p[D], at_pk[D], scratch[D];
	posenc_sinusoidal_freqs(omega, D, 10000.0, POSENC_SPACING_PAPER);
	const double p = 17, k = 5;
	posenc_sinusoidal_row(omega, D, p, POSENC_INTERLEAVED, at_p, scratch);
	posenc_sinusoidal_row(omega, D, p + k, POSENC_INTERLEAVED, at_pk, scratch);
	for (int i = 0; i < D / 2; i++) {
		double c = cos(k * omega[i]), s = sin(k * omega[i]);
		double sin_next = at_p[2 * i] * c + at_p[2 * i + 1] * s;
		double cos_next = at_p[2 * i + 1] * c - at_p[2 * i] * s;
		ck_assert_close(at_pk[2 * i], sin_next, 0, 1e-13);
		ck_assert_close(at_pk[2 * i + 1], cos_next, 0, 1e-13);
	}
}
END_TEST

/* split holds the same numbers: half[i] = int[2i], half[i + D/2] = int[2i+1]. */
START_TEST(sinusoidal_split_permutes_interleaved)
{
	enum { D = 12 };
	double omega[D / 2], inter[D], split[D], scratch[D];
	posenc_sinusoidal_freqs(omega, D, 500.0, POSENC_SPACING_PAPER);
	for (double p = 0; p < 100; p += 7) {
		posenc_sinusoidal_row(omega, D, p, POSENC_INTERLEAVED, inter, scratch);
		posenc_sinusoidal_row(omega, D, p, POSENC_SPLIT, split, NULL);
		for (int i = 0; i < D / 2; i++) {
			ck_assert(split[i] == inter[2 * i]);
			ck_assert(split[i + D / 2] == inter[2 * i + 1]);
		}
	}
}
END_TEST

/* tensor2tensor/fairseq spacing: from 1 down to exactly 1/base, geometric
 * with ratio base^(-1/(D/2-1)); fairseq get_embedding for D = 8 at p = 1. */
START_TEST(sinusoidal_t2t_spacing)
{
	double omega[4], row[8];
	posenc_sinusoidal_freqs(omega, 8, 10000.0, POSENC_SPACING_T2T);
	ck_assert_close(omega[0], 1.0, 1e-15, 0);
	ck_assert_close(omega[3], 1e-4, 1e-14, 0);
	for (int i = 1; i < 4; i++)
		ck_assert_close(omega[i] / omega[i - 1], pow(10000.0, -1.0 / 3.0), 1e-14, 0);
	/* fairseq get_embedding in float64 (NumPy): exp(-i*ln(10000)/3),
	 * sines then cosines as torch.cat([sin, cos]) */
	const double want[8] = {0.8414709848078965, 0.04639922346473126,
		0.0021544330233656027, 9.999999983333325e-05, 0.5403023058681397,
		0.9989229760406305, 0.9999976792064809, 0.999999995};
	posenc_sinusoidal_row(omega, 8, 1.0, POSENC_SPLIT, row, NULL);
	for (int j = 0; j < 8; j++)
		ck_assert_close(row[j], want[j], 1e-14, 1e-16);
}
END_TEST

START_TEST(sinusoidal_rejects)
{
	ck_assert_ptr_nonnull(posenc_sinusoidal_check(7, 10000, POSENC_SPACING_PAPER));
	ck_assert_ptr_nonnull(posenc_sinusoidal_check(0, 10000, POSENC_SPACING_PAPER));
	ck_assert_ptr_nonnull(posenc_sinusoidal_check(2, 10000, POSENC_SPACING_T2T));
	ck_assert_ptr_nonnull(posenc_sinusoidal_check(8, 1.0, POSENC_SPACING_PAPER));
	ck_assert_ptr_nonnull(posenc_sinusoidal_check(8, NAN, POSENC_SPACING_PAPER));
	ck_assert_ptr_null(posenc_sinusoidal_check(2, 10000, POSENC_SPACING_PAPER));
	ck_assert_ptr_null(posenc_sinusoidal_check(4, 1.5, POSENC_SPACING_T2T));
}
END_TEST

/* ---- T5 buckets ------------------------------------------------------ */

/* TOOLS.md check values, 32 buckets, max distance 128. */
START_TEST(t5_bidirectional_check_values)
{
	static const long long rp[] = {-128, -16, -8, -7, -1, 0, 1, 8, 16, 64, 127, 128, 100000};
	static const long want[] = {15, 10, 8, 7, 1, 0, 17, 24, 26, 30, 31, 31, 31};
	for (size_t k = 0; k < sizeof rp / sizeof rp[0]; k++)
		ck_assert_int_eq(posenc_t5_bucket(rp[k], 1, 32, 128), want[k]);
}
END_TEST

START_TEST(t5_causal_check_values)
{
	static const long long rp[] = {1000, 5, 1, 0, -1, -8, -16, -64, -127, -128, -100000};
	static const long want[] = {0, 0, 0, 0, 1, 8, 16, 26, 31, 31, 31};
	for (size_t k = 0; k < sizeof rp / sizeof rp[0]; k++)
		ck_assert_int_eq(posenc_t5_bucket(rp[k], 0, 32, 128), want[k]);
}
END_TEST

/* Where float32 and double disagree, the reference (torch, float32) wins:
 * 1024 buckets, max distance 100000; torch gives 451, 963, 1017, a log in
 * double would give one more. */
START_TEST(t5_float32_boundaries)
{
	ck_assert_int_eq(posenc_t5_bucket(-24692, 1, 1024, 100000), 451);
	ck_assert_int_eq(posenc_t5_bucket(24692, 1, 1024, 100000), 963);
	ck_assert_int_eq(posenc_t5_bucket(-94006, 0, 1024, 100000), 1017);
}
END_TEST

/* Both ways: the key-after-query side mirrors the key-before side shifted by
 * half the buckets; buckets never decrease with distance and stay in range. */
START_TEST(t5_symmetry_and_monotone)
{
	static const long nbs[] = {4, 8, 32, 64, 128};
	static const long long mds[] = {8, 20, 128, 1000};
	for (size_t a = 0; a < 5; a++)
		for (size_t b = 0; b < 4; b++) {
			long nb = nbs[a];
			long long md = mds[b];
			if (posenc_t5_check(nb, 1, md) || posenc_t5_check(nb, 0, md))
				continue;
			long prev_bi = -1, prev_causal = -1;
			for (long long r = 0; r < 3 * md; r++) {
				long neg = posenc_t5_bucket(-r, 1, nb, md);
				long pos = posenc_t5_bucket(r, 1, nb, md);
				long causal = posenc_t5_bucket(-r, 0, nb, md);
				if (r > 0)
					ck_assert_int_eq(pos, neg + nb / 2);
				ck_assert(neg >= prev_bi && neg < nb / 2);
				ck_assert(causal >= prev_causal && causal < nb);
				ck_assert_int_eq(posenc_t5_bucket(r, 0, nb, md), 0);
				prev_bi = neg;
				prev_causal = causal;
			}
			ck_assert_int_eq(prev_bi, nb / 2 - 1);
			ck_assert_int_eq(prev_causal, nb - 1);
		}
}
END_TEST

START_TEST(t5_rejects)
{
	ck_assert_ptr_nonnull(posenc_t5_check(3, 1, 128));
	ck_assert_ptr_null(posenc_t5_check(4, 1, 128));
	ck_assert_ptr_nonnull(posenc_t5_check(1, 0, 128));
	ck_assert_ptr_null(posenc_t5_check(2, 0, 128));
	ck_assert_ptr_nonnull(posenc_t5_check(32, 1, 8));
	ck_assert_ptr_null(posenc_t5_check(32, 1, 9));
}
END_TEST

/* ---- ALiBi ----------------------------------------------------------- */

static void check_log2_slopes(size_t n_heads, const double *want_log2)
{
	for (size_t h = 0; h < n_heads; h++)
		ck_assert_close(log2(posenc_alibi_slope(n_heads, h)), want_log2[h], 0, 1e-14);
}

/* Powers of two: 2^(-8/H), 2^(-16/H), ... 2^(-8). */
START_TEST(alibi_slopes_power_of_two)
{
	static const double h1[] = {-8};
	static const double h8[] = {-1, -2, -3, -4, -5, -6, -7, -8};
	static const double h16[] = {-0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4,
		-4.5, -5, -5.5, -6, -6.5, -7, -7.5, -8};
	check_log2_slopes(1, h1);
	check_log2_slopes(8, h8);
	check_log2_slopes(16, h16);
	for (size_t n = 2; n <= 256; n *= 2)
		ck_assert_close(posenc_alibi_slope(n, n - 1), 1.0 / 256, 1e-15, 0);
}
END_TEST

/* TOOLS.md (H = 12) and get_slopes of the reference code run by hand for
 * H = 3, 6, 24: the slopes of P heads, then the odd ones of 2P heads. */
START_TEST(alibi_slopes_interleaved)
{
	static const double h3[] = {-4, -8, -2};
	static const double h6[] = {-2, -4, -6, -8, -1, -3};
	static const double h12[] = {-1, -2, -3, -4, -5, -6, -7, -8,
		-0.5, -1.5, -2.5, -3.5};
	static const double h24[] = {-0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4,
		-4.5, -5, -5.5, -6, -6.5, -7, -7.5, -8,
		-0.25, -0.75, -1.25, -1.75, -2.25, -2.75, -3.25, -3.75};
	check_log2_slopes(3, h3);
	check_log2_slopes(6, h6);
	check_log2_slopes(12, h12);
	check_log2_slopes(24, h24);
}
END_TEST

/* The slopes of H heads are distinct; every slope is in [2^-8, 1). */
START_TEST(alibi_slopes_distinct)
{
	for (size_t n = 1; n <= 100; n++)
		for (size_t h = 0; h < n; h++) {
			double m = posenc_alibi_slope(n, h);
			ck_assert(m >= 1.0 / 256 && m < 1.0);
			for (size_t g = 0; g < h; g++)
				ck_assert(posenc_alibi_slope(n, g) != m);
		}
}
END_TEST

START_TEST(alibi_rows)
{
	double row[6];
	posenc_alibi_row(row, 6, 2, 0.25, 0, -INFINITY);
	const double sym[6] = {-0.5, -0.25, 0, -0.25, -0.5, -0.75};
	for (int j = 0; j < 6; j++)
		ck_assert(row[j] == sym[j]);
	posenc_alibi_row(row, 6, 2, 0.25, 1, -INFINITY);
	for (int j = 0; j < 3; j++)
		ck_assert(row[j] == sym[j]);
	for (int j = 3; j < 6; j++)
		ck_assert(isinf(row[j]) && row[j] < 0);
	posenc_alibi_row(row, 6, 2, 0.25, 1, -1e9);
	ck_assert(row[5] == -1e9);
}
END_TEST

/* ALiBi is a function of j - i only: rows are shifts of each other
 * (the bias of Press et al. is translation invariant). */
START_TEST(alibi_translation_invariant)
{
	enum { T = 40 };
	double a[T], b[T];
	for (size_t i = 0; i + 1 < T; i++) {
		posenc_alibi_row(a, T, i, 0.125, 0, 0);
		posenc_alibi_row(b, T, i + 1, 0.125, 0, 0);
		for (size_t j = 0; j + 1 < T; j++)
			ck_assert(a[j] == b[j + 1]);
	}
}
END_TEST

/* ---- RoPE decay ------------------------------------------------------ */

static void decay_curve(size_t dim, double base, double *out, size_t n, int normalize)
{
	size_t n_pairs = dim / 2;
	double *theta = malloc(n_pairs * sizeof *theta);
	double *scratch = malloc(2 * n_pairs * sizeof *scratch);
	ck_assert(theta && scratch);
	posenc_sinusoidal_freqs(theta, dim, base, POSENC_SPACING_PAPER);
	for (size_t r = 0; r < n; r++)
		out[r] = posenc_rope_decay(theta, n_pairs, (double)r, normalize, scratch);
	free(theta);
	free(scratch);
}

START_TEST(rope_decay_one_at_zero)
{
	static const size_t dims[] = {2, 8, 64, 128};
	for (size_t k = 0; k < 4; k++) {
		double v[1], raw[1];
		decay_curve(dims[k], 10000.0, v, 1, 1);
		decay_curve(dims[k], 10000.0, raw, 1, 0);
		ck_assert_close(v[0], 1.0, 1e-15, 0);
		ck_assert_close(raw[0], (dims[k] / 2 + 1) / 2.0, 1e-15, 0);
	}
}
END_TEST

static double mean_of(const double *v, size_t from, size_t to)
{
	double s = 0;
	for (size_t r = from; r < to; r++)
		s += v[r];
	return s / (double)(to - from);
}

/* RoFormer figure 2: the bound falls with distance on average (it
 * oscillates, so compare window means over growing windows). */
START_TEST(rope_decay_falls_on_average)
{
	enum { N = 4097 };
	static const size_t edges[] = {0, 16, 64, 256, 1024, N};
	double *v = malloc(N * sizeof *v);
	ck_assert_ptr_nonnull(v);
	for (size_t dim = 64; dim <= 128; dim *= 2) {
		decay_curve(dim, 10000.0, v, N, 1);
		double prev = INFINITY;
		for (size_t w = 0; w + 1 < sizeof edges / sizeof edges[0]; w++) {
			double m = mean_of(v, edges[w], edges[w + 1]);
			ck_assert_msg(m < prev, "D=%zu window %zu: %g >= %g", dim, w, m, prev);
			prev = m;
		}
		for (size_t r = 0; r < N; r++)
			ck_assert(v[r] > 0 && v[r] <= 1.0 + 1e-15);
	}
	free(v);
}
END_TEST

/* Against the formula written with complex numbers, and NumPy golden
 * values (np.abs(np.cumsum(np.exp(1j*r*theta))).mean()). */
START_TEST(rope_decay_golden)
{
	double v[101];
	decay_curve(128, 10000.0, v, 101, 0);
	ck_assert_close(v[100], 10.227329948505133, 1e-12, 0);
	decay_curve(8, 10000.0, v, 4, 0);
	ck_assert_close(v[3], 1.1325136857987292, 1e-12, 0);
	for (size_t r = 0; r < 4; r++) {
		double complex s = 0;
		double total = 0;
		for (int k = 0; k < 4; k++) {
			s += cexp(I * (double)r * pow(10000.0, -2.0 * k / 8));
			total += cabs(s);
		}
		ck_assert_close(v[r], total / 4, 1e-13, 0);
	}
	double theta[64], scratch[128];
	posenc_sinusoidal_freqs(theta, 128, 10000.0, POSENC_SPACING_PAPER);
	ck_assert_close(posenc_rope_decay(theta, 64, 0.5, 0, scratch), 32.25469235464362, 1e-12, 0);
}
END_TEST

static Suite *posenc_suite(void)
{
	Suite *s = suite_create("posenc");
	TCase *sin_tc = tcase_create("sinusoidal");
	tcase_add_test(sin_tc, sinusoidal_check_value);
	tcase_add_test(sin_tc, sinusoidal_pairs_unit_norm);
	tcase_add_test(sin_tc, sinusoidal_shift_is_rotation);
	tcase_add_test(sin_tc, sinusoidal_split_permutes_interleaved);
	tcase_add_test(sin_tc, sinusoidal_t2t_spacing);
	tcase_add_test(sin_tc, sinusoidal_rejects);
	suite_add_tcase(s, sin_tc);
	TCase *t5_tc = tcase_create("t5");
	tcase_add_test(t5_tc, t5_bidirectional_check_values);
	tcase_add_test(t5_tc, t5_causal_check_values);
	tcase_add_test(t5_tc, t5_float32_boundaries);
	tcase_add_test(t5_tc, t5_symmetry_and_monotone);
	tcase_add_test(t5_tc, t5_rejects);
	suite_add_tcase(s, t5_tc);
	TCase *alibi_tc = tcase_create("alibi");
	tcase_add_test(alibi_tc, alibi_slopes_power_of_two);
	tcase_add_test(alibi_tc, alibi_slopes_interleaved);
	tcase_add_test(alibi_tc, alibi_slopes_distinct);
	tcase_add_test(alibi_tc, alibi_rows);
	tcase_add_test(alibi_tc, alibi_translation_invariant);
	suite_add_tcase(s, alibi_tc);
	TCase *decay_tc = tcase_create("rope-decay");
	tcase_add_test(decay_tc, rope_decay_one_at_zero);
	tcase_add_test(decay_tc, rope_decay_falls_on_average);
	tcase_add_test(decay_tc, rope_decay_golden);
	suite_add_tcase(s, decay_tc);
	return s;
}

UNIT_MAIN(posenc_suite)
