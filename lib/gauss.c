/* gauss: Box-Muller over the keystream, four pairs at a time (gauss.h).
 *
 * The kernel is written with GCC/Clang vector extensions: each operation
 * below acts on four doubles at once, which the compiler maps to SSE2 or
 * AVX registers.  No branches depend on the data, so a block of four pairs
 * always takes the same path.  On x86-64 with GCC a second copy of the
 * block loop is compiled for AVX2 and chosen at run time; it does the same
 * IEEE operations in the same order (no fused multiply-add: ISO C mode
 * keeps -ffp-contract=off), so the bits do not depend on the machine.
 * The logarithm is vmath_log4 (vmath.h); sine and cosine of 2 pi u are
 * here, as nothing else needs them. */
#include "gauss.h"
#include "vmath.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

typedef vmath_vd vd;
typedef vmath_vu vu;

enum { LANES = 4, BATCH_PAIRS = 512 };

#define MANT_MASK     0x000fffffffffffffULL

static uint64_t load_le64(const unsigned char *b)
{
	uint64_t w;
	memcpy(&w, b, sizeof w);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* rng.c u53: ((w >> 11) + 0.5) 2^-53, the same rounding of the + 0.5,
 * the same clamp below 1.
 * (Vectors go through pointers: passing 32-byte vectors by value would
 * tie the ABI to AVX.) */
static void uniform53(const vu *w, vd *u)
{
	vu k = *w >> 11;
	vd d = VMATH_SMALL_TO_DOUBLE(k & MANT_MASK) + VMATH_SMALL_TO_DOUBLE(k >> 52) * 0x1p52;
	vd v = (d + 0.5) * 0x1p-53;
	/* (2^53 - 1 + 0.5) 2^-53 rounds to 1: keep u below 1 as rng.c does */
	vu at_one = (vu)(v >= 1.0);
	vd below_one = v - v + 0x1.fffffffffffffp-1;
	*u = (vd)(((vu)v & ~at_one) | ((vu)below_one & at_one));
}

/* sin and cos of 2 pi u for u in [0, 1].  4u = q + r with q the nearest
 * integer (rounding by adding 1.5 * 2^52) and |r| <= 1/2, both exact; then
 * 2 pi u = q pi/2 + x with x = r pi/2 in [-pi/4, pi/4], where the Taylor
 * series to x^17 (sine) and x^18 (cosine) are exact to below 5e-17; the
 * quadrant q mod 4 swaps and negates them. */
static void sincos_2pi_v(const vd *u, vd *sin_out, vd *cos_out)
{
	const double half_pi = 1.57079632679489661923;
	vd t = *u * 4.0;
	vd rounded = t + 0x1.8p52;
	vu q = (vu)rounded;
	vd r = t - (rounded - 0x1.8p52);
	vd x = r * half_pi;
	vd x2 = x * x;
	vd ps = (vd){0, 0, 0, 0} + 1.0 / 355687428096000.0; /* 1/17! */
	ps = ps * x2 - 1.0 / 1307674368000.0;                /* 1/15! */
	ps = ps * x2 + 1.0 / 6227020800.0;                   /* 1/13! */
	ps = ps * x2 - 1.0 / 39916800.0;                     /* 1/11! */
	ps = ps * x2 + 1.0 / 362880.0;                       /* 1/9! */
	ps = ps * x2 - 1.0 / 5040.0;                         /* 1/7! */
	ps = ps * x2 + 1.0 / 120.0;                          /* 1/5! */
	ps = ps * x2 - 1.0 / 6.0;                            /* 1/3! */
	vd sin_x = x + x * x2 * ps;
	vd pc = (vd){0, 0, 0, 0} + 1.0 / 6402373705728000.0; /* 1/18! */
	pc = pc * x2 - 1.0 / 20922789888000.0;               /* 1/16! */
	pc = pc * x2 + 1.0 / 87178291200.0;                  /* 1/14! */
	pc = pc * x2 - 1.0 / 479001600.0;                    /* 1/12! */
	pc = pc * x2 + 1.0 / 3628800.0;                      /* 1/10! */
	pc = pc * x2 - 1.0 / 40320.0;                        /* 1/8! */
	pc = pc * x2 + 1.0 / 720.0;                          /* 1/6! */
	pc = pc * x2 - 1.0 / 24.0;                           /* 1/4! */
	pc = pc * x2 + 0.5;                                  /* 1/2! */
	vd cos_x = 1.0 - x2 * pc;
	/* quadrant 0: (sin x, cos x); 1: (cos x, -sin x); 2: (-sin x, -cos x);
	 * 3: (-cos x, sin x) */
	vu swap = -(q & 1);
	vu s_bits = (swap & (vu)cos_x) | (~swap & (vu)sin_x);
	vu c_bits = (swap & (vu)sin_x) | (~swap & (vu)cos_x);
	s_bits ^= (q & 2) << 62;
	c_bits ^= ((q + 1) & 2) << 62;
	*sin_out = (vd)s_bits;
	*cos_out = (vd)c_bits;
}

/* Square roots, correctly rounded: SSE2's packed square root where there
 * is one (the C library's sqrt would go one lane at a time). */
static void sqrt_v(const vd *x, vd *out)
{
#ifdef __SSE2__
	__m128d lo = _mm_sqrt_pd(_mm_set_pd((*x)[1], (*x)[0]));
	__m128d hi = _mm_sqrt_pd(_mm_set_pd((*x)[3], (*x)[2]));
	*out = (vd){ lo[0], lo[1], hi[0], hi[1] };
#else
	for (int j = 0; j < LANES; j++)
		(*out)[j] = sqrt((*x)[j]);
#endif
}

/* Four pairs from 64 keystream bytes into out[0 .. 7]. */
static void box_muller4(const unsigned char *b, double *out)
{
	vu w1 = { load_le64(b), load_le64(b + 16), load_le64(b + 32), load_le64(b + 48) };
	vu w2 = { load_le64(b + 8), load_le64(b + 24), load_le64(b + 40), load_le64(b + 56) };
	vd u1, u2, log_u1, sin_v, cos_v;
	uniform53(&w1, &u1);
	uniform53(&w2, &u2);
	vmath_log4(&u1, &log_u1);
	sincos_2pi_v(&u2, &sin_v, &cos_v);
	vd minus_two_log = -2.0 * log_u1;
	vd radius;
	sqrt_v(&minus_two_log, &radius);
	for (int j = 0; j < LANES; j++) {
		out[2 * j] = radius[j] * cos_v[j];
		out[2 * j + 1] = radius[j] * sin_v[j];
	}
}

/* Whole blocks of four pairs. */
static void box_muller_blocks(const unsigned char *bytes, size_t n_blocks, double *out)
{
	for (size_t i = 0; i < n_blocks; i++)
		box_muller4(bytes + 64 * i, out + 8 * i);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GAUSS_AVX2 1
/* The same loop with every call inlined and compiled for AVX2, where a
 * vector of four doubles fills one register. */
__attribute__((target("avx2"), flatten))
static void box_muller_blocks_avx2(const unsigned char *bytes, size_t n_blocks, double *out)
{
	for (size_t i = 0; i < n_blocks; i++)
		box_muller4(bytes + 64 * i, out + 8 * i);
}
#endif

void gauss_box_muller(const unsigned char *bytes, size_t n_pairs, double *out)
{
	size_t blocks = n_pairs / LANES, p = blocks * LANES;
#ifdef GAUSS_AVX2
	if (__builtin_cpu_supports("avx2"))
		box_muller_blocks_avx2(bytes, blocks, out);
	else
#endif
		box_muller_blocks(bytes, blocks, out);
	if (p == n_pairs)
		return;
	/* the last 1 to 3 pairs, padded with zero bytes */
	unsigned char tail_bytes[16 * LANES] = {0};
	double tail[2 * LANES];
	memcpy(tail_bytes, bytes + 16 * p, 16 * (n_pairs - p));
	box_muller4(tail_bytes, tail);
	memcpy(out + 2 * p, tail, 2 * (n_pairs - p) * sizeof *out);
}

void gauss_normal_at(const rng *g, uint64_t index, double *out, size_t n)
{
	unsigned char bytes[16 * BATCH_PAIRS];
	double z[2 * BATCH_PAIRS];
	while (n > 0) {
		uint64_t pair = index / 2;
		size_t first = (size_t)(index % 2);
		size_t pairs = (first + n + 1) / 2;
		if (pairs > BATCH_PAIRS)
			pairs = BATCH_PAIRS;
		rng_bytes_at(g, pair * 16, bytes, 16 * pairs);
		gauss_box_muller(bytes, pairs, z);
		size_t take = 2 * pairs - first;
		if (take > n)
			take = n;
		memcpy(out, z + first, take * sizeof *out);
		out += take;
		n -= take;
		index += take;
	}
}

double gauss_log(double x)
{
	return vmath_log(x);
}

void gauss_sincos_2pi(double u, double *sin_out, double *cos_out)
{
	vd v = { u, 0, 0, 0 };
	vd s, c;
	sincos_2pi_v(&v, &s, &c);
	*sin_out = s[0];
	*cos_out = c[0];
}
