/* jsonl: JSON Lines records, parsed with cJSON, passed through verbatim. */
#include "jsonl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "utf8.h"

static void set_err(jsonl_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(jsonl_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
}

void jsonl_reader_init(jsonl_reader *r, FILE *fp, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name ? name : "stdin";
	r->max_depth = 64;
}

/* One pass over the raw line before cJSON sees it: the nesting depth of
 * brackets outside strings (cJSON recurses once per level), and control
 * bytes, which RFC 8259 allows neither in strings (section 7) nor as white
 * space (section 2: only space, tab, LF, CR) but cJSON's parser skips as
 * blanks.  Returns 0, or -1 with *bad_col the 1-based column of a control
 * byte. */
static int scan_text(const char *s, size_t n, int newlines, size_t *max_depth, size_t *bad_col)
{
	size_t depth = 0, max = 0;
	int in_string = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 && !(!in_string && (c == '\t' || c == '\r' || (newlines && c == '\n')))) {
			*bad_col = i + 1;
			return -1;
		}
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	*max_depth = max;
	return 0;
}

static int all_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int jsonl_next(jsonl_reader *r)
{
	cJSON_Delete(r->obj);
	r->obj = NULL;
	for (;;) {
		errno = 0;
		ssize_t got = getline(&r->line, &r->cap, r->fp);
		if (got < 0) {
			if (ferror(r->fp)) {
				set_err(r, "read error: %s: %s", r->name, strerror(errno));
				return -1;
			}
			return 0;
		}
		r->lineno++;
		size_t len = (size_t)got;
		if (len && r->line[len - 1] == '\n')
			r->line[--len] = '\0';
		r->len = len;
		if (memchr(r->line, '\0', len)) {
			set_err(r, "line %" PRIu64 ": NUL byte in a JSON line", r->lineno);
			return -1;
		}
		if (all_blank(r->line, len))
			continue;
		/* cJSON skips a leading byte order mark; the scanner of lib/jsonscan
		 * does not, and RFC 8259 section 8.1 lets a parser refuse one:
		 * refused here too, so that every tool reads the same records. */
		if (len >= 3 && memcmp(r->line, "\xef\xbb\xbf", 3) == 0) {
			set_err(r, "line %" PRIu64 ": byte order mark before the JSON value", r->lineno);
			return -1;
		}
		size_t bad_utf8 = utf8_invalid_at(r->line, len);
		if (bad_utf8 < len) {
			set_err(r, "line %" PRIu64 ": invalid UTF-8 at column %zu", r->lineno, bad_utf8 + 1);
			return -1;
		}
		size_t depth = 0, bad_col = 0;
		if (scan_text(r->line, len, 0, &depth, &bad_col) != 0) {
			set_err(r, "line %" PRIu64 ": control character at column %zu", r->lineno, bad_col);
			return -1;
		}
		if (depth > r->max_depth) {
			set_err(r, "line %" PRIu64 ": JSON nested deeper than %zu levels", r->lineno, r->max_depth);
			return -1;
		}
		const char *end = NULL;
		r->obj = cJSON_ParseWithLengthOpts(r->line, len, &end, 0);
		if (!r->obj) {
			size_t at = end && end >= r->line && end <= r->line + len ? (size_t)(end - r->line) : 0;
			set_err(r, "line %" PRIu64 ": invalid JSON at column %zu", r->lineno, at + 1);
			return -1;
		}
		if (!all_blank(end, len - (size_t)(end - r->line))) {
			set_err(r, "line %" PRIu64 ": text after the JSON value at column %zu", r->lineno,
				(size_t)(end - r->line) + 1);
			return -1;
		}
		if (!cJSON_IsObject(r->obj)) {
			set_err(r, "line %" PRIu64 ": not a JSON object", r->lineno);
			return -1;
		}
		return 1;
	}
}

void jsonl_reader_free(jsonl_reader *r)
{
	cJSON_Delete(r->obj);
	free(r->line);
	r->obj = NULL;
	r->line = NULL;
}

static const cJSON *field_of(jsonl_reader *r, const char *field, int required, int *rc)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(r->obj, field);
	*rc = 0;
	if (!item || cJSON_IsNull(item)) {
		if (required) {
			set_err(r, "line %" PRIu64 ": field '%s' is %s", r->lineno, field, item ? "null" : "missing");
			*rc = -1;
		} else {
			*rc = 1;
		}
		return NULL;
	}
	return item;
}

int jsonl_get_number(jsonl_reader *r, const char *field, int required, double *out)
{
	int rc;
	const cJSON *item = field_of(r, field, required, &rc);
	if (!item)
		return rc;
	if (!cJSON_IsNumber(item)) {
		set_err(r, "line %" PRIu64 ": field '%s' is not a number", r->lineno, field);
		return -1;
	}
	if (!isfinite(item->valuedouble)) {
		set_err(r, "line %" PRIu64 ": field '%s' is not a finite number", r->lineno, field);
		return -1;
	}
	*out = item->valuedouble;
	return 0;
}

int jsonl_get_flag(jsonl_reader *r, const char *field, int required, int *out)
{
	int rc;
	const cJSON *item = field_of(r, field, required, &rc);
	if (!item)
		return rc;
	if (cJSON_IsBool(item)) {
		*out = cJSON_IsTrue(item);
		return 0;
	}
	if (cJSON_IsNumber(item) && (item->valuedouble == 0 || item->valuedouble == 1)) {
		*out = item->valuedouble != 0;
		return 0;
	}
	set_err(r, "line %" PRIu64 ": field '%s' is not a boolean (true, false, 0 or 1)", r->lineno, field);
	return -1;
}

int jsonl_get_array(jsonl_reader *r, const char *field, int required, double **out, size_t *n)
{
	int rc;
	const cJSON *item = field_of(r, field, required, &rc);
	if (!item)
		return rc;
	if (!cJSON_IsArray(item)) {
		set_err(r, "line %" PRIu64 ": field '%s' is not an array", r->lineno, field);
		return -1;
	}
	size_t count = (size_t)cJSON_GetArraySize(item);
	double *v = malloc((count ? count : 1) * sizeof *v);
	if (!v) {
		set_err(r, "line %" PRIu64 ": out of memory", r->lineno);
		return -1;
	}
	size_t i = 0;
	for (const cJSON *e = item->child; e; e = e->next, i++) {
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
			set_err(r, "line %" PRIu64 ": field '%s': element %zu is not a finite number", r->lineno, field, i);
			free(v);
			return -1;
		}
		v[i] = e->valuedouble;
	}
	*out = v;
	*n = count;
	return 0;
}

/* ---- appending fields -------------------------------------------------- */

static int reserve(jsonl_fields *f, size_t more)
{
	if (more <= f->cap - f->len - 1 && f->cap)
		return 0;
	if (more > SIZE_MAX / 4 - f->len)
		return -1;
	size_t cap = f->cap ? f->cap : 256;
	while (cap < f->len + more + 1)
		cap *= 2;
	char *grown = realloc(f->buf, cap);
	if (!grown)
		return -1;
	f->buf = grown;
	f->cap = cap;
	return 0;
}

static int append(jsonl_fields *f, const char *s, size_t n)
{
	if (reserve(f, n) != 0)
		return -1;
	memcpy(f->buf + f->len, s, n);
	f->len += n;
	f->buf[f->len] = '\0';
	return 0;
}

/* ,"name": with the name escaped as a JSON string (RFC 8259 section 7:
 * '"', '\\' and control bytes), in one reservation: a tool appends a field
 * per record. */
static int append_key(jsonl_fields *f, const char *name)
{
	size_t n = strlen(name);
	if (n > SIZE_MAX / 8 || reserve(f, 6 * n + 4) != 0)
		return -1;
	char *w = f->buf + f->len;
	if (f->len)
		*w++ = ',';
	*w++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20) {
			w += snprintf(w, 7, "\\u%04x", c);
		} else {
			if (c == '"' || c == '\\')
				*w++ = '\\';
			*w++ = (char)c;
		}
	}
	*w++ = '"';
	*w++ = ':';
	*w = '\0';
	f->len = (size_t)(w - f->buf);
	return 0;
}

static int append_number(jsonl_fields *f, double v, int f64)
{
	enum { ROOM = 40 };  /* "%.17g" of a double: 24 bytes at most */
	if (reserve(f, ROOM) != 0)
		return -1;
	char *w = f->buf + f->len;
	int n = isfinite(v) ? io_format_number(w, ROOM, v, f64) : snprintf(w, ROOM, "null");
	f->len += (size_t)n;
	return 0;
}

void jsonl_fields_reset(jsonl_fields *f)
{
	jsonl_fields_truncate(f, 0);
}

void jsonl_fields_truncate(jsonl_fields *f, size_t len)
{
	if (len < f->len) {
		f->len = len;
		f->buf[len] = '\0';
	}
}

void jsonl_fields_free(jsonl_fields *f)
{
	free(f->buf);
	f->buf = NULL;
	f->len = f->cap = 0;
}

int jsonl_fields_value(jsonl_fields *f, double v, int f64)
{
	return append_number(f, v, f64);
}

int jsonl_fields_values(jsonl_fields *f, const double *v, size_t n, int f64)
{
	if (append(f, "[", 1) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i && append(f, ",", 1) != 0) || append_number(f, v[i], f64) != 0)
			return -1;
	return append(f, "]", 1);
}

int jsonl_fields_number(jsonl_fields *f, const char *name, double v, int f64)
{
	return append_key(f, name) != 0 ? -1 : jsonl_fields_value(f, v, f64);
}

int jsonl_fields_array(jsonl_fields *f, const char *name, const double *v, size_t n, int f64)
{
	return append_key(f, name) != 0 ? -1 : jsonl_fields_values(f, v, n, f64);
}

int jsonl_fields_raw(jsonl_fields *f, const char *name, const char *json)
{
	return append_key(f, name) != 0 ? -1 : append(f, json, strlen(json));
}

/* The one rule for appending fields to a record: they go before the final
 * '}' (blanks after it stay after it), after a comma unless the object is
 * empty.  Sets *brace to the offset of that '}' and *comma; -1 if LINE
 * does not end in '}' (the readers never give such a line). */
static inline int insertion_point(const char *line, size_t len, size_t *brace, int *comma)
{
	size_t at = len;
	while (at > 0 && (line[at - 1] == ' ' || line[at - 1] == '\t' || line[at - 1] == '\r'))
		at--;
	if (at == 0 || line[at - 1] != '}')
		return -1;
	*brace = --at;
	*comma = 0;
	for (size_t i = 0; i < at; i++)
		if (line[i] != '{' && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
			*comma = 1;
			break;
		}
	return 0;
}

size_t jsonl_append_to_buffer(char *out, const char *line, size_t len, const jsonl_fields *f)
{
	size_t brace, n = f ? f->len : 0;
	int comma;
	if (insertion_point(line, len, &brace, &comma) != 0)
		return 0;
	char *w = out;
	memcpy(w, line, brace);
	w += brace;
	if (n) {
		if (comma)
			*w++ = ',';
		memcpy(w, f->buf, n);
		w += n;
	}
	memcpy(w, line + brace, len - brace);
	w += len - brace;
	*w++ = '\n';
	return (size_t)(w - out);
}

int jsonl_write_appended(FILE *out, const char *line, size_t len, const jsonl_fields *f)
{
	size_t brace, n = f ? f->len : 0;
	int comma;
	if (insertion_point(line, len, &brace, &comma) != 0)
		return -1;
	if (fwrite(line, 1, brace, out) != brace)
		return -1;
	if (n && ((comma && putc(',', out) == EOF) || fwrite(f->buf, 1, n, out) != n))
		return -1;
	if (fwrite(line + brace, 1, len - brace, out) != len - brace || putc('\n', out) == EOF)
		return -1;
	return 0;
}

cJSON *jsonl_parse_document(const char *text, size_t len, size_t max_depth, char *err, size_t err_len)
{
	size_t depth = 0, bad = 0;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		snprintf(err, err_len, "byte order mark before the JSON value");
		return NULL;
	}
	if ((bad = utf8_invalid_at(text, len)) < len) {
		snprintf(err, err_len, "invalid UTF-8 at byte %zu", bad);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, err_len, "NUL byte in the JSON text");
		return NULL;
	}
	if (scan_text(text, len, 1, &depth, &bad) != 0) {
		snprintf(err, err_len, "control character at byte %zu", bad - 1);
		return NULL;
	}
	if (depth > max_depth) {
		snprintf(err, err_len, "JSON nested deeper than %zu levels", max_depth);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		snprintf(err, err_len, "invalid JSON at byte %zu", at);
		return NULL;
	}
	for (const char *p = end; p < text + len; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			snprintf(err, err_len, "text after the JSON value at byte %zu", (size_t)(p - text));
			cJSON_Delete(root);
			return NULL;
		}
	return root;
}
