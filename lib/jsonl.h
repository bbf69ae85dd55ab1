/* jsonl: JSON Lines records in and out.
 *
 * The reader takes one line at a time with getline (any length, NUL bytes
 * detected), parses it with cJSON under a length bound, and remembers the
 * raw bytes so that the writer can pass the record through byte-for-byte
 * and append new fields before its closing brace. */
#ifndef MLPIPE_JSONL_H
#define MLPIPE_JSONL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

typedef struct jsonl_reader {
	FILE *fp;
	const char *name;
	char *line;         /* the raw line, newline stripped, NUL-terminated */
	size_t cap;
	size_t len;         /* bytes in line (without the newline) */
	uint64_t lineno;    /* 1-based number of the current line */
	size_t max_depth;   /* nesting limit checked before parsing (default 64) */
	cJSON *obj;         /* the parsed record (owned by the reader) */
	char err[320];
} jsonl_reader;

void jsonl_reader_init(jsonl_reader *r, FILE *fp, const char *name);
/* Next record: 1 (r->obj, r->line valid until the next call), 0 at end, -1
 * on error (bad JSON, not an object, NUL byte, too deep, read error).
 * Blank lines are skipped. */
int jsonl_next(jsonl_reader *r);
void jsonl_reader_free(jsonl_reader *r);

/* Field access with messages "line N: field 'F' ...": return 0 on success,
 * 1 when absent and optional (value untouched), -1 on error. */
int jsonl_get_number(jsonl_reader *r, const char *field, int required, double *out);
/* A boolean or a number 0/1 (done flags in the wild are both). */
int jsonl_get_flag(jsonl_reader *r, const char *field, int required, int *out);
/* An array of numbers: *out is malloc'ed (caller frees), *n its length. */
int jsonl_get_array(jsonl_reader *r, const char *field, int required, double **out, size_t *n);

/* A whole JSON document (a configuration file, which may span lines),
 * held to the same rules as a record: UTF-8, no byte order mark, no
 * control bytes outside the blanks, depth at most max_depth, nothing after
 * the value.  Returns the tree (cJSON_Delete it), or NULL with err. */
cJSON *jsonl_parse_document(const char *text, size_t len, size_t max_depth, char *err, size_t err_len);

/* Builder for the fields a tool appends to a record. */
typedef struct jsonl_fields {
	char *buf;
	size_t len, cap;
} jsonl_fields;

void jsonl_fields_reset(jsonl_fields *f);
void jsonl_fields_free(jsonl_fields *f);
/* Add "name": value (float32 "%.9g" unless f64; non-finite -> null). */
int jsonl_fields_number(jsonl_fields *f, const char *name, double v, int f64);
int jsonl_fields_array(jsonl_fields *f, const char *name, const double *v, size_t n, int f64);
/* Add "name": raw JSON text (already valid). */
int jsonl_fields_raw(jsonl_fields *f, const char *name, const char *json);
/* For a tool that appends the same field to every record: add the key
 * once with jsonl_fields_raw(f, name, ""), keep mark = f->len, then per
 * record truncate to the mark and add the value (a number, or an array of
 * numbers, formatted as jsonl_fields_number and jsonl_fields_array do). */
void jsonl_fields_truncate(jsonl_fields *f, size_t mark);
int jsonl_fields_value(jsonl_fields *f, double v, int f64);
int jsonl_fields_values(jsonl_fields *f, const double *v, size_t n, int f64);

/* Write LINE (an object's raw text, as read) with FIELDS appended before its
 * final '}', after a comma unless the object is empty, then '\n'.
 * Everything else passes through byte-for-byte.  Returns 0, or -1 on a
 * write error. */
int jsonl_write_appended(FILE *out, const char *line, size_t len, const jsonl_fields *f);
/* The same into memory, for tools that assemble their output in a buffer:
 * OUT has room for len + f->len + 2 bytes.  Returns the bytes written
 * (newline included), or 0 if LINE does not end in '}'. */
size_t jsonl_append_to_buffer(char *out, const char *line, size_t len, const jsonl_fields *f);

#endif
