/* Fuzz the .npy header parser (lib/io.c io_npy_parse_header).
 *
 * Input: one control byte (the row length asked for: 0 = take it from the
 * shape, else 1..7 or 2^24 + 1) and then the bytes of a .npy file.
 * Oracle: a header that parses gives a header length within the input, an
 * element size of 4 or 8, a row length in [1, IO_MAX_DIM] and a row count
 * that is the product of the shape divided by the row length; a rejected
 * one leaves a message naming the file.  The streaming reader
 * (io_reader_open with IO_NPY and with IO_AUTO) must agree with the memory
 * parser on the same bytes. */
#include "fuzz.h"

#include "io.h"

static size_t npy_header_dim_of(unsigned control)
{
	if (control == 0xff)
		return IO_MAX_DIM + 1; /* an absurd --dim */
	return control % 8;
}

static void npy_header_compare_stream(const uint8_t *data, size_t size, size_t dim, enum io_format fmt,
				      long parsed, const io_reader *mem)
{
	char *keep;
	FILE *fp = fuzz_mem_open(data, size, &keep);
	if (!fp)
		return;
	io_reader r;
	int rc = io_reader_open(&r, fp, "x.npy", fmt, dim);
	if (fmt == IO_NPY || (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)) {
		FUZZ_CHECK((rc == 0) == (parsed >= 0), "stream open %d but memory parse %ld (%s | %s)", rc, parsed,
			   r.err, mem->err);
		if (rc == 0 && parsed >= 0) {
			FUZZ_CHECK(r.dim == mem->dim, "stream dim %zu, memory dim %zu", r.dim, mem->dim);
			FUZZ_CHECK(r.npy_rows == mem->npy_rows, "stream rows %lld, memory rows %lld",
				   (long long)r.npy_rows, (long long)mem->npy_rows);
			FUZZ_CHECK(r.offset == (uint64_t)parsed, "stream consumed %llu bytes, header is %ld",
				   (unsigned long long)r.offset, parsed);
		}
	} else if (rc == 0) {
		FUZZ_CHECK(r.fmt == IO_F32, "auto without the magic is not f32");
	}
	if (rc != 0)
		FUZZ_CHECK(r.err[0] != '\0', "failed open without a message");
	io_reader_close(&r);
	fuzz_mem_close(fp, keep);
}

static void fuzz_npy_header(const uint8_t *data, size_t size)
{
	size_t dim = npy_header_dim_of(fuzz_take_byte(&data, &size));
	io_reader r;
	memset(&r, 0, sizeof r);
	r.name = "x.npy";
	r.dim = dim;
	r.npy_rows = -1;
	long len = io_npy_parse_header(&r, data, size);
	FUZZ_CHECK(memchr(r.err, '\0', sizeof r.err) != NULL, "message not terminated");
	if (len < 0) {
		FUZZ_CHECK(strncmp(r.err, "x.npy: ", 7) == 0, "message does not name the file: '%s'", r.err);
	} else {
		FUZZ_CHECK((size_t)len <= size && len >= 10, "header length %ld of %zu bytes", len, size);
		FUZZ_CHECK(r.elem_size == 4 || r.elem_size == 8, "element size %zu", r.elem_size);
		/* io_reader_open bounds a row length asked for; the parser
		 * bounds the one it takes from the shape. */
		FUZZ_CHECK(dim ? r.dim == dim : r.dim >= 1 && r.dim <= IO_MAX_DIM, "row length %zu", r.dim);
		FUZZ_CHECK(r.npy_ndim <= 8, "%zu axes", r.npy_ndim);
		unsigned long long total = 1;
		for (size_t i = 0; i < r.npy_ndim; i++)
			total *= r.npy_shape[i]; /* checked by the parser */
		FUZZ_CHECK(r.npy_rows >= 0 && (unsigned long long)r.npy_rows == total / r.dim,
			   "rows %lld for %llu values of row length %zu", (long long)r.npy_rows, total, r.dim);
		FUZZ_CHECK(dim != 0 || r.npy_ndim == 0 || r.npy_shape[r.npy_ndim - 1] == r.dim,
			   "row length %zu is not the last axis", r.dim);
		FUZZ_CHECK(total % r.dim == 0, "%llu values do not make rows of %zu", total, r.dim);
	}
	if (dim <= IO_MAX_DIM) {
		npy_header_compare_stream(data, size, dim, IO_NPY, len, &r);
		npy_header_compare_stream(data, size, dim, IO_AUTO, len, &r);
	}
}

FUZZ_TARGET(fuzz_npy_header)
