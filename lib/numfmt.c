/* numfmt: "%.9g" of a float32 without printf (see numfmt.h).
 *
 * A finite float is m 2^e2 exactly (m < 2^24).  Its nine significant
 * digits are round(m 2^e2 10^(8-k)) for the decimal exponent k, computed in
 * 64- or 128-bit integers and rounded half to even on the exact value, as
 * glibc's printf does.  The layout then follows C11 7.21.6.1 for %g: style
 * e when k < -4 or k >= 9 (the precision), else style f; trailing zeros
 * removed.  Values outside 1e-22 .. 1e9, and subnormals, take snprintf. */
#include "numfmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const uint64_t pow10_u64[20] = {
	1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
	1000000000u, 10000000000u, 100000000000u, 1000000000000u,
	10000000000000u, 100000000000000u, 1000000000000000u,
	10000000000000000u, 100000000000000000u, 1000000000000000000u,
	10000000000000000000u
};

/* 10^p for 0 <= p <= 38 as a 128-bit integer. */
static unsigned __int128 pow10_u128(int p)
{
	if (p <= 19)
		return pow10_u64[p];
	return (unsigned __int128)pow10_u64[19] * pow10_u64[p - 19];
}

/* 10^p as a double for |p| <= 22 (exact for p >= 0). */
static double pow10_double(int p)
{
	static const double exact[23] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	return p >= 0 ? exact[p] : 1.0 / exact[-p];
}

/* m 2^e2 10^p rounded half to even to an integer, for 0 <= p <= 31. */
static unsigned __int128 scaled_digits(uint32_t m, int e2, int p)
{
	if (p <= 12 && e2 < 0 && e2 > -64) {
		/* m 10^p < 2^24 10^12 < 2^64: the same in 64 bits */
		uint64_t n = (uint64_t)m * pow10_u64[p], q = n >> -e2;
		uint64_t rem = n - (q << -e2), half = (uint64_t)1 << (-e2 - 1);
		return q + (rem > half || (rem == half && (q & 1)));
	}
	unsigned __int128 n = m * pow10_u128(p);
	if (e2 >= 0)
		return n << e2;
	int sh = -e2;
	unsigned __int128 q = n >> sh;
	unsigned __int128 rem = n - (q << sh), half = (unsigned __int128)1 << (sh - 1);
	return q + (rem > half || (rem == half && (q & 1)));
}

/* The nine digits of q (10^8 <= q < 10^9): one, then four pairs. */
static void nine_digits(uint32_t q, char d[9])
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	uint32_t rest = q % 100000000u, hi = rest / 10000, lo = rest % 10000;
	d[0] = (char)('0' + q / 100000000u);
	memcpy(d + 1, pairs + 2 * (hi / 100), 2);
	memcpy(d + 3, pairs + 2 * (hi % 100), 2);
	memcpy(d + 5, pairs + 2 * (lo / 100), 2);
	memcpy(d + 7, pairs + 2 * (lo % 100), 2);
}

/* %g's layout of the nd significant digits d (nd >= 1, no trailing zero)
 * times 10^k, from o; returns the end. */
static char *layout(char *o, const char *d, int nd, int k)
{
	if (k < -4 || k >= 9) {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		int ax = k < 0 ? -k : k;
		*o++ = 'e';
		*o++ = k < 0 ? '-' : '+';
		*o++ = (char)('0' + ax / 10);
		*o++ = (char)('0' + ax % 10);
	} else if (k >= 0) {
		memcpy(o, d, (size_t)k + 1);
		o += k + 1;
		if (nd > k + 1) {
			*o++ = '.';
			memcpy(o, d + k + 1, (size_t)(nd - k - 1));
			o += nd - k - 1;
		}
	} else {
		*o++ = '0';
		*o++ = '.';
		for (int i = 0; i < -k - 1; i++)
			*o++ = '0';
		memcpy(o, d, (size_t)nd);
		o += nd;
	}
	return o;
}

static size_t by_printf(float f, char *out)
{
	return (size_t)snprintf(out, NUMFMT_F32_SIZE, "%.9g", (double)f);
}

size_t numfmt_f32(float f, char *out)
{
	uint32_t bits;
	memcpy(&bits, &f, sizeof bits);
	uint32_t exp_bits = (bits >> 23) & 0xff, frac = bits & 0x7fffff;
	char *o = out;
	if (bits >> 31)
		*o++ = '-';
	if (exp_bits == 0 && frac == 0) {
		memcpy(o, "0", 2);
		return (size_t)(o + 1 - out);
	}
	double a = fabs((double)f);
	if (exp_bits == 0 || exp_bits == 0xff || a < 1e-22 || a >= 1e9)
		return by_printf(f, out);
	uint32_t m = frac | 0x800000u;
	int e2 = (int)exp_bits - 150;
	/* floor(log10 a) from the binary exponent, then one compare; the loop
	 * corrects the rare miss next to a power of ten */
	int k = (int)floor((double)(e2 + 23) * 0.30102999566398120);
	if (a >= pow10_double(k + 1))
		k++;
	unsigned __int128 q;
	for (int tries = 0;; tries++) {
		int p = 8 - k;
		if (tries > 3 || p < 0 || p > 31)
			return by_printf(f, out);
		q = scaled_digits(m, e2, p);
		if (q < 100000000u)
			k--;
		else if (q >= 1000000000u)
			k++;
		else
			break;
	}
	char d[9];
	nine_digits((uint32_t)q, d);
	int nd = 9;
	while (nd > 1 && d[nd - 1] == '0')
		nd--;
	o = layout(o, d, nd, k);
	*o = '\0';
	return (size_t)(o - out);
}
