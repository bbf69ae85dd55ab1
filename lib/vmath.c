/* vmath: the kernels of vmath.h one value or one array at a time. */
#include "vmath.h"

#include <string.h>

double vmath_exp(double x)
{
	vmath_vd v = { x, 0, 0, 0 }, out;
	vmath_exp4(&v, &out);
	return out[0];
}

double vmath_log(double x)
{
	vmath_vd v = { x, 1, 1, 1 }, out;
	vmath_log4(&v, &out);
	return out[0];
}

/* Whole groups of four. */
static inline __attribute__((always_inline)) void exp_groups(double *x, size_t n_groups)
{
	for (size_t i = 0; i < n_groups * VMATH_LANES; i += VMATH_LANES) {
		vmath_vd v, e;
		memcpy(&v, x + i, sizeof v);
		vmath_exp4(&v, &e);
		memcpy(x + i, &e, sizeof e);
	}
}

static void exp_groups_base(double *x, size_t n_groups)
{
	exp_groups(x, n_groups);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VMATH_AVX2 1
/* The same loop for AVX2, where a vector of four doubles fills one
 * register (without it each operation is split in two, and comparisons
 * go lane by lane); the same operations, so the same bits. */
__attribute__((target("avx2"), flatten))
static void exp_groups_avx2(double *x, size_t n_groups)
{
	exp_groups(x, n_groups);
}
#endif

void vmath_exp_array(double *x, size_t n)
{
	size_t groups = n / VMATH_LANES, i = groups * VMATH_LANES;
#ifdef VMATH_AVX2
	if (__builtin_cpu_supports("avx2"))
		exp_groups_avx2(x, groups);
	else
#endif
		exp_groups_base(x, groups);
	if (i == n)
		return;
	/* the last 1 to 3 values, padded with zeros */
	vmath_vd v = { 0, 0, 0, 0 }, e;
	for (size_t j = 0; i + j < n; j++)
		v[j] = x[i + j];
	vmath_exp4(&v, &e);
	for (size_t j = 0; i + j < n; j++)
		x[i + j] = e[j];
}
