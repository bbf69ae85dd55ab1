/* Shared scaffolding of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines one entry, static void fuzz_NAME(data, size), that
 * must never crash and checks its own oracle with FUZZ_CHECK.  Built by
 * `make fuzz` (clang -fsanitize=fuzzer,address,undefined) the entry is
 * wrapped in LLVMFuzzerTestOneInput and a failed check aborts, so libFuzzer
 * keeps the input.  tests/unit/test_fuzz_regress.c includes the same files
 * with FUZZ_REPLAY defined and replays the kept inputs (regressions/ and
 * corpus/) in the ordinary build, where a failed check is a test failure. */
#ifndef MLPIPE_FUZZ_H
#define MLPIPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FUZZ_REPLAY
/* Set by the replaying test: the failed check of the current input. */
static char fuzz_failure[2048];
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond) && !fuzz_failure[0]) \
		snprintf(fuzz_failure, sizeof fuzz_failure, __VA_ARGS__); \
} while (0)
#define FUZZ_TARGET(fn)
#else
#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz check failed (%s:%d): ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		abort(); \
	} \
} while (0)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define FUZZ_TARGET(fn) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) \
	{ \
		fn(data, size); \
		return 0; \
	}
#endif

/* A read-only FILE over a private copy of the bytes: reads stop at size,
 * not at a NUL (glibc >= 2.22).  An empty input reads from /dev/null,
 * since fmemopen refuses a zero size.  *keep is freed by fuzz_mem_close. */
static inline FILE *fuzz_mem_open(const uint8_t *data, size_t size, char **keep)
{
	*keep = NULL;
	if (size == 0)
		return fopen("/dev/null", "rb");
	*keep = malloc(size);
	if (!*keep)
		return NULL;
	memcpy(*keep, data, size);
	FILE *fp = fmemopen(*keep, size, "rb");
	if (!fp) {
		free(*keep);
		*keep = NULL;
	}
	return fp;
}

static inline void fuzz_mem_close(FILE *fp, char *keep)
{
	if (fp)
		fclose(fp);
	free(keep);
}

/* Control bytes taken from the front of the input (0 when exhausted). */
static inline unsigned fuzz_take_byte(const uint8_t **data, size_t *size)
{
	if (*size == 0)
		return 0;
	unsigned b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
