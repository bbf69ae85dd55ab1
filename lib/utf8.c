/* utf8: validation of UTF-8, with a fast path for ASCII. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* Bytes after the lead byte, and the range of the first of them (Unicode
 * 15, Table 3-7: the narrow ranges exclude overlong forms, surrogates and
 * code points above U+10FFFF). */
static int sequence_length(unsigned char lead, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (lead >= 0xc2 && lead <= 0xdf)
		return 1;
	if (lead == 0xe0)
		*lo = 0xa0;
	else if (lead == 0xed)
		*hi = 0x9f;
	if (lead >= 0xe0 && lead <= 0xef)
		return 2;
	if (lead == 0xf0)
		*lo = 0x90;
	else if (lead == 0xf4)
		*hi = 0x8f;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 3;
	return -1; /* 0x80..0xc1 and 0xf5..0xff never begin a sequence */
}

size_t utf8_invalid_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		/* eight ASCII bytes at a time */
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, p + i, sizeof w);
			if (!(w & 0x8080808080808080u)) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		unsigned char lo, hi;
		int more = sequence_length(p[i], &lo, &hi);
		if (more < 0 || n - i <= (size_t)more)
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (int k = 2; k <= more; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return i;
		i += (size_t)more + 1;
	}
	return n;
}
