/* Fuzz the binary row reader (lib/io.c io_reader_open, io_read_rows,
 * io_read_rows_f32, io_read_all) over raw f32, f64 and .npy streams.
 *
 * Input: two control bytes, then the stream.  Control byte 0 picks the
 * format (f32, f64, npy, auto), whether non-finite values are allowed, and
 * the row length asked for (0..7; 0 only makes sense for .npy); byte 1 the
 * number of rows per read call (1..16).
 * Oracle: the double reader and the float reader return the same rows, in
 * the same calls, with the same outcome; every value delivered is the value
 * of its bytes in the stream (after the .npy header); a clean end means the
 * stream held a whole number of rows (and, for .npy, exactly the rows of the
 * shape); non-finite values are never delivered unless allowed; io_read_all
 * agrees with the row-by-row reading. */
#include "fuzz.h"

#include <math.h>

#include "io.h"

enum { ROWS_MAX_DIM = 1 << 12 };

static const enum io_format rows_formats[4] = {IO_F32, IO_F64, IO_NPY, IO_AUTO};

/* The value element k of the data section holds, as double. */
static double rows_value_at(const uint8_t *data, size_t elem_size, size_t k)
{
	if (elem_size == 4) {
		float f;
		memcpy(&f, data + 4 * k, 4);
		return f;
	}
	double d;
	memcpy(&d, data + 8 * k, 8);
	return d;
}

static int rows_same(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

typedef struct rows_run {
	int failed;          /* the last call returned -1 */
	size_t rows;         /* rows delivered before the end or the failure */
	double *values;      /* rows * dim values */
	size_t dim, elem_size;
	long header;         /* bytes before the data */
	int64_t npy_rows;
	char err[320];
} rows_run;

/* Read the stream with the double (f32 == 0) or the float API. */
static int rows_read(const uint8_t *data, size_t size, enum io_format fmt, size_t dim, int allow,
		     size_t per_call, int f32, rows_run *out)
{
	memset(out, 0, sizeof *out);
	char *keep;
	FILE *fp = fuzz_mem_open(data, size, &keep);
	if (!fp)
		return -1;
	io_reader r;
	int rc = io_reader_open(&r, fp, "in", fmt, dim);
	if (rc != 0 || r.dim > ROWS_MAX_DIM) {
		out->failed = rc != 0;
		snprintf(out->err, sizeof out->err, "%s", r.err);
		io_reader_close(&r);
		fuzz_mem_close(fp, keep);
		return rc != 0 ? 0 : -1;
	}
	r.allow_nonfinite = allow;
	out->dim = r.dim;
	out->elem_size = r.elem_size;
	out->header = (long)r.offset;
	out->npy_rows = r.npy_rows;
	size_t cap = 0;
	double *block = malloc(per_call * r.dim * sizeof *block);
	float *block_f = malloc(per_call * r.dim * sizeof *block_f);
	for (int guard = 0; block && block_f && guard < 100000; guard++) {
		long got = f32 ? io_read_rows_f32(&r, block_f, per_call) : io_read_rows(&r, block, per_call);
		if (got < 0) {
			out->failed = 1;
			snprintf(out->err, sizeof out->err, "%s", r.err);
			break;
		}
		FUZZ_CHECK((size_t)got <= per_call, "%ld rows for a call of %zu", got, per_call);
		if (got == 0)
			break;
		if (out->rows + (size_t)got > cap) {
			cap = 2 * (out->rows + (size_t)got);
			double *grown = realloc(out->values, cap * r.dim * sizeof *grown);
			if (!grown)
				break;
			out->values = grown;
		}
		for (size_t i = 0; i < (size_t)got * r.dim; i++)
			out->values[out->rows * r.dim + i] = f32 ? block_f[i] : block[i];
		out->rows += (size_t)got;
	}
	free(block);
	free(block_f);
	io_reader_close(&r);
	fuzz_mem_close(fp, keep);
	return 0;
}

static void rows_check_values(const uint8_t *data, size_t size, const rows_run *run, int allow)
{
	size_t n = run->rows * run->dim;
	FUZZ_CHECK((size_t)run->header + n * run->elem_size <= size, "%zu rows of %zu bytes past the end", run->rows,
		   run->dim * run->elem_size);
	if ((size_t)run->header + n * run->elem_size > size)
		return;
	for (size_t k = 0; k < n; k++) {
		double want = rows_value_at(data + run->header, run->elem_size, k);
		FUZZ_CHECK(rows_same(run->values[k], want), "value %zu is %.17g, the stream holds %.17g", k,
			   run->values[k], want);
		FUZZ_CHECK(allow || isfinite(run->values[k]), "non-finite value %zu delivered", k);
	}
	size_t data_bytes = size - (size_t)run->header;
	size_t row_bytes = run->dim * run->elem_size;
	if (!run->failed) {
		if (run->npy_rows >= 0)
			FUZZ_CHECK(run->rows == (size_t)run->npy_rows && data_bytes == run->rows * row_bytes,
				   "clean end after %zu rows; the shape says %lld and %zu data bytes", run->rows,
				   (long long)run->npy_rows, data_bytes);
		else
			FUZZ_CHECK(data_bytes == run->rows * row_bytes, "clean end after %zu rows of %zu bytes, %zu bytes",
				   run->rows, row_bytes, data_bytes);
	}
}

static void rows_check_read_all(const uint8_t *data, size_t size, enum io_format fmt, size_t dim, int allow,
				const rows_run *run)
{
	char *keep;
	FILE *fp = fuzz_mem_open(data, size, &keep);
	if (!fp)
		return;
	io_reader r;
	if (io_reader_open(&r, fp, "in", fmt, dim) == 0) {
		r.allow_nonfinite = allow;
		double *all;
		size_t n;
		int rc = io_read_all(&r, &all, &n);
		FUZZ_CHECK((rc != 0) == run->failed, "read_all %d, row reads %s", rc, run->failed ? "failed" : "ended");
		if (rc == 0) {
			FUZZ_CHECK(n == run->rows, "read_all %zu rows, row reads %zu", n, run->rows);
			for (size_t k = 0; n == run->rows && k < n * r.dim; k++)
				FUZZ_CHECK(rows_same(all[k], run->values[k]), "read_all value %zu differs", k);
		}
		free(all);
	}
	io_reader_close(&r);
	fuzz_mem_close(fp, keep);
}

static void fuzz_rows(const uint8_t *data, size_t size)
{
	unsigned c0 = fuzz_take_byte(&data, &size);
	unsigned c1 = fuzz_take_byte(&data, &size);
	enum io_format fmt = rows_formats[c0 & 3];
	int allow = (c0 >> 2) & 1;
	size_t dim = (c0 >> 3) & 7;
	size_t per_call = 1 + (c1 & 15);
	rows_run as_double, as_float;
	if (rows_read(data, size, fmt, dim, allow, per_call, 0, &as_double) != 0)
		return;
	if (rows_read(data, size, fmt, dim, allow, per_call, 1, &as_float) != 0) {
		free(as_double.values);
		return;
	}
	FUZZ_CHECK(as_double.failed == as_float.failed && as_double.rows == as_float.rows,
		   "double reader: %zu rows, %s; float reader: %zu rows, %s", as_double.rows,
		   as_double.failed ? as_double.err : "end", as_float.rows, as_float.failed ? as_float.err : "end");
	if (as_double.failed)
		FUZZ_CHECK(strncmp(as_double.err, "in: ", 4) == 0 || strncmp(as_double.err, "row length", 10) == 0 ||
				   strncmp(as_double.err, "read error", 10) == 0,
			   "message does not name the input: '%s'", as_double.err);
	if (as_double.dim) {
		rows_check_values(data, size, &as_double, allow);
		for (size_t k = 0; as_float.rows == as_double.rows && k < as_double.rows * as_double.dim; k++)
			FUZZ_CHECK(rows_same((float)as_double.values[k], as_float.values[k]),
				   "float reader value %zu differs", k);
		rows_check_read_all(data, size, fmt, dim, allow, &as_double);
	}
	free(as_double.values);
	free(as_float.values);
}

FUZZ_TARGET(fuzz_rows)
