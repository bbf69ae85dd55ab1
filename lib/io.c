/* io: rows of numbers in the formats of the data contract.
 *
 * The .npy layout follows NumPy's format specification
 * (numpy/lib/format.py, "NPY format"): magic "\x93NUMPY", a version byte
 * pair, a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), and a
 * Python dict literal with 'descr', 'fortran_order' and 'shape', padded with
 * spaces and a newline so the data starts on a 64-byte boundary.  Writers add
 * room for the first axis to grow to 21 digits (GROWTH_AXIS_MAX_DIGITS), so a
 * header can be patched in place once the row count is known. */
#define _DEFAULT_SOURCE /* MAP_POPULATE, MADV_HUGEPAGE */
#include "io.h"

#include "cli.h"
#include "numfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "mlpipe's raw formats are little-endian and assume a little-endian host"
#endif

enum {
	CHUNK_BYTES = 1 << 20,
	NPY_ALIGN = 64,
	NPY_GROWTH_DIGITS = 21,
	NPY_MAX_HEADER = 1 << 20,
};

static const unsigned char npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static void set_err(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}
#define RERR(r, ...) set_err((r)->err, sizeof (r)->err, __VA_ARGS__)

static int next_text_row(io_reader *r);

static const char *const format_names[] = {"f32", "f64", "npy", "text", "json", "auto"};

int io_format_parse(const char *name, int for_input)
{
	for (int f = IO_F32; f <= IO_AUTO; f++) {
		if (strcmp(name, format_names[f]) != 0)
			continue;
		if ((for_input && f == IO_JSON) || (!for_input && f == IO_AUTO))
			return -1;
		return f;
	}
	return -1;
}

const char *io_format_name(enum io_format f)
{
	return format_names[f];
}

int io_format_is_binary(enum io_format f)
{
	return f == IO_F32 || f == IO_F64 || f == IO_NPY;
}

/* ---- reading ---------------------------------------------------------- */

/* Bytes from the sniffed prefix, then from the stream. */
static size_t take_bytes(io_reader *r, unsigned char *dst, size_t n)
{
	size_t got = 0;
	while (got < n && r->peek_pos < r->peek_len)
		dst[got++] = r->peek[r->peek_pos++];
	if (got < n)
		got += fread(dst + got, 1, n - got, r->fp);
	r->offset += got;
	return got;
}

static int checked_mul(uint64_t a, uint64_t b, uint64_t *out)
{
	if (a != 0 && b > UINT64_MAX / a)
		return -1;
	*out = a * b;
	return 0;
}

/* Skip blanks in a header dict. */
static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Parse "'key': value" pairs of the header dict; see numpy format.py
 * _read_array_header for what NumPy itself accepts. */
static int parse_header_dict(io_reader *r, const char *p, const char *end)
{
	int have_descr = 0, have_order = 0, have_shape = 0;
	p = skip_ws(p, end);
	if (p >= end || *p++ != '{') {
		RERR(r, "%s: .npy header is not a dict", r->name);
		return -1;
	}
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			break;
		if (p >= end || (*p != '\'' && *p != '"')) {
			RERR(r, "%s: .npy header: expected a quoted key", r->name);
			return -1;
		}
		char quote = *p++;
		const char *key = p;
		while (p < end && *p != quote)
			p++;
		if (p >= end) {
			RERR(r, "%s: .npy header: unterminated key", r->name);
			return -1;
		}
		size_t key_len = (size_t)(p - key);
		p = skip_ws(p + 1, end);
		if (p >= end || *p++ != ':') {
			RERR(r, "%s: .npy header: expected ':' after a key", r->name);
			return -1;
		}
		p = skip_ws(p, end);
		if (key_len == 5 && memcmp(key, "descr", 5) == 0) {
			if (p >= end || (*p != '\'' && *p != '"')) {
				RERR(r, "%s: .npy header: 'descr' is not a string", r->name);
				return -1;
			}
			char q = *p++;
			const char *d = p;
			while (p < end && *p != q)
				p++;
			if (p >= end) {
				RERR(r, "%s: .npy header: unterminated 'descr'", r->name);
				return -1;
			}
			size_t dl = (size_t)(p - d);
			p++;
			if (dl == 3 && memcmp(d, "<f4", 3) == 0)
				r->elem_size = 4;
			else if (dl == 3 && memcmp(d, "<f8", 3) == 0)
				r->elem_size = 8;
			else {
				RERR(r, "%s: .npy dtype '%.*s' is not supported (only '<f4' and '<f8')", r->name, (int)(dl > 40 ? 40 : dl), d);
				return -1;
			}
			have_descr = 1;
		} else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0) {
			if ((size_t)(end - p) >= 5 && memcmp(p, "False", 5) == 0)
				p += 5;
			else if ((size_t)(end - p) >= 4 && memcmp(p, "True", 4) == 0) {
				RERR(r, "%s: .npy array is in Fortran order (only C order is supported)", r->name);
				return -1;
			} else {
				RERR(r, "%s: .npy header: 'fortran_order' is not True or False", r->name);
				return -1;
			}
			have_order = 1;
		} else if (key_len == 5 && memcmp(key, "shape", 5) == 0) {
			if (p >= end || *p++ != '(') {
				RERR(r, "%s: .npy header: 'shape' is not a tuple", r->name);
				return -1;
			}
			r->npy_ndim = 0;
			for (;;) {
				p = skip_ws(p, end);
				if (p < end && *p == ')') {
					p++;
					break;
				}
				if (p >= end || *p < '0' || *p > '9') {
					RERR(r, "%s: .npy header: bad 'shape'", r->name);
					return -1;
				}
				uint64_t v = 0;
				while (p < end && *p >= '0' && *p <= '9') {
					if (v > (UINT64_MAX - 9) / 10) {
						RERR(r, "%s: .npy shape is too large", r->name);
						return -1;
					}
					v = v * 10 + (uint64_t)(*p++ - '0');
				}
				if (r->npy_ndim == sizeof r->npy_shape / sizeof r->npy_shape[0]) {
					RERR(r, "%s: .npy shape has too many axes", r->name);
					return -1;
				}
				r->npy_shape[r->npy_ndim++] = v;
				p = skip_ws(p, end);
				if (p < end && *p == ',')
					p++;
				else if (p >= end || *p != ')') {
					RERR(r, "%s: .npy header: bad 'shape'", r->name);
					return -1;
				}
			}
			have_shape = 1;
		} else {
			RERR(r, "%s: .npy header: unexpected key '%.*s'", r->name, (int)(key_len > 40 ? 40 : key_len), key);
			return -1;
		}
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else if (p >= end || *p != '}') {
			RERR(r, "%s: .npy header: expected ',' or '}'", r->name);
			return -1;
		}
	}
	if (!have_descr || !have_order || !have_shape) {
		RERR(r, "%s: .npy header lacks '%s'", r->name, !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
		return -1;
	}
	return 0;
}

/* Rows and row length from the shape: the last axis is the row. A 1-D
 * array is read as a flat run of rows when a row length was asked for. */
static int npy_rows_from_shape(io_reader *r)
{
	uint64_t total = 1, last = r->npy_ndim ? r->npy_shape[r->npy_ndim - 1] : 1;
	for (size_t i = 0; i < r->npy_ndim; i++)
		if (checked_mul(total, r->npy_shape[i], &total) != 0 || total > (UINT64_MAX >> 4)) {
			RERR(r, "%s: .npy shape overflows", r->name);
			return -1;
		}
	if (r->dim == 0) {
		if (last == 0 || last > IO_MAX_DIM) {
			RERR(r, "%s: .npy row length %" PRIu64 " is out of range [1, %zu]", r->name, last, (size_t)IO_MAX_DIM);
			return -1;
		}
		r->dim = (size_t)last;
	} else if (last != r->dim && !(r->npy_ndim == 1 && total % r->dim == 0)) {
		RERR(r, "%s: .npy last axis is %" PRIu64 " but the row length is %zu", r->name, last, r->dim);
		return -1;
	}
	r->npy_rows = (int64_t)(total / r->dim);
	return 0;
}

long io_npy_parse_header(io_reader *r, const unsigned char *b, size_t n)
{
	if (n < 10 || memcmp(b, npy_magic, 6) != 0) {
		RERR(r, "%s: not a .npy file (bad magic)", r->name);
		return -1;
	}
	unsigned major = b[6];
	size_t hlen, pre;
	if (major == 1) {
		hlen = (size_t)b[8] | (size_t)b[9] << 8;
		pre = 10;
	} else if (major == 2 || major == 3) {
		if (n < 12) {
			RERR(r, "%s: truncated .npy header", r->name);
			return -1;
		}
		hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
		pre = 12;
	} else {
		RERR(r, "%s: .npy version %u.%u is not supported (1.0, 2.0, 3.0)", r->name, major, b[7]);
		return -1;
	}
	if (hlen > NPY_MAX_HEADER) {
		RERR(r, "%s: .npy header length %zu is absurd", r->name, hlen);
		return -1;
	}
	if (n < pre + hlen) {
		RERR(r, "%s: truncated .npy header", r->name);
		return -1;
	}
	const char *h = (const char *)b + pre;
	if (memchr(h, '\0', hlen)) {
		RERR(r, "%s: .npy header contains a NUL byte", r->name);
		return -1;
	}
	if (parse_header_dict(r, h, h + hlen) != 0 || npy_rows_from_shape(r) != 0)
		return -1;
	return (long)(pre + hlen);
}

static int read_npy_header(io_reader *r)
{
	unsigned char pre[12];
	size_t got = take_bytes(r, pre, 10);
	size_t pre_len = 10;
	if (got == 10 && pre[6] >= 2) {
		got += take_bytes(r, pre + 10, 2);
		pre_len = 12;
	}
	if (got < pre_len) {
		RERR(r, "%s: truncated .npy header", r->name);
		return -1;
	}
	size_t hlen = pre[6] >= 2 ? ((size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24)
				  : ((size_t)pre[8] | (size_t)pre[9] << 8);
	if (hlen > NPY_MAX_HEADER) {
		RERR(r, "%s: .npy header length %zu is absurd", r->name, hlen);
		return -1;
	}
	unsigned char *all = malloc(pre_len + hlen);
	if (!all) {
		RERR(r, "%s: out of memory", r->name);
		return -1;
	}
	memcpy(all, pre, pre_len);
	if (take_bytes(r, all + pre_len, hlen) < hlen) {
		free(all);
		RERR(r, "%s: truncated .npy header", r->name);
		return -1;
	}
	long rc = io_npy_parse_header(r, all, pre_len + hlen);
	free(all);
	return rc < 0 ? -1 : 0;
}

static int reader_open(io_reader *r, FILE *fp, const char *name, enum io_format fmt, size_t dim, int flat)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name ? name : "stdin";
	r->dim = dim;
	r->npy_rows = -1;
	if (dim > IO_MAX_DIM) {
		RERR(r, "row length %zu is out of range [1, %zu]", dim, (size_t)IO_MAX_DIM);
		return -1;
	}
	if (fmt == IO_AUTO) {
		r->peek_len = fread(r->peek, 1, 6, fp);
		fmt = (r->peek_len == 6 && memcmp(r->peek, npy_magic, 6) == 0) ? IO_NPY : IO_F32;
		if (ferror(fp)) {
			RERR(r, "read error: %s: %s", r->name, strerror(errno));
			return -1;
		}
	}
	r->fmt = fmt;
	switch (fmt) {
	case IO_F32:
		r->elem_size = 4;
		break;
	case IO_F64:
		r->elem_size = 8;
		break;
	case IO_NPY:
		if (read_npy_header(r) != 0)
			return -1;
		break;
	case IO_TEXT:
		/* Read the first row ahead so that its length is known. */
		if (dim == 0) {
			if (next_text_row(r) < 0)
				return -1;
			r->text_pending = !r->eof;
		}
		return 0;
	default:
		RERR(r, "format '%s' cannot be read", io_format_name(fmt));
		return -1;
	}
	if (r->dim == 0 && flat)
		r->dim = 1;
	if (r->dim == 0) {
		RERR(r, "%s: the row length is unknown (give --dim)", r->name);
		return -1;
	}
	return 0;
}

int io_reader_open(io_reader *r, FILE *fp, const char *name, enum io_format fmt, size_t dim)
{
	return reader_open(r, fp, name, fmt, dim, 0);
}

int io_reader_open_flat(io_reader *r, FILE *fp, const char *name, enum io_format fmt)
{
	return reader_open(r, fp, name, fmt, 0, 1);
}

static void report_nonfinite(io_reader *r, double v, uint64_t row, size_t col, uint64_t byte_offset)
{
	const char *what = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
	if (r->fmt == IO_TEXT)
		RERR(r, "%s: line %" PRIu64 ": non-finite value %s (row %" PRIu64 ", column %zu)", r->name, r->line, what,
		     row, col);
	else
		RERR(r, "%s: non-finite value %s at row %" PRIu64 ", column %zu (byte offset %" PRIu64 ")", r->name, what,
		     row, col, byte_offset);
}

/* v holds n_rows rows ending at the current stream offset. */
static int check_finite(io_reader *r, const double *v, size_t n_rows, uint64_t first_row)
{
	size_t n = n_rows * r->dim;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i])) {
			report_nonfinite(r, v[i], first_row + i / r->dim, i % r->dim,
					 r->offset - (uint64_t)(n - i) * r->elem_size);
			return -1;
		}
	return 0;
}

/* An exponent of all ones (Inf, NaN) plus one unit in the exponent's last
 * place carries into the sign bit; no finite value does.  Blocks of a
 * constant length let GCC's -O2 vectoriser take the loop. */
enum { FINITE_BLOCK = 64 };

static int all_finite_f32(const float *v, size_t n)
{
	size_t i = 0;
	for (; i + FINITE_BLOCK <= n; i += FINITE_BLOCK) {
		uint32_t carry = 0;
		for (size_t j = 0; j < FINITE_BLOCK; j++) {
			uint32_t bits;
			memcpy(&bits, v + i + j, sizeof bits);
			carry |= (bits & 0x7f800000u) + 0x00800000u;
		}
		if (carry & 0x80000000u)
			return 0;
	}
	for (; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

static int all_finite_f64(const double *v, size_t n)
{
	size_t i = 0;
	for (; i + FINITE_BLOCK <= n; i += FINITE_BLOCK) {
		uint64_t carry = 0;
		for (size_t j = 0; j < FINITE_BLOCK; j++) {
			uint64_t bits;
			memcpy(&bits, v + i + j, sizeof bits);
			carry |= (bits & 0x7ff0000000000000u) + 0x0010000000000000u;
		}
		if (carry & 0x8000000000000000u)
			return 0;
	}
	for (; i < n; i++)
		if (!isfinite(v[i]))
			return 0;
	return 1;
}

static int check_finite_f32(io_reader *r, const float *v, size_t n_rows, uint64_t first_row)
{
	size_t n = n_rows * r->dim;
	if (all_finite_f32(v, n))
		return 0;
	size_t i = 0;
	while (i < n && isfinite(v[i]))
		i++;
	report_nonfinite(r, v[i], first_row + i / r->dim, i % r->dim, r->offset - (uint64_t)(n - i) * 4);
	return -1;
}

/* Raw rows into dst; returns rows or -1.  At a clean end returns 0. */
static long read_raw_rows(io_reader *r, unsigned char *dst, size_t max_rows)
{
	size_t row_bytes = r->dim * r->elem_size;
	if (r->pending_error)
		return -1;
	if (r->npy_rows >= 0 && (uint64_t)r->npy_rows - r->rows < max_rows)
		max_rows = (size_t)((uint64_t)r->npy_rows - r->rows);
	if (max_rows == 0 || r->eof) {
		if (r->npy_rows >= 0 && !r->eof) {
			/* The shape is satisfied: anything more is an error. */
			r->eof = 1;
			unsigned char extra;
			if (take_bytes(r, &extra, 1) == 1) {
				RERR(r, "%s: data after the %" PRId64 " rows of the .npy shape (byte offset %" PRIu64 ")", r->name,
				     r->npy_rows, r->offset - 1);
				return -1;
			}
		}
		return 0;
	}
	size_t want = max_rows * row_bytes;
	uint64_t start = r->offset;
	size_t got = take_bytes(r, dst, want);
	if (got < want) {
		if (ferror(r->fp)) {
			RERR(r, "read error: %s: %s", r->name, strerror(errno));
			return -1;
		}
		r->eof = 1;
		size_t part = got % row_bytes;
		if (part) {
			RERR(r, "%s: truncated input: %zu bytes at byte offset %" PRIu64 " do not make a row of %zu bytes", r->name,
			     part, start + got - part, row_bytes);
			/* The whole rows before the break are good: give them
			 * now and the error at the next call. */
			r->offset -= part;
			if (got >= row_bytes) {
				r->pending_error = 1;
				return (long)(got / row_bytes);
			}
			return -1;
		}
		if (r->npy_rows >= 0 && r->rows + got / row_bytes < (uint64_t)r->npy_rows) {
			RERR(r, "%s: truncated .npy data: %" PRIu64 " of %" PRId64 " rows (byte offset %" PRIu64 ")", r->name,
			     r->rows + got / row_bytes, r->npy_rows, start + got);
			return -1;
		}
	}
	return (long)(got / row_bytes);
}

/* The blanks between numbers: C's isspace in the "C" locale, all of
 * which strtod would skip anyway. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The numbers of one text line into r->text_vals; returns how many (0 for a
 * blank or comment line), or -1 on error. */
static long parse_text_line(io_reader *r, char *s, size_t len)
{
	if (memchr(s, '\0', len)) {
		RERR(r, "%s: line %" PRIu64 ": NUL byte", r->name, r->line);
		return -1;
	}
	char *hash = memchr(s, '#', len);
	if (hash)
		*hash = '\0';
	size_t k = 0;
	char *p = s;
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		char *end;
		double v = strtod(p, &end);
		if (end == p || (*end && !is_blank(*end))) {
			char *tok_end = p;
			while (*tok_end && !is_blank(*tok_end))
				tok_end++;
			RERR(r, "%s: line %" PRIu64 ": '%.*s' is not a number", r->name, r->line,
			     (int)(tok_end - p > 40 ? 40 : tok_end - p), p);
			return -1;
		}
		if (k == r->text_vals_cap) {
			size_t cap = k ? 2 * k : 64;
			double *grown = cap <= IO_MAX_DIM ? realloc(r->text_vals, cap * sizeof *grown) : NULL;
			if (!grown) {
				RERR(r, "%s: line %" PRIu64 ": too many numbers for one row", r->name, r->line);
				return -1;
			}
			r->text_vals = grown;
			r->text_vals_cap = cap;
		}
		r->text_vals[k++] = v;
		p = end;
	}
	return (long)k;
}

/* The next row of a text stream into r->text_vals: 1, 0 at the end, -1. */
static int next_text_row(io_reader *r)
{
	for (;;) {
		errno = 0;
		ssize_t len = getline(&r->text_line, &r->text_cap, r->fp);
		if (len < 0) {
			if (ferror(r->fp)) {
				RERR(r, "read error: %s: %s", r->name, strerror(errno));
				return -1;
			}
			r->eof = 1;
			return 0;
		}
		r->line++;
		r->offset += (uint64_t)len;
		long k = parse_text_line(r, r->text_line, (size_t)len);
		if (k < 0)
			return -1;
		if (k == 0)
			continue;
		if (r->dim == 0)
			r->dim = (size_t)k;
		if ((size_t)k != r->dim) {
			RERR(r, "%s: line %" PRIu64 ": %ld numbers, expected %zu", r->name, r->line, k, r->dim);
			return -1;
		}
		return 1;
	}
}

static long read_text_rows(io_reader *r, double *out, size_t max_rows)
{
	size_t n = 0;
	while (n < max_rows) {
		if (!r->text_pending) {
			if (r->eof)
				break;
			int rc = next_text_row(r);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
		}
		r->text_pending = 0;
		/* checked here, not when read, so that a row read ahead at open
		 * sees the caller's allow_nonfinite */
		if (!r->allow_nonfinite)
			for (size_t j = 0; j < r->dim; j++)
				if (!isfinite(r->text_vals[j])) {
					report_nonfinite(r, r->text_vals[j], r->rows, j, 0);
					return -1;
				}
		memcpy(out + n * r->dim, r->text_vals, r->dim * sizeof *out);
		n++;
		r->rows++;
	}
	return (long)n;
}

long io_read_rows(io_reader *r, double *out, size_t max_rows)
{
	if (r->fmt == IO_TEXT) {
		return read_text_rows(r, out, max_rows);
	}
	size_t row_bytes = r->dim * r->elem_size;
	size_t done = 0;
	while (done < max_rows) {
		size_t chunk = CHUNK_BYTES / row_bytes ? CHUNK_BYTES / row_bytes : 1;
		if (chunk > max_rows - done)
			chunk = max_rows - done;
		if (r->buf_cap < chunk * row_bytes) {
			free(r->buf);
			r->buf_cap = chunk * row_bytes;
			if (!(r->buf = malloc(r->buf_cap))) {
				r->buf_cap = 0;
				RERR(r, "%s: out of memory", r->name);
				return -1;
			}
		}
		long got = read_raw_rows(r, r->buf, chunk);
		if (got < 0)
			return -1;
		if (got == 0)
			break;
		double *dst = out + done * r->dim;
		size_t count = (size_t)got * r->dim;
		int finite;
		if (r->elem_size == 4) {
			finite = r->allow_nonfinite || all_finite_f32((const float *)(void *)r->buf, count);
			for (size_t i = 0; i < count; i++) {
				float f;
				memcpy(&f, r->buf + 4 * i, 4);
				dst[i] = f;
			}
		} else {
			memcpy(dst, r->buf, count * 8);
			finite = r->allow_nonfinite || all_finite_f64(dst, count);
		}
		if (!finite && check_finite(r, dst, (size_t)got, r->rows) != 0)
			return -1;
		r->rows += (uint64_t)got;
		done += (size_t)got;
		if ((size_t)got < chunk)
			break;
	}
	return (long)done;
}

long io_read_rows_f32(io_reader *r, float *out, size_t max_rows)
{
	if (r->fmt == IO_F32 || (r->fmt == IO_NPY && r->elem_size == 4)) {
		/* The fast path: the stream's bytes land in place. */
		long got = read_raw_rows(r, (unsigned char *)out, max_rows);
		if (got > 0) {
			if (!r->allow_nonfinite && check_finite_f32(r, out, (size_t)got, r->rows) != 0)
				return -1;
			r->rows += (uint64_t)got;
		}
		return got;
	}
	size_t done = 0;
	double row_buf[256];
	while (done < max_rows) {
		size_t per = r->dim <= 256 ? 256 / r->dim : 0;
		double *tmp = row_buf;
		double *heap = NULL;
		if (per == 0) {
			per = 1;
			if (!(heap = malloc(r->dim * sizeof *heap))) {
				RERR(r, "%s: out of memory", r->name);
				return -1;
			}
			tmp = heap;
		}
		if (per > max_rows - done)
			per = max_rows - done;
		long got = io_read_rows(r, tmp, per);
		for (size_t i = 0; got > 0 && i < (size_t)got * r->dim; i++)
			out[done * r->dim + i] = (float)tmp[i];
		free(heap);
		if (got < 0)
			return -1;
		done += (size_t)got;
		if ((size_t)got < per)
			break;
	}
	return (long)done;
}

int io_read_all(io_reader *r, double **out, size_t *n_rows)
{
	size_t cap = 0, n = 0;
	double *all = NULL;
	*out = NULL;
	*n_rows = 0;
	if (r->dim == 0)
		return 0; /* an empty text input */
	size_t want = CHUNK_BYTES / 8 / r->dim ? CHUNK_BYTES / 8 / r->dim : 1;
	for (;;) {
		if (n + want > cap) {
			size_t new_cap = cap ? cap * 2 : want;
			if (new_cap > SIZE_MAX / sizeof(double) / r->dim) {
				free(all);
				RERR(r, "%s: input too large", r->name);
				return -1;
			}
			double *grown = realloc(all, new_cap * r->dim * sizeof *grown);
			if (!grown) {
				free(all);
				RERR(r, "%s: out of memory", r->name);
				return -1;
			}
			all = grown;
			cap = new_cap;
		}
		long got = io_read_rows(r, all + n * r->dim, want);
		if (got < 0) {
			free(all);
			return -1;
		}
		n += (size_t)got;
		if (got == 0)
			break;
	}
	if (n == 0) {
		free(all); /* nothing read: nothing for the caller to free */
		all = NULL;
	}
	*out = all;
	*n_rows = n;
	return 0;
}

void io_reader_close(io_reader *r)
{
	free(r->buf);
	free(r->text_line);
	free(r->text_vals);
	r->buf = NULL;
	r->text_line = NULL;
	r->text_vals = NULL;
}

/* ---- writing ---------------------------------------------------------- */

#define WERR(w, ...) set_err((w)->err, sizeof (w)->err, __VA_ARGS__)

/* "%.9g" of the float32 value by lib/numfmt.c, which prints the same text
 * several times faster; snprintf's truncation when buf is short. */
static int format_f32(char *buf, size_t n, float f)
{
	char text[NUMFMT_F32_SIZE];
	size_t len = numfmt_f32(f, n >= sizeof text ? buf : text);
	if (n < sizeof text && n > 0) {
		size_t keep = len < n ? len : n - 1;
		memcpy(buf, text, keep);
		buf[keep] = '\0';
	}
	return (int)len;
}

int io_format_number(char *buf, size_t n, double v, int f64)
{
	if (isnan(v))
		return snprintf(buf, n, "nan");
	if (isinf(v))
		return snprintf(buf, n, v > 0 ? "inf" : "-inf");
	if (f64)
		return snprintf(buf, n, "%.17g", v);
	float f = (float)v;
	if (isinf(f))  /* beyond float32: the double's value, not "inf" */
		return snprintf(buf, n, "%.9g", v);
	return format_f32(buf, n, f);
}

/* The header text for ROWS rows, NumPy-style: dict, growth room, padding
 * to NPY_ALIGN, newline; version 1.0 (a 2-byte length suffices). */
static size_t npy_header(const io_writer *w, uint64_t rows, char *out, size_t cap)
{
	char dict[512];
	char shape[256];
	int sl = 0;
	if (w->npy_n_lead == 0) {
		sl = snprintf(shape, sizeof shape, "(%" PRIu64 ", %zu)", rows, w->dim);
	} else {
		sl += snprintf(shape, sizeof shape, "(");
		for (size_t i = 0; i < w->npy_n_lead; i++)
			sl += snprintf(shape + sl, sizeof shape - (size_t)sl, "%" PRIu64 ", ", w->npy_lead[i]);
		sl += snprintf(shape + sl, sizeof shape - (size_t)sl, "%zu)", w->dim);
	}
	char first[32];
	int fl = snprintf(first, sizeof first, "%" PRIu64, w->npy_n_lead ? w->npy_lead[0] : rows);
	int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
			  w->npy_f64 ? "<f8" : "<f4", shape);
	size_t body = (size_t)dl + (size_t)(NPY_GROWTH_DIGITS - fl);
	size_t total = 10 + body + 1;
	size_t pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
	size_t hlen = body + pad + 1;
	if (10 + hlen > cap)
		return 0;
	memcpy(out, npy_magic, 6);
	out[6] = 1;
	out[7] = 0;
	out[8] = (char)(hlen & 0xff);
	out[9] = (char)(hlen >> 8);
	memcpy(out + 10, dict, (size_t)dl);
	memset(out + 10 + dl, ' ', hlen - 1 - (size_t)dl);
	out[10 + hlen - 1] = '\n';
	return 10 + hlen;
}

static int write_bytes(io_writer *w, const void *p, size_t n)
{
	if (w->fmt == IO_NPY && w->npy_mem_cap != (size_t)-1 && w->npy_rows < 0 && !w->npy_seekable) {
		if (w->npy_mem_len + n > w->npy_mem_cap) {
			size_t cap = w->npy_mem_cap ? w->npy_mem_cap : 1 << 16;
			while (cap < w->npy_mem_len + n)
				cap *= 2;
			unsigned char *grown = realloc(w->npy_mem, cap);
			if (!grown) {
				WERR(w, "out of memory holding .npy output");
				return -1;
			}
			w->npy_mem = grown;
			w->npy_mem_cap = cap;
		}
		memcpy(w->npy_mem + w->npy_mem_len, p, n);
		w->npy_mem_len += n;
		return 0;
	}
	if (n && fwrite(p, 1, n, w->fp) != n) {
		WERR(w, "write error: %s: %s", w->name, strerror(errno));
		return -1;
	}
	return 0;
}

int io_writer_open(io_writer *w, FILE *fp, const char *name, enum io_format fmt, size_t dim, int64_t n_rows)
{
	memset(w, 0, sizeof *w);
	w->fp = fp;
	w->name = name ? name : "standard output";
	w->fmt = fmt;
	w->dim = dim;
	w->npy_rows = n_rows;
	if (dim == 0 || dim > IO_MAX_DIM) {
		WERR(w, "row length %zu is out of range [1, %zu]", dim, (size_t)IO_MAX_DIM);
		return -1;
	}
	if (fmt == IO_AUTO) {
		WERR(w, "format 'auto' cannot be written");
		return -1;
	}
	if (fmt != IO_NPY)
		return 0;
	if (n_rows < 0) {
		struct stat st;
		int fd = fileno(fp);
		int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
		long pos = ftell(fp);
		w->npy_seekable = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && pos >= 0 && flags >= 0 &&
				  !(flags & O_APPEND);
		w->npy_header_pos = pos;
		if (!w->npy_seekable)
			return 0; /* rows held in memory until close */
	}
	char header[1024];
	w->npy_header_len = npy_header(w, n_rows < 0 ? 0 : (uint64_t)n_rows, header, sizeof header);
	return write_bytes(w, header, w->npy_header_len);
}

int io_writer_open_shape(io_writer *w, FILE *fp, const char *name, enum io_format fmt, const uint64_t *shape,
			 size_t ndim)
{
	uint64_t rows = 1;
	memset(w, 0, sizeof *w);
	if (ndim < 2 || ndim > 8) {
		WERR(w, "an array of %zu axes cannot be written", ndim);
		return -1;
	}
	for (size_t i = 0; i + 1 < ndim; i++)
		if (checked_mul(rows, shape[i], &rows) != 0 || rows > INT64_MAX) {
			WERR(w, "the shape overflows");
			return -1;
		}
	if (fmt != IO_NPY || ndim == 2)
		return io_writer_open(w, fp, name, fmt, (size_t)shape[ndim - 1], (int64_t)rows);
	if (shape[ndim - 1] == 0 || shape[ndim - 1] > IO_MAX_DIM) {
		WERR(w, "row length %" PRIu64 " is out of range [1, %zu]", shape[ndim - 1], (size_t)IO_MAX_DIM);
		return -1;
	}
	w->fp = fp;
	w->name = name ? name : "standard output";
	w->fmt = fmt;
	w->dim = (size_t)shape[ndim - 1];
	w->npy_rows = (int64_t)rows;
	w->npy_n_lead = ndim - 1;
	memcpy(w->npy_lead, shape, (ndim - 1) * sizeof *shape);
	char header[1024];
	w->npy_header_len = npy_header(w, rows, header, sizeof header);
	return write_bytes(w, header, w->npy_header_len);
}

static int write_text_rows(io_writer *w, const double *rows, size_t n_rows)
{
	char num[40];
	int json = w->fmt == IO_JSON;
	for (size_t i = 0; i < n_rows; i++) {
		if (json && putc('[', w->fp) == EOF)
			goto fail;
		for (size_t j = 0; j < w->dim; j++) {
			double v = rows[i * w->dim + j];
			if (j && fputs(json ? ", " : " ", w->fp) == EOF)
				goto fail;
			if (json && !isfinite(v))
				snprintf(num, sizeof num, "null");
			else
				io_format_number(num, sizeof num, v, w->text_f64);
			if (fputs(num, w->fp) == EOF)
				goto fail;
		}
		if ((json && putc(']', w->fp) == EOF) || putc('\n', w->fp) == EOF)
			goto fail;
	}
	return 0;
fail:
	WERR(w, "write error: %s: %s", w->name, strerror(errno));
	return -1;
}

static int check_row_budget(io_writer *w, size_t n_rows)
{
	if (w->npy_rows >= 0 && w->rows + n_rows > (uint64_t)w->npy_rows) {
		WERR(w, "more rows than the %" PRId64 " promised to the .npy header", w->npy_rows);
		return -1;
	}
	return 0;
}

int io_write_rows(io_writer *w, const double *rows, size_t n_rows)
{
	if (w->fmt == IO_TEXT || w->fmt == IO_JSON) {
		if (write_text_rows(w, rows, n_rows) != 0)
			return -1;
		w->rows += n_rows;
		return 0;
	}
	if (w->fmt == IO_NPY && check_row_budget(w, n_rows) != 0)
		return -1;
	int f64 = w->fmt == IO_F64 || (w->fmt == IO_NPY && w->npy_f64);
	size_t elem = f64 ? 8 : 4;
	size_t total = n_rows * w->dim;
	size_t per = CHUNK_BYTES / elem;
	if (!w->buf && !(w->buf = malloc(CHUNK_BYTES))) {
		WERR(w, "out of memory");
		return -1;
	}
	for (size_t at = 0; at < total; at += per) {
		size_t k = total - at < per ? total - at : per;
		if (f64) {
			memcpy(w->buf, rows + at, k * 8);
		} else {
			for (size_t i = 0; i < k; i++) {
				float f = (float)rows[at + i];
				memcpy(w->buf + 4 * i, &f, 4);
			}
		}
		if (write_bytes(w, w->buf, k * elem) != 0)
			return -1;
	}
	w->rows += n_rows;
	return 0;
}

int io_write_rows_f32(io_writer *w, const float *rows, size_t n_rows)
{
	int f64 = w->fmt == IO_F64 || (w->fmt == IO_NPY && w->npy_f64);
	if (w->fmt == IO_F32 || (w->fmt == IO_NPY && !f64)) {
		if (w->fmt == IO_NPY && check_row_budget(w, n_rows) != 0)
			return -1;
		if (write_bytes(w, rows, n_rows * w->dim * 4) != 0)
			return -1;
		w->rows += n_rows;
		return 0;
	}
	double tmp[512];
	size_t per = w->dim <= 512 ? 512 / w->dim : 0;
	if (per == 0) {
		for (size_t i = 0; i < n_rows; i++) {
			double *row = malloc(w->dim * sizeof *row);
			if (!row) {
				WERR(w, "out of memory");
				return -1;
			}
			for (size_t j = 0; j < w->dim; j++)
				row[j] = rows[i * w->dim + j];
			int rc = io_write_rows(w, row, 1);
			free(row);
			if (rc != 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < n_rows; i += per) {
		size_t k = n_rows - i < per ? n_rows - i : per;
		for (size_t j = 0; j < k * w->dim; j++)
			tmp[j] = rows[i * w->dim + j];
		if (io_write_rows(w, tmp, k) != 0)
			return -1;
	}
	return 0;
}

int io_writer_close(io_writer *w)
{
	int rc = 0;
	if (w->fmt == IO_NPY) {
		char header[1024];
		if (w->npy_rows >= 0) {
			if (w->rows != (uint64_t)w->npy_rows) {
				WERR(w, "wrote %" PRIu64 " rows, the .npy header promised %" PRId64, w->rows, w->npy_rows);
				rc = -1;
			}
		} else if (w->npy_seekable) {
			size_t len = npy_header(w, w->rows, header, sizeof header);
			long end = ftell(w->fp);
			if (len != w->npy_header_len || fseek(w->fp, w->npy_header_pos, SEEK_SET) != 0 ||
			    fwrite(header, 1, len, w->fp) != len || fseek(w->fp, end, SEEK_SET) != 0) {
				WERR(w, "cannot patch the .npy header of %s: %s", w->name, strerror(errno));
				rc = -1;
			}
		} else {
			size_t len = npy_header(w, w->rows, header, sizeof header);
			w->npy_mem_cap = (size_t)-1; /* write through from now on */
			w->npy_rows = (int64_t)w->rows;
			if (fwrite(header, 1, len, w->fp) != len ||
			    (w->npy_mem_len && fwrite(w->npy_mem, 1, w->npy_mem_len, w->fp) != w->npy_mem_len)) {
				WERR(w, "write error: %s: %s", w->name, strerror(errno));
				rc = -1;
			}
		}
	}
	if (rc == 0 && (fflush(w->fp) != 0 || ferror(w->fp))) {
		WERR(w, "write error: %s: %s", w->name, strerror(errno));
		rc = -1;
	}
	free(w->npy_mem);
	free(w->buf);
	w->npy_mem = NULL;
	w->buf = NULL;
	return rc;
}

enum io_format io_format_option(const char *opt, const char *arg, int for_input)
{
	int f = io_format_parse(arg, for_input);
	if (f < 0)
		cli_usage_error("%s: unknown format '%s' (choose from %s)", opt, arg,
				for_input ? "f32, f64, npy, text, auto" : "f32, f64, npy, text, json");
	return (enum io_format)f;
}

/* ---- whole arrays --------------------------------------------------------- */

enum { HUGE_PAGE = 2 << 20 };

int io_array_alloc(io_array *a, size_t n, int f64)
{
	size_t elem = f64 ? sizeof(double) : sizeof(float);
	memset(a, 0, sizeof *a);
	a->f64 = f64;
	if (n > SIZE_MAX / elem)
		return -1;
	size_t bytes = n ? n * elem : elem;
	void *p = NULL;
	/* A rollout of 4M x 8 steps touches hundreds of MB; faulting it in
	 * 4 KiB pages costs more than the arithmetic, so large arrays ask for
	 * transparent huge pages (a hint: failure is harmless). */
	if (bytes < 4 * (size_t)HUGE_PAGE)
		p = malloc(bytes);
	else if (posix_memalign(&p, HUGE_PAGE, bytes) == 0)
		(void)madvise(p, bytes, MADV_HUGEPAGE);
	else
		p = NULL;
	if (!p)
		return -1;
	a->v = p;
	a->n = n;
	return 0;
}

void io_array_free(io_array *a)
{
	if (a->mapped)
		munmap(a->v, a->mapped);
	else
		free(a->v);
	a->v = NULL;
	a->n = a->mapped = 0;
}

/* The fast path: a raw file of the storage type, mapped copy-on-write.
 * Returns 1 when mapped, 0 when the file does not qualify. */
static int array_map(io_array *a, const char *path, enum io_format fmt, int f64)
{
	enum io_format storage = f64 ? IO_F64 : IO_F32;
	if (strcmp(path, "-") == 0 || !(fmt == storage || (fmt == IO_AUTO && !f64)))
		return 0;
	struct stat st;
	/* stat before open: opening and closing a FIFO would break its writer */
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	size_t elem = f64 ? sizeof(double) : sizeof(float);
	void *map = MAP_FAILED;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size % elem == 0 &&
	    (uint64_t)st.st_size <= SIZE_MAX)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	/* Writable only now: MAP_POPULATE on a writable private mapping would
	 * break copy-on-write for every page up front (Linux mm/gup.c,
	 * populate_vma_page_range), copying the whole file. */
	if (mprotect(map, (size_t)st.st_size, PROT_READ | PROT_WRITE) != 0) {
		munmap(map, (size_t)st.st_size);
		return 0;
	}
	if (fmt == IO_AUTO && st.st_size >= 6 && memcmp(map, npy_magic, 6) == 0) {
		munmap(map, (size_t)st.st_size);
		return 0;
	}
	a->v = map;
	a->mapped = (size_t)st.st_size;
	a->n = a->mapped / elem;
	return 1;
}

/* Values a reader will deliver, from the .npy shape or a regular file's
 * size; 0 when unknown (a pipe, text). */
static size_t expected_values(const io_reader *r)
{
	if (r->fmt == IO_NPY)
		return r->npy_rows > 0 ? (size_t)r->npy_rows * r->dim : 0;
	struct stat st;
	if (r->fmt == IO_TEXT || fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
		return 0;
	return (size_t)st.st_size / r->elem_size;
}

static int array_read(io_array *a, io_reader *r, const char *name)
{
	size_t elem = a->f64 ? sizeof(double) : sizeof(float);
	size_t expected = expected_values(r);
	size_t cap = expected ? expected + r->dim : 0;
	if (cap < r->dim * 1024)
		cap = r->dim * 1024;
	io_array grown;
	if (io_array_alloc(&grown, cap, a->f64) != 0) {
		RERR(r, "%s: out of memory", name);
		return -1;
	}
	a->v = grown.v;
	for (;;) {
		if (cap - a->n < r->dim) {
			if (cap > SIZE_MAX / 2 / elem) {
				RERR(r, "%s: input too large", name);
				return -1;
			}
			void *more = realloc(a->v, 2 * cap * elem);
			if (!more) {
				RERR(r, "%s: out of memory", name);
				return -1;
			}
			a->v = more;
			cap *= 2;
		}
		size_t rows = (cap - a->n) / r->dim;
		long got = a->f64 ? io_read_rows(r, (double *)a->v + a->n, rows)
				  : io_read_rows_f32(r, (float *)a->v + a->n, rows);
		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
		a->n += (size_t)got * r->dim;
	}
}

int io_array_load(io_array *a, const char *path, enum io_format fmt, size_t dim, int f64, char *err, size_t err_len)
{
	memset(a, 0, sizeof *a);
	a->f64 = f64;
	a->dim = dim ? dim : 1;
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (array_map(a, path, fmt, f64)) {
		int finite = f64 ? all_finite_f64(a->v, a->n) : all_finite_f32(a->v, a->n);
		for (size_t i = 0; !finite && i < a->n; i++) {
			double x = f64 ? ((const double *)a->v)[i] : ((const float *)a->v)[i];
			if (isfinite(x))
				continue;
			snprintf(err, err_len, "%s: non-finite value %s at row %zu, column %zu (byte offset %zu)", name,
				 isnan(x) ? "nan" : x > 0 ? "inf" : "-inf", i / a->dim, i % a->dim,
				 i * (f64 ? sizeof(double) : sizeof(float)));
			io_array_free(a);
			return -1;
		}
		return 0;
	}
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!fp) {
		snprintf(err, err_len, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	io_reader r;
	int rc = io_reader_open(&r, fp, name, fmt, dim);
	if (rc == 0) {
		a->dim = r.dim ? r.dim : a->dim;
		if (r.dim == 0) /* an empty text input */
			rc = io_array_alloc(a, 0, f64) == 0 ? 0 : (RERR(&r, "%s: out of memory", name), -1);
		else
			rc = array_read(a, &r, name);
	}
	if (rc != 0) {
		snprintf(err, err_len, "%s", r.err);
		io_array_free(a);
	}
	io_reader_close(&r);
	if (fp != stdin)
		fclose(fp);
	return rc;
}
