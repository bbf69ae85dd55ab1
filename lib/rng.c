/* rng: positional ChaCha20 keystreams (CONVENTIONS.md, "Randomness"). */
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gauss.h"

static void init_sodium(void)
{
	/* sodium_init is idempotent and thread-safe; it fails only when the
	 * system's random source cannot be opened. */
	if (sodium_init() < 0)
		abort();
}

void rng_seed(rng *g, const char *seed, const char *domain)
{
	init_sodium();
	memset(g, 0, sizeof *g);
	/* Key = BLAKE2b-256(domain tag || 0 || seed): the tag keeps programs'
	 * streams apart for the same seed. */
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof g->key);
	crypto_generichash_update(&st, (const unsigned char *)"mlpipe:", 7);
	crypto_generichash_update(&st, (const unsigned char *)domain, strlen(domain));
	crypto_generichash_update(&st, (const unsigned char *)"", 1);
	crypto_generichash_update(&st, (const unsigned char *)seed, strlen(seed));
	crypto_generichash_final(&st, g->key, sizeof g->key);
}

void rng_seed_random(rng *g)
{
	init_sodium();
	memset(g, 0, sizeof *g);
	randombytes_buf(g->key, sizeof g->key);
}

rng rng_substream(const rng *g, uint32_t stream)
{
	rng s = *g;
	s.stream = stream;
	s.next_normal = 0;
	s.next_uniform = 0;
	return s;
}

void rng_bytes_at(const rng *g, uint64_t pos, unsigned char *out, size_t n)
{
	/* The IETF variant has a 32-bit block counter; the upper bits of the
	 * 64-byte block index and the stream id go into the 96-bit nonce. */
	memset(out, 0, n);
	unsigned char block[64];
	while (n > 0) {
		uint64_t blk = pos / 64;
		size_t skip = (size_t)(pos % 64);
		unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
		uint64_t hi = blk >> 32;
		for (int i = 0; i < 4; i++)
			nonce[i] = (unsigned char)(g->stream >> (8 * i));
		for (int i = 0; i < 8; i++)
			nonce[4 + i] = (unsigned char)(hi >> (8 * i));
		uint32_t ic = (uint32_t)blk;
		/* Whole blocks up to the end of this 2^32-block segment go in one
		 * call straight into out; a partial first block via a scratch. */
		if (skip == 0 && n >= 64) {
			uint64_t left_in_seg = ((uint64_t)1 << 32) - ic;
			size_t blocks = n / 64;
			if ((uint64_t)blocks > left_in_seg)
				blocks = (size_t)left_in_seg;
			crypto_stream_chacha20_ietf_xor_ic(out, out, blocks * 64, nonce, ic, g->key);
			out += blocks * 64;
			n -= blocks * 64;
			pos += blocks * 64;
			continue;
		}
		memset(block, 0, sizeof block);
		crypto_stream_chacha20_ietf_xor_ic(block, block, 64, nonce, ic, g->key);
		size_t take = 64 - skip < n ? 64 - skip : n;
		memcpy(out, block + skip, take);
		out += take;
		n -= take;
		pos += take;
	}
}

static double u53(const unsigned char *b)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)b[i] << (8 * i);
	/* The top 53 bits, centred in their cell: never 0.  The last cell's
	 * centre rounds to 1.0 (54 bits would be needed), so it is held at
	 * the largest double below 1: u is in (0, 1) always. */
	double u = ((double)(x >> 11) + 0.5) * 0x1p-53;
	return u < 1.0 ? u : 0x1.fffffffffffffp-1;
}

enum { BATCH = 256 };

void rng_uniform_at(const rng *g, uint64_t index, double *out, size_t n)
{
	unsigned char bytes[8 * BATCH];
	while (n > 0) {
		size_t k = n < BATCH ? n : BATCH;
		rng_bytes_at(g, index * 8, bytes, 8 * k);
		for (size_t i = 0; i < k; i++)
			out[i] = u53(bytes + 8 * i);
		out += k;
		n -= k;
		index += k;
	}
}

void rng_normal_at(const rng *g, uint64_t index, double *out, size_t n)
{
	/* Box-Muller lives in one place, lib/gauss.c, vectorised. */
	gauss_normal_at(g, index, out, n);
}

void rng_uniform(rng *g, double *out, size_t n)
{
	rng_uniform_at(g, g->next_uniform, out, n);
	g->next_uniform += n;
}

void rng_normal(rng *g, double *out, size_t n)
{
	rng_normal_at(g, g->next_normal, out, n);
	g->next_normal += n;
}
