/* Fuzz the JSON Lines reader and writer (lib/jsonl.c).
 *
 * Input: one control byte (the nesting limit: 0..63, or the default), then
 * the lines.  Every record is read with the field getters (number, flag,
 * array) under the field names the RL tools use, then written back with a
 * field appended.
 * Oracle: jsonl_next gives objects only, line numbers that count up, and
 * messages that name the line; a getter either succeeds with a finite value
 * or explains itself; the appended line is the record's bytes up to its
 * closing brace, then the new field, then the rest, and it parses again as
 * an object with one member more whose new member holds the value written. */
#include "fuzz.h"

#include <math.h>

#include "jsonl.h"

static const char *const jsonl_fields_read[] = {"reward", "value", "done", "logp", "advantage", "group", ""};

static void jsonl_check_getters(jsonl_reader *r)
{
	for (size_t i = 0; i < sizeof jsonl_fields_read / sizeof *jsonl_fields_read; i++) {
		const char *f = jsonl_fields_read[i];
		double x = 0;
		int rc = jsonl_get_number(r, f, (int)(i & 1), &x);
		FUZZ_CHECK(rc == 0 ? isfinite(x) : rc == 1 || strncmp(r->err, "line ", 5) == 0,
			   "get_number '%s': %d, %g, '%s'", f, rc, x, r->err);
		int flag = -1;
		rc = jsonl_get_flag(r, f, 0, &flag);
		FUZZ_CHECK(rc != 0 || flag == 0 || flag == 1, "get_flag '%s' gave %d", f, flag);
		double *v = NULL;
		size_t n = 0;
		rc = jsonl_get_array(r, f, (int)(i & 1), &v, &n);
		if (rc == 0) {
			const cJSON *item = cJSON_GetObjectItemCaseSensitive(r->obj, f);
			FUZZ_CHECK(item && (size_t)cJSON_GetArraySize(item) == n, "array '%s' of %zu", f, n);
			for (size_t k = 0; k < n; k++)
				FUZZ_CHECK(isfinite(v[k]), "array '%s' element %zu is %g", f, k, v[k]);
			free(v);
		}
	}
}

static void jsonl_check_append(const jsonl_reader *r, int record)
{
	static const char added[] = "zz fuzz \"added\"";
	if (cJSON_GetObjectItemCaseSensitive(r->obj, added))
		return;
	jsonl_fields f = {0};
	double value = 0.5 + record;
	if (jsonl_fields_number(&f, added, value, 1) != 0) {
		jsonl_fields_free(&f);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	if (!out) {
		jsonl_fields_free(&f);
		return;
	}
	int rc = jsonl_write_appended(out, r->line, r->len, &f);
	fclose(out);
	FUZZ_CHECK(rc == 0, "jsonl_write_appended failed on line %llu", (unsigned long long)r->lineno);
	if (rc == 0) {
		FUZZ_CHECK(len == r->len + f.len + 2 || len == r->len + f.len + 1, "wrote %zu bytes for %zu + %zu", len,
			   r->len, f.len);
		const char *close = strrchr(r->line, '}');
		size_t head = close ? (size_t)(close - r->line) : 0;
		FUZZ_CHECK(close && memcmp(buf, r->line, head) == 0, "the record's bytes were not kept");
		FUZZ_CHECK(len > 0 && buf[len - 1] == '\n', "no newline");
		cJSON *back = cJSON_ParseWithLength(buf, len);
		FUZZ_CHECK(back && cJSON_IsObject(back), "the appended line is not an object: %.*s",
			   (int)(len > 200 ? 200 : len), buf);
		if (back) {
			FUZZ_CHECK(cJSON_GetArraySize(back) == cJSON_GetArraySize(r->obj) + 1, "members %d, before %d",
				   cJSON_GetArraySize(back), cJSON_GetArraySize(r->obj));
			const cJSON *item = cJSON_GetObjectItemCaseSensitive(back, added);
			FUZZ_CHECK(cJSON_IsNumber(item) && item->valuedouble == value, "the new member is missing or wrong");
		}
		cJSON_Delete(back);
	}
	free(buf);
	jsonl_fields_free(&f);
}

static void fuzz_jsonl(const uint8_t *data, size_t size)
{
	unsigned c = fuzz_take_byte(&data, &size);
	char *keep;
	FILE *fp = fuzz_mem_open(data, size, &keep);
	if (!fp)
		return;
	jsonl_reader r;
	jsonl_reader_init(&r, fp, "in");
	if (c < 64)
		r.max_depth = c;
	uint64_t last = 0;
	for (int record = 0;; record++) {
		int rc = jsonl_next(&r);
		FUZZ_CHECK(rc >= -1 && rc <= 1, "jsonl_next returned %d", rc);
		if (rc <= 0) {
			FUZZ_CHECK(rc == 0 || strncmp(r.err, "line ", 5) == 0 || strncmp(r.err, "read error", 10) == 0,
				   "message does not name the line: '%s'", r.err);
			break;
		}
		FUZZ_CHECK(r.lineno > last, "line number %llu after %llu", (unsigned long long)r.lineno,
			   (unsigned long long)last);
		last = r.lineno;
		FUZZ_CHECK(cJSON_IsObject(r.obj), "record %d is not an object", record);
		FUZZ_CHECK(strlen(r.line) == r.len, "line length %zu, strlen %zu", r.len, strlen(r.line));
		jsonl_check_getters(&r);
		jsonl_check_append(&r, record);
	}
	jsonl_reader_free(&r);
	fuzz_mem_close(fp, keep);
}

FUZZ_TARGET(fuzz_jsonl)
