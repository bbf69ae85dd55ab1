/* Fuzz the whole-input line reader (lib/lines.c: lines_load over a stream,
 * lines_start and lines_next over several inputs).
 * Input: one control byte (where to split the rest into two inputs), then
 * the text.
 * Oracle: the lines given are, in order, the non-blank lines of each input
 * (blank: only spaces, tabs and CRs) without their newline, each with its
 * own line number counted from 1 in its input, and nothing else. */
#include "fuzz.h"

#include "lines.h"

static int lines_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Load one input from a stream over its bytes. */
static int lines_load_bytes(lines_input *in, const uint8_t *data, size_t size, char **keep, FILE **fp)
{
	char err[256] = "";
	*fp = fuzz_mem_open(data, size, keep);
	if (!*fp)
		return -1;
	int rc = lines_load(in, *fp, "in", err, sizeof err);
	FUZZ_CHECK(rc == 0, "lines_load failed on %zu bytes: %s", size, err);
	FUZZ_CHECK(rc != 0 || (in->len == size && memcmp(in->buf, data, size) == 0), "loaded bytes differ");
	return rc;
}

static void fuzz_lines(const uint8_t *data, size_t size)
{
	size_t split = fuzz_take_byte(&data, &size);
	if (split > size)
		split = size;
	const uint8_t *part[2] = {data, data + split};
	size_t part_len[2] = {split, size - split};
	lines_input inputs[2];
	char *keep[2] = {NULL, NULL};
	FILE *fp[2] = {NULL, NULL};
	memset(inputs, 0, sizeof inputs);
	int ok = 1;
	for (int i = 0; i < 2 && ok; i++)
		ok = lines_load_bytes(&inputs[i], part[i], part_len[i], &keep[i], &fp[i]) == 0;
	if (ok) {
		lines_cursor c;
		lines_start(&c, inputs, 2);
		const char *line;
		size_t len;
		for (int i = 0; i < 2; i++) {
			const char *text = (const char *)part[i];
			uint64_t lineno = 0;
			for (size_t at = 0; at < part_len[i];) {
				const char *nl = memchr(text + at, '\n', part_len[i] - at);
				size_t n = nl ? (size_t)(nl - (text + at)) : part_len[i] - at;
				lineno++;
				if (!lines_blank(text + at, n)) {
					int rc = lines_next(&c, &line, &len);
					FUZZ_CHECK(rc == 1 && len == n && memcmp(line, text + at, n) == 0,
						   "input %d line %llu: expected %zu bytes, got %d / %zu", i,
						   (unsigned long long)lineno, n, rc, len);
					FUZZ_CHECK(c.lineno == lineno && c.input == &inputs[i],
						   "input %d: line number %llu, expected %llu", i,
						   (unsigned long long)c.lineno, (unsigned long long)lineno);
				}
				at += n + 1;
			}
		}
		FUZZ_CHECK(lines_next(&c, &line, &len) == 0, "a line after the last");
	}
	for (int i = 0; i < 2; i++) {
		lines_free(&inputs[i]);
		fuzz_mem_close(fp[i], keep[i]);
	}
}

FUZZ_TARGET(fuzz_lines)
