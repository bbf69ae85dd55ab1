/* Unit tests for lib/numfmt and io_format_number: the printf-free float32
 * text is byte for byte snprintf's "%.9g" on the edges of every path
 * (zero, subnormals, the fast range's ends, powers of ten and their
 * neighbours, rounding ties) and on random bit patterns; io_format_number
 * keeps snprintf's truncation contract and prints a double beyond float32
 * as a number. */
#include "io.h"
#include "numfmt.h"
#include "unit.h"

#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Asserts only on a difference: libcheck reports every assertion to its
 * parent process, too slow for a million values. */
static void check_f32(float f)
{
	char want[64], got[NUMFMT_F32_SIZE + 8], via[64];
	memset(got, 'x', sizeof got);
	int n = snprintf(want, sizeof want, "%.9g", (double)f);
	size_t len = numfmt_f32(f, got);
	if (len != (size_t)n || strcmp(got, want) != 0 || len >= NUMFMT_F32_SIZE)
		ck_abort_msg("%a: got %s, snprintf %s", (double)f, got, want);
	/* and through io_format_number, the API everyone calls */
	if (io_format_number(via, sizeof via, (double)f, 0) != n || strcmp(via, want) != 0)
		ck_abort_msg("%a: io_format_number %s, snprintf %s", (double)f, via, want);
}

static float from_bits(uint32_t bits)
{
	float f;
	memcpy(&f, &bits, sizeof f);
	return f;
}

START_TEST(test_edges)
{
	static const float edges[] = {
		0.0f, -0.0f, 1.0f, -1.0f, 0.1f, 0.5f, 2.5f, 1e-45f, -1e-45f, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX,
		16777216.0f, 16777217.0f, 123456789.0f, 999999999.0f, 1e9f, 1e-22f, 9.99999968e-23f, 1e-23f,
		3.14159274f, 1.17549421e-38f, 6.10351562e-05f, 0.000123456789f, 1e-5f, 1e-4f, 100000000.0f,
	};
	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
		check_f32(edges[i]);
	/* the subnormals' ends and the last bit patterns below infinity */
	for (uint32_t b = 0; b < 4096; b++) {
		check_f32(from_bits(b));
		check_f32(from_bits(0x00800000u - b));
		check_f32(from_bits(0x7f7fffffu - b));
	}
}
END_TEST

/* Every power of ten in range, and 64 floats either side: where the
 * decimal exponent estimate may miss by one, and where 9 digits round up
 * to a tenth digit. */
START_TEST(test_powers_of_ten)
{
	for (int p = -45; p <= 38; p++) {
		char text[16];
		snprintf(text, sizeof text, "1e%d", p);
		float f = strtof(text, NULL);
		float up = f, down = f;
		for (int k = 0; k < 64; k++) {
			check_f32(up);
			check_f32(-down);
			up = nextafterf(up, INFINITY);
			down = nextafterf(down, 0);
		}
	}
}
END_TEST

/* Exact decimal halfway cases: integers of ten digits ending in 5, which
 * float32 holds exactly below 2^24 times a power of two, round half to
 * even at the ninth digit. */
START_TEST(test_ties)
{
	for (uint32_t m = 1; m < 4000; m++) {
		check_f32((float)(m * 5u));           /* up to 20000: few digits */
		check_f32((float)(1000000000u + 512u * m));  /* above 1e9, 10 digits */
		check_f32((float)(100000000u + 4u * m));     /* 9 digits exact */
		check_f32(ldexpf((float)(16777215u - m), -(int)(m % 150)));
	}
}
END_TEST

START_TEST(test_random_bits)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 1000000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;  /* xorshift64 (Marsaglia 2003) */
		float f = from_bits((uint32_t)(x >> 16));
		if (isfinite(f))
			check_f32(f);
	}
}
END_TEST

/* Random values in the fast path's range, 1e-22 to 1e9, log-uniform. */
START_TEST(test_random_fast_range)
{
	uint64_t x = 0x2545f4914f6cdd1du;
	for (int i = 0; i < 500000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		double u = (double)(x >> 11) / 9007199254740992.0;
		check_f32((float)pow(10, -22 + 31 * u));
	}
}
END_TEST

START_TEST(test_io_format_number_contract)
{
	char buf[64];
	/* snprintf's truncation: at most n bytes with the NUL, the full length returned */
	ck_assert_int_eq(io_format_number(buf, 5, 0.1, 0), 11);
	ck_assert_str_eq(buf, "0.10");
	ck_assert_int_eq(io_format_number(buf, 1, -1.5, 0), 4);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(io_format_number(NULL, 0, 0.1, 0), 11);
	ck_assert_int_eq(io_format_number(buf, 16, -1.17549435e-38, 0), 15);
	ck_assert_str_eq(buf, "-1.17549435e-38");
	/* float32 rounding, then the text */
	io_format_number(buf, sizeof buf, 16777217.0, 0);
	ck_assert_str_eq(buf, "16777216");
	io_format_number(buf, sizeof buf, 0.1, 1);
	ck_assert_str_eq(buf, "0.10000000000000001");
	/* beyond float32: the double, not inf; at the edge, FLT_MAX */
	io_format_number(buf, sizeof buf, 1e39, 0);
	ck_assert_str_eq(buf, "1e+39");
	io_format_number(buf, sizeof buf, -3e300, 0);
	ck_assert_str_eq(buf, "-3e+300");
	io_format_number(buf, sizeof buf, DBL_MAX, 0);
	ck_assert_str_eq(buf, "1.79769313e+308");
	io_format_number(buf, sizeof buf, (double)FLT_MAX * (1 + 0x1p-26), 0);
	ck_assert_str_eq(buf, "3.40282347e+38");
	io_format_number(buf, sizeof buf, (double)FLT_MAX * (1 + 0x1p-24), 0);
	ck_assert_str_eq(buf, "3.40282367e+38");
	/* below the smallest subnormal: zero, as the float it becomes */
	io_format_number(buf, sizeof buf, 1e-50, 0);
	ck_assert_str_eq(buf, "0");
	io_format_number(buf, sizeof buf, -INFINITY, 0);
	ck_assert_str_eq(buf, "-inf");
	io_format_number(buf, sizeof buf, NAN, 0);
	ck_assert_str_eq(buf, "nan");
}
END_TEST

static Suite *numfmt_suite(void)
{
	Suite *s = suite_create("numfmt");
	TCase *tc = tcase_create("as_printf");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_powers_of_ten);
	tcase_add_test(tc, test_ties);
	tcase_add_test(tc, test_random_bits);
	tcase_add_test(tc, test_random_fast_range);
	tcase_add_test(tc, test_io_format_number_contract);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(numfmt_suite)
