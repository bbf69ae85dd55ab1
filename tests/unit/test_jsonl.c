/* Unit tests for lib/jsonl: records pass through byte-for-byte, fields are
 * appended, bad lines are named. */
#include "jsonl.h"
#include "unit.h"

#include <string.h>

static FILE *mem_in(const char *text, char **keep)
{
	size_t n = strlen(text);
	*keep = malloc(n + 1);
	memcpy(*keep, text, n + 1);
	return fmemopen(*keep, n ? n : 1, "rb");
}

START_TEST(test_pass_through_and_append)
{
	const char *text = "{\"b\": 1.50, \"a\" : \"x\\u00e9\"}\r\n{}\n{ \"z\":[1, {\"q\":null}] }  \n";
	char *keep, *out = NULL;
	size_t out_len = 0;
	FILE *in = mem_in(text, &keep), *o = open_memstream(&out, &out_len);
	jsonl_reader r;
	jsonl_reader_init(&r, in, "t");
	jsonl_fields f = {0};
	int rc;
	while ((rc = jsonl_next(&r)) == 1) {
		jsonl_fields_reset(&f);
		ck_assert_int_eq(jsonl_fields_number(&f, "adv", 0.1, 0), 0);
		ck_assert_int_eq(jsonl_fields_number(&f, "q\"", NAN, 1), 0);
		ck_assert_int_eq(jsonl_write_appended(o, r.line, r.len, &f), 0);
	}
	ck_assert_int_eq(rc, 0);
	fclose(o);
	/* original bytes kept (spacing, number spelling, escapes, CR) */
	ck_assert_str_eq(out, "{\"b\": 1.50, \"a\" : \"x\\u00e9\",\"adv\":0.100000001,\"q\\\"\":null}\r\n"
			      "{\"adv\":0.100000001,\"q\\\"\":null}\n"
			      "{ \"z\":[1, {\"q\":null}] ,\"adv\":0.100000001,\"q\\\"\":null}  \n");
	jsonl_fields_free(&f);
	jsonl_reader_free(&r);
	fclose(in);
	free(keep);
	free(out);
}
END_TEST

static void expect_error(const char *text, const char *msg)
{
	char *keep;
	FILE *in = mem_in(text, &keep);
	jsonl_reader r;
	jsonl_reader_init(&r, in, "t");
	int rc;
	while ((rc = jsonl_next(&r)) == 1)
		;
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(r.err, msg), "'%s' lacks '%s'", r.err, msg);
	jsonl_reader_free(&r);
	fclose(in);
	free(keep);
}

START_TEST(test_bad_lines)
{
	expect_error("{\"a\":1}\n{\"a\":\n", "line 2: invalid JSON");
	expect_error("[1,2]\n", "line 1: not a JSON object");
	/* RFC 8259 section 8.1: UTF-8, and no byte order mark from us */
	expect_error("{\"a\":\"\xc0\xaf\"}\n", "line 1: invalid UTF-8 at column 7");
	expect_error("{\"a\":1}\n{\"\xed\xa0\x80\":1}\n", "line 2: invalid UTF-8 at column 3");
	expect_error("\xef\xbb\xbf{\"a\":1}\n", "line 1: byte order mark");
	/* cJSON skips any byte below 0x20 as a blank; JSON does not */
	expect_error("{\r\x1b}\n", "line 1: control character at column 3");
	expect_error("{\"a\":\"x\ty\"}\n", "line 1: control character at column 8");
	expect_error("{\"a\":\x01 1}\n", "line 1: control character at column 6");
	expect_error("{\"a\":1} x\n", "line 1: text after the JSON value");
	expect_error("{\"a\":1}\n\n{\"a\":\"\0\"}\n", "line 3"); /* text ends at the NUL: invalid */
	char deep[300];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	expect_error(deep, "nested deeper than 64");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char bytes[] = "{\"a\":1}\n{\"a\":\"x\0y\"}\n";
	char *keep = malloc(sizeof bytes);
	memcpy(keep, bytes, sizeof bytes);
	FILE *in = fmemopen(keep, sizeof bytes - 1, "rb");
	jsonl_reader r;
	jsonl_reader_init(&r, in, "t");
	ck_assert_int_eq(jsonl_next(&r), 1);
	ck_assert_int_eq(jsonl_next(&r), -1);
	ck_assert_str_eq(r.err, "line 2: NUL byte in a JSON line");
	jsonl_reader_free(&r);
	fclose(in);
	free(keep);
}
END_TEST

START_TEST(test_getters)
{
	char *keep;
	FILE *in = mem_in("{\"r\":1.5,\"s\":\"1\",\"d\":true,\"e\":1,\"f\":2,\"v\":[1,2.5],\"w\":[1,\"x\"],\"n\":null,\"big\":1e999}\n", &keep);
	jsonl_reader r;
	jsonl_reader_init(&r, in, "t");
	ck_assert_int_eq(jsonl_next(&r), 1);
	double x = -1;
	int flag = -1;
	ck_assert_int_eq(jsonl_get_number(&r, "r", 1, &x), 0);
	ck_assert_double_eq(x, 1.5);
	ck_assert_int_eq(jsonl_get_number(&r, "s", 1, &x), -1);
	ck_assert_str_eq(r.err, "line 1: field 's' is not a number");
	ck_assert_int_eq(jsonl_get_number(&r, "missing", 1, &x), -1);
	ck_assert_str_eq(r.err, "line 1: field 'missing' is missing");
	ck_assert_int_eq(jsonl_get_number(&r, "missing", 0, &x), 1);
	ck_assert_int_eq(jsonl_get_number(&r, "n", 1, &x), -1);
	ck_assert_str_eq(r.err, "line 1: field 'n' is null");
	ck_assert_int_eq(jsonl_get_number(&r, "big", 1, &x), -1);
	ck_assert_str_eq(r.err, "line 1: field 'big' is not a finite number");
	ck_assert_int_eq(jsonl_get_flag(&r, "d", 1, &flag), 0);
	ck_assert_int_eq(flag, 1);
	ck_assert_int_eq(jsonl_get_flag(&r, "e", 1, &flag), 0);
	ck_assert_int_eq(flag, 1);
	ck_assert_int_eq(jsonl_get_flag(&r, "f", 1, &flag), -1);
	double *v = NULL;
	size_t n = 0;
	ck_assert_int_eq(jsonl_get_array(&r, "v", 1, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_double_eq(v[1], 2.5);
	free(v);
	ck_assert_int_eq(jsonl_get_array(&r, "w", 1, &v, &n), -1);
	ck_assert_str_eq(r.err, "line 1: field 'w': element 1 is not a finite number");
	ck_assert_int_eq(jsonl_get_array(&r, "r", 1, &v, &n), -1);
	jsonl_reader_free(&r);
	fclose(in);
	free(keep);
}
END_TEST

START_TEST(test_document)
{
	char err[160];
	const char *good = "{\n  \"a\": [1, 2],\r\n  \"b\": \"\xc3\xa9\"\n}\n";
	cJSON *root = jsonl_parse_document(good, strlen(good), 64, err, sizeof err);
	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "a")), 2);
	cJSON_Delete(root);
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"{} {}", "text after the JSON value at byte 3"},
		{"\xef\xbb\xbf{}", "byte order mark"},
		{"{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 6"},
		{"{\"a\":\x01 1}", "control character at byte 5"},
		{"[[[[[[[[[[1]]]]]]]]]]", "nested deeper than 8 levels"},
		{"{\"a\":}", "invalid JSON"},
		{"", "invalid JSON at byte 0"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		ck_assert_ptr_null(jsonl_parse_document(bad[i].text, strlen(bad[i].text), 8, err, sizeof err));
		ck_assert_msg(strstr(err, bad[i].msg), "case %zu: '%s' lacks '%s'", i, err, bad[i].msg);
	}
}
END_TEST

static Suite *jsonl_suite(void)
{
	Suite *s = suite_create("jsonl");
	TCase *tc = tcase_create("jsonl");
	tcase_add_test(tc, test_pass_through_and_append);
	tcase_add_test(tc, test_bad_lines);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_getters);
	tcase_add_test(tc, test_document);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN(jsonl_suite)
