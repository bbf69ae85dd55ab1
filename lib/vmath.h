/* vmath: elementary functions four doubles at a time, for loops that the
 * compiler turns into SIMD code.
 *
 * Each function is branch-free (a block of four values always takes the
 * same path) and written with GCC/Clang vector extensions; the kernels are
 * static inline so that a caller's loop, or a copy of it compiled for AVX2
 * (see gauss.c, ppo.c), inlines them whole.  The arithmetic is plain IEEE
 * double without fused multiply-add (ISO C mode keeps -ffp-contract=off),
 * so every machine computes the same bits; each result is within about one
 * unit in the last place of the exact value.  Vectors go through pointers:
 * passing 32-byte vectors by value would tie the ABI to AVX. */
#ifndef MLPIPE_VMATH_H
#define MLPIPE_VMATH_H

#include <stddef.h>
#include <stdint.h>

typedef double vmath_vd __attribute__((vector_size(32)));
typedef uint64_t vmath_vu __attribute__((vector_size(32)));

enum { VMATH_LANES = 4 };

#define VMATH_EXP_BIAS_BITS  0x3ff0000000000000ULL  /* 1023 << 52 */
#define VMATH_MAGIC_2P52     0x4330000000000000ULL  /* bits of 2^52 */
#define VMATH_SQRT_HALF_BITS 0x3fe6a09e667f3bcdULL  /* bits of sqrt(1/2) */

/* fdlibm e_log.c / e_exp.c: ln 2 split so that k ln2_hi is exact for
 * |k| < 2^11 */
#define VMATH_LN2_HI 6.93147180369123816490e-01
#define VMATH_LN2_LO 1.90821492927058770002e-10

/* Small non-negative integers (< 2^52) to double: place them in the
 * mantissa of 2^52 and subtract 2^52 (exact).  (Macros, not functions:
 * see above.) */
#define VMATH_SMALL_TO_DOUBLE(k) ((vmath_vd)((k) | VMATH_MAGIC_2P52) - 0x1p52)
/* Lanes of a where the comparison mask is set, else of b. */
#define VMATH_SELECT(mask, a, b) \
	((vmath_vd)(((vmath_vu)(mask) & (vmath_vu)(a)) | (~(vmath_vu)(mask) & (vmath_vu)(b))))

/* ln x for positive normal x.  Write x = 2^k z with z in [sqrt(1/2),
 * sqrt(2)) (found by integer arithmetic on the bits, as musl's log does),
 * then ln z = 2 atanh(s) with s = (z-1)/(z+1), |s| < 0.1716, summed as the
 * series 2 s (1 + s^2/3 + s^4/5 + ...) to s^21 (remainder below 1e-18);
 * k ln 2 is added in two parts so that it carries no rounding (fdlibm
 * e_log.c ln2_hi/ln2_lo). */
static inline void vmath_log4(const vmath_vd *x, vmath_vd *out)
{
	vmath_vu ix = (vmath_vu)*x;
	vmath_vu biased_k = (ix - VMATH_SQRT_HALF_BITS + VMATH_EXP_BIAS_BITS) >> 52; /* k + 1023 */
	vmath_vd z = (vmath_vd)(ix - (biased_k << 52) + VMATH_EXP_BIAS_BITS);
	vmath_vd k = VMATH_SMALL_TO_DOUBLE(biased_k) - 1023.0;
	vmath_vd f = z - 1.0; /* exact: z is within a factor 2 of 1 */
	vmath_vd s = f / (2.0 + f);
	vmath_vd s2 = s * s;
	vmath_vd p = (vmath_vd){ 0, 0, 0, 0 } + 1.0 / 21;
	p = p * s2 + 1.0 / 19;
	p = p * s2 + 1.0 / 17;
	p = p * s2 + 1.0 / 15;
	p = p * s2 + 1.0 / 13;
	p = p * s2 + 1.0 / 11;
	p = p * s2 + 1.0 / 9;
	p = p * s2 + 1.0 / 7;
	p = p * s2 + 1.0 / 5;
	p = p * s2 + 1.0 / 3;
	vmath_vd log_z = 2.0 * s + 2.0 * s * s2 * p;
	*out = k * VMATH_LN2_HI + (log_z + k * VMATH_LN2_LO);
}

/* e^x for every double x: below -745.2 it is 0, above 709.79 +inf, NaN
 * stays NaN.  fdlibm e_exp.c, without its branches:
 *   1. x = k ln2 + r, k the integer nearest x / ln 2 (rounded by adding
 *      1.5 * 2^52), |r| <= ln2 / 2, with r = hi - lo carried in two parts
 *      (Cody and Waite 1980): hi = x - k ln2_hi is exact;
 *   2. e^r = 1 + 2r / (R(r) - r) where R(r) = r (e^r + 1) / (e^r - 1) is
 *      even and fitted as 2 + P1 r^2 + ... + P5 r^10 (Remez, error below
 *      2^-59), so that with c = r - (R - 2) the result is
 *      1 - ((lo - r c / (2 - c)) - hi);
 *   3. times 2^k, as two factors 2^(k/2) 2^(k - k/2) so that k may reach
 *      past the exponent range at both ends (subnormal results round
 *      once, in the second product).
 * fdlibm bounds the error below one unit in the last place. */
static inline void vmath_exp4(const vmath_vd *x, vmath_vd *out)
{
	const double inv_ln2 = 1.44269504088896338700e+00;
	const double p1 = 1.66666666666666019037e-01;
	const double p2 = -2.77777777770155933842e-03;
	const double p3 = 6.61375632143793436117e-05;
	const double p4 = -1.65339022054652515390e-06;
	const double p5 = 4.13813679705723846039e-08;
	const double magic = 0x1.8p52;
	const vmath_vd zero = { 0, 0, 0, 0 };
	/* past these ends the result is 0 or +inf anyway; NaN passes */
	vmath_vd lo_cut = VMATH_SELECT(*x < -746.0, zero - 746.0, *x);
	vmath_vd xc = VMATH_SELECT(lo_cut > 710.0, zero + 710.0, lo_cut);
	vmath_vd rounded = xc * inv_ln2 + magic;
	vmath_vd k = rounded - magic;
	vmath_vd hi = xc - k * VMATH_LN2_HI;
	vmath_vd lo = k * VMATH_LN2_LO;
	vmath_vd r = hi - lo;
	vmath_vd t = r * r;
	vmath_vd c = r - t * (p1 + t * (p2 + t * (p3 + t * (p4 + t * p5))));
	vmath_vd y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
	/* k + 1100 >= 24 from the bits of the rounded sum (its mantissa is
	 * 2^51 + k); halves by a logical shift: k1 = floor(k / 2) */
	vmath_vu k_off = (vmath_vu)rounded - (VMATH_MAGIC_2P52 | (1ULL << 51)) + 1100;
	vmath_vu half = k_off >> 1;                   /* k1 + 550 */
	vmath_vd scale1 = (vmath_vd)((half + 473) << 52);          /* 2^k1 */
	vmath_vd scale2 = (vmath_vd)((k_off - half + 473) << 52);  /* 2^(k - k1) */
	*out = y * scale1 * scale2;
}

/* One value through the kernels (tests, scalar callers): the four-lane
 * kernel's latency for one value, several times the C library's, so loops
 * take vmath_exp_array instead. */
double vmath_exp(double x);
double vmath_log(double x);
/* x[i] = e^x[i] for i < n (an AVX2 copy of the loop where there is one). */
void vmath_exp_array(double *x, size_t n);

#endif
