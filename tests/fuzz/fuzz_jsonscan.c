/* Fuzz the validating JSON Lines scanner (lib/jsonscan.c) against cJSON.
 *
 * Input: one control byte (which field names are wanted), then one line.
 * Oracle: a line the scanner accepts is a JSON object to cJSON too, with
 * nothing after it; every wanted field's span is the text of the member
 * cJSON finds under that name (same type, same value when parsed alone),
 * an absent field is absent; a number's value is cJSON's; an array's
 * elements, iterated, are cJSON's elements.  A rejected line says where
 * (inside the line) and why. */
#include "fuzz.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "jsonscan.h"

static const char *const jsonscan_names[][4] = {
	{"group", "reward", "logp", "x"},
	{"a\"b", "\xc3\xa9", "reward", "reward"}, /* an escaped quote, UTF-8, an alias */
	{"step_rewards", "step_ends", "length", "correct"},
};

static int jsonscan_type_matches(enum jscan_type t, const cJSON *item)
{
	switch (t) {
	case JSCAN_STRING: return cJSON_IsString(item);
	case JSCAN_NUMBER: return cJSON_IsNumber(item);
	case JSCAN_TRUE: return cJSON_IsTrue(item);
	case JSCAN_FALSE: return cJSON_IsFalse(item);
	case JSCAN_NULL: return cJSON_IsNull(item);
	case JSCAN_ARRAY: return cJSON_IsArray(item);
	case JSCAN_OBJECT: return cJSON_IsObject(item);
	}
	return 0;
}

/* Equal trees, in order; numbers by value (cJSON_Compare calls inf and inf
 * different). */
static int jsonscan_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b || (a->type & 0xff) != (b->type & 0xff))
		return 0;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble || (isnan(a->valuedouble) && isnan(b->valuedouble));
	if (cJSON_IsString(a))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
		const cJSON *x = a->child, *y = b->child;
		for (; x && y; x = x->next, y = y->next)
			if ((cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) || !jsonscan_equal(x, y))
				return 0;
		return !x && !y;
	}
	return 1;
}

/* The span parsed alone equals the member cJSON found. */
static void jsonscan_check_value(const jscan_value *v, const cJSON *item, const char *what)
{
	FUZZ_CHECK(jsonscan_type_matches(v->type, item), "%s: scanner type %d, cJSON type %d", what, (int)v->type,
		   item->type);
	cJSON *alone = cJSON_ParseWithLength(v->text, v->len);
	FUZZ_CHECK(jsonscan_equal(alone, item), "%s: span '%.*s' is not cJSON's value", what,
		   (int)(v->len > 80 ? 80 : v->len), v->text);
	cJSON_Delete(alone);
	if (v->type == JSCAN_NUMBER && cJSON_IsNumber(item)) {
		double x = jscan_number(v->text);
		FUZZ_CHECK(x == item->valuedouble || (isnan(x) && isnan(item->valuedouble)),
			   "%s: jscan_number %.17g, cJSON %.17g", what, x, item->valuedouble);
	}
	if (v->type == JSCAN_ARRAY && cJSON_IsArray(item)) {
		jscan_iter it;
		jscan_value e;
		FUZZ_CHECK(jscan_array(&it, v) == 0, "%s: jscan_array refused an array", what);
		const cJSON *c = item->child;
		int k = 0;
		while (jscan_next(&it, &e) == 1 && k < 100000) {
			FUZZ_CHECK(c != NULL, "%s: more elements than cJSON's %d", what, cJSON_GetArraySize(item));
			if (!c)
				break;
			cJSON *elem = cJSON_ParseWithLength(e.text, e.len);
			FUZZ_CHECK(jsonscan_equal(elem, c), "%s: element %d differs", what, k);
			cJSON_Delete(elem);
			c = c->next;
			k++;
		}
		FUZZ_CHECK(c == NULL, "%s: %d elements, cJSON has %d", what, k, cJSON_GetArraySize(item));
	}
}

/* A backslash, u, then d or D: the start of a surrogate escape. */
static int jsonscan_has_surrogate_escape(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '\\' && s[i + 1] == 'u' && (s[i + 2] == 'd' || s[i + 2] == 'D'))
			return 1;
	return 0;
}

static void fuzz_jsonscan(const uint8_t *data, size_t size)
{
	unsigned pick = fuzz_take_byte(&data, &size) % 3;
	jscan_field fields[4];
	memset(fields, 0, sizeof fields);
	for (size_t i = 0; i < 4; i++)
		fields[i].name = jsonscan_names[pick][i];
	jscan s;
	if (jscan_init(&s, fields, 4) != 0)
		return;
	/* The line in a buffer of its own size, so ASan sees any read past it. */
	char *line = malloc(size ? size : 1);
	if (!line)
		return;
	memcpy(line, data, size);
	int rc = jscan_line(&s, line, size);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && s.why && s.bad >= line && s.bad <= line + size, "rejected without where or why");
		free(line);
		return;
	}
	/* cJSON refuses lone surrogate escapes, which the grammar allows. */
	if (jsonscan_has_surrogate_escape(line, size)) {
		free(line);
		return;
	}
	const char *end = NULL;
	cJSON *obj = cJSON_ParseWithLengthOpts(line, size, &end, 0);
	FUZZ_CHECK(obj && cJSON_IsObject(obj), "accepted, but cJSON does not read an object: '%.*s'",
		   (int)(size > 200 ? 200 : size), line);
	if (obj) {
		for (const char *p = end; p && p < line + size; p++)
			FUZZ_CHECK(*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n', "accepted with text after the object");
		for (size_t i = 0; i < 4 && !s.dup; i++) {
			const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, fields[i].name);
			FUZZ_CHECK((fields[i].value.text != NULL) == (item != NULL), "field '%s': scanner %s, cJSON %s",
				   fields[i].name, fields[i].value.text ? "found" : "absent", item ? "found" : "absent");
			if (item && fields[i].value.text)
				jsonscan_check_value(&fields[i].value, item, fields[i].name);
		}
	}
	cJSON_Delete(obj);
	free(line);
}

FUZZ_TARGET(fuzz_jsonscan)
