/* Fuzz the text number reader (lib/io.c, IO_TEXT rows) and check it
 * against a reference reading of the same bytes.
 *
 * Input: one control byte (row length asked for 0..3, non-finite allowed,
 * rows per read call 1..8), then the text.
 * Oracle: an independent line-by-line reading (cut at '#', split on the
 * blanks of isspace,
 * strtod must take each whole token, every row as long as the first, no
 * NUL byte, finite unless allowed) predicts the rows and whether the input
 * is bad; the reader must deliver those rows, bit for bit, then end cleanly
 * or fail accordingly (a failing call gives none of its rows), with a message naming the input.  Rows
 * written back with the text writer ("%.17g") read back identical. */
#include "fuzz.h"

#include <math.h>

#include "io.h"

enum { TEXT_MAX_VALUES = 1 << 16 };

typedef struct text_rows {
	double *v;
	size_t n_values, cap;
	size_t dim, rows;
	int bad;
} text_rows;

static int text_push(text_rows *t, double x)
{
	if (t->n_values == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		double *grown = realloc(t->v, cap * sizeof *grown);
		if (!grown)
			return -1;
		t->v = grown;
		t->cap = cap;
	}
	t->v[t->n_values++] = x;
	return 0;
}

static int text_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The reference reading of one line (NUL-terminated copy, no newline). */
static int text_reference_line(text_rows *t, char *line, size_t len, int allow)
{
	if (strlen(line) != len)
		return -1; /* a NUL byte */
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	size_t start = t->n_values, k = 0;
	for (char *p = line;;) {
		while (text_is_blank(*p))
			p++;
		if (!*p)
			break;
		char *tok_end = p;
		while (*tok_end && !text_is_blank(*tok_end))
			tok_end++;
		char saved = *tok_end;
		*tok_end = '\0';
		char *end;
		double x = strtod(p, &end);
		*tok_end = saved;
		if (end != tok_end || end == p || (!allow && !isfinite(x)) || text_push(t, x) != 0)
			return -1;
		k++;
		p = tok_end;
	}
	if (k == 0)
		return 0;
	if (t->dim == 0)
		t->dim = k;
	if (k != t->dim) {
		t->n_values = start;
		return -1;
	}
	t->rows++;
	return 0;
}

static void text_reference(const uint8_t *data, size_t size, size_t dim, int allow, text_rows *t)
{
	memset(t, 0, sizeof *t);
	t->dim = dim;
	size_t at = 0;
	while (at < size && !t->bad) {
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t len = nl ? (size_t)(nl - (data + at)) : size - at;
		char *line = malloc(len + 1);
		if (!line) {
			t->bad = -1;
			return;
		}
		memcpy(line, data + at, len);
		line[len] = '\0';
		if (text_reference_line(t, line, len, allow) != 0)
			t->bad = 1;
		free(line);
		at += len + 1;
	}
}

static int text_same(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* Write the rows as text, read them back, compare. */
static void text_round_trip(const double *v, size_t rows, size_t dim)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out)
		return;
	io_writer w;
	int rc = io_writer_open(&w, out, "out", IO_TEXT, dim, -1);
	w.text_f64 = 1;
	if (rc == 0)
		rc = io_write_rows(&w, v, rows);
	if (rc == 0)
		rc = io_writer_close(&w);
	fclose(out);
	FUZZ_CHECK(rc == 0, "text writer failed: %s", w.err);
	char *keep;
	FILE *in = rc == 0 ? fuzz_mem_open((const uint8_t *)buf, len, &keep) : NULL;
	if (in) {
		io_reader r;
		double *back = malloc(rows * dim * sizeof *back);
		if (back && io_reader_open(&r, in, "back", IO_TEXT, dim) == 0) {
			r.allow_nonfinite = 1;
			long got = io_read_rows(&r, back, rows);
			FUZZ_CHECK(got == (long)rows, "round trip read %ld of %zu rows: %s", got, rows, r.err);
			for (size_t k = 0; got == (long)rows && k < rows * dim; k++)
				FUZZ_CHECK(text_same(back[k], v[k]), "round trip value %zu: %.17g became %.17g", k, v[k],
					   back[k]);
		}
		io_reader_close(&r);
		free(back);
		fuzz_mem_close(in, keep);
	}
	free(buf);
}

static void fuzz_text(const uint8_t *data, size_t size)
{
	unsigned c = fuzz_take_byte(&data, &size);
	size_t dim = c & 3;
	int allow = (c >> 2) & 1;
	size_t per_call = 1 + ((c >> 3) & 7);
	text_rows want;
	text_reference(data, size, dim, allow, &want);
	if (want.bad < 0 || want.n_values > TEXT_MAX_VALUES) {
		free(want.v);
		return;
	}
	char *keep;
	FILE *fp = fuzz_mem_open(data, size, &keep);
	if (!fp) {
		free(want.v);
		return;
	}
	io_reader r;
	int failed = io_reader_open(&r, fp, "in", IO_TEXT, dim) != 0;
	r.allow_nonfinite = allow;
	size_t rows = 0;
	double *got_v = NULL;
	if (!failed && r.dim == 0)
		FUZZ_CHECK(want.rows == 0 && !want.bad, "open found no rows; the reference %zu", want.rows);
	if (!failed && r.dim > 0) {
		FUZZ_CHECK(want.dim == 0 || r.dim == want.dim, "row length %zu, reference %zu", r.dim, want.dim);
		got_v = malloc((want.rows + per_call) * r.dim * sizeof *got_v);
		while (got_v) {
			long got = io_read_rows(&r, got_v + rows * r.dim, per_call);
			if (got < 0) {
				failed = 1;
				break;
			}
			FUZZ_CHECK(rows + (size_t)got <= want.rows, "more rows than the reference %zu", want.rows);
			if (got == 0 || rows + (size_t)got > want.rows)
				break;
			rows += (size_t)got;
		}
	}
	FUZZ_CHECK(failed == want.bad, "reader %s after %zu rows, the reference %s after %zu rows (%s)",
		   failed ? "failed" : "ended", rows, want.bad ? "fails" : "ends", want.rows, r.err);
	FUZZ_CHECK(!failed || strncmp(r.err, "in: ", 4) == 0, "message does not name the input: '%s'", r.err);
	/* A failing call delivers none of its rows, so after a failure the
	 * rows given are a prefix of the reference's. */
	FUZZ_CHECK(failed ? rows <= want.rows : rows == want.rows, "%zu rows, reference %zu", rows, want.rows);
	if (failed == want.bad && rows <= want.rows && got_v) {
		for (size_t k = 0; k < rows * r.dim; k++)
			FUZZ_CHECK(text_same(got_v[k], want.v[k]), "value %zu: %.17g, reference %.17g", k, got_v[k],
				   want.v[k]);
		if (rows)
			text_round_trip(got_v, rows, r.dim);
	}
	free(got_v);
	free(want.v);
	io_reader_close(&r);
	fuzz_mem_close(fp, keep);
}

FUZZ_TARGET(fuzz_text)
