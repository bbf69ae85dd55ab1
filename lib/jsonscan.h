/* jsonscan: a validating scanner for JSON Lines records, for tools whose
 * input is too large for a cJSON tree per line.
 *
 * One call checks one line against the grammar of RFC 8259 (a single
 * object, blanks around it; control bytes rejected everywhere, as section 7
 * requires in strings and section 2 allows only space, tab, CR and LF as
 * blanks; nesting limited to JSCAN_MAX_DEPTH levels as lib/jsonl.c) and
 * indexes the top-level fields the caller asked for: the raw text of each
 * value and its type.  Keys with escapes are decoded before they are
 * compared.  Nothing is copied, decoded or allocated on the way: a value
 * is a span of the caller's line, and every other byte is left alone, so a
 * tool can pass the line through unchanged (lib/jsonl.h,
 * jsonl_append_to_buffer).  A line need not be NUL-terminated.
 *
 * Used by grpo-adv(1); gae and ppo-loss read their records through cJSON
 * (lib/jsonl.h) and could use it the same way. */
#ifndef MLPIPE_JSONSCAN_H
#define MLPIPE_JSONSCAN_H

#include <stddef.h>

#define JSCAN_MAX_DEPTH 64   /* the object of the line is level 1 */
#define JSCAN_MAX_FIELDS 16  /* wanted fields per scanner */

enum jscan_type {
	JSCAN_STRING = 1, JSCAN_NUMBER, JSCAN_TRUE, JSCAN_FALSE, JSCAN_NULL, JSCAN_ARRAY, JSCAN_OBJECT
};

/* A value as it stands in the line: its text (quotes and brackets
 * included) and what it is. */
typedef struct jscan_value {
	const char *text;    /* NULL: the field is absent */
	size_t len;
	enum jscan_type type;
} jscan_value;

/* A top-level field the caller wants.  Two entries may name the same key:
 * both receive its value. */
typedef struct jscan_field {
	const char *name;    /* set by the caller, NUL-terminated, UTF-8 */
	jscan_value value;   /* set by jscan_line */
	size_t name_len;     /* set by jscan_init */
	struct jscan_field *alias;  /* the next entry with the same name */
} jscan_field;

#define JSCAN_SLOTS 32  /* a hash table of the wanted names */

typedef struct jscan {
	jscan_field *fields;
	size_t n_fields;
	jscan_field *slot[JSCAN_SLOTS];
	const char *end;     /* the end of the line being scanned */
	const char *bad;     /* after a failure: where in the line */
	const char *why;     /* after a failure: what, e.g. "unterminated string" */
	const char *dup;     /* after a success: the name of a wanted field that
	                      * appears twice, else NULL (other duplicate keys
	                      * are valid JSON and ignored) */
} jscan;

/* Ready a scanner for FIELDS (n at most JSCAN_MAX_FIELDS, names not
 * empty); the scanner keeps pointers into the array.  Returns 0 or -1. */
int jscan_init(jscan *s, jscan_field *fields, size_t n);

/* Check LINE (len bytes, no newline) and fill in the wanted fields' values.
 * Returns 0, or -1 with s->bad and s->why set. */
int jscan_line(jscan *s, const char *line, size_t len);

/* The value of a number that jscan_line accepted (text inside a checked
 * record, so a byte that is not part of a number follows it).  Correctly
 * rounded; may be infinite for numbers beyond the range of double. */
double jscan_number(const char *text);

/* Typed values of a wanted field after jscan_line, with the messages of
 * lib/jsonl.h: 0, or -1 with err set, e.g. "field 'reward' is missing",
 * "... is null", "... is not a number", "... is not a finite number". */
int jscan_get_number(const jscan_field *f, double *out, char *err, size_t err_len);
/* true, false, or the numbers 0 and 1 (done flags in the wild are both). */
int jscan_get_flag(const jscan_field *f, int *out, char *err, size_t err_len);
/* An array of finite numbers: each(ctx, value, index) for every element
 * in order; returns the count, or -1 with err set ("field 'F': element 3
 * is not a number"). */
long jscan_get_numbers(const jscan_field *f, void (*each)(void *ctx, double v, size_t k), void *ctx,
	char *err, size_t err_len);

/* The elements of an array value that jscan_line accepted, in order:
 *   jscan_iter it; jscan_value e;
 *   jscan_array(&it, &field->value);
 *   while (jscan_next(&it, &e)) ... */
typedef struct jscan_iter {
	const char *p, *end;
} jscan_iter;

/* Start on an array value; -1 if it is not one. */
int jscan_array(jscan_iter *it, const jscan_value *array);
/* The next element: 1 with *elem set, 0 after the last. */
int jscan_next(jscan_iter *it, jscan_value *elem);

#endif
