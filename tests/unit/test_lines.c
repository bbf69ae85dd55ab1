/* Unit tests for lib/lines: an input is the same in memory whether it is
 * mapped (a regular file, from its current position) or read (a stream);
 * the cursor gives every line that is not blank, without its newline, with
 * its input and line number, across inputs. */
#include "lines.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

static const char text[] = "{\"a\":1}\n\n  \t\r\n{}\r\nlast";

/* A temporary regular file holding text, positioned at skip. */
static FILE *regular_file(long skip)
{
	FILE *fp = tmpfile();
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, sizeof text - 1, fp), sizeof text - 1);
	ck_assert_int_eq(fseek(fp, skip, SEEK_SET), 0);
	return fp;
}

START_TEST(test_mapped_and_read_agree)
{
	char err[128];
	lines_input mapped, read;
	FILE *fp = regular_file(0);
	ck_assert_int_eq(lines_load(&mapped, fp, "f", err, sizeof err), 0);
	ck_assert_ptr_nonnull(mapped.map);
	fclose(fp);
	char *copy = strdup(text);
	FILE *stream = fmemopen(copy, sizeof text - 1, "rb");  /* no file descriptor */
	ck_assert_int_eq(lines_load(&read, stream, NULL, err, sizeof err), 0);
	ck_assert_ptr_null(read.map);
	fclose(stream);
	ck_assert_uint_eq(mapped.len, sizeof text - 1);
	ck_assert_uint_eq(read.len, sizeof text - 1);
	ck_assert(memcmp(mapped.buf, text, mapped.len) == 0);
	ck_assert(memcmp(read.buf, text, read.len) == 0);
	lines_free(&mapped);
	lines_free(&read);
	free(copy);
	/* from the stream's position on, as a program given a half-read stdin */
	fp = regular_file(9);
	ck_assert_int_eq(lines_load(&mapped, fp, "f", err, sizeof err), 0);
	ck_assert_uint_eq(mapped.len, sizeof text - 1 - 9);
	ck_assert(memcmp(mapped.buf, text + 9, mapped.len) == 0);
	lines_free(&mapped);
	fclose(fp);
}
END_TEST

START_TEST(test_lines_across_inputs)
{
	char err[128];
	lines_input in[3];
	FILE *fp = regular_file(0);
	ck_assert_int_eq(lines_load(&in[0], fp, "one", err, sizeof err), 0);
	fclose(fp);
	FILE *empty = tmpfile();
	ck_assert_int_eq(lines_load(&in[1], empty, "two", err, sizeof err), 0);
	ck_assert_uint_eq(in[1].len, 0);
	fclose(empty);
	fp = regular_file(0);
	ck_assert_int_eq(lines_load(&in[2], fp, "three", err, sizeof err), 0);
	fclose(fp);
	static const char *const want[] = { "{\"a\":1}", "{}\r", "last" };
	static const uint64_t want_line[] = { 1, 4, 5 };
	lines_cursor c;
	const char *line;
	size_t len, k = 0;
	lines_start(&c, in, 3);
	while (lines_next(&c, &line, &len)) {
		ck_assert_uint_lt(k, 6);
		ck_assert_uint_eq(len, strlen(want[k % 3]));
		ck_assert(memcmp(line, want[k % 3], len) == 0);
		ck_assert_uint_eq(c.lineno, want_line[k % 3]);
		ck_assert_ptr_eq(c.input, &in[k < 3 ? 0 : 2]);
		k++;
	}
	ck_assert_uint_eq(k, 6);
	ck_assert(!lines_next(&c, &line, &len));
	for (int i = 0; i < 3; i++)
		lines_free(&in[i]);
	lines_start(&c, NULL, 0);
	ck_assert(!lines_next(&c, &line, &len));
}
END_TEST

START_TEST(test_read_error)
{
	char err[128];
	lines_input in;
	FILE *fp = fopen(".", "r");
	if (!fp)
		return;  /* a system that will not open a directory as a stream */
	ck_assert_int_eq(lines_load(&in, fp, "dir", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "read error: dir: "));
	fclose(fp);
}
END_TEST

static Suite *lines_suite(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("inputs");
	tcase_add_test(tc, test_mapped_and_read_agree);
	tcase_add_test(tc, test_lines_across_inputs);
	tcase_add_test(tc, test_read_error);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(lines_suite)
