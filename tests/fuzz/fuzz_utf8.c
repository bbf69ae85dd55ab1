/* Fuzz the UTF-8 validator (lib/utf8.c utf8_invalid_at) against a second,
 * table-driven reading of the Unicode Standard's Table 3-7 (well-formed
 * byte sequences).
 * Oracle: both name the same first bad offset (or n); the validator agrees
 * with itself on every prefix that ends at a sequence boundary before that
 * offset. */
#include "fuzz.h"

#include "utf8.h"

/* Table 3-7: the lead byte's range, then the allowed range of each
 * following byte. */
static const struct {
	unsigned char lo, hi;
	unsigned char next[3][2];
	int len;
} utf8_rows[] = {
	{0x00, 0x7F, {{0, 0}, {0, 0}, {0, 0}}, 1},
	{0xC2, 0xDF, {{0x80, 0xBF}, {0, 0}, {0, 0}}, 2},
	{0xE0, 0xE0, {{0xA0, 0xBF}, {0x80, 0xBF}, {0, 0}}, 3},
	{0xE1, 0xEC, {{0x80, 0xBF}, {0x80, 0xBF}, {0, 0}}, 3},
	{0xED, 0xED, {{0x80, 0x9F}, {0x80, 0xBF}, {0, 0}}, 3},
	{0xEE, 0xEF, {{0x80, 0xBF}, {0x80, 0xBF}, {0, 0}}, 3},
	{0xF0, 0xF0, {{0x90, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}, 4},
	{0xF1, 0xF3, {{0x80, 0xBF}, {0x80, 0xBF}, {0x80, 0xBF}}, 4},
	{0xF4, 0xF4, {{0x80, 0x8F}, {0x80, 0xBF}, {0x80, 0xBF}}, 4},
};

/* The length of the well-formed sequence at s[0 .. n), or 0. */
static size_t utf8_reference_seq(const unsigned char *s, size_t n)
{
	for (size_t r = 0; r < sizeof utf8_rows / sizeof *utf8_rows; r++) {
		if (s[0] < utf8_rows[r].lo || s[0] > utf8_rows[r].hi)
			continue;
		size_t len = (size_t)utf8_rows[r].len;
		if (len > n)
			return 0;
		for (size_t k = 1; k < len; k++)
			if (s[k] < utf8_rows[r].next[k - 1][0] || s[k] > utf8_rows[r].next[k - 1][1])
				return 0;
		return len;
	}
	return 0;
}

static void fuzz_utf8(const uint8_t *data, size_t size)
{
	/* A copy of its own size, so that ASan sees a read past the end. */
	char *s = malloc(size ? size : 1);
	if (!s)
		return;
	memcpy(s, data, size);
	size_t want = 0;
	for (size_t len; want < size && (len = utf8_reference_seq(data + want, size - want)) != 0;)
		want += len;
	size_t got = utf8_invalid_at(s, size);
	FUZZ_CHECK(got == want, "first bad byte at %zu, the table says %zu (of %zu)", got, want, size);
	/* Every boundary before the bad byte ends a well-formed prefix. */
	for (size_t at = 0, len; at < want; at += len) {
		len = utf8_reference_seq(data + at, size - at);
		size_t prefix = utf8_invalid_at(s, at + len);
		FUZZ_CHECK(prefix == at + len, "prefix of %zu bytes: bad at %zu", at + len, prefix);
	}
	free(s);
}

FUZZ_TARGET(fuzz_utf8)
