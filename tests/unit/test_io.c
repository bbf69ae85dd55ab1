/* Unit tests for lib/io: every format round-trips; .npy headers are what
 * NumPy writes and reads; errors name their place. */
#include "io.h"
#include "unit.h"

#include <string.h>

/* A FILE over a copy of BYTES (fmemopen does not take const). */
static FILE *mem_in(const void *bytes, size_t n, char **keep)
{
	*keep = malloc(n ? n : 1);
	memcpy(*keep, bytes, n);
	return fmemopen(*keep, n ? n : 1, "rb");
}

/* Round-trip rows through FMT and back. */
static void round_trip(enum io_format fmt, int npy_rows_known)
{
	double rows[6] = {1.5, -2.25, 3e-8, 1e30, 0.1, -0.0};
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	io_writer w;
	ck_assert_int_eq(io_writer_open(&w, out, "mem", fmt, 3, npy_rows_known ? 2 : -1), 0);
	ck_assert_int_eq(io_write_rows(&w, rows, 2), 0);
	ck_assert_int_eq(io_writer_close(&w), 0);
	fclose(out);

	char *keep;
	FILE *in = mem_in(buf, len, &keep);
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "mem", fmt == IO_NPY ? IO_AUTO : fmt, fmt == IO_NPY ? 0 : 3), 0);
	ck_assert_uint_eq(r.dim, 3);
	double back[6];
	ck_assert_int_eq(io_read_rows(&r, back, 6), 2);
	ck_assert_int_eq(io_read_rows(&r, back, 1), 0);
	for (int i = 0; i < 6; i++)
		ck_assert_msg((float)back[i] == (float)rows[i], "value %d: %.9g vs %.9g", i, back[i], rows[i]);
	io_reader_close(&r);
	fclose(in);
	free(keep);
	free(buf);
}

START_TEST(test_round_trips)
{
	round_trip(IO_F32, 0);
	round_trip(IO_F64, 0);
	round_trip(IO_TEXT, 0);
	round_trip(IO_NPY, 1);
	round_trip(IO_NPY, 0);
}
END_TEST

START_TEST(test_npy_header_like_numpy)
{
	/* numpy.save(f, np.zeros((2, 3), np.float32)) writes exactly this
	 * 128-byte header: 118 bytes of dict and padding after the preamble
	 * (the dict plus 20 spaces of growth room, then alignment). */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	io_writer w;
	ck_assert_int_eq(io_writer_open(&w, out, "mem", IO_NPY, 3, 2), 0);
	double z[6] = {0};
	ck_assert_int_eq(io_write_rows(&w, z, 2), 0);
	ck_assert_int_eq(io_writer_close(&w), 0);
	fclose(out);
	const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
	ck_assert_uint_eq(len, 128 + 24);
	ck_assert_int_eq(memcmp(buf, "\x93NUMPY\x01\x00", 8), 0);
	ck_assert_uint_eq((unsigned char)buf[8] | (unsigned char)buf[9] << 8, 118);
	ck_assert_int_eq(memcmp(buf + 10, dict, strlen(dict)), 0);
	ck_assert_int_eq(buf[127], '\n');
	for (size_t i = 10 + strlen(dict); i < 127; i++)
		ck_assert_int_eq(buf[i], ' ');
	free(buf);
}
END_TEST

START_TEST(test_npy_nd_shape)
{
	/* numpy.save of np.zeros((2, 3, 4), np.float32): a 128-byte header */
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	io_writer w;
	uint64_t shape[3] = {2, 3, 4};
	ck_assert_int_eq(io_writer_open_shape(&w, out, "mem", IO_NPY, shape, 3), 0);
	double z[24] = {0};
	ck_assert_int_eq(io_write_rows(&w, z, 6), 0);
	ck_assert_int_eq(io_writer_close(&w), 0);
	fclose(out);
	const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }";
	ck_assert_uint_eq(len, 128 + 96);
	ck_assert_int_eq(memcmp(buf + 10, dict, strlen(dict)), 0);
	ck_assert_int_eq(buf[127], '\n');
	/* and it reads back as 6 rows of 4 */
	char *keep = malloc(len);
	memcpy(keep, buf, len);
	FILE *in = fmemopen(keep, len, "rb");
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "mem", IO_AUTO, 0), 0);
	ck_assert_int_eq(r.npy_rows, 6);
	ck_assert_uint_eq(r.dim, 4);
	io_reader_close(&r);
	fclose(in);
	free(keep);
	free(buf);
}
END_TEST

static int parse(const char *bytes, size_t n, io_reader *r, size_t dim)
{
	memset(r, 0, sizeof *r);
	r->name = "x.npy";
	r->dim = dim;
	return (int)io_npy_parse_header(r, (const unsigned char *)bytes, n);
}

static size_t make_npy(char *out, int major, const char *dict)
{
	size_t dl = strlen(dict), pre = major == 1 ? 10 : 12;
	memcpy(out, "\x93NUMPY", 6);
	out[6] = (char)major;
	out[7] = 0;
	out[8] = (char)(dl & 0xff);
	out[9] = (char)(dl >> 8);
	if (major > 1)
		out[10] = out[11] = 0;
	memcpy(out + pre, dict, dl);
	return pre + dl;
}

START_TEST(test_npy_versions_and_shapes)
{
	char b[256];
	io_reader r;
	size_t n = make_npy(b, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 5, 6), }\n");
	ck_assert_int_eq(parse(b, n, &r, 0), (int)n);
	ck_assert_uint_eq(r.dim, 6);
	ck_assert_int_eq(r.npy_rows, 20);
	ck_assert_uint_eq(r.elem_size, 8);
	n = make_npy(b, 2, "{\"shape\": (10,), \"fortran_order\": False, \"descr\": \"<f4\"}");
	ck_assert_int_eq(parse(b, n, &r, 2), (int)n);
	ck_assert_int_eq(r.npy_rows, 5); /* a flat 1-D array read as rows of 2 */
	n = make_npy(b, 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }");
	ck_assert_int_eq(parse(b, n, &r, 0), (int)n);
	ck_assert_int_eq(r.npy_rows, 1);
}
END_TEST

START_TEST(test_npy_rejects)
{
	static const struct {
		const char *dict, *msg;
	} bad[] = {
		{"{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "'>f4' is not supported"},
		{"{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", "'<i4' is not supported"},
		{"{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "Fortran order"},
		{"{'descr': '<f4', 'shape': (2,), }", "lacks 'fortran_order'"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", "bad 'shape'"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", "overflows"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", "unexpected key"},
		{"['descr']", "not a dict"},
	};
	char b[256];
	io_reader r;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = make_npy(b, 1, bad[i].dict);
		ck_assert_int_eq(parse(b, n, &r, 0), -1);
		ck_assert_msg(strstr(r.err, bad[i].msg), "case %zu: '%s' lacks '%s'", i, r.err, bad[i].msg);
	}
	size_t n = make_npy(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
	ck_assert_int_eq(parse(b, n, &r, 4), -1);
	ck_assert_ptr_nonnull(strstr(r.err, "last axis is 3 but the row length is 4"));
	b[6] = 9;
	ck_assert_int_eq(parse(b, n, &r, 0), -1);
	ck_assert_ptr_nonnull(strstr(r.err, "version 9.0"));
	ck_assert_int_eq(parse(b, 5, &r, 0), -1);
	b[6] = 1;
	ck_assert_int_eq(parse(b, n - 3, &r, 0), -1);
	ck_assert_ptr_nonnull(strstr(r.err, "truncated"));
}
END_TEST

START_TEST(test_truncated_names_offset)
{
	float v[5] = {1, 2, 3, 4, 5};
	char *keep;
	FILE *in = mem_in(v, 18, &keep); /* 4 rows of 4 bytes... with dim 2: 2 rows + 2 bytes */
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "stdin", IO_F32, 2), 0);
	double out[8];
	/* the two whole rows first, then the error */
	ck_assert_int_eq(io_read_rows(&r, out, 4), 2);
	ck_assert_double_eq(out[3], 4);
	ck_assert_int_eq(io_read_rows(&r, out, 4), -1);
	ck_assert_msg(strstr(r.err, "truncated input: 2 bytes at byte offset 16"), "%s", r.err);
	io_reader_close(&r);
	fclose(in);
	free(keep);
}
END_TEST

START_TEST(test_nonfinite_named)
{
	float v[4] = {1, 2, NAN, 4};
	char *keep;
	FILE *in = mem_in(v, sizeof v, &keep);
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "stdin", IO_F32, 2), 0);
	float out[4];
	ck_assert_int_eq(io_read_rows_f32(&r, out, 2), -1);
	ck_assert_msg(strstr(r.err, "non-finite value nan at row 1, column 0 (byte offset 8)"), "%s", r.err);
	io_reader_close(&r);
	fclose(in);
	free(keep);
	/* allowed when the tool says so */
	in = mem_in(v, sizeof v, &keep);
	ck_assert_int_eq(io_reader_open(&r, in, "stdin", IO_F32, 2), 0);
	r.allow_nonfinite = 1;
	ck_assert_int_eq(io_read_rows_f32(&r, out, 2), 2);
	io_reader_close(&r);
	fclose(in);
	free(keep);
}
END_TEST

START_TEST(test_text_reader)
{
	const char *text = "# a comment\n1 2 3\n\n  4\t5 6 # trailing\n7 8\n";
	char *keep;
	FILE *in = mem_in(text, strlen(text), &keep);
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "t.txt", IO_TEXT, 0), 0);
	ck_assert_uint_eq(r.dim, 3);
	double out[9];
	ck_assert_int_eq(io_read_rows(&r, out, 1), 1);
	ck_assert_int_eq(io_read_rows(&r, out + 3, 5), -1);
	ck_assert_msg(strstr(r.err, "t.txt: line 5: 2 numbers, expected 3"), "%s", r.err);
	ck_assert_double_eq(out[3], 4);
	io_reader_close(&r);
	fclose(in);
	free(keep);

	/* vertical tab and form feed are blanks like the others */
	text = "1\v2\f\n3 4 \v\n";
	in = mem_in(text, strlen(text), &keep);
	ck_assert_int_eq(io_reader_open(&r, in, "t.txt", IO_TEXT, 0), 0);
	ck_assert_int_eq(io_read_rows(&r, out, 3), 2);
	ck_assert_double_eq(out[3], 4);
	io_reader_close(&r);
	fclose(in);
	free(keep);

	/* the first row, read ahead at open, obeys allow_nonfinite too */
	text = "1 nan\n";
	in = mem_in(text, strlen(text), &keep);
	ck_assert_int_eq(io_reader_open(&r, in, "t.txt", IO_TEXT, 0), 0);
	r.allow_nonfinite = 1;
	ck_assert_int_eq(io_read_rows(&r, out, 3), 1);
	ck_assert(isnan(out[1]));
	io_reader_close(&r);
	fclose(in);
	free(keep);
	in = mem_in(text, strlen(text), &keep);
	ck_assert_int_eq(io_reader_open(&r, in, "t.txt", IO_TEXT, 0), 0);
	ck_assert_int_eq(io_read_rows(&r, out, 3), -1);
	ck_assert_msg(strstr(r.err, "t.txt: line 1: non-finite value nan (row 0, column 1)"), "%s", r.err);
	io_reader_close(&r);
	fclose(in);
	free(keep);

	text = "1 2x\n";
	in = mem_in(text, strlen(text), &keep);
	ck_assert_int_eq(io_reader_open(&r, in, "t.txt", IO_TEXT, 2), 0);
	ck_assert_int_eq(io_read_rows(&r, out, 1), -1);
	ck_assert_msg(strstr(r.err, "line 1: '2x' is not a number"), "%s", r.err);
	io_reader_close(&r);
	fclose(in);
	free(keep);
}
END_TEST

START_TEST(test_chunking_independent)
{
	/* Reading N rows one at a time or all at once gives the same values,
	 * across the internal chunk boundary. */
	enum { DIM = 3, ROWS = 100000 };
	float *v = malloc(sizeof(float) * DIM * ROWS);
	for (size_t i = 0; i < (size_t)DIM * ROWS; i++)
		v[i] = (float)i * 0.5f;
	char *keep;
	FILE *in = mem_in(v, sizeof(float) * DIM * ROWS, &keep);
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, in, "mem", IO_F32, DIM), 0);
	double *all = NULL;
	size_t n = 0;
	ck_assert_int_eq(io_read_all(&r, &all, &n), 0);
	ck_assert_uint_eq(n, ROWS);
	for (size_t i = 0; i < (size_t)DIM * ROWS; i++)
		ck_assert_double_eq(all[i], v[i]);
	free(all);
	io_reader_close(&r);
	fclose(in);
	free(keep);
	free(v);
}
END_TEST

START_TEST(test_text_and_json_writer)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	io_writer w;
	double rows[4] = {0.1, -INFINITY, 1e-45, 16777217.0};
	ck_assert_int_eq(io_writer_open(&w, out, "mem", IO_JSON, 2, -1), 0);
	ck_assert_int_eq(io_write_rows(&w, rows, 2), 0);
	ck_assert_int_eq(io_writer_close(&w), 0);
	fclose(out);
	/* float32 values print with 9 significant digits; JSON has no inf */
	ck_assert_str_eq(buf, "[0.100000001, null]\n[1.40129846e-45, 16777216]\n");
	free(buf);
	char num[40];
	io_format_number(num, sizeof num, 0.1, 1);
	ck_assert_str_eq(num, "0.10000000000000001");
	io_format_number(num, sizeof num, -INFINITY, 0);
	ck_assert_str_eq(num, "-inf");
}
END_TEST

START_TEST(test_npy_patch_seekable)
{
	/* Unknown row count on a seekable file: the header is patched in
	 * place and NumPy's growth room keeps its length. */
	FILE *f = tmpfile();
	io_writer w;
	ck_assert_int_eq(io_writer_open(&w, f, "tmp", IO_NPY, 2, -1), 0);
	double rows[2 * 1234];
	for (int i = 0; i < 2 * 1234; i++)
		rows[i] = i;
	ck_assert_int_eq(io_write_rows(&w, rows, 1234), 0);
	ck_assert_int_eq(io_writer_close(&w), 0);
	rewind(f);
	io_reader r;
	ck_assert_int_eq(io_reader_open(&r, f, "tmp", IO_AUTO, 0), 0);
	ck_assert_int_eq(r.npy_rows, 1234);
	ck_assert_uint_eq(r.offset, 128);
	io_reader_close(&r);
	fclose(f);
}
END_TEST

START_TEST(test_format_names)
{
	ck_assert_int_eq(io_format_parse("npy", 1), IO_NPY);
	ck_assert_int_eq(io_format_parse("json", 1), -1);
	ck_assert_int_eq(io_format_parse("json", 0), IO_JSON);
	ck_assert_int_eq(io_format_parse("auto", 0), -1);
	ck_assert_int_eq(io_format_parse("F32", 1), -1);
}
END_TEST

static Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc = tcase_create("io");
	tcase_add_test(tc, test_round_trips);
	tcase_add_test(tc, test_npy_header_like_numpy);
	tcase_add_test(tc, test_npy_versions_and_shapes);
	tcase_add_test(tc, test_npy_nd_shape);
	tcase_add_test(tc, test_npy_rejects);
	tcase_add_test(tc, test_truncated_names_offset);
	tcase_add_test(tc, test_nonfinite_named);
	tcase_add_test(tc, test_text_reader);
	tcase_add_test(tc, test_chunking_independent);
	tcase_add_test(tc, test_text_and_json_writer);
	tcase_add_test(tc, test_npy_patch_seekable);
	tcase_add_test(tc, test_format_names);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(io_suite)
