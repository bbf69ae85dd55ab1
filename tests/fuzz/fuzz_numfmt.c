/* Fuzz the float32 formatter (lib/numfmt.c numfmt_f32) against the C
 * library: it promises the very text of snprintf("%.9g").
 * Input: four bytes at a time are the bits of a float; each float and its
 * 32 neighbours on either side (nextafterf) are checked, so one input
 * covers a run of consecutive values (the cases near a power of ten, where
 * rounding carries into a new digit, come in runs).
 * Oracle: the same text and length as snprintf; the text reads back
 * (strtof) as the same float. */
#include "fuzz.h"

#include <math.h>

#include "numfmt.h"

static void numfmt_check(float f)
{
	if (!isfinite(f))
		return;
	char got[NUMFMT_F32_SIZE + 8], want[64];
	memset(got, 'x', sizeof got);
	size_t len = numfmt_f32(f, got);
	int n = snprintf(want, sizeof want, "%.9g", (double)f);
	FUZZ_CHECK(len < NUMFMT_F32_SIZE && got[len] == '\0', "length %zu for %a", len, (double)f);
	FUZZ_CHECK((int)len == n && strcmp(got, want) == 0, "%a: numfmt '%.*s', printf '%s'", (double)f,
		   (int)(len < NUMFMT_F32_SIZE ? len : NUMFMT_F32_SIZE), got, want);
	FUZZ_CHECK(strtof(want, NULL) == f || (f == 0 && strtof(want, NULL) == 0), "%a does not read back", (double)f);
}

static void fuzz_numfmt(const uint8_t *data, size_t size)
{
	for (size_t at = 0; at + 4 <= size && at < 64; at += 4) {
		float f;
		memcpy(&f, data + at, 4);
		if (!isfinite(f))
			continue;
		float up = f, down = f;
		numfmt_check(f);
		for (int k = 0; k < 32; k++) {
			up = nextafterf(up, INFINITY);
			down = nextafterf(down, -INFINITY);
			numfmt_check(up);
			numfmt_check(down);
		}
	}
}

FUZZ_TARGET(fuzz_numfmt)
