/* lines: whole inputs in memory and their lines (see lines.h). */
#include "lines.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

static int fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* A regular file from offset at on, mapped: 0, or -1 to read it instead. */
static int map_file(lines_input *in, FILE *fp)
{
	struct stat st;
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0
	    || (uintmax_t)st.st_size >= SIZE_MAX)
		return -1;
	off_t at = ftello(fp);
	if (at < 0 || at > st.st_size)
		return -1;
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
	if (map == MAP_FAILED)
		return -1;
	in->buf = (char *)map + at;
	in->len = (size_t)(st.st_size - at);
	in->map = map;
	in->map_len = (size_t)st.st_size;
	return 0;
}

int lines_load(lines_input *in, FILE *fp, const char *name, char *err, size_t err_len)
{
	*in = (lines_input){ .name = name };
	if (map_file(in, fp) == 0)
		return 0;
	size_t cap = 0;
	for (;;) {
		if (cap - in->len < 65536) {
			size_t grown_cap = cap ? cap * 2 : 1 << 20;
			if (cap > SIZE_MAX / 4)
				return lines_free(in), fail(err, err_len, "out of memory");
			char *grown = realloc(in->buf, grown_cap);
			if (!grown)
				return lines_free(in), fail(err, err_len, "out of memory (%zu bytes)", grown_cap);
			in->buf = grown;
			cap = grown_cap;
		}
		size_t got = fread(in->buf + in->len, 1, cap - in->len, fp);
		in->len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		int e = errno;
		lines_free(in);
		return fail(err, err_len, "read error: %s: %s", name ? name : "stdin", strerror(e));
	}
	return 0;
}

void lines_free(lines_input *in)
{
	if (in->map)
		munmap(in->map, in->map_len);
	else
		free(in->buf);
	in->buf = NULL;
	in->map = NULL;
	in->len = in->map_len = 0;
}

void lines_start(lines_cursor *c, const lines_input *inputs, size_t n)
{
	*c = (lines_cursor){ .inputs = inputs, .n = n, .p = n ? inputs[0].buf : NULL, .input = n ? &inputs[0] : NULL };
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

int lines_next(lines_cursor *c, const char **line, size_t *len)
{
	while (c->k < c->n) {
		const char *end = c->inputs[c->k].buf + c->inputs[c->k].len;
		while (c->p < end) {
			const char *nl = memchr(c->p, '\n', (size_t)(end - c->p));
			*line = c->p;
			*len = (size_t)((nl ? nl : end) - c->p);
			c->p = nl ? nl + 1 : end;
			c->lineno++;
			if (!blank(*line, *len))
				return 1;
		}
		if (++c->k < c->n) {
			c->p = c->inputs[c->k].buf;
			c->input = &c->inputs[c->k];
			c->lineno = 0;
		}
	}
	return 0;
}
