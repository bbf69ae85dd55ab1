/* rng: reproducible random numbers from libsodium's ChaCha20.
 *
 * --seed is hashed (crypto_generichash, with a domain tag) to a 256-bit key;
 * the keystream of crypto_stream_chacha20_ietf_xor_ic is addressed by
 * position, so value i of a stream is the same whatever the chunking.
 * Uniforms take 8 bytes (53 bits used); Gaussians come in Box-Muller pairs
 * of 16 bytes, so Gaussian i sits at bytes [16*(i/2), 16*(i/2)+16). */
#ifndef MLPIPE_RNG_H
#define MLPIPE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng {
	unsigned char key[32];
	uint32_t stream;      /* substream id: independent keystreams per use */
	uint64_t next_normal; /* index of the next Gaussian of the stream */
	uint64_t next_uniform;/* index of the next uniform of the stream */
} rng;

/* Key from a seed string (any text; "42" and "0x2a" are different seeds).
 * domain separates programs/uses: the same seed in two tools need not give
 * the same numbers. */
void rng_seed(rng *g, const char *seed, const char *domain);
/* Key from the operating system (randombytes_buf). */
void rng_seed_random(rng *g);
/* A second, independent stream under the same key. */
rng rng_substream(const rng *g, uint32_t stream);

/* Raw keystream bytes at a byte position. */
void rng_bytes_at(const rng *g, uint64_t pos, unsigned char *out, size_t n);
/* Uniforms in (0,1) (never 0 or 1): u = (k + 0.5) * 2^-53, index-addressed. */
void rng_uniform_at(const rng *g, uint64_t index, double *out, size_t n);
/* Standard normals by Box-Muller, index-addressed. */
void rng_normal_at(const rng *g, uint64_t index, double *out, size_t n);
/* Sequential conveniences that advance next_uniform / next_normal. */
void rng_uniform(rng *g, double *out, size_t n);
void rng_normal(rng *g, double *out, size_t n);

#endif
