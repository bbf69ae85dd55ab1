/* jsonscan: validating scanner for JSON Lines records (see jsonscan.h).
 *
 * A recursive descent over the grammar of RFC 8259 section 2-7.  The
 * functions take the cursor and return the cursor after what they read, or
 * NULL with s->bad and s->why set.  Speed: a cJSON tree per line costs more
 * than everything else grpo-adv does (tests/bench/grpo-adv.sh), so strings
 * are skipped sixteen bytes at a time and the leaf functions are forced
 * inline into the object and value loops, where a call costs more than the
 * work on a short key; the container functions are kept out of line, which
 * measured faster than one large recursive scan_value. */
#include "jsonscan.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define HOT inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))

static const char *fail_at(jscan *s, const char *at, const char *why)
{
	s->bad = at;
	s->why = why;
	return NULL;
}

/* RFC 8259 section 2: ws = space, tab, LF, CR; a line holds no LF. */
static HOT const char *skip_ws(const char *p, const char *end)
{
	/* the usual case first: no blank at all */
	if (p < end && (unsigned char)*p > ' ')
		return p;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

static HOT int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ---- strings ------------------------------------------------------------ */

/* Bytes that end the plain run of a string: '"', '\\' and the controls
 * U+0000 to U+001F (RFC 8259 section 7). */
static HOT int string_stop(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* The plain run of a string from p: sixteen bytes at a time with SSE2,
 * eight at a time where the byte order allows (the "haszero" and "hasless"
 * bit tricks of Sean Anderson's Bit Twiddling Hacks; the lowest flagged
 * byte is exact). */
static HOT const char *skip_plain(const char *p, const char *end)
{
#if defined(__SSE2__)
	/* '"', '\\', or a byte <= 0x1f (max(b, 0x1f) == 0x1f) */
	const __m128i quote = _mm_set1_epi8('"'), slash = _mm_set1_epi8('\\');
	const __m128i control = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, slash)),
			_mm_cmpeq_epi8(_mm_max_epu8(w, control), control));
		int mask = _mm_movemask_epi8(stop);
		if (mask)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof w);
		uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
		uint64_t stop = ((quote - ones) & ~quote) | ((slash - ones) & ~slash)
			| ((w - ones * 0x20) & ~w);
		stop &= highs;
		if (stop)
			return p + (__builtin_ctzll(stop) >> 3);
		p += 8;
	}
#endif
	while (p < end && !string_stop((unsigned char)*p))
		p++;
	return p;
}

/* A string at p (a '"'); *escaped is set when it holds escapes. */
static HOT const char *scan_string(jscan *s, const char *p, int *escaped)
{
	const char *end = s->end;
	for (p++;;) {
		p = skip_plain(p, end);
		if (p >= end)
			return fail_at(s, p, "unterminated string");
		if (*p == '"')
			return p + 1;
		if (*p != '\\')
			return fail_at(s, p, "control character in a string");
		*escaped = 1;
		if (p + 1 >= end)
			return fail_at(s, p, "unterminated string");
		if (p[1] != '\0' && strchr("\"\\/bfnrt", p[1])) {
			p += 2;
		} else if (p[1] == 'u') {
			for (int k = 2; k < 6; k++)
				if (p + k >= end || hex_value(p[k]) < 0)
					return fail_at(s, p, "bad \\u escape");
			p += 6;
		} else {
			return fail_at(s, p, "bad escape");
		}
	}
}

/* ---- keys ----------------------------------------------------------------- */

static unsigned long hex4(const char *p)
{
	unsigned long v = 0;
	for (int d = 0; d < 4; d++)
		v = v * 16 + (unsigned long)hex_value(p[d]);
	return v;
}

/* The character of a checked string's body k[0 .. n) at *i, as UTF-8 in
 * out; advances *i past it and returns its byte count.  A \u escape of a
 * high surrogate followed by one of a low surrogate is one character
 * (RFC 8259 section 7); a lone surrogate is encoded as it stands. */
static size_t key_char(const char *k, size_t n, size_t *i, char out[4])
{
	if (k[*i] != '\\') {
		out[0] = k[(*i)++];
		return 1;
	}
	char e = k[*i + 1];
	if (e != 'u') {
		static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
		out[0] = to[strchr(from, e) - from];
		*i += 2;
		return 1;
	}
	unsigned long cp = hex4(k + *i + 2);
	*i += 6;
	if (cp >= 0xd800 && cp < 0xdc00 && *i + 6 <= n && k[*i] == '\\' && k[*i + 1] == 'u') {
		unsigned long lo = hex4(k + *i + 2);
		if (lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			*i += 6;
		}
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The decoded length of an escaped key, and its first byte. */
static size_t decoded_length(const char *k, size_t n, char *first)
{
	size_t len = 0;
	char c[4];
	for (size_t i = 0; i < n;) {
		size_t got = key_char(k, n, &i, c);
		if (len == 0)
			*first = c[0];
		len += got;
	}
	return len;
}

/* Does the escaped key k[0 .. n) decode to name (of its decoded length)? */
static int escaped_key_is(const char *k, size_t n, const char *name)
{
	char c[4];
	size_t at = 0;
	for (size_t i = 0; i < n;) {
		size_t got = key_char(k, n, &i, c);
		if (memcmp(name + at, c, got) != 0)
			return 0;
		at += got;
	}
	return 1;
}

/* memcmp(a, b, n) == 0 for the short keys of a record, without a call:
 * whole words, the last one overlapping the one before. */
static HOT int same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t wa, wb;
	uint32_t ha, hb;
	if (n >= 8) {
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&wa, a + i, 8);
			memcpy(&wb, b + i, 8);
			if (wa != wb)
				return 0;
		}
		memcpy(&wa, a + n - 8, 8);
		memcpy(&wb, b + n - 8, 8);
		return wa == wb;
	}
	if (n >= 4) {
		memcpy(&ha, a, 4);
		memcpy(&hb, b, 4);
		if (ha != hb)
			return 0;
		memcpy(&ha, a + n - 4, 4);
		memcpy(&hb, b + n - 4, 4);
		return ha == hb;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Where a name of n bytes starting with c is kept (n > 0): open
 * addressing, linear probing; at most half the slots are used. */
static HOT size_t key_slot(size_t n, char c)
{
	return (n * 7 + (unsigned char)c) % JSCAN_SLOTS;
}

/* The wanted field a top-level key names, or NULL.  The key is the body of
 * a checked string, n bytes, with escapes if escaped. */
static HOT jscan_field *match_key(jscan *s, const char *key, size_t n, int escaped)
{
	char first = n ? key[0] : 0;
	size_t len = escaped ? decoded_length(key, n, &first) : n;
	if (len == 0)
		return NULL;
	for (size_t j = key_slot(len, first);; j = (j + 1) % JSCAN_SLOTS) {
		jscan_field *f = s->slot[j];
		if (!f)
			return NULL;
		if (f->name_len == len && (escaped ? escaped_key_is(key, n, f->name) : same_bytes(f->name, key, n)))
			return f;
	}
}

int jscan_init(jscan *s, jscan_field *fields, size_t n)
{
	memset(s, 0, sizeof *s);
	if (n > JSCAN_MAX_FIELDS)
		return -1;
	s->fields = fields;
	s->n_fields = n;
	for (size_t k = 0; k < n; k++) {
		jscan_field *f = &fields[k];
		f->name_len = strlen(f->name);
		f->alias = NULL;
		f->value.text = NULL;
		if (f->name_len == 0)
			return -1;
		size_t j = key_slot(f->name_len, f->name[0]);
		while (s->slot[j] && !(s->slot[j]->name_len == f->name_len
		       && memcmp(s->slot[j]->name, f->name, f->name_len) == 0))
			j = (j + 1) % JSCAN_SLOTS;
		if (!s->slot[j]) {
			s->slot[j] = f;
		} else {
			jscan_field *last = s->slot[j];
			while (last->alias)
				last = last->alias;
			last->alias = f;
		}
	}
	return 0;
}

/* ---- numbers and literals ------------------------------------------------- */

static HOT const char *skip_digits(const char *p, const char *end)
{
	while (p < end && is_digit(*p))
		p++;
	return p;
}

/* RFC 8259 section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static HOT const char *scan_number(jscan *s, const char *p)
{
	const char *start = p, *end = s->end;
	if (*p == '-')
		p++;
	if (p < end && *p == 'I')
		return fail_at(s, start, "NaN and Infinity are not JSON numbers");
	if (p >= end || !is_digit(*p))
		return fail_at(s, p, "invalid number");
	p = *p == '0' ? p + 1 : skip_digits(p, end);
	if (p < end && *p == '.') {
		if (++p >= end || !is_digit(*p))
			return fail_at(s, p, "invalid number");
		p = skip_digits(p, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return fail_at(s, p, "invalid number");
		p = skip_digits(p, end);
	}
	return p;
}

static HOT const char *scan_literal(jscan *s, const char *p, const char *word, size_t n)
{
	if ((size_t)(s->end - p) < n || memcmp(p, word, n) != 0)
		return fail_at(s, p, "invalid literal");
	return p + n;
}

static const double exact_pow10[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Clinger's fast path (W. D. Clinger, "How to read floating point numbers
 * accurately", PLDI 1990): up to 15 significant digits and a power of ten
 * up to 22 are both exact in double, so one division rounds correctly;
 * anything else (exponents, long mantissas) goes to strtod. */
double jscan_number(const char *text)
{
	const char *q = text;
	int neg = *q == '-';
	q += neg;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0;
	for (; is_digit(*q); q++)
		if (mant || *q != '0') {
			mant = mant * 10 + (uint64_t)(*q - '0');
			if (++digits > 15)
				return strtod(text, NULL);
		}
	if (*q == '.')
		for (q++; is_digit(*q); q++) {
			exp10--;
			if (mant || *q != '0') {
				mant = mant * 10 + (uint64_t)(*q - '0');
				if (++digits > 15)
					return strtod(text, NULL);
			}
		}
	if (*q == 'e' || *q == 'E' || exp10 < -22)
		return strtod(text, NULL);
	double v = (double)mant;
	if (exp10 < 0)
		v /= exact_pow10[-exp10];
	return neg ? -v : v;
}

/* ---- values ------------------------------------------------------------- */

static const char *scan_value(jscan *s, const char *p, int depth, enum jscan_type *type);

static NOINLINE const char *scan_array(jscan *s, const char *p, int depth)
{
	enum jscan_type t;
	p = skip_ws(p + 1, s->end);
	if (p < s->end && *p == ']')
		return p + 1;
	for (;;) {
		if (!(p = scan_value(s, p, depth + 1, &t)))
			return NULL;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',')
			p = skip_ws(p + 1, s->end);
		else if (p < s->end && *p == ']')
			return p + 1;
		else
			return fail_at(s, p, "expected ',' or ']'");
	}
}

static void keep_value(jscan *s, jscan_field *want, const char *val, const char *after, enum jscan_type t)
{
	for (; want; want = want->alias) {
		if (want->value.text && !s->dup)
			s->dup = want->name;
		want->value = (jscan_value){ val, (size_t)(after - val), t };
	}
}

static NOINLINE const char *scan_object(jscan *s, const char *p, int depth)
{
	enum jscan_type t;
	const char *end = s->end;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		int escaped = 0;
		if (p >= end || *p != '"')
			return fail_at(s, p, "expected a key");
		const char *key = p + 1;
		if (!(p = scan_string(s, p, &escaped)))
			return NULL;
		jscan_field *want = depth == 1 ? match_key(s, key, (size_t)(p - 1 - key), escaped) : NULL;
		p = skip_ws(p, end);
		if (p >= end || *p != ':')
			return fail_at(s, p, "expected ':'");
		const char *val = p = skip_ws(p + 1, end);
		/* scalars inline, containers by the recursive call */
		if (p < end && *p == '"') {
			t = JSCAN_STRING;
			p = scan_string(s, p, &escaped);
		} else if (p < end && (is_digit(*p) || *p == '-')) {
			t = JSCAN_NUMBER;
			p = scan_number(s, p);
		} else {
			p = scan_value(s, p, depth + 1, &t);
		}
		if (!p)
			return NULL;
		if (want)
			keep_value(s, want, val, p, t);
		p = skip_ws(p, end);
		if (p < end && *p == ',')
			p = skip_ws(p + 1, end);
		else if (p < end && *p == '}')
			return p + 1;
		else
			return fail_at(s, p, "expected ',' or '}'");
	}
}

static const char *scan_value(jscan *s, const char *p, int depth, enum jscan_type *type)
{
	if (p >= s->end)
		return fail_at(s, p, "unexpected end of line");
	if (depth > JSCAN_MAX_DEPTH)
		return fail_at(s, p, "nested deeper than 64 levels");
	int escaped;
	switch (*p) {
	case '"': *type = JSCAN_STRING; return scan_string(s, p, &escaped);
	case '{': *type = JSCAN_OBJECT; return scan_object(s, p, depth);
	case '[': *type = JSCAN_ARRAY; return scan_array(s, p, depth);
	case 't': *type = JSCAN_TRUE; return scan_literal(s, p, "true", 4);
	case 'f': *type = JSCAN_FALSE; return scan_literal(s, p, "false", 5);
	case 'n': *type = JSCAN_NULL; return scan_literal(s, p, "null", 4);
	case 'N': case 'I': return fail_at(s, p, "NaN and Infinity are not JSON numbers");
	default:
		if (*p == '-' || is_digit(*p)) {
			*type = JSCAN_NUMBER;
			return scan_number(s, p);
		}
		return fail_at(s, p, "invalid JSON");
	}
}

int jscan_line(jscan *s, const char *line, size_t len)
{
	enum jscan_type t;
	s->end = line + len;
	s->dup = NULL;
	for (size_t k = 0; k < s->n_fields; k++)
		s->fields[k].value.text = NULL;
	/* RFC 8259 section 8.1: JSON exchanged between systems is UTF-8 */
	size_t bad_utf8 = utf8_invalid_at(line, len);
	if (bad_utf8 < len)
		return fail_at(s, line + bad_utf8, "invalid UTF-8"), -1;
	const char *p = skip_ws(line, s->end);
	if (p >= s->end || *p != '{')
		return fail_at(s, p, "not a JSON object"), -1;
	if (!(p = scan_value(s, p, 1, &t)))
		return -1;
	p = skip_ws(p, s->end);
	if (p != s->end)
		return fail_at(s, p, "text after the JSON value"), -1;
	return 0;
}

/* ---- arrays of a checked record -------------------------------------------- */

int jscan_array(jscan_iter *it, const jscan_value *array)
{
	if (!array->text || array->type != JSCAN_ARRAY)
		return -1;
	it->end = array->text + array->len - 1;  /* the ']' */
	it->p = skip_ws(array->text + 1, it->end);
	return 0;
}

int jscan_next(jscan_iter *it, jscan_value *elem)
{
	if (it->p >= it->end)
		return 0;
	/* the array was checked: its elements scan without fail */
	jscan s = { .end = it->end };
	const char *after = scan_value(&s, it->p, 1, &elem->type);
	if (!after)
		return 0;
	elem->text = it->p;
	elem->len = (size_t)(after - it->p);
	after = skip_ws(after, it->end);
	if (after < it->end && *after == ',')
		after = skip_ws(after + 1, it->end);
	it->p = after;
	return 1;
}

/* ---- typed values ----------------------------------------------------------- */

static int fail_msg(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_msg(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

int jscan_get_number(const jscan_field *f, double *out, char *err, size_t err_len)
{
	const jscan_value *v = &f->value;
	if (!v->text)
		return fail_msg(err, err_len, "field '%s' is missing", f->name);
	if (v->type == JSCAN_NULL)
		return fail_msg(err, err_len, "field '%s' is null", f->name);
	if (v->type != JSCAN_NUMBER)
		return fail_msg(err, err_len, "field '%s' is not a number", f->name);
	*out = jscan_number(v->text);
	if (!isfinite(*out))
		return fail_msg(err, err_len, "field '%s' is not a finite number", f->name);
	return 0;
}

int jscan_get_flag(const jscan_field *f, int *out, char *err, size_t err_len)
{
	const jscan_value *v = &f->value;
	if (!v->text)
		return fail_msg(err, err_len, "field '%s' is missing", f->name);
	if (v->type == JSCAN_TRUE || v->type == JSCAN_FALSE) {
		*out = v->type == JSCAN_TRUE;
		return 0;
	}
	double x = v->type == JSCAN_NUMBER ? jscan_number(v->text) : NAN;
	if (x == 0 || x == 1) {
		*out = x == 1;
		return 0;
	}
	return fail_msg(err, err_len, "field '%s' is not a boolean (true, false, 0 or 1)", f->name);
}

long jscan_get_numbers(const jscan_field *f, void (*each)(void *ctx, double v, size_t k), void *ctx,
	char *err, size_t err_len)
{
	jscan_iter it;
	jscan_value e;
	if (!f->value.text)
		return fail_msg(err, err_len, "field '%s' is missing", f->name);
	if (jscan_array(&it, &f->value) != 0)
		return fail_msg(err, err_len, "field '%s' is not an array", f->name);
	size_t k = 0;
	for (; jscan_next(&it, &e); k++) {
		if (e.type != JSCAN_NUMBER)
			return fail_msg(err, err_len, "field '%s': element %zu is not a number", f->name, k);
		double v = jscan_number(e.text);
		if (!isfinite(v))
			return fail_msg(err, err_len, "field '%s': element %zu is not a finite number", f->name, k);
		each(ctx, v, k);
	}
	return (long)k;
}
