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

void vmath_exp_array(double *x, size_t n)
{
	size_t i = 0;
	for (; i + VMATH_LANES <= n; i += VMATH_LANES) {
		vmath_vd v, e;
		memcpy(&v, x + i, sizeof v);
		vmath_exp4(&v, &e);
		memcpy(x + i, &e, sizeof e);
	}
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
