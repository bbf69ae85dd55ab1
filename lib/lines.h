/* lines: whole inputs in memory and their lines in order, for tools that
 * read all their input before they write (grpo-adv normalises over groups
 * that may end anywhere, then passes every line through).  A regular file
 * is mapped, not copied; the lines are spans of the inputs, so a second
 * pass walks them again instead of keeping them. */
#ifndef MLPIPE_LINES_H
#define MLPIPE_LINES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct lines_input {
	const char *name;    /* for messages; NULL for standard input */
	char *buf;           /* len bytes, not NUL-terminated */
	size_t len;
	void *map;           /* a regular file's mapping, else NULL */
	size_t map_len;
} lines_input;

/* All of FP from its position on: mapped (private, read only) when it is a
 * regular file, else read.  name is kept for messages (NULL: stdin).
 * Returns 0, or -1 with err ("read error: NAME: ...", "out of memory"). */
int lines_load(lines_input *in, FILE *fp, const char *name, char *err, size_t err_len);
void lines_free(lines_input *in);

/* The lines of inputs[0 .. n) in order, without their newlines; blank
 * lines (nothing but spaces, tabs and CRs) are skipped, as lib/jsonl.c
 * skips them. */
typedef struct lines_cursor {
	const lines_input *inputs;
	size_t n, k;              /* inputs, the one being read */
	const char *p;            /* the next byte */
	const lines_input *input; /* the input of the last line given */
	uint64_t lineno;          /* its number there, from 1 */
} lines_cursor;

void lines_start(lines_cursor *c, const lines_input *inputs, size_t n);
/* 1 with the next line in *line, *len, or 0 after the last. */
int lines_next(lines_cursor *c, const char **line, size_t *len);

#endif
