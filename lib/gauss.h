/* gauss: a fast Box-Muller transform over the rng keystream.
 *
 * The same numbers as rng_normal_at (CONVENTIONS.md, "Randomness"):
 * Gaussian i comes from the 16 keystream bytes [16*(i/2), 16*(i/2)+16),
 * read as two little-endian 64-bit words w1, w2 turned into uniforms
 * u = ((w >> 11) + 0.5) 2^-53, then
 *
 *     z_{2p} = sqrt(-2 ln u1) cos(2 pi u2),  z_{2p+1} = sqrt(-2 ln u1) sin(2 pi u2).
 *
 * Only ln, sin and cos differ from the C library's: branch-free polynomial
 * versions that the compiler turns into SIMD code, accurate to about one
 * unit in the last place, so that a value agrees with rng_normal_at to
 * about 1e-15 relative.  The arithmetic is plain IEEE double without fused
 * multiply-add, so every machine computes the same bits. */
#ifndef MLPIPE_GAUSS_H
#define MLPIPE_GAUSS_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Gaussians index .. index+n-1 of stream g into out. */
void gauss_normal_at(const rng *g, uint64_t index, double *out, size_t n);

/* The transform alone: n_pairs pairs of 16 keystream bytes to 2*n_pairs
 * Gaussians (out[2p] the cosine branch, out[2p+1] the sine branch). */
void gauss_box_muller(const unsigned char *bytes, size_t n_pairs, double *out);

/* The elementary functions of the transform, exposed for the tests:
 * gauss_log for positive normal x; gauss_sincos_2pi(u) = sin, cos of 2 pi u
 * for u in [0, 1]. */
double gauss_log(double x);
void gauss_sincos_2pi(double u, double *sin_out, double *cos_out);

#endif
