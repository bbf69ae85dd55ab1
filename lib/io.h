/* io: the array formats of the data contract (CONVENTIONS.md, "Data on the
 * wire").  Rows of a fixed length stream in and out; every value crosses the
 * API as double.  Errors are returned (-1) with a message in the reader's or
 * writer's err[] that names the place (byte offset, line, row); the caller
 * prints it with cli_die("%s", r.err).  No math, no exit. */
#ifndef MLPIPE_IO_H
#define MLPIPE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum io_format {
	IO_F32,  /* raw little-endian float32, row-major, no header */
	IO_F64,  /* raw little-endian float64 */
	IO_NPY,  /* NumPy .npy, '<f4' or '<f8', C order */
	IO_TEXT, /* decimal numbers, one row per line, '#' comments */
	IO_JSON, /* output only: one JSON array per row */
	IO_AUTO  /* input: f32 unless the stream starts with the .npy magic */
};

/* Largest row length any program accepts; a guard against absurd sizes. */
#define IO_MAX_DIM ((size_t)1 << 24)

/* "f32", "f64", "npy", "text", "json" -> format; -1 if unknown.
 * for_input rejects "json" (and accepts "auto"). */
int io_format_parse(const char *name, int for_input);
const char *io_format_name(enum io_format f);
/* Parse -I/-O; usage error naming OPT if unknown. */
enum io_format io_format_option(const char *opt, const char *arg, int for_input);
/* 1 for f32, f64, npy: formats that must not go to a terminal. */
int io_format_is_binary(enum io_format f);

typedef struct io_reader {
	FILE *fp;
	const char *name;       /* for messages: file name or "stdin" */
	enum io_format fmt;     /* resolved format (never IO_AUTO once open) */
	size_t dim;             /* row length; 0 = not yet known (text) */
	int allow_nonfinite;    /* 0: NaN/Inf is an error naming its place */
	uint64_t offset;        /* bytes consumed from the stream */
	uint64_t rows;          /* rows delivered so far */
	uint64_t line;          /* text: current line number */
	int64_t npy_rows;       /* .npy: rows in the file's shape; -1 if unknown */
	size_t npy_ndim;        /* .npy: number of axes in the shape */
	uint64_t npy_shape[8];  /* .npy: the shape */
	size_t elem_size;       /* 4 or 8 for binary formats */
	unsigned char *buf;     /* conversion buffer */
	size_t buf_cap;
	unsigned char peek[8];  /* bytes read to sniff the .npy magic */
	size_t peek_len, peek_pos;
	char *text_line;        /* text: getline buffer */
	size_t text_cap;
	double *text_vals;      /* text: the numbers of the current line */
	size_t text_vals_cap;
	int text_pending;       /* text: text_vals holds a row not yet given */
	int eof;
	int pending_error;      /* err[] is set; whole rows before it were given */
	char err[320];
} io_reader;

/* Open a reader on FP.  dim is the row length (0: take it from the .npy
 * shape or, for text, from the first row, which is read ahead; after an
 * open that succeeds dim is known, except for an empty text input).  For IO_AUTO the first bytes are
 * peeked: the .npy magic selects npy, otherwise f32.  A .npy whose last axis
 * disagrees with a nonzero dim is an error.  Returns 0 or -1. */
int io_reader_open(io_reader *r, FILE *fp, const char *name, enum io_format fmt, size_t dim);
/* The same for a tool that sees its input as a flat run of values: the
 * row is the .npy's last axis or a text line, and one value of a raw
 * stream.  Works on pipes (the .npy magic is sniffed from the stream). */
int io_reader_open_flat(io_reader *r, FILE *fp, const char *name, enum io_format fmt);
/* Read up to max_rows rows into out (max_rows * dim doubles).  Returns the
 * number of rows read (0 at a clean end), or -1 on error (truncated row,
 * bad number, non-finite value, read error).  The whole rows before a
 * truncated one are returned first; the error comes with the next call. */
long io_read_rows(io_reader *r, double *out, size_t max_rows);
/* The same for float32 output, for kernels that work in float (rope). */
long io_read_rows_f32(io_reader *r, float *out, size_t max_rows);
/* Read every remaining row into a newly allocated array (*out, *n_rows);
 * *out is NULL when there are no rows. */
int io_read_all(io_reader *r, double **out, size_t *n_rows);
void io_reader_close(io_reader *r);

/* A whole array in memory, for tools that need all of an input at once
 * (a rollout, a data set).  A raw f32/f64 regular file of the storage type
 * is mapped copy-on-write (no read, no copy; writes stay private); anything
 * else goes through an io_reader.  Values are float32 (f64 = 0) or float64.
 * Non-finite values are errors, as for the reader. */
typedef struct io_array {
	void *v;        /* n values, float or double; writable */
	size_t n;
	size_t dim;     /* the row length used (from the caller, or the input) */
	int f64;
	size_t mapped;  /* bytes mapped, 0 if allocated */
} io_array;

/* path "-" is stdin.  fmt IO_AUTO detects .npy.  dim 0: from the input
 * (a .npy shape, a text row) or 1.  Returns 0, or -1 with err. */
int io_array_load(io_array *a, const char *path, enum io_format fmt, size_t dim, int f64, char *err, size_t err_len);
/* Allocate n values (not initialised), huge pages asked for when large. */
int io_array_alloc(io_array *a, size_t n, int f64);
void io_array_free(io_array *a);

/* Parse a .npy header from a memory buffer (for the fuzzer and tests):
 * fills fmt-independent fields of r (elem_size, npy_shape, npy_ndim,
 * npy_rows, dim) and returns the header length in bytes, or -1 with r->err. */
long io_npy_parse_header(io_reader *r, const unsigned char *bytes, size_t n);

typedef struct io_writer {
	FILE *fp;
	const char *name;
	enum io_format fmt;
	size_t dim;
	int text_f64;           /* text/json: print "%.17g" (float64) not "%.9g" */
	int npy_f64;            /* npy: write '<f8' instead of '<f4' */
	int64_t npy_rows;       /* rows promised in the header; -1 = unknown */
	uint64_t npy_lead[7];   /* .npy: the axes before the row, if not just one */
	size_t npy_n_lead;      /* 0: the shape is (rows, dim) */
	long npy_header_pos;    /* where the header starts, if seekable */
	size_t npy_header_len;
	int npy_seekable;
	unsigned char *npy_mem; /* rows held back when the count is unknown */
	size_t npy_mem_len, npy_mem_cap;
	uint64_t rows;          /* rows written so far */
	unsigned char *buf;
	size_t buf_cap;
	char err[320];
} io_writer;

/* Open a writer. n_rows is the number of rows if known, else -1: then .npy
 * output is patched in place on a seekable stream or held in memory.  The
 * .npy header is padded to a multiple of 64 bytes with room for the row
 * count to grow, as NumPy does. Returns 0 or -1. */
int io_writer_open(io_writer *w, FILE *fp, const char *name, enum io_format fmt, size_t dim, int64_t n_rows);
/* The same for an N-dimensional .npy shape (ndim 2 to 8): the last axis is
 * the row, the product of the others the number of rows.  Other formats
 * write the rows as they would for io_writer_open. */
int io_writer_open_shape(io_writer *w, FILE *fp, const char *name, enum io_format fmt, const uint64_t *shape,
			 size_t ndim);
int io_write_rows(io_writer *w, const double *rows, size_t n_rows);
int io_write_rows_f32(io_writer *w, const float *rows, size_t n_rows);
/* Finish: write/patch the .npy header, flush.  Does not fclose fp. */
int io_writer_close(io_writer *w);

/* Format one value as text the way the writer does ("%.9g" of the float32
 * value, or "%.17g"); non-finite values print as nan, inf, -inf.  With
 * f64 = 0, a finite value beyond the float32 range (above FLT_MAX and not
 * rounded to it) prints as "%.9g" of the double, not as inf: a number, and
 * the value it was.  snprintf's contract: at most n bytes with the NUL,
 * returns the full length. */
int io_format_number(char *buf, size_t n, double v, int f64);

#endif
