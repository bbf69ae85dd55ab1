/* Unit tests for lib/rng: the keystream is ChaCha20 at the right place,
 * values do not depend on chunking, and the distributions are right. */
#include "rng.h"
#include "unit.h"

#include <string.h>

START_TEST(test_rfc8439_block)
{
	/* RFC 8439 appendix A.1, test vector 2: the all-zero key and nonce,
	 * block counter 1.  Stream 0, byte position 64 is that block; the
	 * unaligned read starting 8 bytes before it checks the addressing. */
	rng g;
	memset(&g, 0, sizeof g);
	static const unsigned char want[16] = {0x9f, 0x07, 0xe7, 0xbe, 0x55, 0x51, 0x38, 0x7a,
					       0x98, 0xba, 0x97, 0x7c, 0x73, 0x2d, 0x08, 0x0d};
	unsigned char out[24];
	rng_bytes_at(&g, 56, out, sizeof out);
	ck_assert_int_eq(memcmp(out + 8, want, sizeof want), 0);
	/* the stream id moves to another keystream */
	g.stream = 1;
	rng_bytes_at(&g, 64, out, 16);
	ck_assert_int_ne(memcmp(out, want, sizeof want), 0);
}
END_TEST

START_TEST(test_positional_bytes)
{
	rng g;
	rng_seed(&g, "7", "test");
	unsigned char whole[1000], part[1000];
	rng_bytes_at(&g, 3, whole, sizeof whole);
	/* the same bytes in odd-sized, unaligned pieces */
	size_t at = 0, sizes[] = {1, 63, 64, 65, 7, 300, 500};
	for (size_t i = 0; i < 7 && at < sizeof part; i++) {
		size_t k = sizes[i] < sizeof part - at ? sizes[i] : sizeof part - at;
		rng_bytes_at(&g, 3 + at, part + at, k);
		at += k;
	}
	ck_assert_uint_eq(at, sizeof part);
	ck_assert_int_eq(memcmp(whole, part, sizeof whole), 0);
}
END_TEST

START_TEST(test_normals_chunk_independent)
{
	rng g;
	rng_seed(&g, "42", "test");
	enum { N = 1001 };
	double all[N], pieces[N];
	rng_normal_at(&g, 0, all, N);
	rng s = g;
	size_t at = 0, sizes[] = {1, 2, 3, 600, 395};
	for (size_t i = 0; i < 5; i++) {
		rng_normal(&s, pieces + at, sizes[i]);
		at += sizes[i];
	}
	ck_assert_uint_eq(at, N);
	for (size_t i = 0; i < N; i++)
		ck_assert_double_eq(all[i], pieces[i]);
}
END_TEST

START_TEST(test_seeds_and_streams_differ)
{
	rng a, b;
	rng_seed(&a, "1", "test");
	rng_seed(&b, "1", "test");
	ck_assert_int_eq(memcmp(a.key, b.key, 32), 0);
	rng_seed(&b, "2", "test");
	ck_assert_int_ne(memcmp(a.key, b.key, 32), 0);
	rng_seed(&b, "1", "other-tool");
	ck_assert_int_ne(memcmp(a.key, b.key, 32), 0);
	double x, y;
	rng s1 = rng_substream(&a, 1);
	rng_normal_at(&a, 0, &x, 1);
	rng_normal_at(&s1, 0, &y, 1);
	ck_assert(x != y);
}
END_TEST

START_TEST(test_uniform_range_and_moments)
{
	rng g;
	rng_seed(&g, "moments", "test");
	enum { N = 1 << 20 };
	double *u = malloc(N * sizeof *u);
	rng_uniform_at(&g, 0, u, N);
	double sum = 0, sq = 0;
	for (size_t i = 0; i < N; i++) {
		ck_assert(u[i] > 0 && u[i] < 1);
		sum += u[i];
		sq += u[i] * u[i];
	}
	double mean = sum / N, var = sq / N - mean * mean;
	/* standard error of the mean is sqrt(1/12/N) ~ 2.8e-4; allow 5 of them */
	ck_assert_close(mean, 0.5, 0, 5 * 2.9e-4);
	ck_assert_close(var, 1.0 / 12, 0, 5 * 1.5e-4);
	free(u);
}
END_TEST

START_TEST(test_normal_moments_and_tails)
{
	rng g;
	rng_seed(&g, "normal", "test");
	enum { N = 1 << 20 };
	double *z = malloc(N * sizeof *z);
	rng_normal_at(&g, 0, z, N);
	double sum = 0, sq = 0, quart = 0;
	size_t beyond3 = 0;
	for (size_t i = 0; i < N; i++) {
		sum += z[i];
		sq += z[i] * z[i];
		quart += z[i] * z[i] * z[i] * z[i];
		beyond3 += fabs(z[i]) > 3;
	}
	double mean = sum / N, var = sq / N - mean * mean, kurt = quart / N;
	ck_assert_close(mean, 0, 0, 5 / sqrt(N));
	ck_assert_close(var, 1, 0, 5 * sqrt(2.0 / N));
	ck_assert_close(kurt, 3, 0, 5 * sqrt(96.0 / N));
	/* P(|Z| > 3) = 0.0026998; binomial sd of the count ~ 53 */
	ck_assert_close((double)beyond3, 0.0026998 * N, 0, 5 * 53);
	free(z);
}
END_TEST

static Suite *rng_suite(void)
{
	Suite *s = suite_create("rng");
	TCase *tc = tcase_create("rng");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_rfc8439_block);
	tcase_add_test(tc, test_positional_bytes);
	tcase_add_test(tc, test_normals_chunk_independent);
	tcase_add_test(tc, test_seeds_and_streams_differ);
	tcase_add_test(tc, test_uniform_range_and_moments);
	tcase_add_test(tc, test_normal_moments_and_tails);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(rng_suite)
