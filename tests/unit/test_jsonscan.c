/* Unit tests for lib/jsonscan: the scanner accepts exactly the lines that
 * cJSON's strict parse accepts as one object (where RFC 8259 and cJSON
 * agree; the known differences are listed and follow the RFC), finds the
 * top-level fields through escapes, reports duplicates, stops at the depth
 * limit, reads numbers as strtod does; and lib/jsonl's appender puts fields
 * where jsonl_write_appended does.  Every line is scanned from a buffer of
 * its exact size, with no NUL after it, so the sanitizer build catches a
 * read past the end. */
#include "jsonl.h"
#include "jsonscan.h"
#include "unit.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A copy of n bytes of text in a block of exactly n bytes. */
static char *exact(const char *text, size_t n)
{
	char *p = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, text, n);
	return p;
}

/* jscan's verdict on n bytes of text, with fields (may be NULL). */
static int scan_ok(const char *text, size_t n, jscan *s)
{
	jscan local;
	if (!s) {
		ck_assert_int_eq(jscan_init(&local, NULL, 0), 0);
		s = &local;
	}
	char *line = exact(text, n);
	int rc = jscan_line(s, line, n);
	free(line);
	return rc == 0;
}

/* cJSON's strict verdict: one object, nothing after it but blanks. */
static int cjson_ok(const char *text, size_t n)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(text, n, &end, 0);
	if (!o)
		return 0;
	int ok = cJSON_IsObject(o);
	while (end < text + n && (*end == ' ' || *end == '\t' || *end == '\r'))
		end++;
	cJSON_Delete(o);
	return ok && end == text + n;
}

typedef struct verdict {
	const char *text;
	int valid;
} verdict;

/* Lines on which RFC 8259, cJSON and the scanner agree. */
static const verdict agreed[] = {
	{ "{}", 1 },
	{ "  {}  ", 1 },
	{ "\t{ }\r", 1 },
	{ "{\"a\":1}", 1 },
	{ "{\"\":1}", 1 },
	{ "{\"a\":-0}", 1 },
	{ "{\"a\":0.5}", 1 },
	{ "{\"a\":1E+2}", 1 },
	{ "{\"a\":-1.25e-7}", 1 },
	{ "{\"a\":[]}", 1 },
	{ "{\"a\":[1,[2,{\"b\":[]}],\"x\"]}", 1 },
	{ "{\"a\":{\"b\":{\"c\":null}}}", 1 },
	{ "{\"a\":true,\"b\":false,\"c\":null}", 1 },
	{ "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", 1 },
	{ "{\"a\":\"\\u00e9\\uD83D\\uDE00\"}", 1 },
	{ "{\"a\":\"\xc3\xa9\x7f\"}", 1 },
	{ "{\"a\" : 1 , \"b\" : [ 1 , 2 ] }", 1 },
	{ "{\"a\":1,\"a\":2}", 1 },
	{ "", 0 },
	{ "   ", 0 },
	{ "[1]", 0 },
	{ "1", 0 },
	{ "\"a\"", 0 },
	{ "null", 0 },
	{ "{", 0 },
	{ "}", 0 },
	{ "{\"a\"}", 0 },
	{ "{\"a\" 1}", 0 },
	{ "{\"a\":}", 0 },
	{ "{\"a\":1,}", 0 },
	{ "{,}", 0 },
	{ "{a:1}", 0 },
	{ "{'a':1}", 0 },
	{ "{\"a\":[1,]}", 0 },
	{ "{\"a\":[1 2]}", 0 },
	{ "{\"a\":1 2}", 0 },
	{ "{\"a\":-}", 0 },
	{ "{\"a\":1e}", 0 },
	{ "{\"a\":1.5e}", 0 },
	{ "{\"a\":1e5.5}", 0 },
	{ "{\"a\":.5}", 0 },
	{ "{\"a\":+1}", 0 },
	{ "{\"a\":0x10}", 0 },
	{ "{\"a\":NaN}", 0 },
	{ "{\"a\":-Infinity}", 0 },
	{ "{\"a\":Infinity}", 0 },
	{ "{\"a\":tru}", 0 },
	{ "{\"a\":nul}", 0 },
	{ "{\"a\":True}", 0 },
	{ "{\"a\":\"x}", 0 },
	{ "{\"a\":\"\\x\"}", 0 },
	{ "{\"a\":\"\\u12\"}", 0 },
	{ "{\"a\":1}x", 0 },
	{ "{\"a\":1}{}", 0 },
	{ "{\"a\":1}}", 0 },
	{ "{\"a\":[1}", 0 },
	{ "{\"a\":{\"b\":1]}", 0 },
};

/* Where cJSON is more lenient, or stricter, than RFC 8259; the scanner
 * follows the RFC.  (lib/jsonl.c rejects control bytes itself before
 * cJSON sees a line.) */
static const verdict rfc_not_cjson[] = {
	{ "{\"a\":01}", 0 },           /* section 6: no leading zeros */
	{ "{\"a\":00}", 0 },
	{ "{\"a\":-01}", 0 },
	{ "{\"a\":1.}", 0 },           /* a digit after the point */
	{ "{\"a\":\"\x01\"}", 0 },     /* section 7: control characters escaped */
	{ "{\"a\":\"\x1f\"}", 0 },
	{ "{\x01\"a\":1}", 0 },        /* section 2: only space, tab, LF, CR */
	{ "\x0c{\"a\":1}", 0 },
	{ "{\"a\":\"\\u12g4\"}", 0 },  /* section 7: four hex digits */
	{ "{\"a\":\"\\ud800\"}", 1 },  /* section 8.2: unpaired surrogates */
	{ "{\"a\":\"\\udc00x\"}", 1 }, /* are grammatical */
};

START_TEST(test_agrees_with_cjson)
{
	for (size_t i = 0; i < sizeof agreed / sizeof *agreed; i++) {
		const char *t = agreed[i].text;
		size_t n = strlen(t);
		ck_assert_msg(cjson_ok(t, n) == agreed[i].valid, "cJSON on %s", t);
		ck_assert_msg(scan_ok(t, n, NULL) == agreed[i].valid, "jscan on %s", t);
	}
}
END_TEST

START_TEST(test_rfc_where_cjson_differs)
{
	for (size_t i = 0; i < sizeof rfc_not_cjson / sizeof *rfc_not_cjson; i++) {
		const char *t = rfc_not_cjson[i].text;
		size_t n = strlen(t);
		ck_assert_msg(cjson_ok(t, n) != rfc_not_cjson[i].valid, "cJSON now agrees on %s", t);
		ck_assert_msg(scan_ok(t, n, NULL) == rfc_not_cjson[i].valid, "jscan on %s", t);
	}
}
END_TEST

/* Every proper prefix of an object is invalid, for both. */
START_TEST(test_every_prefix_rejected)
{
	for (size_t i = 0; i < sizeof agreed / sizeof *agreed; i++) {
		if (!agreed[i].valid)
			continue;
		const char *t = agreed[i].text;
		size_t n = strlen(t);
		while (n && strchr(" \t\r", t[n - 1]))
			n--;
		for (size_t cut = 0; cut < n; cut++) {
			ck_assert_msg(!cjson_ok(t, cut), "cJSON on %.*s", (int)cut, t);
			ck_assert_msg(!scan_ok(t, cut, NULL), "jscan on %.*s", (int)cut, t);
		}
	}
}
END_TEST

START_TEST(test_nul_bytes)
{
	static const char *const lines[] = { "{\"a\":\"x\0y\"}", "{\0}", "{\"a\":1}\0", "{\"a\0\":1}" };
	static const size_t lens[] = { 11, 3, 8, 9 };
	for (size_t i = 0; i < 4; i++)
		ck_assert_msg(!scan_ok(lines[i], lens[i], NULL), "line %zu", i);
	jscan s;
	ck_assert_int_eq(jscan_init(&s, NULL, 0), 0);
	char *line = exact("{\"a\":\"x\0y\"}", 11);
	ck_assert_int_eq(jscan_line(&s, line, 11), -1);
	ck_assert_ptr_eq(s.bad, line + 7);
	ck_assert_str_eq(s.why, "control character in a string");
	free(line);
}
END_TEST

/* n levels: an object holding n - 1 nested arrays. */
static char *nested(int n, size_t *len)
{
	char *t = malloc((size_t)n * 2 + 8);
	ck_assert_ptr_nonnull(t);
	size_t k = 0;
	k += (size_t)sprintf(t, "{\"a\":");
	for (int i = 1; i < n; i++)
		t[k++] = '[';
	for (int i = 1; i < n; i++)
		t[k++] = ']';
	t[k++] = '}';
	*len = k;
	return t;
}

/* The limit is lib/jsonl.c's: 64 levels read, 65 refused. */
START_TEST(test_depth_limit)
{
	size_t n;
	char *t = nested(JSCAN_MAX_DEPTH, &n);
	ck_assert(scan_ok(t, n, NULL));
	ck_assert(cjson_ok(t, n));
	free(t);
	t = nested(JSCAN_MAX_DEPTH + 1, &n);
	jscan s;
	ck_assert_int_eq(jscan_init(&s, NULL, 0), 0);
	char *line = exact(t, n);
	ck_assert_int_eq(jscan_line(&s, line, n), -1);
	ck_assert_str_eq(s.why, "nested deeper than 64 levels");
	free(line);
	/* the same line through lib/jsonl's reader */
	char *text = malloc(n + 2);
	memcpy(text, t, n);
	memcpy(text + n, "\n", 2);
	FILE *in = fmemopen(text, n + 1, "rb");
	jsonl_reader r;
	jsonl_reader_init(&r, in, "t");
	ck_assert_int_eq(jsonl_next(&r), -1);
	ck_assert_ptr_nonnull(strstr(r.err, "deeper than 64"));
	jsonl_reader_free(&r);
	fclose(in);
	free(text);
	free(t);
	/* deep but wide: 10,000 siblings at level 2 */
	char *wide = malloc(40008);
	size_t k = (size_t)sprintf(wide, "{\"a\":[");
	for (int i = 0; i < 10000; i++)
		k += (size_t)sprintf(wide + k, i ? ",[]" : "[]");
	k += (size_t)sprintf(wide + k, "]}");
	ck_assert(scan_ok(wide, k, NULL));
	free(wide);
}
END_TEST

enum { W_REWARD, W_GROUP, W_QUOTE, W_SMILE, W_SLASH, W_N };

static void want(jscan *s, jscan_field *f)
{
	static const char *const names[W_N] = { "reward", "group", "re\"w", "\xf0\x9f\x98\x80", "a/b" };
	for (int k = 0; k < W_N; k++)
		f[k] = (jscan_field){ .name = names[k] };
	ck_assert_int_eq(jscan_init(s, f, W_N), 0);
}

/* Scan text from an exact copy kept in *keep (the previous one freed):
 * the spans point into it. */
static void scan_text(jscan *s, const char *text, char **keep)
{
	size_t n = strlen(text);
	free(*keep);
	*keep = exact(text, n);
	ck_assert_msg(jscan_line(s, *keep, n) == 0, "%s: %s", text, s->why);
}

/* The value's text as a string, for comparisons. */
static const char *text_of(const jscan_field *f, char *buf, size_t cap)
{
	if (!f->value.text)
		return "(absent)";
	snprintf(buf, cap, "%.*s", (int)f->value.len, f->value.text);
	return buf;
}

START_TEST(test_escaped_keys)
{
	char *keep = NULL;
	jscan s;
	jscan_field f[W_N];
	char buf[64];
	want(&s, f);
	scan_text(&s, "{\"\\u0072eward\":1,\"gro\\u0075p\":\"g\",\"re\\\"w\":2,\"\\ud83d\\ude00\":3,\"a\\/b\":4}", &keep);
	ck_assert_str_eq(text_of(&f[W_REWARD], buf, sizeof buf), "1");
	ck_assert_str_eq(text_of(&f[W_GROUP], buf, sizeof buf), "\"g\"");
	ck_assert_str_eq(text_of(&f[W_QUOTE], buf, sizeof buf), "2");
	ck_assert_str_eq(text_of(&f[W_SMILE], buf, sizeof buf), "3");
	ck_assert_str_eq(text_of(&f[W_SLASH], buf, sizeof buf), "4");
	ck_assert_ptr_null(s.dup);
	/* near misses: a longer, a shorter, a nested, an unescaped-slash key */
	scan_text(&s, "{\"\\u0072ewards\":1,\"rewar\\u0064\\u0000\":2,\"x\":{\"reward\":3},\"rewarD\":4,\"a\\\\/b\":5}", &keep);
	for (int k = 0; k < W_N; k++)
		ck_assert_ptr_null(f[k].value.text);
	/* a lone surrogate key matches no UTF-8 name, and does not fail */
	scan_text(&s, "{\"\\ud83d\":1,\"\\ude00\":2}", &keep);
	ck_assert_ptr_null(f[W_SMILE].value.text);
	free(keep);
}
END_TEST

START_TEST(test_duplicate_keys)
{
	char *keep = NULL;
	jscan s;
	jscan_field f[W_N];
	want(&s, f);
	scan_text(&s, "{\"reward\":1,\"group\":2,\"reward\":3}", &keep);
	ck_assert_str_eq(s.dup, "reward");
	ck_assert_int_eq(f[W_REWARD].value.text[0], '3');  /* the last one given */
	scan_text(&s, "{\"reward\":1,\"\\u0072eward\":3}", &keep);
	ck_assert_str_eq(s.dup, "reward");
	/* duplicates of other keys, or inside nested objects, are valid JSON */
	scan_text(&s, "{\"x\":1,\"x\":2,\"reward\":1,\"o\":{\"reward\":1,\"reward\":2}}", &keep);
	ck_assert_ptr_null(s.dup);
	/* and the scanner is reset between lines */
	scan_text(&s, "{\"group\":1}", &keep);
	ck_assert_ptr_null(s.dup);
	ck_assert_ptr_null(f[W_REWARD].value.text);
	free(keep);
}
END_TEST

START_TEST(test_values_and_types)
{
	char *keep = NULL;
	jscan_field f[] = { { .name = "s" }, { .name = "n" }, { .name = "t" }, { .name = "f" }, { .name = "z" },
		{ .name = "a" }, { .name = "o" }, { .name = "s" } };
	static const enum jscan_type types[] = { JSCAN_STRING, JSCAN_NUMBER, JSCAN_TRUE, JSCAN_FALSE, JSCAN_NULL,
		JSCAN_ARRAY, JSCAN_OBJECT, JSCAN_STRING };
	static const char *const texts[] = { "\"x\\\"}y\"", "-1.5e3", "true", "false", "null",
		"[1, [2] ,{\"k\":[]}]", "{\"k\" : 1}", "\"x\\\"}y\"" };
	jscan s;
	char buf[64];
	ck_assert_int_eq(jscan_init(&s, f, 8), 0);
	scan_text(&s, "{ \"s\" : \"x\\\"}y\" ,\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,"
		"\"a\":[1, [2] ,{\"k\":[]}],\"o\":{\"k\" : 1} }", &keep);
	for (size_t k = 0; k < 8; k++) {
		ck_assert_int_eq(f[k].value.type, types[k]);
		ck_assert_str_eq(text_of(&f[k], buf, sizeof buf), texts[k]);
	}
	ck_assert_ptr_null(s.dup);  /* two wanted entries for one key are not a duplicate */
	/* the elements of the array, nested ones whole */
	jscan_iter it;
	jscan_value e;
	ck_assert_int_eq(jscan_array(&it, &f[5].value), 0);
	ck_assert(jscan_next(&it, &e) && e.type == JSCAN_NUMBER && e.len == 1);
	ck_assert(jscan_next(&it, &e) && e.type == JSCAN_ARRAY && e.len == 3);
	ck_assert(jscan_next(&it, &e) && e.type == JSCAN_OBJECT && e.len == 8);
	ck_assert(!jscan_next(&it, &e));
	ck_assert_int_eq(jscan_array(&it, &f[6].value), -1);
	jscan_field empty = { .name = "a" };
	ck_assert_int_eq(jscan_init(&s, &empty, 1), 0);
	scan_text(&s, "{\"a\":[ ]}", &keep);
	ck_assert_int_eq(jscan_array(&it, &empty.value), 0);
	ck_assert(!jscan_next(&it, &e));
	free(keep);
}
END_TEST

START_TEST(test_init_limits)
{
	char *keep = NULL;
	jscan s;
	jscan_field f[JSCAN_MAX_FIELDS + 1];
	char names[JSCAN_MAX_FIELDS + 1][16];
	for (int k = 0; k <= JSCAN_MAX_FIELDS; k++) {
		snprintf(names[k], sizeof names[k], "f%d", k);
		f[k] = (jscan_field){ .name = names[k] };
	}
	ck_assert_int_eq(jscan_init(&s, f, JSCAN_MAX_FIELDS), 0);
	scan_text(&s, "{\"f15\":15,\"f0\":0,\"f16\":16}", &keep);
	ck_assert_int_eq(f[15].value.text[0], '1');
	ck_assert_int_eq(f[0].value.text[0], '0');
	ck_assert_int_eq(jscan_init(&s, f, JSCAN_MAX_FIELDS + 1), -1);
	f[0].name = "";
	ck_assert_int_eq(jscan_init(&s, f, 1), -1);
	free(keep);
}
END_TEST

/* Correctly rounded, as strtod: the fast path and its edges. */
START_TEST(test_numbers_as_strtod)
{
	static const char *const fixed[] = {
		"0", "-0", "1", "0.1", "0.3", "123456789012345", "1234567890123456", "0.000000000000000000001",
		"0.0000000000000000000001", "0.00000000000000000000001", "9007199254740993", "1e22", "1e23",
		"1.7976931348623157e308", "1e309", "-1e309", "4.9e-324", "2.2250738585072014e-308", "100000000000000000000",
		"0.1000000000000000055511151231257827", "3.14159265358979", "-2.5E-3",
	};
	char text[64];
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		snprintf(text, sizeof text, "%s}", fixed[i]);
		double want_v = strtod(fixed[i], NULL), got = jscan_number(text);
		ck_assert_msg(memcmp(&want_v, &got, sizeof got) == 0, "%s: %.17g, strtod %.17g", fixed[i], got, want_v);
	}
	/* random JSON numbers: 1 to 17 digits, the point anywhere, some with
	 * an exponent */
	uint64_t x = 88172645463325252u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;  /* xorshift64 (Marsaglia 2003) */
		int digits = 1 + (int)(x % 17), int_len = (int)((x >> 8) % (uint64_t)(digits + 1));
		uint64_t d = x >> 12;
		size_t k = 0;
		if (x >> 63)
			text[k++] = '-';
		if (int_len == 0)
			text[k++] = '0';
		for (int j = 0; j < int_len; j++, d /= 10)
			text[k++] = (char)(j == 0 ? '1' + d % 9 : '0' + d % 10);
		if (int_len < digits)
			text[k++] = '.';
		for (int j = int_len; j < digits; j++, d /= 10)
			text[k++] = (char)('0' + d % 10);
		if (((x >> 20) & 3) == 0)
			k += (size_t)snprintf(text + k, 8, "e%c%d", (x >> 22) & 1 ? '-' : '+', (int)((x >> 23) % 330));
		text[k] = '}';
		text[k + 1] = '\0';
		double want_v = strtod(text, NULL), got = jscan_number(text);
		if (memcmp(&want_v, &got, sizeof got) != 0)  /* libcheck's asserts are slow in a loop */
			ck_abort_msg("%s: %.17g, strtod %.17g", text, got, want_v);
	}
}
END_TEST

static void sum_each(void *ctx, double v, size_t k)
{
	double *sum = ctx;
	*sum += v * (double)(k + 1);
}

START_TEST(test_typed_values)
{
	char *keep = NULL;
	jscan_field f[] = { { .name = "n" }, { .name = "b" }, { .name = "a" }, { .name = "z" } };
	jscan s;
	char err[128];
	double v;
	int flag;
	ck_assert_int_eq(jscan_init(&s, f, 4), 0);
	scan_text(&s, "{\"n\":2.5,\"b\":true,\"a\":[1,2,3],\"z\":null}", &keep);
	ck_assert_int_eq(jscan_get_number(&f[0], &v, err, sizeof err), 0);
	ck_assert_double_eq(v, 2.5);
	ck_assert_int_eq(jscan_get_flag(&f[1], &flag, err, sizeof err), 0);
	ck_assert_int_eq(flag, 1);
	double sum = 0;
	ck_assert_int_eq(jscan_get_numbers(&f[2], sum_each, &sum, err, sizeof err), 3);
	ck_assert_double_eq(sum, 14);
	ck_assert_int_eq(jscan_get_number(&f[3], &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'z' is null");
	ck_assert_int_eq(jscan_get_number(&f[1], &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'b' is not a number");
	ck_assert_int_eq(jscan_get_flag(&f[0], &flag, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'n' is not a boolean (true, false, 0 or 1)");
	ck_assert_int_eq(jscan_get_numbers(&f[0], sum_each, &sum, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'n' is not an array");
	scan_text(&s, "{\"n\":1e999,\"b\":0,\"a\":[1,\"2\"]}", &keep);
	ck_assert_int_eq(jscan_get_number(&f[0], &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'n' is not a finite number");
	ck_assert_int_eq(jscan_get_flag(&f[1], &flag, err, sizeof err), 0);
	ck_assert_int_eq(flag, 0);
	ck_assert_int_eq(jscan_get_numbers(&f[2], sum_each, &sum, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'a': element 1 is not a number");
	ck_assert_int_eq(jscan_get_number(&f[3], &v, err, sizeof err), -1);
	ck_assert_str_eq(err, "field 'z' is missing");
	free(keep);
}
END_TEST

/* jsonl_append_to_buffer writes what jsonl_write_appended writes. */
START_TEST(test_append_to_buffer)
{
	static const char *const lines[] = {
		"{}", " { } ", "{\"a\":1}", "{\"a\":{\"b\":{}}}\r", "  {\"s\":\"}\"}\t", "{\"x\":[1,{}] }",
	};
	jsonl_fields f = { 0 };
	ck_assert_int_eq(jsonl_fields_raw(&f, "adv", ""), 0);
	size_t mark = f.len;
	ck_assert_int_eq(jsonl_fields_value(&f, 0.1, 0), 0);
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		size_t n = strlen(lines[i]);
		ck_assert(scan_ok(lines[i], n, NULL));
		char *line = exact(lines[i], n);
		char *want_text = NULL, *got = malloc(n + f.len + 2);
		size_t want_len = 0;
		FILE *o = open_memstream(&want_text, &want_len);
		ck_assert_int_eq(jsonl_write_appended(o, line, n, &f), 0);
		fclose(o);
		size_t got_len = jsonl_append_to_buffer(got, line, n, &f);
		ck_assert_uint_eq(got_len, want_len);
		ck_assert(memcmp(got, want_text, got_len) == 0);
		ck_assert(scan_ok(got, got_len - 1, NULL));
		free(want_text);
		free(got);
		free(line);
	}
	char out[64];
	size_t len = jsonl_append_to_buffer(out, "{\"a\":1}", 7, &f);
	ck_assert_str_eq((out[len] = '\0', out), "{\"a\":1,\"adv\":0.100000001}\n");
	len = jsonl_append_to_buffer(out, "{}", 2, &f);
	ck_assert_str_eq((out[len] = '\0', out), "{\"adv\":0.100000001}\n");
	jsonl_fields_truncate(&f, mark);
	double adv[] = { 1, -0.5 };
	ck_assert_int_eq(jsonl_fields_values(&f, adv, 2, 0), 0);
	len = jsonl_append_to_buffer(out, "{ }", 3, &f);
	ck_assert_str_eq((out[len] = '\0', out), "{ \"adv\":[1,-0.5]}\n");
	ck_assert_uint_eq(jsonl_append_to_buffer(out, "[1]", 3, &f), 0);
	jsonl_fields_free(&f);
}
END_TEST

static Suite *jsonscan_suite(void)
{
	Suite *s = suite_create("jsonscan");
	TCase *grammar = tcase_create("grammar");
	tcase_add_test(grammar, test_agrees_with_cjson);
	tcase_add_test(grammar, test_rfc_where_cjson_differs);
	tcase_add_test(grammar, test_every_prefix_rejected);
	tcase_add_test(grammar, test_nul_bytes);
	tcase_add_test(grammar, test_depth_limit);
	suite_add_tcase(s, grammar);
	TCase *fields = tcase_create("fields");
	tcase_add_test(fields, test_escaped_keys);
	tcase_add_test(fields, test_duplicate_keys);
	tcase_add_test(fields, test_values_and_types);
	tcase_add_test(fields, test_init_limits);
	tcase_add_test(fields, test_numbers_as_strtod);
	tcase_add_test(fields, test_typed_values);
	suite_add_tcase(s, fields);
	TCase *append = tcase_create("append");
	tcase_add_test(append, test_append_to_buffer);
	suite_add_tcase(s, append);
	return s;
}

UNIT_MAIN(jsonscan_suite)
